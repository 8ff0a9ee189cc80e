package journal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

// VerifyReport is the result of Verify: one entry per partition, and the
// problems found.
type VerifyReport struct {
	Partitions []PartitionCheck
	// Problems not tied to one partition (a topic's metadata; Topic empty:
	// the topics directory, which cannot be listed).
	Problems []Problem
}

// PartitionCheck is what Verify found in one partition.
type PartitionCheck struct {
	Topic     string
	Partition int
	Segments  int
	Batches   int64 // valid batches
	Records   int64 // records in valid batches
	Bytes     int64 // bytes of the .log files
	Start     int64 // the log start offset
	End       int64 // the offset after the last record of the last valid batch
	Problems  []Problem
	// SyncFailure is the partition's sync-failed marker (docs/format/
	// journal.md §5.1), nil when there is none. When SameBoot, what this
	// check read may be pages whose write-back failed, not the disk.
	SyncFailure *SyncFailure
}

// Problem is one thing Verify found wrong.
type Problem struct {
	Topic     string
	Partition int    // -1: about the topic
	File      string // the file, with its path
	Byte      int64  // where in File, -1 when not about a byte
	Offset    int64  // the offset expected at Byte (-1 when not known)
	Sealed    bool   // in a sealed segment (not the active one)
	// Data is true when records or the metadata needed to read them are
	// damaged; false for a cache or a leftover that Open repairs (an index
	// file, an incomplete topic).
	Data bool
	// IO is true when a read of File failed (EIO...): not damage found in
	// the bytes but bytes that could not be checked (Data is false).
	IO     bool
	Reason string
}

