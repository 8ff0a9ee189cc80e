package nexmark

import (
	"math"
	"time"

	"github.com/stromio/strom/connector/nexmark"
)

// oracleQ17: per (auction, UTC day), the counts, MIN, MAX, SUM and the
// BIGINT AVG (sum / count truncated, as Java's long division).
func oracleQ17(events []nexmark.Event, _ Config) ([]any, error) {
	type key struct {
		auction int64
		day     string
	}
	groups := map[key]*Q17Row{}
	for i := range events {
		b := events[i].Bid
		if b == nil {
			continue
		}
		k := key{b.Auction, time.UnixMilli(b.DateTime).UTC().Format("2006-01-02")}
		g := groups[k]
		if g == nil {
			g = &Q17Row{Auction: k.auction, Day: k.day, MinPrice: math.MaxInt64, MaxPrice: math.MinInt64}
			groups[k] = g
		}
		g.TotalBids++
		if b.Price < 10000 {
			g.Rank1Bids++
		}
		if b.Price >= 10000 && b.Price < 1000000 {
			g.Rank2Bids++
		}
		if b.Price >= 1000000 {
			g.Rank3Bids++
		}
		g.MinPrice = min(g.MinPrice, b.Price)
		g.MaxPrice = max(g.MaxPrice, b.Price)
		g.SumPrice += b.Price
	}
	var out []any
	for _, g := range groups {
		g.AvgPrice = g.SumPrice / g.TotalBids
		out = append(out, *g)
	}
	return out, nil
}
