package expr

import (
	"math"
	"math/big"
	"math/rand"
	"testing"

	"github.com/stromio/strom/table"
)

// TestFastDecimalCompare: a DECIMAL column compared with an integer or
// DECIMAL constant (either side; Nexmark q14's `0.908 * price > 1000000`)
// gives what the generic comparison gives (table.Compare), on random
// values at the column's scale, at other scales, beyond int64 and NULL;
// constants that cannot be rescaled exactly to the column's scale are left
// to the generic path.
func TestFastDecimalCompare(t *testing.T) {
	dt := table.DecimalType(23, 3)
	x := ColumnRef(0, "x", dt)
	dec := func(u int64, s int) table.Value { return table.DecimalValue(table.NewDecimal(u, s)) }
	consts := []*Literal{
		IntLit(1000000), IntLit(-5), IntLit(0), BigIntLit(math.MaxInt64), BigIntLit(math.MinInt64),
		Lit(dec(1234, 1), table.DecimalType(5, 1)), Lit(dec(-999, 3), table.DecimalType(4, 3)),
		Lit(dec(12345, 4), table.DecimalType(6, 4)), // scale 4 > 3: generic
	}
	rng := rand.New(rand.NewSource(11))
	var rows []table.Row
	rows = append(rows, table.NewRow(table.Null))
	huge := new(big.Int).Lsh(big.NewInt(1), 70)
	rows = append(rows, table.NewRow(table.DecimalValue(table.NewDecimalBig(huge, 3))),
		table.NewRow(table.DecimalValue(table.NewDecimalBig(new(big.Int).Neg(huge), 3))))
	for i := 0; i < 300; i++ {
		var v table.Value
		switch rng.Intn(4) {
		case 0: // around the constants at scale 3
			v = dec([]int64{1000000000, -5000, 0, 1234 * 100, -999}[rng.Intn(5)]+int64(rng.Intn(3)-1), 3)
		case 1:
			v = dec(rng.Int63n(4_000_000_000)-2_000_000_000, 3)
		case 2: // another scale than the type's
			v = dec(rng.Int63n(20000)-10000, rng.Intn(5))
		default:
			v = dec(rng.Int63()-rng.Int63(), 3)
		}
		rows = append(rows, table.NewRow(v))
	}
	fast := 0
	for _, k := range consts {
		for _, op := range []string{"=", "<>", "<", "<=", ">", ">="} {
			for _, flip := range []bool{false, true} {
				a, b := Expr(x), Expr(k)
				if flip {
					a, b = b, a
				}
				e, err := reg.Call(op, a, b)
				if err != nil {
					t.Fatal(err)
				}
				c := e.(*Call)
				ns := make([]node, 2)
				for i, arg := range c.Args {
					var cc compiler
					if ns[i], err = cc.compile(arg); err != nil {
						t.Fatal(err)
					}
				}
				if fastDecimalCompare(c, ns) != nil {
					fast++
				}
				p, err := Compile(e)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					got, err := p(&r)
					if err != nil {
						t.Fatal(err)
					}
					av, bv := r.Fields[0], k.V
					if flip {
						av, bv = bv, av
					}
					want := table.Null
					if !r.Fields[0].IsNull() {
						cmp := table.Compare(av, bv)
						want = table.Bool(map[string]bool{"=": cmp == 0, "<>": cmp != 0, "<": cmp < 0, "<=": cmp <= 0, ">": cmp > 0, ">=": cmp >= 0}[op])
					}
					if !got.Equal(want) && !(got.IsNull() && want.IsNull()) {
						t.Errorf("%s over %v: %v, want %v", e, r.Fields[0], got, want)
					}
				}
			}
		}
	}
	// All but the scale-4 constant and MaxInt64/MinInt64 (not an int64
	// at scale 3) take the fast path.
	if want := 5 * 6 * 2; fast != want {
		t.Errorf("%d comparisons on the fast path, want %d", fast, want)
	}
}
