package expr

import (
	"math"
	"math/big"
	"testing"

	"github.com/stromio/strom/table"
	"pgregory.net/rapid"
)

// A reference three-valued logic: 0 FALSE, 1 TRUE, 2 NULL.
type tv uint8

func tvOf(v table.Value) tv {
	switch {
	case v.IsNull():
		return 2
	case v.AsBool():
		return 1
	}
	return 0
}

func refAnd(a, b tv) tv {
	switch {
	case a == 0 || b == 0:
		return 0
	case a == 2 || b == 2:
		return 2
	}
	return 1
}

func refOr(a, b tv) tv {
	switch {
	case a == 1 || b == 1:
		return 1
	case a == 2 || b == 2:
		return 2
	}
	return 0
}

func refNot(a tv) tv {
	if a == 2 {
		return 2
	}
	return 1 - a
}

// genLogic draws a boolean expression over three nullable BOOLEAN columns
// with its reference evaluator.
func genLogic(depth int) *rapid.Generator[struct {
	e   Expr
	ref func([3]tv) tv
}] {
	type pair = struct {
		e   Expr
		ref func([3]tv) tv
	}
	return rapid.Custom(func(t *rapid.T) pair {
		k := rapid.IntRange(0, 6).Draw(t, "k")
		if depth == 0 || k < 2 {
			c := rapid.IntRange(0, 2).Draw(t, "col")
			return pair{ColumnRef(c, string(rune('p'+c)), table.BooleanType()), func(v [3]tv) tv { return v[c] }}
		}
		a := genLogic(depth-1).Draw(t, "a")
		switch k {
		case 2:
			return pair{not(a.e), func(v [3]tv) tv { return refNot(a.ref(v)) }}
		case 3:
			return pair{NewIsNull(a.e, false), func(v [3]tv) tv {
				if a.ref(v) == 2 {
					return 1
				}
				return 0
			}}
		}
		b := genLogic(depth-1).Draw(t, "b")
		if k == 4 {
			return pair{and(a.e, b.e), func(v [3]tv) tv { return refAnd(a.ref(v), b.ref(v)) }}
		}
		return pair{or(a.e, b.e), func(v [3]tv) tv { return refOr(a.ref(v), b.ref(v)) }}
	})
}

func TestThreeValuedLogic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := genLogic(4).Draw(t, "expr")
		p, err := Compile(g.e)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range [][3]tv{{0, 1, 2}, {2, 2, 2}, {1, 1, 0}, {2, 0, 1}, {1, 2, 1}, {0, 0, 0}} {
			row := table.Row{Fields: make([]table.Value, 3)}
			for i, x := range in {
				if x != 2 {
					row.Fields[i] = table.Bool(x == 1)
				}
			}
			v, err := p(&row)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tvOf(v), g.ref(in); got != want {
				t.Fatalf("%s over %v = %d, want %d", g.e, in, got, want)
			}
		}
	})
}

// TestIntegerArithmetic: + - * / % over INT and BIGINT columns agree with
// Java's wrapping arithmetic at the result width.
func TestIntegerArithmetic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		wide := rapid.Bool().Draw(t, "bigint")
		ty := table.IntType()
		gen := rapid.Int64Range(math.MinInt32, math.MaxInt32)
		if wide {
			ty, gen = table.BigIntType(), rapid.Int64()
		}
		x, y := gen.Draw(t, "x"), gen.Draw(t, "y")
		op := rapid.SampledFrom([]string{"+", "-", "*", "/", "%"}).Draw(t, "op")
		e := call(op, ColumnRef(0, "x", ty), ColumnRef(1, "y", ty))
		p, err := Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		row := table.NewRow(table.Int(x), table.Int(y))
		v, err := p(&row)
		if (op == "/" || op == "%") && y == 0 {
			if err == nil {
				t.Fatal("no division by zero error")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var want int64
		switch op {
		case "+":
			want = x + y
		case "-":
			want = x - y
		case "*":
			want = x * y
		case "/":
			want = x / y
		case "%":
			if y != -1 {
				want = x % y
			}
		}
		if !wide {
			want = int64(int32(want))
		}
		if v.AsInt() != want {
			t.Fatalf("%d %s %d = %d, want %d", x, op, y, v.AsInt(), want)
		}
	})
}

