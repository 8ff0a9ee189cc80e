package datagen

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"strconv"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
)

// source generates a table's rows in cfg.splits splits. Row g of the
// table (g counts from 0) is a pure function of (seed, g): a bounded
// table of N rows gives split i of k the rows [N*i/k, N*(i+1)/k), an
// unbounded one the rows i, i+k, i+2k, ... A split's position is the
// number of rows it returned, with the seed, the split layout and the
// table's length (bounded or not, N).
type source struct {
	cfg *config
	// out: the generated fields, each a column index and a path of ROW
	// field indexes into it (a projection); nil: every column.
	out [][]int
	// wallNow is the wall clock of the rate limit (a test replaces it).
	wallNow func() time.Time
}

var _ connector.Source[table.Row] = (*source)(nil)

func (s *source) Bounded() bool { return s.cfg.bounded }

// Splits returns the splits "datagen-0", ... "datagen-<k-1>".
func (s *source) Splits(context.Context) ([]connector.Split, error) {
	out := make([]connector.Split, s.cfg.splits)
	for i := range out {
		out[i] = connector.Split{ID: "datagen-" + strconv.Itoa(i), Data: encodeSplit(i, s.cfg.splits)}
	}
	return out, nil
}

// ErrCorrupt is returned by Open for split data or a position that this
// connector did not write.
var ErrCorrupt = errors.New("datagen: corrupt split data or position")

func (s *source) Open(_ context.Context, split connector.Split, pos []byte) (connector.Reader[table.Row], error) {
	i, k, err := decodeSplit(split.Data)
	if err != nil {
		return nil, fmt.Errorf("datagen: split %q: %w", split.ID, err)
	}
	r := &reader{src: s, split: uint64(i), splits: uint64(k), seed: s.cfg.seed}
	if s.cfg.bounded {
		r.lo, r.hi = splitRange(s.cfg.rows, r.split, r.splits)
	}
	if pos != nil {
		p, err := decodePosition(pos)
		if err != nil {
			return nil, fmt.Errorf("datagen: split %q: %w", split.ID, err)
		}
		if p.splits != r.splits || p.split != r.split {
			return nil, fmt.Errorf("datagen: split %q: the restored position is of split %d of %d, the table now has %d splits: "+
				"a datagen table restores only at the parallelism it ran with (set 'scan.parallelism' = '%d', or start without the checkpoint)",
				split.ID, p.split, p.splits, k, p.splits)
		}
		if s.cfg.seedGiven && p.seed != s.cfg.seed {
			return nil, fmt.Errorf("datagen: split %q: the restored position was generated with 'seed' = '%d', the table now says '%d': "+
				"restore with the seed it ran with, or start without the checkpoint", split.ID, int64(p.seed), int64(s.cfg.seed))
		}
		if p.version >= 2 && (p.bounded != s.cfg.bounded || p.total != s.cfg.rows) {
			return nil, fmt.Errorf("datagen: split %q: the restored position is of %s, the table now is %s: "+
				"the rows of a split depend on the table's length, so the restore would repeat and skip rows; "+
				"restore with the 'number-of-rows' (and sequences' 'start' and 'end') it ran with, or start without the checkpoint",
				split.ID, tableLength(p.bounded, p.total), tableLength(s.cfg.bounded, s.cfg.rows))
		}
		if s.cfg.bounded && p.rows > r.hi-r.lo {
			// Only a version 1 position (without the table's
			// length) of a table that was made shorter gets here.
			return nil, fmt.Errorf("datagen: split %q: the restored position is %d rows into the split, which now has %d: "+
				"the table was made shorter since ('number-of-rows', or a sequence's 'start' and 'end'); "+
				"restore with the options it ran with, or start without the checkpoint", split.ID, p.rows, r.hi-r.lo)
		}
		r.seed, r.n = p.seed, p.rows
	}
	r.rate = s.cfg.rate / float64(k)
	r.wallStart, r.openedAt = s.wall(), r.n
	return r, nil
}

func (s *source) wall() time.Time {
	if s.wallNow != nil {
		return s.wallNow()
	}
	return time.Now()
}

// splitRange returns the rows [lo, hi) of split i of k of n rows.
func splitRange(n, i, k uint64) (lo, hi uint64) {
	at := func(j uint64) uint64 {
		h, l := bits.Mul64(n, j)
		q, _ := bits.Div64(h, l, k)
		return q
	}
	return at(i), at(i + 1)
}

// reader reads one split.
type reader struct {
	src           *source
	split, splits uint64
	seed          uint64
	lo, hi        uint64 // bounded: the split's rows
	n             uint64 // rows returned
	rate          float64
	wallStart     time.Time
	openedAt      uint64 // n when the reader opened (the rate counts from there)
	closed        bool
	reuse         bool          // ReuseRecords was called
	store         []table.Value // the last Read's rows' fields, when reused
}

