package operator

import (
	"bytes"
	"cmp"
	"math/bits"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/stromio/strom/codec"
)

// WindowBuffer keeps the accumulators of windows not fired yet in typed
// in-memory tables, one per window, keyed by the record's key (a Go map):
// a record of such a window updates its table, with no key encoding, state
// lookup or timer (Flink's local window aggregation / WindowBuffer, and its
// heap backend keeping objects). KeyedWindow uses it only with an
// event-time tumbling or sliding assigner, the default trigger, no evictor
// and no allowed lateness (DESIGN §5, invariant 18):
//
//   - When the watermark passes a window's end and no timer of that time is
//     pending (nothing of the window is in keyed state), the window fires
//     from its table, keys in the order of their encoded bytes (the timer
//     queue's order).
//   - Before a checkpoint's snapshot (SnapshotState), and when a window's
//     end has timers (part of it is in keyed state, e.g. after a restore),
//     the table is folded into keyed state as the generic path would have
//     stored it (Get, Merge, Put; the window's timer registered for a new
//     entry), and the generic path fires it.
//
// The methods are unexported: AggregateBuffer builds the only
// implementation.
type WindowBuffer[K, T, R any] interface {
	open(h bufferHost[K, R], kc codec.Codec[K])
	// add adds v to window w's accumulator of key.
	add(key K, w Window, v T)
	// touch reads where the keys' accumulators are in the table of the
	// last add, so that a run of adds finds them in the cache: the reads
	// are independent, so the processor overlaps their cache misses.
	touch(keys []K)
	// next is the window with a table that ends first.
	next() (Window, bool)
	// fire emits the table of next() through the host and drops it.
	fire()
	// fold moves the table of next() into keyed state and drops it.
	fold()
	// entries is the number of accumulators held.
	entries() int
}

// bufferHost is what a WindowBuffer needs from its window operator.
type bufferHost[K, R any] interface {
	// startWindow makes w the window of the following calls.
	startWindow(w Window) (ns []byte)
	// setBufferedKey makes key current for keyed state and timers.
	setBufferedKey(key K)
	// emitBuffered evaluates the current window for key with result r.
	emitBuffered(key K, r R)
	// registerWindowTimer registers the current window's timer for the
	// current key.
	registerWindowTimer()
}

// AggregateBuffer returns a WindowBuffer for contents built by
// AggregateContents or ReduceContents (ACC the accumulator type), or nil
// when contents are something else or keys of type K cannot be kept in a
// Go map with the generic path's identity: the buffer is used only for
// keys of integer, string or bool kind, whose == is the equality of their
// encodings under a deterministic codec (not floats: 0 == -0 and NaN !=
// NaN; not structs: a JSON codec may drop fields), and only when the
// accumulator type holds no pointers (plainValue): an accumulator that
// is, or points into, the element (a reduction's first element, an add
// function returning its input) would otherwise be shared by the tables
// of the windows of one element (sliding) and by the caller, and changed
// in place in all of them. The operator also uses it only with a
// built-in key codec (builtinKeyCodec).
func AggregateBuffer[K comparable, T, ACC, OUT any](contents WindowContents[T, OUT]) WindowBuffer[K, T, OUT] {
	a, ok := contents.(*aggContents[T, ACC, OUT])
	if !ok || a.mergeFn == nil || !bufferableKey(reflect.TypeFor[K]()) || !plainValue(reflect.TypeFor[ACC]()) {
		return nil
	}
	return &aggBuffer[K, T, ACC, OUT]{a: a}
}

// builtinKeyCodec reports whether kc is the built-in codec of K
// (codec.For: codec.Int64, codec.Int, codec.String, codec.Bool, the
// other integer and string-kind codecs; not JSON, which a MarshalJSON
// method may make map several keys to one encoding). The buffer groups
// keys by Go ==, which must be the identity of their encodings: a user
// codec may map several keys to the same bytes, which the generic path
// keeps as one key.
func builtinKeyCodec[K any](kc codec.Codec[K]) bool {
	d := codec.For[K]()
	if _, ok := d.(codec.JSON[K]); ok || kc == nil {
		return false
	}
	return any(kc) == any(d)
}

