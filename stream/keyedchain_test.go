package stream_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

// keyedChainJob: generator -> map (counts, optionally slow) -> keyBy ->
// 1 s tumbling window sum -> format -> transactional sink. Every keyBy
// consumer has a single producer, so at parallelism 1 the window is chained
// to the map unless noKeyedChain.
func keyedChainJob(dir, from string, par int, noKeyedChain bool, sink *streamtest.TxSink[string], seen *atomic.Int64, slow bool, logf func(string, ...any)) *stream.Environment {
	env := stream.NewEnvironment(stream.Options{Parallelism: par, DisableKeyedChaining: noKeyedChain,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 20 * time.Millisecond, FromSavepoint: from, Logf: logf}})
	gen := stream.GeneratorSource[seqEvent]{NumSplits: spSplits, Count: spKeys * spPerKey, Fn: func(split int, i int64) seqEvent {
		return seqEvent{Key: fmt.Sprintf("s%d-k%02d", split, i%spKeys), Seq: i/spKeys + 1, TS: 1_000_000 + i*5}
	}}
	src := stream.FromSource[seqEvent](env, gen, stream.WatermarkStrategy[seqEvent]{Enabled: true, Timestamp: func(e seqEvent) int64 { return e.TS }}, "gen")
	mapped := stream.Map(src, func(e seqEvent) seqEvent {
		countSlow(seen, e, slow)
		return e
	}).UID("slow-map")
	sums := stream.WindowReduce(stream.KeyBy(mapped, func(e seqEvent) string { return e.Key }).Window(stream.TumblingEventTimeWindows(time.Second)),
		func(a, b seqEvent) seqEvent { return seqEvent{Key: a.Key, Seq: a.Seq + b.Seq, TS: max(a.TS, b.TS)} }).UID("window-sum")
	stream.SinkTo[string](stream.Map(sums, func(e seqEvent) string { return fmt.Sprintf("sum %s %d", e.Key, e.Seq) }).UID("format"), sink, "tx-sink")
	return env
}

// TestKeyedChainPlan: at parallelism 1 the keyBy is chained (one vertex)
// unless DisableKeyedChaining; at parallelism 2 it stays a hash edge.
func TestKeyedChainPlan(t *testing.T) {
	for _, c := range []struct {
		par      int
		off      bool
		vertices int
	}{{1, false, 1}, {1, true, 2}, {2, false, 2}} {
		var seen atomic.Int64
		sink := streamtest.NewTxSink[string]()
		job, err := keyedChainJob(t.TempDir(), "", c.par, c.off, sink, &seen, false, t.Logf).Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		view := job.View()
		if err := job.Wait(); err != nil {
			t.Fatal(err)
		}
		if len(view) != c.vertices {
			var names []string
			for _, v := range view {
				names = append(names, v.Name)
			}
			t.Fatalf("parallelism %d, DisableKeyedChaining %v: vertices %q, want %d", c.par, c.off, names, c.vertices)
		}
		if c.vertices == 1 && len(view[0].Operators) != 5 {
			t.Fatalf("chained vertex %q has %d operators, want 5 (metrics per operator)", view[0].Name, len(view[0].Operators))
		}
		if seen.Load() != spTotal {
			t.Fatalf("parallelism %d: %d records, want %d", c.par, seen.Load(), spTotal)
		}
	}
}

// TestKeyedChainRescale: a savepoint of the chained plan (parallelism 1)
// restores at parallelism 2 (hash edge) and at 1 without keyed chaining, and
// a savepoint taken at parallelism 2 restores into the chained plan: keyed
// state is kept per operator uid and key group, not per chain. Output
// before the stop plus after the restore equals the fault-free run.
func TestKeyedChainRescale(t *testing.T) {
	golden := streamtest.NewTxSink[string]()
	var n atomic.Int64
	if err := keyedChainJob(t.TempDir(), "", 2, false, golden, &n, false, t.Logf).Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := sortedRows(golden.Rows())
	if len(want) < spKeys*spSplits {
		t.Fatalf("golden run has only %d rows", len(want))
	}
	stop := func(par int, before *streamtest.TxSink[string]) string {
		var seen atomic.Int64
		env := keyedChainJob(t.TempDir(), "", par, false, before, &seen, true, t.Logf)
		done := make(chan error, 1)
		go func() { done <- env.Execute(context.Background()) }()
		for seen.Load() < spTotal/3 || before.Commits() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		spDir := filepath.Join(t.TempDir(), "sp")
		if _, err := env.Savepoint(context.Background(), spDir, true); err != nil {
			t.Fatalf("savepoint: %v", err)
		}
		if err := <-done; !errors.Is(err, stream.ErrStopped) {
			t.Fatalf("Execute after stop-with-savepoint: %v, want ErrStopped", err)
		}
		if seen.Load() >= spTotal {
			t.Fatalf("the job read all %d records before the savepoint", seen.Load())
		}
		return spDir
	}
	for _, c := range []struct {
		from, to int
		off      bool
	}{{1, 2, false}, {1, 1, true}, {2, 1, false}} {
		t.Run(fmt.Sprintf("%d->%d,off=%v", c.from, c.to, c.off), func(t *testing.T) {
			before := streamtest.NewTxSink[string]()
			spDir := stop(c.from, before)
			sink := before.Clone()
			var seen atomic.Int64
			if err := keyedChainJob(t.TempDir(), spDir, c.to, c.off, sink, &seen, false, t.Logf).Execute(context.Background()); err != nil {
				t.Fatal(err)
			}
			if seen.Load() >= spTotal {
				t.Fatalf("the restored job read %d records: it started from the beginning", seen.Load())
			}
			if got := sortedRows(sink.Rows()); !slices.Equal(got, want) {
				t.Fatalf("output after %d -> %d differs: %d rows, want %d", c.from, c.to, len(got), len(want))
			}
		})
	}
}
