package journal

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/connector"
	jl "github.com/stromio/strom/journal"
)

// Sink errors, to be tested with errors.Is.
var (
	// ErrDataLost: Commit met a pre-committed transaction that was
	// aborted (or whose name was re-initialised, which aborted it): the
	// records of that checkpoint interval are lost from the topic.
	ErrDataLost = errors.New("strom: journal sink: a pre-committed transaction was aborted: its records are lost")
	// ErrPoolExhausted: every transactional name of a subtask's pool is
	// held by a transaction that a checkpoint may still commit.
	ErrPoolExhausted = errors.New("strom: journal sink: transactional name pool exhausted")
)

// DefaultPoolSize is the default SinkOptions.PoolSize.
const DefaultPoolSize = 5

// SinkOptions configure a Sink[T].
type SinkOptions[T any] struct {
	// Topic is the topic written to (required; it must exist).
	Topic string
	// Codec encodes a record's value (required unless Encode is set).
	Codec codec.Codec[T]
	// Encode, if set, is used instead of Codec and returns the whole
	// journal record (key, value, headers, timestamp). A zero Timestamp
	// becomes the record's event time, or the append time without one.
	Encode func(v T) (jl.Record, error)
	// Key, if set, returns the key of a record; the partition is then the
	// journal's partition for the key (journal.PartitionFor).
	Key func(v T) []byte
	// Partition, if set, chooses the partition explicitly (it wins over
	// the key's). Without Key and Partition batches go round robin.
	Partition func(v T) int
	// Prefix starts the transactional names of the sink:
	// <Prefix>-<subtask>-<k>, k < PoolSize. Required in exactly-once mode;
	// two sinks (or jobs) writing to one journal need different prefixes.
	// Letters, digits, '.', '_' and '-'.
	Prefix string
	// PoolSize is the number of transactional names per subtask (default
	// DefaultPoolSize, at least 3). See the package documentation.
	PoolSize int
	// AtLeastOnce writes plain appends instead of transactions: records
	// are appended (and durable in Durable mode) at every checkpoint and
	// visible at once; after a restore some may be written twice.
	AtLeastOnce bool
	// BatchRecords is the number of records a writer buffers per
	// partition before it appends them as one batch (default 256).
	BatchRecords int
	// TransactionTimeout is the journal's timeout of this sink's
	// transactions (default DefaultTransactionTimeout). A transaction
	// stays open from its first record until the checkpoint after it
	// completes and commits it, so the timeout must exceed the checkpoint
	// interval plus the time a restart takes, or the journal aborts the
	// transaction and the commit fails loudly (ErrDataLost).
	TransactionTimeout time.Duration
	// CheckpointInterval and RestartTime, when CheckpointInterval is set,
	// let NewSink check TransactionTimeout against them in exactly-once
	// mode (as the Kafka sink does): a timeout not larger than the
	// interval plus a restart would abort transactions before their
	// checkpoint commits them.
	CheckpointInterval, RestartTime time.Duration
}

// DefaultTransactionTimeout is SinkOptions.TransactionTimeout's default
// (Flink's Kafka sink recommends 15 minutes as well).
const DefaultTransactionTimeout = 15 * time.Minute

// Sink writes records of type T into a journal topic. By default it is
// exactly-once through journal transactions tied to checkpoints (see the
// package documentation); it implements connector.Sink and
// connector.Committer, and its writers connector.TransactionalWriter.
type Sink[T any] struct {
	j    *jl.Journal
	opts SinkOptions[T]

	mu        sync.Mutex
	committed map[txnRef]bool   // committed by this sink object
	done      map[int]doneState // per subtask: the latest committed checkpoint
	maxPar    int               // the largest parallelism a writer opened with
}

// doneState is the latest checkpoint whose committable of a subtask was
// committed and the names it lists: a restore commits them again, so their
// names cannot be re-initialised until a later checkpoint completes.
type doneState struct {
	ckpt  int64
	names map[string]bool
}

// txnRef identifies one transaction: every transaction of the sink runs
// under a fresh epoch of its name.
type txnRef struct {
	name  string
	id    int64
	epoch uint32
}

