package nexmark

import (
	"errors"
	"fmt"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q12Row is a q12 result row: a bidder's bids in one 10 s window of
// processing time.
type Q12Row struct {
	Bidder      int64 `json:"bidder"`
	BidCount    int64 `json:"bid_count"`
	WindowStart int64 `json:"window_start"`
	WindowEnd   int64 `json:"window_end"`
}

// ProcessingTime names the queries whose result depends on processing
// time and so differs from run to run: golden tests compare them with a
// check of their own (CheckQ12) instead of their oracle.
var ProcessingTime = map[string]bool{"q12": true}

// ErrNotComparable is returned by the oracle of a processing-time query.
var ErrNotComparable = errors.New("nexmark: the query's result depends on processing time; check it with its Check function instead of an oracle")

func init() {
	Register(&Query{
		Name:    "q12",
		Columns: []string{"bidder", "bid_count", "window_start", "window_end"},
		Build:   buildQ12,
		Oracle: func([]nexmark.Event, Config) ([]any, error) {
			return nil, fmt.Errorf("q12: %w (CheckQ12)", ErrNotComparable)
		},
	})
}

// q12Size is the window size in milliseconds.
const q12Size = 10_000

// buildQ12 counts bids per bidder and TUMBLE(PROCTIME(), 10 s). The bid
// view is mapped to the bidder, keyed by it, and counted by a keyed
// process function (q12Fn) rather than the generic window operator: a
// MapState[window start]count per bidder (binary codecs, usually one entry)
// and one processing-time timer per bidder and window, at the window's
// last millisecond as Flink's ProcessingTimeTrigger. Windows fire when the
// subtask's processing-time clock passes their end.
//
// As in Flink, windows still open when a bounded input ends are dropped
// (no timer tells a keyed function that the input ended; an event-time
// timer at +infinity per bidder would, but it would stay in the timer
// queue of an unbounded run for every bidder ever seen). So a bounded run
// loses the bids of its last window(s): see CheckQ12 for what a bounded
// run can promise.
func buildQ12(events stream.Stream[nexmark.Event], _ Config) Output {
	bidders := stream.Map(Bids(events), func(b *nexmark.Bid) int64 { return b.Bidder }).Name("q12-bidder")
	rows := stream.KeyedProcess(stream.KeyBy(bidders, func(b int64) int64 { return b }),
		func() stream.KeyedProcessFunction[int64, int64, Q12Row] { return &q12Fn{} }).Name("q12-proctime-tumble")
	return Out(rows)
}

type q12Fn struct {
	counts *stream.MapState[int64, int64] // window start -> bids
}

func (f *q12Fn) Open(ctx *stream.OpenContext) error {
	f.counts = stream.NewMapState[int64, int64](ctx, "q12-counts")
	return nil
}

func (f *q12Fn) ProcessElement(ctx *stream.KeyedContext[int64], _ int64, _ stream.Emitter[Q12Row]) error {
	start := floorDiv(ctx.ProcessingTime(), q12Size) * q12Size
	n, ok := f.counts.Get(start)
	if !ok {
		ctx.RegisterProcessingTimeTimer(start + q12Size - 1)
	}
	f.counts.Put(start, n+1)
	return nil
}

func (f *q12Fn) OnTimer(ctx *stream.KeyedContext[int64], t int64, out stream.Emitter[Q12Row]) error {
	start := t - (q12Size - 1)
	if n, ok := f.counts.Get(start); ok {
		out.Emit(Q12Row{Bidder: ctx.Key(), BidCount: n, WindowStart: start, WindowEnd: start + q12Size})
		f.counts.Remove(start)
	}
	return nil
}

// CheckQ12 checks a bounded run's q12 result against the events, as far as
// processing time allows: every row is a 10 s window aligned to the epoch
// with at least one bid, no (bidder, window) appears twice, no bidder
// appears that has no bids, and per bidder the counts add up to at most
// the bidder's bids. Equality cannot be promised: the windows still open
// when the input ends are dropped (as in Flink), and which bids they held
// depends on the wall clock (a run shorter than 10 s may well emit
// nothing). Exact counts are checked by the package tests under a manual
// clock instead.
func CheckQ12(events []nexmark.Event, rows []any) error {
	want := map[int64]int64{}
	for i := range events {
		if b := events[i].Bid; b != nil {
			want[b.Bidder]++
		}
	}
	got := map[int64]int64{}
	type bw struct{ bidder, start int64 }
	seen := map[bw]bool{}
	for i, r := range rows {
		row, ok := r.(Q12Row)
		if !ok {
			return fmt.Errorf("q12: row %d is a %T, not a Q12Row", i, r)
		}
		switch {
		case row.WindowEnd-row.WindowStart != q12Size || floorDiv(row.WindowStart, q12Size)*q12Size != row.WindowStart:
			return fmt.Errorf("q12: row %d: window [%d, %d) is not a 10 s window aligned to the epoch", i, row.WindowStart, row.WindowEnd)
		case row.BidCount < 1:
			return fmt.Errorf("q12: row %d: bid_count %d", i, row.BidCount)
		case seen[bw{row.Bidder, row.WindowStart}]:
			return fmt.Errorf("q12: row %d: bidder %d and window %d appear twice", i, row.Bidder, row.WindowStart)
		}
		seen[bw{row.Bidder, row.WindowStart}] = true
		got[row.Bidder] += row.BidCount
	}
	for bidder, n := range got {
		if n > want[bidder] {
			return fmt.Errorf("q12: bidder %d: the windows count %d bids, the input has only %d", bidder, n, want[bidder])
		}
	}
	return nil
}
