package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

const joinRankDDL = `CREATE TABLE items (id BIGINT, kind INT, lo BIGINT, hi BIGINT, name STRING) WITH ('connector' = 'values', 'unique-key' = 'id');
CREATE TABLE sales (item BIGINT, price BIGINT, note STRING) WITH ('connector' = 'values');
CREATE TABLE t1 (id BIGINT, p BIGINT) WITH ('connector' = 'collect');
CREATE TABLE out1 (p BIGINT, c BIGINT, PRIMARY KEY (p) NOT ENFORCED) WITH ('connector' = 'collect');
CREATE TABLE out2 (k BIGINT, c BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'collect');
`

// uidNum is the number of a UID sql-<n>-<kind> (-1 for another).
func uidNum(u string) int {
	p := strings.Split(u, "-")
	if len(p) < 3 || p[0] != "sql" {
		return -1
	}
	n, err := strconv.Atoi(p[1])
	if err != nil {
		return -1
	}
	return n
}

// TestJoinRankKeepsLaterUIDs: the fused join Top-N (planner/joinrank.go)
// takes the UID number of the Top-N it replaces (those of the join and
// of the Calc, when the Calc made an operator, are skipped), so every
// operator after it, in its query and in later INSERTs of a statement
// set, keeps the UID of the unfused plan (the same query with the unique
// key not stated): a Calc that is an operator, one that is the identity
// of the narrowed join, filters that fold to TRUE (simplified before the
// Calc is known to make no operator).
func TestJoinRankKeepsLaterUIDs(t *testing.T) {
	rank := func(sel, where, order string) string {
		return "SELECT " + sel + " FROM (SELECT i.id, s.item, s.price, ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY " + order + ") AS rn FROM items AS i JOIN sales AS s ON i.id = s.item" + where + ") WHERE rn <= 1"
	}
	later := "INSERT INTO out2 SELECT item, COUNT(*) FROM sales GROUP BY item;\n"
	var qs []string
	for _, where := range []string{"", " WHERE 1 = 1", " WHERE TRUE", " WHERE s.price > 0"} {
		for _, order := range []string{"s.price DESC", "s.item"} {
			col := "price"
			if order == "s.item" {
				col = "item" // the Calc: (id, item), the narrowed join's columns
			}
			r := rank("id, "+col, where, order)
			agg := "INSERT INTO out1 SELECT " + col + ", COUNT(*) FROM (" + r + ") GROUP BY " + col + ";\n"
			qs = append(qs, agg, "EXECUTE STATEMENT SET BEGIN\n"+agg+later+"END;\n",
				"EXECUTE STATEMENT SET BEGIN\nINSERT INTO t1 "+strings.Replace(r, "SELECT id, "+col+" FROM", "SELECT id, "+col+" AS p FROM", 1)+";\n"+later+"END;\n")
		}
	}
	for _, q := range qs {
		var uids [2][]string
		var at [2]int // the fused operator's number; the unfused Top-N's
		for k, ddl := range []string{joinRankDDL, strings.Replace(joinRankDDL, ", 'unique-key' = 'id'", "", 1)} {
			_, plan, _, err := runCase(t, "../internal/sql/testdata/join_agg_fused", ddl+"EXPLAIN "+q, 1)
			if err != nil {
				t.Fatal(err)
			}
			if fused := strings.Contains(plan, "JoinRank("); fused != (k == 0) {
				t.Fatalf("%s: fused %v, want %v:\n%s", q, fused, k == 0, plan)
			}
			uids[k] = jobUIDs(t, ddl+q)
			at[k] = -1
			for _, u := range uids[k] {
				if strings.HasSuffix(u, "-join-rank") || strings.HasSuffix(u, "-rank") && k == 1 {
					at[k] = uidNum(u)
				}
			}
		}
		if at[0] < 0 || at[0] != at[1] {
			t.Errorf("%s: the fused operator is number %d, the unfused Top-N %d: %v vs %v", q, at[0], at[1], uids[0], uids[1])
			continue
		}
		after := func(us []string) []string {
			var out []string
			for _, u := range us {
				if n := uidNum(u); n > at[0] || n < 0 {
					out = append(out, u)
				}
			}
			slices.Sort(out)
			return out
		}
		if a, b := after(uids[0]), after(uids[1]); !slices.Equal(a, b) {
			t.Errorf("%s: the operators after the Top-N: fused %v, unfused %v", q, a, b)
		}
	}
}

