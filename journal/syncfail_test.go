package journal

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

const partDir0 = "j/topics/t/0"

func bootIs(id string) func() (string, error) { return func() (string, error) { return id, nil } }

func noBoot() (string, error) { return "", errors.New("no boot id here") }

func markerExists(t *testing.T, c vfs.FS) bool {
	t.Helper()
	_, err := c.Stat(filepath.Join(partDir0, syncFailFile))
	if err != nil && !vfs.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

// relaxedSyncFailure leaves a Relaxed journal "j" on c whose partition t/0
// went read-only at Close: record "a" synced, record "b" acked, then the
// sync at Close fails (its write-back is lost: CrashFS leaves a hole
// where "b" is). It returns the Close error.
func relaxedSyncFailure(t *testing.T, c *vfs.CrashFS, o Options) error {
	t.Helper()
	o.Durability = Relaxed
	o.SyncInterval = 1 << 40
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, fixedRecord("a", 0))
	if err := j.Close(); err != nil { // synced: "a" is on disk
		t.Fatal(err)
	}
	j = mustOpen(t, "j", o)
	mustAppend(t, j, "t", 0, fixedRecord("b", 1))
	c.Inject(vfs.Fault{Op: vfs.OpSync, N: 1, Path: ".log"})
	err := j.Close()
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Close after a failed sync: %v, want ErrReadOnly", err)
	}
	return err
}

// A failed sync in Relaxed mode writes the sync-failed marker; a reopen in
// the same boot is refused and changes nothing; AcceptFailedSyncRisk opens
// it (and keeps the marker); after a reboot Open scans the failed segment
// from the disk, ignoring the clean-shutdown marker that the accepted
// session left, and removes the marker.
func TestSyncFailMarkerRelaxed(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.BootID = bootIs("boot-A")
	o.Durability = Relaxed
	o.SyncInterval = 1 << 40
	// An index entry at "a" and at "c" but none at "b": the indexes and
	// the tail check of a clean shutdown do not read "b"'s bytes.
	o.IndexInterval = 64
	cerr := relaxedSyncFailure(t, c, o)
	if !strings.Contains(cerr.Error(), "Open refuses this partition until the machine reboots") {
		t.Errorf("read-only error does not say a reopen is refused: %v", cerr)
	}
	b, err := vfs.ReadFile(c, filepath.Join(partDir0, syncFailFile))
	if err != nil {
		t.Fatalf("no sync-failed marker: %v\n%s", err, c.Tree())
	}
	m, err := decodeSyncFailure(b)
	if err != nil {
		t.Fatal(err)
	}
	rec := int64(len(encodeTestBatch(t, fixedRecord("a", 0))))
	if rec >= 64 || 2*rec < 64 {
		t.Fatalf("a record's batch is %d bytes: the index interval needs adjusting", rec)
	}
	if m.BootID != "boot-A" || m.Segment != 0 || m.Synced != rec || m.End != 2*rec || !strings.Contains(m.Reason, "sync") || m.Time.IsZero() {
		t.Fatalf("marker %+v, want boot-A, segment 0, synced %d, end %d, the sync error", m, rec, 2*rec)
	}

	// The same boot: refused, nothing changed.
	before := c.Tree()
	_, err = Open("j", o)
	if !errors.Is(err, ErrNeedsReboot) {
		t.Fatalf("reopen in the same boot: %v, want ErrNeedsReboot", err)
	}
	for _, want := range []string{`topic "t" partition 0`, "boot boot-A", "00000000000000000000.log", "Reboot", "AcceptFailedSyncRisk", "--accept-failed-sync-risk", m.Time.Format("2006-01-02T15:04:05")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal does not say %q: %v", want, err)
		}
	}
	if after := c.Tree(); after != before {
		t.Errorf("a refused Open changed files:\n%s\nwas\n%s", after, before)
	}

	// Accepting the risk opens it in the same boot (the page cache still
	// serves "b"); the marker stays.
	oa := o
	oa.AcceptFailedSyncRisk = true
	j := mustOpen(t, "j", oa)
	if ms := readAll(t, j, "t", 0); len(ms) != 2 {
		t.Fatalf("accepted open: %d records, want 2 (what the page cache holds)", len(ms))
	}
	st, err := j.Stats("t", 0)
	if err != nil || st.SyncFailure == nil || !st.SyncFailure.SameBoot {
		t.Fatalf("Stats after an accepted open: %+v, %v: want the same-boot sync failure", st.SyncFailure, err)
	}
	mustAppend(t, j, "t", 0, fixedRecord("c", 2))
	if err := j.Close(); err != nil { // writes the clean-shutdown marker
		t.Fatal(err)
	}
	if !markerExists(t, c) {
		t.Fatal("an accepted open in the same boot removed the marker")
	}
	if _, err := Open("j", o); !errors.Is(err, ErrNeedsReboot) {
		t.Fatalf("reopen without the option after an accepted one: %v, want ErrNeedsReboot", err)
	}

	// Power loss and reboot: "b" never reached the disk (a hole of zeros),
	// "c" follows it. Trusting the clean-shutdown marker would keep "c"
	// after the hole; the rescan cuts the log after "a".
	c.Crash()
	ob := o
	ob.BootID = bootIs("boot-B")
	j = mustOpen(t, "j", ob)
	if markerExists(t, c) {
		t.Error("the marker survived a recovery in a later boot")
	}
	if _, end, _ := j.Bounds("t", 0); end != 1 {
		t.Errorf("end %d after the reboot, want 1 (the log up to the hole)", end)
	}
	if q := j.Quarantines(); len(q) != 0 {
		t.Errorf("quarantined after the reboot: %+v (the clean marker was trusted)", q)
	}
	if tr := j.Truncations(); len(tr) != 1 || tr[0].Byte != rec {
		t.Errorf("truncations %+v, want one at byte %d", tr, rec)
	}
	mustAppend(t, j, "t", 0, fixedRecord("d", 3))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = mustOpen(t, "j", o) // boot-A again: no marker any more
	if ms := readAll(t, j, "t", 0); len(ms) != 2 {
		t.Errorf("%d records, want 2", len(ms))
	}
	_ = j.Close()
}