var (
	_ connector.Sink[int]                = (*Sink[int])(nil)
	_ connector.Committer                = (*Sink[int])(nil)
	_ connector.TransactionalWriter[int] = (*writer[int])(nil)
)

func validPrefix(s string) bool {
	if s == "" || len(s) > 150 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// NewSink returns a sink writing to j (opened by the caller) with opts.
func NewSink[T any](j *jl.Journal, opts SinkOptions[T]) (*Sink[T], error) {
	if j == nil {
		return nil, errors.New("strom: journal sink: nil journal")
	}
	if opts.Topic == "" {
		return nil, errors.New("strom: journal sink: Topic is required")
	}
	if opts.Codec == nil && opts.Encode == nil {
		return nil, errors.New("strom: journal sink: Codec or Encode is required")
	}
	if !opts.AtLeastOnce && !validPrefix(opts.Prefix) {
		return nil, fmt.Errorf("strom: journal sink: Prefix %q must be 1 to 150 of [A-Za-z0-9._-]", opts.Prefix)
	}
	if opts.PoolSize == 0 {
		opts.PoolSize = DefaultPoolSize
	}
	if opts.PoolSize < 3 {
		return nil, fmt.Errorf("strom: journal sink: PoolSize %d is below 3", opts.PoolSize)
	}
	if opts.BatchRecords <= 0 {
		opts.BatchRecords = 256
	}
	if opts.TransactionTimeout == 0 {
		opts.TransactionTimeout = DefaultTransactionTimeout
	}
	if opts.TransactionTimeout < 0 {
		return nil, fmt.Errorf("strom: journal sink: TransactionTimeout %v is negative", opts.TransactionTimeout)
	}
	if opts.CheckpointInterval < 0 || opts.RestartTime < 0 {
		return nil, fmt.Errorf("strom: journal sink: CheckpointInterval %v or RestartTime %v is negative", opts.CheckpointInterval, opts.RestartTime)
	}
	if !opts.AtLeastOnce && opts.CheckpointInterval > 0 && opts.TransactionTimeout <= opts.CheckpointInterval+opts.RestartTime {
		return nil, fmt.Errorf("strom: journal sink: transaction timeout %v is not larger than checkpoint interval %v + restart time %v: "+
			"the journal would abort transactions before their checkpoint commits them; raise TransactionTimeout or shorten the interval",
			opts.TransactionTimeout, opts.CheckpointInterval, opts.RestartTime)
	}
	return &Sink[T]{j: j, opts: opts, committed: map[txnRef]bool{}, done: map[int]doneState{}}, nil
}

// Name is the k-th transactional name of subtask.
func (s *Sink[T]) Name(subtask, k int) string {
	return s.opts.Prefix + "-" + strconv.Itoa(subtask) + "-" + strconv.Itoa(k)
}

// --- committables: version 1, subtask, parallelism, checkpoint, then the
// transactions (name, producer id, epoch) ---

type committable struct {
	subtask, parallelism int
	ckpt                 int64
	txns                 []txnRef
}

func (c committable) encode() []byte {
	b := []byte{1}
	b = binary.BigEndian.AppendUint32(b, uint32(c.subtask))
	b = binary.BigEndian.AppendUint32(b, uint32(c.parallelism))
	b = binary.BigEndian.AppendUint64(b, uint64(c.ckpt))
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.txns)))
	for _, t := range c.txns {
		b = binary.BigEndian.AppendUint16(b, uint16(len(t.name)))
		b = append(b, t.name...)
		b = binary.BigEndian.AppendUint64(b, uint64(t.id))
		b = binary.BigEndian.AppendUint32(b, t.epoch)
	}
	return b
}

