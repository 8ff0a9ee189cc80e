package planner

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stromio/strom/cep"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// MATCH_RECOGNIZE (Flink's row pattern recognition) runs on the cep
// package: the PATTERN's variables become the stages of a cep.Pattern with
// strict contiguity (SQL's rows of a match are consecutive), the DEFINE
// conditions its iterative conditions, the MEASURES are evaluated over the
// finished match. Supported: PARTITION BY columns, ORDER BY the event-time
// attribute, ONE ROW PER MATCH, every AFTER MATCH SKIP, a sequence of
// variables with the quantifiers * + ? {n} {n,} {,m} {n,m} (greedy, or
// reluctant with a trailing ?), WITHIN an interval; in DEFINE and MEASURES
// A.col, FIRST/LAST(A.col [, n]), PREV(A.col [, n]) (DEFINE only), COUNT,
// SUM, AVG, MIN and MAX over a variable's rows, MATCH_ROWTIME() (MEASURES
// only). Refused at plan time with the position: ALL ROWS PER MATCH,
// SUBSET, alternation (|) and groups in PATTERN, NEXT, CLASSIFIER,
// MATCH_NUMBER, a greedy quantifier on the last variable (as Flink).

// MatchRecognize is a MATCH_RECOGNIZE over an insert-only input.
type MatchRecognize struct {
	In        Node
	Partition []int // input columns
	Order     int   // the event-time attribute
	Vars      []matchVar
	Measures  []matchExpr
	Skip      cep.Skip
	Within    time.Duration
	text      string // the PATTERN as written, for EXPLAIN
	cols      []Col
}

// matchVar is one pattern variable with its quantifier and condition.
type matchVar struct {
	name      string
	min, max  int // max -1: unbounded
	reluctant bool
	define    *matchExpr // nil: TRUE
}

// matchExpr is a DEFINE condition or a measure: an expression over an
// evaluation row made of the current row's columns (DEFINE) or the match's
// last row (MEASURES), followed by one column per navigation.
type matchExpr struct {
	e    expr.Expr
	navs []nav
	text string
}

type navKind uint8

const (
	navLast navKind = iota
	navFirst
	navPrev
	navAgg
	navRowtime
)

// nav is a value read from the rows of the (partial) match.
type nav struct {
	kind   navKind
	v      string // the pattern variable
	col    int    // input column (-1: COUNT(*) over v)
	off    int
	agg    string // navAgg: COUNT, SUM, AVG, MIN, MAX
	argT   table.Type
	typ    table.Type
	define bool // evaluated in the DEFINE of v: the current row is v's last
}

func (n *MatchRecognize) Cols() []Col    { return n.cols }
func (n *MatchRecognize) Updating() bool { return false }
func (n *MatchRecognize) Inputs() []Node { return []Node{n.In} }

func (n *MatchRecognize) explain() string {
	var ms, ds []string
	for i, m := range n.Measures {
		ms = append(ms, m.text+" AS "+n.cols[len(n.Partition)+i].Name)
	}
	for _, v := range n.Vars {
		if v.define != nil {
			ds = append(ds, v.name+" AS "+v.define.text)
		}
	}
	w := ""
	if n.Within > 0 {
		w = fmt.Sprintf(", within=[%v]", n.Within)
	}
	return fmt.Sprintf("Match(partitionBy=[%s], orderBy=[%s], measures=[%s], rowsPerMatch=[ONE ROW PER MATCH], after=[%s], pattern=[%s]%s, define=[%s]",
		keysText(n.In, n.Partition), colText(n.In, n.Order), strings.Join(ms, ", "), n.Skip, n.text, w, strings.Join(ds, ", "))
}

