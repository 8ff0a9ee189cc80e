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
// constant c of random sign and scale, n a BIGINT or INT column) with
// integer and DECIMAL constants, and their AND, OR and CASE, filtered
// and evaluated with the fused test of n (mulCmpXTest) and generically,
// on rows with NULLs, edge integers and rows too short.
func TestMulCmpXTestMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	bi, in := table.BigIntType(), table.IntType()
	cols := []*Column{ColumnRef(0, "price", bi), ColumnRef(1, "i", in)}
	cs := []string{"0.908", "-0.908", "0", "0.000", "1", "-3", "12.5", "999999.999999", "-0.000001", "0.1"}
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
	cmp := func(col *Column, c string) Expr {
		prod := call("*", must(DecLit(c)), col)
		if r.IntN(2) == 0 {
			prod = call("*", col, must(DecLit(c)))
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
	fusedN := 0
	for range 400 {
		col := cols[r.IntN(len(cols))]
		c := cs[r.IntN(len(cs))]
		e1, e2 := cmp(col, c), cmp(col, cs[r.IntN(len(cs))])
		es := []Expr{e1, must(NewAnd(e1, e2)), must(NewOr(e1, e2)),
			must(NewCase([]When{{e1, StrLit("a")}, {e2, StrLit("b")}}, StrLit("c")))}
		if n, err := (&compiler{env: newEnv(nil)}).compile(e1); err == nil && n.xt != nil && n.xt.key == argKey(col) {
			fusedN++
		}
		for _, e := range es {
			fast, err1 := (&compiler{env: newEnv(nil)}).compile(e)
			slow, err2 := (&compiler{env: newEnv(nil), noXTest: true}).compile(e)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v, %v", e, err1, err2)
			}
			sh := NewShared([]Expr{e1, e2, e, call("*", must(DecLit(c)), col)})
			preds, err := sh.CompilePredicates([]Expr{e1, e2})
			if err != nil {
				t.Fatal(err)
			}
			p1, err1 := CompilePredicate(e1)
			p2, err2 := CompilePredicate(e2)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			for range 100 {
				row := rowOf()
				v1, er1 := fast.p(&row)
				v2, er2 := slow.p(&row)
				if fmt.Sprint(er1) != fmt.Sprint(er2) || v1.Kind() != v2.Kind() || table.Compare(v1, v2) != 0 {
					t.Fatalf("%s on %v: %v %v, generic %v %v", e, row, v1, er1, v2, er2)
				}
				sh.Next()
				got, gerr := true, error(nil)
				for _, p := range preds {
					ok, err := p(&row)
					if err != nil || !ok {
						got, gerr = false, err
						break
					}
				}
				want, werr := true, error(nil)
				for _, p := range []func(*table.Row) (bool, error){p1, p2} {
					ok, err := p(&row)
					if err != nil || !ok {
						want, werr = false, err
						break
					}
				}
				if got != want || fmt.Sprint(gerr) != fmt.Sprint(werr) {
					t.Fatalf("filter %s AND %s on %v: %v %v, each %v %v", e1, e2, row, got, gerr, want, werr)
				}
			}
		}
	}
	t.Logf("%d of 400 comparisons fused on the column", fusedN)
	if fusedN < 100 {
		t.Errorf("only %d comparisons fused on the column", fusedN)
	}
}
