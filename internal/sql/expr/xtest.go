package expr

import (
	"math"

	"github.com/stromio/strom/table"
)

// This file fuses the tests of one operand against constants: comparisons
// of an integer or DECIMAL operand X with constants, the AND/OR of such
// comparisons of the same X, and a CASE whose conditions all test the same
// X (Nexmark q14's CASE WHEN HOUR(dateTime) >= 8 AND HOUR(dateTime) <= 18
// THEN ... WHEN HOUR(dateTime) <= 6 OR HOUR(dateTime) >= 20 THEN ... and
// its WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000): X is
// evaluated once per row and the tests are made on its value, where the
// generic programs evaluate (or fetch from a Shared) X per comparison and
// pass each comparison's BOOLEAN through the AND/OR and the CASE.
//
// It gives what the generic programs give: X is deterministic (argKey: a
// column, literal, cast or a call that is neither volatile nor
// user-defined), so one evaluation is every evaluation; when X fails, the
// generic path fails at its first comparison with X's error, as here; when
// X is NULL every comparison is NULL, so an AND/OR of them is NULL and a
// CASE takes its ELSE; a comparison of a non-NULL X is never NULL.

// xTest describes a node that tests one operand X: its value is NULL when
// X is NULL, X's error when X fails, else the BOOLEAN test(X).
type xTest struct {
	key  string  // X's structure (argKey)
	x    Program // X
	test func(v table.Value) bool
	// ivl, when not nil: X is an integer column and test(X) is
	// ivl.lo <= X <= ivl.hi, for compilePredicates' range of a run.
	ivl *ival
}

// ival is the test lo <= n <= hi of the integer column col (empty when
// lo > hi).
type ival struct {
	col    int
	lo, hi int64
}

// cmpIval is n op k as an interval of n; ok is false for <>.
func cmpIval(op int, k int64) (lo, hi int64, ok bool) {
	switch op {
	case cmpEq:
		return k, k, true
	case cmpLt:
		if k == math.MinInt64 {
			return 1, 0, true
		}
		return math.MinInt64, k - 1, true
	case cmpLe:
		return math.MinInt64, k, true
	case cmpGt:
		if k == math.MaxInt64 {
			return 1, 0, true
		}
		return k + 1, math.MaxInt64, true
	case cmpGe:
		return k, math.MaxInt64, true
	}
	return 0, 0, false
}

// colIval is the ival of x op k for an expression x that is an integer
// column, else nil.
func colIval(x Expr, op int, k int64) *ival {
	c, ok := x.(*Column)
	if !ok || c.Index < 0 || !c.T.IsInteger() {
		return nil
	}
	lo, hi, ok := cmpIval(op, k)
	if !ok {
		return nil
	}
	return &ival{col: c.Index, lo: lo, hi: hi}
}

// cmpXTest is the xTest of a comparison of an integer operand with a
// non-NULL integer constant (fastCompare's shapes) or of a DECIMAL one
// (decimalCmpTest), either side; nil for other calls and when the operand
// has no key.
func (c *compiler) cmpXTest(e *Call, args []node) *xTest {
	if c.noXTest {
		return nil
	}
	if xt := c.mulCmpXTest(e, args); xt != nil {
		return xt
	}
	if x, xe, test := decimalCmpTest(e, args); test != nil {
		if k := argKey(xe); k != "" {
			return &xTest{key: k, x: x.p, test: test}
		}
		return nil
	}
	op, ok := cmpOps[e.Name]
	if !ok || len(args) != 2 || e.Overload == nil || e.Overload.NonStrict ||
		!e.Args[0].Type().IsInteger() || !e.Args[1].Type().IsInteger() {
		return nil
	}
	x, y, xe := args[0], args[1], e.Args[0]
	if x.constant && !y.constant {
		x, y, xe, op = y, x, e.Args[1], flipCmp[op]
	}
	if x.constant || !y.constant || y.v.IsNull() {
		return nil
	}
	key := argKey(xe)
	if key == "" {
		return nil
	}
	k := y.v.AsInt()
	return &xTest{key: key, x: x.p, test: func(v table.Value) bool { return cmpInt(op, v.AsInt(), k) }, ivl: colIval(xe, op, k)}
}

