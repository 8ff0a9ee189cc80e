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
	"time"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	"github.com/stromio/strom/streamsql"
)

// TestCalcFusesComputedColumnReadTwice: a Calc that reads a computed
// column (a CASE over a tag, as the nexmark table's dateTime) more than
// once fuses with the Calc computing it when a `tag = literal` conjunct
// evaluated before those reads picks one branch (Nexmark q10 and q14), and
// the rows are those of the unfused plan (the same filter as `k + 0 = 1`,
// which is no such fact), on random rows with NULLs in every column. Reads
// before the fact (the last case) do not fuse.
func TestCalcFusesComputedColumnReadTwice(t *testing.T) {
	ddl := `CREATE TABLE t (k INT, a TIMESTAMP(3), b TIMESTAMP(3), x BIGINT, s VARCHAR,
  ts AS CASE WHEN k = 0 THEN a WHEN k = 1 THEN b ELSE CAST(NULL AS TIMESTAMP(3)) END) WITH ('connector' = 'values');
CREATE TABLE p (x BIGINT, h BIGINT, ts TIMESTAMP(3), d VARCHAR, s VARCHAR, m VARCHAR) WITH ('connector' = 'print');
`
	rng := rand.New(rand.NewSource(7))
	var data strings.Builder
	for i := 0; i < 400; i++ {
		k := []string{"null", "0", "1", "2"}[rng.Intn(4)]
		ts := func() string {
			if rng.Intn(6) == 0 {
				return "null"
			}
			return fmt.Sprintf(`"2024-01-%02d %02d:%02d:%02d.%03d"`, 1+rng.Intn(28), rng.Intn(24), rng.Intn(60), rng.Intn(60), rng.Intn(1000))
		}
		x := "null"
		if rng.Intn(8) != 0 {
			x = fmt.Sprint(rng.Int63n(2000) - 1000)
		}
		s := "null"
		if rng.Intn(8) != 0 {
			s = fmt.Sprintf(`"s%dc"`, rng.Intn(50))
		}
		fmt.Fprintf(&data, `{"k":%s,"a":%s,"b":%s,"x":%s,"s":%s}`+"\n", k, ts(), ts(), x, s)
	}
	sel := `INSERT INTO p SELECT x, HOUR(ts), ts,
  CASE WHEN HOUR(ts) >= 8 AND HOUR(ts) <= 18 THEN 'day' WHEN HOUR(ts) <= 6 OR HOUR(ts) >= 20 THEN 'night' ELSE 'other' END,
  s, DATE_FORMAT(ts, 'HH:mm') FROM v`
	for _, c := range []struct {
		name, view, where string
		fused             bool
	}{
		{"view filter", "SELECT x, ts, s FROM t WHERE k = 1", " WHERE x > -500", true},
		{"view filter, reads in the outer filter", "SELECT x, ts, s FROM t WHERE k = 1", " WHERE HOUR(ts) > 3 AND x IS NOT NULL", true},
		{"other branch", "SELECT x, ts, s FROM t WHERE 0 = k", "", true},
		{"else branch", "SELECT x, ts, s FROM t WHERE k = 2", "", true},
		{"read before the fact", "SELECT x, ts, s, k FROM t", " WHERE HOUR(ts) > 3 AND k = 1", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := func(view string) ([]string, int) {
				var printed strings.Builder
				s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{
					valuesFactory{dir: writeValues(t, data.String())}, builtin.PrintFactory(&printed)}})
				script := ddl + "CREATE VIEW v AS " + view + ";\n" + sel + c.where
				job, _, err := s.Submit(context.Background(), script)
				if err != nil {
					t.Fatalf("%s: %v", script, err)
				}
				if err := job.Wait(); err != nil {
					t.Fatal(err)
				}
				calcs := 0
				for _, v := range job.View() {
					for _, o := range v.Operators {
						if strings.HasSuffix(o.UID, "-calc") {
							calcs++
						}
					}
				}
				rows := strings.Split(strings.TrimSpace(printed.String()), "\n")
				slices.Sort(rows)
				return rows, calcs
			}
			got, calcs := run(c.view)
			general := strings.Replace(strings.Replace(c.view, "k = ", "k + 0 = ", 1), "0 = k", "0 = k + 0", 1)
			want, wantCalcs := run(general)
			if len(got) < 20 {
				t.Fatalf("only %d rows", len(got))
			}
			if !slices.Equal(got, want) {
				t.Errorf("rows differ from the unfused plan's:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if c.fused && (calcs != 1 || wantCalcs != 2) {
				t.Errorf("%d Calc operators (unfused plan %d), want 1 (2)", calcs, wantCalcs)
			}
			if !c.fused && calcs != 2 {
				t.Errorf("%d Calc operators, want 2", calcs)
			}
		})
	}
}

