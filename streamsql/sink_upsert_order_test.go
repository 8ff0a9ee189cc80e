package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestSinkUpsertOrderAcrossSubtasks: the sink's primary key (oid) is a
// unique key of the query, but the join before the sink is keyed by cust.
// An order moving from cust a to cust b gives -U(oid, a) from one join
// subtask and +U(oid, b) from another; the sink (hashed by oid at
// 'sink.parallelism') takes them in whatever order they arrive. Applied
// as an upsert sink applies them (by key: +I/+U put, -U/-D delete), the
// order is lost when a -U lands after the +U (also without
// 'sink.parallelism', at the job's parallelism 2). The planner adds a
// SinkMaterializer keyed by oid, which emits each key's current row.
func TestSinkUpsertOrderAcrossSubtasks(t *testing.T) {
	const n = 2000
	dir := t.TempDir()
	var o, c strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&o, "{\"op\": \"+I\", \"oid\": %d, \"cust\": %d}\n", i, i%4)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&o, "{\"op\": \"-U\", \"oid\": %d, \"cust\": %d}\n", i, i%4)
		fmt.Fprintf(&o, "{\"op\": \"+U\", \"oid\": %d, \"cust\": %d}\n", i, 4+i%4)
	}
	for k := 0; k < 8; k++ {
		fmt.Fprintf(&c, "{\"id\": %d, \"name\": \"c%d\"}\n", k, k)
	}
	os.WriteFile(filepath.Join(dir, "orders.jsonl"), []byte(o.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "custs.jsonl"), []byte(c.String()), 0o644)
	for _, sinkPar := range []int{0, 1, 3} {
		t.Run(fmt.Sprint("sink-parallelism-", sinkPar), func(t *testing.T) {
			col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
			s := streamsql.NewSession(streamsql.Options{Parallelism: 2, Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}})
			opt := fmt.Sprintf(", 'sink.parallelism' = '%d'", sinkPar)
			if sinkPar == 0 {
				opt = ""
			}
			script := fmt.Sprintf(`
CREATE TABLE orders (oid BIGINT, cust BIGINT, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE custs (id BIGINT, name STRING) WITH ('connector' = 'values');
CREATE TABLE out (oid BIGINT, cust BIGINT, name STRING, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'collect'%s);
INSERT INTO out SELECT o.oid, o.cust, c.name FROM orders o JOIN custs c ON o.cust = c.id;`, opt)
			if _, err := s.Exec(context.Background(), script); err != nil {
				t.Fatal(err)
			}
			state := map[int64]int64{}
			for _, r := range col.rows["out"] {
				k := r.Fields[0].AsInt()
				switch r.Kind {
				case table.Insert, table.UpdateAfter:
					state[k] = r.Fields[1].AsInt()
				default:
					delete(state, k)
				}
			}
			bad := 0
			for i := int64(0); i < n; i++ {
				if v, ok := state[i]; !ok || v != 4+i%4 {
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("upsert sink at 'sink.parallelism' %d: %d of %d keys end wrong (a -U/-D of the old row arrived after the +U of the new one)", sinkPar, bad, n)
			}
		})
	}
}
