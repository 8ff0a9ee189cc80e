package expr

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/table"
)

var reg = NewBuiltinRegistry()

// The test row.
var (
	cA   = ColumnRef(0, "a", table.IntType().NotNull())          // 7
	cB   = ColumnRef(1, "b", table.BigIntType().NotNull())       // 100
	cS   = ColumnRef(2, "s", table.StringType().NotNull())       // 'xyz'
	cN   = ColumnRef(3, "n", table.IntType())                    // NULL
	cF   = ColumnRef(4, "f", table.DoubleType().NotNull())       // 2.5
	cM   = ColumnRef(5, "m", table.DecimalType(10, 2).NotNull()) // 12.34
	cTS  = ColumnRef(6, "ts", table.TimestampType(3).NotNull())  // 2024-01-31 12:34:56.789
	cBN  = ColumnRef(7, "bn", table.BooleanType())               // NULL
	cT   = ColumnRef(8, "t", table.BooleanType().NotNull())      // TRUE
	cDT  = ColumnRef(9, "dt", table.DateType().NotNull())        // 2024-02-29
	cLTZ = ColumnRef(10, "ltz", table.TimestampLTZType(3))       // the instant 2024-01-31T12:34:56.789Z
	cSN  = ColumnRef(11, "sn", table.StringType())               // NULL
)

const tsMillis = 1706704496789 // 2024-01-31 12:34:56.789 UTC

func testRow() *table.Row {
	r := table.NewRow(
		table.Int(7), table.Int(100), table.Str("xyz"), table.Null, table.Float(2.5), table.Dec(1234, 2),
		table.TimestampMillis(tsMillis), table.Null, table.Bool(true), table.Date(19782),
		table.TimestampMillis(tsMillis), table.Null,
	)
	return &r
}

// Builders that fail the test on a type error.
func call(name string, args ...Expr) Expr { return must(reg.Call(name, args...)) }
func must(e Expr, err error) Expr {
	if err != nil {
		panic(err)
	}
	return e
}
func i(v int64) Expr                    { return IntLit(v) }
func s(v string) Expr                   { return StrLit(v) }
func dbl(v float64) Expr                { return DoubleLit(v) }
func dec(v string) Expr                 { return must(DecLit(v)) }
func b(v bool) Expr                     { return BoolLit(v) }
func null(t table.Type) Expr            { return NullLit(t) }
func cast(x Expr, t table.Type) Expr    { return must(NewCast(x, t, false)) }
func tryCast(x Expr, t table.Type) Expr { return must(NewCast(x, t, true)) }
func ts(text string) Expr {
	ms, ns, err := table.ParseTimestamp(text)
	if err != nil {
		panic(err)
	}
	return Lit(table.Timestamp(ms, ns), table.TimestampType(3).NotNull())
}
func and(a ...Expr) Expr { return must(NewAnd(a...)) }
func or(a ...Expr) Expr  { return must(NewOr(a...)) }
func not(a Expr) Expr    { return must(NewNot(a)) }
func in(x Expr, l ...Expr) Expr {
	return must(NewIn(x, l, false))
}
func like(x Expr, p string) Expr { return must(NewLike(x, s(p), 0, false)) }
func dayIv(ms int64) Expr {
	return Lit(table.IntervalMillis(ms), table.IntervalDayTimeType().NotNull())
}
func monthIv(m int32) Expr {
	return Lit(table.IntervalMonths(m), table.IntervalYearMonthType().NotNull())
}

type exprCase struct {
	e    Expr
	want string // the result as a SQL literal (Value.String), or "error: <substring>"
}

func runCases(t *testing.T, cases []exprCase, opts ...Option) {
	t.Helper()
	row := testRow()
	for _, c := range cases {
		p, err := Compile(c.e, opts...)
		if err != nil {
			t.Errorf("%s: compile: %v", c.e, err)
			continue
		}
		v, err := p(row)
		if want, ok := strings.CutPrefix(c.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s = %v, %v; want error %q", c.e, v, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		if got := v.String(); got != c.want {
			t.Errorf("%s = %s, want %s", c.e, got, c.want)
		}
		// The value must be of the kind of the declared type, and NULL only
		// where the type admits it.
		et := c.e.Type()
		if v.IsNull() && !et.Nullable() {
			t.Errorf("%s: NULL for the NOT NULL type %s", c.e, et)
		}
		if !v.IsNull() && v.Kind() != table.KindOf(et) {
			t.Errorf("%s: value of kind %s for type %s", c.e, v.Kind(), et)
		}
	}
}

