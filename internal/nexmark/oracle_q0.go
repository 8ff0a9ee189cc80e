package nexmark

import "github.com/stromio/strom/connector/nexmark"

// oracleQ0: every bid, projected.
func oracleQ0(events []nexmark.Event, _ Config) ([]any, error) {
	var out []any
	for i := range events {
		b := events[i].Bid
		if b == nil {
			continue
		}
		out = append(out, Q0Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, DateTime: b.DateTime, Extra: b.Extra})
	}
	return out, nil
}
