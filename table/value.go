package table

import (
	"bytes"
	"cmp"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unsafe"
)

// Kind is the physical kind of a [Value]. Several logical types share one
// kind: every integer type is KindInt, FLOAT and DOUBLE are KindFloat, CHAR
// and VARCHAR KindString, TIMESTAMP and TIMESTAMP_LTZ KindTimestamp.
type Kind uint8

// The value kinds.
const (
	KindNull Kind = iota
	KindBool
	KindInt
	KindFloat
	KindDecimal
	KindString
	KindBytes
	KindDate
	KindTime
	KindTimestamp
	KindIntervalDayTime
	KindIntervalYearMonth
	KindArray
	KindMap
	KindRow
	numKinds
)

var kindNames = [numKinds]string{"NULL", "BOOL", "INT", "FLOAT", "DECIMAL", "STRING", "BYTES",
	"DATE", "TIME", "TIMESTAMP", "INTERVAL_DAY_TIME", "INTERVAL_YEAR_MONTH", "ARRAY", "MAP", "ROW"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// KindOf returns the value kind that holds values of logical type t.
func KindOf(t Type) Kind {
	switch t.root {
	case RootBoolean:
		return KindBool
	case RootTinyInt, RootSmallInt, RootInt, RootBigInt:
		return KindInt
	case RootFloat, RootDouble:
		return KindFloat
	case RootDecimal:
		return KindDecimal
	case RootChar, RootVarChar:
		return KindString
	case RootBinary, RootVarBinary:
		return KindBytes
	case RootDate:
		return KindDate
	case RootTime:
		return KindTime
	case RootTimestamp, RootTimestampLTZ:
		return KindTimestamp
	case RootIntervalDayTime:
		return KindIntervalDayTime
	case RootIntervalYearMonth:
		return KindIntervalYearMonth
	case RootArray:
		return KindArray
	case RootMap:
		return KindMap
	case RootRow:
		return KindRow
	}
	return KindNull
}

// Value is one SQL value: a 24-byte tagged struct (see the package doc).
// The zero Value is NULL. Compare values with [Value.Equal] or [Compare],
// never with == (strings and big decimals are held by pointer).
//
// Four fields, not five: the Go compiler keeps a struct of at most four
// fields in registers (it decomposes it into its fields), so a Value
// returned by a function stays in registers where a larger one is
// written to the stack field by field and copied from there (a
// store-forwarding stall per Value, measured in the lookup join's key).
// The decimal's scale and the timestamp's nanoseconds share aux.
type Value struct {
	kind Kind
	aux  uint32 // KindDecimal: the scale; KindTimestamp: nanoseconds within the millisecond
	n    int64  // the inline payload, or the length of a string or bytes
	p    unsafe.Pointer
}

type listData struct{ elems []Value }

type mapData struct{ keys, vals []Value }

// Null is the NULL value (the zero Value).
var Null Value

// Bool returns a BOOLEAN value.
func Bool(b bool) Value {
	v := Value{kind: KindBool}
	if b {
		v.n = 1
	}
	return v
}

// Int returns an integer value (TINYINT, SMALLINT, INT or BIGINT).
func Int(i int64) Value { return Value{kind: KindInt, n: i} }

// Float returns a FLOAT or DOUBLE value.
func Float(f float64) Value { return Value{kind: KindFloat, n: int64(math.Float64bits(f))} }

// Dec returns the DECIMAL value unscaled * 10^-scale (0 <= scale <= 38;
// scale is clamped to that range).
func Dec(unscaled int64, scale int) Value {
	return Value{kind: KindDecimal, n: unscaled, aux: uint32(min(max(scale, 0), MaxDecimalPrecision))}
}

// DecimalValue returns d as a value. A scale beyond 38 is first rounded
// half up to 38.
func DecimalValue(d Decimal) Value {
	if d.scale > MaxDecimalPrecision {
		d = d.Rescale(MaxDecimalPrecision)
	}
	if d.b == nil {
		return Value{kind: KindDecimal, n: d.u, aux: uint32(d.scale)}
	}
	return Value{kind: KindDecimal, p: unsafe.Pointer(d.b), aux: uint32(d.scale)}
}

// Str returns a CHAR or VARCHAR value; s is held, not copied.
func Str(s string) Value {
	if len(s) == 0 {
		return Value{kind: KindString} // no pointer past the end of some array
	}
	return Value{kind: KindString, n: int64(len(s)), p: unsafe.Pointer(unsafe.StringData(s))}
}

// Bytes returns a BINARY or VARBINARY value; b is held, not copied, and must
// not be modified afterwards. A nil b is an empty value, not NULL.
func Bytes(b []byte) Value {
	if len(b) == 0 {
		return Value{kind: KindBytes}
	}
	return Value{kind: KindBytes, n: int64(len(b)), p: unsafe.Pointer(unsafe.SliceData(b))}
}

// Date returns a DATE value: days since 1970-01-01.
func Date(days int32) Value { return Value{kind: KindDate, n: int64(days)} }

// Time returns a TIME value: milliseconds of the day [0, 86_400_000).
func Time(millis int32) Value { return Value{kind: KindTime, n: int64(millis)} }

// Timestamp returns a TIMESTAMP or TIMESTAMP_LTZ value: milliseconds since
// the epoch plus nanoseconds within the millisecond (clamped to [0, 999999]).
func Timestamp(millis int64, nanos int32) Value {
	return Value{kind: KindTimestamp, n: millis, aux: uint32(min(max(nanos, 0), 999_999))}
}

// TimestampMillis returns a TIMESTAMP value of epoch milliseconds.
func TimestampMillis(millis int64) Value { return Value{kind: KindTimestamp, n: millis} }

// IntervalMillis returns an INTERVAL DAY TO SECOND value.
func IntervalMillis(ms int64) Value { return Value{kind: KindIntervalDayTime, n: ms} }

// IntervalMonths returns an INTERVAL YEAR TO MONTH value.
func IntervalMonths(months int32) Value { return Value{kind: KindIntervalYearMonth, n: int64(months)} }

// Array returns an ARRAY value; elems is held, not copied.
func Array(elems []Value) Value {
	return Value{kind: KindArray, p: unsafe.Pointer(&listData{elems})}
}

// Map returns a MAP value of parallel keys and values (held, not copied;
// they must have the same length, else the shorter length is used).
func Map(keys, vals []Value) Value {
	n := min(len(keys), len(vals))
	return Value{kind: KindMap, p: unsafe.Pointer(&mapData{keys[:n], vals[:n]})}
}

// RowValue returns a ROW value; fields is held, not copied.
func RowValue(fields []Value) Value {
	return Value{kind: KindRow, p: unsafe.Pointer(&listData{fields})}
}

// Kind returns the kind of v.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is NULL.
func (v Value) IsNull() bool { return v.kind == KindNull }

// AsBool returns a BOOLEAN (false for other kinds).
func (v Value) AsBool() bool { return v.kind == KindBool && v.n != 0 }

// AsInt returns an integer value (the payload of INT, DATE, TIME, interval
// and TIMESTAMP milliseconds for those kinds; 0 otherwise).
func (v Value) AsInt() int64 {
	switch v.kind {
	case KindInt, KindDate, KindTime, KindTimestamp, KindIntervalDayTime, KindIntervalYearMonth, KindBool:
		return v.n
	}
	return 0
}

// AsFloat returns a FLOAT or DOUBLE; integers and decimals are converted.
func (v Value) AsFloat() float64 {
	switch v.kind {
	case KindFloat:
		return math.Float64frombits(uint64(v.n))
	case KindInt:
		return float64(v.n)
	case KindDecimal:
		return v.AsDecimal().Float64()
	}
	return 0
}

// AsDecimal returns a DECIMAL; integers are converted with scale 0.
func (v Value) AsDecimal() Decimal {
	switch v.kind {
	case KindDecimal:
		if v.p != nil {
			return Decimal{b: (*big.Int)(v.p), scale: int32(v.aux)}
		}
		return Decimal{u: v.n, scale: int32(v.aux)}
	case KindInt:
		return Decimal{u: v.n}
	}
	return Decimal{}
}

// AsString returns a CHAR or VARCHAR ("" for other kinds). No copy is made.
func (v Value) AsString() string {
	if v.kind != KindString && v.kind != KindBytes || v.n == 0 {
		return ""
	}
	return unsafe.String((*byte)(v.p), int(v.n))
}

// AsBytes returns a BINARY or VARBINARY (nil for other kinds). The slice is
// the one the value holds: it must not be modified.
func (v Value) AsBytes() []byte {
	if v.kind != KindBytes && v.kind != KindString || v.p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(v.p), int(v.n))
}

