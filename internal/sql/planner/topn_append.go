package planner

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// The append-only ROW_NUMBER Top-N (Flink's AppendOnlyTopNFunction with
// its TopNBuffer cache). The state is the one the Top-N always kept, one
// ValueState[[]byte] per partition holding its rows best first
// (encodeRows: a uvarint count, then each row's RowCodec bytes after a
// uvarint length), so savepoints of either build restore into the other.
// What changed is how it is read and written:
//
//   - a cache of partitions (topNCache: the state's bytes, where each row
//     starts in them, the rows decoded) keyed by the partition key; an
//     entry is used only when the state's bytes are exactly its bytes (one
//     comparison of the bytes, no hashing), so a restore, a TTL expiry or a
//     write by anything else is a miss, decoded again, never a stale read;
//   - a candidate is compared with the last row first: with the partition
//     full and the candidate not beating the N-th row, nothing else is done
//     (about half of q19's bids);
//   - a row entering encodes only itself: the new state bytes are the old
//     rows' bytes spliced around it (the rows pushed out dropped), the
//     same bytes encodeRows gives for the new rows;
//   - the -U rows come from the cached rows, not decoded again, and the
//     output rows are built in one reused buffer when what follows is done
//     with each row when Emit returns (emit).

// topNCacheMax and topNCacheBytes bound a topNCache: partitions, and the
// state bytes of their entries (the decoded rows take about as much
// again). Past either an entry is evicted (an arbitrary one: Go's map
// order). Flink's table.exec.rank.topn-cache-size defaults to 10000; here
// q19 took more CPU with 10000 entries than with 300-3000 (the decoded
// rows are pointers the GC scans at every cycle), and its misses are rare
// with 1000 (BENCHMARKS.md, branch topn).
const (
	topNCacheMax   = 1000
	topNCacheBytes = 4 << 20
)

// topNPart is one partition's Top-N as last read from or written to its
// state.
type topNPart struct {
	enc  []byte      // the state's bytes
	offs []int       // offs[i]: where row i's length starts in enc; offs[len(rows)] = len(enc)
	rows []table.Row // decoded from enc; the entry's own (emitted rows copy their Fields)
}

// topNCache is the per-instance cache of partitions of an append-only
// Top-N (not state: a restore starts it empty; not safe for concurrent
// use).
type topNCache struct {
	m             map[string]*topNPart
	size          int // the bytes of the entries' enc
	max, maxBytes int // topNCacheMax, topNCacheBytes (tests lower them)
	free          *topNPart
}

func newTopNCache() *topNCache {
	return &topNCache{m: make(map[string]*topNPart), max: topNCacheMax, maxBytes: topNCacheBytes}
}

// get returns the entry of key when it holds exactly the bytes b.
func (c *topNCache) get(key string, b []byte) *topNPart {
	p := c.m[key]
	if p == nil || !bytes.Equal(p.enc, b) {
		return nil
	}
	return p
}

// entry returns the entry of key to be filled (a new one, or the stale one
// of key), making room for it.
func (c *topNCache) entry(key string) *topNPart {
	if p := c.m[key]; p != nil {
		c.size -= len(p.enc)
		p.enc, p.offs, p.rows = p.enc[:0], p.offs[:0], p.rows[:0]
		return p
	}
	for len(c.m) > 0 && (len(c.m) >= c.max || c.size > c.maxBytes) {
		for k, p := range c.m {
			delete(c.m, k)
			c.size -= len(p.enc)
			c.free = p
			break
		}
	}
	p := c.free
	if p == nil {
		p = &topNPart{}
	}
	c.free = nil
	p.enc, p.offs, p.rows = p.enc[:0], p.offs[:0], p.rows[:0]
	// The key may be carved from a reused buffer (key.go): keep a copy.
	c.m[strings.Clone(key)] = p
	return p
}

// trim evicts entries while the entries' bytes exceed maxBytes: others
// than key first, then key's own when it alone is too big (it is then
// decoded again at each use, never kept). Called when a row is done with
// the cache: an entry that grew by a row can pass the bound without a new
// key being added (entry checks only then).
func (c *topNCache) trim(key string) {
	for c.size > c.maxBytes && len(c.m) > 0 {
		victim := ""
		for k := range c.m {
			if k != key || len(c.m) == 1 {
				victim = k
				break
			}
		}
		p := c.m[victim]
		delete(c.m, victim)
		c.size -= len(p.enc)
		c.free = p
	}
}

