package nexmark

import (
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q2Row is a q2 result row.
type Q2Row struct {
	Auction int64 `json:"auction"`
	Price   int64 `json:"price"`
}

func init() {
	Register(&Query{
		Name:    "q2",
		Columns: []string{"auction", "price"},
		Build:   buildQ2,
		Oracle:  oracleQ2,
	})
}

// buildQ2 selects the bids of every 123rd auction: a filter and a map,
// chained to the source.
func buildQ2(events stream.Stream[nexmark.Event], _ Config) Output {
	sel := Bids(events).Filter(func(b *nexmark.Bid) bool { return b.Auction%123 == 0 }).Name("q2-filter")
	rows := stream.Map(sel, func(b *nexmark.Bid) Q2Row { return Q2Row{Auction: b.Auction, Price: b.Price} }).Name("q2-project")
	return Out(rows)
}
