package planner

import (
	"fmt"
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/table"
)

// bindSubqueryJoins plans the [NOT] EXISTS (subquery) and x [NOT] IN
// (subquery) conjuncts of a WHERE over in (scope s) as semi and anti joins,
// as Flink does: window semi/anti joins when both sides are window
// relations correlated on window_start and window_end, else regular ones
// (SemiJoin). A correlated subquery is a plain SELECT whose correlated
// equalities of an outer and an inner column are keys and whose other
// correlated conditions decide the partners; an uncorrelated one may be
// any query. It returns the new input (same
// columns) and the rest of the WHERE.
func (p *Planner) bindSubqueryJoins(in Node, s *scope, where parser.Expr) (Node, parser.Expr, error) {
	var rest parser.Expr
	found := false
	and := func(c parser.Expr) {
		if rest == nil {
			rest = c
		} else {
			rest = &parser.Binary{Op: "AND", L: rest, R: c}
		}
	}
	for _, c := range conjuncts(where, nil) {
		var q *parser.Query
		var x parser.Expr // the IN operand
		anti := false
		switch y := c.(type) {
		case *parser.Exists:
			q = y.Query
		case *parser.InQuery:
			q, x, anti = y.Query, y.X, y.Not
		case *parser.Unary:
			if e, ok := y.X.(*parser.Exists); ok && y.Op == "NOT" {
				q, anti = e.Query, true
			}
		}
		if q == nil {
			and(c)
			continue
		}
		kind := "SEMI"
		if anti {
			kind = "ANTI"
		}
		n, err := p.semiJoin(c, in, s, q, x, kind)
		if err != nil {
			return nil, nil, err
		}
		in, found = n, true
	}
	if !found {
		return in, where, nil // as written
	}
	return in, rest, nil
}

