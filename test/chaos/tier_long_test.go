//go:build chaos

package chaos

import (
	"os"
	"strconv"
	"time"
)

// The long tier (`go test -tags chaos ./test/chaos/`): N = 25 kills per test
// (RELIABILITY's PR tier); CHAOS_KILLS=200 gives the nightly N.
const longTier = true

var p1Tier = p1Params{
	kills:    envInt("CHAOS_KILLS", 25),
	minDelay: 100 * time.Millisecond,
	maxDelay: 2000 * time.Millisecond,
	tail:     3 * time.Second,
	rate:     100_000,
}

var p2Tier = p2Params{seeds: 6, panics: 10, keys: 50, perKey: 2000}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
