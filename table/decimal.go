package table

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Errors of decimal arithmetic.
var (
	ErrDecimalOverflow = errors.New("table: decimal overflow")
	ErrDivisionByZero  = errors.New("table: division by zero")
	ErrDecimalSyntax   = errors.New("table: invalid decimal")
)

// maxDecimalScale bounds the scale a Decimal may carry (a parse or a
// product beyond it is an error): 2 * 38 covers every exact product of two
// DECIMAL(38, s) values.
const maxDecimalScale = 2 * MaxDecimalPrecision

// Decimal is an exact decimal number unscaled * 10^-scale, scale >= 0. Up
// to 18 digits (any unscaled value that fits an int64) it is held inline and
// its arithmetic allocates nothing; beyond, it holds a *big.Int that is
// never mutated after construction. The zero Decimal is 0 with scale 0.
//
// Arithmetic is exact (Add, Sub, Mul) or rounds half up (Rescale, Div,
// Round), as Java's BigDecimal with RoundingMode.HALF_UP, which Flink uses
// for casts and ROUND. Fitting a result to a DECIMAL(p, s) type is
// [Decimal.ToType], which reports ErrDecimalOverflow; the SQL layer maps
// that to NULL as Flink does (see internal/sql/expr).
type Decimal struct {
	u     int64
	b     *big.Int // non-nil iff the unscaled value does not fit u
	scale int32
}

var pow10 = [19]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
	1e14, 1e15, 1e16, 1e17, 1e18}

// NewDecimal returns unscaled * 10^-scale. A negative scale multiplies.
func NewDecimal(unscaled int64, scale int) Decimal {
	if scale < 0 {
		return NewDecimalBig(big.NewInt(unscaled), scale)
	}
	return Decimal{u: unscaled, scale: int32(scale)}
}

// NewDecimalBig returns unscaled * 10^-scale; unscaled is copied. A negative
// scale multiplies.
func NewDecimalBig(unscaled *big.Int, scale int) Decimal {
	b := new(big.Int).Set(unscaled)
	if scale < 0 {
		b.Mul(b, bigPow10(-scale))
		scale = 0
	}
	return mkBig(b, int32(scale))
}

// mkBig wraps b (owned) and normalizes to the inline form when it fits.
func mkBig(b *big.Int, scale int32) Decimal {
	if b.IsInt64() {
		return Decimal{u: b.Int64(), scale: scale}
	}
	return Decimal{b: b, scale: scale}
}

