package table

import (
	"fmt"
	"strconv"
	"strings"
)

// Root is the root of a logical type (Flink's LogicalTypeRoot).
type Root uint8

// The type roots.
const (
	RootNull Root = iota // the type of an untyped NULL literal
	RootBoolean
	RootTinyInt
	RootSmallInt
	RootInt
	RootBigInt
	RootFloat
	RootDouble
	RootDecimal
	RootChar
	RootVarChar // STRING is VARCHAR(MaxLength)
	RootBinary
	RootVarBinary // BYTES is VARBINARY(MaxLength)
	RootDate
	RootTime
	RootTimestamp    // TIMESTAMP(p): without time zone
	RootTimestampLTZ // TIMESTAMP_LTZ(p): an instant, shown in the session zone
	RootIntervalDayTime
	RootIntervalYearMonth
	RootArray
	RootMap
	RootRow
	numRoots
)

var rootNames = [numRoots]string{
	"NULL", "BOOLEAN", "TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL",
	"CHAR", "VARCHAR", "BINARY", "VARBINARY", "DATE", "TIME", "TIMESTAMP", "TIMESTAMP_LTZ",
	"INTERVAL DAY TO SECOND", "INTERVAL YEAR TO MONTH", "ARRAY", "MAP", "ROW",
}

func (r Root) String() string {
	if r < numRoots {
		return rootNames[r]
	}
	return "Root(" + strconv.Itoa(int(r)) + ")"
}

// Limits of the parameters of types, as in Flink.
const (
	MaxLength           = 1<<31 - 1 // of CHAR, VARCHAR, BINARY, VARBINARY
	MaxDecimalPrecision = 38
	MaxTimePrecision    = 9 // of TIME, TIMESTAMP, TIMESTAMP_LTZ
)

// TimeAttr marks a TIMESTAMP column as a time attribute.
type TimeAttr uint8

// The time attribute markers.
const (
	NoTimeAttr TimeAttr = iota
	Rowtime             // an event-time attribute (printed *ROWTIME*)
	Proctime            // a processing-time attribute (printed *PROCTIME*)
	// RowtimeUnstamped is an event-time attribute whose value is not the
	// timestamp its records carry (printed *ROWTIME*, as Flink shows it):
	// the time columns of an interval join's output, whose rows carry the
	// later of the two times. A planner re-stamps the records with the
	// column (the join's watermark is held back for it) before an
	// event-time operator reads it; checks for Rowtime refuse it.
	RowtimeUnstamped
)

// Field is one field of a ROW type.
type Field struct {
	Name string
	Type Type
}

// Type is a logical type: a root, its parameters and nullability. The zero
// Type is the nullable NULL type. Types are values; compare them with
// [Type.Equal], not ==.
type Type struct {
	root    Root
	notNull bool
	attr    TimeAttr
	length  int32 // CHAR/VARCHAR/BINARY/VARBINARY length; DECIMAL/TIME/TIMESTAMP precision
	scale   int32 // DECIMAL scale
	elem    *Type // ARRAY element, MAP key
	val     *Type // MAP value
	fields  []Field
}

// Constructors of nullable types.

func NullType() Type               { return Type{root: RootNull} }
func BooleanType() Type            { return Type{root: RootBoolean} }
func TinyIntType() Type            { return Type{root: RootTinyInt} }
func SmallIntType() Type           { return Type{root: RootSmallInt} }
func IntType() Type                { return Type{root: RootInt} }
func BigIntType() Type             { return Type{root: RootBigInt} }
func FloatType() Type              { return Type{root: RootFloat} }
func DoubleType() Type             { return Type{root: RootDouble} }
func DateType() Type               { return Type{root: RootDate} }
func StringType() Type             { return Type{root: RootVarChar, length: MaxLength} }
func BytesType() Type              { return Type{root: RootVarBinary, length: MaxLength} }
func IntervalDayTimeType() Type    { return Type{root: RootIntervalDayTime} }
func IntervalYearMonthType() Type  { return Type{root: RootIntervalYearMonth} }
func CharType(n int) Type          { return Type{root: RootChar, length: clampLen(n)} }
func VarCharType(n int) Type       { return Type{root: RootVarChar, length: clampLen(n)} }
func BinaryType(n int) Type        { return Type{root: RootBinary, length: clampLen(n)} }
func VarBinaryType(n int) Type     { return Type{root: RootVarBinary, length: clampLen(n)} }
func TimeType(p int) Type          { return Type{root: RootTime, length: clampPrec(p)} }
func TimestampType(p int) Type     { return Type{root: RootTimestamp, length: clampPrec(p)} }
func TimestampLTZType(p int) Type  { return Type{root: RootTimestampLTZ, length: clampPrec(p)} }
func ArrayType(elem Type) Type     { return Type{root: RootArray, elem: &elem} }
func MapType(key, value Type) Type { return Type{root: RootMap, elem: &key, val: &value} }

