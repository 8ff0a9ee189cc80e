package operator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/state"
	"pgregory.net/rapid"
)

// TestWindowFastPathEquivalence: the fast path (default trigger of a
// non-merging assigner, timers registered only when a window's contents are
// created) gives the same transcript as the general path with the same
// trigger set explicitly, on random inputs with lateness.
func TestWindowFastPathEquivalence(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		proc := rapid.Bool().Draw(t, "processing")
		assigner := rapid.SampledFrom([]string{
			"assigner=tumbling size=1s", "assigner=tumbling size=700ms offset=100ms",
			"assigner=sliding size=1s slide=250ms", "assigner=sliding size=300ms slide=1s",
		}).Draw(t, "assigner")
		cfg := "config " + assigner + " " + rapid.SampledFrom([]string{"fn=sum", "fn=list-state"}).Draw(t, "fn")
		trig := "event"
		if proc {
			cfg += " time=processing"
			trig = "processing"
		} else {
			cfg += fmt.Sprintf(" lateness=%dms late-side=true", rapid.SampledFrom([]int{0, 1, 400, 1500}).Draw(t, "lateness"))
		}
		cmds := []string{cfg}
		wm := int64(-500)
		for i := range rapid.IntRange(1, 200).Draw(t, "n") {
			switch rapid.IntRange(0, 9).Draw(t, fmt.Sprint("op", i)) {
			case 0, 1:
				if proc {
					cmds = append(cmds, fmt.Sprintf("advance-clock %dms", rapid.IntRange(1, 700).Draw(t, fmt.Sprint("d", i))))
				} else {
					wm += int64(rapid.IntRange(1, 700).Draw(t, fmt.Sprint("d", i)))
					cmds = append(cmds, fmt.Sprintf("watermark %d", wm))
				}
			case 2:
				cmds = append(cmds, "state")
			default:
				ts := wm + int64(rapid.IntRange(-1500, 1500).Draw(t, fmt.Sprint("ts", i)))
				key := rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, fmt.Sprint("k", i))
				cmds = append(cmds, fmt.Sprintf("record key=%s ts=%d v=%d", key, ts, i))
			}
		}
		cmds = append(cmds, "watermark max", "advance-clock 10s", "state", "metrics")
		fast := winRunTrace(t, cmds)
		slow := append([]string{cmds[0] + " trigger=" + trig}, cmds[1:]...)
		general := winRunTrace(t, slow)
		if fast != general {
			t.Fatalf("fast path and general path differ\n--- fast\n%s--- general\n%s", fast, general)
		}
		if !strings.Contains(fast, "entries=0 bytes=0 event-timers=0 proc-timers=0\nmetrics") {
			t.Fatalf("state left at the end:\n%s", fast)
		}
	})
}

func newTestRuntime(clock base.Clock, sides map[string]any) *Runtime {
	backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
	return &Runtime{Ctx: context.Background(), Name: "window", Parallelism: 1,
		MaxParallelism: base.DefaultMaxParallelism, KeyGroups: backend.KeyGroups(), Clock: clock,
		State: backend, Metrics: &Metrics{}, Sides: sides}
}