var (
	_ connector.Reader[table.Row] = (*reader)(nil)
	_ connector.RecordReuser      = (*reader)(nil)
)

// ReuseRecords lets the next Read build its rows in the fields of the
// rows of this one (connector.RecordReuser): a row's fields hold values
// whose strings, bytes and nested values are allocated apart, so a value
// copied out of a row stays valid when the row is rebuilt.
func (r *reader) ReuseRecords() { r.reuse = true }

// maxRateWait bounds how long one Read waits for the rate limit.
const maxRateWait = 20 * time.Millisecond

// readBytes bounds the bytes one Read generates (strings, byte strings and
// nested values): a Read ends after the row that reaches it, so a batch
// of rows with 1 MiB strings holds a few MiB, not the buffer's length
// times 1 MiB. A Read returns at least one row.
const readBytes = 4 << 20

// row returns the index in the table of the split's row n.
func (r *reader) row(n uint64) uint64 {
	if r.src.cfg.bounded {
		return r.lo + n
	}
	return r.split + r.splits*n
}

func (r *reader) Read(ctx context.Context, buf []table.Row) (int, error) {
	if r.closed {
		return 0, errors.New("datagen: read from a closed reader")
	}
	k := uint64(len(buf))
	if r.src.cfg.bounded {
		left := r.hi - r.lo - r.n
		if left == 0 {
			return 0, io.EOF
		}
		k = min(k, left)
	}
	if k == 0 {
		return 0, nil
	}
	due, err := r.due(ctx)
	if err != nil || due == 0 {
		return 0, err
	}
	k = min(k, due)
	now := int64(0)
	if r.src.cfg.now != nil {
		now = r.src.cfg.now()
	} else {
		now = time.Now().UnixMilli()
	}
	c := newGenCtx(now, r.src.cfg.loc)
	cols := r.src.cfg.cols
	width := len(cols)
	if r.src.out != nil {
		width = len(r.src.out)
	}
	var store []table.Value
	if size := int(k) * width; r.reuse && cap(r.store) >= size {
		store = r.store[:size] // every field is written below
	} else {
		store = make([]table.Value, size)
		if r.reuse {
			r.store = store
		}
	}
	for j := range k {
		if c.bytes >= readBytes {
			k = j
			break
		}
		g := r.row(r.n + j)
		fields := store[int(j)*width : int(j+1)*width : int(j+1)*width]
		if r.src.out == nil {
			for ci, f := range cols {
				rr := rowRng(r.seed, g, f.salt)
				fields[ci] = f.value(&rr, g, &c)
			}
		} else {
			for oi, path := range r.src.out {
				rr := rowRng(r.seed, g, cols[path[0]].salt)
				v := cols[path[0]].value(&rr, g, &c)
				for _, fi := range path[1:] {
					if v.IsNull() {
						break
					}
					v = v.Elems()[fi]
				}
				fields[oi] = v
			}
		}
		buf[j] = table.Row{Fields: fields}
	}
	r.n += k
	return int(k), nil
}

// due returns how many rows the rate limit lets the reader return now,
// after waiting (at most maxRateWait, or until ctx ends: then 0) for the
// next one when none is due. The split's share of 'rows-per-second' is paced on
// the wall clock from when the reader opened: row m after the opening is
// due m/rate seconds after it, with at most a second's rows owed (after a
// stall the start moves forward).
func (r *reader) due(ctx context.Context) (uint64, error) {
	for try := 0; ; try++ {
		now := r.src.wall()
		elapsed := now.Sub(r.wallStart).Seconds()
		done := r.n - r.openedAt
		// At most a second of rows owed (as Guava's RateLimiter in
		// Flink): after a stall (backpressure, a slow sink) the start
		// moves forward, so the rows owed since are not sent at once.
		// (allowed counts the row due at once, hence the -1.)
		if owed := float64(done) + max(r.rate, 1) - 1; elapsed*r.rate > owed {
			elapsed = owed / r.rate
			r.wallStart = now.Add(-time.Duration(min(elapsed, 1<<30) * float64(time.Second)))
		}
		allowed := uint64(min(elapsed*r.rate, 1<<62)) + 1
		if allowed > done {
			return allowed - done, nil
		}
		if try > 0 {
			return 0, nil
		}
		wait := time.Duration(float64(done)/r.rate*float64(time.Second)) - time.Duration(elapsed*float64(time.Second))
		t := time.NewTimer(min(max(wait, time.Microsecond), maxRateWait))
		select {
		case <-ctx.Done():
			// Nothing is available (the Reader contract's (0, nil)):
			// the source's task sees the cancellation itself, and an
			// error here would report a cancelled job as failed.
			t.Stop()
			return 0, nil
		case <-t.C:
		}
	}
}

func (r *reader) Position() []byte {
	return encodePosition(position{version: positionVersion, split: r.split, splits: r.splits, seed: r.seed,
		bounded: r.src.cfg.bounded, total: r.src.cfg.rows, rows: r.n})
}

