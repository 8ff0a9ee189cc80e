package expr

import (
	"math"

	"github.com/stromio/strom/table"
)

func registerBuiltins(r *Registry) {
	registerCollections(r) // collfn.go
	registerArith(r)
	registerCompare(r)
	registerMath(r)
	registerStrings(r)
	registerTime(r)
	registerJSON(r)
	registerMisc(r)
}

// asDec returns the DECIMAL type of an exact numeric type (INT is
// DECIMAL(10, 0)).
func asDec(t table.Type) table.Type {
	if t.Root() == table.RootDecimal {
		return t
	}
	return table.DecimalType(t.Precision(), 0)
}

type numClass uint8

const (
	clsInt numClass = iota
	clsDec
	clsFloat
)

// numericOperands types the operands of a binary numeric operator: both
// integers: the wider; a FLOAT or DOUBLE: their common type (DOUBLE with a
// DECIMAL); else both as DECIMAL.
func numericOperands(a, b table.Type) (ta, tb table.Type, cls numClass, ok bool) {
	if !isNum(a) || !isNum(b) {
		return ta, tb, 0, false
	}
	a, b = nullTo(a, b), nullTo(b, a)
	if a.Root() == table.RootNull {
		a, b = table.IntType(), table.IntType()
	}
	switch {
	case a.IsInteger() && b.IsInteger():
		ct, _ := table.CommonType(a.AsNullable(), b.AsNullable())
		return ct, ct, clsInt, true
	case a.Root() == table.RootFloat || a.Root() == table.RootDouble ||
		b.Root() == table.RootFloat || b.Root() == table.RootDouble:
		ct, _ := table.CommonType(a.AsNullable(), b.AsNullable())
		return ct, ct, clsFloat, true
	}
	return asDec(a).AsNullable(), asDec(b).AsNullable(), clsDec, true
}

func bindArith(op string) func([]table.Type) ([]table.Type, table.Type, bool) {
	return func(args []table.Type) ([]table.Type, table.Type, bool) {
		if len(args) != 2 {
			return nil, table.Type{}, false
		}
		ta, tb, cls, ok := numericOperands(args[0], args[1])
		if !ok {
			return nil, table.Type{}, false
		}
		params := []table.Type{ta, tb}
		switch {
		case cls == clsInt && op == "%" && args[1].IsInteger():
			// The remainder's magnitude is below the divisor's: it has the
			// divisor's type, as in Calcite and Flink (SQL:2003 Part 2,
			// 6.27, syntax rule 9): MOD(BIGINT, INT) is an INT.
			return params, args[1].NotNull(), true
		case cls == clsInt, cls == clsFloat:
			return params, ta.NotNull(), true
		}
		p1, s1, p2, s2 := ta.Precision(), ta.Scale(), tb.Precision(), tb.Scale()
		var p, s int
		switch op {
		case "+", "-":
			p, s = table.DecimalAddType(p1, s1, p2, s2)
		case "*":
			p, s = table.DecimalMulType(p1, s1, p2, s2)
		case "/":
			p, s = table.DecimalDivType(p1, s1, p2, s2)
		default:
			p, s = table.DecimalModType(p1, s1, p2, s2)
		}
		// Nullable: a result that overflows its type is NULL.
		return params, table.DecimalType(p, s), true
	}
}

