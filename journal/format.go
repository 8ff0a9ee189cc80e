package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// The byte layouts of docs/format/journal.md. Fixed-size integers are
// big-endian; every checksum is CRC-32C.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

const (
	batchMagic      = 1  // the version of the batch layout without producer fields
	batchHeaderSize = 37 // length(4) magic(1) crc(4) base(8) count(4) firstTs(8) maxTs(8)
	// Version 2 (producer.go) adds attributes(2) producerID(8) epoch(4)
	// baseSeq(4) after maxTs: batches of idempotent and transactional
	// producers and transaction markers.
	batchMagicV2      = 2
	batchHeaderSizeV2 = 55
	// MaxBatchBytes bounds one batch (one Append to one partition) on disk;
	// the decoder refuses a larger length before allocating.
	MaxBatchBytes = 64 << 20
	crcFrom       = 9 // the CRC covers the batch from this byte to its end
)

// ErrCorrupt says that bytes read from a journal file are not a valid
// batch or metadata file (a checksum, length, magic or version mismatch).
var ErrCorrupt = errors.New("journal: corrupt data")

// ErrNewerVersion says that a journal file holds a layout this build does
// not know under a good checksum: a newer strom wrote it. The journal
// refuses to open such a partition or topic instead of treating it as
// damage, so an older binary never truncates, quarantines or rebuilds
// what a newer one wrote (docs/format/journal.md, "Versions").
var ErrNewerVersion = errors.New("journal: written by a newer version of strom")

// newerHint is what a refusal of a newer layout tells the user to do.
const newerHint = "open this journal with the strom that wrote it (nothing was changed on disk)"

// Header is a record header: a key and an optional value.
type Header struct {
	Key   string
	Value []byte
}

// Record is what a producer appends.
type Record struct {
	Key     []byte // nil and empty are kept apart
	Value   []byte // nil and empty are kept apart
	Headers []Header
	// Timestamp in milliseconds since the Unix epoch; 0 means the time of
	// the append (Options.Now).
	Timestamp int64
}

// Message is a record read back, with where it lives.
type Message struct {
	Record
	Partition int
	Offset    int64
}

// batchInfo is the decoded fixed header of a batch.
type batchInfo struct {
	size    int // whole batch in bytes, length field included
	hdr     int // header bytes: batchHeaderSize or batchHeaderSizeV2
	base    int64
	count   int
	firstTs int64
	maxTs   int64
}

func (b batchInfo) next() int64 { return b.base + int64(b.count) }

// encodeBatch appends one batch holding recs to dst; the base offset is
// patched in later by setBatchBase. Every record's Timestamp must be set.
func encodeBatch(dst []byte, recs []Record) []byte {
	return encodeBatchHdr(dst, recs, nil)
}

// encodeBatchHdr is encodeBatch; a non-nil ph makes it a version 2 batch.
func encodeBatchHdr(dst []byte, recs []Record, ph *producerFields) []byte {
	start := len(dst)
	hs := batchHeaderSize
	if ph != nil {
		hs = batchHeaderSizeV2
	}
	dst = append(dst, make([]byte, hs)...)
	first := recs[0].Timestamp
	maxTs := first
	for _, r := range recs {
		maxTs = max(maxTs, r.Timestamp)
		dst = binary.AppendVarint(dst, r.Timestamp-first)
		dst = appendBytes(dst, r.Key)
		dst = appendBytes(dst, r.Value)
		dst = binary.AppendUvarint(dst, uint64(len(r.Headers)))
		for _, h := range r.Headers {
			dst = binary.AppendUvarint(dst, uint64(len(h.Key)))
			dst = append(dst, h.Key...)
			dst = appendBytes(dst, h.Value)
		}
	}
	h := dst[start:]
	binary.BigEndian.PutUint32(h[0:], uint32(len(h)-4))
	h[4] = batchMagic
	binary.BigEndian.PutUint32(h[17:], uint32(len(recs)))
	binary.BigEndian.PutUint64(h[21:], uint64(first))
	binary.BigEndian.PutUint64(h[29:], uint64(maxTs))
	if ph != nil {
		h[4] = batchMagicV2
		ph.put(h)
	}
	setBatchBase(h, 0)
	return dst
}

