// Package task is the per-subtask executor: one goroutine per subtask runs a
// loop that takes events from the subtask's input channels (or polls its
// source), feeds them to the chain of operators, moves the event-time
// watermark, fires processing-time timers, and flushes output batches.
//
// Concurrency: a Subtask's fields are touched only by its own goroutine,
// except the channels (Chan, with their own lock) and published metrics.
// Operators therefore need no locks.
package task

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/plan"
	"github.com/stromio/strom/internal/state"
)

// InEdge is the set of channels into one subtask for one physical edge.
type InEdge struct {
	Edge  *plan.Edge
	Chans []*Chan
}

// OutEdge is the set of channels out of one subtask for one physical edge.
type OutEdge struct {
	Edge  *plan.Edge
	Chans []operator.Channel
}

// Config describes one subtask to build.
type Config struct {
	Vertex         *plan.Vertex
	Index          int
	MaxParallelism int
	Clock          base.Clock
	Inbox          *Inbox
	In             []InEdge
	Out            []OutEdge
	Splits         []connector.Split
	// KnownSplits are the IDs of every split of the source's initial
	// enumeration (all subtasks'), for split discovery; read-only, shared.
	KnownSplits map[string]bool
	BatchSize   int
	// LatencyInterval is how often a source subtask emits a latency marker
	// (0: never).
	LatencyInterval time.Duration
	// Checkpointing connects the subtask to the checkpoint coordinator
	// (nil: no checkpoints).
	Checkpointing *Checkpointing
}

type input struct {
	ch      *Chan
	handler operator.BatchHandler
	wm      int64
	idle    bool
	ended   bool
	barrier int64 // checkpoint whose barrier arrived: blocked until aligned (0: none)
}

// Subtask is one parallel instance of a vertex.
type Subtask struct {
	Name    string
	Index   int
	ops     []operator.Operator
	rts     []*operator.Runtime
	Metrics []*operator.Metrics
	inputs  []*input
	writers []operator.EdgeWriter
	source  operator.SourceDriver
	inbox   *Inbox
	clock   base.Clock
	ptimed  []operator.ProcessingTimed
	flush   []operator.IdleFlusher
	sizers  []operator.Sizer
	bytes   []operator.BytesCounter
	lags    []operator.LagReporter
	wm      int64
	idle    bool
	isOpen  []bool
	tracker operator.Tracker

	sincePublish int

	latencyEvery time.Duration
	lastMarker   time.Time

	vertex int
	// commits[i]: operator i is a sink that commits through checkpoints
	// (its node's Committer is set).
	commits []bool
	ckpt    *Checkpointing
	ctrl    chan int64 // checkpoint triggers (sources)
	// aligning: a barrier arrived on one of several inputs at alignStart
	// (the injected clock) and the others' are awaited.
	aligning   bool
	alignStart time.Time

	// completed is the newest checkpoint the coordinator said is complete
	// (written by it, read here); noticed the newest one passed on to the
	// operators in notified.
	completed atomic.Int64
	noticed   int64
	notified  []operator.CheckpointNotified

	// wmDelay is each operator's WatermarkDelay (nil when none has one).
	wmDelay []int64
}

