package planner

import (
	"fmt"
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/table"
)

// bindScalarSubqueries plans the scalar subqueries (SELECT ...) of a
// SELECT's WHERE, select list and HAVING, as
// Flink does: a LEFT join of the input with the subquery's single row (no
// keys: every row meets it), so that each input row gets the value, NULL
// while the subquery has no row, and is retracted and emitted again when
// the value changes (the join is updating). A global aggregation (an
// aggregate without GROUP BY) gives at most one row, and is joined as it
// is; any other subquery is checked at run time as Flink (Calcite's
// SINGLE_VALUE) does: its rows go through singleValue, which fails the
// job when it holds a second row. A correlated one is decorrelated
// (correlatedScalar). The
// subquery's value becomes a column of the scope (s.scalars). In an
// aggregating SELECT those of the select list and HAVING are joined after
// the aggregation, as Flink (Calcite's createAggImpl) does: they are
// planned here and left in s.post for bindAggregate (postScalarJoin), so
// the join keeps one row per group and a new value changes each group's
// row once. Those inside an aggregate call's arguments are joined to the
// input before the aggregation, as those of WHERE.
func (p *Planner) bindScalarSubqueries(sel *parser.Select, in Node, s *scope, where parser.Expr, agg bool) (Node, error) {
	var subs []*parser.Subquery
	find := func(e parser.Expr) {
		p.b.walk(e, func(x parser.Expr) {
			if sq, ok := x.(*parser.Subquery); ok {
				subs = append(subs, sq)
			}
		})
	}
	find(where)
	if agg {
		// Inside an aggregate call's arguments (or FILTER): joined to
		// the input before the aggregation, as Flink (Calcite's
		// SqlToRelConverter) plans them, so the aggregate reads the
		// value of each row (and retracts and re-adds the rows when it
		// changes: the input becomes updating).
		for _, e := range append([]parser.Expr{sel.Having}, itemExprs(sel)...) {
			p.b.walk(e, func(x parser.Expr) {
				if f, ok := x.(*parser.FuncCall); ok && p.b.isAggCall(f) {
					for _, a := range append(append([]parser.Expr(nil), f.Args...), f.Filter) {
						find(a)
					}
				}
			})
		}
	}
	nw := len(subs)
	if nw > 0 && agg && hasGroupWindow(sel) {
		// Those of WHERE and inside aggregate calls are joined to the
		// rows first: the join's columns are no time attributes.
		return nil, errAt(subs[0], "a scalar subquery in WHERE or inside an aggregate call of a group window (GROUP BY TUMBLE/HOP/SESSION) is not supported: it is joined to the rows before the aggregation, and the join's rows have no time attribute for the group window; write the window as a table function, FROM TABLE(TUMBLE(...)) ... GROUP BY window_start, window_end, whose window columns the join keeps")
	}
	for _, it := range sel.Items {
		find(it.Expr)
	}
	if agg {
		find(sel.Having)
	}
	if len(subs) == 0 {
		return in, nil
	}
	if agg && len(subs) > nw && s.win != nil {
		return nil, errAt(subs[nw], "a scalar subquery in the select list of a window aggregation is not supported yet")
	}
	if s.win != nil {
		var err error
		if in, err = materializeTVF(in, s); err != nil {
			return nil, err
		}
	}
	for k, sq := range subs {
		body, ok := sq.Query.Body.(*parser.Select)
		r, lkeys, coalesce, err := p.correlatedScalar(sq, body, s)
		if err != nil {
			return nil, err
		}
		post := k >= nw && agg
		if r != nil {
			if post {
				// The value must depend on the groups only: on the
				// GROUP BY columns of every group (GROUP BY (a, b) is
				// GROUP BY a, b; a column of some grouping sets only is
				// not one).
				plain, _, err := groupingSets(sel.GroupBy)
				if err != nil {
					return nil, err
				}
				for _, l := range lkeys {
					grouped := false
					for _, g := range plain {
						if c, ok := g.(*parser.ColumnRef); ok {
							if i, err := s.resolve(c); err == nil && i == l {
								grouped = true
							}
						}
					}
					if !grouped {
						return nil, errAt(sq, "a correlated scalar subquery in an aggregation may only read GROUP BY columns of the outer query; `%s` is not one", s.cols[l].name)
					}
				}
			}
			if post {
				s.post = append(s.post, postScalar{sq: sq, r: r, lkeys: lkeys, coalesce: coalesce})
			} else {
				if in, err = p.scalarJoin(in, s, r, lkeys, len(lkeys), coalesce, sq); err != nil {
					return nil, err
				}
			}
			continue
		}
		if ok && len(body.Items) != 1 {
			return nil, errAt(sq, "a scalar subquery must select one column, not %d", len(body.Items))
		}
		r, err = p.bindQuery(sq.Query)
		if err != nil {
			return nil, err
		}
		if len(r.Cols()) != 1 {
			return nil, errAt(sq, "a scalar subquery must select one column, not %d", len(r.Cols()))
		}
		if !ok || len(sq.Query.With) > 0 || body.From == nil || len(body.GroupBy) > 0 || body.Distinct || !p.anyAgg(body) || sq.Query.Limit != nil {
			// Not known to give at most one row: checked at run
			// time, as Flink (Calcite's SINGLE_VALUE) does.
			r = singleValue(r, 0, sq)
		}
		if post {
			s.post = append(s.post, postScalar{sq: sq, r: r})
		} else {
			if in, err = p.scalarJoin(in, s, r, nil, 0, false, sq); err != nil {
				return nil, err
			}
		}
	}
	return in, nil
}

