package stream_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

// wev is the record of the window tests: a key, a value and an event time.
type wev struct {
	Key string
	V   int64
	TS  int64
}

var wevWatermarks = stream.WatermarkStrategy[wev]{
	Timestamp:      func(e wev) int64 { return e.TS },
	OutOfOrderness: 300 * time.Millisecond,
	Enabled:        true,
}

// wevSource has 4 splits whatever the parallelism, each with records out of
// order by less than the watermarks' out-of-orderness, so nothing is late
// and results do not depend on thread timing.
func wevSource(n int64) stream.GeneratorSource[wev] {
	return stream.GeneratorSource[wev]{NumSplits: 4, Count: n, Fn: func(split int, i int64) wev {
		jitter := (i*7919 + int64(split)*104729) % 250
		// Keys pause now and then so that sessions (gap 400ms) end.
		ts := i*10 + jitter + int64(split)*3
		key := fmt.Sprintf("k%d", (i*int64(split+1))%13)
		if (i/50)%3 == 2 && key < "k5" {
			key = "k" + key // a burst of other keys
		}
		return wev{Key: key, V: i*10 + int64(split), TS: ts}
	}}
}

func sumAggregator() stream.AggregatorFuncs[wev, int64, int64] {
	return stream.AggregatorFuncs[wev, int64, int64]{
		CreateFn: func() int64 { return 0 },
		AddFn:    func(e wev, acc int64) int64 { return acc + e.V },
		MergeFn:  func(a, b int64) int64 { return a + b },
		ResultFn: func(acc int64) int64 { return acc },
		Codec:    codec.Int64{},
	}
}

// windowJobs build windowed jobs over the same input; each returns its
// results as sorted lines.
var windowJobs = map[string]func(s stream.Stream[wev]) func() []string{
	"tumbling-aggregate": func(s stream.Stream[wev]) func() []string {
		ks := stream.KeyBy(s, func(e wev) string { return e.Key })
		out := stream.Collect(stream.WindowAggregateWithWindow(ks.Window(stream.TumblingEventTimeWindows(time.Second)), sumAggregator()))
		return func() []string {
			return lines(out.Records(), func(r stream.WindowResult[string, int64]) string {
				return fmt.Sprintf("%s %v %d", r.Key, r.Window, r.Value)
			})
		}
	},
	"sliding-reduce": func(s stream.Stream[wev]) func() []string {
		ks := stream.KeyBy(s, func(e wev) string { return e.Key })
		r := stream.WindowReduce(ks.Window(stream.SlidingEventTimeWindows(2*time.Second, 500*time.Millisecond)),
			func(a, b wev) wev { return wev{Key: a.Key, V: a.V + b.V, TS: max(a.TS, b.TS)} })
		out := stream.Collect(r)
		return func() []string {
			return lines(out.Records(), func(e wev) string { return fmt.Sprintf("%s %d", e.Key, e.V) })
		}
	},
	"session-process": func(s stream.Stream[wev]) func() []string {
		ks := stream.KeyBy(s, func(e wev) string { return e.Key })
		p := stream.WindowProcess(ks.Window(stream.EventTimeSessionWindows(400*time.Millisecond)),
			func() stream.ProcessWindowFunction[string, wev, string] {
				return stream.ProcessWindowFunc[string, wev, string](func(ctx *stream.WindowContext[string], elems []wev, out stream.Emitter[string]) error {
					vs := make([]int64, len(elems))
					for i, e := range elems {
						vs[i] = e.V
					}
					slices.Sort(vs)
					out.Emit(fmt.Sprintf("%s %v %v", ctx.Key(), ctx.Window(), vs))
					return nil
				})
			})
		out := stream.Collect(p)
		return func() []string { return lines(out.Records(), func(s string) string { return s }) }
	},
	"session-aggregate-evictor": func(s stream.Stream[wev]) func() []string {
		ks := stream.KeyBy(s, func(e wev) string { return e.Key })
		ws := ks.Window(stream.EventTimeSessionWindows(400 * time.Millisecond)).Evictor(stream.TimeEvictor(300 * time.Millisecond))
		out := stream.Collect(stream.WindowAggregateWithWindow(ws, sumAggregator()))
		return func() []string {
			return lines(out.Records(), func(r stream.WindowResult[string, int64]) string {
				return fmt.Sprintf("%s %v %d", r.Key, r.Window, r.Value)
			})
		}
	},
}

