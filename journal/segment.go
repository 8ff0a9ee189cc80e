package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

// A segment is one <base>.log file of consecutive batches, with its sparse
// offset index and time index held in memory (and in files once sealed or
// at a clean shutdown).
//
// Whoever writes the partition's files (the holder of partition.wmu: the
// writer goroutine or a leading Append) changes next, size, maxTs, idx and
// tidx while holding partition.mu; readers copy what they need under it.
type segment struct {
	base  int64
	next  int64 // the offset after the last record
	size  int64 // bytes of whole batches
	maxTs int64 // the largest record timestamp, math.MinInt64 when empty
	born  time.Time
	idx   []idxEntry
	tidx  []timeEntry
	last  int64 // position of the last index entry, -1 when none
	r     vfs.File
	refs  int  // readers using r (partition.mu)
	gone  bool // deleted by retention: close r when refs drop to 0 (partition.mu)
}

type idxEntry struct{ off, pos int64 }

// timeEntry: every record of the segment before pos has a timestamp at most
// ts (ts is the running maximum before the batch at pos), and off is the
// batch's base offset.
type timeEntry struct{ ts, off, pos int64 }

const (
	idxEntrySize  = 8  // relative offset u32, position u32
	timeEntrySize = 16 // timestamp i64, relative offset u32, position u32
	idxSummary    = 24 // next i64, size i64, max timestamp i64
)

func newSegment(base int64, now time.Time) *segment {
	return &segment{base: base, next: base, maxTs: math.MinInt64, born: now, last: -1}
}

func segName(dir string, base int64, ext string) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", base, ext))
}

// parseSegName returns the base offset and extension of a segment file
// name ("00000000000000000042.log").
func parseSegName(name string) (int64, string, bool) {
	dot := strings.IndexByte(name, '.')
	if dot != 20 {
		return 0, "", false
	}
	base, err := strconv.ParseInt(name[:dot], 10, 64)
	if err != nil || base < 0 {
		return 0, "", false
	}
	return base, name[dot:], true
}

// add records a batch written at pos; interval is the index interval.
func (s *segment) add(info batchInfo, pos int64, interval int) {
	if s.last < 0 || pos-s.last >= int64(interval) {
		s.idx = append(s.idx, idxEntry{info.base, pos})
		s.tidx = append(s.tidx, timeEntry{s.maxTs, info.base, pos})
		s.last = pos
	}
	s.next = info.next()
	s.size = pos + int64(info.size)
	s.maxTs = max(s.maxTs, info.maxTs)
}

// lookup returns the last indexed batch at or before off (base offset and
// position), or the start of the segment.
func lookup(idx []idxEntry, base, off int64) idxEntry {
	i := sort.Search(len(idx), func(i int) bool { return idx[i].off > off })
	if i == 0 {
		return idxEntry{base, 0}
	}
	return idx[i-1]
}

// lookupTime returns the offset from which a scan finds the first record
// with a timestamp at or above ts: that of the last indexed batch before
// which every record of the segment is older.
func lookupTime(tidx []timeEntry, base, ts int64) int64 {
	i := sort.Search(len(tidx), func(i int) bool { return tidx[i].ts >= ts })
	if i == 0 {
		return base
	}
	return tidx[i-1].off
}

// encodeIndexes returns the contents of the .index and .timeindex files.
func (s *segment) encodeIndexes() (idx, tidx []byte) {
	p := make([]byte, 0, idxSummary+len(s.idx)*idxEntrySize)
	p = binary.BigEndian.AppendUint64(p, uint64(s.next))
	p = binary.BigEndian.AppendUint64(p, uint64(s.size))
	p = binary.BigEndian.AppendUint64(p, uint64(s.maxTs))
	for _, e := range s.idx {
		p = binary.BigEndian.AppendUint32(p, uint32(e.off-s.base))
		p = binary.BigEndian.AppendUint32(p, uint32(e.pos))
	}
	t := make([]byte, 0, len(s.tidx)*timeEntrySize)
	for _, e := range s.tidx {
		t = binary.BigEndian.AppendUint64(t, uint64(e.ts))
		t = binary.BigEndian.AppendUint32(t, uint32(e.off-s.base))
		t = binary.BigEndian.AppendUint32(t, uint32(e.pos))
	}
	return encodeEnvelope(magicIndex, p), encodeEnvelope(magicTime, t)
}

