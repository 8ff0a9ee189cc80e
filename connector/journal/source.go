package journal

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
	jl "github.com/stromio/strom/journal"
)

// StartKind says where a split starts when the job does not restore a
// position from a checkpoint.
type StartKind int

const (
	// Earliest: the log start offset of each partition (the default).
	Earliest StartKind = iota
	// Latest: the end of each partition when the job starts (the last
	// stable offset with ReadCommitted).
	Latest
	// Committed: the consumer group's committed offsets
	// (journal.GroupOffsets of StartAt.Group); a partition without one
	// starts at the earliest offset.
	Committed
	// Explicit: StartAt.Offsets; a partition missing there starts at the
	// earliest offset.
	Explicit
)

// StartAt is where the source starts.
type StartAt struct {
	Kind    StartKind
	Group   string        // Committed
	Offsets map[int]int64 // Explicit: partition -> next offset to read
}

// SourceOptions configure a Source[T].
type SourceOptions[T any] struct {
	// Topic is the topic to read (required; it must exist).
	Topic string
	// Codec decodes a record's value. Decode, if set, is used instead and
	// sees the whole message (key, value, headers, timestamp, offset).
	// One of the two is required.
	Codec  codec.Codec[T]
	Decode func(m *jl.Message) (T, error)
	// StartAt is where to start without a checkpoint (default Earliest).
	StartAt StartAt
	// Isolation: ReadCommitted (the default, ReadUncommitted must be asked
	// for explicitly with Uncommitted).
	Uncommitted bool
	// Bounded: each split stops at the end offset seen when the job starts
	// (Splits): the end offset, or with ReadCommitted the last stable
	// offset. Otherwise the source tails the partitions forever.
	Bounded bool
	// MaxBytes bounds one read (default 1 MiB).
	MaxBytes int
	// OnError is the policy for records that do not decode: Fail (the
	// default, a DecodeError), Skip (counted in Source.Skipped) or
	// DeadLetterQueue (stream.DeadLetters of the source's stream).
	OnError connector.OnError
	// CommitGroup, when set, receives each completed checkpoint's offsets
	// (journal.CommitOffsets), so that lag can be watched by group; the
	// job itself restores from its checkpoints, never from the group.
	CommitGroup string
}

// Source reads a journal topic: one split per partition, whose position is
// the next offset to read. Its readers implement connector.Timestamped
// (record timestamps, milliseconds) and, when unbounded,
// connector.Notifier (a wait on the journal, no busy loop).
//
// A record that does not decode is handled by SourceOptions.OnError: by
// default it fails the read with an error naming the topic, partition and
// offset (DecodeError).
type Source[T any] struct {
	j    *jl.Journal
	opts SourceOptions[T]
	iso  jl.Isolation

	skipped atomic.Int64
}

// Skipped is the number of records OnError Skip dropped.
func (s *Source[T]) Skipped() int64 { return s.skipped.Load() }

var _ connector.Source[int] = (*Source[int])(nil)

// NewSource returns a source reading j (opened by the caller, who closes it
// after the job) with opts.
func NewSource[T any](j *jl.Journal, opts SourceOptions[T]) (*Source[T], error) {
	if j == nil {
		return nil, errors.New("strom: journal source: nil journal")
	}
	if opts.Topic == "" {
		return nil, errors.New("strom: journal source: Topic is required")
	}
	if opts.Codec == nil && opts.Decode == nil {
		return nil, errors.New("strom: journal source: Codec or Decode is required")
	}
	if opts.OnError < connector.Fail || opts.OnError > connector.DeadLetterQueue {
		return nil, fmt.Errorf("strom: journal source: unknown OnError %d", opts.OnError)
	}
	if opts.StartAt.Kind == Committed && opts.StartAt.Group == "" {
		return nil, errors.New("strom: journal source: StartAt Committed needs a Group")
	}
	s := &Source[T]{j: j, opts: opts, iso: jl.ReadCommitted}
	if opts.Uncommitted {
		s.iso = jl.ReadUncommitted
	}
	return s, nil
}

// Bounded implements connector.Source.
func (s *Source[T]) Bounded() bool { return s.opts.Bounded }

// split data: version 1, partition, start offset, stop offset (-1: none).
func encodeSplit(part int, start, stop int64) []byte {
	b := []byte{1}
	b = binary.BigEndian.AppendUint32(b, uint32(part))
	b = binary.BigEndian.AppendUint64(b, uint64(start))
	return binary.BigEndian.AppendUint64(b, uint64(stop))
}

func decodeSplit(b []byte) (part int, start, stop int64, err error) {
	if len(b) != 21 || b[0] != 1 {
		return 0, 0, 0, fmt.Errorf("strom: journal source: bad split data %x", b)
	}
	return int(binary.BigEndian.Uint32(b[1:])), int64(binary.BigEndian.Uint64(b[5:])), int64(binary.BigEndian.Uint64(b[13:])), nil
}