func TestArithmetic(t *testing.T) {
	runCases(t, []exprCase{
		{call("+", call("*", cA, i(2)), cB), "114"},
		{call("/", cA, i(2)), "3"},
		{call("%", cA, i(3)), "1"},
		{call("%", i(-7), i(3)), "-1"}, // Java: the sign of the dividend
		{call("/", i(-7), i(2)), "-3"}, // truncation
		{call("/", cA, i(0)), "error: division by zero"},
		{call("%", cA, i(0)), "error: division by zero"},
		{call("+", i(math.MaxInt32), cA), "-2147483642"},                    // INT wraps (Java int)
		{call("+", BigIntLit(math.MaxInt64), i(1)), "-9223372036854775808"}, // BIGINT wraps
		{call("*", cF, i(2)), "5E0"},
		{call("+", cF, cA), "9.5E0"},
		{call("/", dbl(1), dbl(0)), "CAST('Infinity' AS DOUBLE)"},
		{call("+", cM, i(1)), "13.34"},
		{call("*", cM, cM), "152.2756"},
		// DECIMAL(10,2) / DECIMAL(10,0): scale max(6, 2+10+1) = 13.
		{call("/", cM, i(3)), "4.1133333333333"},
		{call("/", cM, i(0)), "error: division by zero"},
		{call("-", cM, dec("0.345")), "11.995"},
		{call("%", cM, i(5)), "2.34"},
		// 38 nines + 1 needs 39 digits: NULL (Flink's decimal overflow).
		{call("+", dec(strings.Repeat("9", 38)), i(1)), "NULL"},
		{call("+", cN, i(1)), "NULL"},
		{call("-", cA), "-7"},
		{call("-", cM), "-12.34"},
		{call("MOD", i(7), i(3)), "1"},
		{call("MOD", BigIntLit(math.MaxInt64), cA), "0"}, // 2^63-1 = 7 x 1317624576693539401: an INT remainder
		{call("MOD", BigIntLit(math.MinInt64), i(10)), "-8"},
		{call("+", cTS, dayIv(86_400_000)), "TIMESTAMP '2024-02-01 12:34:56.789'"},
		{call("-", cTS, monthIv(1)), "TIMESTAMP '2023-12-31 12:34:56.789'"},
		{call("+", cDT, monthIv(12)), "DATE '2025-02-28'"},
		{call("+", monthIv(1), cDT), "DATE '2024-03-29'"},
	})
}

func TestComparisonAndLogic(t *testing.T) {
	nan := dbl(math.NaN())
	runCases(t, []exprCase{
		{call(">", cA, i(5)), "TRUE"},
		{call("=", cA, cN), "NULL"},
		{call("=", cS, s("xyz")), "TRUE"},
		{call("<", cS, s("xz")), "TRUE"},
		{call("=", cM, dec("12.34")), "TRUE"},
		{call("=", cA, dec("7.0")), "TRUE"},
		{call(">", cF, cA), "FALSE"},
		{call("=", nan, nan), "FALSE"}, // Java ==
		{call("<>", nan, nan), "TRUE"},
		{call(">", cTS, ts("2024-01-01 00:00:00")), "TRUE"},
		{call("<", cDT, cTS), "FALSE"}, // DATE widens to TIMESTAMP
		{call(">=", cB, cA), "TRUE"},
		{call("<=", cM, cF), "FALSE"},
		{and(cT, cBN), "NULL"},
		{and(b(false), cBN), "FALSE"},
		{and(cBN, b(false)), "FALSE"},
		{or(cT, cBN), "TRUE"},
		{or(b(false), cBN), "NULL"},
		{or(cBN, cBN, b(true)), "TRUE"},
		{and(cT, cT, cBN), "NULL"},
		{not(cBN), "NULL"},
		{not(cT), "FALSE"},
		{NewIsNull(cBN, false), "TRUE"},
		{NewIsNull(cA, true), "TRUE"},
		{must(NewIsBool(cBN, true, true)), "TRUE"},
		{must(NewIsBool(cT, false, false)), "FALSE"},
		// Short circuit: the division is not reached.
		{and(b(false), call(">", call("/", cA, i(0)), i(1))), "FALSE"},
		{or(cT, call(">", call("/", cA, i(0)), i(1))), "TRUE"},
		{and(cT, call(">", call("/", cA, i(0)), i(1))), "error: division by zero"},
	})
}

func TestInBetweenLikeCase(t *testing.T) {
	runCases(t, []exprCase{
		{in(cA, i(1), i(7)), "TRUE"},
		{in(cA, i(1), i(2)), "FALSE"},
		{in(cA, i(1), null(table.IntType())), "NULL"},
		{in(cA, i(7), null(table.IntType())), "TRUE"},
		{must(NewIn(cA, []Expr{i(1), null(table.IntType())}, true)), "NULL"},
		{must(NewIn(cA, []Expr{i(1), i(2)}, true)), "TRUE"},
		{in(cN, i(1)), "NULL"},
		{in(cA, i(1), i(2), i(3), i(4), i(5), i(6), i(7)), "TRUE"}, // the hash set
		{in(cA, i(1), i(2), i(3), i(4), i(5), i(6), i(8)), "FALSE"},
		{in(cS, s("a"), s("xyz")), "TRUE"},
		{in(cA, dec("7.0")), "TRUE"},
		{in(cA, cB, call("-", cB, i(93))), "TRUE"},
		{must(NewBetween(cA, i(1), i(10), false, false)), "TRUE"},
		{must(NewBetween(cA, i(10), i(1), false, false)), "FALSE"},
		{must(NewBetween(cA, i(10), i(1), false, true)), "TRUE"},
		{must(NewBetween(cA, i(1), null(table.IntType()), false, false)), "NULL"},
		{must(NewBetween(cA, i(8), null(table.IntType()), false, false)), "FALSE"},
		{must(NewBetween(cA, i(1), i(5), true, false)), "TRUE"},
		{must(NewBetween(cTS, ts("2024-01-01 00:00:00"), ts("2024-02-01 00:00:00"), false, false)), "TRUE"},
		{like(cS, "x%"), "TRUE"},
		{like(cS, "x_z"), "TRUE"},
		{like(cS, "%y%"), "TRUE"},
		{like(cS, "%z"), "TRUE"},
		{like(cS, "xyz"), "TRUE"},
		{like(cS, "X%"), "FALSE"},
		{like(cS, "_"), "FALSE"},
		{like(cS, "%"), "TRUE"},
		{like(cS, "x%y%z"), "TRUE"},
		{must(NewLike(cS, s("a%"), 0, true)), "TRUE"},
		{like(cSN, "x%"), "NULL"},
		{must(NewLike(s("100%"), s("100!%"), '!', false)), "TRUE"},
		{must(NewLike(s("1000"), s("100!%"), '!', false)), "FALSE"},
		{like(s("a\nb"), "a_b"), "FALSE"}, // '_' is Java's '.' (Flink): no line terminator
		{like(s("a\nb"), "a%b"), "TRUE"},
		{like(s("a.c"), "a.c"), "TRUE"},
		{like(s("abc"), "a.c"), "FALSE"}, // '.' is not a wildcard
		{must(NewLike(cS, cS, 0, false)), "TRUE"},
		{must(NewCase([]When{{call(">", cA, i(5)), s("big")}}, s("small"))), "'big'"},
		{must(NewCase([]When{{cBN, i(1)}}, nil)), "NULL"},
		{must(NewCase([]When{{call("<", cA, i(0)), i(1)}, {call(">", cA, i(0)), dec("2.5")}}, nil)), "2.5"},
		{must(NewCase([]When{{b(false), call("/", cA, i(0))}}, i(1))), "1"},
		{must(reg.NewSimpleCase(cA, []When{{i(1), s("one")}, {i(7), s("seven")}}, s("other"))), "'seven'"},
		{call("COALESCE", cN, cA), "7"},
		{call("COALESCE", cN, null(table.IntType())), "NULL"},
		{call("COALESCE", cA, call("/", cA, i(0))), "7"}, // lazy
		{call("NULLIF", cA, i(7)), "NULL"},
		{call("NULLIF", cA, i(1)), "7"},
		{call("NULLIF", cN, i(1)), "NULL"},
		{call("IF", call(">", cA, i(5)), s("y"), s("n")), "'y'"},
		{call("IF", cBN, s("y"), s("n")), "'n'"},
	})
}

