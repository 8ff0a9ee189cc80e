package state

import (
	"encoding/binary"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/stromio/strom/internal/base"
)

// Heap is the in-memory backend: per table and key group a hash index from
// the key's 64-bit hash to its entry (index: open addressing, the hash kept
// in the slot), and the same entries in a slice (the group's list: what
// snapshots and scans walk). The hash is base.HashKey, the one that places
// the key in its key group: an operator that computed it with Heap.HashKey
// for the current key does not have it computed again by the lookups. Keys with few subs keep them in a slice; many
// subs switch to a map. A new entry keeps its key, and its first sub and
// value when they fit, in an inline buffer: a lookup of a key with one sub
// (a window's accumulator, a value state) touches the map and one object.
//
// Snapshots are copy-on-write (Snapshot, HeapSnapshot; DESIGN.md §3, §4):
// taking one copies the slice headers of the group lists and bumps the
// version; from then on an entry, a group list or a value's bytes that a
// pending snapshot may read is never written in place: a mutation copies the
// entry (or list) first and replaces it, and a value shared with a snapshot
// is reallocated instead of overwritten (appending after its end is allowed:
// the snapshot reads only up to its length then).
type Heap struct {
	kgs    base.KeyGroupRange
	tables map[string]*heapTable
	names  []string
	size   int64

	// ver is the version of entries and lists created or copied now;
	// cowVer is the version after the latest snapshot: whatever has a
	// lower version may be read by a pending snapshot, as long as one is
	// pending (pending > 0: decremented by HeapSnapshot.Release on the
	// serialising goroutine, hence atomic).
	ver, cowVer uint32
	pending     atomic.Int32
	// lpending counts the pending snapshots that may still read the
	// group lists (AppendGroup); a snapshot serialised as a delta drops
	// them first (HeapSnapshot.DropLists), and a list is then written in
	// place instead of copied, when no other snapshot holds it.
	lpending atomic.Int32

	// Change tracking for incremental snapshots (SnapshotIncremental; on
	// from the first such snapshot): epoch numbers the interval since the
	// latest snapshot; an entry written in it has dver == epoch and is in
	// its table's dirty list once. Removed keys go to tombs. dn counts
	// both; past dlimit tracking stops (the next snapshot is then not
	// incremental), so a backend whose snapshots stop or whose changes
	// outgrow its state does not keep lists without bound.
	track  bool
	epoch  uint32
	dn     int
	dlimit int
	// spare holds the change lists of released snapshots (Release clears
	// them on the serialising goroutine), at most one set per table: the
	// next snapshot gives them to its tables as their new dirty and tomb
	// lists, so that the lists are not grown again from nothing by
	// appends on the owning goroutine every interval (each growth an
	// allocation and a copy of pointers with write barriers).
	spareMu sync.Mutex
	spare   map[string]deltaTable

	// hkey is the key HashKey hashed last, hval its hash (hok: set).
	hkey []byte
	hval uint64
	hok  bool
}

// NewHeap returns an empty heap backend for the key groups kgs.
func NewHeap(kgs base.KeyGroupRange) *Heap {
	return &Heap{kgs: kgs, tables: map[string]*heapTable{}, ver: 1, epoch: 1}
}

func (h *Heap) Table(name string) Table {
	if t, ok := h.tables[name]; ok {
		return t
	}
	n := h.kgs.Len()
	t := &heapTable{h: h, groups: make([]index, n), lists: make([][]*heapEntry, n),
		lver: make([]uint32, n), groupN: make([]int, n), dirty: make([][]*heapEntry, n), tombs: make([][]string, n)}
	h.tables[name] = t
	h.names = append(h.names, name)
	return t
}

func (h *Heap) TableNames() []string          { return append([]string(nil), h.names...) }
func (h *Heap) KeyGroups() base.KeyGroupRange { return h.kgs }
func (h *Heap) SizeBytes() int64              { return h.size }

// shared reports whether something of version v may be read by a pending
// snapshot (and so must not be written in place).
func (h *Heap) shared(v uint32) bool { return v < h.cowVer && h.pending.Load() > 0 }

// cow reports whether any snapshot is pending (a value marked shared in an
// entry is then really shared).
func (h *Heap) cow() bool { return h.pending.Load() > 0 }

const subMapThreshold = 8

