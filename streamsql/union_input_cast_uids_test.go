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

// TestUnionAllInputCastUIDs: UNION ALL of a declared FLOAT column with
// a FLOAT sum. 683dc02 typed the sum DOUBLE, so the union was DOUBLE and
// its FLOAT input had a cast Calc (sql-2-calc). Today the union is FLOAT,
// that input has no Calc, and every later operator takes one number less:
// the MAX over the union becomes sql-5-group-agg, the UID 683dc02 gave
// sf's SUM, so a 683dc02 savepoint restores SUM's state into MAX.
// The want lists are 683dc02's UIDs (recorded with its build).
func TestUnionAllInputCastUIDs(t *testing.T) {
	dir := t.TempDir()
	data := `{"k":1,"f":0.5,"d":0.5,"ms":1577836800000}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	ddl := `CREATE TABLE t (k INT, f FLOAT, d DOUBLE, ms BIGINT) WITH ('connector' = 'values');
CREATE TABLE t2 (k INT, f FLOAT) WITH ('connector' = 'values', 'file' = 't.jsonl');
CREATE TABLE t3 (k INT, ts TIMESTAMP(3)) WITH ('connector' = 'values', 'file' = 't.jsonl');
CREATE TABLE t0 (k INT, ts TIMESTAMP(0)) WITH ('connector' = 'values', 'file' = 't.jsonl');
CREATE TABLE ots (k INT, ts TIMESTAMP(3)) WITH ('connector' = 'blackhole');
CREATE VIEW lit AS SELECT k, TIMESTAMP '2020-01-01 00:00:00' AS ts FROM t;
CREATE TABLE od (k INT, s DOUBLE) WITH ('connector' = 'blackhole');
CREATE TABLE on2 (k INT, n BIGINT) WITH ('connector' = 'blackhole');
CREATE VIEW sf AS SELECT k, SUM(f) AS s FROM t GROUP BY k;
`
	for _, c := range []struct{ set, want string }{
		{`INSERT INTO od SELECT k, MAX(f) FROM (SELECT * FROM t2 UNION ALL SELECT k, s FROM sf) GROUP BY k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-scan-t2 sql-2-calc sql-3-scan-t sql-4-calc sql-5-group-agg sql-6-group-agg sql-7-calc sql-8-group-agg sql-sink-0-od sql-sink-1-on2 union-5"},
		{`INSERT INTO od SELECT * FROM t2 UNION ALL SELECT k, s FROM sf;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-scan-t2 sql-2-calc sql-3-scan-t sql-4-calc sql-5-group-agg sql-6-calc sql-7-group-agg sql-sink-0-od sql-sink-1-on2 union-5"},
		// A cast 683dc02 did not make (MAX of a literal's column, then
		// TIMESTAMP(3)) takes a sql-<n> Calc: COUNT's state moves.
		{`INSERT INTO ots SELECT k, MAX(ts) FROM lit GROUP BY k UNION ALL SELECT * FROM t3;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-scan-t sql-2-calc sql-3-group-agg sql-4-scan-t3 sql-5-calc sql-6-group-agg sql-sink-0-ots sql-sink-1-on2 union-4"},
		// A cast 683dc02 made (declared TIMESTAMP(0) to the literal's
		// TIMESTAMP(3)) that is gone.
		{`INSERT INTO ots SELECT k, MAX(ts) FROM (SELECT * FROM t0 UNION ALL SELECT k, ts FROM lit) GROUP BY k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
			"sql-1-scan-t0 sql-2-calc sql-3-scan-t sql-4-calc sql-5-group-agg sql-6-calc sql-7-group-agg sql-sink-0-ots sql-sink-1-on2 union-4"},
	} {
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{valuesFactory{dir: dir}, builtin.BlackholeFactory()}})
		job, _, err := s.Submit(context.Background(), ddl+"EXECUTE STATEMENT SET BEGIN\n"+c.set+"\nEND;")
		if err != nil {
			t.Fatalf("%s: %v", c.set, err)
		}
		if err := job.Wait(); err != nil {
			t.Fatal(err)
		}
		var uids []string
		for _, v := range job.View() {
			for _, o := range v.Operators {
				if !strings.HasPrefix(o.UID, "sql-cast-") && !strings.HasPrefix(o.UID, "sql-pushed-") {
					uids = append(uids, o.UID)
				}
			}
		}
		sort.Strings(uids)
		if got := strings.Join(uids, " "); got != c.want {
			t.Errorf("%s\ngot  %s\nwant %s (683dc02)", c.set, got, c.want)
		}
	}
}
