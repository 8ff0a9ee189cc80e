package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

func encodeAt(recs []Record, base int64) []byte {
	b := encodeBatch(nil, recs)
	setBatchBase(b, base)
	return b
}

// FuzzDecodeBatch: the decoder never panics, bounds what it allocates, and
// whatever it accepts re-encodes to the same bytes.
func FuzzDecodeBatch(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 8 {
		var recs []Record
		for j := range 1 + i {
			recs = append(recs, randRecord(rng, j, 20, int64(j*7-3)))
		}
		f.Add(encodeAt(recs, int64(i*100)))
	}
	f.Add(encodeAt([]Record{{Key: []byte{}, Value: nil, Timestamp: math.MinInt64 / 2}}, 0))
	f.Add([]byte{0, 0, 0, 1, 1})
	v2 := encodeBatchHdr(nil, []Record{{Value: []byte("v"), Timestamp: 5}}, &producerFields{attrs: attrTransactional, pid: 3, epoch: 1, seq: 7})
	setBatchBase(v2, 9)
	f.Add(v2)
	ctl := encodeBatchHdr(nil, []Record{controlRecord(markerAbort, 5)}, &producerFields{attrs: attrTransactional | attrControl, pid: 3, epoch: 1, seq: -1})
	setBatchBase(ctl, 10)
	f.Add(ctl)
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := DecodeBatch(b, 3)
		if err != nil {
			return
		}
		recs := make([]Record, len(ms))
		for i, m := range ms {
			if m.Partition != 3 || m.Offset != ms[0].Offset+int64(i) {
				t.Fatalf("message %d: partition %d offset %d", i, m.Partition, m.Offset)
			}
			recs[i] = m.Record
		}
		var ph *producerFields
		if b[4] == batchMagicV2 {
			f := readProducerFields(b)
			ph = &f
		}
		again := encodeBatchHdr(nil, recs, ph)
		setBatchBase(again, ms[0].Offset)
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted bytes re-encode differently:\n%x\n%x", b, again)
		}
	})
}

// Round trip of random records, and every single-bit flip is caught.
func TestBatchRoundTripAndFlips(t *testing.T) {
	rng := rand.New(rand.NewPCG(seed(t), 9))
	for range 200 {
		var recs []Record
		for j := range 1 + rng.IntN(5) {
			recs = append(recs, randRecord(rng, j, 30, rng.Int64N(1e12)-5e11))
		}
		b := encodeAt(recs, rng.Int64N(1e15))
		ms, err := DecodeBatch(b, 0)
		if err != nil || len(ms) != len(recs) {
			t.Fatalf("decode: %d records, %v", len(ms), err)
		}
		for i := range recs {
			if !sameRecord(ms[i].Record, recs[i]) {
				t.Fatalf("record %d: %+v, want %+v", i, ms[i].Record, recs[i])
			}
		}
		bit := rng.IntN(len(b) * 8)
		b[bit/8] ^= 1 << (bit % 8)
		if _, err := DecodeBatch(b, 0); err == nil {
			t.Fatalf("a flip of bit %d was accepted", bit)
		}
	}
}

// FuzzSegmentScan: recovery's scan of a segment and the check of a loaded
// segment's tail never panic on any bytes (a 9-byte batch of an unknown
// magic once did); their errors are ErrCorrupt or ErrNewerVersion, and
// what the scan accepts is within the file.
func FuzzSegmentScan(f *testing.F) {
	one := encodeAt([]Record{{Value: []byte("v"), Timestamp: 5}}, 0)
	f.Add(one)
	f.Add(append(slices.Clone(one), 0, 0, 0, 5, 3))
	f.Add(append(slices.Clone(one), append([]byte{0, 0, 0, 5, 3}, bytes.Repeat([]byte{0xab}, 32)...)...))
	v3 := slices.Clone(one)
	v3[4], v3[crcFrom] = 3, 3
	binary.BigEndian.PutUint32(v3[5:], crc(v3[crcFrom:]))
	f.Add(append(slices.Clone(one), v3...))
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := vfs.NewCrashFS(1)
		w, err := fsys.OpenAppend("s.log")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		w.Close()
		r, err := fsys.Open("s.log")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		s := newSegment(0, time.Time{})
		s.r = r
		good, err := s.scan(int64(len(b)), 64)
		if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNewerVersion) {
			t.Fatalf("scan: %v", err)
		}
		if good < 0 || good > int64(len(b)) || (err == nil && good != int64(len(b))) {
			t.Fatalf("scan accepted %d of %d bytes (err %v)", good, len(b), err)
		}
		if err := s.checkTail(int64(len(b))); err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNewerVersion) {
			t.Fatalf("checkTail: %v", err)
		}
	})
}

// FuzzDecodeQuarMark: the quarantine file's decoder never panics, and
// whatever it accepts re-encodes to the same bytes.
func FuzzDecodeQuarMark(f *testing.F) {
	f.Add(encodeQuarMark(quarMark{seg: 0, byte: 0, off: 0, reason: ""}))
	f.Add(encodeQuarMark(quarMark{seg: 4096, byte: 17, off: 4100, reason: "batch checksum mismatch"}))
	long := encodeQuarMark(quarMark{seg: 1, byte: 2, off: 3, reason: string(bytes.Repeat([]byte("x"), maxQuarReason))})
	f.Add(long)
	f.Add(long[:len(long)-1])
	f.Add([]byte("STRMJQUA"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeQuarMark(b)
		if err != nil {
			return
		}
		if m.seg < 0 || m.byte < 0 || m.off < 0 || len(m.reason) > maxQuarReason {
			t.Fatalf("accepted %+v", m)
		}
		if again := encodeQuarMark(*m); !bytes.Equal(again, b) {
			t.Fatalf("%+v re-encodes to %x, read from %x", m, again, b)
		}
	})
}
