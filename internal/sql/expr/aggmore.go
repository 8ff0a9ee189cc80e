package expr

// LISTAGG, FIRST_VALUE, LAST_VALUE and the variance family (Flink docs,
// "Aggregate Functions"). Their accumulators are rows of table values
// (ARRAY for the lists), so the planner's RowCodec keeps them in state.
// None is Mergeable (fast.go): window aggregations over them take the
// window operator, whose Merge (session windows) gets the earlier
// accumulator first.

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/stromio/strom/table"
)

// newMoreAggregate returns the aggregates of this file; ok false for
// another name.
func newMoreAggregate(up string, args []table.Type) (AggregateFunc, bool, error) {
	switch up {
	case "LISTAGG":
		if len(args) < 1 || len(args) > 2 || !isStr(args[0]) || (len(args) == 2 && !isStr(args[1])) {
			return nil, true, fmt.Errorf("expr: no overload of LISTAGG for (%s); candidates: LISTAGG(STRING); LISTAGG(STRING, STRING separator)", typeList(args))
		}
		return &listAgg{sep: len(args) == 2}, true, nil
	case "FIRST_VALUE", "LAST_VALUE", "FIRST_VALUE_RETRACT", "LAST_VALUE_RETRACT":
		if len(args) != 1 {
			return nil, true, fmt.Errorf("expr: %s takes one argument", strings.TrimSuffix(up, "_RETRACT"))
		}
		t := args[0].AsNullable()
		if t.Root() == table.RootNull {
			t = table.StringType()
		}
		last := strings.HasPrefix(up, "LAST")
		if strings.HasSuffix(up, "_RETRACT") {
			return &firstLastRetractAgg{last: last, t: t}, true, nil
		}
		return &firstLastAgg{last: last, t: t}, true, nil
	case "ARRAY_AGG", "ARRAY_AGG_DISTINCT":
		if len(args) != 1 {
			return nil, true, fmt.Errorf("expr: ARRAY_AGG takes one argument")
		}
		f, err := NewArrayAgg(args[0], up == "ARRAY_AGG_DISTINCT", false)
		return f, true, err
	case "STDDEV_POP", "STDDEV_SAMP", "STDDEV", "VAR_POP", "VAR_SAMP", "VARIANCE":
		if len(args) != 1 || !isNum(args[0]) {
			return nil, true, fmt.Errorf("expr: no overload of %s for (%s); candidates: %s(NUMERIC)", up, typeList(args), up)
		}
		t := nullTo(args[0], table.IntType()).AsNullable()
		name := map[string]string{"STDDEV": "STDDEV_SAMP", "VARIANCE": "VAR_SAMP"}[up]
		if name == "" {
			name = up
		}
		return newVarianceAgg(name, t), true, nil
	}
	return nil, false, nil
}

func typeList(ts []table.Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, ", ")
}

// listAgg is LISTAGG(x[, sep]) (Flink's ListAggWsWithRetractAggFunction):
// acc = [values in arrival order, values retracted before they were
// added, the last separator seen]. NULL values are skipped; the result
// joins the values with the separator (default ','), NULL when there is
// none. Retract takes back the earliest occurrence of the value.
type listAgg struct{ sep bool }

var tStrArray = table.ArrayType(table.StringType().NotNull()).NotNull()

func (a *listAgg) Name() string           { return "LISTAGG" }
func (a *listAgg) ResultType() table.Type { return table.StringType() }
func (a *listAgg) AccTypes() []table.Type {
	return []table.Type{tStrArray, tStrArray, table.StringType()}
}
func (a *listAgg) Init(acc []table.Value) {
	acc[0], acc[1], acc[2] = table.Array(nil), table.Array(nil), table.Null
}
func (a *listAgg) CanRetract() bool { return true }