// DecimalType is DECIMAL(p, s); p is clamped to [1, 38] and s to [0, p].
func DecimalType(p, s int) Type {
	p = min(max(p, 1), MaxDecimalPrecision)
	s = min(max(s, 0), p)
	return Type{root: RootDecimal, length: int32(p), scale: int32(s)}
}

// RowType is ROW<fields...>. The slice is copied.
func RowType(fields ...Field) Type {
	return Type{root: RootRow, fields: append([]Field(nil), fields...)}
}

func clampLen(n int) int32 {
	return int32(min(max(n, 1), MaxLength))
}

func clampPrec(p int) int32 {
	return int32(min(max(p, 0), MaxTimePrecision))
}

// Root returns the root of t.
func (t Type) Root() Root { return t.root }

// Nullable reports whether t admits NULL.
func (t Type) Nullable() bool { return !t.notNull }

// NotNull returns t without NULL.
func (t Type) NotNull() Type { t.notNull = true; return t }

// AsNullable returns t admitting NULL.
func (t Type) AsNullable() Type { t.notNull = false; return t }

// WithNullable returns t with the given nullability.
func (t Type) WithNullable(nullable bool) Type { t.notNull = !nullable; return t }

// TimeAttr returns the time attribute marker of t.
func (t Type) TimeAttr() TimeAttr { return t.attr }

// WithTimeAttr returns t marked as a time attribute (TIMESTAMP and
// TIMESTAMP_LTZ only; other types are returned unchanged).
func (t Type) WithTimeAttr(a TimeAttr) Type {
	if t.root == RootTimestamp || t.root == RootTimestampLTZ {
		t.attr = a
	}
	return t
}

// Length returns the length of CHAR, VARCHAR, BINARY and VARBINARY.
func (t Type) Length() int { return int(t.length) }

// Precision returns the precision of DECIMAL, TIME, TIMESTAMP and
// TIMESTAMP_LTZ, and the default precision of the other numeric types
// (TINYINT 3, SMALLINT 5, INT 10, BIGINT 19), as Flink's getPrecision.
func (t Type) Precision() int {
	switch t.root {
	case RootDecimal, RootTime, RootTimestamp, RootTimestampLTZ:
		return int(t.length)
	case RootTinyInt:
		return 3
	case RootSmallInt:
		return 5
	case RootInt:
		return 10
	case RootBigInt:
		return 19
	}
	return 0
}

// Scale returns the scale of DECIMAL (0 for the integer types).
func (t Type) Scale() int { return int(t.scale) }

// Elem returns the element type of an ARRAY and the key type of a MAP.
func (t Type) Elem() Type {
	if t.elem == nil {
		return Type{}
	}
	return *t.elem
}

// Value returns the value type of a MAP.
func (t Type) ValueType() Type {
	if t.val == nil {
		return Type{}
	}
	return *t.val
}

// Fields returns the fields of a ROW. The slice must not be modified.
func (t Type) Fields() []Field { return t.fields }

// IsNumeric reports whether t is TINYINT, SMALLINT, INT, BIGINT, FLOAT,
// DOUBLE or DECIMAL.
func (t Type) IsNumeric() bool { return t.root >= RootTinyInt && t.root <= RootDecimal }

// IsInteger reports whether t is TINYINT, SMALLINT, INT or BIGINT.
func (t Type) IsInteger() bool { return t.root >= RootTinyInt && t.root <= RootBigInt }

// IsString reports whether t is CHAR or VARCHAR.
func (t Type) IsString() bool { return t.root == RootChar || t.root == RootVarChar }

// IsBinary reports whether t is BINARY or VARBINARY.
func (t Type) IsBinary() bool { return t.root == RootBinary || t.root == RootVarBinary }

// IsTimestamp reports whether t is TIMESTAMP or TIMESTAMP_LTZ.
func (t Type) IsTimestamp() bool { return t.root == RootTimestamp || t.root == RootTimestampLTZ }

