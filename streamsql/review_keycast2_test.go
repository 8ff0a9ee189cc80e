package streamsql_test

import (
	"strings"
	"testing"
)

// TestBinaryKeyNotPaddedBack: as TestCharKeyNotPaddedBack for
// BINARY(n) joined with VARBINARY(m >= n): the key is cast to VARBINARY(5)
// below the join and, keptByKeyCast not knowing BINARY -> VARBINARY, cast
// back to BINARY(3) above it, padding x'0102' to x'010200'.
func TestBinaryKeyNotPaddedBack(t *testing.T) {
	data := `{"id":1,"b":"AQI=","v":"AQI="}` + "\n"
	ddl := `CREATE TABLE t (id INT, b BINARY(3), v VARBINARY(5)) WITH ('connector' = 'values');
`
	for _, c := range []struct{ q, want string }{
		{"SELECT b FROM t", "+I | 0102"},
		{"SELECT a.b FROM t a JOIN t b ON a.b = b.v", "+I | 0102"},
		{"SELECT a.b FROM t a WHERE EXISTS (SELECT 1 FROM t b WHERE b.v = a.b)", "+I | 0102"},
	} {
		out, _, err := runValuesScript(t, data, ddl+c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		t.Logf("%s -> %s", c.q, out)
		wantRows(t, c.q, out, c.want)
	}
}

func TestSharedKeyOuterAndSubqueryJoins(t *testing.T) {
	data := `{"id":1,"x":1,"d":1}` + "\n" + `{"id":2,"x":2,"d":3}` + "\n"
	ddl := `CREATE TABLE t (id INT, x BIGINT, d DECIMAL(20,0)) WITH ('connector' = 'values');
`
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"SELECT a.id, b.x, b.d FROM t a JOIN t b ON a.id = b.x AND a.id = b.d", []string{"+I | 1 | 1 | 1"}},
		{"SELECT a.id, b.x, b.d FROM t a LEFT JOIN t b ON a.id = b.x AND a.id = b.d AND a.id < b.x + 5", []string{"+I | 1 | 1 | 1", "+I | 2 | NULL | NULL"}},
		{"SELECT a.id FROM t a WHERE EXISTS (SELECT 1 FROM t b WHERE b.x = a.id AND b.d = a.id)", []string{"+I | 1"}},
		{"SELECT a.id FROM t a WHERE a.id IN (SELECT b.x FROM t b WHERE b.d = a.id)", []string{"+I | 1"}},
		{"SELECT a.id FROM t a WHERE a.id NOT IN (SELECT b.x FROM t b WHERE b.d = a.id)", []string{"+I | 2"}},
	} {
		out, _, err := runValuesScript(t, data, ddl+c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		t.Logf("%s -> %s", c.q, out)
		wantRows(t, c.q, out, c.want...)
	}
}

func TestCharKeyWithCharAndVarchar(t *testing.T) {
	data := `{"id":1,"c3":"ab","c5":"ab","v":"ab"}` + "\n"
	ddl := `CREATE TABLE t (id INT, c3 CHAR(3), c5 CHAR(5), v VARCHAR(2)) WITH ('connector' = 'values');
`
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"SELECT c3, CHAR_LENGTH(c3) FROM t WHERE c3 = c5", []string{"+I | ab | 2"}},
		{"SELECT a.c3, CHAR_LENGTH(a.c3) FROM t a JOIN t b ON a.c3 = b.c5", []string{"+I | ab | 2"}},
		{"SELECT a.v, CHAR_LENGTH(a.v) FROM t a JOIN t b ON a.v = b.c3", []string{"+I | ab | 2"}},
	} {
		out, _, err := runValuesScript(t, data, ddl+c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		t.Logf("%s -> %s", c.q, out)
		wantRows(t, c.q, out, c.want...)
	}
}

func TestWideningCastMatrix(t *testing.T) {
	data := `{"id":1,"c":"abc","v":"ab","s":"abcdefg","ts6":"2020-01-01 00:00:00.123456","b":"AQI=","n":null}` + "\n"
	ddl := `SET 'table.local-time-zone' = 'Asia/Shanghai';
CREATE TABLE t (id INT, c CHAR(3), v VARCHAR(5), s VARCHAR(3), ts6 TIMESTAMP(6), b BINARY(2), n VARCHAR(3)) WITH ('connector' = 'values');
`
	for _, c := range []struct{ q, want string }{
		{"SELECT CAST(c AS VARCHAR(5)), CAST(v AS CHAR(5)) || '|', CAST(c AS CHAR(2)), CAST(s AS VARCHAR(2)) FROM t", "+I | abc | ab   | | ab | ab"},
		{"SELECT CAST(ts6 AS TIMESTAMP(3)), CAST(ts6 AS TIMESTAMP(9)) FROM t", "+I | 2020-01-01 00:00:00.123 | 2020-01-01 00:00:00.123456000"},
		{"SELECT CAST(CAST(ts6 AS TIMESTAMP_LTZ(6)) AS BIGINT), CAST(CAST(CAST(ts6 AS TIMESTAMP_LTZ(6)) AS TIMESTAMP(6)) AS STRING) FROM t", "+I | 1577808000 | 2020-01-01 00:00:00.123456"},
		{"SELECT CAST(n AS VARCHAR(9)) IS NULL, CAST(b AS VARBINARY(5)) FROM t", "+I | TRUE | 0102"},
	} {
		out, _, err := runValuesScript(t, data, ddl+c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		t.Logf("%s -> %s", c.q, out)
		wantRows(t, c.q, out, c.want)
	}
}

// TestSharedKeyChainRefusalNamesAllPairs: the refusal of a chain of shared key
// columns names only the pairs sharing a column with the refused one, all
// integers here, not the comparison that made the common type DOUBLE
// (a.q = b.y): the user is told INT and BIGINT "would round".
func TestSharedKeyChainRefusalNamesAllPairs(t *testing.T) {
	ddl := `CREATE TABLE a (id INT, p BIGINT, q INT) WITH ('connector' = 'values', 'file' = 't.jsonl');
CREATE TABLE b (x INT, y DOUBLE, z BIGINT) WITH ('connector' = 'values', 'file' = 't.jsonl');
`
	q := "SELECT * FROM a JOIN b ON a.p = b.x AND a.q = b.x AND a.q = b.y"
	_, _, err := runValuesScript(t, "", ddl+q)
	if err == nil || !strings.Contains(err.Error(), "`y`") {
		t.Errorf("%s: want a refusal naming `y` (DOUBLE), got %v", q, err)
	}
	// Every pair of the chain and the common type it reached.
	for _, w := range []string{"`p` (BIGINT) and `x` (INT)", "`q` (INT) = `x` (INT)", "`q` (INT) = `y` (DOUBLE)", "common type DOUBLE would round `p` (BIGINT)"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("%s: want the refusal to contain %q, got %v", q, w, err)
		}
	}
}
