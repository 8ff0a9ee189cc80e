package stream

import (
	"fmt"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/operator"
)

// Window is the half-open interval [Start, End) of a window, in epoch
// milliseconds; MaxTimestamp() (End-1) is the timestamp of its results.
type Window = operator.Window

// WindowAssigner maps each record to the windows it belongs to.
type WindowAssigner = operator.WindowAssigner

// Trigger decides when a window is evaluated (Flink's Trigger); implement it
// for custom firing logic. Trigger values are shared by all keys, windows and
// subtasks: keep state in the TriggerContext, not in the value.
type Trigger = operator.Trigger

// TriggerContext is handed to a Trigger: window, time, timers and
// per-window trigger state.
type TriggerContext = operator.TriggerContext

// TriggerResult is a trigger's decision.
type TriggerResult = operator.TriggerResult

// The trigger results.
const (
	TriggerContinue     = operator.TriggerContinue
	TriggerFire         = operator.TriggerFire
	TriggerPurge        = operator.TriggerPurge
	TriggerFireAndPurge = operator.TriggerFireAndPurge
)

// Evictor removes elements from a window before and/or after evaluation
// (Flink's Evictor). A window with an evictor buffers all its elements.
type Evictor = operator.Evictor

// Evictable is a window's buffer as an Evictor sees it.
type Evictable = operator.Evictable

// WindowContext is handed to a ProcessWindowFunction: Key(), Window(),
// CurrentWatermark(), per-window state (WindowState) and side outputs
// (Context()).
type WindowContext[K any] = operator.WindowContext[K]

// ProcessWindowFunction evaluates a window with all its contents (or the
// single result of an incremental aggregation). It may also implement
// Open(*OpenContext) error to create state handles and
// Clear(*WindowContext[K]) error to be told when a window is purged.
type ProcessWindowFunction[K, IN, O any] = operator.ProcessWindowFunction[K, IN, O]

// WindowScoped is a state handle that WindowContext.WindowState can scope
// to the current window (every state handle is one).
type WindowScoped = operator.WindowScoped

// TumblingEventTimeWindows are fixed-size, non-overlapping event-time
// windows aligned to the epoch (plus an optional offset, 0 <= offset < size).
func TumblingEventTimeWindows(size time.Duration, offset ...time.Duration) WindowAssigner {
	return operator.TumblingWindows{Size: size, Offset: first(offset)}
}

// SlidingEventTimeWindows are event-time windows of size starting every
// slide (plus an optional offset, 0 <= offset < slide); a record belongs to
// size/slide windows.
func SlidingEventTimeWindows(size, slide time.Duration, offset ...time.Duration) WindowAssigner {
	return operator.SlidingWindows{Size: size, Slide: slide, Offset: first(offset)}
}

// EventTimeSessionWindows group a key's records into sessions that end after
// gap of event time without records; overlapping sessions merge.
func EventTimeSessionWindows(gap time.Duration) WindowAssigner {
	return operator.SessionWindows{Gap: gap}
}

// TumblingProcessingTimeWindows are tumbling windows of processing time.
func TumblingProcessingTimeWindows(size time.Duration, offset ...time.Duration) WindowAssigner {
	return operator.TumblingWindows{Size: size, Offset: first(offset), Processing: true}
}

// SlidingProcessingTimeWindows are sliding windows of processing time.
func SlidingProcessingTimeWindows(size, slide time.Duration, offset ...time.Duration) WindowAssigner {
	return operator.SlidingWindows{Size: size, Slide: slide, Offset: first(offset), Processing: true}
}

// ProcessingTimeSessionWindows are session windows of processing time.
func ProcessingTimeSessionWindows(gap time.Duration) WindowAssigner {
	return operator.SessionWindows{Gap: gap, Processing: true}
}

// GlobalWindows put all records of a key into one window that never ends;
// it fires only through a trigger (CountTrigger, typically; see
// KeyedStream.CountWindow). Its default trigger never fires.
func GlobalWindows() WindowAssigner { return operator.GlobalWindows{} }

