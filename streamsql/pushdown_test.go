package streamsql_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/sql/planner"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestJoinFilterPushDownSameRows runs the golden cases of filter push-down
// through joins with push-down and without it
// ('strom.optimizer.join-filter-push-down' = 'false', the plans of the
// binaries before it): the same final rows, from plans that differ.
func TestJoinFilterPushDownSameRows(t *testing.T) {
	for _, name := range []string{"join_filter_pushdown", "join_filter_pushdown_time", "join_filter_pushdown_fixes"} {
		t.Run(name, func(t *testing.T) {
			dir := "../internal/sql/testdata/" + name
			src, err := readCase(dir + "/query.sql")
			if err != nil {
				t.Fatal(err)
			}
			off := "SET '" + planner.FilterPushDownOption + "' = 'false';\n"
			var finals, plans [2]string
			for i, pre := range []string{"", off} {
				rows, _, _, err := runCase(t, dir, pre+src, 1)
				if err != nil {
					t.Fatal(err)
				}
				finals[i] = applyChangelog(t, rows)
				// The plans: EXPLAIN of the statement set.
				i0 := strings.Index(src, "EXECUTE STATEMENT SET")
				if i0 < 0 {
					t.Fatal("no statement set")
				}
				_, text, _, err := runCase(t, dir, pre+src[:i0]+"EXPLAIN "+src[i0:], 1)
				if err != nil {
					t.Fatal(err)
				}
				plans[i] = text
			}
			if finals[0] == "" || finals[0] != finals[1] {
				t.Errorf("with push-down:\n%s\nwithout:\n%s", finals[0], finals[1])
			}
			if plans[0] == plans[1] {
				t.Errorf("the plans with and without push-down are the same:\n%s", plans[0])
			}
		})
	}
}

