package operator

import (
	"errors"
	"fmt"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
)

// CoGroupFunc is the user logic of a window coGroup: called once per key and
// window that received at least one element, with the elements of each side
// in arrival order (either slice may be empty). Emitted records carry the
// window's MaxTimestamp.
type CoGroupFunc[K, A, B, O any] func(key K, w Window, as []A, bs []B, out Emitter[O])

// CrossJoin turns a pair function into the CoGroupFunc of an inner window
// join: f is called for every pair of the window's cross product, left
// elements in the outer loop (as Flink's window join).
func CrossJoin[K, A, B, O any](f func(A, B) O) CoGroupFunc[K, A, B, O] {
	return func(_ K, _ Window, as []A, bs []B, out Emitter[O]) {
		for _, a := range as {
			for _, b := range bs {
				out.Emit(f(a, b))
			}
		}
	}
}

// CheckJoinAssigner reports whether a window join can use assigner: it must
// be valid, not merging and not global.
func CheckJoinAssigner(assigner WindowAssigner) error {
	switch assigner.(type) {
	case nil:
		return errors.New("window join: no window assigner")
	case GlobalWindows, *GlobalWindows:
		return errors.New("window join: global windows never fire without a custom trigger; use tumbling or sliding windows")
	}
	if assigner.Merging() {
		return fmt.Errorf("window join: merging window assigners (%T) are not supported; "+
			"use tumbling or sliding windows, or an interval join for gap-based matching", assigner)
	}
	return ValidateAssigner(assigner)
}

// WindowCoGroup buffers two keyed inputs per key and window and calls Fn
// when the window ends: in event time when the watermark passes
// window.MaxTimestamp(), in processing time when the clock does. It is
// Flink's a.coGroup(b).where(..).equalTo(..).window(..) (and, with
// CrossJoin, a.join(b)...): non-merging assigners only, no allowed lateness.
// An event-time element whose windows have all ended is late: counted in
// Metrics.Late, sent to LateTagA/LateTagB when set, else dropped. A window's
// state is cleared when it fires. Processing-time windows still pending at
// the end of a bounded input are dropped, as in Flink.
type WindowCoGroup[K, A, B, O any] struct {
	keyedCore[K, O]
	Key1     func(A) K
	Key2     func(B) K
	KeyCodec codec.Codec[K]
	// CodecA and CodecB serialize buffered elements (default codec.For).
	CodecA   codec.Codec[A]
	CodecB   codec.Codec[B]
	Assigner WindowAssigner
	Fn       CoGroupFunc[K, A, B, O]
	Out      Collector[O]
	// LateTagA and LateTagB name side outputs for late elements ("": drop).
	LateTagA, LateTagB string

	left    *ListState[A]
	right   *ListState[B]
	evTime  bool
	wins    []Window
	nsb     []byte
	onTimer func(tm *Timer)
}

func (o *WindowCoGroup[K, A, B, O]) Open(rt *Runtime) error {
	if err := o.openKeyed(rt, o.Out, o.KeyCodec); err != nil {
		return err
	}
	if err := CheckJoinAssigner(o.Assigner); err != nil {
		return err
	}
	if o.CodecA == nil {
		o.CodecA = codec.For[A]()
	}
	if o.CodecB == nil {
		o.CodecB = codec.For[B]()
	}
	o.evTime = o.Assigner.EventTime()
	o.left = NewListState(&o.kc, "window-join-left", o.CodecA, TTL{})
	o.right = NewListState(&o.kc, "window-join-right", o.CodecB, TTL{})
	o.onTimer = o.fireWindow
	return nil
}

// Input1 is the collector of the left input.
func (o *WindowCoGroup[K, A, B, O]) Input1() Collector[A] { return wjLeft[K, A, B, O]{o} }

// Input2 is the collector of the right input.
func (o *WindowCoGroup[K, A, B, O]) Input2() Collector[B] { return wjRight[K, A, B, O]{o} }

