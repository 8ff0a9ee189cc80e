package kafka

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Guarantee is the delivery guarantee of a Sink.
type Guarantee int

const (
	// AtLeastOnce (the default): every checkpoint waits until the broker
	// acknowledged every record written before it; a restore may write
	// records again.
	AtLeastOnce Guarantee = iota
	// ExactlyOnce writes through Kafka transactions committed when the
	// checkpoint completes (connector.Committer); read_committed
	// consumers see every record exactly once, at checkpoint pace.
	ExactlyOnce
	// None produces without waiting for acknowledgements at checkpoints
	// (errors still fail the job at the next Write): records may be lost
	// when the job fails.
	None
)

func (g Guarantee) String() string {
	switch g {
	case ExactlyOnce:
		return "exactly-once"
	case None:
		return "none"
	}
	return "at-least-once"
}

// ParseGuarantee reads the names of the CLI and SQL options:
// "at-least-once", "exactly-once" or "none".
func ParseGuarantee(s string) (Guarantee, error) {
	switch s {
	case "at-least-once", "":
		return AtLeastOnce, nil
	case "exactly-once":
		return ExactlyOnce, nil
	case "none":
		return None, nil
	}
	return AtLeastOnce, fmt.Errorf("kafka sink: guarantee %q: want at-least-once, exactly-once or none", s)
}

// Sink defaults.
const (
	// DefaultTransactionTimeout is SinkOptions.TransactionTimeout's
	// default (what Flink's Kafka sink recommends; the broker's default
	// transaction.max.timeout.ms is 15 minutes too).
	DefaultTransactionTimeout = 15 * time.Minute
	// DefaultPoolSize is SinkOptions.PoolSize's default.
	DefaultPoolSize = 5
)

// Sink errors, to be tested with errors.Is.
var (
	// ErrDataLost: Commit met a pre-committed transaction that Kafka
	// aborted (it expired after the transaction timeout, or its
	// transactional id was re-initialised, which fences and aborts it):
	// the records of that checkpoint interval are not in the topic.
	ErrDataLost = errors.New("kafka sink: a pre-committed transaction was aborted: its records are lost")
	// ErrPoolExhausted: every transactional id of a subtask's pool is held
	// by a transaction that a checkpoint may still commit.
	ErrPoolExhausted = errors.New("kafka sink: transactional id pool exhausted")
)

// SinkOptions configure a Sink.
type SinkOptions[T any] struct {
	// Cluster is where to write (required).
	Cluster Cluster
	// Topic is the default topic: the one of records whose Serializer
	// leaves Record.Topic empty. Without it every record needs a topic.
	Topic string
	// Serializer turns a value into the record to produce (required).
	// Record.Partition >= 0 writes to that partition; < 0 chooses it from
	// the key with Kafka's murmur2 hash (the Java client's and kcat's
	// default), or sticky-randomly for records without a key.
	Serializer Serializer[T]
	// Guarantee is AtLeastOnce unless set.
	Guarantee Guarantee
	// TransactionalIDPrefix starts the transactional ids of an
	// exactly-once sink: <prefix>-<subtask>-<slot>, slot < PoolSize.
	// Required for ExactlyOnce, and it must be unique per job and sink:
	// two sinks with one prefix fence and abort each other's transactions.
	TransactionalIDPrefix string
	// PoolSize is the number of transactional ids per subtask (default
	// DefaultPoolSize, at least 3); see Sink.
	PoolSize int
	// TransactionTimeout is the timeout of this sink's transactions
	// (default DefaultTransactionTimeout). A transaction is open from
	// its first record until the checkpoint after it completes and
	// commits it, so it must exceed the checkpoint interval plus the time
	// a restart takes, or the broker aborts it first (ErrDataLost). It
	// must not exceed the broker's transaction.max.timeout.ms.
	TransactionTimeout time.Duration
	// CheckpointInterval and RestartTime, when CheckpointInterval is set,
	// let NewSink check TransactionTimeout against them.
	CheckpointInterval, RestartTime time.Duration
}