// loadIndexes reads the index files of s, whose log file has logSize
// bytes, and checks them against it: the summary must match the file size,
// entries must rise, lie inside the file, agree with each other, and each
// must point at a batch header with the stated base offset. Any mismatch
// is an error (the caller rebuilds by scanning).
func (s *segment) loadIndexes(fsys vfs.FS, dir string, logSize int64) error {
	ib, err := vfs.ReadFile(fsys, segName(dir, s.base, ".index"))
	if err != nil {
		return err
	}
	tb, err := vfs.ReadFile(fsys, segName(dir, s.base, ".timeindex"))
	if err != nil {
		return err
	}
	ip, err := decodeEnvelope(magicIndex, ib)
	if err != nil {
		return err
	}
	tp, err := decodeEnvelope(magicTime, tb)
	if err != nil {
		return err
	}
	if len(ip) < idxSummary || (len(ip)-idxSummary)%idxEntrySize != 0 || len(tp)%timeEntrySize != 0 ||
		(len(ip)-idxSummary)/idxEntrySize != len(tp)/timeEntrySize {
		return fmt.Errorf("%w: index sizes %d and %d", ErrCorrupt, len(ip), len(tp))
	}
	next := int64(binary.BigEndian.Uint64(ip))
	size := int64(binary.BigEndian.Uint64(ip[8:]))
	maxTs := int64(binary.BigEndian.Uint64(ip[16:]))
	if size != logSize || next < s.base || (size == 0) != (next == s.base) {
		return fmt.Errorf("%w: index says %d bytes up to offset %d, the log has %d bytes", ErrCorrupt, size, next, logSize)
	}
	n := len(tp) / timeEntrySize
	idx := make([]idxEntry, n)
	tidx := make([]timeEntry, n)
	hdr := make([]byte, batchHeaderSize)
	for i := range n {
		e := ip[idxSummary+i*idxEntrySize:]
		t := tp[i*timeEntrySize:]
		idx[i] = idxEntry{s.base + int64(binary.BigEndian.Uint32(e)), int64(binary.BigEndian.Uint32(e[4:]))}
		tidx[i] = timeEntry{int64(binary.BigEndian.Uint64(t)), s.base + int64(binary.BigEndian.Uint32(t[8:])), int64(binary.BigEndian.Uint32(t[12:]))}
		if idx[i].off != tidx[i].off || idx[i].pos != tidx[i].pos || idx[i].off >= next || idx[i].pos >= size ||
			(i == 0 && (idx[i].pos != 0 || idx[i].off != s.base)) ||
			(i > 0 && (idx[i].off <= idx[i-1].off || idx[i].pos <= idx[i-1].pos || tidx[i].ts < tidx[i-1].ts)) {
			return fmt.Errorf("%w: index entry %d", ErrCorrupt, i)
		}
		if _, err := s.r.ReadAt(hdr, idx[i].pos); err != nil {
			return err
		}
		info, err := parseBatchHeader(hdr)
		if err != nil || info.base != idx[i].off || idx[i].pos+int64(info.size) > size {
			return fmt.Errorf("%w: index entry %d does not point at its batch", ErrCorrupt, i)
		}
	}
	if n == 0 && size != 0 {
		return fmt.Errorf("%w: empty index of a non-empty segment", ErrCorrupt)
	}
	s.next, s.size, s.maxTs, s.idx, s.tidx = next, size, maxTs, idx, tidx
	if n > 0 {
		s.last = idx[n-1].pos
	}
	return nil
}

