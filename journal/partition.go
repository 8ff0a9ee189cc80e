package journal

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

const (
	startFile = "log-start"   // the log start offset, written before retention deletes
	cleanFile = "clean"       // the clean-shutdown marker
	quarFile  = "quarantined" // a read's quarantine, kept across restarts
)

// partition is one ordered log. Whoever writes its files holds wmu: its
// writer goroutine (run: group commits of queued requests, relaxed-mode
// syncs, retention, ctl functions, shutdown) or a synchronous Append that
// found the partition idle and writes and syncs its own batch (lead).
// Readers take mu only to copy what they need.
type partition struct {
	j     *Journal
	topic string
	id    int
	dir   string

	mu     sync.Mutex
	segs   []*segment  // by base offset; the last one is active
	start  int64       // the log start offset: offsets below were deleted
	hw     int64       // offsets below hw are visible to readers
	hwPos  int64       // bytes of the active segment visible to readers
	failed error       // non-nil: read-only, and why
	quar   *Quarantine // non-nil: damaged, see quarantine.go (mu)
	notify chan struct{}
	ps     prodTable // producer state (producer.go); changed under mu by the holder of wmu
	// syncFail: the partition's sync-failed marker (syncfail.go), written
	// by failSync or kept by an Open with Options.AcceptFailedSyncRisk.
	syncFail *SyncFailure // (mu)

	// The file lock and what it guards (the writer's state).
	wmu      sync.Mutex
	w        vfs.WFile     // write handle of the active segment
	alloc    int64         // size of the active segment's file (>= its size: zeros after it)
	synced   int64         // bytes of the active segment known to be on disk (the last successful sync)
	dirty    bool          // written since the last sync
	stopped  bool          // shutdown ran: nothing may be written any more
	closeErr error         // shutdown could not finish (no clean-shutdown marker); Close reports it
	one      [1]*appendReq // the group of a leading Append

	// queued counts the requests handed to the writer goroutine and not yet
	// committed: an Append leads only when it is 0.
	queued atomic.Int64
	reqs   chan *appendReq
	ctl    chan func() // run by the writer goroutine with wmu held
	quit   chan struct{}
	done   chan struct{}
}

// appendQueue is how many append requests a partition queues for its
// writer while it writes and syncs the group before: the batches that one
// pipelined producer (AppendAsync) or many waiting ones have in flight go
// into the next group commit together. Beyond it, enqueueing blocks.
const appendQueue = 256

type appendReq struct {
	batch []byte // encoded with base 0; the committer (wmu's holder) sets the base
	count int
	base  int64
	res   chan error // buffered: the committer never blocks on it
	// Producer batches (producer.go): pf is nil for a plain Append.
	pf       *producerFields
	answered bool // the committer sent the answer
}

func (p *partition) String() string { return fmt.Sprintf("topic %q partition %d", p.topic, p.id) }

// open recovers the partition from its directory (docs/format/journal.md §5)
// and starts its writer goroutine.
func openPartition(j *Journal, topic string, id int, dir string) (*partition, error) {
	p := &partition{j: j, topic: topic, id: id, dir: dir, notify: make(chan struct{}),
		reqs: make(chan *appendReq, appendQueue), ctl: make(chan func()), quit: make(chan struct{}), done: make(chan struct{})}
	err := p.recover()
	if err == nil {
		err = p.recoverProducers()
	}
	if err != nil {
		p.closeFiles()
		return nil, fmt.Errorf("journal: open %v: %w", p, err)
	}
	go p.run()
	return p, nil
}

// readLogStart reads the log start of the partition in dir (§1): 0 when
// there is no log-start file.
func readLogStart(fsys vfs.FS, dir string) (int64, error) {
	b, err := vfs.ReadFile(fsys, filepath.Join(dir, startFile))
	if vfs.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	pl, err := decodeEnvelope(magicStart, b)
	if errors.Is(err, ErrNewerVersion) {
		return 0, fmt.Errorf("log start file: %w", err)
	}
	f := fixed{b: pl}
	start := f.i64()
	if err != nil || !f.done() || start < 0 {
		return 0, fmt.Errorf("log start file: %w", errors.Join(err, ErrCorrupt))
	}
	return start, nil
}

