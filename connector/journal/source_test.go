package journal_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/connector"
	jconn "github.com/stromio/strom/connector/journal"
	jl "github.com/stromio/strom/journal"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

func openJournal(t *testing.T) *jl.Journal {
	t.Helper()
	j, err := jl.Open(t.TempDir(), jl.Options{Durability: jl.Relaxed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j
}

// fill writes perPart records "p<P>-<i>" to every partition of topic, in
// batches, with timestamps 1000+i.
func fill(t *testing.T, j *jl.Journal, topic string, parts, perPart int) []string {
	t.Helper()
	if err := j.CreateTopic(topic, parts); err != nil {
		t.Fatal(err)
	}
	var want []string
	for p := range parts {
		var recs []jl.Record
		for i := range perPart {
			v := fmt.Sprintf("p%d-%04d", p, i)
			want = append(want, v)
			recs = append(recs, jl.Record{Value: []byte(v), Timestamp: int64(1000 + i)})
			if len(recs) == 100 || i == perPart-1 {
				if _, err := j.Append(context.Background(), topic, p, recs...); err != nil {
					t.Fatal(err)
				}
				recs = nil
			}
		}
	}
	sort.Strings(want)
	return want
}

func sourceJob(t *testing.T, j *jl.Journal, dir string, par int, sink *streamtest.TxSink[string], failAt int64, failed *atomic.Bool) error {
	src, err := jconn.NewSource(j, jconn.SourceOptions[string]{Topic: "in", Codec: codec.String{}, Bounded: true})
	if err != nil {
		t.Fatal(err)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: par,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 20 * time.Millisecond},
		Restart:     &stream.RestartStrategy{MaxAttempts: 3}})
	in := stream.FromSource[string](env, src, stream.WatermarkStrategy[string]{}, "journal")
	var seen atomic.Int64
	out := stream.Map(in, func(s string) string {
		n := seen.Add(1)
		if n%50 == 0 {
			time.Sleep(time.Millisecond)
		}
		if failAt > 0 && n == failAt && failed.CompareAndSwap(false, true) {
			panic("injected failure")
		}
		return s
	})
	stream.SinkTo[string](out, sink, "tx")
	return env.Execute(context.Background())
}

// TestSourceExactlyOnce: a bounded job over all partitions, failing once
// and restoring the split positions, commits every record exactly once.
func TestSourceExactlyOnce(t *testing.T) {
	j := openJournal(t)
	want := fill(t, j, "in", 3, 1500)
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprint("p=", par), func(t *testing.T) {
			sink := streamtest.NewTxSink[string]()
			var failed atomic.Bool
			if err := sourceJob(t, j, t.TempDir(), par, sink, 3000, &failed); err != nil {
				t.Fatal(err)
			}
			if !failed.Load() {
				t.Fatal("the failure was never injected")
			}
			got := slices.Clone(sink.Rows())
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Fatalf("got %d records, want %d", len(got), len(want))
			}
			if sink.Commits() < 2 {
				t.Fatalf("only %d commits", sink.Commits())
			}
		})
	}
}

