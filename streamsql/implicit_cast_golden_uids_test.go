package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	"github.com/stromio/strom/streamsql"
)

// TestImplicitCastSQLUIDs runs statement sets whose plans need implicit
// casts since FLOAT aggregates are FLOAT and TIMESTAMP literals are typed
// by their digits (a FLOAT or TIMESTAMP(0) into a DOUBLE or TIMESTAMP(3)
// column, join and correlated keys of different precision, IN operands
// of a literal's column or a FLOAT sum, a TIME literal with a fraction,
// TIME(0) before) and compares
// the UIDs of their operators with testdata/implicit_cast_uids.txt,
// recorded by main's binary before those types (683dc02's tree, where the
// same statements needed no cast): a savepoint of that binary restores
// into today's plans only if the stateful operators keep their UIDs. The
// Calcs of implicit casts (sql-cast-<n>-calc) and of filter push-down
// (sql-pushed-<n>-calc), stateless, are left out.
func TestImplicitCastSQLUIDs(t *testing.T) {
	dir := t.TempDir()
	data := `{"k":1,"f":0.5,"d":0.5,"ms":1577836800000}` + "\n" + `{"k":2,"f":1.5,"d":1.5,"ms":1577836800500}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	ddl := `CREATE TABLE t (k INT, f FLOAT, d DOUBLE, ms BIGINT) WITH ('connector' = 'values');
CREATE TABLE od (k INT, s DOUBLE) WITH ('connector' = 'blackhole');
CREATE TABLE ots (k INT, ts TIMESTAMP(3)) WITH ('connector' = 'blackhole');
CREATE TABLE on2 (k INT, n BIGINT) WITH ('connector' = 'blackhole');
CREATE VIEW lit AS SELECT k, TIMESTAMP '2020-01-01 00:00:00' AS ts FROM t;
CREATE VIEW v AS SELECT k, CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(3)) AS ts FROM t;
CREATE VIEW sf AS SELECT k, SUM(f) AS s FROM t GROUP BY k;
CREATE VIEW tl AS SELECT k, TIME '00:00:00.5' AS tm FROM t;
CREATE VIEW tv AS SELECT k, CAST(CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(3)) AS TIME) AS tm FROM t;
CREATE VIEW v6 AS SELECT k, CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(6)) AS ts, CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(0)) AS ts0 FROM t;
CREATE VIEW ml AS SELECT k, MAX(ts) AS ts FROM lit GROUP BY k;
`
	sets := []string{
		// A FLOAT aggregate into a DOUBLE column, then more state.
		`INSERT INTO od SELECT k, SUM(f) FROM t GROUP BY k;
INSERT INTO od SELECT k, AVG(f) FROM t GROUP BY k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		// A TIMESTAMP(0) literal into a TIMESTAMP(3) column, directly and
		// through MAX.
		`INSERT INTO ots SELECT * FROM lit;
INSERT INTO ots SELECT k, MAX(ts) FROM lit GROUP BY k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		// A join on a literal's column, and a FLOAT sum joined to a DOUBLE.
		`INSERT INTO on2 SELECT v.k, COUNT(*) FROM v JOIN lit ON v.ts = lit.ts GROUP BY v.k;
INSERT INTO on2 SELECT t.k, COUNT(*) FROM t JOIN sf ON sf.s = t.d GROUP BY t.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		// Correlated EXISTS and scalar subqueries on a literal's column.
		`INSERT INTO on2 SELECT v.k, COUNT(*) FROM v WHERE EXISTS (SELECT 1 FROM lit WHERE lit.ts = v.ts) GROUP BY v.k;
INSERT INTO on2 SELECT lit.k, (SELECT COUNT(*) FROM v WHERE v.ts = lit.ts) FROM lit;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		// IN subqueries comparing a literal's column with TIMESTAMP(3),
		// on either side, uncorrelated and correlated, of a row.
		`INSERT INTO on2 SELECT v.k, COUNT(*) FROM v WHERE v.ts IN (SELECT ts FROM lit) GROUP BY v.k;
