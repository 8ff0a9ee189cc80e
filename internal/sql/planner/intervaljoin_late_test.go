package planner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// Late rows of the interval joins, as Flink SQL's TimeIntervalJoin: a row
// is joined with the other side's rows still in state whatever its
// lateness, and kept only while rows that are not late can pair with it.

func innerJoinNode(lo, hi time.Duration) *IntervalJoin {
	return &IntervalJoin{L: &Calc{cols: outerCols}, R: &Calc{cols: outerCols}, LKeys: []int{0}, RKeys: []int{0},
		Lower: lo, Upper: hi, LTimeCol: 1, RTimeCol: 1}
}

// TestIntervalJoinJoinsLateRows drives the inner SQL interval join with
// explicit rows and watermarks: a late row pairs with the rows in state and
// is kept only while its range has not passed, nothing is counted as a
// dropped late row, and the state empties once the watermark passes every
// range.
func TestIntervalJoinJoinsLateRows(t *testing.T) {
	n := innerJoinNode(-2*time.Second, 3*time.Second) // r.ts in [l.ts - 3 s, l.ts + 2 s]
	lc, rc := rowCodecOf(n.L), rowCodecOf(n.R)
	lkey, _ := joinKeyOf(n.L, n.LKeys, nil, 'L')
	rkey, _ := joinKeyOf(n.R, n.RKeys, nil, 'R')
	h, err := streamtest.New(func(s stream.Stream[sided]) stream.Stream[table.Row] {
		side := func(left bool, c *table.RowCodec, key func(table.Row) string) stream.KeyedStream[[]byte, string] {
			rows := stream.Map(s.Filter(func(x sided) bool { return x.Left == left }), func(x sided) []byte {
				b, err := c.AppendRow(nil, x.Row)
				if err != nil {
					panic(err)
				}
				return b
			})
			return stream.KeyBy(rows, func(b []byte) string {
				r, err := c.Decode(b)
				if err != nil {
					panic(err)
				}
				return key(r)
			})
		}
		return n.joinKeyed(side(true, lc, lkey), side(false, rc, rkey), lc, rc)
	})
	if err != nil {
		t.Fatal(err)
	}
	row := func(k, ts, v int64) table.Row {
		return table.NewRow(table.Int(k), table.TimestampMillis(ts), table.Int(v))
	}
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	values := func() []string { return strs(h.Values()) }
	// l@10 s waits until the watermark passes 12 s (r.ts up to 12 s pairs).
	step(h.Record(10000, sided{true, row(1, 10000, 1)}))
	step(h.Watermark(12000))
	step(h.Record(12000, sided{false, row(1, 12000, 2)})) // not late: at the watermark
	if got, want := values(), []string{"+I(1, TIMESTAMP '1970-01-01 00:00:10', 1, 1, TIMESTAMP '1970-01-01 00:00:12', 2)"}; !slices.Equal(got, want) {
		t.Fatalf("at the end of the range:\n got %v\nwant %v", got, want)
	}
	// r@20 s waits; the late l@19 s (range r.ts in [16 s, 21 s], not
	// passed at 20.5 s) pairs with it and waits; the late r@17 s pairs
	// with l@19 s and is not kept (its range, l.ts in [15 s, 20 s], has
	// passed): the late l@16 s finds no partner (r@17 s would be one).
	step(h.Record(20000, sided{false, row(2, 20000, 3)}))
	step(h.Watermark(20500))
	step(h.Record(19000, sided{true, row(2, 19000, 4)}))
	step(h.Record(17000, sided{false, row(2, 17000, 5)}))
	step(h.Record(16000, sided{true, row(2, 16000, 6)}))
	want := []string{
		"+I(2, TIMESTAMP '1970-01-01 00:00:19', 4, 2, TIMESTAMP '1970-01-01 00:00:20', 3)",
		"+I(2, TIMESTAMP '1970-01-01 00:00:19', 4, 2, TIMESTAMP '1970-01-01 00:00:17', 5)",
	}
	if got := values(); !slices.Equal(got, want) {
		t.Fatalf("late rows:\n got %v\nwant %v", got, want)
	}
	if n := h.LateRecords(); n != 0 {
		t.Fatalf("%d rows counted as dropped late rows", n)
	}
	step(h.Watermark(30000))
	if got := values(); len(got) != 0 || h.StateBytes() != 0 {
		t.Fatalf("after the ranges: %v emitted, %d bytes of state", got, h.StateBytes())
	}
	if err := h.EndInput(); err != nil {
		t.Fatal(err)
	}
}

