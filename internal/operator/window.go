package operator

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
)

// ProcessWindowFunction evaluates a window when its trigger fires: elems is
// what the window holds (all buffered elements, or the single result of an
// incremental aggregation). elems and ctx are valid only during the call.
// Records emitted carry the timestamp window.MaxTimestamp().
type ProcessWindowFunction[K, IN, O any] interface {
	Process(ctx *WindowContext[K], elems []IN, out Emitter[O]) error
}

// WindowFunctionOpener is implemented by window functions that create state
// handles (global or per-window) once per subtask.
type WindowFunctionOpener interface {
	Open(ctx *OpenContext) error
}

// WindowFunctionClearer is implemented by window functions that want to be
// told when a window is purged at its cleanup time (Flink's
// ProcessWindowFunction.clear). Per-window state scoped with
// WindowContext.WindowState is cleared automatically.
type WindowFunctionClearer[K any] interface {
	Clear(ctx *WindowContext[K]) error
}

// WindowScoped is a keyed state handle that can be scoped to a window
// (every state handle of this package is).
type WindowScoped interface {
	SetNamespace(ns []byte)
	Clear()
}

// PassThroughWindow emits every element handed to it: the window function
// of plain reduce and aggregate windows.
type PassThroughWindow[K, T any] struct{}

func (PassThroughWindow[K, T]) Process(_ *WindowContext[K], elems []T, out Emitter[T]) error {
	for _, v := range elems {
		out.Emit(v)
	}
	return nil
}

// WindowContext is handed to a ProcessWindowFunction: the key, the window,
// time, per-window state and side outputs.
type WindowContext[K any] struct {
	kctx    *KeyedContext[K]
	w       Window
	ns      []byte
	merging bool
	known   *[]WindowScoped
	active  *[]WindowScoped
}

// Key is the key of the window.
func (c *WindowContext[K]) Key() K { return c.kctx.key }

// Window is the window being evaluated.
func (c *WindowContext[K]) Window() Window { return c.w }

// CurrentWatermark is the operator's event-time watermark.
func (c *WindowContext[K]) CurrentWatermark() int64 { return c.kctx.b.WM }

// CurrentProcessingTime is the processing time in epoch milliseconds.
func (c *WindowContext[K]) CurrentProcessingTime() int64 { return c.kctx.b.RT.Clock.NowMillis() }

// Subtask is the index of the running subtask.
func (c *WindowContext[K]) Subtask() int { return c.kctx.b.RT.Subtask }

// Context is the process context of the operator, for side outputs
// (operator.Output, stream.OutputTag.Emit); its timestamp is the window's
// MaxTimestamp.
func (c *WindowContext[K]) Context() *Context { return &c.kctx.Context }

// WindowState scopes h to the current window for the rest of this call
// (Flink's context.windowState()); handles not scoped are per key only
// (globalState()). The window's scoped state is cleared with the window.
// Per-window state is not available with merging (session) windows.
func (c *WindowContext[K]) WindowState(h WindowScoped) {
	if c.merging {
		panic(errors.New("operator: per-window state is not supported with merging (session) windows"))
	}
	h.SetNamespace(c.ns)
	*c.active = append(*c.active, h)
	if !slices.Contains(*c.known, h) {
		*c.known = append(*c.known, h)
	}
}

