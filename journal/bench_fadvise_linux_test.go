//go:build linux && (amd64 || arm64)

package journal

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// dropCache asks the kernel to drop the clean page-cache pages of every
// file in dir (posix_fadvise POSIX_FADV_DONTNEED).
func dropCache(b *testing.B, dir string) {
	b.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range es {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		const fadvDontNeed = 4
		if _, _, errno := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0); errno != 0 {
			b.Fatal(errno)
		}
		_ = f.Close()
	}
}
