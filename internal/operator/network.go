package operator

import (
	"sync"

	"github.com/stromio/strom/internal/base"
)

// EventKind tells what travels in an Event between subtasks.
type EventKind uint8

const (
	// EventBatch carries a *Batch[T] of records.
	EventBatch EventKind = iota
	// EventWatermark carries a watermark in Time.
	EventWatermark
	// EventIdle says the sending channel has no data for now: it is left out
	// of the receiver's watermark until it sends again.
	EventIdle
	// EventEnd says the sending subtask finished; nothing follows.
	EventEnd
	// EventLatency is a latency marker: Time is the wall-clock time (Unix
	// nanoseconds) at which a source emitted it. Markers travel behind the
	// records before them and are measured where the data leaves the job,
	// as Flink's latency markers are.
	EventLatency
	// EventBarrier is a checkpoint barrier: Time is the checkpoint id. It
	// separates the records that belong to the checkpoint from those after.
	EventBarrier
)

// Event is the unit on a channel between two subtasks.
type Event struct {
	Kind  EventKind
	Time  int64
	Batch any
}

// Channel is the sending end of a bounded channel to one downstream subtask.
// Push blocks while the channel is full (that is backpressure) and returns
// the nanoseconds it waited. After the job was canceled, Push panics with
// base.ErrCanceled, which the task loop recovers.
type Channel interface {
	Push(e Event) (waitedNanos int64)
}

// Batch is a slice of records with their timestamps, the unit of transfer.
type Batch[T any] struct {
	TS   []int64
	V    []T
	pool *sync.Pool
	// rec: the writer's Recycler (UseRecycler), which takes the records
	// back once the receiver is done with them; nil: none.
	rec Recycler[T]
}

// Release returns the batch to its writer's pool once the receiver is done.
func (b *Batch[T]) Release() {
	clear(b.V)
	b.TS = b.TS[:0]
	b.V = b.V[:0]
	b.rec = nil
	if b.pool != nil {
		b.pool.Put(b)
	}
}

// Recycler takes back records that crossed a channel between subtasks once
// the receiving operators are done with them (a table.Row's Fields array:
// the record's own memory, never what its values refer to), for the
// sender to build records in again. Recycle is called on the receiver's
// goroutine, several receivers' at once when the edge has several
// channels; vs is valid only during the call.
type Recycler[T any] interface {
	Recycle(vs []T)
}

// UseRecycler attaches a Recycler to c when c is a Writer to other
// subtasks that sends each record to one of them (not Broadcast), and
// returns it: the one attached before if any, else newRec's. nil when c
// is anything else (the records stay where they go).
//
// The caller promises that every record that reaches c is memory of its
// own that it does not read or write once emitted (it builds each in a
// fresh array, or in one the Recycler gave back): the receivers hand a
// record to the Recycler only when the operators that get it are done
// with it (Releaser), and the sender then writes into it.
func UseRecycler[T any](c Collector[T], newRec func() Recycler[T]) Recycler[T] {
	w, ok := c.(*Writer[T])
	if !ok || w.mode == Broadcast {
		return nil
	}
	if w.rec == nil {
		w.rec = newRec()
	}
	return w.rec
}

// SideRecycler is UseRecycler for the side output tag of the operator of
// ctx: nil when the side output is not consumed or is not a Writer.
func SideRecycler[T any](ctx *Context, tag string, newRec func() Recycler[T]) Recycler[T] {
	out, ok := ctx.b.RT.Sides[tag]
	if !ok {
		return nil
	}
	c, ok := out.(Collector[T])
	if !ok {
		return nil
	}
	return UseRecycler(c, newRec)
}

// Partitioning chooses the downstream subtask of each record.
type Partitioning uint8

const (
	// Forward sends to the subtask of the same index (equal parallelism).
	Forward Partitioning = iota
	// Rebalance sends round robin.
	Rebalance
	// Hash sends by key group.
	Hash
	// Broadcast sends every record to every subtask.
	Broadcast
)

func (p Partitioning) String() string {
	return [...]string{"FORWARD", "REBALANCE", "HASH", "BROADCAST"}[p]
}