// encodeTestBatch is the size of a plain one-batch Append of recs.
func encodeTestBatch(t *testing.T, recs ...Record) []byte {
	t.Helper()
	c := vfs.NewCrashFS(9)
	o := quietOpts(c, nil)
	o.Preallocate = -1
	j := mustOpen(t, "x", o)
	defer j.Close()
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, recs...)
	b, err := vfs.ReadFile(c, "x/topics/t/0/00000000000000000000.log")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Without a boot id (non-Linux, unreadable), a marker counts as one of the
// current boot: now, or when it was written.
func TestSyncFailNoBootID(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.BootID = noBoot
	relaxedSyncFailure(t, c, o)
	o.BootID = bootIs("boot-B")
	_, err := Open("j", o)
	if !errors.Is(err, ErrNeedsReboot) || !strings.Contains(err.Error(), "records no boot id") {
		t.Fatalf("marker without a boot id: %v, want ErrNeedsReboot saying it has no boot id", err)
	}

	c = vfs.NewCrashFS(1)
	o.FS = c
	o.BootID = bootIs("boot-A")
	relaxedSyncFailure(t, c, o)
	c.Crash()
	o.BootID = noBoot
	_, err = Open("j", o)
	if !errors.Is(err, ErrNeedsReboot) || !strings.Contains(err.Error(), "no boot id here") {
		t.Fatalf("no current boot id: %v, want ErrNeedsReboot saying why", err)
	}
	o.AcceptFailedSyncRisk = true
	j := mustOpen(t, "j", o)
	_ = j.Close()
	if !markerExists(t, c) {
		t.Error("an accepted open without a boot id removed the marker")
	}
}

