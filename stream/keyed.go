package stream

import (
	"fmt"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/plan"
)

// KeyedStream is a stream partitioned by key: records with equal keys go to
// the same subtask, and keyed state and timers are scoped to the key.
type KeyedStream[T any, K comparable] struct {
	s     Stream[T]
	key   func(T) K
	codec codec.Codec[K]
}

// KeyBy partitions s by key. Keys are serialized with codec.For[K] (fixed
// layouts for basic types, JSON otherwise) and hashed into key groups.
func KeyBy[T any, K comparable](s Stream[T], key func(T) K) KeyedStream[T, K] {
	return KeyByCodec(s, key, codec.For[K]())
}

// KeyByCodec is KeyBy with an explicit key codec. Equal keys must encode to
// equal bytes.
func KeyByCodec[T any, K comparable](s Stream[T], key func(T) K, c codec.Codec[K]) KeyedStream[T, K] {
	maxPar := s.env.opts.MaxParallelism
	s.part = operator.Hash
	s.kg = func() any { return operator.KeyGroupFunc(key, c, maxPar) }
	return KeyedStream[T, K]{s: s, key: key, codec: c}
}

// Stream returns the underlying (hash-partitioned) stream.
func (ks KeyedStream[T, K]) Stream() Stream[T] { return ks.s }

// KeyedContext is the context of keyed process functions: Context plus Key().
type KeyedContext[K any] = operator.KeyedContext[K]

// OpenContext is handed to Open of keyed functions to create state.
type OpenContext = operator.OpenContext

// KeyedProcessFunction is the user logic of KeyedProcess.
type KeyedProcessFunction[K, I, O any] = operator.KeyedProcessFunction[K, I, O]

// KeyedProcess runs a KeyedProcessFunction over a keyed stream with keyed
// state and timers. newFn is called once per subtask: each subtask gets its
// own function value (its own state handles), as Flink gives each subtask its
// own copy of a function object.
func KeyedProcess[T any, K comparable, O any](ks KeyedStream[T, K], newFn func() KeyedProcessFunction[K, T, O]) Stream[O] {
	return add(ks.s, "keyed-process", true, func(out operator.Collector[O]) (operator.Operator, operator.Collector[T]) {
		op := &operator.KeyedProcess[K, T, O]{KeyFn: ks.key, KeyCodec: ks.codec, Fn: newFn(), Out: out}
		return op, op
	})
}

// KeyedProcessReleasing is KeyedProcess for a function that never reads an
// input record itself (for a table.Row: its Fields slice; values copied out
// of it, into state or the function's fields, are the function's) after
// ProcessElement returns, as ProcessEachReleasing: when everything a
// source's records reach on its goroutine says so, the source's reader may
// build each batch in the memory of the batch before. A function that
// keeps a record breaks the promise and would see it change under it.
func KeyedProcessReleasing[T any, K comparable, O any](ks KeyedStream[T, K], newFn func() KeyedProcessFunction[K, T, O]) Stream[O] {
	return add(ks.s, "keyed-process", true, func(out operator.Collector[O]) (operator.Operator, operator.Collector[T]) {
		op := &operator.KeyedProcess[K, T, O]{KeyFn: ks.key, KeyCodec: ks.codec, Fn: newFn(), Out: out, Releases: true}
		return op, op
	})
}

// KeyedProcessCopying is KeyedProcessReleasing for a function that also
// never emits an input record (to its output or a side output) and whose
// buffer, if it buffers (a window buffer of accumulators), holds copies:
// what it emits it builds itself. Its operator is then done with every
// input record whatever the operators after it keep (a fan-out, a channel
// to another subtask), as ProcessEachCopying, so a source chained before
// it may reuse record memory. A function that emits or buffers an input
// record breaks the promise: what it kept would change under it.
func KeyedProcessCopying[T any, K comparable, O any](ks KeyedStream[T, K], newFn func() KeyedProcessFunction[K, T, O]) Stream[O] {
	return add(ks.s, "keyed-process", true, func(out operator.Collector[O]) (operator.Operator, operator.Collector[T]) {
		op := &operator.KeyedProcess[K, T, O]{KeyFn: ks.key, KeyCodec: ks.codec, Fn: newFn(), Out: out, Releases: true, Fresh: true}
		return op, op
	})
}

// KeyedProcessFuncs builds a KeyedProcessFunction from plain functions; any
// of them may be nil.
type KeyedProcessFuncs[K, I, O any] struct {
	OnOpen    func(ctx *OpenContext) error
	OnElement func(ctx *KeyedContext[K], v I, out Emitter[O]) error
	OnTimerFn func(ctx *KeyedContext[K], t int64, out Emitter[O]) error
}

func (f KeyedProcessFuncs[K, I, O]) Open(ctx *OpenContext) error {
	if f.OnOpen == nil {
		return nil
	}
	return f.OnOpen(ctx)
}

func (f KeyedProcessFuncs[K, I, O]) ProcessElement(ctx *KeyedContext[K], v I, out Emitter[O]) error {
	if f.OnElement == nil {
		return nil
	}
	return f.OnElement(ctx, v, out)
}

