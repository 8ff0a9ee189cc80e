package planner

import (
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
)

// joinInput plans one input of a join. Joins of more than two inputs
// (`a JOIN b ON ... JOIN c ON ...`, parsed left-deep) are binary joins
// nested as written, as Flink plans them without join reordering: an
// input that is itself a join is planned first and the residual
// conditions of its ON filter its rows; the columns keep their table
// qualifiers, so the enclosing ON may name any of the joined tables.
func (p *Planner) joinInput(t parser.TableExpr) (Node, *scope, error) {
	for {
		pt, ok := t.(*parser.ParenTable)
		if !ok {
			break
		}
		t = pt.Table
	}
	j, ok := t.(*parser.Join)
	if !ok {
		n, s, err := p.bindFrom(t)
		if err != nil {
			return nil, nil, err
		}
		if s.win != nil {
			if n, err = materializeTVF(n, s); err != nil {
				return nil, nil, err
			}
		}
		return n, s, nil
	}
	if j.Kind == "," && unnestOf(j.Right) == nil {
		return nil, nil, errAt(j, "joins of more than two tables in a comma list (FROM a, b, c WHERE ...) are not supported yet: write FROM a JOIN b ON ... JOIN c ON ...")
	}
	n, s, rest, err := p.bindJoin(j, nil)
	if err != nil {
		return nil, nil, err
	}
	if s.win != nil {
		if n, err = materializeTVF(n, s); err != nil {
			return nil, nil, err
		}
	}
	if len(rest) == 0 {
		return n, s, nil
	}
	cond, err := p.joinCond(rest, s)
	if err != nil {
		return nil, nil, err
	}
	cols := n.Cols()
	es := make([]expr.Expr, len(cols))
	for i, c := range cols {
		es[i] = expr.ColumnRef(i, c.Name, c.Type)
	}
	return &Calc{In: n, Filter: cond, Exprs: es, cols: cols}, s, nil
}
