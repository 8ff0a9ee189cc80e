package planner

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/stromio/strom/internal/sql/catalog"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/table"
)

// scopeCol is a column visible to expressions: its qualifier (table name or
// alias), name and type. Window columns of a window TVF are virtual: they
// exist only as GROUP BY keys of the window aggregation.
type scopeCol struct {
	qual, name string
	t          table.Type
	window     bool
	win        winAttr // a window column of a window relation
	hidden     bool    // not a column of * (a scalar subquery's value)
	outer      bool    // a column of the enclosing query (a correlated condition)
}

type scope struct {
	cols []scopeCol
	agg  *aggCtx // non-nil while binding the select list of an aggregation
	// win is the window TVF of the FROM clause, nil for none.
	win *windowTVF
	// over maps the OVER aggregate calls (as written) to their columns
	// while binding the select list of an OVER aggregation.
	over map[string]expr.Expr
	// scalars maps the scalar subqueries planned as joins to their
	// columns (scalar.go).
	scalars map[*parser.Subquery]int
	marks   map[parser.Expr]int // IN / EXISTS planned as mark joins (markjoin.go)
	post    []postScalar        // those of an aggregation's select list and HAVING, joined after it (scalar.go)
}

type windowTVF struct {
	kind        string
	size, slide time.Duration
	offset      time.Duration // TUMBLE's and HOP's OFFSET, in [0, slide)
	timeCol     string
	partition   []int // SESSION's PARTITION BY columns (scope indexes)
	first       int   // index of window_start in the scope
	at          parser.Node
	proctime    bool        // over a processing-time attribute (proctime.go)
	zone        *windowZone // the shift time zone (winzone.go): nil for none
	attrType    table.Type  // the time attribute's
	timeIdx     int         // a group window's time column (scope index)
}

func (s *scope) names() []string {
	var ns []string
	for _, c := range s.cols {
		if !c.hidden {
			ns = append(ns, c.name)
		}
	}
	return ns
}

// resolve finds the column of ref.
func (s *scope) resolve(ref *parser.ColumnRef) (int, error) {
	var qual, name string
	switch len(ref.Parts) {
	case 1:
		name = ref.Parts[0].Name
	case 2:
		qual, name = ref.Parts[0].Name, ref.Parts[1].Name
	default:
		return -1, errAt(ref, "unknown column `%s`", ref)
	}
	found := -1
	// The columns of an enclosing query (outer) are found only when the
	// inner ones have no such column, as SQL scopes names.
	for pass := 0; pass < 2 && found < 0; pass++ {
		for i, c := range s.cols {
			if c.outer != (pass == 1) {
				continue
			}
			if c.name == name && (qual == "" || c.qual == qual) {
				if found >= 0 {
					return -1, errAt(ref, "column `%s` is ambiguous", name)
				}
				found = i
			}
		}
	}
	if found < 0 {
		msg := fmt.Sprintf("unknown column `%s`", ref)
		if sug := catalog.Closest(name, s.names()); sug != "" {
			msg += fmt.Sprintf("; did you mean `%s`?", sug)
		} else if ns := s.names(); len(ns) > 0 {
			msg += fmt.Sprintf("; the columns are %s", strings.Join(ns, ", "))
		} else {
			msg += "; there are no columns here: VALUES rows and a SELECT without FROM take constants (quote a string: 'x'), or select from a table"
		}
		return -1, errAt(ref, "%s", msg)
	}
	return found, nil
}

// aggCtx collects the group keys and aggregate calls of an aggregation.
type aggCtx struct {
	in         *scope
	keyText    map[string]int // GROUP BY expression text -> output slot
	keyCol     map[int]int    // GROUP BY column (input scope index) -> output slot
	pre        []expr.Expr    // the pre-projection: keys, then aggregate arguments
	preText    map[string]int
	aggs       []AggCall
	aggBase    int // output slot of the first aggregate
	outTypes   []table.Type
	outNames   []string
	updatingIn bool
	// winAux maps TUMBLE_START, SESSION_END ... of a group window
	// (GROUP BY SESSION(ts, gap)) to their output slots.
	winAux map[string]int
	// grouping is the grouping sets of the GROUP BY (grouping.go), nil
	// for none.
	grouping *groupingCtx
	// post maps the scalar subqueries joined after the aggregation
	// (scalar.go) to the columns bound to their values, whose index is
	// set once the joins are built.
	post map[*parser.Subquery][]*expr.Column
}

func (a *aggCtx) addPre(e expr.Expr) int {
	k := e.String()
	if i, ok := a.preText[k]; ok {
		return i
	}
	a.pre = append(a.pre, e)
	a.preText[k] = len(a.pre) - 1
	return len(a.pre) - 1
}

var aggNames = map[string]bool{"COUNT": true, "SUM": true, "SUM0": true, "AVG": true, "MIN": true, "MAX": true,
	"LISTAGG": true, "FIRST_VALUE": true, "LAST_VALUE": true, "STDDEV_POP": true, "STDDEV_SAMP": true, "STDDEV": true,
	"VAR_POP": true, "VAR_SAMP": true, "VARIANCE": true, "ARRAY_AGG": true}

// AggregateFactory returns a user-defined aggregate function for the
// argument types (RegisterAggregate of streamsql).
type AggregateFactory func(args []table.Type) (expr.AggregateFunc, error)

