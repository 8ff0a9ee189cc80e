package table

import (
	"math"
	"math/big"
	"reflect"
	"testing"
	"unsafe"
)

func TestValueSize(t *testing.T) {
	if s := unsafe.Sizeof(Value{}); s > 32 {
		t.Fatalf("Value is %d bytes, want <= 32", s)
	}
}

func TestValueAccessors(t *testing.T) {
	if !Null.IsNull() || Int(0).IsNull() {
		t.Fatal("null")
	}
	if Int(-7).AsInt() != -7 || !Bool(true).AsBool() || Bool(false).AsBool() {
		t.Fatal("int/bool")
	}
	if Float(1.5).AsFloat() != 1.5 || Int(2).AsFloat() != 2 || Dec(150, 2).AsFloat() != 1.5 {
		t.Fatal("float")
	}
	if Str("héllo").AsString() != "héllo" || Str("").AsString() != "" {
		t.Fatal("string")
	}
	if string(Bytes([]byte{1, 2}).AsBytes()) != "\x01\x02" || len(Bytes(nil).AsBytes()) != 0 || Bytes(nil).IsNull() {
		t.Fatal("bytes")
	}
	if d := Dec(-1234, 2).AsDecimal(); d.String() != "-12.34" {
		t.Fatal("decimal", d)
	}
	big38, _ := new(big.Int).SetString("12345678901234567890123456789012345678", 10)
	if v := DecimalValue(NewDecimalBig(big38, 10)); v.AsDecimal().String() != "1234567890123456789012345678.9012345678" {
		t.Fatal("big decimal", v)
	}
	if ms, ns := Timestamp(1700000000123, 456789).AsTimestamp(); ms != 1700000000123 || ns != 456789 {
		t.Fatal("timestamp")
	}
	es := Array([]Value{Int(1), Null}).Elems()
	if len(es) != 2 || es[0].AsInt() != 1 {
		t.Fatal("array")
	}
	ks, vs := Map([]Value{Str("a")}, []Value{Int(1)}).MapEntries()
	if len(ks) != 1 || ks[0].AsString() != "a" || vs[0].AsInt() != 1 {
		t.Fatal("map")
	}
}

