package expr

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

// TestReviewIntRangeNarrow: ANDs of two comparisons of a TINYINT,
// SMALLINT, INT or BIGINT column with constants in and out of its range
// (either side), as values (Compile) and as filters (CompilePredicate),
// against the SQL three-valued AND of the comparisons computed on int64,
// and against the generic AND (noRange). Also under NOT and nested in
// AND/OR.
func TestReviewIntRangeNarrow(t *testing.T) {
	ops := []string{"=", "<>", "<", "<=", ">", ">="}
	rng := rand.New(rand.NewPCG(3, 3))
	tys := []table.Type{table.TinyIntType(), table.SmallIntType(), table.IntType(), table.BigIntType()}
	consts := []int64{0, 1, -1, 127, 128, -128, -129, 300, -300, 32767, 32768, -32769, 1 << 31, -(1 << 31) - 1, math.MaxInt64, math.MinInt64}
	oracle := func(op string, x, k int64) bool {
		switch op {
		case "=":
			return x == k
		case "<>":
			return x != k
		case "<":
			return x < k
		case "<=":
			return x <= k
		case ">":
			return x > k
		}
		return x >= k
	}
	fused := 0
	for _, ty := range tys {
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		switch ty.Root() {
		case table.RootTinyInt:
			lo, hi = math.MinInt8, math.MaxInt8
		case table.RootSmallInt:
			lo, hi = math.MinInt16, math.MaxInt16
		case table.RootInt:
			lo, hi = math.MinInt32, math.MaxInt32
		}
		x := ColumnRef(0, "x", ty)
		for range 400 {
			type cmp struct {
				op   string
				k    int64
				flip bool
			}
			var cs [2]cmp
			var es [2]Expr
			ok := true
			for j := range 2 {
				cs[j] = cmp{ops[rng.IntN(6)], consts[rng.IntN(len(consts))], rng.IntN(2) == 0}
				if rng.IntN(2) == 0 {
					cs[j].k = rng.Int64N(11) - 5
				}
				var lit Expr = IntLit(cs[j].k)
				var e Expr
				var err error
				if cs[j].flip {
					e, err = reg.Call(cs[j].op, lit, x)
				} else {
					e, err = reg.Call(cs[j].op, x, lit)
				}
				if err != nil {
					ok = false
					break
				}
				es[j] = e
			}
			if !ok {
				continue
			}
			and, err := NewAnd(es[0], es[1])
			if err != nil {
				t.Fatal(err)
			}
			l := and.(*Logic)
			ns, _, err := (&compiler{}).compileAll(cheapFirst(l.Args))
			if err != nil {
				t.Fatal(err)
			}
			if fastIntRange(false, ns, nil) != nil {
				fused++
			}
			p, err := Compile(and)
			if err != nil {
				t.Fatal(err)
			}
			pr, err := CompilePredicate(and)
			if err != nil {
				t.Fatal(err)
			}
			notE, _ := NewNot(and)
			pn, err := Compile(notE)
			if err != nil {
				t.Fatal(err)
			}
			gn, err := (&compiler{noRange: true}).compileLogic(l)
			if err != nil {
				t.Fatal(err)
			}
			for range 30 {
				var v table.Value
				switch rng.IntN(6) {
				case 0:
					v = table.Null
				case 1:
					v = table.Int(lo)
				case 2:
					v = table.Int(hi)
				default:
					v = table.Int(rng.Int64N(13) - 6)
				}
				r := table.Row{Fields: []table.Value{v}}
				got, err := p(&r)
				if err != nil {
					t.Fatal(err)
				}
				g2, _ := gn.p(&r)
				keep, _ := pr(&r)
				nv, _ := pn(&r)
				var want table.Value
				if v.IsNull() {
					want = table.Null
				} else {
					a := oracle(cs[0].op, v.AsInt(), cs[0].k)
					if cs[0].flip {
						a = oracle(cs[0].op, cs[0].k, v.AsInt())
					}
					b := oracle(cs[1].op, v.AsInt(), cs[1].k)
					if cs[1].flip {
						b = oracle(cs[1].op, cs[1].k, v.AsInt())
					}
					want = table.Bool(a && b)
				}
				if got.IsNull() != want.IsNull() || (!want.IsNull() && got.AsBool() != want.AsBool()) ||
					g2.IsNull() != got.IsNull() || (!got.IsNull() && g2.AsBool() != got.AsBool()) {
					t.Fatalf("%s at %v: %v, generic %v, want %v", and, v, got, g2, want)
				}
				if keep != (!want.IsNull() && want.AsBool()) {
					t.Fatalf("%s at %v: filter %v, want %v", and, v, keep, want)
				}
				if nv.IsNull() != want.IsNull() || (!want.IsNull() && nv.AsBool() == want.AsBool()) {
					t.Fatalf("NOT %s at %v: %v, want NOT %v", and, v, nv, want)
				}
			}
		}
	}
	t.Logf("fused %d", fused)
	if fused == 0 {
		t.Fatal("nothing fused")
	}
}