func writeValues(t *testing.T, data string) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSavepointOfUnfusedComputedColumnPlanRestores: a savepoint of the plan
// main's build made of a GROUP BY over a Calc that reads a computed column
// twice (two Calc operators, sql-2-calc and sql-3-calc: the same plan as
// the filter `k + 0 = 1` still makes) restores into the fused plan (one
// Calc, sql-3-calc): the stateless sql-2-calc is skipped, and the
// aggregation keeps its UID and its state.
func TestSavepointOfUnfusedComputedColumnPlanRestores(t *testing.T) {
	dir := t.TempDir()
	rows := []string{
		`{"k": 1, "a": 0, "b": 3600000, "v": 1}`,
		`{"k": 0, "a": 3600000, "b": 0, "v": 100}`,
		`{"k": 1, "a": 0, "b": 3700000, "v": 2}`,
		`{"k": 1, "a": 0, "b": 7200000, "v": 4}`,
	}
	more := []string{`{"k": 1, "a": 0, "b": 3650000, "v": 8}`}
	write := func(lines []string) {
		if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := func(filter string) string {
		return `CREATE TABLE t (k INT, a TIMESTAMP(3), b TIMESTAMP(3), v BIGINT,
  ts AS CASE WHEN k = 0 THEN a ELSE b END) WITH ('connector' = 'values');
CREATE TABLE sums (h BIGINT, m BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE VIEW w AS SELECT ts, v FROM t WHERE ` + filter + `;
INSERT INTO sums SELECT HOUR(ts), MAX(MINUTE(ts)), SUM(v) FROM w GROUP BY HOUR(ts);`
	}
	run := func(sql string, ck *stream.CheckpointOptions, want int, sp string) (*collectFactory, []string) {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Checkpoints: ck,
			Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		job, _, err := s.Submit(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		var uids []string
		for _, v := range job.View() {
			for _, o := range v.Operators {
				uids = append(uids, o.UID)
			}
		}
		slices.Sort(uids)
		stopAtRows(t, ctx, job, col, map[string]int{"sums": want}, filepath.Join(dir, sp))
		return col, uids
	}
	write(rows)
	_, old := run(script("k + 0 = 1"), &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: 20 * time.Millisecond}, 4, "sp")
	write(append(rows, more...))
	col, fused := run(script("k = 1"), &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: 20 * time.Millisecond,
		FromSavepoint: filepath.Join(dir, "sp")}, 2, "sp2")
	if !slices.Contains(old, "sql-2-calc") || !slices.Contains(old, "sql-3-calc") || !slices.Contains(old, "sql-4-group-agg") {
		t.Errorf("unfused plan's UIDs %v", old)
	}
	if slices.Contains(fused, "sql-2-calc") || !slices.Contains(fused, "sql-3-calc") || !slices.Contains(fused, "sql-4-group-agg") {
		t.Errorf("fused plan's UIDs %v", fused)
	}
	var got []string
	for _, r := range col.rows["sums"] {
		got = append(got, r.String())
	}
	// Hour 1 held 1 + 2 (minute 1) before the savepoint.
	if s := strings.Join(got, " "); s != "-U(1, 1, 3) +U(1, 1, 11)" {
		t.Errorf("sums after the restore: %s", s)
	}
}