// position: version 1, next offset.
func encodePos(next int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{1}, uint64(next))
}

func decodePos(b []byte) (int64, error) {
	if len(b) != 9 || b[0] != 1 {
		return 0, fmt.Errorf("strom: journal source: bad position %x", b)
	}
	return int64(binary.BigEndian.Uint64(b[1:])), nil
}

// Splits returns one split per partition with its start offset and, when
// bounded, its stop offset resolved now.
func (s *Source[T]) Splits(ctx context.Context) ([]connector.Split, error) {
	n := -1
	for _, t := range s.j.Topics() {
		if t.Name == s.opts.Topic {
			n = t.Partitions
		}
	}
	if n < 0 {
		return nil, fmt.Errorf("strom: journal source: topic %q: %w; create it first, e.g. `strom journal produce --dir DIR --topic %s --partitions N < /dev/null`", s.opts.Topic, jl.ErrUnknownTopic, s.opts.Topic)
	}
	var group map[jl.TopicPartition]int64
	if s.opts.StartAt.Kind == Committed {
		var err error
		if group, err = s.j.GroupOffsets(s.opts.StartAt.Group); err != nil {
			return nil, fmt.Errorf("strom: journal source: group %q: %w", s.opts.StartAt.Group, err)
		}
	}
	out := make([]connector.Split, 0, n)
	for p := range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		first, end, err := s.j.Bounds(s.opts.Topic, p)
		if err != nil {
			return nil, fmt.Errorf("strom: journal source: %w", err)
		}
		if s.iso == jl.ReadCommitted {
			if end, err = s.j.LastStableOffset(s.opts.Topic, p); err != nil {
				return nil, fmt.Errorf("strom: journal source: %w", err)
			}
		}
		start := first
		switch s.opts.StartAt.Kind {
		case Latest:
			start = end
		case Committed:
			if o, ok := group[jl.TopicPartition{Topic: s.opts.Topic, Partition: p}]; ok {
				start = o
			}
		case Explicit:
			if o, ok := s.opts.StartAt.Offsets[p]; ok {
				start = o
			}
		}
		stop := int64(-1)
		if s.opts.Bounded {
			stop = end
		}
		out = append(out, connector.Split{ID: s.opts.Topic + "-" + strconv.Itoa(p), Data: encodeSplit(p, start, stop)})
	}
	return out, nil
}

