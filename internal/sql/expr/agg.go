package expr

import (
	"cmp"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/stromio/strom/table"
)

// AggregateFunc is an aggregate function over an accumulator: a small row
// of Values whose types AccTypes gives, so that the planner can keep it in
// keyed state with a table.RowCodec. The methods update acc in place.
//
// FILTER (WHERE ...) is the planner's: it calls Add only for the rows
// that pass the filter. DISTINCT (COUNT_DISTINCT, NewDistinct) keeps the
// value counts in the accumulator and calls its inner function only for
// the first occurrence of a value and the last retraction; a planner may
// instead keep the counts in keyed map state (Flink's MapView) and call
// DistinctAggregate.Inner itself, as the GROUP BY and OVER aggregations do.
type AggregateFunc interface {
	Name() string
	// ResultType is the type of Result.
	ResultType() table.Type
	// AccTypes is the schema of the accumulator.
	AccTypes() []table.Type
	// Init resets acc (len(AccTypes()) values) to the empty aggregate.
	Init(acc []table.Value)
	// Add accumulates one row's arguments (NULLs are ignored, as SQL's
	// aggregates do, except COUNT(*)). The args slice is the caller's and
	// reused for the next call: keep values from it, never the slice. acc
	// is the caller's own: Add and Retract may extend an ARRAY value of it
	// in place (the list aggregates, aggmore.go), which copies of that
	// value do not see, so a caller never adds to two copies of one
	// accumulator that both stay live.
	Add(acc []table.Value, args []table.Value) error
	// Retract takes one row's arguments back (for updating inputs);
	// ErrNoRetract when the function cannot.
	Retract(acc []table.Value, args []table.Value) error
	// Merge adds other into acc (session windows, two-phase aggregation).
	Merge(acc, other []table.Value) error
	// Result is the current value of the aggregate.
	Result(acc []table.Value) (table.Value, error)
	// CanRetract reports whether Retract is supported.
	CanRetract() bool
}

// ErrNoRetract is returned by Retract of functions that cannot retract.
var ErrNoRetract = errors.New("expr: aggregate function cannot retract")

// NewAggregate returns the built-in aggregate name (COUNT, SUM, AVG, MIN,
// MAX; case-insensitive) for the argument types (none for COUNT(*)).
//
// Result types follow Flink (LogicalTypeMerging.findSumAggType and
// findAvgAggType): COUNT is BIGINT NOT NULL; SUM and SUM0 of an integer
// type keep it (wrapping like Java's byte/short/int/long arithmetic), of
// DECIMAL(p, s) are DECIMAL(38, s), of FLOAT FLOAT (each addition rounded
// to a float32, as Java's float arithmetic of FloatSumAggFunction), of
// DOUBLE DOUBLE; AVG of integers is the same integer type (integer
// division of a BIGINT sum, as Flink's AvgAggFunction), of DECIMAL(p, s)
// DECIMAL(38, max(s, 6)), of FLOAT FLOAT (a DOUBLE sum, the quotient
// rounded: FloatAvgAggFunction), of DOUBLE DOUBLE; MIN and MAX keep the
// argument type. SUM, AVG, MIN and MAX are NULL over no non-NULL value,
// SUM0 is 0 and NOT NULL.
//
// COUNT_DISTINCT (COUNT(DISTINCT x)) keeps the same map of value counts
// and counts its keys; it retracts.
//
// MIN and MAX do not retract; MIN_RETRACT and MAX_RETRACT do, keeping
// every value's count in a sorted MAP<T, BIGINT> accumulator (Flink's
// MinWithRetractAggFunction keeps a MapView). Each update copies that map,
// O(distinct values): fine for small groups; for large ones the counts
// belong in keyed map state (done for DISTINCT: planner/distinctagg.go;
// not yet for MIN_RETRACT/MAX_RETRACT).
func NewAggregate(name string, args []table.Type) (AggregateFunc, error) {
	up := strings.ToUpper(name)
	if f, ok, err := newMoreAggregate(up, args); ok {
		return f, err
	}
	if up == "COUNT" {
		if len(args) > 1 {
			return nil, fmt.Errorf("expr: COUNT takes at most one argument")
		}
		return &countAgg{star: len(args) == 0}, nil
	}
	if len(args) != 1 {
		return nil, fmt.Errorf("expr: %s takes one argument", up)
	}
	t := args[0]
	switch up {
	case "SUM", "SUM0", "AVG":
		if !t.IsNumeric() {
			return nil, fmt.Errorf("expr: %s of %s", up, t)
		}
		var sumT table.Type
		switch {
		case t.IsInteger():
			sumT = t.AsNullable()
		case t.Root() == table.RootDecimal:
			sumT = table.DecimalType(table.MaxDecimalPrecision, t.Scale())
		default:
			sumT = table.DoubleType()
		}
		res := sumT
		f32 := false
		if t.Root() == table.RootFloat {
			// The accumulator stays a DOUBLE (the same state as before
			// FLOAT results); SUM rounds it to a float32 at every step.
			res, f32 = table.FloatType(), up != "AVG"
		}
		if up == "AVG" && t.Root() == table.RootDecimal {
			res = table.DecimalType(table.MaxDecimalPrecision, max(t.Scale(), 6))
		}
		if up == "AVG" && t.IsInteger() {
			// The sum is a BIGINT, the quotient cast back (Flink's
			// IntAvgAggFunction etc.: getSumType BIGINT).
			sumT = table.BigIntType()
		}
		if up == "SUM0" {
			res = res.NotNull()
		}
		return &sumAgg{name: up, sumT: sumT, res: res, f32: f32}, nil
	case "MIN", "MAX":
		if t.Root() == table.RootMap {
			return nil, fmt.Errorf("expr: %s of %s", up, t)
		}
		return &minMaxAgg{max: up == "MAX", t: t.AsNullable()}, nil
	case "COUNT_DISTINCT":
		if t.Root() == table.RootMap {
			return nil, fmt.Errorf("expr: %s of %s", up, t)
		}
		return &countDistinctAgg{minMaxRetractAgg{t: t.AsNullable()}}, nil
	case "MIN_RETRACT", "MAX_RETRACT":
		if t.Root() == table.RootMap {
			return nil, fmt.Errorf("expr: %s of %s", up, t)
		}
		return &minMaxRetractAgg{max: up == "MAX_RETRACT", t: t.AsNullable()}, nil
	}
	return nil, fmt.Errorf("expr: no aggregate function %s", up)
}

