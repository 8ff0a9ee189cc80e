package planner

import (
	"encoding/binary"
	"slices"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// retractTopN is the Top-N of an updating input (Flink's
// RetractableTopNFunction): a retraction may pull a row from below the
// first N up, so every row of the partition is kept, sorted, in one
// ValueState; after each change the first N rows are compared with those
// before it, position by position: -U/+U for a position whose row or rank
// changed, +I for a position filled, -D for a position emptied (with RANK
// and DENSE_RANK the first N are the rows of rank <= N). A retraction removes the first equal
// row (nothing when there is none: with the state TTL the partition's
// state may have expired, and Flink too ignores the retraction then).
// With 'table.exec.state.ttl' the partition's state expires that long after
// its last change: a row of an expired partition starts it again (+I at
// rank 1), the rows emitted before are not retracted (Flink's behaviour).
//
// The state is one ValueState[[]byte] "top-all" per partition holding all
// its rows best first in encodeRows' layout, as it always was (the same
// bytes, the same UID: savepoints of either build restore into the
// other). How it is read and written is the append-only Top-N's
// (topn_append.go): a topNCache of decoded partitions, used only when the
// state's bytes are exactly the entry's; a row entering encodes only
// itself and a retraction encodes nothing: the new bytes are the old
// bytes spliced (the count, the rows before, the row entering or none,
// the rows after); the output rows are built in one reused buffer when
// what follows releases them.
func (tr *translator) retractTopN(x *TopN, in stream.Stream[table.Row], keyFn func(table.Row) string, rc *table.RowCodec,
	ttl []stream.StateOption) (stream.Stream[table.Row], error) {
	// With mini-batch on, the change of a -U and the +U right after it on
	// the same partition is emitted at once (coalescingRetractTopN).
	// Options that are not valid leave it off: the operators that bundle
	// report them, as before.
	mb, err := tr.p.miniBatch()
	coalesce := err == nil && mb.on()
	// It keeps a copy of a row entering and emits rows it builds itself:
	// done with every input row when it returns.
	return stream.KeyedProcessCopying(stream.KeyBy(in, keyFn), func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		return newRetractTopNFunc(x, rc, ttl, coalesce, mb)
	}).Name("rank").UID(tr.uid(ttlUIDKind(rankUIDKind("retract-rank", x.Func), ttl))), nil
}

// newRetractTopNFunc is the function of retractTopN: coalescing under
// mini-batch mb (coalesce), its held change bounded by mb's latency.
func newRetractTopNFunc(x *TopN, rc *table.RowCodec, ttl []stream.StateOption, coalesce bool, mb miniBatch) stream.KeyedProcessFunction[string, table.Row, table.Row] {
	f := &retractTopNFn{x: x, rc: rc, ttl: ttl}
	if coalesce {
		f.lat = newBundleEnds(mb)
		return coalescingRetractTopN{f}
	}
	return f
}

// retractTopNFn is the KeyedProcessFunction of a Top-N over an updating
// input.
type retractTopNFn struct {
	x     *TopN
	rc    *table.RowCodec
	ttl   []stream.StateOption
	st    *stream.ValueState[[]byte]
	cache *topNCache
	canon canonRow // the rows kept in the cache as the state decodes them
	row   []byte   // the encoding of the row entering
	enc   []byte   // the new state bytes being built (swapped with an entry's)
	offs  []int
	// The Top-N before the change (row headers: the Fields are the
	// entry's, never modified) and the ranks before and after it.
	oldTop             []table.Row
	oldRanks, newRanks []int64
	// reuse: as appendOnlyRowNumber's (0 not known yet, 1 the output rows
	// are built in outBuf, -1 each is a new slice).
	reuse  int8
	outBuf []table.Value
	// coalesce: a -U's change is held (pend) until the next row: when it
	// is the +U of the same partition, the change of both is emitted at
	// once (coalescingRetractTopN).
	coalesce bool
	pend     bool
	pendKey  []byte // the held change's partition
	pendTs   int64  // and its -U's timestamp
	pendOut  stream.Emitter[table.Row]
	// lat: the allowed latency's processing-time timer (mini-batch's
	// 'table.exec.mini-batch.allow-latency'; bundleEnds' arm, popped and
	// disarm, its size unused), armed when a change is held and none is
	// armed: a held change goes out at the latest when it fires.
	lat bundleEnds
	// curKey, curTs: the row being processed's partition and timestamp.
	curKey string
	curTs  int64
	// pendTop, pendRanks: the Top-N after the held -U (row headers of
	// the entry's rows, as oldTop), the change being from oldTop to it.
	pendTop   []table.Row
	pendRanks []int64
}