func (p *Planner) semiJoin(at parser.Node, in Node, s *scope, q *parser.Query, x parser.Expr, kind string) (Node, error) {
	anti := kind == "ANTI"
	nullAware := kind != "SEMI" // NOT IN, and the value of IN (MARK)
	sel, ok := q.Body.(*parser.Select)
	if !ok || len(q.With) > 0 || len(q.OrderBy) > 0 || q.Limit != nil || sel.From == nil || len(sel.GroupBy) > 0 || sel.Having != nil || p.anyAgg(sel) {
		// Not a plain SELECT (an aggregation gives a row even over no
		// rows): an uncorrelated subquery, planned as a query of its own.
		return p.uncorrelatedSemiJoin(at, in, s, q, x, kind)
	}
	if s.win != nil {
		var err error
		if in, err = materializeTVF(in, s); err != nil {
			return nil, err
		}
	}
	var r Node
	var rs *scope
	var err error
	if j, ok := sel.From.(*parser.Join); ok {
		var rest []parser.Expr
		if r, rs, rest, err = p.bindJoin(j, nil); err != nil {
			return nil, err
		}
		if len(rest) > 0 {
			var es []expr.Expr
			for i, c := range r.Cols() {
				es = append(es, expr.ColumnRef(i, c.Name, c.Type))
			}
			f, err := p.joinCond(rest, rs)
			if err != nil {
				return nil, err
			}
			r = &Calc{In: r, Filter: f, Exprs: es, cols: r.Cols()}
		}
	} else if r, rs, err = p.bindFrom(sel.From); err != nil {
		return nil, err
	}
	if rs.win != nil {
		// A window table function: its rows with their windows (a
		// window semi/anti join pairs them).
		if r, err = materializeTVF(r, rs); err != nil {
			return nil, err
		}
	}
	// resolves reports where a column is: the subquery (inner) first, as
	// SQL scopes names, else the outer query.
	type ref struct {
		inner bool
		i     int
	}
	resolve := func(e parser.Expr) (ref, bool) {
		c, ok := e.(*parser.ColumnRef)
		if !ok {
			return ref{}, false
		}
		if i, err := rs.resolve(c); err == nil {
			return ref{true, i}, true
		}
		if i, err := s.resolve(c); err == nil {
			return ref{false, i}, true
		}
		return ref{}, false
	}
	var lkeys, rkeys []int
	var local parser.Expr
	var corr []parser.Expr // correlated conditions other than key equalities
	mentionsOuter := func(e parser.Expr) bool { return p.mentionsOuter(e, rs, s) }
	for _, c := range conjuncts(sel.Where, nil) {
		if b, ok := c.(*parser.Binary); ok && b.Op == "=" {
			l, ok1 := resolve(b.L)
			r2, ok2 := resolve(b.R)
			if ok1 && ok2 && l.inner != r2.inner {
				if l.inner {
					l, r2 = r2, l
				}
				lkeys, rkeys = append(lkeys, l.i), append(rkeys, r2.i)
				continue
			}
		}
		if mentionsOuter(c) {
			corr = append(corr, c)
			continue
		}
		if local == nil {
			local = c
		} else {
			local = &parser.Binary{Op: "AND", L: local, R: c}
		}
	}
	na := -1 // NOT IN over nullable columns: the index of its pair in the keys
	if x != nil {
		xs := inOperands(x)
		if len(sel.Items) != len(xs) {
			return nil, errAt(sel, "the subquery of IN must select %d column(s), as many as IN compares, not %d", len(xs), len(sel.Items))
		}
		if _, ok := sel.Items[0].Expr.(*parser.Star); ok {
			return nil, errAt(sel.Items[0], "the subquery of IN must select its columns, not *")
		}
		// Each x is the outer query's, the selected expression the
		// subquery's; either may be an expression (a hidden column then)
		// and they are cast to their common type.
		for k, x := range xs {
			var err error
			li, ri := -1, -1
			if c, ok := x.(*parser.ColumnRef); ok {
				if i, err := s.resolve(c); err == nil {
					li = i
				}
			}
			if li < 0 {
				if in, li, err = p.withExpr(in, s, x, nil); err != nil {
					return nil, err
				}
			}
			item := sel.Items[k].Expr
			if r2, ok := resolve(item); ok && r2.inner {
				ri = r2.i
			} else if mentionsOuter(item) {
				return nil, errAt(item, "the column selected by an IN subquery must not read the outer query")
			} else if r, ri, err = p.withExpr(r, rs, item, nil); err != nil {
				return nil, err
			}
			if in, r, li, ri, err = p.commonKey(at, in, s, li, r, rs, ri); err != nil {
				return nil, err
			}
			if nullAware && (s.cols[li].t.Nullable() || rs.cols[ri].t.Nullable()) {
				if len(xs) > 1 {
					return nil, errAt(at, "NOT IN of a row over nullable columns is not supported yet (its NULL semantics): use NOT EXISTS, or columns declared NOT NULL")
				}
				na = len(lkeys)
			}
			lkeys, rkeys = append(lkeys, li), append(rkeys, ri)
		}
	}
	if local != nil {
		filter, err := p.b.bind(local, rs)
		if err != nil {
			return nil, err
		}
		if filter.Type().Root() != table.RootBoolean {
			return nil, errAt(local, "WHERE must be a BOOLEAN condition")
		}
		var es []expr.Expr
		for i, c := range r.Cols() {
			es = append(es, expr.ColumnRef(i, c.Name, c.Type))
		}
		r = &Calc{In: r, Filter: filter, Exprs: es, cols: r.Cols()}
	}
	// Correlated columns of different types are compared as their
	// common type (keycast.go), cast in place; the outer query's columns
	// are cast back above the join.
	in, r, orig, err := castCorrelated(at, in, s, lkeys, r, rs, rkeys)
	if err != nil {
		return nil, err
	}
	j, err := p.correlatedSemiJoin(at, in, s, r, rs, lkeys, rkeys, na, kind, anti, corr)
	if err != nil {
		return nil, err
	}
	return castBackOuter(j, s, orig)
}

// correlatedSemiJoin is the semi/anti/mark join of in with the correlated
// subquery's rows r on the keys, corr the correlations that are no keys.
func (p *Planner) correlatedSemiJoin(at parser.Node, in Node, s *scope, r Node, rs *scope, lkeys, rkeys []int, na int, kind string, anti bool, corr []parser.Expr) (Node, error) {
	var err error
	var cond expr.Expr
	if len(corr) > 0 {
		// Over the joined row: the outer columns, then the inner ones;
		// a name is the subquery's first.
		tmp := &scope{}
		for _, c := range s.cols {
			c.outer = true
			tmp.cols = append(tmp.cols, c)
		}
		tmp.cols = append(tmp.cols, rs.cols...)
		if cond, err = p.joinCond(corr, tmp); err != nil {
			return nil, err
		}
		// The window join's rows are not paired by conditions yet: a
		// regular join.
		return regularSemiJoin(in, s, r, lkeys, rkeys, na, kind, cond), nil
	}
	if kind == "MARK" {
		return regularSemiJoin(in, s, r, lkeys, rkeys, na, kind, nil), nil
	}
	if wj, err := p.windowSemiJoin(at, in, s, r, rs, lkeys, rkeys, anti); wj != nil || err != nil {
		if err == nil && na >= 0 {
			return nil, errAt(at, "NOT IN over nullable columns is not supported in a window anti join (its NULL semantics): use NOT EXISTS, or columns declared NOT NULL")
		}
		return wj, err
	}
	return regularSemiJoin(in, s, r, lkeys, rkeys, na, kind, nil), nil
}

