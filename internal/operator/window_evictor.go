package operator

import (
	"time"

	"github.com/stromio/strom/internal/base"
)

// Evictor removes elements from a window's buffer before and/or after the
// window function runs, with Flink's semantics. A window with an evictor
// keeps every element (with its timestamp) in list state, since eviction
// needs them: incremental aggregation is then done at firing time.
//
// Like triggers, an evictor value is shared by every key, window and
// subtask and must keep no state of its own.
type Evictor interface {
	// EvictBefore is called before the window function.
	EvictBefore(e *Evictable)
	// EvictAfter is called after the window function.
	EvictAfter(e *Evictable)
}

// Evictable is the buffer of one window as an evictor sees it: elements in
// arrival order, each with its timestamp. Evicted elements are removed once
// the evictor returns. It is valid only during the call.
type Evictable struct {
	w       Window
	ts      []int64
	evicted []bool
	value   func(i int) any
	b       *Base
	n       int // evicted so far in this call
}

func (e *Evictable) reset(w Window, n int) {
	e.w = w
	e.ts = e.ts[:0]
	if cap(e.evicted) < n {
		e.evicted = make([]bool, n)
	}
	e.evicted = e.evicted[:n]
	clear(e.evicted)
	e.n = 0
}

// Window is the window being evaluated.
func (e *Evictable) Window() Window { return e.w }

// Len is the number of elements (including those evicted in this call).
func (e *Evictable) Len() int { return len(e.ts) }

// Timestamp is the timestamp of element i (base.MinTime if it has none).
func (e *Evictable) Timestamp(i int) int64 { return e.ts[i] }

// Value is element i, boxed (only evictors that inspect values pay for it).
func (e *Evictable) Value(i int) any { return e.value(i) }

// Evict removes element i.
func (e *Evictable) Evict(i int) {
	if !e.evicted[i] {
		e.evicted[i] = true
		e.n++
	}
}

// Evicted reports whether element i was evicted in this call.
func (e *Evictable) Evicted(i int) bool { return e.evicted[i] }

// CurrentWatermark is the operator's event-time watermark.
func (e *Evictable) CurrentWatermark() int64 { return e.b.WM }

// CurrentProcessingTime is the processing time in epoch milliseconds.
func (e *Evictable) CurrentProcessingTime() int64 { return e.b.RT.Clock.NowMillis() }

// CountEvictor keeps at most Max elements: the most recent ones, evicting
// from the front of the buffer. After evicts after the window function
// instead of before.
type CountEvictor struct {
	Max   int
	After bool
}

func (c CountEvictor) evict(e *Evictable) {
	for i := 0; i < e.Len()-c.Max; i++ {
		e.Evict(i)
	}
}

func (c CountEvictor) EvictBefore(e *Evictable) {
	if !c.After {
		c.evict(e)
	}
}

func (c CountEvictor) EvictAfter(e *Evictable) {
	if c.After {
		c.evict(e)
	}
}

// TimeEvictor keeps the elements whose timestamp is within Keep of the
// newest element's timestamp (evicting those with ts <= max - Keep), as
// Flink's TimeEvictor. Windows whose elements have no timestamps are left
// alone. After evicts after the window function instead of before.
type TimeEvictor struct {
	Keep  time.Duration
	After bool
}

func (t TimeEvictor) evict(e *Evictable) {
	maxTS := base.MinTime
	for i := range e.Len() {
		maxTS = max(maxTS, e.Timestamp(i))
	}
	if maxTS == base.MinTime {
		return
	}
	cutoff := maxTS - t.Keep.Milliseconds()
	for i := range e.Len() {
		if e.Timestamp(i) <= cutoff {
			e.Evict(i)
		}
	}
}

func (t TimeEvictor) EvictBefore(e *Evictable) {
	if !t.After {
		t.evict(e)
	}
}

func (t TimeEvictor) EvictAfter(e *Evictable) {
	if t.After {
		t.evict(e)
	}
}
