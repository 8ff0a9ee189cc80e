package expr

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/stromio/strom/table"
)

// Casts follow Flink's CastRuleProvider (1.15+, legacy cast behaviour off):
//
//	to CHAR/VARCHAR/STRING from anything: the text form (BOOLEAN "TRUE",
//	    FLOAT/DOUBLE as Java's toString, DECIMAL with its scale, TIMESTAMP(p)
//	    with p fraction digits, TIMESTAMP_LTZ in the session zone, BYTES
//	    decoded as UTF-8, ARRAY "[a, b]", MAP "{k=v}", ROW "(a, b)");
//	    VARCHAR(n) truncates, CHAR(n) pads with spaces
//	from strings: numbers (trimmed; integers accept a fraction, which is
//	    truncated; out of range is an error), BOOLEAN (true/t/yes/y/1,
//	    false/f/no/n/0, any case), DATE, TIME, TIMESTAMP(_LTZ) (ISO text;
//	    without a zone TIMESTAMP_LTZ reads it in the session zone), BYTES
//	    (UTF-8)
//	between numbers: integers narrow by wrapping, floats to integers as
//	    Java's (int)/(long) (NaN 0, saturating), decimals to integers
//	    truncate and wrap (BigDecimal.longValue), to DECIMAL round half up
//	    and give NULL when the integer part does not fit
//	BOOLEAN <-> numbers: 1/0, and non-zero is TRUE
//	DATE <-> TIMESTAMP(_LTZ), TIMESTAMP -> TIME, TIMESTAMP(p) -> TIMESTAMP(q)
//	    (fraction truncated), TIMESTAMP <-> TIMESTAMP_LTZ through the session
//	    zone
//	numbers <-> TIMESTAMP_LTZ as epoch seconds (with a fraction for DECIMAL
//	    and DOUBLE), as Flink 1.15+; numbers to TIMESTAMP are rejected
//	ARRAY, MAP and ROW (same arity) element by element
//
// Not supported (rejected when the expression is built): INTERVAL to and
// from numbers, TIME to TIMESTAMP, BINARY to numbers, structured types.

// CanCast reports whether CAST(x AS to) is allowed for x of type from.
func CanCast(from, to table.Type) bool {
	_, err := castFunc(from, to, &Env{Loc: time.UTC})
	return err == nil
}

// castMayBeNull: the cast can give NULL for a non-NULL input (a DECIMAL
// target whose integer part can overflow).
func castMayBeNull(from, to table.Type) bool {
	return to.Root() == table.RootDecimal && !table.SupportsImplicitCast(from.AsNullable(), to.AsNullable())
}

type castFn func(table.Value) (table.Value, error)

var errCast = errors.New("invalid cast")

func castErr(v table.Value, to table.Type) error {
	s := v.String()
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return fmt.Errorf("%w: cannot cast %s to %s", errCast, s, to.AsNullable())
}

// Widens reports whether to is from's kind with no smaller length or
// precision: VARCHAR(n) or CHAR(n) to VARCHAR(m >= n), VARBINARY(n) or
// BINARY(n) to VARBINARY(m >= n), TIMESTAMP(p) to TIMESTAMP(q >= p),
// TIMESTAMP_LTZ the same: a CAST from one to the other is the identity
// (Flink's IdentityCastRule), the value as it is.
func Widens(from, to table.Type) bool {
	if (from.Root() == table.RootChar && to.Root() == table.RootVarChar) ||
		(from.Root() == table.RootBinary && to.Root() == table.RootVarBinary) {
		return to.Length() >= from.Length()
	}
	if from.Root() != to.Root() {
		return false
	}
	switch from.Root() {
	case table.RootVarChar, table.RootVarBinary:
		return to.Length() >= from.Length()
	case table.RootTimestamp, table.RootTimestampLTZ:
		return to.Precision() >= from.Precision()
	}
	return false
}