// DefaultBatchSize is the number of records per batch between subtasks.
const DefaultBatchSize = 512

// Writer batches the records of one output edge into its channels.
type Writer[T any] struct {
	chans     []Channel
	bufs      []*Batch[T]
	mode      Partitioning
	keyGroup  func(T) int
	maxPar    int
	rr        int
	batchSize int
	pool      sync.Pool
	metrics   *Metrics
	marker    int
	// active: the receivers have seen a batch or a watermark since the
	// last EventIdle, so they count this channel as active again.
	active bool
	// held[i]: the calls of FlushHeld that found channel i's batch not
	// empty since it was last pushed.
	held []int
	// rec: the Recycler the batches carry to the receivers (UseRecycler).
	rec Recycler[T]
}

// EdgeWriter is the untyped side of a Writer that the task loop uses.
type EdgeWriter interface {
	// Flush pushes every non-empty batch.
	Flush()
	// FlushHeld pushes every batch that was not empty at n×k calls of it
	// in a row, so that a channel that gets few records holds them for a
	// bounded number of calls. k is the number of channels when the
	// records are split among them (Hash, Rebalance: a channel gets about
	// 1/k of them, and a batch of an output that receives every record
	// is still full when pushed, for calls of at least batchSize/n
	// records each), else 1 (Forward, Broadcast). n = 1 and one channel:
	// every non-empty batch.
	FlushHeld(n int)
	// Emit flushes and then sends e (a watermark, idle or end) to every channel.
	Emit(e Event)
	// EmitOne flushes one channel (round robin) and sends e there (latency
	// markers, which sample one path each).
	EmitOne(e Event)
	// Active reports whether a batch or a watermark went out since the last
	// EventIdle: a receiver treats either as "this channel is active again",
	// so an idle sender must announce IDLE once more.
	Active() bool
}

// NewWriter returns a writer over chans. keyGroup is required for Hash.
func NewWriter[T any](chans []Channel, mode Partitioning, keyGroup func(T) int, maxPar, batchSize int, m *Metrics) *Writer[T] {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	// active from the start: a receiver counts every channel as active
	// until it says otherwise, so a subtask that is idle before it ever
	// sends anything (a source subtask without a split) must announce it.
	w := &Writer[T]{chans: chans, bufs: make([]*Batch[T], len(chans)), mode: mode,
		keyGroup: keyGroup, maxPar: maxPar, batchSize: batchSize, metrics: m, active: true,
		held: make([]int, len(chans))}
	w.pool.New = func() any {
		return &Batch[T]{TS: make([]int64, 0, w.batchSize), V: make([]T, 0, w.batchSize), pool: &w.pool}
	}
	for i := range w.bufs {
		w.bufs[i] = w.pool.Get().(*Batch[T])
	}
	return w
}

func (w *Writer[T]) Collect(ts int64, v T) {
	switch w.mode {
	case Forward:
		w.add(0, ts, v)
	case Rebalance:
		w.rr++
		if w.rr >= len(w.chans) {
			w.rr = 0
		}
		w.add(w.rr, ts, v)
	case Hash:
		if len(w.chans) == 1 {
			// One receiver owns every key group (SubtaskFor is 0): the
			// key and its hash are not needed here (the keyed operator
			// computes its own).
			w.add(0, ts, v)
			return
		}
		kg := w.keyGroup(v)
		w.add(base.SubtaskFor(kg, w.maxPar, len(w.chans)), ts, v)
	case Broadcast:
		for i := range w.chans {
			w.add(i, ts, v)
		}
	}
}

func (w *Writer[T]) add(i int, ts int64, v T) {
	b := w.bufs[i]
	b.TS = append(b.TS, ts)
	b.V = append(b.V, v)
	if len(b.V) >= w.batchSize {
		w.push(i)
	}
}

func (w *Writer[T]) push(i int) {
	b := w.bufs[i]
	b.rec = w.rec
	w.active = true
	w.held[i] = 0
	w.bufs[i] = w.pool.Get().(*Batch[T])
	if w.metrics != nil {
		w.metrics.Out += int64(len(b.V))
		w.metrics.Batches++
		w.metrics.BackpressureNanos += w.chans[i].Push(Event{Kind: EventBatch, Batch: b})
		return
	}
	w.chans[i].Push(Event{Kind: EventBatch, Batch: b})
}