func (b *binder) isAggCall(e parser.Expr) bool {
	if j, ok := e.(*parser.JSONCall); ok {
		return j.Func == "JSON_OBJECTAGG" || j.Func == "JSON_ARRAYAGG"
	}
	f, ok := e.(*parser.FuncCall)
	if !ok || f.Over != nil || f.OverName != nil || len(f.Name.Parts) != 1 {
		return false
	}
	name := strings.ToUpper(f.Name.Parts[0].Name)
	return aggNames[name] || b.udafs[name] != nil
}

// hasAgg reports whether e contains an aggregate call.
func (b *binder) hasAgg(e parser.Expr) bool {
	found := false
	b.walk(e, func(x parser.Expr) {
		if b.isAggCall(x) {
			found = true
		}
	})
	return found
}

// walk visits e and the subexpressions the binder knows.
func (b *binder) walk(e parser.Expr, f func(parser.Expr)) {
	walk := b.walk
	isAggCall := b.isAggCall
	if e == nil {
		return
	}
	f(e)
	switch x := e.(type) {
	case *parser.Binary:
		walk(x.L, f)
		walk(x.R, f)
	case *parser.Unary:
		walk(x.X, f)
	case *parser.IsExpr:
		walk(x.X, f)
	case *parser.IsDistinct:
		walk(x.X, f)
		walk(x.Y, f)
	case *parser.Between:
		walk(x.X, f)
		walk(x.Lo, f)
		walk(x.Hi, f)
	case *parser.InList:
		walk(x.X, f)
		for _, y := range x.List {
			walk(y, f)
		}
	case *parser.Like:
		walk(x.X, f)
		walk(x.Pattern, f)
	case *parser.Case:
		walk(x.Operand, f)
		for _, w := range x.Whens {
			walk(w.Cond, f)
			walk(w.Result, f)
		}
		walk(x.Else, f)
	case *parser.Cast:
		walk(x.X, f)
	case *parser.FuncCall:
		if !isAggCall(x) {
			for _, a := range x.Args {
				walk(a, f)
			}
		}
	case *parser.Extract:
		walk(x.X, f)
	case *parser.FloorCeil:
		walk(x.X, f)
	case *parser.Trim:
		walk(x.X, f)
		walk(x.Chars, f)
	case *parser.Substring:
		walk(x.X, f)
		walk(x.Start, f)
		walk(x.Len, f)
	case *parser.Overlay:
		walk(x.X, f)
		walk(x.With, f)
		walk(x.Start, f)
		walk(x.Len, f)
	case *parser.ArrayCtor:
		for _, y := range x.Elems {
			walk(y, f)
		}
	case *parser.MapCtor:
		for _, y := range x.Elems {
			walk(y, f)
		}
	case *parser.Row:
		for _, y := range x.Elems {
			walk(y, f)
		}
	case *parser.Index:
		walk(x.X, f)
		walk(x.I, f)
	case *parser.FieldAccess:
		walk(x.X, f)
	case *parser.JSONCall:
		if isAggCall(x) {
			break
		}
		for _, l := range [][]parser.Expr{x.Args, x.Keys, x.Values} {
			for _, y := range l {
				walk(y, f)
			}
		}
		for _, jb := range []*parser.JSONBehavior{x.OnEmpty, x.OnError} {
			if jb != nil {
				walk(jb.Default, f)
			}
		}
	}
}

// binder binds AST expressions against a scope.
type binder struct {
	reg   *expr.Registry
	udafs map[string]AggregateFactory
}

func (b *binder) bind(e parser.Expr, s *scope) (expr.Expr, error) {
	if s.agg != nil {
		return b.bindAgg(e, s)
	}
	return b.bindPlain(e, s, func(x parser.Expr) (expr.Expr, error) { return b.bind(x, s) })
}

// bindAgg binds an expression of the select list or HAVING of an
// aggregation: group keys and aggregate calls become columns of the
// aggregation's output.
func (b *binder) bindAgg(e parser.Expr, s *scope) (expr.Expr, error) {
	a := s.agg
	isAggCall := b.isAggCall
	if slot, ok := a.keyText[e.String()]; ok {
		return expr.ColumnRef(slot, a.outNames[slot], a.outTypes[slot]), nil
	}
	switch x := e.(type) {
	case *parser.Subquery:
		for k, ps := range a.in.post {
			if ps.sq == x {
				c := expr.ColumnRef(-1, fmt.Sprintf("$post%d", k), ps.valueType())
				a.post[x] = append(a.post[x], c)
				return c, nil
			}
		}
	case *parser.ColumnRef:
		i, err := a.in.resolve(x)
		if err != nil {
			return nil, err
		}
		if slot, ok := a.keyCol[i]; ok {
			return expr.ColumnRef(slot, a.outNames[slot], a.outTypes[slot]), nil
		}
		return nil, errAt(x, "column `%s` is neither grouped nor aggregated: add it to GROUP BY or wrap it in an aggregate function", x)
	case *parser.JSONCall:
		if isAggCall(x) {
			return b.bindJSONAgg(x, a)
		}
	case *parser.FuncCall:
		if isAggCall(x) {
			return b.bindAggCall(x, a)
		}
		if n := strings.ToUpper(x.Name.Parts[len(x.Name.Parts)-1].Name); len(x.Name.Parts) == 1 && (n == "GROUPING" || n == "GROUPING_ID") {
			return b.bindGrouping(x, a) // grouping.go
		}
		if len(x.Name.Parts) == 1 && a.winAux != nil {
			if slot, ok := a.winAux[strings.ToUpper(x.Name.Parts[0].Name)]; ok {
				return expr.ColumnRef(slot, a.outNames[slot], a.outTypes[slot]), nil
			}
		}
	}
	return b.bindPlain(e, s, func(y parser.Expr) (expr.Expr, error) { return b.bindAgg(y, s) })
}

