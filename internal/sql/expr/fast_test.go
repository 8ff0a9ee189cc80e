package expr

import (
	"math"
	"math/big"
	"testing"

	"github.com/stromio/strom/table"
)

// TestFastPaths checks the specialised evaluators (fast.go) against the
// generic ones on NULLs, every comparison and a tagged CASE.
func TestFastPaths(t *testing.T) {
	tag := ColumnRef(0, "tag", table.IntType())
	a := ColumnRef(1, "a", table.BigIntType())
	b := ColumnRef(2, "b", table.BigIntType())
	must := func(e Expr, err error) Expr {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	eq := func(k int64) Expr { return must(reg.Call("=", tag, IntLit(k))) }
	cs := must(NewCase([]When{{Cond: eq(0), Then: a}, {Cond: must(reg.Call("=", IntLit(1), tag)), Then: must(reg.Call("+", b, BigIntLit(1)))}}, b))
	es := []Expr{cs}
	for _, op := range []string{"=", "<>", "<", "<=", ">", ">="} {
		es = append(es, must(reg.Call(op, a, BigIntLit(5))), must(reg.Call(op, BigIntLit(5), a)), must(reg.Call(op, a, b)))
	}
	// MOD(column, constant) compared with a constant (Nexmark q2).
	for _, d := range []int64{3, -4, 123, -1} {
		for _, op := range []string{"=", "<>", "<", ">="} {
			m := must(reg.Call("MOD", a, BigIntLit(d)))
			if _, _, ok := intColumnMod(m); !ok {
				t.Fatalf("%s is not recognised", m)
			}
			es = append(es, must(reg.Call(op, m, BigIntLit(1))), must(reg.Call(op, BigIntLit(-2), m)))
			// An INT divisor (q2's MOD(auction, 123) = 0): the literal
			// widened to BIGINT, the result an INT.
			mi := must(reg.Call("MOD", a, IntLit(d)))
			if _, _, ok := intColumnMod(mi); !ok {
				t.Fatalf("%s is not recognised", mi)
			}
			es = append(es, must(reg.Call(op, mi, IntLit(0))), must(reg.Call(op, IntLit(-2), mi)))
			// The planner folds the widened literal into a BIGINT one;
			// the result stays an INT.
			folded := *(mi.(*Call))
			folded.Args = []Expr{a, BigIntLit(d)}
			if _, _, ok := intColumnMod(&folded); !ok {
				t.Fatalf("%s (folded) is not recognised", &folded)
			}
			es = append(es, must(reg.Call(op, &folded, IntLit(0))))
		}
	}
	// A divisor out of the result type's range is not read directly.
	if mi := must(reg.Call("MOD", a, IntLit(7))).(*Call); true {
		big := *mi
		big.Args = []Expr{a, BigIntLit(5_000_000_000)}
		if _, _, ok := intColumnMod(&big); ok {
			t.Fatalf("%s (an INT result) is recognised", &big)
		}
	}
	// A narrowing cast of the divisor is not read directly.
	if m := must(reg.Call("MOD", cast(a, table.IntType()), cast(BigIntLit(5_000_000_000), table.IntType()))); true {
		if _, _, ok := intColumnMod(m); ok {
			t.Fatalf("%s is recognised", m)
		}
	}
	rows := []table.Row{}
	for _, tg := range []table.Value{table.Null, table.Int(0), table.Int(1), table.Int(2)} {
		for _, x := range []table.Value{table.Null, table.Int(4), table.Int(5), table.Int(6), table.Int(-7), table.Int(-246), table.Int(math.MinInt64)} {
			rows = append(rows, table.NewRow(tg, x, table.Int(5)))
		}
	}
	pickCase := must(NewCase([]When{{Cond: eq(0), Then: a}, {Cond: must(reg.Call("=", IntLit(1), tag)), Then: b}}, a))
	for _, e := range []Expr{pickCase, a} {
		pick := ColumnPicker(e)
		if pick == nil {
			t.Fatalf("no picker for %s", e)
		}
		for _, r := range rows {
			if got, want := pick(r.Fields), slowEval(t, e, r); !got.Equal(want) && !(got.IsNull() && want.IsNull()) {
				t.Errorf("picker %s over %v: %v, want %v", e, r.Fields, got, want)
			}
		}
	}
	if ColumnPicker(cs) != nil {
		t.Errorf("a picker for %s, whose branch is no column", cs)
	}
	for _, e := range es[1:] {
		pred, err := CompilePredicate(e)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			got, err := pred(&r)
			want := slowEval(t, e, r)
			if err != nil || got != (!want.IsNull() && want.AsBool()) {
				t.Errorf("predicate %s over %v: %v, want %v", e, r.Fields, got, want)
			}
		}
	}
	// ColumnsPredicate: integer comparisons of two columns only.
	for _, op := range []string{"=", "<>", "<", "<=", ">", ">="} {
		e := must(reg.Call(op, a, b))
		pred := ColumnsPredicate(e)
		if pred == nil {
			t.Fatalf("no columns predicate for %s", e)
		}
		for _, r := range rows {
			got, err := pred(&r)
			want := slowEval(t, e, r)
			if err != nil || got != (!want.IsNull() && want.AsBool()) {
				t.Errorf("columns predicate %s over %v: %v, want %v", e, r.Fields, got, want)
			}
		}
		if c := must(reg.Call(op, a, BigIntLit(5))); ColumnsPredicate(c) != nil {
			t.Errorf("a columns predicate for %s", c)
		}
	}
	for _, e := range es {
		p, err := Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			got, err := p(&r)
			if err != nil {
				t.Fatal(err)
			}
			want := slowEval(t, e, r)
			if !got.Equal(want) && !(got.IsNull() && want.IsNull()) {
				t.Errorf("%s over %v: %v, want %v", e, r.Fields, got, want)
			}
		}
	}
}

