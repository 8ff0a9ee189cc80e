package table

import (
	"testing"

	"pgregory.net/rapid"
)

func TestTypeString(t *testing.T) {
	for _, c := range []struct {
		t    Type
		want string
	}{
		{DecimalType(10, 2).NotNull(), "DECIMAL(10, 2) NOT NULL"},
		{StringType(), "STRING"},
		{VarCharType(5), "VARCHAR(5)"},
		{CharType(3).NotNull(), "CHAR(3) NOT NULL"},
		{BytesType(), "BYTES"},
		{TimestampType(3).WithTimeAttr(Rowtime), "TIMESTAMP(3) *ROWTIME*"},
		{TimestampLTZType(3).NotNull().WithTimeAttr(Proctime), "TIMESTAMP_LTZ(3) NOT NULL *PROCTIME*"},
		{ArrayType(IntType().NotNull()), "ARRAY<INT NOT NULL>"},
		{MapType(StringType(), BigIntType()), "MAP<STRING, BIGINT>"},
		{RowType(Field{"a", IntType()}, Field{"b`c", StringType()}), "ROW<`a` INT, `b``c` STRING>"},
		{NullType(), "NULL"},
		{IntervalDayTimeType(), "INTERVAL DAY(2) TO SECOND(3)"},
		{DateType(), "DATE"},
		{TimeType(0), "TIME(0)"},
	} {
		if got := c.t.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}

func TestTypeEqual(t *testing.T) {
	if !ArrayType(IntType()).Equal(ArrayType(IntType())) || ArrayType(IntType()).Equal(ArrayType(BigIntType())) {
		t.Error("array equality")
	}
	if IntType().Equal(IntType().NotNull()) || !IntType().EqualIgnoringNull(IntType().NotNull()) {
		t.Error("nullability")
	}
	if !TimestampType(3).Equal(TimestampType(3).WithTimeAttr(Rowtime)) {
		t.Error("time attribute is ignored")
	}
	if RowType(Field{"a", IntType()}).Equal(RowType(Field{"b", IntType()})) {
		t.Error("row field names")
	}
}

func TestCommonType(t *testing.T) {
	for _, c := range []struct {
		in   []Type
		want string // "" = none
	}{
		{[]Type{IntType().NotNull(), BigIntType().NotNull()}, "BIGINT NOT NULL"},
		{[]Type{TinyIntType(), SmallIntType().NotNull()}, "SMALLINT"},
		{[]Type{IntType(), DecimalType(5, 2)}, "DECIMAL(12, 2)"},
		{[]Type{DecimalType(10, 2), DecimalType(5, 4)}, "DECIMAL(12, 4)"},
		{[]Type{DecimalType(38, 2), DecimalType(5, 4)}, "DECIMAL(38, 2)"},
		{[]Type{IntType(), DoubleType()}, "DOUBLE"},
		{[]Type{IntType(), FloatType()}, "FLOAT"},
		{[]Type{DecimalType(10, 2), FloatType()}, "DOUBLE"},
		{[]Type{NullType(), IntType().NotNull()}, "INT"},
		{[]Type{CharType(3), CharType(5)}, "VARCHAR(5)"},
		{[]Type{CharType(3), CharType(3)}, "CHAR(3)"},
		{[]Type{VarCharType(3), StringType()}, "STRING"},
		{[]Type{DateType(), TimestampType(3)}, "TIMESTAMP(3)"},
		{[]Type{TimestampType(3), TimestampType(6)}, "TIMESTAMP(6)"},
		{[]Type{TimestampType(3), TimestampLTZType(3)}, "TIMESTAMP_LTZ(3)"},
		{[]Type{ArrayType(IntType()), ArrayType(BigIntType())}, "ARRAY<BIGINT>"},
		{[]Type{IntType(), StringType()}, ""},
		{[]Type{BooleanType(), IntType()}, ""},
	} {
		got, ok := CommonType(c.in...)
		if c.want == "" {
			if ok {
				t.Errorf("CommonType(%v) = %s, want none", c.in, got)
			}
			continue
		}
		if !ok || got.String() != c.want {
			t.Errorf("CommonType(%v) = %s, %v; want %s", c.in, got, ok, c.want)
		}
	}
}

func TestImplicitCast(t *testing.T) {
	yes := [][2]Type{
		{IntType(), BigIntType()}, {TinyIntType(), IntType()}, {IntType(), DecimalType(10, 0)},
		{IntType(), DecimalType(12, 2)}, {BigIntType(), DoubleType()}, {DecimalType(5, 2), DecimalType(7, 3)},
		{DecimalType(5, 2), DoubleType()}, {FloatType(), DoubleType()}, {CharType(3), StringType()},
		{NullType(), IntType().NotNull()}, {IntType().NotNull(), IntType()}, {DateType(), TimestampType(3)},
		{TimestampType(3), TimestampType(6)}, {TimestampType(3), TimestampLTZType(3)}, {TimeType(0), TimeType(3)},
		{ArrayType(IntType()), ArrayType(BigIntType())},
	}
	no := [][2]Type{
		{BigIntType(), IntType()}, {IntType(), DecimalType(9, 0)}, {DecimalType(5, 2), DecimalType(5, 1)},
		{DoubleType(), FloatType()}, {DoubleType(), DecimalType(38, 10)}, {StringType(), IntType()},
		{IntType(), IntType().NotNull()}, {StringType(), VarCharType(3)}, {TimestampType(6), TimestampType(3)}, {TimeType(3), TimeType(0)},
		{BooleanType(), IntType()},
	}
	for _, c := range yes {
		if !SupportsImplicitCast(c[0], c[1]) {
			t.Errorf("%s -> %s: want implicit", c[0], c[1])
		}
	}
	for _, c := range no {
		if SupportsImplicitCast(c[0], c[1]) {
			t.Errorf("%s -> %s: want no implicit cast", c[0], c[1])
		}
	}
}

func TestParseType(t *testing.T) {
	for in, want := range map[string]string{
		"int":                               "INT",
		"INTEGER NOT NULL":                  "INT NOT NULL",
		"decimal":                           "DECIMAL(10, 0)",
		"NUMERIC(5)":                        "DECIMAL(5, 0)",
		"DECIMAL(10,2) not null":            "DECIMAL(10, 2) NOT NULL",
		"VARCHAR(2147483647)":               "STRING",
		"varchar":                           "VARCHAR(1)",
		"TIMESTAMP":                         "TIMESTAMP(6)",
		"TIMESTAMP(3) WITHOUT TIME ZONE":    "TIMESTAMP(3)",
		"TIMESTAMP(3) WITH LOCAL TIME ZONE": "TIMESTAMP_LTZ(3)",
		"TIMESTAMP(3) *ROWTIME*":            "TIMESTAMP(3) *ROWTIME*",
		"DOUBLE PRECISION":                  "DOUBLE",
		"ARRAY<ROW<a INT, `b c` MAP<STRING, BYTES>>>": "ARRAY<ROW<`a` INT, `b c` MAP<STRING, BYTES>>>",
		"ROW(x BIGINT NOT NULL, y STRING)":            "ROW<`x` BIGINT NOT NULL, `y` STRING>",
		"INTERVAL DAY(2) TO SECOND(3)":                "INTERVAL DAY(2) TO SECOND(3)",
		"INTERVAL YEAR TO MONTH":                      "INTERVAL YEAR(2) TO MONTH",
		"ROW<>":                                       "ROW<>",
	} {
		got, err := ParseType(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseType(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "INT INT", "DECIMAL(39)", "DECIMAL(5, 6)", "VARCHAR(0)", "ARRAY<INT", "MAP<INT>",
		"TIMESTAMP(10)", "NOT NULL", "ROW<a>", "TIMESTAMP WITH TIME ZONE", "FOO", "ROW<`a INT>"} {
		if _, err := ParseType(bad); err == nil {
			t.Errorf("ParseType(%q) succeeded", bad)
		}
	}
}

func TestParseTypeRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ty := genType(3).Draw(t, "type")
		if rapid.Bool().Draw(t, "notnull") {
			ty = ty.NotNull()
		}
		back, err := ParseType(ty.String())
		if err != nil {
			t.Fatalf("ParseType(%s): %v", ty, err)
		}
		if !back.Equal(ty) || back.String() != ty.String() {
			t.Fatalf("ParseType(%s) = %s", ty, back)
		}
	})
}
