package planner

import (
	"encoding/binary"
	"fmt"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Counts of the window operator (Nexmark q11, q12): a window aggregation
// that the window operator runs (SESSION windows, processing-time
// windows) and whose aggregates are all COUNT(*) or COUNT(x) keeps its
// accumulator as int64s (countAccs, a value: no allocation per row)
// instead of a table.Row of table.Values, and encodes it in state with
// countAccCodec, which writes the bytes the RowCodec of the general path
// (accs.codec, one BIGINT NOT NULL per COUNT) writes and reads them: the
// state layout is the general path's, so the UID stays and a snapshot of
// either path restores into the other. The aggregator says it keeps
// nothing of a row (stream.AggregatorFuncs.Releases), so a source chained
// before the window operator reuses its rows' memory from one read to
// the next (operator.Releaser).

// maxCountAccs is the most COUNTs the count path takes.
const maxCountAccs = 4

// countAccs holds the counts, the first n of them used.
type countAccs [maxCountAccs]int64

// countAggs is the COUNT calls of a window aggregation.
type countAggs struct {
	n      int
	arg    [maxCountAccs]int // the counted column, -1 for COUNT(*)
	filter [maxCountAccs]int // the FILTER column, -1 for none
	rc     *table.RowCodec   // the general path's accumulator codec
}

// countAggsOf returns the count path of aggs, false when an aggregate is
// not COUNT or there are none or more than maxCountAccs.
func countAggsOf(a *accs) (*countAggs, bool) {
	if len(a.aggs) == 0 || len(a.aggs) > maxCountAccs || len(a.types) != len(a.aggs) {
		return nil, false
	}
	c := &countAggs{n: len(a.aggs), rc: a.codec}
	for i, call := range a.aggs {
		star, ok := expr.IsCount(call.F)
		if !ok || len(call.Args) > 1 {
			return nil, false
		}
		c.arg[i] = -1
		if !star && len(call.Args) == 1 {
			c.arg[i] = call.Args[0]
		}
		c.filter[i] = call.Filter
	}
	return c, true
}

// add counts row r into acc as accs.add would.
func (c *countAggs) add(r table.Row, acc countAccs) countAccs {
	for i := range c.n {
		if f := c.filter[i]; f >= 0 && !r.Fields[f].AsBool() {
			continue
		}
		if k := c.arg[i]; k >= 0 && r.Fields[k].IsNull() {
			continue
		}
		acc[i]++
	}
	return acc
}

// funcs is the window aggregation's aggregator on the count path: the
// general path's (generalWindowAggFuncs) with int64 accumulators.
func (c *countAggs) funcs() stream.AggregatorFuncs[table.Row, countAccs, table.Row] {
	return stream.AggregatorFuncs[table.Row, countAccs, table.Row]{
		CreateFn: func() countAccs { return countAccs{} },
		AddFn:    c.add,
		MergeFn: func(x, y countAccs) countAccs {
			for i := range c.n {
				x[i] += y[i]
			}
			return x
		},
		ResultFn: func(acc countAccs) table.Row {
			vs := make([]table.Value, c.n)
			for i := range vs {
				vs[i] = table.Int(acc[i])
			}
			return table.Row{Fields: vs}
		},
		Codec: countAccCodec{c},
		// add reads two fields of a row and keeps nothing of it (the
		// key is the key function's own string): a chained source may
		// reuse its rows' memory.
		Releases: true,
	}
}

// countAccCodec encodes countAccs as the RowCodec of n BIGINT NOT NULL
// columns encodes the general path's accumulator row: version, row kind
// (+I), uvarint n, the NULL bitmap (no NULLs), a varint per count.
type countAccCodec struct{ c *countAggs }

func (k countAccCodec) Append(dst []byte, acc countAccs) []byte {
	dst = append(dst, table.RowCodecVersion, byte(table.Insert), byte(k.c.n), 0) // n <= 4: one uvarint byte, one bitmap byte
	for i := range k.c.n {
		dst = binary.AppendVarint(dst, acc[i])
	}
	return dst
}

func (k countAccCodec) Decode(src []byte) (countAccs, error) {
	var acc countAccs
	if len(src) >= 4 && src[0] == table.RowCodecVersion && src[1] == byte(table.Insert) && int(src[2]) == k.c.n && src[3] == 0 {
		b := src[4:]
		i := 0
		for ; i < k.c.n; i++ {
			v, m := binary.Varint(b)
			if m <= 0 {
				break
			}
			acc[i], b = v, b[m:]
		}
		if i == k.c.n && len(b) == 0 {
			return acc, nil
		}
	}
	// Anything else (another row kind, a damaged entry): the general
	// path's decoding and its errors.
	r, err := k.c.rc.Decode(src)
	if err != nil {
		return acc, err
	}
	for i, v := range r.Fields {
		if v.Kind() != table.KindInt {
			return acc, fmt.Errorf("%w: COUNT accumulator %d of kind %s", table.ErrCorrupt, i, v.Kind())
		}
		acc[i] = v.AsInt()
	}
	return acc, nil
}
