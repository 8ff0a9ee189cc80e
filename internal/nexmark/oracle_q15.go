package nexmark

import (
	"time"

	"github.com/stromio/strom/connector/nexmark"
)

// oracleStats is COUNT(*) and COUNT(DISTINCT bidder/auction), overall and
// per price rank, computed with sets (q15 and q16 oracles).
type oracleStats struct {
	bids      [4]int64 // total, rank 1..3
	bidders   [4]map[int64]bool
	auctions  [4]map[int64]bool
	maxMinute string
}

func newOracleStats() *oracleStats {
	s := &oracleStats{}
	for i := range 4 {
		s.bidders[i] = map[int64]bool{}
		s.auctions[i] = map[int64]bool{}
	}
	return s
}

func (s *oracleStats) add(b *nexmark.Bid) {
	var rank int
	switch {
	case b.Price < 10000:
		rank = 1
	case b.Price >= 10000 && b.Price < 1000000:
		rank = 2
	case b.Price >= 1000000:
		rank = 3
	}
	for _, i := range []int{0, rank} {
		s.bids[i]++
		s.bidders[i][b.Bidder] = true
		s.auctions[i][b.Auction] = true
	}
	if m := time.UnixMilli(b.DateTime).UTC().Format("15:04"); m > s.maxMinute {
		s.maxMinute = m
	}
}

// oracleQ15: per UTC day, the counts and distinct sets.
func oracleQ15(events []nexmark.Event, _ Config) ([]any, error) {
	days := map[string]*oracleStats{}
	for i := range events {
		b := events[i].Bid
		if b == nil {
			continue
		}
		day := time.UnixMilli(b.DateTime).UTC().Format("2006-01-02")
		if days[day] == nil {
			days[day] = newOracleStats()
		}
		days[day].add(b)
	}
	var out []any
	for day, s := range days {
		out = append(out, Q15Row{Day: day,
			TotalBids: s.bids[0], Rank1Bids: s.bids[1], Rank2Bids: s.bids[2], Rank3Bids: s.bids[3],
			TotalBidders: int64(len(s.bidders[0])), Rank1Bidders: int64(len(s.bidders[1])), Rank2Bidders: int64(len(s.bidders[2])), Rank3Bidders: int64(len(s.bidders[3])),
			TotalAuctions: int64(len(s.auctions[0])), Rank1Auctions: int64(len(s.auctions[1])), Rank2Auctions: int64(len(s.auctions[2])), Rank3Auctions: int64(len(s.auctions[3]))})
	}
	return out, nil
}
