// Package connector is the service-provider interface between strom and the
// systems it reads from and writes to. A connector implements Source and/or
// Sink; the engine does the rest (threads, watermarks, checkpoints).
//
// A Source is divided into Splits (a file, a partition, a generator slice).
// Each split is read by one Reader whose Position is an opaque byte string:
// opening the split again at that position continues right after the last
// record returned. That is what makes a source replayable from a checkpoint.
//
// Concurrency: the engine calls a Reader or Writer from one goroutine at a
// time. Source.Splits and Sink.Open may be called from any goroutine.
package connector

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Split is one independently readable part of a source.
type Split struct {
	// ID names the split uniquely within its source (for logs and checkpoints).
	ID string
	// Data is what the source needs to open the split again.
	Data []byte
}

// Source produces records of type T.
type Source[T any] interface {
	// Splits enumerates the splits; called once when the job starts.
	Splits(ctx context.Context) ([]Split, error)
	// Open opens a reader of split positioned at pos (nil: the beginning).
	Open(ctx context.Context, split Split, pos []byte) (Reader[T], error)
	// Bounded reports whether every split ends (Read returns io.EOF).
	Bounded() bool
}

// Reader reads one split.
type Reader[T any] interface {
	// Read fills buf with up to len(buf) records and returns how many. It
	// returns (0, io.EOF) when a bounded split is exhausted and (0, nil) when
	// no record is available right now. It must not block for long.
	Read(ctx context.Context, buf []T) (int, error)
	// Position returns the position after the last record returned by Read.
	Position() []byte
	// Close releases the reader; it is idempotent.
	Close() error
}

// Timestamped is an optional capability of a Reader whose records carry
// their own event time (a log record's timestamp). When present and no
// timestamp assigner is configured, the engine uses these timestamps.
type Timestamped[T any] interface {
	// ReadTimestamped is Read that also fills ts[i] for every returned buf[i].
	ReadTimestamped(ctx context.Context, buf []T, ts []int64) (int, error)
}

// Notifier is an optional capability of a Reader of an unbounded split: the
// channel is signalled when data may be available, so the engine can wait
// instead of polling.
type Notifier interface {
	Ready() <-chan struct{}
}

// SinkInfo tells a sink which writer it opens.
type SinkInfo struct {
	// Subtask is the index of the writing subtask, Parallelism their count.
	Subtask, Parallelism int
	// Operator is the sink operator's name; UID its stable id.
	Operator, UID string
}

// Sink consumes records of type T.
type Sink[T any] interface {
	Open(ctx context.Context, info SinkInfo) (Writer[T], error)
}

// Writer writes the records of one sink subtask.
type Writer[T any] interface {
	// Write takes one record with its event timestamp (base.MinTime if none).
	Write(v T, ts int64) error
	// Flush makes the records written so far durable or visible as far as
	// the sink offers without transactions.
	Flush(ctx context.Context) error
	// Close flushes and releases the writer; it is idempotent.
	Close() error
}

// Committer is an optional capability of a Sink whose writers take part in
// checkpoints through two-phase commit, which makes the sink's output
// exactly-once: everything a writer wrote between two checkpoint barriers is
// staged by PreCommit (TransactionalWriter) at the barrier and becomes
// visible only when Commit is called after the checkpoint completed.
//
// The engine stores the committables of a checkpoint in the checkpoint
// itself. After a crash it restores the latest complete checkpoint, calls
// Commit again with that checkpoint's committables (some may have been
// committed already: Commit must be idempotent), then AbortExcept to throw
// away whatever was staged later and never committed, and only then opens
// the writers.
//
// Concurrency: Commit and AbortExcept are called from the engine's
// checkpoint coordinator, a goroutine other than the writers'; they must
// touch only staged transactions, never a writer's open one.
type Committer interface {
	// Commit makes the staged transactions visible, in order. Committing a
	// transaction that is already visible is a no-op; one that is neither
	// staged nor visible is an error (its data is lost: fail loudly).
	Commit(ctx context.Context, committables [][]byte) error
	// AbortExcept discards every staged transaction of this sink that is
	// not in keep (stale transactions of attempts that crashed). It is
	// called once per job start, before any writer opens.
	AbortExcept(ctx context.Context, keep [][]byte) error
}

// Transactional is an optional capability of a Committer whose mode may
// not write through transactions (the journal's and Kafka's at-least-once
// sinks: their output is visible at once). Transactional reports whether
// this one does; a Committer without it always does (the file sink).
type Transactional interface {
	Transactional() bool
}

