package expr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/stromio/strom/table"
)

// Java date-time patterns (DateTimeFormatter letters, which Flink's
// DATE_FORMAT, TO_TIMESTAMP, UNIX_TIMESTAMP and FROM_UNIXTIME use):
//
//	y year (yy: two digits), M month (MMM "Jan", MMMM "January"), d day of
//	month, D day of year, H hour 0-23, h hour 1-12, k hour 1-24, K hour
//	0-11, m minute, s second, S fraction of second (one digit per S), a
//	AM/PM, E day name (EEE "Mon", EEEE "Monday"), u day of week 1-7
//	(Monday 1), Z offset "+0000", X offset "Z"/"+00", z zone name
//	'text' quoted literal, '' a quote; other non-letters are literals.
//
// Letters outside that set are rejected when the pattern is constant (and
// make the call NULL otherwise). Offsets print the zone of the value: UTC
// for TIMESTAMP, the session zone for TIMESTAMP_LTZ.

type dtToken struct {
	letter byte // 0: literal
	n      int
	lit    string
}

func parsePattern(p string) ([]dtToken, error) {
	var toks []dtToken
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			j := i + 1
			var lit strings.Builder
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("unterminated quote in pattern %q", p)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(p[j])
				j++
			}
			if j == i+1 {
				lit.WriteByte('\'') // '' is a quote
			}
			toks = append(toks, dtToken{lit: lit.String()})
			i = j + 1
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			if !strings.ContainsRune("yMdDHhkKmsSaEuZXz", rune(c)) {
				return nil, fmt.Errorf("unsupported pattern letter %q in %q", c, p)
			}
			toks = append(toks, dtToken{letter: c, n: j - i})
			i = j
		default:
			toks = append(toks, dtToken{lit: string(c)})
			i++
		}
	}
	return toks, nil
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December"}
var dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

