package planner

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// This file is the physical translation of Calc chains (not visible in
// EXPLAIN, which prints the logical plan):
//
//   - fusion: a Calc over a Calc becomes one operator (the inner
//     projection substituted into the outer filter and projection) when no
//     inner expression but a column, a literal or a ROW field access would
//     be evaluated twice;
//   - simplification: a filter conjunct `col = literal` (integer or
//     boolean column) makes col that literal in the later conjuncts and
//     the projection, and constant subexpressions fold (a CASE whose
//     conditions are then constant keeps only the branch taken);
//   - projection push-down: a Calc directly over a Scan whose connector
//     implements connector.ProjectableTableSource reads only the columns
//     and ROW fields that the Calc and the scan's rowtime use, as flat
//     fields;
//   - the filter's conjuncts run in order (a row passes when each is
//     TRUE), column references are copied, not evaluated, and the output
//     row is written into the input row's fields when they are wide enough.
//
// Row ownership (what the in-place write relies on): a stream that
// translator.build returns has exactly one consumer unless it is shared
// (share.go), an operator never reads or writes a row after emitting it,
// and the engine passes a row to exactly one downstream operator (FORWARD
// chains and keyed/rebalanced edges; only BROADCAST, which SQL plans do
// not use, copies a record to several). So a Calc that receives a fresh
// row (freshRows: built by the operator below, or read from a projected
// scan, whose connector.ProjectableTableSource contract says so) from an
// unshared stream owns it, and its fields may be overwritten. Rows of an
// ordinary scan are not written: a source may hand out the same rows
// again (stream.SliceSource after a restart).

// fusedCalc is a chain of Calcs merged into one: filters are conjuncts
// evaluated in order.
type fusedCalc struct {
	in      Node
	filters []expr.Expr
	exprs   []expr.Expr
	passed  int // Calcs fused past the strict rule (fuseCalcMode)
}

// conjuncts splits an AND into its operands (recursively).
func calcConjuncts(e expr.Expr) []expr.Expr {
	if l, ok := e.(*expr.Logic); ok && !l.Or {
		var out []expr.Expr
		for _, a := range l.Args {
			out = append(out, calcConjuncts(a)...)
		}
		return out
	}
	return []expr.Expr{e}
}

// mapExpr rewrites e top-down: f returns a replacement (true) or asks to
// descend (false). ok is false when e holds an expression kind this file
// does not know (the caller then leaves the plan as it is).
func calcMapExpr(e expr.Expr, f func(expr.Expr) (expr.Expr, bool)) (out expr.Expr, ok bool) {
	if r, done := f(e); done {
		return r, true
	}
	all := func(es []expr.Expr) ([]expr.Expr, bool) {
		out := make([]expr.Expr, len(es))
		for i, x := range es {
			var ok bool
			if out[i], ok = calcMapExpr(x, f); !ok {
				return nil, false
			}
		}
		return out, true
	}
	switch x := e.(type) {
	case *expr.Column, *expr.Literal:
		return e, true
	case *expr.Call:
		c := *x
		c.Args, ok = all(x.Args)
		return &c, ok
	case *expr.Case:
		c := *x
		c.Whens = make([]expr.When, len(x.Whens))
		for i, w := range x.Whens {
			cs, ok := all([]expr.Expr{w.Cond, w.Then})
			if !ok {
				return nil, false
			}
			c.Whens[i] = expr.When{Cond: cs[0], Then: cs[1]}
		}
		c.Else, ok = calcMapExpr(x.Else, f)
		return &c, ok
	case *expr.Cast:
		c := *x
		c.X, ok = calcMapExpr(x.X, f)
		return &c, ok
	case *expr.IsNull:
		c := *x
		c.X, ok = calcMapExpr(x.X, f)
		return &c, ok
	case *expr.IsBool:
		c := *x
		c.X, ok = calcMapExpr(x.X, f)
		return &c, ok
	case *expr.Not:
		c := *x
		c.X, ok = calcMapExpr(x.X, f)
		return &c, ok
	case *expr.In:
		c := *x
		if c.X, ok = calcMapExpr(x.X, f); !ok {
			return nil, false
		}
		c.List, ok = all(x.List)
		return &c, ok
	case *expr.Between:
		c := *x
		cs, ok := all([]expr.Expr{x.X, x.Lo, x.Hi})
		if !ok {
			return nil, false
		}
		c.X, c.Lo, c.Hi = cs[0], cs[1], cs[2]
		return &c, true
	case *expr.IsDistinct:
		c := *x
		cs, ok := all([]expr.Expr{x.X, x.Y})
		if !ok {
			return nil, false
		}
		c.X, c.Y = cs[0], cs[1]
		return &c, true
	case *expr.Like:
		c := *x
		cs, ok := all([]expr.Expr{x.X, x.Pattern})
		if !ok {
			return nil, false
		}
		c.X, c.Pattern = cs[0], cs[1]
		return &c, true
	case *expr.Logic:
		c := *x
		c.Args, ok = all(x.Args)
		return &c, ok
	case *expr.Coalesce:
		c := *x
		c.Args, ok = all(x.Args)
		return &c, ok
	}
	return nil, false
}

