package planner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// Processing-time interval joins (intervaljoin_proc.go), driven with an
// injected clock: no test here reads the wall clock.

func procJoinNode(kind string, lo, hi time.Duration) *IntervalOuterJoin {
	n := outerJoinNode(kind, lo, hi)
	n.Proctime = true
	return n
}

// procHarness runs the processing-time join n in a harness (its clock
// starts at the epoch).
func procHarness(t *testing.T, n *IntervalOuterJoin) *streamtest.Harness[sided, table.Row] {
	t.Helper()
	lkey, rkey, lnull, rnull := outerKeyFns(n)
	h, err := streamtest.New(func(s stream.Stream[sided]) stream.Stream[table.Row] {
		side := func(left bool, key func(table.Row) string) stream.KeyedStream[table.Row, string] {
			rows := stream.Map(s.Filter(func(x sided) bool { return x.Left == left }), func(x sided) table.Row { return x.Row })
			return stream.KeyBy(rows, key)
		}
		return stream.KeyedCoProcess(side(true, lkey), side(false, rkey),
			func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
				f := newIntervalOuterFn(n, lnull, rnull)
				if n.Kind != "INNER" {
					f.cond = outerCond
				}
				return f
			})
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// procRow is a row of key k and value v whose time column holds ts (the
// join does not read it: a row's time is its arrival's).
func procRow(k, ts, v int64) table.Row {
	return table.NewRow(table.Int(k), table.TimestampMillis(ts), table.Int(v))
}

// TestProcIntervalJoinBoundsAndCleanup: `r.pt BETWEEN l.pt - 1 min AND
// l.pt` (l - r in [0, 1 min]) pairs a left row with the right rows that
// arrived at most a minute before it, whatever the time columns hold; each
// row leaves the state when the clock passes its range, and the state is
// empty after the last range.
func TestProcIntervalJoinBoundsAndCleanup(t *testing.T) {
	h := procHarness(t, procJoinNode("INNER", 0, time.Minute))
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	values := func() []string { return strs(h.Values()) }
	rec := func(left bool, r table.Row) { step(h.Record(base.MinTime, sided{left, r})) }
	// r1 at 0 s; l1 at 30 s pairs with it (the columns' times, 5 h apart,
	// do not count).
	rec(false, procRow(1, 0, 1))
	step(h.AdvanceClock(30 * time.Second))
	rec(true, procRow(1, 5*3600*1000, 2))
	want := []string{"+I(1, TIMESTAMP '1970-01-01 05:00:00', 2, 1, TIMESTAMP '1970-01-01 00:00:00', 1)"}
	if got := values(); !slices.Equal(got, want) {
		t.Fatalf("within the bounds:\n got %v\nwant %v", got, want)
	}
	// A right row pairs with no left row that came before it (l - r >= 0)
	// but one of the same millisecond.
	rec(false, procRow(1, 0, 3))
	want = []string{"+I(1, TIMESTAMP '1970-01-01 05:00:00', 2, 1, TIMESTAMP '1970-01-01 00:00:00', 3)"}
	if got := values(); !slices.Equal(got, want) {
		t.Fatalf("the same millisecond:\n got %v\nwant %v", got, want)
	}
	step(h.AdvanceClock(time.Millisecond)) // l1's range ends at 30 s
	rec(false, procRow(1, 0, 4))
	if got := values(); len(got) != 0 {
		t.Fatalf("after the left row's range: %v", got)
	}
	// r1 (0 s) pairs with left rows up to 60 s; at 60.001 s it is gone.
	step(h.AdvanceClock(29999 * time.Millisecond)) // 60 s
	rec(true, procRow(1, 0, 5))
	if got := values(); len(got) != 3 {
		t.Fatalf("at the end of r1's range: %v, want 3 pairs (r1, r3, r4)", got)
	}
	step(h.AdvanceClock(time.Millisecond))
	rec(true, procRow(1, 0, 6))
	if got := values(); len(got) != 2 {
		t.Fatalf("after r1's range: %v, want 2 pairs (r3, r4)", got)
	}
	if h.StateBytes() == 0 {
		t.Fatal("no state while the ranges last")
	}
	step(h.AdvanceClock(time.Minute))
	if got := values(); len(got) != 0 || h.StateBytes() != 0 {
		t.Fatalf("after every range: %v emitted, %d bytes of state", got, h.StateBytes())
	}
	if err := h.EndInput(); err != nil {
		t.Fatal(err)
	}
}

// TestProcIntervalJoinPadsWhenTheRangePasses: a FULL processing-time join
// emits a row that found no partner padded when the clock passes its
// range, one that found a partner never, and a left row whose range is
// over when it arrives (lo > 0) padded at once.
func TestProcIntervalJoinPadsWhenTheRangePasses(t *testing.T) {
	h := procHarness(t, procJoinNode("FULL", time.Second, 5*time.Second)) // l - r in [1 s, 5 s]
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	values := func() []string { return strs(h.Values()) }
	rec := func(left bool, r table.Row) { step(h.Record(base.MinTime, sided{left, r})) }
	rec(false, procRow(1, 0, 1)) // r at 0: left rows in [1 s, 5 s]
	rec(false, procRow(2, 0, 2)) // no partner ever
	rec(true, procRow(1, 0, 3))  // at 0: range over (right rows <= -1 s): padded
	want := []string{"+I(1, TIMESTAMP '1970-01-01 00:00:00', 3, NULL, NULL, NULL)"}
	if got := values(); !slices.Equal(got, want) {
		t.Fatalf("a left row whose range is over:\n got %v\nwant %v", got, want)
	}
	step(h.AdvanceClock(3 * time.Second))
	rec(true, procRow(1, 0, 4)) // pairs with r1 (v 1 <> 4)
	want = []string{"+I(1, TIMESTAMP '1970-01-01 00:00:00', 4, 1, TIMESTAMP '1970-01-01 00:00:00', 1)"}
	if got := values(); !slices.Equal(got, want) {
		t.Fatalf("a pair:\n got %v\nwant %v", got, want)
	}
	step(h.AdvanceClock(2 * time.Second)) // 5 s: the right rows' ranges end
	if got := values(); len(got) != 0 {
		t.Fatalf("at the end of the range: %v", got)
	}
	step(h.AdvanceClock(time.Millisecond))
	want = []string{"+I(NULL, NULL, NULL, 2, TIMESTAMP '1970-01-01 00:00:00', 2)"}
	if got := values(); !slices.Equal(got, want) {
		t.Fatalf("past the range:\n got %v\nwant %v", got, want)
	}
	if h.StateBytes() != 0 {
		t.Fatalf("%d bytes of state after every range", h.StateBytes())
	}
	if err := h.EndInput(); err != nil {
		t.Fatal(err)
	}
}

// procOps makes random rows of both sides (keys 0-2 and NULL, some NULL
// values), clock advances between them (ops of kind 1 whose wm is the new
// processing time; the first sets it to 0): by a few milliseconds, by up
// to 1.5 s, or to a millisecond next to the end of an earlier row's range
// for the bounds [lo, hi] (ms); and, if restores, checkpoints with
// restores. The last op moves the clock past every range. A row's ts is
// its arrival's processing time, as its time column.
func procOps(rng *rand.Rand, lo, hi int64, restores bool) []ckOp {
	now := int64(0)
	ops := []ckOp{{kind: 1, wm: 0}}
	var times []int64 // the arrivals, with the side: left +, right -
	for range 40 + rng.IntN(80) {
		switch rng.IntN(6) {
		case 0, 1:
			now += int64(rng.IntN(3))
		case 2:
			now += int64(rng.IntN(1500))
		case 3:
			if len(times) > 0 {
				t := times[rng.IntN(len(times))]
				end := t - lo // a left row's range ends at t - lo
				if t < 0 {
					end = -t + hi
				}
				now = max(now, end+int64(rng.IntN(3)))
			}
		}
		if ops[len(ops)-1].kind != 1 || ops[len(ops)-1].wm != now {
			ops = append(ops, ckOp{kind: 1, wm: now})
		}
		k := table.Int(int64(rng.IntN(3)))
		if rng.IntN(10) == 0 {
			k = table.Null
		}
		v := table.Int(int64(rng.IntN(4)))
		if rng.IntN(8) == 0 {
			v = table.Null
		}
		left := rng.IntN(2) == 0
		if left {
			times = append(times, now)
		} else {
			times = append(times, -now)
		}
		ops = append(ops, ckOp{kind: 0, ts: now, row: table.NewRow(k, table.TimestampMillis(now), v), left: left})
		if restores && rng.IntN(6) == 0 {
			ops = append(ops, ckOp{kind: 3})
		}
	}
	return append(ops, ckOp{kind: 1, wm: now + 10000})
}

// procBounds are bounds of a processing-time join, often at or next to 0.
func procBounds(rng *rand.Rand) (time.Duration, time.Duration) {
	los := []int64{-2000, -500, -1, 0, 0, 1, 300}
	widths := []int64{0, 1, 2, 500, 2500}
	lo := los[rng.IntN(len(los))]
	return time.Duration(lo) * time.Millisecond, time.Duration(lo+widths[rng.IntN(len(widths))]) * time.Millisecond
}

// runProcJoin runs the processing-time join n over ops (kind 1: the clock
// set to wm and the processing-time timers due fired), checkpointed and
// restored if ckpt (the clock goes on), and returns its rows, each
// prefixed by the index of the op it was emitted at ("12|"), sorted,
// without their timestamps (a processing-time join's rows carry none of
// their own).
func runProcJoin(t *testing.T, n *IntervalOuterJoin, ops []ckOp, ckpt bool) []string {
	t.Helper()
	lkey, rkey, lnull, rnull := outerKeyFns(n)
	clock := base.NewManualClock(time.UnixMilli(0))
	out := &sliceOut{}
	backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
	var op *operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]
	open := func(restored *operator.Restored) {
		f := newIntervalOuterFn(n, lnull, rnull)
		if n.Kind != "INNER" {
			f.cond = outerCond
		}
		op = &operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]{Key1: lkey, Key2: rkey, KeyCodec: codec.For[string](), Fn: f, Out: out}
		if err := op.Open(&operator.Runtime{Ctx: context.Background(), Name: "j", Parallelism: 1,
			MaxParallelism: base.DefaultMaxParallelism, KeyGroups: backend.KeyGroups(),
			Clock: clock, State: backend, Metrics: &operator.Metrics{}, Restored: restored}); err != nil {
			t.Fatal(err)
		}
	}
	open(nil)
	var got []string
	for i, o := range ops {
		switch o.kind {
		case 0:
			if o.left {
				op.Input1().Collect(base.MinTime, o.row)
			} else {
				op.Input2().Collect(base.MinTime, o.row)
			}
		case 1:
			clock.Set(time.UnixMilli(o.wm))
			if op.NextProcessingTime() <= o.wm {
				op.OnProcessingTime(o.wm)
			}
		case 3:
			if !ckpt {
				continue
			}
			timers := op.SnapshotTimers()
			groups := map[int][]byte{}
			for kg := range base.DefaultMaxParallelism {
				groups[kg] = state.AppendGroup(nil, backend, kg)
			}
			backend = state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
			for kg, b := range groups {
				if err := state.RestoreGroup(backend, kg, b); err != nil {
					t.Fatal(err)
				}
			}
			open(&operator.Restored{CheckpointID: 1, Timers: timers})
		}
		for _, r := range out.rows {
			_, r, _ = strings.Cut(r, " ")
			got = append(got, fmt.Sprintf("%d|%s", i, r))
		}
		out.rows = out.rows[:0]
	}
	if err := op.Finish(); err != nil {
		t.Fatal(err)
	}
	if b := backend.SizeBytes(); b != 0 {
		t.Fatalf("%d bytes of state after every range", b)
	}
	if len(out.rows) > 0 {
		t.Fatalf("rows at the end of input: %v", out.rows)
	}
	slices.Sort(got)
	return got
}

