package file

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// A reader's position is persisted in checkpoints. Layout, version 1:
//
//	byte     version (1)
//	uvarint  offset: bytes of the file consumed (always just after a '\n')
//	uvarint  lines:  lines consumed (the next record starts on line lines+1)
//	uint32   CRC-32C (Castagnoli), big-endian, of the bytes above
//
// Varints must be minimal and nothing may follow the checksum; lines can
// never exceed offset. Anything else is rejected with ErrCorruptPosition.
const positionVersion = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxPositionLen is the longest valid encoding (1 + 10 + 10 + 4).
const maxPositionLen = 1 + 2*binary.MaxVarintLen64 + 4

func encodePosition(offset, lines int64) []byte {
	b := make([]byte, 0, 16)
	b = append(b, positionVersion)
	b = binary.AppendUvarint(b, uint64(offset))
	b = binary.AppendUvarint(b, uint64(lines))
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func decodePosition(p []byte) (offset, lines int64, err error) {
	bad := func(why string) (int64, int64, error) {
		return 0, 0, fmt.Errorf("%w (%s)", ErrCorruptPosition, why)
	}
	if len(p) < 1+1+1+4 || len(p) > maxPositionLen {
		return bad(fmt.Sprintf("length %d", len(p)))
	}
	if p[0] != positionVersion {
		return bad(fmt.Sprintf("unknown version %d", p[0]))
	}
	body, sum := p[:len(p)-4], binary.BigEndian.Uint32(p[len(p)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return bad("checksum mismatch")
	}
	rest := body[1:]
	off, n := binary.Uvarint(rest)
	if n <= 0 || n != uvarintLen(off) {
		return bad("bad offset varint")
	}
	rest = rest[n:]
	ln, n := binary.Uvarint(rest)
	if n <= 0 || n != uvarintLen(ln) || n != len(rest) {
		return bad("bad line varint")
	}
	if off > 1<<62 || ln > off {
		return bad(fmt.Sprintf("offset %d with %d lines", off, ln))
	}
	return int64(off), int64(ln), nil
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
