package nexmark

import "github.com/stromio/strom/connector/nexmark"

// oracleQ1: every bid with price × 0.908, kept in thousandths (exact: the
// factor has three decimals).
func oracleQ1(events []nexmark.Event, _ Config) ([]any, error) {
	var out []any
	for _, e := range events {
		if e.Bid == nil {
			continue
		}
		b := e.Bid
		out = append(out, Q1Row{Auction: b.Auction, Bidder: b.Bidder, Price: Decimal3(b.Price * 908), DateTime: b.DateTime, Extra: b.Extra})
	}
	return out, nil
}