// TestJoinFilterPushDownRestoresOlderState restores a savepoint of plans
// without push-down ('strom.optimizer.join-filter-push-down' = 'false',
// the plans of the binaries before it) into plans with it. The joins'
// state then holds rows that the pushed filters drop before the joins now
// (a with x = 0); the copies of those conjuncts kept above the joins make
// their late partners give no row, and the copy of a.x <> 0 in front of
// the join's condition 10 / a.x + b.k > 1 keeps it from dividing by zero,
// so the result is the one of a run without push-down and without the
// restart.
func TestJoinFilterPushDownRestoresOlderState(t *testing.T) {
	dir := t.TempDir()
	aRows := []string{
		`{"id": 1, "k": 1, "x": 0}`,
		`{"id": 2, "k": 2, "x": 5}`,
	}
	bRows := []string{`{"k": 1, "t": "one"}`, `{"k": 2, "t": "two"}`}
	write := func(name string, lines []string) {
		data := ""
		if len(lines) > 0 {
			data = strings.Join(lines, "\n") + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, name+".jsonl"), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `
		CREATE TABLE a (id BIGINT, k BIGINT, x INT) WITH ('connector' = 'values');
		CREATE TABLE b (k BIGINT, t STRING) WITH ('connector' = 'values');
		CREATE TABLE inner_out (id BIGINT, t STRING) WITH ('connector' = 'collect');
		CREATE TABLE left_out (id BIGINT, t STRING) WITH ('connector' = 'collect');
		CREATE TABLE div_out (id BIGINT, t STRING) WITH ('connector' = 'collect');
		EXECUTE STATEMENT SET BEGIN
		INSERT INTO inner_out SELECT a.id, b.t FROM a JOIN b ON a.k = b.k WHERE a.x > 1;
		INSERT INTO left_out SELECT a.id, b.t FROM a LEFT JOIN b ON a.k = b.k WHERE a.x > 1;
		INSERT INTO div_out SELECT a.id, b.t FROM b JOIN a ON b.k = a.k WHERE a.x <> 0 AND 10 / a.x + b.k > 1;
		END;`
	off := "SET '" + planner.FilterPushDownOption + "' = 'false';\n"
	// final applies a changelog: the rows left, sorted.
	final := func(rows map[string][]table.Row) string {
		count := map[string]int{}
		for name, rs := range rows {
			for _, r := range rs {
				k := name + table.Row{Fields: r.Fields}.String()[2:]
				if r.Kind.IsRetract() {
					count[k]--
				} else {
					count[k]++
				}
			}
		}
		var out []string
		for k, n := range count {
			if n != 0 {
				out = append(out, fmt.Sprintf("%s x%d", k, n))
			}
		}
		sort.Strings(out)
		return strings.Join(out, "\n")
	}
	// has reports whether table name has received row (as Row.String).
	has := func(col *collectFactory, name, row string) bool {
		col.mu.Lock()
		defer col.mu.Unlock()
		return slices.ContainsFunc(col.rows[name], func(r table.Row) bool { return r.String() == row })
	}
	// run runs pre+script until done, then stops it with a savepoint into
	// sp (restoring from from, if set).
	run := func(pre string, col *collectFactory, done func() bool, from, sp string) {
		ck := &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck-"+sp), Interval: 20 * time.Millisecond}
		if from != "" {
			ck.FromSavepoint = filepath.Join(dir, from)
		}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Checkpoints: ck,
			Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		job, _, err := s.Submit(ctx, pre+script)
		if err != nil {
			t.Fatal(err)
		}
		ended := make(chan error, 1)
		go func() { ended <- job.Wait() }()
		for !done() {
			select {
			case <-ctx.Done():
				t.Fatalf("%s: not done: %v", sp, col.rows)
			case err := <-ended:
				t.Fatalf("%s: the job ended (%v): %v", sp, err, col.rows)
			case <-time.After(10 * time.Millisecond):
			}
		}
		if _, err := job.Savepoint(ctx, filepath.Join(dir, sp), true); err != nil {
			t.Fatal(err)
		}
		if err := <-ended; err != nil && !strings.Contains(err.Error(), "stopped") {
			t.Fatalf("wait: %v", err)
		}
	}
	newCol := func() *collectFactory {
		return &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	}
	// Without push-down and without a restart: the reference.
	write("a", aRows)
	write("b", bRows)
	ref := newCol()
	joined := func(col *collectFactory) func() bool {
		return func() bool {
			return has(col, "inner_out", "+I(2, 'two')") && has(col, "left_out", "+I(2, 'two')") && has(col, "div_out", "+I(2, 'two')")
		}
	}
	run(off, ref, joined(ref), "", "sp-ref")
	// Only a's rows before the savepoint (the padded row of 2 says the
	// join has them), b's after it, into plans with push-down.
	write("b", nil)
	got := newCol()
	run(off, got, func() bool { return has(got, "left_out", "+I(2, NULL)") }, "", "sp-old")
	write("b", bRows)
	run("", got, joined(got), "sp-old", "sp-new") // -D (2, NULL), +I (2, 'two')
	if final(got.rows) != final(ref.rows) || final(ref.rows) == "" {
		t.Errorf("restored into push-down:\n%s\nwant (no push-down, no restart):\n%s", final(got.rows), final(ref.rows))
	}
}

// TestQ3PrefilterWithPushedFilters: q3's Calcs over the shared nexmark scan
// have the conjuncts pushed through the join (state IN (...), not a simple
// predicate) next to event_type = k: the scan's pre-filter still drops the
// bids, from the simple conjuncts (before, any other conjunct made it pass
// every row), and runs each Calc only on the rows of its event type: the
// join after the Calcs (their side outputs) receives none of the bids.
func TestQ3PrefilterWithPushedFilters(t *testing.T) {
	src, err := os.ReadFile("../internal/nexmark/sql/ddl.sql")
	if err != nil {
		t.Fatal(err)
	}
	q3, err := os.ReadFile("../internal/nexmark/sql/q3.sql")
	if err != nil {
		t.Fatal(err)
	}
	script := strings.Replace(string(src), "'100000000'", "'5000'", 1) + "\n" + string(q3)
	sess := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Factories: []connector.TableFactory{nexgen.TableFactory(), builtin.BlackholeFactory()}})
	job, _, err := sess.Submit(context.Background(), script)
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	var in, out, joined int64
	for _, v := range job.View() {
		for _, o := range v.Operators {
			for _, s := range o.Subtasks {
				switch o.Name {
				case "scan-prefilter":
					in += s.RecordsIn
					out += s.RecordsOut
				case "join":
					joined += s.RecordsIn
				}
			}
		}
	}
	// Bids are 46 of every 50 events.
	if in < 5000 || joined == 0 || joined*4 > in {
		t.Errorf("pre-filter: %d rows in, the join %d: want the bids dropped", in, joined)
	}
	// The pre-filter emits only on side outputs (one per Calc): they
	// count as its records out, so the web UI shows the source vertex's
	// rate.
	if out == 0 || out*4 > in {
		t.Errorf("pre-filter: %d rows in, %d out: want its side outputs counted and the bids dropped", in, out)
	}
}

