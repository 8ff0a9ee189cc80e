package planner

import (
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// colsNode is an input of the given columns (the function under test is
// driven by the harness, not by a planned source).
type colsNode []Col

func (n colsNode) Cols() []Col    { return n }
func (n colsNode) Updating() bool { return false }
func (n colsNode) Inputs() []Node { return nil }

// TestOverDistinctViewsCleanupTimer: with the state TTL, the DISTINCT
// views of an OVER aggregation (no TTL of their own) go with the
// partition's accumulator: its processing-time cleanup timer clears them
// once the accumulator has expired, also for a key that never comes back,
// and leaves them to a partition still alive (which counts a value it
// already has once, not again). In the end no state is left.
func TestOverDistinctViewsCleanupTimer(t *testing.T) {
	in := colsNode{{Name: "k", Type: table.StringType()}, {Name: "v", Type: table.BigIntType()}}
	cd, err := expr.NewAggregate("COUNT_DISTINCT", []table.Type{table.BigIntType()})
	if err != nil {
		t.Fatal(err)
	}
	n := &OverAgg{In: in, Partition: []int{0}, Unit: "ROWS", Unbounded: true,
		Aggs: []AggCall{{F: cd, Args: []int{1}, Filter: -1, Text: "COUNT(DISTINCT v)"}}}
	g := newGroupAccs(n.In, n.Aggs)
	if len(g.views) != 1 {
		t.Fatalf("%d views, want 1", len(g.views))
	}
	keyFn, _ := keyOf(n.In, n.Partition)
	_, newFn := n.newFn(g, time.Hour)
	h, err := streamtest.New(func(s stream.Stream[table.Row]) stream.Stream[table.Row] {
		return stream.KeyedProcess(stream.KeyBy(s, keyFn), newFn)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	row := func(k string, v int64) table.Row { return table.NewRow(table.Str(k), table.Int(v)) }
	// 0 min: a gets 1 and 2, b gets 5 (cleanup timers at 60 min).
	must(h.Record(1, row("a", 1)))
	must(h.Record(2, row("a", 2)))
	must(h.Record(3, row("b", 5)))
	must(h.Watermark(3))
	// 30 min: b gets 6 (its accumulator lives until 90 min).
	must(h.AdvanceClock(30 * time.Minute))
	must(h.Record(4, row("b", 6)))
	must(h.Watermark(4))
	// 70 min: a's timer finds its accumulator expired and clears its
	// views; b's finds it alive and looks again at 130 min. b's 5 is
	// still one of its values: 2 distinct, not 3.
	must(h.AdvanceClock(40 * time.Minute))
	must(h.Record(5, row("b", 5)))
	must(h.Watermark(5))
	if h.StateBytes() == 0 {
		t.Fatal("no state while b is alive")
	}
	// 190 min: b's accumulator expired at 130 min, and its views with it.
	must(h.AdvanceClock(2 * time.Hour))
	if n := h.StateBytes(); n != 0 {
		t.Errorf("%d bytes of state left after every partition expired", n)
	}
	var got []string
	for _, r := range h.Values() {
		got = append(got, r.String())
	}
	want := "+I('a', 1, 1) +I('a', 2, 2) +I('b', 5, 1) +I('b', 6, 2) +I('b', 5, 2)"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("got  %s\nwant %s", s, want)
	}
}
