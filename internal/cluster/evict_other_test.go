//go:build !linux

package cluster

import "testing"

// evictDir is not available on this system (STROM_RESTORE_COLD).
func evictDir(b *testing.B, _ string) { b.Skip("STROM_RESTORE_COLD needs Linux (posix_fadvise)") }
