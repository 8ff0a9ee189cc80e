package planner

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// StateTTLOption is Flink's 'table.exec.state.ttl': how long the state of
// a regular join or GROUP BY key lives after its last write (processing
// time; 0 = forever).
const StateTTLOption = "table.exec.state.ttl"

// stateTTL reads the session's state TTL.
func (p *Planner) stateTTL() (time.Duration, error) {
	v, ok := p.Cat.Options[StateTTLOption]
	if !ok || v == "" {
		return 0, nil
	}
	d, err := connector.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("SET '%s' = '%s': %w (write e.g. '1 h', '30 min' or '3600000')", StateTTLOption, v, err)
	}
	return d, nil
}

// ttlOpts are the state options of the state TTL (none without it).
func (tr *translator) ttlOpts() ([]stream.StateOption, error) {
	d, err := tr.p.stateTTL()
	if err != nil {
		return nil, err
	}
	return ttlOptsOf(d), nil
}

// ttlOptsOf are the state options of the state TTL d (none for 0).
func ttlOptsOf(d time.Duration) []stream.StateOption {
	if d == 0 {
		return nil
	}
	return []stream.StateOption{stream.WithTTL(stream.TTL{TTL: d})}
}

func (tr *translator) regularJoin(x *RegularJoin) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	// The unique side's filter applied by the join (uniqueFilter): the
	// Calc is not built, its input is the join's.
	ln, rn := x.L, x.R
	uf := x.uniqueFilter()
	if uf != nil && tr.shared(uf) {
		uf = nil
	}
	if uf != nil {
		if uf == x.L {
			ln = uf.In
		} else {
			rn = uf.In
		}
	}
	l, r, err := tr.buildPair(ln, rn)
	if err != nil {
		return zero, err
	}
	opts, err := tr.ttlOpts()
	if err != nil {
		return zero, err
	}
	if x.Cond != nil {
		if _, err := expr.CompilePredicate(x.Cond, tr.copts...); err != nil {
			return zero, err
		}
	}
	lc, rc := rowCodecOf(x.L), rowCodecOf(x.R)
	lkey, lnull := joinKeyOf(x.L, x.LKeys, x.NullSafe, 'L')
	rkey, rnull := joinKeyOf(x.R, x.RKeys, x.NullSafe, 'R')
	unique := x.uniqueSide()
	kind := "join"
	if uf != nil {
		if _, err := expr.CompilePredicate(uf.Filter, tr.copts...); err != nil {
			return zero, err
		}
		// Another layout (the markers of closed keys): a new UID kind,
		// so that a savepoint of either layout is refused by the other.
		kind = "join-filtered"
	}
	newFn := func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
		f := &regularJoinFn{lc: lc, rc: rc, nl: len(x.L.Cols()), nr: len(x.R.Cols()), opts: opts,
			leftOuter: x.Kind == "LEFT" || x.Kind == "FULL", rightOuter: x.Kind == "RIGHT" || x.Kind == "FULL",
			lnull: lnull, rnull: rnull, outCap: tr.joinCap[x], unique: unique}
		if x.Cond != nil {
			var err error
			f.cond, err = expr.CompilePredicate(x.Cond, tr.copts...)
			evalPanic(err)
		}
		if uf != nil {
			var err error
			f.ufilter, err = expr.CompilePredicate(uf.Filter, tr.copts...)
			evalPanic(err)
		}
		return f
	}
	return stream.KeyedCoProcess(stream.KeyBy(l, lkey), stream.KeyBy(r, rkey), newFn).Name("join").UID(tr.uid(ttlUIDKind(kind, opts))), nil
}

