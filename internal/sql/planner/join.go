package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// IntervalJoin is an inner join of two insert-only inputs on equal keys
// and bounded event times: a pair is joined when
// Lower <= left.rowtime - right.rowtime <= Upper (inclusive, in
// milliseconds). Output: the left columns, then the right ones; the two
// time columns stay event-time attributes (as in Flink), marked
// table.RowtimeUnstamped: the rows carry the later of the two times, and
// the join holds its watermark back by max(-Lower, Upper) so that a
// Restamp by either column (restamp.go) can follow: a pair of two rows
// that arrived on time has neither time behind the held-back watermark.
// Rows behind the watermark are joined too, as in Flink SQL (joinKeyed,
// intervaljoin_inner.go): a pair's later time, the row's timestamp, is
// still never behind the held-back watermark, but a late row's own time
// can be, by up to min(-Lower, Upper) when Lower < 0 < Upper (never with
// bounds of one sign): with bounds +-10 s a right row at watermark - 10 s
// is still held, a late left row at watermark - 20 s pairs with it, and
// re-stamped by the left time the pair is 10 s behind the held-back
// watermark, so a window over that column drops it as late, as Flink's
// window over the column would.
type IntervalJoin struct {
	L, R         Node
	LKeys, RKeys []int
	NullSafe     []bool // per key: IS NOT DISTINCT FROM (NULL pairs with NULL), else =
	Lower, Upper time.Duration
	LTime, RTime string
	// LTimeCol and RTimeCol are the time columns' indexes in L and R.
	LTimeCol, RTimeCol int
	cols               []Col
}

// watermarkDelay is how far the join's output watermark lags its input's:
// Flink's RowTimeIntervalJoin.getMaxOutputDelay, max(leftRelativeSize,
// rightRelativeSize) = max(-Lower, Upper) (never negative, as Lower <=
// Upper). A pair of rows that arrived on time leaves the join when the
// later one arrives, at or after the input watermark; the earlier one is
// at most Upper (a left row) or -Lower (a right one) before it. A pair
// with a late row is not covered (IntervalJoin).
func (n *IntervalJoin) watermarkDelay() time.Duration { return max(-n.Lower, n.Upper, 0) }

func (n *IntervalJoin) Cols() []Col    { return n.cols }
func (n *IntervalJoin) Updating() bool { return false }
func (n *IntervalJoin) Inputs() []Node { return []Node{n.L, n.R} }

func conjuncts(e parser.Expr, out []parser.Expr) []parser.Expr {
	if e == nil {
		return out
	}
	if b, ok := e.(*parser.Binary); ok && b.Op == "AND" {
		return conjuncts(b.R, conjuncts(b.L, out))
	}
	return append(out, e)
}

// timeTerm reads `col`, `col - INTERVAL ...` or `col + INTERVAL ...`.
func timeTerm(e parser.Expr) (*parser.ColumnRef, time.Duration, bool) {
	switch x := e.(type) {
	case *parser.ColumnRef:
		return x, 0, true
	case *parser.Binary:
		c, ok := x.L.(*parser.ColumnRef)
		il, ok2 := x.R.(*parser.IntervalLit)
		if !ok || !ok2 || (x.Op != "+" && x.Op != "-") {
			return nil, 0, false
		}
		d, err := intervalOf(il)
		if err != nil {
			return nil, 0, false
		}
		if x.Op == "-" {
			d = -d
		}
		return c, d, true
	}
	return nil, 0, false
}

