package planner

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Mini-batch group aggregation: Flink's MiniBatchGroupAggFunction. With
// 'table.exec.mini-batch.enabled' the regular GROUP BY aggregation
// buffers its input rows per key, in arrival order, and folds a bundle at
// once: per key it reads the accumulators once, applies the key's rows in
// order (groupState.foldRows: the step the per-row operator takes,
// groupRow, with a DISTINCT view's map state read and written once per
// distinct value of the bundle rather than per row), writes them
// once and emits the change of the key's result over the whole bundle (+I
// for a new key, -U/+U when it changed, nothing when not, -D when the
// key's count reached 0). The final result is the per-row operator's; the
// changes in between are coalesced.
//
// A bundle ends (operator.KeyedBuffer) when it holds
// 'table.exec.mini-batch.size' rows, when 'table.exec.mini-batch.allow-latency'
// of processing time passed since its first row (a processing-time timer
// on that row's key), when a checkpoint barrier passes,
// before the state is captured (the bundle's changes go downstream before
// the barrier: nothing buffered is in a snapshot, so the state layout and
// the UID are the per-row operator's and a savepoint restores with or
// without mini-batch), and at the end of the input (its watermark). Other
// watermarks pass a bundle (FlushWatermark), as behind Flink's
// processing-time MiniBatchAssigner, which drops them. Flink's options, as
// Flink: off by default; when on, allow-latency must be above 0 and size
// a positive row count (Flink's default of both, -1, is refused).
const (
	optMiniBatchEnabled = "table.exec.mini-batch.enabled"
	optMiniBatchLatency = "table.exec.mini-batch.allow-latency"
	optMiniBatchSize    = "table.exec.mini-batch.size"
)

// miniBatch is the mini-batch of a GroupAgg (the zero value: none).
type miniBatch struct {
	Latency time.Duration
	Size    int
}

func (m miniBatch) on() bool { return m.Size > 0 }

// explain is the MiniBatchAssigner line EXPLAIN prints under a
// mini-batched GroupAggregate: Flink's text (it has no size), but where
// Flink prints one assigner over the source scan, strom prints it under
// each GroupAggregate that bundles (no operator of its own: the bundling
// is in the aggregation's operator, and each one times its bundles).
func (m miniBatch) explain() string {
	return fmt.Sprintf("MiniBatchAssigner(interval=[%dms], mode=[ProcTime])", m.Latency.Milliseconds())
}

// miniBatch reads the session's mini-batch options.
func (p *Planner) miniBatch() (miniBatch, error) {
	opt := func(k string) (string, bool) {
		v, ok := p.Cat.Options[k]
		return strings.TrimSpace(v), ok && strings.TrimSpace(v) != ""
	}
	en, ok := opt(optMiniBatchEnabled)
	if !ok {
		return miniBatch{}, nil
	}
	switch strings.ToLower(en) {
	case "false":
		return miniBatch{}, nil
	case "true":
	default:
		return miniBatch{}, fmt.Errorf("option '%s' is '%s': it takes 'true' or 'false'", optMiniBatchEnabled, en)
	}
	var m miniBatch
	lat, ok := opt(optMiniBatchLatency)
	if !ok {
		return m, fmt.Errorf("option '%s' is 'true' but '%s' is not set: set it to how long rows may wait in a bundle, above 0 (e.g. SET '%s' = '2 s')", optMiniBatchEnabled, optMiniBatchLatency, optMiniBatchLatency)
	}
	d, err := connector.ParseDuration(lat)
	if err != nil || d.Milliseconds() <= 0 {
		// Flink reads it in whole milliseconds (toMillis) and refuses 0.
		why := "it must be at least 1 ms"
		if err != nil {
			why = err.Error()
		}
		return m, fmt.Errorf("option '%s' is '%s': %s when '%s' is 'true' (write e.g. '2 s' or '500 ms')", optMiniBatchLatency, lat, why, optMiniBatchEnabled)
	}
	m.Latency = d
	sz, ok := opt(optMiniBatchSize)
	if !ok {
		return m, fmt.Errorf("option '%s' is 'true' but '%s' is not set: set it to the most rows a bundle holds, above 0 (e.g. SET '%s' = '5000')", optMiniBatchEnabled, optMiniBatchSize, optMiniBatchSize)
	}
	n, err := strconv.ParseInt(sz, 10, 64)
	if err != nil || n <= 0 || n > 1<<30 {
		return m, fmt.Errorf("option '%s' is '%s': it must be a row count from 1 to %d when '%s' is 'true'", optMiniBatchSize, sz, 1<<30, optMiniBatchEnabled)
	}
	m.Size = int(n)
	return m, nil
}

