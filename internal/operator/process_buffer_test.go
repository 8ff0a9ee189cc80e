package operator

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/state"
)

// flushLog records the calls a buffering keyed function gets.
type flushLog struct {
	echoFn
	calls *[]string
}

func (f flushLog) Full() bool { return false }
func (f flushLog) Flush(*KeyedContext[int], func(int)) error {
	*f.calls = append(*f.calls, "flush")
	return nil
}

// wmFlushLog also implements WatermarkBuffer.
type wmFlushLog struct{ flushLog }

func (f wmFlushLog) FlushWatermark(_ *KeyedContext[int], _ func(int), wm int64) error {
	*f.calls = append(*f.calls, fmt.Sprintf("watermark %d", wm))
	return nil
}

// A WatermarkBuffer is told the watermark instead of being flushed at it,
// and flushed at a checkpoint barrier and at Finish; a KeyedBuffer that
// does not implement it is flushed at all three.
func TestKeyedProcessWatermarkBuffer(t *testing.T) {
	for _, c := range []struct {
		fn   func(*[]string) KeyedProcessFunction[int, int, int]
		want []string
	}{
		{func(l *[]string) KeyedProcessFunction[int, int, int] { return flushLog{calls: l} },
			[]string{"flush", "flush", "flush"}},
		{func(l *[]string) KeyedProcessFunction[int, int, int] { return wmFlushLog{flushLog{calls: l}} },
			[]string{"watermark 7", "flush", "flush"}},
	} {
		var calls []string
		backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
		o := &KeyedProcess[int, int, int]{KeyFn: func(v int) int { return v }, KeyCodec: codec.For[int](), Fn: c.fn(&calls), Out: releasingOut{}}
		rt := &Runtime{Ctx: context.Background(), Name: "p", Parallelism: 1, MaxParallelism: base.DefaultMaxParallelism,
			KeyGroups: backend.KeyGroups(), Clock: base.NewManualClock(time.UnixMilli(0)), State: backend, Metrics: &Metrics{}}
		if err := o.Open(rt); err != nil {
			t.Fatal(err)
		}
		o.Collect(1, 1)
		o.Watermark(7)
		if _, err := o.SnapshotState(1); err != nil {
			t.Fatal(err)
		}
		if err := o.Finish(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(calls, c.want) {
			t.Fatalf("calls %v, want %v", calls, c.want)
		}
	}
}