// withValue returns list plus v, appended in place when list's backing
// array has room (amortised O(1)): an accumulator belongs to the caller
// of Add and Retract (AggregateFunc), so no other live value is extended
// from the same array, and a copy of list sees only its own length.
func withValue(list table.Value, v table.Value) table.Value {
	return table.Array(append(list.Elems(), v))
}

// withoutValue returns list without its first element equal to v, and
// whether there was one. Taking the first element back (the earliest value
// of a bounded OVER frame) reslices; another one copies the list.
func withoutValue(list table.Value, v table.Value) (table.Value, bool) {
	es := list.Elems()
	for i, e := range es {
		if e.Equal(v) {
			if i == 0 {
				return table.Array(es[1:]), true
			}
			out := make([]table.Value, 0, len(es)-1)
			out = append(append(out, es[:i]...), es[i+1:]...)
			return table.Array(out), true
		}
	}
	return list, false
}

func (a *listAgg) setSep(acc, args []table.Value) {
	if a.sep && len(args) > 1 && !args[1].IsNull() {
		acc[2] = args[1]
	}
}

func (a *listAgg) Add(acc, args []table.Value) error {
	if args[0].IsNull() {
		return nil
	}
	a.setSep(acc, args)
	if r, ok := withoutValue(acc[1], args[0]); ok {
		acc[1] = r
		return nil
	}
	acc[0] = withValue(acc[0], args[0])
	return nil
}

func (a *listAgg) Retract(acc, args []table.Value) error {
	if args[0].IsNull() {
		return nil
	}
	a.setSep(acc, args)
	if l, ok := withoutValue(acc[0], args[0]); ok {
		acc[0] = l
		return nil
	}
	acc[1] = withValue(acc[1], args[0])
	return nil
}

func (a *listAgg) Merge(acc, other []table.Value) error {
	list := append(append([]table.Value(nil), acc[0].Elems()...), other[0].Elems()...)
	pending := append(append([]table.Value(nil), acc[1].Elems()...), other[1].Elems()...)
	var retract []table.Value
	if len(pending) > 0 {
		// Each pending retraction cancels the earliest equal value: one
		// pass over the list with the retractions counted by value (the
		// values are STRING or, for FIRST/LAST_VALUE, of one type, so their
		// text keys them), not a scan of the list per retraction.
		want := make(map[string]int, len(pending))
		for _, r := range pending {
			want[valueKey(r)]++
		}
		kept := list[:0:0]
		for _, e := range list {
			k := valueKey(e)
			if want[k] > 0 {
				want[k]--
				continue
			}
			kept = append(kept, e)
		}
		list = kept
		for _, r := range pending {
			if k := valueKey(r); want[k] > 0 {
				want[k]--
				retract = append(retract, r)
			}
		}
	}
	acc[0], acc[1] = table.Array(list), table.Array(retract)
	if !other[2].IsNull() {
		acc[2] = other[2]
	}
	return nil
}

// valueKey is the map key of a list value: its text.
func valueKey(v table.Value) string { return string(table.AppendText(nil, v)) }

func (a *listAgg) Result(acc []table.Value) (table.Value, error) {
	es := acc[0].Elems()
	if len(es) == 0 {
		return table.Null, nil
	}
	sep := ","
	if !acc[2].IsNull() {
		sep = acc[2].AsString()
	}
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(e.AsString())
	}
	return table.Str(b.String()), nil
}

// firstLastAgg is FIRST_VALUE / LAST_VALUE over an append-only input
// (Flink's FirstValueAggFunction, LastValueAggFunction): the first
// (last) non-NULL value in arrival order; acc = [value].
type firstLastAgg struct {
	last bool
	t    table.Type
}