// Equal reports whether t and u are the same type, nullability included.
// The time attribute marker is ignored (Flink treats a rowtime attribute as
// its timestamp type in expressions).
func (t Type) Equal(u Type) bool {
	if t.root != u.root || t.notNull != u.notNull || t.length != u.length || t.scale != u.scale {
		return false
	}
	switch t.root {
	case RootArray:
		return t.elem.Equal(*u.elem)
	case RootMap:
		return t.elem.Equal(*u.elem) && t.val.Equal(*u.val)
	case RootRow:
		if len(t.fields) != len(u.fields) {
			return false
		}
		for i := range t.fields {
			if t.fields[i].Name != u.fields[i].Name || !t.fields[i].Type.Equal(u.fields[i].Type) {
				return false
			}
		}
	}
	return true
}

// EqualIgnoringNull is Equal with the nullability of t and u (at the top
// level only) ignored.
func (t Type) EqualIgnoringNull(u Type) bool {
	return t.AsNullable().Equal(u.AsNullable())
}

// String returns t in Flink SQL syntax, e.g. "DECIMAL(10, 2) NOT NULL",
// "ROW<`a` INT, `b` STRING>", "TIMESTAMP(3) *ROWTIME*".
func (t Type) String() string {
	var b strings.Builder
	t.write(&b)
	return b.String()
}

func (t Type) write(b *strings.Builder) {
	switch t.root {
	case RootChar, RootBinary, RootTime, RootTimestamp, RootTimestampLTZ:
		fmt.Fprintf(b, "%s(%d)", t.root, t.length)
	case RootVarChar:
		if t.length == MaxLength {
			b.WriteString("STRING")
		} else {
			fmt.Fprintf(b, "VARCHAR(%d)", t.length)
		}
	case RootVarBinary:
		if t.length == MaxLength {
			b.WriteString("BYTES")
		} else {
			fmt.Fprintf(b, "VARBINARY(%d)", t.length)
		}
	case RootDecimal:
		fmt.Fprintf(b, "DECIMAL(%d, %d)", t.length, t.scale)
	case RootIntervalDayTime:
		b.WriteString("INTERVAL DAY(2) TO SECOND(3)")
	case RootIntervalYearMonth:
		b.WriteString("INTERVAL YEAR(2) TO MONTH")
	case RootArray:
		b.WriteString("ARRAY<")
		t.elem.write(b)
		b.WriteByte('>')
	case RootMap:
		b.WriteString("MAP<")
		t.elem.write(b)
		b.WriteString(", ")
		t.val.write(b)
		b.WriteByte('>')
	case RootRow:
		b.WriteString("ROW<")
		for i, f := range t.fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('`')
			b.WriteString(strings.ReplaceAll(f.Name, "`", "``"))
			b.WriteString("` ")
			f.Type.write(b)
		}
		b.WriteByte('>')
	default:
		b.WriteString(t.root.String())
	}
	if t.notNull {
		b.WriteString(" NOT NULL")
	}
	switch t.attr {
	case Rowtime, RowtimeUnstamped:
		b.WriteString(" *ROWTIME*")
	case Proctime:
		b.WriteString(" *PROCTIME*")
	}
}

// integerRank orders the exact integer types for widening.
func integerRank(r Root) int {
	switch r {
	case RootTinyInt:
		return 1
	case RootSmallInt:
		return 2
	case RootInt:
		return 3
	case RootBigInt:
		return 4
	}
	return 0
}

// asDecimal returns the DECIMAL type that holds every value of the exact
// numeric type t (INT is DECIMAL(10, 0), as in Flink).
func asDecimal(t Type) Type {
	if t.root == RootDecimal {
		return t
	}
	return DecimalType(t.Precision(), 0)
}