// lateJoinModel is Flink SQL's interval join of kind (INNER, LEFT, RIGHT,
// FULL) over ops in their order (the interleaving the operator sees),
// computed by brute force: each row pairs with the rows of the other side
// that came before it, are in its bounds, pass cond (nil: none) and are
// still kept: a row at t is kept from its arrival while the watermark is
// below its expiry (a left row: t - lo + 1, a right one: t + hi + 1). A
// row of a padded side in no pair is emitted padded when its expiry is
// reached, or at its arrival when it is not kept; a row with a NULL key or
// time pairs with nothing (padded at once on a padded side). With at, each
// row is prefixed by the index of the op it is emitted at ("12|").
func lateJoinModel(ops []ckOp, kind string, lo, hi int64, cond func(*table.Row) (bool, error), at bool) []string {
	type kept struct {
		o       ckOp
		exp     int64
		matched bool
	}
	padL, padR := kind == "LEFT" || kind == "FULL", kind == "RIGHT" || kind == "FULL"
	var out []string
	i := 0 // the op
	emit := func(s string) {
		if at {
			s = fmt.Sprintf("%d|%s", i, s)
		}
		out = append(out, s)
	}
	pad := func(o ckOp) {
		if o.left && padL {
			emit(fmt.Sprintf("%d %s", o.ts, joinRows(o.row.Fields, nil, 3, 3).String()))
		} else if !o.left && padR {
			emit(fmt.Sprintf("%d %s", o.ts, joinRows(nil, o.row.Fields, 3, 3).String()))
		}
	}
	var state []*kept
	wm := int64(base.MinTime)
	expire := func() {
		live := state[:0]
		for _, k := range state {
			if k.exp > wm {
				live = append(live, k)
			} else if !k.matched {
				pad(k.o)
			}
		}
		state = live
	}
	for j, o := range append(slices.Clone(ops), ckOp{kind: 1, wm: base.MaxTime}) {
		i = j
		switch o.kind {
		case 1:
			wm = o.wm
			expire()
			continue
		case 0:
		default:
			continue
		}
		if o.row.Fields[0].IsNull() || o.row.Fields[1].IsNull() {
			pad(o)
			continue
		}
		matched := false
		for _, k := range state {
			if k.o.left == o.left || k.o.row.Fields[0].AsInt() != o.row.Fields[0].AsInt() {
				continue
			}
			l, r := o, k.o
			if !o.left {
				l, r = k.o, o
			}
			if d := l.ts - r.ts; d < lo || d > hi {
				continue
			}
			pair := joinRows(l.row.Fields, r.row.Fields, 3, 3)
			if cond != nil {
				if ok, _ := cond(&pair); !ok {
					continue
				}
			}
			matched, k.matched = true, true
			emit(fmt.Sprintf("%d %s", max(l.ts, r.ts), pair.String()))
		}
		exp := o.ts - lo + 1
		if !o.left {
			exp = o.ts + hi + 1
		}
		if wm == base.MinTime || exp > wm {
			state = append(state, &kept{o: o, exp: exp, matched: matched})
		} else if !matched {
			pad(o)
		}
	}
	slices.Sort(out)
	return out
}

// runInnerJoin runs the inner interval join's operator (the DataStream
// interval join with JoinLate and the planner's pair function) over ops,
// checkpointed and restored if ckpt, and returns its output, sorted.
// lateFrom (>= 0) makes the operators opened before the lateFrom-th
// restore ones without JoinLate (the join before late rows were joined:
// their checkpoints restore into it).
func runInnerJoin(t *testing.T, n *IntervalJoin, ops []ckOp, ckpt bool, lateFrom int) []string {
	t.Helper()
	lc, rc := rowCodecOf(n.L), rowCodecOf(n.R)
	lkey, _ := joinKeyOf(n.L, n.LKeys, nil, 'L')
	rkey, _ := joinKeyOf(n.R, n.RKeys, nil, 'R')
	keyOf := func(c *table.RowCodec, key func(table.Row) string) func([]byte) string {
		return func(b []byte) string {
			r, err := c.Decode(b)
			if err != nil {
				panic(err)
			}
			return key(r)
		}
	}
	out := &sliceOut{}
	opens := 0
	driveWithCheckpoints(t, ops, ckpt, func(rt *operator.Runtime) ckDriven {
		op := &operator.IntervalJoin[string, []byte, []byte, table.Row]{Key1: keyOf(lc, lkey), Key2: keyOf(rc, rkey),
			KeyCodec: codec.For[string](), Lower: -n.Upper.Milliseconds(), Upper: -n.Lower.Milliseconds(),
			Fn: pairFn(lc, rc), Out: out, OutputDelay: n.watermarkDelay().Milliseconds(), JoinLate: opens >= lateFrom}
		opens++
		if err := op.Open(rt); err != nil {
			t.Fatal(err)
		}
		in1, in2 := op.Input1(), op.Input2()
		return ckDriven{op, func(o ckOp) {
			c := lc
			if !o.left {
				c = rc
			}
			b, err := c.AppendRow(nil, o.row)
			if err != nil {
				t.Fatal(err)
			}
			if o.left {
				in1.Collect(o.ts, b)
			} else {
				in2.Collect(o.ts, b)
			}
		}}
	})
	slices.Sort(out.rows)
	return out.rows
}

