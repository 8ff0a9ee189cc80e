package planner

import (
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
)

func (p *Planner) overCalls(sel *parser.Select) []*parser.FuncCall { return nil }

func (p *Planner) bindOver(sel *parser.Select, in Node, s *scope, filter expr.Expr, over []*parser.FuncCall) (Node, error) {
	return nil, errAt(sel, "OVER")
}