// A damaged marker refuses Open with a clear error (ErrCorrupt too);
// AcceptFailedSyncRisk scans every segment and removes it.
func TestSyncFailMarkerCorrupt(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.BootID = bootIs("boot-A")
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
	c.Crash()
	o.BootID = bootIs("boot-B") // even after a reboot: the marker cannot tell
	_, err = Open("j", o)
	if !errors.Is(err, ErrNeedsReboot) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged marker: %v, want ErrNeedsReboot and ErrCorrupt", err)
	}
	for _, want := range []string{name, "crc", "AcceptFailedSyncRisk"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	o.AcceptFailedSyncRisk = true
	j := mustOpen(t, "j", o)
	if _, end, _ := j.Bounds("t", 0); end != 1 {
		t.Errorf("end %d, want 1", end)
	}
	_ = j.Close()
	// The accepted open replaced it by a valid marker of this boot naming
	// segment 0: the boot of the failure is unknown, so every segment is
	// rescanned after the next reboot.
	b, err = vfs.ReadFile(c, name)
	if err != nil {
		t.Fatalf("the accepted open removed the damaged marker: %v", err)
	}
	if m, err := decodeSyncFailure(b); err != nil || m.Segment != 0 || m.BootID != "boot-B" {
		t.Errorf("marker after the accepted open: %+v, %v; want a valid one of boot-B naming segment 0", m, err)
	}
	o.AcceptFailedSyncRisk = false
	if _, err := Open("j", o); !errors.Is(err, ErrNeedsReboot) {
		t.Errorf("open in the same boot after the accepted one: %v, want ErrNeedsReboot", err)
	}
	c.Crash()
	o.BootID = bootIs("boot-C")
	j = mustOpen(t, "j", o)
	if _, end, _ := j.Bounds("t", 0); end != 1 {
		t.Errorf("end %d after the reboot, want 1", end)
	}
	_ = j.Close()
	if markerExists(t, c) {
		t.Error("the marker stayed after an open in a later boot")
	}
}

// When the marker cannot be written, the read-only error says that
// nothing enforces a reboot (and a reopen is not refused).
func TestSyncFailMarkerWriteFails(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.BootID = bootIs("boot-A")
	o.Durability = Relaxed
	o.SyncInterval = 1 << 40
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, fixedRecord("a", 0))
	c.Inject(vfs.Fault{Op: vfs.OpSync, N: 1, Path: ".log"})
	c.Inject(vfs.Fault{Op: vfs.OpCreate, N: 1, Path: syncFailFile, Err: syscall.ENOSPC})
	err := j.Close()
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Close: %v, want ErrReadOnly", err)
	}
	for _, want := range []string{"could not be written", "nothing enforces", "no space left", "reboot"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("read-only error does not say %q: %v", want, err)
		}
	}
	if markerExists(t, c) {
		t.Fatal("a marker exists after its write failed")
	}
}

// Durable mode: when the cut back to the synced end works there is no
// marker (the reopened log is the synced one); when it fails, there is.
func TestSyncFailMarkerDurable(t *testing.T) {
	for _, cutFails := range []bool{false, true} {
		c := vfs.NewCrashFS(1)
		o := quietOpts(c, nil)
		o.BootID = bootIs("boot-A")
		j := mustOpen(t, "j", o)
		if err := j.CreateTopic("t", 1); err != nil {
			t.Fatal(err)
		}
		mustAppend(t, j, "t", 0, fixedRecord("a", 0))
		c.Inject(vfs.Fault{Op: vfs.OpSync, N: 1, Path: ".log"})
		if cutFails {
			c.Inject(vfs.Fault{Op: vfs.OpTruncate, N: 1, Path: ".log"})
		}
		if _, err := j.Append(t.Context(), "t", 0, fixedRecord("b", 1)); !errors.Is(err, ErrReadOnly) {
			t.Fatalf("cut fails %v: append: %v, want ErrReadOnly", cutFails, err)
		}
		_ = j.Close()
		if got := markerExists(t, c); got != cutFails {
			t.Fatalf("cut fails %v: marker %v, want %v", cutFails, got, cutFails)
		}
		j, err := Open("j", o)
		if cutFails != errors.Is(err, ErrNeedsReboot) {
			t.Fatalf("cut fails %v: reopen: %v", cutFails, err)
		}
		if err == nil {
			_ = j.Close()
		}
	}
}

