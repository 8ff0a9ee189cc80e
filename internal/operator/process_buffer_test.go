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

// snapFlushLog also implements SnapshotBuffer.
type snapFlushLog struct{ wmFlushLog }

func (f snapFlushLog) SnapshotBuffer(*KeyedContext[int], func(int)) error {
	*f.calls = append(*f.calls, "snapshot")
	return nil
}

// A WatermarkBuffer is told the watermark instead of being flushed at it,
// and flushed at a checkpoint barrier and at Finish; a KeyedBuffer that
// does not implement it is flushed at all three.
// A SnapshotBuffer writes its snapshot at a checkpoint barrier instead of
// being flushed there, and is flushed at Finish.
func TestKeyedProcessWatermarkBuffer(t *testing.T) {
	for _, c := range []struct {
		fn   func(*[]string) KeyedProcessFunction[int, int, int]
		want []string
	}{
		{func(l *[]string) KeyedProcessFunction[int, int, int] { return flushLog{calls: l} },
			[]string{"flush", "flush", "flush"}},
		{func(l *[]string) KeyedProcessFunction[int, int, int] { return wmFlushLog{flushLog{calls: l}} },
			[]string{"watermark 7", "flush", "flush"}},
		{func(l *[]string) KeyedProcessFunction[int, int, int] {
			return snapFlushLog{wmFlushLog{flushLog{calls: l}}}
		},
			[]string{"watermark 7", "snapshot", "flush"}},
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

// coFlushLog is a two-input keyed function that keeps records in memory
// (KeyedCoBuffer).
type coFlushLog struct{ calls *[]string }

func (coFlushLog) Open(*OpenContext) error                                     { return nil }
func (coFlushLog) ProcessElement1(*KeyedContext[int], int, Emitter[int]) error { return nil }
func (coFlushLog) ProcessElement2(*KeyedContext[int], int, Emitter[int]) error { return nil }
func (coFlushLog) OnTimer(*KeyedContext[int], int64, Emitter[int]) error       { return nil }
func (f coFlushLog) Flush(*KeyedContext[int], func(int)) error {
	*f.calls = append(*f.calls, "flush")
	return nil
}

// A KeyedCoBuffer is flushed when a checkpoint barrier passes and at
// Finish, not at a watermark.
func TestKeyedCoProcessBuffer(t *testing.T) {
	var calls []string
	backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
	o := &KeyedCoProcess[int, int, int, int]{Key1: func(v int) int { return v }, Key2: func(v int) int { return v },
		KeyCodec: codec.For[int](), Fn: coFlushLog{&calls}, Out: releasingOut{}}
	rt := &Runtime{Ctx: context.Background(), Name: "p", Parallelism: 1, MaxParallelism: base.DefaultMaxParallelism,
		KeyGroups: backend.KeyGroups(), Clock: base.NewManualClock(time.UnixMilli(0)), State: backend, Metrics: &Metrics{}}
	if err := o.Open(rt); err != nil {
		t.Fatal(err)
	}
	o.Input1().Collect(1, 1)
	o.Watermark(7)
	if len(calls) != 0 {
		t.Fatalf("flushed at a watermark: %v", calls)
	}
	if s, ok := any(o).(Snapshotter); ok { // as a checkpoint does
		if _, err := s.SnapshotState(1); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Finish(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"flush", "flush"}; !slices.Equal(calls, want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
}

// coKeyedFlushLog is a KeyedCoBuffer that also bounds its buffer
// (KeyedBuffer); full: what Full says.
type coKeyedFlushLog struct {
	coFlushLog
	full bool
}

func (f coKeyedFlushLog) Full() bool { return f.full }

type coWmFlushLog struct{ coKeyedFlushLog }

func (f coWmFlushLog) FlushWatermark(_ *KeyedContext[int], _ func(int), wm int64) error {
	*f.calls = append(*f.calls, fmt.Sprintf("watermark %d", wm))
	return nil
}

type coSnapFlushLog struct{ coWmFlushLog }

func (f coSnapFlushLog) SnapshotBuffer(*KeyedContext[int], func(int)) error {
	*f.calls = append(*f.calls, "snapshot")
	return nil
}

// A KeyedCoBuffer that is a KeyedBuffer gets the calls KeyedProcess makes
// (TestKeyedProcessWatermarkBuffer): a flush after a record when Full, at
// a watermark (FlushWatermark for a WatermarkBuffer), at a checkpoint
// barrier (SnapshotBuffer for a SnapshotBuffer) and at Finish.
func TestKeyedCoProcessKeyedBuffer(t *testing.T) {
	for _, c := range []struct {
		fn   func(*[]string) KeyedCoProcessFunction[int, int, int, int]
		want []string
	}{
		{func(l *[]string) KeyedCoProcessFunction[int, int, int, int] {
			return coKeyedFlushLog{coFlushLog{l}, false}
		}, []string{"flush", "flush", "flush"}},
		{func(l *[]string) KeyedCoProcessFunction[int, int, int, int] {
			return coKeyedFlushLog{coFlushLog{l}, true}
		}, []string{"flush", "flush", "flush", "flush", "flush"}},
		{func(l *[]string) KeyedCoProcessFunction[int, int, int, int] {
			return coWmFlushLog{coKeyedFlushLog{coFlushLog{l}, false}}
		}, []string{"watermark 7", "flush", "flush"}},
		{func(l *[]string) KeyedCoProcessFunction[int, int, int, int] {
			return coSnapFlushLog{coWmFlushLog{coKeyedFlushLog{coFlushLog{l}, false}}}
		}, []string{"watermark 7", "snapshot", "flush"}},
	} {
		var calls []string
		backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
		o := &KeyedCoProcess[int, int, int, int]{Key1: func(v int) int { return v }, Key2: func(v int) int { return v },
			KeyCodec: codec.For[int](), Fn: c.fn(&calls), Out: releasingOut{}}
		rt := &Runtime{Ctx: context.Background(), Name: "p", Parallelism: 1, MaxParallelism: base.DefaultMaxParallelism,
			KeyGroups: backend.KeyGroups(), Clock: base.NewManualClock(time.UnixMilli(0)), State: backend, Metrics: &Metrics{}}
		if err := o.Open(rt); err != nil {
			t.Fatal(err)
		}
		o.Input1().Collect(1, 1)
		o.Input2().Collect(1, 1)
		o.Watermark(7)
		if _, err := o.SnapshotState(1); err != nil {
			t.Fatal(err)
		}
		if err := o.Finish(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(calls, c.want) {
			t.Fatalf("%T: calls %v, want %v", o.Fn, calls, c.want)
		}
	}
}
