//go:build !unix

package cli

import "os"

// lockCheckpointDir does nothing where flock is missing: there only the
// control socket's check keeps a second job off a checkpoint directory.
func lockCheckpointDir(dir string) (release func(), err error) { return func() {}, nil }

// privateDir creates dir (no ownership check where the platform has none).
func privateDir(dir string) error { return os.MkdirAll(dir, 0o700) }