func decodeCommittable(b []byte) (committable, error) {
	bad := fmt.Errorf("strom: journal sink: bad committable %x", b)
	if len(b) < 21 || b[0] != 1 {
		return committable{}, bad
	}
	c := committable{subtask: int(binary.BigEndian.Uint32(b[1:])), parallelism: int(binary.BigEndian.Uint32(b[5:])),
		ckpt: int64(binary.BigEndian.Uint64(b[9:]))}
	n := binary.BigEndian.Uint32(b[17:])
	b = b[21:]
	for range n {
		if len(b) < 2 {
			return committable{}, bad
		}
		l := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+l+12 {
			return committable{}, bad
		}
		t := txnRef{name: string(b[2 : 2+l])}
		b = b[2+l:]
		t.id, t.epoch = int64(binary.BigEndian.Uint64(b)), binary.BigEndian.Uint32(b[8:])
		b = b[12:]
		c.txns = append(c.txns, t)
	}
	if len(b) != 0 {
		return committable{}, bad
	}
	return c, nil
}

// Transactional reports whether the sink writes through transactions made
// visible when a checkpoint completes (false with AtLeastOnce: its
// appends are visible at once).
func (s *Sink[T]) Transactional() bool { return !s.opts.AtLeastOnce }

// Commit implements connector.Committer: it commits every listed
// transaction with journal.CommitTransaction. A transaction already
// committed is a no-op; one aborted is ErrDataLost.
func (s *Sink[T]) Commit(ctx context.Context, committables [][]byte) error {
	if s.opts.AtLeastOnce {
		return nil
	}
	for _, raw := range committables {
		c, err := decodeCommittable(raw)
		if err != nil {
			return err
		}
		for _, t := range c.txns {
			s.mu.Lock()
			done := s.committed[t]
			s.mu.Unlock()
			if done {
				continue
			}
			err := s.j.CommitTransaction(ctx, t.name, t.id, t.epoch)
			switch {
			case errors.Is(err, jl.ErrTransactionAborted), errors.Is(err, jl.ErrProducerFenced):
				return fmt.Errorf("%w: topic %q, transaction %q id %d epoch %d of checkpoint %d: %v", ErrDataLost, s.opts.Topic, t.name, t.id, t.epoch, c.ckpt, err)
			case err != nil:
				return fmt.Errorf("strom: journal sink: commit transaction %q epoch %d: %w", t.name, t.epoch, err)
			}
			s.mu.Lock()
			s.committed[t] = true
			s.mu.Unlock()
		}
		s.mu.Lock()
		if d, ok := s.done[c.subtask]; !ok || c.ckpt >= d.ckpt {
			names := map[string]bool{}
			for _, t := range c.txns {
				names[t.name] = true
			}
			s.done[c.subtask] = doneState{ckpt: c.ckpt, names: names}
		}
		s.mu.Unlock()
	}
	return nil
}

// AbortExcept implements connector.Committer: it aborts the open
// transactions of every name of the subtasks the kept committables and
// this Sink's writers know of (their parallelism), except the kept names,
// by re-initialising them. Writers abort the rest of their own pool when
// they open. (A job without checkpoints that failed calls it with nothing
// kept after its writers closed: the transactions they pre-committed at
// their end of input are aborted.)
func (s *Sink[T]) AbortExcept(ctx context.Context, keep [][]byte) error {
	if s.opts.AtLeastOnce {
		return nil
	}
	pinned := map[string]bool{}
	s.mu.Lock()
	par := s.maxPar
	s.mu.Unlock()
	for _, raw := range keep {
		c, err := decodeCommittable(raw)
		if err != nil {
			return err
		}
		par = max(par, c.parallelism)
		names := map[string]bool{}
		for _, t := range c.txns {
			pinned[t.name], names[t.name] = true, true
		}
		s.mu.Lock()
		if d, ok := s.done[c.subtask]; !ok || c.ckpt >= d.ckpt {
			s.done[c.subtask] = doneState{ckpt: c.ckpt, names: names}
		}
		s.mu.Unlock()
	}
	for sub := range par {
		for k := range s.opts.PoolSize {
			if name := s.Name(sub, k); !pinned[name] {
				if _, err := s.j.NewTransactionalProducer(ctx, name); err != nil {
					return fmt.Errorf("strom: journal sink: abort the transaction of %q: %w", name, err)
				}
			}
		}
	}
	return nil
}

