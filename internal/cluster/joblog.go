package cluster

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/plan"
)

// Bounds of a JobLog.
const (
	// MaxCheckpointHistory is the number of checkpoints a JobLog keeps.
	MaxCheckpointHistory = 64
	// MaxExceptions is the number of failures a JobLog keeps.
	MaxExceptions = 32
	// maxStack bounds the stack trace kept with a panic.
	maxStack = 8 << 10
)

// CheckpointKind says why a checkpoint was taken.
type CheckpointKind string

// The kinds of checkpoints.
const (
	KindPeriodic   CheckpointKind = "periodic"
	KindSavepoint  CheckpointKind = "savepoint"
	KindEndOfInput CheckpointKind = "end-of-input"
)

// CheckpointStatus is where a checkpoint stands.
type CheckpointStatus string

// The states of a checkpoint: in progress until every subtask acknowledged
// it and its metadata is written (completed), or one of them failed or it
// timed out (failed), or the job ended before it completed (aborted).
const (
	StatusInProgress CheckpointStatus = "in_progress"
	StatusCompleted  CheckpointStatus = "completed"
	StatusFailed     CheckpointStatus = "failed"
	StatusAborted    CheckpointStatus = "aborted"
)

// CheckpointRecord is one checkpoint of the history.
type CheckpointRecord struct {
	ID     int64
	Kind   CheckpointKind
	Status CheckpointStatus
	// Triggered and Ended are read from the job's clock; Ended is zero while
	// the checkpoint is in progress. Duration is Ended - Triggered.
	Triggered, Ended time.Time
	Duration         time.Duration
	// Bytes is the size of the state written so far (all of it once completed).
	Bytes int64
	// Alignment is the longest barrier alignment a subtask reported for this
	// checkpoint: the time from the first barrier on one of its inputs to
	// the last one on all of them (0 for subtasks with a single input).
	Alignment time.Duration
	// Acknowledged of Subtasks subtasks acknowledged the checkpoint.
	Acknowledged, Subtasks int
	// Failure is why a failed or aborted checkpoint did not complete.
	Failure string
	// Attempt is the run of the job (0: the first, n: the n-th restart).
	Attempt int
}

// ExceptionRecord is one failure of a job.
type ExceptionRecord struct {
	Time time.Time
	// Operator and UID name the failed operator; Vertex is the id of its
	// vertex and Subtask the subtask index (-1 when the failure is not an
	// operator's, e.g. a checkpoint commit or a failed restore; Operator
	// is then empty).
	Operator, UID string
	Vertex        int
	Subtask       int
	// Message is the error's text; Causes is the chain of errors.Unwrap
	// below it, one text per level (the innermost last).
	Message string
	Causes  []string
	// Panic: the operator panicked; Stack is its goroutine's stack (cut
	// to 8 KiB).
	Panic bool
	Stack string
	// Attempt is the run of the job that failed (0: the first, n: the
	// n-th restart); Restarting is set when a restart strategy restarts
	// the job after this failure.
	Attempt    int
	Restarting bool
}

// JobLog keeps the recent checkpoint history and the failures of a job. A
// job restarted by a restart strategy runs once per attempt; give every
// attempt the same JobLog (Options.Log) so the history survives the
// restarts. Safe for concurrent use.
type JobLog struct {
	mu         sync.Mutex
	attempt    int
	checkpts   []CheckpointRecord // oldest first, at most MaxCheckpointHistory
	exceptions []ExceptionRecord  // oldest first, at most MaxExceptions
	nExc       int64
}

// NewJobLog returns an empty log.
func NewJobLog() *JobLog { return &JobLog{} }

// SetAttempt sets the attempt number recorded from now on.
func (l *JobLog) SetAttempt(n int) {
	l.mu.Lock()
	l.attempt = n
	l.mu.Unlock()
}

// Attempt is the current attempt number.
func (l *JobLog) Attempt() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.attempt
}