func bufferableKey(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.String, reflect.Bool:
		return true
	}
	return false
}

// plainValue reports whether values of t hold no pointers but strings'
// (immutable) bytes: copying one copies all of it.
func plainValue(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Array:
		return plainValue(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !plainValue(t.Field(i).Type) {
				return false
			}
		}
		return true
	case reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	}
	return bufferableKey(t)
}

// keyOrder is how a buffer sorts a table's keys into the order of their
// encodings: the common codecs without encoding.
type keyOrder uint8

const (
	orderBytes  keyOrder = iota // encode, compare bytes
	orderUint64                 // an 8-byte key under codec.Int64 / codec.Int: big-endian, so unsigned order
	orderString                 // a string under codec.String: the bytes themselves
)

type aggTable[K comparable, ACC any] struct {
	w    Window
	m    map[K]ACC   // orderBytes, orderString
	u    u64Map[ACC] // orderUint64
	peak int         // the most entries it held (a Go map keeps room for them)
}

func (t *aggTable[K, ACC]) len() int { return len(t.m) + t.u.n }

type aggEntry[K comparable, ACC any] struct {
	k      K
	acc    ACC
	off, n int32 // its encoding in enc (orderBytes)
}

type aggBuffer[K comparable, T, ACC, OUT any] struct {
	a      *aggContents[T, ACC, OUT]
	host   bufferHost[K, OUT]
	kc     codec.Codec[K]
	order  keyOrder
	tables []*aggTable[K, ACC] // by window end, then start
	last   *aggTable[K, ACC]   // the table of the last add
	spare  []*aggTable[K, ACC] // emptied tables, kept for new windows (at most keepSpares)
	sorted []aggEntry[K, ACC]
	tmp    []aggEntry[K, ACC] // radixSort's other buffer
	enc    []byte
	n      int
	sink   uint64 // what touch read (so that the reads stay)
}

func (b *aggBuffer[K, T, ACC, OUT]) open(h bufferHost[K, OUT], kc codec.Codec[K]) {
	b.host, b.kc = h, kc
	var zero K
	switch any(zero).(type) {
	case int64:
		if _, ok := any(kc).(codec.Int64); ok {
			b.order = orderUint64
		}
	case int:
		if _, ok := any(kc).(codec.Int); ok && unsafe.Sizeof(zero) == 8 {
			b.order = orderUint64
		}
	case string:
		if _, ok := any(kc).(codec.String); ok {
			b.order = orderString
		}
	}
}

func (b *aggBuffer[K, T, ACC, OUT]) add(key K, w Window, v T) {
	t := b.last
	if t == nil || t.w != w {
		t = b.table(w)
		b.last = t
	}
	if b.order == orderUint64 {
		p, ok := t.u.slot(*(*uint64)(unsafe.Pointer(&key)))
		if ok {
			*p = b.a.foldIn(*p, v)
		} else {
			*p = b.a.first(v)
			b.n++
		}
		return
	}
	if acc, ok := t.m[key]; ok {
		t.m[key] = b.a.foldIn(acc, v)
		return
	}
	t.m[key] = b.a.first(v)
	b.n++
}

func (b *aggBuffer[K, T, ACC, OUT]) touch(keys []K) {
	if b.order != orderUint64 || b.last == nil || len(b.last.u.slots) == 0 {
		return
	}
	u := &b.last.u
	mask := uint64(len(u.slots) - 1)
	x := uint64(0)
	for i := range keys {
		k := *(*uint64)(unsafe.Pointer(&keys[i]))
		x += u.slots[(k*0x9E3779B97F4A7C15)>>u.shift&mask].k
	}
	b.sink += x
}

