package operator

import (
	"fmt"
	"time"

	"github.com/stromio/strom/codec"
)

// TriggerResult is what a trigger decides for a window: whether to evaluate
// the window function now (fire) and whether to clear the window's contents
// (purge). The trigger's own state and timers are untouched by a purge.
type TriggerResult uint8

const (
	// TriggerContinue does nothing.
	TriggerContinue TriggerResult = iota
	// TriggerFire evaluates the window and keeps its contents.
	TriggerFire
	// TriggerPurge clears the window's contents without evaluating it.
	TriggerPurge
	// TriggerFireAndPurge evaluates the window, then clears its contents.
	TriggerFireAndPurge
)

// IsFire reports whether the window function runs.
func (r TriggerResult) IsFire() bool { return r == TriggerFire || r == TriggerFireAndPurge }

// IsPurge reports whether the window's contents are cleared.
func (r TriggerResult) IsPurge() bool { return r == TriggerPurge || r == TriggerFireAndPurge }

func (r TriggerResult) String() string {
	switch r {
	case TriggerContinue:
		return "CONTINUE"
	case TriggerFire:
		return "FIRE"
	case TriggerPurge:
		return "PURGE"
	case TriggerFireAndPurge:
		return "FIRE_AND_PURGE"
	}
	return fmt.Sprintf("TriggerResult(%d)", uint8(r))
}

// Trigger decides when a window is evaluated, with Flink's semantics. The
// operator calls it with the current key set; everything a trigger keeps
// must live in the context (timers, Int64State), never in the trigger value,
// which is shared by every key, window and subtask.
type Trigger interface {
	// OnElement is called for every element added to window w; ts is the
	// element's timestamp. ctx.Element returns the element.
	OnElement(ts int64, w Window, ctx *TriggerContext) TriggerResult
	// OnEventTime is called when an event-time timer registered through
	// ctx fires (the watermark reached t).
	OnEventTime(t int64, w Window, ctx *TriggerContext) TriggerResult
	// OnProcessingTime is called when a processing-time timer fires.
	OnProcessingTime(t int64, w Window, ctx *TriggerContext) TriggerResult
	// CanMerge reports whether the trigger supports merging windows
	// (session windows need it).
	CanMerge() bool
	// OnMerge is called when ctx.MergedWindows() were merged into w: merge
	// their state into w's (ctx.MergeInt64State) and register w's timers.
	// The merged windows are cleared (Clear) afterwards.
	OnMerge(w Window, ctx *TriggerContext)
	// Clear removes the trigger's timers and state of w; called when the
	// window is purged at its cleanup time or merged away.
	Clear(w Window, ctx *TriggerContext)
}

// TriggerContext is handed to a trigger: the current window, the time,
// timers and per-window trigger state. It is valid only during the call.
type TriggerContext struct {
	w      Window
	ns     []byte
	kc     *KeyContext
	b      *Base
	event  *TimerQueue
	proc   *TimerQueue
	elem   func() any
	inElem bool
	states map[string]*ValueState[int64]
	merged []Window
	mns    []byte
	shift  WindowShift // KeyedWindow.Shift
}

// fireTime is when the default triggers fire w: its MaxTimestamp, or
// KeyedWindow.Shift's Timer of it.
func (c *TriggerContext) fireTime(w Window) int64 {
	if c.shift != nil {
		return c.shift.Timer(w.MaxTimestamp())
	}
	return w.MaxTimestamp()
}

func (c *TriggerContext) set(w Window, ns []byte) {
	c.w, c.ns = w, ns
}

// Window is the window the trigger is called for.
func (c *TriggerContext) Window() Window { return c.w }

// CurrentWatermark is the operator's event-time watermark.
func (c *TriggerContext) CurrentWatermark() int64 { return c.b.WM }

// CurrentProcessingTime is the processing time in epoch milliseconds.
func (c *TriggerContext) CurrentProcessingTime() int64 { return c.b.RT.Clock.NowMillis() }

// RegisterEventTimeTimer asks for OnEventTime(t) of this window when the
// watermark reaches t. Registering the same time twice fires once.
func (c *TriggerContext) RegisterEventTimeTimer(t int64) {
	c.event.Register(c.kc.KG, c.kc.Key, c.ns, t)
}

// RegisterProcessingTimeTimer asks for OnProcessingTime(t) of this window.
func (c *TriggerContext) RegisterProcessingTimeTimer(t int64) {
	c.proc.Register(c.kc.KG, c.kc.Key, c.ns, t)
}

// DeleteEventTimeTimer removes an event-time timer of this window.
func (c *TriggerContext) DeleteEventTimeTimer(t int64) { c.event.Delete(c.kc.KG, c.kc.Key, c.ns, t) }

// DeleteProcessingTimeTimer removes a processing-time timer of this window.
func (c *TriggerContext) DeleteProcessingTimeTimer(t int64) {
	c.proc.Delete(c.kc.KG, c.kc.Key, c.ns, t)
}

