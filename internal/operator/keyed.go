package operator

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"sort"
	"unsafe"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/state"
)

// KeyContext is the current key of a keyed operator: state handles and timer
// registrations read it. The operator sets it before calling user code.
type KeyContext struct {
	Key     []byte // serialized current key
	KG      int    // its key group
	Backend state.Backend
	Clock   base.Clock

	ttl     []*ttlCursor // one per table whose values carry a TTL prefix
	ops     int          // accesses since the last cleanup step
	expired [][]byte
}

// ttlCursor is where the incremental TTL cleanup of one table stands: a key
// group and a snapshot of its keys, walked a few keys per step.
type ttlCursor struct {
	t    state.Table
	kg   int
	keys []string
	pos  int
}

// The incremental TTL cleanup visits ttlCleanupKeys keys of every TTL table
// once per ttlCleanupEvery keyed records: a fixed cost per record whatever
// the size of the state (Flink's incremental cleanup visits a few entries
// per state access in the same way).
const (
	ttlCleanupEvery = 256
	ttlCleanupKeys  = 64
)

func (kc *KeyContext) addTTLTable(t state.Table) {
	for _, c := range kc.ttl {
		if c.t == t {
			return
		}
	}
	kc.ttl = append(kc.ttl, &ttlCursor{t: t, kg: -1})
}

// hashKey is base.HashKey(kc.Key), computed by the heap backend when it
// is one: its lookups of this key then use the hash instead of hashing the
// key again.
func (kc *KeyContext) hashKey() uint64 {
	if h, ok := kc.Backend.(*state.Heap); ok {
		return h.HashKey(kc.Key)
	}
	return base.HashKey(kc.Key)
}

// Touch counts one keyed record and runs an incremental TTL cleanup step
// every ttlCleanupEvery records, so expired entries go away even when no one
// reads them again.
func (kc *KeyContext) Touch() {
	if len(kc.ttl) == 0 {
		return
	}
	kc.ops++
	if kc.ops >= ttlCleanupEvery {
		kc.ops = 0
		kc.CleanupStep()
	}
}

// CleanupStep visits the next ttlCleanupKeys keys of every TTL table and
// removes their expired entries. Moving to the next key group counts as a
// visit, so a step is bounded even when most key groups are empty.
func (kc *KeyContext) CleanupStep() {
	r := kc.Backend.KeyGroups()
	if r.Len() == 0 {
		return
	}
	now := kc.Clock.NowMillis()
	for _, c := range kc.ttl {
		for budget := ttlCleanupKeys; budget > 0; budget-- {
			if c.pos >= len(c.keys) {
				c.kg++
				if !r.Contains(c.kg) {
					c.kg = r.Start
				}
				clear(c.keys) // let the old snapshot's strings go
				c.keys, c.pos = c.t.GroupKeys(c.kg, c.keys[:0]), 0
				continue
			}
			k := c.keys[c.pos]
			c.pos++
			key := unsafe.Slice(unsafe.StringData(k), len(k)) // read-only
			kc.expired = kc.expired[:0]
			c.t.ScanKey(c.kg, key, func(sub, value []byte) bool {
				if len(value) >= 8 && int64(binary.BigEndian.Uint64(value)) <= now {
					kc.expired = append(kc.expired, append([]byte(nil), sub...))
				}
				return true
			})
			for _, sub := range kc.expired {
				c.t.Delete(c.kg, key, sub)
			}
		}
	}
}

// Keying extracts, serializes and hashes keys of records of type T.
type Keying[T, K any] struct {
	Fn     func(T) K
	Codec  codec.Codec[K]
	MaxPar int
	buf    []byte
}

// SetKey makes v's key current in kc and returns it.
func (k *Keying[T, K]) SetKey(kc *KeyContext, v T) K {
	key := k.Fn(v)
	kc.Key = k.Codec.Append(kc.Key[:0], key)
	kc.KG = base.KeyGroupOf(kc.hashKey(), k.MaxPar)
	return key
}

// KeyGroupFunc returns func(T) int for hash partitioning. Each call returns a
// function with its own scratch buffer (writers run on other goroutines).
func KeyGroupFunc[T, K any](fn func(T) K, c codec.Codec[K], maxPar int) func(T) int {
	var buf []byte
	return func(v T) int {
		buf = c.Append(buf[:0], fn(v))
		return base.KeyGroupOf(base.HashKey(buf), maxPar)
	}
}

// Timer is a registered timer of a keyed operator.
type Timer struct {
	Time int64
	KG   int
	Key  []byte
	NS   []byte
	id   string // Key and NS are views into its bytes
	h    uint64 // timerHash(id)
	seq  uint64 // registration number: the entry is live while its set entry has seq
}

