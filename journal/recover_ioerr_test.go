package journal

import (
	"errors"
	"syscall"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// A read error (EIO) during the recovery scan of the active segment is
// not a torn tail: Open fails with it and truncates nothing, and a later
// Open without the fault finds every acked record.
func TestRecoverReadErrorKeepsData(t *testing.T) {
	for _, pre := range []int64{-1, 4096} {
		c := vfs.NewCrashFS(1)
		o := quietOpts(c, nil)
		o.Preallocate = pre
		j := mustOpen(t, "j", o)
		if err := j.CreateTopic("t", 1); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			mustAppend(t, j, "t", 0, fixedRecord("a", i))
		}
		powerOff(c, j)
		c.Inject(vfs.Fault{Op: vfs.OpRead, N: 1, Path: "00000000000000000000.log", Err: syscall.EIO})
		j2, err := Open("j", o)
		if err == nil {
			_, end, _ := j2.Bounds("t", 0)
			_ = j2.Close()
			t.Fatalf("prealloc %d: Open succeeded after a read error in the recovery scan (end %d, truncations %+v)", pre, end, j2.Truncations())
		}
		if !errors.Is(err, syscall.EIO) {
			t.Fatalf("prealloc %d: Open: %v, want the EIO", pre, err)
		}
		j = mustOpen(t, "j", o)
		if _, end, _ := j.Bounds("t", 0); end != 5 {
			t.Fatalf("prealloc %d: end %d after the read error, want 5", pre, end)
		}
		if tr := j.Truncations(); len(tr) != 0 {
			t.Fatalf("prealloc %d: truncations %+v", pre, tr)
		}
		if ms := readAll(t, j, "t", 0); len(ms) != 5 {
			t.Fatalf("prealloc %d: %d records, want 5", pre, len(ms))
		}
		_ = j.Close()
	}
}

// A read error while scanning a sealed segment at recovery is not damage:
// Open fails with it and quarantines nothing.
func TestRecoverReadErrorSealedNoQuarantine(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.SegmentBytes = 300
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		mustAppend(t, j, "t", 0, fixedRecord("a", i))
	}
	powerOff(c, j)
	// Without its index files the sealed segment is scanned.
	for _, ext := range []string{".index", ".timeindex"} {
		_ = c.Remove("j/topics/t/0/00000000000000000000" + ext)
	}
	c.Inject(vfs.Fault{Op: vfs.OpRead, N: 1, Path: "00000000000000000000.log", Err: syscall.EIO})
	j2, err := Open("j", o)
	if err == nil {
		q := j2.Quarantines()
		_ = j2.Close()
		t.Fatalf("Open succeeded after a read error in the recovery scan (quarantines %+v)", q)
	}
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("Open: %v, want the EIO", err)
	}
	j = mustOpen(t, "j", o)
	defer j.Close()
	if q := j.Quarantines(); len(q) != 0 {
		t.Fatalf("quarantines %+v", q)
	}
	if ms := readAll(t, j, "t", 0); len(ms) != 20 {
		t.Fatalf("%d records, want 20", len(ms))
	}
}