// inlineBuf is the size of an entry's inline buffer (key, then the first
// sub and value when they fit; 32 bytes hold an int64 key, a window and an
// int64 accumulator): an entry is then 128 bytes, a size class (its hash is
// kept in its index slot only).
const inlineBuf = 32

// hashMask is all ones; tests narrow it to force hash collisions.
var hashMask = ^uint64(0)

// HashKey returns base.HashKey(key), the hash that places key in its key
// group, and keeps it: lookups of the same key that follow use it instead
// of hashing the key again.
func (h *Heap) HashKey(key []byte) uint64 {
	v := base.HashKey(key)
	h.hkey = append(h.hkey[:0], key...)
	h.hval, h.hok = v, true
	return v
}

// sameKey reports whether key a holds the bytes b; keys of 8 bytes (an
// int64 key) compare as one word, without a call. (b stays a []byte: a
// string(b) argument would be a copy.)
func sameKey(a string, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	if len(b) == 8 {
		return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(a), 8)) == binary.LittleEndian.Uint64(b)
	}
	return a == string(b)
}

// keyHash is the index hash of key.
func (h *Heap) keyHash(key []byte) uint64 {
	if h.hok && sameKey(unsafe.String(unsafe.SliceData(h.hkey), len(h.hkey)), key) {
		return h.hval & hashMask
	}
	return base.HashKey(key) & hashMask
}

type subValue struct {
	sub, value []byte
}

type heapEntry struct {
	// The entry is 128 bytes, a size class whose objects start at a
	// multiple of 128: a lookup of a key with one sub reads two whole
	// cache lines (a 144-byte entry spanned three).
	key string // may point into buf
	// subp, nsub and csub are the slice of subs while small (subs()):
	// pointer, length and capacity, the two counts among the small fields
	// below (a slice header would take 16 bytes more).
	subp *subValue
	m    map[string][]byte // used once len > subMapThreshold
	// one holds the sub of a key with one sub (subs() = one[:1:1]): entry
	// and sub in one allocation, so a lookup touches one object.
	one [1]subValue
	// buf holds the key and, when they fit, the sub and value of the
	// first sub of a new entry (the value last, its capacity up to the end
	// of buf). Sub and key bytes are never written after they are set; the
	// value is written under the same rules as a value of its own.
	buf [inlineBuf]byte
	// ver is the version the entry was created or copied at; idx its
	// position in its group's list (written also while a snapshot reads
	// the entry: the snapshot never reads it).
	ver uint32
	idx int32
	// Value bytes that a pending snapshot may read (the entry is a copy of
	// one the snapshot holds): bit i for subs[i] (the slice layout holds at
	// most subMapThreshold subs); mShared for every value of m. Such a
	// value is reallocated, never overwritten; appending after its end is
	// fine.
	shared  uint8
	mShared bool
	// nsub and csub: see subp (at most subMapThreshold subs: 8 bits hold
	// both).
	nsub, csub uint8
	// dver is the Heap.epoch in which the entry was last written while
	// changes are tracked (it is then in its table's dirty list).
	dver uint32
}

// subs is the slice of subs of e (nil when e uses m or has none).
func (e *heapEntry) subs() []subValue {
	return unsafe.Slice(e.subp, int(e.csub))[:e.nsub]
}

// setSubs makes s the slice of subs of e (cap(s) <= 255: the slice layout
// holds at most subMapThreshold subs; appending to a smaller slice grows
// it to at most twice that).
func (e *heapEntry) setSubs(s []subValue) {
	if cap(s) == 0 {
		e.subp, e.nsub, e.csub = nil, 0, 0
		return
	}
	if cap(s) > 255 {
		s = s[:len(s):len(s)]
	}
	e.subp, e.nsub, e.csub = unsafe.SliceData(s), uint8(len(s)), uint8(cap(s))
}

// setOne makes sv the only sub of e.
func (e *heapEntry) setOne(sv subValue) {
	e.one[0] = sv
	e.setSubs(e.one[:1:1])
}

func (e *heapEntry) len() int {
	if e.m != nil {
		return len(e.m)
	}
	return int(e.nsub)
}