func first(ds []time.Duration) time.Duration {
	if len(ds) > 0 {
		return ds[0]
	}
	return 0
}

// EventTimeTrigger fires when the watermark passes the window's end, and
// again for each element arriving within the allowed lateness (the default
// of event-time windows).
func EventTimeTrigger() Trigger { return operator.EventTimeTrigger{} }

// ProcessingTimeTrigger fires when processing time passes the window's end
// (the default of processing-time windows).
func ProcessingTimeTrigger() Trigger { return operator.ProcessingTimeTrigger{} }

// CountTrigger fires every n elements of a window (n >= 1).
func CountTrigger(n int64) Trigger { return operator.CountTrigger{N: n} }

// PurgingTrigger makes every firing of t also clear the window's contents.
func PurgingTrigger(t Trigger) Trigger { return operator.PurgingTrigger{Inner: t} }

// ContinuousEventTimeTrigger fires every interval of event time while the
// window is open, and when it ends.
func ContinuousEventTimeTrigger(interval time.Duration) Trigger {
	return operator.ContinuousEventTimeTrigger{Interval: interval}
}

// NeverTrigger never fires (the default of GlobalWindows).
func NeverTrigger() Trigger { return operator.NeverTrigger{} }

// CountEvictor keeps the n most recent elements of a window, evicting
// before the window function runs.
func CountEvictor(n int) Evictor { return operator.CountEvictor{Max: n} }

// CountEvictorAfter is CountEvictor evicting after the window function.
func CountEvictorAfter(n int) Evictor { return operator.CountEvictor{Max: n, After: true} }

// TimeEvictor keeps the elements within keep of the newest element's
// timestamp, evicting before the window function runs.
func TimeEvictor(keep time.Duration) Evictor { return operator.TimeEvictor{Keep: keep} }

// TimeEvictorAfter is TimeEvictor evicting after the window function.
func TimeEvictorAfter(keep time.Duration) Evictor {
	return operator.TimeEvictor{Keep: keep, After: true}
}

// WindowedStream is a keyed stream with a window assigner and its options;
// a window function (WindowReduce, WindowAggregate, WindowProcess, ...)
// turns it into a stream.
type WindowedStream[T any, K comparable] struct {
	ks       KeyedStream[T, K]
	assigner WindowAssigner
	trigger  Trigger
	evictor  Evictor
	lateness time.Duration
	lateTag  string
	shift    WindowShift
}

// WindowShift maps windows assigned in the wall-clock time of a zone back
// to the time line (operator.WindowShift): SQL's windows over a
// TIMESTAMP_LTZ attribute in a session time zone other than UTC.
type WindowShift = operator.WindowShift

// Shift makes the windows fire and go at s.Timer of their max timestamp
// and stamps their records with s.Timestamp of it, for an assigner whose
// windows are in the wall-clock time of a zone (it is handed wall-clock
// timestamps: wrap it). The window buffer is not used then. Only the
// assigner's default trigger knows of the shift: a window with both a
// Shift and a Trigger is refused when it is built.
func (ws WindowedStream[T, K]) Shift(s WindowShift) WindowedStream[T, K] {
	ws.shift = s
	return ws
}

// Window groups the keyed stream into windows of assigner.
func (ks KeyedStream[T, K]) Window(assigner WindowAssigner) WindowedStream[T, K] {
	if assigner == nil {
		ks.s.env.setErr(fmt.Errorf("stream: Window: nil window assigner"))
	} else if err := operator.ValidateAssigner(assigner); err != nil {
		ks.s.env.setErr(fmt.Errorf("stream: Window: %w", err))
	}
	return WindowedStream[T, K]{ks: ks, assigner: assigner}
}

// CountWindow is Flink's countWindow(size): windows of size elements per
// key (GlobalWindows fired and purged by a CountTrigger).
func (ks KeyedStream[T, K]) CountWindow(size int64) WindowedStream[T, K] {
	return ks.Window(GlobalWindows()).Trigger(PurgingTrigger(CountTrigger(size)))
}

