package task

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/plan"
)

// reviewDeadline bounds every wait of these tests on the subtask goroutine.
const reviewDeadline = 5 * time.Second

// reviewRig is one subtask of a one-operator vertex with one input channel
// and one output channel, both driven by the test.
type reviewRig struct {
	st       *Subtask
	in, out  *Chan
	outInbox *Inbox
	done     chan error
	cancel   context.CancelFunc
}

// newReviewRig builds a vertex "up -> [op] -> down" where op is made by
// build; in/out are the channels from "up" and to "down".
func newReviewRig(t *testing.T, clock base.Clock, build func(out operator.Collector[int]) (operator.Operator, operator.Collector[int])) *reviewRig {
	t.Helper()
	r := newReviewSubtask(t, clock, build)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.st.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		r.in.Close()
		r.out.Close()
		select {
		case <-r.done:
		case <-time.After(reviewDeadline):
			t.Error("subtask did not exit")
		}
	})
	return r
}

// newReviewSubtask builds the rig without running the subtask.
func newReviewSubtask(t *testing.T, clock base.Clock, build func(out operator.Collector[int]) (operator.Operator, operator.Collector[int])) *reviewRig {
	t.Helper()
	up := &plan.Node{ID: 0, Name: "up", Out: operator.TypeOf[int]()}
	n := &plan.Node{ID: 1, Name: "op", Out: operator.TypeOf[int](), Parallelism: 1,
		Inputs: []plan.Input{{From: up, Part: operator.Forward}}}
	n.Build = func(outs plan.Outputs, _ []connector.Split) (plan.Built, error) {
		op, in := build(outs.Main.(operator.Collector[int]))
		return plan.Built{Op: op, Inputs: []any{in}}, nil
	}
	down := &plan.Node{ID: 2, Name: "down", Out: operator.TypeOf[int](), Parallelism: 1,
		Inputs: []plan.Input{{From: n, Part: operator.Forward}}}
	upV := &plan.Vertex{ID: 0, Chain: []*plan.Node{up}, Parallelism: 1}
	v := &plan.Vertex{ID: 1, Chain: []*plan.Node{n}, Parallelism: 1}
	downV := &plan.Vertex{ID: 2, Chain: []*plan.Node{down}, Parallelism: 1}
	inEdge := &plan.Edge{From: upV, To: v, FromNode: up, Input: n.Inputs[0]}
	outEdge := &plan.Edge{From: v, To: downV, FromNode: n, Input: down.Inputs[0]}
	inbox, outInbox := NewInbox(), NewInbox()
	r := &reviewRig{in: NewChan(64, inbox, clock), out: NewChan(64, outInbox, clock), outInbox: outInbox, done: make(chan error, 1)}
	st, err := New(Config{Vertex: v, MaxParallelism: 128, Clock: clock, Inbox: inbox, BatchSize: 16,
		In:  []InEdge{{Edge: inEdge, Chans: []*Chan{r.in}}},
		Out: []OutEdge{{Edge: outEdge, Chans: []operator.Channel{r.out}}}})
	if err != nil {
		t.Fatal(err)
	}
	r.st = st
	return r
}

// next returns the next event the subtask sent downstream, failing after
// the deadline.
func (r *reviewRig) next(t *testing.T) operator.Event {
	t.Helper()
	deadline := time.After(reviewDeadline)
	for {
		if e, ok := r.out.Poll(); ok {
			return e
		}
		select {
		case <-r.outInbox.signal:
		case <-deadline:
			t.Fatal("timed out waiting for an event from the subtask")
		}
	}
}

// nextWithin is next with a shorter bound; ok is false when nothing came.
func (r *reviewRig) nextWithin(d time.Duration) (operator.Event, bool) {
	deadline := time.After(d)
	for {
		if e, ok := r.out.Poll(); ok {
			return e, true
		}
		select {
		case <-r.outInbox.signal:
		case <-deadline:
			return operator.Event{}, false
		}
	}
}

// untilEnd collects the kinds of the events sent downstream up to EventEnd.
func (r *reviewRig) untilEnd(t *testing.T) []string {
	t.Helper()
	var got []string
	for {
		e := r.next(t)
		got = append(got, reviewKind(e))
		if e.Kind == operator.EventEnd {
			return got
		}
	}
}

func reviewKind(e operator.Event) string {
	switch e.Kind {
	case operator.EventBatch:
		return fmt.Sprintf("batch(%d)", len(e.Batch.(*operator.Batch[int]).V))
	case operator.EventWatermark:
		if e.Time == base.MaxTime {
			return "wm(max)"
		}
		return fmt.Sprintf("wm(%d)", e.Time)
	case operator.EventIdle:
		return "idle"
	case operator.EventEnd:
		return "end"
	default:
		return "latency"
	}
}