// mbKey is one key's rows of the bundle, in arrival order.
type mbKey struct {
	key string
	// rows: the key's rows, set by group when the bundle is folded (a
	// window of the operator's grouped slab); empty while it fills.
	rows []table.Row
	ts   int64 // the timestamp of the key's last row
	n    int64 // the count of the key's rows (pre-aggregated or not)
}

// mbRow is a row of the bundle and the index of its key in the bundle.
type mbRow struct {
	k   int
	row table.Row
}

// miniBatchGroupAgg is the mini-batch GroupAgg operator's function
// (operator.KeyedBuffer; the state is the per-row operator's).
type miniBatchGroupAgg struct {
	g    *groupAccs
	a    *accs
	gs   *groupState // the DISTINCT views (distinctagg.go)
	keys []int
	cnt  int
	ttl  []stream.StateOption
	st   *stream.ValueState[[]byte]
	bundleEnds

	idx    map[string]int // key -> index in bundle
	bundle []mbKey        // keys in the order of their first row
	// arena: the copies of the rows the bundle keeps (not pre-aggregated):
	// the operator keeps no input row (stream.KeyedProcessCopying), so
	// the operators before it may reuse their rows' memory.
	arena rowArena
	// pend: the bundle's rows (not pre-aggregated) in arrival order, in
	// one slab for all keys; grouped: the same rows grouped by key at
	// the flush (group), each key's b.rows a window of it. Both are
	// reused from bundle to bundle: a hot key landing in another slot
	// each bundle grows no per-slot list (the per-key lists did: the
	// most allocation of q6's mini-batch).
	pend    []mbRow
	grouped []table.Row
	out     stream.Emitter[table.Row]

	perRow bool // tests: fold row by row (groupRow), not by foldRows

	// preagg: the bundle keeps per key the accumulators of its rows, added
	// as they come (expr.FastAdd), not the rows, and fold merges them into
	// the state's (expr.Merge): the same accumulators when every call
	// merges exactly (expr.MergeExact) and no row retracts (preAggOK).
	// A row is read once, while the Calc before has just written it, and
	// none stays alive in the bundle. A retraction (not expected: the
	// input is insert-only) ends the bundle and the pre-aggregation.
	// slab: per key of the bundle (its index) the accumulators and the
	// key columns of its last row, w values each.
	preagg bool
	slab   []table.Value
	w      int
	ops    []preOp // the calls' adds (groupAccs.ops)

	// fold's buffers: the decoded and the encoded accumulators, and the
	// output rows not emitted yet (nil once emitted).
	accBuf    []table.Value
	kv        []table.Value
	enc       []byte
	prev, cur []table.Value
}

func newMiniBatchGroupAgg(g *groupAccs, x *GroupAgg, ttl []stream.StateOption) *miniBatchGroupAgg {
	a := g.a
	m := &miniBatchGroupAgg{g: g, a: a, keys: x.Keys, cnt: len(a.types) - 1, ttl: ttl,
		bundleEnds: newBundleEnds(x.MiniBatch), idx: map[string]int{}}
	if x.In != nil && !x.In.Updating() {
		types := make([]table.Type, len(x.In.Cols()))
		for i, c := range x.In.Cols() {
			types[i] = c.Type
		}
		m.setPreAgg(preAggOK(g, types))
	}
	return m
}

// preAggOK reports whether a bundle of insert-only rows of the input
// types may be pre-aggregated (miniBatchGroupAgg.preagg): no DISTINCT
// view, and every call has a FastAdd form and merges exactly.
func preAggOK(g *groupAccs, types []table.Type) bool {
	if len(g.views) > 0 || len(g.add1) != len(g.plain) || len(g.plain) != len(g.a.aggs) {
		return false
	}
	for j, i := range g.plain {
		c := g.a.aggs[i]
		args := make([]table.Type, len(c.Args))
		for k, col := range c.Args {
			if col < 0 || col >= len(types) {
				return false
			}
			args[k] = types[col]
		}
		if g.add1[j] == nil || !expr.MergeExact(c.F, args) {
			return false
		}
	}
	return true
}

func (m *miniBatchGroupAgg) setPreAgg(on bool) {
	m.preagg = on
	m.w = len(m.a.types) + len(m.keys)
	m.ops = nil
	if on {
		m.ops = m.g.ops
		if len(m.ops) != len(m.g.plain) {
			m.ops = m.g.plainOps() // a layout built by hand (tests)
		}
	}
}

