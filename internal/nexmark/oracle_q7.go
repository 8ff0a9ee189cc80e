package nexmark

import "github.com/stromio/strom/connector/nexmark"

// oracleQ7: the highest price of every 10 s tumbling window of bids, then
// every bid with that price and window_end − 10 s <= dateTime <= window_end
// (SQL BETWEEN), once per window it matches.
func oracleQ7(events []nexmark.Event, _ Config) ([]any, error) {
	const size = 10_000
	maxAt := map[int64]int64{} // window start -> max price
	for _, e := range events {
		if b := e.Bid; b != nil {
			s := b.DateTime - oracleMod(b.DateTime, size)
			if m, ok := maxAt[s]; !ok || b.Price > m {
				maxAt[s] = b.Price
			}
		}
	}
	var out []any
	for _, e := range events {
		b := e.Bid
		if b == nil {
			continue
		}
		// Windows [s, s+size) with s <= dateTime <= s+size.
		for s := b.DateTime - oracleMod(b.DateTime, size); s >= b.DateTime-size; s -= size {
			if m, ok := maxAt[s]; ok && m == b.Price {
				out = append(out, Q7Row{Auction: b.Auction, Price: b.Price, Bidder: b.Bidder, DateTime: b.DateTime, Extra: b.Extra})
			}
		}
	}
	return out, nil
}
