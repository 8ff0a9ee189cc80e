//go:build !race

package state

// raceOn: the tests run with the race detector, which changes allocation counts.
const raceOn = false
