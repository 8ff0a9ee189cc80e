package expr

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/stromio/strom/table"
)

// Specialised evaluators of the hottest shapes (no generic dispatch per
// row): comparisons of integer operands where one side is a column and the
// other a constant or a column, and column reads without the closure of
// a Column node. Semantics are those of the generic path (NULL in, NULL
// out; integers compare as int64).

const (
	cmpEq = iota
	cmpNe
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

var cmpOps = map[string]int{"=": cmpEq, "<>": cmpNe, "<": cmpLt, "<=": cmpLe, ">": cmpGt, ">=": cmpGe}

// flipCmp is the operator of b op a for a op b.
var flipCmp = [...]int{cmpEq, cmpNe, cmpGt, cmpGe, cmpLt, cmpLe}

func cmpInt(op int, a, b int64) bool {
	switch op {
	case cmpEq:
		return a == b
	case cmpNe:
		return a != b
	case cmpLt:
		return a < b
	case cmpLe:
		return a <= b
	case cmpGt:
		return a > b
	}
	return a >= b
}

// fastCompare returns the evaluator of an integer comparison with a
// constant or between two columns, or nil.
func fastCompare(e *Call, args []node) Program {
	op, ok := cmpOps[e.Name]
	if !ok || len(args) != 2 || e.Overload == nil || e.Overload.NonStrict ||
		!e.Args[0].Type().IsInteger() || !e.Args[1].Type().IsInteger() {
		return nil
	}
	x, y := args[0], args[1]
	xe, ye := e.Args[0], e.Args[1]
	if x.constant && !y.constant {
		x, y, xe, ye, op = y, x, ye, xe, flipCmp[op]
	}
	col := func(ex Expr) int {
		if c, ok := ex.(*Column); ok && c.Index >= 0 {
			return c.Index
		}
		return -1
	}
	switch {
	case y.constant && !x.constant:
		if y.v.IsNull() {
			return nil
		}
		k := y.v.AsInt()
		if i, d, ok := intColumnMod(xe); ok {
			// MOD(col, d) op k (Nexmark q2's MOD(auction, 123) = 0):
			// Go's % is Java's (the sign of the dividend; MinInt64 % -1
			// is 0), and |col % d| < |d| fits the result type.
			return func(r *table.Row) (table.Value, error) {
				if i >= len(r.Fields) {
					return x.p(r) // the generic path's error
				}
				v := r.Fields[i]
				if v.IsNull() {
					return table.Null, nil
				}
				return table.Bool(cmpInt(op, v.AsInt()%d, k)), nil
			}
		}
		if i := col(xe); i >= 0 {
			return func(r *table.Row) (table.Value, error) {
				if i >= len(r.Fields) {
					return x.p(r) // the generic path's error
				}
				v := r.Fields[i]
				if v.IsNull() {
					return table.Null, nil
				}
				return table.Bool(cmpInt(op, v.AsInt(), k)), nil
			}
		}
		xp := x.p
		return func(r *table.Row) (table.Value, error) {
			v, err := xp(r)
			if err != nil || v.IsNull() {
				return table.Null, err
			}
			return table.Bool(cmpInt(op, v.AsInt(), k)), nil
		}
	case col(xe) >= 0 && col(ye) >= 0:
		i, j := col(xe), col(ye)
		return func(r *table.Row) (table.Value, error) {
			if i >= len(r.Fields) || j >= len(r.Fields) {
				if _, err := x.p(r); err != nil {
					return table.Null, err
				}
				return y.p(r)
			}
			a, b := r.Fields[i], r.Fields[j]
			if a.IsNull() || b.IsNull() {
				return table.Null, nil
			}
			return table.Bool(cmpInt(op, a.AsInt(), b.AsInt())), nil
		}
	}
	return nil
}

// intCmp is an integer comparison of column col with the constant k,
// col op k.
type intCmp struct {
	col, op int
	k       int64
}

// intCmpOf is e's comparison when fastCompare compiles it as one of a
// column with a non-NULL constant (either side), else nil.
func intCmpOf(e *Call, args []node) *intCmp {
	op, ok := cmpOps[e.Name]
	if !ok || len(args) != 2 || e.Overload == nil || e.Overload.NonStrict ||
		!e.Args[0].Type().IsInteger() || !e.Args[1].Type().IsInteger() {
		return nil
	}
	xe, y := e.Args[0], args[1]
	if args[0].constant && !y.constant {
		xe, y, op = e.Args[1], args[0], flipCmp[op]
	}
	c, ok := xe.(*Column)
	if !ok || c.Index < 0 || !y.constant || y.v.IsNull() {
		return nil
	}
	return &intCmp{col: c.Index, op: op, k: y.v.AsInt()}
}

// fastIntRange is an AND of two integer comparisons of one column with
// constants (q17's FILTER (WHERE price >= 10000 AND price < 1000000)) in
// one step: NULL when the column is NULL (both comparisons are), else
// both comparisons' AND, as the generic AND gives it (comparisons of a
// column cannot fail). generic: the generic program, for a row too short
// for the column (its error). nil for other shapes and for OR.
func fastIntRange(or bool, ns []node, generic Program) Program {
	if or || len(ns) != 2 || ns[0].icmp == nil || ns[1].icmp == nil || ns[0].icmp.col != ns[1].icmp.col {
		return nil
	}
	a, b := *ns[0].icmp, *ns[1].icmp
	i := a.col
	return func(r *table.Row) (table.Value, error) {
		if i >= len(r.Fields) {
			return generic(r)
		}
		v := r.Fields[i]
		if v.IsNull() {
			return table.Null, nil
		}
		x := v.AsInt()
		return table.Bool(cmpInt(a.op, x, a.k) && cmpInt(b.op, x, b.k)), nil
	}
}

// Mergeable reports whether f is a built-in aggregate whose Merge of
// partial accumulators gives exactly the accumulator of adding their rows
// one by one (COUNT, MIN, MAX, and SUM/AVG/VAR_POP/... of exact types; not of
// FLOAT/DOUBLE, whose sums depend on the order of additions): window
// aggregations may then keep one accumulator per slice.
func Mergeable(f AggregateFunc) bool {
	switch a := f.(type) {
	case *countAgg, *minMaxAgg:
		return true
	case *sumAgg:
		r := a.sumT.Root()
		return r != table.RootFloat && r != table.RootDouble
	case *varianceAgg: // sums of squares of integers (wrapping) or DECIMALs
		return a.sumT.Root() != table.RootDouble
	}
	return false
}

// fastCase returns the evaluator of CASE WHEN c = k1 THEN a WHEN c = k2
// THEN b ... ELSE e END over one integer column c and non-NULL constants
// (a computed event time picked by a type tag, as in the Nexmark DDL):
// the column is read once, and branches that are columns are read, not
// called. nil when e has another shape.
func fastCase(e *Case, conds, thens []node, els node) Program {
	col := -1
	ks := make([]int64, len(e.Whens))
	for i, w := range e.Whens {
		if conds[i].constant {
			return nil
		}
		x, k, ok := intColumnEquals(w.Cond)
		if !ok || (col >= 0 && x != col) {
			return nil
		}
		col, ks[i] = x, k
	}
	if col < 0 {
		return nil
	}
	// Branch values: a column index, or -1 and a program.
	n := len(thens) + 1
	idx := make([]int, n)
	progs := make([]Program, n)
	for i, b := range append(append([]node(nil), thens...), els) {
		idx[i] = -1
		progs[i] = b.p
		bx := e.Else
		if i < len(thens) {
			bx = e.Whens[i].Then
		}
		if c, ok := bx.(*Column); ok && c.Index >= 0 {
			idx[i] = c.Index
		}
	}
	return func(r *table.Row) (table.Value, error) {
		if col >= len(r.Fields) {
			return conds[0].p(r) // the generic path's error
		}
		b := len(ks) // ELSE
		if v := r.Fields[col]; !v.IsNull() {
			k := v.AsInt()
			for i, x := range ks {
				if x == k {
					b = i
					break
				}
			}
		}
		if i := idx[b]; i >= 0 && i < len(r.Fields) {
			return r.Fields[i], nil
		}
		return progs[b](r)
	}
}

// ColumnPicker returns, for a column or a CASE whose conditions compare
// one integer column with non-NULL integer constants and whose branches
// are all columns (a computed event time picked by a type tag), a
// function reading the value from a row's fields without the call of a
// Program (whose row pointer would be allocated per row); nil for other
// shapes. A field index beyond the row reads NULL.
func ColumnPicker(e Expr) func(fs []table.Value) table.Value {
	field := func(fs []table.Value, i int) table.Value {
		if i < len(fs) {
			return fs[i]
		}
		return table.Null
	}
	if c, ok := e.(*Column); ok && c.Index >= 0 {
		i := c.Index
		return func(fs []table.Value) table.Value { return field(fs, i) }
	}
	cs, ok := e.(*Case)
	if !ok {
		return nil
	}
	tag := -1
	var ks []int64
	var idx []int
	for _, w := range append(append([]When(nil), cs.Whens...), When{Then: cs.Else}) {
		t, ok := w.Then.(*Column)
		if !ok || t.Index < 0 {
			return nil
		}
		idx = append(idx, t.Index)
		if w.Cond == nil {
			break // ELSE
		}
		x, k, ok := intColumnEquals(w.Cond)
		if !ok || (tag >= 0 && x != tag) {
			return nil
		}
		tag = x
		ks = append(ks, k)
	}
	if tag < 0 {
		return nil
	}
	return func(fs []table.Value) table.Value {
		b := len(ks) // ELSE
		if v := field(fs, tag); !v.IsNull() {
			k := v.AsInt()
			for i, x := range ks {
				if x == k {
					b = i
					break
				}
			}
		}
		return field(fs, idx[b])
	}
}

// intColumnEquals recognises `col = k` (either order) with an integer
// column and a non-NULL integer literal: the column's index and k.
func intColumnEquals(e Expr) (col int, k int64, ok bool) {
	c, ok := e.(*Call)
	if !ok || c.Name != "=" || len(c.Args) != 2 {
		return 0, 0, false
	}
	x, ok1 := c.Args[0].(*Column)
	l, ok2 := c.Args[1].(*Literal)
	if !ok1 || !ok2 {
		x, ok1 = c.Args[1].(*Column)
		l, ok2 = c.Args[0].(*Literal)
	}
	if !ok1 || !ok2 || l.V.IsNull() || x.Index < 0 || !x.T.IsInteger() || !l.T.IsInteger() {
		return 0, 0, false
	}
	return x.Index, l.V.AsInt(), true
}

// intColumnMod recognises MOD(col, d) (or col % d) of an integer column
// and a non-NULL, non-zero integer literal of the same type: the column's
// index and d.
func intColumnMod(e Expr) (col int, d int64, ok bool) {
	m, isCall := e.(*Call)
	if !isCall || (m.Name != "MOD" && m.Name != "%") || len(m.Args) != 2 || m.Overload == nil || m.Overload.NonStrict {
		return 0, 0, false
	}
	c, ok1 := m.Args[0].(*Column)
	a := m.Args[1]
	if cst, ok := a.(*Cast); ok && !cst.Try && cst.T.IsInteger() && cst.X.Type().IsInteger() &&
		cst.X.Type().Root() <= cst.T.Root() { // TINYINT < SMALLINT < INT < BIGINT: widening
		// An INT literal widened to the column's BIGINT (q2's
		// MOD(auction, 123)): the same value.
		a = cst.X
	}
	l, ok2 := a.(*Literal)
	if !ok1 || !ok2 || c.Index < 0 || l.V.IsNull() || !c.Type().IsInteger() || !l.Type().IsInteger() ||
		!m.Args[1].Type().EqualIgnoringNull(c.Type()) || l.V.AsInt() == 0 {
		return 0, 0, false
	}
	// The result has the divisor's type (MOD(BIGINT, INT) is an INT, its
	// literal maybe folded into a BIGINT one): |col % d| < |d| fits any
	// integer type that d fits.
	if t, d := m.Type(), l.V.AsInt(); !t.IsInteger() || !intFits(t, d) {
		return 0, 0, false
	}
	return c.Index, l.V.AsInt(), true
}

// fastIntMod returns the evaluator of MOD(col, d) (or col % d) when
// intColumnMod recognises it, else nil: the column read in line and Go's %
// (Java's: the sign of the dividend, x % -1 is 0), whose |col % d| < |d|
// fits the result type, where the generic call wraps it into that type. A
// row too short for the column gets the column's error.
func fastIntMod(e *Call, args []node) Program {
	i, d, ok := intColumnMod(e)
	if !ok {
		return nil
	}
	a := args[0].p
	// 0 <= x < 2^32 and 0 < d < 2^32: the 32-bit division, shorter than
	// the 64-bit one.
	d32, small := uint32(d), d > 0 && d <= math.MaxUint32
	return func(r *table.Row) (table.Value, error) {
		if i >= len(r.Fields) {
			return a(r) // the column's error
		}
		v := r.Fields[i]
		if v.IsNull() {
			return table.Null, nil
		}
		x := v.AsInt()
		if small && uint64(x) <= math.MaxUint32 {
			return table.Int(int64(uint32(x) % d32)), nil
		}
		return table.Int(x % d), nil
	}
}

// intFits reports whether d is in the range of the integer type t.
func intFits(t table.Type, d int64) bool {
	switch t.Root() {
	case table.RootTinyInt:
		return d >= math.MinInt8 && d <= math.MaxInt8
	case table.RootSmallInt:
		return d >= math.MinInt16 && d <= math.MaxInt16
	case table.RootInt:
		return d >= math.MinInt32 && d <= math.MaxInt32
	}
	return true
}

// SimplePredicate returns the filter of e when e is an integer comparison
// of a column with a constant (a NULL column is false), or nil: a filter
// that is deterministic and fails only on a row without that column.
func SimplePredicate(e Expr) func(row *table.Row) (bool, error) { return fastPredicate(e) }

// ColumnsPredicate returns the filter of e when e is an integer comparison
// of two columns (a NULL column is false), or nil: a filter that is
// deterministic and fails only on a row without those columns.
func ColumnsPredicate(e Expr) func(row *table.Row) (bool, error) {
	c, op, ok := intComparison(e)
	if !ok {
		return nil
	}
	x, ok1 := c.Args[0].(*Column)
	y, ok2 := c.Args[1].(*Column)
	if !ok1 || !ok2 || x.Index < 0 || y.Index < 0 {
		return nil
	}
	i, j := x.Index, y.Index
	return func(r *table.Row) (bool, error) {
		if i >= len(r.Fields) || j >= len(r.Fields) {
			return false, fmt.Errorf("expr: columns %d and %d of a row of %d fields", i, j, len(r.Fields))
		}
		a, b := r.Fields[i], r.Fields[j]
		return !a.IsNull() && !b.IsNull() && cmpInt(op, a.AsInt(), b.AsInt()), nil
	}
}

// intComparison returns e as a strict comparison (=, <>, <, <=, >, >=) of
// two integer arguments, with its operator.
func intComparison(e Expr) (*Call, int, bool) {
	c, ok := e.(*Call)
	if !ok || len(c.Args) != 2 || c.Overload == nil || c.Overload.NonStrict {
		return nil, 0, false
	}
	op, ok := cmpOps[c.Name]
	if !ok || !c.Args[0].Type().IsInteger() || !c.Args[1].Type().IsInteger() {
		return nil, 0, false
	}
	return c, op, true
}

// fastPredicate returns the filter of an integer comparison of a column
// with a constant (a NULL column is false), or nil.
func fastPredicate(e Expr) func(row *table.Row) (bool, error) {
	c, op, ok := intComparison(e)
	if !ok {
		return nil
	}
	x, ok1 := c.Args[0].(*Column)
	l, ok2 := c.Args[1].(*Literal)
	if !ok1 || !ok2 {
		x, ok1 = c.Args[1].(*Column)
		l, ok2 = c.Args[0].(*Literal)
		op = flipCmp[op]
	}
	if !ok1 || !ok2 || l.V.IsNull() || x.Index < 0 {
		return nil
	}
	i, k := x.Index, l.V.AsInt()
	return func(r *table.Row) (bool, error) {
		if i >= len(r.Fields) {
			return false, fmt.Errorf("expr: column %d of a row of %d fields", i, len(r.Fields))
		}
		v := r.Fields[i]
		return !v.IsNull() && cmpInt(op, v.AsInt(), k), nil
	}
}

// fastDecimalMul returns the evaluator of c * CAST(x AS DECIMAL(q, 0))
// (either order) for a DECIMAL constant c held in an int64, an integer
// column or expression x (read without the cast's node: node.intSrc) and
// a result DECIMAL(p, s) with p >= 19 (Nexmark q1's 0.908 * price, q14's
// over a ROW field): the product of the int64s is the result's unscaled value
// whenever it does not overflow, which always fits p >= 19 digits; on
// overflow it falls back to slow (the generic evaluator).
func fastDecimalMul(e *Call, args []node, slow Program) Program {
	if e.Name != "*" || len(args) != 2 || e.T.Root() != table.RootDecimal || e.T.Precision() < 19 {
		return nil
	}
	k, x := 0, 1
	if !args[0].constant {
		k, x = 1, 0
	}
	cst, ok := e.Args[x].(*Cast)
	if !args[k].constant || args[x].constant || !ok || cst.Try || cst.T.Root() != table.RootDecimal || cst.T.Scale() != 0 ||
		cst.T.Precision() < 19 {
		return nil
	}
	c := args[k].v
	if c.IsNull() || c.Kind() != table.KindDecimal {
		return nil
	}
	d := c.AsDecimal()
	u, inline := d.UnscaledInt64()
	if !inline || d.Scale() != e.T.Scale() {
		return nil
	}
	s := d.Scale()
	// mul is u * n at scale s, or the generic product on int64 overflow.
	mul := func(r *table.Row, n int64) (table.Value, error) {
		if n == 0 || u == 0 {
			return table.DecimalValue(table.NewDecimal(0, s)), nil
		}
		prod := u * n
		if prod/n != u || (u == -1 && n == math.MinInt64) || (n == -1 && u == math.MinInt64) {
			return slow(r)
		}
		return table.DecimalValue(table.NewDecimal(prod, s)), nil
	}
	col, ok := cst.X.(*Column)
	if !ok || col.Index < 0 || !col.T.IsInteger() {
		// Any integer expression (a ROW field: q14's 0.908 * bid.price
		// over an unfused Calc): its value without the cast's node.
		src := args[x].intSrc
		if src == nil {
			return nil
		}
		return func(r *table.Row) (table.Value, error) {
			v, err := src(r)
			if err != nil || v.IsNull() {
				return table.Null, err
			}
			return mul(r, v.AsInt())
		}
	}
	i := col.Index
	return func(r *table.Row) (table.Value, error) {
		if i >= len(r.Fields) {
			return slow(r)
		}
		v := r.Fields[i]
		if v.IsNull() {
			return table.Null, nil
		}
		return mul(r, v.AsInt())
	}
}

// betweenPredicate returns the filter of e when e is x BETWEEN lo AND hi
// (not NOT, not SYMMETRIC) of three columns, or nil: TRUE exactly when
// the generic BETWEEN is TRUE (no NULL, each comparison defined and
// holding). Integers and timestamps compare without the generic
// three-valued path (a regular join's time condition, Nexmark q4 and
// q9, evaluated per pair); other kinds through sqlCompare.
func betweenPredicate(e Expr) func(row *table.Row) (bool, error) {
	b, ok := e.(*Between)
	if !ok || b.Not || b.Symmetric {
		return nil
	}
	x, ok1 := b.X.(*Column)
	lo, ok2 := b.Lo.(*Column)
	hi, ok3 := b.Hi.(*Column)
	if !ok1 || !ok2 || !ok3 || x.Index < 0 || lo.Index < 0 || hi.Index < 0 {
		return nil
	}
	i, j, k := x.Index, lo.Index, hi.Index
	return func(r *table.Row) (bool, error) {
		if i >= len(r.Fields) || j >= len(r.Fields) || k >= len(r.Fields) {
			return false, fmt.Errorf("expr: columns %d, %d and %d of a row of %d fields", i, j, k, len(r.Fields))
		}
		v, l, h := r.Fields[i], r.Fields[j], r.Fields[k]
		if v.IsNull() || l.IsNull() || h.IsNull() {
			return false, nil
		}
		switch {
		case v.Kind() == table.KindInt && l.Kind() == table.KindInt && h.Kind() == table.KindInt:
			n := v.AsInt()
			return l.AsInt() <= n && n <= h.AsInt(), nil
		case v.Kind() == table.KindTimestamp && l.Kind() == table.KindTimestamp && h.Kind() == table.KindTimestamp:
			vm, vn := v.AsTimestamp()
			lm, ln := l.AsTimestamp()
			hm, hn := h.AsTimestamp()
			return (lm < vm || lm == vm && ln <= vn) && (vm < hm || vm == hm && vn <= hn), nil
		}
		c1, ok1 := sqlCompare(v, l)
		c2, ok2 := sqlCompare(v, h)
		return ok1 && ok2 && c1 >= 0 && c2 <= 0, nil
	}
}

// lowerOf returns x when e is the built-in LOWER(x) of a VARCHAR.
func lowerOf(e Expr) (Expr, bool) {
	c, ok := e.(*Call)
	if !ok || c.Name != "LOWER" || c.Overload == nil || c.Overload.UserDefined || len(c.Args) != 1 {
		return nil, false
	}
	if t := c.Args[0].Type(); !t.IsString() || t.Root() == table.RootChar {
		return nil, false
	}
	return c.Args[0], true
}

// lowerConsts returns the texts of VARCHAR constants (nil when one is
// not, or is NULL).
func lowerConsts(es []Expr, ns []node) []string {
	ks := make([]string, len(ns))
	for i, n := range ns {
		if !n.constant || n.v.IsNull() || n.v.Kind() != table.KindString {
			return nil
		}
		if t := es[i].Type(); !t.IsString() || t.Root() == table.RootChar {
			return nil
		}
		ks[i] = n.v.AsString()
	}
	return ks
}

// lowerLiterals returns the texts of VARCHAR literals (ok false when one
// is not, or is NULL).
func lowerLiterals(es []Expr) ([]string, bool) {
	ks := make([]string, len(es))
	for i, e := range es {
		l, ok := e.(*Literal)
		if !ok || l.V.IsNull() || l.V.Kind() != table.KindString {
			return nil, false
		}
		if t := l.Type(); !t.IsString() || t.Root() == table.RootChar {
			return nil, false
		}
		ks[i] = l.V.AsString()
	}
	return ks, true
}

// fastLowerIn is the evaluator of LOWER(x) = 'k' (either side) and of
// LOWER(x) [NOT] IN ('k1', ...) of VARCHARs (Nexmark q21's CASE and
// filter): x is compared with each constant without lower-casing an ASCII
// x into a new string; compiled through a Shared, sites of one x share
// the match (lowerGroup). Nil when e is not of that shape.
func (c *compiler) fastLowerIn(x Expr, ks []string, not bool) (Program, error) {
	if ks == nil {
		return nil, nil
	}
	if c.sh != nil {
		f, ok, err := c.sh.lowerSite(c, x, ks)
		if err != nil {
			return nil, err
		}
		if ok {
			return func(r *table.Row) (table.Value, error) {
				i, null, err := f(r)
				if err != nil || null {
					return table.Null, err
				}
				return table.Bool((i >= 0) != not), nil
			}, nil
		}
	}
	xn, err := c.compile(x)
	if err != nil || xn.constant {
		return nil, err
	}
	xp := xn.p
	lens := lowerLens(ks)
	return func(r *table.Row) (table.Value, error) {
		v, err := xp(r)
		if err != nil || v.IsNull() {
			return table.Null, err
		}
		return table.Bool((lowerIndex(v.AsString(), ks, lens) >= 0) != not), nil
	}, nil
}

// lowerIndex is the first i with strings.ToLower(s) == ks[i], -1 when
// none: s is scanned once, and an ASCII s is not converted. n is
// lowerLens(ks): an s of a length no constant's lower-case form can have
// is rejected without reading its bytes (Nexmark q21's channel-N of 11 and
// 12 bytes against apple ... facebook: the DataStream version's length
// gate; the first read of a channel's text is a cache miss).
func lowerIndex(s string, ks []string, n lowerLen) int {
	if len(s) < n.lo || len(s) > n.hi {
		return -1
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			l := strings.ToLower(s)
			for j, k := range ks {
				if l == k {
					return j
				}
			}
			return -1
		}
	}
next:
	for j, k := range ks {
		if len(k) != len(s) {
			continue
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != k[i] {
				continue next
			}
		}
		return j
	}
	return -1
}