func (a *firstLastAgg) Name() string {
	if a.last {
		return "LAST_VALUE"
	}
	return "FIRST_VALUE"
}
func (a *firstLastAgg) ResultType() table.Type           { return a.t }
func (a *firstLastAgg) AccTypes() []table.Type           { return []table.Type{a.t} }
func (a *firstLastAgg) Init(acc []table.Value)           { acc[0] = table.Null }
func (a *firstLastAgg) CanRetract() bool                 { return false }
func (a *firstLastAgg) Retract(_, _ []table.Value) error { return ErrNoRetract }
func (a *firstLastAgg) Add(acc, args []table.Value) error {
	if !args[0].IsNull() && (a.last || acc[0].IsNull()) {
		acc[0] = args[0]
	}
	return nil
}

// Merge takes other as the later accumulator.
func (a *firstLastAgg) Merge(acc, other []table.Value) error { return a.Add(acc, other) }
func (a *firstLastAgg) Result(acc []table.Value) (table.Value, error) {
	return acc[0], nil
}

// firstLastRetractAgg is FIRST_VALUE / LAST_VALUE over an updating input
// (Flink's FirstValueWithRetractAggFunction and LastValue...): acc = [the
// non-NULL values held, in arrival order]. Retract takes back the
// earliest occurrence of the value; the result is the earliest (latest)
// value held, NULL when none is.
type firstLastRetractAgg struct {
	last bool
	t    table.Type
}

func (a *firstLastRetractAgg) Name() string {
	if a.last {
		return "LAST_VALUE_RETRACT"
	}
	return "FIRST_VALUE_RETRACT"
}
func (a *firstLastRetractAgg) ResultType() table.Type { return a.t }
func (a *firstLastRetractAgg) AccTypes() []table.Type {
	return []table.Type{table.ArrayType(a.t.NotNull()).NotNull(), table.ArrayType(a.t.NotNull()).NotNull()}
}
func (a *firstLastRetractAgg) Init(acc []table.Value) {
	acc[0], acc[1] = table.Array(nil), table.Array(nil)
}
func (a *firstLastRetractAgg) CanRetract() bool { return true }

// Add and Retract keep, like LISTAGG, the values retracted before they
// were added (acc[1]), so that a -U arriving before its +I cancels it.
func (a *firstLastRetractAgg) Add(acc, args []table.Value) error {
	return (&listAgg{}).Add(acc[:2:2], args[:1])
}
func (a *firstLastRetractAgg) Retract(acc, args []table.Value) error {
	return (&listAgg{}).Retract(acc[:2:2], args[:1])
}
func (a *firstLastRetractAgg) Merge(acc, other []table.Value) error {
	tmp := []table.Value{acc[0], acc[1], table.Null}
	if err := (&listAgg{}).Merge(tmp, []table.Value{other[0], other[1], table.Null}); err != nil {
		return err
	}
	acc[0], acc[1] = tmp[0], tmp[1]
	return nil
}
func (a *firstLastRetractAgg) Result(acc []table.Value) (table.Value, error) {
	es := acc[0].Elems()
	if len(es) == 0 {
		return table.Null, nil
	}
	if a.last {
		return es[len(es)-1], nil
	}
	return es[0], nil
}

// varianceAgg is VAR_POP, VAR_SAMP, STDDEV_POP and STDDEV_SAMP as Flink
// computes them after Calcite's AggregateReduceFunctionsRule: with x cast
// to the result type R, SUM(x*x), SUM(x) and COUNT(x), then
// var = (SUM(x*x) - SUM(x)*SUM(x) / COUNT) / COUNT (VAR_SAMP: / (COUNT-1),
// NULL for one value), STDDEV = POWER(var, 0.5), cast to R. R is the
// argument's type, DECIMAL(38, max(6, s)) for DECIMAL(p, s) (Flink's
// findAvgAggType): integer types compute in their own wrapping arithmetic
// and truncate (STDDEV_POP of INT is an INT). acc = [SUM(x*x), SUM(x),
// COUNT].
type varianceAgg struct {
	name string
	sumT table.Type // the sums' type
	res  table.Type
	samp bool
	sqrt bool
}

