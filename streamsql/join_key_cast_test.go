package streamsql_test

import (
	"sort"
	"strings"
	"testing"
)

// keyCastDDL: v.ts is TIMESTAMP(3), id 1 at 2020-01-01 00:00:00.000 and
// id 2 half a second later; epoch.start_ts is a TIMESTAMP(0) literal
// column (TIMESTAMP(3) before literals were typed by their digits).
const keyCastData = `{"id":1,"ms":1577836800000}` + "\n" + `{"id":2,"ms":1577836800500}` + "\n"

const keyCastDDL = `CREATE TABLE t (id INT, ms BIGINT) WITH ('connector' = 'values');
CREATE VIEW v AS SELECT id, CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(3)) AS ts FROM t;
CREATE VIEW epoch AS SELECT id, TIMESTAMP '2020-01-01 00:00:00' AS start_ts FROM t;
`

// sortedRows is the rows of the changelog the session printed at its
// end (+I and +U add a row, -U and -D take one away), as +I rows, sorted.
func sortedRows(out string) []string {
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		op, row, ok := strings.Cut(l, " | ")
		if !ok {
			continue
		}
		switch op {
		case "+I", "+U":
			rows = append(rows, "+I | "+row)
		case "-U", "-D":
			for i, r := range rows {
				if r == "+I | "+row {
					rows = append(rows[:i], rows[i+1:]...)
					break
				}
			}
		}
	}
	sort.Strings(rows)
	return rows
}

func wantRows(t *testing.T, q, out string, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := sortedRows(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot\n%s\nwant\n%s", q, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestJoinOnLiteralTimestampColumn: join keys of different precision
// (TIMESTAMP(3) and TIMESTAMP(0)) are compared as their common type
// TIMESTAMP(3), as Flink casts them, so a query that planned when the
// literal was TIMESTAMP(3) still does: .500 does not equal the literal's
// second, and each column keeps its own type in the output (no .000 on
// the TIMESTAMP(0) one). Also an outer join whose ON condition reads a
// cast key, and both sides' orders.
func TestJoinOnLiteralTimestampColumn(t *testing.T) {
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"SELECT v.id, v.ts, e.start_ts FROM v JOIN epoch e ON v.ts = e.start_ts", []string{
			"+I | 1 | 2020-01-01 00:00:00.000 | 2020-01-01 00:00:00",
			"+I | 1 | 2020-01-01 00:00:00.000 | 2020-01-01 00:00:00"}},
		{"SELECT e.start_ts, v.id FROM epoch e JOIN v ON e.start_ts = v.ts WHERE e.id = 1", []string{
			"+I | 2020-01-01 00:00:00 | 1"}},
		{"SELECT v.id, e.id FROM v LEFT JOIN epoch e ON v.ts = e.start_ts AND e.start_ts >= v.ts AND e.id = 2", []string{
			"+I | 1 | 2", "+I | 2 | NULL"}},
	} {
		out, _, err := runValuesScript(t, keyCastData, keyCastDDL+c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		wantRows(t, c.q, out, c.want...)
	}
}

// TestCorrelatedLiteralTimestampColumn: the same for a correlated EXISTS
// / NOT EXISTS (semijoin.go) and a correlated scalar subquery
// (scalar.go), with the narrower column inside the subquery and in the
// outer query.
func TestCorrelatedLiteralTimestampColumn(t *testing.T) {
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"SELECT v.id FROM v WHERE EXISTS (SELECT 1 FROM epoch e WHERE e.start_ts = v.ts)", []string{"+I | 1"}},
		{"SELECT v.id FROM v WHERE NOT EXISTS (SELECT 1 FROM epoch e WHERE e.start_ts = v.ts)", []string{"+I | 2"}},
		{"SELECT v.id, (SELECT COUNT(*) FROM epoch e WHERE e.start_ts = v.ts) AS c FROM v", []string{"+I | 1 | 2", "+I | 2 | 0"}},
		{"SELECT e.id, e.start_ts FROM epoch e WHERE EXISTS (SELECT 1 FROM v WHERE v.ts = e.start_ts)", []string{
			"+I | 1 | 2020-01-01 00:00:00", "+I | 2 | 2020-01-01 00:00:00"}},
		{"SELECT e.id, e.start_ts, (SELECT COUNT(*) FROM v WHERE v.ts = e.start_ts) AS c FROM epoch e", []string{
			"+I | 1 | 2020-01-01 00:00:00 | 1", "+I | 2 | 2020-01-01 00:00:00 | 1"}},
	} {
		out, _, err := runValuesScript(t, keyCastData, keyCastDDL+c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		wantRows(t, c.q, out, c.want...)
	}
}

