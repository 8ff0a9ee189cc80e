package journal

// Idempotent producers (docs/format/journal.md §2.1, §7, §8): a producer
// has a durable id and epoch from the registry file; its batches carry
// (producer id, epoch, sequence) in a version 2 batch header, and each
// partition keeps, per producer, its epoch and its last batches' sequences
// and offsets, so that a retried batch is acked with its original offsets
// instead of being written twice.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

// Errors of idempotent and transactional producers, to be tested with
// errors.Is.
var (
	// ErrProducerFenced: a newer instance of the producer (NewProducer with
	// the same name) exists; this one's epoch is stale.
	ErrProducerFenced = errors.New("journal: producer fenced by a newer epoch")
	// ErrOutOfOrderSequence: the batch's sequence leaves a gap after the
	// producer's last batch in the partition.
	ErrOutOfOrderSequence = errors.New("journal: out-of-order sequence")
	// ErrDuplicateSequence: the sequence was used before, but the batch is
	// not one of the last ones kept to recognise retries (or its record
	// count differs): it cannot be acked with its original offsets.
	ErrDuplicateSequence = errors.New("journal: duplicate sequence of an unknown batch")
	// ErrUnknownProducer: the producer id was never given out by
	// NewProducer.
	ErrUnknownProducer = errors.New("journal: unknown producer id")
)

const (
	attrTransactional = 1 << 0
	attrControl       = 1 << 1

	magicProducers = "STRMJPID" // producer-ids: the producer registry
	magicSnapshot  = "STRMJPSN" // <partition>/producer.snapshot
	producersFile  = "producer-ids"
	snapshotFile   = "producer.snapshot"
	maxSeqBatches  = 5 // batches per producer and partition kept to recognise retries
)

// Control record types (the key of a marker's one record).
const (
	markerAbort  = 0
	markerCommit = 1
)

// producerFields are the version 2 batch header fields.
type producerFields struct {
	attrs uint16
	pid   int64
	epoch uint32
	seq   int32 // first record's sequence; -1 in a control batch
	// ctl is the marker type of a control batch (not in the header: it is
	// the key of its record).
	ctl int
}

func (f *producerFields) put(h []byte) {
	binary.BigEndian.PutUint16(h[37:], f.attrs)
	binary.BigEndian.PutUint64(h[39:], uint64(f.pid))
	binary.BigEndian.PutUint32(h[47:], f.epoch)
	binary.BigEndian.PutUint32(h[51:], uint32(f.seq))
}

// readProducerFields reads the fields of a version 2 header (b holds at
// least batchHeaderSizeV2 bytes).
func readProducerFields(b []byte) producerFields {
	return producerFields{
		attrs: binary.BigEndian.Uint16(b[37:]),
		pid:   int64(binary.BigEndian.Uint64(b[39:])),
		epoch: binary.BigEndian.Uint32(b[47:]),
		seq:   int32(binary.BigEndian.Uint32(b[51:])),
	}
}

func (f producerFields) check(info batchInfo) error {
	ctl := f.attrs&attrControl != 0
	if f.attrs&^(attrTransactional|attrControl) != 0 || f.pid < 0 ||
		(ctl && (f.attrs&attrTransactional == 0 || f.seq != -1 || info.count != 1)) ||
		(!ctl && (f.seq < 0 || int64(f.seq)+int64(info.count)-1 > math.MaxInt32)) {
		return fmt.Errorf("%w: batch at offset %d: attributes %#x producer %d sequence %d", ErrCorrupt, info.base, f.attrs, f.pid, f.seq)
	}
	return nil
}

// controlRecord is the one record of a transaction marker.
func controlRecord(typ int, ts int64) Record {
	return Record{Key: []byte{0, 0, 0, byte(typ)}, Timestamp: ts}
}

// markerType returns the type of the control batch b (checked whole).
func markerType(b []byte) (int, error) {
	ms, err := DecodeBatch(b, 0)
	if err != nil {
		return 0, err
	}
	k := ms[0].Key
	if len(k) != 4 || k[0] != 0 || k[1] != 0 || k[2] != 0 || k[3] > markerCommit {
		return 0, fmt.Errorf("%w: control record key %x", ErrCorrupt, k)
	}
	return int(k[3]), nil
}

