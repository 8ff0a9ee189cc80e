package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
)

// Keyed state file layout (docs/format/checkpoint.md, "Keyed state file"):
//
//	header  20 bytes  magic "STRMKGRP", version u16, flags u16, start u32, end u32
//	chunks            the chunk of each key group start..end-1, in order
//	index   20 bytes per key group: offset u64, length u64, CRC-32C u32
//	footer  32 bytes  index offset u64, start u32, end u32, index CRC u32,
//	                  frame CRC u32 (header + the 20 bytes before it), magic
//
// All integers are big-endian.
const (
	keyedMagic     = "STRMKGRP"
	keyedVersion   = 1
	keyedHeader    = 20
	keyedEntrySize = 20
	keyedFooter    = 32
)

// keyedMinSize is the size of a keyed file of n empty key groups.
func keyedMinSize(n int) int64 { return keyedHeader + int64(n)*keyedEntrySize + keyedFooter }

func checkRange(start, end int) error {
	if start < 0 || start > end || end > MaxKeyGroups {
		return fmt.Errorf("key-group range [%d,%d) not inside [0,%d)", start, end, MaxKeyGroups)
	}
	return nil
}

// KeyedWriter writes a keyed state file to an io.Writer one chunk at a time,
// so that a large state need not be held in memory twice.
type KeyedWriter struct {
	w          io.Writer
	start, end int
	next       int // next key group to write
	off        uint64
	index      []byte
	crc        hash.Hash32 // of everything written
	err        error
	closed     bool
}

// NewKeyedWriter writes the header of a file for key groups [start, end).
func NewKeyedWriter(w io.Writer, start, end int) (*KeyedWriter, error) {
	if err := checkRange(start, end); err != nil {
		return nil, fmt.Errorf("checkpoint: keyed file: %w", err)
	}
	k := &KeyedWriter{w: w, start: start, end: end, next: start,
		index: make([]byte, 0, (end-start)*keyedEntrySize), crc: crc32.New(castagnoli)}
	k.write(k.headerBytes())
	return k, k.err
}

func (k *KeyedWriter) write(b []byte) {
	if k.err != nil {
		return
	}
	n, err := k.w.Write(b)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		k.err = err
		return
	}
	k.crc.Write(b)
	k.off += uint64(len(b))
}

func (k *KeyedWriter) entry(length uint64, crc uint32) {
	k.index = binary.BigEndian.AppendUint64(k.index, k.off-length)
	k.index = binary.BigEndian.AppendUint64(k.index, length)
	k.index = binary.BigEndian.AppendUint32(k.index, crc)
	k.next++
}

func (k *KeyedWriter) skipTo(kg int) {
	for k.next < kg {
		k.entry(0, 0)
	}
}

// WriteChunk writes the chunk of key group kg. Key groups must come in
// ascending order; those skipped are empty.
func (k *KeyedWriter) WriteChunk(kg int, chunk []byte) error {
	if k.closed {
		return errors.New("checkpoint: keyed file: WriteChunk after Close")
	}
	if kg < k.next || kg >= k.end {
		return fmt.Errorf("checkpoint: keyed file: key group %d out of order or outside [%d,%d) (next is %d)", kg, k.start, k.end, k.next)
	}
	if k.err != nil {
		return k.err
	}
	k.skipTo(kg)
	k.write(chunk)
	k.entry(uint64(len(chunk)), CRC(chunk))
	return k.err
}

// Close writes the index and the footer; it does not close the underlying
// writer.
func (k *KeyedWriter) Close() error {
	if k.closed {
		return k.err
	}
	k.closed = true
	if k.err != nil {
		return k.err
	}
	k.skipTo(k.end)
	indexOff := k.off
	k.write(k.index)
	var f [keyedFooter]byte
	binary.BigEndian.PutUint64(f[0:], indexOff)
	binary.BigEndian.PutUint32(f[8:], uint32(k.start))
	binary.BigEndian.PutUint32(f[12:], uint32(k.end))
	binary.BigEndian.PutUint32(f[16:], CRC(k.index))
	binary.BigEndian.PutUint32(f[20:], frameCRC(k.headerBytes(), f[:20]))
	copy(f[24:], keyedMagic)
	k.write(f[:])
	return k.err
}

func (k *KeyedWriter) headerBytes() []byte {
	var h [keyedHeader]byte
	copy(h[:], keyedMagic)
	binary.BigEndian.PutUint16(h[8:], keyedVersion)
	binary.BigEndian.PutUint16(h[10:], 0) // flags
	binary.BigEndian.PutUint32(h[12:], uint32(k.start))
	binary.BigEndian.PutUint32(h[16:], uint32(k.end))
	return h[:]
}