// Sink writes values into Kafka. It implements connector.Sink and, in
// exactly-once mode, connector.Committer; its exactly-once writers
// implement connector.TransactionalWriter.
//
// At-least-once: one producer per writer; records are produced
// asynchronously, Flush (at every checkpoint) waits until all are
// acknowledged, and a produce error fails the next Write, Flush or
// PreCommit (it is never dropped).
//
// Exactly-once: Kafka transactions tied to checkpoints.
//
//   - A writer begins a transaction at the first record of a checkpoint
//     interval, on a new producer whose transactional id comes from the
//     subtask's pool <prefix>-<subtask>-<slot>, slot < PoolSize (the
//     producer's InitProducerID gives every transaction its own epoch and
//     aborts whatever the id had open).
//   - PreCommit flushes (every record acknowledged inside the still open
//     transaction) and hands the transaction over: the committable holds
//     its transactional id, producer id and epoch, and again every earlier
//     transaction of the writer not known committed (a failed checkpoint's
//     committables are dropped by the engine), with the checkpoint id, the
//     subtask, the parallelism, the pool size and the prefix.
//   - Commit resumes each transaction with a raw EndTxn request carrying
//     its producer id and epoch, also when its producer is still open in
//     this process (kgo's EndTransaction can abort instead of committing
//     and still return nil). See Commit for how the answer tells committed
//     from aborted.
//   - AbortExcept and Open initialise the pool's ids that no kept
//     committable lists (InitProducerID), which aborts their open
//     transactions: an open transaction holds back every read_committed
//     reader, and its records belong to no checkpoint.
//   - Close aborts the open transaction; handed-over ones are left to
//     Commit.
//
// A transactional id is free for a new transaction when its last one is
// known committed (this Sink committed it) and is listed neither by the
// latest committed checkpoint of the subtask (a restore commits it again,
// which must not meet a newer epoch) nor by a later committable. In a
// steady state three ids are busy: the open transaction, the one awaiting
// its checkpoint and the one the latest completed checkpoint lists. When
// none is free (checkpoints fail or commits lag by PoolSize-2 or more)
// Write fails with ErrPoolExhausted rather than abort a transaction a
// checkpoint may still commit, or wait for one that may never come.
//
// Limits: restoring a checkpoint older than the latest committed one
// (an older savepoint into the same topic) is at-least-once, and may
// report ErrDataLost for ids reused since; RewindTo is not offered. A run
// that crashed at a higher parallelism than the next one leaves the open
// transactions of the missing subtasks until a restore whose committables
// know that parallelism, or the transaction timeout, aborts them.
type Sink[T any] struct {
	o    SinkOptions[T]
	base []kgo.Opt

	mu        sync.Mutex
	admin     *kgo.Client         // raw requests (EndTxn, InitProducerID); lazily created
	users     int                 // of admin: open exactly-once writers and requests in flight
	live      map[txnRef]*liveTxn // handed over, producer still open
	committed map[string]txnRef   // per transactional id, its latest transaction committed through this Sink (one entry per id: bounded by the pool)
	done      map[int]doneState   // per subtask: the latest committed checkpoint
	maxPar    int                 // highest parallelism opened through this Sink
}

// liveTxn is a handed-over transaction whose producer is still open.
type liveTxn struct {
	cl      *kgo.Client
	subtask int
}

// doneState is the latest checkpoint whose committable of a subtask was
// committed and the ids it lists: a restore commits them again, so they
// cannot be re-initialised until a later checkpoint completes.
type doneState struct {
	ckpt  int64
	names map[string]bool
}

var (
	_ connector.Sink[int]                = (*Sink[int])(nil)
	_ connector.Committer                = (*Sink[int])(nil)
	_ connector.TransactionalWriter[int] = (*writer[int])(nil)
)