func (b *binder) bindAggCall(f *parser.FuncCall, a *aggCtx) (expr.Expr, error) {
	name := strings.ToUpper(f.Name.Parts[0].Name)
	filter := -1
	if f.Filter != nil {
		if b.hasAgg(f.Filter) {
			return nil, errAt(f.Filter, "aggregate calls cannot be nested")
		}
		x, err := b.bind(f.Filter, a.in)
		if err != nil {
			return nil, err
		}
		if x.Type().Root() != table.RootBoolean {
			return nil, errAt(f.Filter, "FILTER (WHERE ...) must be a BOOLEAN condition, %s is %s", f.Filter, x.Type())
		}
		filter = a.addPre(x)
	}
	var args []int
	var types []table.Type
	star := len(f.Args) == 1
	if star {
		var st *parser.Star
		st, star = f.Args[0].(*parser.Star)
		if star && len(st.Qualifier) > 0 {
			return nil, errAt(st, "%s(%s) names a pattern variable, which only MATCH_RECOGNIZE has: write %s(*) to count the rows", name, st, name)
		}
	}
	if !star {
		for _, arg := range f.Args {
			if b.hasAgg(arg) {
				return nil, errAt(arg, "aggregate calls cannot be nested")
			}
			x, err := b.bind(arg, a.in)
			if err != nil {
				return nil, err
			}
			args = append(args, a.addPre(x))
			types = append(types, x.Type())
		}
	} else if name != "COUNT" {
		return nil, errAt(f, "%s(*) is not valid: only COUNT takes *", name)
	}
	if f.Nulls != "" && name != "ARRAY_AGG" {
		return nil, errAt(f, "%s NULLS is only supported in ARRAY_AGG, not in %s", f.Nulls, name)
	}
	fname := name
	if name == "ARRAY_AGG" && b.udafs[name] == nil {
		if len(types) != 1 {
			return nil, errAt(f, "ARRAY_AGG takes one argument: ARRAY_AGG([ALL | DISTINCT] x [RESPECT NULLS | IGNORE NULLS])")
		}
		fn, err := expr.NewArrayAgg(types[0], f.Distinct, f.Nulls == "IGNORE")
		if err != nil {
			return nil, errAt(f, "%s: %s", f, strings.TrimPrefix(err.Error(), "expr: "))
		}
		return a.addAggCall(f, fn, args, filter), nil
	}
	if f.Distinct {
		switch name {
		case "COUNT":
			if len(types) != 1 {
				return nil, errAt(f, "COUNT(DISTINCT ...) of %d arguments is not supported yet: count the distinct values of one expression, e.g. COUNT(DISTINCT CONCAT_WS('|', a, b)) when neither is NULL", len(types))
			}
			fname = "COUNT_DISTINCT"
		case "SUM", "AVG", "MIN", "MAX":
		default:
			return nil, errAt(f, "%s(DISTINCT ...) is not supported yet (COUNT, SUM, AVG, MIN and MAX take DISTINCT)", name)
		}
	}
	if a.updatingIn && (name == "MIN" || name == "MAX" || name == "FIRST_VALUE" || name == "LAST_VALUE") {
		fname = name + "_RETRACT"
	}
	var fn expr.AggregateFunc
	var err error
	if u := b.udafs[name]; u != nil {
		if f.Distinct {
			return nil, errAt(f, "%s(DISTINCT ...) is not supported yet", name)
		}
		fn, err = u(types)
	} else {
		fn, err = expr.NewAggregate(fname, types)
		if err == nil && f.Distinct && fname != "COUNT_DISTINCT" {
			fn, err = expr.NewDistinct(fn, types[0])
		}
	}
	if err != nil {
		return nil, errAt(f, "%s: %s", f, strings.TrimPrefix(err.Error(), "expr: "))
	}
	return a.addAggCall(f, fn, args, filter), nil
}

// addAggCall adds the aggregate call f (fn over the pre-projected args) to
// a, or finds the same call text there, and returns its column.
func (a *aggCtx) addAggCall(f *parser.FuncCall, fn expr.AggregateFunc, args []int, filter int) expr.Expr {
	text := f.String()
	for i, c := range a.aggs {
		if c.Text == text {
			slot := a.aggBase + i
			return expr.ColumnRef(slot, text, a.outTypes[slot])
		}
	}
	a.aggs = append(a.aggs, AggCall{F: fn, Args: args, Filter: filter, Text: text})
	// MAX(rowtime) is no event-time attribute (Flink materialises the
	// time attributes of aggregate results): the rows carry another
	// timestamp (query.go, bindAggregate).
	rt := fn.ResultType().WithTimeAttr(table.NoTimeAttr)
	a.outTypes = append(a.outTypes, rt)
	a.outNames = append(a.outNames, text)
	slot := a.aggBase + len(a.aggs) - 1
	return expr.ColumnRef(slot, text, rt)
}