// Sum returns the size and CRC of what was written; it is the file's once
// Close returned nil.
func (k *KeyedWriter) Sum() FileSum { return FileSum{Size: int64(k.off), CRC: k.crc.Sum32()} }

func frameCRC(header, footer20 []byte) uint32 {
	return crc32.Update(CRC(header), castagnoli, footer20)
}

// EncodeKeyed returns a keyed state file for key groups [start, end) with
// the given chunk per key group (absent or empty = empty). It panics when
// the range is invalid or a chunk's key group lies outside it: both are
// programming errors that would lose state.
func EncodeKeyed(start, end int, chunks map[int][]byte) []byte {
	if err := checkRange(start, end); err != nil {
		panic("checkpoint: EncodeKeyed: " + err.Error())
	}
	for kg := range chunks {
		if kg < start || kg >= end {
			panic(fmt.Sprintf("checkpoint: EncodeKeyed: chunk of key group %d outside [%d,%d)", kg, start, end))
		}
	}
	size := keyedMinSize(end - start)
	for _, c := range chunks {
		size += int64(len(c))
	}
	var buf bytes.Buffer
	buf.Grow(int(size))
	w, _ := NewKeyedWriter(&buf, start, end) // range checked; a bytes.Buffer does not fail
	for kg := start; kg < end; kg++ {
		if c := chunks[kg]; len(c) > 0 {
			_ = w.WriteChunk(kg, c)
		}
	}
	_ = w.Close()
	return buf.Bytes()
}

type keyedEntry struct {
	off, len int64
	crc      uint32
}

// keyedFrame validates the header and footer of a file of size bytes and
// returns the range, the index offset and the index CRC.
func keyedFrame(head, foot []byte, size int64) (start, end int, indexOff int64, indexCRC uint32, err error) {
	if string(head[:8]) != keyedMagic {
		return 0, 0, 0, 0, corruptf("keyed file: magic %q, want %q (not a keyed state file)", head[:8], keyedMagic)
	}
	if string(foot[24:]) != keyedMagic {
		return 0, 0, 0, 0, corruptf("keyed file: no footer magic at the end (truncated or trailing junk)")
	}
	// The frame (header, footer and their CRC) is the same in every
	// version: a version or flags this build does not know under a good
	// frame CRC are a newer build's file, not damage.
	if got, want := frameCRC(head, foot[:20]), binary.BigEndian.Uint32(foot[20:]); got != want {
		return 0, 0, 0, 0, corruptf("keyed file: header/footer CRC-32C is %#08x, the file says %#08x", got, want)
	}
	if v := binary.BigEndian.Uint16(head[8:]); v > keyedVersion {
		return 0, 0, 0, 0, newerf("keyed file: format version %d; this build reads version %d", v, keyedVersion)
	} else if v != keyedVersion {
		return 0, 0, 0, 0, corruptf("keyed file: format version %d; this build reads version %d", v, keyedVersion)
	}
	if f := binary.BigEndian.Uint16(head[10:]); f != 0 {
		return 0, 0, 0, 0, newerf("keyed file: flags %#x; this build knows none", f)
	}
	s, e := binary.BigEndian.Uint32(head[12:]), binary.BigEndian.Uint32(head[16:])
	if s != binary.BigEndian.Uint32(foot[8:]) || e != binary.BigEndian.Uint32(foot[12:]) {
		return 0, 0, 0, 0, corruptf("keyed file: header and footer disagree on the key-group range")
	}
	if s > e || e > MaxKeyGroups {
		return 0, 0, 0, 0, corruptf("keyed file: key-group range [%d,%d) not inside [0,%d)", s, e, MaxKeyGroups)
	}
	start, end = int(s), int(e)
	indexOff = size - keyedFooter - int64(end-start)*keyedEntrySize
	if got := binary.BigEndian.Uint64(foot[0:]); indexOff < keyedHeader || got != uint64(indexOff) {
		return 0, 0, 0, 0, corruptf("keyed file: index offset %d does not fit a file of %d bytes for %d key groups", got, size, end-start)
	}
	return start, end, indexOff, binary.BigEndian.Uint32(foot[16:]), nil
}