// Checkpoints returns the history, oldest first (a copy).
func (l *JobLog) Checkpoints() []CheckpointRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.checkpts)
}

// Exceptions returns the recorded failures, oldest first (a copy).
func (l *JobLog) Exceptions() []ExceptionRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.exceptions)
	for i := range out {
		out[i].Causes = slices.Clone(out[i].Causes)
	}
	return out
}

// ExceptionCount is the number of failures recorded since the log was
// made (also those the bounded list no longer holds).
func (l *JobLog) ExceptionCount() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nExc
}

// MarkRestarting flags the newest failure of the current attempt: the
// restart strategy restarts the job after it.
func (l *JobLog) MarkRestarting() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.exceptions) - 1; i >= 0; i-- {
		if l.exceptions[i].Attempt == l.attempt {
			l.exceptions[i].Restarting = true
			return
		}
	}
}

// AddException records a failure that is no operator's (e.g. a restart
// that could not start the job).
func (l *JobLog) AddException(t time.Time, err error) {
	l.add(exceptionOf(t, err, nil))
}

func (l *JobLog) add(r ExceptionRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r.Attempt = l.attempt
	l.nExc++
	if len(l.exceptions) == MaxExceptions {
		l.exceptions = slices.Delete(l.exceptions, 0, 1)
	}
	l.exceptions = append(l.exceptions, r)
}

// exceptionOf describes err; jg (may be nil) resolves an operator's uid
// and vertex from its name.
func exceptionOf(t time.Time, err error, jg *plan.JobGraph) ExceptionRecord {
	r := ExceptionRecord{Time: t, Vertex: -1, Subtask: -1, Message: err.Error()}
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		r.Causes = append(r.Causes, e.Error())
	}
	var oe *base.OperatorError
	if errors.As(err, &oe) {
		r.Operator, r.Subtask, r.Panic = oe.Operator, oe.Subtask, oe.Panic
		if len(oe.Stack) > 0 {
			r.Stack = string(oe.Stack[:min(len(oe.Stack), maxStack)])
		}
		if jg != nil {
		find:
			for _, v := range jg.Vertices {
				for _, n := range v.Chain {
					if n.Name == oe.Operator {
						r.UID, r.Vertex = n.UID, v.ID
						break find
					}
				}
			}
		}
	}
	return r
}

// checkpointStarted adds an in-progress checkpoint to the history.
func (l *JobLog) checkpointStarted(id int64, kind CheckpointKind, t time.Time, subtasks int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.checkpts) == MaxCheckpointHistory {
		l.checkpts = slices.Delete(l.checkpts, 0, 1)
	}
	l.checkpts = append(l.checkpts, CheckpointRecord{ID: id, Kind: kind, Status: StatusInProgress, Triggered: t,
		Subtasks: subtasks, Attempt: l.attempt})
}

// checkpointUpdate applies fn to the record of checkpoint id (if still held).
func (l *JobLog) checkpointUpdate(id int64, fn func(*CheckpointRecord)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.checkpts) - 1; i >= 0; i-- {
		if l.checkpts[i].ID == id && l.checkpts[i].Attempt == l.attempt {
			fn(&l.checkpts[i])
			return
		}
	}
}

// checkpointEnded closes the record of checkpoint id.
func (l *JobLog) checkpointEnded(id int64, status CheckpointStatus, t time.Time, reason string) {
	l.checkpointUpdate(id, func(r *CheckpointRecord) {
		if r.Status != StatusInProgress {
			return
		}
		r.Status, r.Ended, r.Duration, r.Failure = status, t, t.Sub(r.Triggered), reason
	})
}

// isCancel reports whether err is only the consequence of a cancellation.
func isCancel(err error) bool {
	return errors.Is(err, base.ErrCanceled) || errors.Is(err, context.Canceled) || errors.Is(err, ErrStopped)
}
