// Package streamtest drives strom operators and jobs in tests.
//
// A Harness runs the operators that a function adds to a stream, at
// parallelism 1, synchronously in the test's goroutine: the test pushes
// records, watermarks and clock advances and reads the output after each
// step, as Flink's operator test harnesses do.
//
//	h, _ := streamtest.New(func(in stream.Stream[Event]) stream.Stream[Count] {
//		return stream.WindowAggregate(stream.KeyBy(in, ...).Window(...), ...)
//	})
//	h.Record(1000, ev)
//	h.Watermark(1999)
//	got := h.Output()
//
// Concurrency: a Harness is not safe for concurrent use.
package streamtest

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/plan"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/stream"
)

// Options configure a Harness.
type Options struct {
	// Start is the manual clock's start (default: the Unix epoch).
	Start time.Time
	// MaxParallelism is the number of key groups (default 128).
	MaxParallelism int
}

// Harness drives the operators between an input of type I and an output of
// type O.
type Harness[I, O any] struct {
	clock   *base.ManualClock
	ops     []operator.Operator
	rts     []*operator.Runtime
	tracker operator.Tracker
	in      operator.Collector[I]
	out     *collectSink[O]
	wm      int64
	closed  bool
}

// New builds the operators that build adds after the input stream and opens
// them.
func New[I, O any](build func(in stream.Stream[I]) stream.Stream[O], opts ...Options) (*Harness[I, O], error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.MaxParallelism == 0 {
		o.MaxParallelism = base.DefaultMaxParallelism
	}
	if o.Start.IsZero() {
		o.Start = time.UnixMilli(0)
	}
	h := &Harness[I, O]{clock: base.NewManualClock(o.Start), wm: base.MinTime, out: &collectSink[O]{}}
	env := stream.NewEnvironment(stream.Options{Parallelism: 1, MaxParallelism: o.MaxParallelism, Clock: h.clock})
	src := stream.FromSource[I](env, noSource[I]{}, stream.WatermarkStrategy[I]{}, "harness-input")
	stream.SinkTo[O](build(src), h.out, "harness-output")
	g := stream.GraphOf(env)
	srcNode := stream.NodeOf(src)
	nodes := g.Nodes
	built := make([]plan.Built, len(nodes))
	sideOuts := make([]map[string]any, len(nodes))
	for i := len(nodes) - 1; i >= 0; i-- {
		n := nodes[i]
		var mains []any
		sides := map[string][]any{}
		for _, c := range nodes[i+1:] {
			for _, in := range c.Inputs {
				if in.From != n {
					continue
				}
				col := built[c.ID].Inputs[in.Index]
				if in.Side == "" {
					mains = append(mains, col)
				} else {
					sides[in.Side] = append(sides[in.Side], col)
				}
			}
		}
		outs := plan.Outputs{Main: n.Out.Fanout(mains), Sides: map[string]any{}}
		for tag, cols := range sides {
			outs.Sides[tag] = n.SideTypes[tag].Fanout(cols)
		}
		sideOuts[n.ID] = outs.Sides
		if n == srcNode {
			h.in = outs.Main.(operator.Collector[I])
			continue
		}
		if n.Source != nil {
			return nil, fmt.Errorf("streamtest: the operators under test must not add sources (%q)", n.Name)
		}
		b, err := n.Build(outs, nil)
		if err != nil {
			return nil, fmt.Errorf("streamtest: build %q: %w", n.Name, err)
		}
		built[n.ID] = b
	}
	kgs := base.KeyGroupRange{Start: 0, End: o.MaxParallelism}
	for _, n := range nodes {
		if n == srcNode {
			continue
		}
		rt := &operator.Runtime{Ctx: context.Background(), Name: n.Name, UID: n.UID, Parallelism: 1,
			MaxParallelism: o.MaxParallelism, KeyGroups: kgs, Clock: h.clock, Metrics: &operator.Metrics{},
			Index: len(h.ops), Tracker: &h.tracker, Sides: sideOuts[n.ID]}
		if n.Keyed {
			rt.State = state.NewHeap(kgs)
		}
		h.ops = append(h.ops, built[n.ID].Op)
		h.rts = append(h.rts, rt)
	}
	for i := len(h.ops) - 1; i >= 0; i-- {
		if err := h.guard(func() error { return h.ops[i].Open(h.rts[i]) }); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// guard runs f and turns a panic into the *stream.OperatorError a job
// would report.
func (h *Harness[I, O]) guard(f func() error) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		var oe *base.OperatorError
		if e, ok := r.(error); ok && errors.As(e, &oe) {
			err = oe
			return
		}
		name := ""
		if i := h.tracker.Op; i >= 0 && i < len(h.rts) {
			name = h.rts[i].Name
		}
		err = &base.OperatorError{Operator: name, Cause: base.PanicError(r), Panic: true, Stack: debug.Stack()}
	}()
	return f()
}