// columnUses counts the references to each column in es; ok is false for
// an unknown expression kind.
func calcColumnUses(es []expr.Expr) (map[int]int, bool) {
	uses := map[int]int{}
	for _, e := range es {
		if _, ok := calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
			if c, ok := x.(*expr.Column); ok {
				uses[c.Index]++
				return x, true
			}
			return nil, false
		}); !ok {
			return nil, false
		}
	}
	return uses, true
}

// calcDirectOrder returns an order of the evaluated outputs (positions
// computed of exprs) in which an in-place Calc may write each value into
// the input row as soon as it is evaluated: every output's field is read
// by no output evaluated after it and is no column output's source (src).
// Only when every evaluated expression is error-free (expr.ErrorFree):
// the order is then not observable (a row that fails in two outputs would
// otherwise report the other's error). Nil when there is no such order
// (the values are then staged and placed after all are evaluated).
// Nexmark q22: SPLIT_INDEX(url, '/', 3..5) into the fields of url and the
// two after it, the one into url's field written last.
func calcDirectOrder(exprs []expr.Expr, computed, src []int) []int {
	if len(computed) == 0 {
		return nil
	}
	isSrc := map[int]bool{}
	for _, k := range src {
		if k >= 0 {
			isSrc[k] = true
		}
	}
	reads := make([]map[int]int, len(computed))
	for j, i := range computed {
		if isSrc[i] || !expr.ErrorFree(exprs[i]) {
			return nil
		}
		u, ok := calcColumnUses([]expr.Expr{exprs[i]})
		if !ok {
			return nil
		}
		reads[j] = u
	}
	done := make([]bool, len(computed))
	order := make([]int, 0, len(computed))
	for len(order) < len(computed) {
		next := -1
		for a := range computed {
			if done[a] {
				continue
			}
			free := true
			for b := range computed {
				if b != a && !done[b] && reads[b][computed[a]] > 0 {
					free = false
					break
				}
			}
			if free {
				next = a
				break
			}
		}
		if next < 0 {
			return nil // a cycle: each field read by another output
		}
		done[next] = true
		order = append(order, computed[next])
	}
	return order
}

// cheap reports whether e may be evaluated more than once per row at no
// real cost: a column, a literal or a ROW field access of one.
func calcCheap(e expr.Expr) bool {
	switch x := e.(type) {
	case *expr.Column, *expr.Literal:
		return true
	case *expr.Call:
		return x.Name == fieldFunc && len(x.Args) == 2 && calcCheap(x.Args[0])
	}
	return false
}

// fuseCalc merges x with the Calcs below it, up to a Calc for which stop
// is true. It is fuseCalcMode(x, stop, x.rankExprs == nil): a ranking
// pre-projection's chain fuses as main's build did (rankPlanOps counts its
// operators).
func fuseCalc(x *Calc, stop func(Node) bool) fusedCalc {
	f := fuseCalcMode(x, stop, x.rankExprs == nil)
	if f.passed == 0 {
		return f
	}
	// Only chains of plain Calcs fuse past the strict rule: calc gives
	// the fused operator the number of each operator main's build made of
	// them (calcStrictOps), which is simple only when none of them takes
	// a UID of another namespace.
	for n := Node(x); n != f.in; n = n.(*Calc).In {
		c := n.(*Calc)
		if c.pushed || c.implicit || c.unionCast {
			return fuseCalcMode(x, stop, false)
		}
	}
	// Only over a scan: below a join or a correlate, the columns the
	// fused Calc reads decide how their inputs are narrowed (pruneJoin,
	// pruneCorrelate), which would change the join's state rows and add
	// narrowing Calcs that renumber later operators (review of branch
	// calcfuse: TestFusedCalcOverJoinKeepsUIDs).
	if _, ok := f.in.(*Scan); !ok {
		return fuseCalcMode(x, stop, false)
	}
	return f
}

