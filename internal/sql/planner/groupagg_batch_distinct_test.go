package planner

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// TestMiniBatchDistinctNetMatchesPerRow feeds random changelogs with
// DISTINCT aggregates (repeated values, FILTERs that are TRUE, FALSE or
// NULL, NULL arguments, -U/+U and -D of earlier rows, retractions of rows
// that were never there: counts below zero and rows dropped at keys
// without state, groups whose count goes to 0 and back; a DOUBLE view
// with NaN and signed zeros) to the mini-batch aggregation folding each
// key's bundle once per distinct value (foldRows) and row by row
// (groupRow), with checkpoint barriers and restores alternating the two,
// and checks that both emit the same changelog, row for row, and that at
// every barrier and at the end it applies to the per-row operator's result.
func TestMiniBatchDistinctNetMatchesPerRow(t *testing.T) {
	bigint, boolean, double := table.BigIntType(), table.BooleanType(), table.DoubleType()
	in := colsNode{{Name: "k", Type: bigint}, {Name: "v", Type: bigint}, {Name: "p", Type: boolean},
		{Name: "q", Type: boolean}, {Name: "d", Type: double}, {Name: "e", Type: double}}
	agg := func(name string, distinct bool, arg, filter int) AggCall {
		return testAggCall(t, in, name, distinct, arg, filter)
	}
	aggs := []AggCall{
		agg("COUNT", false, -1, -1),
		agg("COUNT_DISTINCT", true, 1, -1),
		agg("COUNT_DISTINCT", true, 1, 2),
		agg("SUM", true, 1, 3),
		agg("AVG", true, 1, -1),
		agg("MIN_RETRACT", true, 1, 2),
		agg("MAX_RETRACT", true, 1, -1),
		agg("SUM", false, 1, 2),
		agg("COUNT_DISTINCT", true, 4, 3), // a view with a DOUBLE SUM: row by row
		agg("SUM", true, 4, -1),
		agg("COUNT_DISTINCT", true, 5, -1), // DOUBLE, only COUNT: by value
		agg("COUNT_DISTINCT", true, 5, 2),
	}
	g := newGroupAccs(in, aggs, table.BigIntType().NotNull())
	var net []bool
	for _, v := range g.views {
		net = append(net, v.netOK)
	}
	if !slices.Equal(net, []bool{true, false, true}) {
		t.Fatalf("views by value: %v, want [true false true]", net)
	}
	keyFn := rowKeyFn(table.NewRowCodecTypes(bigint), 1)
	boolOrNull := func(rng *rand.Rand) table.Value {
		if rng.IntN(6) == 0 {
			return table.Null
		}
		return table.Bool(rng.IntN(2) == 0)
	}
	doubles := []float64{0, math.Copysign(0, -1), math.NaN(), 1.5, 0.1, 0.2}
	gen := func(seed uint64) []ckOp {
		rng := rand.New(rand.NewPCG(seed, 7))
		var live []table.Row
		var ops []ckOp
		wm := int64(0)
		for range 400 {
			switch rng.IntN(30) {
			case 0, 1:
				wm += int64(rng.IntN(100))
				ops = append(ops, ckOp{kind: 1, wm: wm})
				continue
			case 2:
				ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
				continue
			}
			v := table.Int(int64(rng.IntN(5)))
			if rng.IntN(10) == 0 {
				v = table.Null
			}
			d, e := table.Float(doubles[rng.IntN(len(doubles))]), table.Float(doubles[rng.IntN(len(doubles))])
			if rng.IntN(10) == 0 {
				d = table.Null
			}
			r := table.NewRow(table.Int(int64(rng.IntN(3))), v, boolOrNull(rng), boolOrNull(rng), d, e)
			ts := wm + int64(rng.IntN(50))
			switch n := rng.IntN(10); {
			case n < 4 && len(live) > 0:
				i := rng.IntN(len(live))
				old := live[i]
				live = slices.Delete(live, i, i+1)
				if n < 2 {
					ops = append(ops, ckOp{ts: ts, row: table.Row{Kind: table.Delete, Fields: old.Fields}})
					continue
				}
				ops = append(ops, ckOp{ts: ts, row: table.Row{Kind: table.UpdateBefore, Fields: old.Fields}})
				r.Kind = table.UpdateAfter
			case n == 4:
				// Never there: dropped at a key without state, else a
				// count below zero.
				ops = append(ops, ckOp{ts: ts, row: table.Row{Kind: table.Delete, Fields: r.Fields}})
				continue
			}
			live = append(live, table.NewRow(r.Fields...))
			ops = append(ops, ckOp{ts: ts, row: r})
		}
		return ops
	}
	run := func(ops []ckOp, newFn func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row]) []string {
		return runKeyedCheckpointed(t, ops, keyFn, newFn)
	}
	atMarks := func(lines []string) [][]string {
		var states [][]string
		for i, l := range lines {
			if bundleEnd(l) {
				var rows []string
				for _, m := range lines[:i] {
					if !isMark(m) {
						rows = append(rows, m)
					}
				}
				st, err := applyRows(rows)
				if err != nil {
					t.Fatal(err)
				}
				states = append(states, st)
			}
		}
		return states
	}
	x := &GroupAgg{In: in, Keys: []int{0}, Aggs: aggs}
	for seed := range uint64(30) {
		ops := gen(seed)
		want := atMarks(run(ops, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] { return perRowGroupAgg(g, x, nil) }))
		for _, size := range []int{3, 50, 1000} {
			for _, alternate := range []bool{false, true} {
				mb := *x
				mb.MiniBatch = miniBatch{Latency: time.Hour, Size: size}
				fn := func(perRow bool) func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
					return func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
						f := newMiniBatchGroupAgg(g, &mb, nil)
						f.perRow = perRow != (alternate && opens%2 == 1)
						return f
					}
				}
				// The rows reused by the driver: the bundle keeps copies.
				byRow, byValue := runKeyedReusing(t, ops, keyFn, fn(true)), runKeyedReusing(t, ops, keyFn, fn(false))
				if !slices.Equal(byValue, byRow) {
					t.Fatalf("seed %d, bundles of %d (alternating %v): by value\n%v\nrow by row\n%v", seed, size, alternate, byValue, byRow)
				}
				if got := atMarks(byValue); !slices.EqualFunc(got, want, slices.Equal) {
					t.Fatalf("seed %d, bundles of %d (alternating %v): at the barriers and the end\n%v\nwant (per row)\n%v", seed, size, alternate, got, want)
				}
			}
		}
	}
}