// bindEach binds every expression of es with sub.
func bindEach(sub func(parser.Expr) (expr.Expr, error), es []parser.Expr) ([]expr.Expr, error) {
	out := make([]expr.Expr, len(es))
	for i, x := range es {
		y, err := sub(x)
		if err != nil {
			return nil, err
		}
		out[i] = y
	}
	return out, nil
}

func (b *binder) bindPlain(e parser.Expr, s *scope, sub func(parser.Expr) (expr.Expr, error)) (expr.Expr, error) {
	subs := func(es ...parser.Expr) ([]expr.Expr, error) { return bindEach(sub, es) }
	switch x := e.(type) {
	case *parser.ColumnRef:
		i, err := s.resolve(x)
		if err != nil {
			if f, ok, ferr := b.fieldRef(x, s); ok {
				return f, ferr
			}
			return nil, err
		}
		c := s.cols[i]
		if c.window {
			return nil, errAt(x, "`%s` of a window table function is only supported as a GROUP BY key of a window aggregation (GROUP BY window_start, window_end)", c.name)
		}
		return expr.ColumnRef(i, c.name, c.t), nil
	case *parser.Literal:
		return bindLiteral(x)
	case *parser.TypedLiteral:
		var t table.Type
		switch x.Type {
		case "DATE":
			t = table.DateType()
		case "TIME":
			// Typed by its digits as Calcite's parseTimeLiteral does
			// (TIME '12:34:56.5' is TIME(1)), at most TIME(3), Calcite's
			// largest TIME precision (milliseconds, as the values).
			t = table.TimeType(min(literalFracDigits(x.Value), 3))
		case "TIMESTAMP":
			t = table.TimestampType(literalFracDigits(x.Value))
		case "TIMESTAMP_LTZ":
			t = table.TimestampLTZType(literalFracDigits(x.Value))
		default:
			return nil, errAt(x, "%s literals are not supported yet", x.Type)
		}
		c, err := expr.NewCast(expr.StrLit(x.Value), t.NotNull(), false)
		if err != nil {
			return nil, wrapAt(x, err)
		}
		c.(*expr.Cast).Literal = true
		return c, nil
	case *parser.IntervalLit:
		months, ms, ym, err := intervalParts(x)
		if err != nil {
			return nil, err
		}
		if ym {
			return expr.Lit(table.IntervalMonths(int32(months)), table.IntervalYearMonthType().NotNull()), nil
		}
		return expr.Lit(table.IntervalMillis(ms), table.IntervalDayTimeType().NotNull()), nil
	case *parser.Binary:
		args, err := subs(x.L, x.R)
		if err != nil {
			return nil, err
		}
		var r expr.Expr
		switch x.Op {
		case "AND":
			r, err = expr.NewAnd(args...)
		case "OR":
			r, err = expr.NewOr(args...)
		case "=", "<>", "!=", "<", "<=", ">", ">=":
			r, err = b.bindCompare(x, x.Op, args[0], args[1])
		default:
			r, err = b.reg.Call(x.Op, args...)
		}
		return r, wrapAt(x, err)
	case *parser.Unary:
		args, err := subs(x.X)
		if err != nil {
			return nil, err
		}
		switch x.Op {
		case "NOT":
			r, err := expr.NewNot(args[0])
			return r, wrapAt(x, err)
		case "+":
			return args[0], nil
		}
		r, err := b.reg.Call(x.Op, args...)
		return r, wrapAt(x, err)
	case *parser.IsExpr:
		args, err := subs(x.X)
		if err != nil {
			return nil, err
		}
		switch x.What {
		case "NULL", "UNKNOWN":
			return expr.NewIsNull(args[0], x.Not), nil
		case "TRUE", "FALSE":
			r, err := expr.NewIsBool(args[0], x.What == "TRUE", x.Not)
			return r, wrapAt(x, err)
		}
		if x.What == "JSON" || strings.HasPrefix(x.What, "JSON ") {
			r, err := b.reg.IsJSON(args[0], strings.TrimSpace(strings.TrimPrefix(x.What, "JSON")), x.Not)
			return r, wrapAt(x, err)
		}
		return nil, errAt(x, "IS %s is not supported yet", x.What)
	case *parser.IsDistinct:
		args, err := subs(x.X, x.Y)
		if err != nil {
			return nil, err
		}
		r, err := expr.NewIsDistinct(args[0], args[1], x.Not)
		return r, wrapAt(x, err)
	case *parser.Between:
		args, err := subs(x.X, x.Lo, x.Hi)
		if err != nil {
			return nil, err
		}
		if args[0].Type().Root() == table.RootRow {
			return nil, errAt(x, "%s: ROW values have no order (only = and <> compare them, field by field); compare their fields", x)
		}
		r, err := expr.NewBetween(args[0], args[1], args[2], x.Not, x.Mode == "SYMMETRIC")
		return r, wrapAt(x, err)
	case *parser.InList:
		args, err := subs(append([]parser.Expr{x.X}, x.List...)...)
		if err != nil {
			return nil, err
		}
		if args[0].Type().Root() == table.RootRow {
			r, err := b.bindRowIn(x, args[0], args[1:], x.Not)
			return r, wrapAt(x, err)
		}
		r, err := expr.NewIn(args[0], args[1:], x.Not)
		return r, wrapAt(x, err)
	case *parser.Like:
		if x.Similar {
			return nil, errAt(x, "SIMILAR TO is not supported yet")
		}
		args, err := subs(x.X, x.Pattern)
		if err != nil {
			return nil, err
		}
		var esc rune
		if x.Escape != nil {
			l, ok := x.Escape.(*parser.Literal)
			if !ok || l.Kind != parser.LitString || len([]rune(l.Value)) != 1 {
				return nil, errAt(x.Escape, "ESCAPE takes a string literal of one character")
			}
			esc = []rune(l.Value)[0]
		}
		r, err := expr.NewLike(args[0], args[1], esc, x.Not)
		return r, wrapAt(x, err)
	case *parser.Case:
		var whens []expr.When
		for _, w := range x.Whens {
			cw, err := subs(w.Cond, w.Result)
			if err != nil {
				return nil, err
			}
			whens = append(whens, expr.When{Cond: cw[0], Then: cw[1]})
		}
		var els expr.Expr
		if x.Else != nil {
			ee, err := sub(x.Else)
			if err != nil {
				return nil, err
			}
			els = ee
		}
		if x.Operand != nil {
			op, err := sub(x.Operand)
			if err != nil {
				return nil, err
			}
			if op.Type().Root() == table.RootRow {
				// CASE row WHEN v: the searched CASE of row = v,
				// expanded field by field as every ROW comparison.
				for i := range whens {
					c, err := b.bindCompare(x.Whens[i].Cond, "=", op, whens[i].Cond)
					if err != nil {
						return nil, err
					}
					whens[i].Cond = c
				}
				r, err := expr.NewCase(whens, els)
				return r, wrapAt(x, err)
			}
			r, err := b.reg.NewSimpleCase(op, whens, els)
			return r, wrapAt(x, err)
		}
		r, err := expr.NewCase(whens, els)
		return r, wrapAt(x, err)
	case *parser.Cast:
		args, err := subs(x.X)
		if err != nil {
			return nil, err
		}
		t, err := TypeOf(x.Type)
		if err != nil {
			return nil, err
		}
		r, err := expr.NewCast(args[0], t, x.Try)
		return r, wrapAt(x, err)
	case *parser.Extract:
		args, err := subs(x.X)
		if err != nil {
			return nil, err
		}
		r, err := b.reg.Call("EXTRACT", expr.StrLit(x.Unit), args[0])
		return r, wrapAt(x, err)
	case *parser.FloorCeil:
		args, err := subs(x.X)
		if err != nil {
			return nil, err
		}
		name := x.Func
		if name == "CEILING" {
			name = "CEIL"
		}
		r, err := b.reg.Call(name, args[0], expr.StrLit(x.Unit))
		return r, wrapAt(x, err)
	case *parser.Substring:
		es := []parser.Expr{x.X, x.Start}
		if x.Len != nil {
			es = append(es, x.Len)
		}
		args, err := subs(es...)
		if err != nil {
			return nil, err
		}
		r, err := b.reg.Call("SUBSTRING", args...)
		return r, wrapAt(x, err)
	case *parser.Overlay:
		es := []parser.Expr{x.X, x.With, x.Start}
		if x.Len != nil {
			es = append(es, x.Len)
		}
		args, err := subs(es...)
		if err != nil {
			return nil, err
		}
		r, err := b.reg.Call("OVERLAY", args...)
		return r, wrapAt(x, err)
	case *parser.Trim:
		// TRIM([BOTH|LEADING|TRAILING] [chars] FROM s): the characters of
		// chars (default ' ') removed from the start, the end or both.
		es := []parser.Expr{x.X}
		if x.Chars != nil {
			es = append(es, x.Chars)
		}
		args, err := subs(es...)
		if err != nil {
			return nil, err
		}
		name := map[string]string{"": "TRIM", "BOTH": "TRIM", "LEADING": "LTRIM", "TRAILING": "RTRIM"}[x.Side]
		r, err := b.reg.Call(name, args...)
		return r, wrapAt(x, err)
	case *parser.Position:
		args, err := subs(x.Sub, x.X)
		if err != nil {
			return nil, err
		}
		r, err := b.reg.Call("POSITION", args...)
		return r, wrapAt(x, err)
	case *parser.JSONCall:
		return b.bindJSON(x, sub)
	case *parser.FuncCall:
		if x.Over != nil || x.OverName != nil {
			if c, ok := s.over[x.String()]; ok {
				return c, nil
			}
			return nil, errAt(x, "OVER aggregates are only supported in the select list (of a SELECT without GROUP BY)")
		}
		if b.isAggCall(x) {
			return nil, errAt(x, "aggregate %s is not allowed here", x)
		}
		if len(x.Name.Parts) != 1 {
			return nil, errAt(x, "unknown function %s", x.Name)
		}
		if x.Nulls != "" {
			return nil, errAt(x, "%s NULLS is only supported in ARRAY_AGG, not in %s", x.Nulls, strings.ToUpper(x.Name.Parts[0].Name))
		}
		name := strings.ToUpper(x.Name.Parts[0].Name)
		var args []expr.Expr
		for _, a := range x.Args {
			if u, ok := a.(*parser.TimeUnit); ok {
				args = append(args, expr.StrLit(u.Unit))
				continue
			}
			y, err := sub(a)
			if err != nil {
				return nil, err
			}
			args = append(args, y)
		}
		if len(b.reg.Overloads(name)) == 0 && !specialFuncs[name] {
			msg := fmt.Sprintf("unknown function %s", name)
			if sug := catalog.Closest(name, publicNames(b.reg)); sug != "" {
				msg += fmt.Sprintf("; did you mean %s?", sug)
			}
			return nil, errAt(x, "%s", msg)
		}
		if name == "NULLIF" && len(args) == 2 && args[0].Type().Root() == table.RootRow {
			// NULLIF(r, v) is CASE WHEN r = v THEN NULL ELSE r END
			// (Calcite), its = field by field.
			c, err := b.bindCompare(x, "=", args[0], args[1])
			if err != nil {
				return nil, err
			}
			r, err := expr.NewCase([]expr.When{{Cond: c, Then: expr.NullLit(args[0].Type().AsNullable())}}, args[0])
			return r, wrapAt(x, err)
		}
		r, err := b.reg.Call(name, args...)
		return r, wrapAt(x, err)
	}
	if r, ok, err := b.bindCollection(e, sub); ok { // collection.go
		return r, err
	}
	if s.marks != nil {
		if v, ok, err := s.markValue(e); ok {
			return v, wrapAt(e, err)
		}
	}
	if sq, ok := e.(*parser.Subquery); ok && s.scalars != nil {
		if i, ok := s.scalars[sq]; ok {
			return expr.ColumnRef(i, s.cols[i].name, s.cols[i].t), nil
		}
	}
	switch e.(type) {
	case *parser.Exists, *parser.InQuery, *parser.Subquery:
		return nil, errAt(e, "subqueries are not supported yet here: IN and EXISTS are in WHERE and in the select list of a SELECT without aggregation, scalar subqueries in WHERE, the select list, HAVING and the arguments of aggregate calls")
	}
	return nil, errAt(e, "%T expressions are not supported yet: %s", e, e)
}