// spliceRow appends to e the state bytes of a partition: count (a
// uvarint), p's rows [0, pos), row (its RowCodec bytes), p's rows [pos,
// keep) — the old rows' bytes copied as they are — and appends to offs
// the offset of every row in e and the end. p is nil for a partition
// without rows (pos and keep 0).
func spliceRow(e []byte, offs []int, p *topNPart, count, pos, keep int, row []byte) ([]byte, []int) {
	e = binary.AppendUvarint(e, uint64(count))
	if pos > 0 {
		start := p.offs[0]
		for i := 0; i < pos; i++ {
			offs = append(offs, len(e)-start+p.offs[i])
		}
		e = append(e, p.enc[p.offs[0]:p.offs[pos]]...)
	}
	offs = append(offs, len(e))
	e = binary.AppendUvarint(e, uint64(len(row)))
	e = append(e, row...)
	if keep > pos {
		shift := len(e) - p.offs[pos]
		for i := pos; i < keep; i++ {
			offs = append(offs, p.offs[i]+shift)
		}
		e = append(e, p.enc[p.offs[pos]:p.offs[keep]]...)
	}
	return e, append(offs, len(e))
}

// load returns key's partition: the cached entry when its bytes are the
// state's, else one filled from the state's bytes (nil: no state).
func (c *topNCache) load(key string, st *stream.ValueState[[]byte], rc *table.RowCodec) (*topNPart, error) {
	b, ok := st.Get()
	if !ok {
		c.drop(key)
		return nil, nil
	}
	if p := c.get(key, b); p != nil {
		return p, nil
	}
	p := c.entry(key)
	if err := p.fill(rc, b); err != nil {
		p.enc = p.enc[:0] // not counted in the cache's size yet
		c.drop(key)
		return nil, err
	}
	c.size += len(p.enc)
	return p, nil
}

// drop forgets key (its state is gone).
func (c *topNCache) drop(key string) {
	if p := c.m[key]; p != nil {
		c.size -= len(p.enc)
		delete(c.m, key)
	}
}

// fill decodes b (encodeRows' layout) into p.
func (p *topNPart) fill(rc *table.RowCodec, b []byte) error {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return errBadState
	}
	p.enc = append(p.enc[:0], b...)
	p.rows, p.offs = p.rows[:0], p.offs[:0]
	at := k
	for range n {
		l, k := binary.Uvarint(b[at:])
		if k <= 0 || l > uint64(len(b)-at-k) {
			return errBadState
		}
		r, err := rc.Decode(b[at+k : at+k+int(l)])
		if err != nil {
			return err
		}
		p.offs = append(p.offs, at)
		p.rows = append(p.rows, r)
		at += k + int(l)
	}
	if at != len(b) {
		return errBadState
	}
	p.offs = append(p.offs, at)
	return nil
}

// appendOnlyRowNumber is the KeyedProcessFunction of an insert-only
// ROW_NUMBER Top-N.
type appendOnlyRowNumber struct {
	x     *TopN
	rc    *table.RowCodec
	ttl   []stream.StateOption
	st    *stream.ValueState[[]byte]
	cache *topNCache
	canon canonRow // the rows kept in the cache as the state decodes them
	row   []byte   // the encoding of the row entering
	enc   []byte   // the new state bytes being built (swapped with an entry's)
	offs  []int
	// reuse: 0 not known yet, 1 everything after the operator is done
	// with an emitted row when Emit returns (stream.EmitterReleases), so
	// every output row is built in outBuf; -1 each is a new slice.
	reuse  int8
	outBuf []table.Value
	block  []table.Value // the output rows of one candidate, when reuse < 0
}

func (f *appendOnlyRowNumber) Open(ctx *stream.OpenContext) error {
	// Read without a copy: the bytes are compared with (or decoded into)
	// the cache before the state is written again.
	f.st = stream.NewValueStateCodec[[]byte](ctx, "top", borrowedBytes{}, f.ttl...)
	f.cache = newTopNCache()
	return nil
}

func (f *appendOnlyRowNumber) OnTimer(*stream.KeyedContext[string], int64, stream.Emitter[table.Row]) error {
	return nil
}

// beats reports whether r goes before o: it sorts before it, or ties with
// it and ties go to the new row (TiesToNew).
func (f *appendOnlyRowNumber) beats(r, o table.Row) bool {
	return f.x.less(r, o) || (f.x.TiesToNew && !f.x.less(o, r))
}