func (m *miniBatchGroupAgg) Open(ctx *stream.OpenContext) error {
	// The per-row operator's state, read without a copy (fold decodes
	// the bytes before it writes them).
	m.st = stream.NewValueStateCodec[[]byte](ctx, "acc", borrowedBytes{}, m.ttl...)
	m.gs = m.g.open(ctx, m.ttl) // and its DISTINCT views
	return nil
}

func (m *miniBatchGroupAgg) ProcessElement(ctx *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
	return m.processAt(ctx, r, ctx.Timestamp(), out)
}

// processAt is ProcessElement of a row of timestamp ts (joinagg.go: the
// timestamp of the join's row that made it, which a flush within that
// row's pairs does not keep in ctx).
func (m *miniBatchGroupAgg) processAt(ctx *stream.KeyedContext[string], r table.Row, ts int64, out stream.Emitter[table.Row]) error {
	m.out = out
	k := ctx.Key()
	if m.preagg && r.Kind.IsRetract() {
		// Not expected (the input is insert-only): the bundle so far is
		// folded, and the rows go into bundles from now on.
		if err := m.Flush(ctx, m.setKey); err != nil {
			return err
		}
		m.preagg = false
		m.setKey(k) // the row's key again
	}
	i, ok := m.idx[k]
	if !ok {
		i = len(m.bundle)
		m.idx[k] = i
		if i < cap(m.bundle) {
			m.bundle = m.bundle[:i+1]
			m.bundle[i] = mbKey{key: k}
		} else {
			m.bundle = append(m.bundle, mbKey{key: k})
		}
	}
	b := &m.bundle[i]
	if m.preagg {
		m.preAdd(b, i, !ok, r)
	} else {
		m.pend = append(m.pend, mbRow{k: i, row: table.Row{Kind: r.Kind, Fields: m.arena.clone(r.Fields)}})
		b.n++
	}
	b.ts = ts
	m.rows++
	m.arm(ctx, k)
	return nil
}

// OnTimer ends the bundle when its allowed latency passed.
func (m *miniBatchGroupAgg) OnTimer(ctx *stream.KeyedContext[string], t int64, _ stream.Emitter[table.Row]) error {
	if !m.popped(ctx, t) {
		return nil
	}
	return m.Flush(ctx, m.setKey)
}

// FlushWatermark lets a watermark pass the bundle (operator.WatermarkBuffer):
// as behind Flink's processing-time MiniBatchAssigner, which drops the
// watermarks of its input, a bundle ends at its size, its latency, a
// barrier or the end of the input, not at every watermark (a source moves
// its watermark at nearly every read, which cut bundles to a few rows per
// key). The aggregation's rows have no time attribute (an aggregate keeps
// none, query.go), so no operator after it times anything by them. The
// watermark at the end of the input still flushes.
func (m *miniBatchGroupAgg) FlushWatermark(ctx *stream.KeyedContext[string], setKey func(string), wm int64) error {
	if wm == stream.MaxTime {
		return m.Flush(ctx, setKey)
	}
	return nil
}

// Flush folds the bundle into state and emits its changes
// (operator.KeyedBuffer: a full bundle, its latency, a watermark, a
// checkpoint barrier, the end of the input).
func (m *miniBatchGroupAgg) Flush(ctx *stream.KeyedContext[string], setKey func(string)) error {
	m.disarm(ctx, setKey)
	if m.rows == 0 {
		return nil
	}
	tsOut, _ := m.out.(interface{ SetTimestamp(int64) })
	if !m.preagg {
		m.group()
	}
	for i := range m.bundle {
		b := &m.bundle[i]
		setKey(b.key)
		if tsOut != nil {
			tsOut.SetTimestamp(b.ts)
		}
		if err := m.fold(b, i); err != nil {
			return err
		}
		b.rows = nil
	}
	clear(m.bundle) // drop the keys
	m.bundle = m.bundle[:0]
	clear(m.pend) // drop the references to the rows
	clear(m.grouped)
	m.pend, m.grouped = m.pend[:0], m.grouped[:0]
	if cap(m.pend) > 2*m.size {
		// A bundle of more rows than its size (a flush deferred past
		// Full): its room goes to the collector.
		m.pend, m.grouped = nil, nil
	}
	clear(m.slab) // drop the references to the values
	m.slab = m.slab[:0]
	m.arena.reset()
	clear(m.idx)
	m.rows = 0
	return nil
}

// group sorts the bundle's rows by key (a counting sort by the key's
// index, stable: each key's rows stay in arrival order) into grouped and
// sets each key's rows to its window of it.
func (m *miniBatchGroupAgg) group() {
	n := len(m.pend)
	if cap(m.grouped) < n {
		m.grouped = make([]table.Row, n, cap(m.pend))
	}
	m.grouped = m.grouped[:n]
	at := 0
	for i := range m.bundle {
		b := &m.bundle[i]
		b.rows = m.grouped[at : at : at+int(b.n)]
		at += int(b.n)
	}
	for _, p := range m.pend {
		b := &m.bundle[p.k]
		b.rows = append(b.rows, p.row) // within its window: no allocation
	}
}

