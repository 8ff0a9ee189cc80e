package expr

import (
	"fmt"

	"github.com/stromio/strom/table"
)

// ARRAY_AGG([ALL | DISTINCT] x [RESPECT NULLS | IGNORE NULLS]) (Flink
// 1.20's ArrayAggFunction): the values of the group in arrival order as an
// ARRAY of x's type; NULL values are kept unless IGNORE NULLS; NULL when
// the group has no value (not an empty array). Retract takes back the
// earliest equal value. DISTINCT keeps each value once, in the order of the
// value's first occurrence among those still present, as Flink's planner
// does for a DISTINCT aggregate (a count per value; the value is added when
// its count becomes 1 and taken back when it drops to 0).
//
// Accumulators are ARRAY values that Add extends in place when their
// backing array has room (withValue): an accumulator is its caller's own
// (AggregateFunc). Result returns a fresh array, so an emitted result
// never shares a backing array with the accumulator, which keeps growing.

// NewArrayAgg returns ARRAY_AGG over values of type t.
func NewArrayAgg(t table.Type, distinct, ignoreNulls bool) (AggregateFunc, error) {
	if t.Root() == table.RootNull {
		return nil, fmt.Errorf("expr: ARRAY_AGG of an untyped NULL: cast it to the element type (CAST(NULL AS INT))")
	}
	et := t.WithTimeAttr(table.NoTimeAttr) // the argument's type, as Flink's (also with IGNORE NULLS)
	if distinct {
		return &arrayAggDistinct{elem: et, ignoreNulls: ignoreNulls}, nil
	}
	return &arrayAgg{elem: et, ignoreNulls: ignoreNulls}, nil
}

// arrayAgg is ARRAY_AGG(ALL x): acc = [values in arrival order, values
// retracted before they were added].
type arrayAgg struct {
	elem        table.Type
	ignoreNulls bool
}

func (a *arrayAgg) Name() string           { return "ARRAY_AGG" }
func (a *arrayAgg) ResultType() table.Type { return table.ArrayType(a.elem) }
func (a *arrayAgg) AccTypes() []table.Type {
	l := table.ArrayType(a.elem.AsNullable()).NotNull()
	return []table.Type{l, l}
}
func (a *arrayAgg) Init(acc []table.Value) { acc[0], acc[1] = table.Array(nil), table.Array(nil) }
func (a *arrayAgg) CanRetract() bool       { return true }

func (a *arrayAgg) Add(acc, args []table.Value) error {
	v := args[0]
	if v.IsNull() && a.ignoreNulls {
		return nil
	}
	if r, ok := withoutValue(acc[1], v); ok {
		acc[1] = r // a retraction that came first cancels the value
		return nil
	}
	acc[0] = withValue(acc[0], v)
	return nil
}

func (a *arrayAgg) Retract(acc, args []table.Value) error {
	v := args[0]
	if v.IsNull() && a.ignoreNulls {
		return nil
	}
	if l, ok := withoutValue(acc[0], v); ok {
		acc[0] = l
		return nil
	}
	acc[1] = withValue(acc[1], v)
	return nil
}

// Merge appends other's values to acc's (fresh arrays: neither input's
// backing array is extended), then lets every pending retraction of both
// cancel the earliest equal value.
func (a *arrayAgg) Merge(acc, other []table.Value) error {
	list := append(append([]table.Value(nil), acc[0].Elems()...), other[0].Elems()...)
	pending := append(append([]table.Value(nil), acc[1].Elems()...), other[1].Elems()...)
	var left []table.Value
	if len(pending) > 0 {
		// Pending retractions by hash (Equal confirms), each cancelling
		// the earliest equal value of the list in one pass.
		byHash := make(map[uint64][]int, len(pending))
		for i, r := range pending {
			byHash[r.Hash()] = append(byHash[r.Hash()], i)
		}
		used := make([]bool, len(pending))
		kept := make([]table.Value, 0, len(list))
		for _, e := range list {
			cancelled := false
			for _, i := range byHash[e.Hash()] {
				if !used[i] && pending[i].Equal(e) {
					used[i], cancelled = true, true
					break
				}
			}
			if !cancelled {
				kept = append(kept, e)
			}
		}
		list = kept
		for i, r := range pending {
			if !used[i] {
				left = append(left, r)
			}
		}
	}
	acc[0], acc[1] = table.Array(list), table.Array(left)
	return nil
}

