package planner

import (
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/table"
)

// bindSubqueryJoins plans the [NOT] EXISTS (subquery) and x [NOT] IN
// (subquery) conjuncts of a WHERE over in (scope s) as window semi and
// anti joins (Flink's window join with IN/EXISTS): the subquery's FROM must
// be a window relation correlated with in's on window_start and window_end.
// It returns the new input (same columns) and the rest of the WHERE.
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
		n, err := p.semiJoin(c, in, s, q, x, anti)
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

func (p *Planner) semiJoin(at parser.Node, in Node, s *scope, q *parser.Query, x parser.Expr, anti bool) (Node, error) {
	const how = "IN and EXISTS subqueries are only supported as window semi/anti joins yet: SELECT ... FROM a window relation WHERE ... correlated with the outer one on window_start and window_end"
	sel, ok := q.Body.(*parser.Select)
	if !ok || len(q.With) > 0 || len(q.OrderBy) > 0 || q.Limit != nil || sel.From == nil || len(sel.GroupBy) > 0 || sel.Having != nil || sel.Distinct {
		return nil, errAt(at, "%s (a plain SELECT ... FROM ... WHERE)", how)
	}
	if _, ok := sel.From.(*parser.Join); ok {
		return nil, errAt(sel.From, "%s (one relation in its FROM)", how)
	}
	if s.win != nil {
		var err error
		if in, err = materializeTVF(in, s); err != nil {
			return nil, err
		}
	}
	r, rs, err := p.bindFrom(sel.From)
	if err != nil {
		return nil, err
	}
	if rs.win != nil {
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
	mentionsOuter := func(e parser.Expr) bool {
		found := false
		p.b.walk(e, func(y parser.Expr) {
			if c, ok := y.(*parser.ColumnRef); ok {
				if _, err := rs.resolve(c); err != nil {
					if _, err := s.resolve(c); err == nil {
						found = true
					}
				}
			}
		})
		return found
	}
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
			return nil, errAt(c, "%s (a correlated condition other than an equality of columns)", how)
		}
		if local == nil {
			local = c
		} else {
			local = &parser.Binary{Op: "AND", L: local, R: c}
		}
	}
	if x != nil {
		if len(sel.Items) != 1 {
			return nil, errAt(sel, "the subquery of IN must select one column")
		}
		// x is the outer query's; the selected column the subquery's.
		var l ref
		ok1 := false
		if c, ok := x.(*parser.ColumnRef); ok {
			if i, err := s.resolve(c); err == nil {
				l, ok1 = ref{false, i}, true
			}
		}
		r2, ok2 := resolve(sel.Items[0].Expr)
		if !ok1 || !ok2 || !r2.inner {
			return nil, errAt(at, "%s (IN compares an outer column with a column of the subquery)", how)
		}
		if anti && (s.cols[l.i].t.Nullable() || rs.cols[r2.i].t.Nullable()) {
			return nil, errAt(at, "NOT IN over nullable columns is not supported (its NULL semantics): use NOT EXISTS, or columns declared NOT NULL")
		}
		lkeys, rkeys = append(lkeys, l.i), append(rkeys, r2.i)
	}
	var filter expr.Expr
	if local != nil {
		if filter, err = p.b.bind(local, rs); err != nil {
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
	for i := range lkeys {
		lt, rt := in.Cols()[lkeys[i]].Type, r.Cols()[rkeys[i]].Type
		if !lt.EqualIgnoringNull(rt) {
			return nil, errAt(at, "the correlated columns `%s` (%s) and `%s` (%s) must have the same type yet", in.Cols()[lkeys[i]].Name, lt, r.Cols()[rkeys[i]].Name, rt)
		}
	}
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
	wj, err := windowJoinOf(at, kind, in, r, jn, nil, tmp)
	if err != nil {
		return nil, err
	}
	if wj == nil {
		return nil, errAt(at, "%s", how)
	}
	// The output: the outer columns, whose window columns stay window
	// columns.
	wj.cols = wj.cols[:len(s.cols)]
	for i := range wj.cols {
		wj.cols[i].Win = in.Cols()[i].Win
		wj.cols[i].Type = in.Cols()[i].Type.WithTimeAttr(table.NoTimeAttr)
		s.cols[i].t = wj.cols[i].Type
	}
	return wj, nil
}
