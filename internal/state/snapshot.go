package state

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// groupSnapshotVersion is the first byte of a key group's state snapshot.
const groupSnapshotVersion = 1

// AppendGroup appends the state of key group kg (every table of b) to dst in
// the snapshot layout of docs/format/checkpoint.md ("key group state"):
//
//	version byte (1)
//	uvarint tables; per table: uvarint len, name, uvarint entries,
//	  per entry: uvarint len, key, uvarint len, sub, uvarint len, value
//
// Tables without entries in kg are left out. The bytes are self-contained:
// RestoreGroup needs nothing else.
func AppendGroup(dst []byte, b Backend, kg int) []byte {
	if h, ok := b.(*Heap); ok {
		return h.appendGroup(dst, kg)
	}
	dst = append(dst, groupSnapshotVersion)
	countAt := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0) // table count, patched below (fixed 5-byte uvarint)
	tables := 0
	for _, name := range b.TableNames() {
		t := b.Table(name)
		n := 0
		t.ScanGroup(kg, func(_, _, _ []byte) bool { n++; return true })
		if n == 0 {
			continue
		}
		tables++
		dst = appendBytes(dst, []byte(name))
		dst = binary.AppendUvarint(dst, uint64(n))
		t.ScanGroup(kg, func(key, sub, value []byte) bool {
			dst = appendBytes(dst, key)
			dst = appendBytes(dst, sub)
			dst = appendBytes(dst, value)
			return true
		})
	}
	putUvarint5(dst[countAt:], uint64(tables))
	return dst
}

// appendGroup is AppendGroup for the heap backend, with the same bytes, in
// one pass over the entries (the tables count their entries per key group)
// that allocates nothing but the growth of dst: no closures, no copies of
// map keys. A caller that reuses dst across key groups grows it rarely.
func (h *Heap) appendGroup(dst []byte, kg int) []byte {
	i := kg - h.kgs.Start
	tables := 0
	for _, name := range h.names {
		if h.tables[name].groupN[i] > 0 {
			tables++
		}
	}
	dst = append(dst, groupSnapshotVersion, 0, 0, 0, 0, 0) // table count: fixed 5-byte uvarint
	putUvarint5(dst[len(dst)-5:], uint64(tables))
	for _, name := range h.names {
		t := h.tables[name]
		if t.groupN[i] == 0 {
			continue
		}
		dst = appendString(dst, name)
		dst = binary.AppendUvarint(dst, uint64(t.groupN[i]))
		for k, e := range t.groups[i] {
			if e.m != nil {
				for s, v := range e.m {
					dst = appendString(dst, k)
					dst = appendString(dst, s)
					dst = appendBytes(dst, v)
				}
				continue
			}
			for _, sv := range e.subs {
				dst = appendString(dst, k)
				dst = appendBytes(dst, sv.sub)
				dst = appendBytes(dst, sv.value)
			}
		}
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// RestoreGroup puts the entries of a key group snapshot (AppendGroup) into b.
func RestoreGroup(b Backend, kg int, data []byte) error {
	if !b.KeyGroups().Contains(kg) {
		return fmt.Errorf("state: restore key group %d outside %s", kg, b.KeyGroups())
	}
	r := reader{b: data}
	if v := r.byte(); v != groupSnapshotVersion {
		if r.err != nil {
			return fmt.Errorf("state: key group %d snapshot: %w", kg, r.err)
		}
		return fmt.Errorf("state: key group %d snapshot has version %d, this build reads %d", kg, v, groupSnapshotVersion)
	}
	tables := r.uvarint()
	for i := uint64(0); i < tables && r.err == nil; i++ {
		name := r.bytes()
		n := r.uvarint()
		if r.err != nil {
			break
		}
		t := b.Table(string(name))
		for j := uint64(0); j < n && r.err == nil; j++ {
			key, sub, value := r.bytes(), r.bytes(), r.bytes()
			if r.err == nil {
				t.Put(kg, key, sub, value)
			}
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes of junk after the last table", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("state: key group %d snapshot is corrupt: %w", kg, r.err)
	}
	return nil
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// putUvarint5 writes v as a uvarint padded to exactly 5 bytes.
func putUvarint5(dst []byte, v uint64) {
	for i := range 4 {
		dst[i] = byte(v) | 0x80
		v >>= 7
	}
	dst[4] = byte(v)
}

var errShort = errors.New("truncated")

// reader decodes snapshot bytes; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errShort
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("bad length")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("length %d beyond the %d bytes left", n, len(r.b))
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}
