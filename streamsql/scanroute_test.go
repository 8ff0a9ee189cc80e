package streamsql_test

import (
	"context"
	"fmt"
	"github.com/stromio/strom/stream"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/datagen"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestSharedScanCalcsMatchSeparateJobs: the INSERTs of a STATEMENT SET
// that read one datagen table share its scan: one projected source, whose
// pre-filter runs each Calc on the rows that the Calc's simple predicates
// keep and sends its rows on a side output of its own (scanshare.go).
// Each sink must get what the same INSERT writes alone in a job of its
// own (its own source, no pre-filter): Calcs with disjoint, overlapping,
// empty and always-true filters, one with no filter, filters that are not
// simple predicates (LIKE over a computed value, an OR), NULLs in every
// column (BIGINT, INT, STRING, DOUBLE, BOOLEAN, a nested ROW), random
// constants per seed, at parallelism 1 and 2. The datagen readers reuse
// their rows (the pre-filter keeps and emits none) and the 'collect'
// sinks keep what they are given, so a row handed on and then rebuilt
// would show.
func TestSharedScanCalcsMatchSeparateJobs(t *testing.T) {
	ddl := func(seed int) string {
		return fmt.Sprintf(`CREATE TABLE gen (k INT, a BIGINT, s STRING, d DOUBLE, b BOOLEAN, r ROW<x INT, y STRING>)
WITH ('connector' = 'datagen', 'number-of-rows' = '2000', 'rows-per-second' = '100000000', 'seed' = '%d',
  'fields.k.min' = '0', 'fields.k.max' = '3', 'fields.k.null-rate' = '0.15',
  'fields.a.min' = '-20', 'fields.a.max' = '80', 'fields.a.null-rate' = '0.15',
  'fields.s.length' = '3', 'fields.s.null-rate' = '0.15',
  'fields.d.min' = '-5', 'fields.d.max' = '5', 'fields.d.null-rate' = '0.15',
  'fields.b.null-rate' = '0.15',
  'fields.r.x.min' = '0', 'fields.r.x.max' = '9', 'fields.r.x.null-rate' = '0.2', 'fields.r.y.length' = '2');
`, seed)
	}
	for seed := range 4 {
		rng := rand.New(rand.NewPCG(uint64(seed), 5))
		c := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
		selects := []string{
			fmt.Sprintf("SELECT a, s FROM gen WHERE k = %d", c(0, 3)),                           // disjoint with the next
			fmt.Sprintf("SELECT k, a, d FROM gen WHERE k = %d AND a > %d", c(0, 3), c(-20, 60)), // overlapping
			fmt.Sprintf("SELECT a FROM gen WHERE a > %d", c(-20, 60)),
			fmt.Sprintf("SELECT s, a, b FROM gen WHERE a > %d AND b", c(-20, 60)),
			"SELECT k FROM gen WHERE k = 9", // empty
			"SELECT s, d, r.y FROM gen WHERE UPPER(s) LIKE '%A%'",
			"SELECT d, s, a, k, r.x FROM gen", // no filter: every row
			fmt.Sprintf("SELECT k, d FROM gen WHERE s IS NULL AND d < %d", c(-5, 5)),
			fmt.Sprintf("SELECT r.x, b, k FROM gen WHERE k = %d OR a < %d", c(0, 3), c(-20, 20)),
			"SELECT a, b FROM gen WHERE k IS NOT NULL AND r.x IS NULL",
			"SELECT s FROM gen WHERE a = a OR a IS NULL", // every row, not simply
		}
		rng.Shuffle(len(selects), func(i, j int) { selects[i], selects[j] = selects[j], selects[i] })
		selects = selects[:4+rng.IntN(len(selects)-3)]
		sinks := ""
		for i, q := range selects {
			sinks += fmt.Sprintf("CREATE TABLE o%d (%s) WITH ('connector' = 'collect');\n", i, sinkCols(q))
		}
		for par := 1; par <= 2; par++ {
			// Alone: each INSERT in a job of its own.
			want := make([][]string, len(selects))
			for i, q := range selects {
				col, _ := runCollect(t, par, ddl(seed)+sinks+fmt.Sprintf("INSERT INTO o%d %s;", i, q))
				want[i] = rowStrings(col.rows[fmt.Sprintf("o%d", i)])
			}
			// Together: one STATEMENT SET, one shared scan.
			set := "EXECUTE STATEMENT SET BEGIN\n"
			for i, q := range selects {
				set += fmt.Sprintf("INSERT INTO o%d %s;\n", i, q)
			}
			col, uids := runCollect(t, par, ddl(seed)+sinks+set+"END;")
			if !slices.Contains(uids, "sql-1-prefilter") {
				t.Fatalf("seed %d: no pre-filter in the statement set's plan (UIDs %v)", seed, uids)
			}
			for i, q := range selects {
				if got := rowStrings(col.rows[fmt.Sprintf("o%d", i)]); !slices.Equal(got, want[i]) {
					t.Errorf("seed %d, parallelism %d, %s: %d rows, alone %d", seed, par, q, len(got), len(want[i]))
				}
			}
		}
	}
}

// sinkCols is a column list for the sink of q, by its SELECT list.
func sinkCols(q string) string {
	list := strings.TrimPrefix(q[:strings.Index(q, " FROM ")], "SELECT ")
	var cols []string
	for i, c := range strings.Split(list, ", ") {
		typ := map[string]string{"k": "INT", "a": "BIGINT", "s": "STRING", "d": "DOUBLE", "b": "BOOLEAN", "r.x": "INT", "r.y": "STRING"}[c]
		cols = append(cols, fmt.Sprintf("c%d %s", i, typ))
	}
	return strings.Join(cols, ", ")
}

func runCollect(t *testing.T, par int, script string) (*collectFactory, []string) {
	t.Helper()
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: par,
		Factories: []connector.TableFactory{datagen.TableFactory(), col}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job, _, err := s.Submit(ctx, script)
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
	return col, uids
}

func rowStrings(rows []table.Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.String())
	}
	slices.Sort(out)
	return out
}

