package planner

import (
	"fmt"
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Correlate is the expansion of a collection, Flink's Correlate of
// $UNNEST_ROWS: FROM t CROSS JOIN UNNEST(expr) [WITH ORDINALITY] AS u(...)
// (also FROM t, UNNEST(...) and [INNER] JOIN UNNEST(...) ON TRUE) emits each
// input row once per element of the collection Arg evaluates to over it:
// the input's columns, then the element's (an ARRAY's element, or the
// fields of a ROW element, or a MAP entry's key and value), then, WITH
// ORDINALITY, its 1-based position. Left (LEFT JOIN UNNEST(...) ON TRUE)
// keeps a row whose collection is NULL or empty, once, with NULLs.
//
// It is stateless and runs chained to its input: the row kind passes
// through (an update -U/+U of the input row is an update of each of its
// elements' rows, as Flink's correlate), and so does the record's event
// time: the input's columns keep their time attributes.
type Correlate struct {
	In         Node
	Arg        expr.Expr // over In's columns
	Left       bool
	Ordinality bool
	cols       []Col
}

func (n *Correlate) Cols() []Col    { return n.cols }
func (n *Correlate) Updating() bool { return n.In.Updating() }
func (n *Correlate) Inputs() []Node { return []Node{n.In} }

// unnestSide is the unnested columns of a Correlate as the right side of a
// join, for filter push-down (pushdown.go), which moves nothing into it.
func unnestSide(n *Correlate) Node {
	return &Values{cols: n.cols[len(n.In.Cols()):]}
}

func (n *Correlate) explain() string {
	inv := "UNNEST(" + n.Arg.String() + ")"
	if n.Ordinality {
		inv += " WITH ORDINALITY"
	}
	var names []string
	for _, c := range n.cols {
		names = append(names, c.Name)
	}
	kind := "INNER"
	if n.Left {
		kind = "LEFT"
	}
	return fmt.Sprintf("Correlate(invocation=[%s], select=[%s], joinType=[%s]", inv, strings.Join(names, ", "), kind)
}

// unnestCols are the columns of UNNEST of a collection of type t: their
// default names (Flink's: f0 or EXPR$0, a ROW element's fields, a MAP's f0
// and f1, then ORDINALITY) and types (made nullable for a LEFT correlate), or an
// error naming what UNNEST takes.
func unnestCols(at parser.Node, arg expr.Expr, ordinality, left bool) ([]Col, error) {
	t := arg.Type()
	var cols []Col
	switch t.Root() {
	case table.RootArray:
		et := t.Elem()
		if et.Root() == table.RootRow {
			for _, f := range et.Fields() {
				ft := f.Type
				if et.Nullable() {
					ft = ft.AsNullable() // a NULL element: NULL fields
				}
				cols = append(cols, Col{Name: f.Name, Type: ft})
			}
		} else {
			// Flink's names: an atomic table function result is f0, and
			// wrapped WITH ORDINALITY EXPR$0 (UnnestRowsFunctionBase).
			name := "f0"
			if ordinality {
				name = "EXPR$0"
			}
			cols = append(cols, Col{Name: name, Type: et})
		}
	case table.RootMap:
		cols = append(cols, Col{Name: "f0", Type: t.Elem()}, Col{Name: "f1", Type: t.ValueType()})
	default:
		return nil, errAt(at, "UNNEST takes an ARRAY or a MAP, %s is %s: unnest a collection column (a JSON array is read into an ARRAY<...> column) or one built with ARRAY[...]", arg, t)
	}
	if ordinality {
		cols = append(cols, Col{Name: "ORDINALITY", Type: table.IntType().NotNull()})
	}
	for i := range cols {
		cols[i].Type = cols[i].Type.WithTimeAttr(table.NoTimeAttr)
		if left {
			cols[i].Type = cols[i].Type.AsNullable()
		}
	}
	return cols, nil
}

// unnestOf is the UNNEST of a FROM item (through parentheses), nil for
// other items.
func unnestOf(t parser.TableExpr) *parser.Unnest {
	for {
		pt, ok := t.(*parser.ParenTable)
		if !ok {
			break
		}
		t = pt.Table
	}
	u, _ := t.(*parser.Unnest)
	return u
}

// correlate plans UNNEST u over in (scope s, whose columns u's argument
// reads): the Correlate and the scope of its output (s's columns and the
// unnested ones, qualified by u's alias).
func (p *Planner) correlate(in Node, s *scope, u *parser.Unnest, left bool) (Node, *scope, error) {
	if len(u.Args) != 1 {
		return nil, nil, errAt(u, "UNNEST of %d collections is not supported yet: unnest one per UNNEST (note that CROSS JOIN UNNEST(a) CROSS JOIN UNNEST(b) pairs every element of a with every element of b)", len(u.Args))
	}
	if p.b.hasAgg(u.Args[0]) {
		return nil, nil, errAt(u.Args[0], "aggregate functions are not allowed in UNNEST: aggregate in a subquery and unnest its result")
	}
	arg, err := p.b.bind(u.Args[0], s)
	if err != nil {
		return nil, nil, err
	}
	cols, err := unnestCols(u.Args[0], arg, u.WithOrdinality, left)
	if err != nil {
		return nil, nil, err
	}
	qual := ""
	if u.Alias != nil {
		qual = u.Alias.Name.Name
		if names := u.Alias.Columns; len(names) > 0 {
			if len(names) != len(cols) {
				var have []string
				for _, c := range cols {
					have = append(have, c.Name+" "+c.Type.String())
				}
				what := "UNNEST(" + u.Args[0].String() + ")"
				if u.WithOrdinality {
					what += " WITH ORDINALITY"
				}
				return nil, nil, errAt(u.Alias, "%s for the %s of %s (%s): give one name per column", plural(len(names), "column name"), plural(len(cols), "column"), what, strings.Join(have, ", "))
			}
			for i, id := range names {
				cols[i].Name = id.Name
			}
		}
	}
	n := &Correlate{In: in, Arg: arg, Left: left, Ordinality: u.WithOrdinality}
	n.cols = append(append(n.cols, in.Cols()...), cols...)
	out := &scope{cols: append([]scopeCol(nil), s.cols...)}
	for _, c := range cols {
		out.cols = append(out.cols, scopeCol{qual: qual, name: c.Name, t: c.Type})
	}
	return n, out, nil
}

// bindUnnestJoin plans left CROSS JOIN UNNEST(...) (also the comma form,
// INNER JOIN ... ON cond and LEFT JOIN ... ON TRUE): a Correlate over the
// left input. The conjuncts of an inner join's ON and of where are
// returned as the filter after it.
func (p *Planner) bindUnnestJoin(j *parser.Join, u *parser.Unnest, where parser.Expr) (Node, *scope, []parser.Expr, error) {
	kind := j.Kind
	switch {
	case kind == "RIGHT" || kind == "FULL":
		return nil, nil, nil, errAt(j, "%s JOIN UNNEST(...) is not supported (as in Flink): use CROSS JOIN UNNEST, or LEFT JOIN UNNEST(...) ON TRUE to keep the rows with an empty collection", kind)
	case j.Natural || len(j.Using) > 0:
		return nil, nil, nil, errAt(j, "NATURAL and USING joins with UNNEST are not supported: write CROSS JOIN UNNEST(...) AS t(...) and a WHERE")
	}
	l, ls, err := p.joinInput(j.Left)
	if err != nil {
		return nil, nil, nil, err
	}
	left := kind == "LEFT"
	var rest []parser.Expr
	if j.On != nil && !isTrueLit(j.On) {
		if left {
			return nil, nil, nil, errAt(j.On, "LEFT JOIN UNNEST(...) takes ON TRUE (as in Flink): filter the elements in WHERE (which drops the rows without a match) or in a subquery over UNNEST")
		}
		rest = conjuncts(j.On, nil)
	}
	n, s, err := p.correlate(l, ls, u, left)
	if err != nil {
		return nil, nil, nil, err
	}
	return n, s, conjuncts(where, rest), nil
}

func isTrueLit(e parser.Expr) bool {
	l, ok := e.(*parser.Literal)
	return ok && l.Kind == parser.LitBool && l.Value == "TRUE"
}

// bindUnnest plans UNNEST(...) alone in FROM (its argument reads no
// column): a Correlate over one row, without that row's column.
func (p *Planner) bindUnnest(u *parser.Unnest) (Node, *scope, error) {
	one, os := oneRow()
	if len(u.Args) == 1 {
		var col *parser.ColumnRef
		p.b.walk(u.Args[0], func(y parser.Expr) {
			if c, ok := y.(*parser.ColumnRef); ok && col == nil {
				if _, err := os.resolve(c); err != nil {
					col = c
				}
			}
		})
		if col != nil {
			return nil, nil, errAt(col, "UNNEST alone in FROM reads no table, so `%s` is unknown here (UNNEST in a subquery cannot read the outer query's columns yet): join the table to the UNNEST of its column, FROM t CROSS JOIN UNNEST(t.arr) AS u(x)", col)
		}
	}
	c, cs, err := p.correlate(one, os, u, false)
	if err != nil {
		return nil, nil, err
	}
	calc := &Calc{In: c}
	s := &scope{}
	for i, col := range c.Cols()[1:] {
		calc.Exprs = append(calc.Exprs, expr.ColumnRef(i+1, col.Name, col.Type))
		calc.cols = append(calc.cols, col)
		s.cols = append(s.cols, cs.cols[i+1])
	}
	return calc, s, nil
}

func (n *Correlate) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	in, err := tr.build(n.In)
	if err != nil {
		return zero, err
	}
	prog, err := expr.Compile(n.Arg, tr.copts...)
	if err != nil {
		return zero, err
	}
	width := len(n.cols) - len(n.In.Cols()) // the unnested columns
	isMap := n.Arg.Type().Root() == table.RootMap
	rowElems := !isMap && n.Arg.Type().Elem().Root() == table.RootRow
	ord := n.Ordinality
	left := n.Left
	// emit sends r with the element's values vals (fewer: NULLs; the
	// fields of a NULL ROW element, LEFT's padding) and, WITH ORDINALITY,
	// its position pos (0: NULL).
	emit := func(r table.Row, out stream.Emitter[table.Row], pos int, vals ...table.Value) {
		f := make([]table.Value, len(r.Fields)+width)
		copy(f, r.Fields)
		copy(f[len(r.Fields):], vals)
		for i := len(r.Fields) + len(vals); i < len(f); i++ {
			f[i] = table.Null
		}
		if ord && pos > 0 {
			f[len(f)-1] = table.Int(int64(pos))
		}
		out.Emit(table.Row{Kind: r.Kind, Fields: f})
	}
	return stream.Process(in, func(ctx *stream.Context, r table.Row, out stream.Emitter[table.Row]) error {
		v, err := prog(&r)
		if err != nil {
			return err
		}
		n := 0
		if isMap {
			keys, vals := v.MapEntries()
			for i := range keys {
				emit(r, out, i+1, keys[i], vals[i])
			}
			n = len(keys)
		} else {
			es := v.Elems()
			for i, e := range es {
				if rowElems {
					emit(r, out, i+1, e.Elems()...) // none for a NULL element
				} else {
					emit(r, out, i+1, e)
				}
			}
			n = len(es)
		}
		if n == 0 && left {
			emit(r, out, 0)
		}
		return nil
	}).Name("correlate").UID(tr.uid("correlate")), nil
}