type countAgg struct{ star bool }

func (a *countAgg) Name() string {
	if a.star {
		return "COUNT(*)"
	}
	return "COUNT"
}
func (a *countAgg) ResultType() table.Type { return table.BigIntType().NotNull() }
func (a *countAgg) AccTypes() []table.Type { return []table.Type{table.BigIntType().NotNull()} }
func (a *countAgg) Init(acc []table.Value) { acc[0] = table.Int(0) }
func (a *countAgg) CanRetract() bool       { return true }
func (a *countAgg) counts(args []table.Value) bool {
	return a.star || len(args) == 0 || !args[0].IsNull()
}
func (a *countAgg) Add(acc, args []table.Value) error {
	if a.counts(args) {
		acc[0] = table.Int(acc[0].AsInt() + 1)
	}
	return nil
}
func (a *countAgg) Retract(acc, args []table.Value) error {
	if a.counts(args) {
		acc[0] = table.Int(acc[0].AsInt() - 1)
	}
	return nil
}
func (a *countAgg) Merge(acc, other []table.Value) error {
	acc[0] = table.Int(acc[0].AsInt() + other[0].AsInt())
	return nil
}
func (a *countAgg) Result(acc []table.Value) (table.Value, error) { return acc[0], nil }

// sumAgg is SUM, SUM0 (0 over no value) and AVG: acc = [sum, count of
// non-NULL values].
type sumAgg struct {
	name      string
	sumT, res table.Type
	// f32: SUM/SUM0 of FLOAT, whose sum is rounded to a float32 after
	// every addition (Java float arithmetic).
	f32 bool
}

func (a *sumAgg) Name() string           { return a.name }
func (a *sumAgg) ResultType() table.Type { return a.res }
func (a *sumAgg) AccTypes() []table.Type {
	return []table.Type{a.sumT.NotNull(), table.BigIntType().NotNull()}
}
func (a *sumAgg) CanRetract() bool { return true }

func (a *sumAgg) zero() table.Value {
	switch {
	case a.sumT.IsInteger():
		return table.Int(0)
	case a.sumT.Root() == table.RootDecimal:
		return table.Dec(0, a.sumT.Scale())
	}
	return table.Float(0)
}

func (a *sumAgg) Init(acc []table.Value) { acc[0], acc[1] = a.zero(), table.Int(0) }