// Rewinder is an optional capability of a Committer whose committed output
// can be taken back. When a job restores a checkpoint that is not the last
// one whose transactions were committed (the newer ones are corrupt, or a
// savepoint is restored into the output of a run that went on after it),
// the output committed after it would be produced again by the replay.
// The engine then calls RewindTo before Commit and AbortExcept, so that
// the visible output becomes that of the restored checkpoint and the
// replay completes it exactly once. A Committer without it keeps that
// output (at-least-once across such a restore).
type Rewinder interface {
	// RewindTo removes committed output of transactions that checkpoints
	// after checkpointID committed, except the transactions in keep (the
	// restored checkpoint's own committables).
	RewindTo(ctx context.Context, checkpointID int64, keep [][]byte) error
}

// TransactionalWriter is the writer side of a Committer sink.
type TransactionalWriter[T any] interface {
	Writer[T]
	// PreCommit is called at a checkpoint barrier, after the records before
	// it: it durably stages everything written since the previous
	// PreCommit and returns the committable that Commit makes visible (nil:
	// nothing to commit). Records written afterwards belong to the next
	// transaction. Staged data must survive a process crash.
	//
	// A checkpoint can fail after PreCommit handed its committable over
	// (another subtask timed out, storage failed); the engine then drops
	// that checkpoint's committables and does not carry them forward, and
	// the sources will not replay those records. So the committable must
	// also list again every transaction this writer handed over earlier
	// that is not committed yet (the file sink checks whether its staged
	// files were renamed). Listing a committed one again is harmless:
	// Commit is idempotent.
	PreCommit(ctx context.Context, checkpointID int64) ([]byte, error)
}

// Header is a key/value pair attached to a record (Kafka and journal headers).
type Header struct {
	Key   string
	Value []byte
}

// DeadLetter is an input record a source could not turn into a value of
// its type (bad JSON, wrong schema, over the size limit) while its
// on-error policy was "dead-letter". It keeps the original bytes and says
// where the record came from and why it was rejected (RELIABILITY.md §5).
type DeadLetter struct {
	// Key, Value, Headers and Timestamp are the original record's, byte for
	// byte. Timestamp is epoch ms, base.MinTime when the record had none.
	Key, Value []byte
	Headers    []Header
	Timestamp  int64
	// Source names what was read (a topic, a file); Split is the split ID.
	Source, Split string
	// Partition and Offset locate the record (-1 when the source has none).
	Partition int32
	Offset    int64
	// Operator is the source operator's name (filled in by the engine).
	Operator string
	// Stage is the step that failed ("deserialize", "timestamp", ...).
	Stage string
	// ErrorClass is a short stable class of the error ("json", "avro",
	// "too-large", ...); Message is the error text.
	ErrorClass, Message string
}

// DeadLetterReader is an optional capability of a Reader whose on-error
// policy sends bad records to a dead-letter output instead of failing.
// After every Read the engine takes the dead letters collected during it
// and emits them on the source's dead-letter side output
// (stream.DeadLetters), before any later barrier: so they belong to the
// same checkpoint as the good records read with them, and an exactly-once
// sink on that output writes each exactly once, also across restarts.
type DeadLetterReader interface {
	// TakeDeadLetters appends the pending dead letters to buf, forgets
	// them, and returns buf.
	TakeDeadLetters(buf []DeadLetter) []DeadLetter
}

// BytesReader is an optional capability of a Reader that knows the size
// of what it reads: BytesRead is the total size of the records it consumed
// since it opened (key, value and header bytes as stored in the journal or
// in Kafka; the bytes of the file consumed, line ends included), skipped
// and dead-lettered records too. The engine reads it on the subtask's
// goroutine when it publishes the metrics (not per Read), for the source's
// bytes-read counter; a reader counts with a plain field.
type BytesReader interface {
	BytesRead() int64
}

// LagReader is an optional capability of a Reader of an offset log
// (journal, Kafka partition): SplitLag reports where the reader stands in
// its split and the end of the split it knows, so the engine shows live
// consumer lag (Flink's pendingRecords) without asking anyone. It must be
// cheap (a field or two, a lock-free or briefly locked look-up, no
// request): the engine calls it on the subtask's goroutine when it
// publishes the metrics, not per Read. ok is false while the reader does
// not know the end yet.
type LagReader interface {
	SplitLag() (lag SplitLag, ok bool)
}

