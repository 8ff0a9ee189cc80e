package expr

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stromio/strom/table"
)

// Program evaluates a compiled expression over one row. A Program holds no
// mutable state: it is safe for concurrent use.
type Program func(row *table.Row) (table.Value, error)

// Env is the evaluation environment of a compiled expression.
type Env struct {
	// Now returns the current time in epoch milliseconds (CURRENT_TIMESTAMP,
	// NOW, CURRENT_DATE, UNIX_TIMESTAMP()); nil: compiling such a call fails.
	Now func() int64
	// Loc is the session time zone (TIMESTAMP_LTZ, FROM_UNIXTIME ...).
	Loc *time.Location
}

// Option configures Compile.
type Option func(*Env)

// WithClock sets the clock of CURRENT_TIMESTAMP and friends: a function
// returning epoch milliseconds (the engine passes its injected clock).
func WithClock(now func() int64) Option { return func(e *Env) { e.Now = now } }

// WithLocation sets the session time zone (default UTC).
func WithLocation(loc *time.Location) Option { return func(e *Env) { e.Loc = loc } }

// EvalError is an error raised while evaluating a row (division by zero, a
// failed CAST ...), with the expression that raised it.
type EvalError struct {
	Expr string
	Err  error
}

func (e *EvalError) Error() string { return "expr: " + e.Expr + ": " + e.Err.Error() }
func (e *EvalError) Unwrap() error { return e.Err }

// ErrDivideByZero is the cause of a division or MOD by zero.
var ErrDivideByZero = errors.New("division by zero")

// newEnv is the environment opts set, over UTC.
func newEnv(opts []Option) *Env {
	env := &Env{Loc: time.UTC}
	for _, o := range opts {
		o(env)
	}
	if env.Loc == nil {
		env.Loc = time.UTC
	}
	return env
}

// Compile compiles e into a Program. Constant subexpressions are evaluated
// once here.
func Compile(e Expr, opts ...Option) (Program, error) {
	env := newEnv(opts)
	c := &compiler{env: env}
	n, err := c.compile(e)
	if err != nil {
		return nil, err
	}
	return n.p, nil
}

// CompilePredicate compiles a BOOLEAN expression into a filter: NULL is
// false, as in WHERE.
func CompilePredicate(e Expr, opts ...Option) (func(row *table.Row) (bool, error), error) {
	if err := requireBool(e, "a predicate"); err != nil {
		return nil, err
	}
	env := newEnv(opts)
	return compilePredicate(e, &compiler{env: env})
}

func compilePredicate(e Expr, c *compiler) (func(row *table.Row) (bool, error), error) {
	compile := func(e Expr) (Program, error) {
		n, err := c.compile(e)
		return n.p, err
	}
	if err := requireBool(e, "a predicate"); err != nil {
		return nil, err
	}
	if f := fastPredicate(e); f != nil {
		return f, nil
	}
	if f := betweenPredicate(e); f != nil {
		return f, nil
	}
	switch x := e.(type) {
	case *Logic:
		if x.Or {
			// A filter keeps the rows where some operand is TRUE: each
			// operand a filter itself (NULL and FALSE alike go on to the
			// next), evaluated in compileLogic's order and stopping where
			// it stops, with its errors; no BOOLEAN values built. (Not AND:
			// after a NULL operand it still evaluates the next.)
			args := cheapFirst(x.Args)
			ps := make([]func(*table.Row) (bool, error), len(args))
			for i, a := range args {
				var err error
				if ps[i], err = compilePredicate(a, c); err != nil {
					return nil, err
				}
			}
			if len(ps) == 2 {
				a, b := ps[0], ps[1]
				return func(row *table.Row) (bool, error) {
					if ok, err := a(row); ok || err != nil {
						return ok, err
					}
					return b(row)
				}, nil
			}
			return func(row *table.Row) (bool, error) {
				for _, p := range ps {
					if ok, err := p(row); ok || err != nil {
						return ok, err
					}
				}
				return false, nil
			}, nil
		}
	case *In:
		// LOWER(x) [NOT] IN ('k1', ...) of a shared match: its index
		// read as the filter's answer, no BOOLEAN built.
		if lx, ok := lowerOf(x.X); ok && c.sh != nil {
			if ks, ok := lowerLiterals(x.List); ok {
				f, ok, err := c.sh.lowerSite(c, lx, ks)
				if err != nil {
					return nil, err
				}
				if ok {
					not := x.Not
					return func(row *table.Row) (bool, error) {
						i, null, err := f(row)
						return err == nil && !null && (i >= 0) != not, err
					}, nil
				}
			}
		}
	case *IsNull:
		p, err := compile(x.X)
		if err != nil {
			return nil, err
		}
		not := x.Not
		return func(row *table.Row) (bool, error) {
			v, err := p(row)
			return err == nil && v.IsNull() != not, err
		}, nil
	}
	p, err := compile(e)
	if err != nil {
		return nil, err
	}
	return func(row *table.Row) (bool, error) {
		v, err := p(row)
		return v.AsBool(), err
	}, nil
}

