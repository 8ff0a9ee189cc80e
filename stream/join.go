package stream

import (
	"fmt"
	"time"

	"github.com/stromio/strom/internal/operator"
)

// JoinContext is handed to interval-join functions: the timestamps of the
// pair, the watermark, and SideOutputs() for OutputTag.Emit.
type JoinContext = operator.JoinContext

// ProcessJoinFunc is called once per matching pair of an interval join;
// emitted records carry max(left, right) as their timestamp.
type ProcessJoinFunc[A, B, O any] = operator.ProcessJoinFunc[A, B, O]

// IntervalJoinBuilder is an interval join being configured; finish it with
// IntervalJoinProcess or IntervalJoinApply.
type IntervalJoinBuilder[A, B any, K comparable] struct {
	a              KeyedStream[A, K]
	b              KeyedStream[B, K]
	lower, upper   time.Duration
	lowerExclusive bool
	upperExclusive bool
	lateA, lateB   string
	wmDelay        time.Duration
	joinLate       bool
}

// IntervalJoin joins two keyed streams on equal keys and event time, as
// Flink's KeyedStream.intervalJoin(...).between(lower, upper): a pair (a, b)
// is emitted when a.ts+lower <= b.ts <= a.ts+upper, with timestamp
// max(a.ts, b.ts). Both bounds are inclusive unless made exclusive; lower may
// be negative. Both streams need timestamps and watermarks: elements behind
// the watermark are late (dropped, or sent to a side output; joined with
// JoinLate), and buffered
// elements are cleaned up once the watermark shows no match is possible.
func IntervalJoin[A, B any, K comparable](a KeyedStream[A, K], b KeyedStream[B, K], lower, upper time.Duration) IntervalJoinBuilder[A, B, K] {
	return IntervalJoinBuilder[A, B, K]{a: a, b: b, lower: lower, upper: upper}
}

// LowerBoundExclusive makes the lower bound exclusive (b.ts > a.ts+lower).
func (j IntervalJoinBuilder[A, B, K]) LowerBoundExclusive() IntervalJoinBuilder[A, B, K] {
	j.lowerExclusive = true
	return j
}

// UpperBoundExclusive makes the upper bound exclusive (b.ts < a.ts+upper).
func (j IntervalJoinBuilder[A, B, K]) UpperBoundExclusive() IntervalJoinBuilder[A, B, K] {
	j.upperExclusive = true
	return j
}

// WatermarkDelay holds the joined stream's watermark back by d (>= 0): the
// operators after the join see the input watermark minus d (the end of input
// stays the end). Flink's SQL interval join does this by the larger of
// -lower and upper so that the time of either element of each pair of
// elements that were not late, not only the later one the output carries,
// is not behind the watermark downstream (with JoinLate: the pair's
// timestamp; a late element's own time may be); the DataStream API's
// interval join does not.
func (j IntervalJoinBuilder[A, B, K]) WatermarkDelay(d time.Duration) IntervalJoinBuilder[A, B, K] {
	j.wmDelay = d
	return j
}

// JoinLate joins late elements too, as Flink SQL's interval join
// (TimeIntervalJoin) does, instead of dropping them: every element is
// joined with the other side's elements still buffered, and is buffered
// itself only while an element of the other side that is not late can
// match it (a left element at ts while the watermark is at most
// ts+upper, a right one while it is at most ts-lower). It cannot be
// combined with the side outputs of late data. The buffers keep the
// layout of a join without it (a checkpoint of either restores into the
// other).
//
// Without a WatermarkDelay a pair can be emitted behind the joined
// stream's watermark: a late element joins buffered elements that are
// themselves behind the watermark (bounds [-5ms, 5ms]: a right element at
// 96 arrives at watermark 90 and is held while the watermark is at most
// 101; at watermark 100 a late left element at 95 pairs with it, emitted
// with timestamp 96). With the inclusive bounds, a pair's timestamp is
// behind the watermark by up to max(-lower, upper) when lower <= 0 <=
// upper, else upper - lower; a WatermarkDelay of that much keeps every
// pair at or after the watermark downstream. max(-lower, upper), the
// delay of Flink's SQL interval join, is always enough.
func (j IntervalJoinBuilder[A, B, K]) JoinLate() IntervalJoinBuilder[A, B, K] {
	j.joinLate = true
	return j
}

// SideOutputLeftLateData sends late left elements to tag (read it with
// SideOutput on the joined stream) instead of dropping them.
func (j IntervalJoinBuilder[A, B, K]) SideOutputLeftLateData(tag OutputTag[A]) IntervalJoinBuilder[A, B, K] {
	j.lateA = tag.id
	return j
}

// SideOutputRightLateData sends late right elements to tag.
func (j IntervalJoinBuilder[A, B, K]) SideOutputRightLateData(tag OutputTag[B]) IntervalJoinBuilder[A, B, K] {
	j.lateB = tag.id
	return j
}

