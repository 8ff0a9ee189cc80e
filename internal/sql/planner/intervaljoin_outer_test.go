package planner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// outerCols are the columns of both sides of the tests' outer interval
// joins: k (the key, nullable), ts (the time), v (read by the condition).
var outerCols = []Col{{Name: "k", Type: table.BigIntType()}, {Name: "ts", Type: table.TimestampType(3)}, {Name: "v", Type: table.BigIntType()}}

// outerCond is the residual condition of the tests: l.v <> r.v (a NULL v
// pairs with nothing).
func outerCond(r *table.Row) (bool, error) {
	a, b := r.Fields[2], r.Fields[5]
	return !a.IsNull() && !b.IsNull() && a.AsInt() != b.AsInt(), nil
}

func outerJoinNode(kind string, lo, hi time.Duration) *IntervalOuterJoin {
	return &IntervalOuterJoin{Kind: kind, L: &Calc{cols: outerCols}, R: &Calc{cols: outerCols}, LKeys: []int{0}, RKeys: []int{0},
		Lower: lo, Upper: hi, LTimeCol: 1, RTimeCol: 1}
}

func outerKeyFns(n *IntervalOuterJoin) (lkey, rkey func(table.Row) string, lnull, rnull func(table.Row) bool) {
	lkey, lnull = joinKeyOf(n.L, n.LKeys, nil, 'L')
	rkey, rnull = joinKeyOf(n.R, n.RKeys, nil, 'R')
	return
}

// outerOps makes random rows of both sides (keys 0-2 and NULL, times
// within 10 s, some NULL v, rarely a NULL time) and watermarks between
// them. With late false every watermark is below the time of every row
// after it (no row is late); else it may pass some of them.
func outerOps(rng *rand.Rand, late bool) []ckOp {
	n := 40 + rng.IntN(80)
	type in struct {
		left bool
		row  table.Row
		t    int64
	}
	rows := make([]in, n)
	for i := range rows {
		k := table.Int(int64(rng.IntN(3)))
		if rng.IntN(10) == 0 {
			k = table.Null
		}
		v := table.Int(int64(rng.IntN(4)))
		if rng.IntN(8) == 0 {
			v = table.Null
		}
		t := int64(rng.IntN(10000))
		tv := table.TimestampMillis(t)
		if rng.IntN(40) == 0 {
			tv, t = table.Null, base.MinTime
		}
		rows[i] = in{rng.IntN(2) == 0, table.NewRow(k, tv, v), t}
	}
	var ops []ckOp
	wm := int64(base.MinTime)
	for i, r := range rows {
		ops = append(ops, ckOp{kind: 0, ts: r.t, row: r.row, left: r.left})
		if rng.IntN(5) != 0 {
			continue
		}
		next := int64(base.MaxTime) // below every time after i
		for _, s := range rows[i+1:] {
			if s.t != base.MinTime {
				next = min(next, s.t)
			}
		}
		w := next - 1 - int64(rng.IntN(500))
		if late {
			w = wm + int64(rng.IntN(3000))
		}
		if next != base.MaxTime && w > wm {
			wm = w
			ops = append(ops, ckOp{kind: 1, wm: wm})
		}
	}
	return ops
}

