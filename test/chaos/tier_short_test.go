//go:build !chaos

package chaos

import "time"

// The short tier: runs under plain `go test ./...` (with -race) in well
// under two minutes on two cores.
const longTier = false

// P1 kills 8 times, not RELIABILITY's PR N = 25 (the long tier's): with 25
// the tier took 11m50s instead of 5m18s on the loaded 2-core machine
// (DESIGN.md §5.1).
var p1Tier = p1Params{
	kills:    8,
	minDelay: 100 * time.Millisecond,
	maxDelay: 2000 * time.Millisecond,
	tail:     2 * time.Second,
	rate:     100_000,
}

var p2Tier = p2Params{seeds: 2, panics: 4, keys: 20, perKey: 600}

var kafkaTier = kafkaParams{kills: 5, minDelay: 300 * time.Millisecond, maxDelay: 1500 * time.Millisecond,
	rate: 5000, keys: 20, badEvery: 97}

var p2KillTier = p2KillParams{kills: 5, minDelay: 300 * time.Millisecond, maxDelay: 1500 * time.Millisecond,
	tail: 2 * time.Second, keys: 20, rate: 10_000, panics: 2}

var b1Tier = b1Params{slowFor: 25 * time.Second, budgetMiB: 128, sample: 100 * time.Millisecond, minCPs: 3}

var p3Tier = p3Params{keys: 50, perKey: 200, phases: 4, panics: 2}

// B5: retention (512 KiB + a 128 KiB segment per partition) is reached
// after ~6 s at 2 000 records/s over 4 partitions, within the warm-up.
var b5Tier = b5Params{rate: 2000, load: 25 * time.Second, warmup: 10 * time.Second, sample: 250 * time.Millisecond,
	partitions: 4, segBytes: 128 << 10, retBytes: 512 << 10, parallelism: 2}