func catchPanic(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

func TestWindowRecordWithoutTimestamp(t *testing.T) {
	op := &KeyedWindow[string, winRec, int64, string]{KeyFn: winKeyOf, KeyCodec: codec.String{},
		Assigner: TumblingWindows{Size: time.Second}, Contents: AggregateContents[winRec, int64, int64](winSumAgg{}, nil),
		Fn: winSumFn{}, Out: Discard[string]{}}
	if err := op.Open(newTestRuntime(base.NewManualClock(time.UnixMilli(0)), nil)); err != nil {
		t.Fatal(err)
	}
	r := catchPanic(func() { op.Collect(base.MinTime, winRec{Key: "a", V: 1}) })
	var oe *base.OperatorError
	if err, ok := r.(error); !ok || !errors.As(err, &oe) || !strings.Contains(oe.Error(), "without timestamp") {
		t.Fatalf("got %v, want an operator error about the missing timestamp", r)
	}
}

// nonMerging is a trigger that cannot merge.
type nonMerging struct{ EventTimeTrigger }

func (nonMerging) CanMerge() bool { return false }

func TestWindowOpenErrors(t *testing.T) {
	clock := base.NewManualClock(time.UnixMilli(0))
	for _, tc := range []struct {
		name  string
		op    *KeyedWindow[string, winRec, int64, string]
		sides map[string]any
		want  string
	}{
		{"trigger cannot merge", &KeyedWindow[string, winRec, int64, string]{Assigner: SessionWindows{Gap: time.Second}, Trigger: nonMerging{}}, nil, "cannot merge"},
		{"invalid assigner", &KeyedWindow[string, winRec, int64, string]{Assigner: TumblingWindows{Size: time.Microsecond}}, nil, ">= 1ms"},
		{"negative lateness", &KeyedWindow[string, winRec, int64, string]{Assigner: TumblingWindows{Size: time.Second}, AllowedLateness: -1}, nil, "negative"},
		{"late side output type", &KeyedWindow[string, winRec, int64, string]{Assigner: TumblingWindows{Size: time.Second}, LateTag: "late"},
			map[string]any{"late": Collector[string](Discard[string]{})}, "carries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := tc.op
			op.KeyFn, op.KeyCodec, op.Fn, op.Out = winKeyOf, codec.String{}, winSumFn{}, Discard[string]{}
			op.Contents = AggregateContents[winRec, int64, int64](winSumAgg{}, nil)
			err := op.Open(newTestRuntime(clock, tc.sides))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

type perWindowFn struct{ st *ValueState[int64] }

func (f *perWindowFn) Open(ctx *OpenContext) error {
	f.st = NewValueState[int64](ctx.KC, "pw", codec.Int64{}, TTL{})
	return nil
}

func (f *perWindowFn) Process(ctx *WindowContext[string], _ []int64, _ Emitter[string]) error {
	ctx.WindowState(f.st)
	return nil
}

func TestWindowPerWindowStateWithSessionsFails(t *testing.T) {
	op := &KeyedWindow[string, winRec, int64, string]{KeyFn: winKeyOf, KeyCodec: codec.String{},
		Assigner: SessionWindows{Gap: time.Second}, Contents: AggregateContents[winRec, int64, int64](winSumAgg{}, nil),
		Fn: &perWindowFn{}, Out: Discard[string]{}}
	if err := op.Open(newTestRuntime(base.NewManualClock(time.UnixMilli(0)), nil)); err != nil {
		t.Fatal(err)
	}
	op.Collect(100, winRec{Key: "a", V: 1})
	r := catchPanic(func() { op.Watermark(base.MaxTime) })
	if err, ok := r.(error); !ok || !strings.Contains(err.Error(), "per-window state is not supported") {
		t.Fatalf("got %v", r)
	}
}

// thresholdTrigger fires and purges when an element's value is >= 100 or
// the window received 3 elements; it looks at elements and keeps a count.
type thresholdTrigger struct{ NeverTrigger }

func (thresholdTrigger) OnElement(_ int64, _ Window, ctx *TriggerContext) TriggerResult {
	n := ctx.Int64State("n")
	c, _ := n.Get()
	c++
	if ctx.Element().(winRec).V >= 100 || c >= 3 {
		n.Clear()
		return TriggerFireAndPurge
	}
	n.Set(c)
	return TriggerContinue
}

func (thresholdTrigger) Clear(_ Window, ctx *TriggerContext) { ctx.Int64State("n").Clear() }

func TestWindowCustomTrigger(t *testing.T) {
	var got []string
	out := winCollectFunc[string](func(ts int64, v string) { got = append(got, v) })
	op := &KeyedWindow[string, winRec, int64, string]{KeyFn: winKeyOf, KeyCodec: codec.String{},
		Assigner: TumblingWindows{Size: time.Second}, Trigger: thresholdTrigger{},
		Contents: AggregateContents[winRec, int64, int64](winSumAgg{}, nil), Fn: winSumFn{}, Out: out}
	rt := newTestRuntime(base.NewManualClock(time.UnixMilli(0)), nil)
	if err := op.Open(rt); err != nil {
		t.Fatal(err)
	}
	for i, v := range []int64{1, 2, 3, 4, 200, 5} {
		op.Collect(int64(i*10), winRec{Key: "a", V: v})
	}
	op.Watermark(base.MaxTime)
	want := []string{"key=a window=[0,1000) v=6", "key=a window=[0,1000) v=204"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if n := winStateEntries(rt.State); n != 0 {
		t.Fatalf("%d state entries left", n)
	}
}
