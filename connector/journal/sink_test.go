package journal_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/connector"
	jconn "github.com/stromio/strom/connector/journal"
	jl "github.com/stromio/strom/journal"
	"github.com/stromio/strom/stream"
)

// readAll reads every partition of topic with iso.
func readAll(t *testing.T, j *jl.Journal, topic string, iso jl.Isolation) []string {
	t.Helper()
	var out []string
	for _, ti := range j.Topics() {
		if ti.Name != topic {
			continue
		}
		for p := range ti.Partitions {
			for from := int64(0); ; {
				ms, next, err := j.Fetch(context.Background(), topic, p, from, jl.ReadOptions{Isolation: iso})
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					out = append(out, string(m.Value))
				}
				if next == from {
					break
				}
				from = next
			}
		}
	}
	sort.Strings(out)
	return out
}

func sinkJob(t *testing.T, j *jl.Journal, topic string, par int, failAt int64, failed *atomic.Bool) error {
	const n = 6000
	sink, err := jconn.NewSink(j, jconn.SinkOptions[string]{Topic: topic, Codec: codec.String{}, Prefix: "job-" + topic,
		Key: func(s string) []byte { return []byte(s) }, BatchRecords: 8})
	if err != nil {
		t.Fatal(err)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: par,
		Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), Interval: 20 * time.Millisecond},
		Restart:     &stream.RestartStrategy{MaxAttempts: 3}})
	src := stream.FromGenerator(env, n, func(split int, i int64) string { return fmt.Sprintf("s%d-%05d", split, i) },
		stream.WatermarkStrategy[string]{})
	var seen atomic.Int64
	out := stream.Map(src, func(s string) string {
		k := seen.Add(1)
		if k%50 == 0 {
			time.Sleep(time.Millisecond)
		}
		if failAt > 0 && k == failAt && failed.CompareAndSwap(false, true) {
			panic("injected failure")
		}
		return s
	})
	stream.SinkTo[string](out, sink, "journal-sink")
	return env.Execute(context.Background())
}

// TestSinkExactlyOnce: a job failing once writes, as read_committed
// readers see it, exactly the output of a fault-free run; the aborted
// attempt's records are in the log (read_uncommitted) but never visible
// to read_committed.
func TestSinkExactlyOnce(t *testing.T) {
	j := openJournal(t)
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprint("p=", par), func(t *testing.T) {
			gold, out := fmt.Sprint("gold", par), fmt.Sprint("out", par)
			for _, tp := range []string{gold, out} {
				if err := j.CreateTopic(tp, 3); err != nil {
					t.Fatal(err)
				}
			}
			var f0, failed atomic.Bool
			if err := sinkJob(t, j, gold, par, 0, &f0); err != nil {
				t.Fatal(err)
			}
			if err := sinkJob(t, j, out, par, 3000, &failed); err != nil {
				t.Fatal(err)
			}
			if !failed.Load() {
				t.Fatal("the failure was never injected")
			}
			want := readAll(t, j, gold, jl.ReadCommitted)
			got := readAll(t, j, out, jl.ReadCommitted)
			if len(want) != 6000*par || !slices.Equal(got, want) {
				t.Fatalf("read_committed: %d records, want %d (fault-free %d)", len(got), len(want), 6000*par)
			}
			// read_uncommitted also sees what the failed attempt wrote after
			// its last checkpoint (aborted): replays of the same records.
			all := readAll(t, j, out, jl.ReadUncommitted)
			if len(all) < len(got) || !slices.Equal(slices.Compact(slices.Clone(all)), got) {
				t.Fatalf("read_uncommitted sees %d records (read_committed %d), not the same set", len(all), len(got))
			}
			t.Logf("aborted records in the log: %d", len(all)-len(got))
			for p := range 3 {
				lso, _ := j.LastStableOffset(out, p)
				_, end, _ := j.Bounds(out, p)
				if lso != end {
					t.Fatalf("partition %d: a transaction is left open (lso %d, end %d)", p, lso, end)
				}
			}
		})
	}
}

