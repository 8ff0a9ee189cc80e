package stream_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
)

// jev is the record of the join tests.
type jev struct {
	K  int
	TS int64
	V  int
}

func jevKey(e jev) int { return e.K }

var jevWatermarks = stream.WatermarkStrategy[jev]{
	Timestamp:      func(e jev) int64 { return e.TS },
	OutOfOrderness: 10 * time.Millisecond,
}

// genJoinEvents makes n events over keys, with timestamps rising by one every
// other event plus up to 4ms of disorder (inside the watermark bound, so
// nothing is late).
func genJoinEvents(seed uint64, n, keys int) []jev {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]jev, n)
	for i := range out {
		out[i] = jev{K: rng.IntN(keys), TS: int64(i/2) + rng.Int64N(5), V: i}
	}
	return out
}

// joinSortedRecords renders records as "ts value" lines, sorted: the multiset
// of a job's results, comparable across joinParallelisms.
func joinSortedRecords[T any](recs []stream.Record[T]) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = fmt.Sprintf("%d %v", r.TS, r.Value)
	}
	slices.Sort(out)
	return out
}

func joinSortedLines(lines []string) []string {
	lines = slices.Clone(lines)
	slices.Sort(lines)
	return lines
}

func joinExecute(t *testing.T, env *stream.Environment) {
	t.Helper()
	if err := env.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func joinDiff(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the test expects no results, so it checks nothing", what)
	}
	if slices.Equal(got, want) {
		return
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("%s: %d results, want %d; first difference at %d: got %q want %q", what, len(got), len(want), i, got[i], want[i])
		}
	}
	t.Fatalf("%s: %d results, want %d", what, len(got), len(want))
}

var joinParallelisms = []int{1, 2, 4}

func TestIntervalJoinEquivalence(t *testing.T) {
	as, bs := genJoinEvents(1, 3000, 13), genJoinEvents(2, 3000, 13)
	type bounds struct {
		lower, upper time.Duration
		le, ue       bool
	}
	for _, bd := range []bounds{
		{-3 * time.Millisecond, 2 * time.Millisecond, false, false},
		{-3 * time.Millisecond, 2 * time.Millisecond, true, true},
		{time.Millisecond, 4 * time.Millisecond, false, true},
	} {
		lo, hi := bd.lower.Milliseconds(), bd.upper.Milliseconds()
		if bd.le {
			lo++
		}
		if bd.ue {
			hi--
		}
		var want []string
		for _, a := range as {
			for _, b := range bs {
				if a.K == b.K && b.TS >= a.TS+lo && b.TS <= a.TS+hi {
					want = append(want, fmt.Sprintf("%d %v", max(a.TS, b.TS), [2]int{a.V, b.V}))
				}
			}
		}
		slices.Sort(want)
		for _, p := range joinParallelisms {
			env := stream.NewEnvironment(stream.Options{Parallelism: p})
			a := stream.KeyBy(stream.FromSliceWithTimestamps(env, as, jevWatermarks), jevKey)
			b := stream.KeyBy(stream.FromSliceWithTimestamps(env, bs, jevWatermarks), jevKey)
			j := stream.IntervalJoin(a, b, bd.lower, bd.upper)
			if bd.le {
				j = j.LowerBoundExclusive()
			}
			if bd.ue {
				j = j.UpperBoundExclusive()
			}
			out := stream.Collect(stream.IntervalJoinApply(j, func(x, y jev) [2]int { return [2]int{x.V, y.V} }))
			joinExecute(t, env)
			joinDiff(t, fmt.Sprintf("bounds %+v p=%d", bd, p), joinSortedRecords(out.Records()), want)
		}
	}
}