// New builds the operator chain of one subtask and wires its channels.
func New(cfg Config) (*Subtask, error) {
	v := cfg.Vertex
	st := &Subtask{Name: v.Name(), Index: cfg.Index, inbox: cfg.Inbox, clock: cfg.Clock, wm: base.MinTime,
		latencyEvery: cfg.LatencyInterval, vertex: cfg.Vertex.ID, ckpt: cfg.Checkpointing, ctrl: make(chan int64, 64)}
	kgs := base.RangeFor(cfg.MaxParallelism, v.Parallelism, cfg.Index)
	n := len(v.Chain)
	st.ops = make([]operator.Operator, n)
	st.rts = make([]*operator.Runtime, n)
	st.Metrics = make([]*operator.Metrics, n)
	st.commits = make([]bool, n)
	for i, node := range v.Chain {
		st.commits[i] = node.Committer != nil
	}
	var next any // input collector of the node after the current one
	var headInputs []any
	for i := n - 1; i >= 0; i-- {
		node := v.Chain[i]
		m := &operator.Metrics{Watermark: base.MinTime}
		st.Metrics[i] = m
		var mains []any
		sides := map[string][]any{}
		for _, oe := range cfg.Out {
			if oe.Edge.FromNode != node {
				continue
			}
			in := oe.Edge.Input
			ops := node.Out
			if in.Side != "" {
				ops = node.SideTypes[in.Side]
			}
			var kg any
			if in.Part == operator.Hash {
				kg = in.KeyGroup()
			}
			// Side outputs count like the main output (records and
			// batches out, backpressure): a shared scan's pre-filter
			// emits only on side outputs, and the web UI reads a
			// vertex's rate and backpressure from its last operator.
			w, col := ops.NewWriter(oe.Chans, in.Part, kg, cfg.MaxParallelism, cfg.BatchSize, m)
			st.writers = append(st.writers, w)
			if in.Side == "" {
				mains = append(mains, col)
			} else {
				sides[in.Side] = append(sides[in.Side], col)
			}
		}
		if next != nil {
			mains = append(mains, next)
		}
		outs := plan.Outputs{Main: node.Out.Fanout(mains), Sides: map[string]any{}}
		for tag, cols := range sides {
			outs.Sides[tag] = node.SideTypes[tag].Fanout(cols)
		}
		var splits []connector.Split
		if i == 0 {
			splits = cfg.Splits
		}
		built, err := node.Build(outs, splits)
		if err != nil {
			return nil, fmt.Errorf("operator %q: %w", node.Name, err)
		}
		rt := &operator.Runtime{Name: node.Name, UID: node.UID, Subtask: cfg.Index, Parallelism: v.Parallelism,
			MaxParallelism: cfg.MaxParallelism, KeyGroups: kgs, Clock: cfg.Clock, Metrics: m, Sides: outs.Sides,
			Index: i, Tracker: &st.tracker}
		if node.Keyed {
			rt.State = state.NewHeap(kgs)
		}
		if i == 0 && node.Source != nil {
			rt.KnownSplits = cfg.KnownSplits
		}
		st.ops[i] = built.Op
		st.rts[i] = rt
		if d, ok := built.Op.(operator.WatermarkDelayer); ok && d.WatermarkDelay() > 0 {
			if st.wmDelay == nil {
				st.wmDelay = make([]int64, n)
			}
			st.wmDelay[i] = d.WatermarkDelay()
		}
		if i > 0 {
			if len(built.Inputs) != 1 {
				return nil, fmt.Errorf("operator %q: a chained operator must have exactly one input", node.Name)
			}
			next = built.Inputs[0]
		} else {
			headInputs = built.Inputs
		}
		if pt, ok := built.Op.(operator.ProcessingTimed); ok {
			st.ptimed = append(st.ptimed, pt)
		}
		if f, ok := built.Op.(operator.IdleFlusher); ok {
			st.flush = append(st.flush, f)
		}
		if s, ok := built.Op.(operator.Sizer); ok {
			st.sizers = append(st.sizers, s)
		}
		if bc, ok := built.Op.(operator.BytesCounter); ok {
			st.bytes = append(st.bytes, bc)
		}
		if lr, ok := built.Op.(operator.LagReporter); ok {
			st.lags = append(st.lags, lr)
		}
		if cn, ok := built.Op.(operator.CheckpointNotified); ok {
			st.notified = append(st.notified, cn)
		}
	}
	if v.Chain[0].Source != nil {
		src, ok := st.ops[0].(operator.SourceDriver)
		if !ok {
			return nil, fmt.Errorf("operator %q: a source node must build a SourceDriver", v.Chain[0].Name)
		}
		st.source = src
	}
	for _, ie := range cfg.In {
		in := ie.Edge.Input
		if in.Index >= len(headInputs) {
			return nil, fmt.Errorf("operator %q has %d inputs, an edge targets input %d", v.Chain[0].Name, len(headInputs), in.Index)
		}
		ops := ie.Edge.FromNode.Out
		if in.Side != "" {
			ops = ie.Edge.FromNode.SideTypes[in.Side]
		}
		h := ops.Handler(headInputs[in.Index])
		for _, c := range ie.Chans {
			st.inputs = append(st.inputs, &input{ch: c, handler: h, wm: base.MinTime})
		}
	}
	return st, nil
}