// AsDate returns a DATE as days since the epoch.
func (v Value) AsDate() int32 { return int32(v.n) }

// AsTime returns a TIME as milliseconds of the day.
func (v Value) AsTime() int32 { return int32(v.n) }

// AsTimestamp returns a TIMESTAMP as epoch milliseconds and nanoseconds
// within the millisecond. It does not check the kind (callers know the
// column's type): of a DECIMAL it would return the scale as nanoseconds,
// since the two share a field.
func (v Value) AsTimestamp() (millis int64, nanos int32) { return v.n, int32(v.aux) }

// AsInterval returns an interval: milliseconds (DAY TO SECOND) or months
// (YEAR TO MONTH).
func (v Value) AsInterval() int64 { return v.n }

// Elems returns the elements of an ARRAY or the fields of a ROW (nil for
// other kinds). The slice must not be modified.
func (v Value) Elems() []Value {
	if (v.kind == KindArray || v.kind == KindRow) && v.p != nil {
		return (*listData)(v.p).elems
	}
	return nil
}

// MapEntries returns the parallel keys and values of a MAP.
func (v Value) MapEntries() (keys, vals []Value) {
	if v.kind == KindMap && v.p != nil {
		m := (*mapData)(v.p)
		return m.keys, m.vals
	}
	return nil, nil
}