// fuseCalcMode merges x with the Calcs below it, up to a Calc for which
// stop is true, or whose expression the chain above would evaluate more
// than once per row (an expression that is not calcCheap read twice).
// relaxed: an inner expression read more than once still fuses when at
// each of those reads it folds into a cheap one under the `col = literal`
// conjuncts of the fused filter evaluated before that read (the nexmark
// table's computed dateTime, a CASE over event_type, is bid.dateTime
// after the bid view's `event_type = 2`: Nexmark q10 and q14), and the
// inner Calc is a plain one (no UID bookkeeping of its own: not pushed,
// implicit, a union cast, moved or a ranking pre-projection). f.passed
// counts the Calcs so passed, where the strict rule stops (main's build
// made an operator of each; calc keeps their UID numbers).
func fuseCalcMode(x *Calc, stop func(Node) bool, relaxed bool) fusedCalc {
	f := fusedCalc{in: x.In, exprs: x.Exprs}
	if x.Filter != nil {
		f.filters = calcConjuncts(x.Filter)
	}
	for {
		inner, ok := f.in.(*Calc)
		if !ok || stop(inner) {
			return f
		}
		uses, ok := calcColumnUses(append(append([]expr.Expr(nil), f.filters...), f.exprs...))
		if !ok {
			return f
		}
		strict := true
		for i, n := range uses {
			if i < 0 || i >= len(inner.Exprs) {
				return f
			}
			if n > 1 && !calcCheap(inner.Exprs[i]) {
				strict = false
			}
		}
		if !strict && (!relaxed || inner.pushed || inner.implicit || inner.unionCast || inner.movedUID || inner.rankExprs != nil) {
			return f
		}
		// known: the `col = literal` facts (over inner's input) of the
		// conjuncts before the one being substituted.
		known := map[int]*expr.Literal{}
		folded := func(e expr.Expr) (expr.Expr, bool) {
			if len(known) == 0 {
				return e, calcCheap(e)
			}
			s, ok := calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
				if c, ok := x.(*expr.Column); ok {
					if l := known[c.Index]; l != nil {
						return l, true
					}
					return x, true
				}
				return nil, false
			})
			if !ok {
				return e, false
			}
			s = calcFoldCheap(s)
			return s, calcCheap(s)
		}
		subst := func(e expr.Expr) (expr.Expr, bool) {
			refused := false
			s, ok := calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
				if c, ok := x.(*expr.Column); ok {
					r := inner.Exprs[c.Index]
					if uses[c.Index] > 1 && !calcCheap(r) {
						fr, cheap := folded(r)
						if !cheap {
							refused = true
						}
						r = fr
					}
					return r, true
				}
				return nil, false
			})
			return s, ok && !refused
		}
		var g fusedCalc
		g.in = inner.In
		g.passed = f.passed
		if !strict {
			g.passed++
		}
		if inner.Filter != nil {
			g.filters = calcConjuncts(inner.Filter)
		}
		learn := func(c expr.Expr) {
			if strict {
				return
			}
			if i, l, ok := calcColEqLit(c); ok {
				if _, seen := known[i]; !seen {
					known[i] = l
				}
			}
		}
		for _, c := range g.filters {
			learn(c)
		}
		ok = true
		for _, c := range f.filters {
			s, k := subst(c)
			ok = ok && k
			if !ok {
				break
			}
			g.filters = append(g.filters, s)
			learn(s)
		}
		for _, e := range f.exprs {
			if !ok {
				break
			}
			s, k := subst(e)
			ok = ok && k
			g.exprs = append(g.exprs, s)
		}
		if !ok {
			return f
		}
		f = g
	}
}

// calcFoldCheap folds a CASE whose conditions are `literal = literal` of
// integers or booleans (a `col = literal` fact substituted into it) to the
// branch taken, as calcFold would; anything else is returned as it is. It
// needs no compile options (fuseCalcMode has none): nothing is evaluated
// but those comparisons.
func calcFoldCheap(e expr.Expr) expr.Expr {
	c, ok := e.(*expr.Case)
	if !ok {
		return e
	}
	for _, w := range c.Whens {
		eq, ok := w.Cond.(*expr.Call)
		if !ok || eq.Name != "=" || len(eq.Args) != 2 {
			return e
		}
		a, ok1 := eq.Args[0].(*expr.Literal)
		b, ok2 := eq.Args[1].(*expr.Literal)
		if !ok1 || !ok2 || a.V.IsNull() || b.V.IsNull() {
			return e
		}
		ka, kb := table.KindOf(a.T), table.KindOf(b.T)
		if ka != kb || (ka != table.KindInt && ka != table.KindBool) {
			return e
		}
		if ka == table.KindInt && a.V.AsInt() == b.V.AsInt() || ka == table.KindBool && a.V.AsBool() == b.V.AsBool() {
			return w.Then // always taken
		}
	}
	return c.Else // no branch taken
}

// volatile reports whether e calls a volatile function (never folded).
func calcVolatile(e expr.Expr) bool {
	v := false
	if _, ok := calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
		if c, ok := x.(*expr.Call); ok && c.Overload != nil && c.Overload.Volatile {
			v = true
		}
		return nil, false
	}); !ok {
		return true
	}
	return v
}

// calcFold evaluates the constant subexpressions of e and drops the branches
// of a CASE whose condition is a constant that is not TRUE.
func calcFold(e expr.Expr, opts []expr.Option) expr.Expr {
	out, ok := calcFoldRec(e, opts)
	if !ok {
		return e
	}
	return out
}

func calcFoldRec(e expr.Expr, opts []expr.Option) (expr.Expr, bool) {
	// Children first.
	first := true
	r, ok := calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
		if first {
			first = false
			return nil, false
		}
		y, ok := calcFoldRec(x, opts)
		if !ok {
			return x, true
		}
		return y, true
	})
	if !ok {
		return e, false
	}
	if c, isCase := r.(*expr.Case); isCase {
		var whens []expr.When
		for _, w := range c.Whens {
			if l, ok := w.Cond.(*expr.Literal); ok {
				if l.V.IsNull() || !l.V.AsBool() {
					continue // never taken
				}
				if len(whens) == 0 {
					return w.Then, true // always taken
				}
				c2 := *c
				c2.Whens, c2.Else = whens, w.Then
				return &c2, true
			}
			whens = append(whens, w)
		}
		if len(whens) == 0 {
			return c.Else, true
		}
		c2 := *c
		c2.Whens = whens
		r = &c2
	}
	switch r.(type) {
	case *expr.Column, *expr.Literal:
		return r, true
	}
	constant := true
	if _, ok := calcMapExpr(r, func(x expr.Expr) (expr.Expr, bool) {
		if _, ok := x.(*expr.Column); ok {
			constant = false
		}
		return nil, false
	}); !ok || !constant || calcVolatile(r) {
		return r, true
	}
	p, err := expr.Compile(r, opts...)
	if err != nil {
		return r, true
	}
	v, err := p(&table.Row{})
	if err != nil {
		return r, true // raised per row, where it is reached
	}
	return expr.Lit(v, r.Type()), true
}