// --- the registry: producer names to ids and epochs ---

// regEntry is one producer of the registry.
type regEntry struct {
	pid   int64
	epoch uint32
	txn   txnState

	// In memory only (not in the file):
	txnStart   time.Time     // when txn became ongoing (at Open for one open then)
	txnTimeout time.Duration // its timeout
	expired    bool          // epoch was bumped by the expiry of epoch-1's transaction
}

type registry struct {
	next    int64 // the next producer id to give out
	entries map[string]*regEntry
}

func (j *Journal) regFile() string { return filepath.Join(j.dir, producersFile) }

// loadRegistry reads the registry at Open.
func (j *Journal) loadRegistry() error {
	j.reg = &registry{entries: map[string]*regEntry{}}
	if err := j.fs.Remove(j.regFile() + vfs.TempSuffix); err != nil && !vfs.IsNotExist(err) {
		return fmt.Errorf("journal: producer registry: %w", err)
	}
	b, err := vfs.ReadFile(j.fs, j.regFile())
	if vfs.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal: producer registry: %w", err)
	}
	r, err := decodeRegistry(b)
	if err != nil {
		return fmt.Errorf("journal: producer registry: %w", err)
	}
	j.reg = r
	now := j.opts.Now()
	for _, e := range r.entries {
		j.fence.Store(e.pid, e.epoch)
		// The start of a transaction is not in the file: one open at Open
		// gets the journal's timeout counted from now (never earlier).
		e.txnStart, e.txnTimeout = now, j.opts.TransactionTimeout
	}
	return nil
}

func encodeRegistry(r *registry) []byte {
	p := binary.BigEndian.AppendUint64(nil, uint64(r.next))
	names := slices.Sorted(maps.Keys(r.entries))
	p = binary.BigEndian.AppendUint32(p, uint32(len(names)))
	for _, n := range names {
		e := r.entries[n]
		p = appendStr(p, n)
		p = binary.BigEndian.AppendUint64(p, uint64(e.pid))
		p = binary.BigEndian.AppendUint32(p, e.epoch)
		p = e.txn.append(p)
	}
	return encodeEnvelope(magicProducers, p)
}

func decodeRegistry(b []byte) (*registry, error) {
	pl, err := decodeEnvelope(magicProducers, b)
	if err != nil {
		return nil, err
	}
	f := fixed{b: pl}
	r := &registry{next: f.i64(), entries: map[string]*regEntry{}}
	n := f.u32()
	if uint64(n) > uint64(len(pl)) {
		return nil, fmt.Errorf("%w: registry count %d", ErrCorrupt, n)
	}
	prev := ""
	for i := range n {
		name := f.str()
		e := &regEntry{pid: f.i64(), epoch: f.u32()}
		e.txn.read(&f)
		if f.err || !validName(name) || (i > 0 && name <= prev) || e.pid < 0 || e.pid >= r.next {
			return nil, fmt.Errorf("%w: registry entry %d", ErrCorrupt, i)
		}
		r.entries[name] = e
		prev = name
	}
	if !f.done() || r.next < 0 {
		return nil, fmt.Errorf("%w: malformed producer registry", ErrCorrupt)
	}
	return r, nil
}

func appendStr(p []byte, s string) []byte {
	p = binary.BigEndian.AppendUint32(p, uint32(len(s)))
	return append(p, s...)
}

// saveRegistry replaces the registry file; j.pmu is held.
func (j *Journal) saveRegistry() error {
	return vfs.WriteFileAtomic(j.fs, j.regFile(), encodeRegistry(j.reg))
}

// --- the producer ---

// Producer appends idempotently: each of its batches carries its id, its
// epoch and a sequence number per partition, and the partition acks a
// retried batch with its original offsets instead of writing it twice.
// Its methods are safe for concurrent use (appends of one producer are
// serialised).
type Producer struct {
	j     *Journal
	name  string
	id    int64
	epoch uint32

	mu  sync.Mutex
	seq map[TopicPartition]int32 // the next sequence per partition
	txn *txnProducer             // transactional state (txn.go)
}

