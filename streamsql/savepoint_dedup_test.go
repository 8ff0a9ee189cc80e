package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

const dedupSavepointScript = `
CREATE TABLE ev (k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '10' SECOND) WITH ('connector' = 'values');
CREATE TABLE lasts (k STRING, v BIGINT, ts TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE TABLE firsts (k STRING, v BIGINT, ts TIMESTAMP(3)) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO lasts SELECT k, v, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM ev) WHERE rn = 1;
INSERT INTO firsts SELECT k, v, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts ASC) AS rn FROM ev) WHERE rn = 1;
END;`

// TestSavepointRestoresDeduplicate stops two deduplications (keep last,
// keep first, by event time) with a savepoint and starts them from it
// over more rows, at parallelism 1 and 2, with and without mini-batch in
// the restored job (the state and the UID are the same): a row after the
// restore that replaces a restored row emits that row, read back from the
// savepoint, as its -U; one that does not is dropped; a new key is +I.
func TestSavepointRestoresDeduplicate(t *testing.T) {
	for _, par := range []int{1, 2} {
		for _, mb := range []bool{false, true} {
			t.Run(fmt.Sprintf("p%d/minibatch=%t", par, mb), func(t *testing.T) {
				dedupSavepointRun(t, par, mb)
			})
		}
	}
}

func dedupSavepointRun(t *testing.T, par int, mb bool) {
	dir := t.TempDir()
	rows := []string{
		`{"k": "a", "v": 1, "ts": "2024-01-01 00:00:01"}`,
		`{"k": "b", "v": 2, "ts": "2024-01-01 00:00:01"}`,
	}
	more := []string{
		`{"k": "a", "v": 3, "ts": "2024-01-01 00:00:02"}`, // replaces a's last, not its first
		`{"k": "b", "v": 4, "ts": "2024-01-01 00:00:00"}`, // replaces b's first (late), not its last
		`{"k": "c", "v": 5, "ts": "2024-01-01 00:00:05"}`,
	}
	write := func(lines []string) {
		if err := os.WriteFile(filepath.Join(dir, "ev.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(prefix string, ck *stream.CheckpointOptions, want int, sp string) map[string][]string {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: par, Checkpoints: ck,
			Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		job, _, err := s.Submit(ctx, prefix+dedupSavepointScript)
		if err != nil {
			t.Fatal(err)
		}
		stopAtRows(t, ctx, job, col, map[string]int{"lasts": want, "firsts": want}, filepath.Join(dir, sp))
		col.mu.Lock()
		defer col.mu.Unlock()
		out := map[string][]string{}
		for _, n := range []string{"lasts", "firsts"} {
			for _, r := range col.rows[n] {
				out[n] = append(out[n], r.String())
			}
		}
		return out
	}
	write(rows)
	got := run("", &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: 20 * time.Millisecond}, 2, "sp")
	for _, n := range []string{"lasts", "firsts"} {
		slices.Sort(got[n])
		if s := strings.Join(got[n], " "); s != "+I('a', 1, TIMESTAMP '2024-01-01 00:00:01') +I('b', 2, TIMESTAMP '2024-01-01 00:00:01')" {
			t.Fatalf("%s before the savepoint: %s", n, s)
		}
	}
	write(append(rows, more...))
	prefix := ""
	if mb {
		prefix = "SET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.mini-batch.allow-latency' = '10 ms';\nSET 'table.exec.mini-batch.size' = '100';\n"
	}
	got = run(prefix, &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: 20 * time.Millisecond,
		FromSavepoint: filepath.Join(dir, "sp")}, 3, "sp2")
	want := map[string][]string{
		"lasts":  {"-U('a', 1, TIMESTAMP '2024-01-01 00:00:01')", "+U('a', 3, TIMESTAMP '2024-01-01 00:00:02')", "+I('c', 5, TIMESTAMP '2024-01-01 00:00:05')"},
		"firsts": {"-U('b', 2, TIMESTAMP '2024-01-01 00:00:01')", "+U('b', 4, TIMESTAMP '2024-01-01 00:00:00')", "+I('c', 5, TIMESTAMP '2024-01-01 00:00:05')"},
	}
	for n, w := range want {
		g := got[n]
		// Keys may interleave (two subtasks, a bundle's key order); a
		// key's -U comes right before its +U.
		i := slices.Index(g, w[0])
		if len(g) != 3 || i < 0 || i+1 >= len(g) || g[i+1] != w[1] || !slices.Contains(g, w[2]) {
			t.Errorf("%s after the restore: %v, want %v", n, g, w)
		}
	}
}

// TestSavepointOfRankPlanRefusedByDeduplicate: a savepoint of the plan
// main's build made of a deduplication (a Top-N, UID kind rank, whose
// state is a list of rows) does not restore into the Deduplicate (UID
// kind deduplicate-..., one row with its time): the restore names the
// unmatched rank state instead of misreading it. The Rank plan's
// savepoint is taken here with the row number selected, which keeps the
// Rank in this build.
func TestSavepointOfRankPlanRefusedByDeduplicate(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ev.jsonl"), []byte(`{"k": "a", "v": 1, "ts": "2024-01-01 00:00:01"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rank := `CREATE TABLE ev (k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE lasts (k STRING, v BIGINT, ts TIMESTAMP(3), rn BIGINT) WITH ('connector' = 'collect');
INSERT INTO lasts SELECT k, v, ts, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM ev) WHERE rn = 1;`
	dedup := strings.Replace(strings.Replace(rank, ", rn BIGINT)", ")", 1), "SELECT k, v, ts, rn FROM", "SELECT k, v, ts FROM", 1)
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: 20 * time.Millisecond},
		Factories:   []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if plan, err := s.Exec(ctx, strings.Replace(rank, "INSERT INTO", "EXPLAIN INSERT INTO", 1)); err != nil || !strings.Contains(plan.Text, "Rank(") {
		t.Fatalf("the Rank plan: %v %v", plan, err)
	}
	s = streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: 20 * time.Millisecond},
		Factories:   []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
	job, _, err := s.Submit(ctx, rank)
	if err != nil {
		t.Fatal(err)
	}
	stopAtRows(t, ctx, job, col, map[string]int{"lasts": 1}, filepath.Join(dir, "sp"))

	s2 := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: 20 * time.Millisecond, FromSavepoint: filepath.Join(dir, "sp")},
		Factories:   []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
	job2, _, err := s2.Submit(ctx, dedup)
	if err == nil {
		err = job2.Wait()
	}
	if err == nil || !strings.Contains(err.Error(), "operators the job does not have") || !strings.Contains(err.Error(), "rank") {
		t.Fatalf("restore of the Rank plan's savepoint into the Deduplicate: %v", err)
	}
}
