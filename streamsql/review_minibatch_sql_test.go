package streamsql_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReviewMiniBatchDistinctSQL runs random changelogs with an event-
// time column (watermarks flowing) through DISTINCT aggregates over
// TINYINT, SMALLINT, INT, DECIMAL and STRING columns with FILTERs, and a
// cascade giving the second aggregation retractions, with and without
// mini-batch (bundles of 3, 20 and 100000), at parallelism 1 and 2, and
// compares the final results.
func TestReviewMiniBatchDistinctSQL(t *testing.T) {
	strs := []string{"a", "b", "ab", "zz", ""}
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 99))
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "input"), 0o755); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		var live []string
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		nul := func(s string) string {
			if rng.IntN(8) == 0 {
				return "null"
			}
			return s
		}
		for i := range 400 {
			ts := base.Add(time.Duration(i*1000+rng.IntN(3000)) * time.Millisecond).Format("2006-01-02 15:04:05.000")
			fields := fmt.Sprintf(`"k": %d, "a": %s, "h": %s, "b": %s, "c": %s, "s": %s, "p": %s, "q": %s, "ts": %q`,
				rng.IntN(4),
				nul(fmt.Sprint(rng.IntN(9)-4)),
				nul(fmt.Sprint(rng.IntN(20)-3)),
				nul(fmt.Sprint((rng.IntN(9)-4)*100003)),
				nul(fmt.Sprintf("%d.%02d", rng.IntN(3), 25*rng.IntN(4))),
				nul(fmt.Sprintf("%q", strs[rng.IntN(len(strs))])),
				nul(fmt.Sprint(rng.IntN(2) == 0)),
				nul(fmt.Sprint(rng.IntN(2) == 0)),
				ts)
			if n := rng.IntN(10); n < 3 && len(live) > 0 {
				j := rng.IntN(len(live))
				old := live[j]
				live = append(live[:j], live[j+1:]...)
				if n == 0 {
					fmt.Fprintf(&b, "{\"op\": \"-D\", %s}\n", old)
					continue
				}
				fmt.Fprintf(&b, "{\"op\": \"-U\", %s}\n", old)
				fmt.Fprintf(&b, "{\"op\": \"+U\", %s}\n", fields)
				live = append(live, fields)
				continue
			}
			fmt.Fprintf(&b, "{\"op\": \"+I\", %s}\n", fields)
			live = append(live, fields)
		}
		if err := os.WriteFile(filepath.Join(dir, "input", "t.jsonl"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		src := `CREATE TABLE t (k BIGINT, a TINYINT, h SMALLINT, b INT, c DECIMAL(10, 2), s STRING, p BOOLEAN, q BOOLEAN, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE out1 (k BIGINT, n1 BIGINT, n2 BIGINT, s1 INT, n3 BIGINT, s2 DECIMAL(38, 2), n4 BIGINT, m1 INT, n5 BIGINT, a5 SMALLINT, s6 BIGINT, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE out2 (k2 BIGINT, n1 BIGINT, s1 INT, n2 BIGINT, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO out1
SELECT k, COUNT(DISTINCT a), COUNT(DISTINCT a) FILTER (WHERE p), SUM(DISTINCT b) FILTER (WHERE q),
  COUNT(DISTINCT c), SUM(DISTINCT c) FILTER (WHERE p), COUNT(DISTINCT s) FILTER (WHERE q), MAX(DISTINCT b),
  COUNT(DISTINCT h) FILTER (WHERE p), AVG(DISTINCT h), SUM(DISTINCT CAST(a AS BIGINT)), COUNT(*)
FROM t GROUP BY k;
INSERT INTO out2
SELECT k2, COUNT(DISTINCT m), SUM(DISTINCT m), COUNT(DISTINCT x) FILTER (WHERE x > 0), COUNT(*) FROM (
  SELECT k, MOD(k, 2) AS k2, MAX(b) AS m, CAST(COUNT(DISTINCT a) AS TINYINT) AS x FROM t GROUP BY k, MOD(k, 2)
) GROUP BY k2;
`
		for _, par := range []int{1, 2} {
			want, _, _, pks, err := runCaseKeys(t, dir, src, par)
			if err != nil {
				t.Fatalf("seed %d: without mini-batch: %v", seed, err)
			}
			wantFinal, err := applyChangelogErr(want, pks)
			if err != nil {
				t.Fatalf("seed %d: without mini-batch: %v", seed, err)
			}
			if seed == 0 && par == 1 {
				t.Logf("final:\n%s", wantFinal)
			}
			for _, size := range []string{"3", "20", "100000"} {
				got, _, _, pks, err := runCaseKeys(t, dir, miniBatchSet(size)+src, par)
				if err != nil {
					t.Fatalf("seed %d: mini-batch size %s: %v", seed, size, err)
				}
				gotFinal, err := applyChangelogErr(got, pks)
				if err != nil {
					t.Fatalf("seed %d: mini-batch size %s: %v\n%s", seed, size, err, got)
				}
				if gotFinal != wantFinal {
					t.Fatalf("seed %d par %d: mini-batch size %s: final result\n%s\nwant (without mini-batch):\n%s", seed, par, size, gotFinal, wantFinal)
				}
			}
		}
	}
}
