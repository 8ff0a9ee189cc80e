package nexmark

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
)

func mustType(t testing.TB, s string) table.Type {
	t.Helper()
	ty, err := table.ParseType(s)
	if err != nil {
		t.Fatal(err)
	}
	return ty
}

// ddlSchema is the nexmark table of the Flink benchmark's DDL.
func ddlSchema(t testing.TB) table.Schema {
	return table.Schema{Columns: []table.Column{
		{Name: "event_type", Type: table.IntType()},
		{Name: "person", Type: mustType(t, "ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR, state VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR>")},
		{Name: "auction", Type: mustType(t, "ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT, dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR>")},
		{Name: "bid", Type: mustType(t, "ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR>")},
		{Name: "dateTime", Type: table.TimestampType(3), Computed: "CASE WHEN event_type = 0 THEN person.dateTime WHEN event_type = 1 THEN auction.dateTime ELSE bid.dateTime END"},
	}, Rowtime: "dateTime"}
}

func TestTableNexmarkOptions(t *testing.T) {
	ctx := context.Background()
	f := TableFactory()
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"events.num": "-1"}, `strom: table "nexmark": connector 'nexmark': option 'events.num' is '-1', want an integer in [0, 9223372036854775807]`},
		{map[string]string{"first-event.rate": "1000", "next-event.rate": "2000"}, `strom: table "nexmark": connector 'nexmark': 'next-event.rate' (2000) must equal 'first-event.rate' (1000): a changing rate is not supported`},
		{map[string]string{"rate": "1"}, `strom: table "nexmark": connector 'nexmark': unknown option 'rate' (allowed: 'auction.proportion', 'avg-auction.byte-size', 'avg-bid.byte-size', 'avg-person.byte-size', 'base-time', 'bid.proportion', 'events.num', 'first-event.rate', 'hot-auction.ratio', 'hot-bidder.ratio', 'hot-seller.ratio', 'next-event.rate', 'person.proportion', 'rate.limited', 'seed', 'splits')`},
		{map[string]string{"splits": "5000"}, `strom: table "nexmark": connector 'nexmark': option 'splits' is '5000', want an integer in [1, 1024]`},
		{map[string]string{"base-time": "yesterday"}, `strom: table "nexmark": connector 'nexmark': option 'base-time' is 'yesterday', want epoch milliseconds or 'yyyy-MM-dd HH:mm:ss'`},
		{map[string]string{"rate.limited": "yes"}, `strom: table "nexmark": connector 'nexmark': option 'rate.limited' is 'yes', want one of 'true', 'wall-clock', 'false'`},
	} {
		_, err := f.TableSource(ctx, connector.TableContext{Name: "nexmark", Schema: ddlSchema(t), Options: tc.opts})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v:\n got %v\nwant %s", tc.opts, err, tc.want)
		}
	}
	bad := ddlSchema(t)
	bad.Columns[3].Type = mustType(t, "ROW<auction BIGINT, price STRING>")
	if _, err := f.TableSource(ctx, connector.TableContext{Name: "nexmark", Schema: bad}); err == nil ||
		err.Error() != `strom: table "nexmark": connector 'nexmark': column "bid": field "price" must be a INT, not STRING` {
		t.Error(err)
	}
	bad.Columns[3].Type = mustType(t, "ROW<auction BIGINT, color STRING>")
	if _, err := f.TableSource(ctx, connector.TableContext{Name: "nexmark", Schema: bad}); err == nil ||
		err.Error() != `strom: table "nexmark": connector 'nexmark': column "bid": the generator has no field "color"` {
		t.Error(err)
	}
}