// postScalar is a scalar subquery of an aggregating SELECT's select list
// or HAVING, joined after the aggregation: r is its rows, lkeys the outer
// GROUP BY columns (scope indexes) equal to r's first columns (a
// correlated one), r's next column the value (COALESCE(value, 0) when
// coalesce).
type postScalar struct {
	sq       *parser.Subquery
	r        Node
	lkeys    []int
	coalesce bool
}

// valueType is the type of the subquery's value after the LEFT join.
func (ps postScalar) valueType() table.Type {
	t := ps.r.Cols()[len(ps.lkeys)].Type.WithTimeAttr(table.NoTimeAttr).WithNullable(true)
	if ps.coalesce {
		if c, err := expr.NewCoalesce(expr.ColumnRef(0, "", t), expr.Lit(table.Int(0), t.NotNull())); err == nil {
			return c.Type()
		}
	}
	return t
}

// postScalarJoin is the LEFT join of an aggregation's rows (in, of the
// aggregation a) with a subquery's rows (ps.r): keyless (one row per group
// meets the single row) or, for a correlated one, on the group keys the
// subquery reads. It keeps in's columns and appends the value, whose index
// it returns.
func postScalarJoin(in Node, ps postScalar, a *aggCtx) (Node, int, error) {
	nl := len(in.Cols())
	var lkeys []int
	for _, l := range ps.lkeys {
		slot, ok := a.keyCol[l]
		if !ok {
			return nil, 0, errAt(ps.sq, "a correlated scalar subquery in an aggregation may only read GROUP BY columns of the outer query; `%s` is not one", a.in.cols[l].name)
		}
		lkeys = append(lkeys, slot)
	}
	// correlatedScalar cast the subquery's key to the common type; a
	// narrower group key is cast in place below the join and back above
	// it (keycast.go), as scalarJoin does for the rows of a query that
	// does not aggregate.
	lcast, rcast, bad, shared := keyCasts(colTypes(in.Cols()), colTypes(ps.r.Cols()), lkeys, rkeysOf(len(lkeys)))
	if i := bad; i >= 0 && shared {
		return nil, 0, errAt(ps.sq, "the correlated columns %s and %s%s", colName(in)(lkeys[i]), colName(ps.r)(i),
			sharedKeyHint(colTypes(in.Cols()), colTypes(ps.r.Cols()), colName(in), colName(ps.r), lkeys, rkeysOf(len(lkeys)), i))
	}
	if i := bad; i >= 0 {
		return nil, 0, errAt(ps.sq, "the correlated columns `%s` (%s) and `%s` (%s) have no common type: CAST one of them", in.Cols()[lkeys[i]].Name, in.Cols()[lkeys[i]].Type, ps.r.Cols()[i].Name, ps.r.Cols()[i].Type)
	}
	orig := in.Cols()
	in, err := keyCastCalc(in, lcast)
	if err != nil {
		return nil, 0, wrapAt(ps.sq, err)
	}
	r, err := keyCastCalc(ps.r, rcast) // none: correlatedScalar cast them
	if err != nil {
		return nil, 0, wrapAt(ps.sq, err)
	}
	j := &RegularJoin{Kind: "LEFT", L: in, R: r, LKeys: lkeys, RKeys: rkeysOf(len(lkeys))}
	for _, c := range in.Cols() {
		c.Type = c.Type.WithTimeAttr(table.NoTimeAttr)
		c.Win = winNone
		j.cols = append(j.cols, c)
	}
	for _, c := range r.Cols() {
		c.Type = c.Type.WithTimeAttr(table.NoTimeAttr).WithNullable(true)
		c.Win = winNone
		j.cols = append(j.cols, c)
	}
	value := nl + len(ps.lkeys)
	name := fmt.Sprintf("$scalar%d", nl)
	var out Node = j
	if len(r.Cols()) == 1 && !ps.coalesce {
		j.cols[value].Name = name
	} else {
		c, err := keepValue(j, nl, value, ps.coalesce, name)
		if err != nil {
			return nil, 0, errAt(ps.sq, "%v", err)
		}
		out, value = c, nl
	}
	if len(lcast) == 0 {
		return out, value, nil
	}
	// The cast group keys back to their types.
	want := append([]Col(nil), out.Cols()...)
	for k := range lcast {
		want[k].Type = orig[k].Type.WithTimeAttr(table.NoTimeAttr).WithNullable(want[k].Type.Nullable())
	}
	if out, err = castBackCalc(out, want); err != nil {
		return nil, 0, errAt(ps.sq, "%v", err)
	}
	return out, value, nil
}

