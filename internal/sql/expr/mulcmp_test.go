package expr

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

// TestMulCmpTestExact: mulCmpTest(op, u, k)(n) is u * n op k computed
// exactly (big.Int), for random and edge u, k, n.
func TestMulCmpTestExact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	edges := []int64{0, 1, -1, 2, -2, 7, -7, 908, -908, 1000, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}
	pick := func(max int64) int64 {
		if r.IntN(3) == 0 {
			return edges[r.IntN(len(edges))]
		}
		return r.Int64N(2*max+1) - max
	}
	for range 200000 {
		u, k := pick(2000), pick(5_000_000)
		if u == math.MinInt64 || k == math.MinInt64 {
			continue
		}
		op := r.IntN(6)
		test := mulCmpTest(op, u, k)
		lo, hi, isIval := mulCmpIval(op, u, k)
		klo, khi, kIval := cmpIval(op, k)
		for range 4 {
			n := pick(10_000)
			if u != 0 && r.IntN(2) == 0 { // near the bound
				n = k/u + r.Int64N(5) - 2
			}
			p := new(big.Int).Mul(big.NewInt(u), big.NewInt(n))
			c := p.Cmp(big.NewInt(k))
			want := cmpInt(op, int64(c), 0)
			if got := test(n); got != want {
				t.Fatalf("%d * %d op %d k %d: %v, want %v", u, n, op, k, got, want)
			}
			if isIval && (lo <= n && n <= hi) != want {
				t.Fatalf("%d * %d op %d k %d: interval [%d, %d], want %v", u, n, op, k, lo, hi, want)
			}
			if kIval && (klo <= n && n <= khi) != cmpInt(op, n, k) {
				t.Fatalf("%d op %d %d: interval [%d, %d]", n, op, k, klo, khi)
			}
			if !kIval && op != cmpNe || !isIval && op != cmpNe {
				t.Fatalf("op %d: no interval", op)
			}
		}
	}
}