func (a *sumAgg) add(x, y table.Value, sign int64) table.Value {
	switch {
	case a.sumT.IsInteger():
		return table.Int(wrapInt(a.sumT.Root(), x.AsInt()+sign*y.AsInt()))
	case a.sumT.Root() == table.RootDecimal:
		d := y.AsDecimal()
		if sign < 0 {
			d = d.Neg()
		}
		return table.DecimalValue(x.AsDecimal().Add(d))
	}
	if a.f32 {
		// float64 addition of two float32 values rounded once to float32
		// is the float32 sum, as Java's float + float.
		return table.Float(float64(float32(x.AsFloat() + float64(sign)*y.AsFloat())))
	}
	return table.Float(x.AsFloat() + float64(sign)*y.AsFloat())
}

func (a *sumAgg) Add(acc, args []table.Value) error {
	if args[0].IsNull() {
		return nil
	}
	acc[0] = a.add(acc[0], args[0], 1)
	acc[1] = table.Int(acc[1].AsInt() + 1)
	return nil
}

func (a *sumAgg) Retract(acc, args []table.Value) error {
	if args[0].IsNull() {
		return nil
	}
	acc[0] = a.add(acc[0], args[0], -1)
	acc[1] = table.Int(acc[1].AsInt() - 1)
	return nil
}

func (a *sumAgg) Merge(acc, other []table.Value) error {
	acc[0] = a.add(acc[0], other[0], 1)
	acc[1] = table.Int(acc[1].AsInt() + other[1].AsInt())
	return nil
}

func (a *sumAgg) Result(acc []table.Value) (table.Value, error) {
	n := acc[1].AsInt()
	if n == 0 {
		if a.name == "SUM0" {
			return a.zero(), nil
		}
		return table.Null, nil
	}
	if a.name != "AVG" {
		if a.sumT.Root() == table.RootDecimal {
			d, err := acc[0].AsDecimal().ToType(a.res.Precision(), a.res.Scale())
			if err != nil {
				return table.Null, nil
			}
			return table.DecimalValue(d), nil
		}
		return acc[0], nil
	}
	switch {
	case a.sumT.IsInteger():
		return table.Int(wrapInt(a.res.Root(), acc[0].AsInt()/n)), nil
	case a.sumT.Root() == table.RootDecimal:
		d, err := acc[0].AsDecimal().Div(table.NewDecimal(n, 0), a.res.Scale())
		if err != nil {
			return table.Null, err
		}
		if d, err = d.ToType(a.res.Precision(), a.res.Scale()); err != nil {
			return table.Null, nil
		}
		return table.DecimalValue(d), nil
	}
	if a.res.Root() == table.RootFloat {
		return table.Float(float64(float32(acc[0].AsFloat() / float64(n)))), nil
	}
	return table.Float(acc[0].AsFloat() / float64(n)), nil
}

// minMaxAgg keeps the extreme value; acc = [value or NULL].
type minMaxAgg struct {
	max bool
	t   table.Type
}

func (a *minMaxAgg) Name() string {
	if a.max {
		return "MAX"
	}
	return "MIN"
}
func (a *minMaxAgg) ResultType() table.Type           { return a.t }
func (a *minMaxAgg) AccTypes() []table.Type           { return []table.Type{a.t} }
func (a *minMaxAgg) Init(acc []table.Value)           { acc[0] = table.Null }
func (a *minMaxAgg) CanRetract() bool                 { return false }
func (a *minMaxAgg) Retract(_, _ []table.Value) error { return ErrNoRetract }
func (a *minMaxAgg) Add(acc, args []table.Value) error {
	v := args[0]
	if v.IsNull() {
		return nil
	}
	if acc[0].IsNull() {
		acc[0] = v
		return nil
	}
	c := table.Compare(v, acc[0])
	if (a.max && c > 0) || (!a.max && c < 0) {
		acc[0] = v
	}
	return nil
}
func (a *minMaxAgg) Merge(acc, other []table.Value) error { return a.Add(acc, other) }
func (a *minMaxAgg) Result(acc []table.Value) (table.Value, error) {
	return acc[0], nil
}

// minMaxRetractAgg keeps the count of every value: acc = [MAP<T, BIGINT>]
// with keys in ascending order.
type minMaxRetractAgg struct {
	max bool
	t   table.Type
}

