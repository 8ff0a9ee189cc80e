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

// upsertFinal applies rows by key (first column), as an upsert sink does.
func rvUpsertFinal(rows []table.Row) map[string]string {
	st := map[string]string{}
	for _, r := range rows {
		k := r.Fields[0].String()
		switch r.Kind {
		case table.Insert, table.UpdateAfter:
			st[k] = fmt.Sprint(r.Fields)
		default:
			delete(st, k)
		}
	}
	return st
}

func rvRun(t *testing.T, par int, files map[string]string, script string) (map[string][]table.Row, string) {
	t.Helper()
	dir := t.TempDir()
	for n, c := range files {
		os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
	}
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: par, Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}})
	res, err := s.Exec(context.Background(), script)
	if err != nil {
		t.Fatal(err)
	}
	return col.rows, res.Text
}

// The golden harness applies a keyed table's changelog strictly: a -U/-D
// must carry exactly the key's row, a +I must find no row for its key; a
// +U may find one or none.
func TestSinkMatHarnessKeyedStrict(t *testing.T) {
	pks := map[string][]string{"out": {"k"}}
	bad := map[string]string{
		"a -U of another row": `{"table":"out","op":"+I","k":1,"v":1}
{"table":"out","op":"-U","k":1,"v":99}
{"table":"out","op":"+U","k":1,"v":2}
`,
		"a +I over a row": `{"table":"out","op":"+I","k":1,"v":1}
{"table":"out","op":"+I","k":1,"v":3}
`,
		"a -D of no row": `{"table":"out","op":"-D","k":1,"v":1}
`,
	}
	for name, lines := range bad {
		if got, err := applyChangelogErr(lines, pks); err == nil {
			t.Errorf("%s: accepted, %q", name, got)
		}
	}
	good := `{"table":"out","op":"+I","k":1,"v":1}
{"table":"out","op":"+U","k":1,"v":2}
{"table":"out","op":"-U","k":1,"v":2}
{"table":"out","op":"+U","k":1,"v":3}
{"table":"out","op":"+U","k":2,"v":4}
{"table":"out","op":"-D","k":2,"v":4}
`
	got, err := applyChangelogErr(good, pks)
	if want := `{"table":"out","k":1,"v":3}` + "\n"; err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}

// (2) a non-deterministic column: the -D's row differs from the kept
// row, the materializer finds nothing to remove and drops the delete.
func TestSinkMatNonDeterministicDelete(t *testing.T) {
	files := map[string]string{
		"orders.jsonl": "{\"op\":\"+I\",\"oid\":1,\"cust\":0}\n{\"op\":\"-D\",\"oid\":1,\"cust\":0}\n",
		"custs.jsonl":  "{\"id\":0,\"name\":\"c0\"}\n",
	}
	for _, mode := range []string{"AUTO", "NONE"} {
		rows, _ := rvRun(t, 2, files, `
SET 'table.exec.sink.upsert-materialize' = '`+mode+`';
CREATE TABLE orders (oid BIGINT, cust BIGINT, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE custs (id BIGINT, name STRING) WITH ('connector' = 'values');
CREATE TABLE out (oid BIGINT, cust BIGINT, u STRING, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'collect');
INSERT INTO out SELECT o.oid, o.cust, UUID() FROM orders o;`)
		t.Logf("%s: %v -> final %v", mode, rows["out"], rvUpsertFinal(rows["out"]))
		if mode == "AUTO" && len(rvUpsertFinal(rows["out"])) != 0 {
			t.Errorf("AUTO: the deleted order 1 stays in the sink: %v", rvUpsertFinal(rows["out"]))
		}
	}
}

// (3) the sink key is not unique in the query (group by oid, cust into
// a table keyed by oid): at parallelism 1 AUTO adds no materializer
// (Flink does: the upsert key (oid, cust) is not within the pk).
func TestSinkMatPar1NonUniqueKey(t *testing.T) {
	files := map[string]string{
		"orders.jsonl": "{\"op\":\"+I\",\"oid\":1,\"cust\":0}\n{\"op\":\"+I\",\"oid\":1,\"cust\":1}\n{\"op\":\"-D\",\"oid\":1,\"cust\":1}\n",
	}
	for _, par := range []int{1, 2} {
		rows, text := rvRun(t, par, files, `
CREATE TABLE orders (oid BIGINT, cust BIGINT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE out (oid BIGINT, cust BIGINT, n BIGINT, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO out SELECT oid, cust, COUNT(*) FROM orders GROUP BY oid, cust;
INSERT INTO out SELECT oid, cust, COUNT(*) FROM orders GROUP BY oid, cust;`)
		f := rvUpsertFinal(rows["out"])
		t.Logf("par %d: materializer %v, %v -> %v", par, strings.Contains(text, "SinkMaterializer"), rows["out"], f)
		if len(f) != 1 {
			t.Errorf("par %d: (1, 0, 1) is still a row of the query, the sink has %v", par, f)
		}
	}
}

