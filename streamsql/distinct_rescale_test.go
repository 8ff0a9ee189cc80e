package streamsql_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

func runToSavepointPar(t *testing.T, par int, dir, script, from, sp string, want int) []string {
	t.Helper()
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	ck := &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck-"+sp), Interval: 20 * time.Millisecond}
	if from != "" {
		ck.FromSavepoint = filepath.Join(dir, from)
	}
	s := streamsql.NewSession(streamsql.Options{Parallelism: par, Checkpoints: ck,
		Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job, _, err := s.Submit(ctx, script)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- job.Wait() }()
	for {
		col.mu.Lock()
		n := len(col.rows["out"])
		col.mu.Unlock()
		if n >= want {
			break
		}
		select {
		case err := <-errc:
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatalf("%d rows of out, want %d", n, want)
		case <-time.After(10 * time.Millisecond):
		}
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := job.Savepoint(ctx, filepath.Join(dir, sp), true); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil && !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("wait: %v", err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	// the final value per key
	last := map[string]string{}
	for _, r := range col.rows["out"] {
		k := r.Fields[0].String()
		if r.Kind == table.Insert || r.Kind == table.UpdateAfter {
			last[k] = r.Fields[1].String() + "/" + r.Fields[2].String()
		} else if r.Kind == table.Delete {
			delete(last, k)
		}
	}
	var out []string
	for k, v := range last {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// TestDistinctViewsRescale: views of many keys and values, savepoint at
// parallelism 1, restored at 3; retract half of the values after the restore.
func TestDistinctViewsRescale(t *testing.T) {
	dir := t.TempDir()
	script := `CREATE TABLE ev (k STRING, usr STRING, v BIGINT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE out (k STRING, users BIGINT, big BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, COUNT(DISTINCT usr), COUNT(DISTINCT usr) FILTER (WHERE v >= 10) FROM ev GROUP BY k;`
	var rows []string
	for k := 0; k < 20; k++ {
		for u := 0; u < 30; u++ {
			rows = append(rows, fmt.Sprintf(`{"op": "+I", "k": "k%d", "usr": "user-%d-long-name-%d", "v": %d}`, k, u, u*7, u%20))
		}
	}
	writeLines(t, filepath.Join(dir, "ev.jsonl"), rows...)
	got := runToSavepointPar(t, 1, dir, script, "", "sp", 20*30*2-20)
	for _, g := range got {
		if !strings.HasSuffix(g, "=30/10") {
			t.Fatalf("before: %v", got)
		}
	}
	more := append([]string(nil), rows...)
	for k := 0; k < 20; k++ {
		for u := 0; u < 30; u += 2 { // retract the even users (v even: 0..18; big: 10,12,...,18 -> 5 of 15 for u<20, plus u 20..28 -> v 0..8)
			more = append(more, fmt.Sprintf(`{"op": "-D", "k": "k%d", "usr": "user-%d-long-name-%d", "v": %d}`, k, u, u*7, u%20))
		}
	}
	writeLines(t, filepath.Join(dir, "ev.jsonl"), more...)
	got = runToSavepointPar(t, 3, dir, script, "sp", "sp2", 20*15*2)
	// remaining users: odd u (15); big among them: odd u with u%20 >= 10: 11,13,15,17,19 -> 5
	for _, g := range got {
		if !strings.HasSuffix(g, "=15/5") {
			t.Fatalf("after restore at parallelism 3: %v", got)
		}
	}
	if len(got) != 20 {
		t.Fatalf("keys %d: %v", len(got), got)
	}
}

// TestDistinctViewsIncrementalRestore: the sub-entry deletes of the
// views (a value back to 0) survive incremental checkpoints: phase 2
// retracts the even users after a restore, phase 3 starts from phase 2's
// latest retained (incremental) checkpoint and adds them back: each is
// counted again (15 -> 30), which it is not if a deleted entry came back.
func TestDistinctViewsIncrementalRestore(t *testing.T) {
	dir := t.TempDir()
	script := `CREATE TABLE ev (k STRING, usr STRING, v BIGINT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE out (k STRING, users BIGINT, big BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, COUNT(DISTINCT usr), COUNT(DISTINCT usr) FILTER (WHERE v >= 10) FROM ev GROUP BY k;`
	row := func(op string, k, u int) string {
		return fmt.Sprintf(`{"op": "%s", "k": "k%d", "usr": "user-%d-long-name-%d", "v": %d}`, op, k, u, u*7, u%20)
	}
	var rows []string
	for k := 0; k < 20; k++ {
		for u := 0; u < 30; u++ {
			rows = append(rows, row("+I", k, u))
		}
	}
	writeLines(t, filepath.Join(dir, "ev.jsonl"), rows...)
	runToSavepointPar(t, 2, dir, script, "", "sp", 20*30*2-20)
	for k := 0; k < 20; k++ {
		for u := 0; u < 30; u += 2 {
			rows = append(rows, row("-D", k, u))
		}
	}
	writeLines(t, filepath.Join(dir, "ev.jsonl"), rows...)
	got := runToSavepointPar(t, 2, dir, script, "sp", "sp2", 20*15*2)
	for _, g := range got {
		if !strings.HasSuffix(g, "=15/5") {
			t.Fatalf("phase 2: %v", got)
		}
	}
	// the latest retained checkpoint of phase 2
	cks, _ := filepath.Glob(filepath.Join(dir, "ck-sp2", "*"))
	sort.Strings(cks)
	t.Logf("checkpoints of phase 2: %v", cks)
	var last string
	for _, c := range cks {
		if strings.Contains(filepath.Base(c), "chk") {
			last = c
		}
	}
	if last == "" {
		t.Fatalf("no retained checkpoint of phase 2 in %s", filepath.Join(dir, "ck-sp2"))
	}
	for k := 0; k < 20; k++ {
		for u := 0; u < 30; u += 2 {
			rows = append(rows, row("+I", k, u))
		}
	}
	writeLines(t, filepath.Join(dir, "ev.jsonl"), rows...)
	rel := "ck-sp2" // the directory: its latest complete checkpoint
	got = runToSavepointPar(t, 3, dir, script, rel, "sp3", 20*15*2)
	for _, g := range got {
		if !strings.HasSuffix(g, "=30/10") {
			t.Fatalf("phase 3 from %s: %v", rel, got)
		}
	}
}