// lowerLen bounds the byte length of a text whose lower-case form
// (strings.ToLower) can equal one of some constants: [lo, hi].
type lowerLen struct{ lo, hi int }

// lowerLens is the lowerLen of ks. When every constant is ASCII, a text
// whose lower-case form equals k is made of runes that lower to ASCII:
// the ASCII ones (one byte each), U+0130 (two bytes, to 'i') and U+212A
// (three bytes, to 'k'), and nothing else (TestLowerToASCII checks every
// rune; an invalid byte lowers to U+FFFD): its length is from len(k) to
// len(k) plus one per 'i' and two per 'k' of k. Otherwise no bound.
func lowerLens(ks []string) lowerLen {
	n := lowerLen{lo: math.MaxInt, hi: 0}
	for _, k := range ks {
		hi := len(k)
		for i := 0; i < len(k); i++ {
			switch k[i] {
			case 'i':
				hi++
			case 'k':
				hi += 2
			}
			if k[i] >= utf8.RuneSelf {
				return lowerLen{lo: 0, hi: math.MaxInt}
			}
		}
		n.lo, n.hi = min(n.lo, len(k)), max(n.hi, hi)
	}
	return n
}

// lowerCase is the evaluator of a CASE whose conditions all are
// LOWER(x) = 'k' (either side) of one VARCHAR x (Nexmark q21's channel
// ids): x is evaluated and scanned once (lowerIndex) and picks the branch;
// a NULL x takes the ELSE, an error of x is raised as the first condition
// would. Nil when e is not of that shape.
func (c *compiler) lowerCase(e *Case, thens []node, els node) (Program, error) {
	x, ks, ok := lowerCaseShape(e)
	if !ok {
		return nil, nil
	}
	branches := make([]Program, len(thens)+1)
	for i, t := range thens {
		branches[i] = t.p
	}
	branches[len(thens)] = els.p
	if c.sh != nil {
		f, ok, err := c.sh.lowerSite(c, x, ks)
		if err != nil {
			return nil, err
		}
		if ok {
			return func(r *table.Row) (table.Value, error) {
				i, _, err := f(r)
				if err != nil {
					return table.Null, err
				}
				if i < 0 {
					i = len(ks) // NULL or no match: the ELSE
				}
				return branches[i](r)
			}, nil
		}
	}
	xn, err := c.compile(x)
	if err != nil || xn.constant {
		return nil, err
	}
	xp := xn.p
	lens := lowerLens(ks)
	return func(r *table.Row) (table.Value, error) {
		v, err := xp(r)
		if err != nil {
			return table.Null, err
		}
		b := len(ks) // ELSE
		if !v.IsNull() {
			if i := lowerIndex(v.AsString(), ks, lens); i >= 0 {
				b = i
			}
		}
		return branches[b](r)
	}, nil
}

