package table

import (
	"errors"
	"strconv"
)

// ErrTimeSyntax is wrapped by the errors of ParseDate, ParseTime and
// ParseTimestamp.
var ErrTimeSyntax = errors.New("table: invalid date/time text")

// DaysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (H. Hinnant's days_from_civil).
func DaysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// CivilFromDays is the inverse of DaysFromCivil.
func CivilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d
}

func append2(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/10%10), byte('0'+n%10))
}

// AppendDate appends days since the epoch as yyyy-MM-dd.
func AppendDate(dst []byte, days int32) []byte {
	y, m, d := CivilFromDays(int64(days))
	if y < 0 {
		dst = append(dst, '-')
		y = -y
	}
	if y < 1000 {
		dst = append(dst, "000"[:4-len(strconv.Itoa(y))]...)
	}
	dst = strconv.AppendInt(dst, int64(y), 10)
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	return append2(dst, d)
}

// AppendTimeOfDay appends nanoseconds of the day as HH:mm:ss with frac
// fraction digits (0..9), or with frac < 0 as many as needed in groups of 3
// (none when the fraction is zero).
func AppendTimeOfDay(dst []byte, nanos int64, frac int) []byte {
	sec := nanos / 1e9
	ns := nanos % 1e9
	dst = append2(dst, int(sec/3600))
	dst = append(dst, ':')
	dst = append2(dst, int(sec/60%60))
	dst = append(dst, ':')
	dst = append2(dst, int(sec%60))
	if frac < 0 {
		switch {
		case ns == 0:
			frac = 0
		case ns%1e6 == 0:
			frac = 3
		case ns%1e3 == 0:
			frac = 6
		default:
			frac = 9
		}
	}
	if frac > 0 {
		dst = append(dst, '.')
		var buf [9]byte
		x := ns
		for i := 8; i >= 0; i-- {
			buf[i] = byte('0' + x%10)
			x /= 10
		}
		dst = append(dst, buf[:min(frac, 9)]...)
	}
	return dst
}

// AppendTimestamp appends epoch milliseconds plus nanoseconds within the
// millisecond as yyyy-MM-dd HH:mm:ss[.fraction] (UTC reading), with frac
// fraction digits or, with frac < 0, as many as needed.
func AppendTimestamp(dst []byte, millis int64, nanos int32, frac int) []byte {
	dst, ns := appendDayOf(dst, millis, nanos)
	return AppendTimeOfDay(dst, ns, frac)
}

// appendDayOf appends the UTC date of epoch milliseconds and a space, and
// returns the nanoseconds since that day's midnight (nanos within the
// millisecond added).
func appendDayOf(dst []byte, millis int64, nanos int32) ([]byte, int64) {
	days := millis / 86_400_000
	rem := millis % 86_400_000
	if rem < 0 {
		rem += 86_400_000
		days--
	}
	dst = AppendDate(dst, int32(days))
	dst = append(dst, ' ')
	return dst, rem*1e6 + int64(nanos)
}

type timeParser struct {
	s   string
	i   int
	bad bool
}

func (p *timeParser) digits(min, max int) int {
	n, start := 0, p.i
	for p.i < len(p.s) && p.i-start < max && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		n = n*10 + int(p.s[p.i]-'0')
		p.i++
	}
	if p.i-start < min {
		p.bad = true
	}
	return n
}

func (p *timeParser) lit(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *timeParser) date() int64 {
	neg := p.lit('-')
	y := p.digits(4, 9)
	if neg {
		y = -y
	}
	if !p.lit('-') {
		p.bad = true
	}
	m := p.digits(1, 2)
	if !p.lit('-') {
		p.bad = true
	}
	d := p.digits(1, 2)
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		p.bad = true
	}
	return DaysFromCivil(y, m, d)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// clock parses HH:mm[:ss[.f{1,9}]] and returns nanoseconds of the day.
func (p *timeParser) clock() int64 {
	h := p.digits(1, 2)
	if !p.lit(':') {
		p.bad = true
	}
	mi := p.digits(2, 2)
	s, ns := 0, 0
	if p.lit(':') {
		s = p.digits(2, 2)
		if p.lit('.') {
			start := p.i
			ns = p.digits(1, 9)
			for k := p.i - start; k < 9; k++ {
				ns *= 10
			}
		}
	}
	if h > 23 || mi > 59 || s > 59 {
		p.bad = true
	}
	return (int64(h)*3600+int64(mi)*60+int64(s))*1e9 + int64(ns)
}