// scan reads the log of s from the start, checking every batch (header,
// CRC, offsets following on), and builds the indexes. It returns the
// position of the first bad batch and why it is bad, or (size, nil) when
// the whole file is good. It reads the file front to back 1 MiB at a time
// after telling the kernel so (adviseSequential), so that the kernel's
// read-ahead reads the next MiBs from the disk while this checks one.
func (s *segment) scan(logSize int64, interval int) (int64, error) {
	s.next, s.size, s.maxTs, s.idx, s.tidx, s.last = s.base, 0, math.MinInt64, nil, nil, -1
	_ = adviseSequential(s.r) // a hint; the reads work without it
	const chunk = 1 << 20
	buf := make([]byte, 0, chunk)
	bufPos := int64(0) // file position of buf[0]
	pos := int64(0)
	for pos < logSize {
		// Make buf hold [pos, pos+need) where need is a header, then the batch.
		need := int64(batchHeaderSize)
		for pass := 0; pass < 2; pass++ {
			if pos+need > logSize {
				return pos, fmt.Errorf("%w: batch cut at the end of the file (%d of at least %d bytes)", ErrCorrupt, logSize-pos, need)
			}
			if pos+need > bufPos+int64(len(buf)) {
				n := min(max(need, chunk), logSize-pos)
				if int64(cap(buf)) < n {
					buf = make([]byte, n)
				}
				buf = buf[:n]
				if _, err := s.r.ReadAt(buf, pos); err != nil && !errors.Is(err, io.EOF) {
					return pos, err
				}
				bufPos = pos
			}
			if pass == 0 {
				info, err := parseBatchHeader(buf[pos-bufPos:])
				if err != nil {
					return pos, s.newerOr(pos, logSize, buf[pos-bufPos:], err)
				}
				need = int64(info.size)
			}
		}
		b := buf[pos-bufPos : pos-bufPos+need]
		info, err := checkBatch(b)
		if err != nil {
			return pos, err
		}
		if info.base != s.next {
			return pos, fmt.Errorf("%w: batch at offset %d, expected %d", ErrCorrupt, info.base, s.next)
		}
		s.add(info, pos, interval)
		pos += need
	}
	return pos, nil
}

// zeroTail reports whether bytes [from, to) of r are all zero: the
// preallocated space after the last batch of an active segment.
func zeroTail(r io.ReaderAt, from, to int64) (bool, error) {
	buf := make([]byte, min(to-from, 64<<10))
	for pos := from; pos < to; {
		b := buf[:min(to-pos, int64(len(buf)))]
		if _, err := r.ReadAt(b, pos); err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		for _, c := range b {
			if c != 0 {
				return false, nil
			}
		}
		pos += int64(len(b))
	}
	return true, nil
}

// newerOr returns ErrNewerVersion for the batch at pos, whose header hdr
// failed to parse with err, when that batch has a version this build does
// not know (a magic above batchMagicV2) that it also states under its
// good CRC: every version keeps length(4) magic(1) crc(4) and the CRC
// over the rest of the batch, and a version from 3 on repeats its magic
// in the first byte under the CRC (byte 9; in versions 1 and 2 the top
// byte of the base offset, always 0), since the magic byte itself is not
// checksummed: a flipped bit there is damage (RELIABILITY L3), a batch
// saying its version twice under a good CRC was written whole by a newer
// strom. Otherwise it returns err.
func (s *segment) newerOr(pos, logSize int64, hdr []byte, err error) error {
	if hdr[4] <= batchMagicV2 {
		return err
	}
	n := int64(binary.BigEndian.Uint32(hdr)) + 4
	if n <= crcFrom || n > MaxBatchBytes || pos+n > logSize { // byte crcFrom must exist
		return err
	}
	b := make([]byte, n)
	if _, rerr := s.r.ReadAt(b, pos); rerr != nil && !errors.Is(rerr, io.EOF) {
		// An I/O error is not damage: recovery must fail, not truncate
		// or quarantine the batch (it may be a newer strom's).
		return fmt.Errorf("journal: segment %d: reading the batch at byte %d: %w", s.base, pos, rerr)
	}
	if b[crcFrom] != hdr[4] || binary.BigEndian.Uint32(b[5:]) != crc(b[crcFrom:]) {
		return err
	}
	return fmt.Errorf("%w: the batch at byte %d of segment %d has layout version %d under a good checksum (this build reads %d and %d): %s",
		ErrNewerVersion, pos, s.base, hdr[4], batchMagic, batchMagicV2, newerHint)
}

// checkTail reads the headers of the batches of s after its last indexed
// one (at most about an index interval of bytes), whose indexes were
// loaded and not scanned: a batch of a newer version there, which the
// index checks do not see, is ErrNewerVersion; any other bad header is an
// error too (the caller then scans the segment).
func (s *segment) checkTail(logSize int64) error {
	if s.last < 0 {
		return nil
	}
	hdr := make([]byte, batchHeaderSize)
	for pos := s.last; pos < logSize; {
		if pos+batchHeaderSize > logSize {
			return fmt.Errorf("%w: batch cut at byte %d", ErrCorrupt, pos)
		}
		if _, err := s.r.ReadAt(hdr, pos); err != nil {
			return err
		}
		info, err := parseBatchHeader(hdr)
		if err != nil {
			return s.newerOr(pos, logSize, hdr, err)
		}
		pos += int64(info.size)
	}
	return nil
}