// lowerCaseShape reports whether every condition of e is LOWER(x) = 'k'
// (either side) of one VARCHAR x with a VARCHAR literal k: x and the ks in
// order.
func lowerCaseShape(e *Case) (Expr, []string, bool) {
	var x Expr
	key := ""
	ks := make([]string, len(e.Whens))
	for i, w := range e.Whens {
		eq, ok := w.Cond.(*Call)
		if !ok || eq.Name != "=" || len(eq.Args) != 2 || eq.Overload == nil || eq.Overload.UserDefined {
			return nil, nil, false
		}
		found := false
		for j := range 2 {
			lx, ok := lowerOf(eq.Args[j])
			if !ok {
				continue
			}
			k1, ok := lowerLiterals(eq.Args[1-j : 2-j])
			if !ok {
				continue
			}
			k := argKey(lx)
			if k == "" || (key != "" && k != key) {
				return nil, nil, false
			}
			x, key, ks[i], found = lx, k, k1[0], true
			break
		}
		if !found {
			return nil, nil, false
		}
	}
	return x, ks, x != nil
}

// fastDecimalCompare returns the evaluator of x op k, a DECIMAL(p, s)
// operand x against a non-NULL integer or DECIMAL constant k (either side)
// that has an exact int64 unscaled value at scale s (Nexmark q14's
// `0.908 * price > 1000000`): a value of x at scale s that fits an int64
// is compared as unscaled integers, any other as the generic comparison
// does (sqlCompare). Nil when e is not of that shape.
func fastDecimalCompare(e *Call, args []node) Program {
	x, _, test := decimalCmpTest(e, args)
	if test == nil {
		return nil
	}
	xp := x.p
	return func(r *table.Row) (table.Value, error) {
		v, err := xp(r)
		if err != nil || v.IsNull() {
			return table.Null, err
		}
		return table.Bool(test(v)), nil
	}
}