// bindMatchRecognize plans x over its input.
func (p *Planner) bindMatchRecognize(x *parser.MatchRecognize) (Node, *scope, error) {
	in, s, err := p.bindFrom(x.Input)
	if err != nil {
		return nil, nil, err
	}
	if s.win != nil {
		if in, err = materializeTVF(in, s); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case in.Updating():
		return nil, nil, errAt(x, "MATCH_RECOGNIZE over an updating input is not supported (its input must be insert-only)")
	case x.RowsPerMatch == "ALL ROWS PER MATCH":
		return nil, nil, errAt(x, "ALL ROWS PER MATCH is not supported (ONE ROW PER MATCH is, as in Flink)")
	case len(x.Subsets) > 0:
		return nil, nil, errAt(x.Subsets[0], "SUBSET is not supported in MATCH_RECOGNIZE")
	case len(x.OrderBy) != 1:
		return nil, nil, errAt(x, "MATCH_RECOGNIZE needs ORDER BY the event-time attribute alone, ascending")
	}
	n := &MatchRecognize{In: in, Skip: cep.SkipPastLastEventStrategy()}
	ob := x.OrderBy[0]
	ocr, ok := ob.Expr.(*parser.ColumnRef)
	if !ok || ob.Desc {
		return nil, nil, errAt(ob, "MATCH_RECOGNIZE must be ordered by an event-time attribute, ascending")
	}
	if n.Order, err = s.resolve(ocr); err != nil {
		return nil, nil, err
	}
	if s.cols[n.Order].t.TimeAttr() == table.RowtimeUnstamped {
		return nil, nil, errAt(ob, "MATCH_RECOGNIZE ordered by `%s`, a time attribute of an interval join, is not supported yet (windows, OVER and interval joins read it)", ocr)
	}
	if s.cols[n.Order].t.TimeAttr() != table.Rowtime {
		return nil, nil, errAt(ob, "`%s` is not an event-time attribute: MATCH_RECOGNIZE must be ordered by one (processing time is not supported)", ocr)
	}
	for _, pe := range x.PartitionBy {
		cr, ok := pe.(*parser.ColumnRef)
		if !ok {
			return nil, nil, errAt(pe, "PARTITION BY of MATCH_RECOGNIZE takes columns, not expressions")
		}
		i, err := s.resolve(cr)
		if err != nil {
			return nil, nil, err
		}
		n.Partition = append(n.Partition, i)
	}
	// PATTERN: a sequence of distinct variables, each maybe quantified.
	var items []parser.Pattern
	switch pt := x.Pattern.(type) {
	case *parser.PatternSeq:
		items = pt.Items
	default:
		items = []parser.Pattern{pt}
	}
	vars := map[string]int{}
	for _, it := range items {
		v := matchVar{min: 1, max: 1}
		x := it
		if q, ok := it.(*parser.PatternQuant); ok {
			v.min, v.max, v.reluctant = q.Min, q.Max, q.Reluctant
			x = q.X
			if q.Max == 0 {
				return nil, nil, errAt(q, "the quantifier %s allows no row", q.Form)
			}
		}
		switch pv := x.(type) {
		case *parser.PatternVar:
			v.name = pv.Name.Name
		case *parser.PatternAlt:
			return nil, nil, errAt(pv, "alternation (|) in PATTERN is not supported")
		case *parser.PatternGroup:
			return nil, nil, errAt(pv, "groups ( ... ) in PATTERN are not supported (quantify single variables)")
		default:
			return nil, nil, errAt(it, "this PATTERN form is not supported")
		}
		if _, dup := vars[v.name]; dup {
			return nil, nil, errAt(it, "pattern variable %s appears twice in PATTERN (not supported)", v.name)
		}
		vars[v.name] = len(n.Vars)
		n.Vars = append(n.Vars, v)
	}
	if pt, ok := x.Pattern.(*parser.PatternAlt); ok {
		return nil, nil, errAt(pt, "alternation (|) in PATTERN is not supported")
	}
	last := n.Vars[len(n.Vars)-1]
	if last.max != last.min && !last.reluctant {
		return nil, nil, errAt(items[len(items)-1], "a greedy quantifier on the last variable of PATTERN (%s) is not supported (as in Flink): make it reluctant or put a variable after it", last.name)
	}
	n.text = x.Pattern.String()
	if am := x.AfterMatch; am != nil {
		switch am.Kind {
		case "PAST LAST ROW":
		case "TO NEXT ROW":
			n.Skip = cep.SkipToNextStrategy()
		default:
			if _, ok := vars[am.Var.Name]; !ok {
				return nil, nil, errAt(am.Var, "AFTER MATCH SKIP %s %s: no such pattern variable", am.Kind, am.Var.Name)
			}
			if am.Kind == "TO FIRST" {
				n.Skip = cep.SkipToFirstStrategy(am.Var.Name)
			} else {
				n.Skip = cep.SkipToLastStrategy(am.Var.Name)
			}
		}
	}
	if x.Within != nil {
		il, ok := x.Within.(*parser.IntervalLit)
		if !ok {
			return nil, nil, errAt(x.Within, "WITHIN takes an INTERVAL literal")
		}
		if n.Within, err = intervalOf(il); err != nil {
			return nil, nil, err
		}
		if n.Within <= 0 {
			return nil, nil, errAt(x.Within, "WITHIN takes a positive interval")
		}
	}
	for _, d := range x.Define {
		i, ok := vars[d.Var.Name]
		if !ok {
			return nil, nil, errAt(d.Var, "DEFINE %s: no such variable in PATTERN", d.Var.Name)
		}
		if n.Vars[i].define != nil {
			return nil, nil, errAt(d.Var, "variable %s is defined twice", d.Var.Name)
		}
		mb := &matchBinder{p: p, s: s, vars: vars, define: d.Var.Name}
		e, err := mb.bind(d.Cond)
		if err != nil {
			return nil, nil, err
		}
		if !e.Type().Equal(table.BooleanType()) && !e.Type().Equal(table.BooleanType().NotNull()) {
			return nil, nil, errAt(d.Cond, "DEFINE %s must be a BOOLEAN condition, not %s", d.Var.Name, e.Type())
		}
		n.Vars[i].define = &matchExpr{e: e, navs: mb.navs, text: d.Cond.String()}
	}
	// Output: the partition columns, then the measures.
	for _, k := range n.Partition {
		c := s.cols[k]
		n.cols = append(n.cols, Col{Name: c.name, Type: c.t.WithTimeAttr(table.NoTimeAttr)})
	}
	for _, m := range x.Measures {
		mb := &matchBinder{p: p, s: s, vars: vars, partition: n.Partition, rowtime: s.cols[n.Order].t}
		e, err := mb.bind(m.Expr)
		if err != nil {
			return nil, nil, err
		}
		t := e.Type()
		if !mb.isRowtime(e) {
			t = t.WithTimeAttr(table.NoTimeAttr)
		}
		n.Measures = append(n.Measures, matchExpr{e: e, navs: mb.navs, text: m.Expr.String()})
		n.cols = append(n.cols, Col{Name: m.Alias.Name, Type: t})
	}
	qual := ""
	if x.Alias != nil && len(x.Alias.Columns) == 0 {
		qual = x.Alias.Name.Name
	}
	return p.aliased(n, qual, x.Alias)
}