// bindJoin plans FROM a [INNER] JOIN b ON ... (or FROM a, b with the
// conditions in WHERE) as an interval join; it returns the conjuncts of ON
// and WHERE that remain as a filter after the join.
func (p *Planner) bindJoin(j *parser.Join, where parser.Expr) (Node, *scope, []parser.Expr, error) {
	if u := unnestOf(j.Right); u != nil {
		return p.bindUnnestJoin(j, u, where) // unnest.go
	}
	kind := j.Kind
	if kind == "," {
		kind = "INNER"
	}
	outer := kind != "INNER"
	switch {
	case kind != "INNER" && kind != "LEFT" && kind != "RIGHT" && kind != "FULL":
		return nil, nil, nil, errAt(j, "%s joins are not supported yet (inner, left, right and full outer joins on equalities are)", j.Kind)
	case j.Natural || len(j.Using) > 0:
		return nil, nil, nil, errAt(j, "NATURAL and USING joins are not supported yet")
	}
	if tn, ok := j.Right.(*parser.TableName); ok && tn.SystemTime != nil {
		return p.lookupJoin(j, tn, where) // lookupjoin.go
	}
	l, ls, err := p.joinInput(j.Left) // multijoin.go: a join input may be a join
	if err != nil {
		return nil, nil, nil, err
	}
	r, rs, err := p.joinInput(j.Right)
	if err != nil {
		return nil, nil, nil, err
	}
	s := &scope{}
	s.cols = append(append(s.cols, ls.cols...), rs.cols...)
	nl := len(ls.cols)
	side := func(c *parser.ColumnRef) (int, int) { // side (0 left, 1 right, -1 unknown) and index in the side
		i, err := s.resolve(c)
		if err != nil {
			return -1, -1
		}
		if i < nl {
			return 0, i
		}
		return 1, i - nl
	}
	jn := &IntervalJoin{L: l, R: r, LTimeCol: -1, RTimeCol: -1}
	var rest, timeConds []parser.Expr
	var outerTime []parser.Expr // an outer join's ON conjuncts that bound the times (also in rest)
	lo, hi := time.Duration(-1<<62), time.Duration(1<<62)
	haveLo, haveHi := false, false
	proc := false // the bounds are of processing-time attributes (intervaljoin_proc.go)
	// bound records left.ts - right.ts (op) d for x (op) y + d.
	bound := func(x, y parser.Expr, op string) bool {
		xc, xd, ok1 := timeTerm(x)
		yc, yd, ok2 := timeTerm(y)
		if !ok1 || !ok2 {
			return false
		}
		xs, xi := side(xc)
		ys, yi := side(yc)
		if xs < 0 || ys < 0 || xs == ys {
			return false
		}
		xt, yt := ls.cols, rs.cols
		if xs == 1 {
			xt, yt = rs.cols, ls.cols
		}
		xn, yn := l, r
		if xs == 1 {
			xn, yn = r, l
		}
		xp, ok1 := intervalTimeAttr(xn, xt[xi].t, xi)
		yp, ok2 := intervalTimeAttr(yn, yt[yi].t, yi)
		if !ok1 || !ok2 || xp != yp {
			return false // an event-time and a processing-time attribute: a condition
		}
		li, ri := xi, yi
		if xs == 1 {
			li, ri = yi, xi
		}
		if jn.LTimeCol >= 0 && (li != jn.LTimeCol || ri != jn.RTimeCol) {
			return false // bounds of other time columns: a filter after the join
		}
		jn.LTimeCol, jn.RTimeCol = li, ri
		proc = xp
		// x + xd op y + yd  <=>  x - y op yd - xd.
		d := yd - xd
		if xs == 1 { // right - left op d  <=>  left - right op' -d
			d = -d
			op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
		}
		switch op {
		case "<":
			d -= time.Millisecond
			fallthrough
		case "<=":
			hi, haveHi = min(hi, d), true
		case ">":
			d += time.Millisecond
			fallthrough
		case ">=":
			lo, haveLo = max(lo, d), true
		}
		if xs == 0 {
			jn.LTime, jn.RTime = xc.String(), yc.String()
		} else {
			jn.LTime, jn.RTime = yc.String(), xc.String()
		}
		return true
	}
	// equi takes l = r (or l IS NOT DISTINCT FROM r, nullSafe) of a left
	// and a right column as a join key.
	equi := func(x, y parser.Expr, nullSafe bool) bool {
		lc, ok1 := x.(*parser.ColumnRef)
		rc, ok2 := y.(*parser.ColumnRef)
		if !ok1 || !ok2 {
			return false
		}
		a, ai := side(lc)
		b, bi := side(rc)
		if a < 0 || b < 0 || a == b {
			return false
		}
		if a == 1 {
			ai, bi = bi, ai
		}
		jn.LKeys = append(jn.LKeys, ai)
		jn.RKeys = append(jn.RKeys, bi)
		jn.NullSafe = append(jn.NullSafe, nullSafe)
		return true
	}
	conds := conjuncts(where, conjuncts(j.On, nil))
	var after []parser.Expr // WHERE of an outer join: a filter after it
	if outer {
		conds, after = conjuncts(j.On, nil), conjuncts(where, nil)
	}
	for _, c := range conds {
		switch x := c.(type) {
		case *parser.Binary:
			if x.Op == "=" && equi(x.L, x.R, false) {
				continue
			}
			if x.Op == "<" || x.Op == "<=" || x.Op == ">" || x.Op == ">=" {
				if bound(x.L, x.R, x.Op) {
					if outer {
						outerTime = append(outerTime, c)
					} else {
						timeConds = append(timeConds, c)
						continue
					}
				}
			}
		case *parser.IsDistinct:
			if x.Not && equi(x.X, x.Y, true) {
				continue
			}
		case *parser.Between:
			if !x.Not && x.Mode != "SYMMETRIC" && bound(x.X, x.Lo, ">=") && bound(x.X, x.Hi, "<=") {
				if outer {
					outerTime = append(outerTime, c)
				} else {
					timeConds = append(timeConds, c)
					continue
				}
			}
		}
		rest = append(rest, c)
	}
	if len(jn.LKeys) == 0 {
		return nil, nil, nil, errAt(j, "a join needs an equality of a left and a right column (cross joins are not supported yet)")
	}
	// Keys of different types: the narrower side cast to the common
	// type below the join, cast back above it (keycast.go).
	lcast, rcast, bad, shared := keyCasts(colTypes(l.Cols()), colTypes(r.Cols()), jn.LKeys, jn.RKeys)
	if i := bad; i >= 0 {
		lt, rt := l.Cols()[jn.LKeys[i]].Type, r.Cols()[jn.RKeys[i]].Type
		if shared {
			return nil, nil, nil, errAt(j, "join keys %s and %s%s", colName(l)(jn.LKeys[i]), colName(r)(jn.RKeys[i]),
				sharedKeyHint(colTypes(l.Cols()), colTypes(r.Cols()), colName(l), colName(r), jn.LKeys, jn.RKeys, i))
		}
		return nil, nil, nil, errAt(j, "join keys `%s` (%s) and `%s` (%s) have no common type that keeps both sides' values: CAST one of them", l.Cols()[jn.LKeys[i]].Name, lt, r.Cols()[jn.RKeys[i]].Name, rt)
	}
	if l, err = keyCastCalc(l, lcast); err != nil {
		return nil, nil, nil, wrapAt(j, err)
	}
	if r, err = keyCastCalc(r, rcast); err != nil {
		return nil, nil, nil, wrapAt(j, err)
	}
	jn.L, jn.R = l, r
	for i := range s.cols {
		s.cols[i].t = s.cols[i].t.WithTimeAttr(table.NoTimeAttr)
		s.cols[i].win = winNone // only a window join keeps window columns
		if (i < nl && (kind == "RIGHT" || kind == "FULL")) || (i >= nl && (kind == "LEFT" || kind == "FULL")) {
			s.cols[i].t = s.cols[i].t.AsNullable() // padded with NULL
		}
		jn.cols = append(jn.cols, Col{Name: s.cols[i].name, Type: s.cols[i].t})
	}
	// The join's rows carry the cast keys; cs is s with their types, for
	// the join's condition.
	cs := s
	if len(lcast)+len(rcast) > 0 {
		cs = &scope{cols: append([]scopeCol(nil), s.cols...)}
		jn.cols = append([]Col(nil), jn.cols...)
		for i := range jn.cols {
			t, ok := lcast[i]
			if i >= nl {
				t, ok = rcast[i-nl]
			}
			if ok {
				t = t.WithNullable(jn.cols[i].Type.Nullable())
				jn.cols[i].Type, cs.cols[i].t = t, t
			}
		}
	}
	// back is the join with the cast keys of its output cast back to the
	// types of s.
	back := func(n Node) (Node, error) {
		want := append([]Col(nil), n.Cols()...)
		for i := range want {
			want[i].Type = s.cols[i].t
		}
		b, err := castBackCalc(n, want)
		return b, wrapAt(j, err)
	}
	// The residual ON conditions of an outer join are part of the join.
	var cond expr.Expr
	var on []parser.Expr // an outer join's residual ON conjuncts
	if outer && len(rest) > 0 {
		if cond, err = p.joinCond(rest, cs); err != nil {
			return nil, nil, nil, err
		}
		on, rest = rest, nil
	}
	wj, err := windowJoinOf(j, kind, l, r, jn, cond, s)
	if err != nil {
		return nil, nil, nil, err
	}
	if wj != nil {
		n, err := back(wj)
		return n, s, append(append(rest, timeConds...), after...), err
	}
	if proc && haveLo && haveHi && lo <= hi && !l.Updating() && !r.Updating() {
		// A processing-time interval join (intervaljoin_proc.go).
		n, err := p.procIntervalJoin(j, kind, jn, lo, hi, on, append(outerTime, timeConds...), cs, s, back)
		if outer {
			return n, s, after, err
		}
		return n, s, rest, err
	}
	if outer && haveLo && haveHi && lo <= hi && !l.Updating() && !r.Updating() {
		// An outer interval join (intervaljoin_outer.go).
		n, err := p.outerIntervalJoin(j, kind, jn, lo, hi, on, outerTime, cs, ls, rs, s, back)
		return n, s, after, err
	}
	if !haveLo || !haveHi || l.Updating() || r.Updating() || outer {
		// A regular join: both inputs kept in keyed state.
		rj := &RegularJoin{Kind: kind, L: l, R: r, LKeys: jn.LKeys, RKeys: jn.RKeys, NullSafe: jn.NullSafe, Cond: cond, cols: jn.cols}
		n, err := back(rj)
		return n, s, append(append(rest, timeConds...), after...), err
	}
	if lo > hi {
		return nil, nil, nil, errAt(j, "the time bounds of the join exclude every pair (%v > %v)", lo, hi)
	}
	jn.Lower, jn.Upper = lo, hi
	// The inputs' rows carry their time columns' values as timestamps
	// (an input that is an interval join is re-stamped), and the two time
	// columns stay event-time attributes of the output.
	if jn.L, err = stampedBy(j, jn.L, jn.LTimeCol, ls.cols[jn.LTimeCol].t, "an interval join"); err != nil {
		return nil, nil, nil, err
	}
	if jn.R, err = stampedBy(j, jn.R, jn.RTimeCol, rs.cols[jn.RTimeCol].t, "an interval join"); err != nil {
		return nil, nil, nil, err
	}
	for _, i := range []int{jn.LTimeCol, nl + jn.RTimeCol} {
		s.cols[i].t = s.cols[i].t.WithTimeAttr(table.RowtimeUnstamped)
		jn.cols[i].Type = jn.cols[i].Type.WithTimeAttr(table.RowtimeUnstamped)
	}
	n, err := back(jn)
	return n, s, rest, err
}