// Run executes the subtask until its input ends, ctx is canceled or an
// operator fails. It always closes the operators it opened.
func (st *Subtask) Run(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = st.panicErr(ctx, r)
		}
		for i := range st.ops {
			if !st.isOpen[i] {
				continue
			}
			if cerr := st.closeOp(i); cerr != nil && err == nil {
				err = cerr
			}
		}
		st.publish()
	}()
	st.isOpen = make([]bool, len(st.ops))
	if err := st.restore(); err != nil {
		return err
	}
	for i := len(st.ops) - 1; i >= 0; i-- {
		st.rts[i].Ctx = ctx
		if err := st.ops[i].Open(st.rts[i]); err != nil {
			return &base.OperatorError{Operator: st.rts[i].Name, Subtask: st.Index, Cause: err}
		}
		st.isOpen[i] = true
	}
	if st.source != nil {
		return st.runSource(ctx)
	}
	return st.runInputs(ctx)
}

func (st *Subtask) closeOp(i int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &base.OperatorError{Operator: st.rts[i].Name, Subtask: st.Index, Cause: base.PanicError(r), Panic: true}
		}
	}()
	return st.ops[i].Close()
}

func (st *Subtask) panicErr(ctx context.Context, r any) error {
	switch e := r.(type) {
	case *base.OperatorError:
		return e
	case error:
		if errors.Is(e, base.ErrCanceled) {
			if ctx.Err() != nil {
				return base.ErrCanceled
			}
			return e
		}
	}
	name := st.Name
	if i := st.tracker.Op; i >= 0 && i < len(st.rts) {
		name = st.rts[i].Name
	}
	return &base.OperatorError{Operator: name, Subtask: st.Index, Cause: base.PanicError(r), Panic: true, Stack: debug.Stack()}
}

func (st *Subtask) runInputs(ctx context.Context) error {
	start := 0
	for {
		if err := ctx.Err(); err != nil {
			return base.ErrCanceled
		}
		progressed := false
		live := 0
		for k := range st.inputs {
			in := st.inputs[(start+k)%len(st.inputs)]
			if in.ended {
				continue
			}
			live++
			if in.barrier != 0 {
				continue // aligning: the input waits for the others' barriers
			}
			e, ok := in.ch.Poll()
			if !ok {
				continue
			}
			progressed = true
			st.handle(in, e)
		}
		start++
		st.fireProcessingTimers()
		if live == 0 {
			return st.finish()
		}
		if progressed {
			st.maybePublish()
			continue
		}
		st.onIdle()
		if err := st.wait(ctx, nil, 0); err != nil {
			return err
		}
	}
}

func (st *Subtask) handle(in *input, e operator.Event) {
	switch e.Kind {
	case operator.EventBatch:
		in.idle = false
		in.handler(e.Batch)
	case operator.EventWatermark:
		in.idle = false
		if e.Time > in.wm {
			in.wm = e.Time
		}
		st.inputWatermark()
	case operator.EventIdle:
		in.idle = true
		st.inputWatermark()
	case operator.EventEnd:
		in.ended = true
		in.barrier = 0
		st.inputWatermark()
		st.checkAligned()
	case operator.EventBarrier:
		st.onBarrier(in, e.Time)
	case operator.EventLatency:
		st.latencyMarker(e)
	}
}

// latencyMarker forwards a marker down one path of every output edge, or
// records its age where the data leaves the job (no output edge).
func (st *Subtask) latencyMarker(e operator.Event) {
	if len(st.writers) == 0 {
		st.Metrics[len(st.Metrics)-1].Latency.Record(time.Duration(st.clock.Now().UnixNano() - e.Time))
		return
	}
	for _, w := range st.writers {
		w.EmitOne(e)
	}
}