func newVarianceAgg(name string, t table.Type) *varianceAgg {
	a := &varianceAgg{name: name, samp: strings.HasSuffix(name, "_SAMP"), sqrt: strings.HasPrefix(name, "STDDEV")}
	switch {
	case t.IsInteger():
		a.sumT, a.res = t, t
	case t.Root() == table.RootDecimal:
		a.res = table.DecimalType(table.MaxDecimalPrecision, max(t.Scale(), 6))
		a.sumT = table.DecimalType(table.MaxDecimalPrecision, a.res.Scale())
	default:
		a.sumT, a.res = table.DoubleType(), t // FLOAT stays FLOAT
	}
	return a
}

func (a *varianceAgg) Name() string           { return a.name }
func (a *varianceAgg) ResultType() table.Type { return a.res }
func (a *varianceAgg) AccTypes() []table.Type {
	if a.sumT.Root() == table.RootDecimal {
		// The sums are exact (unbounded DECIMAL values): x*x doubles the
		// scale.
		return []table.Type{table.DecimalType(table.MaxDecimalPrecision, a.sqScale()).NotNull(), a.sumT.NotNull(), table.BigIntType().NotNull()}
	}
	return []table.Type{a.sumT.NotNull(), a.sumT.NotNull(), table.BigIntType().NotNull()}
}
func (a *varianceAgg) CanRetract() bool { return true }

// sqScale is the scale of the DECIMAL sum of squares: exact up to 38.
func (a *varianceAgg) sqScale() int { return min(2*a.res.Scale(), table.MaxDecimalPrecision) }

func (a *varianceAgg) zero() table.Value {
	switch {
	case a.sumT.IsInteger():
		return table.Int(0)
	case a.sumT.Root() == table.RootDecimal:
		return table.Dec(0, a.sumT.Scale())
	}
	return table.Float(0)
}

func (a *varianceAgg) Init(acc []table.Value) {
	acc[0], acc[1], acc[2] = a.zero(), a.zero(), table.Int(0)
	if a.sumT.Root() == table.RootDecimal {
		acc[0] = table.Dec(0, a.sqScale())
	}
}

// cast converts an argument to R as Flink's rewrite does before squaring.
func (a *varianceAgg) cast(v table.Value) table.Value {
	switch {
	case a.sumT.IsInteger():
		return v
	case a.sumT.Root() == table.RootDecimal:
		return table.DecimalValue(v.AsDecimal().Rescale(a.res.Scale()))
	case a.res.Root() == table.RootFloat:
		return table.Float(float64(float32(v.AsFloat())))
	}
	return v
}

func (a *varianceAgg) update(acc []table.Value, v table.Value, sign int64) {
	x := a.cast(v)
	switch {
	case a.sumT.IsInteger():
		r := a.sumT.Root()
		sq := wrapInt(r, x.AsInt()*x.AsInt())
		acc[0] = table.Int(wrapInt(r, acc[0].AsInt()+sign*sq))
		acc[1] = table.Int(wrapInt(r, acc[1].AsInt()+sign*x.AsInt()))
	case a.sumT.Root() == table.RootDecimal:
		d := x.AsDecimal()
		sq := d.Mul(d).Rescale(a.sqScale())
		if sign < 0 {
			d, sq = d.Neg(), sq.Neg()
		}
		acc[0] = table.DecimalValue(acc[0].AsDecimal().Add(sq))
		acc[1] = table.DecimalValue(acc[1].AsDecimal().Add(d))
	default:
		f := x.AsFloat()
		sq := f * f
		if a.res.Root() == table.RootFloat {
			sq = float64(float32(sq))
		}
		acc[0] = table.Float(acc[0].AsFloat() + float64(sign)*sq)
		acc[1] = table.Float(acc[1].AsFloat() + float64(sign)*f)
	}
	acc[2] = table.Int(acc[2].AsInt() + sign)
}

func (a *varianceAgg) Add(acc, args []table.Value) error {
	if !args[0].IsNull() {
		a.update(acc, args[0], 1)
	}
	return nil
}

