package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// runToSavepoint submits script over the values table ev (dir/ev.jsonl),
// waits until the collect table out holds want rows, stops the job with a
// savepoint at dir/sp and returns out's rows; from: the savepoint to
// start from ("" for none). The error is the submission's or the job's.
func runToSavepoint(t *testing.T, dir, script, from, sp string, want int) ([]string, error) {
	t.Helper()
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	ck := &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck-"+sp), Interval: 20 * time.Millisecond}
	if from != "" {
		ck.FromSavepoint = filepath.Join(dir, from)
	}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Checkpoints: ck,
		Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job, _, err := s.Submit(ctx, script)
	if err != nil {
		return nil, err
	}
	errc := make(chan error, 1)
	go func() { errc <- job.Wait() }()
	for {
		col.mu.Lock()
		n := len(col.rows["out"])
		col.mu.Unlock()
		if n >= want {
			break
		}
		select {
		case err := <-errc:
			return nil, err
		case <-ctx.Done():
			t.Fatalf("%d rows of out, want %d", n, want)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := job.Savepoint(ctx, filepath.Join(dir, sp), true); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil && !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("wait: %v", err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	var out []string
	for _, r := range col.rows["out"] {
		out = append(out, r.String())
	}
	return out, nil
}

func writeLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSavepointRestoresDistinctViews stops a GROUP BY with COUNT(DISTINCT)
// (with and without a FILTER) over a changelog with a savepoint and starts
// it again over more input: the distinct values of the views carry over (a
// user seen before the savepoint is not counted again, and retracting his
// only row after the restore takes him out).
func TestSavepointRestoresDistinctViews(t *testing.T) {
	dir := t.TempDir()
	script := `CREATE TABLE ev (k STRING, usr STRING, v BIGINT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE out (k STRING, users BIGINT, big BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, COUNT(DISTINCT usr), COUNT(DISTINCT usr) FILTER (WHERE v >= 10) FROM ev GROUP BY k;`
	rows := []string{
		`{"op": "+I", "k": "a", "usr": "ann", "v": 1}`,
		`{"op": "+I", "k": "a", "usr": "bob", "v": 20}`,
	}
	writeLines(t, filepath.Join(dir, "ev.jsonl"), rows...)
	got, err := runToSavepoint(t, dir, script, "", "sp", 3) // +I, -U, +U
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, "before the savepoint", got, []string{"+I('a', 1, 0)", "-U('a', 1, 0)", "+U('a', 2, 1)"})
	writeLines(t, filepath.Join(dir, "ev.jsonl"), append(rows,
		`{"op": "+I", "k": "a", "usr": "ann", "v": 30}`, // ann again: users stays 2, big 2
		`{"op": "-D", "k": "a", "usr": "bob", "v": 20}`, // bob's only row: users 1, big 1
	)...)
	got, err = runToSavepoint(t, dir, script, "sp", "sp2", 4)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, "after the restore", got, []string{"-U('a', 2, 1)", "+U('a', 2, 2)", "-U('a', 2, 2)", "+U('a', 1, 1)"})
}

// TestSavepointOfCountDistinctAccumulatorRefused: the builds before the
// views kept COUNT(DISTINCT) as a map in the accumulator row of an
// operator of UID kind group-agg; the views' operator is
// group-agg-distinct, so such a savepoint (here one of a plan with a
// plain aggregate at the same place, whose UID is the one those builds
// gave a COUNT(DISTINCT)) is refused, naming the operator, instead of its
// accumulators being misread.
func TestSavepointOfCountDistinctAccumulatorRefused(t *testing.T) {
	dir := t.TempDir()
	writeLines(t, filepath.Join(dir, "ev.jsonl"), `{"k": "a", "usr": "ann", "v": 1}`)
	const ddl = `CREATE TABLE ev (k STRING, usr STRING, v BIGINT) WITH ('connector' = 'values');
CREATE TABLE out (k STRING, users BIGINT) WITH ('connector' = 'collect');
`
	if _, err := runToSavepoint(t, dir, ddl+`INSERT INTO out SELECT k, COUNT(usr) FROM ev GROUP BY k;`, "", "sp", 1); err != nil {
		t.Fatal(err)
	}
	_, err := runToSavepoint(t, dir, ddl+`INSERT INTO out SELECT k, COUNT(DISTINCT usr) FROM ev GROUP BY k;`, "sp", "sp2", 1)
	if err == nil || !strings.Contains(err.Error(), "operators the job does not have") || !strings.Contains(err.Error(), "group-agg") {
		t.Fatalf("restore into the views' operator: %v", err)
	}
}

// TestStateTTLExpiresDistinctViews: with the state TTL, a group not
// written for the TTL starts again with no distinct value (its user counts
// once more); without it the user is known and only COUNT(*) moves.
func TestStateTTLExpiresDistinctViews(t *testing.T) {
	rows := []table.Row{table.NewRow(table.Str("a"), table.Int(5)), table.NewRow(table.Str("a"), table.Int(5))}
	const script = `CREATE TABLE ev (k STRING, v BIGINT) WITH ('connector' = 'step');
CREATE TABLE out (k STRING, d BIGINT, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, COUNT(DISTINCT v), COUNT(*) FROM ev GROUP BY k;`
	checkRows(t, "no ttl", runStepped(t, "", 1, rows, script), []string{"+I('a', 1, 1)", "-U('a', 1, 1)", "+U('a', 1, 2)"})
	checkRows(t, "ttl", runStepped(t, "1 h", 1, rows, script), []string{"+I('a', 1, 1)", "+I('a', 1, 1)"})
}
