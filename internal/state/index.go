package state

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/bits"
)

// index is the hash index of one key group of a heap table: open addressing
// with linear probing over slots that keep the key's hash next to the
// entry, so a probe compares hashes without touching an entry (whose key is
// read only when the hashes match) and a lookup of a present key reads one
// slot and the entry. Entries whose keys share a hash take separate slots.
// The slot of a hash is taken from its high bits (Fibonacci hashing): the
// hashes of one key group agree in their low bits (the key group is the
// hash modulo the maximum parallelism). Removal shifts the following slots
// back (no tombstones). The table keeps at most 7/8 of its slots used.
type index struct {
	slots []slot
	n     int
	shift uint8 // 64 - log2(len(slots))
}

type slot struct {
	hash uint64
	e    *heapEntry // nil: empty
}

const minIndexSlots = 8

// indexSeed is mixed into the home slot of every hash. The key's hash is
// unseeded (it must be: it also picks the key group, which checkpoints and
// rescaling depend on), so keys chosen to share the high bits of their
// Fibonacci product would all probe from one slot (linear probing turns
// that into a scan of the key group); with a random seed per process, such
// keys must collide in all 64 bits of the hash to do that.
var indexSeed = func() uint64 {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on the supported platforms
	}
	return binary.LittleEndian.Uint64(b[:])
}()

func (x *index) home(h uint64) int {
	m := h ^ indexSeed
	m ^= m >> 29
	return int((m * 0x9E3779B97F4A7C15) >> x.shift)
}

// find returns the entry of key (hash h), or nil.
func (x *index) find(h uint64, key []byte) *heapEntry {
	if x.n == 0 {
		return nil
	}
	mask := len(x.slots) - 1
	for i := x.home(h); ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.e == nil {
			return nil
		}
		if s.hash == h && sameKey(s.e.key, key) {
			return s.e
		}
	}
}

// add puts e (hash h, a key not in x) into x.
func (x *index) add(h uint64, e *heapEntry) {
	if (x.n+1)*8 > len(x.slots)*7 {
		x.grow()
	}
	x.place(h, e)
	x.n++
}

func (x *index) place(h uint64, e *heapEntry) {
	mask := len(x.slots) - 1
	i := x.home(h)
	for x.slots[i].e != nil {
		i = (i + 1) & mask
	}
	x.slots[i] = slot{hash: h, e: e}
}

func (x *index) grow() {
	n := 2 * len(x.slots)
	if n < minIndexSlots {
		n = minIndexSlots
	}
	old := x.slots
	x.slots = make([]slot, n)
	x.shift = uint8(64 - bits.TrailingZeros(uint(n)))
	for _, s := range old {
		if s.e != nil {
			x.place(s.hash, s.e)
		}
	}
}

// at returns the position of the slot of e (hash h), which x holds.
func (x *index) at(h uint64, e *heapEntry) int {
	mask := len(x.slots) - 1
	i := x.home(h)
	for x.slots[i].e != e {
		if x.slots[i].e == nil {
			panic("state: heap index lost an entry")
		}
		i = (i + 1) & mask
	}
	return i
}

// replace makes the slot of e (hash h) hold c instead.
func (x *index) replace(h uint64, e, c *heapEntry) { x.slots[x.at(h, e)].e = c }

// remove drops e (hash h) from x: the slots after it that probed past its
// slot move back, so that every entry stays reachable from its home slot
// without crossing an empty one.
func (x *index) remove(h uint64, e *heapEntry) {
	mask := len(x.slots) - 1
	i := x.at(h, e)
	for j := (i + 1) & mask; x.slots[j].e != nil; j = (j + 1) & mask {
		k := x.home(x.slots[j].hash)
		// The entry at j stays when its home k lies cyclically in (i, j].
		if i <= j {
			if i < k && k <= j {
				continue
			}
		} else if i < k || k <= j {
			continue
		}
		x.slots[i] = x.slots[j]
		i = j
	}
	x.slots[i] = slot{}
	x.n--
}
