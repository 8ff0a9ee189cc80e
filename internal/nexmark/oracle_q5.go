package nexmark

import "github.com/stromio/strom/connector/nexmark"

// oracleQ5: bids counted per auction in every 10 s window starting at a
// multiple of 2 s that contains the bid; per window, the auctions whose
// count is at least (that is: equal to) the window's largest count.
func oracleQ5(events []nexmark.Event, _ Config) ([]any, error) {
	const size, slide = 10_000, 2_000
	type cell struct{ auction, start int64 }
	count := map[cell]int64{}
	for _, e := range events {
		b := e.Bid
		if b == nil {
			continue
		}
		last := b.DateTime - oracleMod(b.DateTime, slide) // latest window start <= dateTime
		for s := last; s > b.DateTime-size; s -= slide {
			count[cell{b.Auction, s}]++
		}
	}
	maxOf := map[int64]int64{}
	for c, n := range count {
		if n > maxOf[c.start] {
			maxOf[c.start] = n
		}
	}
	var out []any
	for c, n := range count {
		if n >= maxOf[c.start] {
			out = append(out, Q5Row{Auction: c.auction, Num: n, WindowStart: c.start, WindowEnd: c.start + size})
		}
	}
	return out, nil
}

// oracleMod is the non-negative remainder (floor modulo).
func oracleMod(a, m int64) int64 {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}