func (p *partition) recover() error {
	fsys, o := p.j.fs, &p.j.opts
	names, err := fsys.ReadDir(p.dir)
	if err != nil {
		return err
	}
	// A sync-failed marker (§5.1) of this boot refuses the partition
	// before anything is read or changed; one of an earlier boot makes
	// the segments from the failed one on be scanned whole from the disk.
	rescanFrom, dropMarker, err := p.checkSyncFailure()
	if err != nil {
		return err
	}
	if p.start, err = readLogStart(fsys, p.dir); err != nil {
		return err
	}
	// A read's quarantine before the restart (recordQuarantine): the
	// damage it met is not a torn tail to cut.
	qm, err := p.readQuarantine()
	if err != nil {
		return err
	}
	if qm != nil && qm.seg >= 0 && qm.off < p.start {
		// Retention has since deleted the damage: nothing is left to
		// quarantine (or to truncate).
		p.j.log.Warn("journal: the recorded quarantine is below the log start (retention deleted the damaged records): removing it",
			"topic", p.topic, "partition", p.id, "offset", qm.off, "log_start", p.start)
		if err := fsys.Remove(filepath.Join(p.dir, quarFile)); err != nil && !vfs.IsNotExist(err) {
			return err
		}
		qm = nil
	}
	var clean []byte
	if b, err := vfs.ReadFile(fsys, filepath.Join(p.dir, cleanFile)); err == nil {
		clean = b
	}
	logs := map[int64]bool{}
	for _, n := range names {
		if base, ext, ok := parseSegName(n); ok && ext == ".log" {
			logs[base] = true
		}
	}
	bases := slices.Sorted(func(yield func(int64) bool) {
		for b := range logs {
			if !yield(b) {
				return
			}
		}
	})
	// Segments wholly below the log start were deleted by retention after
	// the start moved (a crash may bring their names back): finish the job.
	removed := false
	for len(bases) > 1 && bases[1] <= p.start {
		p.removeSegFiles(bases[0])
		delete(logs, bases[0])
		bases = bases[1:]
		removed = true
	}
	// Orphans: index files without their log, temporary files.
	for _, n := range names {
		base, ext, ok := parseSegName(n)
		if (ok && (ext == ".index" || ext == ".timeindex") && !logs[base]) || filepath.Ext(n) == vfs.TempSuffix {
			p.j.log.Warn("journal: removing orphan file", "topic", p.topic, "partition", p.id, "file", n)
			if err := fsys.Remove(filepath.Join(p.dir, n)); err != nil && !vfs.IsNotExist(err) {
				return err
			}
			removed = true
		}
	}
	now := p.j.opts.Now()
	if len(bases) == 0 {
		bases = []int64{p.start}
		f, err := fsys.OpenAppend(segName(p.dir, p.start, ".log"))
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		removed = true // the new name needs a directory sync
	}
	for i, base := range bases {
		s := newSegment(base, now)
		p.segs = append(p.segs, s)
		if s.r, err = fsys.Open(segName(p.dir, base, ".log")); err != nil {
			return err
		}
		info, err := fsys.Stat(segName(p.dir, base, ".log"))
		if err != nil {
			return err
		}
		active := i == len(bases)-1
		if active && clean != nil && base < rescanFrom {
			if p.cleanMatches(clean, base, info.Size) {
				err := s.loadIndexes(fsys, p.dir, info.Size)
				if err == nil {
					err = s.checkTail(info.Size)
				}
				if err == nil {
					p.j.log.Debug("journal: clean shutdown, skipping the scan", "topic", p.topic, "partition", p.id)
					p.alloc = info.Size
					continue
				}
				if errors.Is(err, ErrNewerVersion) {
					return fmt.Errorf("segment %d: %w", base, err) // a newer strom's index: not rebuilt over
				}
			}
			p.j.log.Warn("journal: clean-shutdown marker does not match the log, scanning", "topic", p.topic, "partition", p.id)
		}
		if !active && base < rescanFrom {
			err := s.loadIndexes(fsys, p.dir, info.Size)
			if err == nil {
				err = s.checkTail(info.Size)
			}
			if err == nil {
				if i+1 < len(bases) && s.next != bases[i+1] {
					return p.quarantine(s, s.size, fmt.Errorf("%w: the segment ends at offset %d, the next one starts at %d", ErrCorrupt, s.next, bases[i+1]))
				}
				continue
			} else if errors.Is(err, ErrNewerVersion) {
				return fmt.Errorf("segment %d: %w", base, err) // a newer strom's index: not rebuilt over
			} else if !vfs.IsNotExist(err) {
				p.j.log.Warn("journal: rebuilding index", "topic", p.topic, "partition", p.id, "segment", base, "reason", err)
			}
		}
		good, bad := s.scan(info.Size, o.IndexInterval)
		if errors.Is(bad, ErrNewerVersion) {
			return bad // neither torn nor damaged: refuse, change nothing
		}
		if bad != nil && !errors.Is(bad, ErrCorrupt) {
			// A read error (EIO...) says nothing about the bytes: neither a
			// torn tail to truncate nor damage to quarantine. Refuse to
			// open and change nothing; the data stays for a later try.
			return fmt.Errorf("segment %d: reading the log at byte %d: %w", base, good, bad)
		}
		if bad != nil && !active {
			// A sealed segment was synced whole before the next one was
			// created: damage here is not a torn write (RELIABILITY L4).
			return p.quarantine(s, good, bad)
		}
		if !active && i+1 < len(bases) && s.next != bases[i+1] {
			return p.quarantine(s, s.size, fmt.Errorf("%w: the segment ends at offset %d, the next one starts at %d", ErrCorrupt, s.next, bases[i+1]))
		}
		if !active {
			p.writeIndexes(s) // best effort: saves the next scan
		}
		if bad != nil {
			zero, err := zeroTail(s.r, good, info.Size)
			if err != nil {
				return err
			}
			if zero {
				// Preallocated zeros after the last batch: the logical end,
				// not damage (§1.1). Nothing stale lies there to destroy.
				p.alloc = info.Size
				continue
			}
			if qm != nil {
				// A read quarantined the partition before the restart: a bad
				// batch here may be that damage, with acknowledged batches
				// after it. Quarantined again, nothing cut: the operator
				// decides (TruncatePartition).
				return p.quarantine(s, good, bad)
			}
			// Anything else after the logical end (a torn or never-acked
			// batch, possibly beyond a lost earlier one) is destroyed
			// before the space is written again, or a stale batch could
			// follow on again once the gap is refilled (§1.1).
			p.j.log.Warn("journal: truncating the log tail", "topic", p.topic, "partition", p.id,
				"segment", filepath.Base(segName(p.dir, base, ".log")), "byte", good, "dropped_bytes", info.Size-good, "reason", bad)
			p.j.noteTruncation(Truncation{Topic: p.topic, Partition: p.id, Segment: base, Byte: good, Dropped: info.Size - good, Reason: bad.Error()})
			if err := fsys.Truncate(segName(p.dir, base, ".log"), good); err != nil {
				return err
			}
			p.alloc = good
		} else if active {
			p.alloc = info.Size
		}
	}
	if qm != nil && qm.seg < 0 && p.quar == nil {
		// A quarantine file that does not decode, and the scan found no
		// damage: it goes (it would keep every later torn tail from
		// being cut).
		p.j.log.Warn("journal: removing a quarantine file that does not decode; the scan found no damage", "topic", p.topic, "partition", p.id)
		if err := fsys.Remove(filepath.Join(p.dir, quarFile)); err != nil && !vfs.IsNotExist(err) {
			return err
		}
	}
	if qm != nil && qm.seg >= 0 && p.quar == nil {
		// The damage the read met was not found again (a segment not
		// scanned, its indexes trusted): the recorded quarantine stands.
		p.quar = &Quarantine{Topic: p.topic, Partition: p.id, Segment: segName(p.dir, qm.seg, ".log"),
			Byte: qm.byte, Offset: qm.off, Reason: "recorded by a read before the restart: " + qm.reason}
		p.failed = p.quar.err()
		p.j.log.Error("journal: partition quarantined (recorded before the restart)", "topic", p.topic, "partition", p.id,
			"segment", filepath.Base(p.quar.Segment), "byte", qm.byte, "offset", qm.off, "reason", qm.reason)
	}
	act := p.segs[len(p.segs)-1]
	if act.base < p.start {
		return fmt.Errorf("%w: active segment %d below the log start %d", ErrCorrupt, act.base, p.start)
	}
	if p.w, err = fsys.OpenWrite(segName(p.dir, act.base, ".log")); err != nil {
		return err
	}
	if err := p.w.Sync(); err != nil { // makes a truncation (and the zeros' size) durable
		return err
	}
	p.synced = act.size
	if clean != nil {
		// The marker goes before anything is appended: otherwise a crash
		// could leave a marker that skips the scan of a torn tail.
		if err := fsys.Remove(filepath.Join(p.dir, cleanFile)); err != nil {
			return err
		}
		removed = true
	}
	if dropMarker {
		// After the scan and the sync above: the recovered log is the
		// disk's, made durable.
		if err := fsys.Remove(filepath.Join(p.dir, syncFailFile)); err != nil && !vfs.IsNotExist(err) {
			return err
		}
		p.syncFail = nil
		removed = true
		p.j.log.Warn("journal: recovered after a failed sync in an earlier boot; removed the sync-failed marker", "topic", p.topic, "partition", p.id)
	}
	if removed {
		if err := fsys.SyncDir(p.dir); err != nil {
			return err
		}
	}
	p.hw, p.hwPos = act.next, act.size
	return nil
}

