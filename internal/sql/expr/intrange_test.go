package expr

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

// TestFastIntRange compiles ANDs of two integer comparisons of one column
// with constants (either side, every operator, INT and BIGINT columns,
// INT literals widened) through fastIntRange and checks them on random
// values with NULLs and extremes against the comparisons compiled one by
// one and combined by SQL's AND; other shapes (OR, two columns, three
// operands) are not fused and give the same values.
func TestFastIntRange(t *testing.T) {
	must := func(e Expr, err error) Expr {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	ops := []string{"=", "<>", "<", "<=", ">", ">="}
	rng := rand.New(rand.NewPCG(17, 4))
	fused := 0
	for _, ty := range []table.Type{table.BigIntType(), table.IntType()} {
		x, y := ColumnRef(0, "x", ty), ColumnRef(1, "y", ty)
		cmp := func(col Expr, op string, k int64, flip bool) Expr {
			lit := Expr(IntLit(k))
			if ty.Root() == table.RootBigInt && rng.IntN(2) == 0 {
				lit = BigIntLit(k) // (an INT column would be cast: not a column)
			}
			if flip {
				return must(reg.Call(op, lit, col))
			}
			return must(reg.Call(op, col, lit))
		}
		for range 300 {
			k1, k2 := int64(rng.IntN(11)-5), int64(rng.IntN(11)-5)
			a := cmp(x, ops[rng.IntN(6)], k1, rng.IntN(2) == 0)
			secondCol := x
			shape := rng.IntN(4) // 0, 1: AND of x; 2: AND of x and y; 3: OR
			if shape == 2 {
				secondCol = y
			}
			b := cmp(secondCol, ops[rng.IntN(6)], k2, rng.IntN(2) == 0)
			var e Expr
			if shape == 3 {
				e = must(NewOr(a, b))
			} else {
				e = must(NewAnd(a, b))
			}
			l, ok := e.(*Logic)
			if !ok {
				continue // folded or simplified by the constructor
			}
			c := &compiler{}
			ns, _, err := c.compileAll(cheapFirst(l.Args))
			if err != nil {
				t.Fatal(err)
			}
			if p := fastIntRange(l.Or, ns, nil); (p != nil) != (shape < 2) {
				t.Fatalf("%s: fused %v", e, p != nil)
			}
			if shape < 2 {
				fused++
			}
			p := must2(Compile(e))
			pa, pb := must2(Compile(a)), must2(Compile(b))
			gn, err := (&compiler{noRange: true}).compileLogic(l)
			if err != nil {
				t.Fatal(err)
			}
			for range 40 {
				val := func() table.Value {
					switch rng.IntN(8) {
					case 0:
						return table.Null
					case 1:
						return table.Int(math.MinInt64)
					case 2:
						return table.Int(math.MaxInt64)
					}
					return table.Int(int64(rng.IntN(13) - 6))
				}
				r := table.Row{Fields: []table.Value{val(), val()}}
				got, err := p(&r)
				if err != nil {
					t.Fatal(err)
				}
				va, _ := pa(&r)
				vb, _ := pb(&r)
				var want table.Value
				decisive := l.Or
				switch {
				case !va.IsNull() && va.AsBool() == decisive, !vb.IsNull() && vb.AsBool() == decisive:
					want = table.Bool(decisive)
				case va.IsNull() || vb.IsNull():
					want = table.Null
				default:
					want = table.Bool(!decisive)
				}
				if got.IsNull() != want.IsNull() || (!want.IsNull() && got.AsBool() != want.AsBool()) {
					t.Fatalf("%s at %v: %v, want %v", e, r.Fields, got, want)
				}
				if g, err := gn.p(&r); err != nil || !g.Equal(got) || g.IsNull() != got.IsNull() {
					t.Fatalf("%s at %v: %v, the generic AND %v (%v)", e, r.Fields, got, g, err)
				}
			}
		}
	}
	if fused < 100 {
		t.Fatalf("only %d ANDs fused", fused)
	}
	// A row too short for the column: the generic error.
	e := must(NewAnd(must(reg.Call(">=", ColumnRef(3, "x", table.BigIntType()), BigIntLit(1))), must(reg.Call("<", ColumnRef(3, "x", table.BigIntType()), BigIntLit(9)))))
	if _, err := must2(Compile(e))(&table.Row{Fields: []table.Value{table.Int(1)}}); err == nil {
		t.Fatal("no error for a row without the column")
	}
}

// BenchmarkIntRange: q17's FILTER (WHERE price >= 10000 AND price <
// 1000000) fused (fastIntRange) and as the generic AND of two
// comparisons.
func BenchmarkIntRange(b *testing.B) {
	x := ColumnRef(0, "price", table.BigIntType())
	e := must2(NewAnd(must2(reg.Call(">=", x, IntLit(10000))), must2(reg.Call("<", x, IntLit(1000000)))))
	rows := make([]table.Row, 1024)
	for i := range rows {
		rows[i] = table.Row{Fields: []table.Value{table.Int(int64(i * 3000))}}
	}
	for _, fuse := range []bool{true, false} {
		c := &compiler{noRange: !fuse}
		n, err := c.compileLogic(e.(*Logic))
		if err != nil {
			b.Fatal(err)
		}
		name := map[bool]string{true: "fused", false: "generic"}[fuse]
		b.Run(name, func(b *testing.B) {
			for i := range b.N {
				if _, err := n.p(&rows[i&1023]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
