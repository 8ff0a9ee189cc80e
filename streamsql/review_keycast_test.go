package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	"github.com/stromio/strom/streamsql"
)

const oldTypeDDL = `CREATE TABLE t (k INT, f FLOAT, d DOUBLE, ms BIGINT) WITH ('connector' = 'values');
CREATE TABLE tr (k INT, f FLOAT, d DOUBLE, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values', 'file' = 't.jsonl');
CREATE TABLE od (k INT, s DOUBLE) WITH ('connector' = 'blackhole');
CREATE TABLE ots (k INT, ts TIMESTAMP(3)) WITH ('connector' = 'blackhole');
CREATE TABLE on2 (k INT, n BIGINT) WITH ('connector' = 'blackhole');
CREATE VIEW lit AS SELECT k, TIMESTAMP '2020-01-01 00:00:00' AS ts FROM t;
CREATE VIEW v AS SELECT k, CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(3)) AS ts FROM t;
CREATE VIEW sf AS SELECT k, SUM(f) AS s FROM t GROUP BY k;
CREATE VIEW trl AS SELECT k, f, ts, TIMESTAMP '2020-01-01 00:00:00' AS lt FROM tr;
CREATE TABLE oij (k INT, lt TIMESTAMP(3), ts TIMESTAMP_LTZ(3), k2 INT, ts2 TIMESTAMP_LTZ(3)) WITH ('connector' = 'blackhole');
CREATE VIEW trl2 AS SELECT k, TIMESTAMP '2020-01-01 00:00:00' AS lt, ts FROM tr;
CREATE VIEW tr2 AS SELECT k, ts FROM tr;
`