// Element is the element being added (in OnElement), nil otherwise. It is
// boxed on demand, so triggers that never look at elements cost nothing.
func (c *TriggerContext) Element() any {
	if !c.inElem || c.elem == nil {
		return nil
	}
	return c.elem()
}

// Int64State is a per-key, per-window int64 of the trigger, kept in keyed
// state (table "window-trigger/<name>", namespace = the window), so it is
// part of snapshots. The handle is scoped to the current window until the
// next call of Int64State.
func (c *TriggerContext) Int64State(name string) *ValueState[int64] {
	s, ok := c.states[name]
	if !ok {
		if c.states == nil {
			c.states = map[string]*ValueState[int64]{}
		}
		s = NewValueState[int64](c.kc, "window-trigger/"+name, codec.Int64{}, TTL{})
		c.states[name] = s
	}
	s.SetNamespace(c.ns)
	return s
}

// MergedWindows are the windows being merged into Window() (in OnMerge).
func (c *TriggerContext) MergedWindows() []Window { return c.merged }

// MergeInt64State folds the Int64State name of every merged window into the
// current window's with merge (in OnMerge), as Flink's mergePartitionedState.
func (c *TriggerContext) MergeInt64State(name string, merge func(a, b int64) int64) {
	s := c.Int64State(name)
	acc, have := s.Get()
	for _, m := range c.merged {
		if m == c.w {
			continue
		}
		c.mns = AppendWindow(c.mns[:0], m)
		s.SetNamespace(c.mns)
		v, ok := s.Get()
		if !ok {
			continue
		}
		s.Clear()
		if have {
			acc = merge(acc, v)
		} else {
			acc, have = v, true
		}
	}
	s.SetNamespace(c.ns)
	if have {
		s.Set(acc)
	}
}

// EventTimeTrigger fires once the watermark passes the window's end
// (window.MaxTimestamp()), and again at once for every element that arrives
// later within the allowed lateness. It is the default of event-time
// assigners.
type EventTimeTrigger struct{}

func (EventTimeTrigger) OnElement(_ int64, w Window, ctx *TriggerContext) TriggerResult {
	if ctx.fireTime(w) <= ctx.CurrentWatermark() {
		return TriggerFire
	}
	ctx.RegisterEventTimeTimer(ctx.fireTime(w))
	return TriggerContinue
}
func (EventTimeTrigger) OnEventTime(t int64, w Window, ctx *TriggerContext) TriggerResult {
	if t == ctx.fireTime(w) {
		return TriggerFire
	}
	return TriggerContinue
}
func (EventTimeTrigger) OnProcessingTime(int64, Window, *TriggerContext) TriggerResult {
	return TriggerContinue
}
func (EventTimeTrigger) CanMerge() bool { return true }
func (EventTimeTrigger) OnMerge(w Window, ctx *TriggerContext) {
	if ctx.fireTime(w) > ctx.CurrentWatermark() {
		ctx.RegisterEventTimeTimer(ctx.fireTime(w))
	}
}
func (EventTimeTrigger) Clear(w Window, ctx *TriggerContext) {
	ctx.DeleteEventTimeTimer(ctx.fireTime(w))
}

// ProcessingTimeTrigger fires when processing time passes the window's end.
// It is the default of processing-time assigners.
type ProcessingTimeTrigger struct{}

func (ProcessingTimeTrigger) OnElement(_ int64, w Window, ctx *TriggerContext) TriggerResult {
	ctx.RegisterProcessingTimeTimer(ctx.fireTime(w))
	return TriggerContinue
}
func (ProcessingTimeTrigger) OnEventTime(int64, Window, *TriggerContext) TriggerResult {
	return TriggerContinue
}
func (ProcessingTimeTrigger) OnProcessingTime(int64, Window, *TriggerContext) TriggerResult {
	return TriggerFire
}
func (ProcessingTimeTrigger) CanMerge() bool { return true }
func (ProcessingTimeTrigger) OnMerge(w Window, ctx *TriggerContext) {
	if ctx.fireTime(w) > ctx.CurrentProcessingTime() {
		ctx.RegisterProcessingTimeTimer(ctx.fireTime(w))
	}
}
func (ProcessingTimeTrigger) Clear(w Window, ctx *TriggerContext) {
	ctx.DeleteProcessingTimeTimer(ctx.fireTime(w))
}

// NeverTrigger never fires: the default of GlobalWindows, which need a
// custom trigger.
type NeverTrigger struct{}

func (NeverTrigger) OnElement(int64, Window, *TriggerContext) TriggerResult { return TriggerContinue }
func (NeverTrigger) OnEventTime(int64, Window, *TriggerContext) TriggerResult {
	return TriggerContinue
}
func (NeverTrigger) OnProcessingTime(int64, Window, *TriggerContext) TriggerResult {
	return TriggerContinue
}
func (NeverTrigger) CanMerge() bool                  { return true }
func (NeverTrigger) OnMerge(Window, *TriggerContext) {}
func (NeverTrigger) Clear(Window, *TriggerContext)   {}

// CountTrigger fires each time a window has received N elements since it
// last fired (the count restarts; the contents stay unless it is wrapped in
// PurgingTrigger).
type CountTrigger struct {
	N int64
}

