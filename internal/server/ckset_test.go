package server

import (
	"strings"
	"testing"

	"github.com/stromio/strom/internal/web"
)

// TestQueryRefusesCheckpointKeys: a SELECT job on the server runs without
// checkpoints; SET 'state.checkpoints.dir' is refused rather than taking
// checkpoints into a directory the script names.
func TestQueryRefusesCheckpointKeys(t *testing.T) {
	ts := startServer(t, t.TempDir())
	var e struct{ Error string }
	sql := "SET 'execution.checkpointing.interval' = '1 s';\nSET 'state.checkpoints.dir' = '" + t.TempDir() + "';\n" + querySQL
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: sql}, &e); c != 400 || !strings.Contains(e.Error, "runs without checkpoints") {
		t.Fatalf("got %d %q, want the SET refused", c, e.Error)
	}
}