// TestJoinFilterPushDownKeepsSharedJoins: when sub-plan reuse merges a
// join under two WHEREs (of two INSERTs of a statement set, of a UNION
// ALL), push-down would make the joins differ and the job would have a join
// more, and other UIDs, than the plans a savepoint was taken with; those
// jobs are planned without push-down (the same UIDs and rows, and EXPLAIN
// shows it).
func TestJoinFilterPushDownKeepsSharedJoins(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte(`{"id": 1, "k": 1, "x": 0}`+"\n"+`{"id": 2, "k": 2, "x": 5}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.jsonl"), []byte(`{"k": 1, "t": "one"}`+"\n"+`{"k": 2, "t": "two"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ddl := `
		CREATE TABLE a (id BIGINT, k BIGINT, x INT) WITH ('connector' = 'values');
		CREATE TABLE b (k BIGINT, t STRING) WITH ('connector' = 'values');
		CREATE TABLE o1 (id BIGINT, t STRING) WITH ('connector' = 'collect');
		CREATE TABLE o2 (id BIGINT, t STRING) WITH ('connector' = 'collect');
`
	for _, q := range []string{
		`EXECUTE STATEMENT SET BEGIN
		INSERT INTO o1 SELECT a.id, b.t FROM a JOIN b ON a.k = b.k WHERE a.x > 1;
		INSERT INTO o2 SELECT a.id, b.t FROM a JOIN b ON a.k = b.k WHERE b.t <> 'two';
		END;`,
		`INSERT INTO o1 SELECT a.id, b.t FROM a JOIN b ON a.k = b.k WHERE a.x > 1
		UNION ALL SELECT a.id, b.t FROM a JOIN b ON a.k = b.k WHERE b.t <> 'two';`,
	} {
		type result struct{ uids, rows, plan string }
		run := func(pre string) result {
			col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
			s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}})
			ctx := context.Background()
			res, err := s.Exec(ctx, pre+ddl+"EXPLAIN "+q)
			if err != nil {
				t.Fatal(err)
			}
			job, _, err := s.Submit(ctx, q)
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
			sort.Strings(uids)
			var rows []string
			for n, rs := range col.rows {
				for _, r := range rs {
					rows = append(rows, n+r.String())
				}
			}
			sort.Strings(rows)
			return result{strings.Join(uids, " "), strings.Join(rows, " "), strings.ReplaceAll(res.Text, "OK\n", "")}
		}
		on, off := run(""), run("SET '"+planner.FilterPushDownOption+"' = 'false';\n")
		if on.uids != off.uids || on.rows != off.rows || on.rows == "" {
			t.Errorf("%s\nwith push-down: %s\n%s\nwithout: %s\n%s", q, on.uids, on.rows, off.uids, off.rows)
		}
		if on.plan != off.plan {
			t.Errorf("%s\nEXPLAIN with push-down:\n%s\nwithout:\n%s", q, on.plan, off.plan)
		}
	}
}

