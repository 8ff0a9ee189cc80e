//go:build linux && (amd64 || arm64)

package journal

import (
	"syscall"

	"github.com/stromio/strom/internal/vfs"
)

// adviseSequential tells the kernel that f is read front to back
// (posix_fadvise POSIX_FADV_SEQUENTIAL: Linux doubles its read-ahead window
// for the file). Only an operating-system file can take the advice; other
// vfs.File implementations (the fault-injecting one) ignore it, and so do
// failures: it is a hint.
func adviseSequential(f vfs.File) {
	sc, ok := f.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	const fadvSequential = 2
	_ = rc.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall6(syscall.SYS_FADVISE64, fd, 0, 0, fadvSequential, 0, 0)
	})
}
