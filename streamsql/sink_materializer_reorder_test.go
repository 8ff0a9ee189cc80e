package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// A changelog scan at 'scan.parallelism' 1, the job at 2: the edge to its
// Calc rebalances, so a key's -U and +U reach the SinkMaterializer (added
// by AUTO for that reason) in either order. Its upsert key (oid) makes a
// late -U of the old version delete the key's new row.
func TestSinkMatUpsertKeyReorderedScan(t *testing.T) {
	const n = 3000
	var o strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&o, "{\"op\":\"+I\",\"oid\":%d,\"v\":1}\n{\"op\":\"-U\",\"oid\":%d,\"v\":1}\n{\"op\":\"+U\",\"oid\":%d,\"v\":2}\n", i, i, i)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "orders.jsonl"), []byte(o.String()), 0o644)
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 2,
		Factories: []connector.TableFactory{parValuesFactory{valuesFactory{dir: dir}}, col},
		Execute: func(ctx context.Context, env *stream.Environment) error {
			p, _ := env.Plan()
			t.Log(p)
			return env.Execute(ctx)
		}})
	res, err := s.Exec(context.Background(), `
CREATE TABLE orders (oid BIGINT, v BIGINT, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'pvalues', 'changelog' = 'true', 'scan.parallelism' = '1');
CREATE TABLE out (oid BIGINT, v BIGINT, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO out SELECT oid, v * 1 FROM orders;
INSERT INTO out SELECT oid, v * 1 FROM orders;`)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Text)
	f := rvUpsertFinal(col.rows["out"])
	if len(f) != n {
		t.Errorf("%d of %d keys left (each should end with v=2)", len(f), n)
	}
}
