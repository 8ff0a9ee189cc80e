package planner

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// OverAgg is an event-time OVER aggregation: agg(x) OVER (PARTITION BY k
// ORDER BY rowtime ROWS|RANGE BETWEEN ... PRECEDING AND CURRENT ROW). Each
// row is buffered until the watermark passes its timestamp, then emitted
// (in timestamp order, rows of one timestamp in arrival order) with the
// aggregates over its frame: the Rows preceding rows and itself (ROWS), or
// the rows of the last Range up to its timestamp, its peers included
// (RANGE). Late rows (timestamp <= watermark) are dropped and counted.
// Insert-only. Output: the input columns, then the aggregates.
type OverAgg struct {
	In        Node
	Partition []int
	Order     int    // the event-time attribute
	Unit      string // ROWS, RANGE
	Unbounded bool
	Rows      int64
	Range     time.Duration
	Aggs      []AggCall
	cols      []Col
}

func (n *OverAgg) Cols() []Col    { return n.cols }
func (n *OverAgg) Updating() bool { return false }
func (n *OverAgg) Inputs() []Node { return []Node{n.In} }

func (n *OverAgg) explain() string {
	from := "UNBOUNDED PRECEDING"
	switch {
	case n.Unbounded:
	case n.Unit == "ROWS":
		from = fmt.Sprintf("%d PRECEDING", n.Rows)
	default:
		from = fmt.Sprintf("%v PRECEDING", n.Range)
	}
	return fmt.Sprintf("OverAggregate(partitionBy=[%s], orderBy=[%s], window=[%s BETWEEN %s AND CURRENT ROW], select=[%s]",
		keysText(n.In, n.Partition), colText(n.In, n.Order), n.Unit, from, aggsText(n.Aggs))
}

// overCalls returns the calls with OVER in the select list.
func (p *Planner) overCalls(sel *parser.Select) []*parser.FuncCall {
	var out []*parser.FuncCall
	for _, it := range sel.Items {
		p.b.walk(it.Expr, func(e parser.Expr) {
			if f, ok := e.(*parser.FuncCall); ok && (f.Over != nil || f.OverName != nil) {
				out = append(out, f)
			}
		})
	}
	return out
}