// matchBinder binds DEFINE conditions (define: the variable) and measures
// (define == "").
type matchBinder struct {
	p         *Planner
	s         *scope
	vars      map[string]int
	define    string
	partition []int
	rowtime   table.Type
	navs      []nav
}

func (mb *matchBinder) isRowtime(e expr.Expr) bool {
	c, ok := e.(*expr.Column)
	return ok && len(mb.navs) > 0 && c.Index == len(mb.s.cols)+len(mb.navs)-1 && mb.navs[len(mb.navs)-1].kind == navRowtime
}

func (mb *matchBinder) where() string {
	if mb.define != "" {
		return "DEFINE " + mb.define
	}
	return "MEASURES"
}

// varCol splits a column reference into its pattern variable ("" for none)
// and its input column.
func (mb *matchBinder) varCol(cr *parser.ColumnRef) (string, int, error) {
	if len(cr.Parts) == 2 {
		if _, ok := mb.vars[cr.Parts[0].Name]; ok {
			i, err := mb.s.resolve(&parser.ColumnRef{Parts: cr.Parts[1:]})
			if err != nil {
				return "", 0, errAt(cr, "unknown column `%s` of pattern variable %s", cr.Parts[1].Name, cr.Parts[0].Name)
			}
			return cr.Parts[0].Name, i, nil
		}
		return "", 0, errAt(cr, "`%s` is not a pattern variable (the variables are those of PATTERN)", cr.Parts[0].Name)
	}
	i, err := mb.s.resolve(cr)
	return "", i, err
}

