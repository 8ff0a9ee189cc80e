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
	// The journal's own lock (the one `strom journal` takes): no other
	// process writes the server's journal.
	jdir := filepath.Join(dir, "journal")
	if err := os.MkdirAll(jdir, 0o700); err != nil {
		_ = f.Close()
		return nil, err
	}
	jname := filepath.Join(jdir, "cli.lock")
	jf, err := os.OpenFile(jname, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("server: lock the journal: %w", err)
	}
	if err := syscall.Flock(int(jf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = jf.Close()
		_ = f.Close()
		return nil, fmt.Errorf("server: the journal %s is in use by another strom process (lock %s); stop it first", jdir, jname)
	}
	return func() { _ = jf.Close(); _ = f.Close() }, nil
}
