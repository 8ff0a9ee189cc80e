package nexmark

import "github.com/stromio/strom/connector/nexmark"

// oracleQ4 evaluates
//
//	SELECT category, AVG(final) FROM (
//	  SELECT MAX(B.price) AS final, A.category FROM auction A, bid B
//	  WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
//	  GROUP BY A.id, A.category) GROUP BY category
//
// over the whole input, AVG of BIGINT being the integer quotient.
func oracleQ4(events []nexmark.Event, _ Config) ([]any, error) {
	bidsOf := map[int64][]*nexmark.Bid{}
	var auctions []*nexmark.Auction
	for _, e := range events {
		if e.Bid != nil {
			bidsOf[e.Bid.Auction] = append(bidsOf[e.Bid.Auction], e.Bid)
		}
		if e.Auction != nil {
			auctions = append(auctions, e.Auction)
		}
	}
	type group struct{ id, category int64 }
	final := map[group]int64{}
	for _, a := range auctions {
		for _, b := range bidsOf[a.ID] {
			if b.DateTime < a.DateTime || b.DateTime > a.Expires {
				continue
			}
			g := group{a.ID, a.Category}
			if m, ok := final[g]; !ok || b.Price > m {
				final[g] = b.Price
			}
		}
	}
	sum, n := map[int64]int64{}, map[int64]int64{}
	for g, p := range final {
		sum[g.category] += p
		n[g.category]++
	}
	var out []any
	for c, s := range sum {
		out = append(out, Q4Row{ID: c, Final: s / n[c]})
	}
	return out, nil
}