// SupportsImplicitCast reports whether a value of type from can be used
// where type to is expected without an explicit CAST, after Flink's
// LogicalTypeCasts.supportsImplicitCast: NULL to anything; numeric widening
// TINYINT -> SMALLINT -> INT -> BIGINT -> DECIMAL -> FLOAT -> DOUBLE (an
// integer type goes to a DECIMAL with enough integer digits; a DECIMAL to a
// DECIMAL that loses no digit); CHAR -> VARCHAR and BINARY -> VARBINARY of
// enough length; DATE -> TIMESTAMP; TIMESTAMP(p) -> TIMESTAMP(q >= p);
// TIMESTAMP <-> TIMESTAMP_LTZ; TIME(p) -> TIME(q >= p) (Flink's TIME is
// implicit from TIME; the precision as TIMESTAMP's); element-wise for ARRAY, MAP and ROW. A
// nullable type never goes implicitly to NOT NULL.
func SupportsImplicitCast(from, to Type) bool {
	if from.Nullable() && !to.Nullable() && from.root != RootNull {
		return false
	}
	if from.root == RootNull {
		return true
	}
	switch {
	case from.IsInteger() && to.IsInteger():
		return integerRank(from.root) <= integerRank(to.root)
	case from.IsInteger() && to.root == RootDecimal:
		d := asDecimal(from)
		return to.Precision()-to.Scale() >= d.Precision()
	case from.root == RootDecimal && to.root == RootDecimal:
		return to.Precision()-to.Scale() >= from.Precision()-from.Scale() && to.Scale() >= from.Scale()
	case from.IsNumeric() && to.root == RootFloat:
		return from.root != RootDouble
	case from.IsNumeric() && to.root == RootDouble:
		return true
	case from.IsString() && to.IsString():
		if from.root == RootChar && to.root == RootChar {
			return from.length == to.length
		}
		return to.root == RootVarChar && to.length >= from.length
	case from.IsBinary() && to.IsBinary():
		if from.root == RootBinary && to.root == RootBinary {
			return from.length == to.length
		}
		return to.root == RootVarBinary && to.length >= from.length
	case from.root == RootDate && to.IsTimestamp():
		return true
	case from.IsTimestamp() && to.IsTimestamp():
		return to.length >= from.length
	case from.root == RootTime && to.root == RootTime:
		return to.length >= from.length
	case from.root == RootArray && to.root == RootArray:
		return SupportsImplicitCast(*from.elem, *to.elem)
	case from.root == RootMap && to.root == RootMap:
		return SupportsImplicitCast(*from.elem, *to.elem) && SupportsImplicitCast(*from.val, *to.val)
	case from.root == RootRow && to.root == RootRow:
		if len(from.fields) != len(to.fields) {
			return false
		}
		for i := range from.fields {
			if !SupportsImplicitCast(from.fields[i].Type, to.fields[i].Type) {
				return false
			}
		}
		return true
	}
	return from.root == to.root && from.length == to.length && from.scale == to.scale
}

// CommonType returns the least type that every one of types can be cast to
// implicitly (Flink's LogicalTypeMerging.findCommonType), used for CASE,
// COALESCE, IN, UNION and the operands of comparisons. Rules: NULL joins
// anything; the integers widen to the largest; an integer with a DECIMAL
// becomes a DECIMAL with room for both (INT as DECIMAL(10, 0)); two DECIMALs
// keep the larger scale and the larger integer part (precision capped at 38,
// integer part first); FLOAT with an exact type is FLOAT, DOUBLE with any
// numeric type is DOUBLE (DECIMAL with FLOAT is DOUBLE); CHAR(n) with CHAR(n)
// is CHAR(n), otherwise strings are VARCHAR of the longest (binary likewise);
// DATE with TIMESTAMP is TIMESTAMP; timestamps take the largest precision,
// and TIMESTAMP_LTZ if either is; ARRAY, MAP and ROW (same arity, names of
// the first) join element-wise. The result is nullable if any input is. ok
// is false when there is no common type.
func CommonType(types ...Type) (Type, bool) {
	if len(types) == 0 {
		return Type{}, false
	}
	res := types[0]
	for _, t := range types[1:] {
		var ok bool
		res, ok = common2(res, t)
		if !ok {
			return Type{}, false
		}
	}
	return res, true
}