// mulCmpXTest is the xTest of a comparison of c * CAST(n AS DECIMAL(q,
// 0)) (fastDecimalMul's shape over an integer column n: Nexmark q14's
// 0.908 * price > 1000000) with a constant, either side: the test of the
// integer n against a bound computed once (u * n > k is n > floor(k / u)
// for u > 0, ...), so that a filter of such comparisons neither
// multiplies nor builds a DECIMAL for the rows it drops. Exact: the
// product of the unscaled u (|u| < 10^d) and any int64 n has fewer than
// d + 19 digits, and the result type's precision is at least that (no
// overflow to NULL); the product is not rounded because its type's scale
// is required to be the constant's (not cut); a NULL n is a NULL product.
// Nil for other shapes.
func (c *compiler) mulCmpXTest(e *Call, args []node) *xTest {
	op, ok := cmpOps[e.Name]
	if !ok || len(args) != 2 || e.Overload == nil || e.Overload.NonStrict || e.Overload.UserDefined {
		return nil
	}
	xe, y := e.Args[0], args[1]
	if args[0].constant && !args[1].constant {
		xe, y, op = e.Args[1], args[0], flipCmp[op]
	}
	m, ok := xe.(*Call)
	if !ok || !y.constant || y.v.IsNull() || m.Name != "*" || len(m.Args) != 2 || m.Overload == nil ||
		m.Overload.UserDefined || m.T.Root() != table.RootDecimal {
		return nil
	}
	kv := y.v
	if kv.Kind() != table.KindInt && kv.Kind() != table.KindDecimal {
		return nil
	}
	lit, cst := m.Args[0], m.Args[1]
	if _, isCast := lit.(*Cast); isCast {
		lit, cst = cst, lit
	}
	x, ok := cst.(*Cast)
	if !ok || x.Try || x.T.Root() != table.RootDecimal || x.T.Scale() != 0 || x.T.Precision() < 19 {
		return nil
	}
	ln, err := c.compile(lit)
	if err != nil || !ln.constant || ln.v.IsNull() || ln.v.Kind() != table.KindDecimal {
		return nil
	}
	col, ok := x.X.(*Column)
	if !ok || col.Index < 0 || !col.T.IsInteger() {
		return nil
	}
	d := ln.v.AsDecimal()
	u, inline := d.UnscaledInt64()
	s := m.T.Scale()
	// The product's scale must be the constant's (the cast's is 0): a
	// product type whose scale was cut (0.1234567 * CAST(n AS DECIMAL(38,
	// 0)) is a DECIMAL(38, 6)) rounds the product, which the test of n
	// does not.
	if !inline || d.Scale() != s || u == math.MinInt64 {
		return nil
	}
	// Kept, though unreachable today: the product type is DECIMAL(p1 + p2
	// + 1, ...) capped at 38 (table.DecimalMulType), with p1 >= digits
	// (the constant's value fits its type) and p2 >= 19 (the cast's), so
	// its precision is at least min(digits + 20, 38) >= digits + 19
	// (digits <= 19 for an int64 u): no product of u and an int64 n
	// overflows it. It guards that type rule.
	digits := 1
	for a := abs64(u); a >= 10; a /= 10 {
		digits++
	}
	if m.T.Precision() < digits+19 {
		return nil
	}
	// Kept, though unreachable today: cmpXTest is called only for a
	// comparison fastDecimalCompare took (the product is DECIMAL, not
	// fastCompare's integer), whose decimalCmpTest requires the same
	// kd.Scale() <= s. Without it Rescale would round k.
	kd := kv.AsDecimal()
	if kd.Scale() > s {
		return nil
	}
	k, ok := kd.Rescale(s).UnscaledInt64()
	if !ok || k == math.MinInt64 {
		return nil
	}
	test := mulCmpTest(op, u, k)
	xn, err := c.compile(col)
	if err != nil || xn.constant {
		return nil
	}
	xt := &xTest{key: argKey(col), x: xn.p, test: func(v table.Value) bool { return test(v.AsInt()) }}
	if lo, hi, ok := mulCmpIval(op, u, k); ok {
		xt.ivl = &ival{col: col.Index, lo: lo, hi: hi}
	}
	return xt
}

