package journal

import (
	"errors"
	"strings"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// After a failed sync (whose write-back the kernel may have dropped,
// leaving the pages clean: fsyncgate), a reopen in the same boot must not
// trust the unsynced batch: records acked after the reopen survive a
// power loss. Durable mode cuts the file back to the synced end before
// going read-only.
func TestFailedSyncReopenSameBoot(t *testing.T) {
	for _, pre := range []int64{0, -1} {
		c := vfs.NewCrashFS(1)
		o := quietOpts(c, nil)
		o.Preallocate = pre
		j := mustOpen(t, "j", o)
		if err := j.CreateTopic("t", 1); err != nil {
			t.Fatal(err)
		}
		mustAppend(t, j, "t", 0, fixedRecord("a", 0))
		c.Inject(vfs.Fault{Op: vfs.OpSync, N: 1, Path: ".log"})
		_, err := j.Append(t.Context(), "t", 0, fixedRecord("b", 1))
		if err == nil {
			t.Fatalf("pre %d: append after a failed sync acked", pre)
		}
		if !errors.Is(err, ErrReadOnly) {
			t.Fatalf("pre %d: %v, want ErrReadOnly", pre, err)
		}
		_ = j.Close()
		j = mustOpen(t, "j", o) // the error says a reopen recovers
		if _, end, _ := j.Bounds("t", 0); end != 1 {
			t.Fatalf("pre %d: end %d after the reopen, want 1 (the unacked batch is gone)", pre, end)
		}
		off := mustAppend(t, j, "t", 0, fixedRecord("c", 2))
		powerOff(c, j)
		j = mustOpen(t, "j", o)
		if _, end, _ := j.Bounds("t", 0); end <= off.First {
			t.Errorf("pre %d: record acked at %d lost after a power loss (end %d, truncations %+v)", pre, off.First, end, j.Truncations())
		}
		if ms := readAll(t, j, "t", 0); len(ms) != 2 {
			t.Errorf("pre %d: %d records, want 2", pre, len(ms))
		}
		_ = j.Close()
	}
}

// In Relaxed mode the synced end is not known (acked records follow it):
// the read-only error does not promise that a reopen recovers.
func TestFailedSyncRelaxedAdvice(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.Durability = Relaxed
	o.SyncInterval = 1 << 40
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, fixedRecord("a", 0))
	c.Inject(vfs.Fault{Op: vfs.OpSync, N: 1, Path: ".log"})
	err := j.Close()
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Close: %v, want ErrReadOnly", err)
	}
	if strings.Contains(err.Error(), "reopen the journal to recover") || !strings.Contains(err.Error(), "reboot") {
		t.Fatalf("Close: %v: promises a reopen recovers", err)
	}
}