func (f KeyedProcessFuncs[K, I, O]) OnTimer(ctx *KeyedContext[K], t int64, out Emitter[O]) error {
	if f.OnTimerFn == nil {
		return nil
	}
	return f.OnTimerFn(ctx, t, out)
}

// Reduce keeps a rolling reduction per key and emits it after every record.
func (ks KeyedStream[T, K]) Reduce(f func(a, b T) T) Stream[T] {
	return KeyedProcess(ks, func() KeyedProcessFunction[K, T, T] {
		var st *ReducingState[T]
		return KeyedProcessFuncs[K, T, T]{
			OnOpen: func(ctx *OpenContext) error {
				st = NewReducingState(ctx, "reduce", f)
				return nil
			},
			OnElement: func(ctx *KeyedContext[K], v T, out Emitter[T]) error {
				st.Add(v)
				r, _ := st.Get()
				out.Emit(r)
				return nil
			},
		}
	}).Name("reduce")
}

// TTL configures state time-to-live (processing time).
type TTL = operator.TTL

// StateOption configures a state handle.
type StateOption func(*stateOpts)

type stateOpts struct{ ttl TTL }

// WithTTL expires entries ttl.TTL after their last write.
func WithTTL(ttl TTL) StateOption { return func(o *stateOpts) { o.ttl = ttl } }

func applyOpts(opts []StateOption) stateOpts {
	var o stateOpts
	for _, f := range opts {
		f(&o)
	}
	return o
}

// State handles: create them in Open of a keyed function.
type (
	ValueState[T any]                  = operator.ValueState[T]
	ListState[T any]                   = operator.ListState[T]
	MapState[K comparable, V any]      = operator.MapState[K, V]
	ReducingState[T any]               = operator.ReducingState[T]
	AggregatingState[IN, ACC, OUT any] = operator.AggregatingState[IN, ACC, OUT]
	Aggregator[IN, ACC, OUT any]       = operator.Aggregator[IN, ACC, OUT]
)

// NewValueState creates a value state named name.
func NewValueState[T any](ctx *OpenContext, name string, opts ...StateOption) *ValueState[T] {
	return operator.NewValueState(ctx.KC, name, codec.For[T](), applyOpts(opts).ttl)
}

// NewValueStateCodec creates a value state named name whose values c
// encodes: for a type whose codec.For would be JSON, or a layout of bytes
// that is already fixed (state written by a ValueState[[]byte] reads the
// same through a codec that decodes those bytes into a value without a
// copy of them).
func NewValueStateCodec[T any](ctx *OpenContext, name string, c codec.Codec[T], opts ...StateOption) *ValueState[T] {
	return operator.NewValueState(ctx.KC, name, c, applyOpts(opts).ttl)
}

// NewListState creates a list state named name.
func NewListState[T any](ctx *OpenContext, name string, opts ...StateOption) *ListState[T] {
	return operator.NewListState(ctx.KC, name, codec.For[T](), applyOpts(opts).ttl)
}

// NewListStateCodec creates a list state named name whose elements c
// encodes (as NewValueStateCodec: a codec that decodes a fixed layout of
// bytes without a copy of them).
func NewListStateCodec[T any](ctx *OpenContext, name string, c codec.Codec[T], opts ...StateOption) *ListState[T] {
	return operator.NewListState(ctx.KC, name, c, applyOpts(opts).ttl)
}

// NewMapState creates a map state named name.
func NewMapState[K comparable, V any](ctx *OpenContext, name string, opts ...StateOption) *MapState[K, V] {
	return NewMapStateCodec(ctx, name, codec.For[K](), codec.For[V](), opts...)
}

// NewMapStateCodec creates a map state named name whose map keys kc and
// values vc encode (as NewValueStateCodec: a codec that decodes a fixed
// layout of bytes without a copy of them).
func NewMapStateCodec[K comparable, V any](ctx *OpenContext, name string, kc codec.Codec[K], vc codec.Codec[V], opts ...StateOption) *MapState[K, V] {
	return operator.NewMapState(ctx.KC, name, kc, vc, applyOpts(opts).ttl)
}

// NewReducingState creates a reducing state named name.
func NewReducingState[T any](ctx *OpenContext, name string, reduce func(a, b T) T, opts ...StateOption) *ReducingState[T] {
	return operator.NewReducingState(ctx.KC, name, codec.For[T](), reduce, applyOpts(opts).ttl)
}

// NewAggregatingState creates an aggregating state named name.
func NewAggregatingState[IN, ACC, OUT any](ctx *OpenContext, name string, agg Aggregator[IN, ACC, OUT], opts ...StateOption) *AggregatingState[IN, ACC, OUT] {
	return operator.NewAggregatingState(ctx.KC, name, codec.For[ACC](), agg, applyOpts(opts).ttl)
}

// ConnectedStreams are two streams processed together by one operator.
type ConnectedStreams[A, B any] struct {
	a Stream[A]
	b Stream[B]
}