// TestDecimalArithmetic: DECIMAL + - * / through expressions give the exact
// result rounded half up to Flink's result type, or NULL when it does not
// fit.
func TestDecimalArithmetic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p1 := rapid.IntRange(1, 38).Draw(t, "p1")
		s1 := rapid.IntRange(0, p1).Draw(t, "s1")
		p2 := rapid.IntRange(1, 38).Draw(t, "p2")
		s2 := rapid.IntRange(0, p2).Draw(t, "s2")
		digits := func(p int, name string) *big.Int {
			s := rapid.StringMatching(`-?[0-9]{1,38}`).Draw(t, name)
			neg := s[0] == '-'
			if neg {
				s = s[1:]
			}
			if len(s) > p {
				s = s[:p]
			}
			b, _ := new(big.Int).SetString(s, 10)
			if neg {
				b.Neg(b)
			}
			return b
		}
		x := table.NewDecimalBig(digits(p1, "x"), s1)
		y := table.NewDecimalBig(digits(p2, "y"), s2)
		op := rapid.SampledFrom([]string{"+", "-", "*", "/"}).Draw(t, "op")
		e := call(op, ColumnRef(0, "x", table.DecimalType(p1, s1)), ColumnRef(1, "y", table.DecimalType(p2, s2)))
		p, err := Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		row := table.NewRow(table.DecimalValue(x), table.DecimalValue(y))
		v, err := p(&row)
		if op == "/" && y.Sign() == 0 {
			if err == nil {
				t.Fatal("no division by zero error")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		rp, rs := e.Type().Precision(), e.Type().Scale()
		rx := new(big.Rat).SetFrac(x.Unscaled(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s1)), nil))
		ry := new(big.Rat).SetFrac(y.Unscaled(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s2)), nil))
		var exact *big.Rat
		switch op {
		case "+":
			exact = new(big.Rat).Add(rx, ry)
		case "-":
			exact = new(big.Rat).Sub(rx, ry)
		case "*":
			exact = new(big.Rat).Mul(rx, ry)
		case "/":
			exact = new(big.Rat).Quo(rx, ry)
		}
		// Round half up to rs, then check the precision.
		scaled := new(big.Rat).Mul(exact, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(rs)), nil)))
		q, m := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
		if new(big.Int).Lsh(m.Abs(m), 1).Cmp(scaled.Denom()) >= 0 {
			if scaled.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
		if len(new(big.Int).Abs(q).String()) > rp && q.Sign() != 0 {
			if !v.IsNull() {
				t.Fatalf("%s %s %s = %s, want NULL (overflow of DECIMAL(%d, %d))", x, op, y, v, rp, rs)
			}
			return
		}
		want := table.NewDecimalBig(q, rs)
		if v.IsNull() || v.AsDecimal().Cmp(want) != 0 || v.AsDecimal().Scale() != rs {
			t.Fatalf("%s %s %s = %s, want %s (DECIMAL(%d, %d))", x, op, y, v, want, rp, rs)
		}
	})
}

// TestMinMaxRetract: MIN_RETRACT/MAX_RETRACT over random additions and
// retractions of present values equal the extremes of the multiset.
func TestMinMaxRetract(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		isMax := rapid.Bool().Draw(t, "max")
		name := "MIN_RETRACT"
		if isMax {
			name = "MAX_RETRACT"
		}
		f, err := NewAggregate(name, []table.Type{table.IntType()})
		if err != nil {
			t.Fatal(err)
		}
		acc := make([]table.Value, 1)
		f.Init(acc)
		var bag []int64
		for range rapid.IntRange(0, 40).Draw(t, "ops") {
			if len(bag) > 0 && rapid.IntRange(0, 2).Draw(t, "retract") == 0 {
				k := rapid.IntRange(0, len(bag)-1).Draw(t, "which")
				_ = f.Retract(acc, []table.Value{table.Int(bag[k])})
				bag = append(bag[:k], bag[k+1:]...)
			} else {
				v := rapid.Int64Range(-5, 5).Draw(t, "v")
				_ = f.Add(acc, []table.Value{table.Int(v)})
				bag = append(bag, v)
			}
			got, _ := f.Result(acc)
			if len(bag) == 0 {
				if !got.IsNull() {
					t.Fatalf("%s of nothing = %v", name, got)
				}
				continue
			}
			want := bag[0]
			for _, x := range bag {
				if (isMax && x > want) || (!isMax && x < want) {
					want = x
				}
			}
			if got.IsNull() || got.AsInt() != want {
				t.Fatalf("%s of %v = %v, want %d", name, bag, got, want)
			}
		}
	})
}
