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

// TestSinkMaterializerRestore: the SinkMaterializer's rows of a key carry
// over a savepoint. Before it, key 1 has the row 'a'; after the restore
// the input adds 'b' and takes 'b' back: with the kept rows, 'a' is the
// key's row again (+U); without them, the key would be deleted (-D).
func TestSinkMaterializerRestore(t *testing.T) {
	dir := t.TempDir()
	write := func(lines ...string) {
		if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `
SET 'table.exec.sink.upsert-materialize' = 'FORCE';
CREATE TABLE t (k BIGINT, v STRING) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE o (k BIGINT, v STRING, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO o SELECT k, v FROM t;
INSERT INTO o SELECT k, v FROM t;`
	run := func(from, sp string, want int) *collectFactory {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		ck := &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck-"+sp), Interval: 20 * time.Millisecond, FromSavepoint: from}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Checkpoints: ck,
			Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		job, res, err := s.Submit(ctx, script)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Text, "SinkMaterializer(pk=[k]") {
			t.Fatalf("no SinkMaterializer in the plan:\n%s", res.Text)
		}
		stopAtRows(t, ctx, job, col, map[string]int{"o": want}, filepath.Join(dir, sp))
		return col
	}
	first := []string{`{"op": "+I", "k": 1, "v": "a"}`}
	write(first...)
	run("", "sp1", 1) // +I(1, 'a')
	write(append(first, `{"op": "+I", "k": 1, "v": "b"}`, `{"op": "-D", "k": 1, "v": "b"}`)...)
	col := run(filepath.Join(dir, "sp1"), "sp2", 2)
	var got []string
	for _, r := range col.rows["o"] {
		got = append(got, r.String())
	}
	if s := strings.Join(got, " "); s != "+U(1, 'b') +U(1, 'a')" {
		t.Errorf("after the restore: %s, want +U(1, 'b') +U(1, 'a')", s)
	}
}