// regularJoinFn keeps each side's rows (RowCodec bytes) in list state. The
// rows of an outer side (whose rows are NULL-padded when they have no
// partner: the left of a LEFT join) carry their number of partners in
// front (a uvarint), as Flink's OuterRecord.numOfAssociations.
type regularJoinFn struct {
	lc, rc                *table.RowCodec
	nl, nr                int
	leftOuter, rightOuter bool
	cond                  func(*table.Row) (bool, error)
	opts                  []stream.StateOption
	left, right           *stream.ListState[[]byte]
	// lnull, rnull: whether a row's join key has a NULL (nil: no nullable
	// key column). Such a row matches nothing (joinKeyOf gives it a key of
	// its own side): an inner side's is dropped without state, an outer
	// side's is kept and padded.
	lnull, rnull func(table.Row) bool
	// lcache, rcache: the decoded rows of each side's state (the inner
	// join's accumulation reads the other side's rows for every row).
	lcache, rcache *decodeCache[table.Row]
	buf            []byte // the encoding of the row processed
	// pairs: the rest of the block the inner accumulation carves its
	// pairs from (pairSlot).
	pairs []table.Value
	cur   table.Row // the row the condition or ufilter reads (no escape)
	// outCap: the capacity of the pairs' field arrays (the width of the
	// Calc above, which writes its rows into them; 0: none).
	outCap int
	// unique: the side with at most one row per key, ever (uniqueLeft,
	// uniqueRight; RegularJoin.uniqueSide), of an inner join of
	// insert-only inputs; uniqueNone: none. A row of the other side is
	// stored only while its key has no row of the unique side; that row,
	// when it comes, pairs with the stored ones and clears them.
	unique int
	// ucache: in the unique mode without state TTL, the decoded rows of
	// the unique side's state by key. Such a key's rows never change
	// once there (its one insert-only row, never cleared, never
	// expired), so a row of the other side whose key is cached pairs
	// with them without reading the state. It is not state: a restored
	// or rescaled instance starts empty and fills it from its state. At
	// rowCacheMax keys it starts over. nil: not used.
	ucache map[string][]table.Row
	ucanon canonRow // a unique row cached as its state's Decode gives it
	// ufilter: in the unique mode, the filter of the Calc on the unique
	// side fused into the join (RegularJoin.uniqueFilter); nil: none. A
	// unique row it rejects is its key's only one, ever, so no row of
	// the other side of that key will pair: it is stored as a marker
	// (an empty element: RowCodec bytes are never empty) that closes the
	// key, the other side's rows stored before it are cleared, and later
	// ones are dropped without being encoded or stored.
	ufilter func(*table.Row) (bool, error)
}

func (f *regularJoinFn) Open(ctx *stream.OpenContext) error {
	// The rows are read without a copy (borrowedBytes): the inner join's
	// accumulation only decodes them; readSide clones the ones it keeps.
	f.left = stream.NewListStateCodec[[]byte](ctx, "join-left", borrowedBytes{}, f.opts...)
	f.right = stream.NewListStateCodec[[]byte](ctx, "join-right", borrowedBytes{}, f.opts...)
	f.lcache, f.rcache = rowDecodeCache(f.lc), rowDecodeCache(f.rc)
	if f.unique != uniqueNone && len(f.opts) == 0 {
		f.ucache = make(map[string][]table.Row)
	}
	return nil
}

// joinEntry is a row of a side's state.
type joinEntry struct {
	assoc int64  // partners (outer sides only)
	raw   []byte // the RowCodec bytes
	row   table.Row
}

func readSide(st *stream.ListState[[]byte], c *table.RowCodec, outer bool) ([]joinEntry, error) {
	bs := st.Get()
	es := make([]joinEntry, len(bs))
	for i, b := range bs {
		b = bytes.Clone(b) // borrowed from the state, which the caller writes
		if outer {
			n, k := binary.Uvarint(b)
			if k <= 0 {
				return nil, fmt.Errorf("join: corrupt state")
			}
			es[i].assoc, b = int64(n), b[k:]
		}
		r, err := c.Decode(b)
		if err != nil {
			return nil, err
		}
		es[i].raw, es[i].row = b, r
	}
	return es, nil
}

func entryBytes(e joinEntry, outer bool) []byte {
	if !outer {
		return e.raw
	}
	return append(binary.AppendUvarint(nil, uint64(e.assoc)), e.raw...)
}

func writeSide(st *stream.ListState[[]byte], es []joinEntry, outer bool) {
	bs := make([][]byte, len(es))
	for i, e := range es {
		bs[i] = entryBytes(e, outer)
	}
	if len(bs) == 0 {
		st.Clear()
		return
	}
	st.Update(bs)
}

