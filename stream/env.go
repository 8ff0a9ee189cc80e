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
	"errors"
	"fmt"
	"os"
	"sync"
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

// ErrNewerVersion is wrapped by the errors of a restore that meets a
// persisted layout of a newer strom (checkpoint.ErrNewerVersion): such a
// job is not restarted.
var ErrNewerVersion = base.ErrNewerVersion

// ErrStopped is returned by Execute and Job.Wait after a stop with a
// savepoint (Environment.Savepoint with stop).
var ErrStopped = cluster.ErrStopped

// SavepointResult describes a completed savepoint.
type SavepointResult = cluster.SavepointResult

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
	// DisableKeyedChaining keeps a keyBy between two operators of
	// parallelism 1 as a channel between two subtasks. By default such an
	// operator is chained to its producer (a call instead of a hand-off;
	// keyed state is still kept by key group, so savepoints rescale as
	// before). Flink never chains across a keyBy: set this to get its
	// graph.
	DisableKeyedChaining bool
	// LatencyInterval makes every source subtask emit a latency marker this
	// often; markers travel behind the records and are measured where the
	// data leaves the job (Job.Latency). 0 disables them.
	LatencyInterval time.Duration
	// Name is the job's name.
	Name string
	// Checkpoints turns on periodic checkpoints (nil: none).
	Checkpoints *CheckpointOptions
	// Restart restarts a failed job from its latest checkpoint (nil: a
	// failure ends the job).
	Restart *RestartStrategy
}

// CheckpointOptions configure checkpoints. With Dir set, a job started again
// after a crash resumes from the latest valid checkpoint in Dir.
type CheckpointOptions struct {
	// Dir is the checkpoint directory (required).
	Dir string
	// Interval between checkpoints (default 1 s).
	Interval time.Duration
	// Timeout abandons a checkpoint that takes longer (default 10 min).
	Timeout time.Duration
	// MinPause between the completion of a checkpoint and the trigger of
	// the next periodic one (default 0): a trigger due earlier waits for
	// the end of the pause, and the interval counts from there (Flink's
	// execution.checkpointing.min-pause).
	MinPause time.Duration
	// MaxConcurrent checkpoints in flight (default 1; Flink's
	// execution.checkpointing.max-concurrent-checkpoints): a periodic
	// checkpoint due while that many are pending is skipped.
	MaxConcurrent int
	// Retained complete checkpoints kept (default 2).
	Retained int
	// AllowEmptyState starts from empty state when Dir holds checkpoints
	// but none is valid (default: refuse to start).
	AllowEmptyState bool
	// AllowNonRestoredState drops checkpointed state of operators (by UID)
	// the job no longer has (default: refuse to start).
	AllowNonRestoredState bool
	// FromSavepoint starts the job from the savepoint (or retained
	// checkpoint directory) at this path, possibly at another parallelism.
	// When Dir already holds checkpoints of a run started from this
	// savepoint (a restart after a crash), the job resumes from those
	// instead; checkpoints of any other run in Dir make the start fail.
	FromSavepoint string
	// FullCheckpoints makes every checkpoint write the whole keyed state.
	// By default checkpoints are incremental: a checkpoint writes the keyed
	// state's changes since the previous completed one and references the
	// older files (a full base again after a bounded chain). Savepoints
	// are self-contained either way.
	FullCheckpoints bool
	// BufferedStateWrites writes the checkpoints' state files through the
	// operating system's page cache. By default a local Dir gets them
	// written past it where the filesystem allows (O_DIRECT on Linux):
	// less CPU per checkpoint and none of the copy's memory traffic beside
	// the job, but a restore reads them from the disk, not from memory.
	BufferedStateWrites bool
	// Logf receives checkpoint failures and restore decisions (default:
	// standard error).
	Logf func(format string, args ...any)
}

