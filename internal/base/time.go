package base

import (
	"math"
	"sort"
	"sync"
	"time"
)

// Timestamps are epoch milliseconds.
const (
	// MinTime is "no timestamp" for records and the initial watermark.
	MinTime int64 = math.MinInt64
	// MaxTime is the watermark at the end of a bounded input.
	MaxTime int64 = math.MaxInt64
)

// Clock is the source of processing time. Task, operator and checkpoint code
// must use it instead of the time package so that tests are deterministic.
type Clock interface {
	// NowMillis returns processing time in epoch milliseconds.
	NowMillis() int64
	// Now returns processing time with full precision (for metrics).
	Now() time.Time
	// After returns a channel that receives once processing time reached
	// now+d, and a function that releases the timer early.
	After(d time.Duration) (<-chan struct{}, func())
}

// SystemClock is the wall clock.
type SystemClock struct{}

func (SystemClock) NowMillis() int64 { return time.Now().UnixMilli() }
func (SystemClock) Now() time.Time   { return time.Now() }
func (SystemClock) After(d time.Duration) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	t := time.AfterFunc(d, func() { close(ch) })
	return ch, func() { t.Stop() }
}

// ManualClock is a clock that moves only when Advance or Set is called. It is
// safe for concurrent use.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []manualTimer
}

type manualTimer struct {
	at time.Time
	ch chan struct{}
}

// NewManualClock returns a clock standing at start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{now: start} }

func (c *ManualClock) NowMillis() int64 { return c.Now().UnixMilli() }

func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *ManualClock) After(d time.Duration) (<-chan struct{}, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	at := c.now.Add(d)
	if d <= 0 {
		close(ch)
		return ch, func() {}
	}
	c.timers = append(c.timers, manualTimer{at: at, ch: ch})
	stop := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, t := range c.timers {
			if t.ch == ch {
				c.timers = append(c.timers[:i], c.timers[i+1:]...)
				return
			}
		}
	}
	return ch, stop
}

// Advance moves the clock forward by d and fires the timers that became due.
func (c *ManualClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Set moves the clock to t (never backwards) and fires due timers.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	sort.Slice(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
	n := 0
	for _, tm := range c.timers {
		if !tm.at.After(c.now) {
			close(tm.ch)
			continue
		}
		c.timers[n] = tm
		n++
	}
	c.timers = c.timers[:n]
}
