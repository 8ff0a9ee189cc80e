package streamsql_test

import (
	"strings"
	"testing"
)

func TestRVTimeJoinCastBack(t *testing.T) {
	q := `CREATE TABLE t (id INT, ms INT) WITH ('connector' = 'values');
CREATE VIEW a AS SELECT id, CAST(TIMESTAMPADD(MILLISECOND, ms, TIMESTAMP '2020-01-01 12:00:00') AS TIME) AS t0 FROM t;
CREATE VIEW b AS SELECT id, TIME '12:00:00.5' AS l FROM t;
SELECT a.id, CAST(CAST(a.t0 AS TIME(3)) AS STRING) AS s, a.t0 = TIME '12:00:00.5' AS eq FROM a JOIN b ON a.t0 = b.l`
	out, _, err := runValuesScript(t, `{"id":1,"ms":500}`+"\n", q)
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, q, out, "+I | 1 | 12:00:00.5 | TRUE")
}

func TestRVTimeScalarAgg(t *testing.T) {
	q := `CREATE TABLE t (id INT, ms INT) WITH ('connector' = 'values');
CREATE VIEW a AS SELECT id, CAST(TIMESTAMPADD(MILLISECOND, ms, TIMESTAMP '2020-01-01 12:00:00') AS TIME) AS t0 FROM t;
CREATE VIEW b AS SELECT id, TIME '12:00:00.5' AS l FROM t;
SELECT CAST(CAST(t0 AS TIME(3)) AS STRING) AS s, COUNT(*) AS c, (SELECT COUNT(*) FROM b WHERE b.l = a.t0) AS n FROM a GROUP BY t0`
	out, _, err := runValuesScript(t, `{"id":1,"ms":500}`+"\n"+`{"id":2,"ms":0}`+"\n", q)
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, q, out, "+I | 12:00:00.5 | 1 | 2", "+I | 12:00:00.0 | 1 | 0")
}

func TestRVBigintDoubleScalarAgg(t *testing.T) {
	q := `CREATE TABLE t (id INT, n BIGINT, d DOUBLE) WITH ('connector' = 'values');
SELECT n, COUNT(*) AS c, (SELECT COUNT(*) FROM t u WHERE u.d = t.n) AS m FROM t GROUP BY n`
	out, _, err := runValuesScript(t, `{"id":1,"n":9007199254740993,"d":1.0}`+"\n"+`{"id":2,"n":null,"d":2.0}`+"\n", q)
	if err == nil || !strings.Contains(err.Error(), "have no common type that keeps both sides' values") {
		t.Fatalf("err = %v, want the keys refused (their common type DOUBLE rounds the BIGINT)\nout:\n%s", err, out)
	}
}

func TestRVBigintDoubleJoin(t *testing.T) {
	q := `CREATE TABLE t (id INT, n BIGINT, d DOUBLE) WITH ('connector' = 'values');
SELECT a.n FROM t a JOIN t b ON a.n = b.d`
	out, _, err := runValuesScript(t, `{"id":1,"n":9007199254740993,"d":9007199254740992.0}`+"\n", q)
	if err == nil || !strings.Contains(err.Error(), "have no common type that keeps both sides' values") {
		t.Fatalf("err = %v, want the keys refused (their common type DOUBLE rounds the BIGINT)\nout:\n%s", err, out)
	}
}
func TestRVTimeScalarAggEq(t *testing.T) {
	q := `CREATE TABLE t (id INT, ms INT) WITH ('connector' = 'values');
CREATE VIEW a AS SELECT id, CAST(TIMESTAMPADD(MILLISECOND, ms, TIMESTAMP '2020-01-01 12:00:00') AS TIME) AS t0 FROM t;
CREATE VIEW b AS SELECT id, TIME '12:00:00.5' AS l FROM t;
SELECT t0 = TIME '12:00:00.5' AS s, COUNT(*) AS c, (SELECT COUNT(*) FROM b WHERE b.l = a.t0) AS n FROM a GROUP BY t0`
	out, _, err := runValuesScript(t, `{"id":1,"ms":500}`+"\n"+`{"id":2,"ms":0}`+"\n", q)
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, q, out, "+I | TRUE | 1 | 2", "+I | FALSE | 1 | 0")
}