// windowSemiJoin is the window semi/anti join of in and r when both are
// window relations whose window_start and window_end the keys pair, else
// nil.
func (p *Planner) windowSemiJoin(at parser.Node, in Node, s *scope, r Node, rs *scope, lkeys, rkeys []int, anti bool) (Node, error) {
	l := in
	kind := "SEMI"
	if anti {
		kind = "ANTI"
	}
	jn := &IntervalJoin{LKeys: lkeys, RKeys: rkeys}
	var cols []Col
	for i := range s.cols {
		cols = append(cols, Col{Name: s.cols[i].name, Type: s.cols[i].t.WithTimeAttr(table.NoTimeAttr)})
	}
	for _, c := range rs.cols {
		cols = append(cols, Col{Name: c.name, Type: c.t})
	}
	jn.cols = cols
	tmp := &scope{cols: append(append([]scopeCol(nil), s.cols...), rs.cols...)}
	wj, err := windowJoinOf(at, kind, l, r, jn, nil, tmp)
	if err != nil || wj == nil {
		return nil, err
	}
	// The output: the outer columns, whose window columns stay window
	// columns.
	wj.cols = wj.cols[:len(s.cols)]
	for i := range wj.cols {
		wj.cols[i].Win = l.Cols()[i].Win
		wj.cols[i].Type = l.Cols()[i].Type.WithTimeAttr(table.NoTimeAttr)
		s.cols[i].t = wj.cols[i].Type
	}
	return wj, nil
}

// uncorrelatedSemiJoin plans x [NOT] IN (q) and [NOT] EXISTS (q) for a
// subquery q that does not read the outer query: q is planned on its own.
func (p *Planner) uncorrelatedSemiJoin(at parser.Node, in Node, s *scope, q *parser.Query, x parser.Expr, kind string) (Node, error) {
	r, err := p.bindQuery(q)
	if err != nil {
		return nil, err
	}
	if s.win != nil {
		if in, err = materializeTVF(in, s); err != nil {
			return nil, err
		}
	}
	var lkeys, rkeys []int
	na := -1
	if x != nil {
		xs := inOperands(x)
		if len(r.Cols()) != len(xs) {
			return nil, errAt(q, "the subquery of IN must select %d column(s), as many as IN compares, not %d", len(xs), len(r.Cols()))
		}
		rs := &scope{}
		for _, c := range r.Cols() {
			rs.cols = append(rs.cols, scopeCol{name: c.Name, t: c.Type})
		}
		for k, x := range xs {
			i := -1
			if c, ok := x.(*parser.ColumnRef); ok {
				if j, err := s.resolve(c); err == nil {
					i = j
				}
			}
			if i < 0 {
				if in, i, err = p.withExpr(in, s, x, nil); err != nil {
					return nil, err
				}
			}
			ri := k
			if in, r, i, ri, err = p.commonKey(at, in, s, i, r, rs, k); err != nil {
				return nil, err
			}
			lt, rt := in.Cols()[i].Type, r.Cols()[ri].Type
			if kind != "SEMI" && (lt.Nullable() || rt.Nullable()) {
				if len(xs) > 1 {
					return nil, errAt(at, "NOT IN of a row over nullable columns is not supported yet (its NULL semantics): use NOT EXISTS, or columns declared NOT NULL")
				}
				na = len(lkeys)
			}
			lkeys, rkeys = append(lkeys, i), append(rkeys, ri)
		}
	}
	return regularSemiJoin(in, s, r, lkeys, rkeys, na, kind, nil), nil
}

