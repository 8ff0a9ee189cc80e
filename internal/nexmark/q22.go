package nexmark

import (
	"encoding/json"
	"strings"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// OptString is a nullable VARCHAR: it encodes as a JSON string, or null
// when not Valid.
type OptString struct {
	S     string
	Valid bool
}

// MarshalJSON writes the string or null.
func (s OptString) MarshalJSON() ([]byte, error) {
	if !s.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(s.S)
}

// Q22Row is a q22 result row: dir1..dir3 are NULL when the URL has fewer
// parts.
type Q22Row struct {
	Auction int64     `json:"auction"`
	Bidder  int64     `json:"bidder"`
	Price   int64     `json:"price"`
	Channel string    `json:"channel"`
	Dir1    OptString `json:"dir1"`
	Dir2    OptString `json:"dir2"`
	Dir3    OptString `json:"dir3"`
}

func init() {
	Register(&Query{
		Name:    "q22",
		Columns: []string{"auction", "bidder", "price", "channel", "dir1", "dir2", "dir3"},
		Build:   buildQ22,
		Oracle:  oracleQ22,
	})
}

// buildQ22 takes SPLIT_INDEX(url, '/', 3), (…, 4) and (…, 5), one chained
// map over the bid view. Flink's SPLIT_INDEX splits with
// StringUtils.splitPreserveAllTokens (empty tokens kept, 0-based) and gives
// NULL past the last token; an empty URL (how a missing one reads) has no
// tokens. The tokens are substrings of the URL, found with IndexByte:
// nothing is allocated per record.
func buildQ22(events stream.Stream[nexmark.Event], _ Config) Output {
	rows := stream.Map(Bids(events), func(b *nexmark.Bid) Q22Row {
		r := Q22Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, Channel: b.Channel}
		u := b.URL
		if u == "" {
			return r
		}
		// Skip tokens 0..2 (three slashes).
		for range 3 {
			i := strings.IndexByte(u, '/')
			if i < 0 {
				return r
			}
			u = u[i+1:]
		}
		var last bool
		r.Dir1, u, last = q22Token(u)
		if last {
			return r
		}
		r.Dir2, u, last = q22Token(u)
		if last {
			return r
		}
		r.Dir3, _, _ = q22Token(u)
		return r
	}).Name("q22-url-dirs")
	return Out(rows)
}

// q22Token splits the first token off u: the token, the rest after its
// '/', and whether it was the last token.
func q22Token(u string) (OptString, string, bool) {
	i := strings.IndexByte(u, '/')
	if i < 0 {
		return OptString{S: u, Valid: true}, "", true
	}
	return OptString{S: u[:i], Valid: true}, u[i+1:], false
}