// colEqLit matches `col = literal` (either order) over an integer or
// boolean column and a non-NULL literal of its type.
func calcColEqLit(e expr.Expr) (int, *expr.Literal, bool) {
	c, ok := e.(*expr.Call)
	if !ok || c.Name != "=" || len(c.Args) != 2 {
		return 0, nil, false
	}
	col, ok1 := c.Args[0].(*expr.Column)
	lit, ok2 := c.Args[1].(*expr.Literal)
	if !ok1 || !ok2 {
		col, ok1 = c.Args[1].(*expr.Column)
		lit, ok2 = c.Args[0].(*expr.Literal)
	}
	if !ok1 || !ok2 || lit.V.IsNull() || !lit.T.EqualIgnoringNull(col.T) {
		return 0, nil, false
	}
	if k := table.KindOf(col.T); k != table.KindInt && k != table.KindBool {
		return 0, nil, false
	}
	return col.Index, expr.Lit(lit.V, col.T.NotNull()), true
}

// simplify folds constants and propagates `col = literal` conjuncts into
// what is evaluated after them (only for rows where they hold).
func (f *fusedCalc) simplify(opts []expr.Option) {
	known := map[int]*expr.Literal{}
	subst := func(e expr.Expr) expr.Expr {
		if len(known) > 0 {
			if s, ok := calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
				if c, ok := x.(*expr.Column); ok {
					if l := known[c.Index]; l != nil {
						return l, true
					}
					return x, true
				}
				return nil, false
			}); ok {
				e = s
			}
		}
		return calcFold(e, opts)
	}
	var filters []expr.Expr
	for _, c := range f.filters {
		c = subst(c)
		if l, ok := c.(*expr.Literal); ok && !l.V.IsNull() && l.V.AsBool() {
			continue // always TRUE
		}
		filters = append(filters, c)
		if i, l, ok := calcColEqLit(c); ok {
			known[i] = l
		}
	}
	f.filters = filters
	for i, e := range f.exprs {
		f.exprs[i] = subst(e)
	}
}

// fieldPath returns the column and ROW field path that e reads, when e is
// a column or a chain of field accesses over one.
func calcFieldPath(e expr.Expr) ([]int, bool) {
	switch x := e.(type) {
	case *expr.Column:
		return []int{x.Index}, true
	case *expr.Call:
		if x.Name != fieldFunc || len(x.Args) != 2 {
			return nil, false
		}
		p, ok := calcFieldPath(x.Args[0])
		name, isLit := x.Args[1].(*expr.Literal)
		if !ok || !isLit || name.V.IsNull() {
			return nil, false
		}
		idx := -1
		for i, fl := range x.Args[0].Type().Fields() {
			if fl.Name == name.V.AsString() {
				idx = i // the last match, as $FIELD's evaluator
			}
		}
		if idx < 0 {
			return nil, false
		}
		return append(p, idx), true
	}
	return nil, false
}

// projection collects the paths es read and rewrites es over them.
type projection struct {
	paths [][]int
	index map[string]int
}

func calcPathKey(p []int) string {
	var b strings.Builder
	for _, i := range p {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('.')
	}
	return b.String()
}

func (pr *projection) rewrite(e expr.Expr) (expr.Expr, bool) {
	return calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
		p, ok := calcFieldPath(x)
		if !ok {
			return nil, false
		}
		k := calcPathKey(p)
		i, seen := pr.index[k]
		if !seen {
			i = len(pr.paths)
			pr.index[k] = i
			pr.paths = append(pr.paths, p)
		}
		return expr.ColumnRef(i, x.String(), x.Type()), true
	})
}

// pushDown rewrites f over a projected scan of sc when its connector can
// project; ok is false otherwise (f unchanged).
func (tr *translator) pushDown(sc *Scan, f *fusedCalc) (stream.Stream[table.Row], bool, error) {
	var zero stream.Stream[table.Row]
	pf, can := tr.p.Factories[sc.Table.Connector].(connector.ProjectableTableSource)
	if !can || sc.Changelog {
		return zero, false, nil
	}
	// The projection's paths first, so that a projected column is usually
	// at its output position (the in-place output copies nothing).
	pr := &projection{index: map[string]int{}}
	var filters, exprs []expr.Expr
	for _, e := range f.exprs {
		r, ok := pr.rewrite(e)
		if !ok {
			return zero, false, nil
		}
		exprs = append(exprs, r)
	}
	for _, c := range f.filters {
		r, ok := pr.rewrite(c)
		if !ok {
			return zero, false, nil
		}
		filters = append(filters, r)
	}
	var rowtime expr.Expr
	readerTime, err := tr.readerTime(sc)
	if err != nil {
		return zero, false, err
	}
	if sc.Rowtime != nil {
		var ok bool
		if rowtime, ok = pr.rewrite(sc.Rowtime); !ok {
			return zero, false, nil
		}
		rowtime = calcFold(rowtime, tr.copts)
	}
	if len(pr.paths) == len(sc.Cols()) {
		identity := true
		for i, p := range pr.paths {
			identity = identity && len(p) == 1 && p[0] == i
		}
		if identity {
			return zero, false, nil
		}
	}
	tc, err := tr.sourceContext(sc.Table)
	if err != nil {
		return zero, false, err
	}
	src, err := pf.ProjectedTableSource(tr.ctx, tc, pr.paths)
	if err != nil {
		return zero, false, connErr(sc.Table, err)
	}
	s, err := tr.scanStream(sc, src, rowtime, readerTime)
	if err != nil {
		return zero, false, err
	}
	f.filters, f.exprs = filters, exprs
	return s, true, nil
}