// checkSyncFailure reads the partition's sync-failed marker (§5.1). With
// none, rescanFrom is MaxInt64. A marker of this boot (or of a boot that
// cannot be told apart from it) is an ErrNeedsReboot error, unless
// Options.AcceptFailedSyncRisk: then the segments from the failed one on
// are scanned (rescanFrom) and the marker is kept. A damaged marker is
// taken as one of this boot: the option scans every segment and replaces
// it by a valid marker of this boot naming segment 0. A marker of an
// earlier boot: the same scan, and the marker goes once the recovery is
// synced (dropMarker); so does any marker with Options.AssumeRebooted (a
// damaged one: every segment). A marker of a newer version refuses Open.
func (p *partition) checkSyncFailure() (rescanFrom int64, dropMarker bool, err error) {
	o := &p.j.opts
	m, err := readSyncFailure(p.j.fs, p.dir, o.BootID)
	if err != nil || m == nil {
		return math.MaxInt64, false, err
	}
	if errors.Is(m.Err, ErrNewerVersion) {
		return 0, false, m.Err
	}
	if o.AssumeRebooted {
		// The caller says the machine rebooted since the failure.
		m.SameBoot = false
		p.syncFail = m
		p.j.log.Warn("journal: taking the sync-failed marker as one of an earlier boot (Options.AssumeRebooted): scanning from the failed segment, then removing it",
			"topic", p.topic, "partition", p.id, "failure", m.String())
		if m.Err != nil {
			return 0, true, nil
		}
		return m.Segment, true, nil
	}
	if m.SameBoot && !o.AcceptFailedSyncRisk {
		_, berr := o.BootID()
		return 0, false, m.refusal(p.j.dir, berr)
	}
	p.syncFail = m
	switch {
	case m.Err != nil:
		// Its boot is taken as this one: removing it would leave nothing
		// that makes an open after the reboot rescan. It is replaced by a
		// valid marker of this boot naming segment 0 (all of them).
		r := &SyncFailure{File: m.File, BootID: currentBoot(o.BootID), Time: o.Now().UTC().Truncate(time.Millisecond), SameBoot: true,
			Reason: fmt.Sprintf("replaces a damaged marker accepted with Options.AcceptFailedSyncRisk (%v): the failed segment is unknown, so every segment is rescanned after a reboot", m.Err)}
		if len(r.Reason) > maxFailReason {
			r.Reason = r.Reason[:maxFailReason]
		}
		if err := vfs.WriteFileAtomic(p.j.fs, r.File, r.encode()); err != nil {
			return 0, false, fmt.Errorf("replacing the damaged sync-failed marker: %w", err)
		}
		p.syncFail = r
		p.j.log.Error("journal: damaged sync-failed marker accepted (Options.AcceptFailedSyncRisk): scanning every segment; replaced it by a marker of this boot naming segment 0, so every segment is rescanned after a reboot",
			"topic", p.topic, "partition", p.id, "err", m.Err)
		return 0, false, nil
	case m.SameBoot:
		p.j.log.Error("journal: opening a partition whose sync failed in this boot (Options.AcceptFailedSyncRisk): reads may return records the disk does not hold; the marker stays until an open after a reboot",
			"topic", p.topic, "partition", p.id, "failure", m.describe())
		return m.Segment, false, nil
	}
	p.j.log.Warn("journal: a sync failed in an earlier boot: scanning from the failed segment", "topic", p.topic, "partition", p.id,
		"failure", m.describe())
	return m.Segment, true, nil
}