// Open implements connector.Sink.
func (s *Sink[T]) Open(ctx context.Context, info connector.SinkInfo) (connector.Writer[T], error) {
	if _, _, err := s.j.Bounds(s.opts.Topic, 0); err != nil {
		if errors.Is(err, jl.ErrUnknownTopic) {
			return nil, fmt.Errorf("strom: journal sink: topic %q does not exist (%w); create it first, e.g. `strom journal produce --dir DIR --topic %s --partitions N < /dev/null`", s.opts.Topic, err, s.opts.Topic)
		}
		return nil, fmt.Errorf("strom: journal sink: %w", err)
	}
	w := &writer[T]{s: s, subtask: info.Subtask, parallelism: info.Parallelism,
		bufs: map[int][]jl.Record{}, listed: map[string]int64{}}
	if s.opts.AtLeastOnce {
		return w, nil
	}
	// Abort what earlier runs left open in this subtask's pool (an open
	// transaction holds back every ReadCommitted reader), except the names
	// the restored checkpoint commits.
	s.mu.Lock()
	pinned := s.done[info.Subtask].names
	s.maxPar = max(s.maxPar, info.Parallelism)
	s.mu.Unlock()
	for k := range s.opts.PoolSize {
		if name := s.Name(info.Subtask, k); !pinned[name] {
			if _, err := s.j.NewTransactionalProducer(ctx, name); err != nil {
				return nil, fmt.Errorf("strom: journal sink: abort the transaction of %q: %w", name, err)
			}
		}
	}
	return w, nil
}

// writer is the writer of one subtask.
type writer[T any] struct {
	s                    *Sink[T]
	subtask, parallelism int

	bufs     map[int][]jl.Record // partition (or AnyPartition) -> buffered records
	buffered int
	bytes    int64 // connector.BytesWriter

	prod   *jl.Producer // the open transaction's producer, nil if none
	cur    txnRef
	wrote  bool             // the open transaction has records
	handed []txnRef         // pre-committed, not known committed
	listed map[string]int64 // name -> last checkpoint whose committable listed it

	err    error // sticky
	closed bool
}

// BytesWritten implements connector.BytesWriter.
func (w *writer[T]) BytesWritten() int64 { return w.bytes }

func (w *writer[T]) Write(v T, ts int64) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("strom: journal sink: write after Close")
	}
	var rec jl.Record
	var err error
	if w.s.opts.Encode != nil {
		if rec, err = w.s.opts.Encode(v); err != nil {
			return fmt.Errorf("strom: journal sink: topic %q: cannot encode %T: %w", w.s.opts.Topic, v, err)
		}
	} else {
		rec.Value = w.s.opts.Codec.Append(nil, v)
	}
	if w.s.opts.Key != nil {
		rec.Key = w.s.opts.Key(v)
	}
	if rec.Timestamp == 0 && ts != math.MinInt64 {
		rec.Timestamp = ts
	}
	part := jl.AnyPartition
	switch {
	case w.s.opts.Partition != nil:
		part = w.s.opts.Partition(v)
	case rec.Key != nil:
		if part, err = w.s.j.PartitionFor(w.s.opts.Topic, rec.Key); err != nil {
			return err
		}
	}
	w.bufs[part] = append(w.bufs[part], rec)
	w.buffered++
	w.bytes += recordBytes(&rec)
	if len(w.bufs[part]) >= w.s.opts.BatchRecords {
		return w.appendPart(context.Background(), part)
	}
	return nil
}

// appendPart appends the buffered records of part, in the open
// transaction (which it begins if needed) or plainly.
func (w *writer[T]) appendPart(ctx context.Context, part int) error {
	recs := w.bufs[part]
	if len(recs) == 0 {
		return nil
	}
	var err error
	if w.s.opts.AtLeastOnce {
		_, err = w.s.j.Append(ctx, w.s.opts.Topic, part, recs...)
	} else {
		if w.prod == nil {
			if err = w.begin(ctx); err != nil {
				return err
			}
		}
		_, err = w.prod.Append(ctx, w.s.opts.Topic, part, recs...)
		w.wrote = true
	}
	if err != nil {
		w.err = fmt.Errorf("strom: journal sink: append to topic %q: %w", w.s.opts.Topic, err)
		return w.err
	}
	w.buffered -= len(recs)
	w.bufs[part] = recs[:0]
	return nil
}

