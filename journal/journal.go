package journal

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/stromio/strom/internal/vfs"
)

// Errors, to be tested with errors.Is.
var (
	ErrClosed           = errors.New("journal: closed")
	ErrReadOnly         = errors.New("journal: partition is read-only")
	ErrOffsetOutOfRange = errors.New("journal: offset out of range")
	ErrUnknownTopic     = errors.New("journal: unknown topic or partition")
	ErrTopicExists      = errors.New("journal: topic exists")
)

// AnyPartition, as the partition of Append, picks it from the first
// record's key (xxhash64 of the key modulo the partition count), or round
// robin when that key is nil.
const AnyPartition = -1

// Durability says when Append returns.
type Durability int

const (
	// Durable: Append returns after the batch was written and fsynced.
	// Concurrent appends to a partition share one fsync (group commit).
	Durable Durability = iota
	// Relaxed: Append returns after the write; the partition is fsynced
	// every SyncInterval. A crash loses a suffix of the acked records, never
	// a record in the middle.
	Relaxed
)

// Options configure a Journal; the zero value is usable.
type Options struct {
	// FS is the filesystem; nil means the operating system's. (Tests plug
	// in a crash-simulating one.)
	FS vfs.FS
	// Durability: Durable (default) or Relaxed.
	Durability Durability
	// SyncInterval is how often a Relaxed partition fsyncs; default 100ms.
	SyncInterval time.Duration
	// SegmentBytes: a segment is rolled before it would grow beyond this;
	// default 128 MiB, at most 2 GiB.
	SegmentBytes int64
	// SegmentAge: a segment older than this (since it was created or
	// reopened) is rolled at the next append; 0 (default) never.
	SegmentAge time.Duration
	// IndexInterval is the number of log bytes between two index entries;
	// default 4096.
	IndexInterval int
	// RetentionTime deletes a sealed segment whose newest record is older;
	// 0 (default) keeps them.
	RetentionTime time.Duration
	// RetentionBytes deletes the oldest sealed segments of a partition while
	// the others hold at least this many bytes; 0 (default): no limit.
	RetentionBytes int64
	// RetentionCheck is how often retention runs; default 1 minute, < 0
	// never on its own (EnforceRetention runs it).
	RetentionCheck time.Duration
	// MaxGroupBytes bounds the bytes of one group commit; default 4 MiB.
	MaxGroupBytes int
	// Preallocate is how many bytes of written zeros the active segment's
	// file is extended by, ahead of its last batch, whenever a batch
	// reaches beyond the zeros (bounded by SegmentBytes): batches then
	// overwrite zero-filled blocks without changing the file's size, and
	// are made durable by fdatasync, which needs no filesystem metadata
	// commit for them (docs/format/journal.md §1.1). The logical end of
	// a segment is the end of its last valid batch; sealed segments and a
	// clean shutdown cut the file there. Each open partition's disk use
	// is up to this much above its batches (RetentionBytes counts batches
	// only). 0 (default): 4 MiB in Durable mode, none in Relaxed mode;
	// < 0: none (each batch grows the file and is made durable by fsync).
	Preallocate int64
	// Logger gets the recovery warnings; default slog.Default().
	Logger *slog.Logger
	// Now is the clock for record timestamps, segment age, retention and
	// transaction timeouts; default time.Now.
	Now func() time.Time
	// TransactionTimeout: a transaction open (ongoing in the registry)
	// longer than this is aborted by the journal and its producer fenced
	// (Kafka's transaction.timeout.ms); default 60s, < 0 never.
	// Producer.SetTransactionTimeout overrides it per producer.
	TransactionTimeout time.Duration
	// TransactionCheck is how often the journal looks for expired
	// transactions (Kafka's
	// transaction.abort.timed.out.transaction.cleanup.interval.ms); default
	// 10s, < 0 never on its own (ExpireTransactions runs it).
	TransactionCheck time.Duration
	// AcceptFailedSyncRisk opens a partition whose sync failed in this
	// boot (its sync-failed marker, docs/format/journal.md §5.1) instead
	// of refusing it with ErrNeedsReboot: the recovery then reads the
	// page cache, which may hold bytes whose write-back failed, so reads
	// may return records the disk does not hold and a later power loss
	// may lose records appended after them. The marker stays until an
	// Open after a reboot. Default false: reboot first.
	AcceptFailedSyncRisk bool
	// AssumeRebooted says that the machine rebooted since every
	// sync-failed marker was written: Open takes each as one of an earlier
	// boot (whatever its boot id, or where none can be read), rescans from
	// the failed segment (every segment for a damaged marker) and removes
	// it. It is the way to clear a marker where the boot cannot be told
	// (non-Linux, /proc unreadable: such a marker would otherwise refuse
	// every Open). Set it only after a reboot: before one, it trusts the
	// page cache as AcceptFailedSyncRisk does, and removes the marker too.
	AssumeRebooted bool
	// BootID tells the current boot (a sync-failed marker of the same
	// boot refuses Open); default: the Linux boot id from
	// /proc/sys/kernel/random/boot_id. An error (no boot id: non-Linux,
	// unreadable) counts as the same boot. Tests fake reboots with it.
	BootID func() (string, error)
}

