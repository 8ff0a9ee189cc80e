package planner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// wmMarked is a KeyedProcess whose watermarks leave a mark in its output
// after whatever the operator emitted before passing them on.
type wmMarked struct {
	*operator.KeyedProcess[string, table.Row, table.Row]
	out *sliceOut
}

func (w wmMarked) Watermark(wm int64) {
	w.KeyedProcess.Watermark(wm)
	w.out.rows = append(w.out.rows, fmt.Sprintf("WM %d", wm))
}

// applyRows applies changelog lines of sliceOut ("ts +I(...)") and
// returns the rows left, sorted; a -U/-D must find its row.
func applyRows(lines []string) ([]string, error) {
	have := map[string]int{}
	for _, l := range lines {
		_, r, _ := strings.Cut(l, " ")
		kind, fields := r[:2], r[2:]
		switch kind {
		case "+I", "+U":
			have[fields]++
		case "-U", "-D":
			if have[fields] == 0 {
				return nil, fmt.Errorf("%s retracts a row that is not there", l)
			}
			have[fields]--
		}
	}
	var out []string
	for f, n := range have {
		for range n {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out, nil
}

// TestMiniBatchGroupAggMatchesPerRow feeds random changelogs (inserts,
// -U/+U updates and deletes of earlier rows, NULL keys, keys whose count
// goes to 0 and back) with watermarks and checkpoint barriers, some of
// them restored into a new function, to the per-row and the mini-batch
// group aggregation (bundles of 1, 3 and 1000 rows; an allowed latency
// the manual clock never reaches), and checks that at every watermark,
// and at the end, the changelog emitted so far applies to the per-row
// operator's result: a watermark never passes a buffered row. At the
// restores the two functions alternate (the state of one restored into
// the other, both ways).
func TestMiniBatchGroupAggMatchesPerRow(t *testing.T) {
	types := []table.Type{table.BigIntType(), table.BigIntType()} // k, v
	var calls []any
	for _, c := range []any{"COUNT", -1, "SUM", 1, "MAX_RETRACT", 1, "MIN_RETRACT", 1, "AVG", 1, "MIN", 1} {
		calls = append(calls, c)
	}
	base := testAccs(t, types, calls...)
	var aggs []AggCall
	for _, c := range base.aggs {
		if c.F.CanRetract() {
			aggs = append(aggs, c)
		}
	}
	if len(aggs) < 5 {
		t.Fatalf("only %d aggregates retract", len(aggs))
	}
	g := plainGroupAccs(aggs)
	keyFn := rowKeyFn(table.NewRowCodecTypes(types[0]), 1)
	gen := func(seed uint64) []ckOp {
		rng := rand.New(rand.NewPCG(seed, 5))
		var live []table.Row
		var ops []ckOp
		wm := int64(0)
		for range 300 {
			switch rng.IntN(20) {
			case 0, 1:
				wm += int64(rng.IntN(100))
				ops = append(ops, ckOp{kind: 1, wm: wm})
				continue
			case 2:
				ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
				continue
			}
			k := table.Int(int64(rng.IntN(6)))
			if rng.IntN(8) == 0 {
				k = table.Null
			}
			r := table.NewRow(k, table.Int(int64(rng.IntN(40))))
			ts := wm + int64(rng.IntN(50))
			switch n := rng.IntN(10); {
			case n < 3 && len(live) > 0:
				i := rng.IntN(len(live))
				old := live[i]
				live = slices.Delete(live, i, i+1)
				if n == 0 {
					ops = append(ops, ckOp{ts: ts, row: table.Row{Kind: table.Delete, Fields: old.Fields}})
					continue
				}
				ops = append(ops, ckOp{ts: ts, row: table.Row{Kind: table.UpdateBefore, Fields: old.Fields}})
				r.Kind = table.UpdateAfter
			case n == 3:
				// A retraction of a row that was never there (dropped
				// when its key has no state).
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
	// upTo is the changelog applied at each watermark mark and at the end.
	upTo := func(lines []string) ([][]string, error) {
		var states [][]string
		for i, l := range lines {
			if strings.HasPrefix(l, "WM ") {
				var rows []string
				for _, m := range lines[:i] {
					if !strings.HasPrefix(m, "WM ") {
						rows = append(rows, m)
					}
				}
				st, err := applyRows(rows)
				if err != nil {
					return nil, err
				}
				states = append(states, st)
			}
		}
		return states, nil
	}
	x := &GroupAgg{Keys: []int{0}, Aggs: aggs}
	for seed := range uint64(40) {
		ops := gen(seed)
		want, err := upTo(run(ops, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] { return perRowGroupAgg(g, x, nil) }))
		if err != nil {
			t.Fatalf("seed %d, per row: %v", seed, err)
		}
		for _, size := range []int{1, 3, 1000} {
			for _, alternate := range []bool{false, true} {
				mb := *x
				mb.MiniBatch = miniBatch{Latency: time.Hour, Size: size}
				got, err := upTo(run(ops, func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
					if alternate && opens%2 == 1 {
						return perRowGroupAgg(g, x, nil)
					}
					return newMiniBatchGroupAgg(g, &mb, nil)
				}))
				if err != nil {
					t.Fatalf("seed %d, bundles of %d (alternating %v): %v", seed, size, alternate, err)
				}
				if len(got) != len(want) {
					t.Fatalf("seed %d: %d watermarks, want %d", seed, len(got), len(want))
				}
				for i := range want {
					if !slices.Equal(got[i], want[i]) {
						t.Fatalf("seed %d, bundles of %d (alternating %v), at watermark %d of %d:\n%v\nwant (per row):\n%v", seed, size, alternate, i+1, len(want), got[i], want[i])
					}
				}
			}
		}
	}
}

// plainGroupAccs is the accumulator layout of aggs with no DISTINCT views
// (every call plain), as newGroupAccs gives it for such calls.
func plainGroupAccs(aggs []AggCall) *groupAccs {
	g := &groupAccs{a: newAccs(aggs, table.BigIntType().NotNull())}
	for i := range aggs {
		g.plain = append(g.plain, i)
	}
	return g
}

// runKeyedCheckpointed drives ops through a KeyedProcess of newFn's
// function (opens: how many were opened before, restores included) with
// checkpoints and restores between them, and returns the output lines.
func runKeyedCheckpointed(t *testing.T, ops []ckOp, keyFn func(table.Row) string, newFn func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row]) []string {
	t.Helper()
	out := &sliceOut{}
	opens := 0
	driveWithCheckpoints(t, ops, true, func(rt *operator.Runtime) ckDriven {
		kp := &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: keyFn, KeyCodec: codec.For[string](), Fn: newFn(opens), Out: out}
		opens++
		if err := kp.Open(rt); err != nil {
			t.Fatal(err)
		}
		return ckDriven{wmMarked{kp, out}, func(o ckOp) { kp.Collect(o.ts, o.row) }}
	})
	return out.rows
}