// KeyedWindow is the window operator, with Flink's WindowOperator
// semantics: the assigner maps each element to windows, the trigger decides
// when a window fires, the contents (an accumulator or the elements, in
// keyed state with the window as namespace) are handed to Fn, and the
// window's state and timers are removed at window.MaxTimestamp() +
// AllowedLateness (event time) or window.MaxTimestamp() (processing time).
//
// An event-time element is late when every window it belongs to is past its
// cleanup time (MaxTimestamp()+AllowedLateness <= watermark, Flink's
// isWindowLate): it is sent to the LateTag side output if there is one, else
// dropped, and counted in Metrics.Late either way. (An element that falls
// between windows, as with sliding windows whose slide exceeds their size,
// is dropped silently unless its own timestamp is late, as in Flink.)
// Merging assigners (sessions) keep a merging window set per key (see
// mergingWindows).
//
// Keyed state tables: "window-contents" (namespace: the window, or its
// state window when merging), "window-trigger/<name>" (Int64State of
// triggers, namespace: the window), "window-merging" (the merging window
// set of a key), plus the window function's own. Timers carry the window's
// AppendWindow bytes as namespace.
//
// With a non-merging, non-global assigner and its default trigger the
// operator takes a fast path that behaves as the default trigger but
// registers a window's timers only when its contents are created.
// Processing-time windows still pending at the end of a bounded input are
// dropped, as in Flink.
type KeyedWindow[K, T, R, O any] struct {
	keyedCore[K, O]
	KeyFn    func(T) K
	KeyCodec codec.Codec[K]
	Assigner WindowAssigner
	// Trigger is nil for the assigner's default (event time, processing
	// time, or never for GlobalWindows).
	Trigger Trigger
	// AllowedLateness keeps event-time windows (and refires them for late
	// elements) this long after they fired.
	AllowedLateness time.Duration
	// LateTag names the side output (of T) for late elements ("": drop).
	LateTag  string
	Contents WindowContents[T, R]
	Fn       ProcessWindowFunction[K, R, O]
	Out      Collector[O]
	// Buffer, when not nil, keeps the windows' accumulators in typed
	// in-memory tables until they fire or a checkpoint is taken (see
	// WindowBuffer); it is used only with an event-time tumbling or
	// sliding assigner, the default trigger, no allowed lateness and the
	// built-in codec of K (codec.For, not JSON), and must wrap Contents.
	Buffer WindowBuffer[K, T, R]
	// Shift, when not nil, fires and cleans up a window at Shift.Timer of
	// its MaxTimestamp instead of at its MaxTimestamp, and stamps its
	// records with Shift.Timestamp of it: for an assigner whose windows
	// are in the wall-clock time of a zone (see WindowShift). The window
	// buffer is not used with it.
	Shift WindowShift
	// Releases says that Contents (aggregate contents whose functions
	// copy what they keep of an element) and KeyFn keep no reference to
	// an input record: with the default trigger and no late side output
	// the operator is then done with a record when Collect returns
	// (Releaser), and a source chained before it may reuse record memory.
	Releases bool

	buf       WindowBuffer[K, T, R] // Buffer, when it is used
	keys      []K                   // CollectBatch's keys of a run
	tumble    int64                 // with buf: the size of tumbling windows (0: other)
	tumbleOff int64
	trig      Trigger
	fast      bool
	eventTime bool
	merging   bool
	lateness  int64
	late      Collector[T]
	cur       T
	wins      []Window
	ns        []byte // namespace of the window being processed
	sns       []byte // namespace of its state window (merging)
	mns       []byte
	mns2      []byte
	msb       []byte
	mnss      [][]byte
	tctx      TriggerContext
	wctx      WindowContext[K]
	rbuf      []R
	mw        mergingWindows
	onEvent   func(tm *Timer)
	onProc    func(tm *Timer)
	mergeFn   mergeFunc
	known     []WindowScoped
	active    []WindowScoped
	clearer   WindowFunctionClearer[K]
}

