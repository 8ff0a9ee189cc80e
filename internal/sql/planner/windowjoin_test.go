package planner

import (
	"strings"
	"testing"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// TestWindowJoinFiresAndDropsLateRows: the rows of a window are joined when
// the watermark passes its end; a row of a window that already fired is
// dropped and counted as late.
func TestWindowJoinFiresAndDropsLateRows(t *testing.T) {
	ts := table.TimestampType(3).NotNull()
	cols := []Col{{Name: "k", Type: table.BigIntType()}, {Name: "window_end", Type: ts}}
	types := []table.Type{table.BigIntType(), ts}
	for _, kind := range []string{"INNER", "LEFT", "ANTI"} {
		n := &WindowJoin{Kind: kind, L: &Calc{cols: cols}, R: &Calc{cols: cols}, LEnd: 1, REnd: 1}
		h, err := streamtest.New(func(s stream.Stream[sided]) stream.Stream[table.Row] {
			side := func(left bool) stream.KeyedStream[table.Row, string] {
				rows := stream.Map(s.Filter(func(x sided) bool { return x.Left == left }), func(x sided) table.Row { return x.Row })
				return stream.KeyBy(rows, func(r table.Row) string { return r.Fields[0].String() + r.Fields[1].String() })
			}
			return stream.KeyedCoProcess(side(true), side(false), func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
				return &windowJoinFn{n: n, lc: table.NewRowCodecTypes(types...), rc: table.NewRowCodecTypes(types...)}
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		row := func(k, end int64) table.Row { return table.NewRow(table.Int(k), table.TimestampMillis(end)) }
		steps := []func() error{
			func() error { return h.Record(5000, sided{true, row(1, 10000)}) },
			func() error { return h.Record(6000, sided{false, row(1, 10000)}) },
			func() error { return h.Record(6000, sided{true, row(2, 10000)}) },
			func() error { return h.Watermark(9998) },                          // not yet
			func() error { return h.Watermark(9999) },                          // window_end - 1: fires
			func() error { return h.Record(7000, sided{true, row(3, 10000)}) }, // late
			func() error { return h.Watermark(30000) },
		}
		var got []string
		for i, step := range steps {
			if err := step(); err != nil {
				t.Fatal(err)
			}
			if i == 3 && len(h.Values()) > 0 {
				t.Fatalf("%s: fired before the watermark reached the window's end: %v", kind, h.Values())
			}
		}
		for _, r := range h.Values() {
			got = append(got, r.String())
		}
		want := map[string]string{
			"INNER": "+I(1, TIMESTAMP '1970-01-01 00:00:10', 1, TIMESTAMP '1970-01-01 00:00:10')",
			"LEFT":  "+I(1, TIMESTAMP '1970-01-01 00:00:10', 1, TIMESTAMP '1970-01-01 00:00:10') +I(2, TIMESTAMP '1970-01-01 00:00:10', NULL, NULL)",
			"ANTI":  "+I(2, TIMESTAMP '1970-01-01 00:00:10')",
		}[kind]
		if g := strings.Join(got, " "); g != want {
			t.Errorf("%s:\n got %s\nwant %s", kind, g, want)
		}
		if h.LateRecords() != 1 {
			t.Errorf("%s: %d late records, want 1", kind, h.LateRecords())
		}
	}
}
