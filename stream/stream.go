package stream

import (
	"fmt"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/plan"
)

// Stream is a typed stream of records. It is a small value: copying it is
// cheap and refers to the same operator.
type Stream[T any] struct {
	env  *Environment
	node *plan.Node
	side string
	part operator.Partitioning
	kg   func() any
}

// Emitter is the output of user functions; records emitted carry the
// timestamp of the record or timer being processed.
type Emitter[T any] = operator.Emitter[T]

// SetEmitTimestamp sets the timestamp of the records out emits next, for
// the rest of the current OnElement or OnTimer call of a process function
// (out is the emitter the operator handed to it; by default the records
// of an element have its timestamp, those of an event-time timer the
// timer's time). It reports whether out could.
func SetEmitTimestamp[T any](out Emitter[T], ts int64) bool {
	s, ok := out.(interface{ SetTimestamp(int64) })
	if ok {
		s.SetTimestamp(ts)
	}
	return ok
}

// Context is handed to process functions (timestamp, watermark, timers,
// side outputs).
type Context = operator.Context

// WatermarkStrategy configures event time for a source.
type WatermarkStrategy[T any] = operator.WatermarkStrategy[T]

// Env is the environment the stream belongs to.
func (s Stream[T]) Env() *Environment { return s.env }

// Name sets the operator's display name.
func (s Stream[T]) Name(name string) Stream[T] { s.node.Name = name; return s }

// UID sets the operator's stable id, which names its state in checkpoints
// and savepoints. Letters, digits, '.', '_' and '-' only; unique per job.
func (s Stream[T]) UID(uid string) Stream[T] { s.node.UID = uid; return s }

// StateSignature sets a short canonical description of what the
// operator's state means and how it is laid out. Checkpoints and
// savepoints record it next to the UID; restoring state recorded under the
// UID with another signature is refused (the job changed what that state
// means). Operators without one are not checked.
func (s Stream[T]) StateSignature(sig string) Stream[T] { s.node.StateSignature = sig; return s }

// ID is the operator's position in the job graph (Flink's
// Transformation id): an operator without a UID gets name-ID as its UID.
func (s Stream[T]) ID() int { return s.node.ID }

// SetParallelism sets the operator's parallelism.
func (s Stream[T]) SetParallelism(p int) Stream[T] {
	if p <= 0 {
		s.env.setErr(fmt.Errorf("stream: operator %q: parallelism must be >= 1, got %d", s.node.Name, p))
	}
	s.node.Parallelism = p
	return s
}

// Parallelism is the operator's parallelism: the one SetParallelism set,
// else the environment's default.
func (s Stream[T]) Parallelism() int {
	if s.node.Parallelism > 0 {
		return s.node.Parallelism
	}
	return s.env.Parallelism()
}

// DisableChaining runs this operator alone in its subtasks: it is chained
// neither to its producer nor to its consumers (Flink's disableChaining), so
// a heavy or blocking operator gets a goroutine of its own.
func (s Stream[T]) DisableChaining() Stream[T] { s.node.NoChain = true; return s }

// StartNewChain starts a new chain at this operator: it is not chained to
// its producer, but its consumers may chain to it (Flink's startNewChain).
func (s Stream[T]) StartNewChain() Stream[T] { s.node.ChainHead = true; return s }

// Rebalance distributes the records round robin to the next operator.
func (s Stream[T]) Rebalance() Stream[T] { s.part = operator.Rebalance; return s }

// Broadcast sends every record to every subtask of the next operator.
func (s Stream[T]) Broadcast() Stream[T] { s.part = operator.Broadcast; return s }

func (s Stream[T]) input(index int) plan.Input {
	return plan.Input{From: s.node, Side: s.side, Index: index, Part: s.part, KeyGroup: s.kg}
}

// add creates a one-input node consuming s.
func add[I, O any](s Stream[I], name string, keyed bool, build func(out operator.Collector[O]) (operator.Operator, operator.Collector[I])) Stream[O] {
	n := s.env.graph.AddNode(&plan.Node{Name: name, Inputs: []plan.Input{s.input(0)}, Keyed: keyed, Out: operator.TypeOf[O]()})
	n.Build = func(outs plan.Outputs, _ []connector.Split) (plan.Built, error) {
		op, in := build(outs.Main.(operator.Collector[O]))
		return plan.Built{Op: op, Inputs: []any{in}}, nil
	}
	return Stream[O]{env: s.env, node: n}
}

// FromSource reads a connector source.
func FromSource[T any](env *Environment, src connector.Source[T], wm WatermarkStrategy[T], name string) Stream[T] {
	if name == "" {
		name = "source"
	}
	n := env.graph.AddNode(&plan.Node{Name: name, Out: operator.TypeOf[T](),
		Source: &plan.SourceSpec{Enumerate: src.Splits, Bounded: src.Bounded()}})
	n.Build = func(outs plan.Outputs, splits []connector.Split) (plan.Built, error) {
		return plan.Built{Op: &operator.Source[T]{Src: src, Splits: splits, WM: wm,
			Out: outs.Main.(operator.Collector[T]), BatchSize: env.opts.BatchSize}}, nil
	}
	return Stream[T]{env: env, node: n}
}

// Map applies f to every record.
func Map[I, O any](s Stream[I], f func(I) O) Stream[O] {
	return add(s, "map", false, func(out operator.Collector[O]) (operator.Operator, operator.Collector[I]) {
		op := &operator.Map[I, O]{Fn: f, Out: out}
		return op, op
	})
}

