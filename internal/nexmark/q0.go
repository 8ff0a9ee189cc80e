package nexmark

import (
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q0Row is a q0 result row: the bid, passed through (SPEC.md §3.4).
type Q0Row struct {
	Auction  int64  `json:"auction"`
	Bidder   int64  `json:"bidder"`
	Price    int64  `json:"price"`
	DateTime int64  `json:"dateTime"`
	Extra    string `json:"extra"`
}

func init() {
	Register(&Query{
		Name:    "q0",
		Columns: []string{"auction", "bidder", "price", "dateTime", "extra"},
		Build:   buildQ0,
		Oracle:  oracleQ0,
	})
}

// buildQ0 is the pass-through query: the bid view projected to its columns
// (one chained map; nothing is allocated per record).
func buildQ0(events stream.Stream[nexmark.Event], _ Config) Output {
	rows := stream.Map(Bids(events), func(b *nexmark.Bid) Q0Row {
		return Q0Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, DateTime: b.DateTime, Extra: b.Extra}
	}).Name("q0-project")
	return Out(rows)
}