func (p *partition) cleanMatches(b []byte, base, size int64) bool {
	pl, err := decodeEnvelope(magicClean, b)
	if err != nil {
		return false
	}
	f := fixed{b: pl}
	cb, cs, cn := f.i64(), f.i64(), f.i64()
	return f.done() && cb == base && cs == size && cn >= base
}

func (p *partition) removeSegFiles(base int64) {
	for _, ext := range []string{".log", ".index", ".timeindex"} {
		if err := p.j.fs.Remove(segName(p.dir, base, ext)); err != nil && !vfs.IsNotExist(err) {
			p.j.log.Warn("journal: cannot remove segment file", "topic", p.topic, "partition", p.id, "segment", base, "err", err)
		}
	}
}

// writeIndexes writes the index files of s and syncs them. They are a
// cache (checked on open, rebuilt when wrong), so errors are only logged.
func (p *partition) writeIndexes(s *segment) {
	ib, tb := s.encodeIndexes()
	for _, f := range []struct {
		ext  string
		data []byte
	}{{".index", ib}, {".timeindex", tb}} {
		if err := writeSynced(p.j.fs, segName(p.dir, s.base, f.ext), f.data); err != nil {
			p.j.log.Warn("journal: cannot write index", "topic", p.topic, "partition", p.id, "segment", s.base, "err", err)
		}
	}
}