func (f *appendOnlyRowNumber) ProcessElement(ctx *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
	key := ctx.Key()
	err := f.process(key, r, out)
	f.cache.trim(key)
	return err
}

func (f *appendOnlyRowNumber) process(key string, r table.Row, out stream.Emitter[table.Row]) error {
	x := f.x
	p, err := f.cache.load(key, f.st, f.rc)
	if err != nil {
		return err
	}
	var old []table.Row
	if p != nil {
		old = p.rows
	}
	n := len(old)
	// The rows are sorted and beats is monotone along them: a candidate
	// that does not beat the last row of a full partition ranks past N.
	if int64(n) >= x.N && !f.beats(r, old[n-1]) {
		return nil
	}
	pos := n
	for i, o := range old {
		if f.beats(r, o) {
			pos = i
			break
		}
	}
	if int64(pos) >= x.N {
		return nil
	}
	cnt := n + 1 // rows after the insertion
	if int64(cnt) > x.N {
		cnt = int(x.N)
	}
	// The candidate's fields are the caller's: keep a copy, in the
	// stored layout (TopN.Stored: the input's columns, then repeats).
	var nr table.Row
	if x.Stored == nil {
		nr.Fields = slices.Clone(r.Fields)
	} else {
		nr.Fields = make([]table.Value, len(x.Stored))
		for i, k := range x.Stored {
			nr.Fields[i] = r.Fields[k]
		}
	}
	if f.reuse == 0 {
		f.reuse = -1
		if stream.EmitterReleases(out) {
			f.reuse = 1
		}
	}
	w := len(r.Fields) + 1
	if f.reuse < 0 {
		// One allocation for all the rows emitted: -U/+U for each rank
		// from pos to the old length, +I for a rank filled.
		f.block = make([]table.Value, w*(2*(cnt-pos)-max(cnt-n, 0)))
	}
	for i := pos; i < cnt; i++ {
		now := nr
		if i > pos {
			now = old[i-1]
		}
		if i < n {
			f.emit(out, old[i], int64(i+1), table.UpdateBefore, w)
			f.emit(out, now, int64(i+1), table.UpdateAfter, w)
		} else {
			f.emit(out, now, int64(i+1), table.Insert, w)
		}
	}
	f.block = nil
	// The new state: the old rows' bytes around the new row's.
	if f.row, err = f.rc.AppendRow(f.row[:0], nr); err != nil {
		return err
	}
	e, offs := spliceRow(f.enc[:0], f.offs[:0], p, cnt, pos, cnt-1, f.row)
	f.st.Set(e)
	// The entry takes the new bytes and offsets; its old buffers serve the
	// next row.
	if p == nil {
		p = f.cache.entry(key)
	} else {
		f.cache.size -= len(p.enc)
	}
	f.enc, p.enc = p.enc, e
	f.offs, p.offs = p.offs, offs
	f.cache.size += len(e)
	if n < cnt {
		p.rows = append(p.rows, table.Row{})
	}
	copy(p.rows[pos+1:cnt], p.rows[pos:cnt-1])
	// Kept as the state decodes it (canonRow; emit copied its fields).
	if nr, err = f.canon.row(f.rc, nr, f.row); err != nil {
		return err
	}
	p.rows[pos] = nr
	p.rows = p.rows[:cnt] // a state of more than N rows (N lowered since a savepoint) is cut to N
	return nil
}

// emit emits r (a stored row: its first w-1 fields are the input's
// columns) with its rank: in outBuf when the operators after this one are
// done with it when Emit returns, else in the next w values of block.
func (f *appendOnlyRowNumber) emit(out stream.Emitter[table.Row], r table.Row, rank int64, kind table.RowKind, w int) {
	var fs []table.Value
	if f.reuse > 0 {
		fs = f.outBuf[:0]
	} else {
		fs, f.block = f.block[:0:w], f.block[w:]
	}
	fs = append(append(fs, r.Fields[:w-1]...), table.Int(rank))
	if f.reuse > 0 {
		f.outBuf = fs
	}
	out.Emit(table.Row{Kind: kind, Fields: fs})
}

// withRankRow is a row of the Top-N's output: r's fields and the rank,
// in a new slice.
func withRankRow(r table.Row, rank int64, kind table.RowKind) table.Row {
	f := make([]table.Value, 0, len(r.Fields)+1)
	f = append(append(f, r.Fields...), table.Int(rank))
	return table.Row{Kind: kind, Fields: f}
}