func (a *minMaxRetractAgg) Name() string {
	if a.max {
		return "MAX_RETRACT"
	}
	return "MIN_RETRACT"
}
func (a *minMaxRetractAgg) ResultType() table.Type { return a.t }
func (a *minMaxRetractAgg) AccTypes() []table.Type {
	return []table.Type{table.MapType(a.t.NotNull(), table.BigIntType().NotNull()).NotNull()}
}
func (a *minMaxRetractAgg) Init(acc []table.Value) { acc[0] = table.Map(nil, nil) }
func (a *minMaxRetractAgg) CanRetract() bool       { return true }

// update adds delta to the count of v, copying the map.
func (a *minMaxRetractAgg) update(acc []table.Value, v table.Value, delta int64) {
	ks, cs := acc[0].MapEntries()
	i, found := sort.Find(len(ks), func(i int) int { return table.Compare(v, ks[i]) })
	nk := make([]table.Value, 0, len(ks)+1)
	nc := make([]table.Value, 0, len(ks)+1)
	nk, nc = append(nk, ks[:i]...), append(nc, cs[:i]...)
	switch {
	case found:
		if n := cs[i].AsInt() + delta; n != 0 {
			nk, nc = append(nk, ks[i]), append(nc, table.Int(n))
		}
		i++
	case delta != 0:
		nk, nc = append(nk, v), append(nc, table.Int(delta))
	}
	nk, nc = append(nk, ks[i:]...), append(nc, cs[i:]...)
	acc[0] = table.Map(nk, nc)
}

func (a *minMaxRetractAgg) Add(acc, args []table.Value) error {
	if !args[0].IsNull() {
		a.update(acc, args[0], 1)
	}
	return nil
}

func (a *minMaxRetractAgg) Retract(acc, args []table.Value) error {
	if !args[0].IsNull() {
		a.update(acc, args[0], -1)
	}
	return nil
}

func (a *minMaxRetractAgg) Merge(acc, other []table.Value) error {
	ks, cs := other[0].MapEntries()
	for i := range ks {
		a.update(acc, ks[i], cs[i].AsInt())
	}
	return nil
}

// Result is the least (greatest) value whose count is positive; values
// retracted more often than added (a count below zero, from out-of-order
// retractions) do not count.
func (a *minMaxRetractAgg) Result(acc []table.Value) (table.Value, error) {
	ks, cs := acc[0].MapEntries()
	if a.max {
		for i := len(ks) - 1; i >= 0; i-- {
			if cs[i].AsInt() > 0 {
				return ks[i], nil
			}
		}
		return table.Null, nil
	}
	for i := range ks {
		if cs[i].AsInt() > 0 {
			return ks[i], nil
		}
	}
	return table.Null, nil
}

// countDistinctAgg is COUNT(DISTINCT x) over the value counts of
// minMaxRetractAgg.
type countDistinctAgg struct{ minMaxRetractAgg }

// Inner is COUNT(x): what a planner that keeps the distinct values in
// state of its own (Flink's MapView) calls on a value's first occurrence
// and its last retraction.
func (a *countDistinctAgg) Inner() AggregateFunc { return &countAgg{} }

// DistinctAggregate is an aggregate over the distinct values of its one
// argument (COUNT_DISTINCT, NewDistinct): the function keeps the count of
// every value in its accumulator (a MAP, copied per update: O(distinct
// values)), and Inner is the aggregate it applies to the values, which a
// planner may run on its own over a map of value counts kept in keyed map
// state, calling Inner's Add when a value's count goes 0 -> 1 and Retract
// when it goes 1 -> 0.
type DistinctAggregate interface {
	AggregateFunc
	Inner() AggregateFunc
}

var (
	_ DistinctAggregate = (*countDistinctAgg)(nil)
	_ DistinctAggregate = (*distinctAgg)(nil)
)

// NewDistinct is inner (SUM, AVG, MIN, MAX ...) over the distinct values
// of its argument, of type t: acc = [MAP<t, BIGINT> of value counts, ascending]
// followed by inner's accumulator. inner sees a value when its count goes
// 0 -> 1 (Add) and 1 -> 0 (Retract); NULLs are ignored.
func NewDistinct(inner AggregateFunc, t table.Type) (AggregateFunc, error) {
	if t.Root() == table.RootMap {
		return nil, fmt.Errorf("expr: %s(DISTINCT ...) of %s", inner.Name(), t)
	}
	return &distinctAgg{counts: minMaxRetractAgg{t: t.AsNullable()}, inner: inner}, nil
}

type distinctAgg struct {
	counts minMaxRetractAgg
	inner  AggregateFunc
}

