package operator

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
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
	Key  []byte // read-only views into the bucket's byte arena
	NS   []byte
	h    uint64 // timerHash(key, ns): its slot in the bucket's index
	dead bool   // deleted; registering it again revives it in place
}

// TimerQueue holds the timers of one time domain of one keyed operator,
// deduplicated on (key, namespace, time). Timers fire in order of time, and
// timers of equal time in order of key bytes, then namespace bytes, so the
// same input fires the same timers in the same order (DESIGN.md §5.3).
//
// Timers of one time share a bucket, and deduplication is per bucket: a
// timer is unique in its bucket by (key, namespace). Until a bucket starts
// firing, registering is an append plus an insert into the bucket's index
// (an open-addressing table of slice positions); when it starts firing it is
// sorted once and its index dropped (a timer registered or deleted in a
// firing bucket is found by binary search, and inserted in order). There is
// no queue-wide set: a timer fired is simply behind the bucket's position,
// a deleted timer is flagged dead where it stands (firing skips it by the
// flag, and registering it again revives it), and a bucket that fired to its
// end is dropped whole. The memory held is bounded by the live timers: a
// bucket whose last live timer is deleted is dropped at once, a bucket is
// compacted when most of it is dead, and the heap of times is rebuilt when
// most of its times are dropped.
type TimerQueue struct {
	times   []int64 // min-heap of times; a time without a bucket is dead
	buckets map[int64]*timerBucket
	// spare is the cleared slice and index of the last
	// bucket that fired to its end: the next new bucket starts with them
	// (window ends get about as many timers each), instead of growing them
	// from nothing.
	spare timerBucket
	// hint is the number of timers of the last bucket that fired to its
	// end: a new bucket that finds no spare starts with that capacity
	// while few times are pending (window ends: the next window's bucket
	// fills before the last one fires), not from nothing.
	hint int
	n    int
	sbuf []byte
}

type timerBucket struct {
	timers []Timer
	// idx is the index of an unsorted bucket: position+1 of a timer in
	// timers, 0 empty; linear probing from the hash's high bits, at most
	// half full. Dead timers keep their slot (they are revived in place).
	idx    []int32
	arena  []byte // the keys and namespaces of the timers, appended
	pos    int    // next timer to fire
	live   int    // live entries in timers[pos:]
	sorted bool
}

var timerSeed = maphash.MakeSeed()

// timerHashMask is all ones; tests narrow it to force hash collisions.
var timerHashMask = ^uint64(0)

// timerHash hashes a timer's key and namespace (the bucket is its time).
func (q *TimerQueue) timerHash(key, ns []byte) uint64 {
	b := binary.AppendUvarint(q.sbuf[:0], uint64(len(key)))
	b = append(b, key...)
	b = append(b, ns...)
	q.sbuf = b
	return maphash.Bytes(timerSeed, b) & timerHashMask
}

func (tm *Timer) is(h uint64, key, ns []byte) bool {
	return tm.h == h && bytes.Equal(tm.Key, key) && bytes.Equal(tm.NS, ns)
}

// timerCmp is the firing order of timers of one time.
func timerCmp(a *Timer, key, ns []byte) int {
	if c := bytes.Compare(a.Key, key); c != 0 {
		return c
	}
	return bytes.Compare(a.NS, ns)
}

func timerLess(a, b *Timer) bool { return timerCmp(a, b.Key, b.NS) < 0 }

// find returns the position of the timer (key, ns) in b, live or dead, or
// -1; in a sorted bucket only timers not fired yet are found.
func (b *timerBucket) find(h uint64, key, ns []byte) int {
	if b.sorted {
		rest := b.timers[b.pos:]
		i, ok := slices.BinarySearchFunc(rest, 0, func(tm Timer, _ int) int { return timerCmp(&tm, key, ns) })
		if ok {
			return b.pos + i
		}
		return -1
	}
	if len(b.idx) == 0 {
		return -1
	}
	mask := uint64(len(b.idx) - 1)
	for s := h >> 32 & mask; ; s = (s + 1) & mask {
		p := b.idx[s]
		if p == 0 {
			return -1
		}
		if tm := &b.timers[p-1]; tm.is(h, key, ns) {
			return int(p - 1)
		}
	}
}

// index puts position p (hash h) into an unsorted bucket's index.
func (b *timerBucket) index(p int, h uint64) {
	if 2*(p+1) > len(b.idx) {
		b.reindex(max(64, 2*len(b.idx), cap(b.idx)))
		return // reindex covered timers[:len(timers)], p included
	}
	mask := uint64(len(b.idx) - 1)
	s := h >> 32 & mask
	for b.idx[s] != 0 {
		s = (s + 1) & mask
	}
	b.idx[s] = int32(p + 1)
}

// reindex rebuilds the index of an unsorted bucket with size slots (a power
// of two, more than twice the timers).
func (b *timerBucket) reindex(size int) {
	for size < 2*len(b.timers) {
		size *= 2
	}
	if cap(b.idx) >= size {
		b.idx = b.idx[:size]
		clear(b.idx)
	} else {
		b.idx = make([]int32, size)
	}
	mask := uint64(size - 1)
	for p := range b.timers {
		s := b.timers[p].h >> 32 & mask
		for b.idx[s] != 0 {
			s = (s + 1) & mask
		}
		b.idx[s] = int32(p + 1)
	}
}

