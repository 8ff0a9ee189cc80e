package kafka

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// txnRef identifies one transaction of the sink: every transaction runs
// on a new producer, whose InitProducerID gives its transactional id a
// new epoch.
type txnRef struct {
	id    string
	pid   int64
	epoch int16
}

func (t txnRef) String() string {
	return fmt.Sprintf("transactional id %q producer id %d epoch %d", t.id, t.pid, t.epoch)
}

// committable (version 1): subtask, parallelism, pool size, checkpoint,
// prefix, then the transactions handed over and not known committed.
type committable struct {
	subtask, parallelism, poolSize int
	ckpt                           int64
	prefix                         string
	txns                           []txnRef
}

const committableVersion = 1

func (c committable) encode() []byte {
	b := []byte{committableVersion}
	b = binary.BigEndian.AppendUint32(b, uint32(c.subtask))
	b = binary.BigEndian.AppendUint32(b, uint32(c.parallelism))
	b = binary.BigEndian.AppendUint32(b, uint32(c.poolSize))
	b = binary.BigEndian.AppendUint64(b, uint64(c.ckpt))
	b = binary.BigEndian.AppendUint16(b, uint16(len(c.prefix)))
	b = append(b, c.prefix...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.txns)))
	for _, t := range c.txns {
		b = binary.BigEndian.AppendUint16(b, uint16(len(t.id)))
		b = append(b, t.id...)
		b = binary.BigEndian.AppendUint64(b, uint64(t.pid))
		b = binary.BigEndian.AppendUint16(b, uint16(t.epoch))
	}
	return b
}

func decodeCommittable(b []byte) (committable, error) {
	bad := fmt.Errorf("kafka sink: bad committable %x", b)
	if len(b) < 23 || b[0] != committableVersion {
		return committable{}, bad
	}
	c := committable{subtask: int(binary.BigEndian.Uint32(b[1:])), parallelism: int(binary.BigEndian.Uint32(b[5:])),
		poolSize: int(binary.BigEndian.Uint32(b[9:])), ckpt: int64(binary.BigEndian.Uint64(b[13:]))}
	l := int(binary.BigEndian.Uint16(b[21:]))
	b = b[23:]
	if len(b) < l+4 {
		return committable{}, bad
	}
	c.prefix = string(b[:l])
	n := binary.BigEndian.Uint32(b[l:])
	b = b[l+4:]
	for range n {
		if len(b) < 2 {
			return committable{}, bad
		}
		l := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+l+10 {
			return committable{}, bad
		}
		t := txnRef{id: string(b[2 : 2+l])}
		b = b[2+l:]
		t.pid, t.epoch = int64(binary.BigEndian.Uint64(b)), int16(binary.BigEndian.Uint16(b[8:]))
		b = b[10:]
		c.txns = append(c.txns, t)
	}
	if len(b) != 0 {
		return committable{}, bad
	}
	return c, nil
}

