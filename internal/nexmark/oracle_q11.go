package nexmark

import (
	"slices"

	"github.com/stromio/strom/connector/nexmark"
)

// oracleQ11: per bidder, sort the bid times and cut a session wherever two
// consecutive bids are more than 10 s apart (windows [t, t+10 s) that
// touch merge, as Flink's TimeWindow.intersects). The session is [first,
// last + 10 s). It assumes no bid is late (true for the generator, whose
// splits are each in event-time order, so a bid is never behind the
// watermark).
func oracleQ11(events []nexmark.Event, _ Config) ([]any, error) {
	const gap = 10_000
	times := map[int64][]int64{}
	for i := range events {
		if b := events[i].Bid; b != nil {
			times[b.Bidder] = append(times[b.Bidder], b.DateTime)
		}
	}
	var out []any
	for bidder, ts := range times {
		slices.Sort(ts)
		start, last, n := ts[0], ts[0], int64(1)
		for _, t := range ts[1:] {
			if t-last > gap {
				out = append(out, Q11Row{Bidder: bidder, BidCount: n, WindowStart: start, WindowEnd: last + gap})
				start, n = t, 0
			}
			last = t
			n++
		}
		out = append(out, Q11Row{Bidder: bidder, BidCount: n, WindowStart: start, WindowEnd: last + gap})
	}
	return out, nil
}
