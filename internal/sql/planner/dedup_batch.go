package planner

import (
	"slices"

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
type miniBatchDedup struct {
	x       *Deduplicate
	rc      *table.RowCodec
	ttl     []stream.StateOption
	size    int
	latency int64
	st      *stream.ValueState[dedupVal]

	idx    map[string]int // key -> index in bundle
	bundle []mbKey        // keys in the order of their first row
	tss    [][]int64      // per bundle slot: the timestamps of its rows
	rows   int
	out    stream.Emitter[table.Row]
	setKey func(string)
	keep   []int // scratch: the rows of a key that replace the kept one

	armed    bool
	timerKey string
	timerAt  int64
}

func newMiniBatchDedup(x *Deduplicate, rc *table.RowCodec, ttl []stream.StateOption) *miniBatchDedup {
	return &miniBatchDedup{x: x, rc: rc, ttl: ttl, size: x.MiniBatch.Size,
		latency: x.MiniBatch.Latency.Milliseconds(), idx: map[string]int{}}
}

func (m *miniBatchDedup) Open(ctx *stream.OpenContext) error {
	m.st = stream.NewValueStateCodec[dedupVal](ctx, "dedup", dedupCodec{rc: m.rc}, m.ttl...) // the per-row operator's state
	return nil
}

// UseSetKey keeps the operator's setKey for flushes from the latency
// timer (operator.KeySettingBuffer).
func (m *miniBatchDedup) UseSetKey(setKey func(string)) { m.setKey = setKey }

func (m *miniBatchDedup) ProcessElement(ctx *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
	m.out = out
	k := ctx.Key()
	i, ok := m.idx[k]
	if !ok {
		i = len(m.bundle)
		m.idx[k] = i
		if i < cap(m.bundle) {
			m.bundle = m.bundle[:i+1]
			m.bundle[i].key = k
			m.bundle[i].rows = m.bundle[i].rows[:0]
		} else {
			m.bundle = append(m.bundle, mbKey{key: k})
		}
		if i < len(m.tss) {
			m.tss[i] = m.tss[i][:0]
		} else {
			m.tss = append(m.tss, nil)
		}
	}
	b := &m.bundle[i]
	switch {
	case m.x.Proctime && !m.x.KeepLast && len(b.rows) > 0:
		// Keeping the first row: the later ones never count.
	case m.x.Proctime && m.x.KeepLast && len(b.rows) > 0:
		// Keeping the last: only the last row counts.
		b.rows[0], m.tss[i][0] = r, ctx.Timestamp()
	default:
		b.rows = append(b.rows, r)
		m.tss[i] = append(m.tss[i], ctx.Timestamp())
	}
	m.rows++
	if !m.armed {
		m.armed, m.timerKey = true, k
		m.timerAt = ctx.ProcessingTime() + m.latency
		ctx.RegisterProcessingTimeTimer(m.timerAt)
	}
	return nil
}

// Full ends the bundle at its size (operator.KeyedBuffer).
func (m *miniBatchDedup) Full() bool { return m.rows >= m.size }

// OnTimer ends the bundle when its allowed latency passed.
func (m *miniBatchDedup) OnTimer(ctx *stream.KeyedContext[string], t int64, _ stream.Emitter[table.Row]) error {
	if !m.armed || t != m.timerAt || ctx.Key() != m.timerKey {
		return nil // not the bundle's timer (none is left in a snapshot)
	}
	m.armed = false // popped: nothing to delete
	return m.Flush(ctx, m.setKey)
}

// Flush folds the bundle into state and emits its changes
// (operator.KeyedBuffer: a full bundle, its latency, a watermark, a
// checkpoint barrier, the end of the input).
func (m *miniBatchDedup) Flush(ctx *stream.KeyedContext[string], setKey func(string)) error {
	if m.armed {
		setKey(m.timerKey)
		ctx.DeleteProcessingTimeTimer(m.timerAt)
		m.armed = false
	}
	if m.rows == 0 {
		return nil
	}
	tsOut, _ := m.out.(interface{ SetTimestamp(int64) })
	kept := 0 // row slots kept for the next bundles: at most 2 x size
	for i := range m.bundle {
		b := &m.bundle[i]
		setKey(b.key)
		if err := m.fold(b, m.tss[i], tsOut); err != nil {
			return err
		}
		clear(b.rows) // drop the references to the rows
		if kept+cap(b.rows) > 2*m.size {
			// As the mini-batch aggregation's: a hot key landing in
			// another slot each bundle would leave a size-long array in
			// each.
			b.rows, m.tss[i] = nil, nil
		} else {
			kept += cap(b.rows)
			b.rows = b.rows[:0]
		}
	}
	m.bundle = m.bundle[:0]
	clear(m.idx)
	m.rows = 0
	return nil
}

// fold applies one key's rows of the bundle to its state and emits the
// changes.
func (m *miniBatchDedup) fold(b *mbKey, tss []int64, tsOut interface{ SetTimestamp(int64) }) error {
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
			keep = append(keep, len(b.rows)-1)
		}
	default:
		has, null, ms, ns := seen, old.null, old.millis, old.nanos
		for i, r := range b.rows {
			rn, rm, rs := x.timeOf(r)
			if has && !x.replaces(rn, rm, rs, null, ms, ns) {
				continue
			}
			keep = append(keep, i)
			has, null, ms, ns = true, rn, rm, rs
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
	last := b.rows[keep[len(keep)-1]]
	nv := dedupVal{row: &last}
	if x.Proctime && !x.KeepLast {
		nv = dedupVal{}
	} else if !x.Proctime {
		nv.null, nv.millis, nv.nanos = x.timeOf(last)
	}
	m.st.Set(nv)
	has := seen
	for j, i := range keep {
		r := b.rows[i]
		if tsOut != nil {
			tsOut.SetTimestamp(tss[i])
		}
		var next table.Row
		if j+1 < len(keep) {
			// r is the -U of the next replacement: a copy, taken
			// before r goes out.
			next = table.Row{Kind: table.UpdateBefore, Fields: slices.Clone(r.Fields)}
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
