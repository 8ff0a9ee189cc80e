package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

// syncFailFile is the marker a partition writes when it goes read-only
// after a failed sync whose unsynced bytes it could not cut off
// (docs/format/journal.md §5.1): until a reboot, the page cache may hold
// pages whose write-back failed, so Open refuses the partition in the boot
// that wrote it.
const syncFailFile = "sync-failed"

// magicSyncFail is the envelope magic of syncFailFile.
const magicSyncFail = "STRMJSYF"

// Bounds of the marker's strings: a boot id is a 36-byte UUID on Linux.
const (
	maxBootID     = 128
	maxFailReason = 4096
)

// ErrNeedsReboot is the error of Open for a partition whose sync failed in
// this boot (or where the boot cannot be told): the page cache may serve
// bytes the disk does not hold until the machine reboots. Reboot, then
// open; or open with Options.AcceptFailedSyncRisk.
var ErrNeedsReboot = errors.New("journal: partition needs a reboot after a failed sync")

// bootIDFile is where Linux tells the id of the current boot.
const bootIDFile = "/proc/sys/kernel/random/boot_id"

// readBootID is the default Options.BootID: the Linux boot id, an error
// where there is none (non-Linux, unreadable).
func readBootID() (string, error) {
	b, err := os.ReadFile(bootIDFile)
	if err != nil {
		return "", fmt.Errorf("no boot id: %w", err)
	}
	id := strings.TrimSpace(string(b))
	if id == "" || len(id) > maxBootID {
		return "", fmt.Errorf("no boot id: %s holds %d bytes", bootIDFile, len(b))
	}
	return id, nil
}

// SyncFailure describes a partition's sync-failed marker (a failed sync
// whose unsynced bytes may not be on disk; docs/format/journal.md §5.1).
type SyncFailure struct {
	File    string    // the marker, with its path
	BootID  string    // the boot that wrote it; empty: none could be read then
	Time    time.Time // when the sync failed (Options.Now)
	Segment int64     // the base offset of the segment whose sync failed
	Synced  int64     // bytes of that segment known to be on disk
	End     int64     // bytes written to it when the sync failed (from Synced on: maybe not on disk)
	Reason  string    // the sync's error
	// SameBoot: the current boot wrote it, or the boot cannot be told
	// (no boot id now or then): reads may see what the disk does not hold.
	SameBoot bool
	// Err is set when the marker cannot be read (damaged, or of a newer
	// version): then only File and Err are meaningful, and the boot is
	// taken as the same one.
	Err error
}

func (m *SyncFailure) encode() []byte {
	pl := appendStr(nil, m.BootID)
	pl = binary.BigEndian.AppendUint64(pl, uint64(m.Time.UnixMilli()))
	pl = binary.BigEndian.AppendUint64(pl, uint64(m.Segment))
	pl = binary.BigEndian.AppendUint64(pl, uint64(m.Synced))
	pl = binary.BigEndian.AppendUint64(pl, uint64(m.End))
	pl = appendStr(pl, m.Reason)
	return encodeEnvelope(magicSyncFail, pl)
}

func decodeSyncFailure(b []byte) (SyncFailure, error) {
	var m SyncFailure
	pl, err := decodeEnvelope(magicSyncFail, b)
	if err != nil {
		return m, err
	}
	f := fixed{b: pl}
	m.BootID = f.str()
	m.Time = time.UnixMilli(f.i64()).UTC()
	m.Segment, m.Synced, m.End = f.i64(), f.i64(), f.i64()
	m.Reason = f.str()
	if !f.done() || len(m.BootID) > maxBootID || len(m.Reason) > maxFailReason || m.Segment < 0 || m.Synced < 0 || m.End < m.Synced {
		return SyncFailure{}, fmt.Errorf("%w: %s payload out of range", ErrCorrupt, magicSyncFail)
	}
	return m, nil
}

// readSyncFailure reads the marker of the partition in dir: nil when there
// is none; a SyncFailure with Err when it cannot be decoded; an error when
// it cannot be read. bootID tells the current boot.
func readSyncFailure(fsys vfs.FS, dir string, bootID func() (string, error)) (*SyncFailure, error) {
	name := filepath.Join(dir, syncFailFile)
	b, err := vfs.ReadFile(fsys, name)
	if vfs.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the sync-failed marker %s: %w", name, err)
	}
	m, err := decodeSyncFailure(b)
	if err != nil {
		return &SyncFailure{File: name, SameBoot: true, Err: fmt.Errorf("the sync-failed marker %s: %w", name, err)}, nil
	}
	m.File = name
	cur, berr := bootID()
	m.SameBoot = berr != nil || cur == "" || m.BootID == "" || cur == m.BootID
	return &m, nil
}

