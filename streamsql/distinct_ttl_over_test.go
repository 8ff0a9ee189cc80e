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

// clockStepsFactory: a source of rows read one by one; before row i with
// steps[i].need > 0 it waits until the sink "out" holds need rows and then
// advances the clock by steps[i].by.
type clockStepsFactory struct {
	rows  []table.Row
	steps map[int]clockStep
	clock *stream.ManualClock
	col   *collectFactory
}

type clockStep struct {
	need int
	by   time.Duration
}

func (f *clockStepsFactory) Name() string                     { return "steps" }
func (f *clockStepsFactory) Options() []connector.TableOption { return nil }
func (f *clockStepsFactory) TableSource(context.Context, connector.TableContext) (connector.Source[table.Row], error) {
	return f, nil
}
func (f *clockStepsFactory) Splits(context.Context) ([]connector.Split, error) {
	return []connector.Split{{ID: "0"}}, nil
}
func (f *clockStepsFactory) Bounded() bool { return true }
func (f *clockStepsFactory) Open(context.Context, connector.Split, []byte) (connector.Reader[table.Row], error) {
	return &clockStepsReader{f: f, moved: map[int]bool{}}, nil
}

type clockStepsReader struct {
	f     *clockStepsFactory
	next  int
	moved map[int]bool
}

func (r *clockStepsReader) Read(_ context.Context, buf []table.Row) (int, error) {
	if r.next >= len(r.f.rows) {
		return 0, io.EOF
	}
	if s, ok := r.f.steps[r.next]; ok && !r.moved[r.next] {
		if r.f.col.count("out") < s.need {
			return 0, nil
		}
		r.f.clock.Advance(s.by)
		r.moved[r.next] = true
	}
	buf[0] = r.f.rows[r.next]
	r.next++
	return 1, nil
}
func (r *clockStepsReader) Position() []byte { return nil }
func (r *clockStepsReader) Close() error     { return nil }

// TestOverDistinctTTLKeepsFrameValues: an OVER aggregation with a
// bounded ROWS frame and the state TTL. The partition is written every
// 2 h (TTL 3 h), so its accumulator and frame never expire, and neither do
// the values of its DISTINCT views (opened without TTL, as Flink's OVER
// functions open their MapViews): value 1 (written at 0 h) is still known
// at 4 h while row 1 is in the frame, so when it leaves the frame its
// retraction takes it out of COUNT(DISTINCT): 3 values in the frame (rows
// 2, 3, 4), as COUNT(v) says. With per-entry TTL on the views, the entry
// of 1 expired at 3 h, its retraction found none and COUNT(DISTINCT) said
// 4 for good.
func TestOverDistinctTTLKeepsFrameValues(t *testing.T) {
	t.Run("rows-2-preceding", testOverDistinctTTLBounded)
	t.Run("unbounded", testOverDistinctTTLUnbounded)
}