// bindOver plans a SELECT with OVER aggregates: a pre-projection (the
// input columns, the partition keys, the aggregate arguments), the
// OverAgg, and the projection of the select list.
func (p *Planner) bindOver(sel *parser.Select, in Node, s *scope, filter expr.Expr, over []*parser.FuncCall) (Node, error) {
	var err error
	if s.win != nil {
		if in, err = materializeTVF(in, s); err != nil {
			return nil, err
		}
	}
	specOf := func(f *parser.FuncCall) (*parser.WindowSpec, error) {
		name := f.OverName
		if f.Over != nil {
			if f.Over.Base == nil {
				return f.Over, nil
			}
			if len(f.Over.PartitionBy) > 0 || len(f.Over.OrderBy) > 0 || f.Over.Frame != nil {
				return nil, errAt(f.Over, "a window that extends a named window is not supported yet")
			}
			name = f.Over.Base
		}
		for _, w := range sel.Windows {
			if strings.EqualFold(w.Name.Name, name.Name) {
				return w.Spec, nil
			}
		}
		return nil, errAt(name, "unknown window `%s`: declare it in WINDOW %s AS (...)", name.Name, name.Name)
	}
	f0 := over[0]
	spec, err := specOf(f0)
	if err != nil {
		return nil, err
	}
	for _, f := range over[1:] {
		sp, err := specOf(f)
		if err != nil {
			return nil, err
		}
		if sp.String() != spec.String() {
			return nil, errAt(f, "all OVER aggregates of a SELECT must use the same window (as in Flink): %s differs from %s", f, f0)
		}
	}
	if in.Updating() {
		return nil, errAt(f0, "an OVER aggregation over an updating input is not supported (Flink rejects it too): its input must be insert-only")
	}
	if len(spec.OrderBy) != 1 {
		return nil, errAt(spec, "an OVER window needs ORDER BY one event-time attribute (ascending)")
	}
	ob := spec.OrderBy[0]
	ocr, ok := ob.Expr.(*parser.ColumnRef)
	if !ok || ob.Desc {
		return nil, errAt(ob, "an OVER window must be ordered by an event-time attribute, ascending")
	}
	oi, err := s.resolve(ocr)
	if err != nil {
		return nil, err
	}
	if a := s.cols[oi].t.TimeAttr(); a != table.Rowtime && a != table.RowtimeUnstamped {
		return nil, errAt(ob, "`%s` is not an event-time attribute: an OVER window must be ordered by one (processing time is not supported yet)", ocr)
	}
	// An interval join's time column: the rows re-stamped by it.
	if in, err = stampedBy(ob, in, oi, s.cols[oi].t, "an OVER window"); err != nil {
		return nil, err
	}
	if _, ok := in.(*Restamp); ok {
		s.cols[oi].t = in.Cols()[oi].Type
	}
	node := &OverAgg{Unit: "RANGE", Unbounded: true}
	if fr := spec.Frame; fr != nil {
		node.Unit = fr.Unit
		if fr.End != nil && fr.End.Kind != "CURRENT ROW" {
			return nil, errAt(fr.End, "an OVER window must end at CURRENT ROW (FOLLOWING is not supported)")
		}
		switch fr.Start.Kind {
		case "UNBOUNDED PRECEDING":
		case "CURRENT ROW":
			node.Unbounded = false
		case "PRECEDING":
			node.Unbounded = false
			if fr.Unit == "ROWS" {
				lit, ok := fr.Start.Offset.(*parser.Literal)
				var n int64 = -1
				if ok {
					n, err = strconv.ParseInt(lit.Value, 10, 64)
				}
				if !ok || err != nil || n < 0 {
					return nil, errAt(fr.Start, "ROWS n PRECEDING takes a non-negative integer literal")
				}
				node.Rows = n
			} else {
				il, ok := fr.Start.Offset.(*parser.IntervalLit)
				if !ok {
					return nil, errAt(fr.Start, "RANGE ... PRECEDING of an event-time order takes an INTERVAL literal")
				}
				if node.Range, err = intervalOf(il); err != nil {
					return nil, err
				}
			}
		default:
			return nil, errAt(fr.Start, "an OVER window must start at UNBOUNDED PRECEDING, n PRECEDING or CURRENT ROW")
		}
	}
	// The pre-projection: the input columns, then keys and arguments.
	a := &aggCtx{in: s, keyText: map[string]int{}, keyCol: map[int]int{}, preText: map[string]int{}, updatingIn: !node.Unbounded}
	for _, pe := range spec.PartitionBy {
		if p.b.hasAgg(pe) {
			return nil, errAt(pe, "aggregate functions are not allowed in PARTITION BY")
		}
		e, err := p.b.bind(pe, s)
		if err != nil {
			return nil, err
		}
		node.Partition = append(node.Partition, a.addPre(e))
	}
	overCol := map[string]int{}
	for _, f := range over {
		name := strings.ToUpper(f.Name.Parts[len(f.Name.Parts)-1].Name)
		if len(f.Name.Parts) != 1 || !(aggNames[name] || p.b.udafs[name] != nil) {
			if name == "ROW_NUMBER" || name == "RANK" || name == "DENSE_RANK" {
				return nil, errAt(f, "%s() OVER is only supported as a Top-N or deduplication (a subquery with WHERE rn <= N)", name)
			}
			return nil, errAt(f, "%s is not an aggregate function: OVER takes COUNT, SUM, AVG, MIN, MAX, FIRST_VALUE, LAST_VALUE, LISTAGG, ARRAY_AGG, the variances (VAR_POP ...) or a registered aggregate", f.Name)
		}
		if _, ok := overCol[f.String()]; ok {
			continue
		}
		if _, err := p.b.bindAggCall(f, a); err != nil {
			return nil, err
		}
		overCol[f.String()] = len(a.aggs) - 1
	}
	var exprs []expr.Expr
	var preCols []Col
	for i, c := range s.cols {
		exprs = append(exprs, expr.ColumnRef(i, c.name, c.t))
		preCols = append(preCols, Col{Name: c.name, Type: c.t, Win: c.win})
	}
	// at maps a.pre to the pre-projection: a column is itself, an
	// expression a new column after the input's.
	at := make([]int, len(a.pre))
	for i, e := range a.pre {
		if c, ok := e.(*expr.Column); ok {
			at[i] = c.Index
			continue
		}
		at[i] = len(exprs)
		exprs = append(exprs, e)
		preCols = append(preCols, Col{Name: fmt.Sprintf("$%d", len(exprs)-1), Type: e.Type().WithTimeAttr(table.NoTimeAttr)})
	}
	var pre Node = in
	if len(exprs) > len(s.cols) || filter != nil {
		pre = &Calc{In: in, Filter: filter, Exprs: exprs, cols: preCols}
	}
	for i := range node.Partition {
		node.Partition[i] = at[node.Partition[i]]
	}
	for i := range a.aggs {
		for j := range a.aggs[i].Args {
			a.aggs[i].Args[j] = at[a.aggs[i].Args[j]]
		}
		if a.aggs[i].Filter >= 0 {
			a.aggs[i].Filter = at[a.aggs[i].Filter]
		}
		if !node.Unbounded && !a.aggs[i].F.CanRetract() {
			return nil, errAt(f0, "aggregate %s cannot retract, which a bounded OVER window needs", a.aggs[i].Text)
		}
	}
	node.In, node.Order, node.Aggs = pre, oi, a.aggs
	node.cols = append(node.cols, preCols...)
	for _, c := range a.aggs {
		node.cols = append(node.cols, Col{Name: c.Text, Type: c.F.ResultType()})
	}
	// The select list over the OverAgg's output.
	os := &scope{cols: append([]scopeCol(nil), s.cols...), over: map[string]expr.Expr{}}
	for t, i := range overCol {
		os.over[t] = expr.ColumnRef(len(preCols)+i, t, a.aggs[i].F.ResultType())
	}
	var es []expr.Expr
	var cols []Col
	for i, it := range sel.Items {
		if st, ok := it.Expr.(*parser.Star); ok {
			for j, c := range s.cols {
				if len(st.Qualifier) == 1 && c.qual != st.Qualifier[0].Name {
					continue
				}
				es = append(es, expr.ColumnRef(j, c.name, c.t))
				cols = append(cols, Col{Name: c.name, Type: c.t, Win: c.win})
			}
			continue
		}
		e, err := p.b.bind(it.Expr, os)
		if err != nil {
			return nil, err
		}
		es = append(es, e)
		t := e.Type()
		var win winAttr
		if c, ok := e.(*expr.Column); ok && c.Index < len(s.cols) {
			win = s.cols[c.Index].win
		} else {
			t = t.WithTimeAttr(table.NoTimeAttr)
		}
		cols = append(cols, Col{Name: itemName(it, i), Type: t, Win: win})
	}
	return &Calc{In: node, Exprs: es, cols: cols}, nil
}