func isNumber(k Kind) bool { return k == KindInt || k == KindFloat || k == KindDecimal }

// Compare orders a and b: -1, 0 or +1. NULL sorts before everything and
// equals NULL. Numbers of different kinds compare by value (an INT with a
// DOUBLE as float64, an INT or DECIMAL with a DECIMAL exactly). Floats: -0
// equals 0 and NaN equals NaN and is above every number (unlike SQL '=',
// which is the expression layer's). Strings and bytes compare bytewise (the
// UTF-8 order, as Flink's BinaryStringData), arrays and rows element by
// element, maps entry by entry in their stored order. Values of other
// different kinds order by kind.
func Compare(a, b Value) int {
	if a.kind != b.kind {
		if a.kind == KindNull {
			return -1
		}
		if b.kind == KindNull {
			return 1
		}
		if isNumber(a.kind) && isNumber(b.kind) {
			if a.kind == KindFloat || b.kind == KindFloat {
				return cmpFloat(a.AsFloat(), b.AsFloat())
			}
			return a.AsDecimal().Cmp(b.AsDecimal())
		}
		return cmp.Compare(a.kind, b.kind)
	}
	switch a.kind {
	case KindNull:
		return 0
	case KindBool, KindInt, KindDate, KindTime, KindIntervalDayTime, KindIntervalYearMonth:
		return cmp.Compare(a.n, b.n)
	case KindTimestamp:
		if c := cmp.Compare(a.n, b.n); c != 0 {
			return c
		}
		return cmp.Compare(a.aux, b.aux)
	case KindFloat:
		return cmpFloat(a.AsFloat(), b.AsFloat())
	case KindDecimal:
		if a.p == nil && b.p == nil && a.aux == b.aux {
			return cmp.Compare(a.n, b.n)
		}
		return a.AsDecimal().Cmp(b.AsDecimal())
	case KindString, KindBytes:
		return strings.Compare(a.AsString(), b.AsString())
	case KindArray, KindRow:
		return compareLists(a.Elems(), b.Elems())
	case KindMap:
		ak, av := a.MapEntries()
		bk, bv := b.MapEntries()
		if c := compareLists(ak, bk); c != 0 {
			return c
		}
		return compareLists(av, bv)
	}
	return 0
}

