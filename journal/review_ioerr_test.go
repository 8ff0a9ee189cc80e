package journal

import (
	"encoding/binary"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// A read error while newerOr re-reads a newer-version batch at the tail
// of the active segment must fail Open and change nothing: it is
// not damage, and the batch may be a newer strom's (it was truncated as
// a torn tail before).
func TestNewerBatchReadErrorKeepsData(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.Preallocate = -1
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		mustAppend(t, j, "t", 0, fixedRecord("a", i))
	}
	powerOff(c, j)
	name := "j/topics/t/0/00000000000000000000.log"
	st, _ := c.Stat(name)
	b := encodeBatch(nil, []Record{fixedRecord("n", 0)})
	b[4], b[9] = 3, 3
	binary.BigEndian.PutUint32(b[5:], crc(b[crcFrom:]))
	w, err := c.OpenWrite(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt(b, st.Size); err != nil {
		t.Fatal(err)
	}
	_ = w.Sync()
	_ = w.Close()
	// Without a fault: ErrNewerVersion, nothing changed.
	if _, err := Open("j", o); !errors.Is(err, ErrNewerVersion) {
		t.Fatalf("control: %v", err)
	}
	c.Inject(vfs.Fault{Op: vfs.OpRead, N: 2, Path: ".log", Err: syscall.EIO})
	j2, err := Open("j", o)
	if err == nil {
		tr := j2.Truncations()
		_ = j2.Close()
		st2, _ := c.Stat(name)
		t.Fatalf("Open succeeded after EIO on a newer batch: truncations %+v; file %d -> %d bytes", tr, st.Size+int64(len(b)), st2.Size)
	}
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("Open: %v, want the read error", err)
	}
	if st2, _ := c.Stat(name); st2.Size != st.Size+int64(len(b)) {
		t.Fatalf("the failed Open changed the segment: %d -> %d bytes", st.Size+int64(len(b)), st2.Size)
	}
	if _, err := Open("j", o); !errors.Is(err, ErrNewerVersion) {
		t.Fatalf("after the fault: %v, want ErrNewerVersion", err)
	}
}

// Relaxed mode: a failed sync in a transaction's commit (syncParts) must
// not give the "reopen the journal to recover" advice, which docs/format/journal.md §5.1 says is
// unsafe there (a same-boot reopen trusts the batch whose write-back
// failed).
func TestTxnFailedSyncRelaxedAdvice(t *testing.T) {
	ctx := t.Context()
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.Durability = Relaxed
	o.SyncInterval = 1 << 40
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	p, err := j.NewTransactionalProducer(ctx, "tx")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Append(ctx, "t", 0, fixedRecord("x", 0)); err != nil {
		t.Fatal(err)
	}
	c.Inject(vfs.Fault{Op: vfs.OpSync, N: 1, Path: ".log"})
	err = p.Commit(ctx)
	t.Logf("Commit: %v", err)
	cerr := j.Close()
	t.Logf("Close: %v", cerr)
	for _, e := range []error{err, cerr} {
		if e != nil && strings.Contains(e.Error(), "reopen the journal to recover") {
			t.Errorf("Relaxed mode promises a reopen recovers: %v", e)
		}
	}
}