// outerOracle is what the outer join of kind must emit for the rows of
// ops, computed from the whole input: every pair on equal non-NULL keys
// with lo <= l.ts - r.ts <= hi that passes outerCond (timestamp: the later
// time), and each row of a padded side in no pair, padded (its time).
func outerOracle(ops []ckOp, kind string, lo, hi int64) []string {
	var ls, rs []ckOp
	for _, o := range ops {
		if o.kind != 0 {
			continue
		}
		if o.left {
			ls = append(ls, o)
		} else {
			rs = append(rs, o)
		}
	}
	var out []string
	rmatched := make([]bool, len(rs))
	for _, l := range ls {
		matched := false
		for j, r := range rs {
			lk, rk := l.row.Fields[0], r.row.Fields[0]
			if lk.IsNull() || rk.IsNull() || lk.AsInt() != rk.AsInt() || l.row.Fields[1].IsNull() || r.row.Fields[1].IsNull() {
				continue
			}
			if d := l.ts - r.ts; d < lo || d > hi {
				continue
			}
			pair := joinRows(l.row.Fields, r.row.Fields, 3, 3)
			if ok, _ := outerCond(&pair); !ok {
				continue
			}
			matched, rmatched[j] = true, true
			out = append(out, fmt.Sprintf("%d %s", max(l.ts, r.ts), pair.String()))
		}
		if !matched && (kind == "LEFT" || kind == "FULL") {
			out = append(out, fmt.Sprintf("%d %s", l.ts, joinRows(l.row.Fields, nil, 3, 3).String()))
		}
	}
	for j, r := range rs {
		if !rmatched[j] && (kind == "RIGHT" || kind == "FULL") {
			out = append(out, fmt.Sprintf("%d %s", r.ts, joinRows(nil, r.row.Fields, 3, 3).String()))
		}
	}
	slices.Sort(out)
	return out
}

// runOuterJoin runs the outer interval join over ops (checkpoints and
// restores if ckpt) and returns its output, sorted.
func runOuterJoin(t *testing.T, n *IntervalOuterJoin, ops []ckOp, ckpt bool) []string {
	t.Helper()
	lkey, rkey, lnull, rnull := outerKeyFns(n)
	got := runCoKeysWithCheckpoints(t, ops, lkey, rkey, ckpt, func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
		f := newIntervalOuterFn(n, lnull, rnull)
		f.cond = outerCond
		return f
	})
	slices.Sort(got)
	return got
}

// randomBounds are bounds of the join: lo in [-3 s, 1 s), hi - lo in
// [0, 4 s).
func randomBounds(rng *rand.Rand) (time.Duration, time.Duration) {
	lo := time.Duration(rng.IntN(4000)-3000) * time.Millisecond
	return lo, lo + time.Duration(rng.IntN(4000))*time.Millisecond
}

// TestIntervalOuterJoinMatchesOracle: with watermarks that make no row
// late, the LEFT, RIGHT and FULL interval joins emit exactly the pairs and
// padded rows of the join computed from the whole input.
func TestIntervalOuterJoinMatchesOracle(t *testing.T) {
	padded := 0
	for seed := range uint64(150) {
		rng := rand.New(rand.NewPCG(seed, 11))
		lo, hi := randomBounds(rng)
		ops := outerOps(rng, false)
		for _, kind := range []string{"LEFT", "RIGHT", "FULL"} {
			want := outerOracle(ops, kind, lo.Milliseconds(), hi.Milliseconds())
			got := runOuterJoin(t, outerJoinNode(kind, lo, hi), ops, false)
			if !slices.Equal(got, want) {
				t.Fatalf("%s seed %d, bounds [%v, %v]: %s", kind, seed, lo, hi, firstDiff(got, want))
			}
			for _, r := range got {
				if strings.Contains(r, "NULL, NULL, NULL") {
					padded++
				}
			}
		}
	}
	if padded == 0 {
		t.Fatal("no padded row in any run")
	}
}