// visit calls fn with each whole batch of s that holds offsets >= from,
// before byte limit, in order, until fn has taken maxRecords records or
// maxBytes of batches were visited (at least one batch is). fn checks the
// batch (CRC and records) and returns how many records it took. With
// reuse, *buf is reused for every chunk read from the file (fn must not
// keep the bytes); otherwise each chunk is a new allocation that fn may
// keep.
func (s *segment) visit(idx []idxEntry, limit, from int64, maxBytes, maxRecords int, buf *[]byte, reuse bool,
	fn func(b []byte, info batchInfo, left int) (int, error)) (read int, err error) {
	e := lookup(idx, s.base, from)
	pos, expect := e.pos, e.off // every batch must start at the offset the previous one ended
	took := 0
	chunk := 16 << 10
	if reuse {
		chunk = 1 << 20
	}
	get := func(n int64) []byte {
		if !reuse {
			return make([]byte, n)
		}
		if int64(cap(*buf)) < n {
			*buf = make([]byte, n)
		}
		return (*buf)[:n]
	}
	corrupt := func(at int64, err error) error {
		return &damage{seg: s.base, byte: at, off: expect, err: err}
	}
	for pos < limit && took < maxRecords && (read < maxBytes || took == 0) {
		n := min(limit-pos, int64(max(min(maxBytes-read, chunk), batchHeaderSize)))
		chunk = min(chunk*2, 1<<20)
		if n < batchHeaderSize {
			return read, corrupt(pos, fmt.Errorf("%w: batch cut", ErrCorrupt))
		}
		b := get(n)
		if _, err := s.r.ReadAt(b, pos); err != nil && !errors.Is(err, io.EOF) {
			return read, err
		}
		i := 0
		for i+batchHeaderSize <= len(b) {
			info, err := parseBatchHeader(b[i:])
			if err != nil {
				return read, corrupt(pos+int64(i), err)
			}
			if info.base != expect {
				return read, corrupt(pos+int64(i), fmt.Errorf("%w: batch at offset %d, expected %d", ErrCorrupt, info.base, expect))
			}
			if info.next() <= from {
				i += info.size
				expect = info.next()
				continue
			}
			if took >= maxRecords || (read+info.size > maxBytes && took > 0) {
				return read, nil
			}
			batch := b[i:min(i+info.size, len(b))]
			if i+info.size > len(b) {
				if i > 0 {
					break // read it from its start in the next chunk
				}
				// One batch larger than the chunk.
				if pos+int64(info.size) > limit {
					return read, corrupt(pos, fmt.Errorf("%w: batch cut", ErrCorrupt))
				}
				batch = make([]byte, info.size)
				if _, err := s.r.ReadAt(batch, pos); err != nil && !errors.Is(err, io.EOF) {
					return read, err
				}
			}
			k, err := fn(batch, info, int(min(limit-pos-int64(i), int64(maxBytes-read))))
			if err != nil {
				return read, corrupt(pos+int64(i), err)
			}
			took += k
			read += info.size
			expect = info.next()
			i += info.size
		}
		if i == 0 {
			return read, corrupt(pos, fmt.Errorf("%w: batch cut", ErrCorrupt))
		}
		pos += int64(i)
	}
	return read, nil
}

// read appends to out the messages of offsets >= from found in s before
// byte limit (see visit for the bounds). The messages alias fresh buffers.
func (s *segment) read(idx []idxEntry, limit int64, from int64, part int, maxBytes, maxRecords int, out []Message) ([]Message, int, error) {
	start := len(out)
	read, err := s.visit(idx, limit, from, maxBytes, maxRecords, nil, false, func(b []byte, info batchInfo, left int) (int, error) {
		if cap(out)-len(out) < info.count {
			// Room for the records still to read, estimated from this
			// batch: one allocation instead of a doubling series.
			est := int(int64(left) * int64(info.count) / int64(info.size))
			out = slices.Grow(out, max(min(est, maxRecords-(len(out)-start)), info.count))
		}
		before := len(out)
		var err error
		out, err = decodeBatch(b, part, from, out)
		return len(out) - before, err
	})
	if err != nil {
		return out[:start], read, err
	}
	return trim(out, start, maxRecords), read, nil
}

func trim(out []Message, start, maxRecords int) []Message {
	if len(out)-start > maxRecords {
		return out[:start+maxRecords]
	}
	return out
}