// NewSink validates o and returns the sink.
func NewSink[T any](o SinkOptions[T]) (*Sink[T], error) {
	base, err := o.Cluster.opts()
	if err != nil {
		return nil, fmt.Errorf("kafka sink: %w", err)
	}
	if o.Serializer == nil {
		return nil, errors.New("kafka sink: no Serializer")
	}
	switch o.Guarantee {
	case AtLeastOnce, ExactlyOnce, None:
	default:
		return nil, fmt.Errorf("kafka sink: unknown guarantee %d", int(o.Guarantee))
	}
	if o.PoolSize == 0 {
		o.PoolSize = DefaultPoolSize
	}
	if o.TransactionTimeout == 0 {
		o.TransactionTimeout = DefaultTransactionTimeout
	}
	if o.Guarantee == ExactlyOnce {
		if o.TransactionalIDPrefix == "" {
			return nil, errors.New("kafka sink: exactly-once needs a TransactionalIDPrefix, unique per job and sink (e.g. \"<job>-<sink>\"): sinks sharing a prefix fence and abort each other's transactions")
		}
		if len(o.TransactionalIDPrefix) > 200 {
			return nil, fmt.Errorf("kafka sink: TransactionalIDPrefix is %d bytes, at most 200", len(o.TransactionalIDPrefix))
		}
		if o.PoolSize < 3 {
			return nil, fmt.Errorf("kafka sink: PoolSize %d is below 3 (one open transaction, one awaiting its checkpoint, one held by the latest completed checkpoint)", o.PoolSize)
		}
		if o.TransactionTimeout < time.Millisecond || o.TransactionTimeout > math.MaxInt32*time.Millisecond {
			return nil, fmt.Errorf("kafka sink: transaction timeout %v is out of range (1ms to %v)", o.TransactionTimeout, math.MaxInt32*time.Millisecond)
		}
		if o.CheckpointInterval > 0 && o.TransactionTimeout <= o.CheckpointInterval+o.RestartTime {
			return nil, fmt.Errorf("kafka sink: transaction timeout %v is not larger than checkpoint interval %v + restart time %v: "+
				"the broker would abort transactions before they commit; raise TransactionTimeout (broker max transaction.max.timeout.ms) or shorten the interval",
				o.TransactionTimeout, o.CheckpointInterval, o.RestartTime)
		}
	}
	s := &Sink[T]{o: o, base: base, live: map[txnRef]*liveTxn{}, committed: map[string]txnRef{}, done: map[int]doneState{}}
	return s, nil
}

// TransactionalID is the transactional id of slot of subtask's pool.
func (s *Sink[T]) TransactionalID(subtask, slot int) string {
	return txnID(s.o.TransactionalIDPrefix, subtask, slot)
}

func txnID(prefix string, subtask, slot int) string {
	return prefix + "-" + strconv.Itoa(subtask) + "-" + strconv.Itoa(slot)
}

// acquire returns the client for raw transaction requests; release
// gives it back. It is closed when no one uses it (no exactly-once writer
// is open and no request is in flight), so a Sink left behind after its
// job holds no connections (the engine has no Sink.Close to call).
func (s *Sink[T]) acquire() (*kgo.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin == nil {
		cl, err := kgo.NewClient(s.base...)
		if err != nil {
			return nil, fmt.Errorf("kafka sink: %w", err)
		}
		s.admin = cl
	}
	s.users++
	return s.admin, nil
}

func (s *Sink[T]) release() {
	s.mu.Lock()
	var idle *kgo.Client
	if s.users--; s.users <= 0 {
		s.users, idle, s.admin = 0, s.admin, nil
	}
	s.mu.Unlock()
	if idle != nil {
		idle.Close()
	}
}

// Close releases the sink's own client and the producers of handed-over
// transactions (it neither commits nor aborts them: a later Commit, in
// this process or after a restore, still can). Writers are closed by
// the engine.
func (s *Sink[T]) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, l := range s.live {
		l.cl.Close()
		delete(s.live, t)
	}
	if s.admin != nil {
		s.admin.Close()
		s.admin, s.users = nil, 0
	}
	return nil
}

