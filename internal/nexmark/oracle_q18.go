package nexmark

import (
	"cmp"

	"github.com/stromio/strom/connector/nexmark"
)

// oracleQ18: per (bidder, auction) the maximum bid in the order (dateTime,
// price, channel, url, extra) — the job's documented tie rule.
func oracleQ18(events []nexmark.Event, _ Config) ([]any, error) {
	type key struct{ bidder, auction int64 }
	last := map[key]*nexmark.Bid{}
	for i := range events {
		b := events[i].Bid
		if b == nil {
			continue
		}
		k := key{b.Bidder, b.Auction}
		if cur, ok := last[k]; !ok || cmp.Or(
			cmp.Compare(b.DateTime, cur.DateTime),
			cmp.Compare(b.Price, cur.Price),
			cmp.Compare(b.Channel, cur.Channel),
			cmp.Compare(b.URL, cur.URL),
			cmp.Compare(b.Extra, cur.Extra)) > 0 {
			last[k] = b
		}
	}
	var out []any
	for _, b := range last {
		out = append(out, Q18Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, Channel: b.Channel, URL: b.URL,
			DateTime: b.DateTime, Extra: b.Extra})
	}
	return out, nil
}
