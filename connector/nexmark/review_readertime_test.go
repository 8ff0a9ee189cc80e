package nexmark

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
)

// TestReviewReaderTimeOptions: with several splits, other proportions,
// a string base-time and a reordered/omitting schema, every split's
// projected reader's timestamps are the CASE ReaderTime describes over
// the whole rows, and also the rows' physical dateTime column.
func TestReviewReaderTimeOptions(t *testing.T) {
	ctx := context.Background()
	f := TableFactory()
	s := table.Schema{Columns: []table.Column{
		{Name: "bid", Type: mustType(t, "ROW<dateTime TIMESTAMP(3), price BIGINT>")},
		{Name: "DATETIME", Type: table.TimestampType(3)},
		{Name: "person", Type: mustType(t, "ROW<name VARCHAR, DateTime TIMESTAMP_LTZ(3)>")},
		{Name: "Event_Type", Type: table.BigIntType()},
		{Name: "auction", Type: mustType(t, "ROW<expires TIMESTAMP(3), dateTime TIMESTAMP(3)>")},
	}}
	for _, opts := range []map[string]string{
		{"events.num": "5000", "splits": "3", "seed": "5"},
		{"events.num": "4000", "splits": "2", "person.proportion": "5", "auction.proportion": "5", "bid.proportion": "5", "base-time": "2020-02-03 04:05:06"},
		{"events.num": "3000", "first-event.rate": "7", "next-event.rate": "7", "splits": "4"},
	} {
		tc := connector.TableContext{Name: "nexmark", Schema: s, Options: opts}
		rt, ok := f.ReaderTime(tc)
		if !ok {
			t.Fatal("no reader time")
		}
		full, err := f.TableSource(ctx, tc)
		if err != nil {
			t.Fatal(err)
		}
		proj, err := f.ProjectedTableSource(ctx, tc, [][]int{{0, 1}, {3}})
		if err != nil {
			t.Fatal(err)
		}
		fs, _ := full.Splits(ctx)
		ps, _ := proj.Splits(ctx)
		if len(fs) != len(ps) {
			t.Fatal("splits differ")
		}
		total := 0
		for k := range fs {
			rows := readSplit(t, full, fs[k])
			_, ts := readSplitTS(t, proj, ps[k])
			if len(rows) != len(ts) {
				t.Fatalf("split %d: %d rows, %d timestamps", k, len(rows), len(ts))
			}
			total += len(rows)
			for i, r := range rows {
				path := rt.Else
				for j, tag := range rt.Tags {
					if r.Fields[rt.Tag].AsInt() == tag {
						path = rt.Paths[j]
						break
					}
				}
				v := r.Fields[path[0]].Elems()[path[1]]
				ms, _ := v.AsTimestamp()
				dt, _ := r.Fields[1].AsTimestamp()
				if ms != ts[i] || dt != ts[i] {
					t.Fatalf("%v split %d row %d: reader %d, CASE %d, dateTime %d", opts, k, i, ts[i], ms, dt)
				}
			}
		}
		if total == 0 {
			t.Fatal("no rows")
		}
	}
}

func readSplit(t *testing.T, src connector.Source[table.Row], sp connector.Split) []table.Row {
	rows, _ := readSplitTS(t, src, sp)
	return rows
}

func readSplitTS(t *testing.T, src connector.Source[table.Row], sp connector.Split) ([]table.Row, []int64) {
	t.Helper()
	ctx := context.Background()
	r, err := src.Open(ctx, sp, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rows []table.Row
	var ts []int64
	buf, tb := make([]table.Row, 64), make([]int64, 64)
	for {
		n, err := r.(connector.Timestamped[table.Row]).ReadTimestamped(ctx, buf, tb)
		for i := range n {
			rows = append(rows, table.Row{Kind: buf[i].Kind, Fields: append([]table.Value(nil), buf[i].Fields...)})
		}
		ts = append(ts, tb[:n]...)
		if errors.Is(err, io.EOF) {
			return rows, ts
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