type compiler struct {
	env *Env
	sh  *Shared // the expressions compiled together (shared.go), or nil
	// noRange: no fused integer ranges (tests: the generic AND).
	noRange bool
	// noColConst: no fused two-argument calls of a column and a
	// constant (tests: the generic call).
	noColConst bool
	// noIntMod: no fused MOD(col, d) (fastIntMod; tests: the generic
	// call and cast).
	noIntMod bool
	// noXTest: no fused tests of one operand (xtest.go; tests: the
	// generic AND/OR and CASE).
	noXTest bool
}

type node struct {
	p        Program
	constant bool
	v        table.Value // the value when constant
	// icmp: p is an integer comparison of a column with a constant
	// (fastCompare), for compileLogic's fused range (fastIntRange).
	icmp *intCmp
	// intSrc: p is a cast of an integer to a DECIMAL(p >= 19, 0) (which
	// never fails: the value is the integer's), and intSrc the integer's
	// program, for fastDecimalMul.
	intSrc Program
	// imod: p is fastIntMod's MOD(col, d), whose results a widening
	// integer cast leaves as they are (compileCast).
	imod bool
	// xt: p tests one operand against constants (xtest.go), for the
	// fused AND/OR and CASE of such tests.
	xt *xTest
}

func constNode(v table.Value) node {
	return node{p: func(*table.Row) (table.Value, error) { return v, nil }, constant: true, v: v}
}

// fold evaluates a node whose children are all constant.
func fold(n node) node {
	v, err := n.p(nil)
	if err != nil {
		return n // raise it per row, where it is reached
	}
	return constNode(v)
}

func wrapErr(e Expr, err error) error {
	var ee *EvalError
	if errors.As(err, &ee) {
		return err
	}
	return &EvalError{Expr: e.String(), Err: err}
}

func (c *compiler) compileAll(es []Expr) ([]node, bool, error) {
	ns := make([]node, len(es))
	all := true
	for i, e := range es {
		n, err := c.compile(e)
		if err != nil {
			return nil, false, err
		}
		ns[i] = n
		all = all && n.constant
	}
	return ns, all, nil
}

func (c *compiler) compile(e Expr) (node, error) {
	if c.sh != nil {
		if n, ok, err := c.sh.reuse(c, e); ok {
			return n, err
		}
	}
	return c.compileNode(e)
}