type heapTable struct {
	h      *Heap
	groups []index
	// lists are the entries of each key group (the map's values, in no
	// particular order); lver[i] is the version of list i's backing array
	// (a snapshot holds the slice headers of the lists it captured).
	lists [][]*heapEntry
	lver  []uint32
	n     int
	// groupN is the number of (key, sub) entries per key group (n is their
	// sum): a snapshot writes it before the entries without a counting pass.
	groupN []int
	// last is the entry of the previous lookup: a read-modify-write of one
	// key (Get then Put) hashes and probes the map once. Copy-on-write
	// replaces it with the copy (own), a removal forgets it.
	last     *heapEntry
	lastKG   int
	lastHash uint64
	// dirty are the entries written since the latest snapshot, per key
	// group, each once (removed ones too: idx -1), and tombs the keys
	// removed since then, while the backend tracks changes.
	dirty [][]*heapEntry
	tombs [][]string
}

// touch records that e (owned: own or insert returned it) was written.
func (t *heapTable) touch(kg int, e *heapEntry) {
	h := t.h
	if !h.track || e.dver == h.epoch {
		return
	}
	e.dver = h.epoch
	i := kg - h.kgs.Start
	t.dirty[i] = append(t.dirty[i], e)
	h.noteChange()
}

// noteChange counts one more tracked change and stops tracking past the
// limit.
func (h *Heap) noteChange() {
	h.dn++
	if h.dn > h.dlimit {
		h.stopTracking()
	}
}

// stopTracking drops the change lists: the next snapshot is a full one.
func (h *Heap) stopTracking() {
	h.track = false
	h.dn = 0
	for _, t := range h.tables {
		clear(t.dirty)
		clear(t.tombs)
	}
}

// lookup returns the entry of key in kg, or nil and the key's hash.
func (t *heapTable) lookup(kg int, key []byte) (*heapEntry, uint64) {
	if e := t.last; e != nil && t.lastKG == kg && sameKey(e.key, key) {
		return e, t.lastHash
	}
	h := t.h.keyHash(key)
	if e := t.group(kg).find(h, key); e != nil {
		t.last, t.lastKG, t.lastHash = e, kg, h
		return e, h
	}
	return nil, h
}

func (t *heapTable) forget(e *heapEntry) {
	if t.last == e {
		t.last = nil
	}
}

func (t *heapTable) group(kg int) *index {
	i := kg - t.h.kgs.Start
	if i < 0 || i >= len(t.groups) {
		panic("state: key group " + strconv.Itoa(kg) + " outside " + t.h.kgs.String())
	}
	return &t.groups[i]
}

// own returns e (whose key has hash h) when the table may write it in place, or else a private
// copy of e that replaced it in the map, the list and the last-entry cache.
// The copy shares the value bytes (marked shared) and the sub slices (never
// written in place by anyone).
func (t *heapTable) own(kg int, e *heapEntry, h uint64) *heapEntry {
	hp := t.h
	if !hp.shared(e.ver) {
		return e
	}
	c := &heapEntry{key: e.key, ver: hp.ver, idx: e.idx}
	if e.m != nil {
		c.m, c.mShared = maps.Clone(e.m), true
	} else {
		if e.nsub == 1 {
			c.setOne(e.subs()[0])
		} else {
			c.setSubs(slices.Clone(e.subs()))
		}
		c.shared = uint8(1<<int(c.nsub) - 1)
	}
	i := kg - hp.kgs.Start
	t.groups[i].replace(h, e, c)
	t.ownList(i)[c.idx] = c
	if t.last == e {
		t.last = c
	}
	return c
}

// ownList returns list i after copying it when a pending snapshot may read
// its backing array (one that has not dropped its lists: DropLists).
func (t *heapTable) ownList(i int) []*heapEntry {
	if t.lver[i] < t.h.cowVer && t.h.lpending.Load() > 0 {
		t.lists[i] = slices.Clone(t.lists[i])
		t.lver[i] = t.h.ver
	}
	return t.lists[i]
}

// insert adds a new entry for key, whose hash is hash, to key group kg.
func (t *heapTable) insert(kg int, key []byte, hash uint64) *heapEntry {
	i := kg - t.h.kgs.Start
	g := t.group(kg)
	l := t.lists[i]
	e := &heapEntry{ver: t.h.ver, idx: int32(len(l))}
	if len(key) <= inlineBuf {
		n := copy(e.buf[:], key)
		e.key = unsafe.String(&e.buf[0], n)
		if n == 0 {
			e.key = ""
		}
	} else {
		e.key = string(key)
	}
	g.add(hash, e)
	// Appending after the end of a list a snapshot holds is fine: the
	// snapshot reads only its own length, and the list never shrank below
	// it (removals copy a shared list first).
	nl := append(l, e)
	if cap(nl) != cap(l) {
		t.lver[i] = t.h.ver // a new backing array
	}
	t.lists[i] = nl
	t.last, t.lastKG, t.lastHash = e, kg, hash
	t.h.size += int64(len(key)) + 48
	return e
}