// identityCast reports whether castFunc(from, to) returns every non-NULL
// value unchanged (and so never fails): the same type (but TIMESTAMP), or
// a wider one of the same kind.
func identityCast(from, to table.Type) bool {
	if from.Root() == table.RootNull {
		return false
	}
	return (from.EqualIgnoringNull(to) && to.Root() != table.RootTimestamp) || Widens(from, to)
}

func castFunc(from, to table.Type, env *Env) (castFn, error) {
	fr, tr := from.Root(), to.Root()
	if fr == table.RootNull {
		return func(table.Value) (table.Value, error) { return table.Null, nil }, nil
	}
	if identityCast(from, to) {
		// Flink: a cast to a wider type of the same kind is the identity
		// (no trim of a VARCHAR, no truncation of a TIMESTAMP's fraction,
		// as TIME below), so a value holding more than its declared type
		// (sources do not cut it) keeps it.
		return func(v table.Value) (table.Value, error) { return v, nil }, nil
	}
	switch {
	case to.IsString() && tr != table.RootChar && from.IsString():
		// CHAR/VARCHAR to VARCHAR: the text itself (no copy), truncated.
		n := to.Length()
		return func(v table.Value) (table.Value, error) {
			if v.Kind() == table.KindString && len(v.AsString()) <= n {
				return v, nil
			}
			return table.Str(truncRunes(v.AsString(), n)), nil
		}, nil
	case to.IsString():
		text, err := textFunc(from, env)
		if err != nil {
			return nil, err
		}
		n, char := to.Length(), tr == table.RootChar
		return func(v table.Value) (table.Value, error) {
			s := text(v)
			s = truncRunes(s, n)
			if char {
				if k := n - runeLen(s); k > 0 {
					s += strings.Repeat(" ", k)
				}
			}
			return table.Str(s), nil
		}, nil
	case from.IsString():
		return fromString(to, env)
	case to.IsBinary() && from.IsBinary():
		return fitBytes(to), nil
	case from.IsNumeric() && to.IsNumeric():
		return numToNum(from, to), nil
	case fr == table.RootBoolean && to.IsNumeric():
		num := numToNum(table.IntType(), to)
		return func(v table.Value) (table.Value, error) {
			if v.AsBool() {
				return num(table.Int(1))
			}
			return num(table.Int(0))
		}, nil
	case from.IsNumeric() && tr == table.RootBoolean:
		return func(v table.Value) (table.Value, error) {
			switch v.Kind() {
			case table.KindFloat:
				return table.Bool(v.AsFloat() != 0), nil
			case table.KindDecimal:
				return table.Bool(v.AsDecimal().Sign() != 0), nil
			}
			return table.Bool(v.AsInt() != 0), nil
		}, nil
	case fr == table.RootDate && tr == table.RootTimestamp:
		return func(v table.Value) (table.Value, error) {
			return table.TimestampMillis(int64(v.AsDate()) * msPerDay), nil
		}, nil
	case fr == table.RootDate && tr == table.RootTimestampLTZ:
		return func(v table.Value) (table.Value, error) {
			return table.TimestampMillis(wallToInstant(int64(v.AsDate())*msPerDay, env.Loc)), nil
		}, nil
	case fr == table.RootTime && tr == table.RootTime:
		// Flink's TimeToTimeCastRule: the same value to a precision no
		// smaller, else truncated to the target's digits (TRUNCATE_SQL_TIME).
		p := to.Precision()
		if p >= from.Precision() || p >= 3 {
			return func(v table.Value) (table.Value, error) { return v, nil }, nil
		}
		unit := int32([]int{1000, 100, 10}[p])
		return func(v table.Value) (table.Value, error) {
			ms := v.AsTime()
			return table.Time(ms - ms%unit), nil
		}, nil
	case from.IsTimestamp() && (tr == table.RootDate || tr == table.RootTime || to.IsTimestamp()):
		ltzIn, ltzOut := fr == table.RootTimestampLTZ, tr == table.RootTimestampLTZ
		p := to.Precision()
		return func(v table.Value) (table.Value, error) {
			ms, ns := v.AsTimestamp()
			if ltzIn && !ltzOut {
				ms = instantToWall(ms, env.Loc)
			}
			switch tr {
			case table.RootDate:
				return table.Date(int32(table.FloorDiv(ms, msPerDay))), nil
			case table.RootTime:
				return table.Time(int32(ms - table.FloorDiv(ms, msPerDay)*msPerDay)), nil
			}
			if ltzOut && !ltzIn {
				ms = wallToInstant(ms, env.Loc)
			}
			ms, ns = truncFraction(ms, ns, p)
			return table.Timestamp(ms, ns), nil
		}, nil
	case from.IsNumeric() && tr == table.RootTimestampLTZ:
		return func(v table.Value) (table.Value, error) {
			switch v.Kind() {
			case table.KindInt:
				s := v.AsInt()
				if s > math.MaxInt64/1000 || s < math.MinInt64/1000 {
					return table.Null, castErr(v, to)
				}
				return table.TimestampMillis(s * 1000), nil
			case table.KindFloat:
				f := v.AsFloat() * 1000
				if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 9e18 {
					return table.Null, castErr(v, to)
				}
				return table.TimestampMillis(int64(math.Floor(f))), nil
			}
			d := v.AsDecimal().Mul(table.NewDecimal(1000, 0)).Floor()
			ms, ok := d.Int64()
			if !ok {
				return table.Null, castErr(v, to)
			}
			return table.TimestampMillis(ms), nil
		}, nil
	case fr == table.RootTimestampLTZ && to.IsNumeric():
		num := numToNum(table.DecimalType(22, 3), to)
		return func(v table.Value) (table.Value, error) {
			ms, _ := v.AsTimestamp()
			if to.IsInteger() {
				return numToNum(table.BigIntType(), to)(table.Int(table.FloorDiv(ms, 1000)))
			}
			return num(table.DecimalValue(table.NewDecimal(ms, 3)))
		}, nil
	case fr == table.RootArray && tr == table.RootArray:
		ef, err := castFunc(from.Elem(), to.Elem(), env)
		if err != nil {
			return nil, err
		}
		return func(v table.Value) (table.Value, error) {
			es := v.Elems()
			out := make([]table.Value, len(es))
			for i, e := range es {
				if e.IsNull() {
					continue
				}
				x, err := ef(e)
				if err != nil {
					return table.Null, err
				}
				out[i] = x
			}
			return table.Array(out), nil
		}, nil
	case fr == table.RootMap && tr == table.RootMap:
		kf, err := castFunc(from.Elem(), to.Elem(), env)
		if err != nil {
			return nil, err
		}
		vf, err := castFunc(from.ValueType(), to.ValueType(), env)
		if err != nil {
			return nil, err
		}
		return func(v table.Value) (table.Value, error) {
			ks, vs := v.MapEntries()
			ok, ov := make([]table.Value, len(ks)), make([]table.Value, len(ks))
			for i := range ks {
				var err error
				if !ks[i].IsNull() {
					if ok[i], err = kf(ks[i]); err != nil {
						return table.Null, err
					}
				}
				if !vs[i].IsNull() {
					if ov[i], err = vf(vs[i]); err != nil {
						return table.Null, err
					}
				}
			}
			return table.Map(ok, ov), nil
		}, nil
	case fr == table.RootRow && tr == table.RootRow && len(from.Fields()) == len(to.Fields()):
		fs := make([]castFn, len(from.Fields()))
		for i := range fs {
			f, err := castFunc(from.Fields()[i].Type, to.Fields()[i].Type, env)
			if err != nil {
				return nil, err
			}
			fs[i] = f
		}
		return func(v table.Value) (table.Value, error) {
			es := v.Elems()
			out := make([]table.Value, len(fs))
			for i := range fs {
				if i < len(es) && !es[i].IsNull() {
					x, err := fs[i](es[i])
					if err != nil {
						return table.Null, err
					}
					out[i] = x
				}
			}
			return table.RowValue(out), nil
		}, nil
	}
	return nil, fmt.Errorf("cannot cast %s to %s", from, to)
}

