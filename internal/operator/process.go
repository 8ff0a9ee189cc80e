package operator

import (
	"fmt"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
)

// TimeDomain says which clock fired a timer.
type TimeDomain uint8

const (
	EventTime TimeDomain = iota
	ProcessingTime
)

// Context is handed to process functions with the record or timer being
// processed. It is valid only during the call.
type Context struct {
	b      *Base
	ts     int64
	kc     *KeyContext
	event  *TimerQueue
	proc   *TimerQueue
	domain TimeDomain
}

// Timestamp is the event time of the current record or the firing time of
// the current timer (base.MinTime if the record has none).
func (c *Context) Timestamp() int64 { return c.ts }

// CurrentWatermark is the operator's current event-time watermark.
func (c *Context) CurrentWatermark() int64 { return c.b.WM }

// ProcessingTime is the current processing time in epoch milliseconds.
func (c *Context) ProcessingTime() int64 { return c.b.RT.Clock.NowMillis() }

// Subtask is the index of the running subtask.
func (c *Context) Subtask() int { return c.b.RT.Subtask }

// CountLate counts a record the function drops because it is late (the
// operator's Metrics.Late, as the window and join operators count theirs).
func (c *Context) CountLate() { c.b.M.Late++ }

// TimeDomain is the domain of the firing timer (in OnTimer).
func (c *Context) TimeDomain() TimeDomain { return c.domain }

// Output emits v to the side output tag with the current timestamp. The
// side output must have been declared on the stream for its type.
func Output[T any](c *Context, tag string, v T) {
	out, ok := c.b.RT.Sides[tag]
	if !ok {
		return // side output not consumed: dropped, as in Flink
	}
	col, ok := out.(Collector[T])
	if !ok {
		panic(fmt.Errorf("operator: side output %q carries %T, not the emitted type", tag, out))
	}
	col.Collect(c.ts, v)
}

func (c *Context) keyed(what string) {
	if c.kc == nil {
		panic(fmt.Errorf("operator: %s needs a keyed stream (call KeyBy first)", what))
	}
}

// RegisterEventTimeTimer asks for OnTimer when the watermark reaches t, for
// the current key. Registering the same time twice for a key fires once.
func (c *Context) RegisterEventTimeTimer(t int64) {
	c.keyed("event-time timers")
	c.event.Register(c.kc.KG, c.kc.Key, nil, t)
}

// RegisterProcessingTimeTimer asks for OnTimer when processing time reaches t.
func (c *Context) RegisterProcessingTimeTimer(t int64) {
	c.keyed("processing-time timers")
	c.proc.Register(c.kc.KG, c.kc.Key, nil, t)
}

// DeleteEventTimeTimer removes a pending event-time timer of the current key.
func (c *Context) DeleteEventTimeTimer(t int64) {
	c.keyed("event-time timers")
	c.event.Delete(c.kc.KG, c.kc.Key, nil, t)
}

// DeleteProcessingTimeTimer removes a pending processing-time timer.
func (c *Context) DeleteProcessingTimeTimer(t int64) {
	c.keyed("processing-time timers")
	c.proc.Delete(c.kc.KG, c.kc.Key, nil, t)
}

// KeyedContext is Context plus the current key.
type KeyedContext[K any] struct {
	Context
	key K
}

// Key is the key of the current record or timer.
func (c *KeyedContext[K]) Key() K { return c.key }

// OpenContext is handed to Open of keyed functions to create state handles.
type OpenContext struct {
	KC *KeyContext
	RT *Runtime
}

// keyedCore is shared by the keyed operators: key context, timer queues,
// and the context and emitter reused for every call (no allocation per
// record).
type keyedCore[K, O any] struct {
	Base
	kc    KeyContext
	event TimerQueue
	proc  TimerQueue
	ctx   KeyedContext[K]
	em    TSEmitter[O]
	kcod  codec.Codec[K]
	// tbufs: the buffer of a released timer snapshot
	// (SnapshotTimersRecycled); nil until the first.
	tbufs *timerBufs
}