func (o *Options) fill() error {
	if o.FS == nil {
		o.FS = vfs.OS{}
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = 100 * time.Millisecond
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = 128 << 20
	}
	if o.IndexInterval == 0 {
		o.IndexInterval = 4096
	}
	if o.RetentionCheck == 0 {
		o.RetentionCheck = time.Minute
	}
	if o.MaxGroupBytes == 0 {
		o.MaxGroupBytes = 4 << 20
	}
	if o.Preallocate == 0 {
		o.Preallocate = -1
		if o.Durability == Durable {
			o.Preallocate = 4 << 20
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TransactionTimeout == 0 {
		o.TransactionTimeout = 60 * time.Second
	}
	if o.TransactionCheck == 0 {
		o.TransactionCheck = 10 * time.Second
	}
	if o.BootID == nil {
		o.BootID = readBootID
	}
	switch {
	case o.Durability != Durable && o.Durability != Relaxed:
		return fmt.Errorf("journal: unknown durability %d", o.Durability)
	case o.SegmentBytes < batchHeaderSize || o.SegmentBytes > 2<<30:
		return fmt.Errorf("journal: SegmentBytes %d outside [%d, 2 GiB]", o.SegmentBytes, batchHeaderSize)
	case o.IndexInterval < 0 || o.MaxGroupBytes < 0 || o.RetentionTime < 0 || o.RetentionBytes < 0 || o.SegmentAge < 0:
		return errors.New("journal: negative option")
	}
	return nil
}

// Journal is a directory of topics. All methods are safe for concurrent
// use.
type Journal struct {
	dir  string
	fs   vfs.FS
	opts Options
	log  *slog.Logger

	mu     sync.RWMutex
	topics map[string]*topic
	closed bool
	truncs []Truncation

	gmu sync.Mutex // serialises group offset commits

	pmu   sync.Mutex // serialises producer registry changes (producer.go)
	reg   *registry  // pmu
	fence sync.Map   // producer id -> current epoch (uint32)

	quit chan struct{} // closed by Close: stops the transaction expiry
	bg   sync.WaitGroup
}

type topic struct {
	name  string
	parts []*partition
	rr    atomic.Uint64
}

// Truncation reports a log tail cut off by recovery.
type Truncation struct {
	Topic     string
	Partition int
	Segment   int64 // base offset of the segment
	Byte      int64 // where the file was cut
	Dropped   int64 // bytes cut off
	Reason    string
}

// TopicInfo describes a topic.
type TopicInfo struct {
	Name       string
	Partitions int
}

// Open opens (creating it if needed) the journal in dir and recovers every
// partition (docs/format/journal.md §5).
func Open(dir string, opts Options) (*Journal, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	j := &Journal{dir: dir, fs: opts.FS, opts: opts, log: opts.Logger, topics: map[string]*topic{}}
	fsys := j.fs
	for _, d := range []string{filepath.Join(dir, "topics"), filepath.Join(dir, "groups")} {
		if err := fsys.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("journal: open %s: %w", dir, err)
		}
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := fsys.SyncDir(d); err != nil {
			return nil, fmt.Errorf("journal: open %s: %w", dir, err)
		}
	}
	names, err := fsys.ReadDir(filepath.Join(dir, "topics"))
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", dir, err)
	}
	// §5: a failed Open changes no file where it can tell before any
	// partition is recovered: every topic.meta, log-start and sync-failed
	// marker is read and checked first.
	counts, err := j.checkTopics(names)
	if err != nil {
		return nil, err
	}
	if err := j.loadRegistry(); err != nil {
		return nil, err
	}
	for _, name := range names {
		if err := j.openTopic(name, counts[name]); err != nil {
			_ = j.Close()
			return nil, err
		}
	}
	j.finishPrepared() // txn.go
	j.quit = make(chan struct{})
	if j.opts.TransactionCheck > 0 && j.opts.TransactionTimeout > 0 {
		j.bg.Add(1)
		go j.expireLoop() // txn.go
	}
	return j, nil
}