// publicNames are the functions a query may call by name (not the
// internal $FIELD, $ITEM, $ARRAY ... of the syntax).
func publicNames(r *expr.Registry) []string {
	var ns []string
	for _, n := range r.Names() {
		if !strings.HasPrefix(n, "$") {
			ns = append(ns, n)
		}
	}
	return ns
}

var specialFuncs = map[string]bool{"COALESCE": true, "IF": true, "AND": true, "OR": true, "NOT": true}

func bindLiteral(x *parser.Literal) (expr.Expr, error) {
	switch x.Kind {
	case parser.LitString:
		return expr.StrLit(x.Value), nil
	case parser.LitBool:
		if x.Value == "UNKNOWN" {
			return expr.NullLit(table.BooleanType()), nil
		}
		return expr.BoolLit(x.Value == "TRUE"), nil
	case parser.LitNull:
		return expr.NullLit(table.NullType()), nil
	}
	v := x.Value
	if strings.ContainsAny(v, "eE") {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, errAt(x, "bad number %s", v)
		}
		return expr.DoubleLit(f), nil
	}
	if strings.Contains(v, ".") {
		d, err := expr.DecLit(v)
		return d, wrapAt(x, err)
	}
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		d, err := expr.DecLit(v)
		return d, wrapAt(x, err)
	}
	if i >= math.MinInt32 && i <= math.MaxInt32 {
		return expr.IntLit(i), nil
	}
	return expr.BigIntLit(i), nil
}