func (o *KeyedWindow[K, T, R, O]) Open(rt *Runtime) error {
	if err := o.openKeyed(rt, o.Out, o.KeyCodec); err != nil {
		return err
	}
	if o.Assigner == nil || o.Contents == nil || o.Fn == nil || o.KeyFn == nil || o.KeyCodec == nil {
		return fmt.Errorf("window operator %q: assigner, contents, function, key and key codec are required", rt.Name)
	}
	if err := ValidateAssigner(o.Assigner); err != nil {
		return fmt.Errorf("window operator %q: %w", rt.Name, err)
	}
	if o.AllowedLateness < 0 {
		return fmt.Errorf("window operator %q: allowed lateness must not be negative, got %v", rt.Name, o.AllowedLateness)
	}
	o.eventTime = o.Assigner.EventTime()
	o.merging = o.Assigner.Merging()
	o.trig = o.Trigger
	if o.trig == nil {
		o.trig = defaultTrigger(o.Assigner)
		_, never := o.trig.(NeverTrigger)
		o.fast = !o.merging && !never
	}
	if o.merging && !o.trig.CanMerge() {
		return fmt.Errorf("window operator %q: trigger %T cannot merge; merging (session) windows need a trigger whose CanMerge is true", rt.Name, o.trig)
	}
	if o.eventTime {
		o.lateness = o.AllowedLateness.Milliseconds()
	}
	if o.LateTag != "" {
		if side, ok := rt.Sides[o.LateTag]; ok {
			col, ok := side.(Collector[T])
			if !ok {
				return fmt.Errorf("window operator %q: late-data side output %q carries %T, not the window's input type", rt.Name, o.LateTag, side)
			}
			o.late = col
		}
	}
	o.Contents.bind(&o.kc, &o.Base)
	o.tctx = TriggerContext{kc: &o.kc, b: &o.Base, event: &o.event, proc: &o.proc,
		elem: func() any { return o.cur }}
	o.wctx = WindowContext[K]{kctx: &o.ctx, merging: o.merging, known: &o.known, active: &o.active}
	if o.merging {
		o.mw.bind(&o.kc)
		o.mergeFn = o.mergeWindows
	}
	o.onEvent = func(tm *Timer) { o.onTimer(tm, EventTime) }
	o.onProc = func(tm *Timer) { o.onTimer(tm, ProcessingTime) }
	o.clearer, _ = o.Fn.(WindowFunctionClearer[K])
	o.buf = nil
	// Tumbling and sliding windows of one end have one start: a table
	// fired alone is all of its time's timers. (Another assigner may give
	// windows of one end different starts, whose timers interleave by key.)
	_, tumbling := o.Assigner.(TumblingWindows)
	_, sliding := o.Assigner.(SlidingWindows)
	o.tctx.shift = o.Shift
	if o.Buffer != nil && o.Shift == nil && (tumbling || sliding) && o.fast && o.eventTime && o.lateness == 0 && builtinKeyCodec(o.KeyCodec) {
		o.buf = o.Buffer
		o.buf.open(o, o.KeyCodec)
		if a, ok := o.Assigner.(TumblingWindows); ok {
			o.tumble, o.tumbleOff = a.Size.Milliseconds(), a.Offset.Milliseconds()
		}
	}
	if op, ok := o.Fn.(WindowFunctionOpener); ok {
		defer o.Guard()
		return op.Open(&OpenContext{KC: &o.kc, RT: rt})
	}
	return nil
}

var errNoTimestamp = errors.New("event-time window got a record without timestamp: " +
	"give the source a WatermarkStrategy with a Timestamp function, or use processing-time windows")

func (o *KeyedWindow[K, T, R, O]) Collect(ts int64, v T) {
	o.Enter()
	o.M.In++
	if o.eventTime && ts == base.MinTime {
		o.Fail(errNoTimestamp)
	}
	if o.buf != nil {
		o.collectBuffered(ts, v)
		return
	}
	o.setKey(o.KeyFn(v), ts)
	var now int64
	if !o.eventTime {
		now = o.RT.Clock.NowMillis()
	}
	o.wins = o.Assigner.Assign(o.wins[:0], ts, now)
	if o.merging {
		o.collectMerging(ts, v)
		return
	}
	skipped := true
	for _, w := range o.wins {
		if o.isLate(w) {
			continue
		}
		skipped = false
		o.ns = AppendWindow(o.ns[:0], w)
		o.Contents.setNamespace(o.ns)
		created := o.Contents.add(ts, v)
		if o.fast {
			o.fastElement(w, created)
			continue
		}
		o.cur = v
		o.tctx.set(w, o.ns)
		o.tctx.inElem = true
		res := o.trig.OnElement(ts, w, &o.tctx)
		o.tctx.inElem = false
		if res.IsFire() {
			o.emit(w, o.ns)
		}
		if res.IsPurge() {
			o.Contents.clear()
		}
		o.registerCleanupTimer(w, o.ns)
	}
	if skipped && o.elementLate(ts) {
		o.onLate(ts, v)
	}
}

