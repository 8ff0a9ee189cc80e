package vfs

import (
	"os"
	"syscall"
)

// fadvDontNeed is POSIX_FADV_DONTNEED on Linux.
const fadvDontNeed = 4

// dropCache asks the kernel to drop f's cached pages (posix_fadvise(2)
// POSIX_FADV_DONTNEED over the whole file); only clean pages go, so f is
// synced first. Best effort: f not an *os.File, or an error, leaves the
// pages where they are.
func dropCache(f File) {
	of, ok := f.(*os.File)
	if !ok {
		return
	}
	rc, err := of.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall6(syscall.SYS_FADVISE64, fd, 0, 0, fadvDontNeed, 0, 0)
	})
}
