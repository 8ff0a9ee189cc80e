package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestTemporalSortOrder: ORDER BY the event-time attribute (then v DESC)
// emits the rows in that order as the watermark passes them; a row behind
// the watermark is dropped as late.
func TestTemporalSortOrder(t *testing.T) {
	dir := t.TempDir()
	in := `{"k":"a","v":1,"ts":"2024-01-01 00:00:05"}
{"k":"b","v":2,"ts":"2024-01-01 00:00:03"}
{"k":"c","v":3,"ts":"2024-01-01 00:00:05"}
{"k":"d","v":4,"ts":"2024-01-01 00:00:09"}
{"k":"late","v":5,"ts":"2024-01-01 00:00:01"}
{"k":"e","v":6,"ts":"2024-01-01 00:00:08"}
`
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	// Parallelism 1: with a late row, parallelism 2 makes the result depend
	// on when the source's splitless subtask says it is idle (it may not
	// have when the late row comes, so the row is not late yet).
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Factories: []connector.TableFactory{valuesFactory{dir: dir}}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got []string
	job, _, err := s.Query(ctx, `CREATE TABLE t (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'values', 'one-per-read' = 'true');
SELECT k, v FROM t ORDER BY ts, v DESC;`, func(r table.Row) error {
		if r.Kind != table.Insert {
			t.Errorf("row %v: want inserts", r)
		}
		got = append(got, r.Fields[0].AsString())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	if g, w := strings.Join(got, " "), "b c a e d"; g != w {
		t.Fatalf("got %s, want %s", g, w)
	}
}
