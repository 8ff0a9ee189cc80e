package nexmark

import "github.com/stromio/strom/connector/nexmark"

// oracleQ9: for every auction, the bid inside [dateTime, expires] with the
// highest price, then the earliest dateTime, then the lowest bidder, and
// the auction row with it; auctions without such a bid have no row.
func oracleQ9(events []nexmark.Event, _ Config) ([]any, error) {
	bidsOf := map[int64][]*nexmark.Bid{}
	for _, e := range events {
		if e.Bid != nil {
			bidsOf[e.Bid.Auction] = append(bidsOf[e.Bid.Auction], e.Bid)
		}
	}
	var out []any
	for _, e := range events {
		a := e.Auction
		if a == nil {
			continue
		}
		var win *nexmark.Bid
		for _, b := range bidsOf[a.ID] {
			if b.DateTime < a.DateTime || b.DateTime > a.Expires {
				continue
			}
			switch {
			case win == nil,
				b.Price > win.Price,
				b.Price == win.Price && b.DateTime < win.DateTime,
				b.Price == win.Price && b.DateTime == win.DateTime && b.Bidder < win.Bidder:
				win = b
			}
		}
		if win == nil {
			continue
		}
		out = append(out, Q9Row{ID: a.ID, ItemName: a.ItemName, Description: a.Description,
			InitialBid: a.InitialBid, Reserve: a.Reserve, DateTime: a.DateTime, Expires: a.Expires,
			Seller: a.Seller, Category: a.Category, Extra: a.Extra,
			BidAuction: win.Auction, BidBidder: win.Bidder, BidPrice: win.Price, BidDateTime: win.DateTime})
	}
	return out, nil
}
