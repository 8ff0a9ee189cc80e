package planner

import (
	"github.com/stromio/strom/table"
)

// borrowedBytes is the codec of a []byte state (the layout of
// codec.Bytes, so state written by either reads the same) whose Decode
// returns the state's own bytes instead of a copy: they stay valid until
// that state is written again. For bytes only looked at (decoded into
// rows, compared, looked up in a decodeCache) before the next write;
// bytes kept longer are cloned (readSide).
type borrowedBytes struct{}

func (borrowedBytes) Append(dst, v []byte) []byte       { return append(dst, v...) }
func (borrowedBytes) Decode(src []byte) ([]byte, error) { return src, nil }

// rowCacheMax and rowCacheBytes bound a decodeCache (entries, and the
// bytes of their keys: the decoded rows take about as much again): past
// either the cache starts over. Bytes longer than rowCacheEntryMax (a
// Top-N of many or wide rows) are decoded every time, never cached.
const (
	rowCacheMax      = 4096
	rowCacheBytes    = 4 << 20
	rowCacheEntryMax = 64 << 10
)

// decodeCache remembers the rows decoded from encoded bytes (RowCodec
// bytes, or a Top-N's encoded row list), keyed by the bytes themselves:
// a hit is the decoding of exactly those bytes, whatever key or state
// they came from, so it never goes stale and needs no invalidation. It
// saves the decoding of bytes read again and again unchanged: the one
// auction row of a join key paired with each of its bids, the Top-N rows
// of a partition that most candidates do not beat. The cached rows are
// shared: callers must not modify their Fields (they copy them into new
// rows). One cache per operator instance (not safe for concurrent use);
// it is not state (a restore starts it empty).
type decodeCache[T any] struct {
	m      map[string]T
	size   int // the bytes of the keys in m
	decode func([]byte) (T, error)
}

func newDecodeCache[T any](decode func([]byte) (T, error)) *decodeCache[T] {
	return &decodeCache[T]{m: make(map[string]T), decode: decode}
}

func (c *decodeCache[T]) get(b []byte) (T, error) {
	if v, ok := c.m[string(b)]; ok {
		return v, nil
	}
	v, err := c.decode(b)
	if err != nil {
		return v, err
	}
	c.put(b, v)
	return v, nil
}

// put records v as the decoding of b (known without decoding: the
// rows just encoded into b).
func (c *decodeCache[T]) put(b []byte, v T) {
	if len(b) > rowCacheEntryMax {
		return
	}
	if len(c.m) >= rowCacheMax || c.size+len(b) > rowCacheBytes {
		clear(c.m)
		c.size = 0
	}
	if _, ok := c.m[string(b)]; !ok {
		c.size += len(b)
	}
	c.m[string(b)] = v
}

// rowDecodeCache is a decodeCache of single rows.
func rowDecodeCache(rc *table.RowCodec) *decodeCache[table.Row] {
	return newDecodeCache(rc.Decode)
}

// canonRow makes a row that an operator keeps beside its encoding (a
// cache of decoded state) equal to what Decode of that encoding gives:
// the codec keeps milliseconds only of TIMESTAMP(p <= 3) values
// (table.RowCodec.Truncating), and a row whose copy kept more would
// match a retraction that the state's rows do not, so that the output
// would depend on whether the partition was cached (a restore, an
// eviction).
type canonRow struct {
	done   bool
	top    []int
	nested bool
}

// decodes reports whether row decodes the encoding (rc has nested types
// that truncate), setting c up for rc on its first call.
func (c *canonRow) decodes(rc *table.RowCodec) bool {
	if !c.done {
		c.top, c.nested = rc.Truncating()
		c.done = true
	}
	return c.nested
}

// row returns r (whose Fields it may modify: the caller's copy) as Decode
// of enc, r's encoding, gives it.
func (c *canonRow) row(rc *table.RowCodec, r table.Row, enc []byte) (table.Row, error) {
	if c.decodes(rc) {
		d, err := rc.Decode(enc)
		d.Kind = r.Kind
		return d, err
	}
	table.Canonical(r.Fields, c.top)
	return r, nil
}
