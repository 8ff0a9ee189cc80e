package nexmark

import (
	"regexp"
	"strings"

	"github.com/stromio/strom/connector/nexmark"
)

// oracleQ21Re is the benchmark's regular expression (Go's RE2 and Java agree
// on it: leftmost match, greedy [^&]*).
var oracleQ21Re = regexp.MustCompile(`(&|^)channel_id=([^&]*)`)

// oracleQ21: Flink's q21 literally: CASE on strings.ToLower(channel), else
// group 2 of the regular expression; WHERE extract IS NOT NULL OR the
// channel is hot.
func oracleQ21(events []nexmark.Event, _ Config) ([]any, error) {
	var out []any
	for i := range events {
		b := events[i].Bid
		if b == nil {
			continue
		}
		var extracted *string
		if m := oracleQ21Re.FindStringSubmatch(b.URL); m != nil {
			extracted = &m[2]
		}
		lower := strings.ToLower(b.Channel)
		var id string
		switch lower {
		case "apple":
			id = "0"
		case "google":
			id = "1"
		case "facebook":
			id = "2"
		case "baidu":
			id = "3"
		default:
			if extracted == nil {
				continue
			}
			id = *extracted
		}
		out = append(out, Q21Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, Channel: b.Channel, ChannelID: id})
	}
	return out, nil
}
