// Package stream is strom's DataStream API: build a dataflow of typed streams
// (sources, transformations, keyed state, timers, windows, joins, sinks) on
// an Environment, then Execute it.
//
//	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
//	words := stream.FromSlice(env, []string{"a", "b", "a"})
//	counts := stream.KeyBy(words, func(w string) string { return w }).
//		Reduce(...)
//	stream.Print(counts)
//	err := env.Execute(ctx)
//
// Type-changing transformations are package functions (Map, KeyBy, Process),
// type-keeping ones are methods (Filter, Name, UID).
//
// Concurrency: building a job is single-goroutine. Execute runs one goroutine
// per subtask; user functions of one subtask are never called concurrently,
// so they need no locks unless they share data across subtasks.
package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/cluster"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/plan"
)

// Clock is the processing-time clock (see NewManualClock for tests).
type Clock = base.Clock

// ManualClock is a clock that moves only when told; for deterministic tests.
type ManualClock = base.ManualClock

// NewManualClock is base.NewManualClock.
var NewManualClock = base.NewManualClock

// MinTime and MaxTime bound event time (epoch milliseconds).
const (
	MinTime = base.MinTime
	MaxTime = base.MaxTime
)

// OperatorError is the failure of one operator (name, subtask, cause).
type OperatorError = base.OperatorError

// ErrCanceled is returned by Execute when the job was canceled.
var ErrCanceled = base.ErrCanceled

// Options configure an Environment. The zero value is valid.
type Options struct {
	// Parallelism is the default number of subtasks per operator (default 1).
	Parallelism int
	// MaxParallelism is the number of key groups (default 128); it bounds
	// the parallelism a job's state can ever be rescaled to.
	MaxParallelism int
	// Clock is the processing-time clock (default: the system clock).
	Clock Clock
	// BatchSize is the number of records per batch between subtasks (default 512).
	BatchSize int
	// ChannelCapacity is the number of batches buffered per channel (default 8).
	ChannelCapacity int
	// DisableChaining runs every operator in its own subtask.
	DisableChaining bool
	// LatencyInterval makes every source subtask emit a latency marker this
	// often; markers travel behind the records and are measured where the
	// data leaves the job (Job.Latency). 0 disables them.
	LatencyInterval time.Duration
	// Name is the job's name.
	Name string
}

// Validate reports the first invalid option.
func (o Options) Validate() error {
	switch {
	case o.Parallelism < 0:
		return fmt.Errorf("stream: Parallelism must be >= 1, got %d", o.Parallelism)
	case o.MaxParallelism < 0 || o.MaxParallelism > 1<<15:
		return fmt.Errorf("stream: MaxParallelism must be in 1..32768, got %d", o.MaxParallelism)
	case o.MaxParallelism != 0 && o.Parallelism > o.MaxParallelism:
		return fmt.Errorf("stream: Parallelism %d exceeds MaxParallelism %d", o.Parallelism, o.MaxParallelism)
	case o.BatchSize < 0 || o.ChannelCapacity < 0:
		return fmt.Errorf("stream: BatchSize and ChannelCapacity must not be negative")
	}
	return nil
}

// Environment collects the operators of one job.
type Environment struct {
	opts  Options
	graph plan.Graph
	err   error
}

// NewEnvironment returns an environment with opts (defaults filled in).
func NewEnvironment(opts Options) *Environment {
	env := &Environment{}
	env.err = opts.Validate()
	if opts.Parallelism == 0 {
		opts.Parallelism = 1
	}
	if opts.MaxParallelism == 0 {
		opts.MaxParallelism = base.DefaultMaxParallelism
	}
	if opts.Clock == nil {
		opts.Clock = base.SystemClock{}
	}
	env.opts = opts
	env.graph = plan.Graph{Parallelism: opts.Parallelism, MaxParallelism: opts.MaxParallelism, Chaining: !opts.DisableChaining}
	return env
}

// Parallelism is the default parallelism.
func (env *Environment) Parallelism() int { return env.opts.Parallelism }

// MaxParallelism is the number of key groups.
func (env *Environment) MaxParallelism() int { return env.opts.MaxParallelism }

// Clock is the processing-time clock of the job.
func (env *Environment) Clock() Clock { return env.opts.Clock }

func (env *Environment) setErr(err error) {
	if env.err == nil {
		env.err = err
	}
}

// Plan compiles the job graph and describes it, one vertex per line.
func (env *Environment) Plan() (string, error) {
	jg, err := env.compile()
	if err != nil {
		return "", err
	}
	return jg.Describe(), nil
}

func (env *Environment) compile() (*plan.JobGraph, error) {
	if env.err != nil {
		return nil, env.err
	}
	return plan.Compile(&env.graph)
}

// Execute runs the job until every bounded source ended and all results were
// emitted, an operator failed, or ctx was canceled.
func (env *Environment) Execute(ctx context.Context) error {
	job, err := env.Start(ctx)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, job.Cancel)
	defer stop()
	return job.Wait()
}

// Start starts the job and returns at once.
func (env *Environment) Start(ctx context.Context) (*Job, error) {
	jg, err := env.compile()
	if err != nil {
		return nil, err
	}
	j, err := cluster.Start(ctx, jg, cluster.Options{Name: env.opts.Name, Clock: env.opts.Clock,
		ChannelCapacity: env.opts.ChannelCapacity, BatchSize: env.opts.BatchSize, LatencyInterval: env.opts.LatencyInterval})
	if err != nil {
		return nil, err
	}
	return &Job{j: j}, nil
}

// Job is a running job.
type Job struct{ j *cluster.Job }

// Cancel stops the job.
func (j *Job) Cancel() { j.j.Cancel() }

// Wait waits for the job to end and returns its error.
func (j *Job) Wait() error { return j.j.Wait() }

// Done is closed when the job ended.
func (j *Job) Done() <-chan struct{} { return j.j.Done() }

// View is a read-only snapshot of the job's graph and metrics.
func (j *Job) View() []cluster.VertexView { return j.j.View() }

// Latency returns quantiles of the source-to-sink latency markers measured
// so far (Options.LatencyInterval) and their number.
func (j *Job) Latency() (p50, p99 time.Duration, n int64) {
	var h operator.Histogram
	for _, v := range j.j.View() {
		for _, op := range v.Operators {
			for _, st := range op.Subtasks {
				h.Merge(&st.Latency)
			}
		}
	}
	return h.Quantile(0.5), h.Quantile(0.99), h.N
}

// GraphOf exposes the logical graph of env to the streamtest harness, which
// instantiates operators directly. Applications have no use for it.
func GraphOf(env *Environment) *plan.Graph { return &env.graph }

// NodeOf returns the plan node of s (for the streamtest harness).
func NodeOf[T any](s Stream[T]) *plan.Node { return s.node }