// fold applies one key's rows of the bundle to its accumulators and
// emits the change of its result: groupEmit's rows, with the allocations
// of a key cut to the rows it emits (the accumulator row is decoded into
// and encoded from buffers of the operator, the results are computed
// into the output rows, and the rows of a key whose result did not
// change are kept for the next key).
func (m *miniBatchGroupAgg) fold(b *mbKey, bi int) error {
	var acc table.Row
	var err error
	kv := m.keyVals(b, bi)
	raw, had := m.st.Get()
	if had {
		if acc, err = m.a.codec.DecodeTo(m.accBuf, raw); err != nil {
			return err
		}
		m.accBuf = acc.Fields
		if m.prev, err = m.resultRow(m.prev, kv, acc); err != nil {
			return err
		}
	}
	has := had
	if m.preagg {
		// The key's rows, pre-aggregated (preAdd), merged into the
		// state's accumulators, or its accumulators when it has none.
		a := m.a
		pre := m.slab[bi*m.w : bi*m.w+len(a.types)]
		if had {
			for i, c := range a.aggs {
				if err := c.F.Merge(acc.Fields[a.off[i]:a.off[i+1]], pre[a.off[i]:a.off[i+1]]); err != nil {
					return fmt.Errorf("%s: %w", c.Text, err)
				}
			}
			acc.Fields[m.cnt] = table.Int(acc.Fields[m.cnt].AsInt() + b.n)
		} else {
			pre[m.cnt] = table.Int(b.n)
			acc = table.Row{Fields: pre}
		}
		has = true
	} else if m.perRow {
		for _, r := range b.rows {
			if acc, has, err = m.gs.groupRow(acc, has, m.cnt, r); err != nil {
				return err
			}
		}
	} else if acc, has, err = m.gs.foldRows(acc, had, m.cnt, b.rows); err != nil {
		return err
	}
	if !has {
		if had {
			m.st.Clear()
			m.out.Emit(table.Row{Kind: table.Delete, Fields: m.prev})
			m.prev = nil
		}
		return nil
	}
	if m.enc, err = m.a.codec.AppendRow(m.enc[:0], acc); err != nil {
		return err
	}
	m.st.Set(m.enc) // the state copies the bytes
	if m.cur, err = m.resultRow(m.cur, kv, acc); err != nil {
		return err
	}
	if !had {
		m.out.Emit(table.Row{Kind: table.Insert, Fields: m.cur})
		m.cur = nil
		return nil
	}
	same := true
	for i, v := range m.prev {
		if !v.Equal(m.cur[i]) {
			same = false
			break
		}
	}
	if same {
		return nil // both rows stay for the next key
	}
	m.out.Emit(table.Row{Kind: table.UpdateBefore, Fields: m.prev})
	m.out.Emit(table.Row{Kind: table.UpdateAfter, Fields: m.cur})
	m.prev, m.cur = nil, nil
	return nil
}

// keyVals is the key columns of the last row of key b (index bi of the
// bundle): the row groupEmit takes the keys from. Valid until the next
// call.
func (m *miniBatchGroupAgg) keyVals(b *mbKey, bi int) []table.Value {
	if m.preagg {
		return m.slab[bi*m.w+len(m.a.types) : (bi+1)*m.w]
	}
	keysOf := b.rows[len(b.rows)-1]
	m.kv = m.kv[:0]
	for _, k := range m.keys {
		m.kv = append(m.kv, keysOf.Fields[k])
	}
	return m.kv
}

// preAdd adds row r to the pre-aggregated accumulators of key b, index
// i of the bundle (fresh: its first row), and keeps its key columns.
func (m *miniBatchGroupAgg) preAdd(b *mbKey, i int, fresh bool, r table.Row) {
	w, a := m.w, m.a
	if fresh {
		if need := (i + 1) * w; need <= cap(m.slab) {
			m.slab = m.slab[:need]
		} else {
			m.slab = append(m.slab[:i*w], make([]table.Value, w)...)
		}
		a.initTo(m.slab[i*w : i*w+len(a.types)])
		b.n = 0
	}
	acc := m.slab[i*w : (i+1)*w]
	m.g.addOps(m.ops, acc, r.Fields, nil) // preAggOK: every call has a FastAdd, no error
	kv := acc[len(a.types):]
	for j, k := range m.keys {
		kv[j] = r.Fields[k]
	}
	b.n++
}