// untimed drops the timestamp after the op index before each row and
// sorts.
func untimed(rows []string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		at, rest, _ := strings.Cut(r, "|")
		_, rest, _ = strings.Cut(rest, " ")
		out[i] = at + "|" + rest
	}
	slices.Sort(out)
	return out
}

// TestProcIntervalJoinMatchesModel: with random rows and clock advances,
// the processing-time INNER, LEFT, RIGHT and FULL interval joins emit what
// lateJoinModel computes with each row's arrival time as its time and the
// clock as the watermark (nothing is late in processing time), without
// and with checkpoints and restores, and leave no state.
func TestProcIntervalJoinMatchesModel(t *testing.T) {
	pairs, padded := 0, 0
	for seed := range uint64(150) {
		rng := rand.New(rand.NewPCG(seed, 23))
		lo, hi := procBounds(rng)
		ops := procOps(rng, lo.Milliseconds(), hi.Milliseconds(), true)
		for _, kind := range []string{"INNER", "LEFT", "RIGHT", "FULL"} {
			cond := outerCond
			if kind == "INNER" {
				cond = nil
			}
			want := untimed(lateJoinModel(ops, kind, lo.Milliseconds(), hi.Milliseconds(), cond, true))
			n := procJoinNode(kind, lo, hi)
			for _, ckpt := range []bool{false, true} {
				if got := runProcJoin(t, n, ops, ckpt); !slices.Equal(got, want) {
					t.Fatalf("%s seed %d, bounds [%v, %v], checkpoints %t: %s", kind, seed, lo, hi, ckpt, firstDiff(got, want))
				}
			}
			for _, r := range want {
				if strings.Contains(r, "NULL, NULL, NULL") {
					padded++
				} else {
					pairs++
				}
			}
		}
	}
	if pairs == 0 || padded == 0 {
		t.Fatalf("%d pairs, %d padded rows in all runs", pairs, padded)
	}
}