// keepValue is a Calc over the join j keeping its first nl columns (the
// left input's) and its column value, named name: COALESCE(value, 0) for
// coalesce (a correlated COUNT, whose empty group is 0, not NULL).
func keepValue(j *RegularJoin, nl, value int, coalesce bool, name string) (*Calc, error) {
	var es []expr.Expr
	var cols []Col
	for i, c := range j.cols[:nl] {
		es = append(es, expr.ColumnRef(i, c.Name, c.Type))
		cols = append(cols, c)
	}
	v := j.cols[value]
	var e expr.Expr = expr.ColumnRef(value, v.Name, v.Type)
	if coalesce {
		c, err := expr.NewCoalesce(e, expr.Lit(table.Int(0), v.Type.NotNull()))
		if err != nil {
			return nil, err
		}
		e = c
	}
	es = append(es, e)
	cols = append(cols, Col{Name: name, Type: e.Type()})
	return &Calc{In: j, Exprs: es, cols: cols}, nil
}

// scalarJoin is the LEFT join of in with the subquery's rows r on the
// keys (in's lkeys = r's first columns), r's column vi being the value
// (COALESCE(value, 0) for a correlated COUNT, whose empty group is 0, not
// NULL); the value becomes a hidden column of s.
func (p *Planner) scalarJoin(in Node, s *scope, r Node, lkeys []int, vi int, coalesce bool, sq *parser.Subquery) (Node, error) {
	// An outer key narrower than the subquery's (cast to the common type
	// by correlatedScalar): cast in place for the join, back above it.
	in, r, orig, err := castCorrelated(sq, in, s, lkeys, r, nil, rkeysOf(len(lkeys)))
	if err != nil {
		return nil, err
	}
	nl := len(in.Cols())
	var rkeys []int
	for i := range lkeys {
		rkeys = append(rkeys, i)
	}
	j := &RegularJoin{Kind: "LEFT", L: in, R: r, LKeys: lkeys, RKeys: rkeys}
	for i, c := range in.Cols() {
		c.Type = c.Type.WithTimeAttr(table.NoTimeAttr)
		c.Win = winNone
		j.cols = append(j.cols, c)
		s.cols[i].t, s.cols[i].win = c.Type, winNone
	}
	for _, c := range r.Cols() {
		c.Type = c.Type.WithTimeAttr(table.NoTimeAttr).WithNullable(true)
		c.Win = winNone
		j.cols = append(j.cols, c)
	}
	var out Node = j
	value := nl + vi
	name := fmt.Sprintf("$scalar%d", nl)
	if len(r.Cols()) > 1 || coalesce {
		// Keep in's columns and the value.
		c, err := keepValue(j, nl, value, coalesce, name)
		if err != nil {
			return nil, errAt(sq, "%v", err)
		}
		out, value = c, nl
	} else {
		j.cols[value].Name = name
	}
	if out, err = castBackOuter(out, s, orig); err != nil {
		return nil, errAt(sq, "%v", err)
	}
	t := out.Cols()[value].Type
	s.cols = append(s.cols, scopeCol{name: name, t: t, hidden: true})
	if s.scalars == nil {
		s.scalars = map[*parser.Subquery]int{}
	}
	s.scalars[sq] = nl
	return out, nil
}

