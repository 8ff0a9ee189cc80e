package streamsql_test

import (
	"strings"
	"testing"
)

// TestDistinctNaNIsOneValue: every NaN is one value of COUNT(DISTINCT)
// (Flink's distinct key is a Double, whose equals/serializer canonicalise
// NaN; the window path, through table.Compare, counts 1 too), though the
// NaNs of CAST('NaN'), SQRT(-1) and 0/0 need not have the same bits: the
// views' map key is the encoding of a canonical NaN.
func TestDistinctNaNIsOneValue(t *testing.T) {
	const q = `SELECT k, COUNT(DISTINCT f) AS c FROM (VALUES ('a', CAST('NaN' AS DOUBLE)), ('a', SQRT(-1.0e0)), ('a', 0.0e0 / 0.0e0)) AS t(k, f) GROUP BY k`
	out, _, err := runValuesScript(t, "", q)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; last != "+U | a | 1" && last != "+I | a | 1" {
		t.Fatalf("last change %q, want COUNT(DISTINCT) 1 (all NaNs are one value)\n%s", last, out)
	}
}

// TestDistinctSignedZerosAreTwoValues pins what docs/sql-functions.md
// says: 0.0 and -0.0 are two values of a GROUP BY's COUNT(DISTINCT) (the
// views' keys, as Flink's Double.equals), one of a window aggregation's
// (its value counts compare as table.Compare, -0 = 0).
func TestDistinctSignedZerosAreTwoValues(t *testing.T) {
	data := `{"f": 0.0, "n": false, "ts": "2024-01-01 00:00:01"}
{"f": 0.0, "n": true, "ts": "2024-01-01 00:00:02"}
`
	const ddl = `CREATE TABLE t (f DOUBLE, n BOOLEAN, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE VIEW v AS SELECT CASE WHEN n THEN -f ELSE f END AS g, ts FROM t;
`
	last := func(q string) string {
		t.Helper()
		out, _, err := runValuesScript(t, data, ddl+q)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		return lines[len(lines)-1]
	}
	if got := last(`SELECT COUNT(DISTINCT g) AS c FROM v;`); got != "+U | 2" {
		t.Errorf("GROUP BY: last change %q, want +U | 2", got)
	}
	if got := last(`SELECT COUNT(DISTINCT g) AS c FROM TABLE(TUMBLE(TABLE v, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;`); got != "+I | 1" {
		t.Errorf("window: last change %q, want +I | 1", got)
	}
}