// CountWindowSliding is Flink's countWindow(size, slide): every slide
// elements, a window over the last size elements of the key.
func (ks KeyedStream[T, K]) CountWindowSliding(size, slide int64) WindowedStream[T, K] {
	if size < 1 || int64(int(size)) != size {
		ks.s.env.setErr(fmt.Errorf("stream: CountWindowSliding: size must be >= 1, got %d", size))
	}
	return ks.Window(GlobalWindows()).Trigger(CountTrigger(slide)).Evictor(CountEvictor(int(size)))
}

// Trigger replaces the assigner's default trigger.
func (ws WindowedStream[T, K]) Trigger(t Trigger) WindowedStream[T, K] {
	if err := checkTrigger(t); err != nil {
		ws.ks.s.env.setErr(err)
	}
	ws.trigger = t
	return ws
}

func checkTrigger(t Trigger) error {
	switch t := t.(type) {
	case nil:
		return fmt.Errorf("stream: Trigger: nil trigger")
	case operator.CountTrigger:
		if t.N < 1 {
			return fmt.Errorf("stream: CountTrigger: count must be >= 1, got %d", t.N)
		}
	case operator.ContinuousEventTimeTrigger:
		if t.Interval < time.Millisecond {
			return fmt.Errorf("stream: ContinuousEventTimeTrigger: interval must be >= 1ms, got %v", t.Interval)
		}
	case operator.PurgingTrigger:
		return checkTrigger(t.Inner)
	}
	return nil
}

// Evictor sets an evictor; the window then buffers all its elements (an
// aggregate is computed when the window fires).
func (ws WindowedStream[T, K]) Evictor(e Evictor) WindowedStream[T, K] {
	switch e := e.(type) {
	case nil:
		ws.ks.s.env.setErr(fmt.Errorf("stream: Evictor: nil evictor"))
	case operator.CountEvictor:
		if e.Max < 0 {
			ws.ks.s.env.setErr(fmt.Errorf("stream: CountEvictor: count must be >= 0, got %d", e.Max))
		}
	}
	ws.evictor = e
	return ws
}

// AllowedLateness keeps event-time windows for d after they fired: an
// element arriving in that time is added and the window fires again. It has
// no effect on processing-time windows.
func (ws WindowedStream[T, K]) AllowedLateness(d time.Duration) WindowedStream[T, K] {
	if d < 0 {
		ws.ks.s.env.setErr(fmt.Errorf("stream: AllowedLateness must not be negative, got %v", d))
	}
	ws.lateness = d
	return ws
}

// SideOutputLateData sends late elements (those whose windows are all past
// their end plus the allowed lateness) to tag: read them with
// SideOutput(result, tag). Without it they are dropped. Either way they
// are counted in the operator's late-records metric.
func (ws WindowedStream[T, K]) SideOutputLateData(tag OutputTag[T]) WindowedStream[T, K] {
	ws.lateTag = tag.id
	return ws
}

// windowed adds the window operator.
func windowed[T any, K comparable, R, O any](ws WindowedStream[T, K], name string,
	contents func() operator.WindowContents[T, R], fn func() ProcessWindowFunction[K, R, O]) Stream[O] {
	return windowedBuffered(ws, name, contents, fn, nil, false)
}