// NewProducer returns the producer named name (1 to 200 of
// [A-Za-z0-9._-]), with its durable id and a new epoch: the first call for
// a name gives out a new id at epoch 0, every later one (also after a
// restart) bumps the epoch, which fences the previous instance (its appends
// fail with ErrProducerFenced) and ends its transaction, if any, as
// NewTransactionalProducer does. The registry file is replaced atomically
// before NewProducer returns.
func (j *Journal) NewProducer(name string) (*Producer, error) {
	return j.newProducer(context.Background(), name)
}

func (j *Journal) newProducer(ctx context.Context, name string) (*Producer, error) {
	if !validName(name) {
		return nil, fmt.Errorf("journal: invalid producer name %q (1 to 200 of [A-Za-z0-9._-])", name)
	}
	j.pmu.Lock()
	defer j.pmu.Unlock()
	if err := j.checkOpen(); err != nil {
		return nil, err
	}
	old, ok := j.reg.entries[name]
	e := &regEntry{pid: j.reg.next}
	next := j.reg.next + 1
	if ok {
		e = &regEntry{pid: old.pid, epoch: old.epoch + 1, txn: old.txn}
		next = j.reg.next
		if old.epoch == math.MaxUint32 { // epochs ran out: a new id
			if old.txn.state >= txnOngoing && old.txn.state <= txnPrepareAbort {
				return nil, fmt.Errorf("journal: producer %q: epochs exhausted with a transaction open", name)
			}
			e = &regEntry{pid: j.reg.next}
			next = j.reg.next + 1
		}
	}
	prevNext := j.reg.next
	j.reg.entries[name], j.reg.next = e, next
	if err := j.saveRegistry(); err != nil {
		if ok {
			j.reg.entries[name] = old
		} else {
			delete(j.reg.entries, name)
		}
		j.reg.next = prevNext
		return nil, fmt.Errorf("journal: new producer %q: %w", name, err)
	}
	j.fence.Store(e.pid, e.epoch)
	// The previous instance's transaction: one being committed is
	// committed, any other open one aborted.
	var err error
	switch e.txn.state {
	case txnOngoing, txnPrepareAbort:
		err = j.finishLocked(ctx, name, e, markerAbort)
	case txnPrepareCommit:
		err = j.finishLocked(ctx, name, e, markerCommit)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: producer %q: finishing the previous transaction: %w", name, err)
	}
	return &Producer{j: j, name: name, id: e.pid, epoch: e.epoch, seq: map[TopicPartition]int32{}}, nil
}

func (j *Journal) checkOpen() error {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return ErrClosed
	}
	return nil
}

// ID returns the producer's id and epoch.
func (p *Producer) ID() (id int64, epoch uint32) { return p.id, p.epoch }

// Append is Journal.Append with the producer's id, epoch and the next
// sequence of the partition. After an error the sequence is not consumed:
// retry the same records, and if the failed attempt was stored after all
// the retry is acked with its offsets instead of being written again.
func (p *Producer) Append(ctx context.Context, topic string, partition int, recs ...Record) (Offsets, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.txn != nil {
		return p.appendTxn(ctx, topic, partition, recs)
	}
	return p.appendLocked(ctx, topic, partition, 0, recs)
}

func (p *Producer) appendLocked(ctx context.Context, topic string, partition int, attrs uint16, recs []Record) (Offsets, error) {
	var tp TopicPartition
	off, err := p.j.appendWith(ctx, topic, partition, func(part int) *producerFields {
		tp = TopicPartition{topic, part}
		return &producerFields{attrs: attrs, pid: p.id, epoch: p.epoch, seq: p.seq[tp]}
	}, recs)
	if err == nil {
		p.seq[tp] += int32(len(recs))
	}
	return off, err
}

