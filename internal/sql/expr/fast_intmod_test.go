package expr

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

// TestFastIntModMatchesGeneric compiles MOD(col, d) of integer columns of
// every width with divisors of every width (also -1, 1, the extremes, 0,
// NULL), bare and under casts to wider and narrower integer types (TRY_CAST
// too), with fastIntMod and through the generic call and cast, and checks
// both on random rows (NULLs, values past 2^32 and negative ones, rows too
// short for the column) for the same value and the same error. Nexmark
// q13's lookup key CAST(MOD(auction, 10000) AS BIGINT) must take the fast
// path.
func TestFastIntModMatchesGeneric(t *testing.T) {
	types := []table.Type{table.TinyIntType(), table.SmallIntType(), table.IntType(), table.BigIntType()}
	lits := []Expr{IntLit(10000), IntLit(7), IntLit(-1), IntLit(1), IntLit(math.MaxInt32), IntLit(math.MinInt32), IntLit(0),
		BigIntLit(10000), BigIntLit(math.MaxInt64), BigIntLit(math.MinInt64), BigIntLit(1 << 33), BigIntLit(-3), NullLit(table.IntType())}
	rng := rand.New(rand.NewPCG(4, 8))
	val := func() table.Value {
		switch rng.IntN(8) {
		case 0:
			return table.Null
		case 1:
			return table.Int(rng.Int64())
		case 2:
			return table.Int(-rng.Int64N(1 << 40))
		case 3:
			return table.Int([]int64{0, -1, math.MinInt64, math.MaxInt64, math.MaxUint32, math.MaxUint32 + 1, math.MinInt32}[rng.IntN(7)])
		}
		return table.Int(rng.Int64N(2_000_000))
	}
	fast, q13 := 0, false
	for ci, ct := range types {
		col := ColumnRef(1, "c", ct)
		for _, lit := range lits {
			m, err := reg.Call("MOD", col, lit)
			if err != nil {
				continue
			}
			exprs := []Expr{m}
			for _, to := range types {
				for _, try := range []bool{false, true} {
					if c, err := NewCast(m, to, try); err == nil {
						exprs = append(exprs, c)
					}
				}
			}
			for _, e := range exprs {
				env := newEnv(nil)
				fn, err1 := (&compiler{env: env}).compile(e)
				sn, err2 := (&compiler{env: env, noIntMod: true}).compile(e)
				if (err1 == nil) != (err2 == nil) {
					t.Fatalf("%s: compile errors %v and %v", e, err1, err2)
				}
				if err1 != nil {
					continue
				}
				if fn.imod {
					fast++
					if c, ok := e.(*Cast); ok && ci == 3 && c.T.Root() == table.RootBigInt && !c.Try && lit.(*Literal).V.AsInt() == 10000 && lit.Type().Root() == table.RootInt {
						q13 = true
					}
				}
				for range 300 {
					fs := []table.Value{table.Str("x"), val()}
					if rng.IntN(20) == 0 {
						fs = fs[:1] // too short for the column
					}
					r := table.Row{Fields: fs}
					v1, e1 := fn.p(&r)
					v2, e2 := sn.p(&r)
					if (e1 == nil) != (e2 == nil) || (e1 != nil && e1.Error() != e2.Error()) {
						t.Fatalf("%s on %v: errors %v and %v (generic)", e, fs, e1, e2)
					}
					if v1.Kind() != v2.Kind() || table.Compare(v1, v2) != 0 {
						t.Fatalf("%s on %v: %v, generic %v", e, fs, v1, v2)
					}
				}
			}
		}
	}
	t.Logf("%d expressions through fastIntMod", fast)
	if !q13 {
		t.Error("CAST(MOD(BIGINT column, 10000) AS BIGINT) did not take the fast path")
	}
	if fast < 20 {
		t.Errorf("only %d expressions took the fast path", fast)
	}
}