func compareLists(a, b []Value) int {
	for i := range min(len(a), len(b)) {
		if c := Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func cmpFloat(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// Equal reports whether v and w are the same value: of the same kind and
// Compare == 0 (so NULL equals NULL, 1.0 equals 1.00, but INT 1 does not
// equal DECIMAL 1). This is the equality of keys and of tests; SQL's '='
// with its NULL semantics is the expression layer's.
func (v Value) Equal(w Value) bool {
	if v.kind != w.kind {
		return false
	}
	switch v.kind {
	case KindString, KindBytes:
		return v.n == w.n && v.AsString() == w.AsString()
	case KindInt, KindBool, KindDate, KindTime, KindIntervalDayTime, KindIntervalYearMonth:
		return v.n == w.n
	}
	return Compare(v, w) == 0
}

// Hashing: FNV-1a (64-bit) over a canonical encoding of the value (a kind
// tag, then the payload: integers as 8 little-endian bytes, decimals with
// trailing fraction zeros stripped, floats with -0 as 0 and one NaN, strings
// and bytes with their length), finished with murmur3's fmix64 so that the
// low bits spread over key groups. It is deterministic across processes and
// platforms and must never change: keys map to key groups through it, and
// checkpoints store state by key group.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvU64(h, x uint64) uint64 {
	for range 8 {
		h ^= x & 0xff
		h *= fnvPrime
		x >>= 8
	}
	return h
}

func fnvString(h uint64, s string) uint64 {
	h = fnvU64(h, uint64(len(s)))
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// Hash returns the stable hash of v (see above). Equal values hash alike.
func (v Value) Hash() uint64 { return fmix64(v.hashInto(fnvOffset)) }

// HashValues returns the stable hash of a composite key.
func HashValues(vs ...Value) uint64 {
	h := uint64(fnvOffset)
	for _, v := range vs {
		h = v.hashInto(h)
	}
	return fmix64(h)
}

func (v Value) hashInto(h uint64) uint64 {
	h ^= uint64(v.kind)
	h *= fnvPrime
	switch v.kind {
	case KindNull:
	case KindBool, KindInt, KindDate, KindTime, KindIntervalDayTime, KindIntervalYearMonth:
		h = fnvU64(h, uint64(v.n))
	case KindTimestamp:
		h = fnvU64(h, uint64(v.n))
		h = fnvU64(h, uint64(v.aux))
	case KindFloat:
		f := v.AsFloat()
		switch {
		case f == 0:
			f = 0
		case math.IsNaN(f):
			f = math.NaN()
		}
		h = fnvU64(h, math.Float64bits(f))
	case KindDecimal:
		d := v.AsDecimal().normalized()
		h = fnvU64(h, uint64(d.scale))
		if d.b == nil {
			h = fnvU64(h, uint64(d.u))
		} else {
			h = fnvString(h, d.b.String())
		}
	case KindString, KindBytes:
		h = fnvString(h, v.AsString())
	case KindArray, KindRow:
		es := v.Elems()
		h = fnvU64(h, uint64(len(es)))
		for _, e := range es {
			h = e.hashInto(h)
		}
	case KindMap:
		ks, vs := v.MapEntries()
		h = fnvU64(h, uint64(len(ks)))
		for i := range ks {
			h = ks[i].hashInto(h)
			h = vs[i].hashInto(h)
		}
	}
	return h
}

// String returns v as a SQL literal: NULL, TRUE, 42, 1.50, 1.5E0, 'it”s',
// X'0aff', DATE '2024-01-31', TIME '12:00:00', TIMESTAMP '2024-01-31
// 12:00:00.123', INTERVAL '1 02:03:04.005' DAY TO SECOND, INTERVAL '1-2'
// YEAR TO MONTH, ARRAY[1, 2], MAP['a', 1], ROW(1, 'a').
func (v Value) String() string { return string(v.AppendSQL(nil)) }

// AppendSQL appends the SQL literal form of v (see String).
func (v Value) AppendSQL(dst []byte) []byte {
	switch v.kind {
	case KindNull:
		return append(dst, "NULL"...)
	case KindBool:
		if v.n != 0 {
			return append(dst, "TRUE"...)
		}
		return append(dst, "FALSE"...)
	case KindInt:
		return strconv.AppendInt(dst, v.n, 10)
	case KindFloat:
		f := v.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			dst = append(dst, "CAST('"...)
			dst = AppendText(dst, v)
			return append(dst, "' AS DOUBLE)"...)
		}
		// Shortest digits with an exponent: 1.5E0, 1E20, 1.25E-5.
		var buf [32]byte
		s := strconv.AppendFloat(buf[:0], f, 'E', -1, 64)
		i := bytes.IndexByte(s, 'E')
		dst = append(dst, s[:i+1]...)
		exp, _ := strconv.Atoi(string(s[i+1:]))
		return strconv.AppendInt(dst, int64(exp), 10)
	case KindDecimal:
		return v.AsDecimal().Append(dst)
	case KindString:
		dst = append(dst, '\'')
		dst = append(dst, strings.ReplaceAll(v.AsString(), "'", "''")...)
		return append(dst, '\'')
	case KindBytes:
		dst = append(dst, "X'"...)
		dst = AppendText(dst, v)
		return append(dst, '\'')
	case KindDate:
		dst = append(dst, "DATE '"...)
	case KindTime:
		dst = append(dst, "TIME '"...)
	case KindTimestamp:
		dst = append(dst, "TIMESTAMP '"...)
	case KindIntervalDayTime:
		dst = append(dst, "INTERVAL '"...)
		dst = AppendText(dst, v)
		return append(dst, "' DAY TO SECOND"...)
	case KindIntervalYearMonth:
		dst = append(dst, "INTERVAL '"...)
		dst = AppendText(dst, v)
		return append(dst, "' YEAR TO MONTH"...)
	case KindArray, KindRow:
		open, end := "ARRAY[", byte(']')
		if v.kind == KindRow {
			open, end = "ROW(", ')'
		}
		dst = append(dst, open...)
		for i, e := range v.Elems() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = e.AppendSQL(dst)
		}
		return append(dst, end)
	case KindMap:
		dst = append(dst, "MAP["...)
		ks, vs := v.MapEntries()
		for i := range ks {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = ks[i].AppendSQL(dst)
			dst = append(dst, ", "...)
			dst = vs[i].AppendSQL(dst)
		}
		return append(dst, ']')
	}
	dst = AppendText(dst, v)
	return append(dst, '\'')
}

// AppendText appends v as CAST(v AS STRING) writes it in Flink: NULL as
// "NULL", booleans TRUE/FALSE, floats as Java's Double.toString shortest
// digits ("1.0", "1.0E10"), decimals with their scale, strings as they are,
// bytes as lower-case hex (Flink 1.15+ decodes them as UTF-8; here hex keeps
// the text reversible), dates yyyy-MM-dd, times HH:mm:ss[.fff], timestamps
// yyyy-MM-dd HH:mm:ss[.fff[ffffff]] (fraction digits as needed: the type is
// not known here; AppendTypedText follows the precision), intervals
// "+d hh:mm:ss.fff" and "+y-mm", arrays [a, b], maps {k=v}, rows (a, b).
func AppendText(dst []byte, v Value) []byte {
	switch v.kind {
	case KindNull:
		return append(dst, "NULL"...)
	case KindBool:
		if v.n != 0 {
			return append(dst, "TRUE"...)
		}
		return append(dst, "FALSE"...)
	case KindInt:
		return strconv.AppendInt(dst, v.n, 10)
	case KindFloat:
		return AppendJavaDouble(dst, v.AsFloat())
	case KindDecimal:
		return v.AsDecimal().Append(dst)
	case KindString:
		return append(dst, v.AsString()...)
	case KindBytes:
		const hexd = "0123456789abcdef"
		for _, c := range v.AsBytes() {
			dst = append(dst, hexd[c>>4], hexd[c&15])
		}
		return dst
	case KindDate:
		return AppendDate(dst, v.AsDate())
	case KindTime:
		return AppendTimeOfDay(dst, int64(v.AsTime())*1e6, -1)
	case KindTimestamp:
		ms, ns := v.AsTimestamp()
		return AppendTimestamp(dst, ms, ns, -1)
	case KindIntervalDayTime:
		return appendIntervalDT(dst, v.n)
	case KindIntervalYearMonth:
		m := v.n
		if m < 0 {
			dst = append(dst, '-')
			m = -m
		} else {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, m/12, 10)
		dst = append(dst, '-')
		return append2(dst, int(m%12))
	case KindArray, KindRow:
		open, end := byte('['), byte(']')
		if v.kind == KindRow {
			open, end = '(', ')'
		}
		dst = append(dst, open)
		for i, e := range v.Elems() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendText(dst, e)
		}
		return append(dst, end)
	case KindMap:
		dst = append(dst, '{')
		ks, vs := v.MapEntries()
		for i := range ks {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendText(dst, ks[i])
			dst = append(dst, '=')
			dst = AppendText(dst, vs[i])
		}
		return append(dst, '}')
	}
	return dst
}

