package nexmark

import (
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q11Row is a q11 result row: the bids of one bidder's session.
type Q11Row struct {
	Bidder      int64 `json:"bidder"`
	BidCount    int64 `json:"bid_count"`
	WindowStart int64 `json:"window_start"`
	WindowEnd   int64 `json:"window_end"`
}

func init() {
	Register(&Query{
		Name:    "q11",
		Columns: []string{"bidder", "bid_count", "window_start", "window_end"},
		Build:   buildQ11,
		Oracle:  oracleQ11,
	})
}

// q11Gap is the session gap.
const q11Gap = 10 * time.Second

// buildQ11 counts bids per bidder and SESSION(dateTime, 10 s): the bid view
// mapped to the bidder (8 bytes cross the network), keyed by bidder, into
// event-time session windows with an incremental count (int64 accumulator
// with the binary Int64 codec). As in Flink, window_start is the first bid
// of the session and window_end the last bid plus the gap; sessions whose
// windows touch merge (bids exactly 10 s apart share a session); a bid
// whose session window is already behind the watermark is late and
// dropped (counted in the operator's late metric).
func buildQ11(events stream.Stream[nexmark.Event], _ Config) Output {
	bidders := stream.Map(Bids(events), func(b *nexmark.Bid) int64 { return b.Bidder }).Name("q11-bidder")
	ws := stream.KeyBy(bidders, func(b int64) int64 { return b }).Window(stream.EventTimeSessionWindows(q11Gap))
	rows := stream.WindowAggregateProcess(ws, countAgg(),
		func() stream.ProcessWindowFunction[int64, int64, Q11Row] {
			return stream.ProcessWindowFunc[int64, int64, Q11Row](func(ctx *stream.WindowContext[int64], counts []int64, out stream.Emitter[Q11Row]) error {
				w := ctx.Window()
				for _, n := range counts {
					out.Emit(Q11Row{Bidder: ctx.Key(), BidCount: n, WindowStart: w.Start, WindowEnd: w.End})
				}
				return nil
			})
		}).Name("q11-session-count")
	return Out(rows)
}

// countAgg is COUNT(*) as an incremental aggregate with a binary accumulator.
func countAgg() stream.AggregatorFuncs[int64, int64, int64] {
	return stream.AggregatorFuncs[int64, int64, int64]{
		CreateFn: func() int64 { return 0 },
		AddFn:    func(_ int64, acc int64) int64 { return acc + 1 },
		MergeFn:  func(a, b int64) int64 { return a + b },
		ResultFn: func(acc int64) int64 { return acc },
		Codec:    codec.Int64{},
	}
}