func registerArith(r *Registry) {
	for _, op := range []string{"+", "-", "*", "/", "%"} {
		r.Register(op, Overload{
			Sig:  "NUMERIC " + op + " NUMERIC",
			Bind: bindArith(op),
			Impl: func(b *Bound) (Func, error) { return arithImpl(op, b) },
		})
	}
	r.Register("MOD", Overload{Sig: "MOD(NUMERIC, NUMERIC)", Bind: bindArith("%"),
		Impl: func(b *Bound) (Func, error) { return arithImpl("%", b) }})
	// Temporal arithmetic: TIMESTAMP/DATE +- INTERVAL, INTERVAL +- INTERVAL.
	for _, op := range []string{"+", "-"} {
		r.Register(op, Overload{
			Sig: "TIMESTAMP|DATE " + op + " INTERVAL",
			Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
				if len(args) != 2 {
					return nil, table.Type{}, false
				}
				a, b := args[0], args[1]
				isIv := func(t table.Type) bool {
					return t.Root() == table.RootIntervalDayTime || t.Root() == table.RootIntervalYearMonth
				}
				switch {
				case (a.IsTimestamp() || a.Root() == table.RootDate) && isIv(b):
					return []table.Type{a, b}, a.NotNull(), true
				case op == "+" && isIv(a) && (b.IsTimestamp() || b.Root() == table.RootDate):
					return []table.Type{a, b}, b.NotNull(), true
				case isIv(a) && a.Root() == b.Root():
					return []table.Type{a, b}, a.NotNull(), true
				}
				return nil, table.Type{}, false
			},
			Impl: func(b *Bound) (Func, error) {
				neg := op == "-"
				swap := b.Params[0].Root() == table.RootIntervalDayTime || b.Params[0].Root() == table.RootIntervalYearMonth
				if swap && b.Params[0].Root() == b.Params[1].Root() {
					return Func{F2: func(x, y table.Value) (table.Value, error) {
						if neg {
							return ivWith(x, x.AsInterval()-y.AsInterval()), nil
						}
						return ivWith(x, x.AsInterval()+y.AsInterval()), nil
					}}, nil
				}
				return Func{F2: func(x, y table.Value) (table.Value, error) {
					if swap {
						x, y = y, x
					}
					n := y.AsInterval()
					if neg {
						n = -n
					}
					return addInterval(x, y.Kind(), n), nil
				}}, nil
			},
		})
	}
	r.Register("-", Overload{
		Sig: "-NUMERIC",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 1 || !(args[0].IsNumeric() || args[0].Root() == table.RootIntervalDayTime ||
				args[0].Root() == table.RootIntervalYearMonth) {
				return nil, table.Type{}, false
			}
			return args, args[0].NotNull(), true
		},
		Impl: func(b *Bound) (Func, error) {
			root := b.Params[0].Root()
			return Func{F1: func(x table.Value) (table.Value, error) {
				switch x.Kind() {
				case table.KindInt:
					return table.Int(wrapInt(root, -x.AsInt())), nil
				case table.KindFloat:
					return table.Float(-x.AsFloat()), nil
				case table.KindDecimal:
					return table.DecimalValue(x.AsDecimal().Neg()), nil
				}
				return ivWith(x, -x.AsInterval()), nil
			}}, nil
		},
	})
}

func ivWith(like table.Value, n int64) table.Value {
	if like.Kind() == table.KindIntervalYearMonth {
		return table.IntervalMonths(int32(n))
	}
	return table.IntervalMillis(n)
}

// addInterval adds n milliseconds or months to a DATE or TIMESTAMP.
func addInterval(x table.Value, ivKind table.Kind, n int64) table.Value {
	if ivKind == table.KindIntervalYearMonth {
		if x.Kind() == table.KindDate {
			return table.Date(int32(addMonthsDays(int64(x.AsDate()), n)))
		}
		ms, ns := x.AsTimestamp()
		day := table.FloorDiv(ms, msPerDay)
		return table.Timestamp(addMonthsDays(day, n)*msPerDay+(ms-day*msPerDay), ns)
	}
	if x.Kind() == table.KindDate {
		return table.Date(int32(table.FloorDiv(int64(x.AsDate())*msPerDay+n, msPerDay)))
	}
	ms, ns := x.AsTimestamp()
	return table.Timestamp(ms+n, ns)
}

// addMonthsDays adds months to a day number, clamping the day of month
// (2024-01-31 + 1 month = 2024-02-29), as Flink's DateTimeUtils.addMonths.
func addMonthsDays(day, months int64) int64 {
	y, m, d := table.CivilFromDays(day)
	total := int64(y)*12 + int64(m-1) + months
	ny, nm := int(table.FloorDiv(total, 12)), int(total-table.FloorDiv(total, 12)*12)+1
	if dim := daysInMonth(ny, nm); d > dim {
		d = dim
	}
	return table.DaysFromCivil(ny, nm, d)
}