func (p Problem) String() string {
	var where string
	switch {
	case p.Topic == "":
		where = "journal"
	case p.Partition < 0:
		where = fmt.Sprintf("topic %q", p.Topic)
	default:
		where = fmt.Sprintf("topic %q partition %d", p.Topic, p.Partition)
	}
	where += ": " + p.File
	if p.Byte >= 0 {
		where += fmt.Sprintf(" byte %d", p.Byte)
	}
	if p.Offset >= 0 {
		where += fmt.Sprintf(" (offset %d)", p.Offset)
	}
	kind := "active segment"
	if p.Sealed {
		kind = "sealed segment"
	}
	if !p.Data {
		kind = "repaired on open"
	}
	if p.IO {
		return fmt.Sprintf("%s: I/O error reading %s (not damage found in the data: the device or filesystem failed the read; what follows was not checked): %s", where, p.File, p.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", where, kind, p.Reason)
}

// Corrupt reports whether a problem damages data (Problem.Data).
func (r *VerifyReport) Corrupt() bool {
	return slices.ContainsFunc(r.All(), func(p Problem) bool { return p.Data })
}

// IOErrors reports whether a read failed (Problem.IO): part of the journal
// was not checked.
func (r *VerifyReport) IOErrors() bool {
	return slices.ContainsFunc(r.All(), func(p Problem) bool { return p.IO })
}

// SyncFailedThisBoot returns the partitions whose sync failed in this boot
// (or in a boot that cannot be told from it): what Verify read there may
// not be what the disk holds, so the check is not conclusive until a
// reboot.
func (r *VerifyReport) SyncFailedThisBoot() []PartitionCheck {
	var out []PartitionCheck
	for _, pc := range r.Partitions {
		if pc.SyncFailure != nil && pc.SyncFailure.SameBoot {
			out = append(out, pc)
		}
	}
	return out
}

// All returns every problem, the topic-level ones first.
func (r *VerifyReport) All() []Problem {
	out := slices.Clone(r.Problems)
	for _, pc := range r.Partitions {
		out = append(out, pc.Problems...)
	}
	return out
}

// Verify checks the journal in dir without opening it for writing: every
// batch of every segment of every partition (length, magic, CRC-32C, every
// record, offsets following on within and across segments), the topic
// metadata and log-start files, and the index files against their logs. It
// never changes a file. The error is for what stops the check (dir holds
// no topics directory); what is wrong with the data is in the report, and
// so is a directory that cannot be listed (the topics directory too: a
// Problem with IO set and Topic empty, and nothing checked). fsys nil means
// the operating system's filesystem.
//
// A read that fails (EIO...) is a Problem with IO set, not damage, and
// the check goes on with the next file it can read. A partition's
// sync-failed marker is in PartitionCheck.SyncFailure, compared with the
// current Linux boot id.
//
// Run it on a journal no process has open, or expect a partial batch at
// the end of an active segment being written.
func Verify(dir string, fsys vfs.FS) (*VerifyReport, error) {
	if fsys == nil {
		fsys = vfs.OS{}
	}
	tdir := filepath.Join(dir, "topics")
	names, err := fsys.ReadDir(tdir)
	if vfs.IsNotExist(err) {
		return nil, fmt.Errorf("journal: verify %s: no journal there: %w", dir, err)
	}
	r := &VerifyReport{}
	if err != nil {
		// No topic can be found: nothing is checked, and that is an I/O
		// problem (as a partition directory that cannot be listed), not
		// damage and not a stop without a report.
		r.Problems = append(r.Problems, Problem{Partition: -1, File: tdir, Byte: -1, Offset: -1, IO: true, Reason: err.Error()})
		return r, nil
	}
	for _, name := range names {
		verifyTopic(fsys, r, filepath.Join(tdir, name), name)
	}
	return r, nil
}

func verifyTopic(fsys vfs.FS, r *VerifyReport, dir, name string) {
	meta := filepath.Join(dir, "topic.meta")
	b, err := vfs.ReadFile(fsys, meta)
	n := -1
	switch {
	case vfs.IsNotExist(err):
		r.Problems = append(r.Problems, Problem{Topic: name, Partition: -1, File: meta, Byte: -1, Offset: -1,
			Reason: "no topic.meta: an incomplete CreateTopic (Open removes the topic)"})
		return
	case err != nil:
		r.Problems = append(r.Problems, Problem{Topic: name, Partition: -1, File: meta, Byte: -1, Offset: -1, IO: true, Reason: err.Error()})
		return
	}
	pl, err := decodeEnvelope(magicTopic, b)
	f := fixed{b: pl}
	if c := int(f.u32()); err == nil && f.done() && c >= 1 {
		n = c
	} else {
		r.Problems = append(r.Problems, Problem{Topic: name, Partition: -1, File: meta, Byte: -1, Offset: -1, Data: true,
			Reason: fmt.Sprintf("topic metadata: %v", errors.Join(err, ErrCorrupt))})
		// Check the partition directories there are.
		ents, err := fsys.ReadDir(dir)
		if err != nil {
			// Those partitions are not checked: an I/O problem, not a
			// stop (the other topics are checked).
			r.Problems = append(r.Problems, Problem{Topic: name, Partition: -1, File: dir, Byte: -1, Offset: -1, IO: true, Reason: err.Error()})
		}
		for _, e := range ents {
			if i, err := strconv.Atoi(e); err == nil && i >= 0 {
				n = max(n, i+1)
			}
		}
	}
	for i := range n {
		r.Partitions = append(r.Partitions, verifyPartition(fsys, filepath.Join(dir, strconv.Itoa(i)), name, i))
	}
}

func verifyPartition(fsys vfs.FS, dir, topic string, id int) PartitionCheck {
	pc := PartitionCheck{Topic: topic, Partition: id}
	problem := func(file string, at, off int64, sealed, data bool, reason string) {
		pc.Problems = append(pc.Problems, Problem{Topic: topic, Partition: id, File: file, Byte: at, Offset: off,
			Sealed: sealed, Data: data, Reason: reason})
	}
	ioProblem := func(file string, at int64, err error) {
		pc.Problems = append(pc.Problems, Problem{Topic: topic, Partition: id, File: file, Byte: at, Offset: -1, IO: true, Reason: err.Error()})
	}
	names, err := fsys.ReadDir(dir)
	if vfs.IsNotExist(err) {
		problem(dir, -1, -1, false, true, "the partition directory is missing")
		return pc
	}
	if err != nil {
		// Nothing of the partition can be found: not checked, and the
		// check goes on with the next partition.
		ioProblem(dir, -1, err)
		return pc
	}
	if m, err := readSyncFailure(fsys, dir, readBootID); err != nil {
		ioProblem(filepath.Join(dir, syncFailFile), -1, err)
	} else {
		pc.SyncFailure = m
	}
	// A read's quarantine (quarFile): Open keeps the partition quarantined
	// until the operator's truncation, whatever the batches look like now.
	if b, err := vfs.ReadFile(fsys, filepath.Join(dir, quarFile)); err == nil {
		reason := "a read quarantined the partition (file " + quarFile + "): Open keeps it quarantined until `strom journal truncate`"
		off := int64(-1)
		if m, derr := decodeQuarMark(b); derr == nil {
			off = m.off
			reason += fmt.Sprintf(" at segment %d byte %d, offset %d (%s)", m.seg, m.byte, m.off, m.reason)
		} else {
			reason += fmt.Sprintf(" (the file does not decode: %v)", derr)
		}
		problem(filepath.Join(dir, quarFile), -1, off, false, true, reason)
	} else if !vfs.IsNotExist(err) {
		ioProblem(filepath.Join(dir, quarFile), -1, err)
	}
	if b, err := vfs.ReadFile(fsys, filepath.Join(dir, startFile)); err == nil {
		pl, err := decodeEnvelope(magicStart, b)
		f := fixed{b: pl}
		if pc.Start = f.i64(); err != nil || !f.done() || pc.Start < 0 {
			problem(filepath.Join(dir, startFile), -1, -1, false, true, fmt.Sprintf("log start: %v", errors.Join(err, ErrCorrupt)))
			pc.Start = 0
		}
	} else if !vfs.IsNotExist(err) {
		ioProblem(filepath.Join(dir, startFile), -1, err)
	}
	bases := segBases(names, ".log")
	// Segments wholly below the log start are removed by Open.
	for len(bases) > 1 && bases[1] <= pc.Start {
		bases = bases[1:]
	}
	pc.End = pc.Start
	if len(bases) > 0 {
		pc.End = bases[0]
	}
	contiguous := true // the previous segment was whole: its end is known
	for i, base := range bases {
		name := segName(dir, base, ".log")
		sealed := i < len(bases)-1
		info, err := fsys.Stat(name)
		if err != nil {
			ioProblem(name, -1, err)
			contiguous = false
			continue
		}
		pc.Segments++
		if i > 0 && contiguous && base != pc.End {
			problem(name, 0, pc.End, sealed, true, fmt.Sprintf("segment starts at offset %d, the previous one ends at %d", base, pc.End))
		}
		f, err := fsys.Open(name)
		if err != nil {
			ioProblem(name, -1, err)
			contiguous = false
			continue
		}
		c := checkSegment(f, info.Size, base, nil)
		size := info.Size // the logical size: the file less the zeros after the last batch of the active segment
		if !sealed && c.err != nil && !readFailed(c.err) {
			var zerr error
			if size, zerr = logicalSize(f, info.Size, &c); zerr != nil {
				c.err, size = zerr, info.Size
			}
		}
		pc.Bytes += size
		pc.Batches += c.batches
		pc.Records += c.records
		switch {
		case c.err != nil && readFailed(c.err):
			ioProblem(name, c.good, fmt.Errorf("at byte %d (offset %d): %w", c.good, c.next, c.err))
		case c.err != nil:
			problem(name, c.good, c.next, sealed, true, c.err.Error())
		}
		contiguous = c.err == nil
		if i == 0 || c.next > base {
			pc.End = c.next
		}
		_, ierr := fsys.Stat(segName(dir, base, ".index"))
		_, terr := fsys.Stat(segName(dir, base, ".timeindex"))
		switch {
		case ierr == nil || terr == nil:
			s := newSegment(base, time.Time{})
			s.r = f
			if err := s.loadIndexes(fsys, dir, size); err != nil && readFailed(err) {
				ioProblem(segName(dir, base, ".index"), -1, err)
			} else if err != nil {
				problem(segName(dir, base, ".index"), -1, -1, sealed, false, fmt.Sprintf("index: %v", err))
			} else if c.err == nil && s.next != c.next {
				problem(segName(dir, base, ".index"), -1, -1, sealed, false,
					fmt.Sprintf("index: ends at offset %d, the log at %d", s.next, c.next))
			}
		case sealed:
			problem(segName(dir, base, ".index"), -1, -1, sealed, false, "index files of a sealed segment are missing")
		}
		_ = f.Close()
	}
	return pc
}

// readFailed tells a read that failed (EIO...) from bytes that were read
// and found bad (ErrCorrupt, ErrNewerVersion, a file shorter than its
// size said) and from a file that is not there (an index file of which
// the other one is present: a leftover Open repairs).
func readFailed(err error) bool {
	return err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNewerVersion) &&
		!errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) && !vfs.IsNotExist(err)
}

