package nexmark

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"time"

	"github.com/stromio/strom/connector"
)

// Source is the Nexmark generator as a connector.Source: cfg.Splits splits,
// each a replayable generator whose position is its event count.
type Source struct {
	cfg GeneratorConfig
	err error
}

var _ connector.Source[Event] = (*Source)(nil)

// NewSource returns the generator source of cfg (defaults applied). An
// invalid cfg is reported by Splits and Open.
func NewSource(cfg GeneratorConfig) *Source {
	return &Source{cfg: cfg.WithDefaults(), err: cfg.Validate()}
}

// Config returns the configuration with defaults applied.
func (s *Source) Config() GeneratorConfig { return s.cfg }

// Bounded reports whether the source ends: iff Events > 0.
func (s *Source) Bounded() bool { return s.cfg.Events > 0 }

// Splits returns the cfg.Splits splits "nexmark-0", "nexmark-1", ...
func (s *Source) Splits(context.Context) ([]connector.Split, error) {
	if s.err != nil {
		return nil, s.err
	}
	out := make([]connector.Split, s.cfg.Splits)
	for i := range out {
		data := binary.AppendUvarint(nil, uint64(i))
		data = binary.AppendUvarint(data, uint64(s.cfg.Splits))
		out[i] = connector.Split{ID: "nexmark-" + strconv.Itoa(i), Data: data}
	}
	return out, nil
}

// Open opens split at pos (nil: its first event). The position must come
// from a reader of the same split.
func (s *Source) Open(_ context.Context, split connector.Split, pos []byte) (connector.Reader[Event], error) {
	if s.err != nil {
		return nil, s.err
	}
	i, k, err := decodeSplit(split.Data)
	if err != nil || k != s.cfg.Splits {
		return nil, fmt.Errorf("nexmark: split %q is not one of this source's %d splits", split.ID, s.cfg.Splits)
	}
	r := &Reader{g: newGen(s.cfg, i), split: i, bounded: s.Bounded(), rateLimited: s.cfg.RateLimited}
	if pos != nil {
		ps, count, err := decodePosition(pos)
		if err != nil {
			return nil, fmt.Errorf("nexmark: split %q: %w", split.ID, err)
		}
		if ps != i || count > r.g.n {
			return nil, fmt.Errorf("nexmark: split %q: %w (position of split %d at event %d, this split has %d events)",
				split.ID, ErrCorruptPosition, ps, count, r.g.n)
		}
		r.next = count
	}
	// Pace from the restored position on, without a burst to catch up;
	// or, on the wall clock, at the events' own times.
	r.wallBase = time.Now().Add(-time.Duration(r.g.time(r.next)-r.g.baseTime) * time.Millisecond)
	if s.cfg.WallClock {
		r.wallBase = time.UnixMilli(r.g.baseTime)
	}
	return r, nil
}

func decodeSplit(data []byte) (i, k int, err error) {
	v, n := binary.Uvarint(data)
	if n <= 0 {
		return 0, 0, errors.New("bad split data")
	}
	w, m := binary.Uvarint(data[n:])
	if m <= 0 || n+m != len(data) || w > MaxSplits || v >= w {
		return 0, 0, errors.New("bad split data")
	}
	return int(v), int(w), nil
}

// Reader reads one split of the generator. It implements
// connector.Reader[Event] and connector.Timestamped[Event] (the timestamp
// of an event is its dateTime).
type Reader struct {
	g           gen
	split       int
	next        int64 // events returned so far
	bounded     bool
	rateLimited bool
	wallBase    time.Time // wall-clock time of event time baseTime
	closed      bool
}

var (
	_ connector.Reader[Event]      = (*Reader)(nil)
	_ connector.Timestamped[Event] = (*Reader)(nil)
)

// maxRateWait bounds how long one Read waits for a rate-limited event.
const maxRateWait = 20 * time.Millisecond

// Read fills buf with the next events. A bounded split ends with io.EOF; a
// rate-limited reader waits (at most 20ms, or until ctx ends) for the next
// event to be due and returns the events due by then.
func (r *Reader) Read(ctx context.Context, buf []Event) (int, error) {
	return r.read(ctx, buf, nil)
}

