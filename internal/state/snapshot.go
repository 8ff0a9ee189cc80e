package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/stromio/strom/internal/base"
)

// groupSnapshotVersion is the first byte of a key group's state snapshot;
// groupDeltaVersion that of a key group's delta (AppendDelta).
const (
	groupSnapshotVersion = 1
	groupDeltaVersion    = 2
)

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
	tables := make([]snapTable, 0, 8)
	for _, name := range h.names {
		t := h.tables[name]
		tables = append(tables, snapTable{name: name, lists: t.lists, n: t.groupN})
	}
	return appendSnapGroup(dst, tables, i)
}

// snapTable is one table as a snapshot sees it: the group lists and the
// entry counts per key group (index: key group less the range start).
type snapTable struct {
	name  string
	lists [][]*heapEntry
	n     []int
}

// appendSnapGroup appends key group index i of tables in the layout of
// AppendGroup.
func appendSnapGroup(dst []byte, tables []snapTable, i int) []byte {
	count := 0
	for _, t := range tables {
		if t.n[i] > 0 {
			count++
		}
	}
	dst = append(dst, groupSnapshotVersion, 0, 0, 0, 0, 0) // table count: fixed 5-byte uvarint
	putUvarint5(dst[len(dst)-5:], uint64(count))
	for _, t := range tables {
		if t.n[i] == 0 {
			continue
		}
		dst = appendString(dst, t.name)
		dst = binary.AppendUvarint(dst, uint64(t.n[i]))
		for _, e := range t.lists[i] {
			k := e.key
			if e.m != nil {
				for s, v := range e.m {
					dst = appendString(dst, k)
					dst = appendString(dst, s)
					dst = appendBytes(dst, v)
				}
				continue
			}
			for _, sv := range e.subs() {
				dst = appendString(dst, k)
				dst = appendBytes(dst, sv.sub)
				dst = appendBytes(dst, sv.value)
			}
		}
	}
	return dst
}

// GroupSnapshot is the keyed state of a backend at one point, serialised
// later (and on another goroutine) one key group at a time.
type GroupSnapshot interface {
	// AppendGroup appends key group kg as state.AppendGroup did when the
	// snapshot was taken.
	AppendGroup(dst []byte, kg int) []byte
	// Release frees the snapshot (idempotent); AppendGroup must not be
	// called after it.
	Release()
}

// Capture snapshots b for a later serialisation. For the heap backend this
// is Heap.Snapshot (copy-on-write: O(tables x key groups) here, the
// serialisation later); any other backend is serialised now. It runs on the
// goroutine that owns b; the result may be used on any one goroutine.
func Capture(b Backend) GroupSnapshot {
	if h, ok := b.(*Heap); ok {
		return h.Snapshot()
	}
	s := eagerSnapshot{}
	r := b.KeyGroups()
	for kg := r.Start; kg < r.End; kg++ {
		s[kg] = AppendGroup(nil, b, kg)
	}
	return s
}

// DeltaSnapshot is a GroupSnapshot that may also give the changes since
// the previous snapshot of its backend (HeapSnapshot).
type DeltaSnapshot interface {
	GroupSnapshot
	Seq() uint64
	SizeBytes() int64
	HasDelta() bool
	AppendDelta(dst []byte, kg int) []byte
	// DropLists: only AppendDelta follows (HeapSnapshot.DropLists).
	DropLists()
}

// CaptureIncremental is Capture that, for the heap backend, also captures
// the changes since the previous snapshot (Heap.SnapshotIncremental).
func CaptureIncremental(b Backend) GroupSnapshot {
	if h, ok := b.(*Heap); ok {
		return h.SnapshotIncremental()
	}
	return Capture(b)
}

type eagerSnapshot map[int][]byte

func (s eagerSnapshot) AppendGroup(dst []byte, kg int) []byte { return append(dst, s[kg]...) }
func (s eagerSnapshot) Release()                              {}