func bigPow10(n int) *big.Int {
	if n < len(pow10) {
		return big.NewInt(pow10[n])
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// Scale returns the scale.
func (d Decimal) Scale() int { return int(d.scale) }

// Unscaled returns the unscaled value as a new big.Int.
func (d Decimal) Unscaled() *big.Int {
	if d.b != nil {
		return new(big.Int).Set(d.b)
	}
	return big.NewInt(d.u)
}

// UnscaledInt64 returns the unscaled value when it fits an int64.
func (d Decimal) UnscaledInt64() (int64, bool) { return d.u, d.b == nil }

func (d Decimal) big() *big.Int {
	if d.b != nil {
		return d.b
	}
	return big.NewInt(d.u)
}

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int {
	if d.b != nil {
		return d.b.Sign()
	}
	switch {
	case d.u < 0:
		return -1
	case d.u > 0:
		return 1
	}
	return 0
}

// Precision returns the number of digits of the unscaled value (at least 1).
func (d Decimal) Precision() int {
	if d.b != nil {
		return len(new(big.Int).Abs(d.b).String())
	}
	u := d.u
	if u == math.MinInt64 {
		return 19
	}
	if u < 0 {
		u = -u
	}
	n := 1
	for n < len(pow10) && u >= pow10[n] {
		n++
	}
	return n
}

// IntDigits returns the digits needed left of the point: Precision - Scale,
// at least 0.
func (d Decimal) IntDigits() int { return max(d.Precision()-int(d.scale), 0) }

// upscale returns d with a larger scale s (exact).
func (d Decimal) upscale(s int32) Decimal {
	if s <= d.scale {
		return d
	}
	k := int(s - d.scale)
	if d.b == nil && k < len(pow10) {
		if r, ok := mul64(d.u, pow10[k]); ok {
			return Decimal{u: r, scale: s}
		}
	}
	return mkBig(new(big.Int).Mul(d.big(), bigPow10(k)), s)
}

func add64(a, b int64) (int64, bool) {
	r := a + b
	return r, (a >= 0) != (b >= 0) || (r >= 0) == (a >= 0)
}

func mul64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	r := a * b
	if r/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return r, true
}

// Add returns d + e exactly, with scale max(d.Scale, e.Scale).
func (d Decimal) Add(e Decimal) Decimal {
	s := max(d.scale, e.scale)
	d, e = d.upscale(s), e.upscale(s)
	if d.b == nil && e.b == nil {
		if r, ok := add64(d.u, e.u); ok {
			return Decimal{u: r, scale: s}
		}
	}
	return mkBig(new(big.Int).Add(d.big(), e.big()), s)
}

// Neg returns -d.
func (d Decimal) Neg() Decimal {
	if d.b == nil && d.u != math.MinInt64 {
		return Decimal{u: -d.u, scale: d.scale}
	}
	return mkBig(new(big.Int).Neg(d.big()), d.scale)
}

// Abs returns |d|.
func (d Decimal) Abs() Decimal {
	if d.Sign() < 0 {
		return d.Neg()
	}
	return d
}

// Sub returns d - e exactly, with scale max(d.Scale, e.Scale).
func (d Decimal) Sub(e Decimal) Decimal { return d.Add(e.Neg()) }

// Mul returns d * e exactly, with scale d.Scale + e.Scale.
func (d Decimal) Mul(e Decimal) Decimal {
	s := d.scale + e.scale
	if d.b == nil && e.b == nil {
		if r, ok := mul64(d.u, e.u); ok {
			return Decimal{u: r, scale: s}
		}
	}
	return mkBig(new(big.Int).Mul(d.big(), e.big()), s)
}

// Cmp returns -1, 0 or +1 as d <, ==, > e (numerically: 1.0 == 1.00).
func (d Decimal) Cmp(e Decimal) int {
	if d.b == nil && e.b == nil && d.scale == e.scale {
		switch {
		case d.u < e.u:
			return -1
		case d.u > e.u:
			return 1
		}
		return 0
	}
	s := max(d.scale, e.scale)
	d, e = d.upscale(s), e.upscale(s)
	if d.b == nil && e.b == nil {
		switch {
		case d.u < e.u:
			return -1
		case d.u > e.u:
			return 1
		}
		return 0
	}
	return d.big().Cmp(e.big())
}

// Equal reports whether d and e are numerically equal.
func (d Decimal) Equal(e Decimal) bool { return d.Cmp(e) == 0 }

// divRoundHalfUp returns a/b rounded half away from zero (b != 0).
func divRoundHalfUp64(a, b int64) int64 {
	q, r := a/b, a%b
	if r == 0 {
		return q
	}
	// |2r| >= |b| rounds away from zero; compare without overflow.
	ar, ab := uint64(abs64(r)), uint64(abs64(b))
	if ar >= ab-ar {
		if (a < 0) != (b < 0) {
			q--
		} else {
			q++
		}
	}
	return q
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x // MinInt64 stays; callers convert through uint64
	}
	return x
}