// Commit implements connector.Committer. Every transaction is committed
// by an EndTxn request with its transactional id, producer id and epoch,
// whether its producer is still open in this process (it is closed after)
// or not (after a restart). The broker answers:
//
//   - no error: committed now, or already committed (a retry: the broker
//     remembers how the transaction at that epoch ended);
//   - INVALID_TXN_STATE: the transaction at that epoch ended by an abort
//     (it expired after TransactionTimeout, or an InitProducerID of its id
//     fenced it): ErrDataLost;
//   - PRODUCER_FENCED / INVALID_PRODUCER_EPOCH: the id was initialised
//     again after the transaction ended, so the broker no longer says how
//     it ended. The sink never re-initialises an id that a checkpoint it
//     may restore still lists, so this means it was aborted by a timeout
//     (brokers before KIP-890 bump the epoch then) or fenced by someone
//     else using the id: ErrDataLost, with that explanation;
//   - INVALID_PRODUCER_ID_MAPPING / TRANSACTIONAL_ID_NOT_FOUND: the broker
//     forgot the id (transactional.id.expiration.ms): ErrDataLost, as it
//     cannot be confirmed.
//
// Commit never reports success for a transaction it cannot confirm.
func (s *Sink[T]) Commit(ctx context.Context, committables [][]byte) error {
	if s.o.Guarantee != ExactlyOnce {
		return nil
	}
	for _, raw := range committables {
		c, err := decodeCommittable(raw)
		if err != nil {
			return err
		}
		for _, t := range c.txns {
			s.mu.Lock()
			done := s.committed[t.id] == t
			s.mu.Unlock()
			if done {
				continue
			}
			if err := s.commitTxn(ctx, t); err != nil {
				return fmt.Errorf("kafka sink: commit the transaction of checkpoint %d, subtask %d (%v): %w", c.ckpt, c.subtask, t, err)
			}
			s.mu.Lock()
			s.committed[t.id] = t // replaces the id's older transaction: the map stays as big as the pool
			s.mu.Unlock()
		}
		s.setDone(c)
	}
	return nil
}

func (s *Sink[T]) setDone(c committable) {
	names := map[string]bool{}
	for _, t := range c.txns {
		names[t.id] = true
	}
	s.mu.Lock()
	if d, ok := s.done[c.subtask]; !ok || c.ckpt >= d.ckpt {
		s.done[c.subtask] = doneState{ckpt: c.ckpt, names: names}
	}
	s.mu.Unlock()
}

func (s *Sink[T]) commitTxn(ctx context.Context, t txnRef) error {
	s.mu.Lock()
	l := s.live[t]
	delete(s.live, t)
	s.mu.Unlock()
	if l != nil {
		// Not l.cl.EndTransaction: kgo may turn TryCommit into an abort
		// and return nil (it does when it believes no partition was
		// added to the transaction); EndTxn answers what happened.
		defer l.cl.Close()
	}
	return s.endTxn(ctx, t)
}

// retriable are the coordinator errors after which a transaction request
// is sent again (a real broker answers CONCURRENT_TRANSACTIONS while it
// completes an abort or commit).
func retriable(err error) bool {
	return errors.Is(err, kerr.ConcurrentTransactions) || errors.Is(err, kerr.CoordinatorLoadInProgress) ||
		errors.Is(err, kerr.NotCoordinator) || errors.Is(err, kerr.CoordinatorNotAvailable) ||
		errors.Is(err, kerr.RequestTimedOut)
}