// HeapSnapshot is a copy-on-write snapshot of a heap backend (Heap.Snapshot):
// it holds the group lists as they were, whose entries the backend no longer
// writes while the snapshot is pending. Serialise it with AppendGroup on any
// one goroutine, then Release it: until then the backend copies what it
// changes, and the old entries stay reachable.
type HeapSnapshot struct {
	h        *Heap
	tables   []snapTable
	released atomic.Bool
	// lists: the snapshot may still read the group lists (tables), and
	// counts in Heap.lpending; DropLists or Release clear it.
	lists atomic.Bool
	// seq numbers the backend's snapshots (1, 2, ...); delta says whether
	// deltas holds every change since snapshot seq-1 (the backend tracked
	// changes all that time).
	seq    uint64
	delta  bool
	deltas []deltaTable
	size   int64 // Heap.SizeBytes at the snapshot
}

// deltaTable is one table's changes since the previous snapshot, per key
// group (index: key group less the range start): the entries written
// (their state at this snapshot; copy-on-write keeps them as they are) and
// the keys removed.
type deltaTable struct {
	name    string
	entries [][]*heapEntry
	tombs   [][]string
}

// Snapshot captures the backend's state in O(tables x key groups): it copies
// the slice headers of the group lists and the entry counts, and makes the
// backend copy, from now on, every entry, list and value before it would
// write what the snapshot may read (DESIGN.md §3). Call it on the goroutine
// that owns h.
func (h *Heap) Snapshot() *HeapSnapshot { return h.snapshot(false) }

// SnapshotIncremental is Snapshot that also captures the changes since the
// backend's previous snapshot (AppendDelta), when it tracked them all that
// time; it turns tracking on, so from the second snapshot on it does. The
// extra synchronous work is O(changed entries): the dirty lists are taken
// over, and removed entries are dropped from them.
func (h *Heap) SnapshotIncremental() *HeapSnapshot { return h.snapshot(true) }

func (h *Heap) snapshot(incremental bool) *HeapSnapshot {
	s := &HeapSnapshot{h: h, tables: make([]snapTable, 0, len(h.names)), seq: uint64(h.epoch), size: h.size}
	entries := 0
	for _, name := range h.names {
		t := h.tables[name]
		s.tables = append(s.tables, snapTable{name: name, lists: slices.Clone(t.lists), n: slices.Clone(t.groupN)})
		entries += t.n
	}
	if h.track {
		s.delta = true
		h.spareMu.Lock()
		for _, name := range h.names {
			t := h.tables[name]
			// The table's new change lists: those of a released
			// snapshot when there are (cleared, their capacity kept),
			// else nil.
			sp, ok := h.spare[name]
			if ok {
				delete(h.spare, name)
			}
			if len(sp.entries) != len(t.dirty) || len(sp.tombs) != len(t.tombs) {
				sp = deltaTable{entries: make([][]*heapEntry, len(t.dirty)), tombs: make([][]string, len(t.tombs))}
			}
			dt := deltaTable{name: name, entries: t.dirty, tombs: t.tombs}
			for i, l := range dt.entries {
				live := l[:0]
				for _, e := range l {
					if e.idx >= 0 {
						live = append(live, e)
					}
				}
				clear(l[len(live):])
				dt.entries[i] = live
			}
			t.dirty, t.tombs = sp.entries, sp.tombs
			s.deltas = append(s.deltas, dt)
		}
		h.spareMu.Unlock()
	}
	if incremental || h.track {
		h.track = true
		h.dn = 0
		h.dlimit = 2*entries + 1<<16
	}
	h.epoch++
	h.ver++
	h.cowVer = h.ver
	h.pending.Add(1)
	h.lpending.Add(1)
	s.lists.Store(true)
	return s
}

// AppendGroup appends key group kg as state.AppendGroup would have when the
// snapshot was taken.
func (s *HeapSnapshot) AppendGroup(dst []byte, kg int) []byte {
	if s.released.Load() {
		panic("state: HeapSnapshot used after Release")
	}
	if !s.lists.Load() {
		panic("state: HeapSnapshot.AppendGroup after DropLists")
	}
	if !s.h.kgs.Contains(kg) {
		panic(fmt.Sprintf("state: key group %d outside %s", kg, s.h.kgs))
	}
	return appendSnapGroup(dst, s.tables, kg-s.h.kgs.Start)
}

// Seq numbers the snapshots of the backend: 1, 2, ...
func (s *HeapSnapshot) Seq() uint64 { return s.seq }

// SizeBytes is the backend's estimate of its state's size (Backend.
// SizeBytes) at the snapshot.
func (s *HeapSnapshot) SizeBytes() int64 { return s.size }