func (k *keyedCore[K, O]) openKeyed(rt *Runtime, out Collector[O], kcod codec.Codec[K]) error {
	if err := k.Base.Open(rt); err != nil {
		return err
	}
	if rt.State == nil {
		return fmt.Errorf("operator %q: keyed operator without a state backend", rt.Name)
	}
	k.kc.Backend = rt.State
	k.kc.Clock = rt.Clock
	k.kcod = kcod
	k.ctx.b = &k.Base
	k.ctx.kc = &k.kc
	k.ctx.event = &k.event
	k.ctx.proc = &k.proc
	k.em.Out = out
	k.em.Owner = &k.Base
	return k.restoreTimers(rt)
}

func (k *keyedCore[K, O]) setKey(key K, ts int64) {
	k.kc.Key = k.kcod.Append(k.kc.Key[:0], key)
	k.kc.KG = base.KeyGroupOf(k.kc.hashKey(), k.RT.MaxParallelism)
	k.kc.Touch()
	k.ctx.key = key
	k.ctx.ts = ts
	k.ctx.domain = EventTime
	k.em.TS = ts
}

// fire pops the timers of q due at t and calls onTimer for each, with the
// timer's key current.
func (k *keyedCore[K, O]) fire(q *TimerQueue, t int64, domain TimeDomain, onTimer func(tm *Timer)) {
	for tm := q.PopDue(t); tm != nil; tm = q.PopDue(t) {
		k.kc.Key = append(k.kc.Key[:0], tm.Key...)
		k.kc.KG = tm.KG
		k.ctx.key = mustDecode(k.kcod, tm.Key, "key")
		k.ctx.ts = tm.Time
		k.ctx.domain = domain
		k.em.TS = tm.Time
		onTimer(tm)
	}
}

func (k *keyedCore[K, O]) NextProcessingTime() int64 { return k.proc.Next() }

func (k *keyedCore[K, O]) StateSize() int64 { return k.kc.Backend.SizeBytes() }

// KeyedProcessFunction is the user logic of a keyed process operator.
type KeyedProcessFunction[K, I, O any] interface {
	// Open creates state handles; called once per subtask.
	Open(ctx *OpenContext) error
	// ProcessElement handles one record of the current key.
	ProcessElement(ctx *KeyedContext[K], v I, out Emitter[O]) error
	// OnTimer handles a timer registered for the current key.
	OnTimer(ctx *KeyedContext[K], t int64, out Emitter[O]) error
}

// KeyedBuffer is implemented by a KeyedProcessFunction that combines
// records of several keys in memory before it writes them to state (a
// window buffer, as Flink's WindowBuffer of the sliced window
// aggregation). The operator calls Flush, which must move everything
// buffered into keyed state and timers (setKey makes a key current for
// the state handles and timer registrations), before the event-time
// timers of a watermark fire (with the watermark not yet advanced; a
// WatermarkBuffer gets FlushWatermark there instead), when a
// checkpoint barrier passes (before the state is captured, so a restore
// sees every record before the barrier; a SnapshotBuffer gets
// SnapshotBuffer there instead), after a record when Full says
// so, and at Finish (a no-op today: the end of input first advances the
// watermark to MaxTime, which flushes; anything buffered after it would be
// late). It does not flush before processing-time timers: a buffering
// function must not read buffered keys' state in a processing-time OnTimer.
// What it buffers is bounded by Full (by entries, not bytes). Flush may
// also emit (through the Emitter ProcessElement got: SQL's mini-batch
// aggregation): at a watermark those records go before it, and at a
// barrier before it too, since the operators chained after this one are
// snapshotted after it and the barrier is forwarded last.
type KeyedBuffer[K any] interface {
	Full() bool
	Flush(ctx *KeyedContext[K], setKey func(K)) error
}