// Open implements connector.Sink.
func (s *Sink[T]) Open(ctx context.Context, info connector.SinkInfo) (connector.Writer[T], error) {
	w := &writer[T]{s: s, subtask: info.Subtask, parallelism: info.Parallelism, listed: map[string]int64{}, ctx: ctx}
	if s.o.Guarantee != ExactlyOnce {
		cl, err := kgo.NewClient(append(s.base[:len(s.base):len(s.base)], s.producerOpts()...)...)
		if err != nil {
			return nil, fmt.Errorf("kafka sink: %w", err)
		}
		w.cl = cl
		return w, nil
	}
	if _, err := s.acquire(); err != nil { // released by Close
		return nil, err
	}
	s.mu.Lock()
	s.maxPar = max(s.maxPar, info.Parallelism)
	pinned := s.done[info.Subtask].names
	s.mu.Unlock()
	// Abort what earlier runs left open in this subtask's pool (an open
	// transaction holds back every read_committed reader), except the ids
	// the restored checkpoint commits.
	for slot := range s.o.PoolSize {
		if id := s.TransactionalID(info.Subtask, slot); !pinned[id] {
			if err := s.fence(ctx, id); err != nil {
				s.release()
				return nil, err
			}
		}
	}
	return w, nil
}

// producerOpts are the options of every producing client.
func (s *Sink[T]) producerOpts() []kgo.Opt {
	return []kgo.Opt{kgo.RecordPartitioner(partitioner{kgo.StickyKeyPartitioner(nil)})}
}

// partitioner writes a record to its Partition when that is >= 0 and
// otherwise asks inner (murmur2 of the key like the Java client, sticky
// for records without a key).
type partitioner struct{ inner kgo.Partitioner }

func (p partitioner) ForTopic(t string) kgo.TopicPartitioner {
	return &topicPartitioner{inner: p.inner.ForTopic(t)}
}

type topicPartitioner struct{ inner kgo.TopicPartitioner }

func (p *topicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return r.Partition >= 0 || p.inner.RequiresConsistency(r)
}

func (p *topicPartitioner) Partition(r *kgo.Record, n int) int {
	if r.Partition >= 0 {
		return int(r.Partition) // kgo fails the record if it is >= n
	}
	return p.inner.Partition(r, n)
}

func (p *topicPartitioner) OnNewBatch() {
	if nb, ok := p.inner.(kgo.TopicPartitionerOnNewBatch); ok {
		nb.OnNewBatch()
	}
}

// writer is the writer of one subtask.
type writer[T any] struct {
	s                    *Sink[T]
	subtask, parallelism int

	bytes int64 // connector.BytesWriter

	cl *kgo.Client // at-least-once/none: the producer; exactly-once: the open transaction's, nil if none
	// ctx is Open's: the subtask's run, cancelled when the job is. Close's
	// flush (at-least-once) waits for the broker until it is done, so a
	// cancelled job whose broker cannot be reached still stops.
	ctx context.Context
	cur txnRef // exactly-once: the open transaction

	errMu sync.Mutex
	perr  error // first produce error (from a promise)

	handed []txnRef         // pre-committed, not known committed
	listed map[string]int64 // id -> last checkpoint whose committable listed it
	err    error            // sticky
	closed bool
}

func (w *writer[T]) promise(r *kgo.Record, err error) {
	if err == nil {
		return
	}
	w.errMu.Lock()
	if w.perr == nil {
		w.perr = fmt.Errorf("kafka sink: produce to topic %q partition %d: %w", r.Topic, r.Partition, err)
	}
	w.errMu.Unlock()
}

// check returns the sticky error, taking a produce error over.
func (w *writer[T]) check() error {
	if w.err != nil {
		return w.err
	}
	w.errMu.Lock()
	w.err = w.perr
	w.errMu.Unlock()
	return w.err
}

func (w *writer[T]) Write(v T, ts int64) error {
	if err := w.check(); err != nil {
		return err
	}
	if w.closed {
		return errors.New("kafka sink: write after Close")
	}
	rec, err := w.s.o.Serializer(v, ts)
	if err != nil {
		return fmt.Errorf("kafka sink: serialize %T: %w", v, err)
	}
	kr := &kgo.Record{Topic: rec.Topic, Partition: rec.Partition, Key: rec.Key, Value: rec.Value, Headers: fromHeaders(rec.Headers)}
	if kr.Topic == "" {
		kr.Topic = w.s.o.Topic
		if kr.Topic == "" {
			return errors.New("kafka sink: a record without a topic and no SinkOptions.Topic")
		}
	}
	if rec.Timestamp != 0 && rec.Timestamp != math.MinInt64 {
		kr.Timestamp = time.UnixMilli(rec.Timestamp)
	} else if ts != math.MinInt64 {
		kr.Timestamp = time.UnixMilli(ts)
	}
	if w.cl == nil {
		if err := w.begin(context.Background()); err != nil {
			return err
		}
	}
	w.bytes += kgoRecordBytes(kr)
	w.cl.Produce(context.Background(), kr, w.promise)
	return nil
}

