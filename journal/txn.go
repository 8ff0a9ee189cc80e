package journal

// Transactions (docs/format/journal.md §7, §9): a transactional producer
// writes to several partitions, then commits or aborts. The decision is
// recorded in the producer registry (prepare-commit, prepare-abort) before
// the markers are written to the partitions, so that a crash between the
// two is finished by the next Open; readers with ReadCommitted stop at the
// last stable offset and skip aborted records.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"time"
)

// txnState is the transaction state of a producer in the registry.
type txnState struct {
	state uint32           // txnNone .. txnCompleteAbort
	parts []TopicPartition // the partitions the transaction wrote to, sorted
}

const (
	txnNone = iota
	txnOngoing
	txnPrepareCommit
	txnPrepareAbort
	txnCompleteCommit
	txnCompleteAbort
)

// Transaction errors, to be tested with errors.Is.
var (
	// ErrTransactionAborted: CommitTransaction of a transaction that was
	// aborted.
	ErrTransactionAborted = errors.New("journal: transaction was aborted")
	// ErrTransactionState: Begin with a transaction open, or Append,
	// Commit or Abort without one.
	ErrTransactionState = errors.New("journal: invalid transaction state")
)

func (s txnState) append(p []byte) []byte {
	p = appendU32(p, s.state)
	p = appendU32(p, uint32(len(s.parts)))
	for _, tp := range s.parts {
		p = appendStr(p, tp.Topic)
		p = appendU32(p, uint32(tp.Partition))
	}
	return p
}

func (s *txnState) read(f *fixed) {
	s.state = f.u32()
	n := f.u32()
	if s.state > txnCompleteAbort || uint64(n) > uint64(len(f.b)) {
		f.err = true
		return
	}
	for range n {
		tp := TopicPartition{Topic: f.str()}
		tp.Partition = int(f.u32())
		s.parts = append(s.parts, tp)
	}
}

