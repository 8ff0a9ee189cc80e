package stream_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// poll waits until cond holds, failing after a generous bound.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPanicNamesOperator(t *testing.T) {
	for _, p := range []int{1, 3} {
		env := stream.NewEnvironment(stream.Options{Parallelism: p})
		s := stream.FromGenerator(env, 1000, func(_ int, i int64) int64 { return i }, stream.WatermarkStrategy[int64]{})
		s = stream.Map(s, func(v int64) int64 { return v + 1 }).Name("ok-map")
		s = stream.Map(s, func(v int64) int64 {
			if v == 500 {
				panic("bad record 500")
			}
			return v
		}).Name("boom-map")
		s = stream.Map(s, func(v int64) int64 { return v }).Name("after-map")
		stream.Discard(s)
		err := env.Execute(context.Background())
		var oe *stream.OperatorError
		if !errors.As(err, &oe) {
			t.Fatalf("p=%d: want OperatorError, got %v", p, err)
		}
		if oe.Operator != "boom-map" || !oe.Panic || !strings.Contains(err.Error(), "bad record 500") {
			t.Fatalf("p=%d: wrong attribution: %v", p, err)
		}
	}
}

func TestFlatMapPanicAfterEmitNamesOwner(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{})
	s := stream.FromSlice(env, []int{1, 2, 3})
	f := stream.FlatMap(s, func(v int, out stream.Emitter[int]) {
		out.Emit(v)
		if v == 2 {
			panic(fmt.Errorf("flatmap failed on %d", v))
		}
	}).Name("fm")
	stream.Discard(stream.Map(f, func(v int) int { return v }).Name("downstream"))
	err := env.Execute(context.Background())
	var oe *stream.OperatorError
	if !errors.As(err, &oe) || oe.Operator != "fm" {
		t.Fatalf("want failure of fm, got %v", err)
	}
}

func TestProcessErrorFailsJob(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	s := stream.FromGenerator(env, -1, func(_ int, i int64) int64 { return i }, stream.WatermarkStrategy[int64]{})
	ks := stream.KeyBy(s, func(v int64) int64 { return v % 10 })
	out := stream.KeyedProcess(ks, func() stream.KeyedProcessFunction[int64, int64, int64] {
		return stream.KeyedProcessFuncs[int64, int64, int64]{
			OnElement: func(ctx *stream.KeyedContext[int64], v int64, out stream.Emitter[int64]) error {
				if v > 5000 {
					return fmt.Errorf("value %d too large", v)
				}
				out.Emit(v)
				return nil
			},
		}
	}).Name("checker")
	stream.Discard(out)
	err := env.Execute(context.Background())
	var oe *stream.OperatorError
	if !errors.As(err, &oe) || oe.Operator != "checker" || oe.Panic || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("want checker failure, got %v", err)
	}
}

func TestCancelUnboundedJob(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	var n atomic.Int64
	s := stream.FromGenerator(env, -1, func(_ int, i int64) int64 { n.Add(1); return i }, stream.WatermarkStrategy[int64]{})
	stream.Discard(stream.KeyBy(s, func(v int64) int64 { return v }).Reduce(func(a, b int64) int64 { return a + b }))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.Execute(ctx) }()
	poll(t, "records to flow", func() bool { return n.Load() > 10000 })
	cancel()
	if err := <-done; !errors.Is(err, stream.ErrCanceled) {
		t.Fatalf("want ErrCanceled, got %v", err)
	}
}

// blockingSink blocks every write until release is closed.
type blockingSink struct {
	release chan struct{}
	written atomic.Int64
}

func (b *blockingSink) Open(context.Context, connector.SinkInfo) (connector.Writer[int64], error) {
	return b, nil
}
func (b *blockingSink) Write(int64, int64) error {
	<-b.release
	b.written.Add(1)
	return nil
}
func (b *blockingSink) Flush(context.Context) error { return nil }
func (b *blockingSink) Close() error                { return nil }

