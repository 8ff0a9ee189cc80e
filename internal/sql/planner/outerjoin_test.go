package planner

import (
	"strings"
	"testing"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// sided is a row of the left or the right input of a join.
type sided struct {
	Left bool
	Row  table.Row
}

// TestOuterJoinChangelog pins the exact changelog of the regular outer
// join (Flink's StreamingJoinOperator): the NULL-padded row is retracted
// when its first partner arrives and comes back when its last partner is
// retracted.
func TestOuterJoinChangelog(t *testing.T) {
	lc := table.NewRowCodecTypes(table.BigIntType(), table.StringType())
	rc := table.NewRowCodecTypes(table.BigIntType(), table.StringType())
	run := func(kind string, in []sided) string {
		h, err := streamtest.New(func(s stream.Stream[sided]) stream.Stream[table.Row] {
			side := func(left bool) stream.KeyedStream[table.Row, string] {
				rows := stream.Map(s.Filter(func(x sided) bool { return x.Left == left }), func(x sided) table.Row { return x.Row })
				return stream.KeyBy(rows, func(r table.Row) string { return r.Fields[0].String() })
			}
			return stream.KeyedCoProcess(side(true), side(false), func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
				return &regularJoinFn{lc: lc, rc: rc, nl: 2, nr: 2,
					leftOuter: kind == "LEFT" || kind == "FULL", rightOuter: kind == "RIGHT" || kind == "FULL"}
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
	row := func(kind table.RowKind, id int64, s string) table.Row {
		r := table.NewRow(table.Int(id), table.Str(s))
		r.Kind = kind
		return r
	}
	l := func(kind table.RowKind, id int64, s string) sided { return sided{true, row(kind, id, s)} }
	r := func(kind table.RowKind, id int64, s string) sided { return sided{false, row(kind, id, s)} }
	in := []sided{
		l(table.Insert, 1, "book"),
		r(table.Insert, 1, "ups"),
		r(table.Insert, 1, "dhl"),
		r(table.Delete, 1, "ups"),
		r(table.Delete, 1, "dhl"),
		l(table.Delete, 1, "book"),
		r(table.Insert, 2, "post"),
		l(table.Insert, 2, "pen"),
	}
	for _, c := range []struct{ kind, want string }{
		{"LEFT", "+I(1, 'book', NULL, NULL) -D(1, 'book', NULL, NULL) +I(1, 'book', 1, 'ups') +I(1, 'book', 1, 'dhl') " +
			"-D(1, 'book', 1, 'ups') -D(1, 'book', 1, 'dhl') +I(1, 'book', NULL, NULL) -D(1, 'book', NULL, NULL) +I(2, 'pen', 2, 'post')"},
		{"RIGHT", "+I(1, 'book', 1, 'ups') +I(1, 'book', 1, 'dhl') " +
			"-D(1, 'book', 1, 'ups') -D(1, 'book', 1, 'dhl') +I(NULL, NULL, 2, 'post') -D(NULL, NULL, 2, 'post') +I(2, 'pen', 2, 'post')"},
		{"FULL", "+I(1, 'book', NULL, NULL) -D(1, 'book', NULL, NULL) +I(1, 'book', 1, 'ups') +I(1, 'book', 1, 'dhl') " +
			"-D(1, 'book', 1, 'ups') -D(1, 'book', 1, 'dhl') +I(1, 'book', NULL, NULL) -D(1, 'book', NULL, NULL) " +
			"+I(NULL, NULL, 2, 'post') -D(NULL, NULL, 2, 'post') +I(2, 'pen', 2, 'post')"},
	} {
		if got := run(c.kind, in); got != c.want {
			t.Errorf("%s JOIN:\n got %s\nwant %s", c.kind, got, c.want)
		}
	}
}