func reviewPassthrough(out operator.Collector[int]) (operator.Operator, operator.Collector[int]) {
	op := &operator.Passthrough[int]{Out: out}
	return op, op
}

// TestRegressIdleReannouncedAfterForwardedRecords
//
// Was a bug: Subtask.idle stays true after the subtask forwards records while it
// is idle. A downstream subtask treats any batch as "this channel is active
// again" (handle: EventBatch sets in.idle = false), but when the upstream
// input of this subtask goes idle again, inputWatermark sees st.idle == true
// and does not send EventIdle again. The downstream channel then stays
// active forever with a stale watermark and holds back the downstream
// combined watermark (windows and event-time timers downstream never fire
// while other inputs advance). Realistic trigger: a source split that goes
// idle, then delivers a record that does not advance its watermark (late, or
// another split holds the minimum), then goes idle again; the source subtask
// re-announces IDLE (it tracks Source.idle) but every non-source subtask in
// between swallows it.
//
// Expected (Flink's StatusWatermarkValve keeps an explicit per-channel
// status; here records implicitly re-activate a channel, so the subtask must
// re-announce): after forwarding records while idle, the next "all inputs
// idle" must send EventIdle downstream again.
//
// Fixed by: in handle(EventBatch) set st.idle = false (the downstream will see the
// batch as activity), or more generally have the writers report "records
// sent since the last EventIdle" and re-emit EventIdle in onIdle when the
// subtask is idle (this also covers records emitted by processing-time timers
// of an idle subtask, see TestRegressIdleReannouncedAfterTimerOutput).
func TestRegressIdleReannouncedAfterForwardedRecords(t *testing.T) {
	clock := base.NewManualClock(time.UnixMilli(0))
	r := newReviewRig(t, clock, reviewPassthrough)
	r.in.Push(operator.Event{Kind: operator.EventWatermark, Time: 10})
	r.in.Push(operator.Event{Kind: operator.EventIdle})
	r.in.Push(operator.Event{Kind: operator.EventBatch, Batch: &operator.Batch[int]{TS: []int64{5}, V: []int{1}}})
	r.in.Push(operator.Event{Kind: operator.EventIdle})
	// The input is idle again and stays so: the subtask must say so
	// downstream without any further input (End is pushed only afterwards,
	// so the check does not depend on when the subtask flushes).
	var got []string
	for len(got) < 4 {
		e, ok := r.nextWithin(2 * time.Second)
		if !ok {
			t.Fatalf("events sent downstream: %v, then nothing; want [wm(10) idle batch(1) idle]\n"+
				"(after forwarding a record while idle, the subtask did not re-announce IDLE: "+
				"the downstream channel stays active with a stale watermark)", got)
		}
		got = append(got, reviewKind(e))
	}
	r.in.Push(operator.Event{Kind: operator.EventEnd})
	got = append(got, r.untilEnd(t)...)
	if want := "[wm(10) idle batch(1) idle wm(max) end]"; fmt.Sprint(got) != want {
		t.Fatalf("events sent downstream:\n got %v\nwant %s", got, want)
	}
}

// reviewTimerOp emits one record from a processing-time timer due at Due.
type reviewTimerOp struct {
	operator.Base
	Out   operator.Collector[int]
	Due   int64
	fired atomic.Int64 // processing time it fired at (0: not yet)
}

func (o *reviewTimerOp) Collect(ts int64, v int) { o.Out.Collect(ts, v) }
func (o *reviewTimerOp) NextProcessingTime() int64 {
	if o.fired.Load() != 0 {
		return base.MaxTime
	}
	return o.Due
}
func (o *reviewTimerOp) OnProcessingTime(now int64) {
	if o.fired.Load() == 0 && now >= o.Due {
		o.fired.Store(now)
		o.Out.Collect(now, 42)
	}
}

