package planner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stromio/strom/internal/sql/catalog"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/table"
)

// bindCollection binds the collection syntax: ARRAY[...], MAP[...], ROW(...)
// and (a, b, ...), x[i] and x.field over an expression (ok false for other
// expressions). The calls are expr's internal $ARRAY, $MAP, $ROW, $ITEM and
// the planner's $FIELD.
func (b *binder) bindCollection(e parser.Expr, sub func(parser.Expr) (expr.Expr, error)) (expr.Expr, bool, error) {
	subs := func(es []parser.Expr) ([]expr.Expr, error) { return bindEach(sub, es) }
	switch x := e.(type) {
	case *parser.ArrayCtor:
		if len(x.Elems) == 0 {
			return nil, true, errAt(x, "ARRAY[] needs at least one element (the element type comes from them)")
		}
		args, err := subs(x.Elems)
		if err != nil {
			return nil, true, err
		}
		if err := commonElems(x, "the elements of ARRAY[...]", args); err != nil {
			return nil, true, err
		}
		r, err := b.reg.Call(expr.ArrayCtor, args...)
		return r, true, wrapAt(x, err)
	case *parser.MapCtor:
		if len(x.Elems) == 0 {
			return nil, true, errAt(x, "MAP[] needs at least one key and value (their types come from them)")
		}
		args, err := subs(x.Elems)
		if err != nil {
			return nil, true, err
		}
		var ks, vs []expr.Expr
		for i := 0; i+1 < len(args); i += 2 {
			ks, vs = append(ks, args[i]), append(vs, args[i+1])
		}
		if err := commonElems(x, "the keys of MAP[...]", ks); err != nil {
			return nil, true, err
		}
		if err := commonElems(x, "the values of MAP[...]", vs); err != nil {
			return nil, true, err
		}
		r, err := b.reg.Call(expr.MapCtor, args...)
		return r, true, wrapAt(x, err)
	case *parser.Row:
		args, err := subs(x.Elems)
		if err != nil {
			return nil, true, err
		}
		for i, a := range args {
			if a.Type().Root() == table.RootNull {
				return nil, true, errAt(x.Elems[i], "field %d of %s is an untyped NULL: write CAST(NULL AS type)", i+1, x)
			}
		}
		if len(args) == 0 {
			return nil, true, errAt(x, "ROW() needs at least one field")
		}
		r, err := b.reg.Call(expr.RowCtor, args...)
		return r, true, wrapAt(x, err)
	case *parser.Index:
		args, err := subs([]parser.Expr{x.X, x.I})
		if err != nil {
			return nil, true, err
		}
		t, it := args[0].Type(), args[1].Type()
		switch t.Root() {
		case table.RootArray:
			if !it.IsInteger() && it.Root() != table.RootNull {
				return nil, true, errAt(x.I, "the index of %s is %s: an ARRAY takes an integer index (1 is the first element)", x, it)
			}
			if l, ok := x.I.(*parser.Literal); ok && l.Kind == parser.LitNumber {
				if n, err := strconv.ParseInt(l.Value, 10, 64); err == nil && n < 1 {
					return nil, true, errAt(x.I, "%s: ARRAY element access needs an index starting at 1, not %d", x, n)
				}
			}
		case table.RootMap:
			if _, ok := table.CommonType(it.AsNullable(), t.Elem().AsNullable()); !ok && it.Root() != table.RootNull {
				return nil, true, errAt(x.I, "the key of %s is %s: the MAP's keys are %s", x, it, t.Elem())
			}
		default:
			return nil, true, errAt(x, "%s: `%s` is %s; [...] takes an ARRAY (arr[1], the first element) or a MAP (m['key'])", x, x.X, t)
		}
		r, err := b.reg.Call(expr.ItemFunc, args...)
		return r, true, wrapAt(x, err)
	case *parser.FieldAccess:
		args, err := subs([]parser.Expr{x.X})
		if err != nil {
			return nil, true, err
		}
		t := args[0].Type()
		if t.Root() != table.RootRow {
			return nil, true, errAt(x.Field, "%s is %s, not a ROW: it has no field `%s`", x.X, t, x.Field.Name)
		}
		r, err := b.reg.Call(fieldFunc, args[0], expr.StrLit(x.Field.Name))
		if err != nil {
			var names []string
			for _, f := range t.Fields() {
				names = append(names, f.Name)
			}
			msg := fmt.Sprintf("ROW %s has no field `%s`", x.X, x.Field.Name)
			if sug := catalog.Closest(x.Field.Name, names); sug != "" {
				msg += fmt.Sprintf("; did you mean `%s`?", sug)
			} else {
				msg += "; its fields are " + strings.Join(names, ", ")
			}
			return nil, true, errAt(x.Field, "%s", msg)
		}
		return r, true, nil
	}
	return nil, false, nil
}

