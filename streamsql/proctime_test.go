package streamsql_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/nexmark"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

func recordsInto(job *streamsql.Job, op string) int64 {
	var n int64
	for _, v := range job.View() {
		for _, o := range v.Operators {
			if o.Name == op {
				for _, s := range o.Subtasks {
					n += s.RecordsIn
				}
			}
		}
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// runProctime submits script (its sink table is collected) under a manual
// clock at 1,000,000 ms, waits until the window operator has taken n
// rows, moves the clock by advance and returns the rows of sink once want
// of them have arrived.
func runProctime(t *testing.T, dir, script, sink string, n int64, advance time.Duration, want int) []table.Row {
	t.Helper()
	clock := stream.NewManualClock(time.UnixMilli(1_000_000))
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 2, Clock: clock,
		Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job, _, err := s.Submit(ctx, script)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rows in the windows", func() bool { return recordsInto(job, "window-aggregate") == n })
	clock.Advance(advance)
	rows := func() []table.Row {
		col.mu.Lock()
		defer col.mu.Unlock()
		return append([]table.Row(nil), col.rows[sink]...)
	}
	waitFor(t, "the windows to fire", func() bool { return len(rows()) >= want })
	job.Cancel()
	if err := job.Wait(); !errors.Is(err, stream.ErrCanceled) {
		t.Fatal(err)
	}
	return rows()
}

// TestProctimeWindow: a computed PROCTIME() column and a TUMBLE over it
// (window TVF and group window) fire on the job's processing-time clock.
func TestProctimeWindow(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(`{"k":"a","v":1}
{"k":"b","v":2}
{"k":"a","v":3}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ddl := `CREATE TABLE t (k STRING, v BIGINT, p AS PROCTIME()) WITH ('connector' = 'values');
CREATE TABLE out (k STRING, n BIGINT, s BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3)) WITH ('connector' = 'collect');
`
	for name, q := range map[string]string{
		"tvf": `INSERT INTO out SELECT k, COUNT(*), SUM(v), window_start, window_end
FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(p), INTERVAL '10' SECOND)) GROUP BY k, window_start, window_end;`,
		"group window": `INSERT INTO out SELECT k, COUNT(*), SUM(v), TUMBLE_START(p, INTERVAL '10' SECOND), TUMBLE_END(p, INTERVAL '10' SECOND)
FROM t GROUP BY k, TUMBLE(p, INTERVAL '10' SECOND);`,
		// CUMULATE's first step [1000000, 1005000) fires; the clock stops before the second.
		"cumulate": `INSERT INTO out SELECT k, COUNT(*), SUM(v), window_start, window_end
FROM TABLE(CUMULATE(TABLE t, DESCRIPTOR(p), INTERVAL '5' SECOND, INTERVAL '20' SECOND)) GROUP BY k, window_start, window_end;`,
	} {
		t.Run(name, func(t *testing.T) {
			advance, end := 10*time.Second, "1010000"
			if name == "cumulate" {
				advance, end = 5*time.Second, "1005000"
			}
			rows := runProctime(t, dir, ddl+q, "out", 3, advance, 2)
			var got []string
			sch := table.Schema{Columns: []table.Column{{Name: "k", Type: table.StringType()}, {Name: "n", Type: table.BigIntType()},
				{Name: "s", Type: table.BigIntType()}, {Name: "ws", Type: table.TimestampType(3)}, {Name: "we", Type: table.TimestampType(3)}}}
			for _, r := range rows {
				js, err := table.AppendJSON(nil, r, &sch)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, r.Kind.String()+" "+string(js))
			}
			want := []string{
				`+I {"k":"a","n":2,"s":4,"ws":1000000,"we":` + end + `}`,
				`+I {"k":"b","n":1,"s":2,"ws":1000000,"we":` + end + `}`,
			}
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestNexmarkQ12ManualClock runs the spec's q12 over generated events with
// a manual clock: all bids fall in the window of the clock's start, which
// fires when the clock passes its end; the counts per bidder are then
// exact, and CheckQ12 (the DataStream version's check) holds.
func TestNexmarkQ12ManualClock(t *testing.T) {
	events, dir := nexmarkInput(t, nexgen.GeneratorConfig{Events: 3000, Seed: 7, Rate: 1000})
	want := map[int64]int64{}
	var bids int64
	for _, e := range events {
		if e.Bid != nil {
			want[e.Bid.Bidder]++
			bids++
		}
	}
	ddl := nexmarkDDL(t)
	q, err := os.ReadFile("../internal/nexmark/sql/q12.sql")
	if err != nil {
		t.Fatal(err)
	}
	rows := runProctime(t, dir, ddl+strings.ReplaceAll(string(q), "'blackhole'", "'collect'"), "nexmark_q12", bids, 10*time.Second, len(want))
	var out []any
	got := map[int64]int64{}
	for _, r := range rows {
		row := nexmark.Q12Row{Bidder: r.Fields[0].AsInt(), BidCount: r.Fields[1].AsInt(), WindowStart: millis(r.Fields[2]), WindowEnd: millis(r.Fields[3])}
		if row.WindowStart != 1_000_000 || r.Kind != table.Insert {
			t.Fatalf("row %v: want +I rows of the window at 1000000", r)
		}
		got[row.Bidder] += row.BidCount
		out = append(out, row)
	}
	if err := nexmark.CheckQ12(events, out); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d bidders, want %d", len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Fatalf("bidder %d: %d bids, want %d", k, got[k], n)
		}
	}
}

func millis(v table.Value) int64 {
	ms, _ := v.AsTimestamp()
	return ms
}

// TestProctimeWindowTable: a window table function over a processing-time
// attribute without an aggregation gives each row the windows of the
// processing time it arrives at.
func TestProctimeWindowTable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte("{\"k\":\"a\"}\n{\"k\":\"b\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clock := stream.NewManualClock(time.UnixMilli(1_004_000))
	s := streamsql.NewSession(streamsql.Options{Parallelism: 2, Clock: clock,
		Factories: []connector.TableFactory{valuesFactory{dir: dir}}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got []string
	job, _, err := s.Query(ctx, `CREATE TABLE t (k STRING, p AS PROCTIME()) WITH ('connector' = 'values');
SELECT k, window_start, window_end FROM TABLE(HOP(TABLE t, DESCRIPTOR(p), INTERVAL '5' SECOND, INTERVAL '10' SECOND));`,
		func(r table.Row) error {
			got = append(got, fmt.Sprintf("%s %d %d", r.Fields[0].AsString(), millis(r.Fields[1]), millis(r.Fields[2])))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := "a 1000000 1010000,a 995000 1005000,b 1000000 1010000,b 995000 1005000"
	if g := strings.Join(got, ","); g != want {
		t.Fatalf("got %s, want %s", g, want)
	}
}

// TestProctimeWindowSessionZone: PROCTIME() is a TIMESTAMP_LTZ(3), so its
// windows are aligned in the session time zone, as Flink's: in
// Asia/Shanghai the 1-day window of the clock's start (1970-01-01
// 00:16:40 UTC, 08:16:40 there) is local January 1st, which ends at
// 16:00 UTC (in UTC it would end 8 hours later, and not fire here).
func TestProctimeWindowSessionZone(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(`{"k":"a","v":1}
{"k":"b","v":2}
{"k":"a","v":3}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `SET 'table.local-time-zone' = 'Asia/Shanghai';
CREATE TABLE t (k STRING, v BIGINT, p AS PROCTIME()) WITH ('connector' = 'values');
CREATE TABLE out (k STRING, n BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3), wt STRING) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, COUNT(*), window_start, window_end, CAST(window_time AS STRING)
FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(p), INTERVAL '1' DAY)) GROUP BY k, window_start, window_end, window_time;`
	rows := runProctime(t, dir, script, "out", 3, 16*time.Hour-1_000_000*time.Millisecond, 2)
	sch := table.Schema{Columns: []table.Column{{Name: "k", Type: table.StringType()}, {Name: "n", Type: table.BigIntType()},
		{Name: "ws", Type: table.TimestampType(3)}, {Name: "we", Type: table.TimestampType(3)}, {Name: "wt", Type: table.StringType()}}}
	var got []string
	for _, r := range rows {
		js, err := table.AppendJSON(nil, r, &sch)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Kind.String()+" "+string(js))
	}
	sort.Strings(got)
	want := []string{
		`+I {"k":"a","n":2,"ws":0,"we":86400000,"wt":"1970-01-01 23:59:59.999"}`,
		`+I {"k":"b","n":1,"ws":0,"we":86400000,"wt":"1970-01-01 23:59:59.999"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
