//go:build linux && (amd64 || arm64)

package journal

import (
	"syscall"

	"github.com/stromio/strom/internal/vfs"
)

// adviseSequential tells the kernel that f is read front to back
// (posix_fadvise POSIX_FADV_SEQUENTIAL: Linux doubles its read-ahead window
// for the file). Only an operating-system file can take the advice; other
// vfs.File implementations (the fault-injecting one) are left alone. It is
// a hint: callers go on whatever it returns.
func adviseSequential(f vfs.File) error {
	sc, ok := f.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	const fadvSequential = 2
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall6(syscall.SYS_FADVISE64, fd, 0, 0, fadvSequential, 0, 0)
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
