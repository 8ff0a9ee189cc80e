package nexmark

import (
	"sort"

	"github.com/stromio/strom/connector/nexmark"
)

// oracleQ6: every auction's winning bid (inside [dateTime, expires]; the
// highest price, then the earliest dateTime, then the lowest bidder); per
// seller, the winners ordered by (bid dateTime, auction id), and the
// integer average price of the last 10.
func oracleQ6(events []nexmark.Event, _ Config) ([]any, error) {
	bidsOf := map[int64][]*nexmark.Bid{}
	for _, e := range events {
		if e.Bid != nil {
			bidsOf[e.Bid.Auction] = append(bidsOf[e.Bid.Auction], e.Bid)
		}
	}
	type win struct{ time, auction, price int64 }
	bySeller := map[int64][]win{}
	for _, e := range events {
		a := e.Auction
		if a == nil {
			continue
		}
		var best *nexmark.Bid
		for _, b := range bidsOf[a.ID] {
			if b.DateTime < a.DateTime || b.DateTime > a.Expires {
				continue
			}
			if best == nil || b.Price > best.Price ||
				(b.Price == best.Price && (b.DateTime < best.DateTime ||
					(b.DateTime == best.DateTime && b.Bidder < best.Bidder))) {
				best = b
			}
		}
		if best != nil {
			bySeller[a.Seller] = append(bySeller[a.Seller], win{best.DateTime, a.ID, best.Price})
		}
	}
	var out []any
	for seller, ws := range bySeller {
		sort.Slice(ws, func(i, j int) bool {
			if ws[i].time != ws[j].time {
				return ws[i].time < ws[j].time
			}
			return ws[i].auction < ws[j].auction
		})
		if len(ws) > 10 {
			ws = ws[len(ws)-10:]
		}
		var sum int64
		for _, w := range ws {
			sum += w.price
		}
		out = append(out, Q6Row{Seller: seller, AvgPrice: sum / int64(len(ws))})
	}
	return out, nil
}
