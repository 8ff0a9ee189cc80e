//go:build unix

package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockCheckpointDir takes the exclusive lock of the local checkpoint
// directory dir (created when missing) for as long as a job runs on it:
// an flock on DIR/job.lock, which records the holder (pid, start, command
// line). Two jobs writing checkpoints into one directory would take each
// other's ids and delete each other's checkpoints. The lock goes with the
// process however it ends (kill -9 too: the kernel drops it with the last
// descriptor), so a restart after a crash takes it again; the file stays
// (removing it would let two processes lock two different files). `strom
// savepoint` only talks to the job's control socket and takes no lock.
func lockCheckpointDir(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint directory: %w", err)
	}
	name := filepath.Join(dir, checkpointLockFile)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("checkpoint directory lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, dirBusyError(dir, name)
		}
		return nil, fmt.Errorf("checkpoint directory lock %s: %w", name, err)
	}
	// The holder, for the error of the next job that tries (best effort:
	// the lock itself is the flock).
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(lockHolderRecord(), 0)
	}
	return func() { _ = f.Close() }, nil
}

// privateDir makes sure dir exists as a directory of this user that
// nobody else can write into (the per-user directory of remote jobs'
// control sockets in the shared temporary directory).
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case ok && int(st.Uid) != os.Getuid():
		return fmt.Errorf("%s belongs to user %d, not to this user (%d)", dir, st.Uid, os.Getuid())
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%s is writable by others (mode %v)", dir, fi.Mode().Perm())
	}
	return nil
}
