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

func TestRVUIDs(t *testing.T) {
	dir := t.TempDir()
	data := `{"k":1,"f":0.5,"d":0.5,"ms":1577836800000}` + "\n"
	os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(data), 0o644)
	ddl := `CREATE TABLE t (k INT, f FLOAT, d DOUBLE, ms BIGINT) WITH ('connector' = 'values');
CREATE TABLE on2 (k INT, n BIGINT) WITH ('connector' = 'blackhole');
CREATE VIEW a AS SELECT k, CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(3)) AS ts3, CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(6)) AS ts6, CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(0)) AS ts0 FROM t;
`
	sets := []string{
		`INSERT INTO on2 SELECT t.k, COUNT(*) FROM t WHERE t.f IN (SELECT d FROM t) GROUP BY t.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		`INSERT INTO on2 SELECT a.k, COUNT(*) FROM a WHERE a.ts3 IN (SELECT ts6 FROM a) GROUP BY a.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		`INSERT INTO on2 SELECT a.k, COUNT(*) FROM a WHERE a.ts0 IN (SELECT ts3 FROM a) GROUP BY a.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		`INSERT INTO on2 SELECT t.k, COUNT(*) FROM t WHERE t.k IN (1, 2, 3) GROUP BY t.k;
INSERT INTO on2 SELECT t.k, COUNT(*) FROM t WHERE t.ms IN (1, 2, 3) GROUP BY t.k;
INSERT INTO on2 SELECT t.k, COUNT(*) FROM t WHERE t.f IN (0.5, 1.5) GROUP BY t.k;
INSERT INTO on2 SELECT k, COUNT(*) FROM t GROUP BY k;`,
		`INSERT INTO on2 SELECT t.k, COUNT(*) FROM t WHERE t.k IN (SELECT ms FROM t) GROUP BY t.k;
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
		job.Wait()
		var uids []string
		for _, v := range job.View() {
			for _, o := range v.Operators {
				if !strings.HasPrefix(o.UID, "sql-cast-") && !strings.HasPrefix(o.UID, "sql-pushed-") {
					uids = append(uids, o.UID)
				}
			}
		}
		sort.Strings(uids)
		b.WriteString(strings.Join(uids, " ") + "\n")
	}
	// Recorded by main's build before branch sqlleft (cfc0aa3) and by
	// 683dc02's, which give the same UIDs.
	check(t, "testdata/in_cast_declared_uids.txt", b.String())
}
