//go:build !linux

package checkpoint

import "testing"

// openDirect cannot tell on this system.
func openDirect(*testing.T, string) (direct, ok bool) { return false, false }