// lines formats records with their timestamps, sorted.
func lines[T any](recs []stream.Record[T], f func(T) string) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = fmt.Sprintf("ts=%d %s", r.TS, f(r.Value))
	}
	slices.Sort(out)
	return out
}

// TestWindowEquivalence runs each windowed job at parallelism 1, 2 and 4
// over the same input and demands the same multiset of results.
func TestWindowEquivalence(t *testing.T) {
	for name, job := range windowJobs {
		t.Run(name, func(t *testing.T) {
			var want []string
			for _, p := range []int{1, 2, 4} {
				env := stream.NewEnvironment(stream.Options{Parallelism: p, BatchSize: 64})
				get := job(stream.FromSource[wev](env, wevSource(3000), wevWatermarks, "gen"))
				if err := env.Execute(context.Background()); err != nil {
					t.Fatalf("p=%d: %v", p, err)
				}
				got := get()
				if len(got) == 0 {
					t.Fatalf("p=%d: no results", p)
				}
				if want == nil {
					want = got
					t.Logf("%d results, e.g. %s", len(got), got[len(got)/2])
					continue
				}
				if !slices.Equal(got, want) {
					t.Fatalf("p=%d: %d results differ from p=1 (%d results)\nfirst difference: %s", p, len(got), len(want), firstDiff(got, want))
				}
			}
		})
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%q vs %q", a[i], b[i])
		}
	}
	return "one is a prefix of the other"
}

// TestTumblingWindowReference checks the tumbling job against a plain Go
// computation of the same sums.
func TestTumblingWindowReference(t *testing.T) {
	src := wevSource(3000)
	want := map[string]int64{}
	for split := range 4 {
		for i := range int64(3000) {
			e := src.Fn(split, i)
			start := e.TS - e.TS%1000
			want[fmt.Sprintf("ts=%d %s [%d,%d) ", start+999, e.Key, start, start+1000)] += e.V
		}
	}
	var wantLines []string
	for k, v := range want {
		wantLines = append(wantLines, fmt.Sprintf("%s%d", k, v))
	}
	slices.Sort(wantLines)
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	get := windowJobs["tumbling-aggregate"](stream.FromSource[wev](env, src, wevWatermarks, "gen"))
	if err := env.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := get(); !slices.Equal(got, wantLines) {
		t.Fatalf("got %d results, want %d; first difference: %s", len(got), len(wantLines), firstDiff(got, wantLines))
	}
}

func TestWindowLateDataSideOutput(t *testing.T) {
	items := []wev{
		{"a", 1, 100}, {"a", 2, 900}, {"b", 3, 1500},
		{"a", 4, 2100}, // watermark 2099: [0,1000) and [1000,2000) are done
		{"a", 5, 500},  // late
		{"b", 6, 1999}, // late
		{"b", 7, 2000},
	}
	env := stream.NewEnvironment(stream.Options{BatchSize: 1}) // a watermark after every record
	s := stream.FromSliceWithTimestamps(env, items, stream.WatermarkStrategy[wev]{Timestamp: func(e wev) int64 { return e.TS }})
	late := stream.NewOutputTag[wev]("late")
	ws := stream.KeyBy(s, func(e wev) string { return e.Key }).
		Window(stream.TumblingEventTimeWindows(time.Second)).SideOutputLateData(late)
	res := stream.WindowAggregateWithWindow(ws, sumAggregator())
	out := stream.Collect(res)
	lateOut := stream.Collect(stream.SideOutput(res, late))
	if err := env.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := lines(out.Records(), func(r stream.WindowResult[string, int64]) string {
		return fmt.Sprintf("%s %v %d", r.Key, r.Window, r.Value)
	})
	want := []string{"ts=1999 b [1000,2000) 3", "ts=2999 a [2000,3000) 4", "ts=2999 b [2000,3000) 7", "ts=999 a [0,1000) 3"}
	if !slices.Equal(got, want) {
		t.Fatalf("results %q, want %q", got, want)
	}
	gotLate := lines(lateOut.Records(), func(e wev) string { return fmt.Sprintf("%s %d", e.Key, e.V) })
	if wantLate := []string{"ts=1999 b 6", "ts=500 a 5"}; !slices.Equal(gotLate, wantLate) {
		t.Fatalf("late %q, want %q", gotLate, wantLate)
	}
}