// TestSharedScanCalcsAcrossSavepoint: a STATEMENT SET over one shared
// datagen scan (the pre-filter runs the Calcs, their rows on side outputs,
// which carry the barriers like any output) stopped with a savepoint
// halfway and restored from it: at parallelism 1 each sink gets its rows in
// the source's order, so the first run's must be a prefix of an
// uninterrupted run's and the restored run's the rest from the
// savepoint's position, a suffix, together all of them ('collect' is no
// transactional sink: rows written after the savepoint's barrier, before
// the job stopped, come again after the restore).
func TestSharedScanCalcsAcrossSavepoint(t *testing.T) {
	dir := t.TempDir()
	ddl := `CREATE TABLE gen (k INT, a BIGINT, s STRING)
WITH ('connector' = 'datagen', 'number-of-rows' = '3000', 'rows-per-second' = '4000', 'seed' = '11',
  'fields.k.min' = '0', 'fields.k.max' = '3', 'fields.k.null-rate' = '0.1',
  'fields.a.min' = '0', 'fields.a.max' = '99', 'fields.s.length' = '4', 'fields.s.null-rate' = '0.1');
CREATE TABLE o0 (a BIGINT, s STRING) WITH ('connector' = 'collect');
CREATE TABLE o1 (k INT, a BIGINT) WITH ('connector' = 'collect');
CREATE TABLE o2 (s STRING) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO o0 SELECT a, s FROM gen WHERE k = 0;
INSERT INTO o1 SELECT k, a FROM gen WHERE k = 1 OR a > 80;
INSERT INTO o2 SELECT s FROM gen;
END;`
	want, _ := runCollect(t, 1, ddl)
	run := func(ck *stream.CheckpointOptions, stopAt int) *collectFactory {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Checkpoints: ck,
			Factories: []connector.TableFactory{datagen.TableFactory(), col}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		job, _, err := s.Submit(ctx, ddl)
		if err != nil {
			t.Fatal(err)
		}
		if stopAt > 0 {
			stopAtRows(t, ctx, job, col, map[string]int{"o2": stopAt}, filepath.Join(dir, "sp"))
		} else if err := job.Wait(); err != nil {
			t.Fatal(err)
		}
		return col
	}
	first := run(&stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: time.Hour}, 1000)
	second := run(&stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: time.Hour, FromSavepoint: filepath.Join(dir, "sp")}, 0)
	ordered := func(rows []table.Row) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r.String())
		}
		return out
	}
	for _, name := range []string{"o0", "o1", "o2"} {
		w, a, b := ordered(want.rows[name]), ordered(first.rows[name]), ordered(second.rows[name])
		// Not exactly once, so not len(a)+len(b) == len(w): 'collect'
		// writes each row at once, and the job stops some rows after
		// the savepoint's barrier (about 20 of o2's 3000 were written
		// twice, scanfix). What the check allows is only that: no row
		// lost, and the rows written twice are the last of the first
		// run and the first of the restored one (prefix and suffix).
		if len(a) > len(w) || len(b) > len(w) || len(a)+len(b) < len(w) ||
			!slices.Equal(a, w[:len(a)]) || !slices.Equal(b, w[len(w)-len(b):]) {
			t.Errorf("%s: %d rows before the savepoint and %d after: not a prefix and a suffix of the %d of one run", name, len(a), len(b), len(w))
		}
	}
	if n := len(first.rows["o2"]); n >= 3000 {
		t.Errorf("the savepoint came after every row (%d)", n)
	}
}