func (j *Journal) topicDir(name string) string { return filepath.Join(j.dir, "topics", name) }

// openTopic opens the topic name of n partitions (checkTopics); n == 0:
// its topic.meta is missing.
func (j *Journal) openTopic(name string, n int) error {
	tdir := j.topicDir(name)
	if n == 0 {
		// CreateTopic writes topic.meta last: this one never completed.
		j.log.Warn("journal: removing an incompletely created topic", "topic", name)
		if err := j.fs.RemoveAll(tdir); err != nil {
			return err
		}
		return j.fs.SyncDir(filepath.Join(j.dir, "topics"))
	}
	return j.openPartitions(name, tdir, n)
}

// readTopicMeta reads the partition count in the topic.meta of tdir: 0
// when there is none (an incompletely created topic).
func readTopicMeta(fsys vfs.FS, tdir string) (int, error) {
	b, err := vfs.ReadFile(fsys, filepath.Join(tdir, "topic.meta"))
	if vfs.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := decodeTopicMeta(b)
	if err != nil {
		return 0, fmt.Errorf("metadata: %w", err)
	}
	return n, nil
}

// decodeTopicMeta returns the partition count in topic.meta.
func decodeTopicMeta(b []byte) (int, error) {
	pl, err := decodeEnvelope(magicTopic, b)
	if errors.Is(err, ErrNewerVersion) {
		return 0, err
	}
	f := fixed{b: pl}
	n := int(f.u32())
	if err != nil || !f.done() || n < 1 {
		return 0, errors.Join(err, ErrCorrupt)
	}
	return n, nil
}