// request sends req (built by mk for every attempt) through the sink's
// client and returns the response's error code as an error, retrying
// retriable ones.
func (s *Sink[T]) request(ctx context.Context, what string, mk func() kmsg.Request, code func(kmsg.Response) int16) error {
	cl, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	backoff := 20 * time.Millisecond
	for attempt := 0; ; attempt++ {
		resp, err := cl.Request(ctx, mk())
		if err == nil {
			err = kerr.ErrorForCode(code(resp))
		}
		switch {
		case err == nil:
			return nil
		case !retriable(err):
			return err
		case attempt >= 40:
			return fmt.Errorf("%s: gave up after %d attempts: %w", what, attempt+1, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last error %v)", what, ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// endTxn commits t with a raw EndTxn request.
func (s *Sink[T]) endTxn(ctx context.Context, t txnRef) error {
	err := s.request(ctx, "EndTxn", func() kmsg.Request {
		r := kmsg.NewPtrEndTxnRequest()
		r.TransactionalID, r.ProducerID, r.ProducerEpoch, r.Commit = t.id, t.pid, t.epoch, true
		return r
	}, func(r kmsg.Response) int16 { return r.(*kmsg.EndTxnResponse).ErrorCode })
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kerr.InvalidTxnState):
		return fmt.Errorf("%w: the broker aborted it (it expired after the transaction timeout %v, or an InitProducerID of its id fenced it): %v",
			ErrDataLost, s.o.TransactionTimeout, err)
	case errors.Is(err, kerr.ProducerFenced), errors.Is(err, kerr.InvalidProducerEpoch):
		return fmt.Errorf("%w: its transactional id has a newer epoch, so it ended and the id was initialised again; "+
			"the sink does not reuse an id a restorable checkpoint lists, so it was aborted (expired after the transaction timeout %v) "+
			"or fenced by another producer using the id (is the TransactionalIDPrefix shared with another sink or job?): %v",
			ErrDataLost, s.o.TransactionTimeout, err)
	case errors.Is(err, kerr.InvalidProducerIDMapping), errors.Is(err, kerr.TransactionalIDNotFound):
		return fmt.Errorf("%w: the broker does not know the producer any more (transactional.id.expiration.ms passed?), the commit cannot be confirmed: %v",
			ErrDataLost, err)
	}
	return err
}

// fence initialises transactional id id, which aborts the transaction it
// has open (a real broker answers CONCURRENT_TRANSACTIONS until the abort
// is complete).
func (s *Sink[T]) fence(ctx context.Context, id string) error {
	err := s.request(ctx, "InitProducerID", func() kmsg.Request {
		r := kmsg.NewPtrInitProducerIDRequest()
		r.TransactionalID = &id
		r.TransactionTimeoutMillis = int32(s.o.TransactionTimeout / time.Millisecond)
		r.ProducerID, r.ProducerEpoch = -1, -1
		return r
	}, func(r kmsg.Response) int16 { return r.(*kmsg.InitProducerIDResponse).ErrorCode })
	if err != nil {
		return fmt.Errorf("kafka sink: abort the transaction of %q: %w", id, explainInit(err, s.o.TransactionTimeout))
	}
	return nil
}

// explainInit says what an InitProducerID error means.
func explainInit(err error, timeout time.Duration) error {
	if errors.Is(err, kerr.InvalidTransactionTimeout) {
		return fmt.Errorf("the broker rejected transaction timeout %v: it is above the broker's transaction.max.timeout.ms (default 15m); lower TransactionTimeout or raise transaction.max.timeout.ms: %w", timeout, err)
	}
	return err
}

// Transactional reports whether the sink writes through Kafka
// transactions made visible when a checkpoint completes (ExactlyOnce).
func (s *Sink[T]) Transactional() bool { return s.o.Guarantee == ExactlyOnce }

// AbortExcept implements connector.Committer: it initialises every
// transactional id of the pools of the subtasks the kept committables and
// this Sink's earlier writers know of (their parallelism and pool size),
// except the kept ids, which aborts the transactions they have open.
// Writers abort the rest of their own pool when they open. The engine
// calls it after Commit of keep: kept ids are never touched.
func (s *Sink[T]) AbortExcept(ctx context.Context, keep [][]byte) error {
	if s.o.Guarantee != ExactlyOnce {
		return nil
	}
	pinned := map[string]bool{}
	s.mu.Lock()
	par, pool := s.maxPar, s.o.PoolSize
	s.mu.Unlock()
	prefixes := map[string]bool{s.o.TransactionalIDPrefix: true}
	for _, raw := range keep {
		c, err := decodeCommittable(raw)
		if err != nil {
			return err
		}
		par, pool = max(par, c.parallelism), max(pool, c.poolSize)
		prefixes[c.prefix] = true
		for _, t := range c.txns {
			pinned[t.id] = true
		}
		s.setDone(c)
	}
	// Producers of handed-over transactions that no kept committable
	// lists: their transactions are aborted below.
	s.mu.Lock()
	for t, l := range s.live {
		if !pinned[t.id] {
			l.cl.Close()
			delete(s.live, t)
		}
	}
	s.mu.Unlock()
	for prefix := range prefixes {
		for sub := range par {
			for slot := range pool {
				if id := txnID(prefix, sub, slot); !pinned[id] {
					if err := s.fence(ctx, id); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