func writeSynced(fsys vfs.FS, name string, data []byte) error {
	f, err := fsys.Create(name)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (p *partition) closeFiles() {
	for _, s := range p.segs {
		if s.r != nil {
			_ = s.r.Close()
		}
	}
	if p.w != nil {
		_ = p.w.Close()
	}
}

// --- the writer goroutine, and what holders of wmu run ---

// testWriterReceived, when set (tests only, before any journal is opened),
// runs on a writer goroutine between taking a request and locking wmu.
var testWriterReceived func()

func (p *partition) run() {
	defer close(p.done)
	o := &p.j.opts
	var tick, retain <-chan time.Time
	if o.Durability == Relaxed {
		t := time.NewTicker(o.SyncInterval)
		defer t.Stop()
		tick = t.C
	}
	if o.RetentionCheck > 0 && (o.RetentionTime > 0 || o.RetentionBytes > 0) {
		t := time.NewTicker(o.RetentionCheck)
		defer t.Stop()
		retain = t.C
	}
	var group []*appendReq
	for {
		select {
		case r := <-p.reqs:
			if testWriterReceived != nil {
				testWriterReceived()
			}
			// The lock first, then the drain: what is queued while a
			// leading Append syncs goes into this group too.
			p.wmu.Lock()
			group = append(group[:0], r)
			bytes := len(r.batch)
		drain:
			for bytes < o.MaxGroupBytes {
				select {
				case r := <-p.reqs:
					group = append(group, r)
					bytes += len(r.batch)
				default:
					break drain
				}
			}
			p.commit(group)
			// After the commit: an Append that finds nothing queued
			// follows every batch queued before it in the file.
			p.queued.Add(-int64(len(group)))
			p.wmu.Unlock()
			clear(group)
		case <-tick:
			p.wmu.Lock()
			if p.dirty && p.failure() == nil {
				if err := p.syncData(); err != nil {
					p.failSync(err)
				}
				p.dirty = false
			}
			p.wmu.Unlock()
		case <-retain:
			p.wmu.Lock()
			p.retain()
			p.wmu.Unlock()
		case f := <-p.ctl:
			p.wmu.Lock()
			f()
			p.wmu.Unlock()
		case <-p.quit:
			p.wmu.Lock()
			p.shutdown()
			p.stopped = true
			p.wmu.Unlock()
			return
		}
	}
}

// fail makes the partition read-only (fsyncgate: a failed sync is never
// retried and carried on from).
func (p *partition) fail(err error) error {
	return p.failWith(err, "reopen the journal to recover")
}

// failSync makes p read-only after a failed sync of its active segment
// (err). The kernel may have dropped the unsynced pages' write-back and
// marked them clean (fsyncgate): a reopen in the same boot would read
// bytes the disk does not hold and append after them. In Durable mode
// hwPos is the synced end (nothing beyond it was acked), so the file is
// cut back there and fsynced, best effort: when that works a reopen finds
// the durable log. In Relaxed mode (acked records after the last sync)
// or when the cut fails, nothing is promised of a reopen before a reboot,
// and the sync-failed marker (syncfail.go) is written so that Open
// refuses the partition until a reboot; when that write fails too, the
// error says that nothing enforces it.
func (p *partition) failSync(err error) error {
	if p.failure() != nil {
		return p.fail(err)
	}
	act := p.segs[len(p.segs)-1]
	if p.j.opts.Durability == Durable {
		p.mu.Lock()
		end := p.hwPos
		p.mu.Unlock()
		terr := p.j.fs.Truncate(segName(p.dir, act.base, ".log"), end)
		if terr == nil {
			terr = p.w.Sync()
		}
		if terr == nil {
			p.alloc = end
			p.j.log.Warn("journal: cut the unsynced tail after a failed sync", "topic", p.topic, "partition", p.id,
				"segment", act.base, "byte", end)
			return p.failWith(err, fmt.Sprintf("the unsynced tail was cut at byte %d of segment %d: reopen the journal to recover", end, act.base))
		}
		p.j.log.Error("journal: cannot cut the unsynced tail after a failed sync", "topic", p.topic, "partition", p.id,
			"segment", act.base, "byte", end, "err", terr)
		err = errors.Join(err, terr)
	}
	marker := filepath.Join(p.dir, syncFailFile)
	m, merr := p.writeSyncFailure(act, p.synced, err)
	if merr != nil {
		p.j.log.Error("journal: cannot write the sync-failed marker: nothing stops a reopen before a reboot", "topic", p.topic, "partition", p.id,
			"file", marker, "err", merr)
		return p.failWith(err, fmt.Sprintf("a reopen before a reboot may read data the disk does not hold, and the marker %s that makes Open refuse it could not be written (%v), so nothing enforces this: do not reopen the journal before a reboot, then check it with `strom journal verify`", marker, merr))
	}
	p.mu.Lock()
	p.syncFail = m
	p.mu.Unlock()
	return p.failWith(err, fmt.Sprintf("a reopen before a reboot may read data the disk does not hold, so Open refuses this partition until the machine reboots (marker %s): reboot, then open the journal and check it with `strom journal verify`", marker))
}

// failWith is fail with advice instead of "reopen the journal to recover".
func (p *partition) failWith(err error, advice string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed == nil {
		p.failed = &partitionError{
			msg:   fmt.Sprintf("journal: %v is read-only after a failed write-back (%s): %v: %v", p, advice, ErrReadOnly, err),
			short: fmt.Sprintf("%v is read-only after a failed write-back to the disk: appends fail until an operator acts (the server's log says how)", p),
			errs:  []error{ErrReadOnly, err},
		}
		p.j.log.Error("journal: partition is read-only", "topic", p.topic, "partition", p.id, "err", err, "advice", advice)
	}
	return p.failed
}

func (p *partition) failure() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

// commit writes a group of batches, syncs them once (durable mode) and
// answers every request.
func (p *partition) commit(group []*appendReq) {
	o := &p.j.opts
	if err := p.failure(); err != nil {
		for _, r := range group {
			r.res <- err
		}
		return
	}
	act := p.segs[len(p.segs)-1]
	next, size := act.next, act.size // tentative, after the pending batches
	var buf []byte
	var pending []*appendReq // written to buf, not yet to the file
	var written []*appendReq // in the file, not yet acked
	var ov prodOverlay       // producer state of the pending batches
	ack := func(err error) {
		for _, r := range written {
			r.res <- err
			r.answered = true
		}
		written = written[:0]
	}
	failRest := func(err error) {
		ack(err)
		for _, r := range group {
			if !r.answered {
				r.res <- err
			}
		}
	}
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		from := act.size
		n, err := p.w.WriteAt(buf, from)
		if err == nil && n != len(buf) {
			err = fmt.Errorf("journal: short write to %v: %d of %d bytes", p, n, len(buf))
		}
		if err == nil {
			err = p.zeroFill(from + int64(len(buf)))
		}
		if err != nil {
			// Cut what part of buf (and of the zeros after it) reached the
			// file, so that the next batch follows the last good one; if
			// that fails too, stop writing.
			if terr := p.j.fs.Truncate(segName(p.dir, act.base, ".log"), from); terr != nil {
				p.fail(errors.Join(err, terr))
			} else {
				p.alloc = from
			}
			return fmt.Errorf("journal: append to %v: %w", p, err)
		}
		p.dirty = true
		p.mu.Lock()
		pos := from
		for _, r := range pending {
			info, _ := parseBatchHeader(r.batch)
			act.add(info, pos, o.IndexInterval)
			pos += int64(info.size)
		}
		p.ps.merge(&ov)
		if o.Durability == Relaxed {
			p.advance(act)
		}
		p.mu.Unlock()
		written = append(written, pending...)
		pending, buf = pending[:0], buf[:0]
		if o.Durability == Relaxed {
			ack(nil)
		}
		return nil
	}
	sync := func() error {
		if err := p.syncData(); err != nil {
			return p.failSync(err)
		}
		p.dirty = false
		p.mu.Lock()
		p.advance(act)
		p.mu.Unlock()
		ack(nil)
		return nil
	}
	for _, r := range group {
		if size > 0 && (size+int64(len(r.batch)) > o.SegmentBytes ||
			(o.SegmentAge > 0 && o.Now().Sub(act.born) >= o.SegmentAge) ||
			next+int64(r.count)-act.base > math.MaxInt32) {
			if err := flush(); err != nil {
				failRest(err)
				return
			}
			if err := p.roll(act, next); err != nil {
				failRest(err)
				return
			}
			ack(nil) // roll synced them
			act = p.segs[len(p.segs)-1]
			size = 0
		}
		if r.pf != nil {
			dup, orig, err := p.ps.check(&ov, r.pf, next, r.count)
			if err != nil {
				r.res <- err
				r.answered = true
				continue
			}
			if dup { // acked with the original once what precedes it is synced
				r.base = orig
				written = append(written, r)
				continue
			}
		}
		r.base = next
		setBatchBase(r.batch, next)
		buf = append(buf, r.batch...)
		pending = append(pending, r)
		next += int64(r.count)
		size += int64(len(r.batch))
	}
	if err := flush(); err != nil {
		failRest(err)
		return
	}
	if o.Durability == Durable {
		if err := sync(); err != nil {
			failRest(err)
			return
		}
	}
	failRest(nil) // nothing is left; keeps the accounting in one place
}