// checkTopics is Open's pre-pass (docs/format/journal.md §5): before any
// file is changed, it reads the topic.meta of every topic of names and the
// log-start and sync-failed marker of each of its partitions, and returns
// the partition counts (0: no topic.meta), or the error of the first one
// that is unreadable, damaged or of a newer version, or that refuses Open
// (a sync-failed marker of this boot, §5.1). What it cannot tell before a
// partition is recovered (a segment or index file that cannot be read or
// is of a newer version, a write that fails) still fails Open after the
// partitions before it were recovered: §5 says why that is safe.
func (j *Journal) checkTopics(names []string) (map[string]int, error) {
	o := &j.opts
	counts := make(map[string]int, len(names))
	for _, name := range names {
		tdir := j.topicDir(name)
		n, err := readTopicMeta(j.fs, tdir)
		if err != nil {
			return nil, fmt.Errorf("journal: topic %q: %w", name, err)
		}
		counts[name] = n
		for i := range n {
			pdir := filepath.Join(tdir, fmt.Sprint(i))
			if _, err := readLogStart(j.fs, pdir); err != nil {
				return nil, fmt.Errorf("journal: open topic %q partition %d: %w", name, i, err)
			}
			m, err := readSyncFailure(j.fs, pdir, o.BootID)
			switch {
			case err != nil:
				return nil, fmt.Errorf("journal: open topic %q partition %d: %w", name, i, err)
			case m == nil:
			case errors.Is(m.Err, ErrNewerVersion):
				return nil, fmt.Errorf("journal: open topic %q partition %d: %w", name, i, m.Err)
			case m.SameBoot && !o.AcceptFailedSyncRisk && !o.AssumeRebooted:
				_, berr := o.BootID()
				return nil, fmt.Errorf("journal: open topic %q partition %d: %w", name, i, m.refusal(j.dir, berr))
			}
		}
	}
	return counts, nil
}

