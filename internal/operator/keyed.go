package operator

import (
	"encoding/binary"
	"sort"

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

	ttlTables []state.Table // tables whose values carry a TTL prefix
	cleanKG   int           // next key group of the incremental TTL cleanup
	ops       int           // accesses since the last cleanup step
	expired   [][2][]byte
}

// ttlCleanupEvery is the number of keyed records between two incremental
// TTL cleanup steps; each step scans one key group of every TTL table.
const ttlCleanupEvery = 1024

// Touch counts one keyed record and runs an incremental TTL cleanup step
// every ttlCleanupEvery records, so expired entries go away even when no one
// reads them again (Flink's incremental cleanup).
func (kc *KeyContext) Touch() {
	if len(kc.ttlTables) == 0 {
		return
	}
	kc.ops++
	if kc.ops >= ttlCleanupEvery {
		kc.ops = 0
		kc.CleanupStep()
	}
}

// CleanupStep removes the expired entries of one key group of every TTL
// table and moves on to the next key group.
func (kc *KeyContext) CleanupStep() {
	r := kc.Backend.KeyGroups()
	if r.Len() == 0 {
		return
	}
	if !r.Contains(kc.cleanKG) {
		kc.cleanKG = r.Start
	}
	kg := kc.cleanKG
	kc.cleanKG++
	now := kc.Clock.NowMillis()
	for _, t := range kc.ttlTables {
		kc.expired = kc.expired[:0]
		t.ScanGroup(kg, func(key, sub, value []byte) bool {
			if len(value) >= 8 && int64(binary.BigEndian.Uint64(value)) <= now {
				kc.expired = append(kc.expired, [2][]byte{append([]byte(nil), key...), append([]byte(nil), sub...)})
			}
			return true
		})
		for _, e := range kc.expired {
			t.Delete(kg, e[0], e[1])
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
	kc.KG = base.KeyGroupOf(base.HashKey(kc.Key), k.MaxPar)
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
	id   string
}

// TimerQueue holds the timers of one time domain of one keyed operator,
// deduplicated on (key, namespace, time). Timers fire in order of time, and
// timers of equal time in order of (key, namespace) bytes, so the same input
// fires the same timers in the same order.
//
// Timers of one time share a bucket: registering is an append (windows put
// thousands of keys on the same time), and a bucket is sorted once when it
// starts firing. Deletion is lazy: a deleted timer leaves the dedup set and
// is skipped when its bucket fires.
type TimerQueue struct {
	times   []int64 // min-heap of the times that have a bucket
	buckets map[int64]*timerBucket
	set     map[string]struct{}
	n       int
	sbuf    []byte
}

type timerBucket struct {
	timers []Timer
	pos    int // next timer to fire
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

// Register adds a timer; registering the same (key, ns, time) twice is a no-op.
func (q *TimerQueue) Register(kg int, key, ns []byte, t int64) {
	if q.set == nil {
		q.set = map[string]struct{}{}
		q.buckets = map[int64]*timerBucket{}
	}
	id := q.id(key, ns, t)
	if _, ok := q.set[string(id)]; ok {
		return
	}
	sid := string(id)
	q.set[sid] = struct{}{}
	q.n++
	kn := make([]byte, len(key)+len(ns))
	copy(kn, key)
	copy(kn[len(key):], ns)
	tm := Timer{Time: t, KG: kg, Key: kn[:len(key):len(key)], NS: kn[len(key):], id: sid}
	b := q.buckets[t]
	if b == nil {
		b = &timerBucket{}
		q.buckets[t] = b
		q.pushTime(t)
	}
	b.timers = append(b.timers, tm)
}

// Delete removes a timer if present.
func (q *TimerQueue) Delete(kg int, key, ns []byte, t int64) {
	id := q.id(key, ns, t)
	if _, ok := q.set[string(id)]; ok {
		delete(q.set, string(id))
		q.n--
	}
}

// Next is the time of the earliest bucket, base.MaxTime when empty. A bucket
// whose timers were all deleted still counts until PopDue drains it.
func (q *TimerQueue) Next() int64 {
	if q.n == 0 || len(q.times) == 0 {
		return base.MaxTime
	}
	return q.times[0]
}

// PopDue removes and returns the earliest live timer if its time is <= t.
// The returned timer is read-only.
func (q *TimerQueue) PopDue(t int64) *Timer {
	for len(q.times) > 0 && q.times[0] <= t {
		b := q.buckets[q.times[0]]
		if !b.sorted {
			rest := b.timers[b.pos:]
			sort.Slice(rest, func(i, j int) bool { return rest[i].id < rest[j].id })
			b.sorted = true
		}
		for b.pos < len(b.timers) {
			tm := &b.timers[b.pos]
			b.pos++
			if _, ok := q.set[tm.id]; ok {
				delete(q.set, tm.id)
				q.n--
				return tm
			}
		}
		delete(q.buckets, q.times[0])
		q.popTime()
	}
	return nil
}

// Len is the number of pending timers.
func (q *TimerQueue) Len() int { return q.n }

// All returns the pending timers in firing order (for snapshots).
func (q *TimerQueue) All() []*Timer {
	var out []*Timer
	seen := make(map[string]bool, q.n)
	for _, b := range q.buckets {
		for i := b.pos; i < len(b.timers); i++ {
			// A timer deleted and registered again appears twice in its bucket.
			if id := b.timers[i].id; !seen[id] {
				if _, ok := q.set[id]; ok {
					seen[id] = true
					out = append(out, &b.timers[i])
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Time != out[j].Time {
			return out[i].Time < out[j].Time
		}
		return out[i].id < out[j].id
	})
	return out
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