// TestIntervalOuterJoinRestoreIsExact: the outer interval joins stopped
// at random points (late rows too) and restored from the keyed state and
// timers a checkpoint captures emit what they emit uninterrupted (the
// matched flags are in state: a row joined before the restore is not
// padded after it).
func TestIntervalOuterJoinRestoreIsExact(t *testing.T) {
	restores := 0
	for seed := range uint64(100) {
		rng := rand.New(rand.NewPCG(seed, 13))
		lo, hi := randomBounds(rng)
		ops := outerOps(rng, seed%2 == 1)
		var ck []ckOp
		for _, o := range ops {
			ck = append(ck, o)
			if rng.IntN(6) == 0 {
				ck = append(ck, ckOp{kind: 3})
				restores++
			}
		}
		for _, kind := range []string{"LEFT", "RIGHT", "FULL"} {
			n := outerJoinNode(kind, lo, hi)
			want := runOuterJoin(t, n, ck, false)
			if got := runOuterJoin(t, n, ck, true); !slices.Equal(got, want) {
				t.Fatalf("%s seed %d, bounds [%v, %v], restored: %s", kind, seed, lo, hi, firstDiff(got, want))
			}
		}
	}
	if restores == 0 {
		t.Fatal("no restore")
	}
}

// TestIntervalOuterJoinDropsStateAndPadsLateRows: a left row waits until
// the watermark passes the end of its range (t - lo), then it is emitted
// padded and the state is empty; a late row is joined with the rows still
// in state and, when its own range has passed, padded at once.
func TestIntervalOuterJoinDropsStateAndPadsLateRows(t *testing.T) {
	n := outerJoinNode("FULL", -2*time.Second, 3*time.Second) // r.ts in [l.ts - 3 s, l.ts + 2 s]
	lkey, rkey, lnull, rnull := outerKeyFns(n)
	h, err := streamtest.New(func(s stream.Stream[sided]) stream.Stream[table.Row] {
		side := func(left bool, key func(table.Row) string) stream.KeyedStream[table.Row, string] {
			rows := stream.Map(s.Filter(func(x sided) bool { return x.Left == left }), func(x sided) table.Row { return x.Row })
			return stream.KeyBy(rows, key)
		}
		return stream.KeyedCoProcessWatermarkDelay(side(true, lkey), side(false, rkey), n.watermarkDelay(),
			func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
				return newIntervalOuterFn(n, lnull, rnull)
			})
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
	step(h.Record(10000, sided{true, row(1, 10000, 1)}))
	step(h.Watermark(12000)) // the range of l@10 s ends at 12 s: not passed
	if got := values(); len(got) != 0 || h.StateBytes() == 0 {
		t.Fatalf("at the end of the range: %v emitted, %d bytes of state", got, h.StateBytes())
	}
	step(h.Watermark(12001))
	if got := values(); !slices.Equal(got, []string{"+I(1, TIMESTAMP '1970-01-01 00:00:10', 1, NULL, NULL, NULL)"}) {
		t.Fatalf("past the range: %v", got)
	}
	if b := h.StateBytes(); b != 0 {
		t.Fatalf("past the range: %d bytes of state", b)
	}
	// r@20 s waits (its range, l.ts in [18 s, 23 s], ends at 23 s); the
	// late l@19 s pairs with it and waits too (its range ends at 21 s >
	// the watermark, 20.5 s); the late l@15 s finds nothing and its range
	// (ends 17 s) has passed: padded at once.
	step(h.Record(20000, sided{false, row(2, 20000, 2)}))
	step(h.Watermark(20500))
	step(h.Record(19000, sided{true, row(2, 19000, 3)}))
	step(h.Record(15000, sided{true, row(2, 15000, 4)}))
	want := []string{
		"+I(2, TIMESTAMP '1970-01-01 00:00:19', 3, 2, TIMESTAMP '1970-01-01 00:00:20', 2)",
		"+I(2, TIMESTAMP '1970-01-01 00:00:15', 4, NULL, NULL, NULL)",
	}
	if got := values(); !slices.Equal(got, want) {
		t.Fatalf("late rows:\n got %v\nwant %v", got, want)
	}
	step(h.Watermark(30000)) // both matched: nothing padded
	if got := values(); len(got) != 0 || h.StateBytes() != 0 {
		t.Fatalf("after the ranges: %v emitted, %d bytes of state", got, h.StateBytes())
	}
	if err := h.EndInput(); err != nil {
		t.Fatal(err)
	}
}