// ProducerSeq identifies a batch of an idempotent producer: its id and
// epoch (from Producer.ID) and the sequence of its first record in the
// partition (the producer's earlier batches there hold sequences 0 up to
// Seq-1 of this epoch).
type ProducerSeq struct {
	ID    int64
	Epoch uint32
	Seq   int32
}

// AppendSeq is Append with explicit producer fields, for a client that
// keeps its sequences itself (a remote producer, or a test replaying
// batches). A batch equal to one of the producer's last five in the
// partition (same epoch, sequence and count) is acked with its original
// offsets and not written; a sequence other than the next one fails with
// ErrOutOfOrderSequence (a gap) or ErrDuplicateSequence; an epoch below the
// producer's current one fails with ErrProducerFenced.
func (j *Journal) AppendSeq(ctx context.Context, topic string, partition int, ps ProducerSeq, recs ...Record) (Offsets, error) {
	return j.appendWith(ctx, topic, partition, func(int) *producerFields {
		return &producerFields{pid: ps.ID, epoch: ps.Epoch, seq: ps.Seq}
	}, recs)
}

// fenced checks a producer's epoch against the registry.
func (j *Journal) fenced(f *producerFields) error {
	cur, ok := j.fence.Load(f.pid)
	if !ok {
		return fmt.Errorf("journal: producer %d: %w", f.pid, ErrUnknownProducer)
	}
	if f.epoch < cur.(uint32) {
		return fmt.Errorf("journal: producer %d epoch %d, current %d: %w", f.pid, f.epoch, cur, ErrProducerFenced)
	}
	if f.seq < 0 && f.attrs&attrControl == 0 {
		return fmt.Errorf("journal: producer %d: negative sequence %d: %w", f.pid, f.seq, ErrOutOfOrderSequence)
	}
	return nil
}

// --- per partition: the producer state ---

type seqBatch struct {
	first, last int32
	off         int64 // offset of the first record
}

// prodState is what a partition keeps of one producer.
type prodState struct {
	epoch    uint32
	batches  []seqBatch // the last maxSeqBatches, oldest first
	txnFirst int64      // first offset of its open transaction here; -1 none
}

type abortedTxn struct {
	pid         int64
	first, last int64 // first offset of the transaction, offset of its abort marker
}

// prodTable is a partition's producer state. The holder of the
// partition's write lock (wmu) reads it freely and changes it only under partition.mu (merge); readers read
// it under partition.mu.
type prodTable struct {
	prods   map[int64]*prodState
	aborted []abortedTxn // by marker offset
	// forgot: retention may have pruned producers (the log start is above
	// 0), so the first batch of a producer unknown here may have any
	// sequence, as Kafka accepts from an unknown producer id.
	forgot bool
}

// prodOverlay holds the changes of batches not yet in the file.
type prodOverlay struct {
	m       map[int64]*prodState
	aborted []abortedTxn
}

func (t *prodTable) get(ov *prodOverlay, pid int64) *prodState {
	if s, ok := ov.m[pid]; ok {
		return s
	}
	return t.prods[pid]
}

// merge applies ov; partition.mu is held.
func (t *prodTable) merge(ov *prodOverlay) {
	if t.prods == nil {
		t.prods = map[int64]*prodState{}
	}
	maps.Copy(t.prods, ov.m)
	t.aborted = append(t.aborted, ov.aborted...)
	clear(ov.m)
	ov.aborted = ov.aborted[:0]
}

// check decides on a producer's batch to be written at base with count
// records: dup means it is a retry of the batch at *orig.
func (t *prodTable) check(ov *prodOverlay, f *producerFields, base int64, count int) (dup bool, orig int64, err error) {
	cur := t.get(ov, f.pid)
	if cur != nil && f.epoch < cur.epoch {
		return false, 0, fmt.Errorf("journal: producer %d epoch %d, the partition has seen %d: %w", f.pid, f.epoch, cur.epoch, ErrProducerFenced)
	}
	if f.attrs&attrControl == 0 {
		last := int32(-1)
		if cur != nil && f.epoch == cur.epoch {
			for _, b := range cur.batches {
				if b.first == f.seq {
					if int(b.last-b.first)+1 == count {
						return true, b.off, nil
					}
					break
				}
			}
			if n := len(cur.batches); n > 0 {
				last = cur.batches[n-1].last
			}
		}
		switch {
		case cur == nil && t.forgot:
			// its state may have gone with the log below the start
		case f.seq > last+1:
			return false, 0, fmt.Errorf("journal: producer %d epoch %d: sequence %d after %d: %w", f.pid, f.epoch, f.seq, last, ErrOutOfOrderSequence)
		case f.seq <= last:
			return false, 0, fmt.Errorf("journal: producer %d epoch %d: sequence %d at or below %d: %w", f.pid, f.epoch, f.seq, last, ErrDuplicateSequence)
		}
	}
	t.apply(ov, f, base, count)
	return false, 0, nil
}