func bigDivRoundHalfUp(a, b *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	if r.Sign() == 0 {
		return q
	}
	r2 := new(big.Int).Abs(r)
	r2.Lsh(r2, 1)
	if r2.CmpAbs(b) >= 0 {
		if (a.Sign() < 0) != (b.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// Rescale returns d with the given scale (>= 0), rounding half up (away
// from zero) when digits are dropped.
func (d Decimal) Rescale(scale int) Decimal {
	s := int32(max(scale, 0))
	if s >= d.scale {
		return d.upscale(s)
	}
	k := int(d.scale - s)
	if d.b == nil && k < len(pow10) {
		return Decimal{u: divRoundHalfUp64(d.u, pow10[k]), scale: s}
	}
	return mkBig(bigDivRoundHalfUp(d.big(), bigPow10(k)), s)
}

// Round rounds d half up to n digits after the point; a negative n rounds
// left of the point (ROUND(125, -1) = 130) and gives scale 0.
func (d Decimal) Round(n int) Decimal {
	if n >= 0 {
		if n >= int(d.scale) {
			return d
		}
		return d.Rescale(n)
	}
	r := d.Rescale(0)
	k := -n
	return mkBig(new(big.Int).Mul(bigDivRoundHalfUp(r.big(), bigPow10(k)), bigPow10(k)), 0)
}

// Trunc drops the fraction (rounding toward zero), giving scale 0.
func (d Decimal) Trunc() Decimal {
	if d.scale == 0 {
		return d
	}
	k := int(d.scale)
	if d.b == nil {
		if k < len(pow10) {
			return Decimal{u: d.u / pow10[k]}
		}
		return Decimal{}
	}
	return mkBig(new(big.Int).Quo(d.b, bigPow10(k)), 0)
}

// Floor rounds toward negative infinity, giving scale 0.
func (d Decimal) Floor() Decimal {
	t := d.Trunc()
	if d.Sign() < 0 && t.Cmp(d) != 0 {
		return t.Add(Decimal{u: -1})
	}
	return t
}

// Ceil rounds toward positive infinity, giving scale 0.
func (d Decimal) Ceil() Decimal {
	t := d.Trunc()
	if d.Sign() > 0 && t.Cmp(d) != 0 {
		return t.Add(Decimal{u: 1})
	}
	return t
}

// Div returns d / e rounded half up to the given scale (>= 0).
func (d Decimal) Div(e Decimal, scale int) (Decimal, error) {
	if e.Sign() == 0 {
		return Decimal{}, ErrDivisionByZero
	}
	scale = max(scale, 0)
	if scale > maxDecimalScale {
		return Decimal{}, ErrDecimalOverflow
	}
	// d/e at scale s = round(d.u * 10^(s - d.scale + e.scale) / e.u).
	k := scale - int(d.scale) + int(e.scale)
	num, den := d.big(), e.big()
	if k >= 0 {
		num = new(big.Int).Mul(num, bigPow10(k))
	} else {
		den = new(big.Int).Mul(den, bigPow10(-k))
	}
	if d.b == nil && e.b == nil && num.IsInt64() && den.IsInt64() {
		return Decimal{u: divRoundHalfUp64(num.Int64(), den.Int64()), scale: int32(scale)}, nil
	}
	return mkBig(bigDivRoundHalfUp(num, den), int32(scale)), nil
}

// Rem returns the remainder of d / e truncated toward zero (the sign of d),
// as Java's BigDecimal.remainder, with scale max(d.Scale, e.Scale).
func (d Decimal) Rem(e Decimal) (Decimal, error) {
	if e.Sign() == 0 {
		return Decimal{}, ErrDivisionByZero
	}
	s := max(d.scale, e.scale)
	d, e = d.upscale(s), e.upscale(s)
	if d.b == nil && e.b == nil {
		if e.u == -1 {
			return Decimal{scale: s}, nil
		}
		return Decimal{u: d.u % e.u, scale: s}, nil
	}
	return mkBig(new(big.Int).Rem(d.big(), e.big()), s), nil
}

// Fits reports whether d can be held by DECIMAL(p, s) once rescaled to s.
func (d Decimal) Fits(p, s int) bool {
	r := d.Rescale(s)
	return r.Precision() <= p || r.Sign() == 0
}

// ToType rescales d (half up) to DECIMAL(p, s) and reports
// ErrDecimalOverflow when its integer part needs more than p - s digits.
func (d Decimal) ToType(p, s int) (Decimal, error) {
	r := d.Rescale(s)
	if r.Sign() != 0 && r.Precision() > p {
		return Decimal{}, ErrDecimalOverflow
	}
	return r, nil
}

// Int64 returns the integer part of d (truncated toward zero) and whether
// it fits an int64.
func (d Decimal) Int64() (int64, bool) {
	t := d.Trunc()
	if t.b != nil {
		return 0, false
	}
	return t.u, true
}

// Float64 returns the nearest float64.
func (d Decimal) Float64() float64 {
	if d.b == nil && d.scale <= 15 && d.u > -(1<<53) && d.u < 1<<53 {
		// Both operands exact in a float64 (10^15 < 2^53): one correctly
		// rounded division.
		return float64(d.u) / float64(pow10[d.scale])
	}
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// DecimalFromFloat returns the decimal of the shortest decimal text that
// reads back as f (Java's BigDecimal.valueOf(double), which Flink's casts
// use). NaN and infinities are errors.
func DecimalFromFloat(f float64) (Decimal, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Decimal{}, ErrDecimalSyntax
	}
	var buf [32]byte
	return ParseDecimal(string(strconv.AppendFloat(buf[:0], f, 'g', -1, 64)))
}

// ParseDecimal parses [+-]digits[.digits][(e|E)[+-]digits] (digits may be
// empty on one side of the point). The scale is the number of fraction
// digits minus the exponent, at least 0; an exponent beyond ±1000 or a
// scale beyond 76 is an error.
func ParseDecimal(s string) (Decimal, error) {
	orig := s
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			return Decimal{}, syntaxErr(orig)
		}
		exp = e
		s = s[:i]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	if intPart == "" && frac == "" {
		return Decimal{}, syntaxErr(orig)
	}
	scale := len(frac) - exp
	var d Decimal
	digits := len(intPart) + len(frac)
	if digits <= 18 {
		var u int64
		for _, part := range [2]string{intPart, frac} {
			for i := 0; i < len(part); i++ {
				c := part[i]
				if c < '0' || c > '9' {
					return Decimal{}, syntaxErr(orig)
				}
				u = u*10 + int64(c-'0')
			}
		}
		if neg {
			u = -u
		}
		d = Decimal{u: u}
	} else {
		for _, part := range [2]string{intPart, frac} {
			for i := 0; i < len(part); i++ {
				if part[i] < '0' || part[i] > '9' {
					return Decimal{}, syntaxErr(orig)
				}
			}
		}
		b, ok := new(big.Int).SetString(intPart+frac, 10)
		if !ok {
			return Decimal{}, syntaxErr(orig)
		}
		if neg {
			b.Neg(b)
		}
		d = mkBig(b, 0)
	}
	if scale < 0 {
		return mkBig(new(big.Int).Mul(d.big(), bigPow10(-scale)), 0), nil
	}
	if scale > maxDecimalScale {
		return Decimal{}, syntaxErr(orig)
	}
	d.scale = int32(scale)
	return d, nil
}

func syntaxErr(s string) error {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return &decimalSyntaxError{s}
}

type decimalSyntaxError struct{ s string }

func (e *decimalSyntaxError) Error() string { return "table: invalid decimal " + strconv.Quote(e.s) }
func (e *decimalSyntaxError) Unwrap() error { return ErrDecimalSyntax }

// String returns d in plain notation with exactly Scale fraction digits
// ("1.50", "-0.05", "7").
func (d Decimal) String() string { return string(d.Append(nil)) }

// Append appends the String form of d to dst.
func (d Decimal) Append(dst []byte) []byte {
	var digits []byte
	var buf [24]byte
	neg := false
	if d.b == nil {
		if d.u < 0 {
			neg = true
			digits = strconv.AppendUint(buf[:0], uint64(-(d.u+1))+1, 10)
		} else {
			digits = strconv.AppendUint(buf[:0], uint64(d.u), 10)
		}
	} else {
		neg = d.b.Sign() < 0
		digits = new(big.Int).Abs(d.b).Append(nil, 10)
	}
	if neg {
		dst = append(dst, '-')
	}
	s := int(d.scale)
	if s == 0 {
		return append(dst, digits...)
	}
	if len(digits) <= s {
		dst = append(dst, '0', '.')
		for i := len(digits); i < s; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-s]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-s:]...)
}

// normalized strips trailing fraction zeros (for hashing: equal decimals of
// different scales hash alike).
func (d Decimal) normalized() Decimal {
	if d.b == nil {
		for d.scale > 0 && d.u%10 == 0 {
			d.u /= 10
			d.scale--
		}
		return d
	}
	b := new(big.Int).Set(d.b)
	ten := big.NewInt(10)
	q, r := new(big.Int), new(big.Int)
	for d.scale > 0 {
		q.QuoRem(b, ten, r)
		if r.Sign() != 0 {
			break
		}
		b.Set(q)
		d.scale--
	}
	return mkBig(b, d.scale)
}