// withoutNullTimes drops the rows with a NULL time (an inner join's input
// is stamped by its time column: a row without one fails the operator).
func withoutNullTimes(ops []ckOp) []ckOp {
	var out []ckOp
	for _, o := range ops {
		if o.kind != 0 || !o.row.Fields[1].IsNull() {
			out = append(out, o)
		}
	}
	return out
}

// withRestores puts a checkpoint and restore after random ops.
func withRestores(rng *rand.Rand, ops []ckOp) []ckOp {
	var ck []ckOp
	for _, o := range ops {
		ck = append(ck, o)
		if rng.IntN(6) == 0 {
			ck = append(ck, ckOp{kind: 3})
		}
	}
	return ck
}

// TestIntervalJoinLateRowsMatchModel: with random rows (NULL keys, NULL
// values, rarely NULL times) and watermarks that make many of them late,
// the inner, LEFT, RIGHT and FULL interval joins emit exactly what
// lateJoinModel computes for the same interleaving, uninterrupted and
// checkpointed and restored at random points.
func TestIntervalJoinLateRowsMatchModel(t *testing.T) {
	pairs, late := 0, 0
	for seed := range uint64(150) {
		rng := rand.New(rand.NewPCG(seed, 17))
		lo, hi := randomBounds(rng)
		ops := outerOps(rng, seed%4 != 0)
		ck := withRestores(rng, ops)
		for _, kind := range []string{"INNER", "LEFT", "RIGHT", "FULL"} {
			var want []string
			var runs [2][]string
			if kind == "INNER" {
				in := withoutNullTimes(ck)
				want = lateJoinModel(in, kind, lo.Milliseconds(), hi.Milliseconds(), nil, false)
				n := innerJoinNode(lo, hi)
				runs = [2][]string{runInnerJoin(t, n, in, false, 0), runInnerJoin(t, n, in, true, 0)}
				pairs += len(want)
			} else {
				want = lateJoinModel(ck, kind, lo.Milliseconds(), hi.Milliseconds(), outerCond, false)
				n := outerJoinNode(kind, lo, hi)
				runs = [2][]string{runOuterJoin(t, n, ck, false), runOuterJoin(t, n, ck, true)}
			}
			for i, got := range runs {
				if !slices.Equal(got, want) {
					t.Fatalf("%s seed %d, bounds [%v, %v], checkpoints %t: %s", kind, seed, lo, hi, i == 1, firstDiff(got, want))
				}
			}
		}
		wm := int64(base.MinTime)
		for _, o := range ops {
			if o.kind == 1 {
				wm = o.wm
			} else if o.kind == 0 && o.ts < wm {
				late++
			}
		}
	}
	if pairs == 0 || late == 0 {
		t.Fatalf("%d pairs, %d late rows in all runs", pairs, late)
	}
}

// TestIntervalJoinLateRestoresOldCheckpoints: the inner join's state of a
// checkpoint taken before late rows were joined (cleanup timers at the
// DataStream interval join's times) restores into the join with JoinLate:
// the restored rows stay until their expiries, and it emits what the model
// computes for a join that had joined late rows from the start. The runs
// restore once, before the watermark reaches any row's range (the old
// join dropped late rows, and dropped a left row at t when the watermark
// reached t - lo, one millisecond before its expiry).
func TestIntervalJoinLateRestoresOldCheckpoints(t *testing.T) {
	restored := 0
	for seed := range uint64(150) {
		rng := rand.New(rand.NewPCG(seed, 19))
		lo, hi := randomBounds(rng)
		ops := withoutNullTimes(outerOps(rng, true))
		// Every expiry is at least -3 s (times >= 0, lo < 1 s, hi >= -3 s).
		at := len(ops)
		for i, o := range ops {
			if o.kind == 1 && o.wm >= -3000 {
				at = i
				break
			}
		}
		ck := append(append(slices.Clone(ops[:at]), ckOp{kind: 3}), ops[at:]...)
		restored++
		n := innerJoinNode(lo, hi)
		want := lateJoinModel(ck, "INNER", lo.Milliseconds(), hi.Milliseconds(), nil, false)
		if got := runInnerJoin(t, n, ck, true, 1); !slices.Equal(got, want) {
			t.Fatalf("seed %d, bounds [%v, %v], restored at %d: %s", seed, lo, hi, at, firstDiff(got, want))
		}
	}
	if restored == 0 {
		t.Fatal("no restore")
	}
}