func TestValueString(t *testing.T) {
	for _, c := range []struct {
		v    Value
		want string
	}{
		{Null, "NULL"}, {Bool(true), "TRUE"}, {Int(-42), "-42"}, {Float(1.5), "1.5E0"},
		{Float(1e20), "1E20"}, {Float(-1.25e-5), "-1.25E-5"}, {Float(math.NaN()), "CAST('NaN' AS DOUBLE)"},
		{Dec(150, 2), "1.50"}, {Str("it's"), "'it''s'"}, {Bytes([]byte{0x0a, 0xff}), "X'0aff'"},
		{Date(19753), "DATE '2024-01-31'"}, {Time(45296789), "TIME '12:34:56.789'"},
		{Timestamp(1706702400123, 0), "TIMESTAMP '2024-01-31 12:00:00.123'"},
		{Timestamp(1706702400000, 1000), "TIMESTAMP '2024-01-31 12:00:00.000001'"},
		{TimestampMillis(-1), "TIMESTAMP '1969-12-31 23:59:59.999'"},
		{IntervalMillis(93784005), "INTERVAL '+1 02:03:04.005' DAY TO SECOND"},
		{IntervalMonths(14), "INTERVAL '+1-02' YEAR TO MONTH"},
		{IntervalMillis(-93784005), "INTERVAL '-1 02:03:04.005' DAY TO SECOND"},
		{IntervalMillis(math.MinInt64), "INTERVAL '-106751991167 07:12:55.808' DAY TO SECOND"},
		{IntervalMillis(math.MaxInt64), "INTERVAL '+106751991167 07:12:55.807' DAY TO SECOND"},
		{IntervalMonths(math.MinInt32), "INTERVAL '-178956970-08' YEAR TO MONTH"},
		{Array([]Value{Int(1), Null}), "ARRAY[1, NULL]"},
		{Map([]Value{Str("a")}, []Value{Int(1)}), "MAP['a', 1]"},
		{RowValue([]Value{Int(1), Str("x")}), "ROW(1, 'x')"},
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
	for _, c := range []struct {
		f    float64
		want string
	}{
		{1, "1.0"}, {0.001, "0.001"}, {1e-4, "1.0E-4"}, {1.234e10, "1.234E10"}, {1e7, "1.0E7"},
		{-2.5, "-2.5"}, {0, "0.0"}, {123456.789, "123456.789"},
		// One significant digit: Java's two-digit nearest decimal.
		{math.SmallestNonzeroFloat64, "4.9E-324"}, {-math.SmallestNonzeroFloat64, "-4.9E-324"},
		{1e10, "1.0E10"}, {-1e-5, "-1.0E-5"},
		{math.MaxFloat64, "1.7976931348623157E308"},
	} {
		if got := string(AppendJavaDouble(nil, c.f)); got != c.want {
			t.Errorf("AppendJavaDouble(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

// TestAppendJavaFloat: Java's Float.toString, whose subnormals with one
// shortest digit get two (Float.MIN_VALUE is 1.4E-45, not 1.0E-45).
func TestAppendJavaFloat(t *testing.T) {
	for _, c := range []struct {
		f    float32
		want string
	}{
		{math.SmallestNonzeroFloat32, "1.4E-45"}, {-math.SmallestNonzeroFloat32, "-1.4E-45"},
		{2 * math.SmallestNonzeroFloat32, "2.8E-45"}, {3 * math.SmallestNonzeroFloat32, "4.2E-45"},
		{0.1, "0.1"}, {1e10, "1.0E10"}, {0, "0.0"}, {1, "1.0"}, {math.MaxFloat32, "3.4028235E38"},
	} {
		if got := string(AppendJavaFloat(nil, float64(c.f))); got != c.want {
			t.Errorf("AppendJavaFloat(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

func TestCompareAndEqual(t *testing.T) {
	ordered := []Value{Null, Int(-5), Dec(-45, 1), Int(0), Float(0.5), Dec(1, 0), Float(2), Int(3), Float(math.NaN())}
	for i := range ordered {
		for j := range ordered {
			got := Compare(ordered[i], ordered[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("Compare(%v, %v) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	if !Dec(10, 1).Equal(Dec(100, 2)) || Int(1).Equal(Dec(1, 0)) || !Null.Equal(Null) {
		t.Error("Equal")
	}
	if !Float(0).Equal(Float(math.Copysign(0, -1))) || Float(0).Hash() != Float(math.Copysign(0, -1)).Hash() {
		t.Error("-0")
	}
	if Compare(Str("a"), Str("b")) >= 0 || Compare(Str("ab"), Str("a")) <= 0 {
		t.Error("strings")
	}
	if Compare(Array([]Value{Int(1)}), Array([]Value{Int(1), Int(0)})) >= 0 {
		t.Error("arrays")
	}
}

// TestHashStable pins the hash: it maps keys to key groups stored in
// checkpoints, so it must never change.
func TestHashStable(t *testing.T) {
	for _, c := range []struct {
		v    Value
		want uint64
	}{
		{Null, 0xb9034ad37056f5fb},
		{Int(42), 0x516babd4525e6505},
		{Str("auction"), 0xb33119a7d5828331},
		{Dec(12345, 2), 0x1cd9008d659acffa},
		{TimestampMillis(1700000000000), 0xfea877d640570f85},
	} {
		if got := c.v.Hash(); got != c.want {
			t.Errorf("Hash(%v) = %#x, want %#x", c.v, got, c.want)
		}
	}
	if HashValues(Int(1), Str("a")) == HashValues(Str("a"), Int(1)) {
		t.Error("HashValues ignores order")
	}
}

var sinkValue Value
var sinkInt int64
var sinkHash uint64

func BenchmarkValue(b *testing.B) {
	b.Run("construct-read", func(b *testing.B) {
		b.ReportAllocs()
		var s int64
		for i := range b.N {
			v := Int(int64(i))
			d := Dec(int64(i), 2)
			ts := TimestampMillis(int64(i))
			s += v.AsInt() + int64(d.AsDecimal().Scale()) + ts.AsInt()
			sinkValue = d
		}
		sinkInt = s
	})
	b.Run("decimal-add-mul", func(b *testing.B) {
		b.ReportAllocs()
		x, y := Dec(12345, 2), Dec(908, 3)
		for range b.N {
			sinkValue = DecimalValue(x.AsDecimal().Mul(y.AsDecimal()).Add(x.AsDecimal()).Rescale(3))
		}
	})
	b.Run("compare", func(b *testing.B) {
		b.ReportAllocs()
		x, y := Dec(12345, 2), Dec(12346, 2)
		for range b.N {
			sinkInt += int64(Compare(x, y) + Compare(Int(1), Int(2)))
		}
	})
	b.Run("hash-int", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			sinkHash = Int(int64(i)).Hash()
		}
	})
	b.Run("hash-string", func(b *testing.B) {
		b.ReportAllocs()
		v := Str("some-auction-key")
		for range b.N {
			sinkHash = v.Hash()
		}
	})
}

// TestValueFourFields: Value stays at four fields and 24 bytes. The Go
// compiler keeps structs of at most four fields in registers; a fifth
// field (the decimal scale once had its own) makes every Value returned
// by a function go through the stack, field by field, and be copied from
// there with wider loads. The scale and the timestamp's nanoseconds share
// aux: both read back.
func TestValueFourFields(t *testing.T) {
	if n := reflect.TypeOf(Value{}).NumField(); n > 4 {
		t.Errorf("Value has %d fields, want at most 4 (kept in registers)", n)
	}
	if s := unsafe.Sizeof(Value{}); s != 24 {
		t.Errorf("Value is %d bytes, want 24", s)
	}
	for _, sc := range []int{0, 1, 7, 18, MaxDecimalPrecision} {
		if got := Dec(-12345, sc).AsDecimal().Scale(); got != sc {
			t.Errorf("Dec(-12345, %d): scale %d", sc, got)
		}
	}
	if ms, ns := Timestamp(1234, 999_999).AsTimestamp(); ms != 1234 || ns != 999_999 {
		t.Errorf("Timestamp(1234, 999999) reads %d ms %d ns", ms, ns)
	}
	if Dec(5, 3).Equal(Dec(5, 2)) || !Dec(50, 3).Equal(Dec(5, 2)) {
		t.Error("decimals of different scales compare wrongly")
	}
}
