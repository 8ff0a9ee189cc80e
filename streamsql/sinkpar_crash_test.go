package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	fileconn "github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestSinkParallelismCrashRestore: the exactly-once filesystem sink
// at 'sink.parallelism' 3 is cancelled mid-run (staged files open) and
// the job restarted from its checkpoint directory with 'sink.parallelism'
// 2, then 4: every row committed exactly once.
func TestSinkParallelismCrashRestore(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	const total = 200000
	var b strings.Builder
	for i := 0; i < total; i++ {
		fmt.Fprintf(&b, "{\"k\": %d}\n", i)
	}
	os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(b.String()), 0o644)
	count := func() map[string]int {
		seen := map[string]int{}
		filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			data, _ := os.ReadFile(p)
			for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if l != "" {
					seen[l]++
				}
			}
			return nil
		})
		return seen
	}
	n := func() int {
		c := 0
		for _, v := range count() {
			c += v
		}
		return c
	}
	run := func(jobPar, sinkPar, want int, stop bool) {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		ck := &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck"), Interval: 10 * time.Millisecond}
		s := streamsql.NewSession(streamsql.Options{Parallelism: jobPar, Checkpoints: ck,
			Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col, fileconn.FilesystemTableFactory()}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		job, _, err := s.Submit(ctx, fmt.Sprintf(`
CREATE TABLE t (k BIGINT) WITH ('connector' = 'values');
CREATE TABLE o (k BIGINT) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv', 'sink.parallelism' = '%d');
INSERT INTO o SELECT k FROM t;`, out, sinkPar))
		if err != nil {
			t.Fatal(err)
		}
		for n() < want {
			select {
			case <-ctx.Done():
				t.Fatalf("%d rows committed, want %d", n(), want)
			case <-time.After(5 * time.Millisecond):
			}
		}
		if stop {
			if _, err := job.Savepoint(ctx, filepath.Join(dir, "sp"), true); err != nil {
				t.Fatal(err)
			}
		} else {
			cancel()
		}
		job.Wait()
	}
	run(1, 3, 1, false)
	t.Logf("after the first run: %d", n())
	run(2, 2, 60000, false)
	t.Logf("after the second run: %d", n())
	run(1, 4, total, true)
	seen := count()
	bad := 0
	for i := 0; i < total; i++ {
		if seen[fmt.Sprint(i)] != 1 {
			bad++
		}
	}
	if bad > 0 || n() != total {
		t.Errorf("%d rows not committed exactly once (%d lines, want %d)", bad, n(), total)
	}
}