// compileNode compiles e itself (compile: through the shared values).
func (c *compiler) compileNode(e Expr) (node, error) {
	switch e := e.(type) {
	case *Column:
		idx := e.Index
		if idx < 0 {
			return node{}, typeErr(e.String(), "negative column index")
		}
		return node{p: func(r *table.Row) (table.Value, error) {
			if idx >= len(r.Fields) {
				return table.Null, fmt.Errorf("expr: column %d of a row of %d fields", idx, len(r.Fields))
			}
			return r.Fields[idx], nil
		}}, nil
	case *Literal:
		return constNode(e.V), nil
	case *Cast:
		return c.compileCast(e)
	case *Call:
		return c.compileCall(e)
	case *Case:
		return c.compileCase(e)
	case *Coalesce:
		ns, all, err := c.compileAll(e.Args)
		if err != nil {
			return node{}, err
		}
		n := node{p: func(r *table.Row) (table.Value, error) {
			for _, a := range ns {
				v, err := a.p(r)
				if err != nil || !v.IsNull() {
					return v, err
				}
			}
			return table.Null, nil
		}}
		if all {
			n = fold(n)
		}
		return n, nil
	case *IsNull:
		x, err := c.compile(e.X)
		if err != nil {
			return node{}, err
		}
		not := e.Not
		n := node{p: func(r *table.Row) (table.Value, error) {
			v, err := x.p(r)
			return table.Bool(v.IsNull() != not), err
		}}
		if x.constant {
			n = fold(n)
		}
		return n, nil
	case *IsBool:
		x, err := c.compile(e.X)
		if err != nil {
			return node{}, err
		}
		want, not := e.Want, e.Not
		n := node{p: func(r *table.Row) (table.Value, error) {
			v, err := x.p(r)
			is := !v.IsNull() && v.AsBool() == want
			return table.Bool(is != not), err
		}}
		if x.constant {
			n = fold(n)
		}
		return n, nil
	case *Not:
		x, err := c.compile(e.X)
		if err != nil {
			return node{}, err
		}
		n := node{p: func(r *table.Row) (table.Value, error) {
			v, err := x.p(r)
			if err != nil || v.IsNull() {
				return table.Null, err
			}
			return table.Bool(!v.AsBool()), nil
		}}
		if x.constant {
			n = fold(n)
		}
		return n, nil
	case *Logic:
		return c.compileLogic(e)
	case *In:
		return c.compileIn(e)
	case *Between:
		return c.compileBetween(e)
	case *IsDistinct:
		ns, all, err := c.compileAll([]Expr{e.X, e.Y})
		if err != nil {
			return node{}, err
		}
		x, y, not := ns[0], ns[1], e.Not
		n := node{p: func(r *table.Row) (table.Value, error) {
			a, err := x.p(r)
			if err != nil {
				return table.Null, err
			}
			b, err := y.p(r)
			if err != nil {
				return table.Null, err
			}
			return table.Bool(distinct(a, b) != not), nil
		}}
		if all {
			n = fold(n)
		}
		return n, nil
	case *Like:
		return c.compileLike(e)
	}
	return node{}, fmt.Errorf("expr: cannot compile %T", e)
}

func (c *compiler) compileLogic(e *Logic) (node, error) {
	ns, all, err := c.compileAll(cheapFirst(e.Args))
	if err != nil {
		return node{}, err
	}
	// AND: FALSE if any is FALSE, else NULL if any is NULL, else TRUE; OR
	// dually. Operands are evaluated left to right and the first decisive
	// one stops the evaluation.
	decisive := e.Or
	var n node
	if len(ns) == 2 {
		a, b := ns[0].p, ns[1].p
		n = node{p: func(r *table.Row) (table.Value, error) {
			x, err := a(r)
			if err != nil {
				return table.Null, err
			}
			if !x.IsNull() && x.AsBool() == decisive {
				return x, nil
			}
			y, err := b(r)
			if err != nil {
				return table.Null, err
			}
			if !y.IsNull() && y.AsBool() == decisive {
				return y, nil
			}
			if x.IsNull() || y.IsNull() {
				return table.Null, nil
			}
			return table.Bool(!decisive), nil
		}}
	} else {
		n = node{p: func(r *table.Row) (table.Value, error) {
			sawNull := false
			for _, a := range ns {
				v, err := a.p(r)
				if err != nil {
					return table.Null, err
				}
				if v.IsNull() {
					sawNull = true
				} else if v.AsBool() == decisive {
					return v, nil
				}
			}
			if sawNull {
				return table.Null, nil
			}
			return table.Bool(!decisive), nil
		}}
	}
	if all {
		n = fold(n)
	} else {
		xn, ok := logicXTest(e.Or, ns)
		if p := fastIntRange(e.Or || c.noRange, ns, n.p); p != nil {
			n = node{p: p, xt: xn.xt}
		} else if ok {
			n = xn
		}
	}
	return n, nil
}