// setBatchBase sets the base offset of the encoded batch b and its CRC.
func setBatchBase(b []byte, base int64) {
	binary.BigEndian.PutUint64(b[9:], uint64(base))
	binary.BigEndian.PutUint32(b[5:], crc(b[crcFrom:]))
}

// appendBytes writes len+1 (0 for nil) and the bytes.
func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(b))+1)
	return append(dst, b...)
}

// parseBatchHeader checks the fixed header at the start of b (which holds
// at least batchHeaderSize bytes) and returns it; the CRC is not checked.
func parseBatchHeader(b []byte) (batchInfo, error) {
	if len(b) < batchHeaderSize {
		return batchInfo{}, fmt.Errorf("%w: batch header cut at %d bytes", ErrCorrupt, len(b))
	}
	n := binary.BigEndian.Uint32(b)
	if n < batchHeaderSize-4 || n > MaxBatchBytes-4 {
		return batchInfo{}, fmt.Errorf("%w: batch length %d", ErrCorrupt, n)
	}
	hs := batchHeaderSize
	switch b[4] {
	case batchMagic:
	case batchMagicV2:
		hs = batchHeaderSizeV2
		if n < batchHeaderSizeV2-4 {
			return batchInfo{}, fmt.Errorf("%w: batch length %d", ErrCorrupt, n)
		}
	default:
		return batchInfo{}, fmt.Errorf("%w: batch magic %d, want %d or %d", ErrCorrupt, b[4], batchMagic, batchMagicV2)
	}
	info := batchInfo{
		hdr:     hs,
		size:    int(n) + 4,
		base:    int64(binary.BigEndian.Uint64(b[9:])),
		count:   int(binary.BigEndian.Uint32(b[17:])),
		firstTs: int64(binary.BigEndian.Uint64(b[21:])),
		maxTs:   int64(binary.BigEndian.Uint64(b[29:])),
	}
	if info.count < 1 || info.count > info.size || info.base < 0 || info.base > math.MaxInt64-int64(info.count) {
		return batchInfo{}, fmt.Errorf("%w: batch base %d count %d", ErrCorrupt, info.base, info.count)
	}
	return info, nil
}

// checkBatch checks the header and the CRC of the whole batch b (exactly
// one batch).
func checkBatch(b []byte) (batchInfo, error) {
	info, err := parseBatchHeader(b)
	if err != nil {
		return info, err
	}
	if info.size != len(b) {
		return info, fmt.Errorf("%w: batch length %d, have %d bytes", ErrCorrupt, info.size, len(b))
	}
	if want, got := binary.BigEndian.Uint32(b[5:]), crc(b[crcFrom:]); want != got {
		return info, fmt.Errorf("%w: batch at offset %d: crc %08x, want %08x", ErrCorrupt, info.base, got, want)
	}
	if info.hdr == batchHeaderSizeV2 {
		if err := readProducerFields(b).check(info); err != nil {
			return info, err
		}
	}
	return info, nil
}

// DecodeBatch checks one whole batch (header, CRC, every record) and
// returns its records as messages of the given partition. Keys, values and
// header values alias b. Only the canonical encoding is accepted (shortest
// varints, first record at the batch's first timestamp, the stated maximum
// timestamp), so that an accepted batch re-encodes to the same bytes.
func DecodeBatch(b []byte, partition int) ([]Message, error) {
	return decodeBatch(b, partition, 0, nil)
}

// decodeBatch appends to out the records of batch b whose offset is at
// least from.
func decodeBatch(b []byte, partition int, from int64, out []Message) ([]Message, error) {
	info, err := checkBatch(b)
	if err != nil {
		return out, err
	}
	d := decoder{b: b[info.hdr:]}
	maxTs := int64(math.MinInt64)
	for i := range info.count {
		var m Message
		delta := d.varint()
		if i == 0 && delta != 0 {
			d.fail()
		}
		m.Timestamp = info.firstTs + delta
		maxTs = max(maxTs, m.Timestamp)
		m.Key = d.bytes()
		m.Value = d.bytes()
		if nh := d.uvarint(); nh > 0 && d.err == nil {
			if nh > uint64(len(d.b)) {
				d.fail()
			} else {
				m.Headers = make([]Header, nh)
				for j := range m.Headers {
					m.Headers[j].Key = string(d.raw(d.uvarint()))
					m.Headers[j].Value = d.bytes()
				}
			}
		}
		if d.err != nil {
			return out, fmt.Errorf("%w: batch at offset %d: record %d: %v", ErrCorrupt, info.base, i, d.err)
		}
		m.Partition = partition
		m.Offset = info.base + int64(i)
		if m.Offset >= from {
			out = append(out, m)
		}
	}
	if len(d.b) != 0 || maxTs != info.maxTs {
		return out, fmt.Errorf("%w: batch at offset %d: %d trailing bytes, max timestamp %d, stated %d", ErrCorrupt, info.base, len(d.b), maxTs, info.maxTs)
	}
	return out, nil
}

