package planner

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// winAttr marks the window columns of a window relation: the rows of a
// window table function, a window aggregation or a window join. They pass
// through column references (renames, views, subqueries), so a later
// GROUP BY or join on them is a window aggregation or a window join.
// The low two bits are the column (winStart, winEnd, winTime), the others
// the window (an interned spec such as "HOP(slide=2s, size=10s)"), so that
// a window join can check that both sides have the same windows.
type winAttr uint32

const (
	winNone winAttr = iota
	winStart
	winEnd
	winTime
)

var winSpecs struct {
	sync.Mutex
	ids   map[string]winAttr
	names []string
	zones map[string]*windowZone // of the specs of shifted windows
}

// winOf is the window column col (winStart, winEnd, winTime) of the
// windows spec.
func winOf(col winAttr, spec string) winAttr {
	winSpecs.Lock()
	defer winSpecs.Unlock()
	id, ok := winSpecs.ids[spec]
	if !ok {
		if winSpecs.ids == nil {
			winSpecs.ids = map[string]winAttr{}
		}
		winSpecs.names = append(winSpecs.names, spec)
		id = winAttr(len(winSpecs.names))
		winSpecs.ids[spec] = id
	}
	return col | id<<2
}

// winOfZone is winOf for windows of shift time zone z (nil: none),
// which the spec names.
func winOfZone(col winAttr, spec string, z *windowZone) winAttr {
	if z != nil {
		winSpecs.Lock()
		if winSpecs.zones == nil {
			winSpecs.zones = map[string]*windowZone{}
		}
		winSpecs.zones[spec] = z
		winSpecs.Unlock()
	}
	return winOf(col, spec)
}

// zone is the shift time zone of the window of a window column, nil for
// none.
func (w winAttr) zone() *windowZone {
	spec := w.spec()
	winSpecs.Lock()
	defer winSpecs.Unlock()
	return winSpecs.zones[spec]
}

// col is winNone, winStart, winEnd or winTime.
func (w winAttr) col() winAttr { return w & 3 }

// spec is the window of a window column.
func (w winAttr) spec() string {
	winSpecs.Lock()
	defer winSpecs.Unlock()
	if i := int(w >> 2); i > 0 && i <= len(winSpecs.names) {
		return winSpecs.names[i-1]
	}
	return ""
}

// specText is the window of a window TVF or group window, for winOf.
func (w *windowTVF) specText() string {
	off := ""
	if w.offset != 0 {
		off = fmt.Sprintf(", offset=%v", w.offset)
	}
	if w.zone != nil {
		off += ", zone=" + w.zone.name()
	}
	switch w.kind {
	case "HOP":
		return fmt.Sprintf("HOP(slide=%v, size=%v%s)", w.slide, w.size, off)
	case "CUMULATE":
		return fmt.Sprintf("CUMULATE(step=%v, size=%v%s)", w.slide, w.size, off)
	case "SESSION":
		return fmt.Sprintf("SESSION(gap=%v%s)", w.size, off)
	}
	return fmt.Sprintf("TUMBLE(size=%v%s)", w.size, off)
}

// selfTranslating is a node that translates itself (the node files).
type selfTranslating interface {
	translate(tr *translator) (stream.Stream[table.Row], error)
}

// explainer is a node that prints its EXPLAIN line (without the
// changelog mode and the closing parenthesis).
type explainer interface{ explain() string }

// WindowTable is a window table function without an aggregation (TUMBLE,
// HOP, CUMULATE): every row once per window it falls in, with
// window_start, window_end and window_time appended. Insert-only.
type WindowTable struct {
	In          Node
	Kind        string
	Size, Slide time.Duration
	Offset      time.Duration // the OFFSET, in [0, Slide) (CUMULATE: [0, Size))
	TimeCol     string
	cols        []Col
	// Proctime: windows of the processing time a row arrives at.
	Proctime bool
	// Zone is the shift time zone (winzone.go), nil for none.
	Zone *windowZone
}

func (n *WindowTable) Cols() []Col    { return n.cols }
func (n *WindowTable) Updating() bool { return false }
func (n *WindowTable) Inputs() []Node { return []Node{n.In} }

func (n *WindowTable) explain() string {
	win := windowText(n.Kind, n.TimeCol, n.Size, n.Slide, n.Offset)
	if n.Proctime {
		win = procWindowText(win)
	}
	win = zoneWindowText(win, n.Zone)
	return fmt.Sprintf("WindowTableFunction(window=[%s]", win)
}