// joinTimeAttr reports whether column i of n (of type t) can be the time
// of an interval join: an event-time attribute, or a time column of an
// interval join below that can be re-stamped (restamp.go).
func joinTimeAttr(n Node, t table.Type, i int) bool {
	switch t.TimeAttr() {
	case table.Rowtime:
		return true
	case table.RowtimeUnstamped:
		return fromIntervalJoin(n, i)
	}
	return false
}

func (tr *translator) intervalJoin(x *IntervalJoin) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	l, r, err := tr.buildPair(x.L, x.R)
	if err != nil {
		return zero, err
	}
	// The join buffers its inputs in keyed list state with codec.For of
	// the element type, so the rows travel encoded (RowCodec) as []byte.
	enc := func(s stream.Stream[table.Row], n Node) stream.Stream[[]byte] {
		var types []table.Type
		for _, c := range n.Cols() {
			types = append(types, c.Type)
		}
		c := table.NewRowCodecTypes(types...)
		return stream.Process(s, func(_ *stream.Context, row table.Row, out stream.Emitter[[]byte]) error {
			b, err := c.AppendRow(nil, table.Row{Fields: row.Fields})
			if err != nil {
				return err
			}
			out.Emit(b)
			return nil
		}).Name("encode").UID(tr.uid("encode"))
	}
	lc, rc := rowCodecOf(x.L), rowCodecOf(x.R)
	// Rows with a NULL key get keys of their own side (joinKeyOf): they
	// pair with nothing and leave the buffers with the time bounds.
	lkey, _ := joinKeyOf(x.L, x.LKeys, x.NullSafe, 'L')
	rkey, _ := joinKeyOf(x.R, x.RKeys, x.NullSafe, 'R')
	lk := stream.KeyBy(enc(l, x.L), func(b []byte) string {
		row, err := lc.Decode(b)
		evalPanic(err)
		return lkey(row)
	})
	rk := stream.KeyBy(enc(r, x.R), func(b []byte) string {
		row, err := rc.Decode(b)
		evalPanic(err)
		return rkey(row)
	})
	return x.joinKeyed(lk, rk, lc, rc).Name("interval-join").UID(tr.uid("interval-join")), nil
}