// WatermarkBuffer is implemented by a KeyedBuffer that need not move
// everything into state at a watermark: the operator then calls
// FlushWatermark instead of Flush before the event-time timers of a
// watermark fire (wm is the new watermark, not yet advanced; the timers
// at or before it fire right after), and Flush only when a checkpoint
// barrier passes (but to a SnapshotBuffer), when Full says so and at
// Finish, where everything must be in state. FlushWatermark must leave in state, with their timers,
// whatever the timers about to fire read; what it keeps in memory it
// fires itself (from a timer it registered).
type WatermarkBuffer[K any] interface {
	KeyedBuffer[K]
	FlushWatermark(ctx *KeyedContext[K], setKey func(K), wm int64) error
}

// SnapshotBuffer is implemented by a KeyedBuffer that need not move its
// buffer into state at a checkpoint barrier: the operator then calls
// SnapshotBuffer instead of Flush when a barrier passes. It must write
// into keyed state (and timers) what a restore needs to rebuild the
// buffer, in the key groups of the keys it buffers (so that a restore at
// another parallelism finds each part where its keys go), and keeps its
// buffer, or moves it into state (as Flush). The keyed state and timers are captured right after it returns
// (copy-on-write), before any other call of the function, so it may take
// what it wrote for the snapshot out of the live state at its next call.
type SnapshotBuffer[K any] interface {
	KeyedBuffer[K]
	SnapshotBuffer(ctx *KeyedContext[K], setKey func(K)) error
}

// KeySettingBuffer is implemented by a KeyedBuffer that also flushes on
// its own (from a processing-time timer: a mini-batch's allowed
// latency): Open hands it setKey, the function Flush gets, so that its
// OnTimer can make the buffered keys current.
type KeySettingBuffer[K any] interface {
	KeyedBuffer[K]
	UseSetKey(setKey func(K))
}

// KeyedProcess runs a KeyedProcessFunction.
type KeyedProcess[K, I, O any] struct {
	keyedCore[K, O]
	KeyFn    func(I) K
	KeyCodec codec.Codec[K]
	Fn       KeyedProcessFunction[K, I, O]
	Out      Collector[O]
	// Releases says that Fn never reads an input record (the record
	// itself, not values copied out of it) after ProcessElement returns:
	// it keeps none in fields or buffers (Releaser); what it emits is
	// Out's to judge.
	Releases bool
	// Fresh says that Fn never emits an input record (to Out or a side
	// output) and what it buffers (KeyedBuffer) are copies: so with
	// Releases the operator is done with its input whatever Out keeps,
	// as Process.Fresh.
	Fresh   bool
	onTimer func(tm *Timer)
	buf     KeyedBuffer[K] // Fn, when it buffers
	wmBuf   WatermarkBuffer[K]
	snapBuf SnapshotBuffer[K]
	useKey  func(K)
}

func (o *KeyedProcess[K, I, O]) Open(rt *Runtime) error {
	if err := o.openKeyed(rt, o.Out, o.KeyCodec); err != nil {
		return err
	}
	o.onTimer = func(tm *Timer) {
		if o.ctx.domain == ProcessingTime {
			// Records of a processing-time timer have no event time (Flink
			// erases the timestamp); ctx.Timestamp() still reports tm.Time.
			o.em.TS = base.MinTime
		}
		if err := o.Fn.OnTimer(&o.ctx, tm.Time, &o.em); err != nil {
			o.Fail(err)
		}
	}
	if b, ok := o.Fn.(KeyedBuffer[K]); ok {
		o.buf = b
		o.wmBuf, _ = b.(WatermarkBuffer[K])
		o.snapBuf, _ = b.(SnapshotBuffer[K])
		o.useKey = func(k K) { o.keyedCore.setKey(k, base.MinTime) }
		if ks, ok := b.(KeySettingBuffer[K]); ok {
			ks.UseSetKey(o.useKey)
		}
	}
	defer o.Guard()
	return o.Fn.Open(&OpenContext{KC: &o.kc, RT: rt})
}

func (o *KeyedProcess[K, I, O]) Collect(ts int64, v I) {
	o.Enter()
	o.M.In++
	o.keyedCore.setKey(o.KeyFn(v), ts)
	if err := o.Fn.ProcessElement(&o.ctx, v, &o.em); err != nil {
		o.Fail(err)
	}
	if o.buf != nil && o.buf.Full() {
		o.flush()
	}
}