func (w *Writer[T]) Flush() {
	for i, b := range w.bufs {
		if len(b.V) > 0 {
			w.push(i)
		}
	}
}

func (w *Writer[T]) FlushHeld(n int) {
	if w.mode == Hash || w.mode == Rebalance {
		n *= len(w.chans)
	}
	for i, b := range w.bufs {
		if len(b.V) == 0 {
			continue
		}
		if w.held[i]++; w.held[i] >= n {
			w.push(i)
		}
	}
}

func (w *Writer[T]) Emit(e Event) {
	w.Flush()
	switch e.Kind {
	case EventIdle:
		w.active = false
	case EventWatermark:
		w.active = true
	}
	for _, c := range w.chans {
		ns := c.Push(e)
		if w.metrics != nil {
			w.metrics.BackpressureNanos += ns
		}
	}
}

func (w *Writer[T]) Active() bool { return w.active }

func (w *Writer[T]) EmitOne(e Event) {
	w.marker++
	i := w.marker % len(w.chans)
	if len(w.bufs[i].V) > 0 {
		w.push(i)
	}
	ns := w.chans[i].Push(e)
	if w.metrics != nil {
		w.metrics.BackpressureNanos += ns
	}
}

// BatchHandler is the untyped receiving side of an input: it feeds a
// *Batch[T] to the typed collector and releases the batch. It returns the
// number of records.
type BatchHandler func(batch any) int

// TypeOps are the type-specific pieces the untyped planner and task loop need
// to wire operators of element type T together.
type TypeOps interface {
	// NewWriter returns a *Writer[T] (as EdgeWriter and as Collector[T]).
	NewWriter(chans []Channel, mode Partitioning, keyGroup any, maxPar, batchSize int, m *Metrics) (EdgeWriter, any)
	// Handler returns the BatchHandler feeding a Collector[T].
	Handler(in any) BatchHandler
	// Fanout combines several Collector[T] into one (or returns the only one,
	// or a Discard when there are none).
	Fanout(outs []any) any
}

// TypeOf returns the TypeOps of T.
func TypeOf[T any]() TypeOps { return typeOps[T]{} }

type typeOps[T any] struct{}

func (typeOps[T]) NewWriter(chans []Channel, mode Partitioning, keyGroup any, maxPar, batchSize int, m *Metrics) (EdgeWriter, any) {
	var kg func(T) int
	if keyGroup != nil {
		kg = keyGroup.(func(T) int)
	}
	w := NewWriter[T](chans, mode, kg, maxPar, batchSize, m)
	return w, Collector[T](w)
}

func (typeOps[T]) Handler(in any) BatchHandler {
	c := in.(Collector[T])
	out := newBatchOut(c)
	// releases: 0 not asked yet (asked at the first batch that carries
	// a Recycler, once the operators are open), 1 the receiving
	// operators are done with each record when they return (Releaser),
	// so the records go back to the sender's Recycler; -1 they may keep
	// them.
	var releases int8
	return func(batch any) int {
		b := batch.(*Batch[T])
		n := len(b.V)
		out.emit(b.TS[:n], b.V)
		if b.rec != nil {
			if releases == 0 {
				releases = -1
				if Releases(c) {
					releases = 1
				}
			}
			if releases > 0 {
				b.rec.Recycle(b.V[:n])
			}
		}
		b.Release()
		return n
	}
}

func (typeOps[T]) Fanout(outs []any) any {
	switch len(outs) {
	case 0:
		return Collector[T](Discard[T]{})
	case 1:
		return outs[0].(Collector[T])
	}
	cs := make(fanout[T], len(outs))
	for i, o := range outs {
		cs[i] = o.(Collector[T])
	}
	return Collector[T](cs)
}

type fanout[T any] []Collector[T]

func (f fanout[T]) Collect(ts int64, v T) {
	for _, c := range f {
		c.Collect(ts, v)
	}
}
