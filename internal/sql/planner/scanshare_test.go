package planner

import (
	"errors"
	"testing"

	"github.com/stromio/strom/table"
)

// TestScanPrefilter: the pre-filter of a shared scan passes a row when the
// filter of any Calc reading the scan (an AND of predicates) passes it,
// every row when one of them has no filter of simple predicates
// (keepAll), and fails with a predicate's error. What it emits are copies:
// rows overwritten after it returned (as a reusing source overwrites them)
// leave what it emitted unchanged.
func TestScanPrefilter(t *testing.T) {
	eq := func(col int, k int64) func(*table.Row) (bool, error) {
		return func(r *table.Row) (bool, error) {
			v := r.Fields[col]
			return !v.IsNull() && v.AsInt() == k, nil
		}
	}
	rows := func() []table.Row {
		var out []table.Row
		for i := range int64(40) {
			out = append(out, table.Row{Kind: table.Insert, Fields: []table.Value{table.Int(i % 4), table.Int(i % 5), table.Str("x")}})
		}
		return out
	}
	for _, c := range []struct {
		name string
		sh   scanShare
		want func(a, b int64) bool
	}{
		{"or of ands", scanShare{pre: [][]func(*table.Row) (bool, error){{eq(0, 0)}, {eq(0, 1), eq(1, 2)}}},
			func(a, b int64) bool { return a == 0 || (a == 1 && b == 2) }},
		{"keep all", scanShare{pre: [][]func(*table.Row) (bool, error){{eq(0, 0)}}, keepAll: true},
			func(a, b int64) bool { return true }},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := rows()
			fn := c.sh.prefilter()
			var got []table.Row
			em := emitterFunc(func(r table.Row) { got = append(got, r) })
			for _, r := range in {
				if err := fn(nil, r, em); err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range in {
				r.Fields[0], r.Fields[1] = table.Int(-1), table.Null // the source's next batch
			}
			var want []table.Row
			for _, r := range rows() {
				if c.want(r.Fields[0].AsInt(), r.Fields[1].AsInt()) {
					want = append(want, r)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows passed, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i].String() != want[i].String() {
					t.Errorf("row %d: %s, want %s", i, got[i], want[i])
				}
			}
		})
	}
	bad := errors.New("bad")
	sh := scanShare{pre: [][]func(*table.Row) (bool, error){{func(*table.Row) (bool, error) { return false, bad }}}}
	if err := sh.prefilter()(nil, rows()[0], emitterFunc(func(table.Row) {})); !errors.Is(err, bad) {
		t.Errorf("error %v, want the predicate's", err)
	}
}

type emitterFunc func(table.Row)

func (f emitterFunc) Emit(r table.Row) { f(r) }

// TestScanPrefilterAllocatesNothingPerDroppedRow: a row the pre-filter
// drops (q8's bids, most rows) costs no allocation: the predicates read
// it through the function's own variable, not a pointer to the parameter.
func TestScanPrefilterAllocatesNothingPerDroppedRow(t *testing.T) {
	eq := func(r *table.Row) (bool, error) { return r.Fields[0].AsInt() == 0, nil }
	sh := scanShare{pre: [][]func(*table.Row) (bool, error){{eq}}}
	fn := sh.prefilter()
	r := table.Row{Kind: table.Insert, Fields: []table.Value{table.Int(2), table.Str("x")}}
	em := emitterFunc(func(table.Row) {})
	if n := testing.AllocsPerRun(100, func() {
		if err := fn(nil, r, em); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per dropped row, want 0", n)
	}
}