// AppendJavaDouble appends f as Java's Double.toString: "1.0", "0.001",
// "1.0E-4", "1.234E10", "NaN", "Infinity".
func AppendJavaDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	a := math.Abs(f)
	if a == 0 || (a >= 1e-3 && a < 1e7) {
		n := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		if bytes.IndexByte(dst[n:], '.') < 0 {
			dst = append(dst, ".0"...)
		}
		return dst
	}
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], f, 'E', -1, 64)
	if s[1] == 'E' || (s[0] == '-' && s[2] == 'E') {
		// One significant digit: Java writes at least two, the
		// two-digit decimal nearest the value (Double.MIN_VALUE is
		// 4.9E-324, not 5E-324; for a normal double that is D.0).
		s = strconv.AppendFloat(buf[:0], f, 'E', 1, 64)
	}
	i := bytes.IndexByte(s, 'E')
	mant, exp := s[:i], s[i+1:]
	if len(mant) > 1 && mant[len(mant)-1] == '0' && bytes.IndexByte(mant, '.') >= 0 {
		mant = mant[:len(mant)-1] // 1.0 is written 1.0 below
		mant = bytes.TrimSuffix(mant, []byte("."))
	}
	dst = append(dst, mant...)
	if bytes.IndexByte(mant, '.') < 0 {
		dst = append(dst, ".0"...)
	}
	dst = append(dst, 'E')
	if exp[0] == '+' {
		exp = exp[1:]
	}
	neg := exp[0] == '-'
	if neg {
		dst = append(dst, '-')
		exp = exp[1:]
	}
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	return append(dst, exp...)
}

func appendIntervalDT(dst []byte, ms int64) []byte {
	u := uint64(ms) // the magnitude, also of math.MinInt64
	if ms < 0 {
		dst = append(dst, '-')
		u = -u
	} else {
		dst = append(dst, '+')
	}
	dst = strconv.AppendUint(dst, u/86_400_000, 10)
	dst = append(dst, ' ')
	return AppendTimeOfDay(dst, int64(u%86_400_000)*1e6, 3)
}
