package table

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"slices"
)

// The binary form of a Row for a schema (state and checkpoints), version 1:
//
//	byte     version (1)
//	byte     row kind (0 +I, 1 -U, 2 +U, 3 -D)
//	uvarint  number of fields (must equal the schema's)
//	bytes    null bitmap, ceil(n/8) bytes, bit i%8 of byte i/8 set = field i is NULL
//	...      each non-NULL field in order, by its column type:
//
//	BOOLEAN                       1 byte, 0 or 1
//	TINYINT..BIGINT, DATE, TIME,  zigzag varint (range-checked on decode)
//	  INTERVAL
//	FLOAT, DOUBLE                 8 bytes, IEEE 754 bits little-endian
//	DECIMAL                       byte scale (<= 38), then byte 0 + zigzag varint
//	                              unscaled, or byte 1 (positive) / 2 (negative) +
//	                              uvarint n (<= 64) + n bytes big-endian magnitude
//	CHAR..VARBINARY               uvarint length + bytes
//	TIMESTAMP, TIMESTAMP_LTZ      zigzag varint epoch millis; if precision > 3,
//	                              uvarint nanoseconds within the millisecond
//	ARRAY                         uvarint count, then per element a presence
//	                              byte (0 NULL, 1 present) and the element
//	MAP                           uvarint count, then per entry key and value,
//	                              each as an ARRAY element
//	ROW                           per field of the type, as an ARRAY element
//
// Decoding bounds every length and count by the bytes left before
// allocating, accepts only the version it knows, checks every value against
// its type, rejects trailing bytes and never panics (FuzzRowDecode). The
// nesting depth is that of the schema's types.

// RowCodecVersion is the version byte of the binary row form.
const RowCodecVersion = 1

// maxDecimalBytes bounds the magnitude of an encoded big decimal.
const maxDecimalBytes = 64

// ErrCorrupt is wrapped by every decoding error of RowCodec.Decode. It
// reports itself as a decode failure (DecodeFailure), which the runtime
// reads to explain a failure on restored state.
var ErrCorrupt error = decodeError("table: corrupt row encoding")

// decodeError is a sentinel error of a decoder: bytes that do not decode
// as the schema says.
type decodeError string

func (e decodeError) Error() string { return string(e) }

// DecodeFailure marks the error as bytes that do not decode as expected
// (internal/base.IsDecodeFailure).
func (decodeError) DecodeFailure() bool { return true }

// RowCodec encodes and decodes rows of one schema. It is immutable and safe
// for concurrent use. Its Append and Decode methods make it a
// codec.Codec[Row].
type RowCodec struct {
	types []Type
	// ops: per column, the value kind it takes and how AppendRow encodes
	// it without a call (encOp).
	ops []encOp
}

// encOp is how AppendRow encodes a non-NULL value of a column: the scalar
// encodings inline (the bytes appendValue writes), the others (op
// encCall) by appendValue. kind is the value kind of the column's type; a
// value of another kind goes to appendValue, which reports it.
type encOp struct {
	kind Kind
	op   uint8
}

const (
	encCall   = iota // appendValue
	encVarint        // zigzag varint of n: integers, DATE, TIME, intervals, TIMESTAMP(p <= 3)
	encString        // uvarint length and the bytes: CHAR..VARBINARY
	encBool          // 1 byte
	encFloat         // 8 bytes little-endian
)

func newRowCodec(types []Type) *RowCodec {
	c := &RowCodec{types: types, ops: make([]encOp, len(types))}
	for i, t := range types {
		k := KindOf(t)
		op := encCall
		switch k {
		case KindInt, KindDate, KindTime, KindIntervalDayTime, KindIntervalYearMonth:
			op = encVarint
		case KindTimestamp:
			if t.Precision() <= 3 {
				op = encVarint
			}
		case KindString, KindBytes:
			op = encString
		case KindBool:
			op = encBool
		case KindFloat:
			op = encFloat
		}
		c.ops[i] = encOp{kind: k, op: uint8(op)}
	}
	return c
}

// NewRowCodec returns the codec of rows of schema s (all its columns).
func NewRowCodec(s *Schema) *RowCodec { return newRowCodec(s.Types()) }

// NewRowCodecTypes returns the codec of rows whose fields have the given
// types.
func NewRowCodecTypes(types ...Type) *RowCodec {
	return newRowCodec(append([]Type(nil), types...))
}