// String says what the marker records (or why it cannot be read).
func (m *SyncFailure) String() string {
	if m.Err != nil {
		return m.Err.Error()
	}
	return m.describe()
}

// describe says what the marker records.
func (m *SyncFailure) describe() string {
	boot := fmt.Sprintf("boot %s", m.BootID)
	if m.BootID == "" {
		boot = "no boot id could be read"
	}
	return fmt.Sprintf("a sync of segment %s failed at %s (%s): %s; bytes %d to %d of it were written but may not be on disk",
		filepath.Base(segName("", m.Segment, ".log")), m.Time.Format(time.RFC3339), boot, m.Reason, m.Synced, m.End)
}

// refusal is Open's error for the marker m of the current boot (or of a
// boot that cannot be told apart from it) in the journal dir; bootErr: why
// there is no current boot id.
func (m *SyncFailure) refusal(dir string, bootErr error) error {
	rest := "Until the machine reboots, the page cache may serve bytes whose write-back failed: " +
		"a recovery now could keep records the disk does not hold and append after a hole. " +
		fmt.Sprintf("Reboot, then open the journal (recovery rescans the segment from the disk and removes the marker) and check it with `strom journal verify --dir %s`. ", dir) +
		"To open it now and accept that risk, set Options.AcceptFailedSyncRisk: the --accept-failed-sync-risk flag of the strom command that opens the journal " +
		"(strom server, strom demo, strom sql, strom run, strom journal produce, consume or topics); the marker stays until an open after a reboot"
	if m.Err != nil || m.BootID == "" || bootErr != nil {
		// No boot id tells the reboot: only the operator can.
		rest += fmt.Sprintf(". No boot id can tell a reboot here: after rebooting, clear the marker with Options.AssumeRebooted "+
			"(`strom journal topics --dir %s --assume-rebooted`: the recovery rescans from the failed segment and removes it)", dir)
	}
	if m.Err != nil {
		return fmt.Errorf("%w: %w: it is written after a failed sync, and without it the boot of that failure is unknown, so it is taken as this one. %s",
			ErrNeedsReboot, m.Err, rest)
	}
	why := "this boot wrote it"
	switch {
	case bootErr != nil:
		why = fmt.Sprintf("the current boot cannot be told (%v), so it is taken as the same one", bootErr)
	case m.BootID == "":
		why = "it records no boot id, so its boot is taken as this one"
	}
	return fmt.Errorf("%w: marker %s: %s; %s. %s", ErrNeedsReboot, m.File, m.describe(), why, rest)
}

// writeSyncFailure durably writes the partition's marker after a failed
// sync (err) of the active segment act, of which synced bytes are known to
// be on disk. When the partition already has a marker (it was opened with
// Options.AcceptFailedSyncRisk), the earliest failed segment is kept: the
// rescan after the reboot must start there, or the hole of the first
// failure, sealed since, would be trusted.
func (p *partition) writeSyncFailure(act *segment, synced int64, err error) (*SyncFailure, error) {
	p.mu.Lock()
	prev := p.syncFail
	p.mu.Unlock()
	m := &SyncFailure{File: filepath.Join(p.dir, syncFailFile), BootID: currentBoot(p.j.opts.BootID), Time: p.j.opts.Now().UTC().Truncate(time.Millisecond),
		Segment: act.base, Synced: min(synced, act.size), End: act.size, Reason: err.Error(), SameBoot: true}
	if prev != nil && prev.Err == nil && prev.Segment <= m.Segment {
		m.Reason = fmt.Sprintf("%s; later a sync of segment %s failed too (bytes %d to %d of it may not be on disk): %s",
			prev.Reason, filepath.Base(segName("", m.Segment, ".log")), m.Synced, m.End, m.Reason)
		if prev.Segment == m.Segment {
			// The same segment: from the earlier synced end on.
			m.Synced = min(prev.Synced, m.Synced)
		} else {
			m.Segment, m.Synced, m.End = prev.Segment, prev.Synced, prev.End
		}
		m.Time = prev.Time
	}
	if len(m.Reason) > maxFailReason {
		m.Reason = m.Reason[:maxFailReason]
	}
	if err := vfs.WriteFileAtomic(p.j.fs, m.File, m.encode()); err != nil {
		return nil, err
	}
	return m, nil
}

// currentBoot is the current boot id, empty when none can be read.
func currentBoot(bootID func() (string, error)) string {
	boot, err := bootID()
	if err != nil || len(boot) > maxBootID {
		return ""
	}
	return boot
}