func TestCasts(t *testing.T) {
	arr := Lit(table.Array([]table.Value{table.Int(1), table.Null}), table.ArrayType(table.IntType()).NotNull())
	runCases(t, []exprCase{
		{cast(cS, table.IntType()), "error: cannot cast 'xyz' to INT"},
		{tryCast(cS, table.IntType()), "NULL"},
		{cast(s("42"), table.IntType()), "42"},
		{cast(s(" 42 "), table.BigIntType()), "42"},
		{cast(s("1.9"), table.IntType()), "1"},
		{cast(s("3000000000"), table.IntType()), "error: cannot cast"},
		{tryCast(s("3000000000"), table.IntType()), "NULL"},
		{cast(s("12.345"), table.DecimalType(5, 2)), "12.35"},
		{cast(s("12345.6"), table.DecimalType(5, 2)), "NULL"}, // overflow is NULL
		{cast(s("1e3"), table.DoubleType()), "1E3"},
		{cast(s("x"), table.DoubleType()), "error: cannot cast"},
		{cast(cA, table.StringType()), "'7'"},
		{cast(cF, table.StringType()), "'2.5'"},
		{cast(dbl(1e10), table.StringType()), "'1.0E10'"},
		{cast(dbl(100), table.StringType()), "'100.0'"},
		{cast(cast(dbl(0.1), table.FloatType()), table.StringType()), "'0.1'"},
		{cast(cM, table.StringType()), "'12.34'"},
		{cast(cT, table.StringType()), "'TRUE'"},
		{cast(cTS, table.StringType()), "'2024-01-31 12:34:56.789'"},
		{cast(ts("2024-01-31 12:00:00"), table.StringType()), "'2024-01-31 12:00:00.000'"},
		{cast(cDT, table.StringType()), "'2024-02-29'"},
		{cast(cLTZ, table.StringType()), "'2024-01-31 12:34:56.789'"},
		{cast(cS, table.VarCharType(2)), "'xy'"},
		{cast(cS, table.CharType(5)), "'xyz  '"},
		{cast(cTS, table.TimestampType(0)), "TIMESTAMP '2024-01-31 12:34:56'"},
		{cast(cF, table.IntType()), "2"},
		{cast(dbl(-2.5), table.IntType()), "-2"},
		{cast(dbl(1e20), table.IntType()), "2147483647"}, // Java (int) saturates
		{cast(dbl(math.NaN()), table.BigIntType()), "0"},
		{cast(i(300), table.TinyIntType()), "44"}, // wraps
		{cast(cM, table.IntType()), "12"},
		{cast(dec("-12.99"), table.IntType()), "-12"},
		{cast(cF, table.DecimalType(3, 1)), "2.5"},
		{cast(cA, table.DecimalType(1, 0)), "7"},
		{cast(cB, table.DecimalType(2, 0)), "NULL"}, // 100 needs 3 digits: NULL (Flink)
		{cast(cA, table.DoubleType()), "7E0"},
		{cast(s("true"), table.BooleanType()), "TRUE"},
		{cast(s("NO"), table.BooleanType()), "FALSE"},
		{cast(s("maybe"), table.BooleanType()), "error: cannot cast"},
		{cast(cA, table.BooleanType()), "TRUE"},
		{cast(cT, table.IntType()), "1"},
		{cast(s("2024-01-31 12:00:00"), table.TimestampType(3)), "TIMESTAMP '2024-01-31 12:00:00'"},
		{cast(s("2024-01-31T12:00:00.5"), table.TimestampType(3)), "TIMESTAMP '2024-01-31 12:00:00.500'"},
		{cast(s("2024-01-31"), table.DateType()), "DATE '2024-01-31'"},
		{cast(s("12:30:00"), table.TimeType(0)), "TIME '12:30:00'"},
		{cast(s("2024-13-01"), table.DateType()), "error: cannot cast"},
		{cast(cTS, table.DateType()), "DATE '2024-01-31'"},
		{cast(cTS, table.TimeType(3)), "TIME '12:34:56.789'"},
		{cast(cDT, table.TimestampType(3)), "TIMESTAMP '2024-02-29 00:00:00'"},
		{cast(cTS, table.TimestampLTZType(3)), "TIMESTAMP '2024-01-31 12:34:56.789'"},
		{cast(i(1700000000), table.TimestampLTZType(3)), "TIMESTAMP '2023-11-14 22:13:20'"},
		{cast(cLTZ, table.BigIntType()), "1706704496"},
		{cast(s("abc"), table.BytesType()), "X'616263'"},
		{cast(Lit(table.Bytes([]byte("hé")), table.BytesType()), table.StringType()), "'hé'"},
		{cast(arr, table.ArrayType(table.StringType())), "ARRAY['1', NULL]"},
		{cast(arr, table.StringType()), "'[1, NULL]'"},
		{cast(null(table.NullType()), table.IntType()), "NULL"},
	})
}

func TestCastsInZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	runCases(t, []exprCase{
		{cast(cLTZ, table.StringType()), "'2024-01-31 21:34:56.789'"},
		{cast(cLTZ, table.TimestampType(3)), "TIMESTAMP '2024-01-31 21:34:56.789'"},
		{cast(cTS, table.TimestampLTZType(3)), "TIMESTAMP '2024-01-31 03:34:56.789'"},
		{cast(s("2024-01-31 09:00:00"), table.TimestampLTZType(3)), "TIMESTAMP '2024-01-31 00:00:00'"},
		{call("HOUR", cLTZ), "21"},
		{call("DATE_FORMAT", cLTZ, s("yyyy-MM-dd HH:mm Z")), "'2024-01-31 21:34 +0900'"},
		{call("FROM_UNIXTIME", i(0)), "'1970-01-01 09:00:00'"},
		{call("UNIX_TIMESTAMP", s("1970-01-01 09:00:00")), "0"},
		{call("LOCALTIMESTAMP"), "TIMESTAMP '2023-11-15 07:13:20'"},
		{call("CURRENT_DATE"), "DATE '2023-11-15'"},
	}, WithLocation(tokyo), WithClock(func() int64 { return 1700000000000 }))
}

func TestStringFunctions(t *testing.T) {
	runCases(t, []exprCase{
		{call("CONCAT", cS, s("-"), cS), "'xyz-xyz'"},
		{call("CONCAT", cS, cSN), "NULL"},
		{call("||", cS, s("a")), "'xyza'"},
		{call("CONCAT_WS", s("-"), cS, cSN, s("a")), "'xyz-a'"},
		{call("CONCAT_WS", cSN, cS), "NULL"},
		{call("UPPER", s("aBc")), "'ABC'"},
		{call("LOWER", s("aBc")), "'abc'"},
		{call("INITCAP", s("hello wORLD-foo")), "'Hello World-Foo'"},
		{call("TRIM", s("  a  ")), "'a'"},
		{call("LTRIM", s("  a ")), "'a '"},
		{call("RTRIM", s(" a  ")), "' a'"},
		{call("TRIM", s("xxaxx"), s("x")), "'a'"},
		{call("SUBSTRING", s("hello"), i(2)), "'ello'"},
		{call("SUBSTRING", s("hello"), i(2), i(3)), "'ell'"},
		{call("SUBSTRING", s("hello"), i(-3)), "'llo'"},
		{call("SUBSTRING", s("hello"), i(0), i(2)), "'he'"},
		{call("SUBSTRING", s("héllo"), i(2), i(2)), "'él'"},
		{call("SUBSTRING", s("hello"), i(9)), "''"},
		{call("SUBSTR", s("hello"), i(2), i(1)), "'e'"},
		{call("CHAR_LENGTH", s("héllo")), "5"},
		{call("CHAR_LENGTH", cSN), "NULL"},
		{call("POSITION", s("l"), s("hello")), "3"},
		{call("POSITION", s("z"), s("hello")), "0"},
		{call("REPLACE", s("hello"), s("l"), s("L")), "'heLLo'"},
		// Flink docs examples.
		{call("REGEXP_EXTRACT", s("foothebar"), s("foo(.*?)(bar)"), i(2)), "'bar'"},
		{call("REGEXP_EXTRACT", s("foothebar"), s("foo(.*?)(bar)")), "'foothebar'"},
		{call("REGEXP_EXTRACT", s("abc"), s("x(y)"), i(1)), "NULL"},
		{call("REGEXP_EXTRACT", s("abc"), s("(a)"), i(3)), "NULL"},
		{call("REGEXP_EXTRACT", s("abc"), s("(")), "NULL"},
		{call("REGEXP_EXTRACT", cS, cS), "'xyz'"},
		{call("REGEXP_REPLACE", s("foobar"), s("oo|ar"), s("")), "'fb'"},
		{call("REGEXP_REPLACE", s("2024-01-31"), s(`(\d+)-(\d+)-(\d+)`), s("$3/$2/$1")), "'31/01/2024'"},
		{call("REGEXP_REPLACE", s("a.b"), s(`\.`), s(`\$`)), "'a$b'"},
		{call("REGEXP", s("abc"), s("b")), "TRUE"},
		{call("SPLIT_INDEX", s("a,b,c"), s(","), i(1)), "'b'"},
		{call("SPLIT_INDEX", s("a,b,c"), s(","), i(5)), "NULL"},
		{call("LPAD", s("hi"), i(4), s("??")), "'??hi'"}, // Flink docs
		{call("LPAD", s("hi"), i(1), s("??")), "'h'"},    // Flink docs
		{call("RPAD", s("hi"), i(4), s("??")), "'hi??'"},
		{call("RPAD", s("hi"), i(5), s("ab")), "'hiaba'"},
		{call("LPAD", s("hi"), i(-1), s("x")), "NULL"},
		{call("REVERSE", s("abc")), "'cba'"},
		{call("LOCATE", s("l"), s("hello")), "3"},
		{call("LOCATE", s("l"), s("hello"), i(4)), "4"},
		{call("LOCATE", s("l"), s("hello"), i(5)), "0"},
		{call("LOCATE", s("l"), s("hello"), i(-2)), "3"},
		{call("LOCATE", s("l"), s("héllo"), i(4)), "4"},
		{call("LOCATE", s(""), s("hello"), i(9)), "1"},
		{call("LOCATE", s("l"), cSN), "NULL"},
		{call("INSTR", s("héllo"), s("lo")), "4"},
		{call("INSTR", s("hello"), s("z")), "0"},
		// INSTR with from and nth (Flink's SqlFunctionUtils.instr).
		{call("INSTR", s("abcabcabc"), s("bc"), i(3)), "5"},
		{call("INSTR", s("abcabcabc"), s("bc"), i(1), i(3)), "8"},
		{call("INSTR", s("abcabcabc"), s("bc"), i(1), i(4)), "0"},
		{call("INSTR", s("abcabcabc"), s("bc"), i(0)), "0"},
		{call("INSTR", s("abcabcabc"), s("bc"), i(-1)), "8"},
		{call("INSTR", s("abcabcabc"), s("bc"), i(-1), i(2)), "5"},
		{call("INSTR", s("abcabcabc"), s("bc"), i(-2), i(1)), "5"},
		{call("INSTR", s("abcabcabc"), s("bc"), i(-3), i(1)), "5"},
		{call("INSTR", s("héllo"), s("l"), i(-1)), "4"},
		{call("INSTR", s("hello"), s("l"), i(9)), "0"},
		{call("INSTR", s("hello"), s("l"), cN), "NULL"},
		// ASCII: the first UTF-8 byte, signed (Flink's code generation).
		{call("ASCII", s("abc")), "97"},
		{call("ASCII", s("")), "0"},
		{call("ASCII", s("é")), "-61"},
		{call("ASCII", cSN), "NULL"},
		// CHR: the low byte's Latin-1 character, '' below 0.
		{call("CHR", i(65)), "'A'"},
		{call("CHR", i(321)), "'A'"},
		{call("CHR", i(233)), "'é'"},
		{call("CHR", i(256)), "'\x00'"},
		{call("CHR", i(-1)), "''"},
		{call("STARTSWITH", s("SparkSQL"), s("Spark")), "TRUE"},
		{call("STARTSWITH", s("SparkSQL"), s("spark")), "FALSE"},
		{call("STARTSWITH", s("x"), s("")), "TRUE"},
		{call("ENDSWITH", s("SparkSQL"), s("SQL")), "TRUE"},
		{call("ENDSWITH", s("SparkSQL"), s("Spark")), "FALSE"},
		{call("ENDSWITH", cSN, s("")), "NULL"},
		// TRANSLATE: Flink's TranslateFunction tests.
		{call("TRANSLATE", s("www.apache.org"), s("abc"), s("123")), "'www.1p13he.org'"},
		{call("TRANSLATE", s("www.apache.org"), s("abcde."), s("123")), "'www1p13horg'"},
		{call("TRANSLATE", s("www.apache.org"), s("abcae"), s("12345")), "'www.1p13h5.org'"},
		{call("TRANSLATE", s("www.apache.org"), s("..."), s("123")), "'www1apache1org'"},
		{call("TRANSLATE", s("www.apache.org"), s("abc"), s("12345")), "'www.1p13he.org'"},
		{call("TRANSLATE", s("www.apache.org"), cSN, s("123")), "'www.apache.org'"},
		{call("TRANSLATE", s("www.apache.org"), s("abc"), cSN), "'www.phe.org'"},
		{call("TRANSLATE", s("翻译test，测试"), s("翻译测试test，"), s("test翻译  ")), "'te翻译 翻st'"},
		{call("TRANSLATE", cSN, s("abc"), s("123")), "NULL"},
		// OVERLAY: Flink docs examples, then its edges.
		{call("OVERLAY", s("This is an old string"), s(" new"), i(10), i(5)), "'This is a new string'"},
		{call("OVERLAY", s("xxxxxtest"), s("xxxx"), i(6)), "'xxxxxxxxx'"},
		{call("OVERLAY", s("xxxxxtest"), s("xxxx"), i(6), i(2)), "'xxxxxxxxxst'"},
		{call("OVERLAY", s("Txxxxas"), s("hom"), i(2), i(4)), "'Thomas'"},
		{call("OVERLAY", s("abcdef"), s("X"), i(2), i(0)), "'aXbcdef'"},
		{call("OVERLAY", s("abcdef"), s("X"), i(2), i(-1)), "'aX'"},
		{call("OVERLAY", s("abc"), s("X"), i(0)), "'abc'"},
		{call("OVERLAY", s("abc"), s("X"), i(4)), "'abc'"},
		{call("OVERLAY", s("abc"), s("XYZW"), i(2)), "'aXYZW'"},
		{call("OVERLAY", s("h€llo"), s("e"), i(2), i(1)), "'hello'"},
		{call("OVERLAY", s("abc"), cSN, i(2)), "NULL"},
		{call("REPEAT", s("ab"), i(3)), "'ababab'"},
		{call("REPEAT", s("ab"), i(-1)), "''"},
		{call("LEFT", s("héllo"), i(2)), "'hé'"},
		{call("LEFT", s("hello"), i(-1)), "''"},
		{call("LEFT", s("hi"), i(5)), "'hi'"},
		{call("RIGHT", s("hellö"), i(2)), "'lö'"},
		{call("RIGHT", s("hello"), i(0)), "''"},
		{call("RIGHT", s("hi"), i(3)), "'hi'"},
	})
}

