package planner

import (
	"fmt"
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// WindowJoin is Flink's window join: a join of two window relations (window
// table functions, window aggregations) whose keys include the equality of
// their window_start and of their window_end. Each side's rows of a key and
// window are kept until the watermark passes the window's end; then the
// pairs (and, for an outer join, the NULL-padded rows without a partner)
// are emitted and the state is dropped. Insert-only. Late rows (their
// window already fired) are dropped and counted. Output: the left columns,
// then the right ones.
type WindowJoin struct {
	Kind         string // INNER, LEFT, RIGHT, FULL; SEMI, ANTI (the left rows with / without a partner)
	L, R         Node
	LKeys, RKeys []int  // the window columns included
	NullSafe     []bool // per key: IS NOT DISTINCT FROM, else =
	LEnd, REnd   int    // window_end of each side
	Cond         expr.Expr
	cols         []Col
}

func (n *WindowJoin) Cols() []Col    { return n.cols }
func (n *WindowJoin) Updating() bool { return false }
func (n *WindowJoin) Inputs() []Node { return []Node{n.L, n.R} }

func joinTypeText(kind string) string {
	return map[string]string{"INNER": "InnerJoin", "LEFT": "LeftOuterJoin", "RIGHT": "RightOuterJoin", "FULL": "FullOuterJoin",
		"SEMI": "LeftSemiJoin", "ANTI": "LeftAntiJoin", "MARK": "LeftMarkJoin"}[kind]
}

func (n *WindowJoin) explain() string {
	var ks []string
	for i := range n.LKeys {
		ks = append(ks, fmt.Sprintf("%s %s %s", n.L.Cols()[n.LKeys[i]].Name, keyOp(n.NullSafe, i), n.R.Cols()[n.RKeys[i]].Name))
	}
	cond := ""
	if n.Cond != nil {
		cond = fmt.Sprintf(", condition=[%s]", n.Cond)
	}
	return fmt.Sprintf("WindowJoin(joinType=[%s], where=[%s]%s, window=[%s]", joinTypeText(n.Kind), strings.Join(ks, " AND "), cond,
		n.L.Cols()[n.LEnd].Win.spec())
}

// joinCond binds the residual ON conditions of an outer join over the
// joined row.
func (p *Planner) joinCond(cs []parser.Expr, s *scope) (expr.Expr, error) {
	var on parser.Expr
	for _, c := range cs {
		if p.b.hasAgg(c) {
			return nil, errAt(c, "aggregate functions are not allowed in ON")
		}
		if on == nil {
			on = c
		} else {
			on = &parser.Binary{Op: "AND", L: on, R: c}
		}
	}
	e, err := p.b.bind(on, s)
	if err != nil {
		return nil, err
	}
	if e.Type().Root() != table.RootBoolean {
		return nil, errAt(on, "ON must be a BOOLEAN condition, %s is %s", on, e.Type())
	}
	return e, nil
}

// windowJoinOf returns the window join of l and r when their keys pair
// both window_start and window_end columns, nil otherwise.
func windowJoinOf(at parser.Node, kind string, l, r Node, jn *IntervalJoin, cond expr.Expr, s *scope) (*WindowJoin, error) {
	if l.Updating() || r.Updating() {
		return nil, nil
	}
	ws, we := -1, -1
	for i := range jn.LKeys {
		lw, rw := l.Cols()[jn.LKeys[i]].Win, r.Cols()[jn.RKeys[i]].Win
		switch {
		case lw.col() == winStart && rw.col() == winStart:
			ws = i
		case lw.col() == winEnd && rw.col() == winEnd:
			we = i
		}
	}
	if ws < 0 || we < 0 {
		return nil, nil
	}
	if lw, rw := l.Cols()[jn.LKeys[ws]].Win, r.Cols()[jn.RKeys[ws]].Win; lw.spec() != rw.spec() {
		return nil, errAt(at, "a window join needs the same windows on both sides (as in Flink): the left has %s, the right %s", lw.spec(), rw.spec())
	}
	wj := &WindowJoin{Kind: kind, L: l, R: r, LKeys: jn.LKeys, RKeys: jn.RKeys, NullSafe: jn.NullSafe, LEnd: jn.LKeys[we], REnd: jn.RKeys[we], Cond: cond}
	nl := len(l.Cols())
	wj.cols = append(wj.cols, jn.cols...)
	// The window columns of the side that is never NULL stay window
	// columns (a window aggregation or join may follow).
	for i := range wj.cols {
		switch {
		case i < nl && (kind == "INNER" || kind == "LEFT"):
			wj.cols[i].Win = l.Cols()[i].Win
		case i >= nl && kind == "RIGHT":
			wj.cols[i].Win = r.Cols()[i-nl].Win
		}
		s.cols[i].win = wj.cols[i].Win
	}
	return wj, nil
}

func (n *WindowJoin) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	l, err := tr.build(n.L)
	if err != nil {
		return zero, err
	}
	r, err := tr.build(n.R)
	if err != nil {
		return zero, err
	}
	// Rows with a NULL key get keys of their own side (joinKeyOf): they
	// pair with nothing (an outer or anti side's still come out, padded or
	// kept) and leave the state when their window ends.
	lkey, _ := joinKeyOf(n.L, n.LKeys, n.NullSafe, 'L')
	rkey, _ := joinKeyOf(n.R, n.RKeys, n.NullSafe, 'R')
	newFn := func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
		f := &windowJoinFn{n: n, lc: rowCodecOf(n.L), rc: rowCodecOf(n.R)}
		if n.Cond != nil {
			var err error
			f.cond, err = expr.CompilePredicate(n.Cond, tr.copts...)
			evalPanic(err)
		}
		return f
	}
	if n.Cond != nil {
		if _, err := expr.CompilePredicate(n.Cond, tr.copts...); err != nil {
			return zero, err
		}
	}
	return stream.KeyedCoProcess(stream.KeyBy(l, lkey), stream.KeyBy(r, rkey), newFn).Name("window-join").UID(tr.uid("window-join")), nil
}

