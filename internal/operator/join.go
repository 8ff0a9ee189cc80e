package operator

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
)

// This file holds the interval join (Flink's KeyedStream.intervalJoin) and
// the pieces the joins share. join_window.go has the window join/coGroup,
// join_enrich.go the stream-to-table enrichment.

// errJoinNoTimestamp is the failure of an event-time join fed a record
// without a timestamp.
var errJoinNoTimestamp = errors.New("operator: a record without a timestamp reached an event-time join; " +
	"assign timestamps and watermarks at the source (WatermarkStrategy)")

// JoinContext is handed to interval-join functions with the pair being
// joined. It is valid only during the call.
type JoinContext struct {
	b           *Base
	left, right int64
	side        Context
}

// LeftTimestamp is the event time of the left (first) element of the pair.
func (c *JoinContext) LeftTimestamp() int64 { return c.left }

// RightTimestamp is the event time of the right (second) element.
func (c *JoinContext) RightTimestamp() int64 { return c.right }

// Timestamp is the timestamp of the result: max(left, right), as in Flink.
func (c *JoinContext) Timestamp() int64 { return max(c.left, c.right) }

// CurrentWatermark is the operator's current event-time watermark.
func (c *JoinContext) CurrentWatermark() int64 { return c.b.WM }

// ProcessingTime is the current processing time in epoch milliseconds.
func (c *JoinContext) ProcessingTime() int64 { return c.b.RT.Clock.NowMillis() }

// Subtask is the index of the running subtask.
func (c *JoinContext) Subtask() int { return c.b.RT.Subtask }

// SideOutputs returns the context to emit side outputs with (Output, or
// OutputTag.Emit in package stream); records carry Timestamp(). It offers no
// timers: a join function cannot register any.
func (c *JoinContext) SideOutputs() *Context { return &c.side }

// ProcessJoinFunc is the user logic of an interval join: called once per
// matching pair; emitted records carry max(left, right) as timestamp.
type ProcessJoinFunc[A, B, O any] func(ctx *JoinContext, a A, b B, out Emitter[O]) error

// IntervalBounds turns the bounds of an interval join (a.ts+lower <= b.ts <=
// a.ts+upper, each end optionally exclusive) into inclusive milliseconds,
// and checks that the interval is not empty.
func IntervalBounds(lower, upper time.Duration, lowerExclusive, upperExclusive bool) (lo, hi int64, err error) {
	lo, hi = lower.Milliseconds(), upper.Milliseconds()
	if lowerExclusive {
		lo++
	}
	if upperExclusive {
		hi--
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("interval join: the interval [%v, %v] (lower exclusive %t, upper exclusive %t) is empty: "+
			"the lower bound must not exceed the upper bound", lower, upper, lowerExclusive, upperExclusive)
	}
	return lo, hi, nil
}

// addSat is a+b saturated to [MinTime, MaxTime].
func addSat(a, b int64) int64 {
	s := a + b
	switch {
	case b > 0 && s < a:
		return base.MaxTime
	case b < 0 && s > a:
		return base.MinTime
	}
	return s
}

// tsBuffer keeps the elements of one join side per key, bucketed by
// timestamp: a ListState whose namespace is the 8-byte big-endian timestamp,
// so a bucket is added to in O(1), dropped by one delete, and the buckets of
// a key are found with one scan.
type tsBuffer[T any] struct {
	l   *ListState[T]
	nsb [8]byte
}

func (b *tsBuffer[T]) ns(ts int64) []byte {
	binary.BigEndian.PutUint64(b.nsb[:], uint64(ts))
	return b.nsb[:]
}

func (b *tsBuffer[T]) add(ts int64, v T) {
	b.l.SetNamespace(b.ns(ts))
	b.l.Add(v)
}

func (b *tsBuffer[T]) remove(ts int64) {
	b.l.SetNamespace(b.ns(ts))
	b.l.Clear()
}

// matching appends the timestamps of the current key's buckets inside
// [lo, hi] to dst, in ascending order (so output order is deterministic).
func (b *tsBuffer[T]) matching(dst []int64, lo, hi int64) []int64 {
	n := len(dst)
	b.l.t.ScanKey(b.l.kc.KG, b.l.kc.Key, func(sub, _ []byte) bool {
		if len(sub) == 8 {
			if ts := int64(binary.BigEndian.Uint64(sub)); ts >= lo && ts <= hi {
				dst = append(dst, ts)
			}
		}
		return true
	})
	slices.Sort(dst[n:])
	return dst
}

