package streamsql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestSinkMaterializerPlan: where AUTO adds the SinkMaterializer (at any
// parallelism: Flink's rule looks only at the keys), and the option's
// other values.
func TestSinkMaterializerPlan(t *testing.T) {
	ddl := `
CREATE TABLE orders (oid BIGINT, cust BIGINT, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE custs (id BIGINT, name STRING) WITH ('connector' = 'values');
CREATE TABLE bycust (cust BIGINT, n BIGINT, PRIMARY KEY (cust) NOT ENFORCED) WITH ('connector' = 'collect');
CREATE TABLE byorder (oid BIGINT, cust BIGINT, name STRING, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'collect');
CREATE TABLE nokey (oid BIGINT, cust BIGINT, name STRING) WITH ('connector' = 'collect');
`
	join := "SELECT o.oid, o.cust, c.name FROM orders o JOIN custs c ON o.cust = c.id"
	cases := []struct {
		set, insert string
		par         int
		want        bool
	}{
		// The join is keyed by cust, the sink by oid.
		{"", "INSERT INTO byorder " + join, 2, true},
		// At parallelism 1 too: the join's rows of an oid are not
		// keyed by oid.
		{"", "INSERT INTO byorder " + join, 1, true},
		// A changelog scan keyed by oid (its primary key), also with
		// a non-deterministic column.
		{"", "INSERT INTO byorder SELECT oid, cust, CAST(NULL AS STRING) FROM orders", 2, false},
		{"", "INSERT INTO byorder SELECT oid, cust, UUID() FROM orders", 1, false},
		{"", "INSERT INTO bycust SELECT cust, oid FROM orders", 2, true},
		{"NONE", "INSERT INTO byorder " + join, 2, false},
		{"", "INSERT INTO nokey " + join, 2, false}, // no primary key
		// Keyed by the sink's key: in order already.
		{"", "INSERT INTO bycust SELECT cust, COUNT(*) FROM orders GROUP BY cust", 2, false},
		{"", "INSERT INTO bycust SELECT cust, COUNT(*) FROM orders GROUP BY cust", 1, false},
		{"FORCE", "INSERT INTO bycust SELECT cust, COUNT(*) FROM orders GROUP BY cust", 2, true},
		// A union: a key's -U and +U may take two branches.
		{"", "INSERT INTO bycust SELECT cust, oid FROM orders WHERE oid < 10 UNION ALL SELECT cust, oid FROM orders WHERE oid >= 10", 1, true},
		// Two rows per cust: the sink key is not unique in the query.
		{"", "INSERT INTO bycust SELECT cust, oid FROM (SELECT cust, oid, ROW_NUMBER() OVER (PARTITION BY cust ORDER BY oid) AS rn FROM orders) WHERE rn <= 2", 2, true},
		// Keyed by (cust, oid), not within (cust).
		{"", "INSERT INTO bycust SELECT cust, oid FROM (SELECT cust, oid, COUNT(*) FROM orders GROUP BY cust, oid)", 2, true},
		{"", "INSERT INTO bycust SELECT cust, oid FROM (SELECT cust, oid, COUNT(*) FROM orders GROUP BY cust, oid)", 1, true},
		// A deduplication partitioned by the key.
		{"", "INSERT INTO byorder SELECT oid, cust, name FROM (SELECT oid, cust, name, ROW_NUMBER() OVER (PARTITION BY oid ORDER BY cust DESC) AS rn FROM (" + join + ")) WHERE rn = 1", 2, false},
		{"", "INSERT INTO byorder SELECT oid, cust, name FROM (SELECT oid, cust, name, ROW_NUMBER() OVER (PARTITION BY oid ORDER BY cust DESC) AS rn FROM (" + join + ")) WHERE rn = 1", 1, false},
	}
	for _, c := range cases {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: c.par, Factories: []connector.TableFactory{valuesFactory{dir: t.TempDir()}, col}})
		script := ddl
		if c.set != "" {
			script += "SET 'table.exec.sink.upsert-materialize' = '" + c.set + "';\n"
		}
		res, err := s.Exec(context.Background(), script+"EXPLAIN "+c.insert+";")
		if err != nil {
			t.Fatalf("%s: %v", c.insert, err)
		}
		if got := strings.Contains(res.Text, "SinkMaterializer(pk=["); got != c.want {
			t.Errorf("%q at parallelism %d, option %q: SinkMaterializer %v, want %v:\n%s", c.insert, c.par, c.set, got, c.want, res.Text)
		}
	}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 2, Factories: []connector.TableFactory{valuesFactory{dir: t.TempDir()}, &collectFactory{}}})
	_, err := s.Exec(context.Background(), ddl+"SET 'table.exec.sink.upsert-materialize' = 'SOMETIMES';\nEXPLAIN INSERT INTO byorder "+join+";")
	if err == nil || !strings.Contains(err.Error(), "'NONE', 'AUTO' or 'FORCE'") {
		t.Errorf("a bad value of the option: %v", err)
	}
}
