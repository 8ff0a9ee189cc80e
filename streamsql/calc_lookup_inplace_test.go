package streamsql_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	fileconn "github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/streamsql"
)

// TestCalcOverLookupJoinInPlace: the Calc after a processing-time lookup
// join writes its output into the join's rows (freshRows), also when the
// join emits several matches of one probe row from its reused array, or a
// LEFT join's NULL-padded row; the rows are those of the same Calc over a
// shared join (wider than the join's rows: the Calc builds its own),
// on random rows with NULLs. The same rows when the join's PROCTIME()
// column is read (the clock) or not (a constant, unreadProctime).
func TestCalcOverLookupJoinInPlace(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	dir := t.TempDir()
	var side strings.Builder
	for k := 0; k < 12; k++ {
		for n := rng.Intn(3); n >= 0; n-- { // up to three rows per key
			fmt.Fprintf(&side, "%d,v%d_%d\n", k, k, n)
		}
	}
	sideFile := filepath.Join(dir, "side.csv")
	if err := os.WriteFile(sideFile, []byte(side.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var data strings.Builder
	for i := 0; i < 300; i++ {
		k, s := "null", "null"
		if rng.Intn(8) != 0 {
			k = fmt.Sprint(rng.Intn(16))
		}
		if rng.Intn(6) != 0 {
			s = fmt.Sprintf(`"s%d"`, rng.Intn(9))
		}
		fmt.Fprintf(&data, `{"id":%d,"k":%s,"s":%s}`+"\n", i, k, s)
	}
	for _, kind := range []string{"JOIN", "LEFT JOIN"} {
		ddl := `CREATE TABLE t (id BIGINT, k BIGINT, s VARCHAR) WITH ('connector' = 'values');
CREATE TABLE side_input (key BIGINT, ` + "`value`" + ` VARCHAR) WITH ('connector' = 'filesystem', 'path' = 'file://` + sideFile + `', 'format' = 'csv');
CREATE TABLE p (v VARCHAR, id BIGINT, x BIGINT, c VARCHAR) WITH ('connector' = 'print');
CREATE TABLE w (v VARCHAR, id BIGINT, x BIGINT, c VARCHAR, a BIGINT, b BIGINT, d BIGINT, e BIGINT) WITH ('connector' = 'print');
CREATE VIEW j AS SELECT B.id, B.k, B.s, S.` + "`value`" + ` AS v FROM (SELECT *, PROCTIME() AS p_time FROM t) B
  ` + kind + ` side_input FOR SYSTEM_TIME AS OF B.p_time AS S ON B.k = S.key;
`
		cols := "UPPER(v), id, k * 2, CONCAT(s, '-', v)"
		sel := "SELECT " + cols + " FROM j"
		run := func(script string) []string {
			var printed strings.Builder
			s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{
				valuesFactory{dir: writeValues(t, data.String())}, builtin.PrintFactory(&printed),
				builtin.BlackholeFactory(), fileconn.FilesystemTableFactory()}})
			job, _, err := s.Submit(context.Background(), script)
			if err != nil {
				t.Fatalf("%s: %v", script, err)
			}
			if err := job.Wait(); err != nil {
				t.Fatal(err)
			}
			rows := strings.Split(strings.TrimSpace(printed.String()), "\n")
			slices.Sort(rows)
			return rows
		}
		got := run(ddl + "INSERT INTO p " + sel)
		// The PROCTIME() column read (an always TRUE filter on it): the
		// clock is read per row, not replaced by a constant
		// (unreadProctime); the rows are the same.
		read := run(strings.Replace(ddl, "ON B.k = S.key", "ON B.k = S.key WHERE B.p_time IS NOT NULL", 1) + "INSERT INTO p " + sel)
		if !slices.Equal(got, read) {
			t.Errorf("%s: rows differ when p_time is read:\n%s\nwant\n%s", kind, strings.Join(got, "\n"), strings.Join(read, "\n"))
		}
		// Wider than the join's row (6 fields): the Calc cannot write in
		// place and builds its own rows.
		wide := run(ddl + "INSERT INTO w SELECT " + cols + ", id, id, id, id FROM j")
		var want []string
		for _, r := range wide {
			f := strings.Split(strings.TrimSuffix(r, "]"), ", ")
			want = append(want, strings.Join(f[:max(len(f)-4, 0)], ", ")+"]")
		}
		slices.Sort(want)
		if len(got) < 200 {
			t.Fatalf("%s: only %d rows", kind, len(got))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: rows differ from the copying Calc's:\n%s\nwant\n%s", kind, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
