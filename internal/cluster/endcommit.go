package cluster

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/plan"
	"github.com/stromio/strom/internal/task"
)

// endCommit is the end-of-input commit of a job without checkpoints
// (Flink 1.15+ commits a bounded job's sinks with its final checkpoint):
// when a subtask's input ends, the sinks of its chain that commit through
// checkpoints (plan.Node.Committer) pre-commit as at an end-of-input
// checkpoint (task.Checkpointing.CommitOnly: no state is captured), their
// committables are kept in memory, and once every subtask ended cleanly
// they are committed. A job that fails or is canceled before every subtask
// ended commits nothing: its staged output stays invisible, as a job with
// checkpoints leaves what no completed checkpoint covers. Nothing is kept
// for a restore: without checkpoints a restart runs the job from the
// beginning, and that run's own end commits its output once.
//
// A subtask's end-of-input transaction gets the id the coordinator would
// give it in a fresh checkpoint directory (reserveFinal): 1, 2, ... in the
// order the subtasks end, so that a bounded job writes the same output
// with and without checkpoints when it takes no periodic checkpoint (the
// file sink puts the id in its file names).
type endCommit struct {
	nextID     atomic.Int64
	committers []committer
	mu         sync.Mutex
	staged     map[string]map[int][]byte // by sink uid: committable by subtask
}

// newEndCommit returns the end-of-input commit of jg (nil: no sink of jg
// commits through checkpoints).
func newEndCommit(jg *plan.JobGraph) *endCommit {
	e := &endCommit{staged: map[string]map[int][]byte{}}
	for _, v := range jg.Vertices {
		for _, n := range v.Chain {
			if n.Committer != nil {
				e.committers = append(e.committers, committer{uid: n.UID, c: n.Committer})
			}
		}
	}
	if len(e.committers) == 0 {
		return nil
	}
	return e
}

// checkpointing is the task.Checkpointing of the job's subtasks.
func (e *endCommit) checkpointing() *task.Checkpointing {
	return &task.Checkpointing{Snapshot: e.snapshot, FinalID: func() int64 { return e.nextID.Add(1) }, CommitOnly: true}
}

// snapshot keeps a subtask's committables (task.Checkpointing.Snapshot).
func (e *endCommit) snapshot(s task.SubtaskSnapshot) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, op := range s.Operators {
		if op.State == nil {
			continue // nothing written
		}
		m := e.staged[op.UID]
		if m == nil {
			m = map[int][]byte{}
			e.staged[op.UID] = m
		}
		m[s.Subtask] = op.State
	}
}

// commit commits the committables of every sink, in subtask order. When
// a sink's commit fails, it and the sinks after it abort their open
// transactions (abortFrom) and the error names the sinks already
// committed.
func (e *endCommit) commit(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var done []string
	for k, cm := range e.committers {
		m := e.staged[cm.uid]
		subs := make([]int, 0, len(m))
		for i := range m {
			subs = append(subs, i)
		}
		slices.Sort(subs)
		cs := make([][]byte, 0, len(subs))
		for _, i := range subs {
			cs = append(cs, m[i])
		}
		if len(cs) == 0 {
			continue
		}
		if err := cm.c.Commit(ctx, cs); err != nil {
			already := "no other sink had committed"
			if len(done) > 0 {
				already = "sinks already committed: " + strings.Join(done, ", ")
			}
			err = base.Wrapf(err, "sink %q: commit at the end of the input (the job runs without checkpoints; %s)", cm.uid, already)
			return errors.Join(err, e.abortFrom(ctx, k))
		}
		done = append(done, cm.uid)
	}
	return nil
}

// abort discards the open transactions of every transactional sink
// (AbortExcept with nothing kept): a job without checkpoints that failed
// or was canceled before every subtask ended commits nothing, and a
// journal or Kafka transaction a sink pre-committed at its own end of
// input must not stay open (it would hold back every read_committed
// reader of the topic until its timeout). A sink without Transactional
// (the file sink) is left alone: its AbortExcept removes every staged file
// of its directory, also those of another job writing there; its staged
// files stay hidden, as before.
func (e *endCommit) abort(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.abortFrom(ctx, 0)
}

func (e *endCommit) abortFrom(ctx context.Context, from int) error {
	var errs []error
	for _, cm := range e.committers[from:] {
		if t, ok := cm.c.(connector.Transactional); !ok || !t.Transactional() {
			continue
		}
		if err := cm.c.AbortExcept(ctx, nil); err != nil {
			errs = append(errs, base.Wrapf(err, "sink %q: aborting its staged output after the job failed (it runs without checkpoints)", cm.uid))
		}
	}
	return errors.Join(errs...)
}