// TestRegressIdleReannouncedAfterTimerOutput
//
// Same root cause as TestRegressIdleReannouncedAfterForwardedRecords, with
// the records coming from a processing-time timer of an idle subtask (a
// "no data for N minutes" alert is exactly a timer that fires while the
// input is idle). The downstream sees the batch, re-activates the channel,
// and is never told that the subtask is still idle.
//
// Expected: EventIdle is sent again after the timer's records (the subtask
// is still idle). Fix: see the test above (writers track records sent since
// the last EventIdle; onIdle re-emits EventIdle when st.idle).
func TestRegressIdleReannouncedAfterTimerOutput(t *testing.T) {
	clock := base.NewManualClock(time.UnixMilli(0))
	var op *reviewTimerOp
	r := newReviewRig(t, clock, func(out operator.Collector[int]) (operator.Operator, operator.Collector[int]) {
		op = &reviewTimerOp{Out: out, Due: 100}
		return op, op
	})
	r.in.Push(operator.Event{Kind: operator.EventWatermark, Time: 10})
	r.in.Push(operator.Event{Kind: operator.EventIdle})
	var got []string
	for len(got) < 2 {
		got = append(got, reviewKind(r.next(t)))
	}
	clock.Advance(100 * time.Millisecond) // the timer fires; its record is flushed on idle
	for got[len(got)-1] != "batch(1)" {
		got = append(got, reviewKind(r.next(t)))
	}
	e, ok := r.nextWithin(2 * time.Second)
	if !ok {
		t.Fatalf("events sent downstream: %v, then nothing; want [wm(10) idle batch(1) idle]\n"+
			"(records of a processing-time timer re-activated the downstream channel and IDLE was not re-announced)", got)
	}
	got = append(got, reviewKind(e))
	r.in.Push(operator.Event{Kind: operator.EventEnd})
	got = append(got, r.untilEnd(t)...)
	if want := "[wm(10) idle batch(1) idle wm(max) end]"; fmt.Sprint(got) != want {
		t.Fatalf("events sent downstream:\n got %v\nwant %s", got, want)
	}
}

// reviewSignalClock is a ManualClock that reports every After call, so the
// test knows the subtask is waiting before it moves the clock.
type reviewSignalClock struct {
	*base.ManualClock
	afters chan time.Duration
}

func (c reviewSignalClock) After(d time.Duration) (<-chan struct{}, func()) {
	ch, stop := c.ManualClock.After(d)
	select {
	case c.afters <- d:
	default:
	}
	return ch, stop
}

// TestRegressProcessingTimerWaitIgnoresSubMillisecond
//
// Was a bug: Subtask.wait computes the sleep as (next - clock.NowMillis()) ms.
// NowMillis truncates, so when processing time is not on a millisecond
// boundary the subtask sleeps until next + (now mod 1ms): at a clock value
// where NowMillis() == next (the timer is due by the operator's own
// definition, fireProcessingTimers would fire it) the subtask is still
// asleep. With the system clock this only makes timers up to 1 ms late;
// with a ManualClock created at a non-millisecond instant (e.g.
// NewManualClock(time.Now())) a test that Sets the clock to the timer's
// millisecond hangs.
//
// Expected: a processing-time timer due at T fires once processing time
// reaches T (Flink's ProcessingTimeService schedules at the exact
// millisecond).
//
// Fixed by: d := time.UnixMilli(next).Sub(st.clock.Now()).
func TestRegressProcessingTimerWaitIgnoresSubMillisecond(t *testing.T) {
	clock := reviewSignalClock{ManualClock: base.NewManualClock(time.Unix(0, 500_000)), afters: make(chan time.Duration, 16)}
	var op *reviewTimerOp
	newReviewRig(t, clock, func(out operator.Collector[int]) (operator.Operator, operator.Collector[int]) {
		op = &reviewTimerOp{Out: out, Due: 100}
		return op, op
	})
	select {
	case <-clock.afters: // the subtask waits for its timer
	case <-time.After(reviewDeadline):
		t.Fatal("the subtask never waited on the clock")
	}
	clock.Set(time.UnixMilli(100)) // NowMillis() == 100: the timer is due
	deadline := time.Now().Add(2 * time.Second)
	for op.fired.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("processing time is %d ms and the timer due at 100 ms did not fire (the subtask sleeps until 100.5 ms)", clock.NowMillis())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRegressFarProcessingTimerSpins
//
// Was a bug: Subtask.wait computes time.Duration(next-now) * time.Millisecond,
// which overflows int64 nanoseconds for timers more than ~292 years ahead.
// For a "never" timer such as base.MaxTime-1 (or math.MaxInt64/2) the
// product is negative, wait returns nil at once without blocking, and the
// subtask loop spins at 100 % CPU for as long as the timer is pending
// (forever), never blocking on its inputs.
//
// Expected: the subtask sleeps (on its inputs and a capped timer) until the
// timer is due, like Flink's SystemProcessingTimeService, which clamps the
// delay.
//
// Fixed by: compute the delay with overflow care, e.g.
// if next-now > maxWaitMillis { d = maxWait } (a cap of an hour is enough,
// the loop re-evaluates after waking).
func TestRegressFarProcessingTimerSpins(t *testing.T) {
	clock := base.NewManualClock(time.UnixMilli(1_700_000_000_000))
	r := newReviewSubtask(t, clock, func(out operator.Collector[int]) (operator.Operator, operator.Collector[int]) {
		op := &reviewTimerOp{Out: out, Due: base.MaxTime - 1}
		return op, op
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a blocking wait returns ErrCanceled; one that does not block returns nil
	if err := r.st.wait(ctx, nil, 0); err == nil {
		t.Fatal("wait returned at once although the only timer is due in ~292 million years: the delay overflowed and the subtask loop spins")
	}
}