// each calls fn for every element of the bucket ts, in insertion order.
func (b *tsBuffer[T]) each(ts int64, fn func(T) bool) {
	b.l.SetNamespace(b.ns(ts))
	b.l.Range(fn)
}

// Timer namespaces of the interval join's cleanup timers: 'L' and 'R'
// at the DataStream API's cleanup times, 'l' and 'r' at the expiries of
// JoinLate (the end of the element's range + 1 ms).
var (
	nsJoinLeft      = []byte{'L'}
	nsJoinRight     = []byte{'R'}
	nsJoinLeftLate  = []byte{'l'}
	nsJoinRightLate = []byte{'r'}
)

// IntervalJoin joins two keyed inputs: a pair (a, b) of the same key is
// emitted when a.ts+Lower <= b.ts <= a.ts+Upper, with timestamp
// max(a.ts, b.ts). It follows Flink's IntervalJoinOperator: both sides are
// buffered per key by timestamp; an element behind the watermark is late
// (counted in Metrics.Late, sent to the side output LateTagA/LateTagB when
// set, else dropped); each element's bucket is removed by an event-time
// timer once no element of the other side can match it any more (at
// ts+Upper for the left side when Upper > 0, else ts; at ts-Lower for the
// right side when Lower < 0, else ts). With JoinLate it follows Flink
// SQL's interval join (TimeIntervalJoin) instead.
type IntervalJoin[K, A, B, O any] struct {
	keyedCore[K, O]
	Key1     func(A) K
	Key2     func(B) K
	KeyCodec codec.Codec[K]
	// CodecA and CodecB serialize buffered elements (default codec.For).
	CodecA codec.Codec[A]
	CodecB codec.Codec[B]
	// Lower and Upper are the inclusive bounds in milliseconds (see
	// IntervalBounds for exclusive ones).
	Lower, Upper int64
	Fn           ProcessJoinFunc[A, B, O]
	Out          Collector[O]
	// LateTagA and LateTagB name side outputs for late elements ("": drop).
	LateTagA, LateTagB string
	// OutputDelay (ms, >= 0) holds the output watermark back (Flink SQL's
	// interval join: KeyedCoProcessOperatorWithWatermarkDelay by the larger
	// of -Lower and Upper), so that the time of either element of a pair
	// of elements that were not late, not only the later one, is at or
	// after the watermark downstream (with JoinLate, the pair's timestamp
	// is; a late element's own time may not be).
	OutputDelay int64
	// JoinLate joins every element, late or not, with the other side's
	// buffered elements, as Flink SQL's interval join (TimeIntervalJoin)
	// does, instead of dropping late ones: an element is buffered only
	// while elements that are not late can still match it (a left one at
	// ts while the watermark is at most ts+Upper, a right one while it is
	// at most ts-Lower), and its bucket is removed by an event-time timer
	// at that end + 1 ms (namespaces 'l' and 'r'). Cleanup timers of the
	// DataStream API's times ('L' and 'R', restored from a checkpoint taken
	// without JoinLate) move their buckets to these expiries when they
	// fire. Late elements are neither counted in Metrics.Late nor sent to
	// the side outputs. A late element joins buffered elements that may be
	// behind the watermark themselves, so without an OutputDelay a pair can
	// be emitted behind the output watermark: by up to max(-Lower, Upper)
	// when Lower <= 0 <= Upper, else Upper - Lower (a left element is
	// buffered down to the watermark - Upper, a right one down to the
	// watermark + Lower; testdata/join/interval.txt). An OutputDelay of
	// that much avoids it; max(-Lower, Upper) always does.
	JoinLate bool

	left    tsBuffer[A]
	right   tsBuffer[B]
	jctx    JoinContext
	scratch []int64
	onTimer func(tm *Timer)
	// The element being joined and the timestamp of the bucket being
	// scanned, read by the bucket callbacks (made once in Open, so no
	// closure is allocated per record).
	curA    A
	curB    B
	curTS   int64
	otherTS int64
	emitAB  func(B) bool
	emitBA  func(A) bool
}