// pruneCorrelate narrows the input of c when the fused Calc f over it and
// c's collection read only some of the input's columns (physical
// translation only, as pruneJoin; Calcite's ProjectCorrelateTransposeRule):
// c's input becomes a Calc of those columns, which over a scan reads only
// them (projection push-down), and every expanded row copies fewer fields.
func (tr *translator) pruneCorrelate(f *fusedCalc, c *Correlate) {
	if tr.shared(c) {
		return
	}
	uses, ok := calcColumnUses(append(append([]expr.Expr(nil), f.filters...), f.exprs...))
	if !ok {
		return
	}
	argUses, ok := calcColumnUses([]expr.Expr{c.Arg})
	if !ok {
		return
	}
	in := c.In.Cols()
	nin := len(in)
	need := make([]bool, nin)
	for i := range uses {
		if i < 0 || i >= len(c.cols) {
			return
		}
		if i < nin {
			need[i] = true
		}
	}
	for i := range argUses {
		if i < 0 || i >= nin {
			return
		}
		need[i] = true
	}
	remap := make([]int, len(c.cols)) // old column -> new
	narrow := &Calc{In: c.In}
	for i, col := range in {
		remap[i] = -1
		if need[i] {
			remap[i] = len(narrow.Exprs)
			narrow.Exprs = append(narrow.Exprs, expr.ColumnRef(i, col.Name, col.Type))
			narrow.cols = append(narrow.cols, col)
		}
	}
	if len(narrow.Exprs) == nin {
		return // every column is read
	}
	for i := nin; i < len(c.cols); i++ {
		remap[i] = len(narrow.Exprs) + i - nin
	}
	rewrite := func(e expr.Expr) (expr.Expr, bool) {
		return calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
			if col, ok := x.(*expr.Column); ok {
				return expr.ColumnRef(remap[col.Index], col.Name, col.T), true
			}
			return nil, false
		})
	}
	arg, ok := rewrite(c.Arg)
	if !ok {
		return
	}
	filters := make([]expr.Expr, len(f.filters))
	exprs := make([]expr.Expr, len(f.exprs))
	for i, e := range f.filters {
		if filters[i], ok = rewrite(e); !ok {
			return
		}
	}
	for i, e := range f.exprs {
		if exprs[i], ok = rewrite(e); !ok {
			return
		}
	}
	nc := &Correlate{In: narrow, Arg: arg, Left: c.Left, Ordinality: c.Ordinality}
	nc.cols = append(append(nc.cols, narrow.cols...), c.cols[nin:]...)
	f.in, f.filters, f.exprs = nc, filters, exprs
}