func (a *distinctAgg) Inner() AggregateFunc   { return a.inner }
func (a *distinctAgg) Name() string           { return a.inner.Name() + "_DISTINCT" }
func (a *distinctAgg) ResultType() table.Type { return a.inner.ResultType() }
func (a *distinctAgg) AccTypes() []table.Type {
	return append(a.counts.AccTypes(), a.inner.AccTypes()...)
}
func (a *distinctAgg) Init(acc []table.Value) { a.counts.Init(acc[:1]); a.inner.Init(acc[1:]) }
func (a *distinctAgg) CanRetract() bool       { return a.inner.CanRetract() }

// count is the count of v in acc.
func (a *distinctAgg) count(acc []table.Value, v table.Value) int64 {
	ks, cs := acc[0].MapEntries()
	if i, found := sort.Find(len(ks), func(i int) int { return table.Compare(v, ks[i]) }); found {
		return cs[i].AsInt()
	}
	return 0
}

// move adds delta to the count of v and tells inner when v enters
// (count 0 -> positive) or leaves (positive -> 0 or below).
func (a *distinctAgg) move(acc []table.Value, v table.Value, delta int64) error {
	old := a.count(acc, v)
	a.counts.update(acc[:1], v, delta)
	one := []table.Value{v}
	switch n := old + delta; {
	case old <= 0 && n > 0:
		return a.inner.Add(acc[1:], one)
	case old > 0 && n <= 0:
		return a.inner.Retract(acc[1:], one)
	}
	return nil
}

func (a *distinctAgg) Add(acc, args []table.Value) error {
	if args[0].IsNull() {
		return nil
	}
	return a.move(acc, args[0], 1)
}

func (a *distinctAgg) Retract(acc, args []table.Value) error {
	if args[0].IsNull() {
		return nil
	}
	return a.move(acc, args[0], -1)
}

func (a *distinctAgg) Merge(acc, other []table.Value) error {
	ks, cs := other[0].MapEntries()
	for i := range ks {
		if err := a.move(acc, ks[i], cs[i].AsInt()); err != nil {
			return err
		}
	}
	return nil
}

func (a *distinctAgg) Result(acc []table.Value) (table.Value, error) { return a.inner.Result(acc[1:]) }

func (a *countDistinctAgg) Name() string           { return "COUNT_DISTINCT" }
func (a *countDistinctAgg) ResultType() table.Type { return table.BigIntType().NotNull() }
func (a *countDistinctAgg) Result(acc []table.Value) (table.Value, error) {
	_, cs := acc[0].MapEntries()
	n := int64(0)
	for _, c := range cs {
		if c.AsInt() > 0 {
			n++
		}
	}
	return table.Int(n), nil
}

// ErrSingleValue is the error of SINGLE_VALUE holding a second row.
var ErrSingleValue = errors.New("more than one value in agg SINGLE_VALUE")

// NewSingleValue is Calcite's SINGLE_VALUE over a value of type t: the
// value of the one row it holds, NULL over none, and an error when it
// would hold two rows at once (the run-time check of a scalar subquery
// that is not known to give at most one row). NULL values count as rows.
// It retracts: a row taken back makes room for another (a changelog's -U
// before its +U), so the check is on the rows held at once, in the order
// the changes arrive. what begins the error: what happened, naming the
// subquery (e.g. "the scalar subquery at line 3, column 31 gave more than
// one row"). acc = [value, rows held].
func NewSingleValue(t table.Type, what string) AggregateFunc {
	return &singleValueAgg{t: t.AsNullable(), what: what}
}

type singleValueAgg struct {
	t    table.Type
	what string
}

func (a *singleValueAgg) Name() string           { return "SINGLE_VALUE" }
func (a *singleValueAgg) ResultType() table.Type { return a.t }
func (a *singleValueAgg) AccTypes() []table.Type {
	return []table.Type{a.t, table.BigIntType().NotNull()}
}
func (a *singleValueAgg) Init(acc []table.Value) { acc[0], acc[1] = table.Null, table.Int(0) }
func (a *singleValueAgg) CanRetract() bool       { return true }

func (a *singleValueAgg) second() error {
	return fmt.Errorf("%s (%w): a scalar subquery must give at most one row; make it one, e.g. with an aggregate (MAX(...)) or a condition that matches a single row", a.what, ErrSingleValue)
}

func (a *singleValueAgg) Add(acc, args []table.Value) error {
	if acc[1].AsInt() >= 1 {
		return a.second()
	}
	acc[0], acc[1] = args[0], table.Int(acc[1].AsInt()+1)
	return nil
}

