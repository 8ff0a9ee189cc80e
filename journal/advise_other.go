//go:build !(linux && (amd64 || arm64))

package journal

import "github.com/stromio/strom/internal/vfs"

// adviseSequential gives no read-ahead hint where the journal has no
// posix_fadvise call (see advise_linux.go); reads work the same without it.
func adviseSequential(vfs.File) error { return nil }