// fastElement is the default trigger's OnElement plus the cleanup timer,
// with timers registered only when the window's contents were created.
func (o *KeyedWindow[K, T, R, O]) fastElement(w Window, created bool) {
	end := o.fireTime(w)
	if !o.eventTime {
		if created {
			o.proc.Register(o.kc.KG, o.kc.Key, o.ns, end)
		}
		return
	}
	if end <= o.WM {
		o.emit(w, o.ns) // late but within the allowed lateness: fire at once
		if created {
			o.registerCleanupTimer(w, o.ns)
		}
		return
	}
	if created {
		o.event.Register(o.kc.KG, o.kc.Key, o.ns, end)
		if o.lateness != 0 {
			// Without allowed lateness the cleanup time is end: the
			// queue would find the timer just registered and do nothing.
			o.registerCleanupTimer(w, o.ns)
		}
	}
}

func (o *KeyedWindow[K, T, R, O]) collectMerging(ts int64, v T) {
	o.mw.load()
	skipped := true
	for _, nw := range o.wins {
		actual := o.mw.add(nw, o.mergeFn)
		// A window that is, or took in, a window of the set is late only
		// if the merge moved its end before theirs on the time line: a
		// Shift whose Timer is not monotonic (Flink's DataStream throws
		// then). Its parts' timers are gone and their contents are in it:
		// it takes the element and fires and goes at once, so no row is
		// lost and no state is left.
		lateMerged := o.isLate(actual)
		if lateMerged && !o.mw.absorbed {
			o.mw.retire(actual)
			continue
		}
		skipped = false
		sw, _ := o.mw.stateWindow(actual)
		o.sns = AppendWindow(o.sns[:0], sw)
		o.Contents.setNamespace(o.sns)
		o.Contents.add(ts, v)
		o.ns = AppendWindow(o.ns[:0], actual)
		o.cur = v
		o.tctx.set(actual, o.ns)
		if lateMerged {
			o.emit(actual, o.ns)
			o.deleteCleanupTimer(actual, o.ns)
			o.clearAll(actual, o.ns)
			continue
		}
		o.tctx.inElem = true
		res := o.trig.OnElement(ts, actual, &o.tctx)
		o.tctx.inElem = false
		if res.IsFire() {
			o.emit(actual, o.ns)
		}
		if res.IsPurge() {
			o.Contents.clear()
		}
		o.registerCleanupTimer(actual, o.ns)
	}
	o.mw.persist()
	if skipped && o.elementLate(ts) {
		o.onLate(ts, v)
	}
}

// mergeWindows is the merge callback of the merging window set: the
// trigger merges its state into result and re-registers its timers, the
// merged windows' trigger state and timers are cleared, and their contents
// are folded into result's state window.
func (o *KeyedWindow[K, T, R, O]) mergeWindows(result Window, merged []Window, stResult Window, mstate []Window) {
	o.mns = AppendWindow(o.mns[:0], result)
	o.tctx.set(result, o.mns)
	o.tctx.merged = merged
	o.trig.OnMerge(result, &o.tctx)
	o.tctx.merged = nil
	for _, m := range merged {
		if m == result {
			continue // result keeps its own trigger state and timers
		}
		o.mns2 = AppendWindow(o.mns2[:0], m)
		o.tctx.set(m, o.mns2)
		o.trig.Clear(m, &o.tctx)
		o.deleteCleanupTimer(m, o.mns2)
	}
	if len(mstate) == 0 {
		return
	}
	o.msb = o.msb[:0]
	for _, sw := range mstate {
		o.msb = AppendWindow(o.msb, sw)
	}
	o.msb = AppendWindow(o.msb, stResult)
	o.mnss = o.mnss[:0]
	for i := range mstate {
		o.mnss = append(o.mnss, o.msb[i*16:(i+1)*16])
	}
	o.Contents.merge(o.msb[len(mstate)*16:], o.mnss)
}

func (o *KeyedWindow[K, T, R, O]) onLate(ts int64, v T) {
	o.M.Late++
	if o.late != nil {
		o.late.Collect(ts, v)
		o.Enter()
	}
}

// fireTime is when w fires by default: its MaxTimestamp, or Shift.Timer
// of it.
func (o *KeyedWindow[K, T, R, O]) fireTime(w Window) int64 {
	if o.Shift != nil {
		return o.Shift.Timer(w.MaxTimestamp())
	}
	return w.MaxTimestamp()
}