// logicalSize returns the logical size of the active segment f of size
// bytes that c checked: when what follows its last valid batch is all
// zeros (preallocated space, docs/format/journal.md §1.1), the end of that
// batch, and c's error is cleared; otherwise size.
func logicalSize(f io.ReaderAt, size int64, c *segCheck) (int64, error) {
	if c.err == nil {
		return size, nil
	}
	zero, err := zeroTail(f, c.good, size)
	if err != nil || !zero {
		return size, err
	}
	c.err = nil
	return c.good, nil
}

// segBases returns the sorted base offsets of the segment files with
// extension ext among names.
func segBases(names []string, ext string) []int64 {
	var bases []int64
	for _, n := range names {
		if base, e, ok := parseSegName(n); ok && e == ext {
			bases = append(bases, base)
		}
	}
	slices.Sort(bases)
	return bases
}

// segCheck is the result of checkSegment.
type segCheck struct {
	batches, records int64
	next             int64 // the offset after the last valid batch
	good             int64 // the byte after the last valid batch
	err              error // why the batch at good is bad; nil: the file is whole
}

// checkSegment reads the size bytes of a segment log from its start and
// checks every batch (header, CRC, records, offsets following on from
// base), stopping at the first bad one. visit, when not nil, is called
// before each valid batch with its position; returning false stops the
// check there (err nil).
func checkSegment(f io.ReaderAt, size, base int64, visit func(pos int64, info batchInfo) bool) segCheck {
	c := segCheck{next: base}
	br := bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 1<<20)
	var buf []byte
	var scratch []Message
	for c.good < size {
		left := size - c.good
		if left < batchHeaderSize {
			c.err = fmt.Errorf("%w: batch cut at the end of the file (%d bytes)", ErrCorrupt, left)
			return c
		}
		buf = slices.Grow(buf[:0], batchHeaderSize)[:batchHeaderSize]
		if _, err := io.ReadFull(br, buf); err != nil {
			c.err = err
			return c
		}
		info, err := parseBatchHeader(buf)
		if err != nil {
			c.err = err
			return c
		}
		if int64(info.size) > left {
			c.err = fmt.Errorf("%w: batch of %d bytes cut at the end of the file (%d bytes)", ErrCorrupt, info.size, left)
			return c
		}
		buf = slices.Grow(buf, info.size-batchHeaderSize)[:info.size]
		if _, err := io.ReadFull(br, buf[batchHeaderSize:]); err != nil {
			c.err = err
			return c
		}
		if scratch, err = decodeBatch(buf, 0, 0, scratch[:0]); err != nil {
			c.err = err
			return c
		}
		if info.base != c.next {
			c.err = fmt.Errorf("%w: batch at offset %d, expected %d", ErrCorrupt, info.base, c.next)
			return c
		}
		if visit != nil && !visit(c.good, info) {
			return c
		}
		c.batches++
		c.records += int64(info.count)
		c.next = info.next()
		c.good += int64(info.size)
	}
	return c
}