func appendU32(p []byte, v uint32) []byte {
	return append(p, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// txnProducer is the transactional side of a Producer (Producer.mu).
type txnProducer struct {
	open    bool
	parts   map[TopicPartition]bool
	timeout time.Duration // Options.TransactionTimeout unless set
}

// SetTransactionTimeout sets the timeout of this producer's transactions
// that start (write to their first partition) after it, overriding
// Options.TransactionTimeout; d < 0 means never. It fails with
// ErrTransactionState on a producer without transactions.
func (p *Producer) SetTransactionTimeout(d time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.txn == nil {
		return fmt.Errorf("journal: producer %q: SetTransactionTimeout: not transactional: %w", p.name, ErrTransactionState)
	}
	p.txn.timeout = d
	return nil
}

// Isolation says which records a read returns.
type Isolation int

const (
	// ReadUncommitted (the default, as Kafka's consumer): every record up
	// to the end offset, also of open and aborted transactions.
	ReadUncommitted Isolation = iota
	// ReadCommitted: only records up to the last stable offset (before
	// the first record of a transaction still open), without the records
	// of aborted transactions. The journal connector reads this way.
	ReadCommitted
)

// NewTransactionalProducer is NewProducer for a producer with
// transactions. Re-initialising a name fences the previous instance and
// finishes its transaction: one that was committing (Commit started) is
// committed, any other open one is aborted, before this returns.
func (j *Journal) NewTransactionalProducer(ctx context.Context, name string) (*Producer, error) {
	p, err := j.newProducer(ctx, name)
	if err != nil {
		return nil, err
	}
	p.txn = &txnProducer{timeout: j.opts.TransactionTimeout}
	return p, nil
}

// setTxnLocked replaces the transaction state of producer name, whose
// current instance must be (pid, epoch); j.pmu is held.
func (j *Journal) setTxnLocked(name string, pid int64, epoch uint32, st txnState) error {
	e := j.reg.entries[name]
	if e == nil || e.pid != pid || e.epoch != epoch {
		return fmt.Errorf("journal: producer %q epoch %d: %w", name, epoch, ErrProducerFenced)
	}
	old := e.txn
	e.txn = st
	if err := j.saveRegistry(); err != nil {
		e.txn = old
		return fmt.Errorf("journal: producer %q: transaction state: %w", name, err)
	}
	return nil
}

// finishLocked records the decision durably, writes a marker of type typ
// to every partition of e's transaction and records its completion;
// j.pmu is held. Run again after a failure, it completes the same
// transaction (an extra marker in a partition is harmless).
func (j *Journal) finishLocked(ctx context.Context, name string, e *regEntry, typ int) error {
	prep, done := uint32(txnPrepareAbort), uint32(txnCompleteAbort)
	if typ == markerCommit {
		prep, done = txnPrepareCommit, txnCompleteCommit
	}
	parts := e.txn.parts
	if (typ == markerCommit && e.txn.state == txnPrepareAbort) || (typ == markerAbort && e.txn.state == txnPrepareCommit) {
		return fmt.Errorf("journal: producer %q: the transaction is already being ended the other way: %w", name, ErrTransactionState)
	}
	if e.txn.state != prep {
		// The transaction's records are durable before the decision (in
		// Relaxed mode too): a decided commit never lacks records.
		if err := j.syncParts(parts); err != nil {
			return err
		}
		if err := j.setTxnLocked(name, e.pid, e.epoch, txnState{state: prep, parts: parts}); err != nil {
			return err
		}
	}
	for _, tp := range parts {
		f := &producerFields{attrs: attrTransactional | attrControl, pid: e.pid, epoch: e.epoch, seq: -1, ctl: typ}
		rec := controlRecord(typ, j.opts.Now().UnixMilli())
		if _, err := j.appendWith(ctx, tp.Topic, tp.Partition, func(int) *producerFields { return f }, []Record{rec}); err != nil {
			if errors.Is(err, ErrUnknownTopic) {
				continue // the topic is gone: nothing to mark
			}
			return fmt.Errorf("journal: marker in %v: %w", tp, err)
		}
	}
	// The markers are durable before the transaction is complete.
	if err := j.syncParts(parts); err != nil {
		return err
	}
	return j.setTxnLocked(name, e.pid, e.epoch, txnState{state: done})
}

// syncParts makes what was written to the partitions durable (a no-op in
// Durable mode, where every ack followed an fsync).
func (j *Journal) syncParts(parts []TopicPartition) error {
	if j.opts.Durability == Durable {
		return nil
	}
	for _, tp := range parts {
		p, err := j.partition(tp.Topic, tp.Partition)
		if errors.Is(err, ErrUnknownTopic) {
			continue
		}
		if err != nil {
			return err
		}
		done := make(chan error, 1)
		select {
		case p.ctl <- func() {
			err := p.failure()
			if err == nil && p.dirty {
				if err = p.syncData(); err != nil {
					err = p.failSync(err) // a failed data sync: never advise a same-boot reopen in Relaxed mode
				}
				p.dirty = false
			}
			done <- err
		}:
		case <-p.quit:
			return ErrClosed
		}
		if err := <-done; err != nil {
			return err
		}
	}
	return nil
}

// finishPrepared completes, at Open, the transactions whose decision was
// recorded but whose markers may be missing.
func (j *Journal) finishPrepared() {
	j.pmu.Lock()
	defer j.pmu.Unlock()
	for name, e := range j.reg.entries {
		typ := -1
		switch e.txn.state {
		case txnPrepareCommit:
			typ = markerCommit
		case txnPrepareAbort:
			typ = markerAbort
		}
		if typ < 0 {
			continue
		}
		if err := j.finishLocked(context.Background(), name, e, typ); err != nil {
			j.log.Warn("journal: cannot finish a prepared transaction (retried at the next Open or NewTransactionalProducer)", "producer", name, "err", err)
		}
	}
}

// Begin starts a transaction.
func (p *Producer) Begin() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.txn == nil || p.txn.open {
		return fmt.Errorf("journal: producer %q: Begin: %w", p.name, ErrTransactionState)
	}
	p.txn.open, p.txn.parts = true, map[TopicPartition]bool{}
	return nil
}

// appendTxn appends in the open transaction: a partition new to it is
// added to the registry (durably) before anything is written there.
// p.mu is held.
func (p *Producer) appendTxn(ctx context.Context, topic string, partition int, recs []Record) (Offsets, error) {
	if !p.txn.open {
		return Offsets{}, fmt.Errorf("journal: producer %q: Append without Begin: %w", p.name, ErrTransactionState)
	}
	if partition == AnyPartition {
		t, err := p.j.topic(topic)
		if err != nil {
			return Offsets{}, err
		}
		if recs[0].Key != nil {
			partition, _ = p.j.PartitionFor(topic, recs[0].Key)
		} else {
			partition = int((t.rr.Add(1) - 1) % uint64(len(t.parts)))
		}
	}
	tp := TopicPartition{topic, partition}
	if !p.txn.parts[tp] {
		if _, err := p.j.partition(topic, partition); err != nil {
			return Offsets{}, err
		}
		p.j.pmu.Lock()
		e := p.j.reg.entries[p.name]
		var parts []TopicPartition
		starts := true
		if e != nil {
			parts = append(parts, e.txn.parts...)
			if e.txn.state != txnOngoing {
				parts = nil
			} else {
				starts = false
			}
		}
		parts = append(parts, tp)
		slices.SortFunc(parts, func(a, b TopicPartition) int {
			return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
		})
		err := p.j.setTxnLocked(p.name, p.id, p.epoch, txnState{state: txnOngoing, parts: parts})
		if err == nil && starts {
			// The transaction's clock starts with its first partition
			// (Kafka: the first AddPartitionsToTxn).
			e.txnStart, e.txnTimeout = p.j.opts.Now(), p.txn.timeout
		}
		p.j.pmu.Unlock()
		if err != nil {
			return Offsets{}, err
		}
		p.txn.parts[tp] = true
	}
	return p.appendLocked(ctx, topic, partition, attrTransactional, recs)
}

// Flush makes the records of the open transaction durable: the
// pre-commit of a two-phase-commit sink, after which CommitTransaction can
// commit them after a crash. In Durable mode they already are (every
// Append returned after an fsync).
func (p *Producer) Flush(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.txn == nil || !p.txn.open {
		return fmt.Errorf("journal: producer %q: Flush without Begin: %w", p.name, ErrTransactionState)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.j.syncParts(slices.Collect(maps.Keys(p.txn.parts)))
}

// Commit commits the open transaction: its records become visible to
// ReadCommitted readers. The decision is durable before any marker is
// written; after an error Commit may be called again, and a crash is
// finished by the next Open (or CommitTransaction).
func (p *Producer) Commit(ctx context.Context) error { return p.end(ctx, markerCommit) }

// Abort aborts the open transaction: ReadCommitted readers never see its
// records.
func (p *Producer) Abort(ctx context.Context) error { return p.end(ctx, markerAbort) }

func (p *Producer) end(ctx context.Context, typ int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.txn == nil || !p.txn.open {
		return fmt.Errorf("journal: producer %q: Commit or Abort without Begin: %w", p.name, ErrTransactionState)
	}
	p.j.pmu.Lock()
	defer p.j.pmu.Unlock()
	e := p.j.reg.entries[p.name]
	if e == nil || e.pid != p.id || e.epoch != p.epoch {
		if expiredBy(e, p.id, p.epoch) {
			return fmt.Errorf("journal: producer %q epoch %d: the transaction timed out: %w (%w)", p.name, p.epoch, ErrTransactionAborted, ErrProducerFenced)
		}
		return fmt.Errorf("journal: producer %q epoch %d: %w", p.name, p.epoch, ErrProducerFenced)
	}
	if len(p.txn.parts) > 0 && e.txn.state == txnCompleteAbort {
		// Aborted by its timeout without an epoch bump (epochs ran out).
		p.txn.open = false
		return fmt.Errorf("journal: producer %q: the transaction timed out: %w", p.name, ErrTransactionAborted)
	}
	if len(p.txn.parts) > 0 {
		if err := p.j.finishLocked(ctx, p.name, e, typ); err != nil {
			return err
		}
	}
	p.txn.open = false
	return nil
}

// CommitTransaction commits the transaction of producer name at (id,
// epoch), as a two-phase-commit sink does after a restore: its records
// were appended (pre-committed) before the crash by an instance that is
// gone. It is idempotent: a transaction already committed returns nil; one
// that was aborted returns ErrTransactionAborted; ErrProducerFenced means
// a newer instance of the name exists (its initialisation aborted the
// transaction unless it was committing). Call it before
// NewTransactionalProducer re-initialises the name.
func (j *Journal) CommitTransaction(ctx context.Context, name string, id int64, epoch uint32) error {
	j.pmu.Lock()
	defer j.pmu.Unlock()
	if err := j.checkOpen(); err != nil {
		return err
	}
	e := j.reg.entries[name]
	if e == nil || e.pid != id || e.epoch != epoch {
		if expiredBy(e, id, epoch) {
			return fmt.Errorf("journal: producer %q id %d epoch %d: the transaction timed out: %w (%w)", name, id, epoch, ErrTransactionAborted, ErrProducerFenced)
		}
		return fmt.Errorf("journal: producer %q id %d epoch %d: %w", name, id, epoch, ErrProducerFenced)
	}
	switch e.txn.state {
	case txnOngoing, txnPrepareCommit:
		return j.finishLocked(ctx, name, e, markerCommit)
	case txnCompleteCommit:
		return nil
	case txnPrepareAbort, txnCompleteAbort:
		return fmt.Errorf("journal: producer %q: %w", name, ErrTransactionAborted)
	}
	return fmt.Errorf("journal: producer %q has no transaction: %w", name, ErrTransactionState)
}

// --- transaction timeout ---

// expiredBy says whether e's epoch was bumped by the journal when the
// transaction of (id, epoch) timed out (and no instance came since).
func expiredBy(e *regEntry, id int64, epoch uint32) bool {
	return e != nil && e.expired && e.pid == id && e.epoch > 0 && e.epoch-1 == epoch
}

// expireLoop runs ExpireTransactions every TransactionCheck until Close.
func (j *Journal) expireLoop() {
	defer j.bg.Done()
	t := time.NewTicker(j.opts.TransactionCheck)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := j.ExpireTransactions(context.Background()); err != nil && !errors.Is(err, ErrClosed) {
				j.log.Warn("journal: transaction expiry (retried at the next check)", "err", err)
			}
		case <-j.quit:
			return
		}
	}
}

