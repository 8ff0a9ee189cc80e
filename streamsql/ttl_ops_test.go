package streamsql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// runStepped runs script (a table ev from the step source, a sink out) over
// rows under a manual clock moved by two hours before the row at index at,
// with 'table.exec.state.ttl' = ttl when ttl is not empty, and returns the
// rows of out. need, when set, is how many rows out holds before the step
// (default: at).
func runStepped(t *testing.T, ttl string, at int, rows []table.Row, script string, need ...int) []string {
	t.Helper()
	clock := stream.NewManualClock(time.Unix(1_700_000_000, 0))
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	src := &stepFactory{clock: clock, col: col, at: at, by: 2 * time.Hour, rows: rows}
	if len(need) > 0 {
		src.need = need[0]
	}
	s := streamsql.NewSession(streamsql.Options{Clock: clock, Factories: []connector.TableFactory{src, col}})
	if ttl != "" {
		script = "SET 'table.exec.state.ttl' = '" + ttl + "';\n" + script
	}
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
	return got
}

func checkRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// TestStateTTLExpiresTopN: the state of a Top-N partition not written for
// the TTL is dropped; the key's next row starts it again (+I at rank 1) and
// the rows emitted before are not retracted, as in Flink. Without the TTL
// the Top-1 stays (insert-only input) or is updated (-U/+U, updating input).
func TestStateTTLExpiresTopN(t *testing.T) {
	rows := []table.Row{table.NewRow(table.Str("a"), table.Int(5)), table.NewRow(table.Str("a"), table.Int(3))}
	const appendOnly = `CREATE TABLE ev (k STRING, v BIGINT) WITH ('connector' = 'step');
CREATE TABLE out (k STRING, v BIGINT, rn BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT * FROM (
  SELECT k, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM ev) WHERE rn = 1;`
	checkRows(t, "append, no ttl", runStepped(t, "", 1, rows, appendOnly), []string{"+I('a', 5, 1)"})
	checkRows(t, "append, ttl", runStepped(t, "1 h", 1, rows, appendOnly), []string{"+I('a', 5, 1)", "+I('a', 3, 1)"})

	// Over an updating input (a GROUP BY k, v: its key (a, 3) is new, so its
	// own state's TTL does not matter): the retracting Top-N.
	const retracting = `CREATE TABLE ev (k STRING, v BIGINT) WITH ('connector' = 'step');
CREATE TABLE out (k STRING, v BIGINT, n BIGINT, rn BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT * FROM (
  SELECT k, v, n, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v ASC) AS rn
  FROM (SELECT k, v, COUNT(*) AS n FROM ev GROUP BY k, v)) WHERE rn = 1;`
	checkRows(t, "retract, no ttl", runStepped(t, "", 1, rows, retracting),
		[]string{"+I('a', 5, 1, 1)", "-U('a', 5, 1, 1)", "+U('a', 3, 1, 1)"})
	checkRows(t, "retract, ttl", runStepped(t, "1 h", 1, rows, retracting),
		[]string{"+I('a', 5, 1, 1)", "+I('a', 3, 1, 1)"})

	// Deduplication keeping the first row (the Deduplicate operator since
	// branch dedup, dedup.go; the TTL applies alike): an expired key's next
	// row is a first row again.
	const dedup = `CREATE TABLE ev (k STRING, v BIGINT, p AS PROCTIME()) WITH ('connector' = 'step');
CREATE TABLE out (k STRING, v BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, v FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY p ASC) AS rn FROM ev) WHERE rn = 1;`
	checkRows(t, "dedup, no ttl", runStepped(t, "", 1, rows, dedup), []string{"+I('a', 5)"})
	checkRows(t, "dedup, ttl", runStepped(t, "1 h", 1, rows, dedup), []string{"+I('a', 5)", "+I('a', 3)"})

	// Keeping the last row: an expired key's next row is +I, not -U/+U.
	const dedupLast = `CREATE TABLE ev (k STRING, v BIGINT, p AS PROCTIME()) WITH ('connector' = 'step');
CREATE TABLE out (k STRING, v BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, v FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY p DESC) AS rn FROM ev) WHERE rn = 1;`
	checkRows(t, "dedup last, no ttl", runStepped(t, "", 1, rows, dedupLast), []string{"+I('a', 5)", "-U('a', 5)", "+U('a', 3)"})
	checkRows(t, "dedup last, ttl", runStepped(t, "1 h", 1, rows, dedupLast), []string{"+I('a', 5)", "+I('a', 3)"})
}

// TestStateTTLExpiresOver: the accumulators of an OVER partition not
// written for the TTL are dropped; the key's next row aggregates from
// scratch (Flink cleans the accumulators the same way).
func TestStateTTLExpiresOver(t *testing.T) {
	ts := func(s int64) table.Value { return table.TimestampMillis(s * 1000) }
	// A row is emitted once the watermark passes it: b's row at 00:10
	// releases a's first row before the step (the sink keeps a's rows).
	rows := []table.Row{
		table.NewRow(table.Str("a"), table.Int(5), ts(1)),
		table.NewRow(table.Str("b"), table.Int(0), ts(10)),
		table.NewRow(table.Str("a"), table.Int(3), ts(11)),
	}
	const script = `CREATE TABLE ev (k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'step');
CREATE TABLE out (k STRING, v BIGINT, n BIGINT, total BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, v, COUNT(*) OVER w, SUM(v) OVER w FROM ev WHERE k = 'a'
WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);`
	checkRows(t, "no ttl", runStepped(t, "", 2, rows, script, 1), []string{"+I('a', 5, 1, 5)", "+I('a', 3, 2, 8)"})
	checkRows(t, "ttl", runStepped(t, "1 h", 2, rows, script, 1), []string{"+I('a', 5, 1, 5)", "+I('a', 3, 1, 3)"})
}