// ReadTimestamped is Read that also sets ts[i] to the dateTime of buf[i]
// (it reads at most len(ts) events).
func (r *Reader) ReadTimestamped(ctx context.Context, buf []Event, ts []int64) (int, error) {
	buf = buf[:min(len(buf), len(ts))]
	return r.read(ctx, buf, ts[:len(buf)])
}

func (r *Reader) read(ctx context.Context, buf []Event, ts []int64) (int, error) {
	if r.closed {
		return 0, errors.New("nexmark: read from a closed reader")
	}
	k, err := r.take(ctx, len(buf))
	if k == 0 {
		return 0, err
	}
	if ts == nil {
		for i := range buf[:k] {
			buf[i], _ = r.g.event(r.next+int64(i), nil)
		}
	} else {
		for i := range buf[:k] {
			buf[i], ts[i] = r.g.event(r.next+int64(i), nil)
		}
	}
	r.next += int64(k)
	return k, nil
}

// take returns how many of the next (at most) n events a read returns now:
// 0 with io.EOF at the end of a bounded split, 0 with ctx's error, or 0
// and nil when none is due yet (rate-limited).
func (r *Reader) take(ctx context.Context, n int) (int, error) {
	k := int(min(int64(n), r.g.n-r.next))
	if k <= 0 {
		if n == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	if r.rateLimited {
		return r.due(ctx, k)
	}
	return k, nil
}

// due returns how many of the next k events are due on the wall clock,
// after waiting for the first one if needed.
func (r *Reader) due(ctx context.Context, k int) (int, error) {
	dueAt := func(count int64) time.Time {
		return r.wallBase.Add(time.Duration(r.g.time(count)-r.g.baseTime) * time.Millisecond)
	}
	now := time.Now()
	if wait := dueAt(r.next).Sub(now); wait > 0 {
		t := time.NewTimer(min(wait, maxRateWait))
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		}
		now = time.Now()
	}
	n := 0
	for n < k && !dueAt(r.next+int64(n)).After(now) {
		n++
	}
	return n, nil
}

// Position is the position after the last event returned by Read.
func (r *Reader) Position() []byte { return encodePosition(r.split, r.next) }

// Close releases the reader; it is idempotent.
func (r *Reader) Close() error {
	r.closed = true
	return nil
}

// ErrCorruptPosition is returned by Open for a position that this source
// did not write.
var ErrCorruptPosition = errors.New("nexmark: corrupt source position")

// A reader's position is persisted in checkpoints. Layout, version 1:
//
//	byte     version (1)
//	uvarint  split index
//	uvarint  count: events of the split read so far
//	uint32   CRC-32C (Castagnoli), big-endian, of the bytes above
//
// Varints must be minimal and nothing may follow the checksum.
const positionVersion = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func encodePosition(split int, count int64) []byte {
	b := make([]byte, 0, 16)
	b = append(b, positionVersion)
	b = binary.AppendUvarint(b, uint64(split))
	b = binary.AppendUvarint(b, uint64(count))
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func decodePosition(p []byte) (split int, count int64, err error) {
	bad := func(why string) (int, int64, error) {
		return 0, 0, fmt.Errorf("%w (%s)", ErrCorruptPosition, why)
	}
	if len(p) < 1+1+1+4 || len(p) > 1+2*binary.MaxVarintLen64+4 {
		return bad(fmt.Sprintf("length %d", len(p)))
	}
	if p[0] != positionVersion {
		return bad(fmt.Sprintf("unknown version %d", p[0]))
	}
	body, sum := p[:len(p)-4], binary.BigEndian.Uint32(p[len(p)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return bad("checksum mismatch")
	}
	rest := body[1:]
	s, n := binary.Uvarint(rest)
	if n <= 0 || n != len(binary.AppendUvarint(nil, s)) || s >= MaxSplits {
		return bad("bad split varint")
	}
	rest = rest[n:]
	c, n := binary.Uvarint(rest)
	if n <= 0 || n != len(binary.AppendUvarint(nil, c)) || n != len(rest) || c > 1<<62 {
		return bad("bad count varint")
	}
	return int(s), int64(c), nil
}