// coalescingRetractTopN is the Top-N over an updating input under
// mini-batch ('table.exec.mini-batch.enabled'): the -U/+U pair of an
// update (a row moving in its partition: q6's winning bid of an auction
// changing) is emitted as one change from the Top-N before the -U to the
// Top-N after the +U. Without it the -U shifts the rows after the row up
// and the +U shifts them back down: a -U/+U pair per position between,
// twice, for rows that end where they were. The final Top-N and the state
// are the same as row by row; the changes in between are coalesced, as
// the mini-batch aggregation coalesces its bundles (and only with it on,
// so the per-row changelog stays Flink's). The held change is emitted
// before any other row, at every watermark, checkpoint barrier and the
// end of the input (operator.KeyedBuffer): nothing is held in a
// snapshot, the state and the UID are the per-row operator's. With no
// next row, watermark or barrier it goes out when the allowed latency's
// processing-time timer fires (lat: armed when a change is held and none
// is armed, the timer is not moved or deleted per row: so a change is
// held at most the allowed latency, sometimes less; the timer is
// deleted at each Flush, so no snapshot has it).
type coalescingRetractTopN struct{ *retractTopNFn }

func (f coalescingRetractTopN) Open(ctx *stream.OpenContext) error {
	f.coalesce = true
	return f.retractTopNFn.Open(ctx)
}

// Full is false: at most one change is held.
func (f coalescingRetractTopN) Full() bool { return false }

// Flush emits the held change.
func (f coalescingRetractTopN) Flush(ctx *stream.KeyedContext[string], setKey func(string)) error {
	f.lat.disarm(ctx, setKey)
	if f.pend {
		f.flushPend(f.pendOut)
	}
	return nil
}

// OnTimer emits the held change when the allowed latency's timer fires.
func (f coalescingRetractTopN) OnTimer(ctx *stream.KeyedContext[string], t int64, _ stream.Emitter[table.Row]) error {
	if f.lat.popped(ctx, t) && f.pend {
		f.flushPend(f.pendOut)
	}
	return nil
}

func (f *retractTopNFn) Open(ctx *stream.OpenContext) error {
	// Read without a copy: the bytes are compared with (or decoded into)
	// the cache before the state is written again.
	f.st = stream.NewValueStateCodec[[]byte](ctx, "top-all", borrowedBytes{}, f.ttl...)
	f.cache = newTopNCache()
	return nil
}

func (f *retractTopNFn) OnTimer(*stream.KeyedContext[string], int64, stream.Emitter[table.Row]) error {
	return nil
}

func (f *retractTopNFn) ProcessElement(ctx *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
	key := ctx.Key()
	keepOld := false
	if f.pend {
		if r.Kind == table.UpdateAfter && key == string(f.pendKey) {
			// The +U of the held -U: one change from the Top-N before
			// the -U. pend is cleared before process: when it fails
			// (AppendRow of the +U's row) the held change is dropped
			// unemitted, but the error fails the job, which restarts
			// from the last checkpoint (nothing of it held there), so
			// nothing is lost downstream.
			f.pend, keepOld = false, true
		} else {
			f.flushPend(out)
			stream.SetEmitTimestamp(out, ctx.Timestamp())
		}
	}
	if f.coalesce {
		f.curKey, f.curTs = key, ctx.Timestamp()
	}
	err := f.process(key, r, out, keepOld)
	if f.pend && f.lat.latency > 0 {
		f.lat.arm(ctx, key)
	}
	f.curKey = ""
	f.cache.trim(key)
	return err
}