// windowedBuffered is windowed with a window buffer for the contents
// (operator.WindowBuffer; nil or a nil result: none). The operator uses it
// only where it fits (event-time tumbling or sliding windows, the default
// trigger, no allowed lateness).
func windowedBuffered[T any, K comparable, R, O any](ws WindowedStream[T, K], name string,
	contents func() operator.WindowContents[T, R], fn func() ProcessWindowFunction[K, R, O],
	buffer func(operator.WindowContents[T, R]) operator.WindowBuffer[K, T, R], releases bool) Stream[O] {
	env := ws.ks.s.env
	if env == nil {
		panic(fmt.Errorf("stream: %s: a WindowedStream must come from KeyedStream.Window", name))
	}
	switch {
	case ws.assigner == nil:
		env.setErr(fmt.Errorf("stream: %s: no window assigner (use KeyedStream.Window)", name))
	case ws.assigner.Merging() && ws.trigger != nil && !ws.trigger.CanMerge():
		env.setErr(fmt.Errorf("stream: %s: trigger %T cannot merge; session windows need a trigger whose CanMerge is true", name, ws.trigger))
	case ws.shift != nil && ws.trigger != nil:
		// A trigger registers timers at the windows' wall-clock max
		// timestamps, while the shifted windows are cleaned up at
		// Shift.Timer of them.
		env.setErr(fmt.Errorf("stream: %s: trigger %T with Shift: a shifted window fires by its assigner's default trigger only (a trigger's timers would be in the zone's wall-clock time, not on the time line)", name, ws.trigger))
	}
	return add(ws.ks.s, name, true, func(out operator.Collector[O]) (operator.Operator, operator.Collector[T]) {
		op := &operator.KeyedWindow[K, T, R, O]{KeyFn: ws.ks.key, KeyCodec: ws.ks.codec,
			Assigner: ws.assigner, Trigger: ws.trigger, AllowedLateness: ws.lateness, LateTag: ws.lateTag,
			Contents: contents(), Fn: fn(), Out: out, Shift: ws.shift, Releases: releases}
		if buffer != nil && !env.noWindowBuffer && ws.shift == nil {
			op.Buffer = buffer(op.Contents)
		}
		return op, op
	})
}

// WindowReduce reduces each window's elements with reduce, incrementally
// (one value kept per key and window, in keyed state), and emits the result
// when the window fires. reduce is shared by all subtasks. reduce must be
// associative (as Flink's combinable reduce): event-time tumbling and
// sliding windows keep a window's partial result in memory (the window
// buffer) and, when a checkpoint comes in the middle of the window,
// combine it with the part already in state as reduce(state, memory), so
// with a reduce that is not associative the result depends on where
// checkpoints fell (DESIGN §5 invariant 7).
func WindowReduce[T any, K comparable](ws WindowedStream[T, K], reduce func(a, b T) T) Stream[T] {
	if ws.evictor != nil {
		return windowed(ws, "window-reduce",
			func() operator.WindowContents[T, T] { return operator.ListContents[T](nil, ws.evictor) },
			func() ProcessWindowFunction[K, T, T] { return reduceFold[K, T]{reduce: reduce} })
	}
	return windowedBuffered(ws, "window-reduce",
		func() operator.WindowContents[T, T] { return operator.ReduceContents(reduce, nil) },
		func() ProcessWindowFunction[K, T, T] { return operator.PassThroughWindow[K, T]{} },
		operator.AggregateBuffer[K, T, T, T], false)
}

// WindowReduceProcess reduces incrementally and hands the single result to
// a process function with the window's metadata. newFn is called once per
// subtask.
func WindowReduceProcess[T any, K comparable, O any](ws WindowedStream[T, K], reduce func(a, b T) T, newFn func() ProcessWindowFunction[K, T, O]) Stream[O] {
	if ws.evictor != nil {
		return windowed(ws, "window-reduce",
			func() operator.WindowContents[T, T] { return operator.ListContents[T](nil, ws.evictor) },
			func() ProcessWindowFunction[K, T, O] {
				return &foldThen[K, T, T, O]{fold: reduceFold[K, T]{reduce: reduce}, fn: newFn()}
			})
	}
	return windowedBuffered(ws, "window-reduce",
		func() operator.WindowContents[T, T] { return operator.ReduceContents(reduce, nil) }, newFn,
		operator.AggregateBuffer[K, T, T, T], false)
}

