package planner

import (
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
)

// bindMarkJoins plans the IN and EXISTS subqueries of a SELECT that are
// not conjuncts of its WHERE (under OR, NOT, CASE, in the select list of a
// SELECT without aggregation) as mark joins (SemiJoin with Kind MARK, as
// Flink's planner does): every input row with the value of the IN /
// EXISTS as a hidden column of s (s.marks), which the expression reads.
// The subqueries follow the rules of the semi/anti joins (semiJoin).
func (p *Planner) bindMarkJoins(sel *parser.Select, in Node, s *scope, where parser.Expr, agg bool) (Node, error) {
	var subs []parser.Expr
	find := func(e parser.Expr) {
		p.b.walk(e, func(x parser.Expr) {
			switch x.(type) {
			case *parser.Exists, *parser.InQuery:
				subs = append(subs, x)
			}
		})
	}
	find(where)
	if !agg {
		for _, it := range sel.Items {
			find(it.Expr)
		}
	}
	for _, e := range subs {
		var q *parser.Query
		var x parser.Expr
		switch y := e.(type) {
		case *parser.Exists:
			q = y.Query
		case *parser.InQuery:
			q, x = y.Query, y.X
		}
		n, err := p.semiJoin(e, in, s, q, x, "MARK")
		if err != nil {
			return nil, err
		}
		if s.marks == nil {
			s.marks = map[parser.Expr]int{}
		}
		s.marks[e] = len(n.Cols()) - 1
		in = n
	}
	return in, nil
}

// markValue is the bound value of a planned IN / EXISTS (nil when e is
// not one).
func (s *scope) markValue(e parser.Expr) (expr.Expr, bool, error) {
	i, ok := s.marks[e]
	if !ok {
		return nil, false, nil
	}
	v := expr.Expr(expr.ColumnRef(i, s.cols[i].name, s.cols[i].t))
	if in, ok := e.(*parser.InQuery); ok && in.Not {
		n, err := expr.NewNot(v)
		return n, true, err
	}
	return v, true, nil
}
