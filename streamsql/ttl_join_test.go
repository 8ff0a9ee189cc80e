package streamsql_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestStateTTLExpiresJoinState: a regular join keeps each side's rows in
// keyed state; with 'table.exec.state.ttl' = '1 h' a row written two hours
// (of processing time, a manual clock) before a new row of its key has
// expired and no longer joins, on either side, as in Flink; without the TTL
// it does. A self-join of (k, v): ('a', 1) joins itself, then two hours
// later ('a', 2) joins itself and, without the TTL only, ('a', 1) both ways.
func TestStateTTLExpiresJoinState(t *testing.T) {
	for _, ttl := range []string{"", "1 h"} {
		clock := stream.NewManualClock(time.Unix(1_700_000_000, 0))
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		src := &stepFactory{clock: clock, col: col, at: 1, by: 2 * time.Hour, rows: []table.Row{
			table.NewRow(table.Str("a"), table.Int(1)), table.NewRow(table.Str("a"), table.Int(2))}}
		s := streamsql.NewSession(streamsql.Options{Clock: clock, Factories: []connector.TableFactory{src, col}})
		script := `CREATE TABLE ev (k STRING, v BIGINT) WITH ('connector' = 'step');
CREATE TABLE out (k STRING, l BIGINT, r BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT a.k, a.v, b.v FROM ev AS a JOIN ev AS b ON a.k = b.k;`
		if ttl != "" {
			script = "SET 'table.exec.state.ttl' = '" + ttl + "';\n" + script
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
		// The two inputs of the self-join race: compare as multisets.
		slices.Sort(got)
		want := []string{"+I('a', 1, 1)", "+I('a', 1, 2)", "+I('a', 2, 1)", "+I('a', 2, 2)"}
		if ttl != "" {
			want = []string{"+I('a', 1, 1)", "+I('a', 2, 2)"}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("ttl %q: got %v, want %v", ttl, got, want)
		}
	}
}