type wjLeft[K, A, B, O any] struct{ o *WindowCoGroup[K, A, B, O] }

func (c wjLeft[K, A, B, O]) Collect(ts int64, v A) {
	o := c.o
	o.Enter()
	o.M.In++
	o.setKey(o.Key1(v), ts)
	if !o.assign(ts) {
		if o.LateTagA != "" {
			Output(&o.ctx.Context, o.LateTagA, v)
		}
		return
	}
	for _, w := range o.wins {
		o.left.SetNamespace(o.ns(w))
		o.left.Add(v)
		o.register(w)
	}
	o.left.SetNamespace(nil)
}

type wjRight[K, A, B, O any] struct{ o *WindowCoGroup[K, A, B, O] }

func (c wjRight[K, A, B, O]) Collect(ts int64, v B) {
	o := c.o
	o.Enter()
	o.M.In++
	o.setKey(o.Key2(v), ts)
	if !o.assign(ts) {
		if o.LateTagB != "" {
			Output(&o.ctx.Context, o.LateTagB, v)
		}
		return
	}
	for _, w := range o.wins {
		o.right.SetNamespace(o.ns(w))
		o.right.Add(v)
		o.register(w)
	}
	o.right.SetNamespace(nil)
}

// assign puts the windows of an element into o.wins, leaving out event-time
// windows that already ended. It reports false (and counts the element as
// late) when none is left.
func (o *WindowCoGroup[K, A, B, O]) assign(ts int64) bool {
	if !o.evTime {
		o.wins = o.Assigner.Assign(o.wins[:0], ts, o.RT.Clock.NowMillis())
		return len(o.wins) > 0
	}
	if ts == base.MinTime {
		o.Fail(errJoinNoTimestamp)
	}
	o.wins = o.Assigner.Assign(o.wins[:0], ts, 0)
	n := 0
	for _, w := range o.wins {
		if o.WM == base.MinTime || w.MaxTimestamp() > o.WM {
			o.wins[n] = w
			n++
		}
	}
	o.wins = o.wins[:n]
	if n == 0 {
		o.M.Late++
		return false
	}
	return true
}

func (o *WindowCoGroup[K, A, B, O]) ns(w Window) []byte {
	o.nsb = AppendWindow(o.nsb[:0], w)
	return o.nsb
}

// register asks for the window's firing; o.nsb holds the window.
func (o *WindowCoGroup[K, A, B, O]) register(w Window) {
	if o.evTime {
		o.event.Register(o.kc.KG, o.kc.Key, o.nsb, w.MaxTimestamp())
		return
	}
	o.proc.Register(o.kc.KG, o.kc.Key, o.nsb, w.MaxTimestamp())
}

// fireWindow emits a window of the timer's key and clears its state.
func (o *WindowCoGroup[K, A, B, O]) fireWindow(tm *Timer) {
	w, err := DecodeWindow(tm.NS)
	if err != nil {
		o.Fail(err)
	}
	o.left.SetNamespace(tm.NS)
	o.right.SetNamespace(tm.NS)
	as, bs := o.left.Get(), o.right.Get()
	o.left.Clear()
	o.right.Clear()
	o.left.SetNamespace(nil)
	o.right.SetNamespace(nil)
	if len(as) > 0 || len(bs) > 0 {
		o.Fn(o.ctx.key, w, as, bs, &o.em)
	}
}

func (o *WindowCoGroup[K, A, B, O]) Watermark(wm int64) {
	o.Enter()
	o.Base.Watermark(wm)
	o.fire(&o.event, wm, EventTime, o.onTimer)
}

func (o *WindowCoGroup[K, A, B, O]) OnProcessingTime(now int64) {
	o.Enter()
	o.fire(&o.proc, now, ProcessingTime, o.onTimer)
}

// PendingTimers is the number of windows waiting to fire (tests, metrics).
func (o *WindowCoGroup[K, A, B, O]) PendingTimers() int {
	return o.event.Len() + o.proc.Len()
}