// appendRows appends rows as (timestamp, length, RowCodec bytes) entries.
// pendingByTime buffers the rows of a key by event time in keyed state
// until the watermark passes them (the OVER aggregation and the event-time
// sort): a row at or behind the watermark is late, counted and dropped.
type pendingByTime struct {
	st *stream.MapState[int64, []byte]
}

// add buffers r at its timestamp and asks for a timer then.
func (p pendingByTime) add(ctx *stream.KeyedContext[string], rc *table.RowCodec, r table.Row) error {
	ts := ctx.Timestamp()
	if ts <= ctx.CurrentWatermark() {
		ctx.CountLate()
		return nil
	}
	b, err := rc.AppendRow(nil, table.Row{Fields: r.Fields})
	if err != nil {
		return err
	}
	old, _ := p.st.Get(ts)
	p.st.Put(ts, appendEntry(old, ts, b))
	ctx.RegisterEventTimeTimer(ts)
	return nil
}

// take removes and returns the rows buffered at ts (none: nil).
func (p pendingByTime) take(ts int64) ([]overEntry, error) {
	b, ok := p.st.Get(ts)
	if !ok {
		return nil, nil
	}
	p.st.Remove(ts)
	return readEntries(b)
}

func appendEntry(dst []byte, ts int64, row []byte) []byte {
	dst = binary.AppendVarint(dst, ts)
	dst = binary.AppendUvarint(dst, uint64(len(row)))
	return append(dst, row...)
}