func TestCountWindows(t *testing.T) {
	var items []int64
	for i := range int64(20) {
		items = append(items, i)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	ks := stream.KeyBy(stream.FromSlice(env, items), func(v int64) int64 { return v % 2 })
	sum := func(a, b int64) int64 { return a + b }
	tumbling := stream.Collect(stream.WindowReduce(ks.CountWindow(3), sum))
	sliding := stream.Collect(stream.WindowReduce(ks.CountWindowSliding(3, 2), sum))
	if err := env.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := tumbling.Values()
	slices.Sort(got)
	// even: 0+2+4, 6+8+10, 12+14+16 (18 left over); odd: 1+3+5, 7+9+11, 13+15+17 (19).
	if want := []int64{6, 9, 24, 27, 42, 45}; !slices.Equal(got, want) {
		t.Fatalf("count windows %v, want %v", got, want)
	}
	got = sliding.Values()
	slices.Sort(got)
	// every 2 elements of a key, the sum of its last 3 (or 2, the first time).
	want := []int64{2, 4, 12, 15, 24, 27, 36, 39, 48, 51}
	if !slices.Equal(got, want) {
		t.Fatalf("sliding count windows %v, want %v", got, want)
	}
}

func TestWindowPerWindowStateAndLateness(t *testing.T) {
	items := []wev{{"a", 1, 100}, {"a", 2, 1200}, {"a", 3, 300}, {"a", 4, 2600}, {"a", 5, 400}}
	env := stream.NewEnvironment(stream.Options{BatchSize: 1}) // a watermark after every record
	s := stream.FromSliceWithTimestamps(env, items, stream.WatermarkStrategy[wev]{Timestamp: func(e wev) int64 { return e.TS }})
	ws := stream.KeyBy(s, func(e wev) string { return e.Key }).
		Window(stream.TumblingEventTimeWindows(time.Second)).AllowedLateness(time.Second)
	var fires *stream.ValueState[int64]
	res := stream.WindowAggregateProcess(ws, sumAggregator(), func() stream.ProcessWindowFunction[string, int64, string] {
		return stream.ProcessWindowFuncs[string, int64, string]{
			OnOpen: func(ctx *stream.OpenContext) error {
				fires = stream.NewValueState[int64](ctx, "fires")
				return nil
			},
			OnProcess: func(ctx *stream.WindowContext[string], sums []int64, out stream.Emitter[string]) error {
				ctx.WindowState(fires)
				n, _ := fires.Get()
				fires.Set(n + 1)
				out.Emit(fmt.Sprintf("%v sum=%d fire=%d wm=%d", ctx.Window(), sums[0], n+1, ctx.CurrentWatermark()))
				return nil
			},
		}
	})
	out := stream.Collect(res)
	if err := env.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(out.Values(), "\n")
	want := strings.Join([]string{
		"[0,1000) sum=1 fire=1 wm=1199",    // the watermark passed 999 with the element at 1200
		"[0,1000) sum=4 fire=2 wm=1199",    // 300 is late but within the lateness: fires again
		"[1000,2000) sum=2 fire=1 wm=2599", // 2600 moves the watermark to 2599, [0,1000) is cleaned up
		"[2000,3000) sum=4 fire=1 wm=" + fmt.Sprint(stream.MaxTime),
	}, "\n") // 400 (after [0,1000)'s cleanup at 1999) is dropped
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestWindowConfigErrors(t *testing.T) {
	for name, build := range map[string]func(ks stream.KeyedStream[int64, int64]){
		"bad size": func(ks stream.KeyedStream[int64, int64]) {
			stream.WindowReduce(ks.Window(stream.TumblingEventTimeWindows(0)), func(a, b int64) int64 { return a })
		},
		"bad count": func(ks stream.KeyedStream[int64, int64]) {
			stream.WindowReduce(ks.Window(stream.GlobalWindows()).Trigger(stream.CountTrigger(0)), func(a, b int64) int64 { return a })
		},
		"negative lateness": func(ks stream.KeyedStream[int64, int64]) {
			stream.WindowReduce(ks.Window(stream.TumblingEventTimeWindows(time.Second)).AllowedLateness(-time.Second), func(a, b int64) int64 { return a })
		},
		"session trigger cannot merge": func(ks stream.KeyedStream[int64, int64]) {
			stream.WindowReduce(ks.Window(stream.EventTimeSessionWindows(time.Second)).Trigger(cannotMerge{}), func(a, b int64) int64 { return a })
		},
		"nil assigner": func(ks stream.KeyedStream[int64, int64]) {
			stream.WindowReduce(ks.Window(nil), func(a, b int64) int64 { return a })
		},
	} {
		t.Run(name, func(t *testing.T) {
			env := stream.NewEnvironment(stream.Options{})
			ks := stream.KeyBy(stream.FromSlice(env, []int64{1}), func(v int64) int64 { return v })
			build(ks)
			if _, err := env.Plan(); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

type cannotMerge struct{ stream.Trigger }

func (cannotMerge) CanMerge() bool { return false }

func ExampleWindowAggregateWithWindow() {
	type click struct {
		User string
		TS   int64
	}
	clicks := []click{{"ann", 100}, {"bob", 300}, {"ann", 700}, {"ann", 1200}, {"bob", 2500}}
	env := stream.NewEnvironment(stream.Options{})
	s := stream.FromSliceWithTimestamps(env, clicks, stream.WatermarkStrategy[click]{
		Timestamp: func(c click) int64 { return c.TS },
	})
	counts := stream.WindowAggregateWithWindow(
		stream.KeyBy(s, func(c click) string { return c.User }).Window(stream.TumblingEventTimeWindows(time.Second)),
		stream.AggregatorFuncs[click, int64, int64]{
			CreateFn: func() int64 { return 0 },
			AddFn:    func(_ click, n int64) int64 { return n + 1 },
			MergeFn:  func(a, b int64) int64 { return a + b },
			ResultFn: func(n int64) int64 { return n },
		})
	out := stream.Collect(counts)
	if err := env.Execute(context.Background()); err != nil {
		panic(err)
	}
	for _, r := range out.Values() {
		fmt.Println(r.Key, r.Window, r.Value)
	}
	// Output:
	// ann [0,1000) 2
	// bob [0,1000) 1
	// ann [1000,2000) 1
	// bob [2000,3000) 1
}

// BenchmarkKeyedShuffleWindowCount: generator (2 subtasks) -> keyBy over
// 100k keys -> 10s tumbling event-time window count (2 subtasks). Event
// time advances 100 records per ms per split, so each key gets 20 records
// per window; measure over several windows (e.g. -benchtime=20000000x).
func BenchmarkKeyedShuffleWindowCount(b *testing.B) {
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("p=%d", p), func(b *testing.B) { benchKeyedWindowCount(b, p) })
	}
}

func benchKeyedWindowCount(b *testing.B, p int) {
	b.ReportAllocs()
	env := stream.NewEnvironment(stream.Options{Parallelism: p})
	gen := func(_ int, i int64) event { return event{Key: i % 100000, Value: i, TS: i / 100} }
	s := stream.FromSource(env, stream.GeneratorSource[event]{NumSplits: 2, Count: int64(b.N / 2), Fn: gen}, stream.WatermarkStrategy[event]{
		Timestamp: func(e event) int64 { return e.TS }, Enabled: true}, "generator")
	ws := stream.KeyBy(s, func(e event) int64 { return e.Key }).Window(stream.TumblingEventTimeWindows(10 * time.Second))
	stream.Discard(stream.WindowAggregate(ws, stream.AggregatorFuncs[event, int64, int64]{
		CreateFn: func() int64 { return 0 },
		AddFn:    func(_ event, n int64) int64 { return n + 1 },
		MergeFn:  func(a, b int64) int64 { return a + b },
		ResultFn: func(n int64) int64 { return n },
		Codec:    codec.Int64{},
	}))
	c0 := cpuTime()
	b.ResetTimer()
	if err := env.Execute(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportPerCore(b, int64(b.N/2*2), cpuTime()-c0)
}

// TestProcessingTimeWindowJob runs tumbling processing-time windows in a
// job driven by a manual clock; at parallelism 1 the window is chained to
// the source (keyed chaining), whose loop fires its timers.
func TestProcessingTimeWindowJob(t *testing.T) {
	for _, p := range []int{1, 2} {
		t.Run(fmt.Sprint("p=", p), func(t *testing.T) { testProcessingTimeWindowJob(t, p) })
	}
}

func testProcessingTimeWindowJob(t *testing.T, p int) {
	clock := stream.NewManualClock(time.UnixMilli(1_000_000))
	env := stream.NewEnvironment(stream.Options{Parallelism: p, Clock: clock})
	s := stream.FromSource[int64](env, splitSource{data: [][]int64{{1, 2, 3}, {4, 5}}}, stream.WatermarkStrategy[int64]{}, "src")
	ws := stream.KeyBy(s, func(v int64) int64 { return v % 2 }).Window(stream.TumblingProcessingTimeWindows(time.Second))
	out := stream.Collect(stream.WindowReduce(ws, func(a, b int64) int64 { return a + b }))
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "all records in windows", func() bool { return recordsIn(job, "window-reduce") == 5 })
	clock.Advance(999 * time.Millisecond)
	poll(t, "both windows to fire", func() bool { return len(out.Records()) == 2 })
	job.Cancel()
	if err := job.Wait(); !errors.Is(err, stream.ErrCanceled) {
		t.Fatal(err)
	}
	got := lines(out.Records(), func(v int64) string { return fmt.Sprint(v) })
	if want := []string{"ts=1000999 6", "ts=1000999 9"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// testShift fires a window 500 ms after its max timestamp and stamps its
// records 100 ms before it.
type testShift struct{}

func (testShift) Timer(maxTs int64) int64     { return maxTs + 500 }
func (testShift) Timestamp(maxTs int64) int64 { return maxTs - 100 }

// TestWindowShift: with WindowedStream.Shift a window fires, and goes,
// when the watermark reaches Shift.Timer of its max timestamp (a row for
// it is not late before), and its records carry Shift.Timestamp of it;
// tumbling windows (the default trigger's fast path) and sessions (the
// EventTimeTrigger, merging).
func TestWindowShift(t *testing.T) {
	items := []wev{
		{"a", 1, 100}, {"a", 2, 900},
		{"a", 3, 1200}, // watermark 1199: [0,1000) waits for 1499
		{"a", 4, 1400},
		{"a", 5, 800},  // not late: [0,1000) goes at 1499
		{"b", 6, 1600}, // watermark 1599: [0,1000) fires
		{"a", 7, 700},  // late for [0,1000)
	}
	env := stream.NewEnvironment(stream.Options{BatchSize: 1}) // a watermark after every record
	s := stream.FromSliceWithTimestamps(env, items, stream.WatermarkStrategy[wev]{Timestamp: func(e wev) int64 { return e.TS }})
	ks := stream.KeyBy(s, func(e wev) string { return e.Key })
	tumbling := stream.Collect(stream.WindowAggregateWithWindow(ks.Window(stream.TumblingEventTimeWindows(time.Second)).Shift(testShift{}), sumAggregator()))
	sessions := stream.Collect(stream.WindowAggregateWithWindow(ks.Window(stream.EventTimeSessionWindows(300*time.Millisecond)).Shift(testShift{}), sumAggregator()))
	if err := env.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	show := func(r stream.WindowResult[string, int64]) string {
		return fmt.Sprintf("%s %v %d", r.Key, r.Window, r.Value)
	}
	if got, want := lines(tumbling.Records(), show), []string{"ts=1899 a [1000,2000) 7", "ts=1899 b [1000,2000) 6", "ts=899 a [0,1000) 8"}; !slices.Equal(got, want) {
		t.Errorf("tumbling %q, want %q", got, want)
	}
	// a's first session fires at watermark 899 (399 + 500); 700 joins
	// [800,1700), which goes at 2199.
	if got, want := lines(sessions.Records(), show), []string{"ts=1599 a [700,1700) 21", "ts=1799 b [1600,1900) 6", "ts=299 a [100,400) 1"}; !slices.Equal(got, want) {
		t.Errorf("sessions %q, want %q", got, want)
	}
}

// TestWindowShiftRefusesTrigger: a shifted window with a trigger other
// than the assigner's default is refused when the job is built (the
// trigger's timers would be the wall-clock max timestamps, its cleanup
// Shift.Timer of them).
func TestWindowShiftRefusesTrigger(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{})
	s := stream.FromSliceWithTimestamps(env, []wev{{"a", 1, 100}}, stream.WatermarkStrategy[wev]{Timestamp: func(e wev) int64 { return e.TS }})
	ks := stream.KeyBy(s, func(e wev) string { return e.Key })
	stream.Collect(stream.WindowAggregateWithWindow(ks.Window(stream.TumblingEventTimeWindows(time.Second)).
		Trigger(stream.ContinuousEventTimeTrigger(100*time.Millisecond)).Shift(testShift{}), sumAggregator()))
	err := env.Execute(context.Background())
	if err == nil || !strings.Contains(err.Error(), "with Shift") {
		t.Fatalf("err %v, want the trigger with Shift refused", err)
	}
}

// backShift is a Shift whose Timer is not monotonic: the windows whose
// max timestamp is in [600, 700) fire 400 ms earlier.
type backShift struct{}

func (backShift) Timer(maxTs int64) int64 {
	if maxTs >= 600 && maxTs < 700 {
		return maxTs - 400
	}
	return maxTs
}
func (backShift) Timestamp(maxTs int64) int64 { return maxTs }

// TestWindowShiftMergeIntoLate: with a Shift whose Timer is not monotonic
// a session that merges a window not yet fired can be late at once ([100,
// 400) fires at 399; with 380 it becomes [100, 680), which fires at 279,
// before the watermark, 350). It takes the row and fires at once: no row
// is lost, none counted late, and no state is left.
func TestWindowShiftMergeIntoLate(t *testing.T) {
	h, err := streamtest.New(func(s stream.Stream[wev]) stream.Stream[stream.WindowResult[string, int64]] {
		ks := stream.KeyBy(s, func(e wev) string { return e.Key })
		return stream.WindowAggregateWithWindow(ks.Window(stream.EventTimeSessionWindows(300*time.Millisecond)).Shift(backShift{}), sumAggregator())
	})
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return h.Record(100, wev{"a", 1, 100}) },
		func() error { return h.Watermark(350) },
		func() error { return h.Record(380, wev{"a", 2, 380}) },
		func() error { return h.Watermark(400) },
		func() error { return h.EndInput() },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, r := range h.Values() {
		got = append(got, fmt.Sprintf("%s %v %d", r.Key, r.Window, r.Value))
	}
	if want := []string{"a [100,680) 3"}; !slices.Equal(got, want) || h.LateRecords() != 0 {
		t.Errorf("%q, %d late; want %q, none late", got, h.LateRecords(), want)
	}
	if n := h.StateBytes(); n != 0 {
		t.Errorf("%d bytes of state left", n)
	}
}