func TestMathFunctions(t *testing.T) {
	runCases(t, []exprCase{
		{call("ABS", i(-3)), "3"},
		{call("ABS", dec("-1.50")), "1.50"},
		{call("ABS", dbl(-2)), "2E0"},
		{call("MOD", i(-7), i(3)), "-1"},
		{call("ROUND", dec("2.5")), "3"},
		{call("ROUND", cF), "3E0"},
		{call("ROUND", dbl(1.005), i(2)), "1.01E0"}, // BigDecimal.valueOf: HALF_UP on "1.005"
		{call("ROUND", i(125), i(-1)), "130"},
		{call("ROUND", cM, i(1)), "12.3"},
		{call("ROUND", dec("-2.5")), "-3"},
		{call("FLOOR", cM), "12"},
		{call("CEIL", cM), "13"},
		{call("FLOOR", dbl(-2.5)), "-3E0"},
		{call("CEIL", i(4)), "4"},
		{call("POWER", i(2), i(10)), "1.024E3"},
		{call("SQRT", i(16)), "4E0"},
		{call("LN", i(1)), "0E0"},
		{call("LOG10", i(1000)), "3E0"},
		{call("EXP", i(0)), "1E0"},
		{call("SIGN", i(-5)), "-1"},
		{call("LOG", i(2), i(8)), "3E0"},
	})
}