const msPerDay = 86_400_000

// truncFraction keeps p fraction digits of a timestamp (p <= 9).
func truncFraction(ms int64, ns int32, p int) (int64, int32) {
	switch {
	case p >= 9:
		return ms, ns
	case p >= 3:
		div := int32(math.Pow10(9 - p))
		return ms, ns / div * div
	}
	div := int64(math.Pow10(3 - p))
	return table.FloorDiv(ms, div) * div, 0
}

func runeLen(s string) int { return len([]rune(s)) }

func fitBytes(to table.Type) castFn {
	n, fixed := to.Length(), to.Root() == table.RootBinary
	return func(v table.Value) (table.Value, error) {
		b := v.AsBytes()
		if len(b) > n {
			b = b[:n]
		}
		if fixed && len(b) < n {
			b = append(append([]byte(nil), b...), make([]byte, n-len(b))...)
		}
		return table.Bytes(b), nil
	}
}

// wrapInt wraps x to the width of integer root r (Java's narrowing).
func wrapInt(r table.Root, x int64) int64 {
	switch r {
	case table.RootTinyInt:
		return int64(int8(x))
	case table.RootSmallInt:
		return int64(int16(x))
	case table.RootInt:
		return int64(int32(x))
	}
	return x
}

// javaF2I is Java's (long) of a double (NaN 0, saturating), then narrowed
// as Java narrows a double to int first for the smaller types.
func javaF2I(r table.Root, f float64) int64 {
	if math.IsNaN(f) {
		return 0
	}
	if r == table.RootBigInt {
		switch {
		case f >= math.MaxInt64:
			return math.MaxInt64
		case f <= math.MinInt64:
			return math.MinInt64
		}
		return int64(f)
	}
	var i int32
	switch {
	case f >= math.MaxInt32:
		i = math.MaxInt32
	case f <= math.MinInt32:
		i = math.MinInt32
	default:
		i = int32(f)
	}
	return wrapInt(r, int64(i))
}