// readerTime reports whether sc's rowtime is the time that the readers of
// its connector's projected sources give each row
// (connector.ReaderTimeTableSource): then a projected scan takes the
// readers' timestamps and evaluates nothing per row for them (the Nexmark
// table's CASE over event_type picking the member's dateTime: a fifth of
// the CPU of a bid query's SQL scan and Calc). The rowtime is still
// evaluated for the rows of a reader that has no timestamps (a wrapped
// one: stream.WatermarkStrategy.ReaderTime), so its fields are projected.
func (tr *translator) readerTime(sc *Scan) (bool, error) {
	rf, ok := tr.p.Factories[sc.Table.Connector].(connector.ReaderTimeTableSource)
	if !ok || sc.Rowtime == nil || sc.Changelog {
		return false, nil
	}
	tc, err := tr.sourceContext(sc.Table)
	if err != nil {
		return false, err
	}
	rt, ok := rf.ReaderTime(tc)
	return ok && readerTimeIs(rt, sc.Rowtime), nil
}

// readerTimeIs reports whether e computes rt: CASE WHEN tag = Tags[0]
// THEN Paths[0] ... ELSE Else END, of a TIMESTAMP type, with the
// comparisons on an integer column against literals of its type.
func readerTimeIs(rt connector.ReaderTime, e expr.Expr) bool {
	cs, ok := e.(*expr.Case)
	if !ok || len(cs.Whens) != len(rt.Tags) || len(rt.Paths) != len(rt.Tags) || cs.Else == nil || table.KindOf(cs.Type()) != table.KindTimestamp {
		return false
	}
	samePath := func(x expr.Expr, p []int) bool {
		q, ok := calcFieldPath(x)
		return ok && len(q) > 1 && slices.Equal(q, p) && table.KindOf(x.Type()) == table.KindTimestamp
	}
	for i, w := range cs.Whens {
		col, lit, ok := calcColEqLit(w.Cond)
		if !ok || col != rt.Tag || !lit.T.IsInteger() || lit.V.AsInt() != rt.Tags[i] || !samePath(w.Then, rt.Paths[i]) {
			return false
		}
	}
	return samePath(cs.Else, rt.Else)
}

// scanStream is the source stream of sc reading src, with the event time
// from rowtime (over src's rows), or from src's Timestamped readers when
// readerTime (rowtime is its value: readerTime above).
func (tr *translator) scanStream(sc *Scan, src connector.Source[table.Row], rowtime expr.Expr, readerTime bool) (stream.Stream[table.Row], error) {
	var wm stream.WatermarkStrategy[table.Row]
	if c, ok := rowtime.(*expr.Column); ok {
		i := c.Index
		wm = stream.WatermarkStrategy[table.Row]{Enabled: true, OutOfOrderness: sc.OutOfOrderness,
			Timestamp: func(r table.Row) int64 {
				if v := r.Fields[i]; !v.IsNull() {
					ms, _ := v.AsTimestamp()
					return ms
				}
				return math.MinInt64
			}}
	} else if pick := expr.ColumnPicker(rowtime); pick != nil {
		wm = stream.WatermarkStrategy[table.Row]{Enabled: true, OutOfOrderness: sc.OutOfOrderness,
			Timestamp: func(r table.Row) int64 {
				if v := pick(r.Fields); !v.IsNull() {
					ms, _ := v.AsTimestamp()
					return ms
				}
				return math.MinInt64
			}}
	} else if rowtime != nil {
		prog, err := expr.Compile(rowtime, tr.copts...)
		if err != nil {
			return stream.Stream[table.Row]{}, err
		}
		wm = stream.WatermarkStrategy[table.Row]{Enabled: true, OutOfOrderness: sc.OutOfOrderness,
			Timestamp: func(r table.Row) int64 {
				v, err := prog(&r)
				if err != nil || v.IsNull() {
					return math.MinInt64
				}
				ms, _ := v.AsTimestamp()
				return ms
			}}
	}
	wm.ReaderTime = readerTime && wm.Timestamp != nil
	return tr.scanParallelism(sc.Table, stream.FromSource(tr.env, src, wm, "scan:"+sc.Table.Name).UID(tr.uid("scan-"+sc.Table.Name))), nil
}