func (a *singleValueAgg) Retract(acc, _ []table.Value) error {
	n := acc[1].AsInt() - 1
	if n < 0 {
		n = 0
	}
	acc[1] = table.Int(n)
	if n == 0 {
		acc[0] = table.Null
	}
	return nil
}

func (a *singleValueAgg) Merge(acc, other []table.Value) error {
	if other[1].AsInt() == 0 {
		return nil
	}
	if acc[1].AsInt()+other[1].AsInt() > 1 {
		return a.second()
	}
	acc[0], acc[1] = other[0], other[1]
	return nil
}

func (a *singleValueAgg) Result(acc []table.Value) (table.Value, error) { return acc[0], nil }

// IsCount reports whether f is the built-in COUNT (COUNT(x) or COUNT(*):
// star), whose accumulator is one BIGINT NOT NULL, Init 0, Add + 1 for
// every row (COUNT(*)) or every non-NULL argument, Merge the sum and
// Result the accumulator: planners may keep it as an int64.
func IsCount(f AggregateFunc) (star, ok bool) {
	c, ok := f.(*countAgg)
	if !ok {
		return false, false
	}
	return c.star, true
}

// FastAdd returns a cheaper form of f's Add of one row for COUNT, integer
// SUM/SUM0/AVG and MIN/MAX: add(acc, x) leaves acc as Add(acc, args)
// does, where x is the row's one argument (args[0]; ignored by COUNT(*),
// nargs 0), without the args slice and the dynamic call. nil for the
// other functions and argument counts (the caller calls Add). The group
// aggregations apply a row's calls without a DISTINCT view through it
// (Nexmark q17: four COUNTs, MIN, MAX, AVG and SUM per bid).
func FastAdd(f AggregateFunc, nargs int) func(acc []table.Value, x table.Value) {
	switch a := f.(type) {
	case *countAgg:
		if a.star || nargs == 0 {
			return func(acc []table.Value, _ table.Value) { acc[0] = table.Int(acc[0].AsInt() + 1) }
		}
		if nargs != 1 {
			return nil
		}
		return func(acc []table.Value, x table.Value) {
			if !x.IsNull() {
				acc[0] = table.Int(acc[0].AsInt() + 1)
			}
		}
	case *sumAgg:
		if nargs != 1 || !a.sumT.IsInteger() {
			return nil
		}
		root := a.sumT.Root()
		return func(acc []table.Value, x table.Value) {
			if x.IsNull() {
				return
			}
			acc[0] = table.Int(wrapInt(root, acc[0].AsInt()+x.AsInt()))
			acc[1] = table.Int(acc[1].AsInt() + 1)
		}
	case *minMaxAgg:
		if nargs != 1 {
			return nil
		}
		isMax := a.max
		return func(acc []table.Value, x table.Value) {
			if x.IsNull() {
				return
			}
			m := acc[0]
			if m.IsNull() {
				acc[0] = x
				return
			}
			var c int
			if x.Kind() == table.KindInt && m.Kind() == table.KindInt {
				c = cmp.Compare(x.AsInt(), m.AsInt())
			} else {
				c = table.Compare(x, m)
			}
			if (isMax && c > 0) || (!isMax && c < 0) {
				acc[0] = x
			}
		}
	}
	return nil
}

// MergeExact reports that f (with FastAdd's form) merges exactly: for
// accumulators a and b each built by Init and Add, Merge(a, b) leaves a as
// adding b's rows to a one by one would, whatever rows a and b saw.
// COUNT; SUM, SUM0 and AVG with an integer sum (two's complement
// additions, wrapped to the type as Add wraps each, are associative); MIN
// and MAX of an integer (a tie is one value). Not FLOAT/DOUBLE sums
// (their rounding depends on the order) nor MIN/MAX of other types (0.0
// and -0.0, timestamps' nanoseconds: the first of equal values stays).
// The mini-batch GROUP BY then pre-aggregates a bundle's rows as they
// come and merges them into state once per key.
func MergeExact(f AggregateFunc, args []table.Type) bool {
	if FastAdd(f, len(args)) == nil {
		return false
	}
	switch a := f.(type) {
	case *countAgg:
		return true
	case *sumAgg:
		return a.sumT.IsInteger()
	case *minMaxAgg:
		return len(args) == 1 && args[0].IsInteger() && a.t.IsInteger()
	}
	return false
}