// FlatMap calls f once per record; f emits zero or more outputs.
func FlatMap[I, O any](s Stream[I], f func(I, Emitter[O])) Stream[O] {
	return add(s, "flatmap", false, func(out operator.Collector[O]) (operator.Operator, operator.Collector[I]) {
		op := &operator.FlatMap[I, O]{Fn: f, Out: out}
		return op, op
	})
}

// Filter keeps the records for which f returns true.
func (s Stream[T]) Filter(f func(T) bool) Stream[T] {
	return add(s, "filter", false, func(out operator.Collector[T]) (operator.Operator, operator.Collector[T]) {
		op := &operator.Filter[T]{Fn: f, Out: out}
		return op, op
	})
}

// ProcessFunc is a non-keyed process function: one record in, any number
// out, side outputs through the context. Returning an error fails the job.
type ProcessFunc[I, O any] = operator.ProcessFunction[I, O]

// Process runs f over every record.
func Process[I, O any](s Stream[I], f ProcessFunc[I, O]) Stream[O] {
	return add(s, "process", false, func(out operator.Collector[O]) (operator.Operator, operator.Collector[I]) {
		op := &operator.Process[I, O]{Fn: f, Out: out}
		return op, op
	})
}

// Union merges streams of the same type into one.
func (s Stream[T]) Union(others ...Stream[T]) Stream[T] {
	ins := []plan.Input{s.input(0)}
	for _, o := range others {
		if o.env != s.env {
			s.env.setErr(fmt.Errorf("stream: union of streams from different environments"))
		}
		ins = append(ins, o.input(0))
	}
	n := s.env.graph.AddNode(&plan.Node{Name: "union", Inputs: ins, Out: operator.TypeOf[T](), ChainHead: true})
	n.Build = func(outs plan.Outputs, _ []connector.Split) (plan.Built, error) {
		op := &operator.Passthrough[T]{Out: outs.Main.(operator.Collector[T])}
		return plan.Built{Op: op, Inputs: []any{operator.Collector[T](op)}}, nil
	}
	return Stream[T]{env: s.env, node: n}
}

// OutputTag names a side output of type T.
type OutputTag[T any] struct{ id string }

// NewOutputTag returns a tag; ids must be unique per operator.
func NewOutputTag[T any](id string) OutputTag[T] { return OutputTag[T]{id: id} }

// ID is the tag's id.
func (t OutputTag[T]) ID() string { return t.id }

// Emit sends v to the side output from inside a process function.
func (t OutputTag[T]) Emit(ctx *Context, v T) { operator.Output(ctx, t.id, v) }

// Recycler takes back records that crossed a channel to another subtask
// once the receiving operators are done with them (operator.Recycler).
type Recycler[T any] = operator.Recycler[T]

// Recycler returns the Recycler of the side output tag of the operator of
// ctx when the side output is a channel to other subtasks (attaching
// newRec's the first time), nil otherwise. The caller promises that every
// record emitted to tag is memory of its own, built fresh or in what the
// Recycler gave back, that it neither reads nor writes once emitted: the
// receivers hand a record back only when the operators that get it are
// done with it (ProcessEachCopying, KeyedCoProcessCopying), and the
// caller then builds another in it. Call it from the function, once the
// operators are open.
func (t OutputTag[T]) Recycler(ctx *Context, newRec func() Recycler[T]) Recycler[T] {
	return operator.SideRecycler(ctx, t.id, newRec)
}

// SideOutput is the stream of records the operator of s emitted to tag.
func SideOutput[T, X any](s Stream[X], tag OutputTag[T]) Stream[T] {
	if s.node.SideTypes == nil {
		s.node.SideTypes = map[string]operator.TypeOps{}
	}
	s.node.SideTypes[tag.id] = operator.TypeOf[T]()
	return Stream[T]{env: s.env, node: s.node, side: tag.id}
}

// DeadLetters is the dead-letter output of the source s: the records its
// readers could not decode while their on-error policy was "dead-letter"
// (connector.DeadLetterReader), with Operator set to the source's name.
// They are emitted right after the read that met them, so they belong to
// the same checkpoint as the records read with them: an exactly-once sink
// on this stream writes each once, also across restarts. s must be the
// stream FromSource returned (else Execute fails).
func DeadLetters[T any](s Stream[T]) Stream[connector.DeadLetter] {
	if s.node.Source == nil || s.side != "" {
		s.env.setErr(fmt.Errorf("stream: DeadLetters: operator %q is not a source", s.node.Name))
	}
	if s.node.SideTypes == nil {
		s.node.SideTypes = map[string]operator.TypeOps{}
	}
	s.node.SideTypes[operator.DeadLetterTag] = operator.TypeOf[connector.DeadLetter]()
	return Stream[connector.DeadLetter]{env: s.env, node: s.node, side: operator.DeadLetterTag}
}

// SinkTo writes the stream to a connector sink.
func SinkTo[T any](s Stream[T], sink connector.Sink[T], name string) Stream[T] {
	if name == "" {
		name = "sink"
	}
	out := add(s, name, false, func(_ operator.Collector[T]) (operator.Operator, operator.Collector[T]) {
		op := &operator.Sink[T]{Sink: sink}
		return op, op
	})
	out.node.Sink = true
	if c, ok := sink.(connector.Committer); ok {
		out.node.Committer = c
	}
	return out
}

// defaultCodec is the codec for keys and state of type T.
func defaultCodec[T any]() codec.Codec[T] { return codec.For[T]() }