// WindowShift maps the windows of an assigner that assigns in the
// wall-clock time of a zone (its windows' bounds are wall-clock epoch
// milliseconds, as Flink's windows over a TIMESTAMP_LTZ attribute in a
// session time zone other than UTC: its "shift time zone") back to the
// time line, for KeyedWindow.Shift.
type WindowShift interface {
	// Timer is the time (event or processing) at which the window whose
	// MaxTimestamp is maxTs fires and is cleaned up (Flink's
	// TimeWindowUtil.toEpochMillsForTimer). It should be monotonic: if it
	// is not, a session that merges windows not fired yet may be late at
	// once, and then fires and goes at once (collectMerging).
	Timer(maxTs int64) int64
	// Timestamp is the timestamp of the records the window emits (Flink's
	// toEpochMills of the window's max timestamp, its window_time).
	Timestamp(maxTs int64) int64
}

// cleanupTime is when w's state goes: MaxTimestamp()+AllowedLateness in
// event time, MaxTimestamp() in processing time (MaxTime: never).
func (o *KeyedWindow[K, T, R, O]) cleanupTime(w Window) int64 {
	end := o.fireTime(w)
	if !o.eventTime {
		return end
	}
	c := end + o.lateness
	if c < end {
		return base.MaxTime
	}
	return c
}

// elementLate is Flink's isElementLate: an event-time element is late when
// its timestamp plus the allowed lateness is at or below the watermark. A
// skipped element (all its windows late, or none, e.g. between sliding
// windows with slide > size) counts as late only then.
func (o *KeyedWindow[K, T, R, O]) elementLate(ts int64) bool {
	if !o.eventTime {
		return false
	}
	c := ts + o.lateness
	if c < ts {
		c = base.MaxTime
	}
	return c <= o.WM
}

// isLate is Flink's isWindowLate.
func (o *KeyedWindow[K, T, R, O]) isLate(w Window) bool {
	return o.eventTime && o.cleanupTime(w) <= o.WM
}

func (o *KeyedWindow[K, T, R, O]) registerCleanupTimer(w Window, ns []byte) {
	c := o.cleanupTime(w)
	if c == base.MaxTime {
		return
	}
	if o.eventTime {
		o.event.Register(o.kc.KG, o.kc.Key, ns, c)
	} else {
		o.proc.Register(o.kc.KG, o.kc.Key, ns, c)
	}
}

func (o *KeyedWindow[K, T, R, O]) deleteCleanupTimer(w Window, ns []byte) {
	c := o.cleanupTime(w)
	if c == base.MaxTime {
		return
	}
	if o.eventTime {
		o.event.Delete(o.kc.KG, o.kc.Key, ns, c)
	} else {
		o.proc.Delete(o.kc.KG, o.kc.Key, ns, c)
	}
}

// emit evaluates window w (contents namespace already set; ns is w's own
// namespace, for per-window state).
func (o *KeyedWindow[K, T, R, O]) emit(w Window, ns []byte) {
	rs, ok := o.Contents.get(o.rbuf[:0], w)
	o.rbuf = rs[:0]
	if !ok {
		return
	}
	o.wctx.w, o.wctx.ns = w, ns
	ts := w.MaxTimestamp()
	if o.Shift != nil {
		ts = o.Shift.Timestamp(ts)
	}
	o.em.TS, o.ctx.ts = ts, ts
	err := o.Fn.Process(&o.wctx, rs, &o.em)
	o.Enter()
	o.unscope()
	clear(rs)
	if err != nil {
		o.Fail(err)
	}
	o.Contents.afterFire(w)
}

func (o *KeyedWindow[K, T, R, O]) unscope() {
	for i, h := range o.active {
		h.SetNamespace(nil)
		o.active[i] = nil
	}
	o.active = o.active[:0]
}