func (mb *matchBinder) addNav(n nav) expr.Expr {
	n.define = n.v != "" && n.v == mb.define
	mb.navs = append(mb.navs, n)
	name := fmt.Sprintf("$nav%d", len(mb.navs)-1)
	return expr.ColumnRef(len(mb.s.cols)+len(mb.navs)-1, name, n.typ)
}

func (mb *matchBinder) bind(e parser.Expr) (expr.Expr, error) {
	switch x := e.(type) {
	case *parser.ColumnRef:
		v, i, err := mb.varCol(x)
		if err != nil {
			return nil, err
		}
		col := mb.s.cols[i]
		switch {
		case v == "" && mb.define != "", v == mb.define && v != "":
			// The current row.
			return expr.ColumnRef(i, col.name, col.t.WithTimeAttr(table.NoTimeAttr)), nil
		case v == "":
			for _, k := range mb.partition {
				if k == i {
					return expr.ColumnRef(i, col.name, col.t.WithTimeAttr(table.NoTimeAttr)), nil
				}
			}
			return nil, errAt(x, "a column in MEASURES must be qualified by a pattern variable (A.%s) unless it is a PARTITION BY column", col.name)
		}
		return mb.addNav(nav{kind: navLast, v: v, col: i, typ: col.t.WithTimeAttr(table.NoTimeAttr).AsNullable()}), nil
	case *parser.FuncCall:
		if len(x.Name.Parts) == 1 && x.Over == nil {
			name := strings.ToUpper(x.Name.Parts[0].Name)
			switch name {
			case "FIRST", "LAST", "PREV":
				return mb.bindNav(x, name)
			case "NEXT":
				return nil, errAt(x, "NEXT in MATCH_RECOGNIZE is not supported (it would look at rows after the match)")
			case "CLASSIFIER", "MATCH_NUMBER":
				return nil, errAt(x, "%s() is not supported in MATCH_RECOGNIZE", name)
			case "MATCH_ROWTIME":
				if mb.define != "" || len(x.Args) > 0 {
					return nil, errAt(x, "MATCH_ROWTIME() is supported in MEASURES only, without arguments")
				}
				return mb.addNav(nav{kind: navRowtime, typ: mb.rowtime.NotNull()}), nil
			case "COUNT", "SUM", "AVG", "MIN", "MAX":
				return mb.bindAgg(x, name)
			}
			if mb.p.b.isAggCall(x) {
				return nil, errAt(x, "aggregate %s is not supported in MATCH_RECOGNIZE (COUNT, SUM, AVG, MIN and MAX are)", name)
			}
		}
	case *parser.Subquery, *parser.Exists:
		return nil, errAt(e, "subqueries are not supported in MATCH_RECOGNIZE")
	}
	return mb.p.b.bindPlain(e, mb.s, mb.bind)
}

func (mb *matchBinder) bindNav(x *parser.FuncCall, name string) (expr.Expr, error) {
	if len(x.Args) < 1 || len(x.Args) > 2 {
		return nil, errAt(x, "%s takes a column of a pattern variable and an optional offset", name)
	}
	cr, ok := x.Args[0].(*parser.ColumnRef)
	if !ok {
		return nil, errAt(x.Args[0], "%s takes a column of a pattern variable (A.col), not an expression", name)
	}
	v, i, err := mb.varCol(cr)
	if err != nil {
		return nil, err
	}
	if v == "" {
		if mb.define == "" {
			return nil, errAt(cr, "%s in MEASURES takes a column of a pattern variable (A.%s)", name, cr)
		}
		v = mb.define
	}
	off := 0
	if name == "PREV" {
		if mb.define == "" {
			return nil, errAt(x, "PREV is supported in DEFINE only")
		}
		off = 1
	}
	if len(x.Args) == 2 {
		lit, ok := x.Args[1].(*parser.Literal)
		if ok && lit.Kind == parser.LitNumber {
			off, err = strconv.Atoi(lit.Value)
		}
		if !ok || err != nil || off < 0 || off > 1<<20 {
			return nil, errAt(x.Args[1], "the offset of %s must be a non-negative integer literal", name)
		}
	}
	k := map[string]navKind{"FIRST": navFirst, "LAST": navLast, "PREV": navPrev}[name]
	col := mb.s.cols[i]
	return mb.addNav(nav{kind: k, v: v, col: i, off: off, typ: col.t.WithTimeAttr(table.NoTimeAttr).AsNullable()}), nil
}