// HasDelta reports whether AppendDelta gives every change since the
// backend's snapshot Seq()-1.
func (s *HeapSnapshot) HasDelta() bool { return s.delta }

// AppendDelta appends the changes of key group kg since the previous
// snapshot (HasDelta must hold) in the delta layout (docs/format/
// checkpoint.md, "key group delta"):
//
//	version byte (2)
//	uvarint tables (5 bytes); per table: uvarint len, name,
//	  uvarint removed, per removed key: uvarint len, key,
//	  uvarint entries, per entry: uvarint len, key, uvarint subs,
//	    per sub: uvarint len, sub, uvarint len, value
//
// Applying it (RestoreGroup) on the state of the previous snapshot gives
// the state of this one: removed keys first, then each entry replaces its
// key's subs. Tables without changes in kg are left out: an empty delta is
// 6 bytes.
func (s *HeapSnapshot) AppendDelta(dst []byte, kg int) []byte {
	if s.released.Load() {
		panic("state: HeapSnapshot used after Release")
	}
	if !s.delta {
		panic("state: AppendDelta of a snapshot without a delta")
	}
	i := kg - s.h.kgs.Start
	count := 0
	for _, t := range s.deltas {
		if len(t.entries[i]) > 0 || len(t.tombs[i]) > 0 {
			count++
		}
	}
	dst = append(dst, groupDeltaVersion, 0, 0, 0, 0, 0)
	putUvarint5(dst[len(dst)-5:], uint64(count))
	var touch uintptr // the read-ahead loads' results, kept below
	for _, t := range s.deltas {
		es, ts := t.entries[i], t.tombs[i]
		if len(es) == 0 && len(ts) == 0 {
			continue
		}
		dst = appendString(dst, t.name)
		dst = binary.AppendUvarint(dst, uint64(len(ts)))
		for _, k := range ts {
			dst = appendString(dst, k)
		}
		dst = binary.AppendUvarint(dst, uint64(len(es)))
		for j, e := range es {
			// The entries are scattered over the heap, and most are not
			// in a cache: touch one farther ahead (its header) and a
			// nearer one's first value (its bytes and its subs), so that
			// their cache misses overlap with copying this one instead of
			// each stalling in turn.
			if j+prefetchFar < len(es) {
				touch += uintptr(len(es[j+prefetchFar].key))
			}
			if j+prefetchNear < len(es) {
				touch += touchEntry(es[j+prefetchNear])
			}
			dst = appendString(dst, e.key)
			if e.m != nil {
				dst = binary.AppendUvarint(dst, uint64(len(e.m)))
				for sub, v := range e.m {
					dst = appendString(dst, sub)
					dst = appendBytes(dst, v)
				}
				continue
			}
			dst = binary.AppendUvarint(dst, uint64(e.nsub))
			for _, sv := range e.subs() {
				dst = appendBytes(dst, sv.sub)
				dst = appendBytes(dst, sv.value)
			}
		}
	}
	touched.Add(uint64(touch)) // one atomic add per key group: uploaders run concurrently
	return dst
}

// How far AppendDelta reads ahead in a dirty list: an entry's header
// prefetchFar entries ahead, its subs and first value prefetchNear ahead.
const (
	prefetchFar  = 16
	prefetchNear = 8
)

// touched keeps the loads that AppendDelta issues ahead from being
// optimised away (its value means nothing). Atomic: the uploaders of
// several jobs in one process serialise deltas at the same time.
var touched atomic.Uint64

// touchEntry reads the first byte of e's first value (map layout: none)
// and of its last sub, pulling their cache lines in.
func touchEntry(e *heapEntry) uintptr {
	var n uintptr
	subs := e.subs()
	if k := len(subs); k > 0 {
		if v := subs[0].value; len(v) > 0 {
			n += uintptr(v[0])
		}
		if v := subs[k-1].value; len(v) > 0 {
			n += uintptr(v[0])
		}
	}
	return n
}

// DropLists declares that the snapshot will be serialised with
// AppendDelta only (AppendGroup panics after it): the backend then no
// longer copies a group list before it writes a slot of it (a
// copy-on-write entry replaced, a removal), as long as no other snapshot
// holds the lists. The entries of the delta stay as they were. Idempotent;
// safe on any goroutine.
func (s *HeapSnapshot) DropLists() {
	if s.lists.Swap(false) {
		s.h.lpending.Add(-1)
	}
}

