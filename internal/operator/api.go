// Package operator defines what runs inside a subtask: the operator
// lifecycle, typed record collectors, the network adapters that batch records
// between subtasks, keyed state handles, timers, and the built-in operators
// (map, filter, process functions, windows, joins, sources and sinks).
//
// Operators are generic over their record types and call each other directly
// when chained; the untyped Operator interface is what the task loop sees.
//
// Concurrency: an operator instance is owned by one subtask goroutine and is
// never called concurrently; operators take no locks. Metrics are published
// through Metrics, whose exported snapshot is safe to read from any goroutine.
package operator

import (
	"context"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/state"
)

// Collector receives records with their event timestamp (base.MinTime when the
// record has none). The input of every operator is a Collector, and so is
// its output: chained operators are plain method calls.
type Collector[T any] interface {
	Collect(ts int64, v T)
}

// Operator is the untyped lifecycle of an operator as the task loop drives it.
type Operator interface {
	// Open prepares the operator; rt stays valid until Close.
	Open(rt *Runtime) error
	// Watermark tells the operator that event time reached wm. It fires the
	// event-time timers due at wm before returning; the task then moves the
	// watermark downstream, so timers hold the output watermark back.
	Watermark(wm int64)
	// Finish is called once at the end of all input, after Watermark(MaxTime)
	// for bounded jobs; it flushes whatever the operator buffers.
	Finish() error
	// Close releases resources; it is called once, also after a failure.
	Close() error
}

// WatermarkDelayer is implemented by operators whose output lags their input
// in event time (Flink's KeyedCoProcessOperatorWithWatermarkDelay, used by
// the SQL interval join): the task hands the operators chained after it, and
// the downstream channels, the watermark minus WatermarkDelay() (MinTime and
// MaxTime pass unchanged), so records the operator emits up to that far
// behind its input watermark are not late downstream.
type WatermarkDelayer interface {
	WatermarkDelay() int64
}

// DelayWatermark is wm held back by delay >= 0: MaxTime (the end of input)
// stays as it is, other values saturate at MinTime (no watermark).
func DelayWatermark(wm, delay int64) int64 {
	if delay <= 0 || wm == base.MaxTime {
		return wm
	}
	if wm-delay > wm || wm-delay < base.MinTime {
		return base.MinTime
	}
	return wm - delay
}

// ProcessingTimed is implemented by operators with processing-time timers.
type ProcessingTimed interface {
	// NextProcessingTime is the earliest pending processing-time timer, or
	// base.MaxTime when there is none.
	NextProcessingTime() int64
	// OnProcessingTime fires every processing-time timer due at now.
	OnProcessingTime(now int64)
}

// Sizer is implemented by operators that hold state, for the state-size metric.
type Sizer interface {
	StateSize() int64
}

// Runtime is what a subtask offers one of its operators.
type Runtime struct {
	Ctx            context.Context
	Name, UID      string
	Subtask        int
	Parallelism    int
	MaxParallelism int
	KeyGroups      base.KeyGroupRange
	Clock          base.Clock
	// State is the keyed state backend of this operator (nil if not keyed).
	State   state.Backend
	Metrics *Metrics
	// Sides are the side outputs of the operator: tag -> Collector[T].
	Sides map[string]any
	// Index is the operator's position in its chain; Tracker is shared by
	// the chain and names the operator whose code is running when a panic
	// reaches the task loop.
	Index   int
	Tracker *Tracker
	// Restored is the operator's state from a checkpoint (nil: fresh start).
	Restored *Restored
	// KnownSplits (the head of a source chain) are the IDs of every split
	// of the job's initial enumeration, all subtasks' (read-only, shared):
	// split discovery opens only splits not in it.
	KnownSplits map[string]bool
}

// CheckpointNotified is implemented by operators that want to know that a
// checkpoint completed (a source passes it on to its readers). It is
// called on the subtask's goroutine, at most once per completed checkpoint
// and possibly not for every one (only the newest completed is delivered).
// An error is logged, not fatal: the checkpoint is complete already.
type CheckpointNotified interface {
	NotifyCheckpointComplete(id int64) error
}

// Tracker records which operator of a chain is executing. Operators call
// Base.Enter before running user code; it is one store, so the hot path pays
// no defer/recover per record.
type Tracker struct {
	Op int
}

// Fail aborts the current record with err; the task reports it as the
// failure of the operator named name.
func Fail(name string, subtask int, err error) {
	panic(&base.OperatorError{Operator: name, Subtask: subtask, Cause: err})
}

// Discard is a Collector that drops everything.
type Discard[T any] struct{}

func (Discard[T]) Collect(int64, T) {}