// rkeysOf is 0 ... n-1, the key columns of a correlated scalar
// subquery's rows.
func rkeysOf(n int) []int {
	ks := make([]int, n)
	for i := range ks {
		ks[i] = i
	}
	return ks
}

// correlatedScalar plans a correlated scalar subquery, as Flink
// decorrelates it: (SELECT agg FROM r WHERE r.k = outer.x AND ...) is
// the aggregation of r grouped by k (rows with a NULL k left out: they
// equal nothing), LEFT joined on outer.x = k. It returns nil when sq does
// not read the outer query (scope s). Only a SELECT of one expression
// without WITH, ORDER BY or LIMIT, correlated by equalities of an outer
// and an inner column, is supported. One aggregate expression without
// GROUP BY gives one row per k (a COUNT is 0 for an empty group); other
// subqueries (rows, GROUP BY, DISTINCT) are their rows with k (grouped by
// k and their GROUP BY when they aggregate) under SINGLE_VALUE grouped by
// k (singleValue), as Calcite decorrelates them.
func (p *Planner) correlatedScalar(sq *parser.Subquery, body *parser.Select, s *scope) (Node, []int, bool, error) {
	if body == nil || body.From == nil || body.Where == nil {
		return nil, nil, false, nil
	}
	if _, ok := body.From.(*parser.Join); ok {
		return nil, nil, false, nil
	}
	_, rs, err := p.bindFrom(body.From)
	if err != nil {
		return nil, nil, false, err
	}
	var lkeys []int
	var inner, local []parser.Expr
	var corr []parser.Expr
	for _, c := range conjuncts(body.Where, nil) {
		if b, ok := c.(*parser.Binary); ok && b.Op == "=" {
			l, lok := b.L.(*parser.ColumnRef)
			r, rok := b.R.(*parser.ColumnRef)
			if lok && rok {
				_, lin := rs.resolve(l)
				_, rin := rs.resolve(r)
				if lin != nil && rin == nil {
					l, r = r, l
					lin, rin = rin, lin
				}
				if lin == nil && rin != nil {
					if i, err := s.resolve(r); err == nil {
						lkeys = append(lkeys, i)
						inner = append(inner, l)
						continue
					}
				}
			}
		}
		if p.mentionsOuter(c, rs, s) {
			corr = append(corr, c)
			continue
		}
		local = append(local, c)
	}
	if len(lkeys) == 0 && len(corr) == 0 {
		return nil, nil, false, nil
	}
	if len(corr) > 0 {
		return nil, nil, false, errAt(corr[0], "a correlated scalar subquery is only supported with equalities of an inner and an outer column (inner.k = outer.x) as its correlated conditions yet")
	}
	outer := func(e parser.Expr) bool {
		_, star := e.(*parser.Star)
		return e != nil && !star && p.mentionsOuter(e, rs, s)
	}
	for _, it := range body.Items {
		if outer(it.Expr) {
			return nil, nil, false, errAt(it.Expr, "a correlated scalar subquery may read the outer query only in the equalities of its WHERE (inner.k = outer.x) yet, not in its select list: compute the expression in the outer query")
		}
	}
	for _, g := range body.GroupBy {
		if outer(g) {
			return nil, nil, false, errAt(g, "a correlated scalar subquery may read the outer query only in the equalities of its WHERE (inner.k = outer.x) yet, not in its GROUP BY")
		}
	}
	if body.Having != nil && outer(body.Having) {
		return nil, nil, false, errAt(body.Having, "a correlated scalar subquery may read the outer query only in the equalities of its WHERE (inner.k = outer.x) yet, not in its HAVING: filter its value in the outer query instead")
	}
	if len(sq.Query.With) > 0 || len(sq.Query.OrderBy) > 0 || sq.Query.Limit != nil {
		return nil, nil, false, errAt(sq, "a correlated scalar subquery with WITH, ORDER BY or LIMIT is not supported yet: write it as a plain SELECT, e.g. (SELECT MAX(x) FROM r WHERE r.k = t.k)")
	}
	if len(body.Items) != 1 {
		return nil, nil, false, errAt(sq, "a scalar subquery must select one column, not %d", len(body.Items))
	}
	aggregating := p.anyAgg(body) || len(body.GroupBy) > 0
	if body.Having != nil && len(body.GroupBy) == 0 {
		return nil, nil, false, errAt(body.Having, "a correlated scalar subquery with HAVING but no GROUP BY is not supported yet: filter its value in the outer query instead")
	}
	// One aggregate expression without GROUP BY gives one row per
	// correlation key (single). Others are checked at run time, as
	// Flink (Calcite's SINGLE_VALUE) does: the rows of the subquery
	// with their keys (grouped by the keys and its GROUP BY when it
	// aggregates), then SINGLE_VALUE grouped by the keys.
	single := len(body.GroupBy) == 0 && body.Having == nil && p.anyAgg(body) // DISTINCT of one row is the row
	item := body.Items[0].Expr
	coalesce := false
	// A COUNT's value over no rows is 0, unless it is grouped (not single:
	// an empty group is no row, NULL).
	if f, ok := item.(*parser.FuncCall); single && ok && len(f.Name.Parts) == 1 && strings.EqualFold(f.Name.Parts[0].Name, "COUNT") && f.Over == nil {
		coalesce = true
	} else if single {
		hasCount := false
		p.b.walk(item, func(y parser.Expr) {
			if f, ok := y.(*parser.FuncCall); ok && len(f.Name.Parts) == 1 && strings.EqualFold(f.Name.Parts[0].Name, "COUNT") {
				hasCount = true
			}
		})
		if hasCount {
			return nil, nil, false, errAt(item, "a correlated scalar subquery with COUNT inside an expression is not supported yet (its value over no rows): select COUNT(...) alone")
		}
	}
	cp := *body
	cp.GroupBy = nil
	cp.Items = nil
	where := local
	for i, k := range inner {
		where = append(where, &parser.IsExpr{X: k, Not: true, What: "NULL"})
		if aggregating {
			cp.GroupBy = append(cp.GroupBy, k)
		}
		cp.Items = append(cp.Items, &parser.SelectItem{Expr: k, Alias: &parser.Ident{Name: fmt.Sprintf("$k%d", i)}})
	}
	if aggregating {
		cp.GroupBy = append(cp.GroupBy, body.GroupBy...)
	}
	if single {
		cp.Distinct = false // one row per group: DISTINCT keeps it
	}
	cp.Items = append(cp.Items, body.Items[0])
	cp.Where = nil
	for _, c := range where {
		if cp.Where == nil {
			cp.Where = c
		} else {
			cp.Where = &parser.Binary{Op: "AND", L: cp.Where, R: c}
		}
	}
	q := *sq.Query
	q.Body = &cp
	r, err := p.bindQuery(&q)
	if err != nil {
		return nil, nil, false, err
	}
	if n := len(r.Cols()) - len(lkeys); n != 1 { // SELECT *, t.*
		return nil, nil, false, errAt(sq, "a scalar subquery must select one column, not %d", n)
	}
	if !single {
		r = singleValue(r, len(lkeys), sq)
	}
	// Correlated columns of different types are compared as their
	// common type (keycast.go): the subquery's key cast in place here,
	// the outer query's by the join (scalarJoin).
	rcast := map[int]table.Type{}
	for i, l := range lkeys {
		lt, rt := s.cols[l].t, r.Cols()[i].Type
		ct, cast, ok := keyCommonType(lt, rt)
		if !ok {
			return nil, nil, false, errAt(inner[i], "the correlated columns (%s and %s) have no common type that keeps both sides' values: CAST one of them", rt, lt)
		}
		if cast && !rt.WithTimeAttr(table.NoTimeAttr).EqualIgnoringNull(ct) {
			rcast[i] = ct.WithNullable(rt.Nullable())
		}
	}
	if r, err = keyCastCalc(r, rcast); err != nil {
		return nil, nil, false, wrapAt(sq, err)
	}
	return r, lkeys, coalesce, nil
}