// TimerQueue holds the timers of one time domain of one keyed operator,
// deduplicated on (key, namespace, time). Timers fire in order of time, and
// timers of equal time in order of key bytes, then namespace bytes, so the
// same input fires the same timers in the same order (DESIGN.md §5.3).
//
// Timers of one time share a bucket: registering is an append (windows put
// thousands of keys on the same time), and a bucket is sorted once when it
// starts firing; a timer registered into a firing bucket is inserted in
// order. Deletion leaves a dead entry that is skipped, but the memory held is
// bounded by the live timers: a bucket whose last live timer is deleted is
// dropped at once, a bucket's slice is compacted when most of it is dead, and
// the heap of times is rebuilt when most of its times are dropped.
type TimerQueue struct {
	times   []int64 // min-heap of times; a time without a bucket is dead
	buckets map[int64]*timerBucket
	// set holds the live timers by the hash of their id (no string is
	// hashed or compared to find a timer that is live); over holds those
	// whose hash was taken in set by another live id when registered.
	set  map[uint64]liveTimer
	over map[string]liveTimer
	// spare is the cleared slice of the last bucket that fired to its end:
	// the next new bucket appends into it (window ends get about as many
	// timers each), instead of growing a slice from nothing.
	spare []Timer
	n     int
	seq   uint64
	sbuf  []byte
}

type liveTimer struct {
	id  string
	seq uint64
	b   *timerBucket
}

var timerSeed = maphash.MakeSeed()

// timerHashMask is all ones; tests narrow it to force hash collisions.
var timerHashMask = ^uint64(0)

func timerHash(id []byte) uint64 { return maphash.Bytes(timerSeed, id) & timerHashMask }

// find returns the live timer with id (hash h); taken reports whether set
// has an entry for h (of this id or another).
func (q *TimerQueue) find(id []byte, h uint64) (lt liveTimer, ok, taken bool) {
	lt, taken = q.set[h]
	if taken && lt.id == string(id) {
		return lt, true, true
	}
	if len(q.over) > 0 {
		lt, ok = q.over[string(id)]
		return lt, ok, taken
	}
	return liveTimer{}, false, taken
}

// bytesOf is a read-only view of s[off:off+n]; an empty one does not point
// into s (s[off:] may be the end of its allocation: the GC must never see
// such a pointer).
func bytesOf(s string, off, n int) []byte {
	if n == 0 {
		return []byte{}
	}
	return unsafe.Slice(unsafe.StringData(s[off:off+n]), n)
}

// forget removes the live registration seq of id (hash h).
func (q *TimerQueue) forget(id string, h, seq uint64) {
	if lt, ok := q.set[h]; ok && lt.seq == seq {
		delete(q.set, h)
		return
	}
	delete(q.over, id)
}

type timerBucket struct {
	timers []Timer
	pos    int // next timer to fire
	live   int // live entries in timers[pos:]
	sorted bool
}

func (q *TimerQueue) id(key, ns []byte, t int64) []byte {
	b := q.sbuf[:0]
	b = binary.BigEndian.AppendUint64(b, uint64(t))
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	b = append(b, ns...)
	q.sbuf = b
	return b
}

// timerLess is the firing order of timers of one time.
func timerLess(a, b *Timer) bool {
	if c := bytes.Compare(a.Key, b.Key); c != 0 {
		return c < 0
	}
	return bytes.Compare(a.NS, b.NS) < 0
}

// Register adds a timer; registering the same (key, ns, time) twice is a no-op.
func (q *TimerQueue) Register(kg int, key, ns []byte, t int64) {
	if q.set == nil {
		q.set = map[uint64]liveTimer{}
		q.buckets = map[int64]*timerBucket{}
	}
	id := q.id(key, ns, t)
	h := timerHash(id)
	_, ok, taken := q.find(id, h)
	if ok {
		return
	}
	// One allocation: the id, whose tail is key then namespace.
	sid := string(id)
	off := len(id) - len(key) - len(ns)
	q.seq++
	q.n++
	tm := Timer{Time: t, KG: kg, Key: bytesOf(sid, off, len(key)), NS: bytesOf(sid, off+len(key), len(ns)),
		id: sid, h: h, seq: q.seq}
	b := q.buckets[t]
	if b == nil {
		b = &timerBucket{timers: q.spare}
		q.spare = nil
		q.buckets[t] = b
		q.pushTime(t)
	}
	if lt := (liveTimer{id: sid, seq: q.seq, b: b}); taken {
		if q.over == nil {
			q.over = map[string]liveTimer{}
		}
		q.over[sid] = lt
	} else {
		q.set[h] = lt
	}
	b.live++
	if !b.sorted {
		b.timers = append(b.timers, tm)
		return
	}
	// The bucket is firing: insert among the timers not fired yet. The
	// slots before pos are left alone (the caller may hold the last one).
	rest := b.timers[b.pos:]
	i := b.pos + sort.Search(len(rest), func(i int) bool { return timerLess(&tm, &rest[i]) })
	b.timers = append(b.timers, Timer{})
	copy(b.timers[i+1:], b.timers[i:])
	b.timers[i] = tm
}