func (x *IntervalJoin) explain() string {
	var ks []string
	for i := range x.LKeys {
		ks = append(ks, fmt.Sprintf("%s %s %s", x.L.Cols()[x.LKeys[i]].Name, keyOp(x.NullSafe, i), x.R.Cols()[x.RKeys[i]].Name))
	}
	return fmt.Sprintf("IntervalJoin(joinType=[InnerJoin], where=[%s], timeBounds=[%s - %s in [%v, %v]]", strings.Join(ks, " AND "), x.LTime, x.RTime, x.Lower, x.Upper)
}

// RegularJoin is an inner equi-join without time bounds: every row of
// either side is kept in keyed state (until the state TTL, when one is set)
// and joined with the other side's rows of its key. A retraction (-U, -D)
// removes an equal row from its side's state and retracts (-D) the pairs
// it made; accumulations emit +I. The output is insert-only when both
// inputs are. Output: the left columns, then the right ones. An inner
// join of insert-only inputs one of which has a unique key within its
// join keys runs in the unique mode (uniquekey.go, uniqueSide; EXPLAIN's
// uniqueKey=[left|right]): the other side's rows are kept only until
// their key's row of the unique side has come.
type RegularJoin struct {
	Kind         string // INNER, LEFT, RIGHT, FULL
	L, R         Node
	LKeys, RKeys []int
	NullSafe     []bool    // per key: IS NOT DISTINCT FROM, else =
	Cond         expr.Expr // an outer join's residual ON condition over the joined row, or nil
	TTL          time.Duration
	cols         []Col
}