// TestBackpressureBoundsInFlight blocks the sink and checks that the source
// stops: records in flight never exceed what the bounded channels hold.
func TestBackpressureBoundsInFlight(t *testing.T) {
	const batch, capacity = 64, 4
	env := stream.NewEnvironment(stream.Options{Parallelism: 1, BatchSize: batch, ChannelCapacity: capacity})
	var generated atomic.Int64
	s := stream.FromGenerator(env, -1, func(_ int, i int64) int64 { generated.Add(1); return i }, stream.WatermarkStrategy[int64]{})
	s = stream.Map(s, func(v int64) int64 { return v }).Rebalance()
	mid := stream.Map(s, func(v int64) int64 { return v }).Rebalance()
	sink := &blockingSink{release: make(chan struct{})}
	stream.SinkTo[int64](mid, sink, "blocked")
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Two channels of capacity batches, plus one batch being built and one
	// being handled in each of the three subtasks, plus the source's read buffer.
	bound := int64(2*capacity*batch + 3*2*batch + batch)
	poll(t, "the pipeline to fill", func() bool { return generated.Load() >= int64(2*capacity*batch) })
	for range 200 {
		if g := generated.Load(); g > bound {
			t.Fatalf("source produced %d records while the sink was blocked; bound %d", g, bound)
		}
		time.Sleep(time.Millisecond)
	}
	close(sink.release)
	poll(t, "records to reach the sink", func() bool { return sink.written.Load() > bound })
	job.Cancel()
	if err := job.Wait(); !errors.Is(err, stream.ErrCanceled) {
		t.Fatalf("want ErrCanceled, got %v", err)
	}
}

// splitSource has one split per entry of data; a nil entry is an unbounded
// split that never produces.
type splitSource struct{ data [][]int64 }

func (s splitSource) Splits(context.Context) ([]connector.Split, error) {
	var out []connector.Split
	for i := range s.data {
		out = append(out, connector.Split{ID: fmt.Sprint(i), Data: []byte{byte(i)}})
	}
	return out, nil
}
func (s splitSource) Bounded() bool { return false }
func (s splitSource) Open(_ context.Context, sp connector.Split, _ []byte) (connector.Reader[int64], error) {
	return &splitReader{data: s.data[sp.Data[0]]}, nil
}

type splitReader struct {
	data []int64
	next int
}

func (r *splitReader) Read(_ context.Context, buf []int64) (int, error) {
	n := copy(buf, r.data[r.next:])
	r.next += n
	return n, nil
}
func (r *splitReader) Position() []byte { return nil }
func (r *splitReader) Close() error     { return nil }

var _ = io.EOF

// recordsIn sums the records-in metric of the named operator.
func recordsIn(job *stream.Job, op string) int64 {
	var n int64
	for _, v := range job.View() {
		for _, o := range v.Operators {
			if o.Name == op {
				for _, s := range o.Subtasks {
					n += s.RecordsIn
				}
			}
		}
	}
	return n
}

// TestIdleSplitDoesNotStallWatermark: split 1 never produces; with idleness
// configured, event time advances on split 0's data once the manual clock
// passes the idle timeout, and an event-time timer fires.
func TestIdleSplitDoesNotStallWatermark(t *testing.T) {
	for _, idleness := range []time.Duration{0, time.Second} {
		clock := stream.NewManualClock(time.UnixMilli(0))
		env := stream.NewEnvironment(stream.Options{Parallelism: 1, Clock: clock})
		src := splitSource{data: [][]int64{{1000, 2000, 3000, 10000}, nil}}
		s := stream.FromSource[int64](env, src, stream.WatermarkStrategy[int64]{
			Enabled: true, Timestamp: func(v int64) int64 { return v }, Idleness: idleness}, "src")
		fired := stream.Collect(stream.KeyedProcess(stream.KeyBy(s, func(int64) int { return 0 }),
			func() stream.KeyedProcessFunction[int, int64, int64] {
				return stream.KeyedProcessFuncs[int, int64, int64]{
					OnElement: func(ctx *stream.KeyedContext[int], v int64, out stream.Emitter[int64]) error {
						if v == 1000 {
							ctx.RegisterEventTimeTimer(5000)
						}
						return nil
					},
					OnTimerFn: func(ctx *stream.KeyedContext[int], ts int64, out stream.Emitter[int64]) error {
						out.Emit(ts)
						return nil
					},
				}
			}))
		job, err := env.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		poll(t, "records read", func() bool { return recordsIn(job, "src") == 4 })
		clock.Advance(2 * time.Second)
		if idleness > 0 {
			poll(t, "timer to fire", func() bool { return len(fired.Values()) == 1 })
		} else {
			// Without idleness the silent split holds event time back.
			for range 100 {
				clock.Advance(10 * time.Millisecond)
				time.Sleep(time.Millisecond)
			}
			if n := len(fired.Values()); n != 0 {
				t.Fatalf("timer fired without idleness: %v", fired.Values())
			}
		}
		job.Cancel()
		if err := job.Wait(); !errors.Is(err, stream.ErrCanceled) {
			t.Fatal(err)
		}
		if idleness > 0 && fired.Values()[0] != 5000 {
			t.Fatalf("fired %v", fired.Values())
		}
	}
}

