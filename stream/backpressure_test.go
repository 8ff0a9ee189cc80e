package stream_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
)

// slowSink is a sink whose writers sleep per record while slow is set: the
// RELIABILITY B1 "slow sink". It keeps the records it got.
type slowSink struct {
	slow    atomic.Bool
	perRec  time.Duration
	written atomic.Int64
	mu      sync.Mutex
	got     []string
}

func (s *slowSink) Open(context.Context, connector.SinkInfo) (connector.Writer[string], error) {
	return &slowWriter{s: s}, nil
}

type slowWriter struct{ s *slowSink }

func (w *slowWriter) Write(v string, _ int64) error {
	if w.s.slow.Load() {
		time.Sleep(w.s.perRec)
	}
	w.s.mu.Lock()
	w.s.got = append(w.s.got, v)
	w.s.mu.Unlock()
	w.s.written.Add(1)
	return nil
}
func (w *slowWriter) Flush(context.Context) error { return nil }
func (w *slowWriter) Close() error                { return nil }

type bpEvent struct {
	Key     int
	Seq     int64
	Payload string // makes records that pile up visible in the heap
}

// bpCount counts the records per key in ValueState and emits "key:count".
type bpCount struct{ n *stream.ValueState[int64] }

func (f *bpCount) Open(ctx *stream.OpenContext) error {
	f.n = stream.NewValueState[int64](ctx, "n")
	return nil
}

func (f *bpCount) ProcessElement(_ *stream.KeyedContext[int], e bpEvent, out stream.Emitter[string]) error {
	n, _ := f.n.Get()
	n++
	f.n.Set(n)
	out.Emit(fmt.Sprintf("%d:%d", e.Key, n))
	return nil
}

func (f *bpCount) OnTimer(*stream.KeyedContext[int], int64, stream.Emitter[string]) error { return nil }

// TestBackpressureSlowSink is RELIABILITY B1 (short tier): the sink sleeps
// 1 ms per record while the generator could deliver millions per second.
// While the sink is slow:
//
//  1. the source is throttled: records generated minus records that reached
//     the sink never exceed what the channels, batches and buffers between
//     them can hold;
//  2. the heap does not grow with the backlog the source could produce;
//  3. checkpoints (every 100 ms, aligned barriers queued behind the batches)
//     keep completing, and none fails.
//
// 4. Then the sink speeds up: the job drains and the output is exactly the
// expected one. Asserts are on counts and bounds only, never on speed.
func TestBackpressureSlowSink(t *testing.T) {
	const (
		par       = 2
		batch     = 32
		capacity  = 4
		keys      = 50
		total     = 100_000 // records per source subtask
		payload   = 2 << 10
		minChecks = 3
	)
	// Records can be between the generator and the sink in: each source
	// subtask's read buffer (one batch), and per channel (par x par: the
	// keyBy is all-to-all) its queued batches, the batch the consumer
	// works on, the producer's open batch and the one it is blocked
	// pushing. Events other than records only take room away.
	inFlight := int64(par*batch + par*par*(capacity+3)*batch)

	sink := &slowSink{perRec: time.Millisecond}
	sink.slow.Store(true)
	var generated atomic.Int64
	pad := strings.Repeat("x", payload)
	env := stream.NewEnvironment(stream.Options{Parallelism: par, BatchSize: batch, ChannelCapacity: capacity,
		Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), Interval: 100 * time.Millisecond, Logf: t.Logf}})
	src := stream.FromGenerator(env, total, func(split int, seq int64) bpEvent {
		generated.Add(1)
		// A fresh payload per record, as a real source allocates them.
		return bpEvent{Key: int(seq % keys), Seq: seq, Payload: pad[:payload-1] + string(rune('a'+split))}
	}, stream.WatermarkStrategy[bpEvent]{})
	keyed := stream.KeyBy(src, func(e bpEvent) int { return e.Key })
	counts := stream.KeyedProcess(keyed, func() stream.KeyedProcessFunction[int, bpEvent, string] { return &bpCount{} })
	stream.SinkTo[string](counts, sink, "slow-sink")

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapAlloc

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job, err := env.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer job.Cancel()

	// Slow phase: at least 1.5 s and minChecks periodic checkpoints (at
	// most 10 s: a job whose checkpoints stall fails below).
	var maxGap int64
	var maxHeap uint64
	samples := 0
	start := time.Now()
	for {
		time.Sleep(20 * time.Millisecond)
		sunk := sink.written.Load() // first: generated only grows meanwhile
		gap := generated.Load() - sunk
		maxGap = max(maxGap, gap)
		if samples%5 == 0 {
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapAlloc)
		}
		samples++
		cs := job.Checkpoints()
		if cs.Failed > 0 {
			t.Fatalf("checkpoint failed under backpressure: %s", cs.LastFailure)
		}
		el := time.Since(start)
		if el >= 1500*time.Millisecond && cs.Periodic >= minChecks || el >= 10*time.Second {
			break
		}
	}
	cs := job.Checkpoints()
	genSlow, sunkSlow := generated.Load(), sink.written.Load()
	t.Logf("slow phase: %v, generated %d, reached the sink %d, max in flight %d (bound %d), heap %d -> max %d KiB, checkpoints %d (mean %v, max %v)",
		time.Since(start).Round(time.Millisecond), genSlow, sunkSlow, maxGap, inFlight, heapBefore>>10, maxHeap>>10,
		cs.Periodic, cs.TotalDuration/time.Duration(max(cs.Periodic, 1)), cs.MaxDuration)

	// (1) Throttled: the source is far from done and bounded by the sink.
	if maxGap > inFlight {
		t.Errorf("source not throttled: %d records generated but not yet at the sink, bound %d", maxGap, inFlight)
	}
	if genSlow >= par*total/2 {
		t.Errorf("source generated %d of %d records while the sink took %d: not throttled", genSlow, par*total, sunkSlow)
	}
	// (2) Memory: an unthrottled source would have buffered about
	// par*total*payload = 400 MiB by now; allow the in-flight records plus
	// a generous 48 MiB for garbage not yet collected and the runtime.
	if limit := heapBefore + uint64(inFlight)*payload + 48<<20; maxHeap > limit {
		t.Errorf("heap grew under backpressure: max %d MiB, limit %d MiB", maxHeap>>20, limit>>20)
	}
	// (3) Checkpoints complete behind the queued batches.
	if cs.Periodic < minChecks || cs.Failed > 0 {
		t.Errorf("under backpressure %d checkpoints completed (want >= %d), %d failed (%s)", cs.Periodic, minChecks, cs.Failed, cs.LastFailure)
	}

	// (4) Speed up; the backlog drains and the output is exact.
	sink.slow.Store(false)
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	if cs := job.Checkpoints(); cs.Failed > 0 {
		t.Errorf("%d checkpoints failed (%s)", cs.Failed, cs.LastFailure)
	}
	var want []string
	perKey := make([]int64, keys)
	for range par {
		for seq := range int64(total) {
			perKey[seq%keys]++
		}
	}
	for k, n := range perKey {
		for i := int64(1); i <= n; i++ {
			want = append(want, fmt.Sprintf("%d:%d", k, i))
		}
	}
	got := slices.Clone(sink.got)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("output: %d records, want %d (first difference: %s)", len(got), len(want), firstDiff(got, want))
	}
}
