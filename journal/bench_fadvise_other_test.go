//go:build !(linux && (amd64 || arm64))

package journal

import "testing"

// dropCache is not implemented here: the evicted recovery benchmark skips.
func dropCache(b *testing.B, dir string) {
	b.Skip("page-cache eviction needs posix_fadvise (linux/amd64, linux/arm64)")
}
