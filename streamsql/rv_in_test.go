package streamsql_test

import "testing"

func TestRVTimeIn(t *testing.T) {
	q := `CREATE TABLE t (id INT, ms INT) WITH ('connector' = 'values');
CREATE VIEW a AS SELECT id, CAST(TIMESTAMPADD(MILLISECOND, ms, TIMESTAMP '2020-01-01 12:00:00') AS TIME) AS t0 FROM t;
CREATE VIEW b AS SELECT id, TIME '12:00:00.5' AS l FROM t;
SELECT a.id, a.t0 IN (TIME '12:00:00.5', TIME '13:00:00') AS x, a.t0 IN (SELECT l FROM b) AS y, a.t0 = TIME '12:00:00' AS z FROM a`
	out, _, err := runValuesScript(t, `{"id":1,"ms":500}`+"\n"+`{"id":2,"ms":0}`+"\n", q)
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, q, out, "+I | 1 | TRUE | TRUE | FALSE", "+I | 2 | FALSE | FALSE | TRUE")
}