// Connect connects two streams (possibly of different types).
func Connect[A, B any](a Stream[A], b Stream[B]) ConnectedStreams[A, B] {
	return ConnectedStreams[A, B]{a: a, b: b}
}

func addTwo[A, B, O any](a Stream[A], b Stream[B], name string, keyed bool, build func(out operator.Collector[O]) (operator.Operator, operator.Collector[A], operator.Collector[B])) Stream[O] {
	if a.env != b.env {
		a.env.setErr(errDifferentEnv)
	}
	n := a.env.graph.AddNode(&plan.Node{Name: name, Inputs: []plan.Input{a.input(0), b.input(1)}, Keyed: keyed, Out: operator.TypeOf[O]()})
	n.Build = func(outs plan.Outputs, _ []connector.Split) (plan.Built, error) {
		op, ia, ib := build(outs.Main.(operator.Collector[O]))
		return plan.Built{Op: op, Inputs: []any{ia, ib}}, nil
	}
	return Stream[O]{env: a.env, node: n}
}

// CoProcess runs f1 on the first stream's records and f2 on the second's.
func CoProcess[A, B, O any](c ConnectedStreams[A, B], f1 ProcessFunc[A, O], f2 ProcessFunc[B, O]) Stream[O] {
	return addTwo(c.a, c.b, "co-process", false, func(out operator.Collector[O]) (operator.Operator, operator.Collector[A], operator.Collector[B]) {
		op := &operator.CoProcess[A, B, O]{Fn1: f1, Fn2: f2, Out: out}
		return op, op.Input1(), op.Input2()
	})
}

// KeyedCoProcessFunction is the user logic of KeyedCoProcess.
type KeyedCoProcessFunction[K, A, B, O any] = operator.KeyedCoProcessFunction[K, A, B, O]

// KeyedCoProcess connects two keyed streams with the same key type; both
// sides share keyed state and timers (stream-to-table enrichment, joins).
// newFn is called once per subtask.
func KeyedCoProcess[A, B any, K comparable, O any](a KeyedStream[A, K], b KeyedStream[B, K], newFn func() KeyedCoProcessFunction[K, A, B, O]) Stream[O] {
	return keyedCoProcess(a, b, newFn, false)
}

// keyedCoProcess is KeyedCoProcess, and KeyedCoProcessCopying with copying.
func keyedCoProcess[A, B any, K comparable, O any](a KeyedStream[A, K], b KeyedStream[B, K], newFn func() KeyedCoProcessFunction[K, A, B, O], copying bool) Stream[O] {
	return addTwo(a.s, b.s, "keyed-co-process", true, func(out operator.Collector[O]) (operator.Operator, operator.Collector[A], operator.Collector[B]) {
		op := &operator.KeyedCoProcess[K, A, B, O]{Key1: a.key, Key2: b.key, KeyCodec: a.codec, Fn: newFn(), Out: out, Releases: copying, Fresh: copying}
		return op, op.Input1(), op.Input2()
	})
}

// KeyedCoProcessCopying is KeyedCoProcess for a function that keeps no
// reference to an input record (for a table.Row: its Fields slice; values
// copied out of it are the function's) once it returns, and never emits
// one: what it emits it builds itself. Its operator is then done with
// every input record when it returns, whatever the operators after it
// keep, so the sender of its inputs may reuse the records' memory
// (OutputTag.Recycler). A function that breaks the promise would see the
// records it kept change under it.
func KeyedCoProcessCopying[A, B any, K comparable, O any](a KeyedStream[A, K], b KeyedStream[B, K], newFn func() KeyedCoProcessFunction[K, A, B, O]) Stream[O] {
	return keyedCoProcess(a, b, newFn, true)
}

// KeyedCoProcessWatermarkDelay is KeyedCoProcess whose output watermark
// lags its input's by d (>= 0; the end of input stays the end), as Flink's
// KeyedCoProcessOperatorWithWatermarkDelay: records the function emits up
// to d behind the input watermark are not late downstream (the SQL outer
// interval join's NULL-padded rows and pairs).
func KeyedCoProcessWatermarkDelay[A, B any, K comparable, O any](a KeyedStream[A, K], b KeyedStream[B, K], d time.Duration, newFn func() KeyedCoProcessFunction[K, A, B, O]) Stream[O] {
	if d < 0 {
		a.s.env.setErr(fmt.Errorf("stream: keyed co-process: the watermark delay must not be negative, got %v", d))
	}
	return addTwo(a.s, b.s, "keyed-co-process", true, func(out operator.Collector[O]) (operator.Operator, operator.Collector[A], operator.Collector[B]) {
		op := &operator.KeyedCoProcess[K, A, B, O]{Key1: a.key, Key2: b.key, KeyCodec: a.codec, Fn: newFn(), Out: out, OutputDelay: d.Milliseconds()}
		return op, op.Input1(), op.Input2()
	})
}

// TimeDomain says which clock fired a timer (KeyedContext.TimeDomain).
type TimeDomain = operator.TimeDomain

// The time domains.
const (
	EventTime      = operator.EventTime
	ProcessingTime = operator.ProcessingTime
)
