// Package cluster runs jobs: it creates the channels of a physical job graph,
// assigns source splits, starts one goroutine per subtask, and tears the job
// down when it ends, fails or is canceled. It offers a read-only view of a
// running job for the CLI and the web layer.
//
// Concurrency: Job methods are safe for concurrent use. Every subtask
// goroutine is owned by the Job and waited for by Wait; after Wait returns no
// goroutine of the job is left.
package cluster

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/plan"
	"github.com/stromio/strom/internal/task"
)

// Options configure how a job runs.
type Options struct {
	// Name of the job, for logs and the view.
	Name string
	// Clock is the processing-time clock (default: the system clock).
	Clock base.Clock
	// ChannelCapacity is the number of batches a channel between two
	// subtasks holds before its producer blocks (default 8).
	ChannelCapacity int
	// BatchSize is the number of records per batch (default 512).
	BatchSize int
	// LatencyInterval is how often sources emit latency markers (0: off).
	LatencyInterval time.Duration
	// Checkpoints turns on checkpoints (nil: none).
	Checkpoints *CheckpointOptions
	// Log keeps the job's checkpoint history and failures (nil: a new
	// one). The attempts of a restarted job share one.
	Log *JobLog
}

// Job is one running job.
type Job struct {
	name  string
	jg    *plan.JobGraph
	clock base.Clock
	log   *JobLog
	subs  map[*plan.Vertex][]*task.Subtask
	chans []*task.Chan

	coord *coordinator
	// endCommit commits the sinks' transactions at the end of the input
	// of a job without checkpoints (nil: checkpoints, or no such sink).
	endCommit *endCommit
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	mu        sync.Mutex
	err       error
	done      chan struct{}
	// restored says what the job restored its state from ("" : nothing);
	// a decode failure then becomes a RestoredStateError (fail).
	restored string
}