func (c *compiler) compileCase(e *Case) (node, error) {
	conds := make([]node, len(e.Whens))
	thens := make([]node, len(e.Whens))
	all := true
	for i, w := range e.Whens {
		var err error
		if conds[i], err = c.compile(w.Cond); err != nil {
			return node{}, err
		}
		if thens[i], err = c.compile(w.Then); err != nil {
			return node{}, err
		}
		all = all && conds[i].constant && thens[i].constant
	}
	els, err := c.compile(e.Else)
	if err != nil {
		return node{}, err
	}
	if p := fastCase(e, conds, thens, els); p != nil {
		return node{p: p}, nil
	}
	if !all {
		p, err := c.lowerCase(e, thens, els)
		if err != nil {
			return node{}, err
		}
		if p != nil {
			return node{p: p}, nil
		}
	}
	if !all && !c.noXTest {
		if p := caseXTest(conds, thens, els); p != nil {
			return node{p: p}, nil
		}
	}
	n := node{p: func(r *table.Row) (table.Value, error) {
		for i := range conds {
			v, err := conds[i].p(r)
			if err != nil {
				return table.Null, err
			}
			if v.AsBool() {
				return thens[i].p(r)
			}
		}
		return els.p(r)
	}}
	if all && els.constant {
		n = fold(n)
	}
	return n, nil
}

