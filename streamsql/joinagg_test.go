package streamsql_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestJoinAggSameRows runs the golden case join_agg_fused (GROUP BYs over
// regular joins in the unique mode keyed by the unique side's key: one
// fused operator, planner/joinagg.go) and the same case with the key
// removed (the joins in the general mode, the GROUP BYs their own
// operators), each per row and with mini-batch (bundles of 3 rows), at
// parallelism 1 and 2: the same final rows. The fused plan fuses the two
// GROUP BYs keyed by the item's id, not the one by name.
func TestJoinAggSameRows(t *testing.T) {
	dir := "../internal/sql/testdata/join_agg_fused"
	src, err := readCase(dir + "/query.sql")
	if err != nil {
		t.Fatal(err)
	}
	general := strings.Replace(src, ", 'unique-key' = 'id'", "", 1)
	if general == src {
		t.Fatal("no unique key to remove")
	}
	const mb = "SET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.mini-batch.allow-latency' = '1 h';\nSET 'table.exec.mini-batch.size' = '3';\n"
	want := ""
	for _, text := range []string{src, general, mb + src, mb + general} {
		for _, par := range []int{1, 2} {
			rows, _, _, pks, err := runCaseKeys(t, dir, text, par)
			if err != nil {
				t.Fatal(err)
			}
			f := applyChangelog(t, rows, pks)
			if want == "" {
				want = f
			}
			if f != want {
				t.Errorf("parallelism %d, fused %v, mini-batch %v:\n%s\nwant (fused, per row, parallelism 1):\n%s",
					par, !strings.Contains(text, general), strings.HasPrefix(text, mb), f, want)
			}
		}
		i0 := strings.Index(text, "EXECUTE STATEMENT SET")
		_, plan, _, err := runCase(t, dir, text[:i0]+"EXPLAIN "+text[i0:], 1)
		if err != nil {
			t.Fatal(err)
		}
		n, wantN := strings.Count(plan, "fusedJoin=[true]"), 2
		if strings.Contains(text, general) {
			wantN = 0
		}
		if n != wantN {
			t.Errorf("%d fused GROUP BYs, want %d:\n%s", n, wantN, plan)
		}
		// The job as EXPLAIN says.
		uids := jobUIDs(t, text)
		n = 0
		for _, u := range uids {
			if strings.Contains(u, "-join-agg") {
				n++
			}
		}
		if n != wantN {
			t.Errorf("%d fused operators, want %d: %v", n, wantN, uids)
		}
	}
	if !strings.Contains(want, "cup") {
		t.Fatalf("no rows:\n%s", want)
	}
}

// TestJoinAggKeepsLaterUIDs: the operators after a fused join and GROUP
// BY keep the UIDs they have in the unfused plan (the fused operator
// takes the GROUP BY's number, the join's and the Calc's are skipped),
// also when the Calc between them made no operator (the identity of the
// narrowed join's columns).
func TestJoinAggKeepsLaterUIDs(t *testing.T) {
	dir := "../internal/sql/testdata/join_agg_fused"
	ddl := `CREATE TABLE items (id BIGINT, kind INT, lo BIGINT, hi BIGINT, name STRING) WITH ('connector' = 'values', 'unique-key' = 'id');
CREATE TABLE sales (item BIGINT, price BIGINT, note STRING) WITH ('connector' = 'values');
CREATE TABLE out1 (n BIGINT, c BIGINT, PRIMARY KEY (n) NOT ENFORCED) WITH ('connector' = 'collect');
`
	for _, q := range []string{
		// A Calc that is an operator (a projection).
		`INSERT INTO out1 SELECT n, COUNT(*) FROM (SELECT i.id, i.name, MAX(s.price) AS n FROM items AS i JOIN sales AS s ON i.id = s.item GROUP BY i.id, i.name) GROUP BY n;`,
		// The Calc is the identity of the narrowed join (id, item).
		`INSERT INTO out1 SELECT n, COUNT(*) FROM (SELECT i.id, COUNT(s.item) AS n FROM items AS i JOIN sales AS s ON i.id = s.item GROUP BY i.id) GROUP BY n;`,
		// Filters that fold to TRUE: the unfused Calc drops them first
		// (calc.go's simplify), then is the identity and no operator.
		`INSERT INTO out1 SELECT n, COUNT(*) FROM (SELECT i.id, COUNT(s.item) AS n FROM items AS i JOIN sales AS s ON i.id = s.item WHERE 1 = 1 GROUP BY i.id) GROUP BY n;`,
		`INSERT INTO out1 SELECT n, COUNT(*) FROM (SELECT i.id, COUNT(s.item) AS n FROM items AS i JOIN sales AS s ON i.id = s.item WHERE TRUE GROUP BY i.id) GROUP BY n;`,
		// One reading a column nothing else reads (the join keeps it
		// unless the filter is dropped before pruning).
		`INSERT INTO out1 SELECT n, COUNT(*) FROM (SELECT i.id, COUNT(s.item) AS n FROM items AS i JOIN sales AS s ON i.id = s.item WHERE CASE WHEN 1 = 1 THEN TRUE ELSE s.note IS NULL END GROUP BY i.id) GROUP BY n;`,
	} {
		var outer [2]string
		for k, text := range []string{ddl + q, strings.Replace(ddl, ", 'unique-key' = 'id'", "", 1) + q} {
			_, plan, _, err := runCase(t, dir, strings.Replace(text, "INSERT INTO", "EXPLAIN INSERT INTO", 1), 1)
			if err != nil {
				t.Fatal(err)
			}
			if fused := strings.Contains(plan, "fusedJoin=[true]"); fused != (k == 0) {
				t.Fatalf("fused %v, want %v:\n%s", fused, k == 0, plan)
			}
			uids := jobUIDs(t, text)
			var aggs []string
			for _, u := range uids {
				if strings.HasSuffix(u, "-group-agg") {
					aggs = append(aggs, u)
				}
			}
			if len(aggs) != 1+k { // fused: the outer one only; unfused: both
				t.Fatalf("GROUP BY operators %v of %v", aggs, uids)
			}
			// The outer one: the highest number.
			num := func(u string) int {
				n, _ := strconv.Atoi(strings.Split(u, "-")[1])
				return n
			}
			outer[k] = slices.MaxFunc(aggs, func(a, b string) int { return num(a) - num(b) })
		}
		if outer[0] != outer[1] {
			t.Errorf("%s: the outer GROUP BY is %s fused, %s unfused", q, outer[0], outer[1])
		}
	}
}

// TestJoinAggNotShared: a join (or the Calc over it) that sub-plan reuse
// (planner/share.go) shares between two GROUP BYs is not fused with
// either, and EXPLAIN says so: across a statement set and within one
// query. Alone, each GROUP BY is fused.
func TestJoinAggNotShared(t *testing.T) {
	dir := "../internal/sql/testdata/join_agg_fused"
	ddl := `CREATE TABLE items (id BIGINT, kind INT, lo BIGINT, hi BIGINT, name STRING) WITH ('connector' = 'values', 'unique-key' = 'id');
CREATE TABLE sales (item BIGINT, price BIGINT, note STRING) WITH ('connector' = 'values');
CREATE TABLE o1 (id BIGINT, p BIGINT, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'collect');
CREATE TABLE o2 (id BIGINT, p BIGINT, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'collect');
CREATE TABLE o3 (id BIGINT, hi BIGINT, lo BIGINT, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'collect');
`
	ins1 := "INSERT INTO o1 SELECT i.id, MAX(s.price) FROM items AS i JOIN sales AS s ON i.id = s.item GROUP BY i.id;\n"
	ins2 := "INSERT INTO o2 SELECT i.id, MIN(s.price) FROM items AS i JOIN sales AS s ON i.id = s.item GROUP BY i.id;\n"
	self := `INSERT INTO o3 SELECT a.id, a.p, b.p FROM
  (SELECT i.id, MAX(s.price) AS p FROM items AS i JOIN sales AS s ON i.id = s.item GROUP BY i.id) AS a JOIN
  (SELECT i.id, MIN(s.price) AS p FROM items AS i JOIN sales AS s ON i.id = s.item GROUP BY i.id) AS b ON a.id = b.id;
`
	for _, c := range []struct {
		name, stmts string
		fused       int
	}{
		{"alone", ins1, 1},
		{"statement set", "EXECUTE STATEMENT SET BEGIN\n" + ins1 + ins2 + "END;\n", 0},
		{"one query", self, 0},
	} {
		_, plan, _, err := runCase(t, dir, ddl+"EXPLAIN "+c.stmts, 1)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(plan, "fusedJoin=[true]"); n != c.fused {
			t.Errorf("%s: EXPLAIN has %d fused GROUP BYs, want %d:\n%s", c.name, n, c.fused, plan)
		}
		uids := jobUIDs(t, ddl+c.stmts)
		var fused, joins, aggs int
		for _, u := range uids {
			fused += strings.Count(u, "-join-agg")
			if strings.HasSuffix(u, "-join") {
				joins++
			}
			if strings.HasSuffix(u, "-group-agg") {
				aggs++
			}
		}
		// Unfused: one join (shared, or the top join of the query too)
		// and two GROUP BYs.
		if fused != c.fused || (c.fused == 0 && aggs != 2) {
			t.Errorf("%s: %d fused operators (want %d), %d joins, %d GROUP BYs: %v", c.name, fused, c.fused, joins, aggs, uids)
		}
	}
}

// jobUIDs runs src over the inputs of the case join_agg_fused and returns
// the UIDs of its operators.
func jobUIDs(t *testing.T, src string) []string {
	t.Helper()
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Factories: []connector.TableFactory{valuesFactory{dir: filepath.Join("../internal/sql/testdata/join_agg_fused", "input"), col: col}, col}})
	job, _, err := s.Submit(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, v := range job.View() {
		for _, o := range v.Operators {
			uids = append(uids, o.UID)
		}
	}
	return uids
}