// TestJoinFilterPushDownRandom runs random WHEREs and ON conditions over
// the inputs of the golden join_filter_pushdown (NULL keys and values),
// for every join kind, with push-down and without it: the same final rows.
func TestJoinFilterPushDownRandom(t *testing.T) {
	dir := "../internal/sql/testdata/join_filter_pushdown"
	ddl := `CREATE TABLE a (id BIGINT, k BIGINT, x INT, s STRING) WITH ('connector' = 'values');
CREATE TABLE b (k BIGINT, y INT, t STRING) WITH ('connector' = 'values');
CREATE TABLE o (id BIGINT, k BIGINT, y INT, t STRING) WITH ('connector' = 'collect');
`
	pool := []string{
		"a.x > 1", "a.s <> 'p'", "a.k > 1", "a.x IS NULL", "a.k IS NOT NULL", "a.k <> 3",
		"b.y < 5", "b.t IS NULL", "b.k <> 2", "b.y IS NOT NULL", "b.k < 3",
		"a.x + b.y > 2", "COALESCE(b.t, 'n') <> COALESCE(a.s, 'm')", "a.x IS NULL OR b.y IS NULL", "b.k + 1 > a.x",
		// Over one side's keys, TRUE on NULL keys: not copied from a
		// null-generating side to the other one (FLINK-31273).
		"b.k IS NULL", "COALESCE(b.k, 0) < 2", "a.k IS NULL", "COALESCE(a.k, 0) <> 2",
	}
	rng := rand.New(rand.NewPCG(11, 5))
	pick := func() string {
		var cs []string
		for range rng.IntN(4) {
			cs = append(cs, "("+pool[rng.IntN(len(pool))]+")")
		}
		return strings.Join(cs, " AND ")
	}
	for i := range 160 {
		kind := []string{"JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"}[i%4]
		on := "a.k = b.k"
		if c := pick(); c != "" {
			on += " AND " + c
		}
		q := fmt.Sprintf("INSERT INTO o SELECT a.id, b.k, b.y, b.t FROM a %s b ON %s", kind, on)
		if c := pick(); c != "" {
			q += " WHERE " + c
		}
		q += ";\n"
		var finals [2]string
		for j, pre := range []string{"", "SET '" + planner.FilterPushDownOption + "' = 'false';\n"} {
			rows, _, _, err := runCase(t, dir, pre+ddl+q, 1)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			finals[j] = applyChangelog(t, rows)
		}
		if finals[0] != finals[1] {
			t.Errorf("%s\nwith push-down:\n%s\nwithout:\n%s", q, finals[0], finals[1])
		}
	}
}

// TestJoinFilterPushDownUserDefined: a conjunct that calls a user-defined
// function (Session.RegisterScalar) does not move (nothing says it is
// deterministic, and a pushed conjunct is also evaluated where it was):
// the function is called as often with push-down as without it (where
// that number does not depend on the order of the inputs' rows), for the
// same rows.
func TestJoinFilterPushDownUserDefined(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"a": `{"id": 1, "k": 1, "v": 1}` + "\n" + `{"id": 2, "k": 1, "v": 5}` + "\n" + `{"id": 3, "k": 2, "v": 0}` + "\n" + `{"id": 4, "k": 3, "v": 2}` + "\n",
		"b": `{"id": 10, "k": 1, "v": 3}` + "\n" + `{"id": 20, "k": 2, "v": 1}` + "\n" + `{"id": 30, "k": 4, "v": 1}` + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name+".jsonl"), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ddl := `
		CREATE TABLE a (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values');
		CREATE TABLE b (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values');
		CREATE TABLE o (l BIGINT, r BIGINT) WITH ('connector' = 'collect');
`
	for _, q := range []string{
		`INSERT INTO o SELECT a.id, b.id FROM a JOIN b ON a.k = b.k WHERE tick(a.v) > 0`,
		`INSERT INTO o SELECT a.id, b.id FROM a JOIN b ON a.k = b.k WHERE tick(b.k) > 1`,
		`INSERT INTO o SELECT a.id, b.id FROM a JOIN b ON a.k = b.k WHERE tick(a.v) > 0 AND a.v + b.v > 1`,
		`INSERT INTO o SELECT a.id, b.id FROM a LEFT JOIN b ON a.k = b.k AND tick(b.v) > 0`,
	} {
		run := func(pre string) (calls int64, rows string) {
			col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
			s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}})
			var n atomic.Int64
			s.RegisterScalar("tick", table.BigIntType(), []table.Type{table.BigIntType()}, func(a []table.Value) (table.Value, error) {
				n.Add(1)
				return a[0], nil
			})
			job, _, err := s.Submit(context.Background(), pre+ddl+q+";")
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if err := job.Wait(); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			// The final rows (the order of a LEFT join's changelog
			// depends on which input comes first).
			count := map[string]int{}
			for _, r := range col.rows["o"] {
				k := table.Row{Fields: r.Fields}.String()
				if r.Kind.IsRetract() {
					count[k]--
				} else {
					count[k]++
				}
			}
			var rs []string
			for k, c := range count {
				if c != 0 {
					rs = append(rs, fmt.Sprintf("%s x%d", k, c))
				}
			}
			sort.Strings(rs)
			return n.Load(), strings.Join(rs, " ")
		}
		onCalls, onRows := run("")
		offCalls, offRows := run("SET '" + planner.FilterPushDownOption + "' = 'false';\n")
		if onCalls != offCalls || onRows != offRows || onRows == "" {
			t.Errorf("%s\nwith push-down: %d calls, %s\nwithout: %d calls, %s", q, onCalls, onRows, offCalls, offRows)
		}
	}
}
