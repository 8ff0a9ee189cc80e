package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	fileconn "github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestSinkParallelismRestore: an exactly-once filesystem sink at
// 'sink.parallelism' 3 (job parallelism 1), stopped with a savepoint and
// restored with 'sink.parallelism' 2 over more input: every row is in the
// committed files exactly once.
func TestSinkParallelismRestore(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	write := func(n int) {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "{\"k\": %d}\n", i)
		}
		os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(b.String()), 0o644)
	}
	committed := func() []string {
		var lines []string
		filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			data, _ := os.ReadFile(p)
			for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if l != "" {
					lines = append(lines, l)
				}
			}
			return nil
		})
		sort.Strings(lines)
		return lines
	}
	run := func(jobPar, sinkPar, want int, from, sp string) {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		ck := &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck"+sp), Interval: 20 * time.Millisecond, FromSavepoint: from}
		s := streamsql.NewSession(streamsql.Options{Parallelism: jobPar, Checkpoints: ck,
			Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col, fileconn.FilesystemTableFactory()}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		opt := fmt.Sprintf(", 'sink.parallelism' = '%d'", sinkPar)
		if sinkPar == 0 {
			opt = ""
		}
		job, _, err := s.Submit(ctx, fmt.Sprintf(`
CREATE TABLE t (k BIGINT) WITH ('connector' = 'values');
CREATE TABLE o (k BIGINT) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv'%s);
INSERT INTO o SELECT k FROM t;`, out, opt))
		if err != nil {
			t.Fatal(err)
		}
		for len(committed()) < want {
			select {
			case <-ctx.Done():
				t.Fatalf("%d rows committed, want %d", len(committed()), want)
			case <-time.After(20 * time.Millisecond):
			}
		}
		if _, err := job.Savepoint(ctx, filepath.Join(dir, sp), true); err != nil {
			t.Fatal(err)
		}
		if err := job.Wait(); err != nil && !strings.Contains(err.Error(), "stopped") {
			t.Fatalf("wait: %v", err)
		}
	}
	write(300)
	run(1, 3, 300, "", "sp1")
	write(600)
	run(1, 2, 600, filepath.Join(dir, "sp1"), "sp2")
	write(900)
	run(2, 0, 900, filepath.Join(dir, "sp2"), "sp3")
	write(1200)
	run(1, 4, 1200, filepath.Join(dir, "sp3"), "sp4")
	got := committed()
	seen := map[string]int{}
	for _, l := range got {
		seen[l]++
	}
	for i := 0; i < 1200; i++ {
		if n := seen[fmt.Sprint(i)]; n != 1 {
			t.Errorf("row %d committed %d times", i, n)
		}
	}
	if len(got) != 1200 {
		t.Errorf("%d rows committed, want 1200", len(got))
	}
}
