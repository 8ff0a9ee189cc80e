package journal

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// A second failed sync in a session opened with AcceptFailedSyncRisk
// keeps the marker's earliest failed segment: were it overwritten with the
// later segment, the first failed segment (now sealed, its hole trusted
// through the index files the accepted session wrote) would not be
// rescanned after the reboot.
func TestSecondSyncFailureKeepsFirstSegment(t *testing.T) {
	rec := int64(len(encodeTestBatch(t, fixedRecord("a", 0))))
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.BootID = bootIs("boot-A")
	o.Durability = Relaxed
	o.SyncInterval = 1 << 40
	o.IndexInterval = 64        // entries at "a" and "c", none at "b"
	o.SegmentBytes = 3 * rec    // a, b, c in segment 0; d rolls
	relaxedSyncFailure(t, c, o) // a synced, b lost (hole), marker: segment 0
	oa := o
	oa.AcceptFailedSyncRisk = true
	j := mustOpen(t, "j", oa)
	mustAppend(t, j, "t", 0, fixedRecord("c", 2))
	mustAppend(t, j, "t", 0, fixedRecord("d", 3)) // rolls: segment 0 sealed, indexes written
	c.Inject(vfs.Fault{Op: vfs.OpSync, N: 1, Path: ".log"})
	if err := j.Close(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Close: %v, want the second failed sync", err)
	}
	b, err := vfs.ReadFile(c, filepath.Join(partDir0, syncFailFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeSyncFailure(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Segment != 0 {
		t.Errorf("marker after a second failed sync names segment %d: segment 0 (the first failure, a hole under \"b\") will not be rescanned", m.Segment)
	}
	c.Crash()
	ob := o
	ob.BootID = bootIs("boot-B")
	j, err = Open("j", ob)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if q := j.Quarantines(); len(q) == 0 {
		_, end, _ := j.Bounds("t", 0)
		_, rerr := j.Read(t.Context(), "t", 0, 1, ReadOptions{})
		t.Errorf("after the reboot Open trusted segment 0 with the hole of the first failure (end %d, no quarantine); a read of offset 1 then says: %v", end, rerr)
	}
}

// A damaged marker counts as one of this boot: an Open that accepts the
// risk in the same boot must not remove it (it replaces it with a valid
// marker naming segment 0). Were it removed, the accepted session would
// write a clean-shutdown marker over the page cache's "b", and after the
// reboot nothing would make Open rescan: the hole would be trusted.
func TestDamagedMarkerAcceptedSameBootIsKept(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.BootID = bootIs("boot-A")
	o.Durability = Relaxed
	o.SyncInterval = 1 << 40
	o.IndexInterval = 64
	relaxedSyncFailure(t, c, o)
	name := filepath.Join(partDir0, syncFailFile)
	b, err := vfs.ReadFile(c, name)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	if err := vfs.WriteFileAtomic(c, name, b); err != nil {
		t.Fatal(err)
	}
	// Same boot, no reboot.
	oa := o
	oa.AcceptFailedSyncRisk = true
	j := mustOpen(t, "j", oa)
	mustAppend(t, j, "t", 0, fixedRecord("c", 2))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if !markerExists(t, c) {
		t.Error("an accepted Open in the same boot removed the (damaged) marker: nothing enforces the rescan after the reboot")
	}
	c.Crash()
	ob := o
	ob.BootID = bootIs("boot-B")
	j = mustOpen(t, "j", ob)
	defer j.Close()
	if _, end, _ := j.Bounds("t", 0); end != 1 {
		t.Errorf("end %d after the reboot, want 1 (\"b\" is a hole on disk; the clean marker of the accepted session was trusted)", end)
	}
}

// §5.1: the refusal changes no file and a journal opens all its
// partitions or none. Open must refuse partition 1 before it recovers
// partition 0 (cutting its torn tail, removing and rewriting its clean
// marker).
func TestRefusalChangesNoOtherPartition(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.BootID = bootIs("boot-A")
	o.Durability = Relaxed
	o.SyncInterval = 1 << 40
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 2); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, fixedRecord("a", 0))
	mustAppend(t, j, "t", 1, fixedRecord("a", 0))
	c.Inject(vfs.Fault{Op: vfs.OpSync, N: 1, Path: "t/1/0"})
	if err := j.Close(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Close: %v, want partition 1 read-only", err)
	}
	// Partition 0: bytes of a write that never completed (a killed
	// writer), after its last batch.
	w, err := c.OpenWrite("j/topics/t/0/00000000000000000000.log")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := c.Stat("j/topics/t/0/00000000000000000000.log")
	if _, err := w.WriteAt([]byte("torn-batch-bytes"), info.Size); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	before := snapshot(t, c, "j")
	if _, err := Open("j", o); !errors.Is(err, ErrNeedsReboot) {
		t.Fatalf("Open: %v, want ErrNeedsReboot", err)
	}
	after := snapshot(t, c, "j")
	for name, b := range before {
		if a, ok := after[name]; !ok {
			t.Errorf("the refused Open removed %s", name)
		} else if string(a) != string(b) {
			t.Errorf("the refused Open changed %s (%d -> %d bytes)", name, len(b), len(a))
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("the refused Open created %s", name)
		}
	}
}

// A sealed segment whose .timeindex is missing (its .index present) is a
// leftover Open repairs: an index warning, not an I/O error.
func TestVerifyMissingTimeIndexIsNotIO(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.SegmentBytes = 200
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		mustAppend(t, j, "t", 0, fixedRecord("a", i))
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(filepath.Join(partDir0, "00000000000000000000.timeindex")); err != nil {
		t.Fatal(err)
	}
	r, err := Verify("j", c)
	if err != nil {
		t.Fatal(err)
	}
	if r.IOErrors() {
		t.Errorf("a missing .timeindex reported as an I/O error: %v", r.All())
	}
	if r.Corrupt() {
		t.Errorf("corrupt: %v", r.All())
	}
}

// readDirEIO fails ReadDir of one directory with EIO.
type readDirEIO struct {
	*vfs.CrashFS
	dir string
}

func (f readDirEIO) ReadDir(dir string) ([]string, error) {
	if dir == f.dir {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: syscall.EIO}
	}
	return f.CrashFS.ReadDir(dir)
}