func TestIntervalJoinProcessContext(t *testing.T) {
	as := []jev{{K: 1, TS: 10, V: 1}, {K: 2, TS: 20, V: 2}}
	bs := []jev{{K: 1, TS: 12, V: 10}, {K: 2, TS: 19, V: 20}, {K: 2, TS: 30, V: 30}}
	for _, p := range joinParallelisms {
		env := stream.NewEnvironment(stream.Options{Parallelism: p})
		a := stream.KeyBy(stream.FromSliceWithTimestamps(env, as, jevWatermarks), jevKey)
		b := stream.KeyBy(stream.FromSliceWithTimestamps(env, bs, jevWatermarks), jevKey)
		j := stream.IntervalJoinProcess(stream.IntervalJoin(a, b, -5*time.Millisecond, 5*time.Millisecond),
			func() stream.ProcessJoinFunc[jev, jev, string] {
				calls := 0 // per subtask: never shared
				return func(ctx *stream.JoinContext, x, y jev, out stream.Emitter[string]) error {
					calls++
					out.Emit(fmt.Sprintf("%d@%d+%d@%d=%d", x.V, ctx.LeftTimestamp(), y.V, ctx.RightTimestamp(), ctx.Timestamp()))
					return nil
				}
			})
		out := stream.Collect(j)
		joinExecute(t, env)
		want := []string{"12 1@10+10@12=12", "20 2@20+20@19=20"}
		joinDiff(t, fmt.Sprintf("p=%d", p), joinSortedRecords(out.Records()), want)
	}
}

func TestJoinBuildErrors(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{})
	a := stream.KeyBy(stream.FromSliceWithTimestamps(env, []jev{{}}, jevWatermarks), jevKey)
	stream.Collect(stream.IntervalJoinApply(stream.IntervalJoin(a, a, 2*time.Millisecond, time.Millisecond),
		func(x, y jev) int { return 0 }))
	if _, err := env.Plan(); err == nil || !strings.Contains(err.Error(), "lower bound must not exceed the upper bound") {
		t.Fatalf("interval join with lower > upper: %v", err)
	}

	env = stream.NewEnvironment(stream.Options{})
	a = stream.KeyBy(stream.FromSliceWithTimestamps(env, []jev{{}}, jevWatermarks), jevKey)
	stream.Collect(stream.WindowJoin(a, a, stream.EventTimeSessionWindows(time.Second), func(x, y jev) int { return 0 }))
	if _, err := env.Plan(); err == nil || !strings.Contains(err.Error(), "merging window assigners") {
		t.Fatalf("window join over sessions: %v", err)
	}
}

// windowPairs is the brute-force window join: every pair of equal keys
// sharing a window, at the window's max timestamp.
func windowPairs(as, bs []jev, assigner stream.WindowAssigner) []string {
	var want []string
	for _, a := range as {
		wa := assigner.Assign(nil, a.TS, 0)
		for _, b := range bs {
			if a.K != b.K {
				continue
			}
			for _, w := range assigner.Assign(nil, b.TS, 0) {
				if slices.Contains(wa, w) {
					want = append(want, fmt.Sprintf("%d %v", w.MaxTimestamp(), [2]int{a.V, b.V}))
				}
			}
		}
	}
	slices.Sort(want)
	return want
}

func TestWindowJoinEquivalence(t *testing.T) {
	as, bs := genJoinEvents(3, 1500, 17), genJoinEvents(4, 1500, 17)
	for _, assigner := range []stream.WindowAssigner{
		stream.TumblingEventTimeWindows(10 * time.Millisecond),
		stream.SlidingEventTimeWindows(10*time.Millisecond, 5*time.Millisecond),
	} {
		want := windowPairs(as, bs, assigner)
		for _, p := range joinParallelisms {
			env := stream.NewEnvironment(stream.Options{Parallelism: p})
			a := stream.KeyBy(stream.FromSliceWithTimestamps(env, as, jevWatermarks), jevKey)
			b := stream.KeyBy(stream.FromSliceWithTimestamps(env, bs, jevWatermarks), jevKey)
			out := stream.Collect(stream.WindowJoin(a, b, assigner, func(x, y jev) [2]int { return [2]int{x.V, y.V} }))
			joinExecute(t, env)
			joinDiff(t, fmt.Sprintf("%T p=%d", assigner, p), joinSortedRecords(out.Records()), want)
		}
	}
}