func TestTimeFunctions(t *testing.T) {
	runCases(t, []exprCase{
		{call("DATE_FORMAT", cTS, s("yyyy-MM-dd HH:mm:ss")), "'2024-01-31 12:34:56'"},
		{call("DATE_FORMAT", cTS, s("yyyy/MM/dd")), "'2024/01/31'"},
		{call("DATE_FORMAT", cTS, s("HH:mm:ss.SSS")), "'12:34:56.789'"},
		{call("DATE_FORMAT", cTS, s("EEE MMM d, yy h a")), "'Wed Jan 31, 24 12 PM'"},
		{call("DATE_FORMAT", cTS, s("'at' HH'h'")), "'at 12h'"},
		{call("DATE_FORMAT", s("2024-01-31 12:00:00"), s("yyyyMMdd")), "'20240131'"},
		{call("DATE_FORMAT", cDT, s("yyyy-MM-dd")), "'2024-02-29'"},
		{call("TO_TIMESTAMP", s("2024-01-31 12:00:00")), "TIMESTAMP '2024-01-31 12:00:00'"},
		{call("TO_TIMESTAMP", s("31/01/2024"), s("dd/MM/yyyy")), "TIMESTAMP '2024-01-31 00:00:00'"},
		{call("TO_TIMESTAMP", s("20240131123456"), s("yyyyMMddHHmmss")), "TIMESTAMP '2024-01-31 12:34:56'"},
		{call("TO_TIMESTAMP", s("2024-01-31 12:00:00.050"), s("yyyy-MM-dd HH:mm:ss.SSS")), "TIMESTAMP '2024-01-31 12:00:00.050'"},
		{call("TO_TIMESTAMP", s("garbage")), "NULL"},
		{call("TO_DATE", s("2024-02-29")), "DATE '2024-02-29'"},
		{call("UNIX_TIMESTAMP", s("2024-01-31 12:00:00")), "1706702400"},
		{call("UNIX_TIMESTAMP", s("2024-01-31T12:00:00+01:00"), s("yyyy-MM-dd'T'HH:mm:ssXXX")), "1706698800"},
		{call("UNIX_TIMESTAMP", s("x")), "-9223372036854775808"}, // Long.MIN_VALUE, as Flink
		// SimpleDateFormat.parse reads a prefix: a TIMESTAMP(3)'s text with
		// the default pattern is its second; too short a text is no match.
		{call("UNIX_TIMESTAMP", s("2024-01-31 12:00:00.789")), "1706702400"},
		{call("UNIX_TIMESTAMP", s("2024-01-31 12:00")), "-9223372036854775808"},
		{call("TO_TIMESTAMP", s("2024-01-31 12:00:00.789"), s("yyyy-MM-dd HH:mm:ss")), "NULL"}, // DateTimeFormatter: the whole text
		{call("FROM_UNIXTIME", i(1706702400)), "'2024-01-31 12:00:00'"},
		{call("FROM_UNIXTIME", i(0), s("yyyy")), "'1970'"},
		{call("TO_TIMESTAMP_LTZ", i(1700000000), i(0)), "TIMESTAMP '2023-11-14 22:13:20'"},
		{call("TO_TIMESTAMP_LTZ", BigIntLit(1700000000123), i(3)), "TIMESTAMP '2023-11-14 22:13:20.123'"},
		{call("EXTRACT", s("YEAR"), cTS), "2024"},
		{call("EXTRACT", s("MONTH"), cTS), "1"},
		{call("EXTRACT", s("DAY"), cTS), "31"},
		{call("EXTRACT", s("HOUR"), cTS), "12"},
		{call("EXTRACT", s("MINUTE"), cTS), "34"},
		{call("EXTRACT", s("SECOND"), cTS), "56"},
		{call("EXTRACT", s("MILLISECOND"), cTS), "56789"},
		{call("EXTRACT", s("DOW"), cTS), "4"}, // Wednesday; Sunday is 1
		{call("EXTRACT", s("DOY"), cDT), "60"},
		{call("EXTRACT", s("QUARTER"), cDT), "1"},
		{call("EXTRACT", s("WEEK"), cTS), "5"},
		{call("EXTRACT", s("EPOCH"), cTS), "1706704496"},
		{call("YEAR", cDT), "2024"},
		{call("MONTH", cDT), "2"},
		{call("DAYOFMONTH", cDT), "29"},
		{call("HOUR", cTS), "12"},
		{call("MINUTE", cTS), "34"},
		{call("SECOND", cTS), "56"},
		{call("TIMESTAMPADD", s("MONTH"), i(1), cTS), "TIMESTAMP '2024-02-29 12:34:56.789'"},
		{call("TIMESTAMPADD", s("DAY"), i(-31), cTS), "TIMESTAMP '2023-12-31 12:34:56.789'"},
		{call("TIMESTAMPADD", s("YEAR"), i(1), cDT), "DATE '2025-02-28'"},
		{call("TIMESTAMPADD", s("HOUR"), i(12), cTS), "TIMESTAMP '2024-02-01 00:34:56.789'"},
		{call("TIMESTAMPDIFF", s("DAY"), ts("2024-01-01 00:00:00"), cTS), "30"},
		{call("TIMESTAMPDIFF", s("HOUR"), cTS, ts("2024-01-31 00:00:00")), "-12"},
		{call("TIMESTAMPDIFF", s("MONTH"), ts("2024-01-15 00:00:00"), ts("2024-03-14 00:00:00")), "1"},
		{call("TIMESTAMPDIFF", s("MONTH"), ts("2024-01-15 00:00:00"), ts("2024-03-15 00:00:00")), "2"},
		{call("TIMESTAMPDIFF", s("YEAR"), cDT, ts("2025-02-27 00:00:00")), "0"},
		{call("TIMESTAMPDIFF", s("YEAR"), cDT, ts("2025-02-28 00:00:00")), "1"}, // 2024-02-29 + 1 year clamps to 02-28
		{call("FLOOR", cTS, s("HOUR")), "TIMESTAMP '2024-01-31 12:00:00'"},
		{call("CEIL", cTS, s("HOUR")), "TIMESTAMP '2024-01-31 13:00:00'"},
		{call("CEIL", ts("2024-01-31 12:00:00"), s("HOUR")), "TIMESTAMP '2024-01-31 12:00:00'"},
		{call("FLOOR", cTS, s("MONTH")), "TIMESTAMP '2024-01-01 00:00:00'"},
		{call("CEIL", cTS, s("MONTH")), "TIMESTAMP '2024-02-01 00:00:00'"},
		{call("FLOOR", cTS, s("WEEK")), "TIMESTAMP '2024-01-28 00:00:00'"},
		{call("FLOOR", cTS, s("MINUTE")), "TIMESTAMP '2024-01-31 12:34:00'"},
		{call("FLOOR", cDT, s("YEAR")), "DATE '2024-01-01'"},
		{call("CURRENT_TIMESTAMP"), "TIMESTAMP '2023-11-14 22:13:20'"},
		{call("UNIX_TIMESTAMP"), "1700000000"},
	}, WithClock(func() int64 { return 1700000000000 }))
}