// A marker of a newer version refuses Open (ErrNewerVersion), even with
// AcceptFailedSyncRisk, and nothing changes (docs/format/journal.md §5.2).
func TestSyncFailMarkerNewer(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.BootID = bootIs("boot-A")
	relaxedSyncFailure(t, c, o)
	name := filepath.Join(partDir0, syncFailFile)
	b, err := vfs.ReadFile(c, name)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := decodeEnvelope(magicSyncFail, b)
	if err != nil {
		t.Fatal(err)
	}
	nb := encodeEnvelope(magicSyncFail, pl)
	// Version 2 under a good checksum.
	nb[11] = 2
	binary.BigEndian.PutUint32(nb[len(nb)-4:], crc(nb[:len(nb)-4]))
	if err := vfs.WriteFileAtomic(c, name, nb); err != nil {
		t.Fatal(err)
	}
	before := c.Tree()
	o.BootID = bootIs("boot-B")
	o.AcceptFailedSyncRisk = true
	if _, err := Open("j", o); !errors.Is(err, ErrNewerVersion) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("newer marker: %v, want ErrNewerVersion", err)
	}
	if after := c.Tree(); after != before {
		t.Errorf("a refused Open changed files:\n%s\nwas\n%s", after, before)
	}
}

// Verify reports a partition's sync-failed marker: of this boot (what it
// read may not be on disk), of an earlier one, or damaged.
func TestVerifySyncFailure(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.BootID = readBootID // Verify compares with the real boot id
	relaxedSyncFailure(t, c, o)
	r, err := Verify("j", c)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Partitions) != 1 || r.Partitions[0].SyncFailure == nil || !r.Partitions[0].SyncFailure.SameBoot {
		t.Fatalf("Verify: %+v, want the partition's same-boot sync failure", r.Partitions)
	}
	if len(r.SyncFailedThisBoot()) != 1 {
		t.Errorf("SyncFailedThisBoot: %+v", r.SyncFailedThisBoot())
	}

	c = vfs.NewCrashFS(1)
	o.FS = c
	o.BootID = bootIs("an-earlier-boot")
	relaxedSyncFailure(t, c, o)
	if _, err := readBootID(); err != nil {
		t.Skipf("no boot id here (%v): every marker counts as this boot's", err)
	}
	r, err = Verify("j", c)
	if err != nil {
		t.Fatal(err)
	}
	if m := r.Partitions[0].SyncFailure; m == nil || m.SameBoot || m.BootID != "an-earlier-boot" || len(r.SyncFailedThisBoot()) != 0 {
		t.Fatalf("Verify after a reboot: %+v, want an earlier boot's failure", m)
	}
}