// TestTableNexmarkRows compares the rows with the typed generator's events.
func TestTableNexmarkRows(t *testing.T) {
	ctx := context.Background()
	src, err := TableFactory().TableSource(ctx, connector.TableContext{Name: "nexmark", Schema: ddlSchema(t),
		Options: map[string]string{"events.num": "500", "splits": "2", "seed": "7"}})
	if err != nil {
		t.Fatal(err)
	}
	if !src.Bounded() {
		t.Fatal("bounded")
	}
	events := Generate(GeneratorConfig{Events: 500, Splits: 2, Seed: 7})
	byTime := map[string]bool{}
	for _, e := range events {
		byTime[eventRow(e).String()] = true
	}
	splits, _ := src.Splits(ctx)
	n := 0
	for _, sp := range splits {
		r, err := src.Open(ctx, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		buf, ts := make([]table.Row, 64), make([]int64, 64)
		for {
			k, err := r.(connector.Timestamped[table.Row]).ReadTimestamped(ctx, buf, ts)
			for i, row := range buf[:k] {
				if !byTime[row.String()] {
					t.Fatalf("row %s is not a generated event", row)
				}
				if len(row.Fields) != 5 || !row.Fields[4].IsNull() {
					t.Fatalf("computed dateTime must be NULL: %s", row)
				}
				et := row.Fields[0].AsInt()
				dt, _ := row.Fields[1+et].Elems()[map[int64]int{0: 6, 1: 5, 2: 5}[et]].AsTimestamp()
				if dt != ts[i] {
					t.Fatalf("timestamp %d, dateTime %d", ts[i], dt)
				}
				n++
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if n != 500 {
		t.Fatalf("%d rows", n)
	}
}

// eventRow is the expected row of e, written out field by field.
func eventRow(e Event) table.Row {
	f := make([]table.Value, 5)
	f[0] = table.Int(int64(e.Type))
	s, ts, i := table.Str, table.TimestampMillis, table.Int
	switch {
	case e.Person != nil:
		p := e.Person
		f[1] = table.RowValue([]table.Value{i(p.ID), s(p.Name), s(p.EmailAddress), s(p.CreditCard), s(p.City), s(p.State), ts(p.DateTime), s(p.Extra)})
	case e.Auction != nil:
		a := e.Auction
		f[2] = table.RowValue([]table.Value{i(a.ID), s(a.ItemName), s(a.Description), i(a.InitialBid), i(a.Reserve), ts(a.DateTime), ts(a.Expires), i(a.Seller), i(a.Category), s(a.Extra)})
	case e.Bid != nil:
		b := e.Bid
		f[3] = table.RowValue([]table.Value{i(b.Auction), i(b.Bidder), i(b.Price), s(b.Channel), s(b.URL), ts(b.DateTime), s(b.Extra)})
	}
	return table.Row{Fields: f}
}

// BenchmarkTableSource reads the nexmark table's rows as the engine does
// (batches of 256), to compare with BenchmarkGenerator (typed events).
func BenchmarkTableSource(b *testing.B) {
	ctx := context.Background()
	src, err := TableFactory().TableSource(ctx, connector.TableContext{Name: "nexmark", Schema: ddlSchema(b)})
	if err != nil {
		b.Fatal(err)
	}
	splits, _ := src.Splits(ctx)
	r, err := src.Open(ctx, splits[0], nil)
	if err != nil {
		b.Fatal(err)
	}
	tr := r.(connector.Timestamped[table.Row])
	buf, ts := make([]table.Row, 256), make([]int64, 256)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		k, err := tr.ReadTimestamped(ctx, buf, ts)
		if err != nil {
			b.Fatal(err)
		}
		n += k
	}
	runtime.ReadMemStats(&after)
	el := b.Elapsed()
	b.ReportMetric(float64(el.Nanoseconds())/float64(n), "ns/row")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(n), "allocs/row")
	b.ReportMetric(float64(n)/el.Seconds(), "rows/s")
}

// TestTableProjected checks that a projected source's rows are the values
// at the paths of the full rows.
func TestTableProjected(t *testing.T) {
	ctx := context.Background()
	opts := map[string]string{"events.num": "500"}
	tc := connector.TableContext{Name: "nexmark", Schema: ddlSchema(t), Options: opts}
	// With a whole member ROW (column 2), and flat (fields only).
	for _, paths := range [][][]int{
		{{0}, {3, 0}, {3, 5}, {1, 6}, {2}, {3, 6}, {2, 5}, {0}, {1, 2}, {1, 3}},
		{{0}, {3, 0}, {3, 5}, {1, 6}, {2, 9}, {3, 6}, {2, 5}, {0}, {1, 2}, {1, 3}, {2, 1}, {1, 7}, {3, 1}, {3, 2}, {3, 3}, {3, 4}},
	} {
		testTableProjected(t, tc, paths)
	}
	if _, err := TableFactory().ProjectedTableSource(ctx, tc, [][]int{{0, 1}}); err == nil {
		t.Error("a field of event_type was accepted")
	}
}

func testTableProjected(t *testing.T, tc connector.TableContext, paths [][]int) {
	ctx := context.Background()
	reused := 0 // reads whose rows were built in the rows of the read before
	read := func(src connector.Source[table.Row], reuse bool) []table.Row {
		splits, err := src.Splits(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r, err := src.Open(ctx, splits[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		if reuse {
			r.(connector.RecordReuser).ReuseRecords()
		}
		var out []table.Row
		buf := make([]table.Row, 64)
		var prev *table.Value
		for {
			n, err := r.Read(ctx, buf)
			if reuse && n > 0 {
				if &buf[0].Fields[0] == prev {
					reused++
				}
				prev = &buf[0].Fields[0]
				// Only the values are the caller's to keep: the
				// next Read rebuilds the rows.
				for i := range buf[:n] {
					buf[i].Fields = slices.Clone(buf[i].Fields)
				}
			}
			out = append(out, buf[:n]...)
			if errors.Is(err, io.EOF) {
				return out
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	f := TableFactory()
	full, err := f.TableSource(ctx, tc)
	if err != nil {
		t.Fatal(err)
	}
	proj, err := f.ProjectedTableSource(ctx, tc, paths)
	if err != nil {
		t.Fatal(err)
	}
	fr, pr := read(full, false), read(proj, false)
	if len(fr) != 500 || len(pr) != 500 {
		t.Fatalf("%d and %d rows, want 500", len(fr), len(pr))
	}
	proj, err = f.ProjectedTableSource(ctx, tc, paths)
	if err != nil {
		t.Fatal(err)
	}
	if rr := read(proj, true); !slices.EqualFunc(rr, pr, func(a, b table.Row) bool { return a.Equal(b) }) {
		t.Fatal("the rows read with ReuseRecords differ")
	}
	if reused != 500/64 {
		t.Errorf("%d reads reused the rows of the read before, want %d", reused, 500/64)
	}
	for i := range fr {
		for k, p := range paths {
			want := fr[i].Fields[p[0]]
			for _, f := range p[1:] {
				if want.IsNull() {
					break
				}
				want = want.Elems()[f]
			}
			if got := pr[i].Fields[k]; !got.Equal(want) || got.IsNull() != want.IsNull() {
				t.Fatalf("row %d, path %v: %v, want %v", i, p, got, want)
			}
		}
	}
}

func TestTableWallClockNeedsBaseTime(t *testing.T) {
	_, _, err := (&TableConnector{}).config(connector.TableContext{Name: "n", Options: map[string]string{"rate.limited": "wall-clock"}})
	if err == nil || !strings.Contains(err.Error(), "needs 'base-time'") {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := (&TableConnector{}).config(connector.TableContext{Name: "n", Options: map[string]string{"rate.limited": "wall-clock", "base-time": "1796421600000"}}); err != nil {
		t.Fatal(err)
	}
}

// TestTableReaderTime checks ReaderTime against the rows: on random seeds,
// the timestamp of every row a projected reader gives is the value of the
// described CASE over the row of the whole schema (the DDL's rowtime),
// never NULL, whatever the projection.
func TestTableReaderTime(t *testing.T) {
	ctx := context.Background()
	f := TableFactory()
	for _, seed := range []string{"1", "7", "12345", "987654321"} {
		tc := connector.TableContext{Name: "nexmark", Schema: ddlSchema(t), Options: map[string]string{"events.num": "3000", "seed": seed}}
		rt, ok := f.ReaderTime(tc)
		if !ok {
			t.Fatal("no reader time for the DDL's schema")
		}
		want := connector.ReaderTime{Tag: 0, Tags: []int64{0, 1}, Paths: [][]int{{1, 6}, {2, 5}}, Else: []int{3, 5}}
		if !slices.Equal(rt.Tags, want.Tags) || rt.Tag != want.Tag || !slices.EqualFunc(rt.Paths, want.Paths, slices.Equal) || !slices.Equal(rt.Else, want.Else) {
			t.Fatalf("reader time %+v, want %+v", rt, want)
		}
		full, err := f.TableSource(ctx, tc)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := readAllTimestamped(t, full)
		for _, paths := range [][][]int{{{3, 0}}, {{0}, {3, 2}, {1, 0}}, {{2}, {3, 5}}} {
			proj, err := f.ProjectedTableSource(ctx, tc, paths)
			if err != nil {
				t.Fatal(err)
			}
			_, ts := readAllTimestamped(t, proj)
			if len(ts) != len(rows) || len(ts) != 3000 {
				t.Fatalf("%d and %d rows, want 3000", len(ts), len(rows))
			}
			for i, r := range rows {
				path := rt.Else
				for k, tag := range rt.Tags {
					if r.Fields[rt.Tag].AsInt() == tag {
						path = rt.Paths[k]
						break
					}
				}
				v := r.Fields[path[0]]
				if v.IsNull() {
					t.Fatalf("seed %s, row %d: member %d is NULL", seed, i, path[0])
				}
				v = v.Elems()[path[1]]
				ms, _ := v.AsTimestamp()
				if v.IsNull() || ms != ts[i] {
					t.Fatalf("seed %s, row %d: reader time %d, the CASE gives %v", seed, i, ts[i], v)
				}
			}
		}
	}
	// A schema without the members' dateTime: no reader time.
	s := ddlSchema(t)
	s.Columns[3].Type = mustType(t, "ROW<auction BIGINT, price BIGINT>")
	if _, ok := f.ReaderTime(connector.TableContext{Name: "nexmark", Schema: s}); ok {
		t.Error("a reader time without bid.dateTime")
	}
	s = ddlSchema(t)
	s.Columns = s.Columns[1:]
	if _, ok := f.ReaderTime(connector.TableContext{Name: "nexmark", Schema: s}); ok {
		t.Error("a reader time without event_type")
	}
}

func readAllTimestamped(t *testing.T, src connector.Source[table.Row]) ([]table.Row, []int64) {
	t.Helper()
	ctx := context.Background()
	splits, err := src.Splits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Open(ctx, splits[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	var rows []table.Row
	var ts []int64
	buf, tb := make([]table.Row, 100), make([]int64, 100)
	for {
		n, err := r.(connector.Timestamped[table.Row]).ReadTimestamped(ctx, buf, tb)
		rows, ts = append(rows, buf[:n]...), append(ts, tb[:n]...)
		if errors.Is(err, io.EOF) {
			return rows, ts
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkTableSourceProjectedMembers reads the projection of a scan
// whose Calc keeps the whole member ROWs (event_type, person, auction,
// bid and the members' dateTime: the Nexmark DDL's rowtime CASE, as in
// q10 and q14, whose Calcs use dateTime several times and do not fuse),
// with the rows reused as the engine lets them.
func BenchmarkTableSourceProjectedMembers(b *testing.B) {
	ctx := context.Background()
	src, err := TableFactory().ProjectedTableSource(ctx, connector.TableContext{Name: "nexmark", Schema: ddlSchema(b)},
		[][]int{{0}, {1}, {2}, {3}, {1, 6}, {2, 5}, {3, 5}})
	if err != nil {
		b.Fatal(err)
	}
	splits, _ := src.Splits(ctx)
	r, err := src.Open(ctx, splits[0], nil)
	if err != nil {
		b.Fatal(err)
	}
	r.(connector.RecordReuser).ReuseRecords()
	tr := r.(connector.Timestamped[table.Row])
	buf, ts := make([]table.Row, 256), make([]int64, 256)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		k, err := tr.ReadTimestamped(ctx, buf, ts)
		if err != nil {
			b.Fatal(err)
		}
		n += k
	}
	runtime.ReadMemStats(&after)
	el := b.Elapsed()
	b.ReportMetric(float64(el.Nanoseconds())/float64(n), "ns/row")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(n), "allocs/row")
}