// Release ends the snapshot: the backend may write in place again once no
// snapshot is pending. Idempotent; safe on any goroutine.
func (s *HeapSnapshot) Release() {
	if s.released.Swap(true) {
		return
	}
	s.DropLists()
	deltas := s.deltas
	s.tables, s.deltas = nil, nil
	s.h.pending.Add(-1)
	s.h.recycle(deltas)
}

// recycle clears the change lists of a released snapshot (here, on the
// goroutine that released it) and keeps them, one set per table, for the
// next snapshot to hand to its tables (spare).
func (h *Heap) recycle(deltas []deltaTable) {
	if len(deltas) == 0 {
		return
	}
	for _, dt := range deltas {
		for i, l := range dt.entries {
			clear(l) // past len: cleared when the snapshot took the list
			dt.entries[i] = l[:0]
		}
		for i, l := range dt.tombs {
			clear(l)
			dt.tombs[i] = l[:0]
		}
	}
	h.spareMu.Lock()
	defer h.spareMu.Unlock()
	if h.spare == nil {
		h.spare = map[string]deltaTable{}
	}
	for _, dt := range deltas {
		if _, ok := h.spare[dt.name]; !ok {
			h.spare[dt.name] = dt
		}
	}
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// RestoreGroup puts the entries of a key group snapshot (AppendGroup) into
// b, or applies a key group delta (HeapSnapshot.AppendDelta) to it.
func RestoreGroup(b Backend, kg int, data []byte) error {
	if !b.KeyGroups().Contains(kg) {
		return fmt.Errorf("state: restore key group %d outside %s", kg, b.KeyGroups())
	}
	r := reader{b: data}
	v := r.byte()
	if v == groupDeltaVersion {
		return applyDelta(b, kg, &r)
	}
	if v != groupSnapshotVersion {
		if r.err != nil {
			return fmt.Errorf("state: key group %d snapshot: %w", kg, r.err)
		}
		if v > groupDeltaVersion {
			return fmt.Errorf("state: key group %d snapshot has version %d, this build reads %d and %d (%w): a newer strom wrote it; restore it with that version or a newer one", kg, v, groupSnapshotVersion, groupDeltaVersion, base.ErrNewerVersion)
		}
		return fmt.Errorf("state: key group %d snapshot has version %d, this build reads %d and %d", kg, v, groupSnapshotVersion, groupDeltaVersion)
	}
	return applyBase(b, kg, &r, nil)
}

// applyBase puts the entries of the rest of a key group snapshot (after
// its version byte) into b, but those whose keys a newer delta of the
// chain already decided (decided: table -> key; nil for none).
func applyBase(b Backend, kg int, r *reader, decided map[string]map[string]int) error {
	tables := r.uvarint()
	for i := uint64(0); i < tables && r.err == nil; i++ {
		name := r.bytes()
		n := r.uvarint()
		if r.err != nil {
			break
		}
		t := b.Table(string(name))
		dec := decided[string(name)]
		for j := uint64(0); j < n && r.err == nil; j++ {
			key, sub, value := r.bytes(), r.bytes(), r.bytes()
			if r.err != nil {
				break
			}
			if _, ok := dec[string(key)]; !ok {
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

// applyDelta applies the rest of a key group delta (after its version
// byte) to b.
func applyDelta(b Backend, kg int, r *reader) error {
	tables := r.uvarint()
	for i := uint64(0); i < tables && r.err == nil; i++ {
		name := r.bytes()
		if r.err != nil {
			break
		}
		t := b.Table(string(name))
		removed := r.uvarint()
		for j := uint64(0); j < removed && r.err == nil; j++ {
			if key := r.bytes(); r.err == nil {
				t.DeleteKey(kg, key)
			}
		}
		n := r.uvarint()
		for j := uint64(0); j < n && r.err == nil; j++ {
			key := r.bytes()
			subs := r.uvarint()
			if r.err != nil {
				break
			}
			t.DeleteKey(kg, key)
			for k := uint64(0); k < subs && r.err == nil; k++ {
				sub, value := r.bytes(), r.bytes()
				if r.err == nil {
					t.Put(kg, key, sub, value)
				}
			}
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes of junk after the last table", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("state: key group %d delta is corrupt: %w", kg, r.err)
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