// apply records a producer's batch at base (unchecked: recovery applies
// what the log holds).
func (t *prodTable) apply(ov *prodOverlay, f *producerFields, base int64, count int) {
	cur := t.get(ov, f.pid)
	ns := &prodState{epoch: f.epoch, txnFirst: -1}
	if cur != nil {
		ns.txnFirst = cur.txnFirst
		if cur.epoch == f.epoch {
			ns.batches = slices.Clone(cur.batches)
		}
	}
	if f.attrs&attrControl != 0 {
		if ns.txnFirst >= 0 && f.ctl == markerAbort {
			ov.aborted = append(ov.aborted, abortedTxn{f.pid, ns.txnFirst, base})
		}
		ns.txnFirst = -1
	} else {
		ns.batches = append(ns.batches, seqBatch{f.seq, f.seq + int32(count) - 1, base})
		if len(ns.batches) > maxSeqBatches {
			ns.batches = slices.Delete(ns.batches, 0, len(ns.batches)-maxSeqBatches)
		}
		if f.attrs&attrTransactional != 0 && ns.txnFirst < 0 {
			ns.txnFirst = base
		}
	}
	if ov.m == nil {
		ov.m = map[int64]*prodState{}
	}
	ov.m[f.pid] = ns
}

// prune drops what lies wholly below the log start: the aborted
// transactions whose marker is below it, and the producers without an open
// transaction whose last batch (of their current epoch) is below it, or
// who have none (Kafka expires such producer ids; the registry still fences
// their old epochs). It reports whether anything went; partition.mu is
// held (or the partition is not running yet).
func (t *prodTable) prune(start int64) bool {
	i := 0
	for i < len(t.aborted) && t.aborted[i].last < start {
		i++
	}
	changed := i > 0
	t.aborted = slices.Delete(t.aborted, 0, i)
	for pid, s := range t.prods {
		if s.txnFirst >= 0 {
			continue
		}
		if n := len(s.batches); n == 0 || s.batches[n-1].off < start {
			delete(t.prods, pid)
			changed = true
		}
	}
	t.forgot = t.forgot || start > 0
	return changed
}

// encodeSnapshot returns the producer.snapshot file for the state as of
// offset next.
func (t *prodTable) encodeSnapshot(next int64) []byte {
	p := binary.BigEndian.AppendUint64(nil, uint64(next))
	pids := slices.Sorted(maps.Keys(t.prods))
	p = binary.BigEndian.AppendUint32(p, uint32(len(pids)))
	for _, pid := range pids {
		s := t.prods[pid]
		p = binary.BigEndian.AppendUint64(p, uint64(pid))
		p = binary.BigEndian.AppendUint32(p, s.epoch)
		p = binary.BigEndian.AppendUint64(p, uint64(s.txnFirst))
		p = binary.BigEndian.AppendUint32(p, uint32(len(s.batches)))
		for _, b := range s.batches {
			p = binary.BigEndian.AppendUint32(p, uint32(b.first))
			p = binary.BigEndian.AppendUint32(p, uint32(b.last))
			p = binary.BigEndian.AppendUint64(p, uint64(b.off))
		}
	}
	p = binary.BigEndian.AppendUint32(p, uint32(len(t.aborted)))
	for _, a := range t.aborted {
		p = binary.BigEndian.AppendUint64(p, uint64(a.pid))
		p = binary.BigEndian.AppendUint64(p, uint64(a.first))
		p = binary.BigEndian.AppendUint64(p, uint64(a.last))
	}
	return encodeEnvelope(magicSnapshot, p)
}