// freshRows reports whether n's operator emits rows with fields of their
// own that it never reads or emits again: the aggregations, Top-N and the
// joins build every output row. The lookup join (lookupjoin.go) builds
// each output row in a new array or, when everything downstream is done
// with a row once Emit returns (stream.EmitterReleases), in one reused
// array that it overwrites whole (the probe's fields, then the matched
// side row's or NULLs) before each emit and never reads after it: the
// Calc may write into it either way (never into the side rows, copied
// into it). A scan's rows may be a source's (a slice
// source hands out the same rows again after a restart), a Calc or a Union
// forwards its input's, and node kinds not listed here are not assumed to.
func freshRows(n Node) bool {
	switch n.(type) {
	case *WindowAgg, *GroupAgg, *TopN, *IntervalJoin, *RegularJoin, *LookupJoin:
		return true
	}
	return false
}

// noOperator reports whether the Calcs from c down to in, fused and
// translated by themselves, would make no operator: no filter, and each
// output the input's column at its position, over anything but a shared
// scan (whose Calcs read a shared projected source: an operator each).
func (tr *translator) noOperator(c *Calc, in Node) bool {
	g := fuseCalc(c, tr.shared)
	if g.in != in || len(g.filters) > 0 || len(g.exprs) != len(in.Cols()) {
		return false
	}
	for i, e := range g.exprs {
		if col, ok := e.(*expr.Column); !ok || col.Index != i {
			return false
		}
	}
	if sc, ok := in.(*Scan); ok && tr.shared(sc) {
		return false
	}
	return true
}