func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func arithImpl(op string, b *Bound) (Func, error) {
	pa := b.Params[0]
	res := b.Result
	switch {
	case pa.IsInteger():
		root := res.Root()
		var f func(x, y int64) (int64, error)
		switch op {
		case "+":
			f = func(x, y int64) (int64, error) { return x + y, nil }
		case "-":
			f = func(x, y int64) (int64, error) { return x - y, nil }
		case "*":
			f = func(x, y int64) (int64, error) { return x * y, nil }
		case "/":
			f = func(x, y int64) (int64, error) {
				if y == 0 {
					return 0, ErrDivideByZero
				}
				return x / y, nil
			}
		default:
			f = func(x, y int64) (int64, error) {
				if y == 0 {
					return 0, ErrDivideByZero
				}
				if y == -1 {
					return 0, nil
				}
				return x % y, nil
			}
		}
		if root == table.RootBigInt {
			switch op {
			case "+": // the hot paths without an indirect call
				return Func{F2: func(x, y table.Value) (table.Value, error) { return table.Int(x.AsInt() + y.AsInt()), nil }}, nil
			case "*":
				return Func{F2: func(x, y table.Value) (table.Value, error) { return table.Int(x.AsInt() * y.AsInt()), nil }}, nil
			}
		}
		if root == table.RootInt {
			switch op {
			case "+":
				return Func{F2: func(x, y table.Value) (table.Value, error) {
					return table.Int(int64(int32(x.AsInt() + y.AsInt()))), nil
				}}, nil
			case "*":
				return Func{F2: func(x, y table.Value) (table.Value, error) {
					return table.Int(int64(int32(x.AsInt() * y.AsInt()))), nil
				}}, nil
			}
		}
		return Func{F2: func(x, y table.Value) (table.Value, error) {
			r, err := f(x.AsInt(), y.AsInt())
			if err != nil {
				return table.Null, err
			}
			return table.Int(wrapInt(root, r)), nil
		}}, nil
	case pa.Root() == table.RootFloat || pa.Root() == table.RootDouble:
		f32 := res.Root() == table.RootFloat
		var f func(x, y float64) float64
		switch op {
		case "+":
			f = func(x, y float64) float64 { return x + y }
		case "-":
			f = func(x, y float64) float64 { return x - y }
		case "*":
			f = func(x, y float64) float64 { return x * y }
		case "/":
			f = func(x, y float64) float64 { return x / y }
		default:
			f = math.Mod
		}
		return Func{F2: func(x, y table.Value) (table.Value, error) {
			r := f(x.AsFloat(), y.AsFloat())
			if f32 {
				r = float64(float32(r))
			}
			return table.Float(r), nil
		}}, nil
	}
	p, s := res.Precision(), res.Scale()
	return Func{F2: func(x, y table.Value) (table.Value, error) {
		a, c := x.AsDecimal(), y.AsDecimal()
		var d table.Decimal
		switch op {
		case "+":
			d = a.Add(c)
		case "-":
			d = a.Sub(c)
		case "*":
			d = a.Mul(c)
		case "/":
			var err error
			if d, err = a.Div(c, s); err != nil {
				return table.Null, ErrDivideByZero
			}
		default:
			var err error
			if d, err = a.Rem(c); err != nil {
				return table.Null, ErrDivideByZero
			}
		}
		r, err := d.ToType(p, s)
		if err != nil {
			return table.Null, nil // overflow: NULL, as Flink
		}
		return table.DecimalValue(r), nil
	}}, nil
}

// Comparison.

func registerCompare(r *Registry) {
	tests := map[string]func(int) bool{
		"=":  func(c int) bool { return c == 0 },
		"<>": func(c int) bool { return c != 0 },
		"<":  func(c int) bool { return c < 0 },
		"<=": func(c int) bool { return c <= 0 },
		">":  func(c int) bool { return c > 0 },
		">=": func(c int) bool { return c >= 0 },
	}
	for op, test := range tests {
		r.Register(op, Overload{
			Sig: "ANY " + op + " ANY (of a common type)",
			Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
				if len(args) != 2 {
					return nil, table.Type{}, false
				}
				a, b := args[0], args[1]
				if a.IsNumeric() && b.IsNumeric() {
					ta, tb, _, _ := numericOperands(a, b)
					return []table.Type{ta, tb}, tBool, true
				}
				ct, ok := table.CommonType(a.AsNullable(), b.AsNullable())
				if !ok || ct.Root() == table.RootMap {
					return nil, table.Type{}, false
				}
				if ct.Root() == table.RootNull {
					ct = table.IntType()
				}
				return []table.Type{ct, ct}, tBool, true
			},
			Impl: func(b *Bound) (Func, error) {
				ne := op == "<>"
				if b.Params[0].IsInteger() {
					switch op { // the hot paths
					case ">":
						return Func{F2: func(x, y table.Value) (table.Value, error) { return table.Bool(x.AsInt() > y.AsInt()), nil }}, nil
					case "<":
						return Func{F2: func(x, y table.Value) (table.Value, error) { return table.Bool(x.AsInt() < y.AsInt()), nil }}, nil
					case "=":
						return Func{F2: func(x, y table.Value) (table.Value, error) { return table.Bool(x.AsInt() == y.AsInt()), nil }}, nil
					}
				}
				return Func{F2: func(x, y table.Value) (table.Value, error) {
					c, ok := sqlCompare(x, y)
					if !ok { // NaN: only <> holds
						return table.Bool(ne), nil
					}
					return table.Bool(test(c)), nil
				}}, nil
			},
		})
	}
}

