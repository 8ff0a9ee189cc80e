package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// countedValues is openValues counting the rows its readers returned.
type countedValues struct {
	openValues
	n *atomic.Int64
}

func (f countedValues) TableSource(ctx context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	src, err := f.openValues.TableSource(ctx, t)
	if err != nil {
		return nil, err
	}
	return countedSource{src, f.n}, nil
}

type countedSource struct {
	connector.Source[table.Row]
	n *atomic.Int64
}

func (s countedSource) Open(ctx context.Context, sp connector.Split, pos []byte) (connector.Reader[table.Row], error) {
	r, err := s.Source.Open(ctx, sp, pos)
	if err != nil {
		return nil, err
	}
	return countedReader{r, s.n}, nil
}

type countedReader struct {
	connector.Reader[table.Row]
	n *atomic.Int64
}

func (r countedReader) Read(ctx context.Context, buf []table.Row) (int, error) {
	n, err := r.Reader.Read(ctx, buf)
	r.n.Add(int64(n))
	return n, err
}

// finalRows applies a changelog (+I/+U add a row, -U/-D take an equal one
// back, which must be there) and returns the rows left, sorted.
func finalRows(rows []table.Row) ([]string, error) {
	have := map[string]int{}
	for _, r := range rows {
		s := table.NewRow(r.Fields...).String()
		if r.Kind.IsRetract() {
			if have[s] == 0 {
				return nil, fmt.Errorf("%s retracts a row that is not there", r.String())
			}
			have[s]--
			continue
		}
		have[s]++
	}
	var out []string
	for s, n := range have {
		for range n {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out, nil
}

// TestMiniBatchSavepointKeepsBufferedRows stops a job of two cascaded
// mini-batch group aggregations with a savepoint while every row it read
// is in a bundle (an allowed latency of an hour, no watermarks: nothing
// was emitted before the barrier, which the test checks), and restores it
// over more input, with mini-batch on and off and at the other
// parallelism: the barrier ends the bundle before the state is captured,
// so its changes reach the sink before the savepoint and the state holds
// them; the restored job goes on from there. The changelog of both runs
// applied is the per-row job's final result (no row lost or counted
// twice). A savepoint of the per-row job restores into the mini-batch one
// too (the state and UIDs are the same).
func TestMiniBatchSavepointKeepsBufferedRows(t *testing.T) {
	for _, c := range []struct {
		first, second string // mini-batch latency of each run ("": off)
		par           int    // of the first run; the second runs at 3-par
	}{
		{"1 h", "1 h", 1}, {"1 h", "", 2}, {"1 h", "50 ms", 2}, {"", "50 ms", 1},
	} {
		t.Run(fmt.Sprintf("%q then %q at parallelism %d", c.first, c.second, c.par), func(t *testing.T) {
			testMiniBatchSavepoint(t, c.first, c.second, c.par)
		})
	}
}

func testMiniBatchSavepoint(t *testing.T, first, second string, par int) {
	dir := t.TempDir()
	var rows, more []string
	for i := range 40 {
		rows = append(rows, fmt.Sprintf(`{"k": "k%d", "v": %d}`, i*7%9, i))
		more = append(more, fmt.Sprintf(`{"k": "k%d", "v": %d}`, i*5%11, 100+i))
	}
	write := func(lines []string) {
		if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	query := `
		CREATE TABLE t (k STRING, v BIGINT) WITH ('connector' = 'values');
		CREATE TABLE out (n BIGINT, keys BIGINT, total BIGINT) WITH ('connector' = 'collect');
		INSERT INTO out SELECT n, COUNT(*), SUM(total) FROM (SELECT k, COUNT(*) AS n, SUM(v) AS total FROM t GROUP BY k) GROUP BY n;`
	script := func(latency string) string {
		if latency == "" {
			return query
		}
		return "SET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.mini-batch.allow-latency' = '" + latency +
			"';\nSET 'table.exec.mini-batch.size' = '100000';\n" + query
	}
	// The per-row job's final results (bounded): over the first rows and
	// over all.
	perRow := func(lines []string) []string {
		write(lines)
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := streamsql.NewSession(streamsql.Options{Parallelism: 1,
			Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}}).Exec(ctx, query); err != nil {
			t.Fatal(err)
		}
		got, err := finalRows(col.rows["out"])
		if err != nil || len(got) == 0 {
			t.Fatalf("per-row job: %v %v", got, err)
		}
		return got
	}
	wantFirst := perRow(rows)
	want := perRow(append(slices.Clone(rows), more...))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// run runs the job until its source read `read` rows and (without a
	// bundle of an hour) prev plus what the sink got applied is wantNow,
	// then stops it with a savepoint; it returns what the sink got.
	run := func(latency string, p int, ck *stream.CheckpointOptions, read int64, prev []table.Row, wantNow []string, sp string) []table.Row {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		var n atomic.Int64
		s := streamsql.NewSession(streamsql.Options{Parallelism: p, Checkpoints: ck,
			Factories: []connector.TableFactory{countedValues{openValues{valuesFactory{dir: dir}}, &n}, col}})
		job, _, err := s.Submit(ctx, script(latency))
		if err != nil {
			t.Fatal(err)
		}
		done := func() bool {
			if n.Load() < read {
				return false
			}
			if latency == "1 h" {
				return true // the rows are in the bundle (or on their way to it)
			}
			col.mu.Lock()
			defer col.mu.Unlock()
			got, err := finalRows(append(slices.Clone(prev), col.rows["out"]...))
			return err == nil && slices.Equal(got, wantNow)
		}
		for !done() {
			select {
			case <-ctx.Done():
				col.mu.Lock()
				t.Fatalf("read %d rows of %d; sink: %v", n.Load(), read, col.rows["out"])
			case <-time.After(5 * time.Millisecond):
			}
		}
		if latency == "1 h" {
			col.mu.Lock()
			got := len(col.rows["out"])
			col.mu.Unlock()
			if got != 0 {
				t.Fatalf("%d rows emitted before the barrier; a bundle of an hour should hold them", got)
			}
		}
		if _, err := job.Savepoint(ctx, filepath.Join(dir, sp), true); err != nil {
			t.Fatal(err)
		}
		if err := job.Wait(); err != nil && !strings.Contains(err.Error(), "stopped") {
			t.Fatalf("wait: %v", err)
		}
		col.mu.Lock()
		defer col.mu.Unlock()
		return append(slices.Clone(prev), col.rows["out"]...)
	}
	write(rows)
	firstRows := run(first, par, &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: time.Hour},
		int64(len(rows)), nil, wantFirst, "sp")
	if got, err := finalRows(firstRows); err != nil || !slices.Equal(got, wantFirst) {
		t.Fatalf("before the restore: %v %v, want %v", got, err, wantFirst)
	}
	write(append(slices.Clone(rows), more...))
	all := run(second, 3-par, &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: time.Hour,
		FromSavepoint: filepath.Join(dir, "sp")}, int64(len(more)), firstRows, want, "sp2")
	got, err := finalRows(all)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("after the restore: %v %v, want %v", got, err, want)
	}
}