// oldTypeSetUIDs: the UIDs of the operators of the statement set (without the
// sql-cast- and sql-pushed- Calcs), as TestImplicitCastSQLUIDs lists them.
func oldTypeSetUIDs(t *testing.T, set string) string {
	t.Helper()
	dir := t.TempDir()
	data := `{"k":1,"f":0.5,"d":0.5,"ms":1577836800000}` + "\n" + `{"k":2,"f":1.5,"d":1.5,"ms":1577836800500}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{valuesFactory{dir: dir}, builtin.BlackholeFactory()}})
	job, _, err := s.Submit(context.Background(), oldTypeDDL+"EXECUTE STATEMENT SET BEGIN\n"+set+"\nEND;")
	if err != nil {
		t.Fatal(err)
	}
	job.Wait()
	var uids []string
	for _, v := range job.View() {
		for _, o := range v.Operators {
			if !strings.HasPrefix(o.UID, "sql-cast-") && !strings.HasPrefix(o.UID, "sql-pushed-") {
				uids = append(uids, o.UID)
			}
		}
	}
	sort.Strings(uids)
	return strings.Join(uids, " ")
}

// TestSinkCastThroughUnionValuesJoinUIDs: a UNION ALL, VALUES or an
// interval join straight into a sink whose column is wider than what it
// now gives (a TIMESTAMP literal's column, TIMESTAMP(3) in 683dc02 and
// TIMESTAMP(0) now; a FLOAT sum, DOUBLE in 683dc02) needed no cast in
// 683dc02, and main (cfc0aa3) made its cast Calc implicit. oldType follows
// these nodes (review of branch sqlleft2: it did not, the sink's cast Calc
// took a sql-<n> number and every later stateful operator shifted,
// sql-4-group-agg becoming sql-5-group-agg). Wanted UIDs: recorded by
// 683dc02 and cfc0aa3 (identical).
func TestSinkCastThroughUnionValuesJoinUIDs(t *testing.T) {
	for _, c := range []struct{ set, want string }{
		// INSERT ... VALUES with a TIMESTAMP literal (the Values node is
		// not traced either): the scan of t shifts too.
		{`INSERT INTO ots VALUES (1, TIMESTAMP '2020-01-01 00:00:00');
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-values sql-2-scan-t sql-3-calc sql-4-group-agg sql-sink-0-ots sql-sink-1-on2"},
		// An interval join straight into the sink: here even the scan of
		// t shifts (sql-8-scan-t becomes sql-9-scan-t).
		{`INSERT INTO oij SELECT * FROM trl2 a JOIN tr2 b ON a.k = b.k AND a.ts BETWEEN b.ts - INTERVAL '1' SECOND AND b.ts;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-scan-tr sql-10-group-agg sql-2-calc sql-3-calc sql-4-calc sql-5-encode sql-6-encode sql-7-interval-join sql-8-scan-t sql-9-calc sql-sink-0-oij sql-sink-1-on2"},
		{`INSERT INTO ots SELECT k, ts FROM lit UNION ALL SELECT k, ts FROM lit;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-scan-t sql-2-calc sql-3-calc sql-4-group-agg sql-sink-0-ots sql-sink-1-on2 union-2"},
		{`INSERT INTO od SELECT k, s FROM sf UNION ALL SELECT k, s FROM sf;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-scan-t sql-2-calc sql-3-group-agg sql-4-calc sql-5-group-agg sql-sink-0-od sql-sink-1-on2 union-3"},
		{`INSERT INTO ots SELECT k, ts FROM lit UNION ALL SELECT k, ts FROM lit UNION ALL SELECT k, ts FROM lit;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-scan-t sql-2-calc sql-3-calc sql-4-group-agg sql-sink-0-ots sql-sink-1-on2 union-2"},
		{`INSERT INTO od SELECT k, s FROM sf WHERE s > 0 UNION ALL SELECT k, s FROM sf;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-scan-t sql-2-calc sql-3-group-agg sql-4-calc sql-5-calc sql-6-group-agg sql-sink-0-od sql-sink-1-on2 union-4"},
	} {
		if got := oldTypeSetUIDs(t, c.set); got != c.want {
			t.Errorf("%s\ngot  %s\nwant %s", c.set, got, c.want)
		}
	}
}

// TestINOldTypeThroughUnionValuesJoinUIDs: IN operands whose column
// comes from a UNION ALL, VALUES or an interval join are classified by
// their 683dc02 type (oldType follows these nodes), so commonKey numbers
// no hidden cast Calc 683dc02 did not have (review of branch sqlleft2: it
// did, shifting the semi-join and everything after it). Wanted UIDs:
// recorded by 683dc02.
func TestINOldTypeThroughUnionValuesJoinUIDs(t *testing.T) {
	for _, c := range []struct{ set, want string }{
		{`INSERT INTO on2 SELECT v.k, COUNT(*) FROM v WHERE v.ts IN (SELECT ts FROM lit UNION ALL SELECT ts FROM lit) GROUP BY v.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-scan-t sql-2-calc sql-3-calc sql-4-semi-join sql-5-calc sql-6-group-agg sql-7-calc sql-8-group-agg sql-sink-0-on2 sql-sink-1-on2 union-3"},
		{`INSERT INTO on2 SELECT v.k, COUNT(*) FROM v WHERE v.ts IN (SELECT ts FROM (VALUES (1, TIMESTAMP '2020-01-01 00:00:00')) AS x(k, ts)) GROUP BY v.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-scan-t sql-2-calc sql-3-values sql-4-semi-join sql-5-calc sql-6-group-agg sql-7-calc sql-8-group-agg sql-sink-0-on2 sql-sink-1-on2"},
		{`INSERT INTO on2 SELECT v.k, COUNT(*) FROM v WHERE v.ts IN (SELECT a.lt FROM trl a JOIN tr b ON a.k = b.k AND a.ts BETWEEN b.ts - INTERVAL '1' SECOND AND b.ts) GROUP BY v.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-scan-t sql-10-calc sql-11-group-agg sql-12-calc sql-13-group-agg sql-2-calc sql-3-scan-tr sql-4-calc sql-5-calc sql-6-encode sql-7-encode sql-8-interval-join sql-9-semi-join sql-sink-0-on2 sql-sink-1-on2"},
	} {
		if got := oldTypeSetUIDs(t, c.set); got != c.want {
			t.Errorf("%s\ngot  %s\nwant %s", c.set, got, c.want)
		}
	}
}

// TestKeyCastKeepsOversizeValue: a source's VARCHAR(3) column may hold
// longer text (sources do not cut it: plain SELECT shows all 7
// characters). A cast to a wider VARCHAR (or TIMESTAMP(p) to TIMESTAMP(q >=
// p)) is the identity, as in Flink, so the key cast below the join keeps
// the row's value and above it the column only gets its type back: the
// join outputs the row's own value (review of branch sqlleft2: it gave
// 'abcde', cut to the common type; main cut it to 'abc').
func TestKeyCastKeepsOversizeValue(t *testing.T) {
	data := `{"id":1,"s":"abcdefg","ts0":"2020-01-01 00:00:00.123456"}` + "\n"
	ddl := `CREATE TABLE t (id INT, s VARCHAR(3), ts0 TIMESTAMP(0)) WITH ('connector' = 'values');
`
	for _, c := range []struct{ q, want string }{
		{"SELECT s, CHAR_LENGTH(s) FROM t", "+I | abcdefg | 7"},
		{"SELECT a.s, CHAR_LENGTH(a.s) FROM t a JOIN (SELECT CAST(s AS VARCHAR(5)) AS w FROM t) b ON a.s = b.w", "+I | abcdefg | 7"},
		{"SELECT a.s, CHAR_LENGTH(a.s) FROM t a WHERE EXISTS (SELECT 1 FROM (SELECT CAST(s AS VARCHAR(5)) AS w FROM t) b WHERE b.w = a.s)", "+I | abcdefg | 7"},
		{"SELECT CAST(ts0 AS TIMESTAMP(6)) FROM t", "+I | 2020-01-01 00:00:00.123456"},
		{"SELECT CAST(ts0 AS TIMESTAMP(3)) FROM t", "+I | 2020-01-01 00:00:00.123456"},
		{"SELECT CAST(s AS VARCHAR(5)), CAST(s AS VARCHAR(2)), CAST(ts0 AS TIMESTAMP(0)) FROM t", "+I | abcdefg | ab | 2020-01-01 00:00:00.123456"},
	} {
		out, _, err := runValuesScript(t, data, ddl+c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		wantRows(t, c.q, out, c.want)
	}
}

// TestKeyCastKeepsOversizeTimestamp: the same for a TIMESTAMP(0) key
// holding microseconds joined with a TIMESTAMP(3) one.
func TestKeyCastKeepsOversizeTimestamp(t *testing.T) {
	t.Skip("known: join state stores a TIMESTAMP(p <= 3) as milliseconds (table codec, as Flink's compact TimestampData serializer), so a row kept in state loses the digits beyond them whatever the key: a join of t with itself ON a.id = b.id gives .123000 too")
	data := `{"id":1,"s":"abcdefg","ts0":"2020-01-01 00:00:00.123456"}` + "\n"
	ddl := `CREATE TABLE t (id INT, s VARCHAR(3), ts0 TIMESTAMP(0)) WITH ('connector' = 'values');
`
	q := "SELECT CAST(a.ts0 AS TIMESTAMP(6)) FROM t a JOIN (SELECT CAST(ts0 AS TIMESTAMP(3)) AS w FROM t) b ON a.ts0 = b.w"
	out, _, err := runValuesScript(t, data, ddl+q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	wantRows(t, q, out, "+I | 2020-01-01 00:00:00.123456")
}

// TestCharKeyNotPaddedBack: a CHAR(3) key holding 'ab' (sources do not
// pad it) joined with a VARCHAR(5) is compared as VARCHAR(5) and comes
// out as the row had it, not padded to 'ab ' by a cast back to CHAR(3).
func TestCharKeyNotPaddedBack(t *testing.T) {
	data := `{"id":1,"c":"ab","s":"ab"}` + "\n"
	ddl := `CREATE TABLE t (id INT, c CHAR(3), s VARCHAR(5)) WITH ('connector' = 'values');
`
	for _, c := range []struct{ q, want string }{
		{"SELECT c, CHAR_LENGTH(c) FROM t", "+I | ab | 2"},
		{"SELECT a.c, CHAR_LENGTH(a.c) FROM t a JOIN t b ON a.c = b.s", "+I | ab | 2"},
		{"SELECT a.c, CHAR_LENGTH(a.c) FROM t a WHERE EXISTS (SELECT 1 FROM t b WHERE b.s = a.c)", "+I | ab | 2"},
	} {
		out, _, err := runValuesScript(t, data, ddl+c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		wantRows(t, c.q, out, c.want)
	}
}

// TestOneColumnTwoKeyTypes: a column compared with two columns of
// different types (a.id INT = b.x BIGINT AND a.id = b.y DOUBLE). Before,
// keyCasts cast the column once per pair and kept the last cast (DOUBLE),
// so the first pair compared a DOUBLE with a BIGINT and never matched
// (COUNT 0; no rows). Flink casts per comparison; here the key columns
// take one type, and INT, BIGINT and DOUBLE have none that keeps all
// values (BIGINT as DOUBLE rounds), so these statements are refused
// (TestOneColumnTwoKeyTypesRefused) until a side can carry a second,
// hidden cast copy of the column.
func TestOneColumnTwoKeyTypes(t *testing.T) {
	t.Skip("known: refused with an error (TestOneColumnTwoKeyTypesRefused): one key type per column, and none keeps INT, BIGINT and DOUBLE values")
	data := `{"id":1,"s":"a","ts0":"2020-01-01 00:00:00"}` + "\n"
	ddl := `CREATE TABLE t (id INT, s VARCHAR(3), ts0 TIMESTAMP(0)) WITH ('connector' = 'values');
CREATE VIEW b AS SELECT CAST(id AS BIGINT) AS x, CAST(id AS DOUBLE) AS y FROM t;
`
	for _, c := range []struct{ q, want string }{
		{"SELECT a.id, (SELECT COUNT(*) FROM b WHERE a.id = b.x AND a.id = b.y) AS n FROM t a GROUP BY a.id", "+I | 1 | 1"},
		{"SELECT a.id, (SELECT COUNT(*) FROM b WHERE a.id = b.x AND a.id = b.y) AS n FROM t a", "+I | 1 | 1"},
		{"SELECT a.id FROM t a WHERE EXISTS (SELECT 1 FROM b WHERE a.id = b.x AND a.id = b.y)", "+I | 1"},
		{"SELECT a.id, b.x FROM t a JOIN b ON a.id = b.x AND a.id = b.y", "+I | 1 | 1"},
	} {
		out, _, err := runValuesScript(t, data, ddl+c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		wantRows(t, c.q, out, c.want)
	}
}

// TestOneColumnTwoKeyTypesCommon: a column compared with two columns of
// different types that have a common type keeping every value (INT with
// BIGINT and SMALLINT: all as BIGINT) is cast once to it, and so are the
// others, so both comparisons match (before: COUNT 0, no rows).
func TestOneColumnTwoKeyTypesCommon(t *testing.T) {
	data := `{"id":1,"s":"a","ts0":"2020-01-01 00:00:00"}` + "\n" + `{"id":2,"s":"b","ts0":"2020-01-01 00:00:00"}` + "\n"
	ddl := `CREATE TABLE t (id INT, s VARCHAR(3), ts0 TIMESTAMP(0)) WITH ('connector' = 'values');
CREATE VIEW b AS SELECT CAST(id AS BIGINT) AS x, CAST(id AS SMALLINT) AS y FROM t WHERE id = 1;
`
	for _, c := range []struct{ q, want string }{
		{"SELECT a.id, (SELECT COUNT(*) FROM b WHERE a.id = b.x AND a.id = b.y) AS n FROM t a GROUP BY a.id", "+I | 1 | 1\n+I | 2 | 0"},
		{"SELECT a.id, (SELECT COUNT(*) FROM b WHERE a.id = b.x AND a.id = b.y) AS n FROM t a", "+I | 1 | 1\n+I | 2 | 0"},
		{"SELECT a.id FROM t a WHERE EXISTS (SELECT 1 FROM b WHERE a.id = b.x AND a.id = b.y)", "+I | 1"},
		{"SELECT a.id, b.x, b.y FROM t a JOIN b ON a.id = b.x AND a.id = b.y", "+I | 1 | 1 | 1"},
		{"SELECT a.id, b.x, b.y FROM t a LEFT JOIN b ON a.id = b.x AND b.y = a.id", "+I | 1 | 1 | 1\n+I | 2 | NULL | NULL"},
	} {
		out, _, err := runValuesScript(t, data, ddl+c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		wantRows(t, c.q, out, c.want)
	}
}

// TestOneColumnTwoKeyTypesRefused: with no such common type (INT with
// BIGINT and DOUBLE) the statement is refused, naming the comparisons.
func TestOneColumnTwoKeyTypesRefused(t *testing.T) {
	ddl := `CREATE TABLE t (id INT, s VARCHAR(3), ts0 TIMESTAMP(0)) WITH ('connector' = 'values');
CREATE VIEW b AS SELECT CAST(id AS BIGINT) AS x, CAST(id AS DOUBLE) AS y FROM t;
`
	for _, q := range []string{
		"SELECT a.id, (SELECT COUNT(*) FROM b WHERE a.id = b.x AND a.id = b.y) AS n FROM t a GROUP BY a.id",
		"SELECT a.id, (SELECT COUNT(*) FROM b WHERE a.id = b.x AND a.id = b.y) AS n FROM t a",
		"SELECT a.id FROM t a WHERE EXISTS (SELECT 1 FROM b WHERE a.id = b.x AND a.id = b.y)",
		"SELECT a.id, b.x FROM t a JOIN b ON a.id = b.x AND a.id = b.y",
	} {
		_, _, err := runValuesScript(t, "", ddl+q)
		if err == nil || !strings.Contains(err.Error(), "compared together with") || !strings.Contains(err.Error(), "CAST the columns to one type explicitly") {
			t.Errorf("%s: got %v, want the shared key refused", q, err)
		} else {
			t.Log(err)
		}
	}
}

// TestTimestampLTZKeyDSTGap (pre-existing on main): a TIMESTAMP key
// joined with a TIMESTAMP_LTZ one is cast to LTZ below the join and back
// above it; a wall time in a DST gap does not survive the round trip
// (02:30 on 2024-03-10 in New York comes back as 03:30), so the row's own
// value changes. keptByKeyCast relabels only within one root.
func TestTimestampLTZKeyDSTGap(t *testing.T) {
	t.Skip("known (on main too): the TIMESTAMP key is cast to TIMESTAMP_LTZ below the join and back above it through the session zone, and a wall time in a DST gap does not survive the round trip; needs the cast key carried as a hidden column")
	data := `{"id":1,"s":"a","ts0":"2020-01-01 00:00:00"}` + "\n"
	q := `CREATE TABLE t (id INT, s VARCHAR(3), ts0 TIMESTAMP(0)) WITH ('connector' = 'values');
SET 'table.local-time-zone' = 'America/New_York';
SELECT a.w, b.l FROM (SELECT TIMESTAMP '2024-03-10 02:30:00' AS w FROM t) a LEFT JOIN (SELECT TO_TIMESTAMP_LTZ(0, 3) AS l FROM t) b ON a.w = b.l`
	out, _, err := runValuesScript(t, data, q)
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, q, out, "+I | 2024-03-10 02:30:00 | NULL")
}
