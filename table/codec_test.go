package table

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"pgregory.net/rapid"
)

func genType(depth int) *rapid.Generator[Type] {
	return rapid.Custom(func(t *rapid.T) Type {
		n := 16
		if depth > 0 {
			n = 19
		}
		var ty Type
		switch rapid.IntRange(0, n-1).Draw(t, "root") {
		case 0:
			ty = BooleanType()
		case 1:
			ty = TinyIntType()
		case 2:
			ty = SmallIntType()
		case 3:
			ty = IntType()
		case 4:
			ty = BigIntType()
		case 5:
			ty = FloatType()
		case 6:
			ty = DoubleType()
		case 7:
			p := rapid.IntRange(1, 38).Draw(t, "p")
			ty = DecimalType(p, rapid.IntRange(0, p).Draw(t, "s"))
		case 8:
			ty = StringType()
		case 9:
			ty = BytesType()
		case 10:
			ty = DateType()
		case 11:
			ty = TimeType(3)
		case 12:
			ty = TimestampType(rapid.IntRange(0, 9).Draw(t, "p"))
		case 13:
			ty = TimestampLTZType(3)
		case 14:
			ty = IntervalDayTimeType()
		case 15:
			ty = IntervalYearMonthType()
		case 16:
			ty = ArrayType(genType(depth-1).Draw(t, "elem"))
		case 17:
			ty = MapType(genType(0).Draw(t, "key"), genType(depth-1).Draw(t, "val"))
		case 18:
			k := rapid.IntRange(1, 3).Draw(t, "k")
			fs := make([]Field, k)
			for i := range fs {
				fs[i] = Field{Name: string(rune('a' + i)), Type: genType(depth-1).Draw(t, "f")}
			}
			ty = RowType(fs...)
		}
		return ty
	})
}

// genValue draws a non-NULL value of type ty (NULLs are drawn by genField).
func genValue(ty Type) *rapid.Generator[Value] {
	return rapid.Custom(func(t *rapid.T) Value {
		switch ty.Root() {
		case RootBoolean:
			return Bool(rapid.Bool().Draw(t, "b"))
		case RootTinyInt:
			return Int(int64(rapid.Int8().Draw(t, "i")))
		case RootSmallInt:
			return Int(int64(rapid.Int16().Draw(t, "i")))
		case RootInt:
			return Int(int64(rapid.Int32().Draw(t, "i")))
		case RootBigInt:
			return Int(rapid.Int64().Draw(t, "i"))
		case RootFloat:
			return Float(float64(rapid.Float32().Draw(t, "f")))
		case RootDouble:
			return Float(rapid.Float64().Draw(t, "f"))
		case RootDecimal:
			digits := rapid.StringMatching(`-?[0-9]{1,38}`).Draw(t, "d")
			if len(digits) > ty.Precision() {
				digits = digits[:ty.Precision()]
			}
			if digits == "-" {
				digits = "0"
			}
			b, _ := new(big.Int).SetString(digits, 10)
			return DecimalValue(NewDecimalBig(b, ty.Scale()))
		case RootVarChar:
			return Str(rapid.String().Draw(t, "s"))
		case RootVarBinary:
			return Bytes(rapid.SliceOf(rapid.Byte()).Draw(t, "b"))
		case RootDate:
			return Date(rapid.Int32Range(-1_000_000, 3_000_000).Draw(t, "d"))
		case RootTime:
			return Time(rapid.Int32Range(0, 86_399_999).Draw(t, "t"))
		case RootTimestamp, RootTimestampLTZ:
			var ns int32
			if ty.Precision() > 3 {
				ns = rapid.Int32Range(0, 999_999).Draw(t, "ns")
			}
			return Timestamp(rapid.Int64Range(-1e14, 1e14).Draw(t, "ms"), ns)
		case RootIntervalDayTime:
			return IntervalMillis(rapid.Int64().Draw(t, "ms"))
		case RootIntervalYearMonth:
			return IntervalMonths(rapid.Int32().Draw(t, "m"))
		case RootArray:
			n := rapid.IntRange(0, 3).Draw(t, "n")
			es := make([]Value, n)
			for i := range es {
				es[i] = genField(ty.Elem()).Draw(t, "e")
			}
			return Array(es)
		case RootMap:
			n := rapid.IntRange(0, 3).Draw(t, "n")
			ks, vs := make([]Value, n), make([]Value, n)
			for i := range ks {
				ks[i] = genValue(ty.Elem()).Draw(t, "k")
				vs[i] = genField(ty.ValueType()).Draw(t, "v")
			}
			return Map(ks, vs)
		case RootRow:
			es := make([]Value, len(ty.Fields()))
			for i, f := range ty.Fields() {
				es[i] = genField(f.Type).Draw(t, "f")
			}
			return RowValue(es)
		}
		return Null
	})
}

