package nexmark

import (
	"cmp"
	"slices"

	"github.com/stromio/strom/connector/nexmark"
)

// oracleQ19: per auction, sort all its bids by (price desc, dateTime,
// bidder, channel, url, extra) and number the first ten.
func oracleQ19(events []nexmark.Event, _ Config) ([]any, error) {
	byAuction := map[int64][]*nexmark.Bid{}
	for i := range events {
		if b := events[i].Bid; b != nil {
			byAuction[b.Auction] = append(byAuction[b.Auction], b)
		}
	}
	var out []any
	for _, bids := range byAuction {
		slices.SortStableFunc(bids, func(x, y *nexmark.Bid) int {
			return cmp.Or(cmp.Compare(y.Price, x.Price), cmp.Compare(x.DateTime, y.DateTime), cmp.Compare(x.Bidder, y.Bidder),
				cmp.Compare(x.Channel, y.Channel), cmp.Compare(x.URL, y.URL), cmp.Compare(x.Extra, y.Extra))
		})
		for i, b := range bids[:min(len(bids), 10)] {
			out = append(out, Q19Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, Channel: b.Channel, URL: b.URL,
				DateTime: b.DateTime, Extra: b.Extra, RankNumber: int64(i + 1)})
		}
	}
	return out, nil
}