// remove drops entry e (whose key has hash h) of key group kg (from the
// index and the list).
func (t *heapTable) remove(kg int, e *heapEntry, h uint64) {
	i := kg - t.h.kgs.Start
	t.groups[i].remove(h, e)
	l := t.ownList(i)
	last := len(l) - 1
	if moved := l[last]; moved != e {
		l[e.idx] = moved
		moved.idx = e.idx
	}
	l[last] = nil
	t.lists[i] = l[:last]
	t.forget(e)
	e.idx = -1 // removed (Snapshot drops it from the dirty list)
	if t.h.track {
		t.tombs[i] = append(t.tombs[i], e.key)
		t.h.noteChange()
	}
	t.h.size -= int64(len(e.key)) + 48
}

func (t *heapTable) Get(kg int, key, sub []byte) ([]byte, bool) {
	e, _ := t.lookup(kg, key)
	if e == nil {
		return nil, false
	}
	if e.m != nil {
		v, ok := e.m[string(sub)]
		return v, ok
	}
	subs := e.subs()
	for i := range subs {
		if string(subs[i].sub) == string(sub) {
			return subs[i].value, true
		}
	}
	return nil, false
}

func (t *heapTable) Put(kg int, key, sub, value []byte) {
	e, hash := t.lookup(kg, key)
	if e == nil {
		e = t.insert(kg, key, hash)
	} else {
		e = t.own(kg, e, hash)
	}
	t.touch(kg, e)
	if e.m != nil {
		old, ok := e.m[string(sub)]
		if ok && cap(old) >= len(value) && !(e.mShared && t.h.cow()) {
			t.h.size += int64(len(value) - len(old))
			e.m[string(sub)] = append(old[:0], value...)
			return
		}
		if !ok {
			t.add(kg, 1)
			t.h.size += int64(len(sub))
		}
		t.h.size += int64(len(value) - len(old))
		e.m[string(sub)] = append([]byte(nil), value...)
		return
	}
	subs := e.subs()
	for i := range subs {
		sv := &subs[i]
		if string(sv.sub) == string(sub) {
			t.h.size += int64(len(value) - len(sv.value))
			if bit := uint8(1) << i; e.shared&bit != 0 {
				e.shared &^= bit
				if t.h.cow() {
					sv.value = append([]byte(nil), value...)
					return
				}
			}
			sv.value = append(sv.value[:0], value...)
			return
		}
	}
	t.add(kg, 1)
	t.h.size += int64(len(sub) + len(value))
	if e.nsub < subMapThreshold {
		if e.csub == 0 {
			// A new entry (one without subs is removed): its buf after the
			// key is free.
			if k := len(e.key); k+len(sub)+len(value) <= inlineBuf && (k == 0 || unsafe.StringData(e.key) == &e.buf[0]) {
				s := k + copy(e.buf[k:], sub)
				v := s + copy(e.buf[s:], value)
				e.setOne(subValue{sub: e.buf[k:s:s], value: e.buf[s:v:inlineBuf]})
				return
			}
			e.setOne(subValue{sub: append([]byte(nil), sub...), value: append([]byte(nil), value...)})
			return
		}
		sv := subValue{sub: append([]byte(nil), sub...), value: append([]byte(nil), value...)}
		e.setSubs(append(subs, sv))
		e.one[0] = subValue{} // subs moved out of one (or one was empty): let go of its bytes
		return
	}
	e.m = make(map[string][]byte, len(subs)+1)
	for _, sv := range subs {
		e.m[string(sv.sub)] = sv.value
	}
	e.mShared = e.shared != 0
	e.setSubs(nil)
	e.shared, e.one[0] = 0, subValue{}
	e.m[string(sub)] = append([]byte(nil), value...)
}