// TestSourceReader: positions, timestamps, read_committed, decode errors,
// start offsets and the wake-up of an unbounded reader.
func TestSourceReader(t *testing.T) {
	ctx := context.Background()
	j := openJournal(t)
	fill(t, j, "in", 1, 10)
	src, err := jconn.NewSource(j, jconn.SourceOptions[string]{Topic: "in", Codec: codec.String{},
		StartAt: jconn.StartAt{Kind: jconn.Explicit, Offsets: map[int]int64{0: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	splits, err := src.Splits(ctx)
	if err != nil || len(splits) != 1 {
		t.Fatal(splits, err)
	}
	r, err := src.Open(ctx, splits[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	buf, ts := make([]string, 3), make([]int64, 3)
	n, err := r.(connector.Timestamped[string]).ReadTimestamped(ctx, buf, ts)
	if err != nil || n != 3 || buf[0] != "p0-0004" || ts[2] != 1006 {
		t.Fatalf("read %d %q %v %v", n, buf[:n], ts, err)
	}
	pos := r.Position()
	_ = r.Close()
	r, err = src.Open(ctx, splits[0], pos)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf = make([]string, 100)
	if n, err = r.Read(ctx, buf); err != nil || n != 3 || buf[0] != "p0-0007" {
		t.Fatalf("after restore: %d %q %v", n, buf[:n], err)
	}
	if n, err = r.Read(ctx, buf); err != nil || n != 0 {
		t.Fatalf("at the end: %d %v", n, err)
	}
	// An open transaction is invisible; its commit wakes the reader.
	p, err := j.NewTransactionalProducer(ctx, "tp")
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Begin()
	if _, err := p.Append(ctx, "in", 0, jl.Record{Value: []byte("tx")}); err != nil {
		t.Fatal(err)
	}
	if n, err = r.Read(ctx, buf); err != nil || n != 0 {
		t.Fatalf("open transaction visible: %d %v", n, err)
	}
	ready := r.(connector.Notifier).Ready()
	select {
	case <-ready:
		t.Fatal("ready before the commit")
	case <-time.After(20 * time.Millisecond):
	}
	if err := p.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("not woken by the commit")
	}
	if n, err = r.Read(ctx, buf); err != nil || n != 1 || buf[0] != "tx" {
		t.Fatalf("after commit: %d %q %v", n, buf[:n], err)
	}

	// A bad record fails with topic, partition and offset.
	bad, _ := jconn.NewSource(j, jconn.SourceOptions[int64]{Topic: "in", Codec: codec.Int64{}, Bounded: true})
	splits, _ = bad.Splits(ctx)
	br, _ := bad.Open(ctx, splits[0], nil)
	defer br.Close()
	_, err = br.Read(ctx, make([]int64, 10))
	var de *jconn.DecodeError
	if !errors.As(err, &de) || de.Partition != 0 || de.Offset != 0 || de.Topic != "in" {
		t.Fatalf("decode error: %v", err)
	}
	// Bounded with Latest: nothing, then EOF.
	late, _ := jconn.NewSource(j, jconn.SourceOptions[string]{Topic: "in", Codec: codec.String{}, Bounded: true, StartAt: jconn.StartAt{Kind: jconn.Latest}})
	splits, _ = late.Splits(ctx)
	lr, _ := late.Open(ctx, splits[0], nil)
	defer lr.Close()
	if n, err := lr.Read(ctx, buf); n != 0 || err != io.EOF {
		t.Fatalf("latest bounded: %d %v", n, err)
	}
}

// TestSourceGroupAndDecode: StartAt Committed starts at the group's
// offsets (earliest without one); Decode sees the whole message.
func TestSourceGroupAndDecode(t *testing.T) {
	ctx := context.Background()
	j := openJournal(t)
	fill(t, j, "in", 2, 5)
	if err := j.CommitOffsets("g", map[jl.TopicPartition]int64{{Topic: "in", Partition: 1}: 3}); err != nil {
		t.Fatal(err)
	}
	src, err := jconn.NewSource(j, jconn.SourceOptions[string]{Topic: "in", Bounded: true,
		StartAt: jconn.StartAt{Kind: jconn.Committed, Group: "g"},
		Decode: func(m *jl.Message) (string, error) {
			return fmt.Sprintf("%d@%d:%s", m.Partition, m.Offset, m.Value), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	splits, _ := src.Splits(ctx)
	var got []string
	for _, sp := range splits {
		r, err := src.Open(ctx, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]string, 2)
		for {
			n, err := r.Read(ctx, buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		_ = r.Close()
	}
	want := []string{"0@0:p0-0000", "0@1:p0-0001", "0@2:p0-0002", "0@3:p0-0003", "0@4:p0-0004", "1@3:p1-0003", "1@4:p1-0004"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q", got)
	}
}

// readReader reads r until it ends (bounded) and returns the values.
func readReader(t *testing.T, r connector.Reader[string]) ([]string, error) {
	t.Helper()
	var out []string
	buf := make([]string, 3)
	for range 1000 {
		n, err := r.Read(context.Background(), buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return out, err
		}
	}
	t.Fatal("reader did not end")
	return nil, nil
}

func TestSourceOnErrorAndCommitGroup(t *testing.T) {
	j := openJournal(t)
	if err := j.CreateTopic("in", 1); err != nil {
		t.Fatal(err)
	}
	var recs []jl.Record
	for i := range 6 {
		v := fmt.Sprintf("v%d", i)
		if i == 2 || i == 4 {
			v = "bad"
		}
		recs = append(recs, jl.Record{Key: []byte{byte(i)}, Value: []byte(v), Timestamp: int64(i),
			Headers: []jl.Header{{Key: "h", Value: []byte("x")}}})
	}
	if _, err := j.Append(context.Background(), "in", 0, recs...); err != nil {
		t.Fatal(err)
	}
	decode := func(m *jl.Message) (string, error) {
		if string(m.Value) == "bad" {
			return "", errors.New("bad value")
		}
		return string(m.Value), nil
	}
	open := func(pol connector.OnError, group string) (*jconn.Source[string], connector.Reader[string]) {
		src, err := jconn.NewSource(j, jconn.SourceOptions[string]{Topic: "in", Decode: decode, Bounded: true, OnError: pol, CommitGroup: group})
		if err != nil {
			t.Fatal(err)
		}
		sp, err := src.Splits(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		r, err := src.Open(context.Background(), sp[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		return src, r
	}
	_, r := open(connector.Fail, "")
	got, err := readReader(t, r)
	var de *jconn.DecodeError
	if !errors.As(err, &de) || de.Offset != 2 || !slices.Equal(got, []string{"v0", "v1"}) {
		t.Fatalf("fail: %v %v", got, err)
	}
	src, r := open(connector.Skip, "")
	if got, err := readReader(t, r); err != nil || !slices.Equal(got, []string{"v0", "v1", "v3", "v5"}) || src.Skipped() != 2 {
		t.Fatalf("skip: %v %v skipped %d", got, err, src.Skipped())
	}
	_, r = open(connector.DeadLetterQueue, "lag")
	if got, err := readReader(t, r); err != nil || !slices.Equal(got, []string{"v0", "v1", "v3", "v5"}) {
		t.Fatalf("dlq: %v %v", got, err)
	}
	dl := r.(connector.DeadLetterReader).TakeDeadLetters(nil)
	if len(dl) != 2 || dl[1].Offset != 4 || string(dl[1].Value) != "bad" || dl[1].Key[0] != 4 || dl[1].Source != "in" ||
		dl[1].Split != "in-0" || dl[1].Message != "bad value" || len(dl[1].Headers) != 1 || dl[1].Timestamp != 4 {
		t.Fatalf("dead letters %+v", dl)
	}
	if err := r.(connector.CheckpointListener).CheckpointComplete(context.Background(), 3, r.Position()); err != nil {
		t.Fatal(err)
	}
	offs, err := j.GroupOffsets("lag")
	if err != nil || offs[jl.TopicPartition{Topic: "in", Partition: 0}] != 6 {
		t.Fatalf("group offsets %v %v", offs, err)
	}
}

// TestSourceLiveLag: connector.LagReader reports the reader's position and
// the partition's end (the last stable offset under read_committed), and a
// job's source vertex shows it: behind while a downstream operator holds
// the records back, 0 once it caught up.
func TestSourceLiveLag(t *testing.T) {
	ctx := context.Background()
	j := openJournal(t)
	fill(t, j, "in", 1, 10)
	src, err := jconn.NewSource(j, jconn.SourceOptions[string]{Topic: "in", Codec: codec.String{}})
	if err != nil {
		t.Fatal(err)
	}
	splits, _ := src.Splits(ctx)
	r, err := src.Open(ctx, splits[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lag := func(want connector.SplitLag) {
		t.Helper()
		got, ok := r.(connector.LagReader).SplitLag()
		if !ok || got != want {
			t.Fatalf("SplitLag %+v %v, want %+v", got, ok, want)
		}
	}
	lag(connector.SplitLag{Connector: "journal", Topic: "in", Partition: 0, Position: 0, End: 10})
	if n, err := r.Read(ctx, make([]string, 3)); n != 3 || err != nil {
		t.Fatal(n, err)
	}
	lag(connector.SplitLag{Connector: "journal", Topic: "in", Partition: 0, Position: 3, End: 10})
	if n, err := r.Read(ctx, make([]string, 100)); n != 7 || err != nil {
		t.Fatal(n, err)
	}
	lag(connector.SplitLag{Connector: "journal", Topic: "in", Partition: 0, Position: 10, End: 10})
	// An open transaction is not yet readable under read_committed: no lag.
	p, err := j.NewTransactionalProducer(ctx, "tp")
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Begin()
	if _, err := p.Append(ctx, "in", 0, jl.Record{Value: []byte("tx")}); err != nil {
		t.Fatal(err)
	}
	lag(connector.SplitLag{Connector: "journal", Topic: "in", Partition: 0, Position: 10, End: 10})
	if err := p.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if l, _ := r.(connector.LagReader).SplitLag(); l.Pending() < 1 {
		t.Fatalf("committed transaction not pending: %+v", l)
	}
	// A bounded split ends at its stop offset, whatever comes later.
	b, _ := jconn.NewSource(j, jconn.SourceOptions[string]{Topic: "in", Codec: codec.String{}, Bounded: true})
	bs, _ := b.Splits(ctx)
	br, _ := b.Open(ctx, bs[0], nil)
	defer br.Close()
	stop, _ := br.(connector.LagReader).SplitLag()
	if _, err := j.Append(ctx, "in", 0, jl.Record{Value: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	if l, _ := br.(connector.LagReader).SplitLag(); l.End != stop.End || l.Pending() != stop.End {
		t.Fatalf("bounded SplitLag %+v, want end %d", l, stop.End)
	}

	t.Run("job", func(t *testing.T) {
		const n = 1000
		fill(t, j, "job", 1, n)
		src, err := jconn.NewSource(j, jconn.SourceOptions[string]{Topic: "job", Codec: codec.String{}})
		if err != nil {
			t.Fatal(err)
		}
		// One record per read and per batch, 32 batches per channel: the
		// source reads at most a few dozen records while the gate is shut,
		// and publishes its metrics every 16 reads before it blocks.
		env := stream.NewEnvironment(stream.Options{Parallelism: 1, BatchSize: 1, ChannelCapacity: 32})
		in := stream.FromSource[string](env, src, stream.WatermarkStrategy[string]{}, "journal")
		gate := make(chan struct{})
		var once sync.Once
		t.Cleanup(func() { once.Do(func() { close(gate) }) })
		out := stream.Collect(stream.Map(in, func(s string) string { <-gate; return s }).StartNewChain())
		job, err := env.Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { job.Cancel(); _ = job.Wait() }()
		// pending is the source vertex's live lag and its split's end.
		pending := func() (int64, []connector.SplitLag) {
			for _, v := range job.View() {
				if p, ok := v.PendingRecords(); ok {
					return p, v.Operators[0].Subtasks[0].Lags
				}
			}
			return -1, nil
		}
		deadline := time.Now().Add(30 * time.Second)
		waitFor := func(what string, cond func() bool) {
			t.Helper()
			for !cond() {
				if time.Now().After(deadline) {
					p, l := pending()
					t.Fatalf("timed out waiting for %s (pending %d, lags %+v)", what, p, l)
				}
				time.Sleep(time.Millisecond) // polling interval, not a wait for an event
			}
		}
		var behind int64
		waitFor("a lag while the gate is shut", func() bool {
			p, l := pending()
			behind = p
			return len(l) == 1 && l[0].Position > 0
		})
		if p, l := pending(); p < n-100 || p >= n || l[0].End != n {
			t.Fatalf("gate shut: pending %d, lags %+v; want about %d behind", p, l, n)
		}
		once.Do(func() { close(gate) })
		waitFor("the lag to reach 0", func() bool { p, _ := pending(); return p == 0 && len(out.Values()) == n })
		if _, l := pending(); l[0].Position != n || l[0].End != n {
			t.Fatalf("caught up: lags %+v", l)
		}
		t.Logf("pending %d with the gate shut, 0 after it opened", behind)
	})
}