// TestProcessingTimeTimers drives processing-time timers with a manual clock.
func TestProcessingTimeTimers(t *testing.T) {
	clock := stream.NewManualClock(time.UnixMilli(1_000_000))
	env := stream.NewEnvironment(stream.Options{Parallelism: 2, Clock: clock})
	src := splitSource{data: [][]int64{{1, 2, 3}, {4, 5}}}
	s := stream.FromSource[int64](env, src, stream.WatermarkStrategy[int64]{}, "src")
	out := stream.Collect(stream.KeyedProcess(stream.KeyBy(s, func(v int64) int64 { return v }),
		func() stream.KeyedProcessFunction[int64, int64, string] {
			return stream.KeyedProcessFuncs[int64, int64, string]{
				OnElement: func(ctx *stream.KeyedContext[int64], v int64, out stream.Emitter[string]) error {
					ctx.RegisterProcessingTimeTimer(ctx.ProcessingTime() + 100*v)
					return nil
				},
				OnTimerFn: func(ctx *stream.KeyedContext[int64], ts int64, out stream.Emitter[string]) error {
					out.Emit(fmt.Sprintf("key %d at %d", ctx.Key(), ts-1_000_000))
					return nil
				},
			}
		}))
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Let every record be registered before time moves (timers are relative
	// to the registration time, which is 1_000_000 for all of them).
	poll(t, "all records processed", func() bool { return recordsIn(job, "keyed-process") == 5 })
	clock.Advance(250 * time.Millisecond)
	poll(t, "two timers", func() bool { return len(out.Values()) == 2 })
	clock.Advance(time.Second)
	poll(t, "all timers", func() bool { return len(out.Values()) == 5 })
	job.Cancel()
	_ = job.Wait()
	got := map[string]bool{}
	for _, v := range out.Values() {
		got[v] = true
	}
	for _, want := range []string{"key 1 at 100", "key 2 at 200", "key 5 at 500"} {
		if !got[want] {
			t.Fatalf("missing %q in %v", want, out.Values())
		}
	}
}

// TestLatencyMarkers: with LatencyInterval set, markers cross a shuffle and
// are measured where the data leaves the job.
func TestLatencyMarkers(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2, LatencyInterval: time.Millisecond})
	s := stream.FromGenerator(env, -1, func(_ int, i int64) int64 { return i }, stream.WatermarkStrategy[int64]{})
	stream.Discard(stream.KeyBy(stream.Map(s, func(v int64) int64 { return v * 2 }), func(v int64) int64 { return v }).Reduce(func(a, b int64) int64 { return a + b }))
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "latency markers at the sink", func() bool { _, _, n := job.Latency(); return n >= 20 })
	job.Cancel()
	_ = job.Wait()
	p50, p99, _ := job.Latency()
	if p50 <= 0 || p99 < p50 {
		t.Fatalf("p50 %v p99 %v", p50, p99)
	}
}
