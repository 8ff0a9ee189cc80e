//go:build race

package planner

// raceOn: the tests run with the race detector (slower): the long
// randomized tests run fewer cases.
const raceOn = true