// resultRow is the output row of the key columns kv with the results of
// acc, in dst when it is not nil (a row not emitted yet), else in a new
// row.
func (m *miniBatchGroupAgg) resultRow(dst []table.Value, kv []table.Value, acc table.Row) ([]table.Value, error) {
	nk := len(m.keys)
	if dst == nil {
		dst = make([]table.Value, nk+len(m.a.aggs))
	}
	copy(dst, kv)
	a := m.a
	for i, c := range a.aggs {
		v, err := c.F.Result(acc.Fields[a.off[i]:a.off[i+1]])
		if err != nil {
			return dst, fmt.Errorf("%s: %w", c.Text, err)
		}
		dst[nk+i] = v
	}
	return dst, nil
}

// bundleEnds is what ends a mini-batch bundle, shared by the mini-batch
// operators (the GROUP BY's and the Deduplicate's): its size in rows
// (Full), and its allowed latency, a processing-time timer on the key of
// its first row; the operator's setKey serves flushes from that timer
// (operator.KeySettingBuffer).
type bundleEnds struct {
	size    int
	latency int64
	rows    int // the rows of the bundle so far
	setKey  func(string)

	armed    bool
	timerKey string
	timerAt  int64
}

func newBundleEnds(mb miniBatch) bundleEnds {
	return bundleEnds{size: mb.Size, latency: mb.Latency.Milliseconds()}
}

// UseSetKey keeps the operator's setKey for flushes from the latency
// timer (operator.KeySettingBuffer).
func (e *bundleEnds) UseSetKey(setKey func(string)) { e.setKey = setKey }

// Full ends the bundle at its size (operator.KeyedBuffer).
func (e *bundleEnds) Full() bool { return e.rows >= e.size }

// arm starts the latency timer at the bundle's first row (key k).
func (e *bundleEnds) arm(ctx *stream.KeyedContext[string], k string) {
	if !e.armed {
		e.armed, e.timerKey = true, k
		e.timerAt = ctx.ProcessingTime() + e.latency
		ctx.RegisterProcessingTimeTimer(e.timerAt)
	}
}

// popped reports whether the timer at t is the bundle's latency timer,
// then no longer armed (popped: nothing to delete). Another is not the
// bundle's (none is left in a snapshot).
func (e *bundleEnds) popped(ctx *stream.KeyedContext[string], t int64) bool {
	if !e.armed || t != e.timerAt || ctx.Key() != e.timerKey {
		return false
	}
	e.armed = false
	return true
}

// disarm deletes the latency timer when a flush ends the bundle first.
func (e *bundleEnds) disarm(ctx *stream.KeyedContext[string], setKey func(string)) {
	if e.armed {
		setKey(e.timerKey)
		ctx.DeleteProcessingTimeTimer(e.timerAt)
		e.armed = false
	}
}

// rowArena holds copies of rows' fields in chunks that are reused from
// one bundle to the next: one allocation per chunk, not per row, and
// none once the chunks are as large as a bundle needs.
type rowArena struct {
	chunks [][]table.Value
	cur    int // the chunk being filled
	off    int // its values used
	// rows: the rows a new chunk holds (0: arenaChunk values).
	rows int
}

// arenaChunk is the values of a chunk (at least the row's).
const arenaChunk = 16 << 10

// clone copies fs into the arena; the copy is valid until reset.
func (a *rowArena) clone(fs []table.Value) []table.Value {
	n := len(fs)
	for {
		if a.cur < len(a.chunks) {
			if c := a.chunks[a.cur]; a.off+n <= len(c) {
				dst := c[a.off : a.off+n : a.off+n]
				a.off += n
				copy(dst, fs)
				return dst
			}
			a.cur++
			a.off = 0
			continue
		}
		size := arenaChunk
		if a.rows > 0 {
			size = a.rows * n
		}
		a.chunks = append(a.chunks, make([]table.Value, max(size, n, 1)))
	}
}

// abandon leaves the copies to whoever holds them (rows emitted to an
// operator that keeps them): the next clone starts a new chunk.
func (a *rowArena) abandon() {
	clear(a.chunks)
	a.chunks = a.chunks[:0]
	a.cur, a.off = 0, 0
}

// reset drops the copies (and the references their values hold).
func (a *rowArena) reset() {
	for i := 0; i < a.cur && i < len(a.chunks); i++ {
		clear(a.chunks[i])
	}
	if a.cur < len(a.chunks) {
		clear(a.chunks[a.cur][:a.off])
	}
	a.cur, a.off = 0, 0
}