// TestCorrelatedScalarInAggregationCastsGroupKey: a correlated scalar
// subquery of an aggregation's select list or HAVING whose GROUP BY key is
// the narrower side (a TIMESTAMP(0) literal's column, an INT) is joined on
// the common type, the group key cast below the join and back above it
// (its text has no .000); the wider group key with a narrower inner key
// too.
func TestCorrelatedScalarInAggregationCastsGroupKey(t *testing.T) {
	ddl := keyCastDDL + `CREATE VIEW w AS SELECT CAST(id AS BIGINT) AS bid, ms FROM t;
`
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"SELECT e.start_ts, COUNT(*) AS n, (SELECT COUNT(*) FROM v WHERE v.ts = e.start_ts) AS c FROM epoch e GROUP BY e.start_ts", []string{
			"+I | 2020-01-01 00:00:00 | 2 | 1"}},
		{"SELECT e.start_ts, e.id, (SELECT MAX(v.id) FROM v WHERE v.ts = e.start_ts) AS m FROM epoch e GROUP BY e.id, e.start_ts HAVING (SELECT COUNT(*) FROM v WHERE v.ts = e.start_ts) > 0", []string{
			"+I | 2020-01-01 00:00:00 | 1 | 1", "+I | 2020-01-01 00:00:00 | 2 | 1"}},
		{"SELECT v.ts, (SELECT COUNT(*) FROM epoch e WHERE e.start_ts = v.ts) AS c FROM v GROUP BY v.ts", []string{
			"+I | 2020-01-01 00:00:00.000 | 2", "+I | 2020-01-01 00:00:00.500 | 0"}},
		{"SELECT t.id, SUM(t.ms) - 1577836800000 AS s, (SELECT MAX(w.ms) - 1577836800000 FROM w WHERE w.bid = t.id) AS m FROM t GROUP BY t.id", []string{
			"+I | 1 | 0 | 0", "+I | 2 | 500 | 500"}},
	} {
		out, _, err := runValuesScript(t, keyCastData, ddl+c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		wantRows(t, c.q, out, c.want...)
	}
}

// TestJoinSumFloatWithDouble: SUM(FLOAT), DOUBLE before and FLOAT now,
// joins a DOUBLE as Flink compares them, CAST(FLOAT AS DOUBLE): the
// FLOAT 0.1 equals the DOUBLE of that FLOAT, not the DOUBLE 0.1, and
// stays a FLOAT in the output.
func TestJoinSumFloatWithDouble(t *testing.T) {
	q := `CREATE TABLE t (id INT, ms BIGINT) WITH ('connector' = 'values');
CREATE VIEW s AS SELECT id, SUM(CAST(0.1 AS FLOAT)) AS total FROM t GROUP BY id;
CREATE VIEW d AS SELECT id, CAST(CAST(0.1 AS FLOAT) AS DOUBLE) AS x, CAST(0.1 AS DOUBLE) AS y FROM t;
`
	out, _, err := runValuesScript(t, `{"id":1,"ms":1}`+"\n", q+"SELECT s.id, s.total, d.x FROM s JOIN d ON s.total = d.x")
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, "ON s.total = d.x", out, "+I | 1 | 0.1 | 0.10000000149011612")
	out, _, err = runValuesScript(t, `{"id":1,"ms":1}`+"\n", q+"SELECT s.id FROM s JOIN d ON s.total = d.y")
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, "ON s.total = d.y", out)
}