func (a *arrayAgg) Result(acc []table.Value) (table.Value, error) {
	es := acc[0].Elems()
	if len(es) == 0 {
		return table.Null, nil
	}
	return table.Array(append(make([]table.Value, 0, len(es)), es...)), nil
}

// arrayAggDistinct is ARRAY_AGG(DISTINCT x): acc = [distinct values,
// their counts (BIGINT, parallel)]. A value stays listed while its count is
// not 0; it is in the result while its count is positive. A count below 0
// (retractions that came before their rows) waits for the rows.
type arrayAggDistinct struct {
	elem        table.Type
	ignoreNulls bool
}

func (a *arrayAggDistinct) Name() string           { return "ARRAY_AGG" }
func (a *arrayAggDistinct) ResultType() table.Type { return table.ArrayType(a.elem) }
func (a *arrayAggDistinct) AccTypes() []table.Type {
	return []table.Type{table.ArrayType(a.elem.AsNullable()).NotNull(), table.ArrayType(table.BigIntType().NotNull()).NotNull()}
}
func (a *arrayAggDistinct) Init(acc []table.Value) {
	acc[0], acc[1] = table.Array(nil), table.Array(nil)
}
func (a *arrayAggDistinct) CanRetract() bool { return true }

// update adds d to the count of v. A value whose count becomes positive
// from 0 or below moves to the end (Flink adds it to its list then); one
// whose count becomes 0 leaves. The arrays are rebuilt, never written in
// place: copies of the accumulator keep their own contents.
func (a *arrayAggDistinct) update(acc []table.Value, v table.Value, d int64) {
	vs, cs := acc[0].Elems(), acc[1].Elems()
	i := -1
	for j, x := range vs {
		if x.Equal(v) {
			i = j
			break
		}
	}
	var old int64
	if i >= 0 {
		old = cs[i].AsInt()
	}
	n := old + d
	nvs := make([]table.Value, 0, len(vs)+1)
	ncs := make([]table.Value, 0, len(vs)+1)
	for j := range vs {
		if j == i {
			if n != 0 && !(old <= 0 && n > 0) {
				nvs, ncs = append(nvs, v), append(ncs, table.Int(n))
			}
			continue
		}
		nvs, ncs = append(nvs, vs[j]), append(ncs, cs[j])
	}
	if n != 0 && (i < 0 || old <= 0 && n > 0) {
		nvs, ncs = append(nvs, v), append(ncs, table.Int(n))
	}
	acc[0], acc[1] = table.Array(nvs), table.Array(ncs)
}

func (a *arrayAggDistinct) Add(acc, args []table.Value) error {
	if args[0].IsNull() && a.ignoreNulls {
		return nil
	}
	a.update(acc, args[0], 1)
	return nil
}

func (a *arrayAggDistinct) Retract(acc, args []table.Value) error {
	if args[0].IsNull() && a.ignoreNulls {
		return nil
	}
	a.update(acc, args[0], -1)
	return nil
}

// Merge adds other's counts to acc's, value by value in other's order.
func (a *arrayAggDistinct) Merge(acc, other []table.Value) error {
	vs, cs := other[0].Elems(), other[1].Elems()
	for i := range vs {
		a.update(acc, vs[i], cs[i].AsInt())
	}
	return nil
}

func (a *arrayAggDistinct) Result(acc []table.Value) (table.Value, error) {
	vs, cs := acc[0].Elems(), acc[1].Elems()
	var out []table.Value
	for i := range vs {
		if cs[i].AsInt() > 0 {
			out = append(out, vs[i])
		}
	}
	if len(out) == 0 {
		return table.Null, nil
	}
	return table.Array(out), nil
}
