package task

import (
	"sync"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
)

// Inbox is the consumer side shared by all channels into one subtask: a
// one-slot signal that some channel has an event.
type Inbox struct {
	signal chan struct{}
}

// NewInbox returns an inbox.
func NewInbox() *Inbox { return &Inbox{signal: make(chan struct{}, 1)} }

func (ib *Inbox) notify() {
	select {
	case ib.signal <- struct{}{}:
	default:
	}
}

// Chan is a bounded FIFO of events from one producer subtask to one consumer
// subtask. Push blocks while it is full; that is the backpressure that
// travels back to the sources. Close wakes every blocked producer.
//
// Lock order: Chan.mu is a leaf lock; nothing else is locked while holding it.
type Chan struct {
	mu      sync.Mutex
	notFull *sync.Cond
	buf     []operator.Event
	head, n int
	closed  bool
	inbox   *Inbox
	clock   base.Clock
}

// NewChan returns a channel with room for capacity events.
func NewChan(capacity int, inbox *Inbox, clock base.Clock) *Chan {
	c := &Chan{buf: make([]operator.Event, capacity), inbox: inbox, clock: clock}
	c.notFull = sync.NewCond(&c.mu)
	return c
}

// Push implements operator.Channel.
func (c *Chan) Push(e operator.Event) int64 {
	c.mu.Lock()
	var waited int64
	if c.n == len(c.buf) && !c.closed {
		start := c.clock.Now()
		for c.n == len(c.buf) && !c.closed {
			c.notFull.Wait()
		}
		waited = int64(c.clock.Now().Sub(start))
	}
	if c.closed {
		c.mu.Unlock()
		panic(base.ErrCanceled)
	}
	c.buf[(c.head+c.n)%len(c.buf)] = e
	c.n++
	c.mu.Unlock()
	c.inbox.notify()
	return waited
}

// Poll removes the oldest event; ok is false when the channel is empty.
func (c *Chan) Poll() (e operator.Event, ok bool) {
	c.mu.Lock()
	if c.n == 0 {
		c.mu.Unlock()
		return e, false
	}
	e = c.buf[c.head]
	c.buf[c.head] = operator.Event{}
	c.head = (c.head + 1) % len(c.buf)
	wasFull := c.n == len(c.buf)
	c.n--
	c.mu.Unlock()
	if wasFull {
		c.notFull.Broadcast()
	}
	return e, true
}

// Len is the number of queued events (for the backpressure metric).
func (c *Chan) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Close makes every current and future Push panic with base.ErrCanceled.
func (c *Chan) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.notFull.Broadcast()
}