// Start builds and starts the job; it returns once every subtask runs.
func Start(ctx context.Context, jg *plan.JobGraph, opts Options) (*Job, error) {
	if opts.Clock == nil {
		opts.Clock = base.SystemClock{}
	}
	if opts.ChannelCapacity <= 0 {
		opts.ChannelCapacity = 8
	}
	if opts.Log == nil {
		opts.Log = NewJobLog()
	}
	j := &Job{name: opts.Name, jg: jg, clock: opts.Clock, log: opts.Log, subs: map[*plan.Vertex][]*task.Subtask{}, done: make(chan struct{})}
	var ckpt *task.Checkpointing
	if opts.Checkpoints != nil {
		c, err := newCoordinator(j, jg, *opts.Checkpoints, opts.Clock)
		if err != nil {
			return nil, err
		}
		if err := c.prepareSinks(ctx); err != nil {
			return nil, err
		}
		j.coord = c
		ckpt = &task.Checkpointing{Snapshot: c.snapshot, Restore: c.restore, FinalID: c.reserveFinal, Logf: c.opts.Logf, Incremental: !c.opts.DisableIncremental}
	} else if ec := newEndCommit(jg); ec != nil {
		j.endCommit = ec
		ckpt = ec.checkpointing()
	}
	inboxes := map[*plan.Vertex][]*task.Inbox{}
	for _, v := range jg.Vertices {
		for range v.Parallelism {
			inboxes[v] = append(inboxes[v], task.NewInbox())
		}
	}
	// ins[v][i] and outs[v][i] collect the channels of subtask i.
	ins := map[*plan.Vertex][][]task.InEdge{}
	outs := map[*plan.Vertex][][]task.OutEdge{}
	for _, v := range jg.Vertices {
		ins[v] = make([][]task.InEdge, v.Parallelism)
		outs[v] = make([][]task.OutEdge, v.Parallelism)
	}
	for _, v := range jg.Vertices {
		for _, e := range v.Out {
			to := e.To
			forward := e.Input.Part == operator.Forward
			for i := range v.Parallelism {
				oe := task.OutEdge{Edge: e}
				for k := range to.Parallelism {
					if forward && k != i {
						continue
					}
					c := task.NewChan(opts.ChannelCapacity, inboxes[to][k], opts.Clock)
					j.chans = append(j.chans, c)
					oe.Chans = append(oe.Chans, c)
					ie := findIn(&ins[to][k], e)
					ie.Chans = append(ie.Chans, c)
				}
				outs[v][i] = append(outs[v][i], oe)
			}
		}
	}
	for _, v := range jg.Vertices {
		var assigned [][]connector.Split
		var known map[string]bool
		if src := v.Chain[0].Source; src != nil {
			splits, err := src.Enumerate(ctx)
			if err != nil {
				return nil, base.Wrapf(err, "source %q: list splits", v.Chain[0].Name)
			}
			assigned = make([][]connector.Split, v.Parallelism)
			known = make(map[string]bool, len(splits))
			for k, s := range splits {
				assigned[k%v.Parallelism] = append(assigned[k%v.Parallelism], s)
				known[s.ID] = true
			}
		}
		for i := range v.Parallelism {
			cfg := task.Config{Vertex: v, Index: i, MaxParallelism: jg.MaxParallelism, Clock: opts.Clock,
				Inbox: inboxes[v][i], In: ins[v][i], Out: outs[v][i], BatchSize: opts.BatchSize,
				LatencyInterval: opts.LatencyInterval, Checkpointing: ckpt}
			if assigned != nil {
				cfg.Splits, cfg.KnownSplits = assigned[i], known
			}
			st, err := task.New(cfg)
			if err != nil {
				return nil, err
			}
			j.subs[v] = append(j.subs[v], st)
			if j.coord != nil && v.Chain[0].Source != nil {
				j.coord.sources = append(j.coord.sources, st)
			}
		}
	}
	ctx, j.cancel = context.WithCancel(ctx)
	for _, v := range jg.Vertices {
		for _, st := range j.subs[v] {
			j.wg.Add(1)
			go func() {
				defer j.wg.Done()
				if err := st.Run(ctx); err != nil {
					j.fail(err)
				}
			}()
		}
	}
	subtasksDone := make(chan struct{})
	var coordDone chan struct{}
	if j.coord != nil {
		coordDone = make(chan struct{})
		j.coord.upWG.Add(1)
		go j.coord.upload(ctx)
		go func() {
			defer close(coordDone)
			j.coord.run(ctx, subtasksDone)
		}()
	}
	go func() {
		j.wg.Wait()
		close(subtasksDone)
		if coordDone != nil {
			<-coordDone // the end-of-input checkpoint completes before Wait returns
		}
		if j.endCommit != nil {
			// Only when every subtask ended cleanly (every failure and
			// a cancellation before the end set j.err): the output is
			// complete. A cancellation after that does not take it back.
			j.mu.Lock()
			clean := j.err == nil
			j.mu.Unlock()
			if clean {
				if err := j.endCommit.commit(context.WithoutCancel(ctx)); err != nil {
					j.fail(err)
				}
			} else if err := j.endCommit.abort(context.WithoutCancel(ctx)); err != nil {
				j.fail(err)
			}
		}
		j.cancel()
		close(j.done)
	}()
	return j, nil
}

func findIn(list *[]task.InEdge, e *plan.Edge) *task.InEdge {
	for i := range *list {
		if (*list)[i].Edge == e {
			return &(*list)[i]
		}
	}
	*list = append(*list, task.InEdge{Edge: e})
	return &(*list)[len(*list)-1]
}

// fail records the first real error and tears the job down. Every failure
// that is not a mere consequence of the cancellation goes into the log.
func (j *Job) fail(err error) {
	if j.restored != "" && base.IsDecodeFailure(err) {
		err = &base.RestoredStateError{From: j.restored, Cause: err}
	}
	if !isCancel(err) {
		j.log.add(exceptionOf(j.clock.Now(), err, j.jg))
	}
	j.mu.Lock()
	if j.err == nil || (errors.Is(j.err, base.ErrCanceled) && !errors.Is(err, base.ErrCanceled)) {
		j.err = err
	}
	j.mu.Unlock()
	j.Cancel()
}

// Cancel stops the job; Wait then returns base.ErrCanceled (unless it failed).
func (j *Job) Cancel() {
	j.cancel()
	for _, c := range j.chans {
		c.Close()
	}
}

// CheckpointStats returns the job's checkpoint figures (zero without
// checkpoints).
func (j *Job) CheckpointStats() CheckpointStats {
	if j.coord == nil {
		return CheckpointStats{}
	}
	return j.coord.Stats()
}