var two64 = new(big.Int).Lsh(big.NewInt(1), 64)

// decToInt64 truncates d and wraps it modulo 2^64 (BigDecimal.longValue).
func decToInt64(d table.Decimal) int64 {
	if i, ok := d.Int64(); ok {
		return i
	}
	u := d.Trunc().Unscaled()
	u.Mod(u, two64)
	return int64(u.Uint64())
}

func numToNum(from, to table.Type) castFn {
	tr := to.Root()
	switch {
	case to.IsInteger():
		return func(v table.Value) (table.Value, error) {
			switch v.Kind() {
			case table.KindFloat:
				return table.Int(javaF2I(tr, v.AsFloat())), nil
			case table.KindDecimal:
				return table.Int(wrapInt(tr, decToInt64(v.AsDecimal()))), nil
			}
			return table.Int(wrapInt(tr, v.AsInt())), nil
		}
	case tr == table.RootFloat:
		return func(v table.Value) (table.Value, error) { return table.Float(float64(float32(v.AsFloat()))), nil }
	case tr == table.RootDouble:
		return func(v table.Value) (table.Value, error) { return table.Float(v.AsFloat()), nil }
	case tr == table.RootDecimal:
		p, s := to.Precision(), to.Scale()
		return func(v table.Value) (table.Value, error) {
			var d table.Decimal
			if v.Kind() == table.KindFloat {
				var err error
				if d, err = table.DecimalFromFloat(v.AsFloat()); err != nil {
					return table.Null, castErr(v, to)
				}
			} else {
				d = v.AsDecimal()
			}
			r, err := d.ToType(p, s)
			if err != nil {
				return table.Null, nil // overflow is NULL (Flink)
			}
			return table.DecimalValue(r), nil
		}
	}
	return func(v table.Value) (table.Value, error) { return table.Null, castErr(v, to) }
}

