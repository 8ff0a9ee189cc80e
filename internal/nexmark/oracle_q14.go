package nexmark

import (
	"time"

	"github.com/stromio/strom/connector/nexmark"
)

// oracleQ14: Flink's q14 SELECT, literally (decimal arithmetic in
// thousandths: 0.908 = 908/1000).
func oracleQ14(events []nexmark.Event, _ Config) ([]any, error) {
	var out []any
	for i := range events {
		b := events[i].Bid
		if b == nil {
			continue
		}
		milli := b.Price * 908 // 0.908 * price, in thousandths
		if !(milli > 1_000_000*1000 && milli < 50_000_000*1000) {
			continue
		}
		hour := time.UnixMilli(b.DateTime).UTC().Hour()
		var typ string
		if hour >= 8 && hour <= 18 {
			typ = "dayTime"
		} else if hour <= 6 || hour >= 20 {
			typ = "nightTime"
		} else {
			typ = "otherTime"
		}
		var c int64
		for _, r := range b.Extra {
			if r == 'c' {
				c++
			}
		}
		out = append(out, Q14Row{Auction: b.Auction, Bidder: b.Bidder, Price: Decimal3(milli), BidTimeType: typ,
			DateTime: b.DateTime, Extra: b.Extra, CCounts: c})
	}
	return out, nil
}