func windowText(kind, timeCol string, size, slide, offset time.Duration) string {
	off := ""
	if offset != 0 {
		off = fmt.Sprintf(", offset=[%v]", offset)
	}
	switch kind {
	case "HOP":
		return fmt.Sprintf("HOP(%s, slide=[%v], size=[%v]%s)", timeCol, slide, size, off)
	case "CUMULATE":
		return fmt.Sprintf("CUMULATE(%s, step=[%v], size=[%v]%s)", timeCol, slide, size, off)
	case "SESSION":
		return fmt.Sprintf("SESSION(%s, gap=[%v])", timeCol, size)
	}
	return fmt.Sprintf("TUMBLE(%s, size=[%v]%s)", timeCol, size, off)
}

// materializeTVF turns the window table function of scope s (over n) into
// a WindowTable node whose window columns are ordinary columns.
func materializeTVF(n Node, s *scope) (Node, error) {
	w := s.win
	if w.kind == "SESSION" {
		return nil, errAt(w.at, "the SESSION window table function is only supported under a window aggregation (GROUP BY window_start, window_end) yet")
	}
	if n.Updating() {
		return nil, errAt(w.at, "a window table function over an updating input is not supported yet")
	}
	wt := &WindowTable{In: n, Kind: w.kind, Size: w.size, Slide: w.slide, Offset: w.offset, TimeCol: w.timeCol, Proctime: w.proctime, Zone: w.zone}
	wt.cols = append(wt.cols, n.Cols()...)
	for i := w.first; i < w.first+3; i++ {
		s.cols[i].window = false
		wt.cols = append(wt.cols, Col{Name: s.cols[i].name, Type: s.cols[i].t, Win: s.cols[i].win})
	}
	s.win = nil
	return wt, nil
}

func assignerOf(kind string, size, slide, offset time.Duration) stream.WindowAssigner {
	switch kind {
	case "HOP":
		return stream.SlidingEventTimeWindows(size, slide, offset)
	case "CUMULATE":
		return cumulate{step: slide.Milliseconds(), size: size.Milliseconds(), offset: offset.Milliseconds()}
	case "SESSION":
		return stream.EventTimeSessionWindows(size)
	}
	return stream.TumblingEventTimeWindows(size, offset)
}

func (n *WindowTable) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	in, err := tr.build(n.In)
	if err != nil {
		return zero, err
	}
	as := assignerOf(n.Kind, n.Size, n.Slide, n.Offset)
	if n.Proctime {
		as = procAssigner(n.Kind, n.Size, n.Slide, n.Offset) // proctime.go
	}
	if z := n.Zone; z != nil {
		as = shiftAssigner{as, z}
		return stream.Process(in, func(ctx *stream.Context, r table.Row, out stream.Emitter[table.Row]) error {
			for _, w := range as.Assign(nil, ctx.Timestamp(), ctx.ProcessingTime()) {
				f := make([]table.Value, 0, len(r.Fields)+3)
				f = append(append(f, r.Fields...), table.TimestampMillis(w.Start), table.TimestampMillis(w.End), table.TimestampMillis(z.Timestamp(w.End-1)))
				out.Emit(table.Row{Kind: r.Kind, Fields: f})
			}
			return nil
		}).Name("window-table-function").UID(tr.uid("window-tvf")), nil
	}
	return stream.Process(in, func(ctx *stream.Context, r table.Row, out stream.Emitter[table.Row]) error {
		for _, w := range as.Assign(nil, ctx.Timestamp(), ctx.ProcessingTime()) {
			f := make([]table.Value, 0, len(r.Fields)+3)
			f = append(append(f, r.Fields...), table.TimestampMillis(w.Start), table.TimestampMillis(w.End), table.TimestampMillis(w.End-1))
			out.Emit(table.Row{Kind: r.Kind, Fields: f})
		}
		return nil
	}).Name("window-table-function").UID(tr.uid("window-tvf")), nil
}

// anyAgg reports whether the select list has an aggregate call.
func (p *Planner) anyAgg(sel *parser.Select) bool {
	for _, it := range sel.Items {
		if p.b.hasAgg(it.Expr) {
			return true
		}
	}
	return false
}

// readsWindow reports whether e reads a window column of a window TVF.
func (p *Planner) readsWindow(e parser.Expr, s *scope) bool {
	found := false
	p.b.walk(e, func(x parser.Expr) {
		if c, ok := x.(*parser.ColumnRef); ok {
			if i, err := s.resolve(c); err == nil && s.cols[i].window {
				found = true
			}
		}
	})
	return found
}