// slowEval evaluates e by hand (the definitions the fast paths must meet).
func slowEval(t *testing.T, e Expr, r table.Row) table.Value {
	switch x := e.(type) {
	case *Column:
		return r.Fields[x.Index]
	case *Literal:
		return x.V
	case *Cast:
		if x.T.IsInteger() && x.X.Type().IsInteger() && x.X.Type().Root() <= x.T.Root() {
			return slowEval(t, x.X, r) // a widening: the same value
		}
	case *Case:
		for _, w := range x.Whens {
			if c := slowEval(t, w.Cond, r); !c.IsNull() && c.AsBool() {
				return slowEval(t, w.Then, r)
			}
		}
		return slowEval(t, x.Else, r)
	case *Call:
		l, rr := slowEval(t, x.Args[0], r), slowEval(t, x.Args[1], r)
		if l.IsNull() || rr.IsNull() {
			return table.Null
		}
		p, q := l.AsInt(), rr.AsInt()
		switch x.Name {
		case "+":
			return table.Int(p + q)
		case "MOD", "%":
			// Truncated division's remainder (Java's %), in big
			// integers: the sign of the dividend.
			return table.Int(new(big.Int).Rem(big.NewInt(p), big.NewInt(q)).Int64())
		case "=":
			return table.Bool(p == q)
		case "<>":
			return table.Bool(p != q)
		case "<":
			return table.Bool(p < q)
		case "<=":
			return table.Bool(p <= q)
		case ">":
			return table.Bool(p > q)
		case ">=":
			return table.Bool(p >= q)
		}
	}
	t.Fatalf("slowEval: %s", e)
	return table.Null
}

// TestFastDecimalMul checks c * CAST(col AS DECIMAL) (Nexmark q1) against
// table.Decimal arithmetic, overflow of int64 included.
func TestFastDecimalMul(t *testing.T) {
	c, err := DecLit("0.908")
	if err != nil {
		t.Fatal(err)
	}
	one, err := reg.Call("-", ColumnRef(0, "price", table.BigIntType()), IntLit(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		swap  bool
		x     Expr
		delta int64 // the operand is the column's value + delta
	}{
		{false, ColumnRef(0, "price", table.BigIntType()), 0},
		{true, ColumnRef(0, "price", table.BigIntType()), 0},
		// Another integer expression (q14's 0.908 * bid.price over
		// a Calc that is not fused with the scan's).
		{false, one, -1},
		{true, one, -1},
	} {
		swap := tc.swap
		args := []Expr{c, tc.x}
		if swap {
			args[0], args[1] = args[1], args[0]
		}
		e, err := reg.Call("*", args...)
		if err != nil {
			t.Fatal(err)
		}
		cc := &compiler{env: &Env{}}
		ns, _, err := cc.compileAll(e.(*Call).Args)
		if err != nil || fastDecimalMul(e.(*Call), ns, nil) == nil {
			t.Fatalf("%s: no fast path (%v)", e, err)
		}
		p, err := Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []int64{0, 1, -7, 123456789, math.MaxInt64, math.MinInt64, math.MaxInt64 / 908, math.MaxInt64/908 + 1} {
			got, err := p(&table.Row{Fields: []table.Value{table.Int(x)}})
			if err != nil {
				t.Fatal(err)
			}
			want, err := table.NewDecimal(908, 3).Mul(table.NewDecimal(x+tc.delta, 0)).ToType(e.Type().Precision(), e.Type().Scale())
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(table.DecimalValue(want)) {
				t.Errorf("%s over %d: %v, want %v", e, x, got, want)
			}
		}
		if v, _ := p(&table.Row{Fields: []table.Value{table.Null}}); !v.IsNull() {
			t.Errorf("%s over NULL: %v", e, v)
		}
	}
}