// Append appends in place also to a value a pending snapshot shares: the
// snapshot reads only up to the length it captured, and a shared value is
// never shortened in place (Put reallocates it).
func (t *heapTable) Append(kg int, key, sub, value []byte) {
	if e, h := t.lookup(kg, key); e != nil {
		if e.m != nil {
			if old, ok := e.m[string(sub)]; ok {
				e = t.own(kg, e, h)
				t.touch(kg, e)
				e.m[string(sub)] = appendGrow(old, value)
				t.h.size += int64(len(value))
				return
			}
		} else {
			for i, sv := range e.subs() {
				if string(sv.sub) == string(sub) {
					e = t.own(kg, e, h)
					t.touch(kg, e)
					subs := e.subs() // of the copy own may have made
					subs[i].value = appendGrow(subs[i].value, value)
					t.h.size += int64(len(value))
					return
				}
			}
		}
	}
	t.Put(kg, key, sub, value)
}

// appendGrow appends v to b, growing b's capacity by half when it has to
// grow: append's own growth of a []byte is 1.25x past 256 bytes, so a list
// that grows by appends (a join side's rows, q20's bids per auction) was
// reallocated, cleared and copied every few rows.
func appendGrow(b, v []byte) []byte {
	if need := len(b) + len(v); need > cap(b) {
		b = slices.Grow(b, max(need, cap(b)+cap(b)/2)-len(b))
	}
	return append(b, v...)
}

func (t *heapTable) Delete(kg int, key, sub []byte) {
	e, h := t.lookup(kg, key)
	if e == nil {
		return
	}
	if e.m != nil {
		old, ok := e.m[string(sub)]
		if !ok {
			return
		}
		e = t.own(kg, e, h)
		t.touch(kg, e)
		delete(e.m, string(sub))
		t.add(kg, -1)
		t.h.size -= int64(len(sub) + len(old))
	} else {
		i := 0
		for subs := e.subs(); i < len(subs) && string(subs[i].sub) != string(sub); {
			i++
		}
		if i == int(e.nsub) {
			return
		}
		e = t.own(kg, e, h)
		t.touch(kg, e)
		subs := e.subs() // of the copy own may have made
		t.h.size -= int64(len(sub) + len(subs[i].value))
		last := len(subs) - 1
		subs[i] = subs[last]
		subs[last] = subValue{}
		e.setSubs(subs[:last])
		// The moved value keeps its shared mark.
		e.shared = e.shared&^(1<<i) | (e.shared>>last&1)<<i
		e.shared &^= 1 << last
		t.add(kg, -1)
	}
	if e.len() == 0 {
		t.remove(kg, e, h)
	}
}

func (t *heapTable) DeleteKey(kg int, key []byte) {
	e, h := t.lookup(kg, key)
	if e == nil {
		return
	}
	scanEntry(e, func(sub, value []byte) bool {
		t.add(kg, -1)
		t.h.size -= int64(len(sub) + len(value))
		return true
	})
	t.remove(kg, e, h)
}

func (t *heapTable) ScanKey(kg int, key []byte, fn func(sub, value []byte) bool) {
	e, _ := t.lookup(kg, key)
	if e == nil {
		return
	}
	scanEntry(e, fn)
}

func scanEntry(e *heapEntry, fn func(sub, value []byte) bool) bool {
	if e.m != nil {
		for s, v := range e.m {
			if !fn([]byte(s), v) {
				return false
			}
		}
		return true
	}
	for _, sv := range e.subs() {
		if !fn(sv.sub, sv.value) {
			return false
		}
	}
	return true
}

func (t *heapTable) ScanGroup(kg int, fn func(key, sub, value []byte) bool) {
	t.group(kg) // range check
	for _, e := range t.lists[kg-t.h.kgs.Start] {
		// A read-only view of the key: fn must not keep or modify it.
		kb := unsafe.Slice(unsafe.StringData(e.key), len(e.key))
		if !scanEntry(e, func(sub, value []byte) bool { return fn(kb, sub, value) }) {
			return
		}
	}
}

func (t *heapTable) GroupKeys(kg int, dst []string) []string {
	t.group(kg) // range check
	for _, e := range t.lists[kg-t.h.kgs.Start] {
		dst = append(dst, e.key)
	}
	return dst
}

func (t *heapTable) Len() int { return t.n }

// add counts d more entries in key group kg.
func (t *heapTable) add(kg, d int) {
	t.n += d
	t.groupN[kg-t.h.kgs.Start] += d
}