// advance makes everything written to act visible; p.mu is held.
func (p *partition) advance(act *segment) {
	if act.next != p.hw || act.size != p.hwPos {
		p.hw, p.hwPos = act.next, act.size
		close(p.notify)
		p.notify = make(chan struct{})
	}
}

// syncData makes what was written to the active segment durable: by
// fdatasync when the segment is preallocated (the batches overwrite
// zero-filled blocks; a sync after the file grew carries the new size
// too, as fdatasync does), by fsync otherwise.
func (p *partition) syncData() error {
	act := p.segs[len(p.segs)-1]
	var err error
	if p.j.opts.Preallocate > 0 {
		err = p.w.Datasync()
	} else {
		err = p.w.Sync()
	}
	if err == nil {
		p.synced = act.size
	}
	return err
}

// zeros is what zeroFill writes, a piece at a time.
var zeros [256 << 10]byte

// zeroFill, after a batch was written up to byte end of the active
// segment, writes zeros after it up to the next chunk of Preallocate
// bytes (at most up to SegmentBytes) when the batch went beyond the
// zeros written before: the next batches overwrite them. The sync that
// makes the batch durable makes the zeros and the new size durable too.
func (p *partition) zeroFill(end int64) error {
	o := &p.j.opts
	if end <= p.alloc {
		return nil
	}
	p.alloc = end
	if o.Preallocate <= 0 {
		return nil
	}
	to := min(end+o.Preallocate, max(o.SegmentBytes, end))
	for pos := end; pos < to; {
		n := min(to-pos, int64(len(zeros)))
		if _, err := p.w.WriteAt(zeros[:n], pos); err != nil {
			return err
		}
		pos += n
		p.alloc = pos
	}
	return nil
}

// cut makes the active segment act durable with its file cut at its
// logical end (the zeros after its last batch go): before it is sealed
// or at a clean shutdown, so that sealed segments and the clean-shutdown
// marker keep their meaning (the file is the batches and nothing else).
func (p *partition) cut(act *segment) error {
	if p.alloc > act.size {
		if err := p.j.fs.Truncate(segName(p.dir, act.base, ".log"), act.size); err != nil {
			// The batches are still made durable (Relaxed mode may hold
			// acked, unsynced ones); the zeros stay, so the caller must
			// neither seal this segment nor write a clean-shutdown marker.
			err = fmt.Errorf("journal: %v: cut the zeros after segment %d: %w", p, act.base, err)
			if serr := p.w.Sync(); serr != nil {
				return errors.Join(err, p.failSync(serr))
			}
			return err
		}
		p.alloc = act.size
		// fsync, not fdatasync: the size changed.
		if err := p.w.Sync(); err != nil {
			return p.failSync(err)
		}
		p.synced = act.size
		return nil
	}
	if err := p.syncData(); err != nil {
		return p.failSync(err)
	}
	return nil
}

// roll seals act (sync, index files) and starts a segment at next, whose
// name is made durable before anything is acked in it.
func (p *partition) roll(act *segment, next int64) error {
	fsys := p.j.fs
	if err := p.cut(act); err != nil {
		return err
	}
	p.dirty = false
	p.writeIndexes(act)
	name := segName(p.dir, next, ".log")
	w, err := fsys.OpenWrite(name)
	if err != nil {
		return fmt.Errorf("journal: roll %v: %w", p, err)
	}
	if err := fsys.SyncDir(p.dir); err != nil {
		_ = w.Close()
		return p.fail(err)
	}
	r, err := fsys.Open(name)
	if err != nil {
		_ = w.Close()
		return fmt.Errorf("journal: roll %v: %w", p, err)
	}
	_ = p.w.Close()
	p.w, p.alloc, p.synced = w, 0, 0
	s := newSegment(next, p.j.opts.Now())
	s.r = r
	p.mu.Lock()
	p.segs = append(p.segs, s)
	p.advance(act) // everything in the sealed segment is synced
	p.hwPos = 0
	p.mu.Unlock()
	p.writeSnapshot(next)
	return nil
}