// flushPend emits the held change, with the -U's timestamp.
func (f *retractTopNFn) flushPend(out stream.Emitter[table.Row]) {
	f.pend = false
	stream.SetEmitTimestamp(out, f.pendTs)
	f.diff(out, f.pendTop, f.pendRanks)
	clear(f.pendTop) // no Fields kept past the change
	f.pendTop = f.pendTop[:0]
}

// process applies row r to partition key and emits the change (done);
// keepOld: the Top-N before it is the one saved before a held -U.
func (f *retractTopNFn) process(key string, r table.Row, out stream.Emitter[table.Row], keepOld bool) error {
	p, err := f.cache.load(key, f.st, f.rc)
	if err != nil {
		return err
	}
	var rows []table.Row
	if p != nil {
		rows = p.rows
	}
	n := len(rows)
	row := table.Row{Fields: r.Fields}
	var e []byte
	offs := f.offs[:0]
	if r.Kind.IsRetract() {
		at := f.find(rows, row)
		if at < 0 {
			return nil
		}
		if !keepOld {
			f.saveOld(rows)
		}
		if n == 1 {
			f.st.Clear()
			f.cache.drop(key)
			f.done(out, r, nil)
			return nil
		}
		// The bytes without row at's.
		e = binary.AppendUvarint(f.enc[:0], uint64(n-1))
		shift := len(e) - p.offs[0]
		for i := 0; i < at; i++ {
			offs = append(offs, p.offs[i]+shift)
		}
		e = append(e, p.enc[p.offs[0]:p.offs[at]]...)
		shift -= p.offs[at+1] - p.offs[at]
		for i := at + 1; i <= n; i++ {
			offs = append(offs, p.offs[i]+shift)
		}
		e = append(e, p.enc[p.offs[at+1]:p.offs[n]]...)
		copy(p.rows[at:], p.rows[at+1:])
		p.rows[n-1] = table.Row{}
		p.rows = p.rows[:n-1]
	} else {
		if !keepOld {
			f.saveOld(rows)
		}
		pos := f.insertPos(rows, row)
		// The row's fields are the caller's: the entry keeps a copy, as
		// Decode of its bytes would give it (canonRow), so that the cache
		// holds the rows a miss decodes from the state.
		nr := table.Row{Fields: slices.Clone(r.Fields)}
		var err error
		if f.row, err = f.rc.AppendRow(f.row[:0], nr); err != nil {
			return err
		}
		if nr, err = f.canon.row(f.rc, nr, f.row); err != nil {
			return err
		}
		e, offs = spliceRow(f.enc[:0], offs, p, n+1, pos, n, f.row)
		if p == nil {
			p = f.cache.entry(key)
		}
		p.rows = slices.Insert(p.rows, pos, nr)
	}
	f.st.Set(e)
	// The entry copies the new bytes and offsets into its own buffers
	// (not swapped with them, as the append-only Top-N's: partitions of
	// many sizes would pass each other buffers too small to grow into).
	f.cache.size += len(e) - len(p.enc)
	f.enc, f.offs = e, offs
	p.enc = append(p.enc[:0], e...)
	p.offs = append(p.offs[:0], offs...)
	f.done(out, r, p.rows)
	return nil
}

// done emits the change from the saved Top-N to that of rows (the
// partition after row r), or holds it when r is a -U to coalesce.
func (f *retractTopNFn) done(out stream.Emitter[table.Row], r table.Row, rows []table.Row) {
	if !f.coalesce || r.Kind != table.UpdateBefore {
		f.emitDiff(out, rows)
		return
	}
	var k int
	f.pendRanks, k = f.x.rankedInto(f.pendRanks[:0], rows)
	f.pendTop = append(f.pendTop[:0], rows[:k]...)
	f.pend, f.pendOut = true, out
	f.pendKey = append(f.pendKey[:0], f.curKey...)
	f.pendTs = f.curTs
}

