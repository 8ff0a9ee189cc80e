package nexmark

import (
	"time"

	"github.com/stromio/strom/connector/nexmark"
)

// oracleQ16: q15's statistics per (channel, UTC day), plus the largest
// 'HH:mm' string seen.
func oracleQ16(events []nexmark.Event, _ Config) ([]any, error) {
	type key struct{ channel, day string }
	groups := map[key]*oracleStats{}
	for i := range events {
		b := events[i].Bid
		if b == nil {
			continue
		}
		k := key{b.Channel, time.UnixMilli(b.DateTime).UTC().Format("2006-01-02")}
		if groups[k] == nil {
			groups[k] = newOracleStats()
		}
		groups[k].add(b)
	}
	var out []any
	for k, s := range groups {
		out = append(out, Q16Row{Channel: k.channel, Day: k.day, Minute: s.maxMinute,
			TotalBids: s.bids[0], Rank1Bids: s.bids[1], Rank2Bids: s.bids[2], Rank3Bids: s.bids[3],
			TotalBidders: int64(len(s.bidders[0])), Rank1Bidders: int64(len(s.bidders[1])), Rank2Bidders: int64(len(s.bidders[2])), Rank3Bidders: int64(len(s.bidders[3])),
			TotalAuctions: int64(len(s.auctions[0])), Rank1Auctions: int64(len(s.auctions[1])), Rank2Auctions: int64(len(s.auctions[2])), Rank3Auctions: int64(len(s.auctions[3]))})
	}
	return out, nil
}