func (o *IntervalJoin[K, A, B, O]) Open(rt *Runtime) error {
	if err := o.openKeyed(rt, o.Out, o.KeyCodec); err != nil {
		return err
	}
	if o.Lower > o.Upper {
		return fmt.Errorf("interval join: lower bound %dms exceeds upper bound %dms", o.Lower, o.Upper)
	}
	if o.CodecA == nil {
		o.CodecA = codec.For[A]()
	}
	if o.CodecB == nil {
		o.CodecB = codec.For[B]()
	}
	o.left.l = NewListState(&o.kc, "interval-join-left", o.CodecA, TTL{})
	o.right.l = NewListState(&o.kc, "interval-join-right", o.CodecB, TTL{})
	o.jctx.b = &o.Base
	o.jctx.side.b = &o.Base
	o.onTimer = o.cleanup
	o.emitAB = func(b B) bool { o.emit(o.curA, b, o.curTS, o.otherTS); return true }
	o.emitBA = func(a A) bool { o.emit(a, o.curB, o.otherTS, o.curTS); return true }
	return nil
}

// Input1 is the collector of the left input.
func (o *IntervalJoin[K, A, B, O]) Input1() Collector[A] { return ijLeft[K, A, B, O]{o} }

// Input2 is the collector of the right input.
func (o *IntervalJoin[K, A, B, O]) Input2() Collector[B] { return ijRight[K, A, B, O]{o} }

type ijLeft[K, A, B, O any] struct{ o *IntervalJoin[K, A, B, O] }

func (c ijLeft[K, A, B, O]) Collect(ts int64, v A) {
	o := c.o
	o.Enter()
	o.M.In++
	if ts == base.MinTime {
		o.Fail(errJoinNoTimestamp)
	}
	o.setKey(o.Key1(v), ts)
	if o.JoinLate {
		o.collectLeftLate(ts, v)
		return
	}
	if o.late(ts) {
		if o.LateTagA != "" {
			Output(&o.ctx.Context, o.LateTagA, v)
		}
		return
	}
	o.left.add(ts, v)
	o.curA, o.curTS = v, ts
	o.scratch = o.right.matching(o.scratch[:0], addSat(ts, o.Lower), addSat(ts, o.Upper))
	for _, rts := range o.scratch {
		o.otherTS = rts
		o.right.each(rts, o.emitAB)
	}
	var zero A
	o.curA = zero
	cleanup := ts
	if o.Upper > 0 {
		cleanup = addSat(ts, o.Upper)
	}
	o.event.Register(o.kc.KG, o.kc.Key, nsJoinLeft, cleanup)
}

type ijRight[K, A, B, O any] struct{ o *IntervalJoin[K, A, B, O] }

func (c ijRight[K, A, B, O]) Collect(ts int64, v B) {
	o := c.o
	o.Enter()
	o.M.In++
	if ts == base.MinTime {
		o.Fail(errJoinNoTimestamp)
	}
	o.setKey(o.Key2(v), ts)
	if o.JoinLate {
		o.collectRightLate(ts, v)
		return
	}
	if o.late(ts) {
		if o.LateTagB != "" {
			Output(&o.ctx.Context, o.LateTagB, v)
		}
		return
	}
	o.right.add(ts, v)
	o.curB, o.curTS = v, ts
	// b matches a when a.ts in [b.ts-Upper, b.ts-Lower].
	o.scratch = o.left.matching(o.scratch[:0], addSat(ts, -o.Upper), addSat(ts, -o.Lower))
	for _, lts := range o.scratch {
		o.otherTS = lts
		o.left.each(lts, o.emitBA)
	}
	var zero B
	o.curB = zero
	cleanup := ts
	if o.Lower < 0 {
		cleanup = addSat(ts, -o.Lower)
	}
	o.event.Register(o.kc.KG, o.kc.Key, nsJoinRight, cleanup)
}

// leftExpiry and rightExpiry are the JoinLate expiries of a left and a
// right element at ts: the watermark after the last one an element of the
// other side that is not late can match it at.
func (o *IntervalJoin[K, A, B, O]) leftExpiry(ts int64) int64 {
	return addSat(addSat(ts, o.Upper), 1)
}

func (o *IntervalJoin[K, A, B, O]) rightExpiry(ts int64) int64 {
	return addSat(addSat(ts, -o.Lower), 1)
}

