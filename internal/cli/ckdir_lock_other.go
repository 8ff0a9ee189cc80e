//go:build !unix

package cli

// lockCheckpointDir does nothing where flock is missing: there only the
// control socket's check keeps a second job off a checkpoint directory.
func lockCheckpointDir(dir string) (release func(), err error) { return func() {}, nil }