// store copies key and namespace into the bucket's arena and returns views
// of them. The arena grows by new chunks (up to 64 KiB) and a chunk is
// never reused: the views stay valid and unchanged for as long as anyone
// holds them (a state handle may keep a fired timer's namespace).
func (b *timerBucket) store(key, ns []byte) (k, n []byte) {
	need := len(key) + len(ns)
	if need == 0 {
		return []byte{}, []byte{}
	}
	if cap(b.arena)-len(b.arena) < need {
		b.arena = make([]byte, 0, max(need, min(64<<10, 2*cap(b.arena)), 256))
	}
	off := len(b.arena)
	b.arena = append(b.arena, key...)
	b.arena = append(b.arena, ns...)
	return b.arena[off : off+len(key) : off+len(key)], b.arena[off+len(key) : off+need : off+need]
}

// Register adds a timer; registering the same (key, ns, time) twice is a no-op.
func (q *TimerQueue) Register(kg int, key, ns []byte, t int64) {
	if q.buckets == nil {
		q.buckets = map[int64]*timerBucket{}
	}
	h := q.timerHash(key, ns)
	b := q.buckets[t]
	if b == nil {
		b = &timerBucket{timers: q.spare.timers, idx: q.spare.idx}
		q.spare = timerBucket{}
		if b.timers == nil && q.hint > 0 && len(q.buckets) < 4 {
			b.timers = make([]Timer, 0, q.hint)
			if b.idx == nil {
				b.idx = make([]int32, 0, max(64, 1<<bits.Len(uint(2*q.hint-1))))
			}
		}
		q.buckets[t] = b
		q.pushTime(t)
	} else if p := b.find(h, key, ns); p >= 0 {
		if tm := &b.timers[p]; tm.dead {
			tm.dead = false
			b.live++
			q.n++
		}
		return
	}
	q.n++
	b.live++
	k, n := b.store(key, ns)
	tm := Timer{Time: t, KG: kg, Key: k, NS: n, h: h}
	if !b.sorted {
		b.timers = append(b.timers, tm)
		b.index(len(b.timers)-1, h)
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
	b := q.buckets[t]
	if b == nil {
		return
	}
	p := b.find(q.timerHash(key, ns), key, ns)
	if p < 0 || b.timers[p].dead {
		return
	}
	b.timers[p].dead = true
	q.n--
	b.live--
	if b.live == 0 {
		// Dropped at once; its time stays in the heap as a dead time.
		delete(q.buckets, t)
		q.compactTimes()
		return
	}
	if dead := len(b.timers) - b.pos - b.live; dead > 32 && dead > 2*b.live {
		b.compact()
	}
}

// compact keeps only the live timers not fired yet, in new memory (PopDue's
// caller may still hold a pointer into the old slice).
func (b *timerBucket) compact() {
	old := b.timers[b.pos:]
	b.timers, b.arena, b.pos = make([]Timer, 0, b.live), nil, 0
	for i := range old {
		if tm := old[i]; !tm.dead {
			tm.Key, tm.NS = b.store(tm.Key, tm.NS)
			b.timers = append(b.timers, tm)
		}
	}
	b.idx = nil
	if !b.sorted {
		b.reindex(64)
	}
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
// The returned timer is read-only, and valid until the next call.
func (q *TimerQueue) PopDue(t int64) *Timer {
	for q.dropDead(); len(q.times) > 0 && q.times[0] <= t; q.dropDead() {
		b := q.buckets[q.times[0]]
		if !b.sorted {
			slices.SortFunc(b.timers[b.pos:], func(x, y Timer) int { return timerCmp(&x, y.Key, y.NS) })
			b.sorted = true
			if cap(b.idx) > cap(q.spare.idx) {
				q.spare.idx = b.idx[:0]
			}
			b.idx = nil
		}
		for b.pos < len(b.timers) {
			tm := &b.timers[b.pos]
			b.pos++
			if !tm.dead {
				q.n--
				b.live--
				return tm
			}
		}
		delete(q.buckets, q.times[0])
		q.popTime()
		q.hint = len(b.timers)
		// Every timer of b was returned, the last one before this call
		// (which ends the caller's use of it): its memory can be reused.
		if cap(b.timers) > cap(q.spare.timers) {
			clear(b.timers)
			q.spare.timers = b.timers[:0]
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
			if !b.timers[i].dead {
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
// bucket starts firing; a revived timer keeps its first place). It is
// cheaper than All (no sort of every timer); a checkpoint uses it, since
// restore re-registers the timers and their firing order never depends on
// the order they were registered in. fn must not modify the queue or keep tm.
func (q *TimerQueue) Each(fn func(tm *Timer)) {
	q.eachBucket(func(_ int64, timers []Timer) {
		for i := range timers {
			if !timers[i].dead {
				fn(&timers[i])
			}
		}
	})
}

// eachBucket calls fn with the timers not fired yet of every time holding
// a live one, in order of time: Each's order, dead timers included (fn
// skips them). fn must not modify the queue or keep timers.
func (q *TimerQueue) eachBucket(fn func(t int64, timers []Timer)) {
	times := make([]int64, 0, len(q.buckets))
	for t, b := range q.buckets {
		if b.live > 0 {
			times = append(times, t)
		}
	}
	slices.Sort(times)
	for _, t := range times {
		b := q.buckets[t]
		fn(t, b.timers[b.pos:])
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
