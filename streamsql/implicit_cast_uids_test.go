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

func sumUIDs(t *testing.T, arg string) []string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(`{"k":1,"f":0.5,"d":0.5}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{valuesFactory{dir: dir}, builtin.BlackholeFactory()}})
	job, _, err := s.Submit(context.Background(), `CREATE TABLE t (k INT, f FLOAT, d DOUBLE) WITH ('connector' = 'values');
CREATE TABLE o1 (k INT, s DOUBLE) WITH ('connector' = 'blackhole');
CREATE TABLE o2 (k INT, n BIGINT) WITH ('connector' = 'blackhole');
EXECUTE STATEMENT SET BEGIN
INSERT INTO o1 SELECT k, SUM(`+arg+`) FROM t GROUP BY k;
INSERT INTO o2 SELECT k, COUNT(*) FROM t GROUP BY k;
END;`)
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, v := range job.View() {
		for _, o := range v.Operators {
			if !strings.HasPrefix(o.UID, "sql-cast-") {
				uids = append(uids, o.UID)
			}
		}
	}
	sort.Strings(uids)
	return uids
}

// TestSumFloatUIDsMatchDouble: SUM(FLOAT) was DOUBLE, like SUM(DOUBLE),
// before it became FLOAT: the plans had the same operators. The FLOAT
// result now needs a CAST into the DOUBLE sink column, whose Calc takes a
// UID of its own namespace (sql-cast-<n>-calc, left out), so the stateful
// operators after it keep their numbers and a savepoint of the older
// plan restores.
func TestSumFloatUIDsMatchDouble(t *testing.T) {
	f, d := sumUIDs(t, "f"), sumUIDs(t, "d")
	if strings.Join(f, " ") != strings.Join(d, " ") {
		t.Errorf("UIDs with SUM(FLOAT) (this branch)\n%v\ndiffer from SUM(DOUBLE)'s (SUM(FLOAT)'s plan on main)\n%v", f, d)
	}
}

func timestampLiteralUIDs(t *testing.T, lit string) []string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(`{"k":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{valuesFactory{dir: dir}, builtin.BlackholeFactory()}})
	job, _, err := s.Submit(context.Background(), `CREATE TABLE t (k INT) WITH ('connector' = 'values');
CREATE TABLE o1 (k INT, ts TIMESTAMP(3)) WITH ('connector' = 'blackhole');
CREATE TABLE o2 (k INT, n BIGINT) WITH ('connector' = 'blackhole');
CREATE VIEW d AS SELECT k, `+lit+` AS ts FROM t;
EXECUTE STATEMENT SET BEGIN
INSERT INTO o1 SELECT * FROM d;
INSERT INTO o1 SELECT k, MAX(ts) FROM d GROUP BY k;
INSERT INTO o2 SELECT k, COUNT(*) FROM t GROUP BY k;
END;`)
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, v := range job.View() {
		for _, o := range v.Operators {
			if !strings.HasPrefix(o.UID, "sql-cast-") {
				uids = append(uids, o.UID)
			}
		}
	}
	sort.Strings(uids)
	return uids
}

// TestTimestampLiteralUIDsMatchPrecision3: the same for a TIMESTAMP(0)
// literal (TIMESTAMP(3) before literals were typed by their digits) cast
// into a TIMESTAMP(3) column, directly and through MAX.
func TestTimestampLiteralUIDsMatchPrecision3(t *testing.T) {
	a, b := timestampLiteralUIDs(t, "TIMESTAMP '2020-01-01 00:00:00'"), timestampLiteralUIDs(t, "TIMESTAMP '2020-01-01 00:00:00.000'")
	if strings.Join(a, " ") != strings.Join(b, " ") {
		t.Errorf("TIMESTAMP(0) literal\n%v\nTIMESTAMP(3) literal (main's type)\n%v", a, b)
	}
}