// maybeMarker emits a latency marker from a source when one is due.
func (st *Subtask) maybeMarker() {
	if st.latencyEvery <= 0 {
		return
	}
	now := st.clock.Now()
	if now.Sub(st.lastMarker) < st.latencyEvery {
		return
	}
	st.lastMarker = now
	st.latencyMarker(operator.Event{Kind: operator.EventLatency, Time: now.UnixNano()})
}

// inputWatermark recomputes the combined watermark: the minimum over the
// channels that are neither idle nor ended. When every live channel is idle,
// the subtask is idle and says so downstream (after moving to the highest
// watermark among them, as Flink does).
func (st *Subtask) inputWatermark() {
	wm, active, maxIdle, live := base.MaxTime, 0, base.MinTime, 0
	for _, in := range st.inputs {
		if in.ended {
			continue
		}
		live++
		if in.idle {
			maxIdle = max(maxIdle, in.wm)
			continue
		}
		active++
		wm = min(wm, in.wm)
	}
	switch {
	case live == 0:
		return // finish() delivers MaxTime
	case active == 0:
		if maxIdle > st.wm {
			st.advance(maxIdle)
		}
		st.idle = true
		st.announceIdle()
		return
	}
	st.idle = false
	if wm > st.wm {
		st.advance(wm)
	}
}

// advance moves event time of the chain to wm: each operator fires its
// timers in chain order, then the watermark goes downstream.
func (st *Subtask) advance(wm int64) {
	st.wm = wm
	for i, op := range st.ops {
		st.tracker.Op = i // a panic names this operator unless it says otherwise
		op.Watermark(wm)
		if st.wmDelay != nil {
			// An operator whose output lags its input holds the
			// watermark of the operators after it back.
			wm = operator.DelayWatermark(wm, st.wmDelay[i])
		}
	}
	st.emit(operator.Event{Kind: operator.EventWatermark, Time: wm})
}

// announceIdle sends EventIdle downstream unless every receiver already
// counts this subtask as idle. A batch or a watermark sent while idle (a late
// record passed through, a processing-time timer fired, the idle watermark
// moved) re-activates the receiving channel, so IDLE is announced again.
func (st *Subtask) announceIdle() {
	for _, w := range st.writers {
		if w.Active() {
			st.emit(operator.Event{Kind: operator.EventIdle})
			return
		}
	}
}

func (st *Subtask) emit(e operator.Event) {
	for _, w := range st.writers {
		w.Emit(e)
	}
}

func (st *Subtask) finish() error {
	if st.wm != base.MaxTime {
		st.advance(base.MaxTime)
	}
	for i, op := range st.ops {
		st.tracker.Op = i
		if err := op.Finish(); err != nil {
			return &base.OperatorError{Operator: st.rts[i].Name, Subtask: st.Index, Cause: err}
		}
	}
	st.checkpoint(operator.FinalCheckpointID, true, 0)
	st.emit(operator.Event{Kind: operator.EventEnd})
	return nil
}

func (st *Subtask) runSource(ctx context.Context) error {
	backoff := time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return base.ErrCanceled
		}
		st.pollTrigger()
		st.pollCompleted()
		res, err := st.source.Poll(ctx)
		if err != nil {
			var oe *base.OperatorError
			if errors.As(err, &oe) {
				return oe
			}
			return &base.OperatorError{Operator: st.rts[0].Name, Subtask: st.Index, Cause: err}
		}
		if res.WatermarkAdvanced {
			st.advance(res.Watermark)
		}
		if res.IdleChanged {
			st.idle = res.Idle
		}
		if st.idle {
			st.announceIdle()
		}
		st.fireProcessingTimers()
		if res.Done {
			return st.finish()
		}
		if res.N > 0 {
			backoff = time.Millisecond
			// What a read emitted leaves within a few reads: an
			// output that receives few of the records (after a
			// selective filter, a side output of a shared scan's
			// pre-filter) would otherwise hold them for many reads,
			// until its batch is full, while the other outputs'
			// records go ahead (a join of two such outputs would see
			// one side late). The hold is 4 reads times the channel
			// count on hash/rebalance edges (Writer.FlushHeld), so an
			// output that receives every record still pushes full
			// batches at any parallelism when reads hold >= 128 records.
			for _, w := range st.writers {
				w.FlushHeld(sourceFlushReads)
			}
			st.maybePublish()
			st.maybeMarker()
			continue
		}
		st.onIdle()
		if err := st.wait(ctx, st.source.Ready(), backoff); err != nil {
			return err
		}
		backoff = min(backoff*2, 50*time.Millisecond)
	}
}

