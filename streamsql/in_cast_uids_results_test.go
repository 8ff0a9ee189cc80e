package streamsql_test

import "testing"

// TestINHiddenColumnsKeepResults: the IN comparisons whose hidden columns
// follow main's build before branch sqltypes (a cast that build made too
// keeps its sql-<n> Calc, a side it cast that needs none now gets a copy of
// the column: TestImplicitCastSQLUIDs sets 9 and 10) still compare the
// values: a FLOAT sum IN a declared FLOAT (a copy), a declared FLOAT IN a
// DOUBLE (cast), a TIMESTAMP(0) column IN a literal's TIMESTAMP(0) column
// (a copy), a literal's column IN a TIMESTAMP(6) one and NOT IN the
// other way (cast).
func TestINHiddenColumnsKeepResults(t *testing.T) {
	ddl := `CREATE TABLE t (k INT, f FLOAT, d DOUBLE, ms BIGINT) WITH ('connector' = 'values');
CREATE VIEW sf AS SELECT k, SUM(f) AS s FROM t GROUP BY k;
CREATE VIEW lit AS SELECT k, TIMESTAMP '2020-01-01 00:00:00' AS ts FROM t;
CREATE VIEW v6 AS SELECT k, CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(6)) AS ts, CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(0)) AS ts0 FROM t;
`
	data := `{"k":1,"f":0.5,"d":0.5,"ms":1577836800000}` + "\n" + `{"k":2,"f":1.5,"d":0.25,"ms":1577836801500}` + "\n"
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"SELECT sf.k FROM sf WHERE sf.s IN (SELECT f FROM t)", []string{"+I | 1", "+I | 2"}},
		{"SELECT t.k FROM t WHERE t.f IN (SELECT d FROM t)", []string{"+I | 1"}},
		{"SELECT v6.k, v6.ts0 FROM v6 WHERE v6.ts0 IN (SELECT ts FROM lit)", []string{"+I | 1 | 2020-01-01 00:00:00"}},
		{"SELECT lit.k FROM lit WHERE lit.ts IN (SELECT ts FROM v6)", []string{"+I | 1", "+I | 2"}},
		{"SELECT v6.k FROM v6 WHERE v6.ts NOT IN (SELECT ts FROM lit)", []string{"+I | 2"}},
	} {
		out, _, err := runValuesScript(t, data, ddl+c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		wantRows(t, c.q, out, c.want...)
	}
}
