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
	"github.com/stromio/strom/table"
)

// TestSavepointTTLChangeRefused: the values of a Top-N, an OVER
// aggregation, a GROUP BY aggregation and a regular join with the state
// TTL carry an expiry prefix, so their UIDs
// differ with it: a savepoint taken without the TTL does not restore into
// the job with it (the restore names the unmatched UIDs) instead of
// misreading the old values.
func TestSavepointTTLChangeRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ev.jsonl"), []byte(`{"k": "a", "v": 1, "ts": 1000}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `CREATE TABLE ev (k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE top1 (k STRING, v BIGINT, rn BIGINT) WITH ('connector' = 'collect');
CREATE TABLE running (k STRING, v BIGINT, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE counts (k STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE pairs (k STRING, v BIGINT, w BIGINT) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO counts SELECT k, COUNT(*) FROM ev GROUP BY k;
INSERT INTO pairs SELECT a.k, a.v, b.v FROM ev AS a JOIN ev AS b ON a.k = b.k;
INSERT INTO top1 SELECT * FROM (SELECT k, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM ev) WHERE rn = 1;
INSERT INTO running SELECT k, v, COUNT(*) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM ev;
END;`
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: 20 * time.Millisecond},
		Factories:   []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job, _, err := s.Submit(ctx, script)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the top row", func() bool {
		col.mu.Lock()
		defer col.mu.Unlock()
		return len(col.rows["top1"]) == 1
	})
	sp := filepath.Join(dir, "sp")
	if _, err := job.Savepoint(ctx, sp, true); err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil && !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("wait: %v", err)
	}

	s2 := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: 20 * time.Millisecond, FromSavepoint: sp},
		Factories:   []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
	job2, _, err := s2.Submit(ctx, "SET 'table.exec.state.ttl' = '1 h';\n"+script)
	if err == nil {
		err = job2.Wait()
	}
	if err == nil || !strings.Contains(err.Error(), "operators the job does not have") ||
		!strings.Contains(err.Error(), "rank") || !strings.Contains(err.Error(), "over-agg") ||
		!strings.Contains(err.Error(), "group-agg") || !strings.Contains(err.Error(), "join") {
		t.Fatalf("restore with the TTL: %v", err)
	}
}
