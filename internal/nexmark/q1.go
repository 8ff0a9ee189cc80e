package nexmark

import (
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q1Row is a q1 result row: the bid with its price converted to another
// currency, price × 0.908 as DECIMAL(23,3).
type Q1Row struct {
	Auction  int64    `json:"auction"`
	Bidder   int64    `json:"bidder"`
	Price    Decimal3 `json:"price"`
	DateTime int64    `json:"dateTime"`
	Extra    string   `json:"extra"`
}

func init() {
	Register(&Query{
		Name:    "q1",
		Columns: []string{"auction", "bidder", "price", "dateTime", "extra"},
		Build:   buildQ1,
		Oracle:  oracleQ1,
	})
}

// buildQ1 is a stateless map over the bid view.
func buildQ1(events stream.Stream[nexmark.Event], _ Config) Output {
	rows := stream.Map(Bids(events), func(b *nexmark.Bid) Q1Row {
		return Q1Row{Auction: b.Auction, Bidder: b.Bidder, Price: Times0908(b.Price), DateTime: b.DateTime, Extra: b.Extra}
	}).Name("q1-convert")
	return Out(rows)
}
