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