// TestJoinKeysWithoutCommonType: keys of types without a common type are
// still refused, naming them.
func TestJoinKeysWithoutCommonType(t *testing.T) {
	for _, q := range []string{
		"SELECT v.id FROM v JOIN (SELECT CAST(id AS STRING) AS s FROM t) x ON v.id = x.s",
		"SELECT v.id FROM v WHERE EXISTS (SELECT 1 FROM (SELECT CAST(id AS STRING) AS s FROM t) x WHERE x.s = v.id)",
		"SELECT v.id, (SELECT COUNT(*) FROM (SELECT CAST(id AS STRING) AS s FROM t) x WHERE x.s = v.id) FROM v",
	} {
		_, _, err := runValuesScript(t, keyCastData, keyCastDDL+q)
		if err == nil || !strings.Contains(err.Error(), "no common type") {
			t.Errorf("%s: got %v, want an error: no common type", q, err)
		}
	}
}

// TestJoinKeysThatWouldRound: keys whose common type rounds one side
// (BIGINT or DECIMAL as DOUBLE) are refused: the join's output carries the
// cast key, and the cast back above the join gave 9007199254740992 for the
// row's 9007199254740993 (review of branch sqltypes).
func TestJoinKeysThatWouldRound(t *testing.T) {
	for _, q := range []string{
		"SELECT x.n FROM (SELECT CAST(ms AS BIGINT) AS n FROM t) x JOIN (SELECT CAST(ms AS DOUBLE) AS d FROM t) y ON x.n = y.d",
		"SELECT x.n FROM (SELECT CAST(ms AS DECIMAL(20, 0)) AS n FROM t) x WHERE EXISTS (SELECT 1 FROM (SELECT CAST(ms AS DOUBLE) AS d FROM t) y WHERE y.d = x.n)",
		"SELECT x.n, (SELECT COUNT(*) FROM (SELECT CAST(ms AS DOUBLE) AS d FROM t) y WHERE y.d = x.n) FROM (SELECT CAST(ms AS BIGINT) AS n FROM t) x",
	} {
		_, _, err := runValuesScript(t, keyCastData, keyCastDDL+q)
		if err == nil || !strings.Contains(err.Error(), "no common type that keeps both sides' values") {
			t.Errorf("%s: got %v, want an error: no common type that keeps both sides' values", q, err)
		}
	}
	// Widening that keeps the values still joins: INT = DOUBLE.
	out, _, err := runValuesScript(t, keyCastData, keyCastDDL+"SELECT x.i FROM (SELECT id AS i FROM t) x JOIN (SELECT CAST(id AS DOUBLE) AS d FROM t) y ON x.i = y.d")
	if err != nil {
		t.Fatal(err)
	}
	if got := sortedRows(out); len(got) != 2 {
		t.Errorf("INT = DOUBLE: %q, want 2 rows", got)
	}
}

// TestTimeJoinKeysOfDifferentWidth: an INT key joins a BIGINT one in an
// interval join and a window join too (the INT side cast in place below
// the join keeps its rowtime and window columns).
func TestTimeJoinKeysOfDifferentWidth(t *testing.T) {
	ddl := `CREATE TABLE t (id INT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE u (id BIGINT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values', 'file' = 't.jsonl');
`
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"SELECT t.id, u.id FROM t JOIN u ON t.id = u.id AND t.ts BETWEEN u.ts - INTERVAL '1' SECOND AND u.ts", []string{
			"+I | 1 | 1", "+I | 2 | 2"}},
		{`SELECT t.id, u.id, t.window_start FROM
  (SELECT id, window_start, window_end FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY id, window_start, window_end) t
  LEFT JOIN (SELECT id, window_start, window_end FROM TABLE(TUMBLE(TABLE u, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) WHERE id = 2 GROUP BY id, window_start, window_end) u
  ON t.id = u.id AND t.window_start = u.window_start AND t.window_end = u.window_end`, []string{
			"+I | 1 | NULL | 2020-01-01 00:00:00.000", "+I | 2 | 2 | 2020-01-01 00:00:00.000"}},
	} {
		out, _, err := runValuesScript(t, `{"id":1,"ms":1577836800000}`+"\n"+`{"id":2,"ms":1577836801000}`+"\n", ddl+c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		wantRows(t, c.q, out, c.want...)
	}
}