func padNum(b []byte, v int64, n int) []byte {
	s := strconv.FormatInt(v, 10)
	for k := len(s); k < n; k++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// formatDT formats wall-clock epoch millis + nanos, with zone offset off
// seconds and zone name zn.
func formatDT(toks []dtToken, ms int64, ns int32, off int, zn string) string {
	day := table.FloorDiv(ms, msPerDay)
	y, mo, d := table.CivilFromDays(day)
	msOfDay := ms - day*msPerDay
	h, mi, s := msOfDay/3600000, msOfDay/60000%60, msOfDay/1000%60
	nanos := (msOfDay%1000)*1e6 + int64(ns)
	dow := int((day%7 + 7 + 4) % 7) // 1970-01-01 was a Thursday (4)
	var b []byte
	for _, t := range toks {
		switch t.letter {
		case 0:
			b = append(b, t.lit...)
		case 'y':
			if t.n == 2 {
				b = padNum(b, int64(y%100), 2)
			} else {
				b = padNum(b, int64(y), t.n)
			}
		case 'M':
			switch {
			case t.n >= 4:
				b = append(b, monthNames[mo-1]...)
			case t.n == 3:
				b = append(b, monthNames[mo-1][:3]...)
			default:
				b = padNum(b, int64(mo), t.n)
			}
		case 'd':
			b = padNum(b, int64(d), t.n)
		case 'D':
			b = padNum(b, day-table.DaysFromCivil(y, 1, 1)+1, t.n)
		case 'H':
			b = padNum(b, h, t.n)
		case 'k':
			hh := h
			if hh == 0 {
				hh = 24
			}
			b = padNum(b, hh, t.n)
		case 'h':
			hh := h % 12
			if hh == 0 {
				hh = 12
			}
			b = padNum(b, hh, t.n)
		case 'K':
			b = padNum(b, h%12, t.n)
		case 'm':
			b = padNum(b, mi, t.n)
		case 's':
			b = padNum(b, s, t.n)
		case 'S':
			digits := fmt.Sprintf("%09d", nanos)
			if t.n <= 9 {
				b = append(b, digits[:t.n]...)
			} else {
				b = append(b, digits...)
				b = append(b, strings.Repeat("0", t.n-9)...)
			}
		case 'a':
			if h < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case 'E':
			if t.n >= 4 {
				b = append(b, dayNames[dow]...)
			} else {
				b = append(b, dayNames[dow][:3]...)
			}
		case 'u':
			u := dow
			if u == 0 {
				u = 7
			}
			b = padNum(b, int64(u), t.n)
		case 'Z', 'X':
			if t.letter == 'X' && off == 0 {
				b = append(b, 'Z')
				continue
			}
			sign := byte('+')
			o := off
			if o < 0 {
				sign, o = '-', -o
			}
			b = append(b, sign)
			b = padNum(b, int64(o/3600), 2)
			if t.letter == 'Z' || t.n >= 2 {
				if t.n >= 3 && t.letter == 'X' {
					b = append(b, ':')
				}
				b = padNum(b, int64(o/60%60), 2)
			}
		case 'z':
			b = append(b, zn...)
		}
	}
	return string(b)
}

// parseDT parses text with a pattern into wall-clock epoch millis + nanos;
// hasOff reports an offset in the text (then ms is already UTC).
func parseDT(toks []dtToken, s string) (ms int64, ns int32, hasOff bool, err error) {
	return parseDTText(toks, s, false)
}

// parseDTText is parseDT; with prefix, text after what the pattern matched
// is ignored, as java.text.SimpleDateFormat.parse(String) does (Flink's
// UNIX_TIMESTAMP: '2024-01-01 00:00:00.000' with the default pattern
// 'yyyy-MM-dd HH:mm:ss' is that second; SimpleDateFormat's lenient
// overflow of fields, e.g. a month 13, is not copied: no match).
func parseDTText(toks []dtToken, s string, prefix bool) (ms int64, ns int32, hasOff bool, err error) {
	y, mo, d, h, mi, sec := 1970, 1, 1, 0, 0, 0
	var nanos int64
	pm, has12, doy := false, false, false
	offSec := 0
	pos := 0
	fail := func() (int64, int32, bool, error) {
		return 0, 0, false, fmt.Errorf("text %q does not match the pattern", s)
	}
	for i, t := range toks {
		if t.letter == 0 {
			if !strings.HasPrefix(s[pos:], t.lit) {
				return fail()
			}
			pos += len(t.lit)
			continue
		}
		// Adjacent numeric fields take exactly their width.
		nextNumeric := i+1 < len(toks) && toks[i+1].letter != 0 && strings.ContainsRune("yMdDHhkKmsSu", rune(toks[i+1].letter))
		var raw string
		readNum := func(maxw int) (int64, bool) {
			start := pos
			defer func() { raw = s[start:pos] }()
			w := maxw
			if !nextNumeric {
				w = 10
			}
			if start < len(s) && (s[start] == '-' || s[start] == '+') && t.letter == 'y' {
				pos++
			}
			for pos < len(s) && pos-start < w && s[pos] >= '0' && s[pos] <= '9' {
				pos++
			}
			if pos == start {
				return 0, false
			}
			v, err := strconv.ParseInt(s[start:pos], 10, 64)
			return v, err == nil
		}
		switch t.letter {
		case 'M':
			if t.n >= 3 {
				found := false
				for k, name := range monthNames {
					cand := name
					if t.n == 3 {
						cand = name[:3]
					}
					if len(s)-pos >= len(cand) && strings.EqualFold(s[pos:pos+len(cand)], cand) {
						mo, pos, found = k+1, pos+len(cand), true
						break
					}
				}
				if !found {
					return fail()
				}
				continue
			}
			v, ok := readNum(max(t.n, 2))
			if !ok {
				return fail()
			}
			mo = int(v)
		case 'a':
			if len(s)-pos < 2 {
				return fail()
			}
			switch strings.ToUpper(s[pos : pos+2]) {
			case "AM":
			case "PM":
				pm = true
			default:
				return fail()
			}
			pos += 2
		case 'E':
			found := false
			for _, name := range dayNames {
				cand := name
				if t.n < 4 {
					cand = name[:3]
				}
				if len(s)-pos >= len(cand) && strings.EqualFold(s[pos:pos+len(cand)], cand) {
					pos += len(cand)
					found = true
					break
				}
			}
			if !found {
				return fail()
			}
		case 'Z', 'X', 'z':
			if pos < len(s) && (s[pos] == 'Z' || s[pos] == 'z') {
				pos++
				hasOff = true
				continue
			}
			if pos >= len(s) || (s[pos] != '+' && s[pos] != '-') {
				return fail()
			}
			sign := 1
			if s[pos] == '-' {
				sign = -1
			}
			pos++
			rest := strings.ReplaceAll(s[pos:min(pos+5, len(s))], ":", "")
			if len(rest) < 2 {
				return fail()
			}
			hh, err1 := strconv.Atoi(rest[:2])
			mm := 0
			var err2 error
			adv := 2
			if len(rest) >= 4 {
				mm, err2 = strconv.Atoi(rest[2:4])
				adv = 4
				if strings.Contains(s[pos:min(pos+5, len(s))], ":") {
					adv = 5
				}
			}
			if err1 != nil || err2 != nil {
				return fail()
			}
			pos += adv
			offSec = sign * (hh*3600 + mm*60)
			hasOff = true
		default:
			width := t.n
			if t.letter == 'y' && t.n <= 2 {
				width = 2
			}
			v, ok := readNum(max(width, 2))
			if !ok {
				return fail()
			}
			switch t.letter {
			case 'y':
				y = int(v)
				if t.n == 2 {
					y += 2000
				}
			case 'd':
				d = int(v)
			case 'D':
				mo, d, doy = 1, int(v), true
			case 'H', 'k':
				h = int(v) % 24
			case 'h', 'K':
				h = int(v) % 12
				has12 = true
			case 'm':
				mi = int(v)
			case 's':
				sec = int(v)
			case 'S':
				// The digits read are a fraction of a second.
				digits := raw
				if len(digits) > 9 {
					digits = digits[:9]
				}
				f, _ := strconv.ParseInt(digits+strings.Repeat("0", 9-len(digits)), 10, 64)
				nanos = f
			}
		}
	}
	if pos != len(s) && !prefix {
		return fail()
	}
	if has12 && pm {
		h += 12
	}
	if mo < 1 || mo > 12 || d < 1 || (!doy && d > daysInMonth(y, mo)) || h > 23 || mi > 59 || sec > 59 {
		return fail()
	}
	day := table.DaysFromCivil(y, mo, 1) + int64(d-1)
	ms = day*msPerDay + int64(h)*3600000 + int64(mi)*60000 + int64(sec)*1000 + nanos/1e6
	ms -= int64(offSec) * 1000
	return ms, int32(nanos % 1e6), hasOff, nil
}

// patternArg returns the tokens of the pattern argument i (or def when the
// call has no such argument): parsed once when constant.
func patternArg(b *Bound, i int, def string) (func(table.Value) ([]dtToken, error), error) {
	if i >= len(b.Params) {
		toks, err := parsePattern(def)
		return func(table.Value) ([]dtToken, error) { return toks, nil }, err
	}
	if v, ok := b.Const(i); ok && !v.IsNull() {
		toks, err := parsePattern(v.AsString())
		if err != nil {
			return nil, err
		}
		return func(table.Value) ([]dtToken, error) { return toks, nil }, nil
	}
	return func(v table.Value) ([]dtToken, error) { return parsePattern(v.AsString()) }, nil
}

const defaultPattern = "yyyy-MM-dd HH:mm:ss"

// wallOf returns the wall clock of a TIMESTAMP/TIMESTAMP_LTZ/DATE value
// and its zone offset and name.
func wallOf(v table.Value, t table.Type, loc *time.Location) (ms int64, ns int32, off int, zn string) {
	switch t.Root() {
	case table.RootDate:
		return int64(v.AsDate()) * msPerDay, 0, 0, "UTC"
	case table.RootTimestampLTZ:
		ms, ns = v.AsTimestamp()
		zn, off = time.UnixMilli(ms).In(loc).Zone()
		return ms + int64(off)*1000, ns, off, zn
	}
	ms, ns = v.AsTimestamp()
	return ms, ns, 0, "UTC"
}

// unitArg returns the upper-case time unit literal of argument i.
func unitArg(b *Bound, i int, allowed ...string) (string, error) {
	v, ok := b.Const(i)
	if !ok || v.IsNull() {
		return "", fmt.Errorf("%s: the time unit must be a literal", b.Name)
	}
	u := strings.ToUpper(v.AsString())
	for _, a := range allowed {
		if u == a {
			return u, nil
		}
	}
	return "", fmt.Errorf("%s: unsupported time unit %s (supported: %s)", b.Name, u, strings.Join(allowed, ", "))
}

func isTemporal(t table.Type) bool {
	return t.IsTimestamp() || t.Root() == table.RootDate || t.Root() == table.RootNull
}

// extractField returns a field of a wall-clock time (EXTRACT semantics,
// after Calcite/Flink: DOW 1 = Sunday, WEEK the ISO week, EPOCH seconds).
func extractField(unit string, ms int64, ns int32) int64 {
	day := table.FloorDiv(ms, msPerDay)
	msOfDay := ms - day*msPerDay
	y, mo, d := table.CivilFromDays(day)
	switch unit {
	case "YEAR":
		return int64(y)
	case "QUARTER":
		return int64((mo-1)/3 + 1)
	case "MONTH":
		return int64(mo)
	case "DAY":
		return int64(d)
	case "DOW":
		return (day%7+7+4)%7 + 1
	case "ISODOW":
		return (day%7+7+3)%7 + 1
	case "DOY":
		return day - table.DaysFromCivil(y, 1, 1) + 1
	case "WEEK":
		_, w := time.Unix(day*86400, 0).UTC().ISOWeek()
		return int64(w)
	case "HOUR":
		return msOfDay / 3600000
	case "MINUTE":
		return msOfDay / 60000 % 60
	case "SECOND":
		return msOfDay / 1000 % 60
	case "MILLISECOND":
		return msOfDay % 60000
	case "MICROSECOND":
		return (msOfDay%60000)*1000 + int64(ns)/1000
	case "NANOSECOND":
		return (msOfDay%60000)*1_000_000 + int64(ns)
	case "EPOCH":
		return table.FloorDiv(ms, 1000)
	case "DECADE":
		return int64(table.FloorDiv(int64(y), 10))
	case "CENTURY":
		if y > 0 {
			return int64((y + 99) / 100)
		}
		return int64(y/100 - 1)
	case "MILLENNIUM":
		if y > 0 {
			return int64((y + 999) / 1000)
		}
		return int64(y/1000 - 1)
	}
	return 0
}

// timeOfDayField returns extractField(unit, ...) for the units of the time
// of day (HOUR ... NANOSECOND), which need no calendar; nil for the others.
func timeOfDayField(unit string) func(ms int64, ns int32) int64 {
	ofDay := func(ms int64) int64 { return ms - table.FloorDiv(ms, msPerDay)*msPerDay }
	switch unit {
	case "HOUR":
		return func(ms int64, _ int32) int64 { return ofDay(ms) / 3600000 }
	case "MINUTE":
		return func(ms int64, _ int32) int64 { return ofDay(ms) / 60000 % 60 }
	case "SECOND":
		return func(ms int64, _ int32) int64 { return ofDay(ms) / 1000 % 60 }
	case "MILLISECOND":
		return func(ms int64, _ int32) int64 { return ofDay(ms) % 60000 }
	case "MICROSECOND":
		return func(ms int64, ns int32) int64 { return (ofDay(ms)%60000)*1000 + int64(ns)/1000 }
	case "NANOSECOND":
		return func(ms int64, ns int32) int64 { return (ofDay(ms)%60000)*1_000_000 + int64(ns) }
	}
	return nil
}

var extractUnits = []string{"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "DOW", "ISODOW", "DOY", "HOUR", "MINUTE",
	"SECOND", "MILLISECOND", "MICROSECOND", "NANOSECOND", "EPOCH", "DECADE", "CENTURY", "MILLENNIUM"}

var unitMillis = map[string]int64{"WEEK": 7 * msPerDay, "DAY": msPerDay, "HOUR": 3_600_000, "MINUTE": 60_000,
	"SECOND": 1000, "MILLISECOND": 1}
var unitMonths = map[string]int64{"YEAR": 12, "QUARTER": 3, "MONTH": 1}

// floorTS floors wall-clock millis to a unit (WEEK: to the Sunday
// before, as Calcite's julianDateFloor).
func floorTS(unit string, ms int64) int64 {
	if n, ok := unitMonths[unit]; ok {
		day := table.FloorDiv(ms, msPerDay)
		y, mo, _ := table.CivilFromDays(day)
		m0 := int64(mo-1) / n * n
		return table.DaysFromCivil(y, int(m0)+1, 1) * msPerDay
	}
	if unit == "WEEK" {
		day := table.FloorDiv(ms, msPerDay)
		dow := (day%7 + 7 + 4) % 7 // 0 = Sunday
		return (day - dow) * msPerDay
	}
	u := unitMillis[unit]
	return table.FloorDiv(ms, u) * u
}

func registerTime(r *Registry) {
	needClock := func(b *Bound) (func() int64, error) {
		if b.Env.Now == nil {
			return nil, fmt.Errorf("%s needs a clock (compile with expr.WithClock)", b.Name)
		}
		return b.Env.Now, nil
	}
	// CURRENT_TIMESTAMP and NOW(): TIMESTAMP_LTZ(3), evaluated per record
	// (Flink's streaming mode).
	now := Overload{Sig: "CURRENT_TIMESTAMP -> TIMESTAMP_LTZ(3)", Bind: Fixed(tLTZ3), Volatile: true,
		Impl: func(b *Bound) (Func, error) {
			clock, err := needClock(b)
			if err != nil {
				return Func{}, err
			}
			return Func{F0: func() (table.Value, error) { return table.TimestampMillis(clock()), nil }}, nil
		}}
	r.Register("CURRENT_TIMESTAMP", now)
	r.Register("NOW", now)
	r.Register("CURRENT_ROW_TIMESTAMP", now)
	r.Register("LOCALTIMESTAMP", Overload{Sig: "LOCALTIMESTAMP -> TIMESTAMP(3)", Bind: Fixed(tTS3), Volatile: true,
		Impl: func(b *Bound) (Func, error) {
			clock, err := needClock(b)
			if err != nil {
				return Func{}, err
			}
			loc := b.Env.Loc
			return Func{F0: func() (table.Value, error) {
				return table.TimestampMillis(instantToWall(clock(), loc)), nil
			}}, nil
		}})
	r.Register("CURRENT_DATE", Overload{Sig: "CURRENT_DATE -> DATE", Bind: Fixed(tDate), Volatile: true,
		Impl: func(b *Bound) (Func, error) {
			clock, err := needClock(b)
			if err != nil {
				return Func{}, err
			}
			loc := b.Env.Loc
			return Func{F0: func() (table.Value, error) {
				return table.Date(int32(table.FloorDiv(instantToWall(clock(), loc), msPerDay))), nil
			}}, nil
		}})
	localTime := Overload{Sig: "LOCALTIME -> TIME(0)", Bind: Fixed(table.TimeType(0).NotNull()), Volatile: true,
		Impl: func(b *Bound) (Func, error) {
			clock, err := needClock(b)
			if err != nil {
				return Func{}, err
			}
			loc := b.Env.Loc
			return Func{F0: func() (table.Value, error) {
				w := instantToWall(clock(), loc)
				return table.Time(int32((w - table.FloorDiv(w, msPerDay)*msPerDay) / 1000 * 1000)), nil
			}}, nil
		}}
	r.Register("LOCALTIME", localTime)
	r.Register("CURRENT_TIME", localTime)

	// DATE_FORMAT(timestamp|string, pattern) -> STRING; a string is read as
	// 'yyyy-MM-dd HH:mm:ss[.fff]' first.
	r.Register("DATE_FORMAT", Overload{
		Sig: "DATE_FORMAT(TIMESTAMP|STRING, STRING pattern) -> STRING",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 2 || !isStr(args[1]) || !(isTemporal(args[0]) || isStr(args[0])) {
				return nil, table.Type{}, false
			}
			return []table.Type{nullTo(args[0], tTS3), table.StringType()}, table.StringType(), true
		},
		Impl: func(b *Bound) (Func, error) {
			pat, err := patternArg(b, 1, "")
			if err != nil {
				return Func{}, err
			}
			t, loc := b.Params[0], b.Env.Loc
			if v, ok := b.Const(1); ok && !v.IsNull() {
				toks, _ := pat(v)
				if c := newDTCache(toks, t, loc); c != nil {
					return Func{F2: func(x, _ table.Value) (table.Value, error) {
						return c.format(x), nil
					}}, nil
				}
			}
			return Func{F2: func(x, p table.Value) (table.Value, error) {
				toks, err := pat(p)
				if err != nil {
					return table.Null, nil
				}
				if t.IsString() {
					ms, ns, err := table.ParseTimestamp(strings.TrimSpace(x.AsString()))
					if err != nil {
						return table.Null, nil
					}
					return table.Str(formatDT(toks, ms, ns, 0, "UTC")), nil
				}
				ms, ns, off, zn := wallOf(x, t, loc)
				return table.Str(formatDT(toks, ms, ns, off, zn)), nil
			}}, nil
		},
	})
	// TO_TIMESTAMP(string[, pattern]) -> TIMESTAMP(3); NULL when the text
	// does not match (Flink docs).
	toTS := func(b *Bound) (Func, error) {
		pat, err := patternArg(b, 1, defaultPattern)
		if err != nil {
			return Func{}, err
		}
		return Func{FN: func(vs []table.Value) (table.Value, error) {
			p := table.Null
			if len(vs) > 1 {
				p = vs[1]
			}
			toks, err := pat(p)
			if err != nil {
				return table.Null, nil
			}
			ms, _, _, err := parseDT(toks, vs[0].AsString())
			if err != nil {
				return table.Null, nil
			}
			return table.TimestampMillis(ms), nil
		}}, nil
	}
	r.Register("TO_TIMESTAMP",
		Overload{Sig: "TO_TIMESTAMP(STRING) -> TIMESTAMP(3)", Bind: Fixed(table.TimestampType(3), table.StringType()), Impl: toTS},
		Overload{Sig: "TO_TIMESTAMP(STRING, STRING pattern) -> TIMESTAMP(3)",
			Bind: Fixed(table.TimestampType(3), table.StringType(), table.StringType()), Impl: toTS})
	toDate := func(b *Bound) (Func, error) {
		pat, err := patternArg(b, 1, "yyyy-MM-dd")
		if err != nil {
			return Func{}, err
		}
		return Func{FN: func(vs []table.Value) (table.Value, error) {
			p := table.Null
			if len(vs) > 1 {
				p = vs[1]
			}
			toks, err := pat(p)
			if err != nil {
				return table.Null, nil
			}
			ms, _, _, err := parseDT(toks, vs[0].AsString())
			if err != nil {
				return table.Null, nil
			}
			return table.Date(int32(table.FloorDiv(ms, msPerDay))), nil
		}}, nil
	}
	r.Register("TO_DATE",
		Overload{Sig: "TO_DATE(STRING) -> DATE", Bind: Fixed(table.DateType(), table.StringType()), Impl: toDate},
		Overload{Sig: "TO_DATE(STRING, STRING pattern) -> DATE", Bind: Fixed(table.DateType(), table.StringType(), table.StringType()), Impl: toDate})
	// TO_TIMESTAMP_LTZ(numeric, precision): epoch seconds (precision 0) or
	// milliseconds (3).
	r.Register("TO_TIMESTAMP_LTZ", Overload{
		Sig: "TO_TIMESTAMP_LTZ(NUMERIC, INT precision) -> TIMESTAMP_LTZ(3)",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 2 || !isNum(args[0]) || !isInt(args[1]) {
				return nil, table.Type{}, false
			}
			return []table.Type{nullTo(args[0], table.BigIntType()), table.IntType()}, tLTZ3, true
		},
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(x, p table.Value) (table.Value, error) {
				scale := 1.0
				switch p.AsInt() {
				case 0:
					scale = 1000
				case 3:
				default:
					return table.Null, fmt.Errorf("TO_TIMESTAMP_LTZ: precision must be 0 or 3, not %d", p.AsInt())
				}
				if x.Kind() == table.KindInt {
					return table.TimestampMillis(x.AsInt() * int64(scale)), nil
				}
				return table.TimestampMillis(int64(math.Floor(x.AsFloat() * scale))), nil
			}}, nil
		},
	})
	// UNIX_TIMESTAMP(): now in epoch seconds. UNIX_TIMESTAMP(string[,
	// pattern]): the text read in the session zone, text after what the
	// pattern matches ignored (SimpleDateFormat.parse, as Flink);
	// Long.MIN_VALUE when it does not match (Flink's behaviour,
	// FLINK-37753).
	r.Register("UNIX_TIMESTAMP", Overload{Sig: "UNIX_TIMESTAMP() -> BIGINT", Bind: Fixed(tBigInt), Volatile: true,
		Impl: func(b *Bound) (Func, error) {
			clock, err := needClock(b)
			if err != nil {
				return Func{}, err
			}
			return Func{F0: func() (table.Value, error) { return table.Int(table.FloorDiv(clock(), 1000)), nil }}, nil
		}})
	unixTS := func(b *Bound) (Func, error) {
		pat, err := patternArg(b, 1, defaultPattern)
		if err != nil {
			return Func{}, err
		}
		loc := b.Env.Loc
		return Func{FN: func(vs []table.Value) (table.Value, error) {
			p := table.Null
			if len(vs) > 1 {
				p = vs[1]
			}
			toks, err := pat(p)
			if err != nil {
				return table.Int(math.MinInt64), nil
			}
			ms, _, hasOff, err := parseDTText(toks, vs[0].AsString(), true) // SimpleDateFormat.parse: a prefix
			if err != nil {
				return table.Int(math.MinInt64), nil
			}
			if !hasOff {
				ms = wallToInstant(ms, loc)
			}
			return table.Int(table.FloorDiv(ms, 1000)), nil
		}}, nil
	}
	r.Register("UNIX_TIMESTAMP",
		Overload{Sig: "UNIX_TIMESTAMP(STRING) -> BIGINT", Bind: Fixed(tBigInt, table.StringType()), Impl: unixTS},
		Overload{Sig: "UNIX_TIMESTAMP(STRING, STRING pattern) -> BIGINT", Bind: Fixed(tBigInt, table.StringType(), table.StringType()), Impl: unixTS})
	// FROM_UNIXTIME(seconds[, pattern]) -> STRING in the session zone.
	fromUnix := func(b *Bound) (Func, error) {
		pat, err := patternArg(b, 1, defaultPattern)
		if err != nil {
			return Func{}, err
		}
		loc := b.Env.Loc
		return Func{FN: func(vs []table.Value) (table.Value, error) {
			p := table.Null
			if len(vs) > 1 {
				p = vs[1]
			}
			toks, err := pat(p)
			if err != nil {
				return table.Null, nil
			}
			ms := vs[0].AsInt() * 1000
			zn, off := time.UnixMilli(ms).In(loc).Zone()
			return table.Str(formatDT(toks, ms+int64(off)*1000, 0, off, zn)), nil
		}}, nil
	}
	r.Register("FROM_UNIXTIME",
		Overload{Sig: "FROM_UNIXTIME(BIGINT) -> STRING", Bind: Fixed(tString, table.BigIntType()), Impl: fromUnix},
		Overload{Sig: "FROM_UNIXTIME(BIGINT, STRING pattern) -> STRING", Bind: Fixed(tString, table.BigIntType(), table.StringType()), Impl: fromUnix})

	// EXTRACT(unit FROM x) is EXTRACT('unit', x) -> BIGINT.
	extractImpl := func(unit string, b *Bound, arg int) (Func, error) {
		t, loc := b.Params[arg], b.Env.Loc
		if f := timeOfDayField(unit); f != nil && t.Root() == table.RootTimestamp {
			// A TIMESTAMP's wall clock is its value (wallOf): no zone, and
			// no calendar for a field of the time of day (Nexmark q14's
			// HOUR(dateTime)).
			return Func{F1: func(x table.Value) (table.Value, error) {
				ms, ns := x.AsTimestamp()
				return table.Int(f(ms, ns)), nil
			}}, nil
		}
		if t.Root() == table.RootTime {
			return Func{F1: func(x table.Value) (table.Value, error) {
				return table.Int(extractField(unit, int64(x.AsTime()), 0)), nil
			}}, nil
		}
		return Func{F1: func(x table.Value) (table.Value, error) {
			ms, ns, _, _ := wallOf(x, t, loc)
			return table.Int(extractField(unit, ms, ns)), nil
		}}, nil
	}
	r.Register("EXTRACT", Overload{
		Sig: "EXTRACT(STRING unit, DATE|TIME|TIMESTAMP) -> BIGINT",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 2 || !isStr(args[0]) || !(isTemporal(args[1]) || args[1].Root() == table.RootTime) {
				return nil, table.Type{}, false
			}
			return []table.Type{table.StringType(), nullTo(args[1], tTS3)}, tBigInt, true
		},
		Impl: func(b *Bound) (Func, error) {
			unit, err := unitArg(b, 0, extractUnits...)
			if err != nil {
				return Func{}, err
			}
			f, err := extractImpl(unit, b, 1)
			if err != nil {
				return f, err
			}
			return Func{F2: func(_, x table.Value) (table.Value, error) { return f.F1(x) }}, nil
		},
	})
	for name, unit := range map[string]string{"YEAR": "YEAR", "QUARTER": "QUARTER", "MONTH": "MONTH", "WEEK": "WEEK",
		"DAYOFYEAR": "DOY", "DAYOFMONTH": "DAY", "DAYOFWEEK": "DOW", "HOUR": "HOUR", "MINUTE": "MINUTE", "SECOND": "SECOND"} {
		r.Register(name, Overload{
			Sig: name + "(DATE|TIMESTAMP) -> BIGINT",
			Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
				if len(args) != 1 || !(isTemporal(args[0]) || args[0].Root() == table.RootTime) {
					return nil, table.Type{}, false
				}
				return []table.Type{nullTo(args[0], tTS3)}, tBigInt, true
			},
			Impl: func(b *Bound) (Func, error) { return extractImpl(unit, b, 0) },
		})
	}

	// TIMESTAMPADD(unit, n, x): x plus n units, of x's type.
	r.Register("TIMESTAMPADD", Overload{
		Sig: "TIMESTAMPADD(STRING unit, INT, DATE|TIMESTAMP) -> same",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 3 || !isStr(args[0]) || !isInt(args[1]) || !isTemporal(args[2]) {
				return nil, table.Type{}, false
			}
			t := nullTo(args[2], tTS3)
			return []table.Type{table.StringType(), table.BigIntType(), t}, t.NotNull(), true
		},
		Impl: func(b *Bound) (Func, error) {
			unit, err := unitArg(b, 0, "YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND")
			if err != nil {
				return Func{}, err
			}
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				n, x := vs[1].AsInt(), vs[2]
				if m, ok := unitMonths[unit]; ok {
					return addInterval(x, table.KindIntervalYearMonth, n*m), nil
				}
				return addInterval(x, table.KindIntervalDayTime, n*unitMillis[unit]), nil
			}}, nil
		},
	})
	// TIMESTAMPDIFF(unit, a, b): the whole units from a to b, as INT;
	// months, quarters and years are subtractMonths(b, a) divided.
	r.Register("TIMESTAMPDIFF", Overload{
		Sig: "TIMESTAMPDIFF(STRING unit, TIMESTAMP|DATE, TIMESTAMP|DATE) -> INT",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 3 || !isStr(args[0]) || !isTemporal(args[1]) || !isTemporal(args[2]) {
				return nil, table.Type{}, false
			}
			return []table.Type{table.StringType(), nullTo(args[1], tTS3), nullTo(args[2], tTS3)}, tInt, true
		},
		Impl: func(b *Bound) (Func, error) {
			unit, err := unitArg(b, 0, "YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND")
			if err != nil {
				return Func{}, err
			}
			ta, tb, loc := b.Params[1], b.Params[2], b.Env.Loc
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				a, _, _, _ := wallOf(vs[1], ta, loc)
				c, _, _, _ := wallOf(vs[2], tb, loc)
				if m, ok := unitMonths[unit]; ok {
					return table.Int(int64(int32(subtractMonths(c, a) / m))), nil
				}
				d := c - a
				return table.Int(int64(int32(d / unitMillis[unit]))), nil
			}}, nil
		},
	})
	// FLOOR(x TO unit) / CEIL(x TO unit) are FLOOR(x, 'unit') / CEIL(x, 'unit').
	for _, ceil := range []bool{false, true} {
		name := "FLOOR"
		if ceil {
			name = "CEIL"
		}
		o := Overload{
			Sig: name + "(TIMESTAMP|DATE, STRING unit) -> same",
			Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
				if len(args) != 2 || !isTemporal(args[0]) || !isStr(args[1]) {
					return nil, table.Type{}, false
				}
				t := nullTo(args[0], tTS3)
				return []table.Type{t, table.StringType()}, t.NotNull(), true
			},
			Impl: func(b *Bound) (Func, error) {
				unit, err := unitArg(b, 1, "YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND")
				if err != nil {
					return Func{}, err
				}
				t, loc := b.Params[0], b.Env.Loc
				return Func{F2: func(x, _ table.Value) (table.Value, error) {
					w, ns, _, _ := wallOf(x, t, loc)
					f := floorTS(unit, w)
					if ceil && (f != w || ns != 0) {
						if m, ok := unitMonths[unit]; ok {
							f, _ = addInterval(table.TimestampMillis(f), table.KindIntervalYearMonth, m).AsTimestamp()
						} else {
							f += unitMillis[unit]
						}
					}
					switch t.Root() {
					case table.RootDate:
						return table.Date(int32(table.FloorDiv(f, msPerDay))), nil
					case table.RootTimestampLTZ:
						return table.TimestampMillis(wallToInstant(f, loc)), nil
					}
					return table.TimestampMillis(f), nil
				}}, nil
			},
		}
		r.Register(name, o)
		if ceil {
			r.Register("CEILING", o)
		}
	}
}

