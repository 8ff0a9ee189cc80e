// Package lint holds no code, only tests that keep the repository's
// structural rules true (DESIGN.md §2):
//
//   - the import table: every package of the module imports only the
//     module-internal packages its row of the table allows, and every
//     package has a row (a new package fails until it is added to the table
//     in DESIGN.md and in lint_test.go);
//   - the clock rule: non-test code of internal/task, internal/operator and
//     internal/checkpoint never reads or waits on the wall clock through the
//     time package (time.Now, time.Sleep, timers, tickers ...); it uses the
//     injected base.Clock so that tests are deterministic.
//
// Run it with `go test ./internal/lint`. It shells out to `go list`, so it
// needs the go command on PATH (or in GOROOT/bin).
package lint