// collectLeftLate is Input1's Collect with JoinLate: v joins the right
// elements buffered whose expiry is after the watermark (the timers of
// the others have fired, but for a bucket restored under a DataStream
// API's cleanup timer that fires later), late or not, and is buffered
// only if its own expiry is after the watermark.
func (o *IntervalJoin[K, A, B, O]) collectLeftLate(ts int64, v A) {
	o.curA, o.curTS = v, ts
	o.scratch = o.right.matching(o.scratch[:0], addSat(ts, o.Lower), addSat(ts, o.Upper))
	for _, rts := range o.scratch {
		if o.rightExpiry(rts) <= o.WM {
			continue // expired: restored under a timer of the DataStream API's time (cleanup)
		}
		o.otherTS = rts
		o.right.each(rts, o.emitAB)
	}
	var zero A
	o.curA = zero
	if exp := o.leftExpiry(ts); o.WM == base.MinTime || exp > o.WM {
		o.left.add(ts, v)
		o.event.Register(o.kc.KG, o.kc.Key, nsJoinLeftLate, exp)
	}
}

// collectRightLate is collectLeftLate for Input2.
func (o *IntervalJoin[K, A, B, O]) collectRightLate(ts int64, v B) {
	o.curB, o.curTS = v, ts
	o.scratch = o.left.matching(o.scratch[:0], addSat(ts, -o.Upper), addSat(ts, -o.Lower))
	for _, lts := range o.scratch {
		if o.leftExpiry(lts) <= o.WM {
			continue
		}
		o.otherTS = lts
		o.left.each(lts, o.emitBA)
	}
	var zero B
	o.curB = zero
	if exp := o.rightExpiry(ts); o.WM == base.MinTime || exp > o.WM {
		o.right.add(ts, v)
		o.event.Register(o.kc.KG, o.kc.Key, nsJoinRightLate, exp)
	}
}

// late counts and reports an element behind the watermark (Flink: ts < wm).
func (o *IntervalJoin[K, A, B, O]) late(ts int64) bool {
	if o.WM != base.MinTime && ts < o.WM {
		o.M.Late++
		return true
	}
	return false
}

func (o *IntervalJoin[K, A, B, O]) emit(a A, b B, ats, bts int64) {
	ts := max(ats, bts)
	o.jctx.left, o.jctx.right, o.jctx.side.ts = ats, bts, ts
	o.em.TS = ts
	if err := o.Fn(&o.jctx, a, b, &o.em); err != nil {
		o.Fail(err)
	}
}

// cleanup drops the bucket a cleanup timer was registered for. With
// JoinLate, a timer of the DataStream API's cleanup time (restored) moves
// its bucket's cleanup to the bucket's expiry when that is later.
func (o *IntervalJoin[K, A, B, O]) cleanup(tm *Timer) {
	switch string(tm.NS) {
	case string(nsJoinLeft):
		ts := tm.Time
		if o.Upper > 0 {
			ts = addSat(ts, -o.Upper)
		}
		if exp := o.leftExpiry(ts); o.JoinLate && exp > tm.Time {
			o.event.Register(o.kc.KG, o.kc.Key, nsJoinLeftLate, exp)
			return
		}
		o.left.remove(ts)
	case string(nsJoinRight):
		ts := tm.Time
		if o.Lower < 0 {
			ts = addSat(ts, o.Lower)
		}
		if exp := o.rightExpiry(ts); o.JoinLate && exp > tm.Time {
			o.event.Register(o.kc.KG, o.kc.Key, nsJoinRightLate, exp)
			return
		}
		o.right.remove(ts)
	case string(nsJoinLeftLate):
		o.left.remove(addSat(addSat(tm.Time, -1), -o.Upper))
	case string(nsJoinRightLate):
		o.right.remove(addSat(addSat(tm.Time, -1), o.Lower))
	}
}

func (o *IntervalJoin[K, A, B, O]) Watermark(wm int64) {
	o.Enter()
	o.Base.Watermark(wm)
	o.fire(&o.event, wm, EventTime, o.onTimer)
}

// WatermarkDelay implements WatermarkDelayer.
func (o *IntervalJoin[K, A, B, O]) WatermarkDelay() int64 { return o.OutputDelay }

// PendingTimers is the number of registered cleanup timers (tests, metrics).
func (o *IntervalJoin[K, A, B, O]) PendingTimers() int { return o.event.Len() + o.proc.Len() }