// Delete removes a timer if present.
func (q *TimerQueue) Delete(kg int, key, ns []byte, t int64) {
	id := q.id(key, ns, t)
	h := timerHash(id)
	lt, ok, _ := q.find(id, h)
	if !ok {
		return
	}
	q.forget(lt.id, h, lt.seq)
	q.n--
	b := lt.b
	b.live--
	if b.live == 0 {
		// Dropped at once; its time stays in the heap as a dead time.
		if q.buckets[t] == b {
			delete(q.buckets, t)
		}
		q.compactTimes()
		return
	}
	if dead := len(b.timers) - b.pos - b.live; dead > 32 && dead > 2*b.live {
		// A new slice: PopDue's caller may still hold a pointer into the old one.
		keep := make([]Timer, 0, b.live)
		for i := b.pos; i < len(b.timers); i++ {
			if q.live(&b.timers[i]) {
				keep = append(keep, b.timers[i])
			}
		}
		b.timers, b.pos = keep, 0
	}
}

func (q *TimerQueue) live(tm *Timer) bool {
	if lt, ok := q.set[tm.h]; ok && lt.seq == tm.seq {
		return true
	}
	if len(q.over) > 0 {
		lt, ok := q.over[tm.id]
		return ok && lt.seq == tm.seq
	}
	return false
}

// compactTimes rebuilds the heap of times when dead times dominate it.
func (q *TimerQueue) compactTimes() {
	if len(q.times) <= 2*len(q.buckets)+16 {
		return
	}
	q.times = q.times[:0]
	for t := range q.buckets {
		q.times = append(q.times, t)
	}
	slices.Sort(q.times) // a sorted slice is a min-heap
}

// dropDead pops dead times off the top of the heap.
func (q *TimerQueue) dropDead() {
	for len(q.times) > 0 && q.buckets[q.times[0]] == nil {
		q.popTime()
	}
}

// Next is the time of the earliest live timer, base.MaxTime when empty.
func (q *TimerQueue) Next() int64 {
	q.dropDead()
	if q.n == 0 || len(q.times) == 0 {
		return base.MaxTime
	}
	return q.times[0]
}

// PopDue removes and returns the earliest live timer if its time is <= t.
// The returned timer is read-only.
func (q *TimerQueue) PopDue(t int64) *Timer {
	for q.dropDead(); len(q.times) > 0 && q.times[0] <= t; q.dropDead() {
		b := q.buckets[q.times[0]]
		if !b.sorted {
			rest := b.timers[b.pos:]
			sort.Slice(rest, func(i, j int) bool { return timerLess(&rest[i], &rest[j]) })
			b.sorted = true
		}
		for b.pos < len(b.timers) {
			tm := &b.timers[b.pos]
			b.pos++
			if q.live(tm) {
				q.forget(tm.id, tm.h, tm.seq)
				q.n--
				b.live--
				return tm
			}
		}
		delete(q.buckets, q.times[0])
		q.popTime()
		// Every timer of b was returned, the last one before this call
		// (which ends the caller's use of it): its slice can be reused.
		if cap(b.timers) > cap(q.spare) {
			clear(b.timers)
			q.spare = b.timers[:0]
		}
	}
	return nil
}

// Len is the number of pending timers.
func (q *TimerQueue) Len() int { return q.n }

// All returns the pending timers in firing order (for snapshots).
func (q *TimerQueue) All() []*Timer {
	out := make([]*Timer, 0, q.n)
	for _, b := range q.buckets {
		for i := b.pos; i < len(b.timers); i++ {
			if q.live(&b.timers[i]) {
				out = append(out, &b.timers[i])
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Time != out[j].Time {
			return out[i].Time < out[j].Time
		}
		return timerLess(out[i], out[j])
	})
	return out
}

// Each calls fn for every pending timer: in order of time, and timers of
// one time in the order they are stored (registration order until the
// bucket starts firing). It is cheaper than All (no sort of every timer);
// a checkpoint uses it, since restore re-registers the timers and their
// firing order never depends on the order they were registered in. fn must
// not modify the queue or keep tm.
func (q *TimerQueue) Each(fn func(tm *Timer)) {
	times := make([]int64, 0, len(q.buckets))
	for t, b := range q.buckets {
		if b.live > 0 {
			times = append(times, t)
		}
	}
	slices.Sort(times)
	for _, t := range times {
		b := q.buckets[t]
		for i := b.pos; i < len(b.timers); i++ {
			if q.live(&b.timers[i]) {
				fn(&b.timers[i])
			}
		}
	}
}

func (q *TimerQueue) pushTime(t int64) {
	h := append(q.times, t)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p] <= h[i] {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	q.times = h
}

func (q *TimerQueue) popTime() {
	h := q.times
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		c := l
		if r := l + 1; r < n && h[r] < h[l] {
			c = r
		}
		if h[i] <= h[c] {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
	q.times = h
}
