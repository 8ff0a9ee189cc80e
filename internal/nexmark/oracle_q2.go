package nexmark

import "github.com/stromio/strom/connector/nexmark"

// oracleQ2: auction and price of the bids whose auction is a multiple of 123
// (SQL MOD keeps the sign of the dividend, as Go's %: only 0 matters here).
func oracleQ2(events []nexmark.Event, _ Config) ([]any, error) {
	var out []any
	for _, e := range events {
		if b := e.Bid; b != nil && b.Auction%123 == 0 {
			out = append(out, Q2Row{Auction: b.Auction, Price: b.Price})
		}
	}
	return out, nil
}
