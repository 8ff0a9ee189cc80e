package expr

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

// TestBetweenPredicate checks the BETWEEN of three columns as a filter
// (betweenPredicate, what CompilePredicate returns for it) against the
// generic BETWEEN on random integers, timestamps (equal milliseconds with
// different nanoseconds), doubles with NaN, strings and NULLs: the filter
// passes a row exactly when the generic value is TRUE.
func TestBetweenPredicate(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	types := []table.Type{table.BigIntType(), table.IntType(), table.TimestampType(9), table.DoubleType(), table.StringType()}
	val := func(ty table.Type) table.Value {
		if rng.IntN(6) == 0 {
			return table.Null
		}
		switch {
		case ty.IsInteger():
			return table.Int(int64(rng.IntN(5)))
		case ty.Root() == table.RootTimestamp:
			return table.Timestamp(int64(rng.IntN(3)), int32(rng.IntN(3)))
		case ty.Root() == table.RootDouble:
			if rng.IntN(5) == 0 {
				return table.Float(math.NaN())
			}
			return table.Float(float64(rng.IntN(4)))
		}
		return table.Str([]string{"a", "b", "c"}[rng.IntN(3)])
	}
	for _, ty := range types {
		x, lo, hi := ColumnRef(0, "x", ty), ColumnRef(1, "lo", ty), ColumnRef(2, "hi", ty)
		e := &Between{X: x, Lo: lo, Hi: hi}
		fast := betweenPredicate(e)
		if fast == nil {
			t.Fatalf("%s: BETWEEN of three columns not recognised", ty)
		}
		p, err := CompilePredicate(e)
		if err != nil {
			t.Fatal(err)
		}
		generic, err := Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		passed := 0
		for range 2000 {
			r := table.Row{Fields: []table.Value{val(ty), val(ty), val(ty)}}
			g, err := generic(&r)
			if err != nil {
				t.Fatal(err)
			}
			want := !g.IsNull() && g.AsBool()
			if got, err := fast(&r); err != nil || got != want {
				t.Fatalf("%s: %v BETWEEN %v AND %v: fast %v (%v), generic %v", ty, r.Fields[0], r.Fields[1], r.Fields[2], got, err, g)
			}
			if got, _ := p(&r); got != want {
				t.Fatalf("%s: CompilePredicate gives %v, generic %v", ty, got, g)
			}
			if want {
				passed++
			}
		}
		if passed == 0 {
			t.Fatalf("%s: no row passed", ty)
		}
	}
	for _, e := range []*Between{
		{X: ColumnRef(0, "x", table.BigIntType()), Lo: ColumnRef(1, "lo", table.BigIntType()), Hi: ColumnRef(2, "hi", table.BigIntType()), Not: true},
		{X: ColumnRef(0, "x", table.BigIntType()), Lo: ColumnRef(1, "lo", table.BigIntType()), Hi: ColumnRef(2, "hi", table.BigIntType()), Symmetric: true},
		{X: ColumnRef(0, "x", table.BigIntType()), Lo: BigIntLit(1), Hi: ColumnRef(2, "hi", table.BigIntType())},
	} {
		if betweenPredicate(e) != nil {
			t.Fatalf("%v: NOT, SYMMETRIC and a literal bound take the generic path", e)
		}
	}
	r := table.Row{Fields: []table.Value{table.Int(1), table.Int(1)}}
	if _, err := betweenPredicate(&Between{X: ColumnRef(0, "x", table.BigIntType()), Lo: ColumnRef(1, "lo", table.BigIntType()), Hi: ColumnRef(2, "hi", table.BigIntType())})(&r); err == nil {
		t.Fatal("a row without the column: no error")
	}
}