// itemExprs is the expressions of a select list.
func itemExprs(sel *parser.Select) []parser.Expr {
	es := make([]parser.Expr, 0, len(sel.Items))
	for _, it := range sel.Items {
		es = append(es, it.Expr)
	}
	return es
}

// hasGroupWindow reports whether GROUP BY (grouping sets included) has a
// group window call: TUMBLE, HOP or SESSION.
func hasGroupWindow(sel *parser.Select) bool {
	groupBy, sets, err := groupingSets(sel.GroupBy)
	if err != nil {
		return false // reported by bindAggregate
	}
	for _, set := range sets {
		groupBy = append(groupBy, set...)
	}
	for _, g := range groupBy {
		if f, ok := g.(*parser.FuncCall); ok && len(f.Name.Parts) == 1 && f.Over == nil {
			switch strings.ToUpper(f.Name.Parts[0].Name) {
			case "TUMBLE", "HOP", "SESSION":
				return true
			}
		}
	}
	return false
}

// singleValue is Calcite's SINGLE_VALUE over r, whose first nk columns are
// correlation keys and whose next column is a scalar subquery's value: an
// aggregation grouped by the keys that keeps the value of the one row of
// each key and fails the job, naming the subquery sq by its position, when
// a key holds a second row at once (retractions make room: a -U before
// its +U is no second row). Its output is the keys and the value (NULL
// over no rows: the key's row is then deleted).
func singleValue(r Node, nk int, sq *parser.Subquery) Node {
	pos := sq.Pos()
	what := fmt.Sprintf("the scalar subquery at line %d, column %d gave more than one row", pos.Line, pos.Col)
	if nk > 0 {
		what += " for the same values of its correlated columns"
	}
	g := &GroupAgg{In: r}
	for i, c := range r.Cols()[:nk] {
		g.Keys = append(g.Keys, i)
		c.Type = c.Type.WithTimeAttr(table.NoTimeAttr)
		c.Win = winNone
		g.cols = append(g.cols, c)
	}
	v := r.Cols()[nk]
	f := expr.NewSingleValue(v.Type.WithTimeAttr(table.NoTimeAttr), what)
	g.Aggs = []AggCall{{F: f, Args: []int{nk}, Filter: -1, Text: "SINGLE_VALUE(" + v.Name + ")"}}
	g.cols = append(g.cols, Col{Name: v.Name, Type: f.ResultType()})
	return g
}