type overEntry struct {
	ts  int64
	row []byte
}

func readEntries(b []byte) ([]overEntry, error) {
	var out []overEntry
	for len(b) > 0 {
		ts, n := binary.Varint(b)
		if n <= 0 {
			return nil, fmt.Errorf("over: corrupt state")
		}
		b = b[n:]
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, fmt.Errorf("over: corrupt state")
		}
		out = append(out, overEntry{ts: ts, row: b[n : n+int(l)]})
		b = b[n+int(l):]
	}
	return out, nil
}

func (n *OverAgg) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	in, err := tr.build(n.In)
	if err != nil {
		return zero, err
	}
	keyFn, _ := keyOf(n.In, n.Partition)
	g := newGroupAccs(n.In, n.Aggs) // DISTINCT aggregates in map state: distinctagg.go
	// table.exec.state.ttl: the accumulators and the frame of a partition
	// expire that long after their last write (the last time the watermark
	// emitted rows of the key); rows waiting for the watermark do not, as
	// Flink's OVER functions keep unprocessed input when they clean up.
	// The DISTINCT views take no TTL of their own (Flink's OVER functions
	// open their MapViews without one): their entries are values of the
	// live accumulator and frame, and go with them, cleared when the
	// partition is found expired: by the next row of the key, or by a
	// processing-time cleanup timer (one pending per key, "over-cleanup"
	// says it is) that finds the accumulator gone, as Flink clears
	// accumulator, input and views together from its cleanup timer. A
	// timer that finds the accumulator alive looks again a TTL later, so
	// the views of a partition go at most two TTLs after its last write.
	ttlD, err := tr.p.stateTTL()
	if err != nil {
		return zero, err
	}
	ttl, newFn := n.newFn(g, ttlD)
	return stream.KeyedProcess(stream.KeyBy(in, keyFn), newFn).Name("over-aggregate").UID(tr.uid(ttlUIDKind(g.uidKind("over-agg"), ttl))), nil
}

