package nexmark

import (
	"strings"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q21Row is a q21 result row.
type Q21Row struct {
	Auction   int64  `json:"auction"`
	Bidder    int64  `json:"bidder"`
	Price     int64  `json:"price"`
	Channel   string `json:"channel"`
	ChannelID string `json:"channel_id"`
}

func init() {
	Register(&Query{
		Name:    "q21",
		Columns: []string{"auction", "bidder", "price", "channel", "channel_id"},
		Build:   buildQ21,
		Oracle:  oracleQ21,
	})
}

// q21Hot are the hot channels and their ids, in the order of the
// benchmark's CASE (nexmark-flink queries/q21.sql): apple '0', google '1',
// facebook '2', baidu '3'.
var q21Hot = [...]struct{ name, id string }{{"apple", "0"}, {"google", "1"}, {"facebook", "2"}, {"baidu", "3"}}

// buildQ21 adds the channel id, one chained flat map over the bid view: a
// hot channel (lower(channel) is one of four names; compared with
// strings.EqualFold, which agrees with Java's toLowerCase on these ASCII
// names, the Kelvin sign included) gets its constant id, any other bid
// REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2), found by hand
// (q21ChannelID: the first "channel_id=" at the start of the URL or after
// an '&', up to the next '&'); bids with neither are dropped. As in Flink a
// present but empty channel_id ("...&channel_id=&...") is an empty string,
// not NULL, so the bid is kept. The id is a substring of the URL: nothing
// is allocated per record.
func buildQ21(events stream.Stream[nexmark.Event], _ Config) Output {
	rows := stream.FlatMap(Bids(events), func(b *nexmark.Bid, out stream.Emitter[Q21Row]) {
		id, ok := q21HotID(b.Channel)
		if !ok {
			if id, ok = q21ChannelID(b.URL); !ok {
				return
			}
		}
		out.Emit(Q21Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, Channel: b.Channel, ChannelID: id})
	}).Name("q21-channel-id")
	return Out(rows)
}

// q21HotID is the CASE's id of a hot channel.
func q21HotID(channel string) (string, bool) {
	if len(channel) < 5 || len(channel) > 10 { // "apple".."facebook", plus room for multi-byte folds
		return "", false
	}
	for _, h := range q21Hot {
		if strings.EqualFold(channel, h.name) {
			return h.id, true
		}
	}
	return "", false
}

const q21Param = "channel_id="

// q21ChannelID is REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2): the
// leftmost match starts at the first "channel_id=" that begins the string
// or follows an '&'; group 2 runs to the next '&' or the end.
func q21ChannelID(url string) (string, bool) {
	from := 0
	for {
		i := strings.Index(url[from:], q21Param)
		if i < 0 {
			return "", false
		}
		i += from
		if i == 0 || url[i-1] == '&' {
			v := url[i+len(q21Param):]
			if j := strings.IndexByte(v, '&'); j >= 0 {
				v = v[:j]
			}
			return v, true
		}
		from = i + 1
	}
}
