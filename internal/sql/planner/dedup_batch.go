package planner

import (
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Mini-batch deduplication: Flink's RowTimeMiniBatchDeduplicateFunction,
// ProcTimeMiniBatchDeduplicateKeepLastRowFunction and
// ProcTimeMiniBatchDeduplicateKeepFirstRowFunction. With
// 'table.exec.mini-batch.enabled' the Deduplicate buffers its input rows
// per key and, at the end of a bundle (when and as the mini-batch group
// aggregation ends one: groupagg_batch.go), reads each key's state once,
// folds the key's rows in arrival order in memory, writes the state once
// and emits:
//
//   - by event time, every change the per-row operator emits, in the same
//     order per key (Flink's default: its
//     'table.exec.deduplicate.mini-batch.compact-changes-enabled', off by
//     default, is not read): the -U of a row replaced within the bundle is
//     that row, not a decoding of the state;
//   - keeping the last row by processing time, the net change of the
//     bundle: only the key's last row counts (-U of the kept row, +U of it;
//     +I for a new key), as Flink buffers only the last row per key;
//   - keeping the first by processing time, the key's first row when the
//     state has none (+I).
//
// Nothing buffered is in a snapshot (a barrier flushes first), so the
// state and the UID are the per-row operator's: a savepoint restores with
// or without mini-batch.
//
// A row buffered is a copy of the input row's fields (carved from chunks
// of the bundle, reused by the next bundle when the operators after this
// one are done with a row when Emit returns), taken when it arrives, while
// its fields are in the cache; the rows emitted are those copies. The
// operator is then a stream.KeyedProcessCopying: the source before it may
// build its next rows in the memory of the last (the Nexmark reader does),
// instead of allocating every row.
// dedupKey is a key's slot in a bundle: its buffered rows are a list in
// the bundle's arena (miniBatchDedup.arena), first to last.
type dedupKey struct {
	key         string
	first, last int32
}

// dedupRow is a buffered row with its timestamp and (rowtime) its ORDER BY
// time, read when the row arrives (its fields are then in the cache).
type dedupRow struct {
	r      table.Row
	next   int32 // the key's next buffered row in the arena (-1: none)
	ts     int64
	millis int64
	nanos  uint32
	null   bool
}

type miniBatchDedup struct {
	x   *Deduplicate
	rc  *table.RowCodec
	ttl []stream.StateOption
	st  *stream.ValueState[dedupVal]
	bundleEnds

	idx    map[string]int // key -> index in bundle
	bundle []dedupKey     // keys in the order of their first row
	arena  []dedupRow     // the bundle's buffered rows, in arrival order
	out    stream.Emitter[table.Row]
	keep   []int // scratch: the rows of a key that replace the kept one
	// copies: the buffered rows' fields (rowArena, groupagg_batch.go),
	// reused by the next bundle when what follows is done with the rows
	// emitted, else left to them.
	copies rowArena
	// reuse: 0 not known yet, 1 copies serve the next bundle
	// (stream.EmitterReleases), -1 a bundle's copies are left to the rows
	// emitted.
	reuse int8
}

// dedupChunkRows is how many rows' fields a chunk of copies holds (at
// most a bundle's: a bundle of a few rows whose copies are left to the
// rows emitted must not allocate and keep alive 256 rows' room).
const dedupChunkRows = 256

// copyRow copies r's fields into the bundle's copies.
func (m *miniBatchDedup) copyRow(r table.Row) table.Row {
	return table.Row{Kind: r.Kind, Fields: m.copies.clone(r.Fields)}
}

func newMiniBatchDedup(x *Deduplicate, rc *table.RowCodec, ttl []stream.StateOption) *miniBatchDedup {
	m := &miniBatchDedup{x: x, rc: rc, ttl: ttl, bundleEnds: newBundleEnds(x.MiniBatch), idx: map[string]int{}}
	m.copies.rows = min(dedupChunkRows, max(x.MiniBatch.Size, 1))
	return m
}

func (m *miniBatchDedup) Open(ctx *stream.OpenContext) error {
	m.st = stream.NewValueStateCodec[dedupVal](ctx, "dedup", dedupCodec{rc: m.rc}, m.ttl...) // the per-row operator's state
	return nil
}

func (m *miniBatchDedup) ProcessElement(ctx *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
	m.out = out
	k := ctx.Key()
	i, ok := m.idx[k]
	if !ok {
		i = len(m.bundle)
		m.idx[k] = i
		m.bundle = append(m.bundle, dedupKey{key: k, first: -1, last: -1})
	}
	b := &m.bundle[i]
	x := m.x
	switch {
	case x.Proctime && !x.KeepLast && b.first >= 0:
		// Keeping the first row: the later ones never count.
	case x.Proctime && x.KeepLast && b.first >= 0:
		// Keeping the last: only the last row counts (into the copy of
		// the one before: the same width).
		d := &m.arena[b.first]
		copy(d.r.Fields, r.Fields)
		d.ts = ctx.Timestamp()
	case x.Proctime:
		m.push(b, dedupRow{r: m.copyRow(r), ts: ctx.Timestamp(), next: -1})
	default:
		d := dedupRow{ts: ctx.Timestamp(), next: -1}
		d.null, d.millis, d.nanos = x.timeOf(r)
		if b.last >= 0 {
			if p := &m.arena[b.last]; !x.replaces(d.null, d.millis, d.nanos, p.null, p.millis, p.nanos) {
				// It does not replace the key's last buffered row, so
				// neither the row the fold will have kept by then (that
				// one or a row after it in the ORDER BY): never kept.
				break
			}
		}
		d.r = m.copyRow(r)
		m.push(b, d)
	}
	m.rows++
	m.arm(ctx, k)
	return nil
}

// push appends d to b's rows.
func (m *miniBatchDedup) push(b *dedupKey, d dedupRow) {
	j := int32(len(m.arena))
	m.arena = append(m.arena, d)
	if b.last >= 0 {
		m.arena[b.last].next = j
	} else {
		b.first = j
	}
	b.last = j
}

// OnTimer ends the bundle when its allowed latency passed.
func (m *miniBatchDedup) OnTimer(ctx *stream.KeyedContext[string], t int64, _ stream.Emitter[table.Row]) error {
	if !m.popped(ctx, t) {
		return nil
	}
	return m.Flush(ctx, m.setKey)
}

// Flush folds the bundle into state and emits its changes
// (operator.KeyedBuffer: a full bundle, its latency, a watermark, a
// checkpoint barrier, the end of the input).
func (m *miniBatchDedup) Flush(ctx *stream.KeyedContext[string], setKey func(string)) error {
	m.disarm(ctx, setKey)
	if m.rows == 0 {
		return nil
	}
	tsOut, _ := m.out.(interface{ SetTimestamp(int64) })
	for i := range m.bundle {
		b := &m.bundle[i]
		setKey(b.key)
		if err := m.fold(b, tsOut); err != nil {
			return err
		}
	}
	// Drop the references to the rows; the arena (at most size rows: a
	// bundle ends there) is reused, and so are the chunks when what
	// follows is done with the rows emitted.
	clear(m.arena)
	m.arena = m.arena[:0]
	if m.reuse == 0 {
		m.reuse = -1
		if stream.EmitterReleases(m.out) {
			m.reuse = 1
		}
	}
	if m.reuse < 0 {
		m.copies.abandon()
	} else {
		m.copies.reset()
	}
	clear(m.bundle)
	m.bundle = m.bundle[:0]
	clear(m.idx)
	m.rows = 0
	return nil
}

// fold applies one key's rows of the bundle to its state and emits the
// changes.
func (m *miniBatchDedup) fold(b *dedupKey, tsOut interface{ SetTimestamp(int64) }) error {
	x := m.x
	old, seen := m.st.Get()
	// The rows that replace the kept one, in order (each replaces the one
	// before it).
	keep := m.keep[:0]
	switch {
	case x.Proctime:
		// The first (keep-first, when the key has no row yet) or the last
		// row: one row is buffered.
		if !seen || x.KeepLast {
			keep = append(keep, int(b.first)) // the only row
		}
	default:
		has, null, ms, ns := seen, old.null, old.millis, old.nanos
		for i := int(b.first); i >= 0; i = int(m.arena[i].next) {
			d := &m.arena[i]
			if has && !x.replaces(d.null, d.millis, d.nanos, null, ms, ns) {
				continue
			}
			keep = append(keep, i)
			has, null, ms, ns = true, d.null, d.millis, d.nanos
		}
	}
	m.keep = keep
	if len(keep) == 0 {
		return nil
	}
	var prev table.Row
	if seen && !(x.Proctime && !x.KeepLast) {
		// Decoded before the write: old.b is the state's.
		var err error
		if prev, err = old.oldRow(m.rc, table.UpdateBefore); err != nil {
			return err
		}
	}
	// The state takes the last replacement, written before any row is
	// emitted (an emitted row is no longer this operator's to read).
	last := &m.arena[keep[len(keep)-1]]
	nv := dedupVal{row: &last.r}
	if x.Proctime && !x.KeepLast {
		nv = dedupVal{}
	} else if !x.Proctime {
		nv.null, nv.millis, nv.nanos = last.null, last.millis, last.nanos
	}
	m.st.Set(nv)
	has := seen
	for j, i := range keep {
		r := m.arena[i].r
		if tsOut != nil {
			tsOut.SetTimestamp(m.arena[i].ts)
		}
		var next table.Row
		if j+1 < len(keep) {
			// r is the -U of the next replacement: the same fields,
			// emitted twice. No consumer writes them: a Deduplicate
			// forwards its input's rows, so freshRows is false of it and
			// no Calc over it writes in place (calc.go's row ownership;
			// TestDedupRowsNotFresh), and no other operator writes into
			// a row it receives.
			next = table.Row{Kind: table.UpdateBefore, Fields: r.Fields}
		}
		if has {
			m.out.Emit(prev)
			r.Kind = table.UpdateAfter
		} else {
			r.Kind = table.Insert
		}
		m.out.Emit(r)
		prev, has = next, true
	}
	return nil
}
