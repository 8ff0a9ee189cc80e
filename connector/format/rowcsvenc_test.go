package format

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

// csvEncSchema has a column of every type the csv format writes.
func csvEncSchema() table.Schema {
	return table.Schema{Columns: []table.Column{
		{Name: "b", Type: table.BooleanType()},
		{Name: "i", Type: table.BigIntType()},
		{Name: "f", Type: table.DoubleType()},
		{Name: "d", Type: table.DecimalType(20, 3)},
		{Name: "s", Type: table.StringType()},
		{Name: "y", Type: table.BytesType()},
		{Name: "dt", Type: table.DateType()},
		{Name: "t", Type: table.TimeType(3)},
		{Name: "ts", Type: table.TimestampType(9)},
		{Name: "ltz", Type: table.TimestampLTZType(3)},
		{Name: "idt", Type: table.IntervalDayTimeType()},
		{Name: "iym", Type: table.IntervalYearMonthType()},
		{Name: "s2", Type: table.StringType()},
		{Name: "i2", Type: table.IntType()},
	}}
}

// randCSVString is a string of up to 40 bytes, often with the bytes a CSV
// field is quoted for (anywhere, also around the 8-byte words csvPlain
// reads), the delimiter among them, multi-byte runes and invalid UTF-8.
func randCSVString(r *rand.Rand, comma rune) string {
	if r.IntN(8) == 0 {
		return ""
	}
	special := []string{"\"", "\r", "\n", "\t", " ", ",", ";", "|", "\xef\xbb\xbf", "é", string(comma), "0", "-", ":", ".",
		"\xff", "\x80", "\x00", "\xc3", "\U0001F600", string(rune(r.IntN(256)))}
	var b strings.Builder
	n := r.IntN(40)
	for b.Len() < n {
		if r.IntN(6) == 0 {
			b.WriteString(special[r.IntN(len(special))])
		} else {
			b.WriteByte(byte('a' + r.IntN(26)))
		}
	}
	return b.String()
}

// randCSVValue is a random value of kind k, NULL one time in six; some
// values are of another kind than their column's (the encoder goes by the
// value).
func randCSVValue(r *rand.Rand, k table.Kind, comma rune) table.Value {
	if r.IntN(6) == 0 {
		return table.Null
	}
	if r.IntN(20) == 0 {
		k = []table.Kind{table.KindInt, table.KindString, table.KindTimestamp, table.KindFloat}[r.IntN(4)]
	}
	switch k {
	case table.KindBool:
		return table.Bool(r.IntN(2) == 0)
	case table.KindInt:
		switch r.IntN(4) {
		case 0:
			return table.Int(r.Int64())
		case 1:
			return table.Int(-r.Int64N(1000))
		}
		return table.Int(r.Int64N(100000))
	case table.KindFloat:
		return table.Float([]float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), r.NormFloat64() * 1e6, 1e300, 0.5}[r.IntN(7)])
	case table.KindDecimal:
		return table.Dec(r.Int64N(2_000_000)-1_000_000, 3)
	case table.KindString:
		return table.Str(randCSVString(r, comma))
	case table.KindBytes:
		return table.Bytes([]byte(randCSVString(r, comma)))
	case table.KindDate:
		return table.Date(int32(r.IntN(2_000_000) - 1_000_000))
	case table.KindTime:
		return table.Time(int32(r.IntN(86_400_000)))
	case table.KindTimestamp:
		var ms int64
		switch r.IntN(4) {
		case 0:
			ms = r.Int64N(1<<45) - 1<<44 // also before 1970 and past 9999
		case 1:
			ms = 1_436_918_400_000 + r.Int64N(3) // the same second again
		case 2:
			ms = -62_135_596_800_000 - r.Int64N(1_000_000_000_000) // before year 1
		default:
			ms = 1_436_918_400_000 + r.Int64N(100_000_000)
		}
		var ns int32
		switch r.IntN(4) {
		case 0:
			ns = int32(r.IntN(1_000_000))
		case 1:
			ns = int32(r.IntN(1000)) * 1000
		case 2:
			ns = 1_000_000 + int32(r.IntN(1000)) // out of range: the general path
		}
		return table.Timestamp(ms, ns)
	case table.KindIntervalDayTime:
		return table.IntervalMillis(r.Int64N(1e12) - 5e11)
	case table.KindIntervalYearMonth:
		return table.IntervalMonths(int32(r.IntN(20000) - 10000))
	}
	panic(k)
}