// RestartStrategy says how a failed job restarts from its latest
// checkpoint: after Delay, growing by Backoff (>= 1; 1 = fixed delay) up
// to MaxDelay, at most MaxAttempts times. Without ResetAfter the attempts
// count over the job's whole life (Flink's fixed-delay strategy); with it,
// an attempt that ran at least ResetAfter before failing starts the count
// and the delay afresh (Flink's exponential-delay reset threshold), so a
// long-running job is not given up after MaxAttempts failures spread over
// weeks.
type RestartStrategy struct {
	MaxAttempts int
	Delay       time.Duration
	MaxDelay    time.Duration
	Backoff     float64
	ResetAfter  time.Duration
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
	case o.Checkpoints != nil && o.Checkpoints.Dir == "":
		return fmt.Errorf("stream: Checkpoints.Dir is required")
	case o.Checkpoints != nil && (o.Checkpoints.Interval < 0 || o.Checkpoints.Timeout < 0 || o.Checkpoints.MinPause < 0):
		return fmt.Errorf("stream: checkpoint interval, timeout and pause must not be negative")
	case o.Checkpoints != nil && o.Checkpoints.MaxConcurrent < 0:
		return fmt.Errorf("stream: Checkpoints.MaxConcurrent must not be negative (0: the default, 1), got %d", o.Checkpoints.MaxConcurrent)
	case o.Restart != nil && (o.Restart.MaxAttempts < 0 || o.Restart.Delay < 0 || o.Restart.Backoff < 0 || o.Restart.ResetAfter < 0):
		return fmt.Errorf("stream: restart attempts, delay, backoff and reset threshold must not be negative")
	case o.Restart != nil && o.Checkpoints == nil:
		return fmt.Errorf("stream: a restart strategy needs checkpoints (a restart without them would replay from the start and duplicate output)")
	}
	return nil
}

// Environment collects the operators of one job.
type Environment struct {
	opts  Options
	graph plan.Graph
	err   error

	mu       sync.Mutex
	current  *Job          // the job Execute runs now (nil: none)
	starting chan struct{} // closed when Execute's Start returned (nil: not in Execute)

	// noWindowBuffer makes window operators take the generic path
	// (operator.WindowBuffer off); tests compare the two.
	noWindowBuffer bool
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
	env.graph = plan.Graph{Parallelism: opts.Parallelism, MaxParallelism: opts.MaxParallelism, Chaining: !opts.DisableChaining,
		ChainKeyed: !opts.DisableKeyedChaining}
	return env
}

// Parallelism is the default parallelism.
func (env *Environment) Parallelism() int { return env.opts.Parallelism }

// MaxParallelism is the number of key groups.
func (env *Environment) MaxParallelism() int { return env.opts.MaxParallelism }

// Clock is the processing-time clock of the job.
func (env *Environment) Clock() Clock { return env.opts.Clock }

// SetStateSignature gives the operator with UID uid the state signature
// sig (Stream.StateSignature), for a job builder that names an operator's
// UID where the operator's stream is not at hand.
func (env *Environment) SetStateSignature(uid, sig string) {
	if env.graph.Signatures == nil {
		env.graph.Signatures = map[string]string{}
	}
	env.graph.Signatures[uid] = sig
}

func (env *Environment) setErr(err error) {
	if env.err == nil {
		env.err = err
	}
}

// CheckpointOptions are the job's checkpoint options (nil: none).
func (env *Environment) CheckpointOptions() *CheckpointOptions { return env.opts.Checkpoints }