func (w *writer[T]) appendAll(ctx context.Context) error {
	for part := range w.bufs {
		if err := w.appendPart(ctx, part); err != nil {
			return err
		}
	}
	return nil
}

// begin starts a transaction under a fresh epoch of a free name of the
// pool: one whose last transaction no checkpoint can still commit.
func (w *writer[T]) begin(ctx context.Context) error {
	w.s.mu.Lock()
	done := w.s.done[w.subtask]
	w.s.mu.Unlock()
	busy := map[string]bool{}
	for _, t := range w.handed {
		busy[t.name] = true // handed over and not known committed
	}
	name := ""
	for k := range w.s.opts.PoolSize {
		n := w.s.Name(w.subtask, k)
		if !busy[n] && !done.names[n] && w.listed[n] <= done.ckpt {
			name = n
			break
		}
	}
	if name == "" {
		w.err = fmt.Errorf("%w: subtask %d has all %d names in use (%d transactions pre-committed and not committed yet, the rest held by the latest completed checkpoint): checkpoints do not complete or commits lag; raise PoolSize",
			ErrPoolExhausted, w.subtask, w.s.opts.PoolSize, len(w.handed))
		return w.err
	}
	p, err := w.s.j.NewTransactionalProducer(ctx, name)
	if err == nil {
		err = p.SetTransactionTimeout(w.s.opts.TransactionTimeout)
	}
	if err == nil {
		err = p.Begin()
	}
	if err != nil {
		w.err = fmt.Errorf("strom: journal sink: begin a transaction as %q: %w", name, err)
		return w.err
	}
	id, epoch := p.ID()
	w.prod, w.cur, w.wrote = p, txnRef{name: name, id: id, epoch: epoch}, false
	return nil
}

// Flush appends the buffered records (in the open transaction: not
// visible before its checkpoint commits).
func (w *writer[T]) Flush(ctx context.Context) error {
	if w.err != nil {
		return w.err
	}
	return w.appendAll(ctx)
}

// PreCommit flushes the open transaction and hands it over with every
// earlier one not known committed.
func (w *writer[T]) PreCommit(ctx context.Context, checkpointID int64) ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	if err := w.appendAll(ctx); err != nil {
		return nil, err
	}
	if w.s.opts.AtLeastOnce {
		return nil, nil
	}
	if w.prod != nil && w.wrote {
		if err := w.prod.Flush(ctx); err != nil {
			w.err = fmt.Errorf("strom: journal sink: pre-commit %q: %w", w.cur.name, err)
			return nil, w.err
		}
		w.handed = append(w.handed, w.cur)
		w.prod, w.wrote = nil, false
	}
	w.s.mu.Lock()
	kept := w.handed[:0]
	for _, t := range w.handed {
		if !w.s.committed[t] {
			kept = append(kept, t)
		}
	}
	w.handed = kept
	w.s.mu.Unlock()
	c := committable{subtask: w.subtask, parallelism: w.parallelism, ckpt: checkpointID}
	for _, t := range w.handed {
		c.txns = append(c.txns, t)
		w.listed[t.name] = checkpointID
	}
	return c.encode(), nil
}

// Close aborts the open transaction (its records belong to no checkpoint);
// pre-committed ones are left to the Committer.
func (w *writer[T]) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.s.opts.AtLeastOnce {
		if w.err != nil {
			return w.err
		}
		return w.appendAll(context.Background())
	}
	if w.prod != nil {
		p := w.prod
		w.prod = nil
		if err := p.Abort(context.Background()); err != nil && !errors.Is(err, jl.ErrProducerFenced) {
			return fmt.Errorf("strom: journal sink: abort %q at close: %w", w.cur.name, err)
		}
	}
	return nil
}
