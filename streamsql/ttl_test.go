package streamsql_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// stepFactory is a source of rows read one by one: before the row at
// index `at` it waits until the sink holds `at` rows and then advances the
// clock by `by`, so that the rows before it were processed at the old time.
type stepFactory struct {
	rows  []table.Row
	at    int
	by    time.Duration
	need  int // rows the sink holds before the step (0: at)
	clock *stream.ManualClock
	col   *collectFactory
}

func (f *stepFactory) Name() string                     { return "step" }
func (f *stepFactory) Options() []connector.TableOption { return nil }
func (f *stepFactory) TableSource(context.Context, connector.TableContext) (connector.Source[table.Row], error) {
	return f, nil
}
func (f *stepFactory) Splits(context.Context) ([]connector.Split, error) {
	return []connector.Split{{ID: "0"}}, nil
}
func (f *stepFactory) Bounded() bool { return true }
func (f *stepFactory) Open(_ context.Context, _ connector.Split, _ []byte) (connector.Reader[table.Row], error) {
	return &stepReader{f: f}, nil
}

type stepReader struct {
	f     *stepFactory
	next  int
	moved bool
}

func (r *stepReader) Read(_ context.Context, buf []table.Row) (int, error) {
	if r.next >= len(r.f.rows) {
		return 0, io.EOF
	}
	if r.next == r.f.at && !r.moved {
		need := r.f.at
		if r.f.need > 0 {
			need = r.f.need
		}
		if r.f.col.count("out") < need {
			// Nothing now: the source subtask flushes what it read
			// and polls again after a backoff.
			return 0, nil
		}
		r.f.clock.Advance(r.f.by)
		r.moved = true
	}
	buf[0] = r.f.rows[r.next]
	r.next++
	return 1, nil
}
func (r *stepReader) Position() []byte { return nil }
func (r *stepReader) Close() error     { return nil }

func (f *collectFactory) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.rows[name])
}

// TestStateTTLExpiresGroupState: with 'table.exec.state.ttl' = '1 h' a key
// whose state was written two hours (of processing time) ago starts again
// (+I), as in Flink; without it the count goes on (-U/+U). The same with
// mini-batch on: the source waits for the first row's change, which only
// the bundle's allowed latency (a processing-time timer) sends.
func TestStateTTLExpiresGroupState(t *testing.T) {
	for _, c := range []struct{ ttl, mb string }{{"", ""}, {"1 h", ""}, {"", "on"}, {"1 h", "on"}} {
		ttl := c.ttl
		clock := stream.NewManualClock(time.Unix(1_700_000_000, 0))
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		src := &stepFactory{clock: clock, col: col, at: 1, by: 2 * time.Hour, rows: []table.Row{
			table.NewRow(table.Str("a"), table.Int(1)), table.NewRow(table.Str("a"), table.Int(2))}}
		s := streamsql.NewSession(streamsql.Options{Clock: clock, Factories: []connector.TableFactory{src, col}})
		script := `CREATE TABLE ev (k STRING, v BIGINT) WITH ('connector' = 'step');
CREATE TABLE out (k STRING, n BIGINT, total BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, COUNT(*), SUM(v) FROM ev GROUP BY k;`
		if ttl != "" {
			script = "SET 'table.exec.state.ttl' = '" + ttl + "';\n" + script
		}
		if c.mb != "" {
			script = "SET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.mini-batch.allow-latency' = '20 ms';\nSET 'table.exec.mini-batch.size' = '1000';\n" + script
		}
		// The job's backoffs wait on the manual clock: move it along
		// (a millisecond per millisecond; the TTL is an hour).
		done := make(chan struct{})
		go func() {
			for {
				select {
				case <-done:
					return
				case <-time.After(time.Millisecond):
					clock.Advance(time.Millisecond)
				}
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := s.Exec(ctx, script)
		cancel()
		close(done)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range col.rows["out"] {
			got = append(got, r.String())
		}
		want := []string{"+I('a', 1, 1)", "-U('a', 1, 1)", "+U('a', 2, 3)"}
		if ttl != "" {
			want = []string{"+I('a', 1, 1)", "+I('a', 1, 2)"}
		}
		if len(got) != len(want) {
			t.Fatalf("ttl %q mini-batch %q: got %v, want %v", ttl, c.mb, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("ttl %q mini-batch %q: got %v, want %v", ttl, c.mb, got, want)
			}
		}
	}
}
