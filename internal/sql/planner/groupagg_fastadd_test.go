package planner

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// q17Calls are q17's calls over rows (k, v, f1, f2) — COUNT(*), COUNTs
// and a SUM with FILTERs, MIN, MAX, AVG, SUM — or, with retract, the
// ones of them that retract (no MIN/MAX).
func q17Calls(t *testing.T, retract bool) []AggCall {
	t.Helper()
	bi := []table.Type{table.BigIntType()}
	var aggs []AggCall
	add := func(name string, args []int, filter int) {
		var at []table.Type
		if len(args) > 0 {
			at = bi
		}
		f, err := expr.NewAggregate(name, at)
		if err != nil {
			t.Fatal(err)
		}
		if retract && !f.CanRetract() {
			return
		}
		aggs = append(aggs, AggCall{F: f, Args: args, Filter: filter, Text: name})
	}
	add("COUNT", nil, -1)
	add("COUNT", nil, 2)
	add("COUNT", []int{1}, 3)
	add("MIN", []int{1}, -1)
	add("MAX", []int{1}, -1)
	add("AVG", []int{1}, -1)
	add("SUM", []int{1}, -1)
	add("SUM", []int{1}, 2)
	return aggs
}

// q17Row is a random row (k, v, f1, f2) with NULLs in v and the FILTER
// columns.
func q17Row(rng *rand.Rand) table.Row { return q17RowOf(rng, 6) }

// q17RowOf is q17Row with keys from 0 to keys-1.
func q17RowOf(rng *rand.Rand, keys int) table.Row {
	v := table.Int(rng.Int64N(2_000_000) - 1_000_000)
	if rng.IntN(7) == 0 {
		v = table.Null
	}
	flag := func() table.Value {
		switch rng.IntN(5) {
		case 0:
			return table.Null
		case 1, 2:
			return table.Bool(true)
		}
		return table.Bool(false)
	}
	return table.NewRow(table.Int(int64(rng.IntN(keys))), v, flag(), flag())
}

// slowAccs is g without its FastAdd forms: every call through Add.
func slowAccs(g *groupAccs) *groupAccs {
	s := *g
	s.add1, s.ops = nil, nil
	return &s
}

// opsAddAccs is g whose ops have no FastAdd forms: every call through
// addOps's Add.
func opsAddAccs(g *groupAccs) *groupAccs {
	s := slowAccs(g)
	s.ops = s.plainOps()
	return s
}

// TestGroupRowFastAddMatchesAdd applies random rows (inserts, and
// retractions where the calls take them) to a key's accumulators through
// the FastAdd forms and through Add, and checks that the accumulator
// bytes are the same after every row.
func TestGroupRowFastAddMatchesAdd(t *testing.T) {
	for _, retract := range []bool{false, true} {
		g := newGroupAccs(nil, q17Calls(t, retract), table.BigIntType().NotNull())
		n := 0
		for _, f := range g.add1 {
			if f != nil {
				n++
			}
		}
		if n != len(g.plain) {
			t.Fatalf("retract %v: %d of %d calls have a FastAdd form", retract, n, len(g.plain))
		}
		fast, slow, opsAdd := &groupState{g: g}, &groupState{g: slowAccs(g)}, &groupState{g: opsAddAccs(g)}
		cnt := len(g.a.types) - 1
		rng := rand.New(rand.NewPCG(uint64(n), 17))
		for trial := range 50 {
			var fa, sa, oa table.Row
			fh, sh, oh := false, false, false
			var live []table.Row
			for i := range 60 {
				r := q17Row(rng)
				if retract && len(live) > 0 && rng.IntN(3) == 0 {
					j := rng.IntN(len(live))
					r = table.Row{Kind: table.Delete, Fields: live[j].Fields}
					live = slices.Delete(live, j, j+1)
				} else {
					live = append(live, r)
				}
				var err error
				if fa, fh, err = fast.groupRow(fa, fh, cnt, r); err != nil {
					t.Fatal(err)
				}
				if sa, sh, err = slow.groupRow(sa, sh, cnt, r); err != nil {
					t.Fatal(err)
				}
				if oa, oh, err = opsAdd.groupRow(oa, oh, cnt, r); err != nil {
					t.Fatal(err)
				}
				if fh != sh || oh != sh {
					t.Fatalf("trial %d row %d: has %v, %v and %v", trial, i, fh, sh, oh)
				}
				if !fh {
					continue
				}
				fb, err := g.a.codec.AppendRow(nil, fa)
				if err != nil {
					t.Fatal(err)
				}
				sb, err := g.a.codec.AppendRow(nil, sa)
				if err != nil {
					t.Fatal(err)
				}
				ob, err := g.a.codec.AppendRow(nil, oa)
				if err != nil {
					t.Fatal(err)
				}
				if string(fb) != string(sb) || string(ob) != string(sb) {
					t.Fatalf("retract %v trial %d row %d: accumulators %v (FastAdd), %v (addOps, Add), %v (Add)", retract, trial, i, fa, oa, sa)
				}
			}
		}
	}
}

