package table

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// genDecimal draws decimals of up to 40 digits, small ones more often.
func genDecimal() *rapid.Generator[Decimal] {
	return rapid.Custom(func(t *rapid.T) Decimal {
		scale := rapid.IntRange(0, 20).Draw(t, "scale")
		if rapid.Bool().Draw(t, "small") {
			return NewDecimal(rapid.Int64().Draw(t, "u"), scale)
		}
		digits := rapid.StringMatching(`-?[1-9][0-9]{0,39}`).Draw(t, "digits")
		b, _ := new(big.Int).SetString(digits, 10)
		return NewDecimalBig(b, scale)
	})
}

func rat(d Decimal) *big.Rat {
	return new(big.Rat).SetFrac(d.Unscaled(), bigPow10(d.Scale()))
}

func checkExact(t *rapid.T, what string, got Decimal, want *big.Rat) {
	if rat(got).Cmp(want) != 0 {
		t.Fatalf("%s = %s, want %s", what, got, want.FloatString(40))
	}
	if got.b != nil && got.b.IsInt64() {
		t.Fatalf("%s: big form of an inline value", what)
	}
}

// roundHalfUp rounds r to scale s away from zero at .5 (BigDecimal HALF_UP).
func roundHalfUp(r *big.Rat, s int) *big.Rat {
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(bigPow10(s)))
	num, den := x.Num(), x.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	m.Abs(m).Lsh(m, 1)
	if m.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return new(big.Rat).SetFrac(q, bigPow10(s))
}

func TestDecimalProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genDecimal().Draw(t, "a")
		b := genDecimal().Draw(t, "b")
		ra, rb := rat(a), rat(b)
		checkExact(t, "add", a.Add(b), new(big.Rat).Add(ra, rb))
		checkExact(t, "sub", a.Sub(b), new(big.Rat).Sub(ra, rb))
		checkExact(t, "mul", a.Mul(b), new(big.Rat).Mul(ra, rb))
		checkExact(t, "neg", a.Neg(), new(big.Rat).Neg(ra))
		if got, want := a.Cmp(b), ra.Cmp(rb); got != want {
			t.Fatalf("cmp(%s, %s) = %d, want %d", a, b, got, want)
		}
		if a.Add(b).Scale() != max(a.Scale(), b.Scale()) || a.Mul(b).Scale() != a.Scale()+b.Scale() {
			t.Fatalf("result scales")
		}
		s := rapid.IntRange(0, 25).Draw(t, "s")
		checkExact(t, "rescale", a.Rescale(s), roundHalfUp(ra, s))
		if b.Sign() != 0 {
			q, err := a.Div(b, s)
			if err != nil {
				t.Fatal(err)
			}
			checkExact(t, "div", q, roundHalfUp(new(big.Rat).Quo(ra, rb), s))
			r, err := a.Rem(b)
			if err != nil {
				t.Fatal(err)
			}
			// a - b * trunc(a / b)
			tq := new(big.Int).Quo(new(big.Int).Mul(ra.Num(), rb.Denom()), new(big.Int).Mul(ra.Denom(), rb.Num()))
			want := new(big.Rat).Sub(ra, new(big.Rat).Mul(rb, new(big.Rat).SetInt(tq)))
			checkExact(t, "rem", r, want)
		} else if _, err := a.Div(b, s); !errors.Is(err, ErrDivisionByZero) {
			t.Fatalf("div by zero: %v", err)
		}
		// Text round trip, and Float64 near.
		p, err := ParseDecimal(a.String())
		if err != nil || p.Cmp(a) != 0 || p.Scale() != a.Scale() {
			t.Fatalf("parse(%q) = %v, %v", a.String(), p, err)
		}
		if a.Precision() != len(strings.TrimLeft(new(big.Int).Abs(a.Unscaled()).String(), "")) {
			t.Fatalf("precision of %s = %d", a, a.Precision())
		}
		fl := a.Floor()
		if rat(fl).Cmp(ra) > 0 || new(big.Rat).Sub(ra, rat(fl)).Cmp(big.NewRat(1, 1)) >= 0 {
			t.Fatalf("floor(%s) = %s", a, fl)
		}
		ce := a.Ceil()
		if rat(ce).Cmp(ra) < 0 || new(big.Rat).Sub(rat(ce), ra).Cmp(big.NewRat(1, 1)) >= 0 {
			t.Fatalf("ceil(%s) = %s", a, ce)
		}
		// Equal decimals hash alike whatever their scales.
		up := a.Rescale(a.Scale() + rapid.IntRange(0, 5).Draw(t, "up"))
		if DecimalValue(up).Hash() != DecimalValue(a).Hash() || !DecimalValue(up).Equal(DecimalValue(a)) {
			t.Fatalf("hash of %s and %s differ", a, up)
		}
	})
}

