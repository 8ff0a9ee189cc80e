package streamsql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/streamsql"
)

// stopAtRows waits until the collect sink holds at least want[name] rows
// of each table name (failing when ctx ends first), then stops job with
// a savepoint at path and waits for it to end.
func stopAtRows(t *testing.T, ctx context.Context, job *streamsql.Job, col *collectFactory, want map[string]int, path string) {
	t.Helper()
	for {
		short := ""
		col.mu.Lock()
		for name, n := range want {
			if got := len(col.rows[name]); got < n && short == "" {
				short = name
			}
		}
		have := len(col.rows[short])
		col.mu.Unlock()
		if short == "" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d rows of %s, want %d", have, short, want[short])
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := job.Savepoint(ctx, path, true); err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil && !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("wait: %v", err)
	}
}