// regularSemiJoin is the SemiJoin node of in and r on the keys; a NOT IN
// pair over nullable columns (na >= 0) is not a key but Flink's
// null-aware condition; cond (or nil) is the other correlated conditions
// over the joined row.
func regularSemiJoin(in Node, s *scope, r Node, lkeys, rkeys []int, na int, kind string, cond expr.Expr) Node {
	j := &SemiJoin{Kind: kind, L: in, R: r, NullAware: na >= 0, Cond: cond}
	for i := range lkeys {
		if i == na {
			j.NAL, j.NAR = lkeys[i], rkeys[i]
			continue
		}
		j.LKeys, j.RKeys = append(j.LKeys, lkeys[i]), append(j.RKeys, rkeys[i])
	}
	// The outer columns: an event-time attribute does not stay one (rows
	// come out when the right side changes), window columns do not stay
	// window columns.
	for i, c := range in.Cols() {
		c.Type = c.Type.WithTimeAttr(table.NoTimeAttr)
		c.Win = winNone
		j.cols = append(j.cols, c)
		s.cols[i].t, s.cols[i].win = c.Type, winNone
	}
	if kind == "MARK" {
		// The value of the IN / EXISTS: NULL only for a null-aware IN.
		t := table.BooleanType().WithNullable(na >= 0)
		name := fmt.Sprintf("$mark%d", len(j.cols))
		j.cols = append(j.cols, Col{Name: name, Type: t})
		s.cols = append(s.cols, scopeCol{name: name, t: t, hidden: true})
	}
	return j
}

// withExpr appends the value of e (bound over s; or bound, when e is nil)
// to n's columns, as a column of s hidden from *; it returns the new node
// and the column's index.
func (p *Planner) withExpr(n Node, s *scope, e parser.Expr, bound expr.Expr) (Node, int, error) {
	x := bound
	if x == nil {
		if p.b.hasAgg(e) {
			return nil, 0, errAt(e, "aggregate functions are not allowed here")
		}
		var err error
		if x, err = p.b.bind(e, s); err != nil {
			return nil, 0, err
		}
	}
	cols := append([]Col(nil), n.Cols()...)
	var es []expr.Expr
	for i, c := range cols {
		es = append(es, expr.ColumnRef(i, c.Name, c.Type))
	}
	name := fmt.Sprintf("$in%d", len(cols))
	t := x.Type().WithTimeAttr(table.NoTimeAttr)
	es = append(es, x)
	cols = append(cols, Col{Name: name, Type: t})
	s.cols = append(s.cols, scopeCol{name: name, t: t, hidden: true})
	return &Calc{In: n, Exprs: es, cols: cols}, len(cols) - 1, nil
}

// castCorrelated casts the correlated key pairs (in's lkeys[i], r's
// rkeys[i]) of different types to their common type in place, by implicit
// Calcs (keycast.go), s and rs (when not nil) following. It returns the
// types in's cast columns had (nil when none was cast), which
// castBackOuter restores over the join.
func castCorrelated(at parser.Node, in Node, s *scope, lkeys []int, r Node, rs *scope, rkeys []int) (Node, Node, map[int]table.Type, error) {
	lcast, rcast, bad, shared := keyCasts(colTypes(in.Cols()), colTypes(r.Cols()), lkeys, rkeys)
	if i := bad; i >= 0 && shared {
		return nil, nil, nil, errAt(at, "the correlated columns %s and %s%s", colName(in)(lkeys[i]), colName(r)(rkeys[i]),
			sharedKeyHint(colTypes(in.Cols()), colTypes(r.Cols()), colName(in), colName(r), lkeys, rkeys, i))
	}
	if i := bad; i >= 0 {
		return nil, nil, nil, errAt(at, "the correlated columns `%s` (%s) and `%s` (%s) have no common type that keeps both sides' values: CAST one of them", in.Cols()[lkeys[i]].Name, in.Cols()[lkeys[i]].Type, r.Cols()[rkeys[i]].Name, r.Cols()[rkeys[i]].Type)
	}
	var orig map[int]table.Type
	for k := range lcast {
		if orig == nil {
			orig = map[int]table.Type{}
		}
		orig[k] = in.Cols()[k].Type
	}
	in, err := keyCastCalc(in, lcast)
	if err != nil {
		return nil, nil, nil, wrapAt(at, err)
	}
	if r, err = keyCastCalc(r, rcast); err != nil {
		return nil, nil, nil, wrapAt(at, err)
	}
	for k := range lcast {
		s.cols[k].t = in.Cols()[k].Type
	}
	for k := range rcast {
		if rs != nil {
			rs.cols[k].t = r.Cols()[k].Type
		}
	}
	return in, r, orig, nil
}

// colName describes n's column i for a message: `name` (TYPE), only the
// type for a column the planner named ($k0).
func colName(n Node) func(int) string {
	return func(i int) string {
		c := n.Cols()[i]
		if strings.HasPrefix(c.Name, "$") {
			return "a column of type " + c.Type.String()
		}
		return "`" + c.Name + "` (" + c.Type.String() + ")"
	}
}