// Record pushes one record with event timestamp ts (stream.MinTime: none).
func (h *Harness[I, O]) Record(ts int64, v I) error {
	return h.guard(func() error { h.in.Collect(ts, v); return nil })
}

// Watermark advances event time to wm; operators fire their timers in order.
func (h *Harness[I, O]) Watermark(wm int64) error {
	if wm <= h.wm {
		return nil
	}
	h.wm = wm
	return h.guard(func() error {
		for _, op := range h.ops {
			op.Watermark(wm)
		}
		return nil
	})
}

// AdvanceClock moves processing time by d and fires due processing-time timers.
func (h *Harness[I, O]) AdvanceClock(d time.Duration) error {
	h.clock.Advance(d)
	now := h.clock.NowMillis()
	return h.guard(func() error {
		for _, op := range h.ops {
			if pt, ok := op.(operator.ProcessingTimed); ok && pt.NextProcessingTime() <= now {
				pt.OnProcessingTime(now)
			}
		}
		return nil
	})
}

// Now is the harness's processing time.
func (h *Harness[I, O]) Now() time.Time { return h.clock.Now() }

// EndInput ends the input: the watermark goes to MaxTime and every operator
// finishes, as at the end of a bounded job.
func (h *Harness[I, O]) EndInput() error {
	if err := h.Watermark(base.MaxTime); err != nil {
		return err
	}
	return h.guard(func() error {
		for i, op := range h.ops {
			if err := op.Finish(); err != nil {
				return &base.OperatorError{Operator: h.rts[i].Name, Cause: err}
			}
		}
		return nil
	})
}

// Output returns the records emitted since the last call.
func (h *Harness[I, O]) Output() []stream.Record[O] {
	out := h.out.recs
	h.out.recs = nil
	return out
}

// Values is Output without timestamps.
func (h *Harness[I, O]) Values() []O {
	var vs []O
	for _, r := range h.Output() {
		vs = append(vs, r.Value)
	}
	return vs
}

// StateBytes is the total keyed state held by the operators.
func (h *Harness[I, O]) StateBytes() int64 {
	var n int64
	for _, rt := range h.rts {
		if rt.State != nil {
			n += rt.State.SizeBytes()
		}
	}
	return n
}

// LateRecords is the number of records the operators dropped or diverted as late.
func (h *Harness[I, O]) LateRecords() int64 {
	var n int64
	for _, rt := range h.rts {
		n += rt.Metrics.Late
	}
	return n
}

// Close closes the operators; it is idempotent.
func (h *Harness[I, O]) Close() error {
	if h.closed {
		return nil
	}
	h.closed = true
	var errs []error
	for _, op := range h.ops {
		errs = append(errs, h.guard(op.Close))
	}
	return errors.Join(errs...)
}

type noSource[T any] struct{}

func (noSource[T]) Splits(context.Context) ([]connector.Split, error) { return nil, nil }
func (noSource[T]) Bounded() bool                                     { return true }
func (noSource[T]) Open(context.Context, connector.Split, []byte) (connector.Reader[T], error) {
	return nil, errors.New("streamtest: the harness input is not a real source")
}

type collectSink[T any] struct{ recs []stream.Record[T] }

func (c *collectSink[T]) Open(context.Context, connector.SinkInfo) (connector.Writer[T], error) {
	return c, nil
}
func (c *collectSink[T]) Write(v T, ts int64) error {
	c.recs = append(c.recs, stream.Record[T]{TS: ts, Value: v})
	return nil
}
func (c *collectSink[T]) Flush(context.Context) error { return nil }
func (c *collectSink[T]) Close() error                { return nil }
