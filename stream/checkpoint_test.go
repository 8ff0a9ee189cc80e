package stream_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
)

// memTxSink is a two-phase-commit sink for tests: writers stage records per
// checkpoint, Commit makes them visible exactly once.
type memTxSink struct {
	mu        sync.Mutex
	staged    map[string][]string // committable id -> records
	committed map[string]bool
	visible   []string
	commits   int
}

func newMemTxSink() *memTxSink {
	return &memTxSink{staged: map[string][]string{}, committed: map[string]bool{}}
}

func (s *memTxSink) Open(_ context.Context, info connector.SinkInfo) (connector.Writer[string], error) {
	return &memTxWriter{s: s, subtask: info.Subtask}, nil
}

func (s *memTxSink) Commit(_ context.Context, cs [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range txIDs(cs) {
		if s.committed[id] {
			continue
		}
		recs, ok := s.staged[id]
		if !ok {
			return fmt.Errorf("transaction %s is neither staged nor committed", id)
		}
		s.visible = append(s.visible, recs...)
		s.committed[id] = true
		delete(s.staged, id)
		s.commits++
	}
	return nil
}

func (s *memTxSink) AbortExcept(_ context.Context, keep [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := txIDs(keep)
	for id := range s.staged {
		if !slices.Contains(kept, id) {
			delete(s.staged, id)
		}
	}
	return nil
}

type memTxWriter struct {
	pending []string // transactions handed over, not seen committed
	s       *memTxSink
	subtask int
	buf     []string
	n       int
}

func (w *memTxWriter) Write(v string, _ int64) error { w.buf = append(w.buf, v); return nil }
func (w *memTxWriter) Flush(context.Context) error   { return nil }
func (w *memTxWriter) Close() error                  { return nil }
func (w *memTxWriter) PreCommit(_ context.Context, id int64) ([]byte, error) {
	// Like the file sink, a writer lists again the transactions it handed
	// over that are not committed yet: the checkpoint that carried them may
	// have failed, and the engine does not carry committables forward.
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	pending := w.pending[:0]
	for _, tx := range w.pending {
		if !w.s.committed[tx] {
			pending = append(pending, tx)
		}
	}
	w.pending = pending
	if len(w.buf) > 0 {
		w.n++
		tx := fmt.Sprintf("%d-%d-%d-%p", id, w.subtask, w.n, w)
		w.s.staged[tx] = w.buf
		w.buf = nil
		w.pending = append(w.pending, tx)
	}
	if len(w.pending) == 0 {
		return nil, nil
	}
	return []byte(strings.Join(w.pending, ",")), nil
}

type seqEvent struct {
	Key string
	Seq int64
	TS  int64
}

// checkpointJob: keyed sequence check (emits an alert unless seq == last+1)
// plus a 1 s tumbling window sum per key, into sink. failAt > 0 panics once
// at that record of the map (the first attempt only).
func checkpointJob(t *testing.T, dir string, par int, sink *memTxSink, failAt int64, failed *atomic.Bool) error {
	const keys, perKey = 20, 400
	env := stream.NewEnvironment(stream.Options{Parallelism: par,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 20 * time.Millisecond, Logf: t.Logf},
		Restart:     &stream.RestartStrategy{MaxAttempts: 3}})
	src := stream.FromGenerator(env, keys*perKey, func(split int, i int64) seqEvent {
		return seqEvent{Key: fmt.Sprintf("s%d-k%02d", split, i%keys), Seq: i/keys + 1, TS: 1_000_000 + i*5}
	}, stream.WatermarkStrategy[seqEvent]{Enabled: true, Timestamp: func(e seqEvent) int64 { return e.TS }})
	var seen atomic.Int64
	slow := stream.Map(src, func(e seqEvent) seqEvent {
		n := seen.Add(1)
		if n%50 == 0 {
			time.Sleep(time.Millisecond) // give checkpoints time to happen
		}
		if failAt > 0 && n == failAt && failed.CompareAndSwap(false, true) {
			panic("injected failure")
		}
		return e
	})
	keyed := stream.KeyBy(slow, func(e seqEvent) string { return e.Key })
	alerts := stream.KeyedProcess(keyed, func() stream.KeyedProcessFunction[string, seqEvent, string] { return &seqCheck{} })
	sums := stream.WindowReduce(keyed.Window(stream.TumblingEventTimeWindows(time.Second)),
		func(a, b seqEvent) seqEvent { return seqEvent{Key: a.Key, Seq: a.Seq + b.Seq, TS: max(a.TS, b.TS)} })
	out := alerts.Union(stream.Map(sums, func(e seqEvent) string { return fmt.Sprintf("sum %s %d", e.Key, e.Seq) }))
	stream.SinkTo[string](out, sink, "tx-sink")
	return env.Execute(context.Background())
}

type seqCheck struct{ last *stream.ValueState[int64] }

func (f *seqCheck) Open(ctx *stream.OpenContext) error {
	f.last = stream.NewValueState[int64](ctx, "last")
	return nil
}

func (f *seqCheck) ProcessElement(ctx *stream.KeyedContext[string], e seqEvent, out stream.Emitter[string]) error {
	last, _ := f.last.Get()
	if e.Seq != last+1 {
		out.Emit(fmt.Sprintf("ALERT %s: %d after %d", e.Key, e.Seq, last))
	}
	f.last.Set(e.Seq)
	return nil
}

func (f *seqCheck) OnTimer(*stream.KeyedContext[string], int64, stream.Emitter[string]) error {
	return nil
}

// TestCheckpointRestartExactlyOnce: a job that fails once in the middle and
// restarts from its latest checkpoint commits exactly the output of a run
// without the failure (0 lost, 0 duplicated, no sequence alert).
func TestCheckpointRestartExactlyOnce(t *testing.T) {
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprint("p=", par), func(t *testing.T) {
			golden := newMemTxSink()
			var f0 atomic.Bool
			if err := checkpointJob(t, t.TempDir(), par, golden, 0, &f0); err != nil {
				t.Fatal(err)
			}
			sink := newMemTxSink()
			var failed atomic.Bool
			if err := checkpointJob(t, t.TempDir(), par, sink, 5000, &failed); err != nil {
				t.Fatal(err)
			}
			if !failed.Load() {
				t.Fatal("the failure was never injected")
			}
			want, got := slices.Clone(golden.visible), slices.Clone(sink.visible)
			sort.Strings(want)
			sort.Strings(got)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("committed output differs from the fault-free run: %d rows, want %d\n got %.20q\nwant %.20q", len(got), len(want), got, want)
			}
			for _, r := range got {
				if len(r) > 5 && r[:5] == "ALERT" {
					t.Fatalf("sequence alert: %s", r)
				}
			}
			if sink.commits < 2 {
				t.Fatalf("only %d commits: checkpoints did not happen during the run", sink.commits)
			}
		})
	}
}

// txIDs splits committables (comma-separated transaction ids).
func txIDs(cs [][]byte) []string {
	var ids []string
	for _, c := range cs {
		if len(c) > 0 {
			ids = append(ids, strings.Split(string(c), ",")...)
		}
	}
	return ids
}
