package streamsql_test

import (
	"context"
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

// TestProcIntervalJoinUIDsAndSignatures: a join bounded by two PROCTIME()
// attributes runs as a processing-time interval join, UID kind
// interval-join-proctime (before, a regular join: a savepoint of that
// plan is refused for it), whose state signature names the join type,
// keys, bounds and both sides' rows, so that an INNER and a LEFT join of
// the same sides differ.
func TestProcIntervalJoinUIDsAndSignatures(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"a": `{"id": 1, "v": 1}` + "\n",
		"b": `{"id": 1, "w": "x"}` + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name+".jsonl"), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ddl := `
		CREATE TABLE a (id BIGINT, v INT, pt AS PROCTIME()) WITH ('connector' = 'values');
		CREATE TABLE b (id BIGINT, w STRING, pt AS PROCTIME()) WITH ('connector' = 'values');
		CREATE TABLE out (id BIGINT, w STRING) WITH ('connector' = 'collect');
`
	var sigs []string
	for _, kind := range []string{"JOIN", "LEFT JOIN"} {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Clock: stream.NewManualClock(time.UnixMilli(0)),
			Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}})
		q := "INSERT INTO out SELECT a.id, b.w FROM a " + kind + " b ON a.id = b.id AND b.pt BETWEEN a.pt - INTERVAL '1' MINUTE AND a.pt;"
		job, _, err := s.Submit(context.Background(), ddl+q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if err := job.Wait(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var found []string
		for _, v := range job.View() {
			for _, o := range v.Operators {
				if strings.HasSuffix(o.UID, "-interval-join-proctime") {
					found = append(found, o.StateSignature)
				}
			}
		}
		if len(found) != 1 {
			t.Fatalf("%s: %d operators of UID kind interval-join-proctime", q, len(found))
		}
		sigs = append(sigs, found[0])
		if got := col.rows["out"]; len(got) != 1 || got[0].String() != "+I(1, 'x')" {
			t.Fatalf("%s: %v", q, got)
		}
	}
	want := []string{
		"interval-join-proctime INNER left-keys=[BIGINT] right-keys=[BIGINT] between=[0ms, 60000ms] left=[BIGINT, INT, TIMESTAMP_LTZ(3)] right=[BIGINT, STRING, TIMESTAMP_LTZ(3)]",
		"interval-join-proctime LEFT left-keys=[BIGINT] right-keys=[BIGINT] between=[0ms, 60000ms] left=[BIGINT, INT, TIMESTAMP_LTZ(3)] right=[BIGINT, STRING, TIMESTAMP_LTZ(3)]",
	}
	if !slices.Equal(sigs, want) {
		t.Fatalf("signatures:\n got %q\nwant %q", sigs, want)
	}
}