// decoder reads canonical varints and length-prefixed bytes; the first
// error sticks.
type decoder struct {
	b   []byte
	err error
}

var errMalformed = errors.New("malformed record")

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errMalformed
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || n != uvarintLen(v) {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *decoder) raw(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	return d.raw(n - 1)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// --- envelopes: the small metadata files and the index files ---

const envelopeVersion = 1

// File magics (8 bytes each).
const (
	magicTopic  = "STRMJTOP" // topic.meta
	magicStart  = "STRMJSTA" // log-start
	magicClean  = "STRMJCLN" // clean
	magicQuar   = "STRMJQUA" // quarantined
	magicIndex  = "STRMJIDX" // <base>.index
	magicTime   = "STRMJTIX" // <base>.timeindex
	magicGroup  = "STRMJGRP" // groups/<group>.offsets
	envelopeHdr = 16         // magic(8) version(4) payload length(4)
)

// encodeEnvelope wraps payload: magic, version, length, payload, CRC-32C of
// everything before the CRC.
func encodeEnvelope(magic string, payload []byte) []byte {
	b := make([]byte, 0, envelopeHdr+len(payload)+4)
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint32(b, envelopeVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	b = append(b, payload...)
	return binary.BigEndian.AppendUint32(b, crc(b))
}

// decodeEnvelope checks and unwraps an envelope.
func decodeEnvelope(magic string, b []byte) ([]byte, error) {
	if len(b) < envelopeHdr+4 || string(b[:8]) != magic {
		return nil, fmt.Errorf("%w: not a %s file", ErrCorrupt, magic)
	}
	// The frame (magic, length, trailing CRC) is the same in every
	// version: checked first, so that a newer version under a good
	// checksum is told apart from damage.
	n := binary.BigEndian.Uint32(b[12:])
	if uint64(n) != uint64(len(b)-envelopeHdr-4) {
		return nil, fmt.Errorf("%w: %s payload length %d, file has %d bytes", ErrCorrupt, magic, n, len(b))
	}
	if want, got := binary.BigEndian.Uint32(b[len(b)-4:]), crc(b[:len(b)-4]); want != got {
		return nil, fmt.Errorf("%w: %s crc %08x, want %08x", ErrCorrupt, magic, got, want)
	}
	if v := binary.BigEndian.Uint32(b[8:]); v > envelopeVersion {
		return nil, fmt.Errorf("%w: %s version %d, this build reads %d: %s", ErrNewerVersion, magic, v, envelopeVersion, newerHint)
	} else if v != envelopeVersion {
		return nil, fmt.Errorf("%w: %s version %d, want %d", ErrCorrupt, magic, v, envelopeVersion)
	}
	return b[envelopeHdr : len(b)-4], nil
}

// fixed reads big-endian integers from a payload; the first error sticks.
type fixed struct {
	b   []byte
	err bool
}

func (f *fixed) u32() uint32 {
	if len(f.b) < 4 {
		f.err = true
		return 0
	}
	v := binary.BigEndian.Uint32(f.b)
	f.b = f.b[4:]
	return v
}

func (f *fixed) i64() int64 {
	if len(f.b) < 8 {
		f.err = true
		return 0
	}
	v := binary.BigEndian.Uint64(f.b)
	f.b = f.b[8:]
	return int64(v)
}

func (f *fixed) str() string {
	n := f.u32()
	if f.err || uint64(n) > uint64(len(f.b)) {
		f.err = true
		return ""
	}
	s := string(f.b[:n])
	f.b = f.b[n:]
	return s
}

// done reports whether the payload was read exactly.
func (f *fixed) done() bool { return !f.err && len(f.b) == 0 }