// A partition directory that cannot be listed (EIO) is an I/O problem
// after which Verify goes on (§5.1: exit 3), not an error that stops it
// (the CLI: exit 1, "damaged", no report).
func TestVerifyReadDirEIO(t *testing.T) {
	c := vfs.NewCrashFS(1)
	j := mustOpen(t, "j", quietOpts(c, nil))
	if err := j.CreateTopic("t", 2); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 1, fixedRecord("a", 0))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Verify("j", readDirEIO{c, "j/topics/t/0"})
	if err != nil {
		t.Fatalf("Verify stopped at a directory read error: %v", err)
	}
	if !r.IOErrors() || r.Corrupt() || len(r.Partitions) != 2 {
		t.Errorf("want an I/O problem and partition 1 checked: %+v", r)
	}
}

// The topics directory itself cannot be listed (EIO): a report with an
// I/O problem of that directory (nothing checked), not an error without
// one; a journal that is not there is still an error.
func TestVerifyTopicsDirEIO(t *testing.T) {
	c := vfs.NewCrashFS(1)
	j := mustOpen(t, "j", quietOpts(c, nil))
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Verify("j", readDirEIO{c, "j/topics"})
	if err != nil {
		t.Fatalf("Verify stopped at the topics directory's read error: %v", err)
	}
	if !r.IOErrors() || r.Corrupt() || len(r.Problems) != 1 || r.Problems[0].File != "j/topics" || len(r.Partitions) != 0 {
		t.Fatalf("want one I/O problem of j/topics: %+v", r)
	}
	if s := r.Problems[0].String(); !strings.HasPrefix(s, "journal: j/topics: I/O error reading j/topics") {
		t.Errorf("problem: %s", s)
	}
	if _, err := Verify("nothing-here", c); !vfs.IsNotExist(err) {
		t.Errorf("Verify of a missing journal: %v, want a not-exist error", err)
	}
}

// A second failed sync of the same segment keeps the earlier synced end:
// the bytes from there on may not be on disk.
func TestSecondSyncFailureSameSegmentKeepsEarlierSynced(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.BootID = bootIs("boot-A")
	o.Durability = Relaxed
	o.SyncInterval = 1 << 40
	relaxedSyncFailure(t, c, o)
	name := filepath.Join(partDir0, syncFailFile)
	read := func() SyncFailure {
		t.Helper()
		b, err := vfs.ReadFile(c, name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := decodeSyncFailure(b)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := read()
	oa := o
	oa.AcceptFailedSyncRisk = true
	j := mustOpen(t, "j", oa)
	mustAppend(t, j, "t", 0, fixedRecord("c", 2))
	c.Inject(vfs.Fault{Op: vfs.OpSync, N: 1, Path: ".log"})
	if err := j.Close(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Close: %v, want the second failed sync", err)
	}
	m := read()
	if m.Segment != 0 || m.Synced != first.Synced || m.End <= first.End || !m.Time.Equal(first.Time) {
		t.Errorf("marker after a second failed sync of segment 0: %+v; want segment 0, synced %d, end beyond %d, the first failure's time", m, first.Synced, first.End)
	}
}