// process applies a row of one side: Flink's StreamingJoinOperator. An
// accumulation (+I, +U) emits +I of its pairs (or of itself padded with
// NULLs when it is of an outer side and has no partner), and first -D of
// the padded rows of partners that had none; a retraction (-U, -D)
// removes an equal row from its side and emits -D of its pairs (or of its
// padded row), then +I of the padded rows of partners it was the last of.
func (f *regularJoinFn) process(key string, v table.Row, leftSide bool, out stream.Emitter[table.Row]) error {
	mine, theirs := f.lc, f.rc
	own, other := f.left, f.right
	inOuter, otherOuter := f.leftOuter, f.rightOuter
	if !leftSide {
		mine, theirs = f.rc, f.lc
		own, other = f.right, f.left
		inOuter, otherOuter = f.rightOuter, f.leftOuter
	}
	joined := func(a, b []table.Value, kind table.RowKind) table.Row {
		var r table.Row
		if !leftSide {
			a, b = b, a
		}
		// With room for the Calc above (outCap, calc.go's joinCap).
		fs := make([]table.Value, f.nl+f.nr, max(f.nl+f.nr, f.outCap))
		copy(fs, a)
		copy(fs[f.nl:], b)
		r = table.Row{Fields: fs}
		r.Kind = kind
		return r
	}
	// b is only read within this call (the state copies what it adds):
	// one buffer serves every row.
	encode := func() ([]byte, error) {
		b, err := mine.AppendRow(f.buf[:0], table.Row{Fields: v.Fields})
		f.buf = b
		return b, err
	}
	if !v.Kind.IsRetract() && !otherOuter && !inOuter {
		// The inner join's accumulation: no counts to keep, the pairs
		// straight from the other side's state (those its condition
		// accepts).
		//
		// In the unique mode (f.unique), a row of the unique side is
		// its key's only one: it pairs with the other side's stored
		// rows, which no later row can pair with, and clears them; a
		// row of the other side is stored only when its key has no
		// row of the unique side yet (none came, or it expired).
		mineUnique := (f.unique == uniqueLeft && leftSide) || (f.unique == uniqueRight && !leftSide)
		otherUnique := (f.unique == uniqueLeft && !leftSide) || (f.unique == uniqueRight && leftSide)
		if otherUnique && f.ucache != nil {
			if us, ok := f.ucache[key]; ok {
				for _, o := range us {
					if err := f.emitPair(v.Fields, o.Fields, leftSide, out); err != nil {
						return err
					}
				}
				return nil
			}
		}
		if mineUnique && f.ufilter != nil {
			ok, err := f.test(f.ufilter, v)
			if err != nil {
				return err
			}
			if !ok {
				own.Add(nil) // the marker: the key is closed
				if f.ucache != nil {
					if len(f.ucache) >= rowCacheMax {
						clear(f.ucache)
					}
					f.ucache[key] = []table.Row{}
				}
				other.Clear()
				return nil
			}
		}
		if !otherUnique {
			b, err := encode()
			if err != nil {
				return err
			}
			own.Add(b)
			if mineUnique && f.ucache != nil {
				// The key's only row, cached as stored (its fields are
				// the caller's: a copy).
				u, err := f.ucanon.row(mine, table.Row{Fields: slices.Clone(v.Fields)}, b)
				if err != nil {
					return err
				}
				if len(f.ucache) >= rowCacheMax {
					clear(f.ucache)
				}
				f.ucache[key] = []table.Row{u} // the state had none before it (unique)
			}
		}
		paired := false
		cache := f.lcache
		if leftSide {
			cache = f.rcache
		}
		var us []table.Row // the unique side's rows, for ucache
		var ferr error
		other.Range(func(ob []byte) bool {
			paired = true
			if len(ob) == 0 && otherUnique && f.ufilter != nil {
				return true // the marker of a closed key (ufilter)
			}
			o, err := cache.get(ob)
			if err != nil {
				ferr = err
				return false
			}
			if otherUnique && f.ucache != nil {
				us = append(us, o)
			}
			if err := f.emitPair(v.Fields, o.Fields, leftSide, out); err != nil {
				ferr = err
				return false
			}
			return true
		})
		if ferr != nil {
			return ferr
		}
		switch {
		case otherUnique && !paired:
			b, err := encode()
			if err != nil {
				return err
			}
			own.Add(b)
		case otherUnique && f.ucache != nil:
			if len(f.ucache) >= rowCacheMax {
				clear(f.ucache)
			}
			f.ucache[key] = us
		case mineUnique && paired:
			other.Clear()
		}
		return nil
	}
	b, err := encode()
	if err != nil {
		return err
	}
	others, err := readSide(other, theirs, otherOuter)
	if err != nil {
		return err
	}
	var matches []int
	for i, o := range others {
		if f.cond != nil {
			ok, err := f.test(f.cond, joined(v.Fields, o.row.Fields, table.Insert))
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		matches = append(matches, i)
	}
	if !v.Kind.IsRetract() {
		if otherOuter {
			for _, i := range matches {
				if others[i].assoc == 0 {
					out.Emit(joined(nil, others[i].row.Fields, table.Delete))
				}
				others[i].assoc++
			}
			if len(matches) > 0 {
				writeSide(other, others, otherOuter)
			}
		}
		if len(matches) == 0 && inOuter {
			out.Emit(joined(v.Fields, nil, table.Insert))
		}
		for _, i := range matches {
			out.Emit(joined(v.Fields, others[i].row.Fields, table.Insert))
		}
		own.Add(entryBytes(joinEntry{assoc: int64(len(matches)), raw: b}, inOuter))
		return nil
	}
	mineRows, err := readSide(own, mine, inOuter)
	if err != nil {
		return err
	}
	found := -1
	for i, e := range mineRows {
		if bytes.Equal(e.raw, b) {
			found = i
			break
		}
	}
	if found < 0 {
		return nil // a retraction of a row never seen (or expired): nothing joined
	}
	writeSide(own, append(mineRows[:found:found], mineRows[found+1:]...), inOuter)
	if len(matches) == 0 {
		if inOuter {
			out.Emit(joined(v.Fields, nil, table.Delete))
		}
		return nil
	}
	for _, i := range matches {
		out.Emit(joined(v.Fields, others[i].row.Fields, table.Delete))
	}
	if otherOuter {
		for _, i := range matches {
			if others[i].assoc == 1 {
				out.Emit(joined(nil, others[i].row.Fields, table.Insert))
			}
			others[i].assoc--
		}
		writeSide(other, others, otherOuter)
	}
	return nil
}

// emitPair emits the pair of v (a row of the left side when leftSide)
// and o, the other side's, when the condition accepts it: in the next
// slot of the pairs' block (a pair the condition rejects leaves the slot
// to the next).
func (f *regularJoinFn) emitPair(v, o []table.Value, leftSide bool, out stream.Emitter[table.Row]) error {
	fs := f.pairSlot()
	if leftSide {
		copy(fs, v)
		copy(fs[f.nl:], o)
	} else {
		copy(fs, o)
		copy(fs[f.nl:], v)
	}
	r := table.Row{Kind: table.Insert, Fields: fs}
	if f.cond != nil {
		ok, err := f.test(f.cond, r)
		if err != nil || !ok {
			return err
		}
	}
	f.takeSlot()
	out.Emit(r)
	return nil
}

// pairBlockValues is the size of the blocks the inner accumulation's
// pairs are carved from (a few dozen pairs each: one allocation for them
// all instead of one each; a block lives as long as one of its pairs).
const pairBlockValues = 256

// pairSlot returns the fields of the next pair (with room for the Calc
// above, outCap), from the pairs' block; they are the pair's once
// takeSlot says so, else the next pair's.
func (f *regularJoinFn) pairSlot() []table.Value {
	w := max(f.nl+f.nr, f.outCap)
	if len(f.pairs) < w {
		f.pairs = make([]table.Value, max(pairBlockValues, w))
	}
	return f.pairs[: f.nl+f.nr : w]
}

// takeSlot gives the slot pairSlot returned to its pair.
func (f *regularJoinFn) takeSlot() { f.pairs = f.pairs[max(f.nl+f.nr, f.outCap):] }

func (f *regularJoinFn) ProcessElement1(ctx *stream.KeyedContext[string], v table.Row, out stream.Emitter[table.Row]) error {
	if !f.leftOuter && f.lnull != nil && f.lnull(v) {
		return f.nullKeyFilter(v, f.unique == uniqueLeft)
	}
	return f.process(ctx.Key(), v, true, out)
}

func (f *regularJoinFn) ProcessElement2(ctx *stream.KeyedContext[string], v table.Row, out stream.Emitter[table.Row]) error {
	if !f.rightOuter && f.rnull != nil && f.rnull(v) {
		return f.nullKeyFilter(v, f.unique == uniqueRight)
	}
	return f.process(ctx.Key(), v, false, out)
}

// nullKeyFilter: a row whose join key has a NULL pairs with nothing and
// is dropped; one of the unique side (unique) with its filter fused
// (ufilter) is dropped only after the filter ran on it, as the Calc below
// the join would have run it: an error the filter raises on it is the
// query's, as there.
func (f *regularJoinFn) nullKeyFilter(v table.Row, unique bool) error {
	if !unique || f.ufilter == nil {
		return nil
	}
	_, err := f.test(f.ufilter, v)
	return err
}

// test runs predicate p (the condition or ufilter) on r through f.cur:
// a pointer to a caller's own variable would move it to the heap, an
// allocation per row.
func (f *regularJoinFn) test(p func(*table.Row) (bool, error), r table.Row) (bool, error) {
	f.cur = r
	ok, err := p(&f.cur)
	f.cur = table.Row{}
	return ok, err
}

func (f *regularJoinFn) OnTimer(*stream.KeyedContext[string], int64, stream.Emitter[table.Row]) error {
	return nil
}