// retain deletes whole sealed segments beyond the retention limits: the
// new log start is made durable first, so a crash never brings back a
// deleted segment nor moves the start backwards.
func (p *partition) retain() {
	o := &p.j.opts
	p.mu.Lock()
	segs := p.segs
	p.mu.Unlock()
	var total int64
	for _, s := range segs {
		total += s.size
	}
	nowMs := o.Now().UnixMilli()
	del := 0
	for del < len(segs)-1 {
		s := segs[del]
		byTime := o.RetentionTime > 0 && s.maxTs != math.MinInt64 && s.maxTs < nowMs-o.RetentionTime.Milliseconds()
		bySize := o.RetentionBytes > 0 && total-s.size >= o.RetentionBytes
		if !byTime && !bySize {
			break
		}
		total -= s.size
		del++
	}
	if del == 0 {
		return
	}
	start := segs[del].base
	pl := binary.BigEndian.AppendUint64(nil, uint64(start))
	if err := vfs.WriteFileAtomic(p.j.fs, filepath.Join(p.dir, startFile), encodeEnvelope(magicStart, pl)); err != nil {
		p.j.log.Warn("journal: retention: cannot move the log start", "topic", p.topic, "partition", p.id, "err", err)
		return
	}
	p.mu.Lock()
	p.start = start
	p.segs = slices.Clone(p.segs[del:])
	for _, s := range segs[:del] {
		s.gone = true
		if s.refs == 0 {
			_ = s.r.Close()
		}
	}
	p.mu.Unlock()
	for _, s := range segs[:del] {
		p.removeSegFiles(s.base)
	}
	if err := p.j.fs.SyncDir(p.dir); err != nil {
		p.j.log.Warn("journal: retention: directory sync", "topic", p.topic, "partition", p.id, "err", err)
	}
	// The producer state below the new start goes (docs/format/journal.md
	// §8): after the log start is durable, so a crash before the snapshot
	// leaves an unpruned one, which Open prunes the same way. The snapshot
	// is of the synced end (never beyond it, DESIGN invariant 12).
	p.mu.Lock()
	changed := p.ps.prune(start)
	p.mu.Unlock()
	if !changed || p.failure() != nil {
		return
	}
	if p.dirty {
		if err := p.syncData(); err != nil {
			p.failSync(err)
			return
		}
		p.dirty = false
	}
	p.writeSnapshot(p.segs[len(p.segs)-1].next)
}

// shutdown syncs, writes the active segment's indexes and the
// clean-shutdown marker, and closes the files.
func (p *partition) shutdown() {
	defer p.closeFiles()
	if p.failure() != nil {
		return
	}
	act := p.segs[len(p.segs)-1]
	if err := p.cut(act); err != nil {
		p.j.log.Warn("journal: shutdown without a clean-shutdown marker", "topic", p.topic, "partition", p.id, "err", err)
		p.closeErr = err // Close reports it
		return
	}
	p.writeIndexes(act)
	p.writeSnapshot(act.next)
	var pl []byte
	pl = binary.BigEndian.AppendUint64(pl, uint64(act.base))
	pl = binary.BigEndian.AppendUint64(pl, uint64(act.size))
	pl = binary.BigEndian.AppendUint64(pl, uint64(act.next))
	if err := vfs.WriteFileAtomic(p.j.fs, filepath.Join(p.dir, cleanFile), encodeEnvelope(magicClean, pl)); err != nil {
		p.j.log.Warn("journal: cannot write the clean-shutdown marker", "topic", p.topic, "partition", p.id, "err", err)
	}
}

// --- used by Journal, from any goroutine ---

// append writes r and waits for its acknowledgement. On an idle partition
// (nothing queued for the writer goroutine, no one holding wmu) the caller
// leads: it writes r as a group of its own and, in Durable mode, fsyncs it
// on its own goroutine, with no hand-off to the writer and back. Otherwise
// r is queued for the writer goroutine, which puts it into the next group
// commit with whatever else is queued.
func (p *partition) append(ctx context.Context, r *appendReq) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.queued.Load() == 0 && p.wmu.TryLock() {
		return p.lead(r)
	}
	if err := p.enqueue(ctx, r); err != nil {
		return err
	}
	err, _ := p.await(ctx, r)
	return err
}

// lead commits r on the caller's goroutine; wmu is held and released here.
// Nothing the caller appended before r is still queued (queued was 0 after
// its earlier appends returned), so r follows them in the file.
func (p *partition) lead(r *appendReq) error {
	defer p.wmu.Unlock()
	if p.stopped {
		return ErrClosed
	}
	p.one[0] = r
	p.commit(p.one[:])
	p.one[0] = nil
	return <-r.res // commit answers every request of its group
}

// enqueue hands r to the writer goroutine (blocking while the queue is
// full).
func (p *partition) enqueue(ctx context.Context, r *appendReq) error {
	p.queued.Add(1)
	select {
	case p.reqs <- r:
		return nil
	case <-p.quit:
		p.queued.Add(-1)
		return ErrClosed
	case <-ctx.Done():
		p.queued.Add(-1)
		return ctx.Err()
	}
}

// await waits for the writer's answer to an enqueued r; answered is false
// when ctx ended first (the batch may still be written: it is not acked).
// A request still queued when the writer stopped is answered ErrClosed:
// the writer answers every request it takes before it stops, so after done
// an empty res means it never took r.
func (p *partition) await(ctx context.Context, r *appendReq) (err error, answered bool) {
	select {
	case err := <-r.res:
		return err, true
	case <-ctx.Done():
		return ctx.Err(), false
	case <-p.done:
		select {
		case err := <-r.res:
			return err, true
		default:
			return ErrClosed, true
		}
	}
}

func (p *partition) bounds() (start, end int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.start, p.hw
}

