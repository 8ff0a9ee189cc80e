package operator

import (
	"container/heap"
	"encoding/binary"

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
	idx  int
}

// TimerQueue holds the timers of one time domain of one keyed operator,
// ordered by time (then registration order) and deduplicated on
// (key, namespace, time).
type TimerQueue struct {
	h    timerHeap
	set  map[string]*Timer
	seq  uint64
	sbuf []byte
}

func (q *TimerQueue) id(kg int, key, ns []byte, t int64) []byte {
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
		q.set = map[string]*Timer{}
	}
	id := q.id(kg, key, ns, t)
	if _, ok := q.set[string(id)]; ok {
		return
	}
	tm := &Timer{Time: t, KG: kg, Key: append([]byte(nil), key...), NS: append([]byte(nil), ns...), id: string(id)}
	q.set[tm.id] = tm
	q.seq++
	heap.Push(&q.h, tm)
}

// Delete removes a timer if present.
func (q *TimerQueue) Delete(kg int, key, ns []byte, t int64) {
	id := q.id(kg, key, ns, t)
	tm, ok := q.set[string(id)]
	if !ok {
		return
	}
	delete(q.set, tm.id)
	heap.Remove(&q.h, tm.idx)
}

// Next is the time of the earliest timer, base.MaxTime when empty.
func (q *TimerQueue) Next() int64 {
	if len(q.h) == 0 {
		return base.MaxTime
	}
	return q.h[0].Time
}

// PopDue removes and returns the earliest timer if its time is <= t.
func (q *TimerQueue) PopDue(t int64) *Timer {
	if len(q.h) == 0 || q.h[0].Time > t {
		return nil
	}
	tm := heap.Pop(&q.h).(*Timer)
	delete(q.set, tm.id)
	return tm
}

// Len is the number of pending timers.
func (q *TimerQueue) Len() int { return len(q.h) }

// All returns the pending timers in no particular order (for snapshots).
func (q *TimerQueue) All() []*Timer { return append([]*Timer(nil), q.h...) }

type timerHeap []*Timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].Time != h[j].Time {
		return h[i].Time < h[j].Time
	}
	return h[i].id < h[j].id
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*Timer)
	t.idx = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return t
}