// TestMiniBatchPreAggMatchesPerRow runs random rows of q17's shape (NULL
// values and FILTER columns) with watermarks and checkpoint barriers,
// some restored into a new function, through the per-row operator with
// Add and the mini-batch one with the FastAdd forms, pre-aggregating
// (preagg) or buffering the rows, the two alternating at restores (each
// restores the other's state), and checks the changelogs at every
// barrier and at the end. With retract, inserts of 40 keys are followed
// by deletions of half of them (the first ends the pre-aggregation), so
// that keys' counts go to 0 (-D): the pre-aggregated counts must be the
// per-row ones.
func TestMiniBatchPreAggMatchesPerRow(t *testing.T) {
	types := []table.Type{table.BigIntType(), table.BigIntType(), table.BooleanType(), table.BooleanType()}
	keyFn := rowKeyFn(table.NewRowCodecTypes(table.BigIntType()), 1)
	upTo := func(lines []string) [][]string {
		var states [][]string
		for i, l := range lines {
			if bundleEnd(l) {
				st, err := applyRows(slices.DeleteFunc(slices.Clone(lines[:i]), isMark))
				if err != nil {
					t.Fatal(err)
				}
				states = append(states, st)
			}
		}
		return states
	}
	for _, retract := range []bool{false, true} {
		aggs := q17Calls(t, retract)
		g := newGroupAccs(nil, aggs, table.BigIntType().NotNull())
		if !preAggOK(g, types) {
			t.Fatalf("retract %v: q17's calls are not pre-aggregated", retract)
		}
		slow := slowAccs(g)
		x := &GroupAgg{Keys: []int{0}, Aggs: aggs}
		for seed := range uint64(20) {
			rng := rand.New(rand.NewPCG(seed, 17))
			var ops []ckOp
			var live []table.Row
			wm := int64(0)
			keys := 6
			if retract {
				keys = 40
			}
			for op := range 300 {
				switch rng.IntN(20) {
				case 0:
					wm += int64(rng.IntN(100))
					ops = append(ops, ckOp{kind: 1, wm: wm})
					continue
				case 1:
					ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
					continue
				}
				ts := wm + int64(rng.IntN(50))
				if retract && op >= 150 && len(live) > 0 && rng.IntN(2) == 0 {
					j := rng.IntN(len(live))
					ops = append(ops, ckOp{ts: ts, row: table.Row{Kind: table.Delete, Fields: live[j].Fields}})
					live = slices.Delete(live, j, j+1)
					continue
				}
				r := q17RowOf(rng, keys)
				live = append(live, r)
				ops = append(ops, ckOp{ts: ts, row: r})
			}
			want := upTo(runKeyedCheckpointed(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
				return perRowGroupAgg(slow, x, nil)
			}))
			for _, size := range []int{1, 7, 1000} {
				for _, pre := range []bool{true, false} {
					mb := *x
					mb.MiniBatch = miniBatch{Latency: time.Hour, Size: size}
					// The rows reused by the driver: the bundle keeps copies
					// (of the values, or of the rows once a retraction ended
					// the pre-aggregation).
					got := upTo(runKeyedReusing(t, ops, keyFn, func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
						if opens%2 == 1 {
							return perRowGroupAgg(slow, x, nil)
						}
						f := newMiniBatchGroupAgg(g, &mb, nil)
						f.setPreAgg(pre)
						return f
					}))
					if len(got) != len(want) {
						t.Fatalf("retract %v seed %d: %d barriers and ends, want %d", retract, seed, len(got), len(want))
					}
					for i := range want {
						if !slices.Equal(got[i], want[i]) {
							t.Fatalf("retract %v seed %d, bundles of %d, pre-aggregated %v, at barrier or end %d:\n%v\nwant:\n%v", retract, seed, size, pre, i+1, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestPreAggOK: which calls a bundle pre-aggregates.
func TestPreAggOK(t *testing.T) {
	for _, c := range []struct {
		name string
		arg  table.Type
		ok   bool
	}{
		{"SUM", table.BigIntType(), true}, {"AVG", table.IntType(), true}, {"MAX", table.SmallIntType(), true},
		{"COUNT", table.StringType(), true}, {"SUM", table.DoubleType(), false}, {"MIN", table.StringType(), false},
		{"MAX", table.DoubleType(), false}, {"SUM", table.DecimalType(10, 2), false}, {"MIN_RETRACT", table.BigIntType(), false},
	} {
		f, err := expr.NewAggregate(c.name, []table.Type{c.arg})
		if err != nil {
			t.Fatal(err)
		}
		g := newGroupAccs(nil, []AggCall{{F: f, Args: []int{0}, Filter: -1}}, table.BigIntType().NotNull())
		if got := preAggOK(g, []table.Type{c.arg}); got != c.ok {
			t.Errorf("%s(%s): pre-aggregated %v, want %v", c.name, c.arg, got, c.ok)
		}
	}
}