type windowJoinFn struct {
	n           *WindowJoin
	lc, rc      *table.RowCodec
	cond        func(*table.Row) (bool, error)
	left, right *stream.ListState[[]byte]
}

func (f *windowJoinFn) Open(ctx *stream.OpenContext) error {
	f.left = stream.NewListState[[]byte](ctx, "window-join-left")
	f.right = stream.NewListState[[]byte](ctx, "window-join-right")
	return nil
}

func (f *windowJoinFn) add(ctx *stream.KeyedContext[string], v table.Row, end int, c *table.RowCodec, st *stream.ListState[[]byte]) error {
	e, _ := v.Fields[end].AsTimestamp()
	if e-1 <= ctx.CurrentWatermark() {
		ctx.CountLate() // its window has fired
		return nil
	}
	b, err := c.AppendRow(nil, table.Row{Fields: v.Fields})
	if err != nil {
		return err
	}
	st.Add(b)
	ctx.RegisterEventTimeTimer(e - 1)
	return nil
}

func (f *windowJoinFn) ProcessElement1(ctx *stream.KeyedContext[string], v table.Row, _ stream.Emitter[table.Row]) error {
	return f.add(ctx, v, f.n.LEnd, f.lc, f.left)
}

func (f *windowJoinFn) ProcessElement2(ctx *stream.KeyedContext[string], v table.Row, _ stream.Emitter[table.Row]) error {
	return f.add(ctx, v, f.n.REnd, f.rc, f.right)
}

func decodeAll(c *table.RowCodec, bs [][]byte) ([]table.Row, error) {
	rows := make([]table.Row, len(bs))
	for i, b := range bs {
		r, err := c.Decode(b)
		if err != nil {
			return nil, err
		}
		rows[i] = r
	}
	return rows, nil
}

func (f *windowJoinFn) OnTimer(_ *stream.KeyedContext[string], _ int64, out stream.Emitter[table.Row]) error {
	ls, err := decodeAll(f.lc, f.left.Get())
	if err != nil {
		return err
	}
	rs, err := decodeAll(f.rc, f.right.Get())
	if err != nil {
		return err
	}
	f.left.Clear()
	f.right.Clear()
	nl, nr := len(f.n.L.Cols()), len(f.n.R.Cols())
	kind := f.n.Kind
	if kind == "SEMI" || kind == "ANTI" {
		for _, a := range ls {
			matched := false
			for _, b := range rs {
				row := joinRows(a.Fields, b.Fields, nl, nr)
				ok := true
				if f.cond != nil {
					if ok, err = f.cond(&row); err != nil {
						return err
					}
				}
				if ok {
					matched = true
					break
				}
			}
			if matched == (kind == "SEMI") {
				out.Emit(table.Row{Kind: table.Insert, Fields: a.Fields})
			}
		}
		return nil
	}
	matchedR := make([]bool, len(rs))
	for _, a := range ls {
		matched := false
		for j, b := range rs {
			row := joinRows(a.Fields, b.Fields, nl, nr)
			if f.cond != nil {
				ok, err := f.cond(&row)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
			}
			matched, matchedR[j] = true, true
			out.Emit(row)
		}
		if !matched && (kind == "LEFT" || kind == "FULL") {
			out.Emit(joinRows(a.Fields, nil, nl, nr))
		}
	}
	if kind == "RIGHT" || kind == "FULL" {
		for j, b := range rs {
			if !matchedR[j] {
				out.Emit(joinRows(nil, b.Fields, nl, nr))
			}
		}
	}
	return nil
}

// joinRows is the joined row of a and b (nil: NULLs), kind +I.
func joinRows(a, b []table.Value, nl, nr int) table.Row {
	f := make([]table.Value, nl+nr)
	copy(f, a)
	copy(f[nl:], b)
	return table.Row{Kind: table.Insert, Fields: f}
}