INSERT INTO on2 SELECT lit.k, COUNT(*) FROM lit WHERE lit.ts NOT IN (SELECT ts FROM v WHERE ts IS NOT NULL) AND lit.ts IS NOT NULL GROUP BY lit.k;
INSERT INTO on2 SELECT v.k, COUNT(*) FROM v WHERE v.ts IN (SELECT lit.ts FROM lit WHERE lit.k = v.k) GROUP BY v.k;
INSERT INTO on2 SELECT lit.k, COUNT(*) FROM lit WHERE (lit.k, lit.ts) IN (SELECT k, ts FROM v) GROUP BY lit.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		// IN subqueries comparing a FLOAT sum with DOUBLE, and an INT
		// with a BIGINT (a cast before these types too).
		`INSERT INTO on2 SELECT t.k, COUNT(*) FROM t WHERE t.d IN (SELECT s FROM sf) GROUP BY t.k;
INSERT INTO on2 SELECT sf.k, COUNT(*) FROM sf WHERE sf.s IN (SELECT d FROM t WHERE t.k = sf.k) GROUP BY sf.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t WHERE k IN (SELECT ms FROM t) GROUP BY k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		// Correlated scalar subqueries of aggregations grouped by the
		// literal's column (narrower) and by a TIMESTAMP(3) one.
		`INSERT INTO on2 SELECT MAX(k), (SELECT COUNT(*) FROM v WHERE v.ts = lit.ts) FROM lit GROUP BY ts;
INSERT INTO on2 SELECT MAX(k), (SELECT COUNT(*) FROM lit WHERE lit.ts = v.ts) FROM v GROUP BY ts;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		// A TIME literal with a fraction (TIME(1) now, TIME(0) before)
		// IN and joined to a TIME(0) column.
		`INSERT INTO on2 SELECT tv.k, COUNT(*) FROM tv WHERE tv.tm IN (SELECT tm FROM tl) GROUP BY tv.k;
INSERT INTO on2 SELECT tv.k, COUNT(*) FROM tv JOIN tl ON tv.tm = tl.tm GROUP BY tv.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		// IN operands whose cast main's build made too (sql-<n>) or not
		// (sql-cast-<n>), by where their types came from (branch
		// sqlleft2): a literal's column (TIMESTAMP(3) then) IN a
		// TIMESTAMP(6) one, a MAX of a literal's column IN a TIMESTAMP(3)
		// one, a FLOAT sum (DOUBLE then) IN a declared DOUBLE, a declared
		// FLOAT IN a DOUBLE.
		`INSERT INTO on2 SELECT lit.k, COUNT(*) FROM lit WHERE lit.ts IN (SELECT ts FROM v6) GROUP BY lit.k;
INSERT INTO on2 SELECT ml.k, COUNT(*) FROM ml WHERE ml.ts IN (SELECT ts FROM v) GROUP BY ml.k;
INSERT INTO on2 SELECT sf.k, COUNT(*) FROM sf WHERE sf.s IN (SELECT d FROM t) GROUP BY sf.k;
INSERT INTO on2 SELECT t.k, COUNT(*) FROM t WHERE t.f IN (SELECT d FROM t) GROUP BY t.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		// Comparisons main's build cast that need no cast now: a FLOAT sum
		// IN a declared FLOAT, a declared TIMESTAMP(0) IN a literal's
		// column.
		`INSERT INTO on2 SELECT sf.k, COUNT(*) FROM sf WHERE sf.s IN (SELECT f FROM t) GROUP BY sf.k;
INSERT INTO on2 SELECT v6.k, COUNT(*) FROM v6 WHERE v6.ts0 IN (SELECT ts FROM lit) GROUP BY v6.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		// Sinks' casts main's build made too (a MAX of a declared FLOAT
		// into DOUBLE, of a declared TIMESTAMP(0) into TIMESTAMP(3); a
		// column of one, whose Calc fuses with the one below): sql-<n>.
		`INSERT INTO od SELECT k, MAX(f) FROM t GROUP BY k;
INSERT INTO ots SELECT k, MAX(ts0) FROM v6 GROUP BY k;
INSERT INTO od SELECT k, f FROM t;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
	}
	var b strings.Builder
	for i, set := range sets {
		fmt.Fprintf(&b, "== %d\n", i+1)
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{valuesFactory{dir: dir}, builtin.BlackholeFactory()}})
		job, _, err := s.Submit(context.Background(), ddl+"EXECUTE STATEMENT SET BEGIN\n"+set+"\nEND;")
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
			continue
		}
		if err := job.Wait(); err != nil {
			t.Fatalf("set %d: %v", i+1, err)
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
		for _, u := range uids {
			fmt.Fprintf(&b, "%s\n", u)
		}
	}
	check(t, "testdata/implicit_cast_uids.txt", b.String())
}