// Append appends the encoding of r. It panics when r does not match the
// schema (a field count or a value kind that differs from the column's):
// that is a bug of the caller. AppendRow returns the error instead.
func (c *RowCodec) Append(dst []byte, r Row) []byte {
	out, err := c.AppendRow(dst, r)
	if err != nil {
		panic(err)
	}
	return out
}

// AppendRow appends the encoding of r, or reports why r does not match the
// schema.
func (c *RowCodec) AppendRow(dst []byte, r Row) ([]byte, error) {
	if len(r.Fields) != len(c.types) {
		return dst, fmt.Errorf("table: row has %d fields, schema %d", len(r.Fields), len(c.types))
	}
	if r.Kind >= numRowKinds {
		return dst, fmt.Errorf("table: invalid row kind %d", r.Kind)
	}
	// Grow once (a row of long strings would otherwise grow dst several
	// times): a bound for scalars, the length for strings and bytes.
	est := 2 + binary.MaxVarintLen64 + (len(r.Fields)+7)/8
	for _, v := range r.Fields {
		est += binary.MaxVarintLen64 + 1
		if v.kind == KindString || v.kind == KindBytes {
			est += int(v.n)
		}
	}
	dst = slices.Grow(dst, est)
	dst = append(dst, RowCodecVersion, byte(r.Kind))
	dst = binary.AppendUvarint(dst, uint64(len(r.Fields)))
	bm := len(dst)
	for range (len(r.Fields) + 7) / 8 {
		dst = append(dst, 0)
	}
	ops := c.ops[:len(r.Fields)]
	for i, v := range r.Fields {
		if v.IsNull() {
			dst[bm+i/8] |= 1 << (i % 8)
			continue
		}
		// The scalars inline (appendValue's bytes; TestAppendRowInline).
		if o := ops[i]; v.kind == o.kind {
			switch o.op {
			case encVarint:
				dst = binary.AppendVarint(dst, v.n)
				continue
			case encString:
				dst = append(binary.AppendUvarint(dst, uint64(v.n)), v.AsString()...)
				continue
			case encBool:
				dst = append(dst, byte(v.n&1))
				continue
			case encFloat:
				dst = binary.LittleEndian.AppendUint64(dst, uint64(v.n))
				continue
			}
		}
		var err error
		if dst, err = appendValue(dst, v, c.types[i]); err != nil {
			return dst, fmt.Errorf("table: field %d: %w", i, err)
		}
	}
	return dst, nil
}