// IntervalJoinProcess finishes the join with a process function. newFn is
// called once per subtask, so state captured by the function is never
// shared between subtasks.
func IntervalJoinProcess[A, B any, K comparable, O any](j IntervalJoinBuilder[A, B, K], newFn func() ProcessJoinFunc[A, B, O]) Stream[O] {
	lo, hi, err := operator.IntervalBounds(j.lower, j.upper, j.lowerExclusive, j.upperExclusive)
	if err != nil {
		j.a.s.env.setErr(fmt.Errorf("stream: %w", err))
	}
	if j.wmDelay < 0 {
		j.a.s.env.setErr(fmt.Errorf("stream: interval join: the watermark delay must not be negative, got %v", j.wmDelay))
	}
	if j.joinLate && (j.lateA != "" || j.lateB != "") {
		j.a.s.env.setErr(fmt.Errorf("stream: interval join: JoinLate joins late elements, so there are none for SideOutputLeftLateData or SideOutputRightLateData: drop one of them"))
	}
	return addTwo(j.a.s, j.b.s, "interval-join", true, func(out operator.Collector[O]) (operator.Operator, operator.Collector[A], operator.Collector[B]) {
		op := &operator.IntervalJoin[K, A, B, O]{Key1: j.a.key, Key2: j.b.key, KeyCodec: j.a.codec,
			Lower: lo, Upper: hi, Fn: newFn(), Out: out, LateTagA: j.lateA, LateTagB: j.lateB,
			OutputDelay: j.wmDelay.Milliseconds(), JoinLate: j.joinLate}
		return op, op.Input1(), op.Input2()
	})
}

// IntervalJoinApply finishes the join with a function of each pair.
func IntervalJoinApply[A, B any, K comparable, O any](j IntervalJoinBuilder[A, B, K], f func(A, B) O) Stream[O] {
	return IntervalJoinProcess(j, func() ProcessJoinFunc[A, B, O] {
		return func(_ *JoinContext, a A, b B, out Emitter[O]) error {
			out.Emit(f(a, b))
			return nil
		}
	})
}

// WindowJoin joins two keyed streams on equal keys within windows, as
// Flink's a.join(b).where(..).equalTo(..).window(assigner).apply(f): when a
// window ends, f is called for every pair of the key's left and right
// elements in it (an inner join), and the results carry the window's
// MaxTimestamp. assigner is a tumbling or sliding assigner, in event or
// processing time (TumblingEventTimeWindows, SlidingProcessingTimeWindows,
// ...); merging (session) and global windows are not supported and fail the
// build.
func WindowJoin[A, B any, K comparable, O any](a KeyedStream[A, K], b KeyedStream[B, K], assigner WindowAssigner, f func(A, B) O) Stream[O] {
	return windowCoGroup(a, b, assigner, operator.CrossJoin[K](f), "window-join")
}

// WindowCoGroup is Flink's a.coGroup(b)...window(assigner).apply(f): when a
// window ends, f gets the key, the window and all left and right elements of
// the key in it (in arrival order; one side may be empty). Records f emits
// carry the window's MaxTimestamp. Assigners as for WindowJoin.
func WindowCoGroup[A, B any, K comparable, O any](a KeyedStream[A, K], b KeyedStream[B, K], assigner WindowAssigner,
	f func(key K, w Window, as []A, bs []B, out Emitter[O])) Stream[O] {
	return windowCoGroup(a, b, assigner, f, "window-cogroup")
}

func windowCoGroup[A, B any, K comparable, O any](a KeyedStream[A, K], b KeyedStream[B, K], assigner WindowAssigner,
	f operator.CoGroupFunc[K, A, B, O], name string) Stream[O] {
	if err := operator.CheckJoinAssigner(assigner); err != nil {
		a.s.env.setErr(fmt.Errorf("stream: %s: %w", name, err))
	}
	return addTwo(a.s, b.s, name, true, func(out operator.Collector[O]) (operator.Operator, operator.Collector[A], operator.Collector[B]) {
		op := &operator.WindowCoGroup[K, A, B, O]{Key1: a.key, Key2: b.key, KeyCodec: a.codec,
			Assigner: assigner, Fn: f, Out: out}
		return op, op.Input1(), op.Input2()
	})
}

// EnrichOptions configure EnrichByKey. The zero value is valid.
type EnrichOptions[A, R any] struct {
	// IsDelete marks changelog rows that delete their key's row (nil: none).
	IsDelete func(R) bool
	// MaxWait is how long, in event time, a record waits for its key's first
	// row before it is given up (0: forever). It bounds the state of keys
	// whose row never comes.
	MaxWait time.Duration
	// Unmatched receives the records given up after MaxWait (read it with
	// SideOutput on the result); zero tag: they are dropped.
	Unmatched OutputTag[A]
}

// Validate reports the first invalid option.
func (o EnrichOptions[A, R]) Validate() error {
	if o.MaxWait < 0 {
		return fmt.Errorf("stream: EnrichOptions.MaxWait must not be negative, got %v", o.MaxWait)
	}
	return nil
}

// EnrichByKey enriches each record of a with the current row of its key in
// table, a changelog of a table keyed alike: it emits f(record, row) with
// the record's timestamp. The table keeps the latest row per key by event
// time (older, out-of-order updates are ignored). A record that arrives
// before its key has a row waits in state and is emitted when the row
// arrives. Results depend on the arrival order of records and rows (which
// row is current); with one row per key they do not.
func EnrichByKey[A, R any, K comparable, O any](a KeyedStream[A, K], table KeyedStream[R, K], f func(A, R) O, opts EnrichOptions[A, R]) Stream[O] {
	if err := opts.Validate(); err != nil {
		a.s.env.setErr(err)
	}
	return addTwo(a.s, table.s, "enrich", true, func(out operator.Collector[O]) (operator.Operator, operator.Collector[A], operator.Collector[R]) {
		op := &operator.Enrich[K, A, R, O]{Key1: a.key, Key2: table.key, KeyCodec: a.codec, Fn: f,
			IsDelete: opts.IsDelete, MaxWait: opts.MaxWait.Milliseconds(), UnmatchedTag: opts.Unmatched.id, Out: out}
		return op, op.Input1(), op.Input2()
	})
}