// Math functions (Flink docs, "Arithmetic Functions").

func unaryNum(sig string, result func(t table.Type) table.Type, f func(t table.Type) func(table.Value) (table.Value, error)) Overload {
	return Overload{
		Sig: sig,
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 1 || !isNum(args[0]) {
				return nil, table.Type{}, false
			}
			a := nullTo(args[0], table.IntType())
			return []table.Type{a}, result(a).NotNull(), true
		},
		Impl: func(b *Bound) (Func, error) { return Func{F1: f(b.Params[0])}, nil },
	}
}

func doubleFn(name string, f func(float64) float64) Overload {
	return Overload{
		Sig:  name + "(DOUBLE) -> DOUBLE",
		Bind: Fixed(tDouble, table.DoubleType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(x table.Value) (table.Value, error) { return table.Float(f(x.AsFloat())), nil }}, nil
		},
	}
}

func same(t table.Type) table.Type { return t }

func registerMath(r *Registry) {
	r.Register("ABS", unaryNum("ABS(NUMERIC) -> NUMERIC", same, func(t table.Type) func(table.Value) (table.Value, error) {
		root := t.Root()
		return func(x table.Value) (table.Value, error) {
			switch x.Kind() {
			case table.KindInt:
				v := x.AsInt()
				if v < 0 {
					v = wrapInt(root, -v)
				}
				return table.Int(v), nil
			case table.KindFloat:
				return table.Float(math.Abs(x.AsFloat())), nil
			}
			return table.DecimalValue(x.AsDecimal().Abs()), nil
		}
	}))
	floorCeil := func(ceil bool) func(t table.Type) func(table.Value) (table.Value, error) {
		return func(t table.Type) func(table.Value) (table.Value, error) {
			return func(x table.Value) (table.Value, error) {
				switch x.Kind() {
				case table.KindInt:
					return x, nil
				case table.KindFloat:
					if ceil {
						return table.Float(math.Ceil(x.AsFloat())), nil
					}
					return table.Float(math.Floor(x.AsFloat())), nil
				}
				if ceil {
					return table.DecimalValue(x.AsDecimal().Ceil()), nil
				}
				return table.DecimalValue(x.AsDecimal().Floor()), nil
			}
		}
	}
	// FLOOR/CEIL(DECIMAL(p, s)) is DECIMAL(p - s + 1, 0) (Flink's
	// LogicalTypeMerging.findFloorCeilDecimalType).
	fcType := func(t table.Type) table.Type {
		if t.Root() == table.RootDecimal && t.Scale() > 0 {
			return table.DecimalType(min(t.Precision()-t.Scale()+1, table.MaxDecimalPrecision), 0)
		}
		return t
	}
	r.Register("FLOOR", unaryNum("FLOOR(NUMERIC) -> NUMERIC", fcType, floorCeil(false)))
	r.Register("CEIL", unaryNum("CEIL(NUMERIC) -> NUMERIC", fcType, floorCeil(true)))
	r.Register("CEILING", unaryNum("CEILING(NUMERIC) -> NUMERIC", fcType, floorCeil(true)))
	r.Register("SIGN", unaryNum("SIGN(NUMERIC) -> NUMERIC", same, func(t table.Type) func(table.Value) (table.Value, error) {
		return func(x table.Value) (table.Value, error) {
			switch x.Kind() {
			case table.KindInt:
				switch v := x.AsInt(); {
				case v > 0:
					return table.Int(1), nil
				case v < 0:
					return table.Int(-1), nil
				}
				return x, nil
			case table.KindFloat:
				f := x.AsFloat()
				if f == 0 || math.IsNaN(f) {
					return x, nil
				}
				return table.Float(math.Copysign(1, f)), nil
			}
			return table.DecimalValue(table.NewDecimal(int64(x.AsDecimal().Sign()), 0).Rescale(t.Scale())), nil
		}
	}))
	roundBind := func(args []table.Type, lits []*table.Value) ([]table.Type, table.Type, bool) {
		if len(args) < 1 || len(args) > 2 || !isNum(args[0]) || (len(args) == 2 && !isInt(args[1])) {
			return nil, table.Type{}, false
		}
		a := nullTo(args[0], table.IntType())
		params := []table.Type{a}
		if len(args) == 2 {
			params = append(params, table.IntType())
		}
		res := a
		if a.Root() == table.RootDecimal {
			// Flink's findRoundDecimalType: ROUND(DECIMAL(p, s), r) is
			// DECIMAL(p, s) if r >= s, DECIMAL(1 + p - s + r, r) for 0 <= r
			// < s, DECIMAL(1 + p - s, 0) for r < 0 (capped at 38). A
			// non-literal r keeps DECIMAL(p, s).
			n, known := 0, true
			if len(args) == 2 {
				known = lits[1] != nil && !lits[1].IsNull()
				if known {
					n = int(lits[1].AsInt())
				}
			}
			p, s := a.Precision(), a.Scale()
			switch {
			case !known || n >= s:
			case n >= 0:
				res = table.DecimalType(min(1+p-s+n, table.MaxDecimalPrecision), n)
			default:
				res = table.DecimalType(min(1+p-s, table.MaxDecimalPrecision), 0)
			}
		}
		return params, res.NotNull(), true
	}
	r.Register("ROUND", Overload{
		Sig:     "ROUND(NUMERIC[, INT]) -> NUMERIC",
		BindLit: roundBind,
		Impl: func(b *Bound) (Func, error) {
			root, res := b.Params[0].Root(), b.Result
			round := func(x table.Value, n int) (table.Value, error) {
				switch x.Kind() {
				case table.KindInt:
					if n >= 0 {
						return x, nil
					}
					d := table.NewDecimal(x.AsInt(), 0).Round(n)
					return table.Int(wrapInt(root, decToInt64(d))), nil
				case table.KindFloat:
					// Flink: BigDecimal.valueOf(x).setScale(n, HALF_UP).doubleValue().
					f := x.AsFloat()
					if math.IsNaN(f) || math.IsInf(f, 0) {
						return x, nil
					}
					d, _ := table.DecimalFromFloat(f)
					out := d.Round(n).Float64()
					if root == table.RootFloat {
						out = float64(float32(out))
					}
					return table.Float(out), nil
				}
				d, err := x.AsDecimal().Round(n).ToType(res.Precision(), res.Scale())
				if err != nil {
					return table.Null, nil
				}
				return table.DecimalValue(d), nil
			}
			if len(b.Params) == 1 {
				return Func{F1: func(x table.Value) (table.Value, error) { return round(x, 0) }}, nil
			}
			return Func{F2: func(x, n table.Value) (table.Value, error) { return round(x, int(n.AsInt())) }}, nil
		},
	})
	r.Register("POWER", Overload{Sig: "POWER(DOUBLE, DOUBLE) -> DOUBLE", Bind: Fixed(tDouble, table.DoubleType(), table.DoubleType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(x, y table.Value) (table.Value, error) {
				return table.Float(math.Pow(x.AsFloat(), y.AsFloat())), nil
			}}, nil
		}})
	r.Register("SQRT", doubleFn("SQRT", math.Sqrt))
	r.Register("LN", doubleFn("LN", math.Log))
	r.Register("LOG10", doubleFn("LOG10", math.Log10))
	r.Register("LOG2", doubleFn("LOG2", math.Log2))
	r.Register("EXP", doubleFn("EXP", math.Exp))
	r.Register("LOG", doubleFn("LOG", math.Log), Overload{
		Sig: "LOG(DOUBLE base, DOUBLE x) -> DOUBLE", Bind: Fixed(tDouble, table.DoubleType(), table.DoubleType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(b, x table.Value) (table.Value, error) {
				return table.Float(math.Log(x.AsFloat()) / math.Log(b.AsFloat())), nil
			}}, nil
		}})
}