// BytesWritten implements connector.BytesWriter.
func (w *writer[T]) BytesWritten() int64 { return w.bytes }

// Flush waits until the broker acknowledged every record written (in
// exactly-once mode: inside the open transaction, still invisible to
// read_committed readers).
func (w *writer[T]) Flush(ctx context.Context) error {
	if err := w.check(); err != nil {
		return err
	}
	if w.cl == nil || w.s.o.Guarantee == None {
		return nil
	}
	if err := w.cl.Flush(ctx); err != nil {
		return fmt.Errorf("kafka sink: flush: %w", err)
	}
	return w.check()
}

// begin starts a transaction on a new producer with a free id of the
// pool: one whose last transaction no checkpoint can still commit. A new
// producer per transaction makes InitProducerID give every transaction
// its own epoch, so (id, producer id, epoch) names one transaction even
// on brokers without KIP-890's epoch bump per transaction.
func (w *writer[T]) begin(ctx context.Context) error {
	s := w.s
	s.mu.Lock()
	done := s.done[w.subtask]
	s.mu.Unlock()
	busy := map[string]bool{}
	for _, t := range w.handed {
		busy[t.id] = true
	}
	id := ""
	for slot := range s.o.PoolSize {
		n := s.TransactionalID(w.subtask, slot)
		if !busy[n] && !done.names[n] && w.listed[n] <= done.ckpt {
			id = n
			break
		}
	}
	if id == "" {
		w.err = fmt.Errorf("%w: subtask %d has all %d transactional ids in use (%d transactions pre-committed and not committed yet, the rest held by the latest completed checkpoint): checkpoints do not complete or commits lag; raise PoolSize",
			ErrPoolExhausted, w.subtask, s.o.PoolSize, len(w.handed))
		return w.err
	}
	opts := append(s.base[:len(s.base):len(s.base)], s.producerOpts()...)
	opts = append(opts, kgo.TransactionalID(id), kgo.TransactionTimeout(s.o.TransactionTimeout))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		w.err = fmt.Errorf("kafka sink: %w", err)
		return w.err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	pid, epoch, err := cl.ProducerID(ctx) // InitProducerID: fences and aborts what id had open
	if err == nil {
		err = cl.BeginTransaction()
	}
	if err != nil {
		cl.Close()
		w.err = fmt.Errorf("kafka sink: begin a transaction as %q: %w", id, explainInit(err, s.o.TransactionTimeout))
		return w.err
	}
	w.cl, w.cur = cl, txnRef{id: id, pid: pid, epoch: epoch}
	return nil
}

// PreCommit flushes the open transaction and hands it over with every
// earlier one not known committed.
func (w *writer[T]) PreCommit(ctx context.Context, checkpointID int64) ([]byte, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	if w.s.o.Guarantee != ExactlyOnce {
		return nil, w.Flush(ctx)
	}
	if w.cl != nil {
		if err := w.cl.Flush(ctx); err != nil {
			w.err = fmt.Errorf("kafka sink: pre-commit %q: %w", w.cur.id, err)
			return nil, w.err
		}
		if err := w.check(); err != nil {
			return nil, err
		}
		if pid, epoch, err := w.cl.ProducerID(ctx); err != nil || pid != w.cur.pid || epoch != w.cur.epoch {
			w.err = fmt.Errorf("kafka sink: pre-commit %q: the producer changed under the transaction (producer id %d epoch %d, now %d/%d, %v)",
				w.cur.id, w.cur.pid, w.cur.epoch, pid, epoch, err)
			return nil, w.err
		}
		w.s.mu.Lock()
		w.s.live[w.cur] = &liveTxn{cl: w.cl, subtask: w.subtask}
		w.s.mu.Unlock()
		w.handed = append(w.handed, w.cur)
		w.cl = nil
	}
	w.s.mu.Lock()
	kept := w.handed[:0]
	for _, t := range w.handed {
		if w.s.committed[t.id] != t {
			kept = append(kept, t)
		}
	}
	w.handed = kept
	w.s.mu.Unlock()
	c := committable{subtask: w.subtask, parallelism: w.parallelism, poolSize: w.s.o.PoolSize,
		prefix: w.s.o.TransactionalIDPrefix, ckpt: checkpointID, txns: append([]txnRef(nil), w.handed...)}
	for _, t := range w.handed {
		w.listed[t.id] = checkpointID
	}
	return c.encode(), nil
}