// Bounded reports whether every source of the job ends (its input is
// finite): then the job ends, and without checkpoints commits its sinks'
// transactions at the end of its input.
func (env *Environment) Bounded() bool {
	for _, n := range env.graph.Nodes {
		if n.Source != nil && !n.Source.Bounded {
			return false
		}
	}
	return true
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
// emitted, an operator failed, or ctx was canceled. With a RestartStrategy
// a failed job is restarted from its latest checkpoint (see Start).
func (env *Environment) Execute(ctx context.Context) error {
	starting := make(chan struct{})
	env.mu.Lock()
	env.starting = starting
	env.mu.Unlock()
	job, err := env.Start(ctx)
	env.mu.Lock()
	env.current = job // nil when Start failed
	close(starting)
	env.mu.Unlock()
	if err != nil {
		return err
	}
	err = job.Wait()
	env.mu.Lock()
	env.current = nil
	env.mu.Unlock()
	return err
}

// Savepoint takes a savepoint of the job that Execute runs into dir (an
// empty or new directory); with stop, the job stops once it completed and
// Execute returns ErrStopped. See Job.Savepoint.
func (env *Environment) Savepoint(ctx context.Context, dir string, stop bool) (SavepointResult, error) {
	env.mu.Lock()
	job, starting := env.current, env.starting
	env.mu.Unlock()
	if job == nil && starting != nil {
		// Execute's Start may be running: its operators can already be
		// processing records before it returns the job.
		select {
		case <-starting:
		case <-ctx.Done():
			return SavepointResult{}, ctx.Err()
		}
		env.mu.Lock()
		job = env.current
		env.mu.Unlock()
	}
	if job == nil {
		return SavepointResult{}, errors.New("savepoint: the job is not running (it may be restarting; try again)")
	}
	return job.Savepoint(ctx, dir, stop)
}

func (env *Environment) logf(format string, args ...any) {
	if c := env.opts.Checkpoints; c != nil && c.Logf != nil {
		c.Logf(format, args...)
		return
	}
	fmt.Fprintf(os.Stderr, "strom: "+format+"\n", args...)
}

// Start starts the job and returns at once; it fails when the first run of
// the job cannot start. With a RestartStrategy the Job restarts a failed run
// from its latest checkpoint until the strategy gives up: the Job then
// stands for every run (attempt) of the job, and its checkpoint history
// and exceptions span them. Canceling ctx cancels the job.
func (env *Environment) Start(ctx context.Context) (*Job, error) {
	log := cluster.NewJobLog()
	ctx, cancel := context.WithCancel(ctx)
	cj, err := env.startAttempt(ctx, log)
	if err != nil {
		cancel()
		return nil, err
	}
	j := &Job{env: env, log: log, cancel: cancel, done: make(chan struct{}), cur: cj}
	go j.supervise(ctx)
	return j, nil
}

// startAttempt starts one run of the job.
func (env *Environment) startAttempt(ctx context.Context, log *cluster.JobLog) (*cluster.Job, error) {
	jg, err := env.compile()
	if err != nil {
		return nil, err
	}
	copts := cluster.Options{Name: env.opts.Name, Clock: env.opts.Clock, Log: log,
		ChannelCapacity: env.opts.ChannelCapacity, BatchSize: env.opts.BatchSize, LatencyInterval: env.opts.LatencyInterval}
	if c := env.opts.Checkpoints; c != nil {
		copts.Checkpoints = &cluster.CheckpointOptions{Dir: c.Dir, Resume: true, Interval: c.Interval, Timeout: c.Timeout,
			MinPause: c.MinPause, MaxConcurrent: c.MaxConcurrent, Retained: c.Retained, AllowEmptyState: c.AllowEmptyState,
			AllowNonRestoredState: c.AllowNonRestoredState, FromSavepoint: c.FromSavepoint, Logf: env.logf,
			DisableIncremental: c.FullCheckpoints, BufferedStateWrites: c.BufferedStateWrites}
	}
	return cluster.Start(ctx, jg, copts)
}

// Job is a started job: one run, or with a RestartStrategy the sequence of
// runs (attempts) that restarts make. Its methods are safe for concurrent
// use.
type Job struct {
	env    *Environment
	log    *cluster.JobLog
	cancel context.CancelFunc // cancels the job's context: every attempt
	done   chan struct{}

	mu         sync.Mutex
	cur        *cluster.Job    // the running attempt (or the last one)
	prev       CheckpointStats // the figures of the attempts before cur
	restarting bool            // between a failed attempt and the next
	err        error           // set before done is closed
}

// supervise waits for each attempt and restarts failed ones as the
// restart strategy says; it closes done when the job has ended for good.
func (j *Job) supervise(ctx context.Context) {
	defer close(j.done)
	defer j.cancel()
	env := j.env
	attempt := 0 // attempts so far (the job log's numbering)
	inRow := 0   // restarts counted against MaxAttempts
	delay := time.Duration(0)
	j.mu.Lock()
	cj := j.cur
	j.mu.Unlock()
	started := env.opts.Clock.Now()
	for {
		stop := context.AfterFunc(ctx, cj.Cancel)
		err := cj.Wait()
		stop()
		rs := env.opts.Restart
		if rs != nil && rs.ResetAfter > 0 && env.opts.Clock.Now().Sub(started) >= rs.ResetAfter {
			inRow, delay = 0, 0 // the attempt ran long enough: a new series
		}
		// A restore refused because a newer strom wrote the state
		// (ErrNewerVersion) fails the same way at every attempt: the job
		// ends at once with the refusal.
		if err == nil || errors.Is(err, ErrCanceled) || errors.Is(err, ErrStopped) || errors.Is(err, base.ErrNewerVersion) ||
			rs == nil || inRow >= rs.MaxAttempts || ctx.Err() != nil {
			j.end(err)
			return
		}
		attempt++
		inRow++
		if delay == 0 {
			delay = rs.Delay
		} else if rs.Backoff > 1 {
			delay = time.Duration(float64(delay) * rs.Backoff)
		}
		if rs.MaxDelay > 0 && delay > rs.MaxDelay {
			delay = rs.MaxDelay
		}
		j.log.MarkRestarting()
		j.mu.Lock()
		j.restarting = true
		j.mu.Unlock()
		env.logf("job failed (restart %d of %d), restarting from the latest checkpoint in %v: %v", inRow, rs.MaxAttempts, delay, err)
		if delay > 0 {
			ch, stopT := env.opts.Clock.After(delay)
			select {
			case <-ch:
			case <-ctx.Done():
				stopT()
				j.end(err)
				return
			}
		}
		j.log.SetAttempt(attempt)
		next, serr := env.startAttempt(ctx, j.log)
		if serr != nil {
			j.log.AddException(env.opts.Clock.Now(), fmt.Errorf("restart %d: %w", attempt, serr))
			j.end(serr)
			return
		}
		started = env.opts.Clock.Now()
		j.mu.Lock()
		j.prev = addStats(j.prev, cj.CheckpointStats())
		j.cur, j.restarting, cj = next, false, next
		j.mu.Unlock()
	}
}

func (j *Job) end(err error) {
	j.mu.Lock()
	j.err, j.restarting = err, false
	j.mu.Unlock()
}

func (j *Job) current() *cluster.Job {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.cur
}

// Cancel stops the job (also a pending restart).
func (j *Job) Cancel() { j.cancel() }

// Wait waits for the job to end and returns its error (that of the last
// attempt).
func (j *Job) Wait() error {
	<-j.done
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// Savepoint takes a savepoint into dir (an empty or new directory): a
// checkpoint triggered at once, whose state is then copied into dir as a
// self-contained savepoint that a job can start from (FromSavepoint), also
// at another parallelism. With stop the job stops after it and Wait
// returns ErrStopped. The job needs checkpoints (Options.Checkpoints).
func (j *Job) Savepoint(ctx context.Context, dir string, stop bool) (SavepointResult, error) {
	if j.Restarting() {
		return SavepointResult{}, errors.New("savepoint: the job is restarting; try again")
	}
	return j.current().Savepoint(ctx, dir, stop)
}

// Done is closed when the job ended (after its last attempt).
func (j *Job) Done() <-chan struct{} { return j.done }

// Attempt is the number of the current run: 0 for the first, n after the
// n-th restart.
func (j *Job) Attempt() int { return j.log.Attempt() }

// Restarting reports whether the job waits to be restarted (its last
// attempt failed and the restart strategy starts another one).
func (j *Job) Restarting() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.restarting
}

// View is a read-only snapshot of the graph and the metrics of the job's
// current attempt (metrics start from zero in each attempt).
func (j *Job) View() []cluster.VertexView { return j.current().View() }

// CheckpointRecord is one checkpoint of a job's history.
type CheckpointRecord = cluster.CheckpointRecord

// ExceptionRecord is one failure of a job.
type ExceptionRecord = cluster.ExceptionRecord

// CheckpointHistory returns the job's last checkpoints (at most 64, over
// all its attempts), oldest first, including those in progress.
func (j *Job) CheckpointHistory() []CheckpointRecord { return j.log.Checkpoints() }

// Exceptions returns the job's last failures (at most 32, over all its
// attempts), oldest first.
func (j *Job) Exceptions() []ExceptionRecord { return j.log.Exceptions() }

// ExceptionCount is the number of failures of the job so far (also those
// Exceptions no longer holds).
func (j *Job) ExceptionCount() int64 { return j.log.ExceptionCount() }

// CheckpointStats are the checkpoint figures of a job: completed and
// failed checkpoints, the latest one's id, duration and size, the total and
// maximum duration over the completed ones, and the restored checkpoint.
type CheckpointStats = cluster.CheckpointStats

// Checkpoints returns the job's checkpoint figures so far, summed over its
// attempts (zero without Options.Checkpoints); Restored is the current
// attempt's.
func (j *Job) Checkpoints() CheckpointStats {
	j.mu.Lock()
	prev, cur := j.prev, j.cur
	j.mu.Unlock()
	return addStats(prev, cur.CheckpointStats())
}

// addStats adds the figures of a later attempt b to those of earlier ones.
func addStats(a, b CheckpointStats) CheckpointStats {
	s := b
	s.Completed += a.Completed
	s.Failed += a.Failed
	s.Periodic += a.Periodic
	s.TotalDuration += a.TotalDuration
	s.MaxDuration = max(a.MaxDuration, b.MaxDuration)
	s.MaxBytes = max(a.MaxBytes, b.MaxBytes)
	s.UploadCPU += a.UploadCPU
	if b.LastID == 0 {
		s.LastID, s.LastDuration, s.LastBytes = a.LastID, a.LastDuration, a.LastBytes
	}
	if b.LastFailure == "" {
		s.LastFailure = a.LastFailure
	}
	return s
}

// Latency returns quantiles of the source-to-sink latency markers measured
// so far (Options.LatencyInterval) and their number.
func (j *Job) Latency() (p50, p99 time.Duration, n int64) {
	var h operator.Histogram
	for _, v := range j.View() {
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