// SplitLag is one split's position and known end (offsets: Position is the
// next offset the reader returns, End the offset after the last record it
// could read now: the end offset, or the last stable offset under
// read_committed).
type SplitLag struct {
	// Connector is "journal" or "kafka"; Topic and Partition name the split.
	Connector string
	Topic     string
	Partition int32
	Position  int64
	End       int64
}

// Pending is the number of records between the position and the end (0
// when the reader is at or past the end it knows).
func (l SplitLag) Pending() int64 { return max(l.End-l.Position, 0) }

// BytesWriter is the same for a Writer: BytesWritten is the total size of
// the records it serialised since it opened (key, value and header bytes
// of journal and Kafka records; the encoded lines of a file), whether or
// not they are committed yet.
type BytesWriter interface {
	BytesWritten() int64
}

// NewSplitOpener is an optional capability of a Source whose start policy
// for a fresh job is not "from the beginning" (Kafka's latest, a
// timestamp, a group's offsets). A split that appears after the job first
// started (found by discovery, or one a restored checkpoint does not
// know) must be read from its very beginning, or the records written to it
// before it was opened are lost; the engine opens such splits with
// OpenNew, and all others with Open.
type NewSplitOpener[T any] interface {
	OpenNew(ctx context.Context, split Split) (Reader[T], error)
}

// Discoverer is an optional capability of an unbounded Source whose splits
// can grow while the job runs (Kafka partitions added to a topic, a new
// topic matching a pattern). Every subtask of the source calls Discover
// every DiscoveryInterval; a split not known before is opened from its
// beginning (nil position) by exactly one subtask, chosen from its ID, and
// from then on is checkpointed like the others. Splits never disappear.
type Discoverer interface {
	// Discover lists every split that exists now (known ones included).
	Discover(ctx context.Context) ([]Split, error)
	// DiscoveryInterval is how often to call Discover (0: never).
	DiscoveryInterval() time.Duration
}

// CheckpointListener is an optional capability of a Reader: the engine
// tells it that checkpoint id completed and which position of its split
// that checkpoint holds (a Kafka reader commits it to a consumer group so
// that lag tools see progress). It is called from the reader's goroutine;
// an error is logged, not fatal, since the checkpoint is already complete.
type CheckpointListener interface {
	CheckpointComplete(ctx context.Context, id int64, pos []byte) error
}

// OnError says what a source does with a record it cannot decode (its
// on-error policy; RELIABILITY.md D2/D3).
type OnError int

const (
	// Fail stops the job with where the record is (topic, partition,
	// offset) and why. The source's position stays at the bad record, so
	// a restart fails the same way instead of half-skipping.
	Fail OnError = iota
	// Skip drops the record and counts it.
	Skip
	// DeadLetterQueue hands the record to the source's dead-letter output
	// (DeadLetter, DeadLetterReader, stream.DeadLetters).
	DeadLetterQueue
)

// ParseOnError reads the on-error names of the CLI and SQL options:
// "fail", "skip" or "dlq".
func ParseOnError(s string) (OnError, error) {
	switch strings.ToLower(s) {
	case "fail", "":
		return Fail, nil
	case "skip":
		return Skip, nil
	case "dlq", "dead-letter":
		return DeadLetterQueue, nil
	}
	return Fail, fmt.Errorf("on-error %q: want fail, skip or dlq", s)
}

func (o OnError) String() string {
	switch o {
	case Skip:
		return "skip"
	case DeadLetterQueue:
		return "dlq"
	}
	return "fail"
}

// RecordReuser is an optional capability of a Reader that can build the
// records of a Read in the memory of the records of the Read before
// instead of allocating for every Read: the records' own memory only (a
// table.Row's Fields array), never memory their values refer to (the
// bytes of a string, the fields of a nested ROW), so a value copied out of
// a record stays valid. It does so only after ReuseRecords, which the
// engine calls when every operator the records reach directly, on the same
// goroutine, is done with a record by the time it returns from processing
// it (operator.Releaser: it keeps no reference to the record itself, and
// hands it on only to operators that are done too). A Reader is never told
// to stop reusing.
type RecordReuser interface {
	ReuseRecords()
}

// RecordReleaser is an optional capability of a Writer whose Write keeps
// no reference to the record itself (for a table.Row: its Fields slice)
// once it returns; values copied out of it may be kept. ReleasesRecords
// reports whether that holds; the engine then counts the sink as done with
// its records (RecordReuser).
type RecordReleaser interface {
	ReleasesRecords() bool
}
