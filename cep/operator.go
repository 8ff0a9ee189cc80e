package cep

import (
	"fmt"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/stream"
)

// Side outputs of a pattern operator.
const (
	timeoutTagID = "cep-timeouts"
	lateTagID    = "cep-late"
)

// TimeoutTag is the side output of the partial matches that Within timed
// out: stream.SideOutput(result, cep.TimeoutTag[T]()).
func TimeoutTag[T any]() stream.OutputTag[Timeout[T]] {
	return stream.NewOutputTag[Timeout[T]](timeoutTagID)
}

// LateTag is the side output of the events that arrived behind the
// watermark (they are counted as late too). Without a consumer they are
// dropped.
func LateTag[T any]() stream.OutputTag[T] { return stream.NewOutputTag[T](lateTagID) }

// Option configures Detect.
type Option[T any] func(*options[T])

type options[T any] struct {
	codec codec.Codec[T]
}

// WithCodec sets the codec of the events in keyed state (default
// codec.For[T]()).
func WithCodec[T any](c codec.Codec[T]) Option[T] { return func(o *options[T]) { o.codec = c } }

// PatternStream is a keyed stream with a pattern to detect in it; Select
// and Process turn it into the stream of matches.
type PatternStream[T any, K comparable] struct {
	ks    stream.KeyedStream[T, K]
	c     *compiled[T]
	codec codec.Codec[T]
}

// Detect checks p and prepares its detection in every key of ks (Flink's
// CEP.pattern). Events are processed in event-time order: each is buffered
// in keyed state until the watermark passes it; events at or behind the
// watermark when they arrive are late (LateTag). Partial matches live in
// keyed state, so checkpoints, savepoints and rescaling keep them.
func Detect[T any, K comparable](ks stream.KeyedStream[T, K], p *Pattern[T], opts ...Option[T]) (PatternStream[T, K], error) {
	c, err := compile(p)
	if err != nil {
		return PatternStream[T, K]{}, err
	}
	o := options[T]{codec: codec.For[T]()}
	for _, f := range opts {
		f(&o)
	}
	return PatternStream[T, K]{ks: ks, c: c, codec: o.codec}, nil
}

// ProcessFunc handles one match; ctx is the timer's context (its
// Timestamp is the time of the match's last event).
type ProcessFunc[T any, K comparable, O any] func(ctx *stream.KeyedContext[K], m Match[T], out stream.Emitter[O]) error

// Process runs fn for every match.
func Process[T any, K comparable, O any](ps PatternStream[T, K], fn ProcessFunc[T, K, O]) stream.Stream[O] {
	return stream.KeyedProcess(ps.ks, func() stream.KeyedProcessFunction[K, T, O] {
		return &detector[T, K, O]{c: ps.c, m: newMachine(ps.c), codec: ps.codec, fn: fn,
			index: map[uint64]uint64{}}
	}).Name("cep")
}

// Select maps every match to one output.
func Select[T any, K comparable, O any](ps PatternStream[T, K], fn func(Match[T]) O) stream.Stream[O] {
	return Process(ps, func(_ *stream.KeyedContext[K], m Match[T], out stream.Emitter[O]) error {
		out.Emit(fn(m))
		return nil
	})
}

// detector is the keyed process function of a pattern (one per subtask).
type detector[T any, K comparable, O any] struct {
	c       *compiled[T]
	m       *machine[T]
	codec   codec.Codec[T]
	fn      ProcessFunc[T, K, O]
	buf     *stream.MapState[int64, []byte]
	nfa     *stream.ValueState[[]byte]
	index   map[uint64]uint64
	scratch []byte
	matches []Match[T]
	tos     []Timeout[T]
	// st and events: the decoded state of the current key (reused by
	// every timer; nothing of it outlives the timer but its encoding).
	st     nfaState[T]
	events []decEvent[T]
}

func (d *detector[T, K, O]) Open(ctx *stream.OpenContext) error {
	d.buf = stream.NewMapState[int64, []byte](ctx, "cep-buffer")
	d.nfa = stream.NewValueState[[]byte](ctx, "cep-nfa")
	return nil
}

func (d *detector[T, K, O]) ProcessElement(ctx *stream.KeyedContext[K], v T, _ stream.Emitter[O]) error {
	ts := ctx.Timestamp()
	if ts == minTime {
		return fmt.Errorf("cep: a record without event time (assign timestamps and watermarks at the source)")
	}
	if ts <= ctx.CurrentWatermark() {
		ctx.CountLate()
		LateTag[T]().Emit(&ctx.Context, v)
		return nil
	}
	b, ok := d.buf.Get(ts)
	if !ok {
		b = d.scratch[:0] // Put copies it
	}
	b = appendEvent(b, d.codec, v)
	d.buf.Put(ts, b)
	if !ok {
		d.scratch = b[:0]
	}
	if !ok {
		// A bucket and its timer come and go together (the timer removes
		// the bucket; both are in the same snapshots).
		ctx.RegisterEventTimeTimer(ts)
	}
	return nil
}

const minTime = -1 << 63

// OnTimer runs at the time of buffered events (and at the ends of windows):
// partial matches past their window time out, then the events of time t are
// processed in arrival order.
func (d *detector[T, K, O]) OnTimer(ctx *stream.KeyedContext[K], t int64, out stream.Emitter[O]) error {
	// The runs of the previous timer were encoded and its matches copied:
	// the steps' arena is free again.
	d.m.resetArena()
	st := &d.st
	clear(st.runs)
	st.runs, st.nextSeq = st.runs[:0], 0
	had := false
	if b, ok := d.nfa.Get(); ok {
		if err := decodeStateInto(st, b, d.c, d.codec, &d.events, d.m); err != nil {
			return err
		}
		had = true
	}
	before := len(st.runs)
	d.matches, d.tos = d.m.advance(st, t, d.matches[:0], d.tos[:0])
	if len(d.tos) > 0 {
		tag := TimeoutTag[T]()
		for _, to := range d.tos {
			tag.Emit(&ctx.Context, to)
		}
	}
	started := false
	if b, ok := d.buf.Get(t); ok {
		err := eachEvent(b, d.codec, func(v T) error {
			d.matches = d.m.process(st, t, v, d.matches)
			return nil
		})
		if err != nil {
			return err
		}
		d.buf.Remove(t)
		started = true
	}
	for _, m := range d.matches {
		if err := d.fn(ctx, m, out); err != nil {
			return err
		}
	}
	clear(d.matches)
	clear(d.tos)
	if len(st.runs) == 0 {
		if had {
			d.nfa.Clear() // sequence numbers only order live partial matches
		}
		return nil
	}
	if !started && len(st.runs) == before {
		return nil // a window's timer that timed nothing out: the state is as it was
	}
	if started && d.c.within > 0 {
		for _, r := range st.runs {
			if r.steps[0].ts == t {
				ctx.RegisterEventTimeTimer(t + d.c.within)
				break
			}
		}
	}
	d.scratch = appendState(d.scratch[:0], d.c, d.codec, st, d.index)
	d.nfa.Set(d.scratch)
	return nil
}
