package streamtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stromio/strom/connector"
)

// TxSink is an in-memory two-phase-commit sink for tests of exactly-once
// jobs: writers stage their records per checkpoint (PreCommit), Commit makes
// a staged transaction visible exactly once (again: a no-op), AbortExcept
// drops the others. Like a real transactional sink, each PreCommit lists
// again the writer's transactions that are not committed yet (see
// connector.TransactionalWriter). Its committed state outlives the job, as
// a real sink's storage does, so one TxSink can serve several runs.
//
// It is safe for concurrent use.
type TxSink[T any] struct {
	mu        sync.Mutex
	staged    map[string][]T // transaction id -> records
	committed map[string]bool
	visible   []T
	commits   int
}

var (
	_ connector.Sink[int] = (*TxSink[int])(nil)
	_ connector.Committer = (*TxSink[int])(nil)
)

// NewTxSink returns an empty sink.
func NewTxSink[T any]() *TxSink[T] {
	return &TxSink[T]{staged: map[string][]T{}, committed: map[string]bool{}}
}

// writerIDs numbers the writers: transaction ids never repeat, not even
// across the runs of a job.
var writerIDs atomic.Int64

// Open implements connector.Sink.
func (s *TxSink[T]) Open(_ context.Context, info connector.SinkInfo) (connector.Writer[T], error) {
	return &txWriter[T]{s: s, subtask: info.Subtask, id: writerIDs.Add(1)}, nil
}

// txIDs splits committables (comma-separated transaction ids).
func txIDs(cs [][]byte) []string {
	var ids []string
	for _, c := range cs {
		if len(c) > 0 {
			ids = append(ids, strings.Split(string(c), ",")...)
		}
	}
	return ids
}

// Commit implements connector.Committer.
func (s *TxSink[T]) Commit(_ context.Context, cs [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range txIDs(cs) {
		if s.committed[id] {
			continue
		}
		recs, ok := s.staged[id]
		if !ok {
			return fmt.Errorf("streamtest: commit of transaction %s, which is neither staged nor committed", id)
		}
		s.visible = append(s.visible, recs...)
		s.committed[id] = true
		delete(s.staged, id)
		s.commits++
	}
	return nil
}

// AbortExcept implements connector.Committer.
func (s *TxSink[T]) AbortExcept(_ context.Context, keep [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := txIDs(keep)
	for id := range s.staged {
		if !slices.Contains(kept, id) {
			delete(s.staged, id)
		}
	}
	return nil
}

// Rows returns the committed records, in commit order.
func (s *TxSink[T]) Rows() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.visible)
}

// Commits returns the number of transactions committed.
func (s *TxSink[T]) Commits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits
}

// Clone copies the sink's state: what a real sink keeps on its storage
// when a job is restored elsewhere.
func (s *TxSink[T]) Clone() *TxSink[T] {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &TxSink[T]{staged: maps.Clone(s.staged), committed: maps.Clone(s.committed),
		visible: slices.Clone(s.visible), commits: s.commits}
}

// Leftover describes the transactions still staged: after a job that
// ended, they hold records that were pre-committed and never committed.
func (s *TxSink[T]) Leftover() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for id, recs := range s.staged {
		fmt.Fprintf(&b, "staged, never committed: transaction %s (checkpoint-subtask-n-writer) with %d records\n", id, len(recs))
	}
	return b.String()
}

type txWriter[T any] struct {
	s       *TxSink[T]
	id      int64
	subtask int
	buf     []T
	n       int
	pending []string // transactions handed over, not seen committed
}

func (w *txWriter[T]) Write(v T, _ int64) error    { w.buf = append(w.buf, v); return nil }
func (w *txWriter[T]) Flush(context.Context) error { return nil }
func (w *txWriter[T]) Close() error                { return nil }

// PreCommit stages the records since the last PreCommit and returns them
// with the writer's other uncommitted transactions.
func (w *txWriter[T]) PreCommit(_ context.Context, id int64) ([]byte, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	pending := w.pending[:0]
	for _, tx := range w.pending {
		if !w.s.committed[tx] {
			pending = append(pending, tx)
		}
	}
	w.pending = pending
	if len(w.buf) > 0 {
		w.n++
		tx := fmt.Sprintf("%d-%d-%d-w%d", id, w.subtask, w.n, w.id)
		w.s.staged[tx] = w.buf
		w.buf = nil
		w.pending = append(w.pending, tx)
	}
	if len(w.pending) == 0 {
		return nil, nil
	}
	return []byte(strings.Join(w.pending, ",")), nil
}
