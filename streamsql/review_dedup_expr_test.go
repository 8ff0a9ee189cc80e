package streamsql_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReviewDedupOrderByTimeExpression (a reviewer's regression test):
// ROW_NUMBER ordered by an expression over the rowtime (ts + INTERVAL '1'
// SECOND) is not ordered by a time attribute column (Flink materializes
// it: a Rank, not a Deduplicate; main plans a Rank whose TiesToNew is off,
// since the ORDER BY key is not a column). dedupTopN once read only the
// expression's type, which keeps the rowtime attribute, and planned a
// keep-last Deduplicate: on a tie the new row replaced the kept one, where
// the Rank (and Flink's) keeps the first. Both plans (rn not selected, rn
// selected) must give the Rank's changelog.
func TestReviewDedupOrderByTimeExpression(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "input"), 0o755); err != nil {
		t.Fatal(err)
	}
	in := `{"k": "a", "v": 1, "ts": "2024-01-01 00:00:01"}` + "\n" +
		`{"k": "a", "v": 2, "ts": "2024-01-01 00:00:01"}` + "\n" +
		`{"k": "a", "v": 3, "ts": "2024-01-01 00:00:00"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "input", "t.jsonl"), []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `CREATE TABLE t (k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) WITH ('connector' = 'values');
CREATE TABLE dedup_desc (k STRING, v BIGINT) WITH ('connector' = 'collect');
CREATE TABLE rank_desc (k STRING, v BIGINT, rn BIGINT) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO dedup_desc SELECT k, v FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts + INTERVAL '1' SECOND DESC) AS rn FROM t) WHERE rn = 1;
EXECUTE STATEMENT SET BEGIN
INSERT INTO dedup_desc SELECT k, v FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts + INTERVAL '1' SECOND DESC) AS rn FROM t) WHERE rn = 1;
INSERT INTO rank_desc SELECT k, v, rn FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts + INTERVAL '1' SECOND DESC) AS rn FROM t) WHERE rn = 1;
END;
`
	rows, text, _, err := runCase(t, dir, src, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plan:\n%s", text)
	got := byTable(rows)
	d, r := strings.Join(got["dedup_desc"], "\n"), strings.Join(got["rank_desc"], "\n")
	if d != r {
		t.Errorf("ORDER BY ts + INTERVAL '1' SECOND DESC: changelogs differ:\ndedup plan:\n%s\nrank plan (main's):\n%s", d, r)
	}
}
