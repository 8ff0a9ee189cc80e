//go:build unix

package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes the exclusive lock of the data directory: two servers on
// one directory would corrupt its journal and checkpoints.
func lockDir(dir string) (release func(), err error) {
	name := filepath.Join(dir, "server.lock")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("server: lock the data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("server: the data directory %s is in use by another strom server (lock %s); stop it or choose another --data-dir", dir, name)
		}
		return nil, fmt.Errorf("server: lock %s: %w", name, err)
	}
	return func() { _ = f.Close() }, nil
}