func TestWindowCoGroupEquivalence(t *testing.T) {
	// Left keys 0..9, right keys 5..14: keys 0..4 and 10..14 have one side only.
	as := genJoinEvents(5, 800, 10)
	bs := genJoinEvents(6, 800, 10)
	for i := range bs {
		bs[i].K += 5
	}
	assigner := stream.TumblingEventTimeWindows(20 * time.Millisecond)
	type group struct{ as, bs int }
	groups := map[string]*group{}
	for _, side := range []struct {
		evs  []jev
		left bool
	}{{as, true}, {bs, false}} {
		for _, e := range side.evs {
			w := assigner.Assign(nil, e.TS, 0)[0]
			k := fmt.Sprintf("%d %d %v", w.MaxTimestamp(), e.K, w)
			if groups[k] == nil {
				groups[k] = &group{}
			}
			if side.left {
				groups[k].as++
			} else {
				groups[k].bs++
			}
		}
	}
	var want []string
	for k, g := range groups {
		want = append(want, fmt.Sprintf("%s %d %d", k, g.as, g.bs))
	}
	slices.Sort(want)
	for _, p := range joinParallelisms {
		env := stream.NewEnvironment(stream.Options{Parallelism: p})
		a := stream.KeyBy(stream.FromSliceWithTimestamps(env, as, jevWatermarks), jevKey)
		b := stream.KeyBy(stream.FromSliceWithTimestamps(env, bs, jevWatermarks), jevKey)
		out := stream.Collect(stream.WindowCoGroup(a, b, assigner,
			func(key int, w stream.Window, xs, ys []jev, out stream.Emitter[string]) {
				out.Emit(fmt.Sprintf("%d %v %d %d", key, w, len(xs), len(ys)))
			}))
		joinExecute(t, env)
		joinDiff(t, fmt.Sprintf("p=%d", p), joinSortedRecords(out.Records()), want)
	}
}

// jrow is a table row of the enrichment tests.
type jrow struct {
	K    int
	TS   int64
	Name string
}

func jrowKey(r jrow) int { return r.K }

var jrowWatermarks = stream.WatermarkStrategy[jrow]{
	Timestamp:      func(r jrow) int64 { return r.TS },
	OutOfOrderness: 10 * time.Millisecond,
}

// enrichCoProcess is the enrichment written by hand with KeyedCoProcess:
// the latest row per key in ValueState, records that come before their row
// buffered in ListState and emitted (with the row's timestamp) when it
// arrives. EnrichByKey packages the same logic (and keeps each record's
// own timestamp).
type enrichCoProcess struct {
	row     *stream.ValueState[jrow]
	pending *stream.ListState[jev]
}

func (f *enrichCoProcess) Open(ctx *stream.OpenContext) error {
	f.row = stream.NewValueState[jrow](ctx, "row")
	f.pending = stream.NewListState[jev](ctx, "pending")
	return nil
}

func (f *enrichCoProcess) ProcessElement1(ctx *stream.KeyedContext[int], e jev, out stream.Emitter[string]) error {
	if r, ok := f.row.Get(); ok {
		out.Emit(jenriched(e, r))
		return nil
	}
	f.pending.Add(e)
	return nil
}

func (f *enrichCoProcess) ProcessElement2(ctx *stream.KeyedContext[int], r jrow, out stream.Emitter[string]) error {
	if old, ok := f.row.Get(); ok && old.TS > r.TS {
		return nil // out-of-order update
	}
	f.row.Set(r)
	for _, e := range f.pending.Get() {
		out.Emit(jenriched(e, r))
	}
	f.pending.Clear()
	return nil
}

func (f *enrichCoProcess) OnTimer(*stream.KeyedContext[int], int64, stream.Emitter[string]) error {
	return nil
}

func jenriched(e jev, r jrow) string { return fmt.Sprintf("%d:%s", e.V, r.Name) }