// Open opens the reader of a partition at pos (nil: the split's start).
func (s *Source[T]) Open(ctx context.Context, split connector.Split, pos []byte) (connector.Reader[T], error) {
	part, next, stop, err := decodeSplit(split.Data)
	if err != nil {
		return nil, err
	}
	if pos != nil {
		if next, err = decodePos(pos); err != nil {
			return nil, err
		}
	}
	if _, _, err := s.j.Bounds(s.opts.Topic, part); err != nil {
		return nil, fmt.Errorf("strom: journal source: %w", err)
	}
	r := &reader[T]{s: s, split: split.ID, part: part, next: next, stop: stop, ready: make(chan struct{}, 1)}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

// DecodeError is a record that does not decode.
type DecodeError struct {
	Topic     string
	Partition int
	Offset    int64
	Err       error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("strom: journal source: topic %q partition %d offset %d: cannot decode the record: %v", e.Topic, e.Partition, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

type reader[T any] struct {
	s          *Source[T]
	split      string
	part       int
	dead       []connector.DeadLetter
	next, stop int64 // stop < 0: unbounded
	bytes      int64 // connector.BytesReader

	ready   chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex
	waiting bool // a goroutine waits for data
	wg      sync.WaitGroup
	closed  bool
}

var (
	_ connector.Timestamped[int]   = (*reader[int])(nil)
	_ connector.Notifier           = (*reader[int])(nil)
	_ connector.DeadLetterReader   = (*reader[int])(nil)
	_ connector.CheckpointListener = (*reader[int])(nil)
	_ connector.BytesReader        = (*reader[int])(nil)
	_ connector.LagReader          = (*reader[int])(nil)
)

// SplitLag implements connector.LagReader: the end is the partition's end
// offset (the last stable offset under read_committed), the stop offset of
// a bounded split at most; asking the journal takes the partition's lock
// once, no I/O.
func (r *reader[T]) SplitLag() (connector.SplitLag, bool) {
	var end int64
	var err error
	if r.s.iso == jl.ReadCommitted {
		end, err = r.s.j.LastStableOffset(r.s.opts.Topic, r.part)
	} else {
		_, end, err = r.s.j.Bounds(r.s.opts.Topic, r.part)
	}
	if err != nil {
		return connector.SplitLag{}, false
	}
	if r.stop >= 0 {
		end = min(end, r.stop)
	}
	return connector.SplitLag{Connector: "journal", Topic: r.s.opts.Topic, Partition: int32(r.part), Position: r.next, End: end}, true
}

// BytesRead implements connector.BytesReader.
func (r *reader[T]) BytesRead() int64 { return r.bytes }

// recordBytes is the size of a record's key, value and headers.
func recordBytes(rec *jl.Record) int64 {
	n := len(rec.Key) + len(rec.Value)
	for i := range rec.Headers {
		n += len(rec.Headers[i].Key) + len(rec.Headers[i].Value)
	}
	return int64(n)
}

func (r *reader[T]) Read(ctx context.Context, buf []T) (int, error) {
	return r.read(ctx, buf, nil)
}

func (r *reader[T]) ReadTimestamped(ctx context.Context, buf []T, ts []int64) (int, error) {
	return r.read(ctx, buf, ts)
}

func (r *reader[T]) read(ctx context.Context, buf []T, ts []int64) (int, error) {
	if r.stop >= 0 && r.next >= r.stop {
		return 0, io.EOF
	}
	if len(buf) == 0 {
		return 0, nil
	}
	topic := r.s.opts.Topic
	ms, next, err := r.s.j.Fetch(ctx, topic, r.part, r.next, jl.ReadOptions{MaxBytes: r.s.opts.MaxBytes, MaxRecords: len(buf), Isolation: r.s.iso})
	if err != nil {
		return 0, fmt.Errorf("strom: journal source: %w", err)
	}
	n := 0
	for i := range ms {
		m := &ms[i]
		if r.stop >= 0 && m.Offset >= r.stop {
			break
		}
		r.bytes += recordBytes(&m.Record)
		var v T
		if r.s.opts.Decode != nil {
			v, err = r.s.opts.Decode(m)
		} else {
			v, err = r.s.opts.Codec.Decode(m.Value)
		}
		if err != nil {
			switch r.s.opts.OnError {
			case connector.Skip:
				r.s.skipped.Add(1)
			case connector.DeadLetterQueue:
				r.dead = append(r.dead, deadLetter(m, topic, r.split, err))
			default:
				r.next = m.Offset // the position stays before the bad record
				return n, &DecodeError{Topic: topic, Partition: r.part, Offset: m.Offset, Err: err}
			}
			r.next = m.Offset + 1
			continue
		}
		buf[n] = v
		if ts != nil {
			ts[n] = m.Timestamp
		}
		n++
		r.next = m.Offset + 1
	}
	if n == len(ms) {
		r.next = max(r.next, next) // skipped markers and aborted records
	}
	if r.stop >= 0 {
		r.next = min(r.next, r.stop)
		if n == 0 && r.next >= r.stop {
			return 0, io.EOF
		}
	}
	if n == 0 {
		r.wait()
	}
	return n, nil
}

// wait starts a goroutine that signals ready once a record at r.next is
// visible (or the wait fails: Read then reports the error).
func (r *reader[T]) wait() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.waiting || r.closed {
		return
	}
	r.waiting = true
	from := r.next
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		_, err := r.s.j.Poll(r.ctx, r.s.opts.Topic, r.part, from, jl.ReadOptions{MaxRecords: 1, Isolation: r.s.iso})
		r.mu.Lock()
		r.waiting = false
		r.mu.Unlock()
		if err == nil || r.ctx.Err() == nil {
			select {
			case r.ready <- struct{}{}:
			default:
			}
		}
	}()
}

// Ready implements connector.Notifier.
func (r *reader[T]) Ready() <-chan struct{} { return r.ready }

func (r *reader[T]) Position() []byte { return encodePos(r.next) }

// deadLetter is the dead letter of a message that did not decode.
func deadLetter(m *jl.Message, topic, split string, err error) connector.DeadLetter {
	var hs []connector.Header
	for _, h := range m.Headers {
		hs = append(hs, connector.Header{Key: h.Key, Value: h.Value})
	}
	return connector.DeadLetter{Key: m.Key, Value: m.Value, Headers: hs, Timestamp: m.Timestamp, Source: topic, Split: split,
		Partition: int32(m.Partition), Offset: m.Offset, Stage: "deserialize", ErrorClass: format.ClassOr(err, "deserialize"), Message: err.Error()}
}

// TakeDeadLetters implements connector.DeadLetterReader.
func (r *reader[T]) TakeDeadLetters(buf []connector.DeadLetter) []connector.DeadLetter {
	buf = append(buf, r.dead...)
	clear(r.dead)
	r.dead = r.dead[:0]
	return buf
}

// CheckpointComplete implements connector.CheckpointListener: with
// CommitGroup it stores the checkpoint's offset of this partition there.
func (r *reader[T]) CheckpointComplete(_ context.Context, _ int64, pos []byte) error {
	if r.s.opts.CommitGroup == "" {
		return nil
	}
	next, err := decodePos(pos)
	if err != nil {
		return err
	}
	return r.s.j.CommitOffsets(r.s.opts.CommitGroup, map[jl.TopicPartition]int64{{Topic: r.s.opts.Topic, Partition: r.part}: next})
}

func (r *reader[T]) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
	return nil
}
