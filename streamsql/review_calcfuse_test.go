package streamsql_test

// Regression tests from the review of branch calcfuse (2026-12-06): the
// looser Calc fusion (a computed column read twice, folded by a `col =
// literal` filter) only over a scan, never over a join, whose inputs the
// fused Calc's columns would narrow differently (join state rows of
// another width, narrowing Calcs renumbering later operators).

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// The stateful operators (scans, the join) of a plan with a computed CASE
// read twice over a regular join keep the UIDs of the unfused plan (main's
// build; the filter `k + 0 = 0` still makes it), with and without join
// filter push-down.
func TestReviewFusedCalcOverJoinKeepsUIDs(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte(`{"id":1,"k":0,"t1":"2024-01-01 01:10:00","t2":"2024-01-01 02:20:00","v":5}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.jsonl"), []byte(`{"id":1,"w":3}`+"\n"), 0o644)
	uids := func(pd, filter string) []string {
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{
			valuesFactory{dir: dir}, builtin.BlackholeFactory()}})
		job, _, err := s.Submit(context.Background(), pd+`CREATE TABLE a (id INT, k INT, t1 TIMESTAMP(3), t2 TIMESTAMP(3), v BIGINT) WITH ('connector' = 'values');
CREATE TABLE b (id INT, w BIGINT) WITH ('connector' = 'values');
CREATE TABLE o (x BIGINT, y BIGINT, z BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO o SELECT HOUR(ts), MINUTE(ts), v FROM (SELECT CASE WHEN a.k = 0 THEN a.t1 ELSE a.t2 END AS ts, a.k AS k, a.v AS v
  FROM a JOIN b ON a.id = b.id) WHERE `+filter+`;`)
		if err != nil {
			t.Fatal(err)
		}
		if err := job.Wait(); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range job.View() {
			for _, o := range v.Operators {
				if strings.Contains(o.UID, "scan") || strings.Contains(o.UID, "join") {
					out = append(out, o.UID)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	for _, pd := range []string{"", "SET 'strom.optimizer.join-filter-push-down' = 'false';\n"} {
		if old, fused := uids(pd, "k + 0 = 0"), uids(pd, "k = 0"); !slices.Equal(old, fused) {
			t.Errorf("%q: stateful UIDs %v, unfused plan's %v", pd, fused, old)
		}
	}
}

// A Calc over a regular join computing a CASE read twice, under a
// `k = 0` fact: fusion folds the CASE to one branch, so fewer join
// columns are read and pruneJoin narrows the join's inputs differently
// than main's build did (the unfused plan, here the filter `k + 0 = 0`).
func TestReviewFusedCalcOverJoinKeepsJoinUIDAndState(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, lines ...string) {
		if err := os.WriteFile(filepath.Join(dir, name+".jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := func(filter string) string {
		return `CREATE TABLE a (id INT, v BIGINT) WITH ('connector' = 'values');
CREATE TABLE b (id INT, k INT, t1 TIMESTAMP(3), t2 TIMESTAMP(3), w BIGINT, e VARCHAR) WITH ('connector' = 'values');
CREATE TABLE o (h BIGINT, m BIGINT, w BIGINT, v BIGINT) WITH ('connector' = 'collect');
INSERT INTO o SELECT HOUR(ts), MINUTE(ts), w, v FROM (
  SELECT CASE WHEN b.k = 0 THEN b.t2 ELSE b.t1 END AS ts, b.k AS k, b.w AS w, a.v AS v
  FROM a JOIN b ON a.id = b.id) WHERE ` + filter + `;`
	}
	run := func(sql string, ck *stream.CheckpointOptions, want int, sp string) (*collectFactory, []string) {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Checkpoints: ck,
			Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		job, _, err := s.Submit(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		var uids []string
		for _, v := range job.View() {
			for _, o := range v.Operators {
				uids = append(uids, o.UID)
			}
		}
		slices.Sort(uids)
		t.Logf("uids %v", uids)
		go func() {
			if err := job.Wait(); err != nil {
				t.Logf("job: %v", err)
			}
		}()
		stopAtRows(t, ctx, job, col, map[string]int{"o": want}, filepath.Join(dir, sp))
		return col, uids
	}
	write("b", `{"id": 1, "k": 0, "t1": "2024-01-01 01:10:00", "t2": "2024-01-01 02:20:00", "w": 7, "e": "x"}`)
	write("a", `{"id": 1, "v": 100}`)
	_, old := run(script("k + 0 = 0"), &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: 20 * time.Millisecond}, 1, "sp")
	write("a", `{"id": 1, "v": 100}`, `{"id": 1, "v": 200}`)
	col, fused := run(script("k = 0"), &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: 20 * time.Millisecond,
		FromSavepoint: filepath.Join(dir, "sp")}, 1, "sp2")
	t.Logf("unfused plan %v\nfused plan %v", old, fused)
	for _, u := range old {
		if (strings.Contains(u, "join") || strings.Contains(u, "scan")) && !slices.Contains(fused, u) {
			t.Errorf("stateful operator %s of the unfused plan is not in the fused plan %v", u, fused)
		}
	}
	var got []string
	for _, r := range col.rows["o"] {
		got = append(got, r.String())
	}
	if s := strings.Join(got, " "); s != "+I(2, 20, 7, 200)" {
		t.Errorf("rows after the restore: %s, want +I(2, 20, 7, 200)", s)
	}
}
