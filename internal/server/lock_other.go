//go:build !unix

package server

// lockDir is a no-op where flock is missing: run one server per data
// directory.
func lockDir(dir string) (release func(), err error) { return func() {}, nil }