var unitDur = map[string]time.Duration{
	"MILLISECOND": time.Millisecond, "SECOND": time.Second, "MINUTE": time.Minute,
	"HOUR": time.Hour, "DAY": 24 * time.Hour,
}

// intervalForms are the compound interval qualifiers (Calcite's
// SqlIntervalQualifier, which Flink uses): the pattern of the value and the
// unit of each field. The fields after the first are bounded (an hour
// below 24, a minute or second below 60, a month below 12); the last
// SECOND field may have a fraction.
var intervalForms = map[string]struct {
	re     *regexp.Regexp
	units  []string
	format string
}{
	"YEAR TO MONTH":    {regexp.MustCompile(`^(\d+)-(\d+)$`), []string{"YEAR", "MONTH"}, "'y-m'"},
	"DAY TO HOUR":      {regexp.MustCompile(`^(\d+) +(\d+)$`), []string{"DAY", "HOUR"}, "'d h'"},
	"DAY TO MINUTE":    {regexp.MustCompile(`^(\d+) +(\d+):(\d+)$`), []string{"DAY", "HOUR", "MINUTE"}, "'d h:m'"},
	"DAY TO SECOND":    {regexp.MustCompile(`^(\d+) +(\d+):(\d+):(\d+(?:\.\d*)?)$`), []string{"DAY", "HOUR", "MINUTE", "SECOND"}, "'d h:m:s[.fff]'"},
	"HOUR TO MINUTE":   {regexp.MustCompile(`^(\d+):(\d+)$`), []string{"HOUR", "MINUTE"}, "'h:m'"},
	"HOUR TO SECOND":   {regexp.MustCompile(`^(\d+):(\d+):(\d+(?:\.\d*)?)$`), []string{"HOUR", "MINUTE", "SECOND"}, "'h:m:s[.fff]'"},
	"MINUTE TO SECOND": {regexp.MustCompile(`^(\d+):(\d+(?:\.\d*)?)$`), []string{"MINUTE", "SECOND"}, "'m:s[.fff]'"},
}

var fieldLimit = map[string]float64{"MONTH": 12, "HOUR": 24, "MINUTE": 60, "SECOND": 60}

