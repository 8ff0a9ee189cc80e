package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestZonedWindowUIDs: the operators over windows in a session time zone
// (the window aggregation, the window join, window Top-N by ROW_NUMBER and
// by RANK, the window aggregation over window_start/window_end) have UIDs
// of kinds ending in -tz, which the plans of before windows took the zone
// (whose state is aligned in UTC) did not have, so that a restore from
// such a savepoint refuses that state; in UTC the kinds are the old ones.
func TestZonedWindowUIDs(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(`{"k": "a", "v": 1, "ms": 1711755000000}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	kinds := func(zone string) []string {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}})
		job, _, err := s.Submit(context.Background(), `SET 'table.local-time-zone' = '`+zone+`';
CREATE TABLE t (k STRING, v BIGINT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE o (k STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE VIEW w AS SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' HOUR));
CREATE VIEW per_key AS SELECT k, window_start, window_end, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' HOUR)) GROUP BY k, window_start, window_end;
EXECUTE STATEMENT SET BEGIN
INSERT INTO o SELECT MAX(k), COUNT(*) FROM per_key GROUP BY window_start, window_end;
INSERT INTO o SELECT l.k, r.v FROM w l JOIN w r ON l.k = r.k AND l.window_start = r.window_start AND l.window_end = r.window_end;
INSERT INTO o SELECT k, v FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY v DESC) AS rn FROM w) WHERE rn = 1;
INSERT INTO o SELECT k, v FROM (SELECT *, RANK() OVER (PARTITION BY window_start, window_end ORDER BY v DESC) AS rn FROM w) WHERE rn <= 2;
END;`)
		if err != nil {
			t.Fatal(err)
		}
		if err := job.Wait(); err != nil {
			t.Fatal(err)
		}
		var ks []string
		num := regexp.MustCompile(`^sql-\d+-`)
		for _, v := range job.View() {
			for _, o := range v.Operators {
				if k := num.ReplaceAllString(o.UID, ""); k != o.UID && !slices.Contains(ks, k) {
					ks = append(ks, k)
				}
			}
		}
		slices.Sort(ks)
		return ks
	}
	want := map[string][]string{
		"UTC":           {"window-agg", "window-join", "window-rank", "window-rank-by-rank", "windowed-agg"},
		"Europe/Berlin": {"window-agg-tz", "window-join-tz", "window-rank-by-rank-tz", "window-rank-tz", "windowed-agg-tz"},
	}
	for zone, w := range want {
		var got []string
		for _, k := range kinds(zone) {
			if slices.Contains(want["UTC"], k) || slices.Contains(want["Europe/Berlin"], k) {
				got = append(got, k)
			}
		}
		if !slices.Equal(got, w) {
			t.Errorf("%s: windowed operators' UID kinds %v, want %v", zone, got, w)
		}
	}
}