func genField(ty Type) *rapid.Generator[Value] {
	return rapid.Custom(func(t *rapid.T) Value {
		if rapid.IntRange(0, 5).Draw(t, "null") == 0 {
			return Null
		}
		return genValue(ty).Draw(t, "v")
	})
}

func genSchemaRow(t *rapid.T) (*Schema, Row) {
	n := rapid.IntRange(0, 12).Draw(t, "cols")
	s := &Schema{}
	r := Row{Kind: RowKind(rapid.IntRange(0, 3).Draw(t, "kind"))}
	for i := range n {
		ty := genType(2).Draw(t, "type")
		s.Columns = append(s.Columns, Column{Name: "c" + string(rune('a'+i)), Type: ty})
		r.Fields = append(r.Fields, genField(ty).Draw(t, "field"))
	}
	return s, r
}

// sameValue is Equal, with NaN bit patterns compared as bits.
func sameRow(a, b Row) bool { return a.Equal(b) }

func TestRowCodecRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, r := genSchemaRow(t)
		c := NewRowCodec(s)
		enc, err := c.AppendRow([]byte("prefix"), r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decode(enc[len("prefix"):])
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !sameRow(got, r) {
			t.Fatalf("round trip:\n got %v\nwant %v", got, r)
		}
		again := c.Append(nil, got)
		if string(again) != string(enc[len("prefix"):]) {
			t.Fatal("re-encoding differs")
		}
		// Every strict prefix is an error, never a panic.
		for i := range len(again) {
			if _, err := c.Decode(again[:i]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("prefix %d/%d: %v", i, len(again), err)
			}
		}
	})
}

func TestRowCodecMismatch(t *testing.T) {
	c := NewRowCodecTypes(IntType(), StringType())
	if _, err := c.AppendRow(nil, NewRow(Int(1))); err == nil {
		t.Error("field count")
	}
	if _, err := c.AppendRow(nil, NewRow(Str("x"), Str("y"))); err == nil {
		t.Error("kind")
	}
	enc, _ := c.AppendRow(nil, NewRow(Int(1<<40), Null))
	if _, err := c.Decode(enc); !errors.Is(err, ErrCorrupt) {
		t.Errorf("INT out of range: %v", err)
	}
	enc[0] = 9
	if _, err := c.Decode(enc); !errors.Is(err, ErrCorrupt) {
		t.Errorf("version: %v", err)
	}
}

func fuzzSchema() *Schema {
	return NewSchema(
		Column{Name: "b", Type: BooleanType()},
		Column{Name: "i", Type: IntType()},
		Column{Name: "l", Type: BigIntType()},
		Column{Name: "d", Type: DoubleType()},
		Column{Name: "m", Type: DecimalType(38, 4)},
		Column{Name: "s", Type: StringType()},
		Column{Name: "y", Type: BytesType()},
		Column{Name: "t", Type: TimestampType(9)},
		Column{Name: "dt", Type: DateType()},
		Column{Name: "a", Type: ArrayType(MapType(StringType(), RowType(Field{"x", IntType()}, Field{"z", DecimalType(5, 2)})))},
	)
}

func FuzzRowDecode(f *testing.F) {
	s := fuzzSchema()
	c := NewRowCodec(s)
	bigU, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	f.Add(c.Append(nil, Row{Kind: UpdateAfter, Fields: []Value{
		Bool(true), Int(-3), Int(math.MaxInt64), Float(1.5), DecimalValue(NewDecimalBig(bigU, 4)),
		Str("x"), Bytes([]byte{1}), Timestamp(-5, 7), Date(3),
		Array([]Value{Map([]Value{Str("k")}, []Value{RowValue([]Value{Int(1), Dec(12345, 2)})}), Null}),
	}}))
	f.Add(c.Append(nil, Row{Fields: make([]Value, s.Len())}))
	f.Add([]byte{1, 0, 10, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := c.Decode(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		// What decodes re-encodes, and decodes to the same row.
		enc, err := c.AppendRow(nil, r)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		r2, err := c.Decode(enc)
		if err != nil || !r2.Equal(r) {
			t.Fatalf("re-decode: %v %v", r2, err)
		}
		// And the JSON form of a decoded row never fails.
		if _, err := AppendJSON(nil, r, s); err != nil {
			t.Fatalf("json: %v", err)
		}
	})
}

func BenchmarkRowCodec(b *testing.B) {
	s := NewSchema(
		Column{Name: "auction", Type: BigIntType()}, Column{Name: "bidder", Type: BigIntType()},
		Column{Name: "price", Type: DecimalType(10, 2)}, Column{Name: "dateTime", Type: TimestampType(3)},
		Column{Name: "extra", Type: StringType()},
	)
	c := NewRowCodec(s)
	r := NewRow(Int(1000), Int(2001), Dec(12345, 2), TimestampMillis(1700000000000), Str("extra-text"))
	buf := c.Append(nil, r)
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			buf = c.Append(buf[:0], r)
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := c.Decode(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