var csvEncKinds = []table.Kind{table.KindBool, table.KindInt, table.KindFloat, table.KindDecimal, table.KindString,
	table.KindBytes, table.KindDate, table.KindTime, table.KindTimestamp, table.KindTimestamp,
	table.KindIntervalDayTime, table.KindIntervalYearMonth, table.KindString, table.KindInt}

// TestCSVRowEncoderMatchesEncode: the per-writer encoder of RowCSV and of
// its NarrowEncoder writes the bytes (and returns the errors) of Encode,
// on random rows of every column type with NULLs, for delimiters that can
// and cannot occur in numbers and timestamps, with and without a NULL
// literal; through rows repeating and changing the cached second.
func TestCSVRowEncoderMatchesEncode(t *testing.T) {
	s := csvEncSchema()
	// The narrowed table: a partition column in front and at the end.
	wide := table.Schema{Columns: append(append([]table.Column{{Name: "p", Type: table.StringType(), Computed: "(partition)"}},
		s.Columns...), table.Column{Name: "q", Type: table.IntType(), Computed: "(partition)"})}
	r := rand.New(rand.NewPCG(7, 11))
	for _, comma := range []rune{',', ';', '\t', '|', ' ', '0', '7', '-', ':', '.', 'a', 'é', '€'} {
		for _, null := range []string{"", `\N`, "n,a\"", " x"} {
			f, err := RowCSV(s, RowCSVOptions{Comma: comma, NullLiteral: null})
			if err != nil {
				t.Fatal(err)
			}
			nf := NarrowEncoder(f, wide)
			fe := f.(PerWriterEncoder[table.Row]).NewEncoder()
			ne := nf.(PerWriterEncoder[table.Row]).NewEncoder()
			if _, ok := ne.(*csvRowEncoder); !ok {
				t.Fatalf("narrow's encoder is %T", ne)
			}
			var a, b, c, d []byte
			for range 400 {
				fields := make([]table.Value, len(s.Columns))
				for i, k := range csvEncKinds {
					fields[i] = randCSVValue(r, k, comma)
				}
				row := table.Row{Fields: fields}
				if r.IntN(40) == 0 {
					row.Kind = table.UpdateAfter
				}
				if r.IntN(40) == 0 {
					row.Fields = row.Fields[:len(row.Fields)-1]
				}
				prefix := []byte("x")
				var errA, errB error
				a, errA = f.Encode(row, append(a[:0], prefix...))
				b, errB = fe.Encode(row, append(b[:0], prefix...))
				if !bytes.Equal(a, b) || errString(errA) != errString(errB) {
					t.Fatalf("comma %q null %q: row %v:\nEncode     %q %v\nNewEncoder %q %v", comma, null, row, a, errA, b, errB)
				}
				wrow := table.Row{Kind: row.Kind, Fields: append(append([]table.Value{table.Str("p")}, row.Fields...), table.Int(1))}
				c, errA = nf.Encode(wrow, append(c[:0], prefix...))
				d, errB = ne.Encode(wrow, append(d[:0], prefix...))
				if !bytes.Equal(c, d) || errString(errA) != errString(errB) {
					t.Fatalf("narrow, comma %q null %q: row %v:\nEncode     %q %v\nNewEncoder %q %v", comma, null, wrow, c, errA, d, errB)
				}
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestCSVPlain: csvPlain is csvNeedsQuote's negation for one-byte
// delimiters, on strings with the bytes it looks for at every position.
func TestCSVPlain(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for _, c := range []byte{',', ';', '\t', ' ', 'a', 0x7f, 0} {
		for range 20000 {
			s := randCSVString(r, rune(c))
			if got, want := csvPlain(s, c), !csvNeedsQuote([]byte(s), rune(c)); got != want {
				t.Fatalf("csvPlain(%q, %q) = %v, want %v", s, c, got, want)
			}
		}
		for n := range 20 {
			for i := range n {
				for _, b := range []byte{'"', '\r', '\n', c, 0x80, 0xff, 0x01} {
					s := []byte(strings.Repeat("x", n))
					s[i] = b
					if got, want := csvPlain(string(s), c), !csvNeedsQuote(s, rune(c)); got != want {
						t.Fatalf("csvPlain(%q, %q) = %v, want %v", s, c, got, want)
					}
				}
			}
		}
	}
}

// TestCSVRowEncoderTimestampCache: the encoder's cached second follows the
// rows: the same second, the next, back, across midnight and the epoch.
func TestCSVRowEncoderTimestampCache(t *testing.T) {
	s := table.Schema{Columns: []table.Column{{Name: "ts", Type: table.TimestampType(9)}}}
	f, err := RowCSV(s, RowCSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := f.(PerWriterEncoder[table.Row]).NewEncoder()
	for _, ms := range []int64{0, 1, 999, 1000, 999, -1, -1000, -1001, 86_399_999, 86_400_000, 86_400_001, 86_399_000, -86_400_000, -86_400_001} {
		for _, ns := range []int32{0, 1, 999_999, 500_000} {
			row := table.NewRow(table.Timestamp(ms, ns))
			a, _ := f.Encode(row, nil)
			b, _ := e.Encode(row, nil)
			if !bytes.Equal(a, b) {
				t.Errorf("%d ms %d ns: %q, want %q", ms, ns, b, a)
			}
		}
	}
}

// TestCSVPlainRandomBytes: csvPlain against csvNeedsQuote on random
// strings of every byte value (invalid UTF-8 among them, and UTF-8 with
// multi-byte runes and BOMs), of every length up to 40 (the word reads, the
// last overlapping word, the byte loop of short strings), for every ASCII
// delimiter.
func TestCSVPlainRandomBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 17))
	pieces := []string{"\xef\xbb\xbf", "é", "€", "\U0001F600", "\xff\xfe", "\xc3", "\x80"}
	for c := 0; c < 0x80; c++ {
		for range 600 {
			n := r.IntN(41)
			b := make([]byte, 0, n+4)
			for len(b) < n {
				switch r.IntN(10) {
				case 0:
					b = append(b, byte(r.IntN(256)))
				case 1:
					b = append(b, pieces[r.IntN(len(pieces))]...)
				case 2:
					b = append(b, []byte{'"', '\r', '\n', byte(c), ' ', '\t'}[r.IntN(6)])
				default:
					b = append(b, byte('a'+r.IntN(26)))
				}
			}
			if r.IntN(3) > 0 { // mostly strings that need no quotes, past the first byte
				b = bytes.Map(func(x rune) rune {
					if x == '"' || x == '\r' || x == '\n' || x == rune(c) {
						return 'x'
					}
					return x
				}, b)
			}
			if got, want := csvPlain(string(b), byte(c)), !csvNeedsQuote(b, rune(c)); got != want {
				t.Fatalf("csvPlain(%q, %q) = %v, want %v", b, rune(c), got, want)
			}
		}
	}
}

// TestCSVRowEncoderEveryMillisecond: the per-writer encoder's text of a
// timestamp of every millisecond of a second (the msFrac table) and of
// some nanoseconds, in seconds before and after the epoch, is the general
// path's.
func TestCSVRowEncoderEveryMillisecond(t *testing.T) {
	s := table.Schema{Columns: []table.Column{{Name: "ts", Type: table.TimestampType(9)}, {Name: "s", Type: table.StringType()}}}
	f, err := RowCSV(s, RowCSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := f.(PerWriterEncoder[table.Row]).NewEncoder()
	for _, sec := range []int64{0, 1_436_918_400, -1, -62_135_596_801, 253_402_300_799} {
		for ms := int64(0); ms < 1000; ms++ {
			for _, ns := range []int32{0, 1, 10_000, 999_999} {
				row := table.NewRow(table.Timestamp(sec*1000+ms, ns), table.Str("x"))
				a, _ := f.Encode(row, nil)
				b, _ := e.Encode(row, nil)
				if !bytes.Equal(a, b) {
					t.Fatalf("%d s %d ms %d ns: %q, want %q", sec, ms, ns, b, a)
				}
			}
		}
	}
}

// TestAppendInt: appendInt is strconv.AppendInt's base 10 on the powers of
// ten and their neighbours, the ends of int64 and random numbers of every
// length, after a prefix.
func TestAppendInt(t *testing.T) {
	ns := []int64{0, 1, 9, 10, 11, 99, 100, 101, math.MaxInt64, math.MinInt64, -1, -10}
	for p := int64(1); p <= 1e18; p *= 10 {
		ns = append(ns, p-1, p, p+1, -p)
	}
	r := rand.New(rand.NewPCG(19, 23))
	for range 100000 {
		ns = append(ns, r.Int64N(int64(math.Pow10(1+r.IntN(18)))), r.Int64()-r.Int64())
	}
	for _, n := range ns {
		if got, want := appendInt([]byte("x,"), n), strconv.AppendInt([]byte("x,"), n, 10); !bytes.Equal(got, want) {
			t.Fatalf("appendInt(%d) = %q, want %q", n, got, want)
		}
	}
}
