package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// openOneValues is openValues reading one row per Read, so the watermark
// follows every row (as the values option 'one-per-read').
type openOneValues struct{ openValues }

func (f openOneValues) TableSource(ctx context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	src, err := f.openValues.TableSource(ctx, t)
	if err != nil {
		return nil, err
	}
	return oneRowSource{src}, nil
}

type oneRowSource struct{ connector.Source[table.Row] }

func (s oneRowSource) Open(ctx context.Context, sp connector.Split, pos []byte) (connector.Reader[table.Row], error) {
	r, err := s.Source.Open(ctx, sp, pos)
	if err != nil {
		return nil, err
	}
	return oneRowReader{r}, nil
}

type oneRowReader struct{ connector.Reader[table.Row] }

func (r oneRowReader) Read(ctx context.Context, buf []table.Row) (int, error) {
	return r.Reader.Read(ctx, buf[:1])
}

// TestSavepointKeepsBufferedWindowRows stops a HOP aggregation with a
// savepoint while rows of two keys are in its window buffer (they arrived
// after the watermark last moved, so no watermark folded them into state)
// and restores it: the barrier folds the buffer into the snapshot, so the
// windows fired after the restore count them. Without the fold at the
// barrier, a's windows count 1 and b has none.
func TestSavepointKeepsBufferedWindowRows(t *testing.T) {
	for _, p := range []int{1, 2} {
		t.Run(fmt.Sprintf("restored at parallelism %d", p), func(t *testing.T) { testSavepointKeepsBufferedWindowRows(t, p) })
	}
}

// testSavepointKeepsBufferedWindowRows is TestSavepointKeepsBufferedWindowRows
// with the restored job at parallelism p (the buffer's snapshot is per key
// group: each subtask gets the buffered slices of its keys).
func testSavepointKeepsBufferedWindowRows(t *testing.T, p int) {
	dir := t.TempDir()
	// a at 5 s moves the watermark to 5 s (its slice [4 s, 6 s) is folded
	// into state); the three rows after it, at 4.5 s and 4.8 s, are in
	// the same slice and leave the watermark where it is.
	rows := []string{
		`{"k": "a", "ts": 5000}`,
		`{"k": "a", "ts": 4500}`,
		`{"k": "b", "ts": 4500}`,
		`{"k": "a", "ts": 4800}`,
	}
	more := []string{`{"k": "c", "ts": 20000}`} // fires the windows ending at 6 s and 8 s
	write := func(lines []string) {
		if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `
		CREATE TABLE t (k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
		CREATE TABLE seen (k STRING, n BIGINT) WITH ('connector' = 'collect');
		CREATE TABLE wins (k STRING, n BIGINT) WITH ('connector' = 'collect');
		EXECUTE STATEMENT SET BEGIN
		INSERT INTO seen SELECT k, COUNT(*) FROM t GROUP BY k;
		INSERT INTO wins SELECT k, COUNT(*) FROM TABLE(HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '4' SECOND)) GROUP BY k, window_start, window_end;
		END;`
	run := func(ck *stream.CheckpointOptions, par, wantSeen, wantWins int, sp string) *collectFactory {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: par, Checkpoints: ck,
			Factories: []connector.TableFactory{openOneValues{openValues{valuesFactory{dir: dir}}}, col}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		job, _, err := s.Submit(ctx, script)
		if err != nil {
			t.Fatal(err)
		}
		stopAtRows(t, ctx, job, col, map[string]int{"seen": wantSeen, "wins": wantWins}, filepath.Join(dir, sp))
		return col
	}
	write(rows)
	// seen: +I a, -U a, +U a, +I b, -U a, +U a: every row went through the
	// source before the savepoint's barrier.
	first := run(&stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: time.Hour}, 1, 6, 0, "sp")
	if w := first.rows["wins"]; len(w) != 0 {
		t.Fatalf("windows before the restore: %v", w)
	}
	write(append(rows, more...))
	col := run(&stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: time.Hour,
		FromSavepoint: filepath.Join(dir, "sp")}, p, 1, 4, "sp2")
	var wins []string
	for _, r := range col.rows["wins"] {
		wins = append(wins, r.String())
	}
	slices.Sort(wins)
	// [2 s, 6 s) and [4 s, 8 s): a 3 rows, b 1.
	want := []string{"+I('a', 3)", "+I('a', 3)", "+I('b', 1)", "+I('b', 1)"}
	if !slices.Equal(wins, want) {
		t.Errorf("windows after the restore: %v, want %v", wins, want)
	}
}