func appendValue(dst []byte, v Value, t Type) ([]byte, error) {
	if v.kind != KindOf(t) {
		return dst, fmt.Errorf("value of kind %s for type %s", v.kind, t)
	}
	switch v.kind {
	case KindBool:
		return append(dst, byte(v.n&1)), nil
	case KindInt, KindDate, KindTime, KindIntervalDayTime, KindIntervalYearMonth:
		return binary.AppendVarint(dst, v.n), nil
	case KindFloat:
		return binary.LittleEndian.AppendUint64(dst, uint64(v.n)), nil
	case KindDecimal:
		dst = append(dst, uint8(v.aux))
		if v.p == nil {
			return binary.AppendVarint(append(dst, 0), v.n), nil
		}
		b := (*big.Int)(v.p)
		mag := b.Bytes()
		if len(mag) > maxDecimalBytes {
			return dst, fmt.Errorf("decimal of %d bytes", len(mag))
		}
		tag := byte(1)
		if b.Sign() < 0 {
			tag = 2
		}
		dst = binary.AppendUvarint(append(dst, tag), uint64(len(mag)))
		return append(dst, mag...), nil
	case KindString, KindBytes:
		dst = binary.AppendUvarint(dst, uint64(v.n))
		return append(dst, v.AsString()...), nil
	case KindTimestamp:
		dst = binary.AppendVarint(dst, v.n)
		if t.Precision() > 3 {
			dst = binary.AppendUvarint(dst, uint64(v.aux))
		}
		return dst, nil
	case KindArray:
		es := v.Elems()
		dst = binary.AppendUvarint(dst, uint64(len(es)))
		return appendElems(dst, es, func(int) Type { return t.Elem() })
	case KindMap:
		ks, vs := v.MapEntries()
		dst = binary.AppendUvarint(dst, uint64(len(ks)))
		var err error
		for i := range ks {
			if dst, err = appendElem(dst, ks[i], *t.elem); err != nil {
				return dst, err
			}
			if dst, err = appendElem(dst, vs[i], *t.val); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case KindRow:
		es := v.Elems()
		if len(es) != len(t.fields) {
			return dst, fmt.Errorf("row value of %d fields for type %s", len(es), t)
		}
		return appendElems(dst, es, func(i int) Type { return t.fields[i].Type })
	}
	return dst, fmt.Errorf("cannot encode %s", v.kind)
}

func appendElems(dst []byte, es []Value, typ func(int) Type) ([]byte, error) {
	var err error
	for i, e := range es {
		if dst, err = appendElem(dst, e, typ(i)); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func appendElem(dst []byte, v Value, t Type) ([]byte, error) {
	if v.IsNull() {
		return append(dst, 0), nil
	}
	return appendValue(append(dst, 1), v, t)
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) varint() int64 {
	x, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) uvarint() uint64 {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) bytes(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail("length %d beyond the %d bytes left", n, len(d.b))
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

// count reads an element count; every element takes at least one byte.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("count %d beyond the %d bytes left", n, len(d.b))
		return 0
	}
	return int(n)
}

// Decode decodes a row from exactly src. The row does not retain src.
func (c *RowCodec) Decode(src []byte) (Row, error) { return c.DecodeTo(nil, src) }

// DecodeTo is Decode into the fields of dst when it has room for them
// (its values are overwritten), else into new fields.
func (c *RowCodec) DecodeTo(dst []Value, src []byte) (Row, error) {
	d := decoder{b: src}
	if v := d.byte(); d.err == nil && v != RowCodecVersion {
		return Row{}, fmt.Errorf("%w: version %d, want %d", ErrCorrupt, v, RowCodecVersion)
	}
	kind := RowKind(d.byte())
	if d.err == nil && kind >= numRowKinds {
		d.fail("row kind %d", kind)
	}
	n := d.uvarint()
	if d.err == nil && n != uint64(len(c.types)) {
		d.fail("%d fields, schema has %d", n, len(c.types))
	}
	if d.err != nil {
		return Row{}, d.err
	}
	bm := d.bytes(uint64((n + 7) / 8))
	if d.err != nil {
		return Row{}, d.err
	}
	var fields []Value
	if uint64(cap(dst)) >= n {
		fields = dst[:n]
	} else {
		fields = make([]Value, n)
	}
	for i := range fields {
		if bm[i/8]&(1<<(i%8)) != 0 {
			fields[i] = Null
			continue
		}
		fields[i] = d.value(c.types[i])
		if d.err != nil {
			return Row{}, fmt.Errorf("field %d: %w", i, d.err)
		}
	}
	if len(d.b) != 0 {
		return Row{}, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	for i := (int(n)); i < len(bm)*8; i++ {
		if bm[i/8]&(1<<(i%8)) != 0 {
			return Row{}, fmt.Errorf("%w: null bit beyond the fields", ErrCorrupt)
		}
	}
	return Row{Kind: kind, Fields: fields}, nil
}

var intRange = map[Root][2]int64{
	RootTinyInt:           {math.MinInt8, math.MaxInt8},
	RootSmallInt:          {math.MinInt16, math.MaxInt16},
	RootInt:               {math.MinInt32, math.MaxInt32},
	RootDate:              {math.MinInt32, math.MaxInt32},
	RootTime:              {0, 86_399_999},
	RootIntervalYearMonth: {math.MinInt32, math.MaxInt32},
}

func (d *decoder) value(t Type) Value {
	switch KindOf(t) {
	case KindBool:
		b := d.byte()
		if b > 1 {
			d.fail("boolean byte %d", b)
		}
		return Bool(b == 1)
	case KindInt, KindDate, KindTime, KindIntervalDayTime, KindIntervalYearMonth:
		x := d.varint()
		if r, ok := intRange[t.root]; ok && (x < r[0] || x > r[1]) {
			d.fail("%d out of range of %s", x, t)
		}
		return Value{kind: KindOf(t), n: x}
	case KindFloat:
		b := d.bytes(8)
		if d.err != nil {
			return Null
		}
		return Value{kind: KindFloat, n: int64(binary.LittleEndian.Uint64(b))}
	case KindDecimal:
		scale := d.byte()
		if scale > MaxDecimalPrecision {
			d.fail("decimal scale %d", scale)
		}
		switch tag := d.byte(); tag {
		case 0:
			return Value{kind: KindDecimal, n: d.varint(), aux: uint32(scale)}
		case 1, 2:
			n := d.uvarint()
			if n > maxDecimalBytes {
				d.fail("decimal of %d bytes", n)
				return Null
			}
			mag := d.bytes(n)
			if d.err != nil {
				return Null
			}
			if len(mag) == 0 || mag[0] == 0 {
				d.fail("decimal magnitude not minimal")
				return Null
			}
			b := new(big.Int).SetBytes(mag)
			if tag == 2 {
				b.Neg(b)
			}
			if b.IsInt64() {
				d.fail("big decimal that fits inline")
				return Null
			}
			return DecimalValue(Decimal{b: b, scale: int32(scale)})
		default:
			d.fail("decimal tag %d", tag)
		}
		return Null
	case KindString:
		return Str(string(d.bytes(d.uvarint())))
	case KindBytes:
		b := d.bytes(d.uvarint())
		return Bytes(append([]byte{}, b...))
	case KindTimestamp:
		ms := d.varint()
		var ns uint64
		if t.Precision() > 3 {
			ns = d.uvarint()
			if ns > 999_999 {
				d.fail("nanos %d", ns)
			}
		}
		return Timestamp(ms, int32(ns))
	case KindArray:
		n := d.count()
		es := make([]Value, n)
		for i := range es {
			es[i] = d.elem(*t.elem)
			if d.err != nil {
				return Null
			}
		}
		return Array(es)
	case KindMap:
		n := d.count()
		ks, vs := make([]Value, n), make([]Value, n)
		for i := range ks {
			ks[i] = d.elem(*t.elem)
			vs[i] = d.elem(*t.val)
			if d.err != nil {
				return Null
			}
		}
		return Map(ks, vs)
	case KindRow:
		es := make([]Value, len(t.fields))
		for i := range es {
			es[i] = d.elem(t.fields[i].Type)
			if d.err != nil {
				return Null
			}
		}
		return RowValue(es)
	}
	d.fail("no encoding for type %s", t)
	return Null
}

func (d *decoder) elem(t Type) Value {
	switch d.byte() {
	case 0:
		return Null
	case 1:
		return d.value(t)
	default:
		d.fail("bad presence byte")
		return Null
	}
}

// Truncating lists what the encoding drops of a row's values: the
// top-level fields of type TIMESTAMP or TIMESTAMP_LTZ of precision 3 or
// less keep milliseconds only (a value's nanoseconds below the
// millisecond are dropped), and nested reports such a type inside an
// ARRAY, MAP or ROW field. A caller that keeps a row beside its encoding
// (a cache of decoded state) makes it equal to what Decode gives with
// Canonical.
func (c *RowCodec) Truncating() (top []int, nested bool) {
	for i, t := range c.types {
		switch {
		case t.IsTimestamp() && t.Precision() <= 3:
			top = append(top, i)
		case truncatesInside(t):
			nested = true
		}
	}
	return top, nested
}

func truncatesInside(t Type) bool {
	switch t.Root() {
	case RootArray:
		e := t.Elem()
		return (e.IsTimestamp() && e.Precision() <= 3) || truncatesInside(e)
	case RootMap:
		for _, e := range []Type{t.Elem(), t.ValueType()} {
			if (e.IsTimestamp() && e.Precision() <= 3) || truncatesInside(e) {
				return true
			}
		}
	case RootRow:
		for _, f := range t.Fields() {
			if (f.Type.IsTimestamp() && f.Type.Precision() <= 3) || truncatesInside(f.Type) {
				return true
			}
		}
	}
	return false
}

// Canonical sets the top-level fields that Truncating lists to what
// Decode of their encoding gives (nanoseconds below the millisecond
// dropped).
func Canonical(fs []Value, top []int) {
	for _, i := range top {
		if i < len(fs) && fs[i].Kind() == KindTimestamp {
			if ms, ns := fs[i].AsTimestamp(); ns != 0 {
				fs[i] = Timestamp(ms, 0)
			}
		}
	}
}
