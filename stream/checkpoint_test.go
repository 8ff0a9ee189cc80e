package stream_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

type seqEvent struct {
	Key string
	Seq int64
	TS  int64
}

// checkpointJob: keyed sequence check (emits an alert unless seq == last+1)
// plus a 1 s tumbling window sum per key, into sink. failAt > 0 panics once
// at that record of the map (the first attempt only).
func checkpointJob(t *testing.T, dir string, par int, sink *streamtest.TxSink[string], failAt int64, failed *atomic.Bool) error {
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
	seqCheckAndSums(slow, sink)
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
			golden := streamtest.NewTxSink[string]()
			var f0 atomic.Bool
			if err := checkpointJob(t, t.TempDir(), par, golden, 0, &f0); err != nil {
				t.Fatal(err)
			}
			sink := streamtest.NewTxSink[string]()
			var failed atomic.Bool
			if err := checkpointJob(t, t.TempDir(), par, sink, 5000, &failed); err != nil {
				t.Fatal(err)
			}
			if !failed.Load() {
				t.Fatal("the failure was never injected")
			}
			want, got := slices.Clone(golden.Rows()), slices.Clone(sink.Rows())
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
			if sink.Commits() < 2 {
				t.Fatalf("only %d commits: checkpoints did not happen during the run", sink.Commits())
			}
		})
	}
}

// seqCheckAndSums is the keyed part of the exactly-once test jobs: a
// sequence check per key (an alert unless seq == last+1) and a 1 s
// tumbling-window sum per key, both into sink.
func seqCheckAndSums(in stream.Stream[seqEvent], sink *streamtest.TxSink[string]) {
	keyed := stream.KeyBy(in, func(e seqEvent) string { return e.Key })
	alerts := stream.KeyedProcess(keyed, func() stream.KeyedProcessFunction[string, seqEvent, string] { return &seqCheck{} }).UID("seq-check")
	sums := stream.WindowReduce(keyed.Window(stream.TumblingEventTimeWindows(time.Second)),
		func(a, b seqEvent) seqEvent { return seqEvent{Key: a.Key, Seq: a.Seq + b.Seq, TS: max(a.TS, b.TS)} }).UID("window-sum")
	out := alerts.Union(stream.Map(sums, func(e seqEvent) string { return fmt.Sprintf("sum %s %d", e.Key, e.Seq) }).UID("format"))
	stream.SinkTo[string](out, sink, "tx-sink")
}
