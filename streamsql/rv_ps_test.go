package streamsql_test

import "testing"

func TestRVPostScalarMulti(t *testing.T) {
	q := `CREATE TABLE t (id INT, n INT, b BIGINT) WITH ('connector' = 'values');
SELECT n, COUNT(*) AS c, (SELECT COUNT(*) FROM t u WHERE u.b = t.n) AS m, (SELECT MAX(u.id) FROM t u WHERE u.b = t.n) AS x FROM t GROUP BY n HAVING n IS NULL OR n > 0`
	out, _, err := runValuesScript(t, `{"id":1,"n":1,"b":1}`+"\n"+`{"id":2,"n":null,"b":null}`+"\n"+`{"id":3,"n":2,"b":1}`+"\n", q)
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, q, out, "+I | 1 | 1 | 2 | 3", "+I | NULL | 1 | 0 | NULL", "+I | 2 | 1 | 0 | NULL")
}