// (3) UNION ALL of two branches of one changelog at parallelism 1: a key's
// -U goes through one branch, its +U through the other.
func TestSinkMatPar1Union(t *testing.T) {
	for _, mode := range []string{"AUTO", "FORCE"} {
		t.Run(mode, func(t *testing.T) { rvUnion(t, mode) })
	}
}

func rvUnion(t *testing.T, mode string) {
	const n = 3000
	var o strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&o, "{\"op\":\"+I\",\"oid\":%d,\"v\":1}\n", i)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&o, "{\"op\":\"-U\",\"oid\":%d,\"v\":1}\n{\"op\":\"+U\",\"oid\":%d,\"v\":20}\n", i, i)
	}
	rows, text := rvRun(t, 1, map[string]string{"orders.jsonl": o.String()}, `
SET 'table.exec.sink.upsert-materialize' = '`+mode+`';
CREATE TABLE orders (oid BIGINT, v BIGINT, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE out (oid BIGINT, v BIGINT, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO out SELECT oid, v FROM orders WHERE v < 10 UNION ALL SELECT oid, v FROM orders WHERE v >= 10;
INSERT INTO out SELECT oid, v FROM orders WHERE v < 10 UNION ALL SELECT oid, v FROM orders WHERE v >= 10;`)
	t.Log(text)
	f := rvUpsertFinal(rows["out"])
	if len(f) != n {
		t.Errorf("par 1 union: %d of %d keys left", len(f), n)
	}
}

// Top-2 per cat into a table keyed by cat (not unique: two rows per cat).
func TestSinkMatTopNNonUnique(t *testing.T) {
	files := map[string]string{"items.jsonl": "{\"cat\":1,\"v\":5}\n{\"cat\":1,\"v\":7}\n{\"cat\":1,\"v\":9}\n"}
	for _, mode := range []string{"AUTO", "FORCE"} {
		rows, text := rvRun(t, 2, files, `
SET 'table.exec.sink.upsert-materialize' = '`+mode+`';
CREATE TABLE items (cat BIGINT, v BIGINT) WITH ('connector' = 'values');
CREATE TABLE out (cat BIGINT, v BIGINT, PRIMARY KEY (cat) NOT ENFORCED) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO out SELECT cat, v FROM (SELECT cat, v, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY v DESC) AS rn FROM items) WHERE rn <= 2;
INSERT INTO out SELECT cat, v FROM (SELECT cat, v, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY v DESC) AS rn FROM items) WHERE rn <= 2;`)
		f := rvUpsertFinal(rows["out"])
		t.Logf("%s: materializer %v: %v -> %v", mode, strings.Contains(text, "SinkMaterializer"), rows["out"], f)
		if len(f) != 1 {
			t.Errorf("%s: cat 1 has rows (9, 7), the sink has %v", mode, f)
		}
	}
}

// The sink_parallelism golden (its keyed tables written through a
// SinkMaterializer, or keyed by their key) passes the strict keyed
// application of the harness over 20 runs at parallelism 1.
func TestSinkMatStrictKeyedGolden(t *testing.T) {
	dir := "../internal/sql/testdata/sink_parallelism"
	src, err := os.ReadFile(filepath.Join(dir, "query.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		got, _, _, pks, err := runCaseKeys(t, dir, string(src), 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := applyChangelogErr(got, pks); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
}

// A SinkMaterializer whose input has an upsert key (orders' primary key
// oid, not within the sink key cust) finds a retracted row by that key: a
// non-deterministic column does not hide it.
func TestSinkMatUpsertKeyNonDeterministic(t *testing.T) {
	files := map[string]string{
		"orders.jsonl": "{\"op\":\"+I\",\"oid\":1,\"cust\":0}\n{\"op\":\"+I\",\"oid\":2,\"cust\":0}\n{\"op\":\"+I\",\"oid\":3,\"cust\":1}\n" +
			"{\"op\":\"-D\",\"oid\":2,\"cust\":0}\n{\"op\":\"-U\",\"oid\":3,\"cust\":1}\n{\"op\":\"+U\",\"oid\":3,\"cust\":2}\n{\"op\":\"-D\",\"oid\":1,\"cust\":0}\n",
	}
	for _, par := range []int{1, 2} {
		rows, text := rvRun(t, par, files, `
CREATE TABLE orders (oid BIGINT, cust BIGINT, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE bycust (cust BIGINT, oid BIGINT, u STRING, PRIMARY KEY (cust) NOT ENFORCED) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO bycust SELECT cust, oid, UUID() FROM orders;
INSERT INTO bycust SELECT cust, oid, UUID() FROM orders;`)
		if !strings.Contains(text, "SinkMaterializer") {
			t.Fatalf("par %d: no SinkMaterializer:\n%s", par, text)
		}
		f := rvUpsertFinal(rows["bycust"])
		if len(f) != 1 || !strings.HasPrefix(f["2"], "[2 3 ") {
			t.Errorf("par %d: %v -> %v, want only cust 2 (order 3)", par, rows["bycust"], f)
		}
	}
}
