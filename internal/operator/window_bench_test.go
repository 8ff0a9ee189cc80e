package operator

import (
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
)

type winBenchEvent struct{ Key, V int64 }

type winCountAgg struct{}

func (winCountAgg) CreateAccumulator() int64             { return 0 }
func (winCountAgg) Add(_ winBenchEvent, acc int64) int64 { return acc + 1 }
func (winCountAgg) Merge(a, b int64) int64               { return a + b }
func (winCountAgg) Result(acc int64) int64               { return acc }
func winBenchKey(e winBenchEvent) int64                  { return e.Key }
func (c *winCounter) Collect(_ int64, v int64)           { c.n++; c.sum += v }

type winCounter struct{ n, sum int64 }

// BenchmarkWindowCount drives one keyed tumbling-window count (1s event-time
// windows, the incremental fast path) over 100k keys, with a watermark every
// 1000 records; the buffer/ cases with the window buffer (WindowBuffer),
// the others on the generic path. perKeyWindow is the number of records each key gets per
// window: 1 means every record creates a window (state entry and timer) that
// later fires and is cleared; "update" only adds to existing windows (the
// per-record path alone, which must not allocate).
//
// The windows' life cycle is amortised over perKeyWindow records, so measure
// with enough records to pass several windows, e.g. -benchtime=20000000x.
func BenchmarkWindowCount(b *testing.B) {
	const keys = 100_000
	for _, bc := range []struct {
		name   string
		per    int64 // records per key per window; 0: never fire
		buffer bool  // with the window buffer (typed tables)
	}{{"perKeyWindow=1", 1, false}, {"perKeyWindow=10", 10, false}, {"perKeyWindow=100", 100, false}, {"update", 0, false},
		{"buffer/perKeyWindow=1", 1, true}, {"buffer/perKeyWindow=10", 10, true}, {"buffer/update", 0, true}} {
		b.Run(bc.name, func(b *testing.B) {
			out := &winCounter{}
			size := time.Second
			if bc.per == 0 {
				size = 1000 * time.Hour
			}
			op := &KeyedWindow[int64, winBenchEvent, int64, int64]{KeyFn: winBenchKey, KeyCodec: codec.Int64{},
				Assigner: TumblingWindows{Size: size}, Contents: AggregateContents[winBenchEvent, int64, int64](winCountAgg{}, codec.Int64{}),
				Fn: PassThroughWindow[int64, int64]{}, Out: out}
			if bc.buffer {
				op.Buffer = AggregateBuffer[int64, winBenchEvent, int64, int64](op.Contents)
			}
			if err := op.Open(newTestRuntime(base.NewManualClock(time.UnixMilli(0)), nil)); err != nil {
				b.Fatal(err)
			}
			// recsPerMs makes each key get per records per 1s window.
			recsPerMs := int64(keys / 1000)
			if bc.per > 0 {
				recsPerMs *= bc.per
			}
			i := int64(0)
			step := func() {
				ts := i / recsPerMs
				op.Collect(ts, winBenchEvent{Key: i % keys, V: i})
				if i%1000 == 999 {
					op.Watermark(ts - 1)
				}
				i++
			}
			for range 2 * keys * max(bc.per, 1) { // warm up: every key has a window
				step()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				step()
			}
			b.StopTimer()
			if bc.per > 0 && out.n > 0 && out.sum/out.n != bc.per {
				b.Fatalf("%d windows fired with %d records on average, want %d", out.n, out.sum/out.n, bc.per)
			}
		})
	}
}
