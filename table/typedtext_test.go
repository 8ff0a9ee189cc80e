package table

import (
	"testing"
	"time"
)

// TestAppendTimestampPrec: Flink's DateTimeUtils.formatTimestamp rule — the
// fraction pads to p digits and loses trailing zeros only beyond p.
func TestAppendTimestampPrec(t *testing.T) {
	const ms = 1_577_836_800_000 // 2020-01-01 00:00:00
	for _, c := range []struct {
		ms   int64
		ns   int32
		p    int
		want string
	}{
		{ms, 0, 0, "2020-01-01 00:00:00"},
		{ms, 0, 1, "2020-01-01 00:00:00.0"},
		{ms, 0, 3, "2020-01-01 00:00:00.000"},
		{ms, 0, 6, "2020-01-01 00:00:00.000000"},
		{ms, 0, 9, "2020-01-01 00:00:00.000000000"},
		{ms + 500, 0, 0, "2020-01-01 00:00:00.5"},
		{ms + 500, 0, 1, "2020-01-01 00:00:00.5"},
		{ms + 500, 0, 3, "2020-01-01 00:00:00.500"},
		{ms + 123, 456, 6, "2020-01-01 00:00:00.123000456"},
		{ms + 123, 456_000, 6, "2020-01-01 00:00:00.123456"},
		{ms + 123, 456_789, 9, "2020-01-01 00:00:00.123456789"},
		{ms + 123, 456_789, 3, "2020-01-01 00:00:00.123456789"}, // digits beyond p are kept, not cut
		{ms + 120, 0, 2, "2020-01-01 00:00:00.12"},
		{-1, 0, 3, "1969-12-31 23:59:59.999"},
		{-1000, 0, 3, "1969-12-31 23:59:59.000"},
	} {
		if got := string(AppendTimestampPrec(nil, c.ms, c.ns, c.p)); got != c.want {
			t.Errorf("AppendTimestampPrec(%d, %d, %d) = %q, want %q", c.ms, c.ns, c.p, got, c.want)
		}
	}
}

func TestAppendTypedText(t *testing.T) {
	ts := TimestampMillis(1_577_836_800_000)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	for _, c := range []struct {
		v    Value
		t    Type
		loc  *time.Location
		want string
	}{
		{ts, TimestampType(3), nil, "2020-01-01 00:00:00.000"},
		{ts, TimestampType(0), nil, "2020-01-01 00:00:00"},
		{ts, TimestampType(6), nil, "2020-01-01 00:00:00.000000"},
		{ts, TimestampType(9), berlin, "2020-01-01 00:00:00.000000000"}, // a TIMESTAMP is not shifted
		{ts, TimestampLTZType(3), nil, "2020-01-01 00:00:00.000"},
		{ts, TimestampLTZType(3), berlin, "2020-01-01 01:00:00.000"},
		{ts, Type{}, nil, "2020-01-01 00:00:00"}, // type unknown: AppendText
		{Null, TimestampType(3), nil, "NULL"},
		{Float(float64(float32(0.1))), FloatType(), nil, "0.1"},
		{Float(float64(float32(0.1))), DoubleType(), nil, "0.10000000149011612"},
		{Float(float64(float32(1e10))), FloatType(), nil, "1.0E10"},
		{Array([]Value{ts, Null}), ArrayType(TimestampType(3)), nil, "[2020-01-01 00:00:00.000, NULL]"},
		{Map([]Value{Int(1)}, []Value{ts}), MapType(IntType(), TimestampLTZType(1)), berlin, "{1=2020-01-01 01:00:00.0}"},
		{RowValue([]Value{ts, Float(0.5)}), RowType(Field{Name: "a", Type: TimestampType(2)}, Field{Name: "b", Type: FloatType()}), nil, "(2020-01-01 00:00:00.00, 0.5)"},
	} {
		if got := string(AppendTypedText(nil, c.v, c.t, c.loc)); got != c.want {
			t.Errorf("AppendTypedText(%v, %s) = %q, want %q", c.v, c.t, got, c.want)
		}
	}
}

// TestAppendTimePrec: Flink's DateTimeUtils.formatTimestampMillis rule for
// TIME(p) — no fraction for p = 0, else the millisecond digits up to p,
// stopping after the first digit that leaves only zeros (at least one).
func TestAppendTimePrec(t *testing.T) {
	const base = 12*3_600_000 + 34*60_000 + 56*1000 // 12:34:56
	for _, c := range []struct {
		ms   int32
		p    int
		want string
	}{
		{base, 0, "12:34:56"},
		{base + 123, 0, "12:34:56"},
		{base, 1, "12:34:56.0"},
		{base, 3, "12:34:56.0"},
		{base + 500, 3, "12:34:56.5"},
		{base + 120, 3, "12:34:56.12"},
		{base + 123, 3, "12:34:56.123"},
		{base + 123, 2, "12:34:56.12"},
		{base + 123, 1, "12:34:56.1"},
		{base + 123, 9, "12:34:56.123"},
		{base + 5, 3, "12:34:56.005"},
		{base + 5, 2, "12:34:56.00"},
		{0, 3, "00:00:00.0"},
		{-1, 3, "23:59:59.999"},
	} {
		if got := string(AppendTimePrec(nil, c.ms, c.p)); got != c.want {
			t.Errorf("AppendTimePrec(%d, %d) = %q, want %q", c.ms, c.p, got, c.want)
		}
		if got := string(AppendTypedText(nil, Time(c.ms), TimeType(c.p), nil)); c.ms >= 0 && got != c.want {
			t.Errorf("AppendTypedText(TIME(%d) %d) = %q, want %q", c.p, c.ms, got, c.want)
		}
	}
}