const countState = "count"

func (t CountTrigger) OnElement(_ int64, _ Window, ctx *TriggerContext) TriggerResult {
	s := ctx.Int64State(countState)
	n, _ := s.Get()
	n++
	if n >= t.N {
		s.Clear()
		return TriggerFire
	}
	s.Set(n)
	return TriggerContinue
}
func (CountTrigger) OnEventTime(int64, Window, *TriggerContext) TriggerResult {
	return TriggerContinue
}
func (CountTrigger) OnProcessingTime(int64, Window, *TriggerContext) TriggerResult {
	return TriggerContinue
}
func (CountTrigger) CanMerge() bool { return true }
func (CountTrigger) OnMerge(_ Window, ctx *TriggerContext) {
	ctx.MergeInt64State(countState, func(a, b int64) int64 { return a + b })
}
func (CountTrigger) Clear(_ Window, ctx *TriggerContext) { ctx.Int64State(countState).Clear() }

// PurgingTrigger turns every FIRE of Inner into FIRE_AND_PURGE.
type PurgingTrigger struct {
	Inner Trigger
}

func purging(r TriggerResult) TriggerResult {
	if r.IsFire() {
		return TriggerFireAndPurge
	}
	return r
}

func (t PurgingTrigger) OnElement(ts int64, w Window, ctx *TriggerContext) TriggerResult {
	return purging(t.Inner.OnElement(ts, w, ctx))
}
func (t PurgingTrigger) OnEventTime(ts int64, w Window, ctx *TriggerContext) TriggerResult {
	return purging(t.Inner.OnEventTime(ts, w, ctx))
}
func (t PurgingTrigger) OnProcessingTime(ts int64, w Window, ctx *TriggerContext) TriggerResult {
	return purging(t.Inner.OnProcessingTime(ts, w, ctx))
}
func (t PurgingTrigger) CanMerge() bool                        { return t.Inner.CanMerge() }
func (t PurgingTrigger) OnMerge(w Window, ctx *TriggerContext) { t.Inner.OnMerge(w, ctx) }
func (t PurgingTrigger) Clear(w Window, ctx *TriggerContext)   { t.Inner.Clear(w, ctx) }

// ContinuousEventTimeTrigger fires every Interval of event time (aligned to
// multiples of Interval) while the window is open, and at the window's end.
type ContinuousEventTimeTrigger struct {
	Interval time.Duration
}

const continuousState = "fire-time"

func (t ContinuousEventTimeTrigger) OnElement(ts int64, w Window, ctx *TriggerContext) TriggerResult {
	if w.MaxTimestamp() <= ctx.CurrentWatermark() {
		return TriggerFire // the watermark is past the window: fire at once
	}
	ctx.RegisterEventTimeTimer(w.MaxTimestamp())
	s := ctx.Int64State(continuousState)
	if _, ok := s.Get(); !ok {
		iv := t.Interval.Milliseconds()
		r := ts % iv
		if r < 0 {
			r += iv
		}
		t.next(ts-r, w, ctx, s)
	}
	return TriggerContinue
}

func (t ContinuousEventTimeTrigger) next(at int64, w Window, ctx *TriggerContext, s *ValueState[int64]) {
	n := min(at+t.Interval.Milliseconds(), w.MaxTimestamp())
	s.Set(n)
	ctx.RegisterEventTimeTimer(n)
}

func (t ContinuousEventTimeTrigger) OnEventTime(tm int64, w Window, ctx *TriggerContext) TriggerResult {
	if tm == w.MaxTimestamp() {
		return TriggerFire
	}
	s := ctx.Int64State(continuousState)
	if f, ok := s.Get(); ok && f == tm {
		s.Clear()
		t.next(tm, w, ctx, s)
		return TriggerFire
	}
	return TriggerContinue
}
func (ContinuousEventTimeTrigger) OnProcessingTime(int64, Window, *TriggerContext) TriggerResult {
	return TriggerContinue
}
func (ContinuousEventTimeTrigger) CanMerge() bool { return true }
func (ContinuousEventTimeTrigger) OnMerge(_ Window, ctx *TriggerContext) {
	ctx.MergeInt64State(continuousState, func(a, b int64) int64 { return min(a, b) })
	if f, ok := ctx.Int64State(continuousState).Get(); ok {
		ctx.RegisterEventTimeTimer(f)
	}
}
func (ContinuousEventTimeTrigger) Clear(_ Window, ctx *TriggerContext) {
	s := ctx.Int64State(continuousState)
	if f, ok := s.Get(); ok {
		ctx.DeleteEventTimeTimer(f)
		s.Clear()
	}
}

// defaultTrigger is the trigger of an assigner when none was set.
func defaultTrigger(a WindowAssigner) Trigger {
	switch a.(type) {
	case GlobalWindows, *GlobalWindows:
		return NeverTrigger{}
	}
	if a.EventTime() {
		return EventTimeTrigger{}
	}
	return ProcessingTimeTrigger{}
}