// WindowAggregate aggregates each window incrementally with agg (one
// accumulator per key and window, in keyed state) and emits agg.Result when
// it fires. agg is shared by all subtasks: it must keep no state of its own
// (the accumulator is the state). With an evictor the window buffers its
// elements and aggregates them when it fires.
func WindowAggregate[T any, K comparable, ACC, OUT any](ws WindowedStream[T, K], agg Aggregator[T, ACC, OUT]) Stream[OUT] {
	if ws.evictor != nil {
		return windowed(ws, "window-aggregate",
			func() operator.WindowContents[T, T] { return operator.ListContents[T](nil, ws.evictor) },
			func() ProcessWindowFunction[K, T, OUT] { return aggFold[K, T, ACC, OUT]{agg: agg} })
	}
	return windowedBuffered(ws, "window-aggregate",
		func() operator.WindowContents[T, OUT] { return aggregateContents(agg) },
		func() ProcessWindowFunction[K, OUT, OUT] { return operator.PassThroughWindow[K, OUT]{} },
		aggBuffer[K](agg), aggReleases(agg))
}

// WindowAggregateProcess aggregates incrementally and hands the single
// result to a process function with the window's metadata (Flink's
// aggregate(agg, processWindowFunction)). newFn is called once per subtask.
func WindowAggregateProcess[T any, K comparable, ACC, OUT, O any](ws WindowedStream[T, K], agg Aggregator[T, ACC, OUT], newFn func() ProcessWindowFunction[K, OUT, O]) Stream[O] {
	if ws.evictor != nil {
		return windowed(ws, "window-aggregate",
			func() operator.WindowContents[T, T] { return operator.ListContents[T](nil, ws.evictor) },
			func() ProcessWindowFunction[K, T, O] {
				return &foldThen[K, T, OUT, O]{fold: aggFold[K, T, ACC, OUT]{agg: agg}, fn: newFn()}
			})
	}
	return windowedBuffered(ws, "window-aggregate",
		func() operator.WindowContents[T, OUT] { return aggregateContents(agg) }, newFn,
		aggBuffer[K](agg), aggReleases(agg))
}

// WindowResult is a window's result with its key and window.
type WindowResult[K, V any] struct {
	Key    K
	Window Window
	Value  V
}

// WindowAggregateWithWindow is WindowAggregate with the key and the window
// of each result.
func WindowAggregateWithWindow[T any, K comparable, ACC, OUT any](ws WindowedStream[T, K], agg Aggregator[T, ACC, OUT]) Stream[WindowResult[K, OUT]] {
	return WindowAggregateProcess(ws, agg, func() ProcessWindowFunction[K, OUT, WindowResult[K, OUT]] {
		return withWindow[K, OUT]{}
	})
}

// WindowProcess hands each window's elements (all of them, buffered in
// keyed state) to a process function when the window fires. newFn is called
// once per subtask.
func WindowProcess[T any, K comparable, O any](ws WindowedStream[T, K], newFn func() ProcessWindowFunction[K, T, O]) Stream[O] {
	return windowed(ws, "window-process",
		func() operator.WindowContents[T, T] { return operator.ListContents[T](nil, ws.evictor) }, newFn)
}

// ProcessWindowFunc adapts a plain function to a ProcessWindowFunction.
type ProcessWindowFunc[K, IN, O any] func(ctx *WindowContext[K], elems []IN, out Emitter[O]) error

func (f ProcessWindowFunc[K, IN, O]) Process(ctx *WindowContext[K], elems []IN, out Emitter[O]) error {
	return f(ctx, elems, out)
}

// ProcessWindowFuncs builds a ProcessWindowFunction with Open and Clear
// from plain functions; any of them may be nil.
type ProcessWindowFuncs[K, IN, O any] struct {
	OnOpen    func(ctx *OpenContext) error
	OnProcess func(ctx *WindowContext[K], elems []IN, out Emitter[O]) error
	OnClear   func(ctx *WindowContext[K]) error
}

func (f ProcessWindowFuncs[K, IN, O]) Open(ctx *OpenContext) error {
	if f.OnOpen == nil {
		return nil
	}
	return f.OnOpen(ctx)
}

