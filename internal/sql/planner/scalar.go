package planner

import (
	"fmt"

	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/table"
)

// bindScalarSubqueries plans the scalar subqueries (SELECT ...) of a
// SELECT's WHERE, select list and HAVING, as
// Flink does: a LEFT join of the input with the subquery's single row (no
// keys: every row meets it), so that each input row gets the value, NULL
// while the subquery has no row, and is retracted and emitted again when
// the value changes (the join is updating). The subquery must not read the
// outer query, and must give at most one row, which this planner knows of
// a global aggregation (an aggregate without GROUP BY); Flink checks
// other subqueries at run time (SINGLE_VALUE), not supported yet. The
// subquery's value becomes a column of the scope (s.scalars). In an
// aggregating SELECT the value is joined to the input rows and becomes one
// more group key (bindAggregate): every row has the same value, so the
// groups are the same, and when the value changes each group is retracted
// and emitted again under the new one.
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
	nw := len(subs)
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
		if !ok || len(sq.Query.With) > 0 || body.From == nil || len(body.GroupBy) > 0 || body.Distinct || !p.anyAgg(body) || sq.Query.Limit != nil {
			return nil, errAt(sq, "a scalar subquery must give at most one row: only an aggregation without GROUP BY, e.g. (SELECT MAX(x) FROM t), is supported as one yet")
		}
		if len(body.Items) != 1 {
			return nil, errAt(sq, "a scalar subquery must select one column, not %d", len(body.Items))
		}
		r, err := p.bindQuery(sq.Query)
		if err != nil {
			return nil, err
		}
		if len(r.Cols()) != 1 {
			return nil, errAt(sq, "a scalar subquery must select one column, not %d", len(r.Cols()))
		}
		nl := len(in.Cols())
		j := &RegularJoin{Kind: "LEFT", L: in, R: r}
		for i, c := range in.Cols() {
			c.Type = c.Type.WithTimeAttr(table.NoTimeAttr)
			c.Win = winNone
			j.cols = append(j.cols, c)
			s.cols[i].t, s.cols[i].win = c.Type, winNone
		}
		name := fmt.Sprintf("$scalar%d", nl)
		t := r.Cols()[0].Type.WithTimeAttr(table.NoTimeAttr).WithNullable(true)
		j.cols = append(j.cols, Col{Name: name, Type: t})
		s.cols = append(s.cols, scopeCol{name: name, t: t, hidden: true})
		if s.scalars == nil {
			s.scalars = map[*parser.Subquery]int{}
		}
		s.scalars[sq] = nl
		if k >= nw && agg {
			s.scalarList = append(s.scalarList, sq) // group keys
		}
		in = j
	}
	return in, nil
}

func subqueryExprs(sqs []*parser.Subquery) []parser.Expr {
	es := make([]parser.Expr, len(sqs))
	for i, sq := range sqs {
		es[i] = sq
	}
	return es
}