// TestJoinRankNotShared: a join that sub-plan reuse (planner/share.go)
// shares between the Top-N over it and another consumer is not fused,
// in the job (one join, the sources' UIDs of the unfused plan) and in
// EXPLAIN: across a statement set and within one query. Alone, each is
// fused.
func TestJoinRankNotShared(t *testing.T) {
	dir := "../internal/sql/testdata/join_agg_fused"
	ddl := joinRankDDL + `CREATE TABLE o2 (id BIGINT, p BIGINT) WITH ('connector' = 'collect');
CREATE TABLE o3 (id BIGINT, p BIGINT, q BIGINT) WITH ('connector' = 'collect');
`
	top := "SELECT id, price FROM (SELECT i.id, s.price, ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY s.price DESC) AS rn FROM items AS i JOIN sales AS s ON i.id = s.item) WHERE rn <= 1"
	ins1 := "INSERT INTO t1 " + top + ";\n"
	ins2 := "INSERT INTO o2 SELECT i.id, s.price FROM items AS i JOIN sales AS s ON i.id = s.item;\n"
	self := "INSERT INTO o3 SELECT a.id, a.price, b.price FROM (" + top + ") AS a JOIN (SELECT i.id, s.price FROM items AS i JOIN sales AS s ON i.id = s.item) AS b ON a.id = b.id;\n"
	for _, c := range []struct {
		name, stmts string
		fused       int
	}{
		{"alone", ins1, 1},
		{"other alone", ins2, 0},
		{"statement set", "EXECUTE STATEMENT SET BEGIN\n" + ins1 + ins2 + "END;\n", 0},
		{"one query", self, 0},
	} {
		_, plan, _, err := runCase(t, dir, ddl+"EXPLAIN "+c.stmts, 1)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(plan, "JoinRank("); n != c.fused {
			t.Errorf("%s: EXPLAIN has %d JoinRanks, want %d:\n%s", c.name, n, c.fused, plan)
		}
		uids := jobUIDs(t, ddl+c.stmts)
		var fused, joins int
		for _, u := range uids {
			fused += strings.Count(u, "-join-rank")
			if strings.HasSuffix(u, "-join") {
				joins++
			}
		}
		if fused != c.fused || (c.fused == 0 && c.name != "one query" && joins != 1) {
			t.Errorf("%s: %d fused operators (want %d), %d joins: %v", c.name, fused, c.fused, joins, uids)
		}
		// The sources keep their UIDs: those of the unfused plan.
		unfused := jobUIDs(t, strings.Replace(ddl, ", 'unique-key' = 'id'", "", 1)+c.stmts)
		scans := func(us []string) []string {
			var out []string
			for _, u := range us {
				if strings.Contains(u, "-scan-") {
					out = append(out, u)
				}
			}
			slices.Sort(out)
			return out
		}
		if a, b := scans(uids), scans(unfused); !slices.Equal(a, b) {
			t.Errorf("%s: scans %v, unfused %v", c.name, a, b)
		}
		if c.fused == 0 && !slices.Equal(slices.Sorted(slices.Values(uids)), slices.Sorted(slices.Values(unfused))) {
			t.Errorf("%s: not fused, UIDs %v, want the unfused plan's %v", c.name, uids, unfused)
		}
	}
}