// view is what a reader needs of one segment.
type view struct {
	s     *segment
	idx   []idxEntry
	tidx  []timeEntry
	limit int64 // readable bytes
	next  int64 // offset after the readable records
	maxTs int64
}

// acquire returns the readable segments from the one holding from (or, with
// byTime, all of them) and holds a reference on each until release.
func (p *partition) acquire(from int64, all bool) ([]view, int64, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var vs []view
	for i, s := range p.segs {
		limit, next := s.size, s.next
		if i == len(p.segs)-1 {
			limit, next = p.hwPos, p.hw
		}
		if !all && next <= from {
			continue
		}
		if s.base >= p.hw {
			break
		}
		s.refs++
		vs = append(vs, view{s: s, idx: s.idx, tidx: s.tidx, limit: limit, next: next, maxTs: s.maxTs})
	}
	return vs, p.start, p.hw
}

func (p *partition) release(vs []view) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range vs {
		v.s.refs--
		if v.s.refs == 0 && v.s.gone {
			_ = v.s.r.Close()
		}
	}
}

func (p *partition) read(from int64, maxBytes, maxRecords int) ([]Message, error) {
	vs, start, end := p.acquire(from, false)
	defer p.release(vs)
	if err := p.quarantined(from); err != nil {
		return nil, err
	}
	if from < start || from > end {
		return nil, fmt.Errorf("journal: %v: offset %d outside [%d, %d]: %w", p, from, start, end, ErrOffsetOutOfRange)
	}
	var out []Message
	var err error
	read := 0
	for _, v := range vs {
		var n int
		out, n, err = v.s.read(v.idx, v.limit, max(from, v.s.base), p.id, max(maxBytes-read, 1), maxRecords-len(out), out)
		if err != nil {
			return nil, p.damaged(fmt.Errorf("journal: read %v at offset %d: %w", p, from, err))
		}
		read += n
		// Go on to the next segment only when this one was read to its end.
		if len(out) == 0 || out[len(out)-1].Offset+1 < v.next || len(out) >= maxRecords || read >= maxBytes {
			break
		}
	}
	return out, nil
}

var scanBufs = sync.Pool{New: func() any { return new([]byte) }}

// scan passes the records from offset from on to fn, reusing one buffer
// for the file and one slice for the decoded batch.
func (p *partition) scan(from int64, maxBytes, maxRecords int, fn func(*Message) error) (int64, error) {
	vs, start, end := p.acquire(from, false)
	defer p.release(vs)
	if err := p.quarantined(from); err != nil {
		return from, err
	}
	if from < start || from > end {
		return from, fmt.Errorf("journal: %v: offset %d outside [%d, %d]: %w", p, from, start, end, ErrOffsetOutOfRange)
	}
	buf := scanBufs.Get().(*[]byte)
	defer scanBufs.Put(buf)
	var scratch []Message
	var userErr error
	next, read := from, 0
	passed := func() int { return int(next - from) } // offsets are consecutive
	for _, v := range vs {
		n, err := v.s.visit(v.idx, v.limit, max(next, v.s.base), max(maxBytes-read, 1), maxRecords-passed(), buf, true, func(b []byte, info batchInfo, _ int) (int, error) {
			var err error
			if scratch, err = decodeBatch(b, p.id, next, scratch[:0]); err != nil {
				return 0, err
			}
			n := 0
			for k := range scratch {
				if passed() >= maxRecords {
					break
				}
				if userErr = fn(&scratch[k]); userErr != nil {
					return n, errStop
				}
				n++
				next = scratch[k].Offset + 1
			}
			return n, nil
		})
		read += n
		if userErr != nil {
			return next, userErr
		}
		if err != nil {
			return next, p.damaged(fmt.Errorf("journal: scan %v at offset %d: %w", p, next, err))
		}
		// Go on to the next segment only when this one was read to its end.
		if next < v.next || passed() >= maxRecords || read >= maxBytes {
			break
		}
	}
	return next, nil
}

var errStop = errors.New("journal: scan stopped")

// offsetForTime returns the first offset whose record has a timestamp at or
// above ts, or the end offset when there is none.
func (p *partition) offsetForTime(ts int64) (int64, error) {
	vs, _, end := p.acquire(0, true)
	defer p.release(vs)
	for _, v := range vs {
		if v.maxTs < ts || v.limit == 0 {
			continue
		}
		from := lookupTime(v.tidx, v.s.base, ts)
		for from < v.next {
			ms, _, err := v.s.read(v.idx, v.limit, from, p.id, 1<<20, math.MaxInt, nil)
			if err != nil {
				return 0, fmt.Errorf("journal: %v: %w", p, err)
			}
			if len(ms) == 0 {
				break
			}
			for _, m := range ms {
				if m.Timestamp >= ts {
					return m.Offset, nil
				}
			}
			from = ms[len(ms)-1].Offset + 1
		}
	}
	return end, nil
}

// wait blocks until offsets at or above off are visible.
func (p *partition) wait(ctx context.Context, off int64) (int64, error) {
	for {
		p.mu.Lock()
		hw, ch, failed := p.hw, p.notify, p.failed
		p.mu.Unlock()
		if hw > off {
			return hw, nil
		}
		if off > hw {
			return hw, fmt.Errorf("journal: %v: wait for offset %d beyond the end %d: %w", p, off, hw, ErrOffsetOutOfRange)
		}
		if failed != nil {
			return hw, failed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return hw, ctx.Err()
		case <-p.quit:
			return hw, ErrClosed
		}
	}
}
