package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestSelectShowsLTZInSessionZone: a bare SELECT prints a TIMESTAMP_LTZ
// (a column, CURRENT_TIMESTAMP of the session's manual clock) as
// wall-clock time in the session time zone, as Flink's SQL client; a
// TIMESTAMP is printed as it is.
func TestSelectShowsLTZInSessionZone(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(`{"ms":1711841400000}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ zone, want string }{
		{"", "+I | 2024-03-30 23:30:00.000 | 2024-03-30 23:30:00.250 | 2024-03-30 23:30:00"},
		{"Europe/Berlin", "+I | 2024-03-31 00:30:00.000 | 2024-03-31 00:30:00.250 | 2024-03-30 23:30:00"},
		{"GMT-08:00", "+I | 2024-03-30 15:30:00.000 | 2024-03-30 15:30:00.250 | 2024-03-30 23:30:00"},
	} {
		var out strings.Builder
		s := streamsql.NewSession(streamsql.Options{Out: &out,
			Clock:     stream.NewManualClock(time.Date(2024, 3, 30, 23, 30, 0, 250e6, time.UTC)),
			Factories: []connector.TableFactory{valuesFactory{dir: dir}}})
		script := "CREATE TABLE t (ms BIGINT) WITH ('connector' = 'values');\n"
		if c.zone != "" {
			script += "SET 'table.local-time-zone' = '" + c.zone + "';\n"
		}
		script += "SELECT TO_TIMESTAMP_LTZ(ms, 3) AS ltz, CURRENT_TIMESTAMP AS now_ltz, TIMESTAMP '2024-03-30 23:30:00' AS ts FROM t"
		if _, err := s.Exec(context.Background(), script); err != nil {
			t.Fatalf("%s: %v", c.zone, err)
		}
		if !strings.Contains(out.String(), "op | ltz | now_ltz | ts\n"+c.want+"\n") {
			t.Errorf("zone %q: got\n%s\nwant the row\n%s", c.zone, out.String(), c.want)
		}
	}
}

// TestQuerySchemaShowsLTZAsExec: the rows of Session.QuerySchema, shown
// with the schema that comes with each of them (ResultSchema.AppendText),
// read as Exec prints the same SELECT, a TIMESTAMP_LTZ in the session
// time zone (what `strom sql` shows and `strom sql -e` prints).
func TestQuerySchemaShowsLTZAsExec(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(`{"ms":1711841400000}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, zone := range []string{"", "Europe/Berlin", "GMT-08:00"} {
		script := "CREATE TABLE t (ms BIGINT) WITH ('connector' = 'values');\n"
		if zone != "" {
			script += "SET 'table.local-time-zone' = '" + zone + "';\n"
		}
		script += "SELECT TO_TIMESTAMP_LTZ(ms, 3) AS ltz, TIMESTAMP '2024-03-30 23:30:00' AS ts FROM t"
		var out strings.Builder
		s := streamsql.NewSession(streamsql.Options{Out: &out, Factories: []connector.TableFactory{valuesFactory{dir: dir}}})
		if _, err := s.Exec(context.Background(), script); err != nil {
			t.Fatalf("%s: %v", zone, err)
		}
		var got []string
		s = streamsql.NewSession(streamsql.Options{Factories: []connector.TableFactory{valuesFactory{dir: dir}}})
		job, rs, err := s.QuerySchema(context.Background(), script, func(rs *streamsql.ResultSchema, r table.Row) error {
			f := []string{r.Kind.String()}
			for i := range r.Fields {
				f = append(f, string(rs.AppendText(nil, r, i)))
			}
			got = append(got, strings.Join(f, " | "))
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", zone, err)
		}
		if err := job.Wait(); err != nil {
			t.Fatal(err)
		}
		if len(rs.Columns) != 2 || rs.Columns[0].Name != "ltz" || rs.Location == nil {
			t.Fatalf("%s: schema %+v", zone, rs)
		}
		if len(got) != 1 || !strings.Contains(out.String(), "\n"+got[0]+"\n") {
			t.Errorf("zone %q: QuerySchema's rows %q, not as Exec prints them:\n%s", zone, got, out.String())
		}
		if zone == "Europe/Berlin" && (len(got) != 1 || got[0] != "+I | 2024-03-31 00:30:00.000 | 2024-03-30 23:30:00") {
			t.Errorf("zone %q: %q", zone, got)
		}
	}
}

// TestTimestampTextPrecision: a bare SELECT and the print connector show a
// TIMESTAMP(p) or TIMESTAMP_LTZ(p) with p fraction digits, as Flink's SQL
// client and CAST to STRING (TIMESTAMP(3) keeps ".000"; TIMESTAMP(0) has
// none; a literal's precision is the digits it writes); the print
// connector shows a TIMESTAMP_LTZ in UTC, the SELECT in the session zone.
func TestTimestampTextPrecision(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(`{"ms":1577836800000}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, printed strings.Builder
	s := streamsql.NewSession(streamsql.Options{Out: &out,
		Factories: []connector.TableFactory{valuesFactory{dir: dir}, builtin.PrintFactory(&printed)}})
	script := `CREATE TABLE t (ms BIGINT) WITH ('connector' = 'values');
SET 'table.local-time-zone' = 'Asia/Shanghai';
CREATE TABLE p (a TIMESTAMP(3), b TIMESTAMP(0), c TIMESTAMP(6), d TIMESTAMP(9), e TIMESTAMP_LTZ(3), f ARRAY<TIMESTAMP(2)>, g FLOAT) WITH ('connector' = 'print');
INSERT INTO p SELECT TO_TIMESTAMP(FROM_UNIXTIME(ms / 1000)), CAST(TIMESTAMP '2020-01-01 00:00:00.5' AS TIMESTAMP(0)),
  CAST(TIMESTAMP '2020-01-01 00:00:00.5' AS TIMESTAMP(6)), TIMESTAMP '2020-01-01 00:00:00.123456789', TO_TIMESTAMP_LTZ(ms, 3),
  ARRAY[CAST(TIMESTAMP '2020-01-01 00:00:00' AS TIMESTAMP(2))], CAST(0.1 AS FLOAT) FROM t;
SELECT CAST(TIMESTAMP '2020-01-01 00:00:00' AS TIMESTAMP(3)) AS a, TIMESTAMP '2020-01-01 00:00:00.5' AS b, TIMESTAMP '2020-01-01 00:00:00' AS c,
  CAST(TIMESTAMP '2020-01-01 00:00:00' AS TIMESTAMP(9)) AS d, TO_TIMESTAMP_LTZ(ms, 3) AS e, CAST(0.1 AS FLOAT) AS f FROM t`
	if _, err := s.Exec(context.Background(), script); err != nil {
		t.Fatal(err)
	}
	want := "op | a | b | c | d | e | f\n+I | 2020-01-01 00:00:00.000 | 2020-01-01 00:00:00.5 | 2020-01-01 00:00:00 | 2020-01-01 00:00:00.000000000 | 2020-01-01 08:00:00.000 | 0.1\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("SELECT printed\n%s\nwant\n%s", out.String(), want)
	}
	if want := "+I[2020-01-01 08:00:00.000, 2020-01-01 00:00:00, 2020-01-01 00:00:00.500000, 2020-01-01 00:00:00.123456789, 2020-01-01 00:00:00.000, [2020-01-01 00:00:00.00], 0.1]\n"; printed.String() != want {
		t.Errorf("print connector wrote\n%s\nwant\n%s", printed.String(), want)
	}
}
