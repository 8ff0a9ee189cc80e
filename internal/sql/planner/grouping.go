package planner

import (
	"fmt"
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Grouping sets (GROUPING SETS, ROLLUP, CUBE) are planned as Flink does:
// an Expand below the aggregation emits each input row once per grouping
// set, with copies of the group keys where the keys not in the set are
// NULL, and the set's number as one more key ($e), so that the rows of
// different sets (also equal sets) are different groups. GROUPING(k...)
// and GROUPING_ID(k...) are read from $e.

// maxGroupingSets bounds the sets of a GROUP BY (CUBE of 12 keys).
const maxGroupingSets = 4096

// groupingSets expands the GROUP BY items: the plain items (in every
// set), and, when a GROUPING SETS, ROLLUP or CUBE is among them, the
// grouping sets as lists of expressions (nil sets otherwise).
func groupingSets(items []parser.Expr) (plain []parser.Expr, sets [][]parser.Expr, err error) {
	sets = [][]parser.Expr{nil}
	found := false
	for _, g := range items {
		gs, ok := g.(*parser.GroupingSet)
		if !ok {
			plain = append(plain, elems(g)...) // GROUP BY (a, b) is GROUP BY a, b, not a ROW
			continue
		}
		found = true
		sub, err := expandSet(gs)
		if err != nil {
			return nil, nil, err
		}
		var next [][]parser.Expr
		for _, a := range sets {
			for _, b := range sub {
				next = append(next, append(append([]parser.Expr(nil), a...), b...))
				if len(next) > maxGroupingSets {
					return nil, nil, errAt(g, "more than %d grouping sets", maxGroupingSets)
				}
			}
		}
		sets = next
	}
	if !found {
		return plain, nil, nil
	}
	return plain, sets, nil
}

// elems is a grouping element: (a, b), () or an expression.
func elems(e parser.Expr) []parser.Expr {
	if r, ok := e.(*parser.Row); ok && !r.Explicit {
		return r.Elems
	}
	return []parser.Expr{e}
}

func expandSet(gs *parser.GroupingSet) ([][]parser.Expr, error) {
	switch gs.Kind {
	case "ROLLUP", "CUBE":
		var parts [][]parser.Expr
		for _, it := range gs.Items {
			if _, ok := it.(*parser.GroupingSet); ok {
				return nil, errAt(it, "%s takes expressions or parenthesised lists of them, not a nested grouping set", gs.Kind)
			}
			parts = append(parts, elems(it))
		}
		var out [][]parser.Expr
		if gs.Kind == "ROLLUP" {
			for n := len(parts); n >= 0; n-- {
				var s []parser.Expr
				for _, p := range parts[:n] {
					s = append(s, p...)
				}
				out = append(out, s)
			}
			return out, nil
		}
		if len(parts) > 12 {
			return nil, errAt(gs, "CUBE of more than 12 elements (%d grouping sets)", 1<<len(parts))
		}
		// From all elements to none, as Calcite lists them.
		for m := (1 << len(parts)) - 1; m >= 0; m-- {
			var s []parser.Expr
			for i, p := range parts {
				if m&(1<<(len(parts)-1-i)) != 0 {
					s = append(s, p...)
				}
			}
			out = append(out, s)
		}
		return out, nil
	}
	var out [][]parser.Expr
	for _, it := range gs.Items {
		if sub, ok := it.(*parser.GroupingSet); ok {
			ss, err := expandSet(sub)
			if err != nil {
				return nil, err
			}
			out = append(out, ss...)
			continue
		}
		out = append(out, elems(it))
	}
	return out, nil
}

// groupingCtx is the grouping sets of an aggregation.
type groupingCtx struct {
	sets  [][]bool // per set, per key slot: in the set
	eSlot int      // the output slot of $e
}

// bindGrouping binds GROUPING(k, ...) / GROUPING_ID(k, ...): for each set
// the bits of the arguments (1: not in the set, the first argument the
// highest bit), a CASE over $e when they differ between sets.
func (b *binder) bindGrouping(f *parser.FuncCall, a *aggCtx) (expr.Expr, error) {
	name := strings.ToUpper(f.Name.Parts[0].Name)
	if len(f.Args) == 0 || f.Distinct || f.Filter != nil || f.Over != nil {
		return nil, errAt(f, "%s takes one or more GROUP BY expressions", name)
	}
	if len(f.Args) > 63 {
		return nil, errAt(f, "%s of more than 63 arguments", name)
	}
	var slots []int
	for _, arg := range f.Args {
		slot, ok := a.keyText[arg.String()]
		if !ok {
			if c, isCol := arg.(*parser.ColumnRef); isCol {
				if i, err := a.in.resolve(c); err == nil {
					slot, ok = a.keyCol[i]
				}
			}
		}
		if !ok || slot >= a.aggBase {
			return nil, errAt(arg, "the arguments of %s must be GROUP BY expressions: `%s` is not one", name, arg)
		}
		slots = append(slots, slot)
	}
	g := a.grouping
	value := func(set []bool) int64 {
		var v int64
		for _, s := range slots {
			v <<= 1
			if set != nil && s < len(set) && !set[s] {
				v |= 1
			}
		}
		return v
	}
	if g == nil {
		return expr.BigIntLit(0), nil
	}
	vals := make([]int64, len(g.sets))
	same := true
	for i, set := range g.sets {
		vals[i] = value(set)
		same = same && vals[i] == vals[0]
	}
	if same {
		return expr.BigIntLit(vals[0]), nil
	}
	e := expr.ColumnRef(g.eSlot, a.outNames[g.eSlot], a.outTypes[g.eSlot])
	var whens []expr.When
	for i, v := range vals[:len(vals)-1] {
		c, err := b.reg.Call("=", e, expr.BigIntLit(int64(i)))
		if err != nil {
			return nil, err
		}
		whens = append(whens, expr.When{Cond: c, Then: expr.BigIntLit(v)})
	}
	return expr.NewCase(whens, expr.BigIntLit(vals[len(vals)-1]))
}

// Expand emits each input row once per grouping set: the input columns,
// then a copy of each key in Keys that is NULL where the set (Sets[i][k])
// does not have it, then the set's number ($e, BIGINT). The row kind is
// the input row's.
type Expand struct {
	In   Node
	Keys []int    // input columns copied
	Sets [][]bool // per set, per copied key: kept
	cols []Col
}

func (n *Expand) Cols() []Col    { return n.cols }
func (n *Expand) Updating() bool { return n.In.Updating() }
func (n *Expand) Inputs() []Node { return []Node{n.In} }

func (n *Expand) explain() string {
	var sets []string
	for _, set := range n.Sets {
		var ks []string
		for k, in := range set {
			if in {
				ks = append(ks, n.In.Cols()[n.Keys[k]].Name)
			}
		}
		sets = append(sets, "{"+strings.Join(ks, ", ")+"}")
	}
	return fmt.Sprintf("Expand(sets=[%s]", strings.Join(sets, ", "))
}

func (n *Expand) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	in, err := tr.build(n.In)
	if err != nil {
		return zero, err
	}
	keys, sets := n.Keys, n.Sets
	return stream.Process(in, func(_ *stream.Context, r table.Row, out stream.Emitter[table.Row]) error {
		for i, set := range sets {
			f := make([]table.Value, 0, len(r.Fields)+len(keys)+1)
			f = append(f, r.Fields...)
			for k, c := range keys {
				if set[k] {
					f = append(f, r.Fields[c])
				} else {
					f = append(f, table.Null)
				}
			}
			f = append(f, table.Int(int64(i)))
			out.Emit(table.Row{Kind: r.Kind, Fields: f})
		}
		return nil
	}).Name("expand").UID(tr.uid("expand")), nil
}
