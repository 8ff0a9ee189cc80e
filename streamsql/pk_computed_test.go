package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestPrimaryKeyOnComputedColumnRefused: a primary key is declared on
// physical columns only; the planner used to accept one on a computed
// column and fail later, at INSERT, with an error without position.
func TestPrimaryKeyOnComputedColumnRefused(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte("{\"k\": 1}\n{\"k\": 1}\n"), 0o644)
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}})
	_, err := s.Exec(context.Background(), `
CREATE TABLE t (k BIGINT) WITH ('connector' = 'values');
CREATE TABLE o (k BIGINT, n BIGINT, k2 AS k + 1, PRIMARY KEY (k2) NOT ENFORCED) WITH ('connector' = 'collect', 'sink.parallelism' = '2');
INSERT INTO o SELECT k, COUNT(*) FROM t GROUP BY k;`)
	if err == nil {
		t.Fatal("a primary key on a computed column was accepted (Flink refuses it at CREATE TABLE)")
	}
	if !isPositioned(err) {
		t.Errorf("error without a position (internal-looking): %v", err)
	}
	if !strings.Contains(err.Error(), "line 3, column 63") || !strings.Contains(err.Error(), "physical columns") {
		t.Errorf("want the refusal at CREATE TABLE, at the key's column: %v", err)
	}
	// A column-level key on a metadata column is refused the same way.
	_, err = s.Exec(context.Background(), `
CREATE TABLE m (k BIGINT, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' PRIMARY KEY NOT ENFORCED) WITH ('connector' = 'collect');`)
	if err == nil || !isPositioned(err) || !strings.Contains(err.Error(), "physical columns") {
		t.Errorf("a primary key on a metadata column: %v", err)
	}
}

func isPositioned(err error) bool {
	_, ok := err.(*streamsql.Error)
	return ok
}
