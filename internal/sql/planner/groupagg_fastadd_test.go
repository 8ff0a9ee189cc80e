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
func q17Row(rng *rand.Rand) table.Row {
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
	return table.NewRow(table.Int(int64(rng.IntN(6))), v, flag(), flag())
}

// slowAccs is g without its FastAdd forms: every call through Add.
func slowAccs(g *groupAccs) *groupAccs {
	s := *g
	s.add1 = nil
	return &s
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
		fast, slow := &groupState{g: g}, &groupState{g: slowAccs(g)}
		cnt := len(g.a.types) - 1
		rng := rand.New(rand.NewPCG(uint64(n), 17))
		for trial := range 50 {
			var fa, sa table.Row
			fh, sh := false, false
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
				if fh != sh {
					t.Fatalf("trial %d row %d: has %v and %v", trial, i, fh, sh)
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
				if string(fb) != string(sb) {
					t.Fatalf("retract %v trial %d row %d: accumulators %v (FastAdd), %v (Add)", retract, trial, i, fa, sa)
				}
			}
		}
	}
}

// TestMiniBatchFastAddMatchesPerRow runs random inserts of q17's shape
// (NULL values and FILTER columns) with watermarks and checkpoint
// barriers, some restored into a new function, through the per-row
// operator with Add and the mini-batch one with the FastAdd forms (the
// two alternating at restores, so each restores the other's state), and
// checks the changelogs at every barrier and at the end.
func TestMiniBatchFastAddMatchesPerRow(t *testing.T) {
	aggs := q17Calls(t, false)
	g := newGroupAccs(nil, aggs, table.BigIntType().NotNull())
	slow := slowAccs(g)
	keyFn := rowKeyFn(table.NewRowCodecTypes(table.BigIntType()), 1)
	x := &GroupAgg{Keys: []int{0}, Aggs: aggs}
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
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 17))
		var ops []ckOp
		wm := int64(0)
		for range 300 {
			switch rng.IntN(20) {
			case 0:
				wm += int64(rng.IntN(100))
				ops = append(ops, ckOp{kind: 1, wm: wm})
			case 1:
				ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
			default:
				ops = append(ops, ckOp{ts: wm + int64(rng.IntN(50)), row: q17Row(rng)})
			}
		}
		want := upTo(runKeyedCheckpointed(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
			return perRowGroupAgg(slow, x, nil)
		}))
		for _, size := range []int{1, 7, 1000} {
			mb := *x
			mb.MiniBatch = miniBatch{Latency: time.Hour, Size: size}
			got := upTo(runKeyedCheckpointed(t, ops, keyFn, func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
				if opens%2 == 1 {
					return perRowGroupAgg(slow, x, nil)
				}
				return newMiniBatchGroupAgg(g, &mb, nil)
			}))
			if len(got) != len(want) {
				t.Fatalf("seed %d: %d barriers and ends, want %d", seed, len(got), len(want))
			}
			for i := range want {
				if !slices.Equal(got[i], want[i]) {
					t.Fatalf("seed %d, bundles of %d, at barrier or end %d:\n%v\nwant:\n%v", seed, size, i+1, got[i], want[i])
				}
			}
		}
	}
}
