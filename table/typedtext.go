package table

import (
	"math"
	"strconv"
	"time"
)

// AppendTypedText appends v, a value of type t, as Flink's CAST(v AS
// STRING) and SQL client write it: as AppendText, but a TIMESTAMP(p) or
// TIMESTAMP_LTZ(p) keeps p fraction digits (AppendTimestampPrec:
// TIMESTAMP(3) "2020-01-01 00:00:00.000"), a TIME(p) follows p
// (AppendTimePrec: TIME(0) "12:34:56", TIME(3) "12:34:56.5") and a FLOAT is Java's
// Float.toString ("0.1", not the double "0.10000000149011612"), also inside
// arrays, maps and rows. A TIMESTAMP_LTZ is its wall-clock time in loc (nil:
// UTC). A zero t (type unknown) falls back to AppendText.
func AppendTypedText(dst []byte, v Value, t Type, loc *time.Location) []byte {
	if v.IsNull() {
		return append(dst, "NULL"...)
	}
	switch t.Root() {
	case RootTimestamp, RootTimestampLTZ:
		if v.kind != KindTimestamp {
			break
		}
		ms, ns := v.AsTimestamp()
		if t.Root() == RootTimestampLTZ && loc != nil && loc != time.UTC {
			_, off := time.UnixMilli(ms).In(loc).Zone()
			ms += int64(off) * 1000
		}
		return AppendTimestampPrec(dst, ms, ns, t.Precision())
	case RootTime:
		if v.kind != KindTime {
			break
		}
		return AppendTimePrec(dst, v.AsTime(), t.Precision())
	case RootFloat:
		if v.kind != KindFloat {
			break
		}
		return AppendJavaFloat(dst, v.AsFloat())
	case RootArray:
		if v.kind != KindArray {
			break
		}
		et := t.Elem()
		dst = append(dst, '[')
		for i, e := range v.Elems() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendTypedText(dst, e, et, loc)
		}
		return append(dst, ']')
	case RootRow:
		fs := t.Fields()
		if v.kind != KindRow || len(fs) != len(v.Elems()) {
			break
		}
		dst = append(dst, '(')
		for i, e := range v.Elems() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendTypedText(dst, e, fs[i].Type, loc)
		}
		return append(dst, ')')
	case RootMap:
		if v.kind != KindMap {
			break
		}
		kt, vt := t.Elem(), t.ValueType()
		dst = append(dst, '{')
		ks, vs := v.MapEntries()
		for i := range ks {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendTypedText(dst, ks[i], kt, loc)
			dst = append(dst, '=')
			dst = AppendTypedText(dst, vs[i], vt, loc)
		}
		return append(dst, '}')
	}
	return AppendText(dst, v)
}

// AppendJavaFloat appends f, a FLOAT (a float32 held as a float64), as
// Java's Float.toString: the shortest digits of the float32 in the layout
// of AppendJavaDouble ("0.1", "1.0E10").
func AppendJavaFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return AppendJavaDouble(dst, f)
	}
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], f, 'e', -1, 32)
	if s[1] == 'e' || (s[0] == '-' && s[2] == 'e') {
		// One significant digit: Java writes the two-digit decimal
		// nearest the float (Float.MIN_VALUE is 1.4E-45, not 1.0E-45;
		// for a normal float that is D.0).
		s = strconv.AppendFloat(buf[:0], f, 'e', 1, 32)
	}
	g, _ := strconv.ParseFloat(string(s), 64)
	return AppendJavaDouble(dst, g)
}