// TestMulCmpXTestMatchesGeneric: comparisons of c * n (a DECIMAL
// constant c of random sign and scale, n a BIGINT or INT column, bare or
// in an explicit cast to DECIMAL(19, 0) or DECIMAL(38, 0)) with integer and
// DECIMAL constants, and their AND, OR and CASE, evaluated with the fused
// test of n (mulCmpXTest) and generically, on rows with NULLs, edge
// integers and rows too short. A cast to DECIMAL(38, 0) times a c of scale
// above 6 has its product's scale cut to 6 (0.1234567 * CAST(price AS
// DECIMAL(38, 0)) is a DECIMAL(38, 6)): not fused (mulCmpXTest's scale
// check), the product is rounded.
//
// The filter e1 AND e2 is compiled as the planner does (a Calc's filters,
// each conjunct once, then its projections, here q14's product, into one
// Shared) and must form the run: one predicate (ivalPredicate when both
// conjuncts are intervals of n, else the fused closure), checked against
// the per-conjunct filters and the plain (unshared) CompilePredicates on
// the random rows and on edge rows: n at the interval's lo-1, lo, hi,
// hi+1, at 0, -1, MinInt64, MaxInt64, NULL, and rows too short (the
// error must be the generic path's).
func TestMulCmpXTestMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	bi, in := table.BigIntType(), table.IntType()
	cols := []*Column{ColumnRef(0, "price", bi), ColumnRef(1, "i", in)}
	cs := []string{"0.908", "-0.908", "0", "0.000", "1", "-3", "12.5", "999999.999999", "-0.000001", "0.1",
		"0.1234567", "-12.34567891", "0.0000001"} // scales above 6: cut to 6 with a DECIMAL(38, 0)
	ks := func() Expr {
		switch r.IntN(4) {
		case 0:
			return BigIntLit(r.Int64N(2_000_000_000) - 1_000_000_000)
		case 1:
			return IntLit(r.Int64N(2000) - 1000)
		case 2:
			return must(DecLit(fmt.Sprintf("%d.%03d", r.Int64N(2_000_000)-1_000_000, r.Int64N(1000))))
		}
		return must(DecLit(fmt.Sprintf("%d.%07d", r.Int64N(2000)-1000, r.Int64N(10_000_000)))) // a scale above c's
	}
	ops := []string{"=", "<>", "<", "<=", ">", ">="}
	// operand: the column, bare (the implicit cast) or in a wide cast.
	operand := func(col *Column) Expr {
		switch r.IntN(4) {
		case 0:
			return cast(col, table.DecimalType(38, 0))
		case 1:
			return cast(col, table.DecimalType(19, 0))
		}
		return col
	}
	cmp := func(col *Column, c string) Expr {
		x := operand(col)
		prod := call("*", must(DecLit(c)), x)
		if r.IntN(2) == 0 {
			prod = call("*", x, must(DecLit(c)))
		}
		if r.IntN(2) == 0 {
			return call(ops[r.IntN(len(ops))], prod, ks())
		}
		return call(ops[r.IntN(len(ops))], ks(), prod)
	}
	edges := []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 1101322, 55066079, -1101322, math.MaxInt32, math.MinInt32}
	rowOf := func() table.Row {
		v := func(i int64) table.Value {
			if r.IntN(6) == 0 {
				return table.Null
			}
			return table.Int(i)
		}
		n := r.Int64N(120_000_000) - 20_000_000
		if r.IntN(4) == 0 {
			n = edges[r.IntN(len(edges))]
		}
		fs := []table.Value{v(n), v(int64(int32(n)))}
		if r.IntN(20) == 0 {
			fs = fs[:r.IntN(2)]
		}
		return table.Row{Fields: fs}
	}
	// edgeRows: rows whose column col is each of vs (those an INT holds),
	// NULL, and rows too short for col.
	edgeRows := func(col *Column, vs []int64) []table.Row {
		var rows []table.Row
		for _, n := range vs {
			if col.T.Root() == table.RootInt && n != int64(int32(n)) {
				continue
			}
			fs := []table.Value{table.Int(r.Int64N(1000)), table.Int(r.Int64N(1000))}
			fs[col.Index] = table.Int(n)
			rows = append(rows, table.Row{Fields: fs})
		}
		fs := []table.Value{table.Int(1), table.Int(1)}
		fs[col.Index] = table.Null
		rows = append(rows, table.Row{Fields: fs})
		for l := 0; l <= col.Index; l++ {
			rows = append(rows, table.Row{Fields: []table.Value{table.Int(1), table.Int(1)}[:l]})
		}
		return rows
	}
	fusedN, runs, ivalRuns, scaleCut := 0, 0, 0, 0
	for range 400 {
		col := cols[r.IntN(len(cols))]
		c := cs[r.IntN(len(cs))]
		e1, e2 := cmp(col, c), cmp(col, cs[r.IntN(len(cs))])
		es := []Expr{e1, must(NewAnd(e1, e2)), must(NewOr(e1, e2)),
			must(NewCase([]When{{e1, StrLit("a")}, {e2, StrLit("b")}}, StrLit("c")))}
		n1, err1 := (&compiler{env: newEnv(nil)}).compile(e1)
		n2, err2 := (&compiler{env: newEnv(nil)}).compile(e2)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s, %s: %v, %v", e1, e2, err1, err2)
		}
		if n1.xt != nil && n1.xt.key == argKey(col) {
			fusedN++
		}
		for _, e := range []Expr{e1, e2} {
			for _, a := range e.(*Call).Args {
				if m, ok := a.(*Call); ok && m.Name == "*" {
					for _, f := range m.Args {
						if l, ok := f.(*Literal); ok && l.Type().Scale() > m.T.Scale() {
							scaleCut++ // the product's scale was cut
						}
					}
				}
			}
		}
		for _, e := range es {
			fast, err1 := (&compiler{env: newEnv(nil)}).compile(e)
			slow, err2 := (&compiler{env: newEnv(nil), noXTest: true}).compile(e)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v, %v", e, err1, err2)
			}
			for range 100 {
				row := rowOf()
				v1, er1 := fast.p(&row)
				v2, er2 := slow.p(&row)
				if fmt.Sprint(er1) != fmt.Sprint(er2) || v1.Kind() != v2.Kind() || table.Compare(v1, v2) != 0 {
					t.Fatalf("%s on %v: %v %v, generic %v %v", e, row, v1, er1, v2, er2)
				}
			}
		}

		// The filter e1 AND e2, compiled as the planner's Calc does
		// (planner/calc.go: NewShared(filters ++ projections), then
		// CompilePredicates(filters)).
		prod := call("*", must(DecLit(c)), col)
		sh := NewShared([]Expr{e1, e2, prod})
		preds, err := sh.CompilePredicates([]Expr{e1, e2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sh.Compile(prod); err != nil {
			t.Fatal(err)
		}
		plain, err := CompilePredicates([]Expr{e1, e2})
		if err != nil {
			t.Fatal(err)
		}
		p1, err1 := CompilePredicate(e1)
		p2, err2 := CompilePredicate(e2)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		// The run forms when both conjuncts test n (and are not one
		// expression, which the Shared computes once instead).
		fuse := n1.xt != nil && n2.xt != nil && n1.xt.key == n2.xt.key &&
			memoKey(e1.(*Call)) != memoKey(e2.(*Call))
		var rows []table.Row
		for range 100 {
			rows = append(rows, rowOf())
		}
		vs := []int64{0, -1, 1, math.MinInt64, math.MaxInt64}
		if fuse {
			runs++
			if len(preds) != 1 || len(plain) != 1 {
				t.Fatalf("filter %s AND %s: %d predicates (shared), %d (plain), want 1 (a run)", e1, e2, len(preds), len(plain))
			}
			if n1.xt.ivl != nil && n2.xt.ivl != nil {
				ivalRuns++
				lo, hi := max(n1.xt.ivl.lo, n2.xt.ivl.lo), min(n1.xt.ivl.hi, n2.xt.ivl.hi)
				for _, b := range []int64{lo, hi} {
					vs = append(vs, b)
					if b > math.MinInt64 {
						vs = append(vs, b-1)
					}
					if b < math.MaxInt64 {
						vs = append(vs, b+1)
					}
				}
			}
		}
		rows = append(rows, edgeRows(col, vs)...)
		for i, row := range rows {
			short := col.Index >= len(row.Fields)
			run := func(ps []func(*table.Row) (bool, error), next func()) (bool, error) {
				if next != nil {
					next()
				}
				for _, p := range ps {
					ok, err := p(&row)
					if err != nil || !ok {
						return false, err
					}
				}
				return true, nil
			}
			got, gerr := run(preds, sh.Next)
			pg, perr := run(plain, nil)
			want, werr := run([]func(*table.Row) (bool, error){p1, p2}, nil)
			if got != want || fmt.Sprint(gerr) != fmt.Sprint(werr) || pg != want || fmt.Sprint(perr) != fmt.Sprint(werr) {
				t.Fatalf("filter %s AND %s on %v (row %d): shared %v %v, plain %v %v, each %v %v", e1, e2, row, i, got, gerr, pg, perr, want, werr)
			}
			if short && werr == nil {
				t.Fatalf("filter %s AND %s on a row too short %v: no error", e1, e2, row)
			}
		}
	}
	t.Logf("%d of 400 comparisons fused on the column; %d filters formed a run, %d of intervals; %d comparisons of a product whose scale was cut", fusedN, runs, ivalRuns, scaleCut)
	if fusedN < 100 || runs < 50 || ivalRuns < 30 || scaleCut < 20 {
		t.Errorf("only %d comparisons fused on the column, %d runs, %d of intervals, %d of a cut scale", fusedN, runs, ivalRuns, scaleCut)
	}
}
