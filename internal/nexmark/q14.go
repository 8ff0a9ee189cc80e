package nexmark

import (
	"strings"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q14Row is a q14 result row.
type Q14Row struct {
	Auction     int64    `json:"auction"`
	Bidder      int64    `json:"bidder"`
	Price       Decimal3 `json:"price"`
	BidTimeType string   `json:"bidTimeType"`
	DateTime    int64    `json:"dateTime"`
	Extra       string   `json:"extra"`
	CCounts     int64    `json:"c_counts"`
}

func init() {
	Register(&Query{
		Name:    "q14",
		Columns: []string{"auction", "bidder", "price", "bidTimeType", "dateTime", "extra", "c_counts"},
		Build:   buildQ14,
		Oracle:  oracleQ14,
	})
}

// q14 bounds of 0.908 × price, in thousandths (Decimal3): the bid is kept
// when 1,000,000 < 0.908 × price < 50,000,000.
const (
	q14Low  = Decimal3(1_000_000 * 1000)
	q14High = Decimal3(50_000_000 * 1000)
)

// buildQ14 is the calculation query, one chained flat map over the bid
// view: the exact DECIMAL(23,3) product (Times0908) filtered to the open
// interval, the label of HOUR(dateTime) in UTC as Flink's CASE writes it
// ('dayTime' for 8..18, 'nightTime' for <= 6 or >= 20, else 'otherTime'),
// and count_char(extra, 'c') (the UDF counts the UTF-16 units equal to 'c';
// an ASCII letter is one byte in UTF-8, so counting bytes is the same).
// Nothing is allocated per record.
func buildQ14(events stream.Stream[nexmark.Event], _ Config) Output {
	rows := stream.FlatMap(Bids(events), func(b *nexmark.Bid, out stream.Emitter[Q14Row]) {
		p := Times0908(b.Price)
		if p <= q14Low || p >= q14High {
			return
		}
		out.Emit(Q14Row{Auction: b.Auction, Bidder: b.Bidder, Price: p, BidTimeType: q14TimeType[minuteOfDay(b.DateTime)/60],
			DateTime: b.DateTime, Extra: b.Extra, CCounts: int64(strings.Count(b.Extra, "c"))})
	}).Name("q14-calculation")
	return Out(rows)
}

// q14TimeType[h] is the bidTimeType of hour h.
var q14TimeType = func() (t [24]string) {
	for h := range t {
		switch {
		case h >= 8 && h <= 18:
			t[h] = "dayTime"
		case h <= 6 || h >= 20:
			t[h] = "nightTime"
		default:
			t[h] = "otherTime"
		}
	}
	return t
}()