// tableLength describes a table's length in an error.
func tableLength(bounded bool, rows uint64) string {
	if !bounded {
		return "an unbounded table"
	}
	return fmt.Sprintf("a table of %d rows", rows)
}

func (r *reader) Close() error {
	r.closed = true
	return nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// A split's data (not persisted: the splits are listed again at every
// start), version 1:
//
//	byte     version (1)
//	uvarint  split index
//	uvarint  split count
const splitVersion = 1

// maxSplits bounds the split count (the largest parallelism).
const maxSplits = 1 << 15

func encodeSplit(i, k int) []byte {
	b := []byte{splitVersion}
	b = binary.AppendUvarint(b, uint64(i))
	return binary.AppendUvarint(b, uint64(k))
}

func decodeSplit(b []byte) (i, k int, err error) {
	if len(b) < 3 || b[0] != splitVersion {
		return 0, 0, fmt.Errorf("%w (split data of length %d or an unknown version)", ErrCorrupt, len(b))
	}
	v, n := binary.Uvarint(b[1:])
	if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
		return 0, 0, fmt.Errorf("%w (bad split index)", ErrCorrupt)
	}
	w, m := binary.Uvarint(b[1+n:])
	if m <= 0 || m != len(binary.AppendUvarint(nil, w)) || 1+n+m != len(b) || w == 0 || w > maxSplits || v >= w {
		return 0, 0, fmt.Errorf("%w (bad split count)", ErrCorrupt)
	}
	return int(v), int(w), nil
}

// position is where a split's reader stands, persisted in checkpoints.
// Layout, version 2:
//
//	byte     version (2)
//	uvarint  split index
//	uvarint  split count
//	uint64   seed, big-endian
//	byte     1: the table is bounded, 0: unbounded
//	uvarint  the table's rows (all splits) when bounded, 0 when not
//	uvarint  rows of the split returned so far (at most the split's rows
//	         when bounded)
//	uint32   CRC-32C (Castagnoli), big-endian, of the bytes above
//
// Version 1 (written before the table's length was kept) has no
// boundedness byte nor table rows; it still restores, unchecked against
// the table's length (a position beyond the end of its split is refused).
// Varints must be minimal and nothing may follow the checksum.
type position struct {
	version                   uint8 // 1 or 2
	split, splits, seed, rows uint64
	bounded                   bool   // version 2
	total                     uint64 // version 2: the table's rows when bounded
}

const positionVersion = 2

func encodePosition(p position) []byte {
	b := make([]byte, 0, 48)
	b = append(b, p.version)
	b = binary.AppendUvarint(b, p.split)
	b = binary.AppendUvarint(b, p.splits)
	b = binary.BigEndian.AppendUint64(b, p.seed)
	if p.version >= 2 {
		bounded := byte(0)
		if p.bounded {
			bounded = 1
		}
		b = append(b, bounded)
		b = binary.AppendUvarint(b, p.total)
	}
	b = binary.AppendUvarint(b, p.rows)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func decodePosition(b []byte) (position, error) {
	var p position
	bad := func(why string) (position, error) {
		return position{}, fmt.Errorf("%w (position: %s)", ErrCorrupt, why)
	}
	if len(b) < 1+1+1+8+1+4 || len(b) > 1+4*binary.MaxVarintLen64+8+1+4 {
		return bad(fmt.Sprintf("length %d", len(b)))
	}
	if b[0] != 1 && b[0] != positionVersion {
		return bad(fmt.Sprintf("unknown version %d, this build writes %d", b[0], positionVersion))
	}
	p.version = b[0]
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return bad("checksum mismatch")
	}
	rest := body[1:]
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(rest)
		if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
			return 0, false
		}
		rest = rest[n:]
		return v, true
	}
	var ok bool
	if p.split, ok = uv(); !ok {
		return bad("bad split index")
	}
	if p.splits, ok = uv(); !ok || p.splits == 0 || p.splits > maxSplits || p.split >= p.splits {
		return bad("bad split count")
	}
	if len(rest) < 8 {
		return bad("short seed")
	}
	p.seed = binary.BigEndian.Uint64(rest)
	rest = rest[8:]
	if p.version >= 2 {
		if len(rest) < 1 || rest[0] > 1 {
			return bad("bad boundedness")
		}
		p.bounded = rest[0] == 1
		rest = rest[1:]
		if p.total, ok = uv(); !ok || !p.bounded && p.total != 0 {
			return bad("bad table rows")
		}
	}
	if p.rows, ok = uv(); !ok || len(rest) != 0 {
		return bad("bad row count")
	}
	if p.bounded {
		if lo, hi := splitRange(p.total, p.split, p.splits); p.rows > hi-lo {
			return bad(fmt.Sprintf("%d rows returned of a split of %d", p.rows, hi-lo))
		}
	}
	return p, nil
}