func decodeSnapshot(b []byte) (next int64, t prodTable, err error) {
	pl, err := decodeEnvelope(magicSnapshot, b)
	if err != nil {
		return 0, t, err
	}
	f := fixed{b: pl}
	next = f.i64()
	n := f.u32()
	t.prods = map[int64]*prodState{}
	bad := func() (int64, prodTable, error) {
		return 0, prodTable{}, fmt.Errorf("%w: malformed producer snapshot", ErrCorrupt)
	}
	if uint64(n) > uint64(len(pl)) {
		return bad()
	}
	for range n {
		pid := f.i64()
		s := &prodState{epoch: f.u32(), txnFirst: f.i64()}
		nb := f.u32()
		if f.err || nb > maxSeqBatches || pid < 0 || s.txnFirst < -1 || t.prods[pid] != nil {
			return bad()
		}
		for range nb {
			s.batches = append(s.batches, seqBatch{int32(f.u32()), int32(f.u32()), f.i64()})
		}
		t.prods[pid] = s
	}
	na := f.u32()
	if uint64(na) > uint64(len(pl)) {
		return bad()
	}
	for range na {
		t.aborted = append(t.aborted, abortedTxn{f.i64(), f.i64(), f.i64()})
	}
	if !f.done() || next < 0 {
		return bad()
	}
	return next, t, nil
}

// writeSnapshot replaces producer.snapshot with the state as of offset
// next (by the holder of the write lock, at a roll and at Close). It saves the scan
// of the log at the next Open, so a failure is only logged.
func (p *partition) writeSnapshot(next int64) {
	if err := vfs.WriteFileAtomic(p.j.fs, filepath.Join(p.dir, snapshotFile), p.ps.encodeSnapshot(next)); err != nil {
		p.j.log.Warn("journal: cannot write the producer snapshot", "topic", p.topic, "partition", p.id, "err", err)
	}
}

// recoverProducers rebuilds the producer state at Open: from
// producer.snapshot when it is valid and lies inside the log, then by
// reading the batches after it (from the log start without a snapshot).
func (p *partition) recoverProducers() error {
	from := p.start
	p.ps = prodTable{prods: map[int64]*prodState{}}
	if b, err := vfs.ReadFile(p.j.fs, filepath.Join(p.dir, snapshotFile)); err == nil {
		next, t, err := decodeSnapshot(b)
		switch {
		case err != nil:
			p.j.log.Warn("journal: ignoring the producer snapshot", "topic", p.topic, "partition", p.id, "err", err)
		case next > p.hw:
			p.j.log.Warn("journal: ignoring a producer snapshot beyond the log end", "topic", p.topic, "partition", p.id, "snapshot", next, "end", p.hw)
		default:
			p.ps, from = t, max(next, p.start)
		}
	} else if !vfs.IsNotExist(err) {
		return err
	}
	var ov prodOverlay
	buf := new([]byte)
	for _, s := range p.segs {
		if s.next <= from {
			continue
		}
		_, err := s.visit(s.idx, s.size, max(from, s.base), math.MaxInt, math.MaxInt, buf, true, func(b []byte, info batchInfo, _ int) (int, error) {
			if info.hdr != batchHeaderSizeV2 {
				return info.count, nil
			}
			if _, err := checkBatch(b); err != nil {
				return 0, err
			}
			f := readProducerFields(b)
			if f.attrs&attrControl != 0 {
				var err error
				if f.ctl, err = markerType(b); err != nil {
					return 0, err
				}
			}
			p.ps.apply(&ov, &f, info.base, info.count)
			p.ps.merge(&ov)
			return info.count, nil
		})
		if err != nil {
			return fmt.Errorf("producer state: %w", err)
		}
	}
	// A snapshot written before retention moved the start (or a crash
	// between the two) holds state below it: pruned as retention does.
	p.ps.prune(p.start)
	return nil
}