func timeErr(kind, s string) error {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return &timeSyntaxError{kind, s}
}

type timeSyntaxError struct{ kind, s string }

func (e *timeSyntaxError) Error() string {
	return "table: invalid " + e.kind + " " + strconv.Quote(e.s)
}
func (e *timeSyntaxError) Unwrap() error { return ErrTimeSyntax }

// ParseDate parses yyyy-MM-dd (month and day may have one digit).
func ParseDate(s string) (int32, error) {
	p := timeParser{s: s}
	d := p.date()
	if p.bad || p.i != len(s) || d < -1<<31 || d >= 1<<31 {
		return 0, timeErr("DATE", s)
	}
	return int32(d), nil
}

// ParseTime parses HH:mm[:ss[.fraction]] into milliseconds of the day
// (digits beyond the millisecond are dropped, as Flink's TIME(3) keeps).
func ParseTime(s string) (int32, error) {
	p := timeParser{s: s}
	ns := p.clock()
	if p.bad || p.i != len(s) {
		return 0, timeErr("TIME", s)
	}
	return int32(ns / 1e6), nil
}

// ParseTimestamp parses yyyy-MM-dd[( |T)HH:mm[:ss[.fraction]]] with an
// optional zone suffix Z or ±HH:mm (ISO-8601); a zone converts the reading
// to UTC. It returns epoch milliseconds and nanoseconds within the
// millisecond.
func ParseTimestamp(s string) (millis int64, nanos int32, err error) {
	p := timeParser{s: s}
	days := p.date()
	var ns int64
	if p.lit(' ') || p.lit('T') {
		ns = p.clock()
	}
	if p.i < len(s) {
		switch c := s[p.i]; c {
		case 'Z', 'z':
			p.i++
		case '+', '-':
			p.i++
			h := p.digits(2, 2)
			p.lit(':')
			m := p.digits(2, 2)
			off := (int64(h)*60 + int64(m)) * 60 * 1e9
			if c == '+' {
				ns -= off
			} else {
				ns += off
			}
		}
	}
	if p.bad || p.i != len(s) {
		return 0, 0, timeErr("TIMESTAMP", s)
	}
	ms := days*86_400_000 + FloorDiv(ns, 1e6)
	return ms, int32(ns - FloorDiv(ns, 1e6)*1e6), nil
}

// FloorDiv is a / b rounded toward negative infinity (days from epoch
// milliseconds before 1970, SQL time arithmetic).
func FloorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// AppendTimePrec appends a TIME(p) of millis since midnight as HH:mm:ss by
// Flink's rule for TIME as text (DateTimeUtils.formatTimestampMillis, used
// by CAST to STRING and so by the SQL client): p = 0 shows no fraction;
// otherwise a '.' and the milliseconds' digits up to p, stopping after
// the first digit beyond which all are zero, so TIME(3) shows
// "12:34:56.5" for .500 and "12:34:56.0" for .000, and no TIME shows more
// than three digits (the value holds milliseconds).
func AppendTimePrec(dst []byte, millis int32, p int) []byte {
	ms := int64(millis)
	for ms < 0 {
		ms += 86_400_000
	}
	dst = AppendTimeOfDay(dst, ms/1000*1e9, 0)
	if p <= 0 {
		return dst
	}
	dst = append(dst, '.')
	f := ms % 1000
	for ; p > 0; p-- {
		dst = append(dst, byte('0'+f/100))
		f = f % 100 * 10
		if f == 0 {
			break
		}
	}
	return dst
}

// AppendTimestampPrec appends epoch milliseconds plus nanoseconds within the
// millisecond as yyyy-MM-dd HH:mm:ss[.fraction] (UTC reading) by Flink's
// rule for a TIMESTAMP(p) as text (DateTimeUtils.formatTimestamp, used by
// CAST to STRING and the SQL client): the nine fraction digits lose their
// trailing zeros but never below p, so TIMESTAMP(3) keeps ".000",
// TIMESTAMP(0) shows no fraction when it has none, and p = 0 gives as few
// digits as the value needs (the rule of Flink's JSON and CSV formats).
func AppendTimestampPrec(dst []byte, millis int64, nanos int32, p int) []byte {
	dst, ns := appendDayOf(dst, millis, nanos)
	frac := 9
	for frac > p && frac > 0 && ns%1e9%pow10[9-frac+1] == 0 {
		frac--
	}
	return AppendTimeOfDay(dst, ns, frac)
}
