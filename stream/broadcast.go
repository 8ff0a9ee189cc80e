package stream

import "github.com/stromio/strom/internal/operator"

// Broadcast state: rules, configuration or thresholds sent to every subtask
// of a keyed operator, as Flink's broadcast state pattern.
type (
	// BroadcastStateDescriptor names a broadcast state and its codecs.
	BroadcastStateDescriptor[KB comparable, VB any] = operator.BroadcastStateDescriptor[KB, VB]
	// BroadcastState is the writable view (in ProcessBroadcastElement).
	BroadcastState[KB comparable, VB any] = operator.BroadcastState[KB, VB]
	// ReadOnlyBroadcastState is the view of keyed elements and timers.
	ReadOnlyBroadcastState[KB comparable, VB any] = operator.ReadOnlyBroadcastState[KB, VB]
	// BroadcastContext is handed to ProcessBroadcastElement.
	BroadcastContext = operator.BroadcastContext
	// ReadOnlyBroadcastContext is handed to ProcessElement and OnTimer.
	ReadOnlyBroadcastContext[K any] = operator.ReadOnlyBroadcastContext[K]
	// KeyedBroadcastProcessFunction is the user logic of KeyedBroadcastProcess.
	KeyedBroadcastProcessFunction[K, A, B, O any] = operator.KeyedBroadcastProcessFunction[K, A, B, O]
)

// NewBroadcastStateDescriptor returns a descriptor whose keys and values are
// encoded with codec.For. Use desc.Get(ctx) in ProcessBroadcastElement and
// desc.ReadOnly(ctx) elsewhere.
func NewBroadcastStateDescriptor[KB comparable, VB any](name string) BroadcastStateDescriptor[KB, VB] {
	return operator.NewBroadcastStateDescriptor[KB, VB](name)
}

// BroadcastConnectedStream is a keyed stream connected with a broadcast
// stream; process it with KeyedBroadcastProcess.
type BroadcastConnectedStream[A any, K comparable, B any] struct {
	keyed KeyedStream[A, K]
	rules Stream[B]
}

// ConnectBroadcast connects a keyed stream with a stream whose every record
// goes to every subtask of the next operator (Broadcast partitioning). The
// broadcast state is kept per subtask; it is the same in all of them when
// the broadcast stream has one producer (parallelism 1), since then every
// subtask sees the same records in the same order.
func ConnectBroadcast[A any, K comparable, B any](keyed KeyedStream[A, K], rules Stream[B]) BroadcastConnectedStream[A, K, B] {
	return BroadcastConnectedStream[A, K, B]{keyed: keyed, rules: rules.Broadcast()}
}

// KeyedBroadcastProcess runs a KeyedBroadcastProcessFunction: keyed elements
// with keyed state, timers and read-only broadcast state; broadcast elements
// with writable broadcast state. newFn is called once per subtask.
func KeyedBroadcastProcess[A any, K comparable, B, O any](c BroadcastConnectedStream[A, K, B], newFn func() KeyedBroadcastProcessFunction[K, A, B, O]) Stream[O] {
	return addTwo(c.keyed.s, c.rules, "keyed-broadcast-process", true, func(out operator.Collector[O]) (operator.Operator, operator.Collector[A], operator.Collector[B]) {
		op := &operator.KeyedBroadcastProcess[K, A, B, O]{KeyFn: c.keyed.key, KeyCodec: c.keyed.codec, Fn: newFn(), Out: out}
		return op, op.Input1(), op.Input2()
	})
}

// KeyedBroadcastProcessFuncs builds a KeyedBroadcastProcessFunction from
// plain functions; any of them may be nil.
type KeyedBroadcastProcessFuncs[K, A, B, O any] struct {
	OnOpen      func(ctx *OpenContext) error
	OnElement   func(ctx *ReadOnlyBroadcastContext[K], v A, out Emitter[O]) error
	OnBroadcast func(ctx *BroadcastContext, v B, out Emitter[O]) error
	OnTimerFn   func(ctx *ReadOnlyBroadcastContext[K], t int64, out Emitter[O]) error
}

func (f KeyedBroadcastProcessFuncs[K, A, B, O]) Open(ctx *OpenContext) error {
	if f.OnOpen == nil {
		return nil
	}
	return f.OnOpen(ctx)
}

func (f KeyedBroadcastProcessFuncs[K, A, B, O]) ProcessElement(ctx *ReadOnlyBroadcastContext[K], v A, out Emitter[O]) error {
	if f.OnElement == nil {
		return nil
	}
	return f.OnElement(ctx, v, out)
}

func (f KeyedBroadcastProcessFuncs[K, A, B, O]) ProcessBroadcastElement(ctx *BroadcastContext, v B, out Emitter[O]) error {
	if f.OnBroadcast == nil {
		return nil
	}
	return f.OnBroadcast(ctx, v, out)
}

func (f KeyedBroadcastProcessFuncs[K, A, B, O]) OnTimer(ctx *ReadOnlyBroadcastContext[K], t int64, out Emitter[O]) error {
	if f.OnTimerFn == nil {
		return nil
	}
	return f.OnTimerFn(ctx, t, out)
}
