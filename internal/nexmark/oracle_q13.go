package nexmark

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/stromio/strom/connector/nexmark"
)

// oracleQ13: read the side input into a map key -> values, then each bid
// joined with the values of MOD(auction, 10000) (Java's % keeps the sign of
// the dividend, as Go's). The oracle's reader takes plain "key,value" lines
// (the side-input generator's format: no quoting), skipping a header line.
func oracleQ13(events []nexmark.Event, cfg Config) ([]any, error) {
	f, err := os.Open(cfg.SideInput)
	if err != nil {
		return nil, fmt.Errorf("q13 oracle: %w", err)
	}
	defer f.Close()
	side := map[int64][]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		k, v, ok := strings.Cut(strings.TrimRight(sc.Text(), "\r"), ",")
		if !ok {
			return nil, fmt.Errorf("q13 oracle: %s:%d: no comma", cfg.SideInput, line)
		}
		key, err := strconv.ParseInt(strings.TrimSpace(k), 10, 64)
		if err != nil {
			if line == 1 {
				continue
			}
			return nil, fmt.Errorf("q13 oracle: %s:%d: %w", cfg.SideInput, line, err)
		}
		side[key] = append(side[key], v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("q13 oracle: %w", err)
	}
	var out []any
	for i := range events {
		b := events[i].Bid
		if b == nil {
			continue
		}
		for _, v := range side[b.Auction%10000] {
			out = append(out, Q13Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, DateTime: b.DateTime, Value: v})
		}
	}
	return out, nil
}