// table finds or creates w's table.
func (b *aggBuffer[K, T, ACC, OUT]) table(w Window) *aggTable[K, ACC] {
	i, found := slices.BinarySearchFunc(b.tables, w, func(t *aggTable[K, ACC], w Window) int {
		if c := cmp.Compare(t.w.End, w.End); c != 0 {
			return c
		}
		return cmp.Compare(t.w.Start, w.Start)
	})
	if found {
		return b.tables[i]
	}
	var t *aggTable[K, ACC]
	if n := len(b.spare); n > 0 {
		t, b.spare = b.spare[n-1], b.spare[:n-1]
	} else {
		t = &aggTable[K, ACC]{m: map[K]ACC{}}
	}
	t.w = w
	b.tables = slices.Insert(b.tables, i, t)
	return t
}

func (b *aggBuffer[K, T, ACC, OUT]) next() (Window, bool) {
	if len(b.tables) == 0 {
		return Window{}, false
	}
	return b.tables[0].w, true
}

func (b *aggBuffer[K, T, ACC, OUT]) entries() int { return b.n }

// sortFirst puts the entries of the first table into b.sorted, in the
// order of their encoded keys.
func (b *aggBuffer[K, T, ACC, OUT]) sortFirst() {
	t := b.tables[0]
	s := b.sorted[:0]
	b.enc = b.enc[:0]
	if b.order == orderUint64 {
		if t.u.hasZero {
			s = append(s, aggEntry[K, ACC]{acc: t.u.zero}) // k: the zero K
		}
		for i := range t.u.slots {
			if sl := &t.u.slots[i]; sl.k != 0 {
				e := aggEntry[K, ACC]{acc: sl.acc}
				*(*uint64)(unsafe.Pointer(&e.k)) = sl.k
				s = append(s, e)
			}
		}
	}
	for k, acc := range t.m {
		e := aggEntry[K, ACC]{k: k, acc: acc}
		if b.order == orderBytes {
			off := len(b.enc)
			b.enc = b.kc.Append(b.enc, k)
			e.off, e.n = int32(off), int32(len(b.enc)-off)
		}
		s = append(s, e)
	}
	switch b.order {
	case orderUint64:
		s, b.tmp = radixSort(s, b.tmp)
	case orderString:
		slices.SortFunc(s, func(x, y aggEntry[K, ACC]) int {
			return strings.Compare(*(*string)(unsafe.Pointer(&x.k)), *(*string)(unsafe.Pointer(&y.k)))
		})
	default:
		enc := b.enc
		slices.SortFunc(s, func(x, y aggEntry[K, ACC]) int {
			return bytes.Compare(enc[x.off:x.off+x.n], enc[y.off:y.off+y.n])
		})
	}
	b.sorted = s
}

// radixSort sorts entries whose keys are 8-byte integers by the unsigned
// value of their key (least significant byte first, a pass skipped when
// every key has the same byte there) and returns the sorted slice and the
// other buffer.
func radixSort[K comparable, ACC any](s, tmp []aggEntry[K, ACC]) ([]aggEntry[K, ACC], []aggEntry[K, ACC]) {
	if len(s) < 64 {
		slices.SortFunc(s, func(x, y aggEntry[K, ACC]) int {
			return cmp.Compare(*(*uint64)(unsafe.Pointer(&x.k)), *(*uint64)(unsafe.Pointer(&y.k)))
		})
		return s, tmp
	}
	tmp = slices.Grow(tmp[:0], len(s))[:len(s)]
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		clear(count[:])
		for i := range s {
			count[byte(*(*uint64)(unsafe.Pointer(&s[i].k))>>shift)]++
		}
		if count[byte(*(*uint64)(unsafe.Pointer(&s[0].k))>>shift)] == len(s) {
			continue // every key has this byte
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for i := range s {
			d := byte(*(*uint64)(unsafe.Pointer(&s[i].k)) >> shift)
			tmp[count[d]] = s[i]
			count[d]++
		}
		s, tmp = tmp, s
	}
	return s, tmp
}

// keepSpares is how many emptied tables a buffer keeps for new windows
// (a tumbling window's next one, the next of sliding windows).
const keepSpares = 2

// oversized reports whether memory for c entries is too much to keep for
// n (what the last window held): Go maps and the slots never shrink, so a
// table or buffer grown by one large window is dropped rather than kept
// (and cleared whole at every reuse) for smaller ones.
func oversized(c, n int) bool { return c > 1024 && c > 4*n }

