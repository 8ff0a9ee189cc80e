package operator

import (
	"runtime/debug"

	"github.com/stromio/strom/internal/base"
)

// Base carries what every operator keeps from Open. Embed it and override
// what the operator needs.
type Base struct {
	RT  *Runtime
	M   *Metrics
	WM  int64 // current watermark
	tr  *Tracker
	idx int
}

func (b *Base) Open(rt *Runtime) error {
	b.RT = rt
	b.M = rt.Metrics
	if b.M == nil {
		b.M = &Metrics{}
		rt.Metrics = b.M
	}
	if rt.Tracker == nil {
		rt.Tracker = &Tracker{}
	}
	b.tr, b.idx = rt.Tracker, rt.Index
	b.WM = base.MinTime
	return nil
}

// Enter marks this operator as the one running (see Tracker). Call it
// before user code and after a downstream call returns.
func (b *Base) Enter()             { b.tr.Op = b.idx }
func (b *Base) Watermark(wm int64) { b.WM = wm; b.M.Watermark = wm }
func (b *Base) Finish() error      { return nil }
func (b *Base) Close() error       { return nil }

// Guard turns a panic into an *base.OperatorError naming this operator. It
// suits cold paths (Open); hot paths call Enter instead.
func (b *Base) Guard() {
	if r := recover(); r != nil {
		panic(b.wrap(r))
	}
}

func (b *Base) wrap(r any) any {
	switch e := r.(type) {
	case *base.OperatorError:
		return e
	case error:
		if e == base.ErrCanceled {
			return e
		}
	}
	return &base.OperatorError{Operator: b.RT.Name, Subtask: b.RT.Subtask, Cause: base.PanicError(r), Panic: true, Stack: debug.Stack()}
}

// Fail aborts with err attributed to this operator.
func (b *Base) Fail(err error) { Fail(b.RT.Name, b.RT.Subtask, err) }

// Emitter is the output handed to user functions: records emitted carry the
// timestamp of the record (or timer) being processed.
type Emitter[T any] interface {
	Emit(v T)
}

// TSEmitter emits to a collector with a settable timestamp.
type TSEmitter[T any] struct {
	Out Collector[T]
	TS  int64
	// Owner, when set, is re-entered after each downstream call so that a
	// later panic in the owner's user code is attributed to it.
	Owner *Base
}

// SetTimestamp sets the timestamp of the records emitted next (until the
// operator sets it for its next element or timer).
func (e *TSEmitter[T]) SetTimestamp(ts int64) { e.TS = ts }

func (e *TSEmitter[T]) Emit(v T) {
	e.Out.Collect(e.TS, v)
	if e.Owner != nil {
		e.Owner.Enter()
	}
}

// Map applies Fn to every record.
type Map[I, O any] struct {
	Base
	Fn  func(I) O
	Out Collector[O]
	out batchOut[O]
	buf []O
}

func (o *Map[I, O]) Open(rt *Runtime) error {
	o.out = newBatchOut(o.Out)
	return o.Base.Open(rt)
}

func (o *Map[I, O]) Collect(ts int64, v I) {
	o.Enter()
	o.M.In++
	o.Out.Collect(ts, o.Fn(v))
}

// Filter keeps the records for which Fn is true.
type Filter[T any] struct {
	Base
	Fn  func(T) bool
	Out Collector[T]
	out batchOut[T]
	buf []T
	tsb []int64
}

func (o *Filter[T]) Open(rt *Runtime) error {
	o.out = newBatchOut(o.Out)
	return o.Base.Open(rt)
}

func (o *Filter[T]) Collect(ts int64, v T) {
	o.Enter()
	o.M.In++
	if o.Fn(v) {
		o.Out.Collect(ts, v)
	}
}

// FlatMap calls Fn with an emitter for zero or more outputs per record.
type FlatMap[I, O any] struct {
	Base
	Fn  func(I, Emitter[O])
	Out Collector[O]
	em  TSEmitter[O]
}

func (o *FlatMap[I, O]) Open(rt *Runtime) error {
	o.em.Out = o.Out
	o.em.Owner = &o.Base
	return o.Base.Open(rt)
}

func (o *FlatMap[I, O]) Collect(ts int64, v I) {
	o.Enter()
	o.M.In++
	o.em.TS = ts
	o.Fn(v, &o.em)
}

// Passthrough forwards records unchanged (union inputs, rebalance points).
type Passthrough[T any] struct {
	Base
	Out Collector[T]
	out batchOut[T]
}

func (o *Passthrough[T]) Open(rt *Runtime) error {
	o.out = newBatchOut(o.Out)
	return o.Base.Open(rt)
}

func (o *Passthrough[T]) Collect(ts int64, v T) {
	o.M.In++
	o.Out.Collect(ts, v)
}