// TestJoinRankSavepointNotMisread: a savepoint of the unfused plan (the
// unique key not stated) restored into the fused one with
// AllowNonRestoredState: the operators after the fused one keep their
// UIDs, so a later INSERT's GROUP BY reads its own state, not that of
// the GROUP BY over the Top-N (before the fix, the fused plan's numbers
// moved down by 2: out2's GROUP BY took out1's UID and its counts).
func TestJoinRankSavepointNotMisread(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, lines ...string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ddl := `CREATE TABLE items (id BIGINT, name STRING) WITH ('connector' = 'values', 'unique-key' = 'id');
CREATE TABLE sales (item BIGINT, price BIGINT) WITH ('connector' = 'values');
CREATE TABLE out1 (p BIGINT, c BIGINT, PRIMARY KEY (p) NOT ENFORCED) WITH ('connector' = 'collect');
CREATE TABLE out2 (k BIGINT, c BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'collect');
`
	q := `EXECUTE STATEMENT SET BEGIN
INSERT INTO out1 SELECT price, COUNT(*) FROM (SELECT id, price FROM (SELECT i.id, s.price, ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY s.price DESC) AS rn FROM items i JOIN sales s ON i.id = s.item) WHERE rn <= 1) GROUP BY price;
INSERT INTO out2 SELECT item, COUNT(*) FROM sales GROUP BY item;
END;`
	run := func(script string, ck *stream.CheckpointOptions, want map[string]int, sp string) map[string][]table.Row {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Checkpoints: ck,
			Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		job, _, err := s.Submit(ctx, script)
		if err != nil {
			t.Fatal(err)
		}
		stopAtRows(t, ctx, job, col, want, filepath.Join(dir, sp))
		col.mu.Lock()
		defer col.mu.Unlock()
		return col.rows
	}
	write("items.jsonl", `{"id":1,"name":"a"}`)
	write("sales.jsonl", `{"item":1,"price":7}`)
	old := strings.Replace(ddl, ", 'unique-key' = 'id'", "", 1) // unfused
	run(old+q, &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: 20 * time.Millisecond}, map[string]int{"out1": 1, "out2": 1}, "sp")
	// A sale of item 7, never seen before: out2's count of 7 is 1.
	write("sales.jsonl", `{"item":1,"price":7}`, `{"item":7,"price":1}`)
	got := run(ddl+q, &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: 20 * time.Millisecond,
		FromSavepoint: filepath.Join(dir, "sp"), AllowNonRestoredState: true, Logf: t.Logf}, map[string]int{"out2": 1}, "sp2")
	var out2 []string
	for _, r := range got["out2"] {
		out2 = append(out2, r.String())
	}
	if s := strings.Join(out2, " "); s != "+I(7, 1)" {
		t.Errorf("out2 after the restore: %s, want +I(7, 1)", s)
	}
}

// TestJoinRankExplainStateTTL: EXPLAIN and the job decide the fusion
// alike with the state TTL the job runs with (a TTL SET before the
// EXPLAIN: neither fuses), and a JoinRank in EXPLAIN says that a TTL SET
// after it, later in the same submitted script, runs the join unfused
// (the job is translated with the options at the script's end).
func TestJoinRankExplainStateTTL(t *testing.T) {
	ins := "INSERT INTO t1 SELECT id, price FROM (SELECT i.id, s.price, ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY s.price DESC) AS rn FROM items AS i JOIN sales AS s ON i.id = s.item) WHERE rn <= 1;\n"
	ttl := "SET 'table.exec.state.ttl' = '1 h';\n"
	for _, c := range []struct {
		name, script string
		explained    bool // EXPLAIN says JoinRank
	}{
		{"no ttl", "EXPLAIN " + ins + ins, true},
		{"ttl before", ttl + "EXPLAIN " + ins + ins, false},
		{"ttl after", "EXPLAIN " + ins + ins + ttl, true},
	} {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
			Factories: []connector.TableFactory{valuesFactory{dir: filepath.Join("../internal/sql/testdata/join_agg_fused", "input"), col: col}, col}})
		job, res, err := s.Submit(context.Background(), joinRankDDL+c.script)
		if err != nil {
			t.Fatal(err)
		}
		if err := job.Wait(); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(res.Text, "JoinRank("); got != c.explained {
			t.Errorf("%s: EXPLAIN says JoinRank %v, want %v:\n%s", c.name, got, c.explained, res.Text)
		}
		if c.explained && !strings.Contains(res.Text, "stateTtlUnfuses=[true]") {
			t.Errorf("%s: EXPLAIN does not say a state TTL unfuses it:\n%s", c.name, res.Text)
		}
		fused := false
		for _, v := range job.View() {
			for _, o := range v.Operators {
				fused = fused || strings.HasSuffix(o.UID, "-join-rank")
			}
		}
		if want := c.name == "no ttl"; fused != want {
			t.Errorf("%s: the job fused %v, want %v", c.name, fused, want)
		}
	}
}