// drop releases the first table (and what sortFirst collected): it is
// kept for a new window unless keepSpares tables are kept or it is
// oversized for what it held.
func (b *aggBuffer[K, T, ACC, OUT]) drop() {
	t := b.tables[0]
	n := t.len()
	b.n -= n
	b.tables = slices.Delete(b.tables, 0, 1)
	if b.last == t {
		b.last = nil
	}
	t.peak = max(t.peak, n)
	if len(b.spare) < keepSpares && !oversized(max(t.peak, len(t.u.slots)), n) {
		clear(t.m)
		t.u.reset()
		b.spare = append(b.spare, t)
	}
	clear(b.sorted)
	b.sorted = b.sorted[:0]
	clear(b.tmp) // radixSort leaves both buffers at the length it sorted
	b.tmp = b.tmp[:0]
	if oversized(cap(b.sorted), n) {
		b.sorted, b.tmp = nil, nil
	}
	if oversized(cap(b.enc)/8, n) {
		b.enc = nil
	}
}

func (b *aggBuffer[K, T, ACC, OUT]) fire() {
	b.sortFirst()
	b.host.startWindow(b.tables[0].w)
	for i := range b.sorted {
		e := &b.sorted[i]
		b.host.emitBuffered(e.k, b.a.result(e.acc))
	}
	b.drop()
}

func (b *aggBuffer[K, T, ACC, OUT]) fold() {
	b.sortFirst() // not needed for the state, but keeps registration order deterministic
	ns := b.host.startWindow(b.tables[0].w)
	st := b.a.st
	for i := range b.sorted {
		e := &b.sorted[i]
		b.host.setBufferedKey(e.k)
		st.SetNamespace(ns)
		acc := e.acc
		old, ok := st.Get()
		if ok {
			acc = b.a.mergeFn(old, acc)
		}
		st.Set(acc)
		if !ok {
			b.host.registerWindowTimer()
		}
	}
	b.drop()
}

// u64Map is the table of a buffer whose keys are 8-byte integers: open
// addressing with linear probing over slots that hold the key next to its
// accumulator, so that an update reads one cache line (a Go map reads its
// group's control word, then the slot). Key 0 marks an empty slot; the
// accumulator of key 0 itself is kept aside.
type u64Map[ACC any] struct {
	slots   []u64Slot[ACC] // a power of two, at most 7/8 full (slot grows it beyond)
	shift   uint           // 64 - log2(len(slots))
	n       int            // keys held, key 0 included
	zero    ACC
	hasZero bool
}

type u64Slot[ACC any] struct {
	k   uint64
	acc ACC
}

// slot returns where k's accumulator is, and whether k was there; a new
// key gets a slot (its accumulator the zero value).
func (m *u64Map[ACC]) slot(k uint64) (*ACC, bool) {
	if k == 0 {
		ok := m.hasZero
		if !ok {
			m.hasZero = true
			m.n++
		}
		return &m.zero, ok
	}
	if 8*(m.n+1) > 7*len(m.slots) {
		m.grow()
	}
	mask := uint64(len(m.slots) - 1)
	for i := (k * 0x9E3779B97F4A7C15) >> m.shift; ; i = (i + 1) & mask {
		s := &m.slots[i]
		if s.k == k {
			return &s.acc, true
		}
		if s.k == 0 {
			s.k = k
			m.n++
			return &s.acc, false
		}
	}
}

func (m *u64Map[ACC]) grow() {
	old := m.slots
	size := max(1024, 2*len(old))
	m.slots = make([]u64Slot[ACC], size)
	m.shift = uint(64 - bits.TrailingZeros(uint(size)))
	mask := uint64(size - 1)
	for _, s := range old {
		if s.k == 0 {
			continue
		}
		i := (s.k * 0x9E3779B97F4A7C15) >> m.shift
		for m.slots[i].k != 0 {
			i = (i + 1) & mask
		}
		m.slots[i] = s
	}
}

// reset empties m, keeping its slots.
func (m *u64Map[ACC]) reset() {
	clear(m.slots)
	var zero ACC
	m.zero, m.hasZero, m.n = zero, false, 0
}