func TestEnrichEquivalence(t *testing.T) {
	facts := genJoinEvents(7, 4000, 50)
	// One row per key for keys 0..39 (keys 40..49 never get one), arriving
	// spread over the facts' time range.
	var rows []jrow
	for k := range 40 {
		rows = append(rows, jrow{K: k, TS: int64(k * 50), Name: fmt.Sprintf("name%d", k)})
	}
	var want, wantValues []string
	for _, e := range facts {
		if e.K < 40 {
			s := jenriched(e, rows[e.K])
			want = append(want, fmt.Sprintf("%d %s", e.TS, s))
			wantValues = append(wantValues, s)
		}
	}
	slices.Sort(want)
	slices.Sort(wantValues)
	for _, p := range joinParallelisms {
		env := stream.NewEnvironment(stream.Options{Parallelism: p})
		a := stream.KeyBy(stream.FromSliceWithTimestamps(env, facts, jevWatermarks), jevKey)
		tbl := stream.KeyBy(stream.FromSliceWithTimestamps(env, rows, jrowWatermarks), jrowKey)
		out := stream.Collect(stream.EnrichByKey(a, tbl, jenriched, stream.EnrichOptions[jev, jrow]{}))
		manual := stream.Collect(stream.KeyedCoProcess(a, tbl, func() stream.KeyedCoProcessFunction[int, jev, jrow, string] {
			return &enrichCoProcess{}
		}))
		joinExecute(t, env)
		joinDiff(t, fmt.Sprintf("EnrichByKey p=%d", p), joinSortedRecords(out.Records()), want)
		joinDiff(t, fmt.Sprintf("KeyedCoProcess p=%d", p), joinSortedLines(manual.Values()), wantValues)
	}
}

func TestEnrichMaxWaitUnmatched(t *testing.T) {
	facts := genJoinEvents(8, 1000, 10)
	rows := []jrow{{K: 0, TS: 0, Name: "zero"}, {K: 1, TS: 0, Name: "one"}}
	var wantMatched, wantUnmatched []string
	for _, e := range facts {
		if e.K < 2 {
			wantMatched = append(wantMatched, jenriched(e, rows[e.K]))
		} else {
			wantUnmatched = append(wantUnmatched, fmt.Sprint(e.V))
		}
	}
	slices.Sort(wantMatched)
	slices.Sort(wantUnmatched)
	for _, p := range joinParallelisms {
		env := stream.NewEnvironment(stream.Options{Parallelism: p})
		a := stream.KeyBy(stream.FromSliceWithTimestamps(env, facts, jevWatermarks), jevKey)
		tbl := stream.KeyBy(stream.FromSliceWithTimestamps(env, rows, jrowWatermarks), jrowKey)
		tag := stream.NewOutputTag[jev]("unmatched")
		joined := stream.EnrichByKey(a, tbl, jenriched, stream.EnrichOptions[jev, jrow]{MaxWait: 20 * time.Millisecond, Unmatched: tag})
		out := stream.Collect(joined)
		un := stream.Collect(stream.Map(stream.SideOutput(joined, tag), func(e jev) string { return fmt.Sprint(e.V) }))
		joinExecute(t, env)
		joinDiff(t, fmt.Sprintf("matched p=%d", p), joinSortedLines(out.Values()), wantMatched)
		joinDiff(t, fmt.Sprintf("unmatched p=%d", p), joinSortedLines(un.Values()), wantUnmatched)
	}
}