// Close flushes (at-least-once: until every record is acknowledged, or
// the job is cancelled: Open's context), or aborts the open transaction,
// whose records belong to no checkpoint; pre-committed transactions are
// left to the Committer (their producers are closed: Commit resumes them).
func (w *writer[T]) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.s.o.Guarantee != ExactlyOnce {
		err := w.check()
		if err == nil {
			ctx := w.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			if err = w.cl.Flush(ctx); err != nil {
				err = fmt.Errorf("kafka sink: flush at close: %w", err)
			}
			if err == nil {
				err = w.check()
			}
		}
		w.cl.Close()
		return err
	}
	defer w.s.release()
	var idle []*kgo.Client
	w.s.mu.Lock()
	for _, t := range w.handed {
		if l, ok := w.s.live[t]; ok {
			idle = append(idle, l.cl)
			delete(w.s.live, t)
		}
	}
	w.s.mu.Unlock()
	for _, cl := range idle {
		cl.Close() // Commit resumes the transaction by EndTxn
	}
	if w.cl == nil {
		return nil
	}
	cl := w.cl
	w.cl = nil
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.AbortBufferedRecords(ctx); err != nil {
		return fmt.Errorf("kafka sink: abort %q at close: %w", w.cur.id, err)
	}
	if err := cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		return fmt.Errorf("kafka sink: abort %q at close: %w", w.cur.id, err)
	}
	return nil
}

// Dead-letter headers added by DeadLetterSerializer.
const (
	HeaderDLQSourceTopic     = "strom.dlq.source.topic"
	HeaderDLQSourcePartition = "strom.dlq.source.partition"
	HeaderDLQSourceOffset    = "strom.dlq.source.offset"
	HeaderDLQOperator        = "strom.dlq.operator"
	HeaderDLQStage           = "strom.dlq.stage"
	HeaderDLQErrorClass      = "strom.dlq.error.class"
	HeaderDLQErrorMessage    = "strom.dlq.error.message"
)

// DeadLetterSerializer writes dead letters (stream.DeadLetters) to topic:
// the original key, value, headers and timestamp, byte for byte, and the
// strom.dlq.* headers saying where the record came from and why it was
// rejected. Partitions are chosen by the original key.
func DeadLetterSerializer(topic string) Serializer[connector.DeadLetter] {
	return func(d connector.DeadLetter, _ int64) (*Record, error) {
		hs := make([]connector.Header, 0, len(d.Headers)+7)
		hs = append(hs, d.Headers...)
		hs = append(hs,
			connector.Header{Key: HeaderDLQSourceTopic, Value: []byte(d.Source)},
			connector.Header{Key: HeaderDLQSourcePartition, Value: strconv.AppendInt(nil, int64(d.Partition), 10)},
			connector.Header{Key: HeaderDLQSourceOffset, Value: strconv.AppendInt(nil, d.Offset, 10)},
			connector.Header{Key: HeaderDLQOperator, Value: []byte(d.Operator)},
			connector.Header{Key: HeaderDLQStage, Value: []byte(d.Stage)},
			connector.Header{Key: HeaderDLQErrorClass, Value: []byte(d.ErrorClass)},
			connector.Header{Key: HeaderDLQErrorMessage, Value: []byte(d.Message)})
		ts := d.Timestamp
		if ts == math.MinInt64 {
			ts = 0 // the sink's time: the record had none
		}
		return &Record{Topic: topic, Partition: -1, Key: d.Key, Value: d.Value, Headers: hs, Timestamp: ts}, nil
	}
}