// commonElems checks that es have a common type that is not NULL.
func commonElems(at parser.Node, what string, es []expr.Expr) error {
	var ts []string
	var types []table.Type
	allNull := true
	for _, e := range es {
		t := e.Type()
		types = append(types, t)
		ts = append(ts, t.String())
		allNull = allNull && t.Root() == table.RootNull
	}
	if allNull {
		return errAt(at, "%s are all untyped NULLs: write CAST(NULL AS type) for one of them", what)
	}
	if _, ok := table.CommonType(types...); !ok {
		return errAt(at, "%s have no common type (%s): CAST them to one type", what, strings.Join(ts, ", "))
	}
	return nil
}

// rowFields returns the fields of the ROW-typed e: the arguments of a ROW
// constructor, or $FIELD accesses of any other ROW expression.
func (b *binder) rowFields(e expr.Expr) ([]expr.Expr, error) {
	if c, ok := e.(*expr.Call); ok && c.Name == expr.RowCtor {
		return c.Args, nil
	}
	fs := e.Type().Fields()
	out := make([]expr.Expr, len(fs))
	for i, f := range fs {
		x, err := b.reg.Call(fieldFunc, e, expr.StrLit(f.Name))
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// bindCompare binds l op r for a comparison operator. Comparisons of ROWs
// are expanded field by field, as Calcite does (StandardConvertletTable,
// RelStructuredTypeFlattener): ROW(x0, x1) = ROW(y0, y1) is x0 = y0 AND
// x1 = y1 and <> its negation, so a NULL field makes the result NULL
// rather than comparing equal. Calcite has no ordering of ROWs (<, <=, >,
// >= fail with "inequality comparison for row types"): they are refused.
func (b *binder) bindCompare(at parser.Node, op string, l, r expr.Expr) (expr.Expr, error) {
	if op == "!=" {
		op = "<>"
	}
	lr, rr := l.Type().Root() == table.RootRow, r.Type().Root() == table.RootRow
	if !lr && !rr {
		return b.reg.Call(op, l, r)
	}
	switch op {
	case "=", "<>":
	default:
		return nil, errAt(at, "%s %s %s: ROW values have no order (only = and <> compare them, field by field); compare their fields", l, op, r)
	}
	if !lr || !rr {
		other := l
		if lr {
			other = r
		}
		if other.Type().Root() == table.RootNull {
			return expr.NullLit(table.BooleanType()), nil
		}
		return nil, errAt(at, "%s %s %s: a ROW compares only with a ROW, not with %s", l, op, r, other.Type())
	}
	lf, err := b.rowFields(l)
	if err != nil {
		return nil, err
	}
	rf, err := b.rowFields(r)
	if err != nil {
		return nil, err
	}
	if len(lf) != len(rf) {
		return nil, errAt(at, "%s %s %s: the ROWs have %d and %d fields; they compare field by field, so they need as many", l, op, r, len(lf), len(rf))
	}
	conj := make([]expr.Expr, len(lf))
	for i := range lf {
		c, err := b.bindCompare(at, "=", lf[i], rf[i])
		if err != nil {
			return nil, wrapAt(at, err)
		}
		conj[i] = c
	}
	e := conj[0]
	if len(conj) > 1 {
		if e, err = expr.NewAnd(conj...); err != nil {
			return nil, err
		}
	}
	if op == "<>" {
		return expr.NewNot(e)
	}
	return e, nil
}

// bindRowIn binds x [NOT] IN (list) for a ROW x as Calcite does
// (SqlToRelConverter.convertInToOr): an OR of the field-by-field
// equalities, NOT IN its negation, so NULL when undecided.
func (b *binder) bindRowIn(at parser.Node, x expr.Expr, list []expr.Expr, not bool) (expr.Expr, error) {
	disj := make([]expr.Expr, len(list))
	for i, v := range list {
		c, err := b.bindCompare(at, "=", x, v)
		if err != nil {
			return nil, err
		}
		disj[i] = c
	}
	e := disj[0]
	if len(disj) > 1 {
		var err error
		if e, err = expr.NewOr(disj...); err != nil {
			return nil, err
		}
	}
	if not {
		return expr.NewNot(e)
	}
	return e, nil
}