// keyedIndex validates the index: chunks are contiguous, in key-group
// order, from the header to the index.
func keyedIndex(idx []byte, start, end int, indexOff int64, indexCRC uint32) ([]keyedEntry, error) {
	if got := CRC(idx); got != indexCRC {
		return nil, corruptf("keyed file: index CRC-32C is %#08x, the footer says %#08x", got, indexCRC)
	}
	entries := make([]keyedEntry, end-start)
	pos := int64(keyedHeader)
	for i := range entries {
		e := idx[i*keyedEntrySize:]
		off, n := binary.BigEndian.Uint64(e), binary.BigEndian.Uint64(e[8:])
		if off != uint64(pos) || n > uint64(indexOff-pos) {
			return nil, corruptf("keyed file: key group %d: chunk at %d of %d bytes, want it at %d and before the index at %d", start+i, off, n, pos, indexOff)
		}
		entries[i] = keyedEntry{off: pos, len: int64(n), crc: binary.BigEndian.Uint32(e[16:])}
		if n == 0 && entries[i].crc != 0 {
			return nil, corruptf("keyed file: key group %d: empty chunk with CRC %#08x", start+i, entries[i].crc)
		}
		pos += int64(n)
	}
	if pos != indexOff {
		return nil, corruptf("keyed file: chunks end at %d, the index starts at %d", pos, indexOff)
	}
	return entries, nil
}

// DecodeKeyed decodes and validates a keyed state file: the frame, the
// index and every chunk's CRC. The map holds the non-empty chunks; they
// alias data. It never panics. Errors wrap ErrCorrupt.
func DecodeKeyed(data []byte) (start, end int, chunks map[int][]byte, err error) {
	size := int64(len(data))
	if size < keyedMinSize(0) {
		return 0, 0, nil, corruptf("keyed file of %d bytes is shorter than the %d of an empty one (truncated)", size, keyedMinSize(0))
	}
	start, end, indexOff, indexCRC, err := keyedFrame(data[:keyedHeader], data[size-keyedFooter:], size)
	if err != nil {
		return 0, 0, nil, err
	}
	entries, err := keyedIndex(data[indexOff:size-keyedFooter], start, end, indexOff, indexCRC)
	if err != nil {
		return 0, 0, nil, err
	}
	chunks = map[int][]byte{}
	for i, e := range entries {
		if e.len == 0 {
			continue
		}
		c := data[e.off : e.off+e.len : e.off+e.len]
		if got := CRC(c); got != e.crc {
			return 0, 0, nil, corruptf("keyed file: key group %d: chunk CRC-32C is %#08x, the index says %#08x", start+i, got, e.crc)
		}
		chunks[start+i] = c
	}
	return start, end, chunks, nil
}

// KeyedIndex reads single key groups of a keyed state file through an
// io.ReaderAt (a local file, a byte slice, ranged GETs of an object), for a
// restore that needs only some key groups of a file.
type KeyedIndex struct {
	Start, End int // the key-group range of the file
	r          io.ReaderAt
	entries    []keyedEntry
}

// ReadKeyedIndex validates the frame and the index of the size-byte keyed
// file behind r; chunk CRCs are checked by Chunk.
func ReadKeyedIndex(r io.ReaderAt, size int64) (*KeyedIndex, error) {
	if size < keyedMinSize(0) {
		return nil, corruptf("keyed file of %d bytes is shorter than the %d of an empty one (truncated)", size, keyedMinSize(0))
	}
	var head [keyedHeader]byte
	var foot [keyedFooter]byte
	if err := readAt(r, head[:], 0); err != nil {
		return nil, err
	}
	if err := readAt(r, foot[:], size-keyedFooter); err != nil {
		return nil, err
	}
	start, end, indexOff, indexCRC, err := keyedFrame(head[:], foot[:], size)
	if err != nil {
		return nil, err
	}
	idx := make([]byte, (end-start)*keyedEntrySize) // at most MaxKeyGroups entries
	if err := readAt(r, idx, indexOff); err != nil {
		return nil, err
	}
	entries, err := keyedIndex(idx, start, end, indexOff, indexCRC)
	if err != nil {
		return nil, err
	}
	return &KeyedIndex{Start: start, End: end, r: r, entries: entries}, nil
}

func readAt(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return corruptf("keyed file: %d bytes at offset %d: only %d could be read (truncated)", len(b), off, n)
	}
	return fmt.Errorf("checkpoint: keyed file: reading %d bytes at offset %d: %w", len(b), off, err)
}

// Chunk reads and CRC-checks the chunk of key group kg (nil when empty).
func (x *KeyedIndex) Chunk(kg int) ([]byte, error) {
	if kg < x.Start || kg >= x.End {
		return nil, fmt.Errorf("checkpoint: key group %d is not in the file's range [%d,%d)", kg, x.Start, x.End)
	}
	e := x.entries[kg-x.Start]
	if e.len == 0 {
		return nil, nil
	}
	c := make([]byte, e.len) // e.len was checked against the file size
	if err := readAt(x.r, c, e.off); err != nil {
		return nil, err
	}
	if got := CRC(c); got != e.crc {
		return nil, corruptf("keyed file: key group %d: chunk CRC-32C is %#08x, the index says %#08x", kg, got, e.crc)
	}
	return c, nil
}