func openWriter(t *testing.T, s *jconn.Sink[string], sub int) connector.TransactionalWriter[string] {
	t.Helper()
	w, err := s.Open(context.Background(), connector.SinkInfo{Subtask: sub, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	return w.(connector.TransactionalWriter[string])
}

// TestSinkPoolExhausted: with PoolSize P, the P-th checkpoint that is not
// committed leaves no free name: the next transaction fails loudly.
func TestSinkPoolExhausted(t *testing.T) {
	ctx := context.Background()
	j := openJournal(t)
	_ = j.CreateTopic("t", 1)
	s, err := jconn.NewSink(j, jconn.SinkOptions[string]{Topic: "t", Codec: codec.String{}, Prefix: "px", PoolSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	w := openWriter(t, s, 0)
	defer w.Close()
	for ck := int64(1); ck <= 3; ck++ {
		if err := w.Write("r", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.PreCommit(ctx, ck); err != nil {
			t.Fatalf("checkpoint %d: %v", ck, err)
		}
	}
	_ = w.Write("r", 0)
	if _, err := w.PreCommit(ctx, 4); !errors.Is(err, jconn.ErrPoolExhausted) {
		t.Fatalf("PreCommit with the pool exhausted: %v", err)
	}
}

// TestSinkCommitIdempotent: the committables of a checkpoint committed
// twice (and again by a new sink after a "restore") show the records once;
// names are reused across many committed checkpoints; an aborted
// pre-committed transaction is ErrDataLost.
func TestSinkCommitIdempotent(t *testing.T) {
	ctx := context.Background()
	j := openJournal(t)
	_ = j.CreateTopic("t", 2)
	opts := jconn.SinkOptions[string]{Topic: "t", Codec: codec.String{}, Prefix: "ci", PoolSize: 3}
	s, _ := jconn.NewSink(j, opts)
	w := openWriter(t, s, 0)
	var want []string
	for ck := int64(1); ck <= 20; ck++ {
		for i := range 5 {
			v := fmt.Sprintf("c%02d-%d", ck, i)
			want = append(want, v)
			if err := w.Write(v, 0); err != nil {
				t.Fatal(err)
			}
		}
		c, err := w.PreCommit(ctx, ck)
		if err != nil {
			t.Fatalf("checkpoint %d: %v", ck, err)
		}
		if err := s.Commit(ctx, [][]byte{c}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, [][]byte{c}); err != nil {
			t.Fatalf("second commit: %v", err)
		}
		// A restarted process: a new sink object commits it again.
		s2, _ := jconn.NewSink(j, opts)
		if err := s2.Commit(ctx, [][]byte{c}); err != nil {
			t.Fatalf("commit after restore: %v", err)
		}
	}
	_ = w.Close()
	sort.Strings(want)
	if got := readAll(t, j, "t", jl.ReadCommitted); !slices.Equal(got, want) {
		t.Fatalf("read_committed: %d records, want %d", len(got), len(want))
	}

	// Written but never pre-committed: in the log, aborted at Close,
	// invisible to read_committed.
	w = openWriter(t, s, 2)
	_ = w.Write("aborted", 0)
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if got := readAll(t, j, "t", jl.ReadCommitted); slices.Contains(got, "aborted") {
		t.Fatal("read_committed sees an aborted record")
	}
	if got := readAll(t, j, "t", jl.ReadUncommitted); !slices.Contains(got, "aborted") {
		t.Fatal("read_uncommitted does not see the aborted record")
	}

	// Pre-committed, then aborted by a re-initialisation of its name.
	w = openWriter(t, s, 1)
	_ = w.Write("lost", 0)
	c, err := w.PreCommit(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if _, err := j.NewTransactionalProducer(ctx, s.Name(1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, [][]byte{c}); !errors.Is(err, jconn.ErrDataLost) {
		t.Fatalf("commit of an aborted transaction: %v", err)
	}
}

// TestSinkRestoreOlderCheckpoint: checkpoint 1 commits; checkpoints 2 and
// 3 pre-commit but never complete; a restore of checkpoint 1 commits its
// transaction again (its name was not reused: no ErrDataLost) and aborts
// the rest, which read_committed never shows.
func TestSinkRestoreOlderCheckpoint(t *testing.T) {
	ctx := context.Background()
	j := openJournal(t)
	_ = j.CreateTopic("t", 1)
	opts := jconn.SinkOptions[string]{Topic: "t", Codec: codec.String{}, Prefix: "ro"}
	s, _ := jconn.NewSink(j, opts)
	w := openWriter(t, s, 0)
	_ = w.Write("one", 0)
	c1, err := w.PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, [][]byte{c1}); err != nil {
		t.Fatal(err)
	}
	for ck := int64(2); ck <= 4; ck++ {
		_ = w.Write(fmt.Sprint("later", ck), 0)
		if _, err := w.PreCommit(ctx, ck); err != nil {
			t.Fatalf("checkpoint %d: %v", ck, err)
		}
	}
	_ = w.Write("open", 0)
	_ = w.Flush(ctx)
	// The process dies (no Close); a new one restores checkpoint 1.
	s2, _ := jconn.NewSink(j, opts)
	if err := s2.Commit(ctx, [][]byte{c1}); err != nil {
		t.Fatalf("commit of the restored checkpoint: %v", err)
	}
	if err := s2.AbortExcept(ctx, [][]byte{c1}); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, j, "t", jl.ReadCommitted); !slices.Equal(got, []string{"one"}) {
		t.Fatalf("read_committed after the restore: %q", got)
	}
	lso, _ := j.LastStableOffset("t", 0)
	if _, end, _ := j.Bounds("t", 0); lso != end {
		t.Fatalf("a transaction is left open: lso %d end %d", lso, end)
	}
	// The restored run goes on; a second crash before its first checkpoint
	// completes commits checkpoint 1 again, still without loss.
	w2 := openWriter(t, s2, 0)
	_ = w2.Write("two", 0)
	if _, err := w2.PreCommit(ctx, 5); err != nil {
		t.Fatal(err)
	}
	s3, _ := jconn.NewSink(j, opts)
	if err := s3.Commit(ctx, [][]byte{c1}); err != nil {
		t.Fatalf("second restore of checkpoint 1: %v", err)
	}
}

// NewSink checks the transaction timeout against the checkpoint interval
// plus a restart in exactly-once mode, as the Kafka sink does.
func TestSinkTimeoutVsInterval(t *testing.T) {
	j, err := jl.Open(t.TempDir(), jl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ok := jconn.SinkOptions[string]{Topic: "t", Codec: codec.String{}, Prefix: "job-t"}
	for _, tc := range []struct {
		name string
		edit func(o *jconn.SinkOptions[string])
		want string // "" for no error
	}{
		{"default timeout, 10 s interval", func(o *jconn.SinkOptions[string]) { o.CheckpointInterval, o.RestartTime = 10*time.Second, time.Minute }, ""},
		{"no interval given", func(o *jconn.SinkOptions[string]) { o.TransactionTimeout = time.Second }, ""},
		{"timeout vs interval", func(o *jconn.SinkOptions[string]) {
			o.TransactionTimeout, o.CheckpointInterval, o.RestartTime = time.Minute, 50*time.Second, 10*time.Second
		}, "strom: journal sink: transaction timeout 1m0s is not larger than checkpoint interval 50s + restart time 10s: " +
			"the journal would abort transactions before their checkpoint commits them; raise TransactionTimeout or shorten the interval"},
		{"default timeout vs a long interval", func(o *jconn.SinkOptions[string]) { o.CheckpointInterval = 20 * time.Minute },
			"strom: journal sink: transaction timeout 15m0s is not larger than checkpoint interval 20m0s + restart time 0s"},
		{"at-least-once has no transactions", func(o *jconn.SinkOptions[string]) {
			o.AtLeastOnce, o.TransactionTimeout, o.CheckpointInterval = true, time.Second, time.Minute
		}, ""},
		{"negative interval", func(o *jconn.SinkOptions[string]) { o.CheckpointInterval = -time.Second }, "strom: journal sink: CheckpointInterval -1s or RestartTime 0s is negative"},
	} {
		o := ok
		tc.edit(&o)
		_, err := jconn.NewSink(j, o)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