func (n *RegularJoin) Cols() []Col    { return n.cols }
func (n *RegularJoin) Updating() bool { return n.Kind != "INNER" || n.L.Updating() || n.R.Updating() }
func (n *RegularJoin) Inputs() []Node { return []Node{n.L, n.R} }

func (n *RegularJoin) explain() string {
	var ks []string
	for i := range n.LKeys {
		ks = append(ks, fmt.Sprintf("%s %s %s", n.L.Cols()[n.LKeys[i]].Name, keyOp(n.NullSafe, i), n.R.Cols()[n.RKeys[i]].Name))
	}
	cond := ""
	if n.Cond != nil {
		cond = fmt.Sprintf(", condition=[%s]", n.Cond)
	}
	// The unique mode (uniquekey.go): the other side's rows are kept
	// only until their key's row of the unique side has come.
	switch n.uniqueSide() {
	case uniqueLeft:
		cond += ", uniqueKey=[left]"
	case uniqueRight:
		cond += ", uniqueKey=[right]"
	}
	return fmt.Sprintf("Join(joinType=[%s], where=[%s]%s", joinTypeText(n.Kind), strings.Join(ks, " AND "), cond)
}

// rowCodecOf is the binary row codec of n's rows (join and Top-N state).
func rowCodecOf(n Node) *table.RowCodec {
	types := make([]table.Type, 0, len(n.Cols()))
	for _, c := range n.Cols() {
		types = append(types, c.Type)
	}
	return table.NewRowCodecTypes(types...)
}