// textFunc returns the CAST(... AS STRING) form of values of type t.
func textFunc(t table.Type, env *Env) (func(table.Value) string, error) {
	switch t.Root() {
	case table.RootFloat:
		return func(v table.Value) string { return javaFloat(v.AsFloat(), 32) }, nil
	case table.RootDouble:
		return func(v table.Value) string { return javaFloat(v.AsFloat(), 64) }, nil
	case table.RootBinary, table.RootVarBinary:
		return func(v table.Value) string { return string(v.AsBytes()) }, nil
	case table.RootTime:
		p := t.Precision()
		return func(v table.Value) string {
			return string(table.AppendTimePrec(nil, v.AsTime(), p))
		}, nil
	case table.RootTimestamp, table.RootTimestampLTZ:
		p, ltz := t.Precision(), t.Root() == table.RootTimestampLTZ
		return func(v table.Value) string {
			ms, ns := v.AsTimestamp()
			if ltz {
				ms = instantToWall(ms, env.Loc)
			}
			return string(table.AppendTimestampPrec(nil, ms, ns, p))
		}, nil
	case table.RootArray, table.RootMap, table.RootRow:
		return func(v table.Value) string { return string(table.AppendTypedText(nil, v, t, env.Loc)) }, nil
	case table.RootBoolean, table.RootTinyInt, table.RootSmallInt,
		table.RootInt, table.RootBigInt, table.RootDecimal, table.RootChar, table.RootVarChar, table.RootDate,
		table.RootIntervalDayTime, table.RootIntervalYearMonth:
		return func(v table.Value) string { return string(table.AppendText(nil, v)) }, nil
	}
	return nil, fmt.Errorf("cannot cast %s to STRING", t)
}

// javaFloat formats as Java's Float.toString (bits 32) or Double.toString.
func javaFloat(f float64, bits int) string {
	if bits == 32 {
		// Shortest digits of the float32, in Java's layout.
		return string(table.AppendJavaFloat(nil, f))
	}
	return string(table.AppendJavaDouble(nil, f))
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}

func fromString(to table.Type, env *Env) (castFn, error) {
	tr := to.Root()
	switch {
	case to.IsInteger():
		return func(v table.Value) (table.Value, error) {
			s := strings.TrimSpace(v.AsString())
			bits := map[table.Root]int{table.RootTinyInt: 8, table.RootSmallInt: 16, table.RootInt: 32, table.RootBigInt: 64}[tr]
			i, err := strconv.ParseInt(s, 10, bits)
			if err != nil {
				// A fraction is truncated (Flink's BinaryStringDataUtil.toLong).
				d, derr := table.ParseDecimal(s)
				if derr != nil || strings.ContainsAny(s, "eE") {
					return table.Null, castErr(v, to)
				}
				x, ok := d.Int64()
				if !ok || wrapInt(tr, x) != x {
					return table.Null, castErr(v, to)
				}
				i = x
			}
			return table.Int(i), nil
		}, nil
	case tr == table.RootFloat || tr == table.RootDouble:
		bits := 64
		if tr == table.RootFloat {
			bits = 32
		}
		return func(v table.Value) (table.Value, error) {
			f, err := strconv.ParseFloat(strings.TrimSpace(v.AsString()), bits)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return table.Null, castErr(v, to)
			}
			return table.Float(f), nil
		}, nil
	case tr == table.RootDecimal:
		p, s := to.Precision(), to.Scale()
		return func(v table.Value) (table.Value, error) {
			d, err := table.ParseDecimal(strings.TrimSpace(v.AsString()))
			if err != nil {
				return table.Null, castErr(v, to)
			}
			r, err := d.ToType(p, s)
			if err != nil {
				return table.Null, nil
			}
			return table.DecimalValue(r), nil
		}, nil
	case tr == table.RootBoolean:
		return func(v table.Value) (table.Value, error) {
			b, ok := parseBool(v.AsString())
			if !ok {
				return table.Null, castErr(v, to)
			}
			return table.Bool(b), nil
		}, nil
	case tr == table.RootDate:
		return func(v table.Value) (table.Value, error) {
			s := strings.TrimSpace(v.AsString())
			d, err := table.ParseDate(s)
			if err != nil {
				ms, _, terr := table.ParseTimestamp(s)
				if terr != nil {
					return table.Null, castErr(v, to)
				}
				d = int32(table.FloorDiv(ms, msPerDay))
			}
			return table.Date(d), nil
		}, nil
	case tr == table.RootTime:
		return func(v table.Value) (table.Value, error) {
			ms, err := table.ParseTime(strings.TrimSpace(v.AsString()))
			if err != nil {
				return table.Null, castErr(v, to)
			}
			return table.Time(ms), nil
		}, nil
	case to.IsTimestamp():
		p, ltz := to.Precision(), tr == table.RootTimestampLTZ
		return func(v table.Value) (table.Value, error) {
			s := strings.TrimSpace(v.AsString())
			ms, ns, err := table.ParseTimestamp(s)
			if err != nil {
				return table.Null, castErr(v, to)
			}
			if ltz && !hasZone(s) {
				ms = wallToInstant(ms, env.Loc)
			}
			ms, ns = truncFraction(ms, ns, p)
			return table.Timestamp(ms, ns), nil
		}, nil
	case to.IsBinary():
		fit := fitBytes(to)
		return func(v table.Value) (table.Value, error) {
			return fit(table.Bytes([]byte(v.AsString())))
		}, nil
	}
	return nil, fmt.Errorf("cannot cast a string to %s", to)
}