// TestIntervalJoinLateRestoredTimers pins the two ways a cleanup timer of
// the join before late rows were joined (restored) differs from the
// expiry: it fires one millisecond early when lo < 0 (a left row at t: at
// t - lo) and is moved to the expiry, so a right row at t - lo still
// pairs; it fires late when lo > 0 (at t), and the row, expired from
// t - lo + 1 on, pairs with no late row in between. The right side's
// mirror cases check the right rows' timers (moved, or expired and not
// joined) the same way.
func TestIntervalJoinLateRestoredTimers(t *testing.T) {
	row := func(k, ts, v int64) table.Row {
		return table.NewRow(table.Int(k), table.TimestampMillis(ts), table.Int(v))
	}
	for _, c := range []struct {
		name   string
		lo, hi time.Duration
		ops    []ckOp
		want   []string
	}{
		{"early", -2 * time.Second, 3 * time.Second, []ckOp{
			{kind: 0, ts: 10000, row: row(1, 10000, 1), left: true},
			{kind: 3},
			{kind: 1, wm: 12000},
			{kind: 0, ts: 12000, row: row(1, 12000, 2)},
			{kind: 1, wm: 12001},
			{kind: 0, ts: 11000, row: row(1, 11000, 3)},
		}, []string{"12000 +I(1, TIMESTAMP '1970-01-01 00:00:10', 1, 1, TIMESTAMP '1970-01-01 00:00:12', 2)"}},
		{"late", time.Second, 3 * time.Second, []ckOp{
			{kind: 0, ts: 20000, row: row(2, 20000, 1), left: true},
			{kind: 3},
			{kind: 1, wm: 19000},
			{kind: 0, ts: 18500, row: row(2, 18500, 2)},
			{kind: 1, wm: 19500},
			{kind: 0, ts: 18000, row: row(2, 18000, 3)},
		}, []string{"20000 +I(2, TIMESTAMP '1970-01-01 00:00:20', 1, 2, TIMESTAMP '1970-01-01 00:00:18.500', 2)"}},
		// The right side's mirrors: a right row at t, timer at t + hi
		// when hi > 0 (one millisecond before its expiry: moved), else
		// at t (after its expiry, t + hi + 1, when hi < -1 ms).
		{"right early", -2 * time.Second, 3 * time.Second, []ckOp{
			{kind: 0, ts: 10000, row: row(1, 10000, 1)},
			{kind: 3},
			{kind: 1, wm: 13000},
			{kind: 0, ts: 13000, row: row(1, 13000, 2), left: true},
			{kind: 1, wm: 13001},
			{kind: 0, ts: 12000, row: row(1, 12000, 3), left: true},
		}, []string{"13000 +I(1, TIMESTAMP '1970-01-01 00:00:13', 2, 1, TIMESTAMP '1970-01-01 00:00:10', 1)"}},
		{"right late", -3 * time.Second, -time.Second, []ckOp{
			{kind: 0, ts: 20000, row: row(2, 20000, 1)},
			{kind: 3},
			{kind: 1, wm: 19000},
			{kind: 0, ts: 18000, row: row(2, 18000, 2), left: true},
			{kind: 1, wm: 19500},
			{kind: 0, ts: 18500, row: row(2, 18500, 3), left: true},
		}, []string{"20000 +I(2, TIMESTAMP '1970-01-01 00:00:18', 2, 2, TIMESTAMP '1970-01-01 00:00:20', 1)"}},
	} {
		n := innerJoinNode(c.lo, c.hi)
		if got := lateJoinModel(c.ops, "INNER", c.lo.Milliseconds(), c.hi.Milliseconds(), nil, false); !slices.Equal(got, c.want) {
			t.Fatalf("%s: the model:\n got %v\nwant %v", c.name, got, c.want)
		}
		if got := runInnerJoin(t, n, c.ops, true, 1); !slices.Equal(got, c.want) {
			t.Fatalf("%s: restored:\n got %v\nwant %v", c.name, got, c.want)
		}
	}
}
