//go:build unix

package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockJournal takes the exclusive lock of the journal directory dir for
// the commands that open it: two processes writing one journal would
// corrupt it (each recovers and appends on its own view of the files).
func lockJournal(dir string) (release func(), err error) {
	name := filepath.Join(dir, "cli.lock")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("journal %s is %w (lock %s)", dir, errJournalBusy, name)
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return func() { _ = f.Close() }, nil
}