// sourceFlushReads is how many reads of a source subtask a batch of one
// of its writers may be held across before it is pushed unfilled, times
// the writer's channel count on a hash or rebalance edge. After
// every read (1) cost the sparse outputs of q3 and q8 about a tenth more
// CPU (a push and a wake-up of the receiver per read); 4 kept q4's and
// q9's gain (BENCHMARKS.md, branch scanroute).
const sourceFlushReads = 4

func (st *Subtask) nextProcessingTime() int64 {
	next := base.MaxTime
	for _, p := range st.ptimed {
		next = min(next, p.NextProcessingTime())
	}
	return next
}

func (st *Subtask) fireProcessingTimers() {
	// One pass; the clock is read only when a timer is pending (every
	// source is ProcessingTimed, for split discovery, and most never are).
	now := int64(-1)
	for _, p := range st.ptimed {
		t := p.NextProcessingTime()
		if t == base.MaxTime {
			continue
		}
		if now < 0 {
			now = st.clock.NowMillis()
		}
		if t <= now {
			p.OnProcessingTime(now)
		}
	}
}

func (st *Subtask) onIdle() {
	for _, f := range st.flush {
		f.OnIdle()
	}
	for _, w := range st.writers {
		w.Flush()
	}
	if st.idle {
		st.announceIdle()
	}
	st.publish()
}

// maxTimerWaitMillis caps one sleep for a processing-time timer.
const maxTimerWaitMillis = 3_600_000

// wait blocks until an input may have data, the source is ready, the
// backoff (if > 0) passed, a processing-time timer is due, or ctx ends.
func (st *Subtask) wait(ctx context.Context, ready <-chan struct{}, backoff time.Duration) error {
	var timer <-chan struct{}
	d := time.Duration(-1)
	if next := st.nextProcessingTime(); next != base.MaxTime {
		if next-st.clock.NowMillis() > maxTimerWaitMillis {
			// A timer far ahead: wake up now and then and look again
			// (the delay in nanoseconds would overflow).
			d = maxTimerWaitMillis * time.Millisecond
		} else if d = time.UnixMilli(next).Sub(st.clock.Now()); d <= 0 {
			return nil
		}
	}
	if backoff > 0 && (d < 0 || backoff < d) {
		d = backoff
	}
	if d >= 0 {
		ch, stop := st.clock.After(d)
		defer stop()
		timer = ch
	}
	select {
	case <-st.inbox.signal:
	case <-ready:
	case <-timer:
	case <-ctx.Done():
		return base.ErrCanceled
	}
	return nil
}

// publishEvery is how many busy loop iterations pass between two metric
// publications (each one is a handful of atomic stores per operator).
const publishEvery = 16

func (st *Subtask) maybePublish() {
	st.sincePublish++
	if st.sincePublish >= publishEvery {
		st.publish()
	}
}

func (st *Subtask) publish() {
	st.sincePublish = 0
	n := len(st.Metrics)
	for i, m := range st.Metrics {
		if i+1 < n {
			m.Out = st.Metrics[i+1].In
		}
	}
	// Sized only once every operator opened: a keyed operator whose
	// restore failed has no backend (publish also runs on that way out).
	if len(st.sizers) > 0 && len(st.isOpen) == len(st.ops) && !slices.Contains(st.isOpen, false) {
		var size int64
		for _, s := range st.sizers {
			size += s.StateSize()
		}
		st.Metrics[0].StateBytes = size
	}
	for _, bc := range st.bytes {
		bc.CountBytes()
	}
	for _, lr := range st.lags {
		lr.ReportLags()
	}
	for _, m := range st.Metrics {
		m.Publish()
	}
}

// Watermark is the subtask's current event-time watermark (owner goroutine).
func (st *Subtask) Watermark() int64 { return st.wm }