// ExpireTransactions aborts every transaction open longer than its
// timeout, as the journal's background check does every
// Options.TransactionCheck (call it to check now, e.g. with a fake clock).
// The producer's epoch is bumped first (durably, in the registry), which
// fences the instance that opened it: its Append and Commit fail with
// ErrProducerFenced, and its Commit and CommitTransaction also with
// ErrTransactionAborted. Then the abort is recorded and its markers
// written as by Abort, so the last stable offset moves past it. It also
// retries the transactions in a prepare state that could not be finished.
func (j *Journal) ExpireTransactions(ctx context.Context) error {
	j.pmu.Lock()
	defer j.pmu.Unlock()
	if err := j.checkOpen(); err != nil {
		return err
	}
	now := j.opts.Now()
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(j.reg.entries)) {
		e := j.reg.entries[name]
		switch e.txn.state {
		case txnPrepareCommit:
			errs = append(errs, j.finishLocked(ctx, name, e, markerCommit))
			continue
		case txnPrepareAbort:
			errs = append(errs, j.finishLocked(ctx, name, e, markerAbort))
			continue
		case txnOngoing:
		default:
			continue
		}
		if e.txnTimeout < 0 || now.Sub(e.txnStart) < e.txnTimeout {
			continue
		}
		if e.epoch == math.MaxUint32 {
			// No epoch left to fence with: abort without a bump (the
			// instance's Commit then fails with ErrTransactionAborted).
			errs = append(errs, j.finishLocked(ctx, name, e, markerAbort))
			continue
		}
		ne := &regEntry{pid: e.pid, epoch: e.epoch + 1, txn: e.txn, txnStart: e.txnStart, txnTimeout: e.txnTimeout, expired: true}
		j.reg.entries[name] = ne
		if err := j.saveRegistry(); err != nil {
			j.reg.entries[name] = e
			errs = append(errs, fmt.Errorf("journal: producer %q: expiring its transaction: %w", name, err))
			continue
		}
		j.fence.Store(ne.pid, ne.epoch)
		j.log.Warn("journal: aborting a transaction that timed out", "producer", name, "id", e.pid, "epoch", e.epoch, "timeout", e.txnTimeout)
		if err := j.finishLocked(ctx, name, ne, markerAbort); err != nil {
			errs = append(errs, fmt.Errorf("journal: producer %q: aborting its expired transaction: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// --- reading ---

// lsoLocked is the last stable offset: the first offset of the oldest
// open transaction, or the end; p.mu is held.
func (p *partition) lsoLocked() int64 {
	lso := p.hw
	for _, s := range p.ps.prods {
		if s.txnFirst >= 0 {
			lso = min(lso, s.txnFirst)
		}
	}
	return lso
}

// LastStableOffset returns a partition's last stable offset: ReadCommitted
// readers see the records below it (those not aborted).
func (j *Journal) LastStableOffset(topic string, partition int) (int64, error) {
	p, err := j.partition(topic, partition)
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lsoLocked(), nil
}

// filtered says whether reads of p need the batch-level path: the
// partition holds producer batches or the read is ReadCommitted.
func (p *partition) filtered(iso Isolation) bool {
	if iso == ReadCommitted {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ps.prods) > 0
}

// Fetch is Read that also returns the offset to read from next: after the
// last record returned, or after the records it skipped (transaction
// markers, aborted records with ReadCommitted), so that a reader never
// reads a range with nothing visible twice.
func (j *Journal) Fetch(ctx context.Context, topic string, partition int, from int64, opts ReadOptions) ([]Message, int64, error) {
	p, err := j.partition(topic, partition)
	if err != nil {
		return nil, from, err
	}
	if err := ctx.Err(); err != nil {
		return nil, from, err
	}
	mb, mr := opts.limits()
	return p.fetch(from, mb, mr, opts.Isolation)
}

// fetch reads batch by batch up to the isolation's bound, skipping control
// batches and (ReadCommitted) aborted ones; it goes on until it has a
// record or reaches the bound or a limit.
func (p *partition) fetch(from int64, maxBytes, maxRecords int, iso Isolation) ([]Message, int64, error) {
	vs, start, end := p.acquire(from, false)
	defer p.release(vs)
	if err := p.quarantined(from); err != nil {
		return nil, from, err
	}
	if from < start || from > end {
		return nil, from, fmt.Errorf("journal: %v: offset %d outside [%d, %d]: %w", p, from, start, end, ErrOffsetOutOfRange)
	}
	bound := end
	var aborted []abortedTxn
	if iso == ReadCommitted {
		p.mu.Lock()
		bound = min(end, p.lsoLocked())
		i := sort.Search(len(p.ps.aborted), func(i int) bool { return p.ps.aborted[i].last > from })
		aborted = slices.Clone(p.ps.aborted[i:])
		p.mu.Unlock()
	}
	isAborted := func(pid, off int64) bool {
		for _, a := range aborted {
			if a.pid == pid && a.first <= off && off < a.last {
				return true
			}
		}
		return false
	}
	var out []Message
	next, read := from, 0
	for _, v := range vs {
		if next >= bound {
			break
		}
		reached := false
		n, err := v.s.visit(v.idx, v.limit, max(next, v.s.base), max(maxBytes-read, 1), maxRecords-len(out), nil, false, func(b []byte, info batchInfo, _ int) (int, error) {
			if info.base >= bound {
				reached = true
				return 0, errStop
			}
			if info.hdr == batchHeaderSizeV2 {
				f := readProducerFields(b)
				if f.attrs&attrControl != 0 || (f.attrs&attrTransactional != 0 && iso == ReadCommitted && isAborted(f.pid, info.base)) {
					if _, err := checkBatch(b); err != nil {
						return 0, err
					}
					next = info.next()
					return 0, nil
				}
			}
			before := len(out)
			var err error
			if out, err = decodeBatch(b, p.id, next, out); err != nil {
				return 0, err
			}
			if len(out) > maxRecords {
				out = out[:maxRecords]
			}
			next = out[len(out)-1].Offset + 1
			return len(out) - before, nil
		})
		read += n
		if err != nil && !reached {
			// A bad batch is damage, as for read: quarantine (L4).
			return nil, from, p.damaged(fmt.Errorf("journal: read %v at offset %d: %w", p, from, err))
		}
		if reached || next < v.next || len(out) >= maxRecords || read >= maxBytes {
			break
		}
	}
	return out, next, nil
}

// pollFiltered waits until a record at or after from is visible with iso
// and returns the records from there.
func (p *partition) pollFiltered(ctx context.Context, from int64, maxBytes, maxRecords int, iso Isolation) ([]Message, error) {
	for {
		if _, err := p.waitStable(ctx, from, iso); err != nil {
			return nil, err
		}
		ms, next, err := p.fetch(from, maxBytes, maxRecords, iso)
		if err != nil || len(ms) > 0 {
			return ms, err
		}
		from = next
	}
}

// waitStable is wait with the bound of iso (the last stable offset for
// ReadCommitted).
func (p *partition) waitStable(ctx context.Context, off int64, iso Isolation) (int64, error) {
	if iso != ReadCommitted {
		return p.wait(ctx, off)
	}
	for {
		p.mu.Lock()
		lso, hw, ch, failed := p.lsoLocked(), p.hw, p.notify, p.failed
		p.mu.Unlock()
		if lso > off {
			return lso, nil
		}
		if off > hw {
			return lso, fmt.Errorf("journal: %v: wait for offset %d beyond the end %d: %w", p, off, hw, ErrOffsetOutOfRange)
		}
		if failed != nil {
			return lso, failed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return lso, ctx.Err()
		case <-p.quit:
			return lso, ErrClosed
		}
	}
}