func TestClockRequired(t *testing.T) {
	_, err := Compile(call("CURRENT_TIMESTAMP"))
	if err == nil || !strings.Contains(err.Error(), "WithClock") {
		t.Fatalf("CURRENT_TIMESTAMP without a clock: %v", err)
	}
	// The clock is read per evaluation, not folded at compile time.
	now := int64(0)
	p, err := Compile(call("CURRENT_TIMESTAMP"), WithClock(func() int64 { now += 1000; return now }))
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := p(testRow())
	v2, _ := p(testRow())
	if v1.AsInt() == v2.AsInt() {
		t.Fatal("CURRENT_TIMESTAMP was folded")
	}
}

func TestTypeErrors(t *testing.T) {
	for _, c := range []struct {
		build func() (Expr, error)
		want  string
	}{
		{func() (Expr, error) { return reg.Call("UPPER", cA) }, "no overload of UPPER for (INT NOT NULL)"},
		{func() (Expr, error) { return reg.Call("NO_SUCH", cA) }, "no function named NO_SUCH"},
		{func() (Expr, error) { return reg.Call("=", s("a"), i(1)) }, "no overload of ="},
		{func() (Expr, error) { return reg.Call("+", cS, i(1)) }, "no overload of +"},
		{func() (Expr, error) { return NewAnd(cA, cT) }, "must be BOOLEAN"},
		{func() (Expr, error) { return NewCast(cDT, table.IntType(), false) }, "cannot cast DATE NOT NULL to INT"},
		{func() (Expr, error) { return NewCast(cA, table.DateType(), false) }, "cannot cast"},
		{func() (Expr, error) { return NewCase([]When{{cT, i(1)}}, s("x")) }, "no common type"},
		{func() (Expr, error) { return NewIn(cA, []Expr{s("x")}, false) }, "no common type"},
		{func() (Expr, error) { return NewLike(cA, s("x"), 0, false) }, "LIKE needs strings"},
		{func() (Expr, error) { return reg.Call("EXTRACT", cS, cTS) }, ""}, // binds; fails at compile
	} {
		e, err := c.build()
		if c.want == "" {
			if err != nil {
				t.Errorf("unexpected error: %v", err)
			}
			if _, err := Compile(e); err == nil || !strings.Contains(err.Error(), "literal") {
				t.Errorf("%s: compile: %v", e, err)
			}
			continue
		}
		var te *TypeError
		if err == nil || !errors.As(err, &te) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want a TypeError with %q", err, c.want)
		}
	}
	if _, err := Compile(must(NewLike(cS, s("a!"), '!', false))); err == nil {
		t.Error("a pattern ending with the escape character compiles")
	}
}