func (mb *matchBinder) bindAgg(x *parser.FuncCall, name string) (expr.Expr, error) {
	if x.Distinct || x.Filter != nil || len(x.Args) != 1 {
		return nil, errAt(x, "%s in MATCH_RECOGNIZE takes one column of a pattern variable (no DISTINCT, no FILTER)", name)
	}
	n := nav{kind: navAgg, agg: name, col: -1}
	var argTypes []table.Type
	switch a := x.Args[0].(type) {
	case *parser.ColumnRef:
		v, i, err := mb.varCol(a)
		if err != nil {
			return nil, err
		}
		if v == "" {
			return nil, errAt(a, "%s in MATCH_RECOGNIZE takes a column of a pattern variable (A.%s)", name, a)
		}
		n.v, n.col, n.argT = v, i, mb.s.cols[i].t.WithTimeAttr(table.NoTimeAttr)
		argTypes = []table.Type{n.argT}
	case *parser.Star:
		if name != "COUNT" || len(a.Qualifier) != 1 {
			return nil, errAt(a, "%s(*) in MATCH_RECOGNIZE: write COUNT(A.*) or an aggregate of a column A.col", name)
		}
		if _, ok := mb.vars[a.Qualifier[0].Name]; !ok {
			return nil, errAt(a, "`%s` is not a pattern variable", a.Qualifier[0].Name)
		}
		n.v = a.Qualifier[0].Name
	default:
		return nil, errAt(x.Args[0], "%s in MATCH_RECOGNIZE takes a column of a pattern variable, not an expression", name)
	}
	f, err := expr.NewAggregate(name, argTypes)
	if err != nil {
		return nil, errAt(x, "%v", err)
	}
	n.typ = f.ResultType()
	return mb.addNav(n), nil
}

// translate runs the pattern on the cep package, keyed by the partition.
func (n *MatchRecognize) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	in, err := tr.build(n.In)
	if err != nil {
		return zero, err
	}
	keyFn, _ := keyOf(n.In, n.Partition)
	ncols := len(n.In.Cols())
	var pat *cep.Pattern[table.Row]
	for i, v := range n.Vars {
		switch {
		case i == 0:
			pat = cep.BeginWithSkip[table.Row](v.name, n.Skip)
		default:
			pat = pat.Next(v.name)
		}
		if v.define != nil {
			cond, err := v.define.condition(ncols, tr.copts)
			if err != nil {
				return zero, err
			}
			pat = pat.WhereIter(cond)
		}
		if v.min == 1 && v.max == 1 {
			continue
		}
		lo := max(v.min, 1)
		if v.max < 0 {
			pat = pat.TimesOrMore(lo)
		} else {
			pat = pat.TimesRange(lo, v.max)
		}
		if v.min == 0 {
			pat = pat.Optional()
		}
		pat = pat.Consecutive()
		if !v.reluctant && v.max != v.min {
			pat = pat.Greedy()
		}
	}
	if n.Within > 0 {
		pat = pat.Within(n.Within)
	}
	measures := make([]func(m cep.Match[table.Row]) (table.Value, error), len(n.Measures))
	for i := range n.Measures {
		if measures[i], err = n.Measures[i].measure(ncols, tr.copts); err != nil {
			return zero, err
		}
	}
	ps, err := cep.Detect(stream.KeyBy(in, keyFn), pat, cep.WithCodec[table.Row](rowCodecOf(n.In)))
	if err != nil {
		return zero, err
	}
	part := n.Partition
	return cep.Process(ps, func(_ *stream.KeyedContext[string], m cep.Match[table.Row], out stream.Emitter[table.Row]) error {
		last := m.Events[len(m.Events)-1].Value
		f := make([]table.Value, 0, len(part)+len(measures))
		for _, k := range part {
			f = append(f, last.Fields[k])
		}
		for _, mf := range measures {
			v, err := mf(m)
			if err != nil {
				return err
			}
			f = append(f, v)
		}
		out.Emit(table.Row{Kind: table.Insert, Fields: f})
		return nil
	}).UID(tr.uid("match-recognize")).Name("match-recognize"), nil
}

