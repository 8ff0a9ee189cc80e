package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	fileconn "github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestFilesystemPartitionedRoundTrip writes a table PARTITIONED BY (dt, hr)
// with the filesystem sink (its files committed by the checkpoints, the
// last one when the input ends) and reads it back in a new session: every
// row comes back with its partition columns (NULLs through
// __DEFAULT_PARTITION__, a string with '/' and '=' through its escapes).
func TestFilesystemPartitionedRoundTrip(t *testing.T) {
	in := t.TempDir()
	rows := `{"id":1,"name":"a","dt":"2024-01-01","hr":10,"tag":"x"}
{"id":2,"name":"b","dt":"2024-01-01","hr":10,"tag":"x"}
{"id":3,"name":"c","dt":"2024-01-01","hr":11,"tag":"a/b=c"}
{"id":4,"name":"d","dt":"2024-01-02","hr":null,"tag":""}
{"id":5,"name":"e","dt":null,"hr":9,"tag":null}
`
	if err := os.WriteFile(filepath.Join(in, "ev.jsonl"), []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "fs")
	ddl := `CREATE TABLE fs (id BIGINT, name STRING, dt DATE, hr INT, tag STRING) PARTITIONED BY (dt, hr, tag)
  WITH ('connector' = 'filesystem', 'path' = '` + out + `', 'format' = 'csv');
`
	for _, par := range []int{1, 2} {
		_ = os.RemoveAll(out)
		w := streamsql.NewSession(streamsql.Options{Parallelism: par,
			Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), Interval: time.Hour},
			Factories:   []connector.TableFactory{valuesFactory{dir: in}, fileconn.FilesystemTableFactory()}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := w.Exec(ctx, ddl+`CREATE TABLE ev (id BIGINT, name STRING, dt DATE, hr INT, tag STRING) WITH ('connector' = 'values');
INSERT INTO fs SELECT * FROM ev;`)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		r := streamsql.NewSession(streamsql.Options{Parallelism: par,
			Factories: []connector.TableFactory{col, fileconn.FilesystemTableFactory()}})
		ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
		_, err = r.Exec(ctx, ddl+`CREATE TABLE back (id BIGINT, name STRING, dt DATE, hr INT, tag STRING) WITH ('connector' = 'collect');
INSERT INTO back SELECT * FROM fs;`)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, row := range col.rows["back"] {
			got = append(got, row.String())
		}
		sort.Strings(got)
		want := []string{
			"+I(1, 'a', DATE '2024-01-01', 10, 'x')",
			"+I(2, 'b', DATE '2024-01-01', 10, 'x')",
			"+I(3, 'c', DATE '2024-01-01', 11, 'a/b=c')",
			"+I(4, 'd', DATE '2024-01-02', NULL, '')",
			"+I(5, 'e', NULL, 9, NULL)",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("parallelism %d: read back\n%s\nwant\n%s", par, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// noPruneFactory is the filesystem connector without partition pruning: it
// does not offer connector.PartitionPruningTableSource, so the planner
// hands it no filter.
type noPruneFactory struct{ f *fileconn.TableConnector }

func (n noPruneFactory) Name() string                     { return n.f.Name() }
func (n noPruneFactory) Options() []connector.TableOption { return n.f.Options() }
func (n noPruneFactory) TableSource(ctx context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	return n.f.TableSource(ctx, t)
}

// TestFilesystemPartitionPruningSameRows: pruning is an optimisation
// only. Each query over a table PARTITIONED BY (dt, hr, tag) (NULL and
// empty partitions included) gives the same rows with pruning and without
// (a factory that does not prune), and EXPLAIN shows a partition filter
// exactly for the queries with a conjunct over partition columns only.
func TestFilesystemPartitionPruningSameRows(t *testing.T) {
	root := t.TempDir()
	id := 0
	for _, dt := range []string{"2024-01-01", "2024-01-02", "__DEFAULT_PARTITION__"} {
		for _, hr := range []string{"9", "10", "__DEFAULT_PARTITION__"} {
			for _, tag := range []string{"a", "b%2Fc", "__EMPTY__", "__DEFAULT_PARTITION__"} {
				dir := filepath.Join(root, "dt="+dt, "hr="+hr, "tag="+tag)
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				for range 2 {
					id++
					fmt.Fprintf(&b, "{\"id\":%d}\n", id)
				}
				if err := os.WriteFile(filepath.Join(dir, "part-0"), []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	queries := []struct {
		where  string
		prunes bool
	}{
		{"dt = DATE '2024-01-01'", true},
		{"dt <> DATE '2024-01-01'", true},
		{"dt IS NULL", true},
		{"dt IS NOT NULL AND hr IS NULL", true},
		{"hr IN (9, 11)", true},
		{"hr NOT IN (9, 11)", true},
		{"hr BETWEEN 10 AND 20 OR tag = 'a'", true},
		{"NOT (dt > DATE '2024-01-01' OR hr < 10)", true},
		{"tag = ''", true},
		{"tag = 'b/c'", true},
		{"tag LIKE 'b%' OR tag IS NULL", true},
		{"COALESCE(hr, 0) = 0", true},
		{"CAST(hr AS STRING) = '9' AND id > 3", true},
		{"dt = DATE '2024-01-02' OR id < 5", false},
		{"id % 3 = 0", false},
		{"hr + id > 20", false},
	}
	ddl := `CREATE TABLE fs (id BIGINT, dt DATE, hr INT, tag STRING) PARTITIONED BY (dt, hr, tag)
  WITH ('connector' = 'filesystem', 'path' = '` + root + `', 'format' = 'json');
`
	run := func(f connector.TableFactory) (map[string][]string, []string) {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{col, f}})
		var b strings.Builder
		b.WriteString(ddl)
		for i := range queries {
			fmt.Fprintf(&b, "CREATE TABLE o%d (id BIGINT, dt DATE, hr INT, tag STRING) WITH ('connector' = 'collect');\n", i)
		}
		b.WriteString("EXECUTE STATEMENT SET BEGIN\n")
		for i, q := range queries {
			fmt.Fprintf(&b, "INSERT INTO o%d SELECT * FROM fs WHERE %s;\n", i, q.where)
		}
		b.WriteString("END;\n")
		for _, q := range queries {
			fmt.Fprintf(&b, "EXPLAIN SELECT * FROM fs WHERE %s;\n", q.where)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		res, err := s.Exec(ctx, b.String())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for n, rows := range col.rows {
			for _, r := range rows {
				got[n] = append(got[n], r.String())
			}
			sort.Strings(got[n])
		}
		var plans []string
		for _, p := range strings.Split(res.Text, "Calc(") {
			if strings.Contains(p, "TableSourceScan") {
				plans = append(plans, p)
			}
		}
		return got, plans
	}
	pruned, plans := run(fileconn.FilesystemTableFactory())
	full, fullPlans := run(noPruneFactory{fileconn.FilesystemTableFactory()})
	if len(plans) != len(queries) || len(fullPlans) != len(queries) {
		t.Fatalf("%d and %d plans for %d queries", len(plans), len(fullPlans), len(queries))
	}
	for i, q := range queries {
		n := fmt.Sprintf("o%d", i)
		if strings.Join(pruned[n], "\n") != strings.Join(full[n], "\n") {
			t.Errorf("WHERE %s: with pruning\n%s\nwithout\n%s", q.where, strings.Join(pruned[n], "\n"), strings.Join(full[n], "\n"))
		}
		if len(full[n]) == 0 || len(full[n]) == 2*id {
			t.Errorf("WHERE %s: %d rows of %d: not a test of pruning", q.where, len(full[n]), 2*id)
		}
		if got := strings.Contains(plans[i], "partitionFilter="); got != q.prunes {
			t.Errorf("WHERE %s: partition filter %v, want %v:\n%s", q.where, got, q.prunes, plans[i])
		}
		if strings.Contains(fullPlans[i], "partitionFilter=") {
			t.Errorf("WHERE %s: a partition filter for a source that does not prune:\n%s", q.where, fullPlans[i])
		}
	}
}

// TestPartitionPruningKeepsUIDs: scans of one partitioned table that differ
// only by their partition filters are still shared (one source reading the
// partitions either needs), so the operators and their UIDs are those of
// the plan without pruning: a job resumes from a checkpoint taken by a
// binary that did not prune. Both reads' rows arrive (a UNION ALL of two
// partitions, and a statement set of two INSERTs).
func TestPartitionPruningKeepsUIDs(t *testing.T) {
	root := t.TempDir()
	for i, dt := range []string{"a", "b", "c"} {
		dir := filepath.Join(root, "dt="+dt)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "part-0"), fmt.Appendf(nil, "{\"id\":%d}\n{\"id\":%d}\n", i, i+10), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ddl := `CREATE TABLE fs (id BIGINT, dt STRING) PARTITIONED BY (dt)
  WITH ('connector' = 'filesystem', 'path' = '` + root + `', 'format' = 'json');
CREATE TABLE o1 (id BIGINT, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE o2 (id BIGINT, dt STRING) WITH ('connector' = 'collect');
CREATE TABLE o3 (id BIGINT, dt STRING) WITH ('connector' = 'collect');
`
	for _, q := range []string{
		`INSERT INTO o1 SELECT id, COUNT(*) FROM (SELECT id FROM fs WHERE dt = 'a' UNION ALL SELECT id FROM fs WHERE dt = 'b') GROUP BY id;`,
		`EXECUTE STATEMENT SET BEGIN
INSERT INTO o2 SELECT * FROM fs WHERE dt = 'a';
INSERT INTO o3 SELECT * FROM fs WHERE dt = 'c';
END;`,
	} {
		run := func(f connector.TableFactory) (uids []string, rows map[string][]string) {
			col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
			s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{col, f}})
			job, _, err := s.Submit(context.Background(), ddl+q)
			if err != nil {
				t.Fatal(err)
			}
			if err := job.Wait(); err != nil {
				t.Fatal(err)
			}
			for _, v := range job.View() {
				for _, o := range v.Operators {
					uids = append(uids, o.UID)
				}
			}
			sort.Strings(uids)
			rows = map[string][]string{}
			for n, rs := range col.rows {
				for _, r := range rs {
					rows[n] = append(rows[n], r.String())
				}
				sort.Strings(rows[n])
			}
			return uids, rows
		}
		uids, rows := run(fileconn.FilesystemTableFactory())
		fullUIDs, fullRows := run(noPruneFactory{fileconn.FilesystemTableFactory()})
		if !slices.Equal(uids, fullUIDs) {
			t.Errorf("%s\nUIDs with pruning %v, without %v", q, uids, fullUIDs)
		}
		if fmt.Sprint(rows) != fmt.Sprint(fullRows) || len(rows) == 0 {
			t.Errorf("%s\nrows with pruning %v, without %v", q, rows, fullRows)
		}
	}
	// The shared scan still prunes: a partition neither read needs holds
	// a corrupt file, which would fail the job if it were opened.
	bad := filepath.Join(root, "dt=z")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "part-0"), []byte("{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{
		&collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}, fileconn.FilesystemTableFactory()}})
	job, _, err := s.Submit(context.Background(), ddl+`EXECUTE STATEMENT SET BEGIN
INSERT INTO o2 SELECT * FROM fs WHERE dt = 'a';
INSERT INTO o3 SELECT * FROM fs WHERE dt = 'c';
END;`)
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatalf("the shared scan read a partition neither INSERT needs: %v", err)
	}
}