// A read that fails with EIO is reported as an I/O error, not as damage,
// and the check goes on with the other partitions.
func TestVerifyReadError(t *testing.T) {
	c := vfs.NewCrashFS(1)
	j := mustOpen(t, "j", quietOpts(c, nil))
	if err := j.CreateTopic("t", 2); err != nil {
		t.Fatal(err)
	}
	for p := range 2 {
		for i := range 3 {
			mustAppend(t, j, "t", p, fixedRecord("a", i))
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"t/0/00000000000000000000.log", "t/0/log-start", "t/0/00000000000000000000.index"} {
		if file == "t/0/log-start" {
			if err := vfs.WriteFileAtomic(c, "j/topics/"+file, encodeEnvelope(magicStart, binary.BigEndian.AppendUint64(nil, 0))); err != nil {
				t.Fatal(err)
			}
		}
		c.Inject(vfs.Fault{Op: vfs.OpRead, N: 1, Path: file, Err: syscall.EIO})
		r, err := Verify("j", c)
		if err != nil {
			t.Fatalf("%s: Verify stopped: %v", file, err)
		}
		if r.Corrupt() || !r.IOErrors() {
			t.Fatalf("%s: corrupt %v, I/O errors %v, want an I/O error and no damage: %+v", file, r.Corrupt(), r.IOErrors(), r.All())
		}
		ps := r.All()
		if len(ps) != 1 || !ps[0].IO || !strings.Contains(ps[0].String(), "I/O error reading j/topics/"+file) ||
			!strings.Contains(ps[0].String(), "input/output error") || strings.Contains(ps[0].String(), "corrupt") {
			t.Fatalf("%s: problems %v, want one I/O error naming the file", file, ps)
		}
		if len(r.Partitions) != 2 || r.Partitions[1].Records != 3 {
			t.Fatalf("%s: partition 1 not checked after the read error: %+v", file, r.Partitions)
		}
		if c.Pending() != 0 {
			t.Fatalf("%s: the read fault did not fire", file)
		}
	}
	// The same bytes damaged: corruption, not an I/O error.
	b, err := vfs.ReadFile(c, "j/topics/t/0/00000000000000000000.log")
	if err != nil {
		t.Fatal(err)
	}
	b[20] ^= 1
	if err := vfs.WriteFileAtomic(c, "j/topics/t/0/00000000000000000000.log", b); err != nil {
		t.Fatal(err)
	}
	r, err := Verify("j", c)
	if err != nil || !r.Corrupt() || r.IOErrors() {
		t.Fatalf("a flipped bit: %v, corrupt %v, I/O errors %v", err, r.Corrupt(), r.IOErrors())
	}
}

// Where no boot id can be read, a marker refuses every Open, and one with
// AcceptFailedSyncRisk keeps it; Options.AssumeRebooted (the operator says
// the machine rebooted) rescans from the failed segment and removes it.
func TestSyncFailAssumeRebootedClearsMarker(t *testing.T) {
	for _, damaged := range []bool{false, true} {
		c := vfs.NewCrashFS(1)
		o := quietOpts(c, nil)
		o.BootID = noBoot
		o.Durability = Relaxed
		o.SyncInterval = 1 << 40
		o.IndexInterval = 64
		relaxedSyncFailure(t, c, o)
		if damaged {
			name := filepath.Join(partDir0, syncFailFile)
			b, err := vfs.ReadFile(c, name)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0x10
			if err := vfs.WriteFileAtomic(c, name, b); err != nil {
				t.Fatal(err)
			}
		}
		c.Crash() // the reboot, which no boot id tells
		if _, err := Open("j", o); !errors.Is(err, ErrNeedsReboot) {
			t.Fatalf("damaged %v: Open without a boot id: %v, want ErrNeedsReboot", damaged, err)
		}
		oa := o
		oa.AcceptFailedSyncRisk = true
		j := mustOpen(t, "j", oa)
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		if !markerExists(t, c) {
			t.Fatalf("damaged %v: an accepted open without a boot id removed the marker", damaged)
		}
		or := o
		or.AssumeRebooted = true
		j = mustOpen(t, "j", or)
		if _, end, _ := j.Bounds("t", 0); end != 1 {
			t.Errorf("damaged %v: end %d after AssumeRebooted, want 1 (\"b\" is a hole on disk)", damaged, end)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		if markerExists(t, c) {
			t.Errorf("damaged %v: the marker stayed after an open with AssumeRebooted", damaged)
		}
		j = mustOpen(t, "j", o) // no longer refused
		_ = j.Close()
	}
}