// decimalCmpTest is fastDecimalCompare's shape: the DECIMAL operand (its
// node and expression) and the comparison of a non-NULL value of it with
// the constant; a nil test for other shapes.
func decimalCmpTest(e *Call, args []node) (node, Expr, func(v table.Value) bool) {
	op, ok := cmpOps[e.Name]
	if !ok || len(args) != 2 || e.Overload == nil || e.Overload.NonStrict {
		return node{}, nil, nil
	}
	x, y := args[0], args[1]
	xe := e.Args[0]
	if x.constant && !y.constant {
		x, y, xe, op = y, x, e.Args[1], flipCmp[op]
	}
	xt := xe.Type()
	if x.constant || !y.constant || y.v.IsNull() || table.KindOf(xt) != table.KindDecimal {
		return node{}, nil, nil
	}
	kv := y.v
	if kv.Kind() != table.KindInt && kv.Kind() != table.KindDecimal {
		return node{}, nil, nil
	}
	s := xt.Scale()
	kd := kv.AsDecimal()
	if kd.Scale() > s {
		return node{}, nil, nil
	}
	k, ok := kd.Rescale(s).UnscaledInt64()
	if !ok {
		return node{}, nil, nil
	}
	return x, xe, func(v table.Value) bool {
		if v.Kind() == table.KindDecimal {
			if d := v.AsDecimal(); d.Scale() == s {
				if u, ok := d.UnscaledInt64(); ok {
					return cmpInt(op, u, k)
				}
			}
		}
		c, ok := sqlCompare(v, kv)
		if !ok { // NaN (not a DECIMAL's): only <> holds
			return op == cmpNe
		}
		return cmpInt(op, int64(c), 0)
	}
}
