package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// reviewDedupUIDs runs src and returns the sorted UIDs of its operators.
func reviewDedupUIDs(t *testing.T, src string) []string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "input"), 0o755); err != nil {
		t.Fatal(err)
	}
	in := `{"k": "a", "v": 1, "ts": "2024-01-01 00:00:01"}` + "\n" + `{"k": "a", "v": 2, "ts": "2024-01-01 00:00:02"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "input", "t.jsonl"), []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Factories: []connector.TableFactory{valuesFactory{dir: filepath.Join(dir, "input"), col: col}, col}})
	job, _, err := s.Submit(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, v := range job.View() {
		for _, o := range v.Operators {
			uids = append(uids, o.UID)
		}
	}
	sort.Strings(uids)
	return uids
}

const reviewDedupThenAggs = `
CREATE TABLE t (k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) WITH ('connector' = 'values');
CREATE TABLE o1 (k STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE o2 (k STRING, v BIGINT, n BIGINT) WITH ('connector' = 'collect');
CREATE VIEW b AS SELECT UPPER(k) AS k, v, ts FROM t WHERE v > 0;
EXECUTE STATEMENT SET BEGIN
INSERT INTO o1 SELECT k, COUNT(*) FROM (SELECT k, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM b) WHERE rn = 1) GROUP BY k;
INSERT INTO o2 SELECT k, v, COUNT(*) FROM (SELECT k, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM b) WHERE rn = 1) GROUP BY k, v;
END;`

// statefulUIDs drops the Calcs' UIDs (stateless: their numbers only
// matter for the operators after them).
func statefulUIDs(uids []string) []string {
	var out []string
	for _, u := range uids {
		if !strings.HasSuffix(u, "-calc") {
			out = append(out, u)
		}
	}
	return out
}

// TestReviewDedupKeepsLaterUIDs (a reviewer's regression test): the
// operators after a deduplication must keep the UIDs main's build gave
// them (recorded on main's tree at e3eddd8, where the deduplication is a
// Rank: sql-4-rank, sql-7-group-agg o1's GROUP BY k, sql-9-group-agg o2's
// GROUP BY k, v). When the Calcs that fuse around the Deduplicate took no
// number, every later operator was renumbered: o1's aggregation became
// sql-5-group-agg and o2's sql-7-group-agg, the UID of main's o1
// aggregation: a savepoint of main's build restored o1's COUNT-by-k state
// into o2's COUNT-by-(k, v) aggregation (matched, so not even refused).
// The Deduplicate takes the rank's number with its own kind.
func TestReviewDedupKeepsLaterUIDs(t *testing.T) {
	got := reviewDedupUIDs(t, reviewDedupThenAggs)
	t.Logf("UIDs:\n%s", strings.Join(got, "\n"))
	// main: sql-1-scan-t sql-2-calc sql-3-calc sql-4-rank sql-5-calc
	// sql-6-calc sql-7-group-agg sql-8-calc sql-9-group-agg and the sinks.
	want := []string{"sql-1-scan-t", "sql-4-deduplicate-last-rowtime", "sql-7-group-agg", "sql-9-group-agg", "sql-sink-0-o1", "sql-sink-1-o2"}
	if g := statefulUIDs(got); !slices.Equal(g, want) {
		t.Errorf("UIDs of the operators with state:\n%s\nwant (main's numbers):\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
}

// TestReviewDedupUIDsMatchRankPlan: a Deduplicate plan numbers its
// operators as the Rank plan of the same query (the row number selected
// as well, which keeps the Rank: main's plan of the deduplication) does,
// the rank's UID kind aside: the ranking's Calcs that the rewrite empties
// or fuses keep their numbers. Shapes: a view computing the key, so the
// Rank plan's pre-projection (reading it twice) did not fuse; the ranking
// straight over the scan (the trimmed pre-projection is the identity);
// a WHERE in the ranking query; keep-first; a Calc over the Deduplicate
// that makes an operator; a stateful operator under and over it.
func TestReviewDedupUIDsMatchRankPlan(t *testing.T) {
	const ddl = `CREATE TABLE t (k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) WITH ('connector' = 'values');
CREATE TABLE o1 (k STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE o2 (k STRING, v BIGINT, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE o3 (k STRING, v BIGINT, ts TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE VIEW b AS SELECT UPPER(k) AS k, v, ts FROM t WHERE v > 0;
CREATE VIEW g AS SELECT k, MAX(v) AS v, MAX(ts) AS ts FROM t GROUP BY k;
`
	// %[1]s: the ranking subquery's extra selected column (", rn": Rank).
	cases := map[string]string{
		"view": `EXECUTE STATEMENT SET BEGIN
INSERT INTO o1 SELECT k, COUNT(*) FROM (SELECT k, v, ts%[1]s FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM b) WHERE rn = 1) GROUP BY k;
INSERT INTO o2 SELECT k, v, COUNT(*) FROM (SELECT k, v, ts%[1]s FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM b) WHERE rn = 1) GROUP BY k, v;
END;`,
		"scan": `EXECUTE STATEMENT SET BEGIN
INSERT INTO o1 SELECT k, COUNT(*) FROM (SELECT k, v, ts%[1]s FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM t) WHERE rn = 1) GROUP BY k;
INSERT INTO o2 SELECT k, v, COUNT(*) FROM (SELECT k, v, ts%[1]s FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM t) WHERE rn = 1) GROUP BY k, v;
END;`,
		"where-first": `INSERT INTO o2 SELECT k, v, COUNT(*) FROM (SELECT UPPER(k) AS k, v * 2 AS v%[1]s FROM (SELECT k, v, ts, ROW_NUMBER() OVER (PARTITION BY UPPER(k) ORDER BY ts) AS rn FROM b WHERE v < 10) WHERE rn = 1) GROUP BY k, v;`,
		"computed-over": `EXECUTE STATEMENT SET BEGIN
INSERT INTO o3 SELECT LOWER(k), v + 1, ts FROM (SELECT k, v, ts%[1]s FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM b) WHERE rn = 1);
INSERT INTO o1 SELECT k, COUNT(*) FROM b GROUP BY k;
END;`,
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			dedup := reviewDedupUIDs(t, ddl+fmt.Sprintf(q, ""))
			rank := reviewDedupUIDs(t, ddl+fmt.Sprintf(q, ", rn"))
			if !slices.ContainsFunc(dedup, func(u string) bool { return strings.Contains(u, "-deduplicate-") }) {
				t.Fatalf("no Deduplicate:\n%s", strings.Join(dedup, "\n"))
			}
			if !slices.ContainsFunc(rank, func(u string) bool { return strings.HasSuffix(u, "-rank") }) {
				t.Fatalf("no Rank with the row number selected:\n%s", strings.Join(rank, "\n"))
			}
			var want []string
			for _, u := range statefulUIDs(rank) {
				if strings.HasSuffix(u, "-rank") {
					u = strings.TrimSuffix(u, "rank") + "deduplicate-"
				}
				want = append(want, u)
			}
			got := statefulUIDs(dedup)
			ok := len(got) == len(want)
			for i := 0; ok && i < len(got); i++ {
				ok = got[i] == want[i] || strings.HasSuffix(want[i], "-deduplicate-") && strings.HasPrefix(got[i], want[i])
			}
			if !ok {
				t.Errorf("Deduplicate plan's UIDs:\n%s\nRank plan's:\n%s", strings.Join(dedup, "\n"), strings.Join(rank, "\n"))
			}
		})
	}
}
