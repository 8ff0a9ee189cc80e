package expr

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

// xtestExprs are CASEs, ANDs and ORs whose comparisons test one operand X
// (a column, HOUR of a timestamp, MOD, a cast, a DECIMAL product, a
// division that fails on a zero column) against constants, mixed with
// tests of another operand (not fused), with NULL constants and branches
// of every kind. Columns: 0 BIGINT, 1 TIMESTAMP(3), 2 BIGINT (a divisor,
// often 0), 3 INT, 4 STRING.
func xtestExprs(t *testing.T) []Expr {
	t.Helper()
	bi, ts, in := table.BigIntType(), table.TimestampType(3), table.IntType()
	c0, c1, c2, c3 := ColumnRef(0, "a", bi), ColumnRef(1, "ts", ts), ColumnRef(2, "d", bi), ColumnRef(3, "i", in)
	must := func(e Expr, err error) Expr {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	call := func(name string, args ...Expr) Expr { return must(reg.Call(name, args...)) }
	dec := must(DecLit("0.908"))
	xs := []Expr{
		c0,
		call("HOUR", c1),
		call("MOD", c0, IntLit(24)),
		must(NewCast(c3, bi, false)),
		call("*", dec, c0),
		call("/", BigIntLit(1000), c2),
		call("+", c3, IntLit(1)),
	}
	var es []Expr
	for _, x := range xs {
		cmp := func(op string, k int64) Expr {
			if x.Type().Root() == table.RootDecimal {
				return call(op, x, BigIntLit(k*1000))
			}
			return call(op, x, IntLit(k))
		}
		other := call(">", c3, IntLit(3))
		day := must(NewAnd(cmp(">=", 8), cmp("<=", 18)))
		night := must(NewOr(cmp("<=", 6), cmp(">=", 20)))
		three := must(NewAnd(cmp(">", 1), cmp("<>", 5), cmp("<", 22)))
		flipped := call("<", IntLit(12), x) // constant first
		nullK := call("=", x, NullLit(x.Type()))
		es = append(es, day, night, three, must(NewOr(cmp("=", 3), cmp("=", 4), cmp("=", 9))), flipped,
			must(NewAnd(cmp(">", 2), other)), must(NewOr(nullK, cmp("<", 5))),
			must(NewCase([]When{{day, StrLit("dayTime")}, {night, StrLit("nightTime")}}, StrLit("otherTime"))),
			must(NewCase([]When{{cmp("<", 10), c0}, {flipped, call("*", c0, IntLit(2))}}, NullLit(bi))),
			must(NewCase([]When{{three, call("/", BigIntLit(7), c2)}}, c3)),
			must(NewCase([]When{{day, StrLit("d")}, {other, StrLit("o")}}, StrLit("e"))),
			must(NewCase([]When{{nullK, StrLit("n")}, {cmp(">", 0), StrLit("p")}}, StrLit("e"))),
		)
	}
	return es
}

func xtestRow(r *rand.Rand) table.Row {
	v := func(f func() table.Value) table.Value {
		if r.IntN(6) == 0 {
			return table.Null
		}
		return f()
	}
	fs := []table.Value{
		v(func() table.Value { return table.Int(r.Int64N(50) - 10) }),
		v(func() table.Value { return table.TimestampMillis(r.Int64N(4e12) - 1e12) }),
		v(func() table.Value { return table.Int(r.Int64N(4)) }),
		v(func() table.Value { return table.Int(r.Int64N(30) - 5) }),
		table.Str("x"),
	}
	if r.IntN(25) == 0 {
		fs = fs[:r.IntN(len(fs))] // too short
	}
	return table.Row{Fields: fs}
}

// TestXTestMatchesGeneric: the fused tests of one operand (xtest.go) give
// the generic AND/OR and CASE's values and errors, compiled alone and
// through a Shared (as a Calc compiles them, X then shared), on random rows
// with NULLs, failing operands and rows too short.
func TestXTestMatchesGeneric(t *testing.T) {
	es := xtestExprs(t)
	r := rand.New(rand.NewPCG(12, 34))
	fused := 0
	for _, e := range es {
		fast, err1 := (&compiler{env: newEnv(nil)}).compile(e)
		slow, err2 := (&compiler{env: newEnv(nil), noXTest: true}).compile(e)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", e, err1, err2)
		}
		if fast.xt != nil {
			fused++
		}
		// Through Shared: e twice and X's comparisons elsewhere too.
		shF, shS := NewShared([]Expr{e, e}), NewShared([]Expr{e, e})
		shS.c.noXTest = true
		pf, err1 := shF.Compile(e)
		ps, err2 := shS.Compile(e)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", e, err1, err2)
		}
		for range 400 {
			row := xtestRow(r)
			shF.Next()
			shS.Next()
			for i, pair := range [][2]Program{{fast.p, slow.p}, {pf, ps}} {
				v1, e1 := pair[0](&row)
				v2, e2 := pair[1](&row)
				if fmt.Sprint(e1) != fmt.Sprint(e2) || v1.Kind() != v2.Kind() || table.Compare(v1, v2) != 0 {
					t.Fatalf("%s (shared %v) on %v: %v %v, generic %v %v", e, i == 1, row, v1, e1, v2, e2)
				}
			}
		}
	}
	t.Logf("%d of %d expressions fused", fused, len(es))
	if fused < 30 {
		t.Errorf("only %d of %d expressions fused", fused, len(es))
	}
}

