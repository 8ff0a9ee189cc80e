package nexmark

import (
	"time"

	"github.com/stromio/strom/connector/nexmark"
)

// oracleQ10: every bid with DATE_FORMAT(dateTime, 'yyyy-MM-dd') and
// DATE_FORMAT(dateTime, 'HH:mm') in UTC.
func oracleQ10(events []nexmark.Event, _ Config) ([]any, error) {
	var out []any
	for i := range events {
		b := events[i].Bid
		if b == nil {
			continue
		}
		t := time.UnixMilli(b.DateTime).UTC()
		out = append(out, Q10Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, DateTime: b.DateTime,
			Extra: b.Extra, Dt: t.Format("2006-01-02"), Hm: t.Format("15:04")})
	}
	return out, nil
}