// find is the position of the first row of rows equal to r, -1 when there
// is none. The rows are sorted and equal rows are peers (neither sorts
// before the other): it looks among r's peers, found by binary search, and
// only when none is equal goes through all the rows (as main's did: a
// state sorted otherwise still finds the same row).
func (f *retractTopNFn) find(rows []table.Row, r table.Row) int {
	x := f.x
	i, _ := slices.BinarySearchFunc(rows, r, func(o, r table.Row) int {
		if x.less(o, r) {
			return -1
		}
		return 1
	})
	for ; i < len(rows) && !x.less(r, rows[i]); i++ {
		if rows[i].Equal(r) {
			return i
		}
	}
	for i, o := range rows {
		if o.Equal(r) {
			return i
		}
	}
	return -1
}

// insertPos is TopN.insertPos by binary search: the rows are sorted, so
// whether r goes before a row (it sorts before it, or ties with it and
// ties go to the new row) is false up to the position and true from it.
func (f *retractTopNFn) insertPos(rows []table.Row, r table.Row) int {
	x := f.x
	i, _ := slices.BinarySearchFunc(rows, r, func(o, r table.Row) int {
		if x.less(r, o) || (x.TiesToNew && !x.less(o, r)) {
			return 1
		}
		return -1
	})
	return i
}

// saveOld keeps the Top-N of rows (the partition before the change) and
// its ranks.
func (f *retractTopNFn) saveOld(rows []table.Row) {
	var k int
	f.oldRanks, k = f.x.rankedInto(f.oldRanks[:0], rows)
	f.oldTop = append(f.oldTop[:0], rows[:k]...)
}

// emitDiff emits the change from the saved Top-N to that of rows (the
// partition after the change), as emitRankDiff.
func (f *retractTopNFn) emitDiff(out stream.Emitter[table.Row], rows []table.Row) {
	var k int
	f.newRanks, k = f.x.rankedInto(f.newRanks[:0], rows)
	f.diff(out, rows[:k], f.newRanks)
}

// diff emits the change from the saved Top-N to top (its ranks
// topRanks). A position whose row is the saved one (the same entry's
// row: the same Fields) with the same rank emits nothing, without
// comparing the values.
func (f *retractTopNFn) diff(out stream.Emitter[table.Row], top []table.Row, topRanks []int64) {
	if f.reuse == 0 {
		f.reuse = -1
		if stream.EmitterReleases(out) {
			f.reuse = 1
		}
	}
	old, oldRanks := f.oldTop, f.oldRanks
	for i := 0; i < max(len(old), len(top)); i++ {
		switch {
		case i >= len(top):
			f.emit(out, old[i], oldRanks[i], table.Delete)
		case i >= len(old):
			f.emit(out, top[i], topRanks[i], table.Insert)
		case oldRanks[i] != topRanks[i] || !sameRow(old[i], top[i]):
			f.emit(out, old[i], oldRanks[i], table.UpdateBefore)
			f.emit(out, top[i], topRanks[i], table.UpdateAfter)
		}
	}
	clear(f.oldTop) // no Fields kept past the row
	f.oldTop = f.oldTop[:0]
}

// emit emits r with its rank: in outBuf when the operators after this one
// are done with it when Emit returns, else in a new slice.
func (f *retractTopNFn) emit(out stream.Emitter[table.Row], r table.Row, rank int64, kind table.RowKind) {
	if f.reuse < 0 {
		out.Emit(withRankRow(r, rank, kind))
		return
	}
	f.outBuf = append(append(f.outBuf[:0], r.Fields...), table.Int(rank))
	out.Emit(table.Row{Kind: kind, Fields: f.outBuf})
}

// sameRow reports whether a and b (rows of a partition's entry) are
// equal: the same Fields, or equal values.
func sameRow(a, b table.Row) bool {
	if len(a.Fields) > 0 && len(a.Fields) == len(b.Fields) && &a.Fields[0] == &b.Fields[0] && a.Kind == b.Kind {
		return true
	}
	return a.Equal(b)
}