func runClockSteps(t *testing.T, rows []table.Row, steps map[int]clockStep, script string) []string {
	t.Helper()
	clock := stream.NewManualClock(time.Unix(1_700_000_000, 0))
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	src := &clockStepsFactory{clock: clock, col: col, rows: rows, steps: steps}
	s := streamsql.NewSession(streamsql.Options{Clock: clock, Factories: []connector.TableFactory{src, col}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.Exec(ctx, script); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range col.rows["out"] {
		got = append(got, r.String())
	}
	return got
}

// unbounded: value 1 at 0 h, 2 at 2 h, 3 at 4 h, 1 again at 4 h: the
// partition (acc) never expires, so 1 is still one of its values (Flink's
// OVER keeps its MapView without TTL and cleans the whole partition at
// once): 3 values, not 4 (1 counted twice, its entry expired at 3 h).
func testOverDistinctTTLUnbounded(t *testing.T) {
	ts := func(s int64) table.Value { return table.TimestampMillis(s * 1000) }
	var rows []table.Row
	for i, v := range []int64{1, 2, 3, 1, 9} {
		rows = append(rows, table.NewRow(table.Str("a"), table.Int(v), ts(int64(i+1))))
	}
	got := runClockSteps(t, rows, map[int]clockStep{2: {need: 1, by: 2 * time.Hour}, 3: {need: 2, by: 2 * time.Hour}},
		`SET 'table.exec.state.ttl' = '3 h';
CREATE TABLE ev (k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'steps');
CREATE TABLE out (k STRING, v BIGINT, d BIGINT, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, v, COUNT(DISTINCT v) OVER w, COUNT(v) OVER w FROM ev
WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);`)
	checkRows(t, "over unbounded, ttl", got, []string{
		"+I('a', 1, 1, 1)", "+I('a', 2, 2, 2)", "+I('a', 3, 3, 3)", "+I('a', 1, 3, 4)", "+I('a', 9, 4, 5)"})
}

func testOverDistinctTTLBounded(t *testing.T) {
	ts := func(s int64) table.Value { return table.TimestampMillis(s * 1000) }
	var rows []table.Row
	for i := int64(1); i <= 5; i++ {
		rows = append(rows, table.NewRow(table.Str("a"), table.Int(i), ts(i)))
	}
	clock := stream.NewManualClock(time.Unix(1_700_000_000, 0))
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	// row i+1's watermark emits row i: row 1 at 0 h, row 2 at 2 h, rows 3
	// and 4 at 4 h, row 5 at the end (4 h).
	src := &clockStepsFactory{clock: clock, col: col, rows: rows, steps: map[int]clockStep{
		2: {need: 1, by: 2 * time.Hour},
		3: {need: 2, by: 2 * time.Hour},
	}}
	s := streamsql.NewSession(streamsql.Options{Clock: clock, Factories: []connector.TableFactory{src, col}})
	const script = `SET 'table.exec.state.ttl' = '3 h';
CREATE TABLE ev (k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'steps');
CREATE TABLE out (k STRING, v BIGINT, d BIGINT, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, v, COUNT(DISTINCT v) OVER w, COUNT(v) OVER w FROM ev
WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.Exec(ctx, script); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range col.rows["out"] {
		got = append(got, r.String())
	}
	checkRows(t, "over, ttl", got, []string{
		"+I('a', 1, 1, 1)", "+I('a', 2, 2, 2)", "+I('a', 3, 3, 3)", "+I('a', 4, 3, 3)", "+I('a', 5, 3, 3)"})
}

// TestOverDistinctTTLExpiredPartitionStartsAgain: a partition not written
// for the TTL starts again as a whole, its DISTINCT values with its
// accumulator and frame: value 1 at 0 h, then (TTL 3 h) 1 again at 4 h is
// the first value of a new partition (1 distinct, 1 row), not a value the
// views still hold (which would leave COUNT(DISTINCT) at 0).
func TestOverDistinctTTLExpiredPartitionStartsAgain(t *testing.T) {
	ts := func(s int64) table.Value { return table.TimestampMillis(s * 1000) }
	for _, frame := range []string{"ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW", "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW"} {
		var rows []table.Row
		for i, v := range []int64{1, 1, 9} {
			rows = append(rows, table.NewRow(table.Str("a"), table.Int(v), ts(int64(i+1))))
		}
		got := runClockSteps(t, rows, map[int]clockStep{2: {need: 1, by: 4 * time.Hour}},
			`SET 'table.exec.state.ttl' = '3 h';
CREATE TABLE ev (k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'steps');
CREATE TABLE out (k STRING, v BIGINT, d BIGINT, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, v, COUNT(DISTINCT v) OVER w, COUNT(v) OVER w FROM ev
WINDOW w AS (PARTITION BY k ORDER BY ts `+frame+`);`)
		checkRows(t, frame, got, []string{"+I('a', 1, 1, 1)", "+I('a', 1, 1, 1)", "+I('a', 9, 2, 2)"})
	}
}