// newFn returns the state options of the state TTL ttlD (0: none) and the
// OVER aggregation's process function.
func (n *OverAgg) newFn(g *groupAccs, ttlD time.Duration) ([]stream.StateOption, func() stream.KeyedProcessFunction[string, table.Row, table.Row]) {
	rc := rowCodecOf(n.In)
	a := g.a
	ttl := ttlOptsOf(ttlD)
	cleanupViews := len(ttl) > 0 && len(g.views) > 0
	return ttl, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		var pending pendingByTime
		var acc, frame *stream.ValueState[[]byte]
		var gs *groupState
		var cleanup *stream.ValueState[bool]
		// scheduleCleanup asks for the cleanup timer a TTL from now.
		scheduleCleanup := func(ctx *stream.KeyedContext[string]) {
			ctx.RegisterProcessingTimeTimer(ctx.ProcessingTime() + ttlD.Milliseconds())
			cleanup.Set(true)
		}
		return stream.KeyedProcessFuncs[string, table.Row, table.Row]{
			OnOpen: func(ctx *stream.OpenContext) error {
				if cleanupViews {
					cleanup = stream.NewValueState[bool](ctx, "over-cleanup")
				}
				pending = pendingByTime{stream.NewMapState[int64, []byte](ctx, "over-pending")}
				acc = stream.NewValueState[[]byte](ctx, "over-acc", ttl...)
				frame = stream.NewValueState[[]byte](ctx, "over-frame", ttl...)
				gs = g.open(ctx, nil)
				return nil
			},
			OnElement: func(ctx *stream.KeyedContext[string], r table.Row, _ stream.Emitter[table.Row]) error {
				return pending.add(ctx, rc, r)
			},
			OnTimerFn: func(ctx *stream.KeyedContext[string], t int64, out stream.Emitter[table.Row]) error {
				if ctx.TimeDomain() == stream.ProcessingTime {
					// The cleanup timer (registered only with views and a TTL).
					if _, ok := acc.Get(); ok {
						scheduleCleanup(ctx)
						return nil
					}
					gs.clear()
					frame.Clear()
					cleanup.Clear()
					return nil
				}
				rows, err := pending.take(t)
				if err != nil || len(rows) == 0 {
					return err
				}
				// The partition's state: accumulator, frame and views are
				// one. Accumulator and frame are written together, so they
				// expire together; should one be read alive and the other
				// expired (the clock passing the TTL between the reads),
				// the partition starts again as a whole.
				accB, accOK := acc.Get()
				var frB []byte
				frOK := true
				if !n.Unbounded {
					frB, frOK = frame.Get()
				}
				var accRow table.Row
				var fr []overEntry
				if accOK && frOK {
					if accRow, err = a.codec.Decode(accB); err != nil {
						return err
					}
					if fr, err = readEntries(frB); err != nil {
						return err
					}
				} else {
					accRow = a.init()
					gs.clear() // the views of an expired (or new) partition
				}
				retract := func(e overEntry) error {
					old, err := rc.Decode(e.row)
					if err != nil {
						return err
					}
					return gs.apply(accRow, old, true)
				}
				emit := func(r table.Row) error {
					vs, err := a.results(accRow)
					if err != nil {
						return err
					}
					f := make([]table.Value, 0, len(r.Fields)+len(vs))
					out.Emit(table.Row{Kind: table.Insert, Fields: append(append(f, r.Fields...), vs...)})
					return nil
				}
				decoded := make([]table.Row, len(rows))
				for i, e := range rows {
					if decoded[i], err = rc.Decode(e.row); err != nil {
						return err
					}
				}
				if n.Unit == "ROWS" {
					for i, r := range decoded {
						if err := gs.apply(accRow, r, false); err != nil {
							return err
						}
						if !n.Unbounded {
							fr = append(fr, rows[i])
							for int64(len(fr)) > n.Rows+1 {
								if err := retract(fr[0]); err != nil {
									return err
								}
								fr = fr[1:]
							}
						}
						if err := emit(r); err != nil {
							return err
						}
					}
				} else {
					for i, r := range decoded {
						if err := gs.apply(accRow, r, false); err != nil {
							return err
						}
						if !n.Unbounded {
							fr = append(fr, rows[i])
						}
					}
					lo := t - n.Range.Milliseconds()
					for !n.Unbounded && len(fr) > 0 && fr[0].ts < lo {
						if err := retract(fr[0]); err != nil {
							return err
						}
						fr = fr[1:]
					}
					for _, r := range decoded {
						if err := emit(r); err != nil {
							return err
						}
					}
				}
				b, err := a.codec.AppendRow(nil, accRow)
				if err != nil {
					return err
				}
				acc.Set(b)
				if cleanupViews {
					if _, ok := cleanup.Get(); !ok {
						scheduleCleanup(ctx)
					}
				}
				if !n.Unbounded {
					var fb []byte
					for _, e := range fr {
						fb = appendEntry(fb, e.ts, e.row)
					}
					frame.Set(fb)
				}
				return nil
			},
		}
	}
}