// matchRows is the rows of a (partial) match in order, with their variables.
type matchRows struct {
	vars []string
	ts   []int64
	rows []table.Row
}

// condition compiles a DEFINE condition: the current row is tentatively
// the defined variable's last row.
func (m *matchExpr) condition(ncols int, opts []expr.Option) (cep.Condition[table.Row], error) {
	pred, err := expr.CompilePredicate(m.e, opts...)
	if err != nil {
		return nil, err
	}
	navs := m.navs
	if len(navs) == 0 {
		return func(r table.Row, _ *cep.Context[table.Row]) bool {
			ok, err := pred(&r)
			evalPanic(err)
			return ok
		}, nil
	}
	return func(r table.Row, ctx *cep.Context[table.Row]) bool {
		var mr matchRows
		for i := 0; i < ctx.Len(); i++ {
			v, ts, row := ctx.At(i)
			mr.vars, mr.ts, mr.rows = append(mr.vars, v), append(mr.ts, ts), append(mr.rows, row)
		}
		mr.vars, mr.ts, mr.rows = append(mr.vars, ctx.Stage()), append(mr.ts, ctx.Timestamp()), append(mr.rows, r)
		row := table.Row{Fields: make([]table.Value, ncols, ncols+len(navs))}
		copy(row.Fields, r.Fields)
		for i := range navs {
			row.Fields = append(row.Fields, navs[i].eval(&mr))
		}
		ok, err := pred(&row)
		evalPanic(err)
		return ok
	}, nil
}

// measure compiles a measure over a finished match (evaluated over its last
// row and the navigations).
func (m *matchExpr) measure(ncols int, opts []expr.Option) (func(cep.Match[table.Row]) (table.Value, error), error) {
	prog, err := expr.Compile(m.e, opts...)
	if err != nil {
		return nil, err
	}
	navs := m.navs
	return func(mt cep.Match[table.Row]) (table.Value, error) {
		var mr matchRows
		for _, e := range mt.Events {
			mr.vars, mr.ts, mr.rows = append(mr.vars, e.Stage), append(mr.ts, e.Time), append(mr.rows, e.Value)
		}
		last := mr.rows[len(mr.rows)-1]
		row := table.Row{Fields: make([]table.Value, ncols, ncols+len(navs))}
		copy(row.Fields, last.Fields)
		for i := range navs {
			row.Fields = append(row.Fields, navs[i].eval(&mr))
		}
		return prog(&row)
	}, nil
}

// eval reads the navigation's value from the rows of a match.
func (n *nav) eval(m *matchRows) table.Value {
	switch n.kind {
	case navRowtime:
		return table.TimestampMillis(m.ts[len(m.ts)-1])
	case navPrev:
		// The row off rows before the variable's last row.
		for i := len(m.rows) - 1; i >= 0; i-- {
			if m.vars[i] == n.v {
				if j := i - n.off; j >= 0 {
					return m.rows[j].Fields[n.col]
				}
				break
			}
		}
		return table.Null
	case navLast:
		k := n.off
		for i := len(m.rows) - 1; i >= 0; i-- {
			if m.vars[i] == n.v {
				if k == 0 {
					return m.rows[i].Fields[n.col]
				}
				k--
			}
		}
		return table.Null
	case navFirst:
		k := n.off
		for i := range m.rows {
			if m.vars[i] == n.v {
				if k == 0 {
					return m.rows[i].Fields[n.col]
				}
				k--
			}
		}
		return table.Null
	}
	// navAgg
	var argTypes []table.Type
	if n.col >= 0 {
		argTypes = []table.Type{n.argT}
	}
	f, err := expr.NewAggregate(n.agg, argTypes)
	evalPanic(err)
	acc := make([]table.Value, len(f.AccTypes()))
	f.Init(acc)
	var args [1]table.Value
	for i := range m.rows {
		if m.vars[i] != n.v {
			continue
		}
		a := args[:0]
		if n.col >= 0 {
			a = append(a, m.rows[i].Fields[n.col])
		}
		evalPanic(f.Add(acc, a))
	}
	v, err := f.Result(acc)
	evalPanic(err)
	return v
}
