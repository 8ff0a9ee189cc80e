package streamsql_test

import (
	"context"
	"errors"
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

// noMergeLongest is LONGEST without Merge (a user aggregate need not
// merge unless it runs in session windows).
type noMergeLongest struct{ longest }

func (noMergeLongest) Name() string { return "LONGEST_NM" }
func (noMergeLongest) Merge([]table.Value, []table.Value) error {
	return errors.New("LONGEST_NM cannot merge")
}

// slowValues is the values connector reading one row per Read and
// sleeping every 10 rows, so that checkpoints come while a window is open.
type slowValues struct{ valuesFactory }

func (f slowValues) TableSource(ctx context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	src, err := f.valuesFactory.TableSource(ctx, t)
	if err != nil {
		return nil, err
	}
	return slowSource{src}, nil
}

type slowSource struct{ connector.Source[table.Row] }

func (s slowSource) Open(ctx context.Context, sp connector.Split, pos []byte) (connector.Reader[table.Row], error) {
	r, err := s.Source.Open(ctx, sp, pos)
	if err != nil {
		return nil, err
	}
	return &slowReader{Reader: r}, nil
}

type slowReader struct {
	connector.Reader[table.Row]
	n int
}

func (r *slowReader) Read(ctx context.Context, buf []table.Row) (int, error) {
	if r.n++; r.n%10 == 0 {
		time.Sleep(time.Millisecond)
	}
	return r.Reader.Read(ctx, buf[:1])
}

// TestWindowUserAggregateThroughCheckpoints: a TUMBLE aggregation with a
// user aggregate (not expr.Mergeable, so the window operator rather than
// the sliced path) runs through checkpoints in the middle of its window
// without merging accumulators: the window buffer, which merges what it
// kept in memory into state at a checkpoint, is not used for SQL's window
// operator (its accumulator, a table.Row, holds pointers), so results do
// not depend on where checkpoints fall and a user aggregate needs no
// Merge, as before the buffer.
func TestWindowUserAggregateThroughCheckpoints(t *testing.T) {
	dir := t.TempDir()
	const n = 2000
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf(`{"k": "k%d", "s": "%s", "ts": %d}`, i%3, strings.Repeat("x", i%97), 1000+i))
	}
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck"), Interval: 5 * time.Millisecond},
		Factories:   []connector.TableFactory{slowValues{valuesFactory{dir: dir}}, col}})
	s.RegisterAggregate("longest_nm", func(args []table.Type) (streamsql.AggregateFunc, error) {
		return noMergeLongest{}, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job, _, err := s.Submit(ctx, `
		CREATE TABLE t (k STRING, s STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
		CREATE TABLE out (k STRING, n INT) WITH ('connector' = 'collect');
		INSERT INTO out SELECT k, CHAR_LENGTH(LONGEST_NM(s)) FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' HOUR)) GROUP BY k, window_start, window_end;`)
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatalf("job failed: %v", err)
	}
	if c := job.Checkpoints().Completed; c < 3 {
		t.Fatalf("only %d checkpoints completed", c)
	}
	var got []string
	for _, r := range col.rows["out"] {
		got = append(got, r.String())
	}
	slices.Sort(got)
	if want := []string{"+I('k0', 96)", "+I('k1', 96)", "+I('k2', 96)"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
