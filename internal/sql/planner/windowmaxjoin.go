package planner

import (
	"encoding/binary"
	"fmt"
	"reflect"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Window-max join (physical translation only; EXPLAIN still shows the
// regular join): Nexmark q7's shape,
//
//	SELECT ... FROM t B JOIN (
//	    SELECT MAX(x) AS m, window_end AS e
//	    FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL 's'))
//	    GROUP BY window_start, window_end) B1
//	ON B.x = B1.m
//	WHERE B.ts BETWEEN B1.e - INTERVAL 'd' AND B1.e      -- 0 <= d <= s
//
// joins the rows of t with the maximum of a window of the same rows. As a
// regular join it keeps every row of t forever (most of them can never
// match: their x is below the maximum of their own window). Here the
// window's maximum and the join are one keyed operator over t's rows,
// keyed by window, with the same results:
//
//   - The time condition lets a row (event time ts, which the window used)
//     match only the window it belongs to (end E0) and, when ts is exactly
//     a window end, the window ending at ts (an "edge" row, routed to that
//     window too). Every other pair fails the condition, which the Calc
//     above still evaluates.
//   - A row of its own window that is not late (the window has not fired)
//     is one of the rows whose maximum the window aggregation computes;
//     once its x is below the running maximum it is below the final one
//     and can never match. The operator keeps the rows equal to the
//     running maximum (dropped when it rises) and, of the edge rows (not
//     part of that maximum), those at or above it.
//   - Lateness is the sliced window aggregation's: a row whose window
//     already fired (the watermark reached E - 1) is not added to the
//     maximum; the window's result row, kept after firing (as the regular
//     join keeps its right rows forever), is joined with it at once, as
//     the regular join would pair it. A window that never had a row on
//     time has no result row and nothing joins it.
//   - Keys compare as SQL's `=`: a NULL equals nothing, so a row whose x
//     is NULL is never kept (and a window of NULLs, whose maximum is NULL,
//     joins nothing).
//
// The result row is the WindowAgg's (window_start, window_end,
// window_time, MAX) through the Calcs over it, if any; its key column must
// be the MAX. The window aggregation's input and the join's left input
// must be one subtree (equal subtrees) under Calcs without filter that
// pass x through, and the left input Calcs over a scan.
type windowMaxJoin struct {
	j        *RegularJoin
	w        *WindowAgg
	rCalcs   []*Calc // over w, bottom-up
	lKey, lt int     // left key column, left event-time column
	size     int64   // window size, ms
}

// matchWindowMaxJoin recognises the shape above in the fused Calc f over
// the join j.
func (tr *translator) matchWindowMaxJoin(f *fusedCalc, j *RegularJoin) (*windowMaxJoin, bool) {
	if j.Kind != "INNER" || j.Cond != nil || j.TTL != 0 || len(j.LKeys) != 1 || keyOp(j.NullSafe, 0) != "=" || tr.shared(j) ||
		reflect.TypeOf(*j).NumField() != joinFields || j.L.Updating() {
		return nil, false
	}
	if d, err := tr.p.stateTTL(); err != nil || d != 0 {
		return nil, false // the regular join's rows would expire
	}
	// The left input: Calcs over a scan, whose event-time attribute is
	// the time of its records (which the window assigns by).
	for n := j.L; ; {
		if c, ok := n.(*Calc); ok {
			n = c.In
			continue
		}
		if _, ok := n.(*Scan); !ok {
			return nil, false
		}
		break
	}
	m := &windowMaxJoin{j: j, lKey: j.LKeys[0]}
	rn := j.R
	for {
		c, ok := rn.(*Calc)
		if !ok {
			break
		}
		m.rCalcs = append([]*Calc{c}, m.rCalcs...) // bottom-up
		rn = c.In
	}
	w, ok := rn.(*WindowAgg)
	if !ok || w.Kind != "TUMBLE" || w.Offset != 0 || w.Proctime || w.Zone != nil || len(w.Keys) != 0 || len(w.Aggs) != 1 || w.In.Updating() {
		return nil, false
	}
	a := w.Aggs[0]
	if a.F.Name() != "MAX" || !expr.Mergeable(a.F) || len(a.Args) != 1 || a.Filter >= 0 || !a.F.ResultType().IsInteger() {
		return nil, false
	}
	m.w, m.size = w, w.Size.Milliseconds()
	if m.size <= 0 {
		return nil, false
	}
	// rcol maps a column of j.R to the WindowAgg's output column (-1: not
	// a column passed through).
	rcol := func(k int) int {
		for i := len(m.rCalcs) - 1; i >= 0; i-- {
			c := m.rCalcs[i]
			if k < 0 || k >= len(c.Exprs) {
				return -1
			}
			col, ok := c.Exprs[k].(*expr.Column)
			if !ok {
				return -1
			}
			k = col.Index
		}
		return k
	}
	const wEnd, wMax = 1, 3 // window_start, window_end, window_time, MAX
	if rcol(j.RKeys[0]) != wMax {
		return nil, false
	}
	lt, rt := j.L.Cols()[m.lKey].Type, j.R.Cols()[j.RKeys[0]].Type
	if !lt.IsInteger() || !lt.EqualIgnoringNull(rt) {
		return nil, false
	}
	// The window's input and the left input are one subtree under Calcs
	// without filter that pass the key (the MAX argument) through.
	type at struct {
		n   Node
		col int
	}
	down := func(n Node, col int) []at {
		out := []at{{n, col}}
		for {
			c, ok := n.(*Calc)
			if !ok || c.Filter != nil || col >= len(c.Exprs) {
				return out
			}
			x, ok := c.Exprs[col].(*expr.Column)
			if !ok {
				return out
			}
			n, col = c.In, x.Index
			out = append(out, at{n, col})
		}
	}
	common := false
	lchain := down(j.L, m.lKey)
	for _, x := range down(w.In, a.Args[0]) {
		for _, y := range lchain {
			if x.col == y.col && reflect.DeepEqual(x.n, y.n) {
				common = true
			}
		}
	}
	if !common {
		return nil, false
	}
	// The time condition.
	nl := len(j.L.Cols())
	bare := func(e expr.Expr) expr.Expr {
		for {
			c, ok := e.(*expr.Cast)
			if !ok || !c.Implicit {
				return e
			}
			e = c.X
		}
	}
	endCol := func(e expr.Expr) bool {
		c, ok := bare(e).(*expr.Column)
		return ok && c.Index >= nl && rcol(c.Index-nl) == wEnd
	}
	m.lt = -1
	for _, c := range f.filters {
		b, ok := c.(*expr.Between)
		if !ok || b.Not || b.Symmetric || !endCol(b.Hi) {
			continue
		}
		x, ok := bare(b.X).(*expr.Column)
		if !ok || x.Index >= nl || j.L.Cols()[x.Index].Type.TimeAttr() != table.Rowtime {
			continue
		}
		lo, ok := bare(b.Lo).(*expr.Call)
		if !ok || lo.Name != "-" || len(lo.Args) != 2 || !endCol(lo.Args[0]) {
			continue
		}
		d, ok := bare(lo.Args[1]).(*expr.Literal)
		if !ok || d.V.Kind() != table.KindIntervalDayTime || d.V.AsInterval() < 0 || d.V.AsInterval() > m.size {
			continue
		}
		m.lt = x.Index
		break
	}
	if m.lt < 0 {
		return nil, false
	}
	return m, true
}

// build translates the join: the left rows routed to their windows (an
// edge row also to the window ending at its time, with that window's end
// appended as an extra field), keyed by window end.
func (tr *translator) windowMaxJoin(m *windowMaxJoin) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	l, err := tr.build(m.j.L)
	if err != nil {
		return zero, err
	}
	var rcalcs []wmjCalc
	for _, c := range m.rCalcs {
		var k wmjCalc
		for _, e := range c.Exprs {
			p, err := expr.Compile(e, tr.copts...)
			if err != nil {
				return zero, err
			}
			k.progs = append(k.progs, p)
		}
		if c.Filter != nil {
			if k.filter, err = expr.CompilePredicate(c.Filter, tr.copts...); err != nil {
				return zero, err
			}
		}
		rcalcs = append(rcalcs, k)
	}
	nl, nr, lt, size := len(m.j.L.Cols()), len(m.j.R.Cols()), m.lt, m.size
	// Neither the route nor the keyed function keeps an input row past
	// its call (the route emits it or a copy; the join encodes what it
	// keeps into state and emits only rows of its own: joinRows, decoded
	// rows), so a source below may reuse rows when the operators after
	// the join are done with theirs too (connector.RecordReuser).
	route := wmjRoute(nl, lt, size)
	routed := stream.ProcessEachReleasing(l, func() stream.ProcessFunc[table.Row, table.Row] {
		return func(_ *stream.Context, r table.Row, out stream.Emitter[table.Row]) error {
			route(r, out)
			return nil
		}
	}).Name("window-max-join-route")
	// Its UID is the default one (name-position) it had before the
	// scans' pre-filters existed, counted without them and with the
	// Calcs they now run (scanshare.go), so that savepoints of those
	// plans keep restoring (the pre-filter nodes would move the position
	// of a route translated after them, and the Calcs no longer nodes
	// the other way).
	routed = routed.UID(fmt.Sprintf("window-max-join-route-%d", routed.ID()-tr.prefilters+tr.fusedCalcs))
	key := wmjKey(nl, lt, size)
	lc := rowCodecOf(m.j.L)
	newFn := func() stream.KeyedProcessFunction[int64, table.Row, table.Row] {
		return &windowMaxJoinFn{lc: lc, nl: nl, nr: nr, lKey: m.lKey, size: size, rcalcs: rcalcs}
	}
	return stream.KeyedProcessReleasing(stream.KeyBy(routed, key), newFn).Name("window-max-join").UID(tr.uid("window-max-join")), nil
}

// wmjRoute sends a row with event time (column lt) to its window and, when
// its time is a window end, a copy with that end appended to the window
// ending then.
func wmjRoute(nl, lt int, size int64) func(table.Row, stream.Emitter[table.Row]) {
	return func(r table.Row, out stream.Emitter[table.Row]) {
		v := r.Fields[lt]
		if v.IsNull() {
			return // no event time: the window drops it, the condition fails
		}
		ts, _ := v.AsTimestamp()
		out.Emit(r)
		if table.FloorDiv(ts, size)*size == ts {
			f := make([]table.Value, nl+1)
			copy(f, r.Fields)
			f[nl] = table.Int(ts)
			out.Emit(table.Row{Kind: r.Kind, Fields: f})
		}
	}
}

// wmjKey is the window end of a routed row.
func wmjKey(nl, lt int, size int64) func(table.Row) int64 {
	return func(r table.Row) int64 {
		if len(r.Fields) > nl {
			return r.Fields[nl].AsInt() // an edge row: the window ending at its time
		}
		ts, _ := r.Fields[lt].AsTimestamp()
		return (table.FloorDiv(ts, size) + 1) * size
	}
}

// windowMaxJoinFn is the keyed function of the window-max join, keyed by
// window end. State per window: a header (flags, the running or final
// maximum), the rows equal to the running maximum, and the edge rows (the
// key value in front) that may still equal the final one.
type windowMaxJoinFn struct {
	lc     *table.RowCodec
	nl, nr int
	lKey   int
	size   int64
	rcalcs []wmjCalc
	hdr    *stream.ValueState[wmjHeader]
	rows   *stream.ListState[[]byte]
	edge   *stream.ListState[[]byte]
	keep   [][]byte
}

// Header flags.
const (
	wmjFired  = 1 << iota // the window's result was emitted
	wmjHasMax             // a non-NULL maximum
	wmjOnTime             // the window had a row on time (it has a result)
)

type wmjHeader struct {
	flags byte
	max   int64
}

// wmjHeaderCodec is the header's layout in state: the flags byte, then the
// maximum as a little-endian int64 (9 bytes; the layout of the
// ValueState[[]byte] this was before, so savepoints read alike), decoded
// without a copy of the bytes (the header is read for every row).
type wmjHeaderCodec struct{}

func (wmjHeaderCodec) Append(dst []byte, h wmjHeader) []byte {
	return binary.LittleEndian.AppendUint64(append(dst, h.flags), uint64(h.max))
}

func (wmjHeaderCodec) Decode(b []byte) (wmjHeader, error) {
	if len(b) != 9 {
		return wmjHeader{}, fmt.Errorf("window-max join: corrupt header of %d bytes", len(b))
	}
	return wmjHeader{flags: b[0], max: int64(binary.LittleEndian.Uint64(b[1:]))}, nil
}

func (f *windowMaxJoinFn) Open(ctx *stream.OpenContext) error {
	f.hdr = stream.NewValueStateCodec(ctx, "wmj-header", wmjHeaderCodec{})
	f.rows = stream.NewListState[[]byte](ctx, "wmj-rows")
	f.edge = stream.NewListState[[]byte](ctx, "wmj-edge")
	return nil
}

// header reads the window's header (a corrupt one fails the job when the
// state handle decodes it).
func (f *windowMaxJoinFn) header() (wmjHeader, bool, error) {
	h, ok := f.hdr.Get()
	return h, ok, nil
}

func (f *windowMaxJoinFn) setHeader(h wmjHeader) { f.hdr.Set(h) }

// equal reports whether key v equals the maximum of h (SQL's `=`: never
// when either is NULL).
func equal(v table.Value, h wmjHeader) bool {
	return !v.IsNull() && h.flags&wmjHasMax != 0 && v.AsInt() == h.max
}

// below reports whether key v is below the maximum of h (NULL is below
// every number), so that it cannot equal the final maximum.
func below(v table.Value, h wmjHeader) bool {
	if h.flags&wmjHasMax == 0 {
		return false
	}
	return v.IsNull() || v.AsInt() < h.max
}

func (f *windowMaxJoinFn) ProcessElement(ctx *stream.KeyedContext[int64], r table.Row, out stream.Emitter[table.Row]) error {
	end := ctx.Key()
	isEdge := len(r.Fields) > f.nl
	if isEdge {
		r.Fields = r.Fields[:f.nl]
	}
	v := r.Fields[f.lKey]
	h, ok, err := f.header()
	if err != nil {
		return err
	}
	if !ok {
		if end-1 <= ctx.CurrentWatermark() {
			return nil // the window fired without a row on time: no result to join
		}
		ctx.RegisterEventTimeTimer(end - 1)
	}
	if v.IsNull() {
		// Matches no maximum, nor raises it.
		if !ok {
			f.setHeader(h)
		}
		return nil
	}
	if h.flags&wmjFired != 0 {
		if h.flags&wmjOnTime != 0 && equal(v, h) {
			return f.emitPair(r, end, h, out)
		}
		return nil
	}
	if isEdge {
		// Not part of this window's maximum: kept while it may equal it.
		if below(v, h) {
			if !ok {
				f.setHeader(h)
			}
			return nil
		}
		b, err := f.lc.AppendRow(appendKey(nil, v), r)
		if err != nil {
			return err
		}
		f.edge.Add(b)
		if !ok {
			f.setHeader(h)
		}
		return nil
	}
	h.flags |= wmjOnTime
	switch {
	case below(v, h):
		if !ok {
			f.setHeader(h)
		}
		return nil
	case !equal(v, h) || !ok:
		// A new maximum (or the first row): the rows kept so far are below it.
		if !v.IsNull() {
			h.flags |= wmjHasMax
			h.max = v.AsInt()
		}
		f.rows.Clear()
		if err := f.pruneEdge(h); err != nil {
			return err
		}
	}
	f.setHeader(h)
	b, err := f.lc.AppendRow(nil, r)
	if err != nil {
		return err
	}
	f.rows.Add(b)
	return nil
}

// appendKey writes a key value in front of an edge row: a NULL flag and
// the int64.
func appendKey(dst []byte, v table.Value) []byte {
	if v.IsNull() {
		return append(dst, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	return binary.LittleEndian.AppendUint64(append(dst, 1), uint64(v.AsInt()))
}

func edgeKey(b []byte) (table.Value, []byte, error) {
	if len(b) < 9 || b[0] > 1 {
		return table.Value{}, nil, fmt.Errorf("window-max join: corrupt edge row")
	}
	if b[0] == 0 {
		return table.Null, b[9:], nil
	}
	return table.Int(int64(binary.LittleEndian.Uint64(b[1:]))), b[9:], nil
}

// pruneEdge drops the edge rows below the maximum of h.
func (f *windowMaxJoinFn) pruneEdge(h wmjHeader) error {
	f.keep = f.keep[:0]
	dropped := false
	var ferr error
	f.edge.Range(func(b []byte) bool {
		v, _, err := edgeKey(b)
		if err != nil {
			ferr = err
			return false
		}
		if below(v, h) {
			dropped = true
		} else {
			f.keep = append(f.keep, b)
		}
		return true
	})
	if ferr != nil || !dropped {
		return ferr
	}
	if len(f.keep) == 0 {
		f.edge.Clear()
	} else {
		f.edge.Update(f.keep)
	}
	return nil
}

// result returns the right row of window end with header h (ok false when
// the Calc over the window aggregation filters it out).
func (f *windowMaxJoinFn) result(end int64, h wmjHeader) (table.Row, bool, error) {
	mx := table.Null
	if h.flags&wmjHasMax != 0 {
		mx = table.Int(h.max)
	}
	w := table.Row{Kind: table.Insert, Fields: []table.Value{
		table.TimestampMillis(end - f.size), table.TimestampMillis(end), table.TimestampMillis(end - 1), mx}}
	for _, c := range f.rcalcs {
		if c.filter != nil {
			if ok, err := c.filter(&w); err != nil || !ok {
				return table.Row{}, false, err
			}
		}
		r := table.Row{Kind: table.Insert, Fields: make([]table.Value, len(c.progs))}
		for i, p := range c.progs {
			v, err := p(&w)
			if err != nil {
				return table.Row{}, false, err
			}
			r.Fields[i] = v
		}
		w = r
	}
	return w, true, nil
}

// wmjCalc is a compiled Calc over the window aggregation's row.
type wmjCalc struct {
	filter func(*table.Row) (bool, error)
	progs  []expr.Program
}

func (f *windowMaxJoinFn) emitPair(l table.Row, end int64, h wmjHeader, out stream.Emitter[table.Row]) error {
	r, ok, err := f.result(end, h)
	if err != nil || !ok {
		return err
	}
	out.Emit(joinRows(l.Fields, r.Fields, f.nl, f.nr))
	return nil
}

func (f *windowMaxJoinFn) OnTimer(ctx *stream.KeyedContext[int64], t int64, out stream.Emitter[table.Row]) error {
	end := t + 1
	h, ok, err := f.header()
	if err != nil || !ok || h.flags&wmjFired != 0 {
		return err
	}
	if h.flags&wmjOnTime == 0 {
		// Only edge rows: the window has no result, now or later.
		f.hdr.Clear()
		f.edge.Clear()
		return nil
	}
	r, rok, err := f.result(end, h)
	if err != nil {
		return err
	}
	emit := func(b []byte) error {
		l, err := f.lc.Decode(b)
		if err != nil {
			return err
		}
		if rok {
			out.Emit(joinRows(l.Fields, r.Fields, f.nl, f.nr))
		}
		return nil
	}
	for _, b := range f.rows.Get() {
		if err := emit(b); err != nil {
			return err
		}
	}
	for _, b := range f.edge.Get() {
		v, rb, err := edgeKey(b)
		if err != nil {
			return err
		}
		if equal(v, h) {
			if err := emit(rb); err != nil {
				return err
			}
		}
	}
	f.rows.Clear()
	f.edge.Clear()
	h.flags |= wmjFired
	f.setHeader(h)
	return nil
}