// intervalParts is the value of an interval literal: months of a
// year-month interval (ym: YEAR, MONTH, YEAR TO MONTH; Flink's INTERVAL
// YEAR TO MONTH) or milliseconds of a day-time one (INTERVAL DAY TO
// SECOND(3): a fraction of a millisecond is truncated). The value may
// start with a sign ('-1-6' YEAR TO MONTH); a single day-time unit also
// takes a fraction ('1.5' HOUR, a departure: Calcite wants an integer but
// for SECOND). The leading field's precision is not limited (Calcite's
// default DAY(2) refuses '100' DAY).
func intervalParts(x *parser.IntervalLit) (months, ms int64, ym bool, err error) {
	text := strings.TrimSpace(x.Value)
	neg := x.Negative
	if strings.HasPrefix(text, "-") || strings.HasPrefix(text, "+") {
		neg = neg != (text[0] == '-')
		text = strings.TrimSpace(text[1:])
	}
	qual := x.From
	if x.To != "" {
		qual += " TO " + x.To
	}
	sign := func(n int64) int64 {
		if neg {
			return -n
		}
		return n
	}
	if x.To == "" {
		switch x.From {
		case "YEAR", "MONTH":
			n, err := strconv.ParseInt(text, 10, 32)
			if err != nil || n < 0 {
				return 0, 0, true, errAt(x, "bad interval value '%s' for INTERVAL %s: expected a whole number of %ss", x.Value, qual, strings.ToLower(x.From))
			}
			if x.From == "YEAR" {
				n *= 12
			}
			return sign(n), 0, true, nil
		}
		u, ok := unitDur[x.From]
		if !ok {
			return 0, 0, false, errAt(x, "INTERVAL %s is not supported: expected YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, MILLISECOND or a range such as DAY TO SECOND", qual)
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || f < 0 {
			return 0, 0, false, errAt(x, "bad interval value '%s' for INTERVAL %s: expected a number", x.Value, qual)
		}
		return 0, sign(time.Duration(f * float64(u)).Milliseconds()), false, nil
	}
	form, ok := intervalForms[qual]
	if !ok {
		return 0, 0, false, errAt(x, "INTERVAL %s is not supported: expected YEAR TO MONTH, DAY TO HOUR|MINUTE|SECOND, HOUR TO MINUTE|SECOND or MINUTE TO SECOND", qual)
	}
	m := form.re.FindStringSubmatch(text)
	if m == nil {
		return 0, 0, false, errAt(x, "bad interval value '%s' for INTERVAL %s: expected %s", x.Value, qual, form.format)
	}
	var total float64 // months or milliseconds
	for i, u := range form.units {
		f, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil {
			return 0, 0, false, errAt(x, "bad interval value '%s' for INTERVAL %s: expected %s", x.Value, qual, form.format)
		}
		if lim, ok := fieldLimit[u]; ok && i > 0 && f >= lim {
			return 0, 0, false, errAt(x, "bad interval value '%s' for INTERVAL %s: the %s field must be below %v", x.Value, qual, strings.ToLower(u), lim)
		}
		switch u {
		case "YEAR":
			total += f * 12
		case "MONTH":
			total += f
		default:
			// Whole milliseconds of this field (a fraction of a
			// millisecond is truncated).
			total += math.Trunc(f * float64(unitDur[u]/time.Millisecond))
		}
	}
	if total > math.MaxInt32 && form.units[0] == "YEAR" || total > 1<<62 {
		return 0, 0, false, errAt(x, "interval '%s' %s is out of range", x.Value, qual)
	}
	if form.units[0] == "YEAR" {
		return sign(int64(total)), 0, true, nil
	}
	return 0, sign(int64(total)), false, nil
}

// intervalOf is the fixed duration of an interval literal, for window
// sizes, time bounds and watermark delays: a year-month interval has none.
func intervalOf(x *parser.IntervalLit) (time.Duration, error) {
	_, ms, ym, err := intervalParts(x)
	if err != nil {
		return 0, err
	}
	if ym {
		return 0, errAt(x, "%s has no fixed duration (a month is 28 to 31 days): expected a day-time interval here (DAY, HOUR, MINUTE, SECOND, e.g. INTERVAL '30' DAY)", x)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// TypeOf converts a parsed data type.
func TypeOf(dt *parser.DataType) (table.Type, error) {
	t, err := table.ParseType(dt.String())
	if err != nil {
		return table.Type{}, errAt(dt, "unsupported type %s: %v", dt, err)
	}
	return t, nil
}

// bindJSON binds the SQL/JSON functions (expr's Registry.JSONValue ...).
func (b *binder) bindJSON(x *parser.JSONCall, sub func(parser.Expr) (expr.Expr, error)) (expr.Expr, error) {
	subs := func(es []parser.Expr) ([]expr.Expr, error) {
		out := make([]expr.Expr, len(es))
		for i, e := range es {
			y, err := sub(e)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	}
	kind := func(jb *parser.JSONBehavior) string {
		if jb == nil {
			return ""
		}
		return jb.Kind
	}
	behavior := func(jb *parser.JSONBehavior) (expr.JSONBehavior, error) {
		if jb == nil {
			return expr.JSONBehavior{}, nil
		}
		out := expr.JSONBehavior{Kind: jb.Kind}
		if jb.Default != nil {
			d, err := sub(jb.Default)
			if err != nil {
				return out, err
			}
			out.Default = d
		}
		return out, nil
	}
	switch x.Func {
	case "JSON_VALUE", "JSON_QUERY", "JSON_EXISTS":
		args, err := subs(x.Args)
		if err != nil {
			return nil, err
		}
		switch x.Func {
		case "JSON_VALUE":
			var ret *table.Type
			if x.Returning != nil {
				t, err := TypeOf(x.Returning)
				if err != nil {
					return nil, err
				}
				ret = &t
			}
			onEmpty, err := behavior(x.OnEmpty)
			if err != nil {
				return nil, err
			}
			onError, err := behavior(x.OnError)
			if err != nil {
				return nil, err
			}
			r, err := b.reg.JSONValue(args[0], args[1], ret, onEmpty, onError)
			return r, wrapAt(x, err)
		case "JSON_QUERY":
			if x.Returning != nil {
				t, err := TypeOf(x.Returning)
				if err != nil {
					return nil, err
				}
				if !t.IsString() {
					return nil, errAt(x.Returning, "JSON_QUERY ... RETURNING %s is not supported yet (STRING is)", t)
				}
			}
			r, err := b.reg.JSONQuery(args[0], args[1], x.Wrapper, kind(x.OnEmpty), kind(x.OnError))
			return r, wrapAt(x, err)
		default:
			if x.OnEmpty != nil {
				return nil, errAt(x.OnEmpty, "JSON_EXISTS takes no ON EMPTY clause (only {TRUE|FALSE|UNKNOWN|ERROR} ON ERROR)")
			}
			r, err := b.reg.JSONExists(args[0], args[1], kind(x.OnError))
			return r, wrapAt(x, err)
		}
	case "JSON_OBJECT":
		keys, err := subs(x.Keys)
		if err != nil {
			return nil, err
		}
		vals, err := subs(x.Values)
		if err != nil {
			return nil, err
		}
		r, err := b.reg.JSONObject(x.OnNull, keys, vals)
		return r, wrapAt(x, err)
	case "JSON_ARRAY":
		elems, err := subs(x.Args)
		if err != nil {
			return nil, err
		}
		r, err := b.reg.JSONArray(x.OnNull, elems)
		return r, wrapAt(x, err)
	}
	if b.isAggCall(x) {
		return nil, errAt(x, "aggregate %s is not allowed here", x)
	}
	return nil, errAt(x, "%s is not supported yet", x.Func)
}

// bindJSONAgg binds JSON_OBJECTAGG and JSON_ARRAYAGG as aggregate calls
// (expr.NewJSONAggregate), as bindAggCall does the others.
func (b *binder) bindJSONAgg(x *parser.JSONCall, a *aggCtx) (expr.Expr, error) {
	operands := x.Args
	if x.Func == "JSON_OBJECTAGG" {
		if len(x.Keys) != 1 {
			return nil, errAt(x, "JSON_OBJECTAGG takes one KEY ... VALUE ... pair")
		}
		operands = []parser.Expr{x.Keys[0], x.Values[0]}
	} else if len(operands) != 1 {
		return nil, errAt(x, "JSON_ARRAYAGG takes one argument")
	}
	var args []int
	var types []table.Type
	raw := false
	for _, arg := range operands {
		if b.hasAgg(arg) {
			return nil, errAt(arg, "aggregate calls cannot be nested")
		}
		y, err := b.bind(arg, a.in)
		if err != nil {
			return nil, err
		}
		raw = expr.IsJSONConstructorCall(y)
		args = append(args, a.addPre(y))
		types = append(types, y.Type())
	}
	fn, err := expr.NewJSONAggregate(x.Func, x.OnNull, raw, types)
	if err != nil {
		return nil, errAt(x, "%s: %s", x, strings.TrimPrefix(err.Error(), "expr: "))
	}
	text := x.String()
	for i, c := range a.aggs {
		if c.Text == text {
			slot := a.aggBase + i
			return expr.ColumnRef(slot, text, a.outTypes[slot]), nil
		}
	}
	a.aggs = append(a.aggs, AggCall{F: fn, Args: args, Filter: -1, Text: text})
	a.outTypes = append(a.outTypes, fn.ResultType())
	a.outNames = append(a.outNames, text)
	slot := a.aggBase + len(a.aggs) - 1
	return expr.ColumnRef(slot, text, fn.ResultType()), nil
}

// literalFracDigits is the precision of a TIMESTAMP literal, as Calcite and
// Flink type it: the number of fraction digits written (TIMESTAMP
// '2020-01-01 00:00:00' is TIMESTAMP(0), '... 00:00:00.5' TIMESTAMP(1)),
// at most 9. The fraction is the digits after the '.' that follows the
// seconds (table.ParseTimestamp's yyyy-MM-dd[( |T)HH:mm[:ss[.fraction]]]);
// neither the date nor a zone suffix (Z, ±HH[:mm]) holds a '.', so the
// first '.' is that one, and the digits stop where a zone suffix begins:
// '... 08:00:00.123+08:00' is TIMESTAMP_LTZ(3), not the 0 that counting
// after the offset's ':' gave.
func literalFracDigits(s string) int {
	i := strings.IndexByte(s, '.')
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range s[i+1:] {
		if c < '0' || c > '9' {
			break
		}
		n++
	}
	return min(n, 9)
}
