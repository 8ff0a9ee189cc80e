package streamtest_test

import (
	"testing"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

type kv struct {
	K string
	V int64
}

// TestEquivalenceKeyedTimers: per-key sums emitted by event-time timers over
// generated data with bounded disorder, at parallelism 1, 2 and 4.
func TestEquivalenceKeyedTimers(t *testing.T) {
	res := streamtest.Equivalent(t, []int{1, 2, 4}, func(env *stream.Environment) *stream.Collected[kv] {
		gen := func(split int, i int64) kv {
			// Event time advances 10 ms per record with up to 30 ms disorder.
			return kv{K: string(rune('a' + (i*7+int64(split))%13)), V: i*10 - (i%4)*10}
		}
		src := stream.FromSource[kv](env, stream.GeneratorSource[kv]{NumSplits: 3, Count: 2000, Fn: gen},
			stream.WatermarkStrategy[kv]{Enabled: true, Timestamp: func(e kv) int64 { return e.V }, OutOfOrderness: 30e6}, "gen")
		sums := stream.KeyedProcess(stream.KeyBy(src, func(e kv) string { return e.K }), func() stream.KeyedProcessFunction[string, kv, kv] {
			var sum *stream.MapState[int64, int64]
			return stream.KeyedProcessFuncs[string, kv, kv]{
				OnOpen: func(ctx *stream.OpenContext) error {
					sum = stream.NewMapState[int64, int64](ctx, "sum")
					return nil
				},
				OnElement: func(ctx *stream.KeyedContext[string], e kv, _ stream.Emitter[kv]) error {
					bucket := ctx.Timestamp()/1000*1000 + 999
					s, _ := sum.Get(bucket)
					sum.Put(bucket, s+1)
					ctx.RegisterEventTimeTimer(bucket)
					return nil
				},
				OnTimerFn: func(ctx *stream.KeyedContext[string], ts int64, out stream.Emitter[kv]) error {
					s, _ := sum.Get(ts)
					sum.Remove(ts)
					out.Emit(kv{K: ctx.Key(), V: ts*1000 + s})
					return nil
				},
			}
		})
		return stream.Collect(sums)
	})
	if len(res) == 0 {
		t.Fatal("no results")
	}
}