// hasZone reports whether ISO timestamp text ends with Z or an offset.
func hasZone(s string) bool {
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		return true
	}
	if i := strings.LastIndexAny(s, "+-"); i > 10 {
		return true
	}
	return false
}

// wallToInstant reads wall-clock epoch milliseconds as a time in loc, as
// Java's LocalDateTime.atZone (Flink): a wall time in a gap (clocks moved
// forward) is read with the offset before the transition, so it moves
// forward by the gap; a wall time in an overlap (clocks moved back) takes
// the earlier offset, the one before the transition. (Go's time.Date
// leaves both unspecified.)
func wallToInstant(wall int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return wall
	}
	offAt := func(ms int64) int64 {
		_, off := time.UnixMilli(ms).In(loc).Zone()
		return int64(off) * 1000
	}
	// The offsets a day before and after the wall time read as UTC: equal
	// unless a transition is near (offsets are within +-18 h).
	const day = 24 * 3600 * 1000
	early, late := offAt(wall-day), offAt(wall+day)
	if early == late {
		if off := offAt(wall - early); off == early {
			return wall - early
		}
		// Two transitions within two days (rare): Go's reading.
		t := time.UnixMilli(wall).UTC()
		y, mo, d := t.Date()
		h, mi, s := t.Clock()
		return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), loc).UnixMilli()
	}
	if offAt(wall-early) == early {
		return wall - early // valid with the earlier offset (also the overlap's choice)
	}
	if offAt(wall-late) == late {
		return wall - late
	}
	return wall - early // in the gap: the offset before the transition
}

// instantToWall returns the wall-clock epoch milliseconds of an instant in
// loc.
func instantToWall(ms int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return ms
	}
	_, off := time.UnixMilli(ms).In(loc).Zone()
	return ms + int64(off)*1000
}

// WallToInstant reads wall-clock epoch milliseconds (a TIMESTAMP) as a
// time in loc, as Java's LocalDateTime.atZone: a wall time in a gap moves
// forward by the gap, one in an overlap takes the earlier offset.
func WallToInstant(wall int64, loc *time.Location) int64 { return wallToInstant(wall, loc) }

// InstantToWall is the wall-clock epoch milliseconds (a TIMESTAMP) of an
// instant (epoch milliseconds, a TIMESTAMP_LTZ) in loc.
func InstantToWall(ms int64, loc *time.Location) int64 { return instantToWall(ms, loc) }
