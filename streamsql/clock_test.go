package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
)

// TestSelectShowsLTZInSessionZone: a bare SELECT prints a TIMESTAMP_LTZ
// (a column, CURRENT_TIMESTAMP of the session's manual clock) as
// wall-clock time in the session time zone, as Flink's SQL client; a
// TIMESTAMP is printed as it is.
func TestSelectShowsLTZInSessionZone(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(`{"ms":1711841400000}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ zone, want string }{
		{"", "+I | 2024-03-30 23:30:00 | 2024-03-30 23:30:00.250 | 2024-03-30 23:30:00"},
		{"Europe/Berlin", "+I | 2024-03-31 00:30:00 | 2024-03-31 00:30:00.250 | 2024-03-30 23:30:00"},
		{"GMT-08:00", "+I | 2024-03-30 15:30:00 | 2024-03-30 15:30:00.250 | 2024-03-30 23:30:00"},
	} {
		var out strings.Builder
		s := streamsql.NewSession(streamsql.Options{Out: &out,
			Clock:     stream.NewManualClock(time.Date(2024, 3, 30, 23, 30, 0, 250e6, time.UTC)),
			Factories: []connector.TableFactory{valuesFactory{dir: dir}}})
		script := "CREATE TABLE t (ms BIGINT) WITH ('connector' = 'values');\n"
		if c.zone != "" {
			script += "SET 'table.local-time-zone' = '" + c.zone + "';\n"
		}
		script += "SELECT TO_TIMESTAMP_LTZ(ms, 3) AS ltz, CURRENT_TIMESTAMP AS now_ltz, TIMESTAMP '2024-03-30 23:30:00' AS ts FROM t"
		if _, err := s.Exec(context.Background(), script); err != nil {
			t.Fatalf("%s: %v", c.zone, err)
		}
		if !strings.Contains(out.String(), "op | ltz | now_ltz | ts\n"+c.want+"\n") {
			t.Errorf("zone %q: got\n%s\nwant the row\n%s", c.zone, out.String(), c.want)
		}
	}
}