// mulCmpIval is mulCmpTest(op, u, k) as an interval of n; ok is false
// when it is not one (<> of a divisor).
func mulCmpIval(op int, u, k int64) (lo, hi int64, ok bool) {
	if u == 0 {
		if cmpInt(op, 0, k) {
			return math.MinInt64, math.MaxInt64, true
		}
		return 1, 0, true
	}
	if u < 0 {
		u, k, op = -u, -k, flipCmp[op]
	}
	fl, ce := floorDiv(k, u), ceilDiv(k, u)
	switch op {
	case cmpGt, cmpLe:
		return cmpIval(op, fl)
	case cmpGe, cmpLt:
		return cmpIval(op, ce)
	}
	if fl != ce {
		if op == cmpNe {
			return math.MinInt64, math.MaxInt64, true
		}
		return 1, 0, true
	}
	return cmpIval(op, fl)
}

// mulCmpTest is the test of an int64 n for u * n op k, computed exactly.
func mulCmpTest(op int, u, k int64) func(n int64) bool {
	if u == 0 {
		r := cmpInt(op, 0, k)
		return func(int64) bool { return r }
	}
	if u < 0 { // -|u| n op k is |u| n op' -k
		u, k, op = -u, -k, flipCmp[op]
	}
	fl, ce := floorDiv(k, u), ceilDiv(k, u)
	switch op {
	case cmpGt:
		return func(n int64) bool { return n > fl }
	case cmpGe:
		return func(n int64) bool { return n >= ce }
	case cmpLt:
		return func(n int64) bool { return n < ce }
	case cmpLe:
		return func(n int64) bool { return n <= fl }
	}
	if fl != ce { // u does not divide k: never equal
		r := op == cmpNe
		return func(int64) bool { return r }
	}
	if op == cmpEq {
		return func(n int64) bool { return n == fl }
	}
	return func(n int64) bool { return n != fl }
}

func abs64(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

// floorDiv and ceilDiv round a / b (b > 0) down and up.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a > 0 {
		q++
	}
	return q
}

// sameX returns the operand of ns when every node tests the same X, else
// nil.
func sameX(ns []node) *xTest {
	if len(ns) == 0 || ns[0].xt == nil {
		return nil
	}
	for _, n := range ns[1:] {
		if n.xt == nil || n.xt.key != ns[0].xt.key {
			return nil
		}
	}
	return ns[0].xt
}

// logicXTest is the node of an AND (or) of nodes that all test the same
// X: X once, then the tests in order until the first decisive one (FALSE
// for AND, TRUE for OR). ok is false for other operands.
func logicXTest(or bool, ns []node) (node, bool) {
	xt := sameX(ns)
	if xt == nil {
		return node{}, false
	}
	tests := make([]func(table.Value) bool, len(ns))
	for i, n := range ns {
		tests[i] = n.xt.test
	}
	var test func(v table.Value) bool
	if len(tests) == 2 {
		a, b := tests[0], tests[1]
		if or {
			test = func(v table.Value) bool { return a(v) || b(v) }
		} else {
			test = func(v table.Value) bool { return a(v) && b(v) }
		}
	} else {
		test = func(v table.Value) bool {
			for _, t := range tests {
				if t(v) == or {
					return or
				}
			}
			return !or
		}
	}
	x := xt.x
	return node{p: func(r *table.Row) (table.Value, error) {
		v, err := x(r)
		if err != nil || v.IsNull() {
			return table.Null, err
		}
		return table.Bool(test(v)), nil
	}, xt: &xTest{key: xt.key, x: x, test: test}}, true
}