// castBackOuter casts the outer columns that castCorrelated cast (orig:
// their types) back to their types over the join n, whose first columns
// are the outer query's (s).
func castBackOuter(n Node, s *scope, orig map[int]table.Type) (Node, error) {
	if len(orig) == 0 {
		return n, nil
	}
	want := append([]Col(nil), n.Cols()...)
	for k, t := range orig {
		want[k].Type = t.WithTimeAttr(table.NoTimeAttr).WithNullable(want[k].Type.Nullable())
		s.cols[k].t = want[k].Type
	}
	return castBackCalc(n, want)
}

// commonKey casts the IN pair (l's column li, r's column ri) to their
// common type when they differ (new hidden columns), or reports that they
// cannot be compared.
//
// UIDs: the hidden columns' Calcs follow main's build before branch
// sqltypes (683dc02, whose savepoints today's plans restore; DESIGN.md §7),
// by the types it gave the operands (oldType: a TIMESTAMP literal's column
// was TIMESTAMP(3), a FLOAT sum DOUBLE), not by the pair of types, which
// does not tell a declared FLOAT from a FLOAT sum. A side that build cast
// too (INT with BIGINT, a declared FLOAT with DOUBLE) keeps its sql-<n>
// Calc; a cast it did not make (a literal's TIMESTAMP(0) column with a
// TIMESTAMP(3) one) is implicit, its Calc of the cast namespace (calc.go);
// and a side it cast that needs no cast now (a declared FLOAT with a FLOAT
// sum) gets a hidden copy of the column instead, so its Calc still takes
// the number the cast's did. The stateful operators keep their numbers.
func (p *Planner) commonKey(at parser.Node, l Node, ls *scope, li int, r Node, rs *scope, ri int) (Node, Node, int, int, error) {
	lt, rt := l.Cols()[li].Type, r.Cols()[ri].Type
	ct := lt
	if !lt.EqualIgnoringNull(rt) {
		var ok bool
		if ct, ok = table.CommonType(lt, rt); !ok {
			return nil, nil, 0, 0, errAt(at, "IN compares %s with %s, which have no common type: CAST one of them", lt, rt)
		}
	}
	ol, or := oldType(l, li), oldType(r, ri)
	hidden := func(n Node, s *scope, i int, old table.Type) (Node, int, error) {
		t := n.Cols()[i].Type
		// wasCast: false also where that build could not compare the
		// two (TIME of two precisions): no Calc either.
		wasCast, _ := castBeforeSQLTypes(old, ol, or)
		ref := expr.ColumnRef(i, n.Cols()[i].Name, t)
		if t.EqualIgnoringNull(ct) {
			if !wasCast {
				return n, i, nil
			}
			return p.withExpr(n, s, nil, ref)
		}
		c, err := expr.NewCast(ref, ct.WithNullable(t.Nullable()).WithTimeAttr(table.NoTimeAttr), false)
		if err != nil {
			return nil, 0, errAt(at, "IN compares %s with %s: %v", lt, rt, err)
		}
		n, i, err = p.withExpr(n, s, nil, c)
		if err != nil {
			return nil, 0, err
		}
		n.(*Calc).implicit = !wasCast
		return n, i, nil
	}
	var err error
	if l, li, err = hidden(l, ls, li, ol); err != nil {
		return nil, nil, 0, 0, err
	}
	if r, ri, err = hidden(r, rs, ri, or); err != nil {
		return nil, nil, 0, 0, err
	}
	return l, r, li, ri, nil
}

// inOperands are the values IN compares: the elements of a row (a, b) or
// the one expression.
func inOperands(x parser.Expr) []parser.Expr {
	if r, ok := x.(*parser.Row); ok && len(r.Elems) > 0 {
		return r.Elems
	}
	return []parser.Expr{x}
}

// mentionsOuter reports whether e, an expression of a subquery over the
// scope inner, names a column of the enclosing query's scope outer (a
// column inner does not resolve and outer does: a correlation).
func (p *Planner) mentionsOuter(e parser.Expr, inner, outer *scope) bool {
	found := false
	p.b.walk(e, func(y parser.Expr) {
		if c, ok := y.(*parser.ColumnRef); ok {
			if _, err := inner.resolve(c); err != nil {
				if _, err := outer.resolve(c); err == nil {
					found = true
				}
			}
		}
	})
	return found
}