// subtractMonths is Flink's DateTimeUtils.subtractMonths(t0, t1) (what
// TIMESTAMPDIFF(MONTH, t1, t0) computes) over wall-clock milliseconds: the
// whole months between the two dates, counted forward from the earlier one
// (so -subtractMonths of the dates swapped), then one less when t0's date is
// t1's date plus those months and t0's time of day is earlier than t1's.
func subtractMonths(t0, t1 int64) int64 {
	d0, d1 := table.FloorDiv(t0, msPerDay), table.FloorDiv(t1, msPerDay)
	x := subtractMonthsDays(d0, d1)
	if addMonthsDays(d1, x) == d0 && t0-d0*msPerDay < t1-d1*msPerDay {
		x--
	}
	return x
}

// subtractMonthsDays is the months between two dates (days since the
// epoch): for d0 >= d1 the largest m with d1 plus m months <= d0 (a month
// added to Jan 31 is Feb 28 or 29).
func subtractMonthsDays(d0, d1 int64) int64 {
	if d0 < d1 {
		return -subtractMonthsDays(d1, d0)
	}
	m := (d0 - d1) / 31 // no month is longer: never more than the answer
	for {
		if addMonthsDays(d1, m) >= d0 || addMonthsDays(d1, m+1) > d0 {
			return m
		}
		m++
	}
}
