package journal

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/stromio/strom/internal/vfs"
)

// TruncateReport says what TruncatePartition dropped (or would drop).
type TruncateReport struct {
	Topic     string
	Partition int
	At        int64    // the new end offset
	Segment   string   // the .log file cut at Byte (empty when At is the end)
	Byte      int64    // where it was cut
	Removed   []string // the later .log files removed whole
	Bytes     int64    // log bytes dropped
	Records   int64    // records in the valid batches dropped
	// Unreadable: bytes dropped that lie at or after a damaged batch (their
	// records cannot be counted).
	Unreadable int64
}

// TruncatePartition cuts the log of a partition of the journal in dir so
// that its end offset becomes at: the segment holding at is cut before the
// batch that starts at it, and the later segments are removed. It is the
// operator's way out of a quarantine (RELIABILITY L4) and drops data, so it
// is never done on its own. at must be the first offset of a batch (or the
// end), above the log start, and every batch before it must be valid. With
// dryRun nothing changes. No process may have the journal open. fsys nil
// means the operating system's.
func TruncatePartition(dir string, fsys vfs.FS, topic string, partition int, at int64, dryRun bool) (TruncateReport, error) {
	if fsys == nil {
		fsys = vfs.OS{}
	}
	rep := TruncateReport{Topic: topic, Partition: partition, At: at}
	fail := func(format string, args ...any) (TruncateReport, error) {
		return rep, fmt.Errorf("journal: truncate topic %q partition %d at %d: %s", topic, partition, at, fmt.Sprintf(format, args...))
	}
	tdir := filepath.Join(dir, "topics", topic)
	if _, err := fsys.Stat(filepath.Join(tdir, "topic.meta")); err != nil {
		return fail("%v", err)
	}
	pdir := filepath.Join(tdir, strconv.Itoa(partition))
	names, err := fsys.ReadDir(pdir)
	if err != nil {
		return fail("%v", err)
	}
	var start int64
	if b, err := vfs.ReadFile(fsys, filepath.Join(pdir, startFile)); err == nil {
		pl, err := decodeEnvelope(magicStart, b)
		f := fixed{b: pl}
		if start = f.i64(); err != nil || !f.done() {
			return fail("log start file: %v", err)
		}
	} else if !vfs.IsNotExist(err) {
		return fail("%v", err)
	}
	if at < start {
		return fail("below the log start %d", start)
	}
	bases := segBases(names, ".log")
	k := -1
	for i, b := range bases {
		if b <= at {
			k = i
		}
	}
	if k < 0 {
		return fail("no segment holds it")
	}
	// Find the byte of at in segment k.
	name := segName(pdir, bases[k], ".log")
	info, err := fsys.Stat(name)
	if err != nil {
		return fail("%v", err)
	}
	f, err := fsys.Open(name)
	if err != nil {
		return fail("%v", err)
	}
	pos := int64(-1)
	var inside *batchInfo
	size := info.Size // the logical size (the active segment may end in preallocated zeros)
	if k == len(bases)-1 {
		c := checkSegment(f, size, bases[k], nil)
		if size, err = logicalSize(f, size, &c); err != nil {
			_ = f.Close()
			return fail("%v", err)
		}
	}
	c := checkSegment(f, size, bases[k], func(p int64, b batchInfo) bool {
		if b.base == at {
			pos = p
			return false
		}
		if b.base < at && at < b.next() {
			inside = &b
			return false
		}
		return true
	})
	switch {
	case inside != nil:
		_ = f.Close()
		return fail("it is inside the batch of offsets %d to %d: use --at %d (drop the batch) or %d", inside.base, inside.next()-1, inside.base, inside.next())
	case pos < 0 && c.err != nil && c.next == at:
		pos = c.good // the damaged batch is the first to go
	case pos < 0 && c.err != nil:
		_ = f.Close()
		return fail("%s is damaged at byte %d (offset %d) before it: %v; truncate at %d or lower", name, c.good, c.next, c.err, c.next)
	case pos < 0 && c.next != at:
		_ = f.Close()
		return fail("beyond the end %d of the log", c.next)
	case pos < 0:
		pos = size // at is the end of this segment
	}
	// Count what goes: the rest of segment k, the later segments whole.
	count := func(f vfs.File, from, size, base int64) {
		c := checkSegment(&offsetReader{f, from}, size-from, base, nil)
		rep.Records += c.records
		rep.Unreadable += size - from - c.good
	}
	count(f, pos, size, at)
	_ = f.Close()
	if pos < size {
		rep.Segment, rep.Byte, rep.Bytes = name, pos, size-pos
	}
	for i, b := range bases[k+1:] {
		n := segName(pdir, b, ".log")
		st, err := fsys.Stat(n)
		if err != nil {
			return fail("%v", err)
		}
		g, err := fsys.Open(n)
		if err != nil {
			return fail("%v", err)
		}
		size := st.Size
		if k+1+i == len(bases)-1 {
			// The active segment: its preallocated zeros are not log.
			c := checkSegment(g, size, b, nil)
			if size, err = logicalSize(g, size, &c); err != nil {
				_ = g.Close()
				return fail("%v", err)
			}
		}
		count(g, 0, size, b)
		_ = g.Close()
		rep.Removed = append(rep.Removed, n)
		rep.Bytes += size
	}
	if dryRun {
		return rep, nil
	}
	// Highest segments first: a crash in between leaves a log without holes.
	for i := len(bases) - 1; i > k; i-- {
		for _, ext := range []string{".index", ".timeindex", ".log"} {
			if err := fsys.Remove(segName(pdir, bases[i], ext)); err != nil && !vfs.IsNotExist(err) {
				return fail("%v", err)
			}
		}
	}
	// Segment k becomes the active one: its index files go (Open rebuilds
	// them by a scan), and so does the clean marker.
	for _, n := range []string{segName(pdir, bases[k], ".index"), segName(pdir, bases[k], ".timeindex"), filepath.Join(pdir, cleanFile)} {
		if err := fsys.Remove(n); err != nil && !vfs.IsNotExist(err) {
			return fail("%v", err)
		}
	}
	if err := fsys.Truncate(name, pos); err != nil {
		return fail("%v", err)
	}
	w, err := fsys.OpenAppend(name)
	if err != nil {
		return fail("%v", err)
	}
	err = w.Sync()
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.SyncDir(pdir)
	}
	if err != nil {
		return fail("%v", err)
	}
	// The operator's cut is durable: a read's quarantine file (Open would
	// keep the partition quarantined) goes last.
	if err := fsys.Remove(filepath.Join(pdir, quarFile)); err != nil && !vfs.IsNotExist(err) {
		return fail("%v", err)
	}
	if err := fsys.SyncDir(pdir); err != nil {
		return fail("%v", err)
	}
	return rep, nil
}

// offsetReader reads r from byte off on.
type offsetReader struct {
	r interface {
		ReadAt([]byte, int64) (int, error)
	}
	off int64
}

func (o *offsetReader) ReadAt(b []byte, at int64) (int, error) { return o.r.ReadAt(b, o.off+at) }
