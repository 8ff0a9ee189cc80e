//go:build unix

package operator

import "syscall"

// processCPU is the CPU time (user + system) of the process in ns: a
// benchmark's cost on a shared machine, where its wall time includes the
// time it waited for a core.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