func (f ProcessWindowFuncs[K, IN, O]) Process(ctx *WindowContext[K], elems []IN, out Emitter[O]) error {
	if f.OnProcess == nil {
		return nil
	}
	return f.OnProcess(ctx, elems, out)
}

func (f ProcessWindowFuncs[K, IN, O]) Clear(ctx *WindowContext[K]) error {
	if f.OnClear == nil {
		return nil
	}
	return f.OnClear(ctx)
}

// AggregatorFuncs builds an Aggregator from functions (CreateFn, AddFn and
// ResultFn are required; MergeFn is needed by session windows, and
// without it tumbling and sliding event-time windows run without the
// window buffer; MergeFn(a, b) must give what adding b's values to a
// would, or results of windows a checkpoint split depend on where it fell,
// see operator.Aggregator). The window buffer is used only for an
// AggregatorFuncs (value or pointer) with a MergeFn, never for other
// Aggregator implementations, and only when ACC holds no pointers (AddFn
// may then return its input or change the accumulator in place). Codec
// encodes the accumulator in state (default codec.For[ACC]: fixed layouts
// for basic types, JSON otherwise; give a binary codec for struct
// accumulators on hot paths).
type AggregatorFuncs[IN, ACC, OUT any] struct {
	CreateFn func() ACC
	AddFn    func(v IN, acc ACC) ACC
	MergeFn  func(a, b ACC) ACC
	ResultFn func(acc ACC) OUT
	Codec    codec.Codec[ACC]
	// Releases says that the functions keep no reference to an input
	// value v of AddFn (for a table.Row: its Fields slice; values copied
	// out of it may be kept): the window operator is then done with a
	// record when it returns (with the default trigger and no late side
	// output), and a source chained before it may reuse record memory
	// (operator.Releaser, connector.RecordReuser).
	Releases bool
}

func (f AggregatorFuncs[IN, ACC, OUT]) CreateAccumulator() ACC { return f.CreateFn() }
func (f AggregatorFuncs[IN, ACC, OUT]) Add(v IN, acc ACC) ACC  { return f.AddFn(v, acc) }
func (f AggregatorFuncs[IN, ACC, OUT]) Result(acc ACC) OUT     { return f.ResultFn(acc) }

// AccumulatorCodec is the accumulator's codec (nil: the default).
func (f AggregatorFuncs[IN, ACC, OUT]) AccumulatorCodec() codec.Codec[ACC] { return f.Codec }

func (f AggregatorFuncs[IN, ACC, OUT]) Merge(a, b ACC) ACC {
	if f.MergeFn == nil {
		panic(fmt.Errorf("stream: AggregatorFuncs without MergeFn used with merging (session) windows"))
	}
	return f.MergeFn(a, b)
}

// aggBuffer is the window buffer of agg's contents, nil unless agg is an
// AggregatorFuncs (value or pointer) with a MergeFn: folding a buffered
// window into state that already holds part of it (a checkpoint in the
// middle of the window) merges them, so the buffer is used only where a
// merge is known to be there (another Aggregator's Merge may panic or be
// missing: only session windows needed it before the buffer).
func aggBuffer[K comparable, T, ACC, OUT any](agg Aggregator[T, ACC, OUT]) func(operator.WindowContents[T, OUT]) operator.WindowBuffer[K, T, OUT] {
	switch f := agg.(type) {
	case AggregatorFuncs[T, ACC, OUT]:
		if f.MergeFn != nil {
			return operator.AggregateBuffer[K, T, ACC, OUT]
		}
	case *AggregatorFuncs[T, ACC, OUT]:
		if f != nil && f.MergeFn != nil {
			return operator.AggregateBuffer[K, T, ACC, OUT]
		}
	}
	return nil
}