func common2(a, b Type) (Type, bool) {
	nullable := a.Nullable() || b.Nullable()
	a.attr, b.attr = NoTimeAttr, NoTimeAttr
	if a.root == RootNull {
		return b.WithNullable(true), true
	}
	if b.root == RootNull {
		return a.WithNullable(true), true
	}
	var r Type
	switch {
	case a.EqualIgnoringNull(b):
		r = a
	case a.IsInteger() && b.IsInteger():
		r = a
		if integerRank(b.root) > integerRank(a.root) {
			r = b
		}
	case (a.IsInteger() || a.root == RootDecimal) && (b.IsInteger() || b.root == RootDecimal):
		da, db := asDecimal(a), asDecimal(b)
		s := max(da.Scale(), db.Scale())
		intDigits := max(da.Precision()-da.Scale(), db.Precision()-db.Scale())
		p := intDigits + s
		if p > MaxDecimalPrecision {
			p = MaxDecimalPrecision
			s = max(MaxDecimalPrecision-intDigits, 0)
		}
		r = DecimalType(p, s)
	case a.IsNumeric() && b.IsNumeric():
		switch {
		case a.root == RootDouble || b.root == RootDouble,
			a.root == RootDecimal || b.root == RootDecimal:
			r = DoubleType()
		default:
			r = FloatType()
		}
	case a.IsString() && b.IsString():
		if a.root == RootChar && b.root == RootChar && a.length == b.length {
			r = a
		} else {
			r = VarCharType(int(max(a.length, b.length)))
		}
	case a.IsBinary() && b.IsBinary():
		if a.root == RootBinary && b.root == RootBinary && a.length == b.length {
			r = a
		} else {
			r = VarBinaryType(int(max(a.length, b.length)))
		}
	case a.root == RootDate && b.IsTimestamp():
		r = b
	case b.root == RootDate && a.IsTimestamp():
		r = a
	case a.IsTimestamp() && b.IsTimestamp():
		p := int(max(a.length, b.length))
		if a.root == RootTimestampLTZ || b.root == RootTimestampLTZ {
			r = TimestampLTZType(p)
		} else {
			r = TimestampType(p)
		}
	case a.root == RootTime && b.root == RootTime:
		r = TimeType(int(max(a.length, b.length)))
	case a.root == RootArray && b.root == RootArray:
		e, ok := common2(*a.elem, *b.elem)
		if !ok {
			return Type{}, false
		}
		r = ArrayType(e)
	case a.root == RootMap && b.root == RootMap:
		k, ok := common2(*a.elem, *b.elem)
		if !ok {
			return Type{}, false
		}
		v, ok := common2(*a.val, *b.val)
		if !ok {
			return Type{}, false
		}
		r = MapType(k, v)
	case a.root == RootRow && b.root == RootRow && len(a.fields) == len(b.fields):
		fs := make([]Field, len(a.fields))
		for i := range fs {
			t, ok := common2(a.fields[i].Type, b.fields[i].Type)
			if !ok {
				return Type{}, false
			}
			fs[i] = Field{Name: a.fields[i].Name, Type: t}
		}
		r = RowType(fs...)
	default:
		return Type{}, false
	}
	return r.WithNullable(nullable), true
}

// Decimal result types of arithmetic, as Flink's LogicalTypeMerging (after
// Calcite / SQL Server): the exact result type is computed, then
// [AdjustDecimal] caps it at 38 digits.

// DecimalAddType is the type of DECIMAL(p1, s1) + (or -) DECIMAL(p2, s2):
// scale max(s1, s2), precision max(p1-s1, p2-s2) + scale + 1.
func DecimalAddType(p1, s1, p2, s2 int) (p, s int) {
	s = max(s1, s2)
	p = max(p1-s1, p2-s2) + s + 1
	return AdjustDecimal(p, s)
}

// DecimalMulType is the type of DECIMAL(p1, s1) * DECIMAL(p2, s2):
// precision p1 + p2 + 1, scale s1 + s2.
func DecimalMulType(p1, s1, p2, s2 int) (p, s int) {
	return AdjustDecimal(p1+p2+1, s1+s2)
}

// DecimalDivType is the type of DECIMAL(p1, s1) / DECIMAL(p2, s2):
// scale max(6, s1 + p2 + 1), precision p1 - s1 + s2 + scale.
func DecimalDivType(p1, s1, p2, s2 int) (p, s int) {
	s = max(6, s1+p2+1)
	p = p1 - s1 + s2 + s
	return AdjustDecimal(p, s)
}

// DecimalModType is the type of MOD(DECIMAL(p1, s1), DECIMAL(p2, s2)):
// scale max(s1, s2), precision min(p1-s1, p2-s2) + scale.
func DecimalModType(p1, s1, p2, s2 int) (p, s int) {
	s = max(s1, s2)
	p = min(p1-s1, p2-s2) + s
	return AdjustDecimal(p, s)
}

// AdjustDecimal caps a precision at 38 by giving up scale, keeping at least
// min(s, 6) digits of it (Flink's LogicalTypeMerging.adjustPrecisionScale).
func AdjustDecimal(p, s int) (int, int) {
	if p <= MaxDecimalPrecision {
		return max(p, 1), s
	}
	intDigits := p - s
	minScale := min(s, 6)
	s = max(MaxDecimalPrecision-intDigits, minScale)
	return MaxDecimalPrecision, s
}
