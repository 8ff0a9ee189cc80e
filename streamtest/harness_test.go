package streamtest_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

type reading struct {
	Sensor string
	Value  int
}

var lateTag = stream.NewOutputTag[reading]("late")

// alertFn sums values per sensor and emits the sum when the watermark passes
// the event-time timer set at the first reading + 10; readings behind the
// watermark go to the "late" side output; a processing-time timer reports
// "idle" 1 minute after the last reading.
func alertFn() stream.KeyedProcessFunction[string, reading, string] {
	var sum *stream.ValueState[int]
	return stream.KeyedProcessFuncs[string, reading, string]{
		OnOpen: func(ctx *stream.OpenContext) error {
			sum = stream.NewValueState[int](ctx, "sum")
			return nil
		},
		OnElement: func(ctx *stream.KeyedContext[string], r reading, out stream.Emitter[string]) error {
			if ctx.Timestamp() <= ctx.CurrentWatermark() {
				lateTag.Emit(&ctx.Context, r)
				return nil
			}
			s, ok := sum.Get()
			if !ok {
				ctx.RegisterEventTimeTimer(ctx.Timestamp() + 10)
			}
			sum.Set(s + r.Value)
			ctx.RegisterProcessingTimeTimer(ctx.ProcessingTime() + 60_000)
			return nil
		},
		OnTimerFn: func(ctx *stream.KeyedContext[string], ts int64, out stream.Emitter[string]) error {
			if ctx.TimeDomain() == stream.ProcessingTime {
				out.Emit(fmt.Sprintf("%s idle at %d", ctx.Key(), ts))
				return nil
			}
			s, _ := sum.Get()
			sum.Clear()
			out.Emit(fmt.Sprintf("%s sum %d at %d", ctx.Key(), s, ts))
			return nil
		},
	}
}

func TestHarnessKeyedProcess(t *testing.T) {
	var late []reading
	h, err := streamtest.New(func(in stream.Stream[reading]) stream.Stream[string] {
		out := stream.KeyedProcess(stream.KeyBy(in, func(r reading) string { return r.Sensor }), alertFn)
		stream.SinkTo[reading](stream.SideOutput(out, lateTag), funcSink[reading](func(r reading) { late = append(late, r) }), "late-sink")
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	must(t, h.Record(100, reading{"a", 1}))
	must(t, h.Record(105, reading{"a", 2}))
	must(t, h.Record(107, reading{"b", 5}))
	must(t, h.Watermark(109))
	if out := h.Values(); len(out) != 0 {
		t.Fatalf("fired early: %v", out)
	}
	must(t, h.Watermark(110))
	if out := h.Output(); len(out) != 1 || out[0].Value != "a sum 3 at 110" || out[0].TS != 110 {
		t.Fatalf("got %v", out)
	}
	must(t, h.Record(50, reading{"b", 100})) // behind the watermark
	if len(late) != 1 || late[0].Value != 100 {
		t.Fatalf("late side output %v", late)
	}
	must(t, h.AdvanceClock(time.Minute))
	got := h.Values()
	slices.Sort(got)
	if want := []string{"a idle at 60000", "b idle at 60000"}; !slices.Equal(got, want) {
		t.Fatalf("processing-time timers: %v", got)
	}
	must(t, h.EndInput())
	if out := h.Values(); !slices.Equal(out, []string{"b sum 5 at 117"}) {
		t.Fatalf("end of input: %v", out)
	}
	if n := h.StateBytes(); n != 0 {
		t.Fatalf("state left: %d bytes", n)
	}
}

func TestHarnessReportsOperatorFailure(t *testing.T) {
	h, err := streamtest.New(func(in stream.Stream[int]) stream.Stream[int] {
		return stream.Map(in, func(v int) int { return 10 / v }).Name("divide")
	})
	if err != nil {
		t.Fatal(err)
	}
	must(t, h.Record(stream.MinTime, 5))
	err = h.Record(stream.MinTime, 0)
	var oe *stream.OperatorError
	if !errors.As(err, &oe) || oe.Operator != "divide" || !oe.Panic {
		t.Fatalf("want divide panic, got %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