// aggReleases reports whether agg is an AggregatorFuncs (value or
// pointer) that says it keeps nothing of its input (Releases).
func aggReleases[T, ACC, OUT any](agg Aggregator[T, ACC, OUT]) bool {
	switch f := agg.(type) {
	case AggregatorFuncs[T, ACC, OUT]:
		return f.Releases
	case *AggregatorFuncs[T, ACC, OUT]:
		return f != nil && f.Releases
	}
	return false
}

// aggregateContents keeps agg's accumulator per window; the functions of
// AggregatorFuncs are called directly.
func aggregateContents[T, ACC, OUT any](agg Aggregator[T, ACC, OUT]) operator.WindowContents[T, OUT] {
	if f, ok := agg.(AggregatorFuncs[T, ACC, OUT]); ok && f.AddFn != nil {
		return operator.AggregateContentsFuncs(f.CreateFn, f.AddFn, f.Merge, f.ResultFn, f.Codec)
	}
	return operator.AggregateContents(agg, accCodec(agg))
}

// accCodec is the aggregator's own accumulator codec, if it has one.
func accCodec[T, ACC, OUT any](agg Aggregator[T, ACC, OUT]) codec.Codec[ACC] {
	if c, ok := agg.(interface{ AccumulatorCodec() codec.Codec[ACC] }); ok {
		return c.AccumulatorCodec()
	}
	return nil
}

// reduceFold reduces a buffered window (windows with an evictor).
type reduceFold[K, T any] struct{ reduce func(a, b T) T }

func (f reduceFold[K, T]) Process(_ *WindowContext[K], elems []T, out Emitter[T]) error {
	if len(elems) == 0 {
		return nil
	}
	acc := elems[0]
	for _, v := range elems[1:] {
		acc = f.reduce(acc, v)
	}
	out.Emit(acc)
	return nil
}

// aggFold aggregates a buffered window (windows with an evictor).
type aggFold[K, T, ACC, OUT any] struct{ agg Aggregator[T, ACC, OUT] }

func (f aggFold[K, T, ACC, OUT]) Process(_ *WindowContext[K], elems []T, out Emitter[OUT]) error {
	if len(elems) == 0 {
		return nil
	}
	acc := f.agg.CreateAccumulator()
	for _, v := range elems {
		acc = f.agg.Add(v, acc)
	}
	out.Emit(f.agg.Result(acc))
	return nil
}

// foldThen runs fold over a buffered window and hands its single result to
// fn; it forwards Open and Clear to fn.
type foldThen[K, T, R, O any] struct {
	fold ProcessWindowFunction[K, T, R]
	fn   ProcessWindowFunction[K, R, O]
	ctx  *WindowContext[K]
	out  Emitter[O]
	one  [1]R
	err  error
}

func (f *foldThen[K, T, R, O]) Process(ctx *WindowContext[K], elems []T, out Emitter[O]) error {
	f.ctx, f.out, f.err = ctx, out, nil
	if err := f.fold.Process(ctx, elems, f); err != nil {
		return err
	}
	return f.err
}

// Emit receives the fold's result.
func (f *foldThen[K, T, R, O]) Emit(r R) {
	f.one[0] = r
	if err := f.fn.Process(f.ctx, f.one[:], f.out); err != nil && f.err == nil {
		f.err = err
	}
	var zero R
	f.one[0] = zero
}

func (f *foldThen[K, T, R, O]) Open(ctx *OpenContext) error {
	if o, ok := f.fn.(operator.WindowFunctionOpener); ok {
		return o.Open(ctx)
	}
	return nil
}

func (f *foldThen[K, T, R, O]) Clear(ctx *WindowContext[K]) error {
	if c, ok := f.fn.(operator.WindowFunctionClearer[K]); ok {
		return c.Clear(ctx)
	}
	return nil
}

// withWindow wraps each result with its key and window.
type withWindow[K, V any] struct{}

func (withWindow[K, V]) Process(ctx *WindowContext[K], elems []V, out Emitter[WindowResult[K, V]]) error {
	for _, v := range elems {
		out.Emit(WindowResult[K, V]{Key: ctx.Key(), Window: ctx.Window(), Value: v})
	}
	return nil
}