func (a *varianceAgg) Retract(acc, args []table.Value) error {
	if !args[0].IsNull() {
		a.update(acc, args[0], -1)
	}
	return nil
}

func (a *varianceAgg) Merge(acc, other []table.Value) error {
	switch {
	case a.sumT.IsInteger():
		r := a.sumT.Root()
		acc[0] = table.Int(wrapInt(r, acc[0].AsInt()+other[0].AsInt()))
		acc[1] = table.Int(wrapInt(r, acc[1].AsInt()+other[1].AsInt()))
	case a.sumT.Root() == table.RootDecimal:
		acc[0] = table.DecimalValue(acc[0].AsDecimal().Add(other[0].AsDecimal()))
		acc[1] = table.DecimalValue(acc[1].AsDecimal().Add(other[1].AsDecimal()))
	default:
		acc[0] = table.Float(acc[0].AsFloat() + other[0].AsFloat())
		acc[1] = table.Float(acc[1].AsFloat() + other[1].AsFloat())
	}
	acc[2] = table.Int(acc[2].AsInt() + other[2].AsInt())
	return nil
}

func (a *varianceAgg) Result(acc []table.Value) (table.Value, error) {
	n := acc[2].AsInt()
	if n <= 0 || (a.samp && n == 1) {
		return table.Null, nil
	}
	den := n
	if a.samp {
		den = n - 1
	}
	switch {
	case a.sumT.IsInteger():
		// SUM(x)*SUM(x) in R, then BIGINT divisions (Java's long).
		r := a.sumT.Root()
		s := acc[1].AsInt()
		v := (acc[0].AsInt() - wrapInt(r, s*s)/n) / den
		if a.sqrt {
			return table.Int(wrapInt(r, javaF2I(r, math.Pow(float64(v), 0.5)))), nil
		}
		return table.Int(wrapInt(r, v)), nil
	case a.sumT.Root() == table.RootDecimal:
		// Exact, rounded once to R (Flink rounds each division of the
		// rewrite to its DECIMAL type: the last digit may differ).
		sq := new(big.Rat).SetFrac(acc[0].AsDecimal().Unscaled(), pow10Int(acc[0].AsDecimal().Scale()))
		s := new(big.Rat).SetFrac(acc[1].AsDecimal().Unscaled(), pow10Int(acc[1].AsDecimal().Scale()))
		nr := new(big.Rat).SetInt64(n)
		v := new(big.Rat).Sub(sq, new(big.Rat).Quo(new(big.Rat).Mul(s, s), nr))
		v.Quo(v, new(big.Rat).SetInt64(den))
		if a.sqrt {
			f, _ := v.Float64()
			d, err := table.DecimalFromFloat(math.Pow(f, 0.5))
			if err != nil {
				return table.Null, nil
			}
			if d, err = d.Round(a.res.Scale()).ToType(a.res.Precision(), a.res.Scale()); err != nil {
				return table.Null, nil
			}
			return table.DecimalValue(d), nil
		}
		d, err := ratToDecimal(v, a.res.Scale()).ToType(a.res.Precision(), a.res.Scale())
		if err != nil {
			return table.Null, nil
		}
		return table.DecimalValue(d), nil
	}
	s := acc[1].AsFloat()
	v := (acc[0].AsFloat() - s*s/float64(n)) / float64(den)
	if a.sqrt {
		v = math.Pow(v, 0.5)
	}
	if a.res.Root() == table.RootFloat {
		v = float64(float32(v))
	}
	return table.Float(v), nil
}

func pow10Int(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// ratToDecimal rounds r half up to scale digits.
func ratToDecimal(r *big.Rat, scale int) table.Decimal {
	num := new(big.Int).Mul(r.Num(), pow10Int(scale))
	den := r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Sign() != 0 {
		m2 := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
		if m2.Cmp(den) >= 0 {
			if num.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	return table.NewDecimalBig(q, scale)
}
