package planner

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"

	"github.com/stromio/strom/table"
)

// fastKeyOf returns the key function of keyOf for up to 8 key columns of
// integer, TIMESTAMP(p <= 3) and string types, or nil: it writes the bytes
// of table.RowCodec (equal keys, key groups and Decode are unchanged)
// into a buffer on the stack, so a key costs one allocation, its string.
// A value of another kind than its column's falls back to slow.
func fastKeyOf(types []table.Type, keys []int, slow func(table.Row) string) func(table.Row) string {
	if len(keys) == 0 || len(keys) > 8 {
		return nil
	}
	kinds := make([]table.Kind, len(types))
	for i, t := range types {
		switch k := table.KindOf(t); {
		case k == table.KindInt, k == table.KindString, k == table.KindTimestamp && t.Precision() <= 3:
			kinds[i] = k
		default:
			return nil
		}
	}
	if len(keys) == 1 && kinds[0] == table.KindInt {
		return intKeyOf(keys[0], slow, nullIntKey)
	}
	enc := func(r table.Row) string {
		var arr [64]byte
		b := append(arr[:0], table.RowCodecVersion, byte(table.Insert), byte(len(keys)), 0)
		const bm = 3 // the null bitmap's byte (one: at most 8 keys)
		for i, k := range keys {
			v := r.Fields[k]
			switch {
			case v.IsNull():
				b[bm] |= 1 << i
			case v.Kind() != kinds[i]:
				return slow(r)
			case kinds[i] == table.KindString:
				s := v.AsString()
				b = binary.AppendUvarint(b, uint64(len(s)))
				b = append(b, s...)
			default: // the int64 payload of INT and TIMESTAMP(3)
				b = binary.AppendVarint(b, v.AsInt())
			}
		}
		return string(b)
	}
	for _, k := range kinds {
		if k != table.KindTimestamp {
			return enc
		}
	}
	return lastKeyOf(keys, enc)
}

// lastKey is the key lastKeyOf returned last: the timestamps' payloads,
// which of them are NULL, and the key.
type lastKey struct {
	ms    [8]int64
	nulls uint8
	s     string
}

// lastKeyOf is fastKeyOf for keys of TIMESTAMP columns only (window
// bounds: the MAX per window, a join of window results), whose rows come
// window after window: it returns the key it returned last when the
// row's timestamps are the same, without encoding or allocating. The
// function may be called from several subtasks at once: the last key is
// an immutable lastKey behind an atomic pointer, replaced whole.
func lastKeyOf(keys []int, enc func(table.Row) string) func(table.Row) string {
	var last atomic.Pointer[lastKey]
	return func(r table.Row) string {
		var ms [8]int64 // on the stack: a lastKey is allocated on a miss only
		var nulls uint8
		for i, c := range keys {
			v := r.Fields[c]
			switch {
			case v.IsNull():
				nulls |= 1 << i
			case v.Kind() != table.KindTimestamp:
				return enc(r)
			default:
				ms[i] = v.AsInt()
			}
		}
		if l := last.Load(); l != nil && l.nulls == nulls && l.ms == ms {
			return l.s
		}
		k := &lastKey{ms: ms, nulls: nulls, s: enc(r)}
		last.Store(k)
		return k.s
	}
}

// intKeyBits is log2 of the number of keys intKeyOf remembers.
const intKeyBits = 10

// intKeyCache is the number of keys intKeyOf remembers.
const intKeyCache = 1 << intKeyBits

// intKeyLen is the most bytes of a key of one integer column: the
// RowCodec header (version, kind, count, null bitmap) and a varint.
const intKeyLen = 4 + binary.MaxVarintLen64

// intKey is one remembered key of intKeyOf: an integer and its encoding,
// inline (24 bytes), so a miss allocates once. The key's string is made
// over b with unsafe.String: an intKey is never written after it is
// published, and the string keeps it alive.
type intKey struct {
	v int64
	n uint8 // bytes of b used
	b [intKeyLen]byte
}

// str is the key's string, over k.b (no copy).
func (k *intKey) str() string { return unsafe.String(&k.b[0], int(k.n)) }

// intKeyOf is fastKeyOf for one integer key column: it remembers the
// strings of recent keys in a direct-mapped cache (the slot is a
// multiplicative hash of the integer, so keys of equal low bits, e.g.
// multiples of 1024, spread), so a key seen shortly before costs no
// encoding and no allocation (Nexmark's bids: most of them are on a few
// live auctions); a miss costs one allocation, as the uncached encoder.
// The function may be called from several subtasks at once: an entry is
// an immutable intKey behind an atomic pointer, replaced whole on a miss.
// A NULL's key is null (nullIntKey; a join key's: nullIntKey and its
// side, see joinKeyOf).
func intKeyOf(col int, slow func(table.Row) string, null string) func(table.Row) string {
	cache := new([intKeyCache]atomic.Pointer[intKey])
	return func(r table.Row) string {
		v := r.Fields[col]
		if v.Kind() != table.KindInt {
			if v.IsNull() {
				return null
			}
			return slow(r)
		}
		n := v.AsInt()
		e := &cache[(uint64(n)*0x9e3779b97f4a7c15)>>(64-intKeyBits)]
		if k := e.Load(); k != nil && k.v == n {
			return k.str()
		}
		k := &intKey{v: n, b: [intKeyLen]byte{table.RowCodecVersion, byte(table.Insert), 1, 0}}
		k.n = uint8(4 + binary.PutVarint(k.b[4:], n))
		e.Store(k)
		return k.str()
	}
}

// nullIntKey is the key of one NULL key column (fastKeyOf's bytes).
var nullIntKey = string([]byte{table.RowCodecVersion, byte(table.Insert), 1, 1})
