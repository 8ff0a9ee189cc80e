package stream_test

import (
	"context"
	"testing"

	"github.com/stromio/strom/stream"
)

func countFn() stream.KeyedProcessFunction[int64, event, int64] {
	var cnt *stream.ValueState[int64]
	return stream.KeyedProcessFuncs[int64, event, int64]{
		OnOpen: func(ctx *stream.OpenContext) error {
			cnt = stream.NewValueState[int64](ctx, "count")
			return nil
		},
		OnElement: func(ctx *stream.KeyedContext[int64], e event, out stream.Emitter[int64]) error {
			c, _ := cnt.Get()
			cnt.Set(c + 1)
			return nil
		},
	}
}

// BenchmarkKeyedShuffleCount: generator (2 subtasks) -> keyBy over 100k keys
// -> per-key count in ValueState (2 subtasks).
func BenchmarkKeyedShuffleCount(b *testing.B) {
	b.ReportAllocs()
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	s := stream.FromGenerator(env, int64(b.N/2), genEvent, stream.WatermarkStrategy[event]{})
	stream.Discard(stream.KeyedProcess(stream.KeyBy(s, func(e event) int64 { return e.Key }), countFn))
	c0 := cpuTime()
	b.ResetTimer()
	if err := env.Execute(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportPerCore(b, int64(b.N/2*2), cpuTime()-c0)
}

// BenchmarkHandLoopWindowCount is BenchmarkKeyedShuffleWindowCount written
// as one plain Go loop: the same generated events (both splits), a count per
// key in a map for the current 10 s window, and every count handed to a sink
// function when the window closes.
func BenchmarkHandLoopWindowCount(b *testing.B) {
	b.ReportAllocs()
	gen := func(_ int, i int64) event { return event{Key: i % 100000, Value: i, TS: i / 100} }
	emit := func(key, windowEnd, n int64) { sink += key + windowEnd + n }
	c0 := cpuTime()
	per := int64(b.N / 2)
	for split := range 2 {
		counts := map[int64]int64{}
		windowEnd := int64(10_000)
		for i := range per {
			e := gen(split, i)
			if e.TS >= windowEnd {
				for k, n := range counts {
					emit(k, windowEnd, n)
				}
				clear(counts)
				windowEnd += 10_000
			}
			counts[e.Key]++
		}
		for k, n := range counts {
			emit(k, windowEnd, n)
		}
	}
	reportPerCore(b, per*2, cpuTime()-c0)
}