// openPartitions opens the n partitions of topic name in tdir and registers it
// (j.mu held); a failure stops the partitions opened so far.
func (j *Journal) openPartitions(name, tdir string, n int) error {
	t := &topic{name: name}
	for i := range n {
		p, err := openPartition(j, name, i, filepath.Join(tdir, fmt.Sprint(i)))
		if err != nil {
			for _, p := range t.parts {
				p.stop()
			}
			return err
		}
		t.parts = append(t.parts, p)
	}
	j.topics[name] = t
	return nil
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 200 || s == "." || s == ".." {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// CreateTopic creates a topic with n partitions. The topic exists after a
// crash only when CreateTopic returned nil.
func (j *Journal) CreateTopic(name string, n int) error {
	if !validName(name) {
		return fmt.Errorf("journal: invalid topic name %q (1 to 200 of [A-Za-z0-9._-])", name)
	}
	if n < 1 || n > 1<<16 {
		return fmt.Errorf("journal: topic %q: partition count %d outside [1, 65536]", name, n)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	if _, ok := j.topics[name]; ok {
		return fmt.Errorf("journal: topic %q: %w", name, ErrTopicExists)
	}
	tdir := j.topicDir(name)
	fsys := j.fs
	if err := fsys.RemoveAll(tdir); err != nil {
		return err
	}
	for i := range n {
		if err := fsys.MkdirAll(filepath.Join(tdir, fmt.Sprint(i)), 0o755); err != nil {
			return err
		}
	}
	for _, d := range []string{tdir, filepath.Join(j.dir, "topics")} {
		if err := fsys.SyncDir(d); err != nil {
			return err
		}
	}
	meta := encodeEnvelope(magicTopic, binary.BigEndian.AppendUint32(nil, uint32(n)))
	if err := vfs.WriteFileAtomic(fsys, filepath.Join(tdir, "topic.meta"), meta); err != nil {
		return fmt.Errorf("journal: create topic %q: %w", name, err)
	}
	return j.openPartitions(name, tdir, n)
}

// Topics lists the topics by name.
func (j *Journal) Topics() []TopicInfo {
	j.mu.RLock()
	defer j.mu.RUnlock()
	var out []TopicInfo
	for _, t := range j.topics {
		out = append(out, TopicInfo{t.name, len(t.parts)})
	}
	slices.SortFunc(out, func(a, b TopicInfo) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

func (j *Journal) topic(name string) (*topic, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return nil, ErrClosed
	}
	t, ok := j.topics[name]
	if !ok {
		return nil, fmt.Errorf("journal: topic %q: %w", name, ErrUnknownTopic)
	}
	return t, nil
}

func (j *Journal) partition(topic string, part int) (*partition, error) {
	t, err := j.topic(topic)
	if err != nil {
		return nil, err
	}
	if part < 0 || part >= len(t.parts) {
		return nil, fmt.Errorf("journal: topic %q has no partition %d (it has %d): %w", topic, part, len(t.parts), ErrUnknownTopic)
	}
	return t.parts[part], nil
}

// PartitionFor returns the partition of key: xxhash64(key) modulo the
// partition count.
func (j *Journal) PartitionFor(topic string, key []byte) (int, error) {
	t, err := j.topic(topic)
	if err != nil {
		return 0, err
	}
	return int(xxhash.Sum64(key) % uint64(len(t.parts))), nil
}

// Offsets tells where the records of one Append went: offsets First to
// Last of Partition, in the order given.
type Offsets struct {
	Partition   int
	First, Last int64
}

// Append writes recs as one batch to a partition of topic (or AnyPartition)
// and returns their offsets. The batch is atomic: after a crash either all
// of its records are there or none. In Durable mode Append returns only
// after the batch is on disk. An error means the batch was not acked (it may
// or may not be stored); after a failed fsync the partition is read-only
// and every later Append fails with ErrReadOnly. On an idle partition the
// calling goroutine writes (and fsyncs) the batch itself; ctx is then
// checked before the write but cannot cut the write and fsync short.
func (j *Journal) Append(ctx context.Context, topic string, partition int, recs ...Record) (Offsets, error) {
	return j.appendWith(ctx, topic, partition, nil, recs)
}

// appendWith is Append; a non-nil pf gives the producer fields of the batch
// for the partition chosen (producer.go).
func (j *Journal) appendWith(ctx context.Context, topic string, partition int, pf func(part int) *producerFields, recs []Record) (Offsets, error) {
	p, r, partition, err := j.prepare(topic, partition, pf, recs)
	if err != nil {
		return Offsets{}, err
	}
	if err := p.append(ctx, r); err != nil {
		return Offsets{}, err
	}
	return Offsets{Partition: partition, First: r.base, Last: r.base + int64(len(recs)) - 1}, nil
}

// prepare picks the partition and encodes the batch of an append.
func (j *Journal) prepare(topic string, partition int, pf func(part int) *producerFields, recs []Record) (*partition, *appendReq, int, error) {
	if len(recs) == 0 {
		return nil, nil, 0, errors.New("journal: append of no records")
	}
	t, err := j.topic(topic)
	if err != nil {
		return nil, nil, 0, err
	}
	if partition == AnyPartition {
		if recs[0].Key != nil {
			partition = int(xxhash.Sum64(recs[0].Key) % uint64(len(t.parts)))
		} else {
			partition = int((t.rr.Add(1) - 1) % uint64(len(t.parts)))
		}
	}
	if partition < 0 || partition >= len(t.parts) {
		return nil, nil, 0, fmt.Errorf("journal: topic %q has no partition %d (it has %d): %w", topic, partition, len(t.parts), ErrUnknownTopic)
	}
	p := t.parts[partition]
	if slices.ContainsFunc(recs, func(r Record) bool { return r.Timestamp == 0 }) {
		now := j.opts.Now().UnixMilli()
		recs = slices.Clone(recs) // do not write into the caller's slice
		for i := range recs {
			if recs[i].Timestamp == 0 {
				recs[i].Timestamp = now
			}
		}
	}
	var ph *producerFields
	if pf != nil {
		if ph = pf(partition); ph != nil {
			if err := j.fenced(ph); err != nil {
				return nil, nil, 0, err
			}
		}
	}
	batch := encodeBatchHdr(nil, recs, ph)
	if len(batch) > MaxBatchBytes || int64(len(batch)) > j.opts.SegmentBytes {
		return nil, nil, 0, fmt.Errorf("journal: append to %v: batch of %d bytes is larger than the limit", p, len(batch))
	}
	return p, &appendReq{batch: batch, count: len(recs), res: make(chan error, 1), pf: ph}, partition, nil
}

// PendingAppend is a batch handed to a partition's writer by AppendAsync
// whose acknowledgement has not been collected yet.
type PendingAppend struct {
	p    *partition
	r    *appendReq
	part int
	off  Offsets
	err  error
	done bool
}

// AppendAsync is Append without waiting for the acknowledgement: it encodes
// recs as one batch, hands it to the partition's writer and returns; Wait
// gives the offsets once the batch is acked (in Durable mode: fsynced), or
// the error. One producer can so keep several batches in flight (Kafka's
// max.in.flight, JetStream's PublishAsync): the writer puts what is queued
// when it is free into one write and, in Durable mode, one fsync (group
// commit), and acks none of them before that fsync.
//
// Batches that one goroutine appends asynchronously to one partition are
// written in the order of its AppendAsync calls, so their offsets follow
// that order. A failed batch does not stop the batches queued behind it:
// after an error of one, later ones may still be stored (Kafka with several
// in flight and no idempotence). A caller that must not get a gap waits for
// each batch before the next, or retries with an idempotent Producer.
//
// ctx bounds only the hand-off (AppendAsync blocks while the partition's
// queue is full); Wait takes its own. The caller keeps the number of
// batches it leaves pending bounded (its window): the journal queues at
// most a fixed number per partition and blocks beyond that.
func (j *Journal) AppendAsync(ctx context.Context, topic string, partition int, recs ...Record) (*PendingAppend, error) {
	p, r, part, err := j.prepare(topic, partition, nil, recs)
	if err != nil {
		return nil, err
	}
	if err := p.enqueue(ctx, r); err != nil {
		return nil, err
	}
	return &PendingAppend{p: p, r: r, part: part}, nil
}

// Wait returns the offsets of the batch once it is acked, or why it was
// not: an error means the batch was not acked (it may or may not be
// stored), ErrClosed if the journal closed before the writer took it, or
// ctx's error (the batch stays in flight: Wait can be called again). After
// an answer, Wait returns the same answer again. Wait is not safe for
// concurrent use on one PendingAppend.
func (a *PendingAppend) Wait(ctx context.Context) (Offsets, error) {
	if !a.done {
		err, answered := a.p.await(ctx, a.r)
		if !answered {
			return Offsets{}, err
		}
		a.done, a.err = true, err
		if err == nil {
			a.off = Offsets{Partition: a.part, First: a.r.base, Last: a.r.base + int64(a.r.count) - 1}
		}
	}
	return a.off, a.err
}

// ReadOptions bound one read.
type ReadOptions struct {
	// MaxBytes: stop after about this many bytes of batches (at least one
	// batch is returned); default 1 MiB.
	MaxBytes int
	// MaxRecords: at most this many records; 0 means no limit.
	MaxRecords int
	// Isolation: ReadUncommitted (default) or ReadCommitted (txn.go).
	// Transaction markers are never returned.
	Isolation Isolation
}

func (o ReadOptions) limits() (int, int) {
	mb, mr := o.MaxBytes, o.MaxRecords
	if mb <= 0 {
		mb = 1 << 20
	}
	if mr <= 0 {
		mr = int(^uint(0) >> 1)
	}
	return mb, mr
}

// Read returns visible records of a partition from offset from on (empty
// at the end). In Durable mode only synced records are visible. An offset
// below the log start or above the end is ErrOffsetOutOfRange. A batch
// whose checksum does not match is never returned: the read fails with
// ErrCorrupt.
func (j *Journal) Read(ctx context.Context, topic string, partition int, from int64, opts ReadOptions) ([]Message, error) {
	p, err := j.partition(topic, partition)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mb, mr := opts.limits()
	if p.filtered(opts.Isolation) {
		ms, _, err := p.fetch(from, mb, mr, opts.Isolation)
		return ms, err
	}
	return p.read(from, mb, mr)
}

// Scan passes the visible records of a partition from offset from on to
// fn, in order and bounded like Read, and returns the offset after the last
// one fn accepted (returned nil for). The message and its slices are valid only during the call
// (Scan reuses its buffers, which makes it faster than Read); copy what you
// keep. An error from fn stops the scan and is returned as is.
func (j *Journal) Scan(ctx context.Context, topic string, partition int, from int64, opts ReadOptions, fn func(m *Message) error) (int64, error) {
	p, err := j.partition(topic, partition)
	if err != nil {
		return from, err
	}
	if err := ctx.Err(); err != nil {
		return from, err
	}
	mb, mr := opts.limits()
	if p.filtered(opts.Isolation) {
		ms, next, err := p.fetch(from, mb, mr, opts.Isolation)
		if err != nil {
			return from, err
		}
		for i := range ms {
			if err := fn(&ms[i]); err != nil {
				return ms[i].Offset, err // the first offset fn did not accept
			}
		}
		return next, nil
	}
	return p.scan(from, mb, mr, fn)
}

// Poll is Read that first waits (long poll) until a record at from or
// later is visible, ctx is done or the journal is closed. Waiting for an
// offset beyond the end offset is ErrOffsetOutOfRange at once.
func (j *Journal) Poll(ctx context.Context, topic string, partition int, from int64, opts ReadOptions) ([]Message, error) {
	p, err := j.partition(topic, partition)
	if err != nil {
		return nil, err
	}
	if p.filtered(opts.Isolation) {
		mb, mr := opts.limits()
		return p.pollFiltered(ctx, from, mb, mr, opts.Isolation)
	}
	if _, err := p.wait(ctx, from); err != nil {
		return nil, err
	}
	mb, mr := opts.limits()
	return p.read(from, mb, mr)
}

// Bounds returns the log start offset and the end offset (the next offset
// to be written and made visible) of a partition.
func (j *Journal) Bounds(topic string, partition int) (start, end int64, err error) {
	p, err := j.partition(topic, partition)
	if err != nil {
		return 0, 0, err
	}
	start, end = p.bounds()
	return start, end, nil
}

// OffsetForTime returns the first offset of a partition whose record has a
// timestamp (ms) at or above ts, or the end offset when none has.
func (j *Journal) OffsetForTime(ctx context.Context, topic string, partition int, ts int64) (int64, error) {
	p, err := j.partition(topic, partition)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return p.offsetForTime(ts)
}

// Truncations returns the log tails that recovery cut off since Open.
func (j *Journal) Truncations() []Truncation {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return slices.Clone(j.truncs)
}

func (j *Journal) noteTruncation(t Truncation) {
	// Called during Open or CreateTopic, which hold or precede j.mu users.
	j.truncs = append(j.truncs, t)
}

// EnforceRetention applies the retention limits to every partition now.
func (j *Journal) EnforceRetention(ctx context.Context) error {
	j.mu.RLock()
	var parts []*partition
	for _, t := range j.topics {
		parts = append(parts, t.parts...)
	}
	closed := j.closed
	j.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	for _, p := range parts {
		done := make(chan struct{})
		select {
		case p.ctl <- func() { p.retain(); close(done) }:
		case <-p.quit:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
		<-done
	}
	return nil
}

// Close stops every partition after a final sync and writes the
// clean-shutdown markers; it is idempotent. Appends waiting at that time
// fail with ErrClosed. It returns the errors of partitions that are
// read-only (they get no marker, so the next Open scans them).
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	var parts []*partition
	for _, t := range j.topics {
		parts = append(parts, t.parts...)
	}
	j.mu.Unlock()
	if j.quit != nil {
		close(j.quit)
		j.bg.Wait()
	}
	var errs []error
	for _, p := range parts {
		p.stop()
		if err := p.failure(); err != nil {
			errs = append(errs, err)
		} else if p.closeErr != nil {
			errs = append(errs, p.closeErr)
		}
	}
	return errors.Join(errs...)
}

func (p *partition) stop() {
	close(p.quit)
	<-p.done
}
