package planner

import (
	"strings"
	"testing"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// TestSemiJoinChangelog pins the exact changelog of the regular semi and
// anti joins (Flink's StreamingSemiAntiJoinOperator): a left row passes
// with its own kind; a right row's arrival or retraction emits +I / -D of
// the left rows it makes pass or fail; NULL keys never pair; NOT IN over
// nullable columns (null-aware) eliminates a left row when the right side
// of its key has a NULL, or when its own value is NULL and the right side
// is not empty; the mark join's value of IN is SQL's three-valued one.
func TestSemiJoinChangelog(t *testing.T) {
	types := []table.Type{table.BigIntType(), table.StringType()}
	c := table.NewRowCodecTypes(types...)
	run := func(n *SemiJoin, in []sided) string {
		h, err := streamtest.New(func(s stream.Stream[sided]) stream.Stream[table.Row] {
			side := func(left bool) stream.KeyedStream[table.Row, string] {
				rows := stream.Map(s.Filter(func(x sided) bool { return x.Left == left }), func(x sided) table.Row { return x.Row })
				return stream.KeyBy(rows, func(r table.Row) string { return "" })
			}
			return stream.KeyedCoProcess(side(true), side(false), func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
				return &semiJoinFn{n: n, lc: c, rc: c}
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range in {
			if err := h.Record(int64(i), x); err != nil {
				t.Fatal(err)
			}
		}
		var out []string
		for _, r := range h.Values() {
			out = append(out, r.String())
		}
		return strings.Join(out, " ")
	}
	row := func(kind table.RowKind, id table.Value, s string) table.Row {
		r := table.NewRow(id, table.Str(s))
		r.Kind = kind
		return r
	}
	l := func(kind table.RowKind, id table.Value, s string) sided { return sided{true, row(kind, id, s)} }
	r := func(kind table.RowKind, id table.Value, s string) sided { return sided{false, row(kind, id, s)} }
	one, two, null := table.Int(1), table.Int(2), table.Null
	// Keyed on column 0 (the test keys everything alike: the operator
	// itself must check the keys' NULLs).
	in := []sided{
		l(table.Insert, one, "a"),
		r(table.Insert, one, "x"),
		r(table.Insert, one, "y"),
		l(table.UpdateBefore, one, "a"),
		l(table.UpdateAfter, one, "b"),
		r(table.Delete, one, "x"),
		r(table.Delete, one, "y"),
		l(table.Insert, null, "n"),
		r(table.Insert, null, "z"),
	}
	keyed := &SemiJoin{LKeys: []int{0}, RKeys: []int{0}}
	for _, k := range []struct{ kind, want string }{
		{"SEMI", "+I(1, 'a') -U(1, 'a') +U(1, 'b') -D(1, 'b')"},
		{"ANTI", "+I(1, 'a') -D(1, 'a') +I(1, 'b') +I(NULL, 'n')"},
	} {
		n := *keyed
		n.Kind = k.kind
		if got := run(&n, in); got != k.want {
			t.Errorf("%s:\n got %s\nwant %s", k.kind, got, k.want)
		}
	}
	// NOT IN (null-aware): no keys, the pair is column 0.
	na := &SemiJoin{Kind: "ANTI", NullAware: true, NAL: 0, NAR: 0}
	in = []sided{
		l(table.Insert, null, "n"), // the right side is empty: passes
		l(table.Insert, one, "a"),
		r(table.Insert, two, "x"),  // eliminates n only
		r(table.Insert, null, "z"), // eliminates a
		r(table.Delete, null, "z"), // a is back
		l(table.Insert, two, "b"),
		l(table.Insert, one, "c"),
	}
	if got, want := run(na, in), "+I(NULL, 'n') +I(1, 'a') -D(NULL, 'n') -D(1, 'a') +I(1, 'a') +I(1, 'c')"; got != want {
		t.Errorf("NOT IN:\n got %s\nwant %s", got, want)
	}
	// The value of IN (MARK, null-aware): FALSE, NULL when a pair is
	// NULL, TRUE when one is equal; a change is -U old / +U new.
	mark := &SemiJoin{Kind: "MARK", NullAware: true, NAL: 0, NAR: 0}
	in = []sided{
		l(table.Insert, null, "n"),
		l(table.Insert, one, "a"),
		r(table.Insert, two, "x"),  // n: NULL; a: unchanged
		r(table.Insert, null, "z"), // a: NULL; n: still NULL, no change
		r(table.Delete, null, "z"), // a: FALSE again
		l(table.Insert, two, "b"),
	}
	want := "+I(NULL, 'n', FALSE) +I(1, 'a', FALSE) -U(NULL, 'n', FALSE) +U(NULL, 'n', NULL) " +
		"-U(1, 'a', FALSE) +U(1, 'a', NULL) -U(1, 'a', NULL) +U(1, 'a', FALSE) +I(2, 'b', TRUE)"
	if got := run(mark, in); got != want {
		t.Errorf("IN as a value:\n got %s\nwant %s", got, want)
	}
}
