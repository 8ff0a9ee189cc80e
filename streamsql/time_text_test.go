package streamsql_test

import (
	"strings"
	"testing"
)

// TestTimeAsText: a TIME(p) as SELECT prints it and as CAST(... AS STRING)
// writes it are one text, Flink's (DateTimeUtils.formatTimestampMillis):
// no fraction for TIME(0), else the milliseconds' digits up to p without
// trailing zeros but at least one. TIME literals are typed by their digits
// (TIME '12:34:56.5' is TIME(1)), so a literal keeps its fraction in both.
func TestTimeAsText(t *testing.T) {
	q := `CREATE TABLE t (id INT, ms INT) WITH ('connector' = 'values');
CREATE VIEW v AS SELECT id,
  CAST(CAST(TIMESTAMPADD(MILLISECOND, ms, TIMESTAMP '2020-01-01 12:34:56.000') AS TIMESTAMP(3)) AS TIME(3)) AS t3,
  TIME '12:34:56.5' AS l1, TIME '12:34:56' AS l0, TIME '12:34:56.120' AS l3
FROM t;
SELECT id, t3, CAST(t3 AS STRING) AS s3, l1, CAST(l1 AS STRING) AS s1, l0, CAST(l0 AS STRING) AS s0, l3, CAST(l3 AS STRING) AS s3l FROM v`
	data := `{"id":1,"ms":0}` + "\n" + `{"id":2,"ms":500}` + "\n" + `{"id":3,"ms":123}` + "\n" + `{"id":4,"ms":120}` + "\n"
	out, _, err := runValuesScript(t, data, q)
	if err != nil {
		t.Fatal(err)
	}
	lits := "12:34:56.5 | 12:34:56.5 | 12:34:56 | 12:34:56 | 12:34:56.12 | 12:34:56.12"
	for _, want := range []string{
		"+I | 1 | 12:34:56.0 | 12:34:56.0 | " + lits,
		"+I | 2 | 12:34:56.5 | 12:34:56.5 | " + lits,
		"+I | 3 | 12:34:56.123 | 12:34:56.123 | " + lits,
		"+I | 4 | 12:34:56.12 | 12:34:56.12 | " + lits,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("got\n%s\nwant a row %q", out, want)
		}
	}
}

// TestTimeLiteralWithFractionJoinsTime0: a TIME(0) column joins a TIME
// literal's column (TIME(1), typed by its digits) on their common type
// TIME(1), as a TIME(0) literal's did before: TIME(p) casts implicitly to
// TIME(q >= p), so the key of the narrower side is cast (keycast.go).
func TestTimeLiteralWithFractionJoinsTime0(t *testing.T) {
	q := `CREATE TABLE t (id INT, ms INT) WITH ('connector' = 'values');
CREATE VIEW a AS SELECT id, CAST(TIMESTAMPADD(SECOND, id, TIMESTAMP '2020-01-01 12:00:00') AS TIME) AS t0 FROM t;
CREATE VIEW b AS SELECT id, TIME '12:00:01.0' AS l FROM t;
SELECT a.id, a.t0, b.l FROM a JOIN b ON a.t0 = b.l`
	out, _, err := runValuesScript(t, `{"id":1,"ms":0}`+"\n"+`{"id":2,"ms":0}`+"\n", q)
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, "ON a.t0 = b.l", out, "+I | 1 | 12:00:01 | 12:00:01.0", "+I | 1 | 12:00:01 | 12:00:01.0")
}

// TestCastTimeToTimePrecision: CAST between TIME precisions keeps the
// value when widening and truncates to the target's digits when narrowing
// (Flink's TimeToTimeCastRule); both were refused before.
func TestCastTimeToTimePrecision(t *testing.T) {
	q := `CREATE TABLE t (id INT) WITH ('connector' = 'values');
SELECT CAST(TIME '12:34:56.789' AS TIME(1)) AS a, CAST(TIME '12:34:56.789' AS TIME) AS b, CAST(TIME '12:34:56' AS TIME(3)) AS c, CAST(CAST(TIME '12:34:56.789' AS TIME(2)) AS STRING) AS d FROM t`
	out, _, err := runValuesScript(t, `{"id":1}`+"\n", q)
	if err != nil {
		t.Fatal(err)
	}
	if want := "+I | 12:34:56.7 | 12:34:56 | 12:34:56.0 | 12:34:56.78\n"; !strings.Contains(out, want) {
		t.Errorf("got\n%s\nwant a row %q", out, want)
	}
}
