package nexmark

import (
	"strings"

	"github.com/stromio/strom/connector/nexmark"
)

// oracleQ22: split the URL on every '/' (strings.Split keeps empty tokens,
// as splitPreserveAllTokens) and take tokens 3, 4, 5 when they exist; an
// empty URL has no tokens.
func oracleQ22(events []nexmark.Event, _ Config) ([]any, error) {
	var out []any
	for i := range events {
		b := events[i].Bid
		if b == nil {
			continue
		}
		var parts []string
		if b.URL != "" {
			parts = strings.Split(b.URL, "/")
		}
		tok := func(i int) OptString {
			if i < len(parts) {
				return OptString{S: parts[i], Valid: true}
			}
			return OptString{}
		}
		out = append(out, Q22Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, Channel: b.Channel,
			Dir1: tok(3), Dir2: tok(4), Dir3: tok(5)})
	}
	return out, nil
}