// groupWindow reads a group window of GROUP BY: TUMBLE(ts, size),
// HOP(ts, slide, size) or SESSION(ts, gap) over an event-time attribute.
func (p *Planner) groupWindow(g parser.Expr, s *scope) (*windowTVF, bool, error) {
	f, ok := g.(*parser.FuncCall)
	if !ok || len(f.Name.Parts) != 1 || f.Over != nil {
		return nil, false, nil
	}
	kind := strings.ToUpper(f.Name.Parts[0].Name)
	want := map[string]int{"TUMBLE": 2, "HOP": 3, "SESSION": 2}[kind]
	if want == 0 {
		return nil, false, nil
	}
	if len(f.Args) != want {
		return nil, true, errAt(f, "the group window %s takes %d arguments (the time attribute and the intervals), not %d", kind, want, len(f.Args))
	}
	cr, ok := f.Args[0].(*parser.ColumnRef)
	if !ok {
		return nil, true, errAt(f.Args[0], "the first argument of the group window %s must be an event-time attribute column", kind)
	}
	i, err := s.resolve(cr)
	if err != nil {
		return nil, true, err
	}
	proc, err := timeAttrOf(cr, s.cols[i].t, s.cols[i].name, kind)
	if err != nil {
		return nil, true, err
	}
	var ds []time.Duration
	for _, a := range f.Args[1:] {
		il, ok := a.(*parser.IntervalLit)
		if !ok {
			return nil, true, errAt(a, "the intervals of the group window %s must be INTERVAL literals", kind)
		}
		d, err := intervalOf(il)
		if err == nil && d <= 0 {
			err = errAt(a, "the interval of %s must be positive", kind)
		}
		if err != nil {
			return nil, true, err
		}
		ds = append(ds, d)
	}
	loc, err := p.Location()
	if err != nil {
		return nil, true, err
	}
	w := &windowTVF{kind: kind, timeCol: s.cols[i].name, timeIdx: i, first: -10, at: f, size: ds[0], slide: ds[0], proctime: proc,
		zone: zoneOfWindow(s.cols[i].t, loc), attrType: s.cols[i].t}
	if kind == "HOP" {
		w.slide, w.size = ds[0], ds[1]
	}
	return w, true, nil
}

// sessionKeys checks that SESSION's PARTITION BY columns are group keys:
// sessions are formed per group key.
func sessionKeys(w *windowTVF, keys []int, a *aggCtx, sel *parser.Select) error {
	for _, i := range w.partition {
		if _, ok := a.keyCol[i]; !ok {
			return errAt(sel, "the PARTITION BY column `%s` of SESSION must be a GROUP BY key (sessions are formed per group key)", a.in.cols[i].name)
		}
	}
	return nil
}

// WindowedAgg is a window aggregation over a window relation (GROUP BY
// its window_start and window_end, e.g. over a window aggregation): per
// key (window included), one insert-only row when the watermark passes
// the window's end. Keys[Start] and Keys[End] are the window columns.
// Output: the keys, the aggregates.
type WindowedAgg struct {
	In         Node
	Keys       []int
	Start, End int
	Aggs       []AggCall
	// Zone is the shift time zone of the input's windows (nil: none),
	// taken from the window_end key at bind time: the input the node reads
	// is a projection whose columns are not window columns.
	Zone *windowZone
	cols []Col
}

func (n *WindowedAgg) Cols() []Col    { return n.cols }
func (n *WindowedAgg) Updating() bool { return false }
func (n *WindowedAgg) Inputs() []Node { return []Node{n.In} }

func (n *WindowedAgg) explain() string {
	return fmt.Sprintf("WindowAggregate(window=[%s, win_start=[%s], win_end=[%s]], groupBy=[%s], select=[%s]",
		n.cols[n.End].Win.spec(), colText(n.In, n.Keys[n.Start]), colText(n.In, n.Keys[n.End]), keysText(n.In, n.Keys), aggsText(n.Aggs))
}

func (n *WindowedAgg) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	in, err := tr.build(n.In)
	if err != nil {
		return zero, err
	}
	keyFn, kc := keyOf(n.In, n.Keys) // the key is the key columns encoded
	a := newAccs(n.Aggs)
	endCol := n.Keys[n.End]
	zone := n.Zone
	newFn := func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		return &windowedAggFn{a: a, kc: kc, endCol: endCol, endKey: n.End, mem: true, zone: zone}
	}
	return stream.KeyedProcess(stream.KeyBy(in, keyFn), newFn).Name("window-aggregate").UID(tr.uid(zoneUIDKind("windowed-agg", n.Zone))), nil
}