// calc translates a Calc and the Calcs below it as one operator.
func (tr *translator) calc(x *Calc) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	f := fuseCalc(x, tr.shared)
	// UIDs (pushdown.go): an operator of Calcs that filter push-down
	// added only takes a UID of its own namespace, and one that push-down
	// emptied still takes its number, so the other operators keep theirs.
	// The same when the Calcs of the chain that push-down did not add
	// (below the pushed ones) would have made no operator on their own
	// (an identity projection or rename over an aggregation: `in` with
	// no UID).
	// The same for Calcs of implicit casts (sql-cast-<n>-calc, when the
	// chain has no pushed Calc), which plans of types that needed no cast
	// did not have (a FLOAT into a DOUBLE column, a TIMESTAMP(0) key
	// joined to a TIMESTAMP(3) one).
	allPushed, moved, anyPushed := true, false, false
	// keepOp: a UNION ALL input's Calc that main's build before branch
	// sqltypes made (a cast then, maybe a plain copy now: query.go's
	// union) is an operator with its number even when it is the identity.
	keepOp := false
	var own *Calc // the first Calc of the chain push-down did not add
	for n := Node(x); n != f.in; n = n.(*Calc).In {
		c := n.(*Calc)
		added := c.pushed || c.implicit
		allPushed = allPushed && added
		anyPushed = anyPushed || c.pushed
		moved = moved || c.movedUID
		keepOp = keepOp || (c.unionCast && !c.implicit)
		if !added && own == nil {
			own = c
		}
	}
	// extra: a trimmed ranking pre-projection (dedup.go) takes the
	// numbers of the Rank plan's Calc operators beyond its own one.
	extra := 0
	if x.rankExprs != nil {
		if m := tr.rankPlanOps(x, f.in); m > 0 {
			moved, extra = true, m-1
		}
	}
	if f.passed > 0 {
		// Fused past Calcs that main's build made operators of (a
		// computed column read twice, fuseCalcMode): this one takes the
		// last of their numbers, so later operators keep theirs (a
		// savepoint of the old plan restores: the Calcs are stateless).
		if m := tr.calcStrictOps(x, f.in); m > 0 {
			moved, extra = true, extra+m-1
		}
	}
	ownMoved := false
	if !allPushed && (x.pushed || x.implicit) && own != nil && tr.noOperator(own, f.in) {
		allPushed, ownMoved = true, moved
	}
	uid := func() string {
		if allPushed {
			if ownMoved {
				tr.n++ // the number of the operator own was (below)
			}
			if !anyPushed {
				tr.castN++
				return fmt.Sprintf("sql-cast-%d-calc", tr.castN)
			}
			tr.pushedN++
			return fmt.Sprintf("sql-pushed-%d-calc", tr.pushedN)
		}
		return tr.uid("calc")
	}
	f.simplify(tr.copts)
	var in stream.Stream[table.Row]
	built := false
	if j, ok := f.in.(*RegularJoin); ok {
		// The window-max join reads the filter over an inner join's
		// output: a condition that push-down moved into the join is one
		// of its filters again (the same pairs either way).
		if j.Kind == "INNER" && j.Cond != nil && !tr.shared(j) {
			g, jj := f, *j
			g.filters = append(calcConjuncts(j.Cond), f.filters...)
			jj.Cond = nil
			g.in = &jj
			if _, ok := tr.matchWindowMaxJoin(&g, &jj); ok {
				f, j = g, &jj
			}
		}
		_, wmj := tr.matchWindowMaxJoin(&f, j) // windowmaxjoin.go
		if wmj {
			// The window aggregation is not translated: the left
			// input's subtree is no longer shared with it.
			tr.unshare(j.R)
		}
		tr.pruneJoin(&f, j) // prune.go
		if nj, ok := f.in.(*RegularJoin); ok && wmj {
			// Over the pruned join (a Calc narrows the left input).
			if m, ok := tr.matchWindowMaxJoin(&f, nj); ok {
				var err error
				if in, err = tr.windowMaxJoin(m); err != nil {
					return zero, err
				}
				built = true
			}
		}
	}
	if c, ok := f.in.(*Correlate); ok {
		tr.pruneCorrelate(&f, c) // unnest.go
	}
	if j, ok := f.in.(*LookupJoin); ok {
		tr.pruneLookupJoin(&f, j) // prune.go
		if j, ok := f.in.(*LookupJoin); ok {
			tr.unreadProctime(&f, j) // lookupjoin.go
		}
	}
	pushed, sharedSrc := false, false
	var consumer *scanConsumer // of a shared source's pre-filter
	if sc, ok := f.in.(*Scan); ok && !built {
		var err error
		if consumer, err = tr.sharedPushDown(sc, &f); err != nil { // scanshare.go
			return zero, err
		}
		sharedSrc = consumer != nil
		pushed = sharedSrc
		if !pushed {
			if in, pushed, err = tr.pushDown(sc, &f); err != nil {
				return zero, err
			}
		}
	}
	if j, ok := f.in.(*WindowJoin); ok && j.Kind == "INNER" && !tr.shared(j) && !built {
		// The join drops the pairs the filter would (integer
		// comparisons of two columns: deterministic, no error on a
		// joined row) before it builds them; the filter stays here.
		var post []func(*table.Row) (bool, error)
		for _, c := range f.filters {
			if p := expr.ColumnsPredicate(c); p != nil {
				post = append(post, p)
			}
		}
		if len(post) > 0 {
			if tr.joinPost == nil {
				tr.joinPost = map[*WindowJoin][]func(*table.Row) (bool, error){}
			}
			tr.joinPost[j] = post
		}
	}
	// extend: the input is an unshared regular join's pairs, fresh
	// arrays the join allocates with room for this Calc's row (joinCap):
	// the output is written into them even when it is wider than the pair
	// or reads a column after writing it (through a staging buffer).
	// Only there: other operators' rows may be carved from blocks whose
	// memory past a row's length is another row's.
	extend := false
	if j, ok := f.in.(*RegularJoin); ok && !pushed && !built && tr.exclusive(j) {
		if tr.joinCap == nil {
			tr.joinCap = map[*RegularJoin]int{}
		}
		tr.joinCap[j] = len(f.exprs)
		extend = true
	}
	if !pushed && !built {
		var err error
		if in, err = tr.build(f.in); err != nil {
			return zero, err
		}
	}
	// The filters and projections share the work they have in common
	// (expr.Shared: a repeated call once per row, SPLIT_INDEX of one text
	// one scan); those programs hold the row's values, so each subtask
	// compiles its own (compile, in newFn).
	all := append(append([]expr.Expr(nil), f.filters...), f.exprs...)
	shared := expr.NewShared(all, tr.copts...).Needed()
	compile := func() (preds []func(*table.Row) (bool, error), progs []expr.Program, next func(), err error) {
		// The filters' conjuncts run in order; a run of them testing one
		// operand is one filter (expr.CompilePredicates).
		compileOne, compilePreds := func(e expr.Expr) (expr.Program, error) { return expr.Compile(e, tr.copts...) },
			func(es []expr.Expr) ([]func(*table.Row) (bool, error), error) {
				return expr.CompilePredicates(es, tr.copts...)
			}
		if shared {
			sh := expr.NewShared(all, tr.copts...)
			compileOne, compilePreds, next = sh.Compile, sh.CompilePredicates, sh.Next
		}
		if preds, err = compilePreds(f.filters); err != nil {
			return nil, nil, nil, err
		}
		progs = make([]expr.Program, len(f.exprs))
		for i, e := range f.exprs {
			if _, ok := e.(*expr.Column); ok {
				continue
			}
			if progs[i], err = compileOne(e); err != nil {
				return nil, nil, nil, err
			}
		}
		return preds, progs, next, nil
	}
	preds, progs, _, err := compile()
	if err != nil {
		return zero, err
	}
	n := len(f.exprs)
	// Column references are copied; the rest are evaluated.
	src := make([]int, n) // input field, or -1
	var computed []int    // output positions of evaluated expressions
	identity := !pushed && !keepOp && n == len(f.in.Cols())
	// In place: the input row is fresh (a projected scan's, or built by an
	// operator that makes new rows), this operator's alone (not a shared
	// stream's, share.go), and column i is never read after output i was
	// written.
	// A shared projected source's rows reach several Calcs: not written.
	// The pre-filter that runs the Calc of a shared source keeps no row of
	// the source and emits none (scanshare.go): neither may the Calc.
	inPlace := !sharedSrc && (pushed || (freshRows(f.in) && tr.exclusive(f.in)))
	for i, e := range f.exprs {
		if c, ok := e.(*expr.Column); ok {
			src[i] = c.Index
			identity = identity && c.Index == i
			inPlace = inPlace && c.Index >= i
			continue
		}
		identity = false
		src[i] = -1
		computed = append(computed, i)
	}
	if identity && len(preds) == 0 {
		if moved {
			tr.n++ // the number of the operator it was
		}
		tr.n += extra
		return in, nil
	}
	const maxTmp = 8
	inPlace = inPlace && len(computed) <= maxTmp
	// direct: the order in which the evaluated outputs are written
	// straight into the row in place, without staging (calcDirectOrder);
	// nil: staged.
	var direct []int
	if inPlace {
		direct = calcDirectOrder(f.exprs, computed, src)
	}
	// moves: the column references not at their output position, in
	// increasing output order (an in-place row copies only these).
	var moves [][2]int
	for i, k := range src {
		if k >= 0 && k != i {
			moves = append(moves, [2]int{i, k})
		}
	}
	// One function per subtask: the row the programs read (a pointer to
	// a parameter would be allocated per row) and the evaluated values
	// are reused.
	newFn := func() stream.ProcessFunc[table.Row, table.Row] {
		preds, progs := preds, progs
		var next func()
		if shared {
			ps, gs, nx, err := compile()
			if err != nil { // compiled without error above: not expected
				return func(*stream.Context, table.Row, stream.Emitter[table.Row]) error { return err }
			}
			preds, progs, next = ps, gs, nx
		}
		row := new(table.Row)
		tmp := make([]table.Value, len(computed))
		var stage []table.Value
		if extend {
			stage = make([]table.Value, n)
		}
		// own: the output row of the path that does not write in place,
		// reused from row to row once everything after this operator is
		// done with each row when Emit returns (stream.EmitterReleases:
		// a mini-batch aggregation that copies what it keeps, a sink
		// that keeps nothing); 0 not asked yet, -1 a fresh row each.
		var own []table.Value
		ownState := 0
		// pool: the arrays of the rows a Calc run by a shared scan's
		// pre-filter emits, given back by the receivers across the
		// channel when they are done with them (rowpool.go); nil: a
		// fresh array each. poolAsked: asked already.
		var pool *rowPool
		poolAsked := false
		return func(_ *stream.Context, r table.Row, out stream.Emitter[table.Row]) error {
			*row = r
			if next != nil {
				next()
			}
			for _, p := range preds {
				ok, err := p(row)
				if err != nil || !ok {
					return err
				}
			}
			if extend && (!inPlace || n > len(r.Fields)) && n <= cap(r.Fields) {
				// Staged: every output from the input as it is, then
				// written over the pair's array.
				for i, k := range src {
					if k >= 0 {
						stage[i] = r.Fields[k]
						continue
					}
					v, err := progs[i](row)
					if err != nil {
						return err
					}
					stage[i] = v
				}
				fs := r.Fields[:n]
				copy(fs, stage)
				clear(stage) // keeps nothing alive
				*row = table.Row{}
				out.Emit(table.Row{Kind: r.Kind, Fields: fs})
				return nil
			}
			if !inPlace || n > len(r.Fields) {
				if ownState == 0 {
					ownState = -1
					if stream.EmitterReleases(out) {
						ownState, own = 1, make([]table.Value, n)
					}
				}
				vs := own
				if ownState < 0 {
					if !poolAsked {
						poolAsked = true
						pool = sideRowPool(out, n)
					}
					if pool != nil {
						vs = pool.get()
					} else {
						vs = make([]table.Value, n)
					}
				}
				for i, k := range src {
					if k >= 0 {
						vs[i] = r.Fields[k]
						continue
					}
					v, err := progs[i](row)
					if err != nil {
						return err
					}
					vs[i] = v
				}
				out.Emit(table.Row{Kind: r.Kind, Fields: vs})
				return nil
			}
			if direct != nil {
				// Each value written where it goes as soon as it is
				// evaluated: no later program reads that field, and no
				// column is copied from it.
				fs := r.Fields
				for _, i := range direct {
					v, err := progs[i](row)
					if err != nil {
						return err
					}
					fs[i] = v
				}
				for _, m := range moves {
					fs[m[0]] = fs[m[1]]
				}
				*row = table.Row{} // keeps nothing alive
				out.Emit(table.Row{Kind: r.Kind, Fields: fs[:n]})
				return nil
			}
			// In place: evaluate first, then copy the columns in increasing
			// order (each reads a field at or after the one it writes), then
			// place the evaluated values.
			for j, i := range computed {
				v, err := progs[i](row)
				if err != nil {
					return err
				}
				tmp[j] = v
			}
			fs := r.Fields
			for _, m := range moves {
				fs[m[0]] = fs[m[1]]
			}
			fs = fs[:n]
			for j, i := range computed {
				fs[i] = tmp[j]
			}
			*row = table.Row{} // keeps nothing alive
			out.Emit(table.Row{Kind: r.Kind, Fields: fs})
			return nil
		}
	}
	// The function reads its input row only while it runs (row is
	// overwritten before any read), so the source below may reuse the
	// rows' memory when everything downstream is done with them too
	// (stream.ProcessEachReleasing, connector.RecordReuser).
	tr.n += extra
	if sharedSrc {
		// Run by the shared source's pre-filter (scanshare.go), which
		// the Calc's number still goes to: the operators after it keep
		// their UIDs. What it emits is a fresh row each (not in place,
		// and its emitter is no operator's that releases).
		consumer.uid = uid()
		tr.fusedCalcs++
		consumer.newFn = newFn
		return consumer.out(), nil
	}
	return stream.ProcessEachReleasing(in, newFn).Name("calc").UID(uid()), nil
}