func (o *KeyedWindow[K, T, R, O]) onTimer(tm *Timer, domain TimeDomain) {
	w := decodeWindow(tm.NS)
	t := tm.Time
	if o.merging {
		o.mw.load()
		sw, ok := o.mw.stateWindow(w)
		if !ok {
			return // merged away or retired: a stale timer
		}
		o.sns = AppendWindow(o.sns[:0], sw)
		o.Contents.setNamespace(o.sns)
	} else {
		o.Contents.setNamespace(tm.NS)
	}
	var res TriggerResult
	if o.fast {
		if t == o.fireTime(w) && (domain == EventTime) == o.eventTime {
			res = TriggerFire
		}
	} else {
		o.tctx.set(w, tm.NS)
		if domain == EventTime {
			res = o.trig.OnEventTime(t, w, &o.tctx)
		} else {
			res = o.trig.OnProcessingTime(t, w, &o.tctx)
		}
	}
	if res.IsFire() {
		o.emit(w, tm.NS)
	}
	if res.IsPurge() {
		o.Contents.clear()
	}
	if (domain == EventTime) == o.eventTime && t == o.cleanupTime(w) {
		o.clearAll(w, tm.NS)
	}
	if o.merging {
		o.mw.persist()
	}
}

// clearAll removes everything of window w: contents, trigger state and
// timers, per-window state of the window function, and w from the merging
// window set.
func (o *KeyedWindow[K, T, R, O]) clearAll(w Window, ns []byte) {
	o.Contents.clear()
	if !o.fast {
		o.tctx.set(w, ns)
		o.trig.Clear(w, &o.tctx)
	}
	if o.clearer != nil {
		o.wctx.w, o.wctx.ns = w, ns
		err := o.clearer.Clear(&o.wctx)
		o.Enter()
		o.unscope()
		if err != nil {
			o.Fail(err)
		}
	}
	for _, h := range o.known {
		h.SetNamespace(ns)
		h.Clear()
		h.SetNamespace(nil)
	}
	if o.merging {
		o.mw.retire(w)
	}
}

func (o *KeyedWindow[K, T, R, O]) Watermark(wm int64) {
	o.Enter()
	o.Base.Watermark(wm)
	if o.buf != nil {
		o.fireBuffered(wm)
	}
	o.fire(&o.event, wm, EventTime, o.onEvent)
}

func (o *KeyedWindow[K, T, R, O]) OnProcessingTime(now int64) {
	o.Enter()
	o.fire(&o.proc, now, ProcessingTime, o.onProc)
}

// touchRun is how many records CollectBatch keys and touches (see
// WindowBuffer.touch) before it adds them: enough cache misses to overlap,
// few enough that their lines stay in the first-level cache.
const touchRun = 32

// CollectBatch is Collect for a run of records. With a window buffer it
// takes runs of touchRun records: their keys first, the buffer's touch of
// them, then the records one by one (Collect's semantics, in order).
func (o *KeyedWindow[K, T, R, O]) CollectBatch(ts []int64, vs []T) {
	if o.buf == nil {
		for i := range vs {
			o.Collect(ts[i], vs[i])
		}
		return
	}
	o.Enter()
	for len(vs) > 0 {
		n := min(len(vs), touchRun)
		o.keys = o.keys[:0]
		for i := range n {
			o.keys = append(o.keys, o.KeyFn(vs[i]))
		}
		o.buf.touch(o.keys)
		for i := range n {
			o.M.In++
			if ts[i] == base.MinTime {
				o.Fail(errNoTimestamp)
			}
			o.collectKey(ts[i], vs[i], o.keys[i])
		}
		ts, vs = ts[n:], vs[n:]
	}
	clear(o.keys)
}

// collectBuffered is Collect with a WindowBuffer: event time, no allowed
// lateness (a window is late when its end is at or below the watermark),
// the default trigger.
func (o *KeyedWindow[K, T, R, O]) collectBuffered(ts int64, v T) {
	o.collectKey(ts, v, o.KeyFn(v))
}