// TestIntervalJoinWatermarkDelay re-stamps each joined pair with the time of
// one of its elements (not max(a, b), which the join gives it) and counts
// the pairs in event-time windows: with the join's watermark held back by
// max(-lower, upper), no pair is late in the windows, whichever side's time
// it carries and whatever the signs of the bounds. (Without the delay, pairs
// stamped with the earlier time are late in most of these runs; how many
// depends on how the two sources interleave.)
func TestIntervalJoinWatermarkDelay(t *testing.T) {
	as, bs := genJoinEvents(3, 2000, 7), genJoinEvents(4, 2000, 7)
	type kc struct{ K, N int }
	const size = 7
	run := func(p int, lower, upper, delay time.Duration, right bool) []string {
		env := stream.NewEnvironment(stream.Options{Parallelism: p})
		a := stream.KeyBy(stream.FromSliceWithTimestamps(env, as, jevWatermarks), jevKey)
		b := stream.KeyBy(stream.FromSliceWithTimestamps(env, bs, jevWatermarks), jevKey)
		j := stream.IntervalJoin(a, b, lower, upper).WatermarkDelay(delay)
		pairs := stream.IntervalJoinApply(j, func(x, y jev) [2]jev { return [2]jev{x, y} })
		stamped := stream.Process(pairs, func(_ *stream.Context, xy [2]jev, out stream.Emitter[kc]) error {
			ts := xy[0].TS
			if right {
				ts = xy[1].TS
			}
			if !stream.SetEmitTimestamp(out, ts) {
				return fmt.Errorf("cannot set the timestamp")
			}
			out.Emit(kc{K: xy[0].K, N: 1})
			return nil
		})
		w := stream.KeyBy(stamped, func(x kc) int { return x.K }).Window(stream.TumblingEventTimeWindows(size * time.Millisecond))
		out := stream.Collect(stream.WindowReduce(w, func(x, y kc) kc { return kc{K: x.K, N: x.N + y.N} }))
		joinExecute(t, env)
		return joinSortedRecords(out.Records())
	}
	for _, bd := range [][2]time.Duration{
		{-30 * time.Millisecond, 20 * time.Millisecond},
		{5 * time.Millisecond, 25 * time.Millisecond},
		{-25 * time.Millisecond, -5 * time.Millisecond},
	} {
		lo, hi := bd[0].Milliseconds(), bd[1].Milliseconds()
		delay := time.Duration(max(-lo, hi)) * time.Millisecond
		for _, right := range []bool{false, true} {
			counts := map[[2]int64]int{}
			for _, x := range as {
				for _, y := range bs {
					if x.K == y.K && y.TS >= x.TS+lo && y.TS <= x.TS+hi {
						ts := x.TS
						if right {
							ts = y.TS
						}
						counts[[2]int64{int64(x.K), ts - ts%size + size - 1}]++
					}
				}
			}
			var want []string
			for k, n := range counts {
				want = append(want, fmt.Sprintf("%d %v", k[1], kc{K: int(k[0]), N: n}))
			}
			slices.Sort(want)
			for _, p := range joinParallelisms {
				joinDiff(t, fmt.Sprintf("bounds %v right %t p=%d", bd, right, p), run(p, bd[0], bd[1], delay, right), want)
			}
		}
	}
}

func TestIntervalJoinWatermarkDelayNegative(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 1})
	a := stream.KeyBy(stream.FromSliceWithTimestamps(env, []jev{{K: 1, TS: 1}}, jevWatermarks), jevKey)
	b := stream.KeyBy(stream.FromSliceWithTimestamps(env, []jev{{K: 1, TS: 1}}, jevWatermarks), jevKey)
	stream.Collect(stream.IntervalJoinApply(stream.IntervalJoin(a, b, 0, 0).WatermarkDelay(-time.Millisecond), func(x, y jev) int { return 0 }))
	if err := env.Execute(context.Background()); err == nil || !strings.Contains(err.Error(), "watermark delay must not be negative") {
		t.Fatalf("err = %v, want the negative delay refused", err)
	}
}

// TestIntervalJoinLateRefusesLateSideOutputs: JoinLate leaves no late
// element for a side output of late data, so the two are refused together.
func TestIntervalJoinLateRefusesLateSideOutputs(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 1})
	a := stream.KeyBy(stream.FromSliceWithTimestamps(env, []jev{{K: 1, TS: 1}}, jevWatermarks), jevKey)
	b := stream.KeyBy(stream.FromSliceWithTimestamps(env, []jev{{K: 1, TS: 1}}, jevWatermarks), jevKey)
	tag := stream.NewOutputTag[jev]("late")
	stream.Collect(stream.IntervalJoinApply(stream.IntervalJoin(a, b, 0, 0).JoinLate().SideOutputLeftLateData(tag), func(x, y jev) int { return 0 }))
	if err := env.Execute(context.Background()); err == nil || !strings.Contains(err.Error(), "JoinLate joins late elements") {
		t.Fatalf("err = %v, want JoinLate with a late side output refused", err)
	}
}
