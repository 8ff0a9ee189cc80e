//go:build chaos

package chaos

import (
	"os"
	"strconv"
	"time"
)

// The long tier (`go test -tags chaos ./test/chaos/`): N = 25 kills per test
// (RELIABILITY's PR tier); CHAOS_KILLS=200 gives the nightly N, and
// CHAOS_MIN_DELAY / CHAOS_MAX_DELAY (durations) move the kill window, e.g.
// 10ms..400ms to kill mostly during start-up and restore.
const longTier = true

var p1Tier = p1Params{
	kills:    envInt("CHAOS_KILLS", 25),
	minDelay: envDuration("CHAOS_MIN_DELAY", 100*time.Millisecond),
	maxDelay: envDuration("CHAOS_MAX_DELAY", 2000*time.Millisecond),
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

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

var kafkaTier = kafkaParams{kills: envInt("CHAOS_KILLS", 25), minDelay: envDuration("CHAOS_MIN_DELAY", 100*time.Millisecond),
	maxDelay: envDuration("CHAOS_MAX_DELAY", 2000*time.Millisecond), rate: 20000, keys: 100, badEvery: 101}

var p2KillTier = p2KillParams{kills: envInt("CHAOS_KILLS", 25), minDelay: envDuration("CHAOS_MIN_DELAY", 100*time.Millisecond),
	maxDelay: envDuration("CHAOS_MAX_DELAY", 2000*time.Millisecond), tail: 3 * time.Second, keys: 50, rate: 20_000, panics: 3}

var b1Tier = b1Params{slowFor: envDuration("CHAOS_B1_SLOW", 10*time.Minute), budgetMiB: 128, sample: 500 * time.Millisecond, minCPs: 50}

var p3Tier = p3Params{keys: 200, perKey: 2000, phases: 8, panics: 4}

// B5: 30 min at 50 000 records/s by default (RELIABILITY's nightly figure);
// CHAOS_SOAK_RATE sets a measured baseline x 0.7 instead, CHAOS_SOAK_DURATION
// the length (scripts/soak.sh MINUTES RATE), CHAOS_SOAK_WARMUP the warm-up
// (default 5 min, a third of a run shorter than 15 min). Retention is
// 32 MiB + an 8 MiB segment per partition: reached in ~30 s at 20 000
// records/s, within the warm-up.
var b5Tier = func() b5Params {
	d := envDuration("CHAOS_SOAK_DURATION", 30*time.Minute)
	return b5Params{rate: int64(envInt("CHAOS_SOAK_RATE", 50_000)), load: d,
		warmup: envDuration("CHAOS_SOAK_WARMUP", min(5*time.Minute, d/3)), sample: time.Second,
		partitions: 4, segBytes: 8 << 20, retBytes: 32 << 20, assertRSS: true, parallelism: 2}
}()
