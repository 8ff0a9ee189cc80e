package nexmark

import "github.com/stromio/strom/connector/nexmark"

// oracleQ20: the auctions of category 10 by id, then every bid paired with
// each auction of its id.
func oracleQ20(events []nexmark.Event, _ Config) ([]any, error) {
	byID := map[int64][]*nexmark.Auction{}
	for i := range events {
		if a := events[i].Auction; a != nil && a.Category == 10 {
			byID[a.ID] = append(byID[a.ID], a)
		}
	}
	var out []any
	for i := range events {
		b := events[i].Bid
		if b == nil {
			continue
		}
		for _, a := range byID[b.Auction] {
			out = append(out, Q20Row{
				Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, Channel: b.Channel, URL: b.URL,
				BidDateTime: b.DateTime, BidExtra: b.Extra,
				ItemName: a.ItemName, Description: a.Description, InitialBid: a.InitialBid, Reserve: a.Reserve,
				AuctionDateTime: a.DateTime, Expires: a.Expires, Seller: a.Seller, Category: a.Category, AuctionExtra: a.Extra,
			})
		}
	}
	return out, nil
}