// caseXTest is the evaluator of a CASE whose conditions all test the same
// X: X once, the first condition whose test holds picks its branch, none
// (or X NULL) the ELSE. Nil for other conditions.
func caseXTest(conds, thens []node, els node) Program {
	xt := sameX(conds)
	if xt == nil {
		return nil
	}
	tests := make([]func(table.Value) bool, len(conds))
	for i, n := range conds {
		tests[i] = n.xt.test
	}
	branches := make([]Program, 0, len(thens)+1)
	for _, t := range thens {
		branches = append(branches, t.p)
	}
	branches = append(branches, els.p)
	x := xt.x
	return func(r *table.Row) (table.Value, error) {
		v, err := x(r)
		if err != nil {
			return table.Null, err
		}
		b := len(tests) // ELSE
		if !v.IsNull() {
			for i, t := range tests {
				if t(v) {
					b = i
					break
				}
			}
		}
		return branches[b](r)
	}
}

// CompilePredicates compiles the conjuncts of a filter, which the caller
// runs in order, stopping at the first that is not TRUE or fails: as many
// filters as CompilePredicate of each conjunct, but that a run of
// consecutive conjuncts that test the same operand (q14's 0.908 * price >
// 1000000 and 0.908 * price < 50000000) is one filter evaluating the
// operand once. Running them gives what running every conjunct's filter
// gives (the same stop, the same error).
func CompilePredicates(es []Expr, opts ...Option) ([]func(row *table.Row) (bool, error), error) {
	for _, e := range es {
		if err := requireBool(e, "a predicate"); err != nil {
			return nil, err
		}
	}
	return compilePredicates(es, &compiler{env: newEnv(opts)})
}

// CompilePredicates is [CompilePredicates] through s.
func (s *Shared) CompilePredicates(es []Expr) ([]func(row *table.Row) (bool, error), error) {
	return compilePredicates(es, &s.c)
}

func compilePredicates(es []Expr, c *compiler) ([]func(row *table.Row) (bool, error), error) {
	var ps []func(row *table.Row) (bool, error)
	for i := 0; i < len(es); {
		// The run of conjuncts from i that test the same operand.
		var run []node
		if !c.noXTest {
			for j := i; j < len(es); j++ {
				if !testsOperand(es[j]) {
					break
				}
				n, err := c.compile(es[j])
				if err != nil {
					return nil, err
				}
				if n.xt == nil || len(run) > 0 && n.xt.key != run[0].xt.key {
					break
				}
				run = append(run, n)
			}
		}
		if len(run) < 2 {
			p, err := compilePredicate(es[i], c)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
			i++
			continue
		}
		and, _ := logicXTest(false, run)
		x, test := and.xt.x, and.xt.test
		if p := ivalPredicate(run, x); p != nil {
			ps = append(ps, p)
			i += len(run)
			continue
		}
		ps = append(ps, func(row *table.Row) (bool, error) {
			v, err := x(row)
			if err != nil || v.IsNull() {
				return false, err
			}
			return test(v), nil
		})
		i += len(run)
	}
	return ps, nil
}

// ivalPredicate is the filter of a run of conjuncts that all test an
// integer column's interval (ival): the column read and compared with
// the intersection, without the tests' closures (q14's 0.908 * price >
// 1000000 AND 0.908 * price < 50000000 is 1101322 <= price <= 55066079).
// x is the column's program, for a row too short (its error). Nil when
// a conjunct has no interval.
func ivalPredicate(run []node, x Program) func(row *table.Row) (bool, error) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	col := -1
	for _, n := range run {
		iv := n.xt.ivl
		if iv == nil || col >= 0 && iv.col != col {
			return nil
		}
		col, lo, hi = iv.col, max(lo, iv.lo), min(hi, iv.hi)
	}
	return func(row *table.Row) (bool, error) {
		if col >= len(row.Fields) {
			_, err := x(row)
			return false, err
		}
		v := row.Fields[col]
		if v.IsNull() {
			return false, nil
		}
		n := v.AsInt()
		return lo <= n && n <= hi, nil
	}
}

// testsOperand reports whether e is of a shape that may test one operand
// (a comparison, AND, OR), before compiling it to see.
func testsOperand(e Expr) bool {
	switch e := e.(type) {
	case *Call:
		_, ok := cmpOps[e.Name]
		return ok
	case *Logic:
		return true
	}
	return false
}