// sqlCompare compares two non-NULL values of one (common) type: ok is false
// when a float operand is NaN (every comparison but <> is then FALSE, as
// Java's operators in Flink's generated code).
func sqlCompare(a, b table.Value) (c int, ok bool) {
	switch a.Kind() {
	case table.KindInt:
		if b.Kind() == table.KindInt {
			x, y := a.AsInt(), b.AsInt()
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	case table.KindFloat:
		x, y := a.AsFloat(), b.AsFloat()
		switch {
		case math.IsNaN(x) || math.IsNaN(y):
			return 0, false
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	if b.Kind() == table.KindFloat && math.IsNaN(b.AsFloat()) {
		return 0, false
	}
	return table.Compare(a, b), true
}

// distinct is IS DISTINCT FROM of two values of one type: NULL is not
// distinct from NULL, and values are distinct unless they compare equal
// (a NaN is distinct from everything, as it is not = to anything).
func distinct(a, b table.Value) bool {
	if a.IsNull() || b.IsNull() {
		return a.IsNull() != b.IsNull()
	}
	c, ok := sqlCompare(a, b)
	return !ok || c != 0
}

func (c *compiler) compileIn(e *In) (node, error) {
	x, err := c.compile(e.X)
	if err != nil {
		return node{}, err
	}
	list, all, err := c.compileAll(e.List)
	if err != nil {
		return node{}, err
	}
	not := e.Not
	if lx, ok := lowerOf(e.X); ok && all && !x.constant {
		p, err := c.fastLowerIn(lx, lowerConsts(e.List, list), not)
		if err != nil {
			return node{}, err
		}
		if p != nil {
			return node{p: p}, nil
		}
	}
	// A constant list without NULLs and NaNs becomes a hash set.
	var set map[uint64][]table.Value
	if all {
		set = map[uint64][]table.Value{}
		for _, l := range list {
			v := l.v
			if v.IsNull() || (v.Kind() == table.KindFloat && math.IsNaN(v.AsFloat())) {
				set = nil
				break
			}
			h := v.Hash()
			set[h] = append(set[h], v)
		}
	}
	result := func(found, sawNull bool) table.Value {
		switch {
		case found:
			return table.Bool(!not)
		case sawNull:
			return table.Null
		}
		return table.Bool(not)
	}
	var n node
	if set != nil && len(list) > 4 {
		n = node{p: func(r *table.Row) (table.Value, error) {
			v, err := x.p(r)
			if err != nil || v.IsNull() {
				return table.Null, err
			}
			for _, w := range set[v.Hash()] {
				if c, ok := sqlCompare(v, w); ok && c == 0 {
					return result(true, false), nil
				}
			}
			return result(false, false), nil
		}}
	} else {
		n = node{p: func(r *table.Row) (table.Value, error) {
			v, err := x.p(r)
			if err != nil || v.IsNull() {
				return table.Null, err
			}
			sawNull := false
			for _, l := range list {
				w, err := l.p(r)
				if err != nil {
					return table.Null, err
				}
				if w.IsNull() {
					sawNull = true
					continue
				}
				if c, ok := sqlCompare(v, w); ok && c == 0 {
					return result(true, false), nil
				}
			}
			return result(false, sawNull), nil
		}}
	}
	if all && x.constant {
		n = fold(n)
	}
	return n, nil
}

// cmp3 is a three-valued comparison result: NULL, FALSE or TRUE.
func cmp3(a, b table.Value, test func(int) bool) table.Value {
	if a.IsNull() || b.IsNull() {
		return table.Null
	}
	c, ok := sqlCompare(a, b)
	return table.Bool(ok && test(c))
}

func and3(x, y table.Value) table.Value {
	if (!x.IsNull() && !x.AsBool()) || (!y.IsNull() && !y.AsBool()) {
		return table.Bool(false)
	}
	if x.IsNull() || y.IsNull() {
		return table.Null
	}
	return table.Bool(true)
}

func or3(x, y table.Value) table.Value {
	if x.AsBool() || y.AsBool() {
		return table.Bool(true)
	}
	if x.IsNull() || y.IsNull() {
		return table.Null
	}
	return table.Bool(false)
}

func not3(x table.Value) table.Value {
	if x.IsNull() {
		return x
	}
	return table.Bool(!x.AsBool())
}

func (c *compiler) compileBetween(e *Between) (node, error) {
	ns, all, err := c.compileAll([]Expr{e.X, e.Lo, e.Hi})
	if err != nil {
		return node{}, err
	}
	x, lo, hi := ns[0].p, ns[1].p, ns[2].p
	not, sym := e.Not, e.Symmetric
	ge := func(c int) bool { return c >= 0 }
	le := func(c int) bool { return c <= 0 }
	n := node{p: func(r *table.Row) (table.Value, error) {
		v, err := x(r)
		if err != nil {
			return table.Null, err
		}
		l, err := lo(r)
		if err != nil {
			return table.Null, err
		}
		h, err := hi(r)
		if err != nil {
			return table.Null, err
		}
		// x BETWEEN a AND b is x >= a AND x <= b; SYMMETRIC is that OR
		// x >= b AND x <= a.
		res := and3(cmp3(v, l, ge), cmp3(v, h, le))
		if sym {
			res = or3(res, and3(cmp3(v, h, ge), cmp3(v, l, le)))
		}
		if not {
			res = not3(res)
		}
		return res, nil
	}}
	if all {
		n = fold(n)
	}
	return n, nil
}

// likeMatcher matches one LIKE pattern.
type likeMatcher func(s string) bool

// likeAnyChar is '_' of LIKE: Java's '.' without DOTALL, as Flink's
// SqlLikeUtils.sqlToRegexLike makes it: any character but a line
// terminator.
const likeAnyChar = `[^\n\r\x{85}\x{2028}\x{2029}]`

// compileLikePattern turns a LIKE pattern into a matcher: fast paths for
// 'abc', 'abc%', '%abc', '%abc%' and '%' without escapes or '_', else a
// regular expression over the whole string ((?s): '%' matches line breaks
// too, '_' does not, as in Flink).
func compileLikePattern(p string, escape rune) (likeMatcher, error) {
	if escape == 0 && !strings.ContainsRune(p, '_') {
		inner := strings.Trim(p, "%")
		if !strings.ContainsRune(inner, '%') {
			pre, suf := strings.HasPrefix(p, "%"), strings.HasSuffix(p, "%") && len(p) > 0
			if p == "%" || p == "%%" {
				return func(string) bool { return true }, nil
			}
			switch {
			case pre && suf:
				return func(s string) bool { return strings.Contains(s, inner) }, nil
			case suf:
				return func(s string) bool { return strings.HasPrefix(s, inner) }, nil
			case pre:
				return func(s string) bool { return strings.HasSuffix(s, inner) }, nil
			default:
				return func(s string) bool { return s == inner }, nil
			}
		}
	}
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case escape != 0 && r == escape:
			if i+1 >= len(rs) {
				return nil, fmt.Errorf("LIKE pattern %q ends with the escape character", p)
			}
			i++
			if rs[i] != '%' && rs[i] != '_' && rs[i] != escape {
				return nil, fmt.Errorf("LIKE pattern %q: invalid escape sequence", p)
			}
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(likeAnyChar)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, err
	}
	return re.MatchString, nil
}

func (c *compiler) compileLike(e *Like) (node, error) {
	x, err := c.compile(e.X)
	if err != nil {
		return node{}, err
	}
	pat, err := c.compile(e.Pattern)
	if err != nil {
		return node{}, err
	}
	not, esc := e.Not, e.Escape
	if pat.constant {
		if pat.v.IsNull() {
			return constNode(table.Null), nil
		}
		m, err := compileLikePattern(pat.v.AsString(), esc)
		if err != nil {
			return node{}, typeErr(e.String(), "%v", err)
		}
		n := node{p: func(r *table.Row) (table.Value, error) {
			v, err := x.p(r)
			if err != nil || v.IsNull() {
				return table.Null, err
			}
			return table.Bool(m(v.AsString()) != not), nil
		}}
		if x.constant {
			n = fold(n)
		}
		return n, nil
	}
	return node{p: func(r *table.Row) (table.Value, error) {
		v, err := x.p(r)
		if err != nil || v.IsNull() {
			return table.Null, err
		}
		pv, err := pat.p(r)
		if err != nil || pv.IsNull() {
			return table.Null, err
		}
		m, err := compileLikePattern(pv.AsString(), esc)
		if err != nil {
			return table.Null, wrapErr(e, err)
		}
		return table.Bool(m(v.AsString()) != not), nil
	}}, nil
}

// colConst is the column index of x when a two-argument call of x and y
// may read x straight from the row and pass y as it is: x a column
// reference, or an identity cast of one (compileCast's node of it is the
// column's: q14's count_char(extra, 'c'), its VARCHAR widened to the
// function's STRING), y a constant (not NULL when the call is strict: the
// generic path then returns NULL without a call); else -1.
func colConst(x Expr, y node, strict bool) int {
	if !y.constant || (strict && y.v.IsNull()) {
		return -1
	}
	return identityColumn(x) // shared.go
}

func (c *compiler) compileCall(e *Call) (node, error) {
	args, all, err := c.compileAll(e.Args)
	if err != nil {
		return node{}, err
	}
	params := make([]table.Type, len(e.Args))
	consts := make([]*table.Value, len(e.Args))
	for i, a := range e.Args {
		params[i] = a.Type()
		if args[i].constant {
			v := args[i].v
			consts[i] = &v
		}
	}
	o := e.Overload
	f, err := o.Impl(&Bound{Name: e.Name, Params: params, Result: e.T, Consts: consts, Env: c.env})
	if err != nil {
		return node{}, typeErr(e.String(), "%v", err)
	}
	strict := !o.NonStrict
	if e.Name == "=" && len(args) == 2 && !o.UserDefined {
		for j := range 2 {
			if x, ok := lowerOf(e.Args[j]); ok {
				p, err := c.fastLowerIn(x, lowerConsts(e.Args[1-j:2-j], args[1-j:2-j]), false)
				if err != nil {
					return node{}, err
				}
				if p != nil {
					return node{p: p}, nil
				}
			}
		}
	}
	if p := fastCompare(e, args); p != nil {
		return node{p: p, icmp: intCmpOf(e, args), xt: c.cmpXTest(e, args)}, nil
	}
	if p := fastDecimalCompare(e, args); p != nil {
		return node{p: p, xt: c.cmpXTest(e, args)}, nil
	}
	if !c.noIntMod && !all {
		if p := fastIntMod(e, args); p != nil {
			return node{p: p, imod: true}, nil
		}
	}
	var p Program
	// Errors of the function are wrapped with the call's text (once: an
	// argument's EvalError passes through).
	ret := func(v table.Value, err error) (table.Value, error) {
		if err != nil {
			return table.Null, wrapErr(e, err)
		}
		return v, nil
	}
	switch {
	case f.F0 != nil:
		g := f.F0
		p = func(*table.Row) (table.Value, error) { return ret(g()) }
	case f.F1 != nil && len(args) == 1:
		g, a := f.F1, args[0].p
		p = func(r *table.Row) (table.Value, error) {
			x, err := a(r)
			if err != nil || (strict && x.IsNull()) {
				return table.Null, err
			}
			v, err := g(x)
			if err != nil {
				return ret(v, err)
			}
			return v, nil
		}
	case f.F2 != nil && len(args) == 2 && !c.noColConst && colConst(e.Args[0], args[1], strict) >= 0:
		// A column and a constant (DATE_FORMAT(dateTime, 'yyyy-MM-dd')):
		// the column read and the constant in line, no argument
		// programs called.
		g, a, i, y := f.F2, args[0].p, colConst(e.Args[0], args[1], strict), args[1].v
		p = func(r *table.Row) (table.Value, error) {
			if i >= len(r.Fields) {
				return a(r) // the column's error
			}
			x := r.Fields[i]
			if strict && x.IsNull() {
				return table.Null, nil
			}
			v, err := g(x, y)
			if err != nil {
				return ret(v, err)
			}
			return v, nil
		}
	case f.F2 != nil && len(args) == 2:
		g, a, b := f.F2, args[0].p, args[1].p
		p = func(r *table.Row) (table.Value, error) {
			x, err := a(r)
			if err != nil || (strict && x.IsNull()) {
				return table.Null, err
			}
			y, err := b(r)
			if err != nil || (strict && y.IsNull()) {
				return table.Null, err
			}
			v, err := g(x, y)
			if err != nil {
				return ret(v, err)
			}
			return v, nil
		}
	case f.Lazy != nil:
		g := f.Lazy
		ps := make([]Program, len(args))
		for i := range args {
			ps[i] = args[i].p
		}
		p = func(r *table.Row) (table.Value, error) {
			v, err := g(r, ps)
			if err != nil {
				return ret(v, err)
			}
			return v, nil
		}
	case f.FN != nil:
		g := f.FN
		ps := make([]Program, len(args))
		for i := range args {
			ps[i] = args[i].p
		}
		p = func(r *table.Row) (table.Value, error) {
			vs := make([]table.Value, len(ps))
			for i, a := range ps {
				v, err := a(r)
				if err != nil || (strict && v.IsNull()) {
					return table.Null, err
				}
				vs[i] = v
			}
			return ret(g(vs))
		}
	default:
		return node{}, typeErr(e.String(), "overload %s has no evaluator for %d arguments", o.Sig, len(args))
	}
	if fp := fastDecimalMul(e, args, p); fp != nil && !all {
		p = fp
	}
	n := node{p: p}
	if all && !o.Volatile {
		n = fold(n)
	}
	return n, nil
}

func (c *compiler) compileCast(e *Cast) (node, error) {
	x, err := c.compile(e.X)
	if err != nil {
		return node{}, err
	}
	f, err := castFunc(e.X.Type(), e.T, c.env)
	if err != nil {
		return node{}, typeErr(e.String(), "%v", err)
	}
	if identityCast(e.X.Type(), e.T) {
		// The value itself (castFunc's identity): no node of its own,
		// so a widening cast (Nexmark's VARCHAR(1) columns used as
		// STRING) costs nothing per row.
		return x, nil
	}
	try := e.Try
	if x.imod && !try && e.X.Type().IsInteger() && e.T.IsInteger() && e.X.Type().Root() <= e.T.Root() {
		// MOD(col, d) widened (Nexmark q13's lookup key
		// CAST(MOD(auction, 10000) AS BIGINT)): its results fit its type,
		// which the wider one keeps as they are.
		return x, nil
	}
	n := node{p: func(r *table.Row) (table.Value, error) {
		v, err := x.p(r)
		if err != nil || v.IsNull() {
			return table.Null, err
		}
		out, err := f(v)
		if err != nil {
			if try {
				return table.Null, nil
			}
			return table.Null, wrapErr(e, err)
		}
		return out, nil
	}}
	if x.constant {
		n = fold(n)
	} else if e.X.Type().IsInteger() && !try && e.T.Root() == table.RootDecimal && e.T.Scale() == 0 && e.T.Precision() >= 19 {
		n.intSrc = x.p
	}
	return n, nil
}

// truncRunes returns the first n code points of s.
func truncRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}