func (o *KeyedWindow[K, T, R, O]) collectKey(ts int64, v T, key K) {
	o.kc.Touch()
	if o.tumble > 0 { // TumblingWindows.Assign, inlined
		start := windowStart(ts, o.tumbleOff, o.tumble)
		if w := (Window{Start: start, End: start + o.tumble}); w.MaxTimestamp() > o.WM {
			o.buf.add(key, w, v)
		} else if ts <= o.WM {
			o.onLate(ts, v)
		}
		return
	}
	o.wins = o.Assigner.Assign(o.wins[:0], ts, 0)
	skipped := true
	for _, w := range o.wins {
		if w.MaxTimestamp() <= o.WM {
			continue
		}
		skipped = false
		o.buf.add(key, w, v)
	}
	if skipped && ts <= o.WM {
		o.onLate(ts, v)
	}
}

// fireBuffered fires the buffered windows ending at or before wm, with the
// timers of earlier times first: the generic path's order. A window whose
// end has timers (part of it is in keyed state) is folded into state, so
// that those timers fire it in the generic order.
func (o *KeyedWindow[K, T, R, O]) fireBuffered(wm int64) {
	for {
		w, ok := o.buf.next()
		if !ok {
			return
		}
		end := w.MaxTimestamp()
		if end > wm {
			return
		}
		if end > base.MinTime {
			o.fire(&o.event, end-1, EventTime, o.onEvent)
		}
		if o.event.Next() == end {
			o.buf.fold()
		} else {
			o.buf.fire()
		}
	}
}

// flushBuffer folds every buffered window into keyed state.
func (o *KeyedWindow[K, T, R, O]) flushBuffer() {
	for _, ok := o.buf.next(); ok; _, ok = o.buf.next() {
		o.buf.fold()
	}
}

// SnapshotState folds the buffered windows into keyed state before the
// state and timers are captured (the snapshot is the generic path's); the
// operator has no non-keyed state.
func (o *KeyedWindow[K, T, R, O]) SnapshotState(int64) ([]byte, error) {
	if o.buf != nil {
		o.Enter()
		o.flushBuffer()
	}
	return nil, nil
}

// Finish folds what is still buffered into keyed state (nothing, after the
// end of input's final watermark).
func (o *KeyedWindow[K, T, R, O]) Finish() error {
	if o.buf != nil {
		o.Enter()
		o.flushBuffer()
	}
	return nil
}

// BufferedEntries is the number of accumulators held in the window
// buffer's tables (not in keyed state, so not in StateSize).
func (o *KeyedWindow[K, T, R, O]) BufferedEntries() int {
	if o.buf == nil {
		return 0
	}
	return o.buf.entries()
}

func (o *KeyedWindow[K, T, R, O]) startWindow(w Window) []byte {
	o.ns = AppendWindow(o.ns[:0], w)
	ts := w.MaxTimestamp()
	o.ctx.ts, o.ctx.domain, o.em.TS = ts, EventTime, ts
	o.wctx.w, o.wctx.ns = w, o.ns
	return o.ns
}

func (o *KeyedWindow[K, T, R, O]) setBufferedKey(key K) {
	o.kc.Key = o.KeyCodec.Append(o.kc.Key[:0], key)
	o.kc.KG = base.KeyGroupOf(o.kc.hashKey(), o.RT.MaxParallelism)
	o.ctx.key = key
}

func (o *KeyedWindow[K, T, R, O]) registerWindowTimer() {
	o.event.Register(o.kc.KG, o.kc.Key, o.ns, o.wctx.w.MaxTimestamp())
}

// emitBuffered is emit plus clearAll for a window fired from the buffer:
// its contents never were in keyed state; per-window state of the window
// function is cleared as clearAll does.
func (o *KeyedWindow[K, T, R, O]) emitBuffered(key K, r R) {
	o.setBufferedKey(key)
	w := o.wctx.w
	o.rbuf = append(o.rbuf[:0], r)
	err := o.Fn.Process(&o.wctx, o.rbuf, &o.em)
	o.Enter()
	o.unscope()
	clear(o.rbuf)
	o.rbuf = o.rbuf[:0]
	if err != nil {
		o.Fail(err)
	}
	if o.clearer != nil {
		o.wctx.w, o.wctx.ns = w, o.ns
		err := o.clearer.Clear(&o.wctx)
		o.Enter()
		o.unscope()
		if err != nil {
			o.Fail(err)
		}
	}
	for _, h := range o.known {
		h.SetNamespace(o.ns)
		h.Clear()
		h.SetNamespace(nil)
	}
}
