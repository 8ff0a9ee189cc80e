package stream_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
)

// TestRegressPrintSinkZeroValue
//
// Was a bug: PrintSink is exported with exported fields (W, Format), so
// SinkTo(s, stream.PrintSink[T]{W: w}, "") is the natural way to print to a
// writer, but its mutex is an unexported *sync.Mutex that only Print/PrintTo
// set. A PrintSink built as a literal has mu == nil and the first Flush
// (on idle, at Finish or at 64 KiB) panics with a nil-pointer dereference,
// failing the job.
//
// Expected: the zero value (plus W/Format) works, as it does for Flink's
// PrintSinkFunction.
//
// Fixed by: make the lock not depend on construction, e.g. a package-level
// mutex (or a sync.Map of mutexes keyed by W) used when mu is nil. Note that
// per-Open mutexes would not do: subtasks share W, and a bytes.Buffer is not
// safe for concurrent Writes.
func TestRegressPrintSinkZeroValue(t *testing.T) {
	var buf bytes.Buffer
	env := stream.NewEnvironment(stream.Options{})
	stream.SinkTo[int](stream.FromSlice(env, []int{1, 2, 3}), stream.PrintSink[int]{W: &buf}, "print")
	if err := env.Execute(context.Background()); err != nil {
		t.Fatalf("job with a PrintSink literal failed: %v", err)
	}
	if got := buf.String(); got != "1\n2\n3\n" {
		t.Fatalf("printed %q", got)
	}
}

// TestRegressDisableChainingIsolatesOperator
//
// Was a bug: DESIGN.md §3 says a node joins its producer's chain only when
// "neither side disabled chaining", and Flink's disableChaining() sets
// ChainingStrategy.NEVER (chained neither to its predecessor nor to its
// successor; startNewChain() is the one that only breaks the chain before
// the operator). plan.chainable only looks at the consumer's NoChain, so the
// operator AFTER a DisableChaining() operator is fused into its subtask.
// Users disable chaining to give a heavy or blocking operator a goroutine of
// its own; here it still shares it with everything downstream.
//
// Expected: "heavy" alone in its vertex.
//
// Fixed by: in plan.chainable also return false when in.From.NoChain is set for
// nodes that disabled chaining; keep a separate "head only" flag for union
// (which must still chain with its successors), i.e. two flags like Flink's
// NEVER and HEAD. Alternatively rename the API to StartNewChain and fix the
// design text.
func TestRegressDisableChainingIsolatesOperator(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 1})
	s := stream.FromSlice(env, []int{1})
	heavy := stream.Map(s, func(v int) int { return v }).Name("heavy").DisableChaining()
	stream.Discard(stream.Map(heavy, func(v int) int { return v }).Name("after"))
	desc, err := env.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(desc, "\n") {
		if strings.Contains(line, "heavy") && strings.Contains(line, "after") {
			t.Fatalf("the operator after a DisableChaining() operator was chained to it:\n%s", desc)
		}
	}
}

// reviewPanickySink panics in Flush (a connector bug, e.g. a nil client).
type reviewPanickySink struct{}

func (reviewPanickySink) Open(context.Context, connector.SinkInfo) (connector.Writer[int], error) {
	return reviewPanickyWriter{}, nil
}

type reviewPanickyWriter struct{}

func (reviewPanickyWriter) Write(int, int64) error      { return nil }
func (reviewPanickyWriter) Flush(context.Context) error { panic("flush exploded") }
func (reviewPanickyWriter) Close() error                { return nil }

// TestRegressSinkFlushPanicNamesSink
//
// Was a bug: the subtask names a panicking operator from the shared Tracker, which
// operators set with Enter before user code. Sink.OnIdle and Sink.Finish
// call the connector's Flush without Enter (and task.onIdle / task.finish do
// not set the tracker either), so a panic in a sink's Flush is reported as
// a failure of whichever operator ran last: in a chained "source -> sink"
// job, the source. Operators are told to find the failing operator by name
// (DESIGN.md §4 "the subtask's single recover names the operator").
//
// Expected: the error names the sink ("out").
//
// Fixed by: call o.Enter() at the top of Sink.OnIdle, Sink.Finish and
// Sink.Close (and in every Finish/OnIdle/Watermark of operators that run
// user or connector code), or have the task set st.tracker.Op = i before
// calling ops[i].Finish/OnIdle/Watermark.
func TestRegressSinkFlushPanicNamesSink(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{})
	stream.SinkTo[int](stream.FromSlice(env, []int{1, 2, 3}), reviewPanickySink{}, "out")
	err := env.Execute(context.Background())
	var oe *stream.OperatorError
	if !errors.As(err, &oe) {
		t.Fatalf("want an OperatorError, got %v", err)
	}
	if oe.Operator != "out" {
		t.Fatalf("a panic in the sink's Flush is reported as a failure of %q: %v", oe.Operator, err)
	}
}
