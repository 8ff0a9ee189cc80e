package web

import (
	"context"
	"strconv"
	"sync"

	"github.com/stromio/strom/table"
)

// Feed is the live output of one query job (or the server's event
// stream): a ring of the latest JSON messages, each with a sequence
// number from 1. Publish never blocks on readers: a reader pulls from its
// own cursor, and one that fell more than the ring behind is told which
// messages it missed (a gap) and continues at the oldest kept message.
// Memory is bounded by the ring's length and byte budget.
type Feed struct {
	mu      sync.Mutex
	ring    [][]byte // ring[seq%len(ring)] holds message seq
	bytes   int      // bytes of the messages held
	maxB    int      // byte budget (the oldest are dropped above it)
	first   uint64   // oldest seq held (first > next-1: empty)
	next    uint64   // seq of the next message
	closed  bool
	final   []byte // the end message (nil: none yet)
	changed chan struct{}
	waiting bool       // a reader waits on changed
	tab     *table.Bag // a query job's result (NewResultFeed)
}

// Default sizes of a feed's ring.
const (
	DefaultFeedMessages = 4096
	DefaultFeedBytes    = 8 << 20
)

// NewFeed returns a feed keeping the latest n messages and at most
// maxBytes of them (0: the defaults).
func NewFeed(n, maxBytes int) *Feed {
	if n <= 0 {
		n = DefaultFeedMessages
	}
	if maxBytes <= 0 {
		maxBytes = DefaultFeedBytes
	}
	return &Feed{ring: make([][]byte, n), maxB: maxBytes, first: 1, next: 1, changed: make(chan struct{})}
}

// Publish appends a message. body is a JSON object; the feed inserts its
// sequence number as the first field "seq". It returns the sequence
// number (0 after Close: the message is dropped).
func (f *Feed) Publish(body []byte) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0
	}
	return f.publishLocked(body)
}

func (f *Feed) publishLocked(body []byte) uint64 {
	seq := f.next
	msg := make([]byte, 0, len(body)+24)
	msg = append(msg, `{"seq":`...)
	msg = strconv.AppendUint(msg, seq, 10)
	if len(body) > 2 {
		msg = append(msg, ',')
		msg = append(msg, body[1:]...)
	} else {
		msg = append(msg, '}')
	}
	n := uint64(len(f.ring))
	if seq-f.first >= n { // ring full: drop the oldest
		f.drop()
	}
	f.ring[seq%n] = msg
	f.bytes += len(msg)
	f.next++
	for f.bytes > f.maxB && f.first < f.next-1 {
		f.drop()
	}
	f.wake()
	return seq
}

func (f *Feed) drop() {
	n := uint64(len(f.ring))
	f.bytes -= len(f.ring[f.first%n])
	f.ring[f.first%n] = nil
	f.first++
}

func (f *Feed) wake() {
	if f.waiting {
		close(f.changed)
		f.changed = make(chan struct{})
		f.waiting = false
	}
}

// Close ends the feed: readers get the messages still held, then final
// (a JSON object such as {"end":"finished"}; nil for none) and the end.
func (f *Feed) Close(final []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.closed = true
	f.final = final
	f.wake()
}

// Gap says that the messages From..To (inclusive) were dropped before a
// reader got them.
type Gap struct {
	From uint64 `json:"from"`
	To   uint64 `json:"to"`
}

// Batch is what one Read returns.
type Batch struct {
	Gap      *Gap     // messages missed before Messages (nil: none)
	Messages [][]byte // in order, from the cursor on
	Next     uint64   // the cursor after them
	Ended    bool     // the feed is closed and everything was read
	Final    []byte   // the end message, with Ended
}

// Poll returns the messages from sequence number cursor on (at most max;
// cursor 0 is 1) without waiting; an empty batch means nothing new.
func (f *Feed) Poll(cursor uint64, max int) Batch {
	if cursor == 0 {
		cursor = 1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var b Batch
	if cursor < f.first {
		b.Gap = &Gap{From: cursor, To: f.first - 1}
		cursor = f.first
	}
	if cursor > f.next { // a cursor from an earlier life of the job (before a restart of the server)
		cursor = f.first
	}
	n := uint64(len(f.ring))
	for cursor < f.next && len(b.Messages) < max {
		b.Messages = append(b.Messages, f.ring[cursor%n])
		cursor++
	}
	b.Next = cursor
	if cursor == f.next && f.closed {
		b.Ended, b.Final = true, f.final
	}
	return b
}

// Empty reports whether b has nothing to deliver.
func (b Batch) Empty() bool { return b.Gap == nil && len(b.Messages) == 0 && !b.Ended }

// Read is Poll that waits until there is something, or ctx is done (then
// it returns ctx's error).
func (f *Feed) Read(ctx context.Context, cursor uint64, max int) (Batch, error) {
	for {
		b := f.Poll(cursor, max)
		if !b.Empty() {
			return b, nil
		}
		select {
		case <-f.Wait(b.Next):
		case <-ctx.Done():
			return b, ctx.Err()
		}
	}
}

// Wait returns a channel closed at the next change of the feed after
// cursor was read (for readers that also wait on something else).
func (f *Feed) Wait(cursor uint64) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cursor == 0 {
		cursor = 1
	}
	if cursor < f.first || cursor != f.next || f.closed {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	f.waiting = true
	return f.changed
}

// Last is the sequence number of the latest message (0: none yet).
func (f *Feed) Last() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.next - 1
}

// DefaultResultRows bounds the rows a query job's feed keeps materialised.
const DefaultResultRows = 100_000

// NewResultFeed is NewFeed for a query job's changes (PublishRow): next to
// the ring it keeps the result table the changelog describes, at most
// maxRows rows (0: DefaultResultRows), so a reader that connects late
// starts from the current rows (Snapshot) instead of a gap.
func NewResultFeed(n, maxBytes, maxRows int) *Feed {
	f := NewFeed(n, maxBytes)
	if maxRows <= 0 {
		maxRows = DefaultResultRows
	}
	f.tab = &table.Bag{Max: maxRows}
	return f
}

// PublishRow publishes a change {"op":op,"row":row} (row a JSON object)
// and, on a result feed, applies it to the table under the same lock
// (table.Bag: +I and +U add the row, -U and -D remove one equal row; equal
// JSON is an equal row).
func (f *Feed) PublishRow(op string, row []byte) uint64 {
	body := make([]byte, 0, len(row)+20)
	body = append(body, `{"op":"`...)
	body = append(body, op...)
	body = append(body, `","row":`...)
	body = append(body, row...)
	body = append(body, '}')
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0
	}
	if f.tab != nil {
		if k, ok := table.ParseRowKind(op); ok {
			f.tab.Apply(k, string(row))
		}
	}
	return f.publishLocked(body)
}

// Snapshot is the result table of a result feed: its rows (JSON objects,
// a row n times for n equal rows), the sequence number of the last change
// it reflects, and whether rows were left out (more than the bound). ok is
// false for a feed without a table.
func (f *Feed) Snapshot() (rows [][]byte, seq uint64, truncated, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tab == nil {
		return nil, 0, false, false
	}
	rows = make([][]byte, 0, f.tab.Len())
	f.tab.Each(func(r string) bool {
		rows = append(rows, []byte(r))
		return true
	})
	return rows, f.next - 1, f.tab.Truncated(), true
}