func TestTypes(t *testing.T) {
	for _, c := range []struct {
		e    Expr
		want string
	}{
		{call("+", cA, cA), "INT NOT NULL"},
		{call("+", cA, cB), "BIGINT NOT NULL"},
		{call("+", cA, cN), "INT"},
		{call("+", cM, cM), "DECIMAL(11, 2)"}, // nullable: overflow is NULL
		{call("/", cM, cA), "DECIMAL(21, 13)"},
		{call("*", cF, cA), "DOUBLE NOT NULL"},
		// The remainder has the divisor's type (Calcite's NULLABLE_MOD).
		{call("MOD", cB, cA), "INT NOT NULL"},
		{call("%", cB, cA), "INT NOT NULL"},
		{call("MOD", cA, cB), "BIGINT NOT NULL"},
		{call("MOD", cB, cN), "INT"},
		{call("=", cA, cN), "BOOLEAN"},
		{call("UPPER", cS), "STRING NOT NULL"},
		{call("REGEXP_EXTRACT", cS, s("x")), "STRING"},
		{call("COALESCE", cN, cA), "INT NOT NULL"},
		{call("ROUND", cM, i(1)), "DECIMAL(10, 1) NOT NULL"},
		{call("FLOOR", cM), "DECIMAL(9, 0) NOT NULL"},
		{must(NewCase([]When{{cT, cA}}, nil)), "INT"},
		{cast(cS, table.IntType()), "INT NOT NULL"},
		{tryCast(cS, table.IntType()), "INT"},
		{call("CURRENT_TIMESTAMP"), "TIMESTAMP_LTZ(3) NOT NULL"},
		{call("TIMESTAMPADD", s("DAY"), i(1), cDT), "DATE NOT NULL"},
	} {
		if got := c.e.Type().String(); got != c.want {
			t.Errorf("type of %s = %s, want %s", c.e, got, c.want)
		}
	}
}

func TestString(t *testing.T) {
	e := and(call(">", call("+", call("*", cA, i(2)), cB), i(100)), like(cS, "x%"))
	if got, want := e.String(), "(((`a` * 2) + `b`) > 100) AND (`s` LIKE 'x%'))"; !strings.HasSuffix(got, want) {
		t.Errorf("String() = %s", got)
	}
	if got := cast(cS, table.IntType()).String(); got != "CAST(`s` AS INT)" {
		t.Errorf("String() = %s", got)
	}
}

func TestRegisterUDF(t *testing.T) {
	r := NewBuiltinRegistry()
	r.Register("twice", Overload{
		Sig:  "TWICE(BIGINT) -> BIGINT",
		Bind: Fixed(table.BigIntType().NotNull(), table.BigIntType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(x table.Value) (table.Value, error) { return table.Int(2 * x.AsInt()), nil }}, nil
		},
	})
	e, err := r.Call("TWICE", cA) // INT -> BIGINT implicitly
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(e)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := p(testRow()); err != nil || v.AsInt() != 14 {
		t.Fatalf("TWICE(a) = %v, %v", v, err)
	}
	if _, err := reg.Call("TWICE", cA); err == nil {
		t.Fatal("registering in one registry changed another")
	}
	if len(r.Names()) < 60 {
		t.Errorf("only %d functions", len(r.Names()))
	}
}

func TestPredicate(t *testing.T) {
	p, err := CompilePredicate(and(cT, cBN))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := p(testRow()); ok || err != nil {
		t.Fatalf("NULL predicate = %v, %v", ok, err)
	}
	if _, err := CompilePredicate(cA); err == nil {
		t.Fatal("INT predicate")
	}
}

func TestEvalErrorNamesExpression(t *testing.T) {
	p, _ := Compile(call("+", i(1), call("/", cA, i(0))))
	_, err := p(testRow())
	var ee *EvalError
	if !errors.As(err, &ee) || !errors.Is(err, ErrDivideByZero) || !strings.Contains(ee.Expr, "`a` / 0") {
		t.Fatalf("error %v", err)
	}
}

var sink table.Value

// BenchmarkExpr evaluates a * 2 + b > 100 AND s LIKE 'x%' over a row.
func BenchmarkExpr(b *testing.B) {
	e := and(call(">", call("+", call("*", cA, i(2)), cB), i(100)), like(cS, "x%"))
	p, err := Compile(e)
	if err != nil {
		b.Fatal(err)
	}
	row := testRow()
	b.Run("predicate", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			v, err := p(row)
			if err != nil {
				b.Fatal(err)
			}
			sink = v
		}
	})
	num, _ := Compile(call("+", call("*", cA, i(2)), cB))
	b.Run("numeric", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			sink, _ = num(row)
		}
	})
	d, _ := Compile(call("*", cM, dec("0.908")))
	b.Run("decimal", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			sink, _ = d(row)
		}
	})
}

func ExampleCompile() {
	// price * 0.908 > 10 AND item LIKE 'bid%', over rows (item STRING, price DECIMAL(10, 2)).
	item := ColumnRef(0, "item", table.StringType())
	price := ColumnRef(1, "price", table.DecimalType(10, 2))
	rate, _ := DecLit("0.908")
	conv, _ := Default().Call("*", price, rate)
	gt, _ := Default().Call(">", conv, IntLit(10))
	lk, _ := NewLike(item, StrLit("bid%"), 0, false)
	pred, _ := NewAnd(gt, lk)
	p, _ := Compile(pred)
	row := table.NewRow(table.Str("bid-1"), table.Dec(1250, 2))
	v, _ := p(&row)
	c, _ := Compile(conv)
	x, _ := c(&row)
	fmt.Println(pred, "=", v, "; converted:", x)
	// Output: (((`price` * 0.908) > 10) AND (`item` LIKE 'bid%')) = TRUE ; converted: 11.35000
}