// windowedAggFn is the keyed function of a WindowedAgg: the key includes
// the window, so a key has one accumulator (ValueState "acc", RowCodec
// bytes) and one timer, at window_end - 1, registered with the
// accumulator.
//
// With mem, the accumulators are kept in memory instead (up to
// maxWindowedKeys keys; the keys after those go to state: a key is in one
// place or the other), with the same timers, so the same rows in the same
// order. A checkpoint barrier moves them into state (Flush,
// operator.KeyedBuffer; a watermark moves nothing, FlushWatermark), so a
// snapshot holds the state path's state and timers; those keys then stay
// on the state path, and a restored operator's keys in state too.
type windowedAggFn struct {
	a      *accs
	kc     *table.RowCodec
	endCol int
	endKey int         // the key column of window_end
	zone   *windowZone // the windows' shift time zone (winzone.go)
	acc    *stream.ValueState[[]byte]
	scr    []table.Value // decoded accumulator
	args   []table.Value // scratch of accs.addTo
	buf    []byte

	mem     bool
	index   map[string][]table.Value // key -> its accumulator (mem)
	maxKeys int                      // in index
}

// maxWindowedKeys bounds the accumulators a windowed aggregation keeps in
// memory.
const maxWindowedKeys = 1 << 16

func (f *windowedAggFn) Open(ctx *stream.OpenContext) error {
	f.acc = stream.NewValueState[[]byte](ctx, "acc")
	f.index = make(map[string][]table.Value)
	if f.maxKeys == 0 {
		f.maxKeys = maxWindowedKeys
	}
	return nil
}

func (f *windowedAggFn) ProcessElement(ctx *stream.KeyedContext[string], r table.Row, _ stream.Emitter[table.Row]) error {
	end, _ := r.Fields[f.endCol].AsTimestamp()
	if fireAt(f.zone, end) <= ctx.CurrentWatermark() {
		ctx.CountLate()
		return nil
	}
	var err error
	if acc, ok := f.index[ctx.Key()]; ok {
		f.args, err = f.a.addTo(acc, r, f.args)
		return err
	}
	if f.mem && len(f.index) < f.maxKeys {
		if _, ok := f.acc.Get(); !ok { // a key is in one place only
			acc := make([]table.Value, len(f.a.types))
			f.a.initTo(acc)
			f.index[ctx.Key()] = acc
			ctx.RegisterEventTimeTimer(fireAt(f.zone, end))
			f.args, err = f.a.addTo(acc, r, f.args)
			return err
		}
	}
	row := table.Row{Fields: f.scr}
	if b, ok := f.acc.Get(); ok {
		if row, err = f.a.codec.DecodeTo(f.scr, b); err != nil {
			return err
		}
		f.scr = row.Fields
	} else {
		if cap(f.scr) < len(f.a.types) {
			f.scr = make([]table.Value, len(f.a.types))
		}
		row.Fields = f.scr[:len(f.a.types)]
		f.a.initTo(row.Fields)
		ctx.RegisterEventTimeTimer(fireAt(f.zone, end))
	}
	if f.args, err = f.a.addTo(row.Fields, r, f.args); err != nil {
		return err
	}
	if f.buf, err = f.a.codec.AppendRow(f.buf[:0], row); err != nil {
		return err
	}
	f.acc.Set(f.buf) // copied
	return nil
}

// Full is false: the keys past maxWindowedKeys go to state as they come
// (operator.KeyedBuffer).
func (f *windowedAggFn) Full() bool { return false }

// Flush moves the accumulators in memory into state (a checkpoint
// barrier, the end of the input; operator.KeyedBuffer); their timers are
// registered already.
func (f *windowedAggFn) Flush(_ *stream.KeyedContext[string], setKey func(string)) error {
	for k, acc := range f.index {
		setKey(k)
		var err error
		if f.buf, err = f.a.codec.AppendRow(f.buf[:0], table.Row{Fields: acc}); err != nil {
			return err
		}
		f.acc.Set(f.buf) // copied
	}
	clear(f.index)
	return nil
}

// FlushWatermark keeps the accumulators in memory: their timers fire
// them (operator.WatermarkBuffer).
func (f *windowedAggFn) FlushWatermark(*stream.KeyedContext[string], func(string), int64) error {
	return nil
}

func (f *windowedAggFn) OnTimer(ctx *stream.KeyedContext[string], _ int64, out stream.Emitter[table.Row]) error {
	var row table.Row
	if acc, ok := f.index[ctx.Key()]; ok {
		delete(f.index, ctx.Key())
		row = table.Row{Fields: acc}
	} else {
		b, ok := f.acc.Get()
		f.acc.Clear()
		if !ok {
			return nil
		}
		var err error
		if row, err = f.a.codec.DecodeTo(f.scr, b); err != nil {
			return err
		}
		f.scr = row.Fields
	}
	k, err := f.kc.Decode([]byte(ctx.Key()))
	if err != nil {
		return err
	}
	vs, err := f.a.appendResults(k.Fields, row)
	if err != nil {
		return err
	}
	emitAtWindowTime(out, f.zone, k.Fields[f.endKey])
	out.Emit(table.Row{Kind: table.Insert, Fields: vs})
	return nil
}
