package planner

import (
	"fmt"

	"github.com/stromio/strom/internal/sql/catalog"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/table"
)

// fieldFunc is the internal function of a ROW field access, row.field:
// $FIELD(row, 'field') (registered into the planner's registry).
const fieldFunc = "$FIELD"

func registerField(r *expr.Registry) {
	if len(r.Overloads(fieldFunc)) > 0 {
		return
	}
	r.Register(fieldFunc, expr.Overload{
		Sig:       "$FIELD(ROW, STRING) -> field type",
		NonStrict: true,
		BindLit: func(args []table.Type, lits []*table.Value) ([]table.Type, table.Type, bool) {
			if len(args) != 2 || args[0].Root() != table.RootRow || lits[1] == nil {
				return nil, table.Type{}, false
			}
			for _, f := range args[0].Fields() {
				if f.Name == lits[1].AsString() {
					return []table.Type{args[0], args[1]}, f.Type.AsNullable(), true
				}
			}
			return nil, table.Type{}, false
		},
		Impl: func(b *expr.Bound) (expr.Func, error) {
			name, _ := b.Const(1)
			idx := -1
			for i, f := range b.Params[0].Fields() {
				if f.Name == name.AsString() {
					idx = i
				}
			}
			return expr.Func{F2: func(row, _ table.Value) (table.Value, error) {
				es := row.Elems()
				if row.IsNull() || idx >= len(es) {
					return table.Null, nil
				}
				return es[idx], nil
			}}, nil
		},
	})
}

// fieldRef binds a.b.c as field b.c of the ROW column a, when a is a
// column (and not a qualifier).
func (b *binder) fieldRef(x *parser.ColumnRef, s *scope) (expr.Expr, bool, error) {
	if len(x.Parts) < 2 {
		return nil, false, nil
	}
	i, err := s.resolve(&parser.ColumnRef{Parts: x.Parts[:1]})
	if err != nil || s.cols[i].t.Root() != table.RootRow {
		return nil, false, nil
	}
	var e expr.Expr = expr.ColumnRef(i, s.cols[i].name, s.cols[i].t)
	for _, p := range x.Parts[1:] {
		t := e.Type()
		if t.Root() != table.RootRow {
			return nil, true, errAt(p, "`%s` is not a ROW: it has no field `%s`", e, p.Name)
		}
		var names []string
		for _, f := range t.Fields() {
			names = append(names, f.Name)
		}
		c, err := b.reg.Call(fieldFunc, e, expr.StrLit(p.Name))
		if err != nil {
			msg := fmt.Sprintf("ROW %s has no field `%s`", e, p.Name)
			if sug := catalog.Closest(p.Name, names); sug != "" {
				msg += fmt.Sprintf("; did you mean `%s`?", sug)
			}
			return nil, true, errAt(p, "%s", msg)
		}
		e = c
	}
	return e, true, nil
}