// TestCompilePredicatesMatchesEach: a filter's conjuncts compiled by
// CompilePredicates (runs testing one operand fused) and run in order
// keep and drop the rows, and fail with the errors, of every conjunct's
// own filter run in order; alone and through a Shared.
func TestCompilePredicatesMatchesEach(t *testing.T) {
	var bools []Expr
	for _, e := range xtestExprs(t) {
		if e.Type().Root() == table.RootBoolean {
			bools = append(bools, e)
		}
	}
	// Single comparisons too, so that runs form.
	bi, ts := table.BigIntType(), table.TimestampType(3)
	hour, err := reg.Call("HOUR", ColumnRef(1, "ts", ts))
	if err != nil {
		t.Fatal(err)
	}
	div, err := reg.Call("/", BigIntLit(1000), ColumnRef(2, "d", bi))
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []Expr{ColumnRef(0, "a", bi), hour, div} {
		for _, op := range []string{"<", ">=", "<>"} {
			e, err := reg.Call(op, x, IntLit(int64(len(bools)%13)))
			if err != nil {
				t.Fatal(err)
			}
			bools = append(bools, e, e)
		}
	}
	run := func(ps []func(*table.Row) (bool, error), row *table.Row) string {
		for i, p := range ps {
			ok, err := p(row)
			if err != nil {
				return "error " + err.Error()
			}
			if !ok {
				return fmt.Sprintf("dropped by %d", i)
			}
		}
		return "kept"
	}
	r := rand.New(rand.NewPCG(5, 6))
	fewer := 0
	for range 300 {
		es := make([]Expr, 1+r.IntN(5))
		for i := range es {
			es[i] = bools[r.IntN(len(bools))]
		}
		fast, err1 := CompilePredicates(es)
		sh := NewShared(es)
		shared, err2 := sh.CompilePredicates(es)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		each := make([]func(*table.Row) (bool, error), len(es))
		for i, e := range es {
			if each[i], err = CompilePredicate(e); err != nil {
				t.Fatal(err)
			}
		}
		if len(fast) < len(each) {
			fewer++
		}
		for range 100 {
			row := xtestRow(r)
			sh.Next()
			want := run(each, &row)
			got, gotShared := run(fast, &row), run(shared, &row)
			// Which conjunct dropped the row is not kept across a fused
			// run: compare kept / dropped / the error.
			norm := func(s string) string {
				if len(s) > 7 && s[:7] == "dropped" {
					return "dropped"
				}
				return s
			}
			if norm(got) != norm(want) || norm(gotShared) != norm(want) {
				t.Fatalf("%v on %v: %s (shared %s), each: %s", es, row, got, gotShared, want)
			}
		}
	}
	t.Logf("%d of 300 filters with fewer predicates", fewer)
	if fewer < 30 {
		t.Errorf("only %d filters fused a run", fewer)
	}
}

// BenchmarkQ14Exprs runs Nexmark q14's filter and CASE (through a
// Shared, as its Calc compiles them) over bid-like rows, with the tests of
// one operand fused and generic. Columns: 0 price BIGINT, 1 dateTime
// TIMESTAMP(3).
func BenchmarkQ14Exprs(b *testing.B) {
	bi, ts := table.BigIntType(), table.TimestampType(3)
	price, dt := ColumnRef(0, "price", bi), ColumnRef(1, "dateTime", ts)
	must := func(e Expr, err error) Expr {
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	dec := must(DecLit("0.908"))
	p := must(reg.Call("*", dec, price))
	h := must(reg.Call("HOUR", dt))
	cmp := func(x Expr, op string, k Expr) Expr { return must(reg.Call(op, x, k)) }
	filters := []Expr{cmp(p, ">", IntLit(1000000)), cmp(p, "<", IntLit(50000000))}
	cs := must(NewCase([]When{
		{must(NewAnd(cmp(h, ">=", IntLit(8)), cmp(h, "<=", IntLit(18)))), StrLit("dayTime")},
		{must(NewOr(cmp(h, "<=", IntLit(6)), cmp(h, ">=", IntLit(20)))), StrLit("nightTime")},
	}, StrLit("otherTime")))
	projs := []Expr{p, cs}
	r := rand.New(rand.NewPCG(1, 1))
	rows := make([]table.Row, 1024)
	for i := range rows {
		rows[i] = table.NewRow(table.Int(r.Int64N(60_000_000)), table.TimestampMillis(1_436_918_400_000+r.Int64N(86_400_000)))
	}
	for _, generic := range []bool{true, false} {
		name := "fused"
		if generic {
			name = "generic"
		}
		b.Run(name, func(b *testing.B) {
			sh := NewShared(append(append([]Expr(nil), filters...), projs...))
			sh.c.noXTest = generic
			preds, err := sh.CompilePredicates(filters)
			if err != nil {
				b.Fatal(err)
			}
			progs := make([]Program, len(projs))
			for i, e := range projs {
				if progs[i], err = sh.Compile(e); err != nil {
					b.Fatal(err)
				}
			}
			row := new(table.Row)
			i := 0
			cpu0 := cpuNanos()
			for b.Loop() {
				*row = rows[i&1023]
				i++
				sh.Next()
				pass := true
				for _, p := range preds {
					if ok, _ := p(row); !ok {
						pass = false
						break
					}
				}
				if pass {
					for _, p := range progs {
						p(row)
					}
				}
			}
			b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