// flush moves what Fn buffers into state (KeyedBuffer).
func (o *KeyedProcess[K, I, O]) flush() {
	if err := o.buf.Flush(&o.ctx, o.useKey); err != nil {
		o.Fail(err)
	}
}

func (o *KeyedProcess[K, I, O]) Watermark(wm int64) {
	o.Enter()
	if o.wmBuf != nil {
		if err := o.wmBuf.FlushWatermark(&o.ctx, o.useKey, wm); err != nil {
			o.Fail(err)
		}
	} else if o.buf != nil {
		o.flush()
	}
	o.Base.Watermark(wm)
	o.fire(&o.event, wm, EventTime, o.onTimer)
}

// SnapshotState flushes a buffering Fn into keyed state as the barrier
// passes (KeyedBuffer; a SnapshotBuffer writes its snapshot instead); the
// operator has no non-keyed state.
func (o *KeyedProcess[K, I, O]) SnapshotState(int64) ([]byte, error) {
	if o.snapBuf != nil {
		o.Enter()
		if err := o.snapBuf.SnapshotBuffer(&o.ctx, o.useKey); err != nil {
			return nil, err
		}
	} else if o.buf != nil {
		o.Enter()
		if err := o.buf.Flush(&o.ctx, o.useKey); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// Finish flushes a buffering Fn (KeyedBuffer).
func (o *KeyedProcess[K, I, O]) Finish() error {
	if o.buf != nil {
		o.Enter()
		return o.buf.Flush(&o.ctx, o.useKey)
	}
	return nil
}

func (o *KeyedProcess[K, I, O]) OnProcessingTime(now int64) {
	o.Enter()
	o.fire(&o.proc, now, ProcessingTime, o.onTimer)
}

// ProcessFunction is the user logic of a non-keyed process operator.
type ProcessFunction[I, O any] func(ctx *Context, v I, out Emitter[O]) error

// Process runs a ProcessFunction (no state, no timers).
type Process[I, O any] struct {
	Base
	Fn  ProcessFunction[I, O]
	Out Collector[O]
	// Releases says that Fn never reads an input record (the record
	// itself, not values copied out of it) after it returns (Releaser);
	// what it emits is Out's to judge.
	Releases bool
	// Fresh says that Fn never emits an input record (to Out or a side
	// output): what it emits it builds itself (copies), so with Releases
	// the operator is done with its input whatever Out keeps.
	Fresh bool
	ctx   Context
	em    TSEmitter[O]
}

func (o *Process[I, O]) Open(rt *Runtime) error {
	o.ctx.b = &o.Base
	o.em.Out = o.Out
	o.em.Owner = &o.Base
	return o.Base.Open(rt)
}

func (o *Process[I, O]) Collect(ts int64, v I) {
	o.Enter()
	o.M.In++
	o.ctx.ts = ts
	o.em.TS = ts
	if err := o.Fn(&o.ctx, v, &o.em); err != nil {
		o.Fail(err)
	}
}

// KeyedCoProcessFunction is the user logic of two connected keyed streams.
type KeyedCoProcessFunction[K, I1, I2, O any] interface {
	Open(ctx *OpenContext) error
	ProcessElement1(ctx *KeyedContext[K], v I1, out Emitter[O]) error
	ProcessElement2(ctx *KeyedContext[K], v I2, out Emitter[O]) error
	OnTimer(ctx *KeyedContext[K], t int64, out Emitter[O]) error
}

// KeyedCoProcess runs a KeyedCoProcessFunction over two inputs keyed alike.
type KeyedCoProcess[K, I1, I2, O any] struct {
	keyedCore[K, O]
	Key1     func(I1) K
	Key2     func(I2) K
	KeyCodec codec.Codec[K]
	Fn       KeyedCoProcessFunction[K, I1, I2, O]
	Out      Collector[O]
	// OutputDelay (ms, >= 0) holds the output watermark back
	// (WatermarkDelayer), as IntervalJoin.OutputDelay: Fn emits records up
	// to that far behind the input watermark (the SQL outer interval join).
	OutputDelay int64
	// Releases: Fn keeps no reference to an input record once it
	// returns (values copied out of it may be kept); Fresh: nor does it
	// emit one (what it emits it builds). Both: the operator's inputs
	// are done with each record when Collect returns, whatever the
	// operators after it keep (ReleasesRecords), so the records' memory
	// may be reused (Recycler).
	Releases, Fresh bool
	onTimer         func(tm *Timer)
	buf             KeyedCoBuffer[K] // Fn, when it keeps records in memory
	useKey          func(K)
	// full, wmBuf, snapBuf: Fn, when it is also a KeyedBuffer, gets the
	// calls KeyedProcess makes (SQL's join fused with a mini-batch
	// aggregation): a flush after a record when Full says so, and before
	// the event-time timers of a watermark (FlushWatermark instead for a
	// WatermarkBuffer); at a checkpoint barrier SnapshotBuffer instead of
	// Flush for a SnapshotBuffer; UseSetKey for a KeySettingBuffer. A
	// KeyedCoBuffer that is not a KeyedBuffer is flushed at barriers and
	// at Finish only.
	full    KeyedBuffer[K]
	wmBuf   WatermarkBuffer[K]
	snapBuf SnapshotBuffer[K]
}

// WatermarkDelay implements WatermarkDelayer (0: none).
func (o *KeyedCoProcess[K, I1, I2, O]) WatermarkDelay() int64 { return o.OutputDelay }

// KeyedCoBuffer is implemented by a KeyedCoProcessFunction that keeps
// records in memory instead of keyed state (with the timers the state
// would have): the operator calls Flush, which must move them into keyed
// state (setKey makes a key current), when a checkpoint barrier passes
// (before the state is captured) and at Finish.
type KeyedCoBuffer[K any] interface {
	Flush(ctx *KeyedContext[K], setKey func(K)) error
}

func (o *KeyedCoProcess[K, I1, I2, O]) Open(rt *Runtime) error {
	if err := o.openKeyed(rt, o.Out, o.KeyCodec); err != nil {
		return err
	}
	o.onTimer = func(tm *Timer) {
		if o.ctx.domain == ProcessingTime {
			// Records of a processing-time timer have no event time (Flink
			// erases the timestamp); ctx.Timestamp() still reports tm.Time.
			o.em.TS = base.MinTime
		}
		if err := o.Fn.OnTimer(&o.ctx, tm.Time, &o.em); err != nil {
			o.Fail(err)
		}
	}
	if b, ok := o.Fn.(KeyedCoBuffer[K]); ok {
		o.buf = b
		o.useKey = func(k K) { o.keyedCore.setKey(k, base.MinTime) }
		o.full, _ = o.Fn.(KeyedBuffer[K])
		o.wmBuf, _ = o.Fn.(WatermarkBuffer[K])
		o.snapBuf, _ = o.Fn.(SnapshotBuffer[K])
		if ks, ok := o.Fn.(KeySettingBuffer[K]); ok {
			ks.UseSetKey(o.useKey)
		}
	}
	defer o.Guard()
	return o.Fn.Open(&OpenContext{KC: &o.kc, RT: rt})
}

// flushFull flushes a buffering Fn whose buffer is full (KeyedBuffer).
func (o *KeyedCoProcess[K, I1, I2, O]) flushFull() {
	if o.full != nil && o.full.Full() {
		if err := o.full.Flush(&o.ctx, o.useKey); err != nil {
			o.Fail(err)
		}
	}
}

// SnapshotState flushes a buffering Fn into keyed state as the barrier
// passes (KeyedCoBuffer; a SnapshotBuffer writes its snapshot instead);
// the operator has no non-keyed state.
func (o *KeyedCoProcess[K, I1, I2, O]) SnapshotState(int64) ([]byte, error) {
	if o.snapBuf != nil {
		o.Enter()
		if err := o.snapBuf.SnapshotBuffer(&o.ctx, o.useKey); err != nil {
			return nil, err
		}
	} else if o.buf != nil {
		o.Enter()
		if err := o.buf.Flush(&o.ctx, o.useKey); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// Finish flushes a buffering Fn (KeyedCoBuffer).
func (o *KeyedCoProcess[K, I1, I2, O]) Finish() error {
	if o.buf != nil {
		o.Enter()
		return o.buf.Flush(&o.ctx, o.useKey)
	}
	return nil
}

// Input1 is the collector of the first input.
func (o *KeyedCoProcess[K, I1, I2, O]) Input1() Collector[I1] { return coIn1[K, I1, I2, O]{o} }

// Input2 is the collector of the second input.
func (o *KeyedCoProcess[K, I1, I2, O]) Input2() Collector[I2] { return coIn2[K, I1, I2, O]{o} }

type coIn1[K, I1, I2, O any] struct{ o *KeyedCoProcess[K, I1, I2, O] }

func (c coIn1[K, I1, I2, O]) Collect(ts int64, v I1) {
	o := c.o
	o.Enter()
	o.M.In++
	o.setKey(o.Key1(v), ts)
	if err := o.Fn.ProcessElement1(&o.ctx, v, &o.em); err != nil {
		o.Fail(err)
	}
	o.flushFull()
}

type coIn2[K, I1, I2, O any] struct{ o *KeyedCoProcess[K, I1, I2, O] }

func (c coIn2[K, I1, I2, O]) Collect(ts int64, v I2) {
	o := c.o
	o.Enter()
	o.M.In++
	o.setKey(o.Key2(v), ts)
	if err := o.Fn.ProcessElement2(&o.ctx, v, &o.em); err != nil {
		o.Fail(err)
	}
	o.flushFull()
}

func (o *KeyedCoProcess[K, I1, I2, O]) Watermark(wm int64) {
	o.Enter()
	if o.wmBuf != nil {
		if err := o.wmBuf.FlushWatermark(&o.ctx, o.useKey, wm); err != nil {
			o.Fail(err)
		}
	} else if o.full != nil {
		if err := o.full.Flush(&o.ctx, o.useKey); err != nil {
			o.Fail(err)
		}
	}
	o.Base.Watermark(wm)
	o.fire(&o.event, wm, EventTime, o.onTimer)
}

func (o *KeyedCoProcess[K, I1, I2, O]) OnProcessingTime(now int64) {
	o.Enter()
	o.fire(&o.proc, now, ProcessingTime, o.onTimer)
}

// CoProcess runs two non-keyed inputs through two functions sharing nothing
// but the output (CoMap/CoFlatMap).
type CoProcess[I1, I2, O any] struct {
	Base
	Fn1 ProcessFunction[I1, O]
	Fn2 ProcessFunction[I2, O]
	Out Collector[O]
	ctx Context
	em  TSEmitter[O]
}

func (o *CoProcess[I1, I2, O]) Open(rt *Runtime) error {
	o.ctx.b = &o.Base
	o.em.Out = o.Out
	o.em.Owner = &o.Base
	return o.Base.Open(rt)
}

// Input1 is the collector of the first input.
func (o *CoProcess[I1, I2, O]) Input1() Collector[I1] { return co1[I1, I2, O]{o} }

// Input2 is the collector of the second input.
func (o *CoProcess[I1, I2, O]) Input2() Collector[I2] { return co2[I1, I2, O]{o} }

type co1[I1, I2, O any] struct{ o *CoProcess[I1, I2, O] }

func (c co1[I1, I2, O]) Collect(ts int64, v I1) {
	o := c.o
	o.Enter()
	o.M.In++
	o.ctx.ts, o.em.TS = ts, ts
	if err := o.Fn1(&o.ctx, v, &o.em); err != nil {
		o.Fail(err)
	}
}

type co2[I1, I2, O any] struct{ o *CoProcess[I1, I2, O] }

func (c co2[I1, I2, O]) Collect(ts int64, v I2) {
	o := c.o
	o.Enter()
	o.M.In++
	o.ctx.ts, o.em.TS = ts, ts
	if err := o.Fn2(&o.ctx, v, &o.em); err != nil {
		o.Fail(err)
	}
}