// CheckpointHistory returns the recent checkpoints, oldest first (at most
// MaxCheckpointHistory, over every attempt sharing the job's log).
func (j *Job) CheckpointHistory() []CheckpointRecord { return j.log.Checkpoints() }

// Exceptions returns the recent failures, oldest first (at most
// MaxExceptions, over every attempt sharing the job's log).
func (j *Job) Exceptions() []ExceptionRecord { return j.log.Exceptions() }

// Log is the job's log.
func (j *Job) Log() *JobLog { return j.log }

// Done is closed when every subtask has exited.
func (j *Job) Done() <-chan struct{} { return j.done }

// Wait blocks until the job ended and returns its error (nil when every
// bounded source ended and all results were emitted).
func (j *Job) Wait() error {
	<-j.done
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// Run starts the job and waits for it; canceling ctx cancels the job.
func Run(ctx context.Context, jg *plan.JobGraph, opts Options) error {
	j, err := Start(ctx, jg, opts)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, j.Cancel)
	defer stop()
	return j.Wait()
}

// VertexView is the read-only state of one vertex.
type VertexView struct {
	ID          int
	Name        string
	Parallelism int
	Inputs      []EdgeView
	// Operators holds per operator of the chain the metrics of each subtask.
	Operators []OperatorView
}

// EdgeView describes an input edge.
type EdgeView struct {
	From         int
	Partitioning string
}

// OperatorView is one operator of a chain.
type OperatorView struct {
	Name, UID string
	// StateSignature: the operator's state signature (plan.Node), "" for
	// none.
	StateSignature string
	Subtasks       []operator.MetricsSnapshot
}

// View returns a snapshot of the job's graph and metrics.
func (j *Job) View() []VertexView {
	var out []VertexView
	for _, v := range j.jg.Vertices {
		vv := VertexView{ID: v.ID, Name: v.Name(), Parallelism: v.Parallelism}
		for _, e := range v.In {
			vv.Inputs = append(vv.Inputs, EdgeView{From: e.From.ID, Partitioning: e.Input.Part.String()})
		}
		for k, n := range v.Chain {
			ov := OperatorView{Name: n.Name, UID: n.UID, StateSignature: n.StateSignature}
			for _, st := range j.subs[v] {
				ov.Subtasks = append(ov.Subtasks, st.Metrics[k].Snapshot())
			}
			vv.Operators = append(vv.Operators, ov)
		}
		out = append(out, vv)
	}
	return out
}

// PendingRecords is the live lag of a source vertex: the records between
// its readers' positions and the ends of their splits they know
// (connector.LagReader), summed over its subtasks and splits; false when
// no reader of the vertex reports one (not a journal or Kafka source, or
// no end known yet).
func (v VertexView) PendingRecords() (int64, bool) {
	var n int64
	ok := false
	for _, op := range v.Operators {
		for _, s := range op.Subtasks {
			for _, l := range s.Lags {
				n += l.Pending()
				ok = true
			}
		}
	}
	return n, ok
}

// SourceLag is the live lag of one split of a job's sources.
type SourceLag struct {
	Connector, Topic string
	Partition        int32
	Pending          int64
}

// SourceLags aggregates the live lags of a job's view per (connector,
// topic, partition), sorted by them: two sources of one topic in a job give
// one entry, the larger lag.
func SourceLags(vs []VertexView) []SourceLag {
	type key struct {
		conn, topic string
		part        int32
	}
	m := map[key]int64{}
	for _, v := range vs {
		for _, op := range v.Operators {
			for _, s := range op.Subtasks {
				for _, l := range s.Lags {
					k := key{l.Connector, l.Topic, l.Partition}
					if p, ok := m[k]; !ok || l.Pending() > p {
						m[k] = l.Pending()
					}
				}
			}
		}
	}
	out := make([]SourceLag, 0, len(m))
	for k, p := range m {
		out = append(out, SourceLag{Connector: k.conn, Topic: k.topic, Partition: k.part, Pending: p})
	}
	slices.SortFunc(out, func(a, b SourceLag) int {
		return cmp.Or(cmp.Compare(a.Connector, b.Connector), cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out
}