func TestDecimalText(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{"1.50", "1.50"}, {"-0.05", "-0.05"}, {".5", "0.5"}, {"5.", "5"}, {"+7", "7"},
		{"1e3", "1000"}, {"1.5E-3", "0.0015"}, {"-12345678901234567890.123", "-12345678901234567890.123"},
		{"0", "0"}, {"-0.000", "0.000"},
	} {
		d, err := ParseDecimal(c.in)
		if err != nil || d.String() != c.out {
			t.Errorf("ParseDecimal(%q) = %s, %v; want %s", c.in, d, err, c.out)
		}
	}
	for _, bad := range []string{"", "-", ".", "1.2.3", "abc", "1e", "1e99999", "--1", "1 ", "0x10"} {
		if _, err := ParseDecimal(bad); !errors.Is(err, ErrDecimalSyntax) {
			t.Errorf("ParseDecimal(%q): %v", bad, err)
		}
	}
}

func TestDecimalRoundAndType(t *testing.T) {
	d := func(s string) Decimal { x, _ := ParseDecimal(s); return x }
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"2.5", 0, "3"}, {"-2.5", 0, "-3"}, {"1.2345", 2, "1.23"}, {"1.235", 2, "1.24"},
		{"125", -1, "130"}, {"-125", -1, "-130"}, {"1.5", 3, "1.5"}, {"0.0005", 3, "0.001"},
	} {
		if got := d(c.in).Round(c.n).String(); got != c.want {
			t.Errorf("ROUND(%s, %d) = %s, want %s", c.in, c.n, got, c.want)
		}
	}
	if _, err := d("123.45").ToType(4, 2); !errors.Is(err, ErrDecimalOverflow) {
		t.Errorf("123.45 as DECIMAL(4, 2): %v", err)
	}
	if got, err := d("99.995").ToType(4, 2); !errors.Is(err, ErrDecimalOverflow) {
		t.Errorf("99.995 as DECIMAL(4, 2) rounds to 100.00: %v %v", got, err)
	}
	if got, err := d("99.995").ToType(5, 2); err != nil || got.String() != "100.00" {
		t.Errorf("99.995 as DECIMAL(5, 2) = %v, %v", got, err)
	}
	if got, err := d("12.345").ToType(5, 2); err != nil || got.String() != "12.35" {
		t.Errorf("12.345 as DECIMAL(5, 2) = %v, %v", got, err)
	}
}

// The result types of Flink's LogicalTypeMerging (and Calcite): examples
// worked from the formulas in the doc comments.
func TestDecimalResultTypes(t *testing.T) {
	type pair struct{ p, s int }
	check := func(name string, gp, gs int, want pair) {
		t.Helper()
		if (pair{gp, gs}) != want {
			t.Errorf("%s = DECIMAL(%d, %d), want DECIMAL(%d, %d)", name, gp, gs, want.p, want.s)
		}
	}
	p, s := DecimalAddType(10, 2, 5, 3)
	check("DECIMAL(10,2)+DECIMAL(5,3)", p, s, pair{12, 3})
	p, s = DecimalMulType(10, 2, 5, 3)
	check("DECIMAL(10,2)*DECIMAL(5,3)", p, s, pair{16, 5})
	p, s = DecimalDivType(10, 2, 5, 3)
	check("DECIMAL(10,2)/DECIMAL(5,3)", p, s, pair{19, 8})
	// s = max(6, 10+10+1) = 21, p = 38-10+0+21 = 49 > 38: 28 integer digits kept, scale 10.
	p, s = DecimalDivType(38, 10, 10, 0)
	check("DECIMAL(38,10)/DECIMAL(10,0)", p, s, pair{38, 10})
	// s = max(6, 2+38+1) = 41, p = 38-2+2+41 = 79: 38 integer digits, scale min(41, 6).
	p, s = DecimalDivType(38, 2, 38, 2)
	check("DECIMAL(38,2)/DECIMAL(38,2)", p, s, pair{38, 6})
	p, s = DecimalMulType(38, 10, 38, 10)
	check("DECIMAL(38,10)*DECIMAL(38,10)", p, s, pair{38, 6})
	p, s = DecimalModType(10, 2, 5, 3)
	check("MOD(DECIMAL(10,2), DECIMAL(5,3))", p, s, pair{5, 3})
	p, s = DecimalAddType(38, 7, 10, 0)
	check("DECIMAL(38,7)+DECIMAL(10,0)", p, s, pair{38, 6})
}
