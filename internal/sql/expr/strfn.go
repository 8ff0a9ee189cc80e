package expr

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/stromio/strom/table"
)

// String functions (Flink docs, "String Functions"). Positions and lengths
// count code points, as Java's String counts UTF-16 units for the BMP.

func strFn1(name string, f func(string) string) Overload {
	return Overload{
		Sig:  name + "(STRING) -> STRING",
		Bind: Fixed(tString, table.StringType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(x table.Value) (table.Value, error) { return table.Str(f(x.AsString())), nil }}, nil
		},
	}
}

// strArgs binds n STRING arguments (NULLs typed as STRING) to result.
func strArgs(result table.Type, kinds ...table.Type) func([]table.Type) ([]table.Type, table.Type, bool) {
	return Fixed(result, kinds...)
}

// maxRepeatBytes bounds the result of REPEAT (a row field, not a file).
const maxRepeatBytes = 1 << 30

// locate is the 1-based code point position of needle in s at or after
// code point position from (below 1: from the start), 0 when absent; an
// empty needle is found at 1.
func locate(needle, s string, from int64) int64 {
	if needle == "" {
		return 1
	}
	i, cp := 0, int64(1)
	for ; cp < from && i < len(s); cp++ {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	j := strings.Index(s[i:], needle)
	if j < 0 {
		return 0
	}
	return cp + int64(utf8.RuneCountInString(s[i:i+j]))
}

// regexCache compiles non-constant patterns once per distinct text, for
// the first maxCachedRegexes texts (patterns taken from data must not grow
// memory without bound; beyond, each call compiles).
var (
	regexCache  sync.Map // string -> *regexp.Regexp or error
	regexCached atomic.Int64
)

const maxCachedRegexes = 1024

func compileRegex(p string) (*regexp.Regexp, error) {
	if v, ok := regexCache.Load(p); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := regexp.Compile(p)
	if regexCached.Load() < maxCachedRegexes {
		regexCached.Add(1)
		if err != nil {
			regexCache.Store(p, err)
		} else {
			regexCache.Store(p, re)
		}
	}
	return re, err
}

// regexArg returns the pattern of argument i: compiled once when constant.
func regexArg(b *Bound, i int) func(table.Value) (*regexp.Regexp, error) {
	if v, ok := b.Const(i); ok && !v.IsNull() {
		re, err := regexp.Compile(v.AsString())
		return func(table.Value) (*regexp.Regexp, error) { return re, err }
	}
	return func(v table.Value) (*regexp.Regexp, error) { return compileRegex(v.AsString()) }
}

// constRegex returns the pattern of argument i when it is a constant:
// ok true, and nil when it is NULL or invalid.
func constRegex(b *Bound, i int) (f *fastRegex, ok bool) {
	v, ok := b.Const(i)
	if !ok {
		return nil, false
	}
	if v.IsNull() {
		return nil, true
	}
	re, err := regexp.Compile(v.AsString())
	if err != nil {
		return nil, true
	}
	return newFastRegex(re), true
}

// javaReplacement translates a Java replacement string ($n groups, \x
// escapes) to Go's Expand syntax (${n}, $$).
func javaReplacement(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(s[i])
			}
		case c == '$':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i+1 {
				b.WriteString("$$")
				continue
			}
			b.WriteString("${" + s[i+1:j] + "}")
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// substringSQL is SUBSTRING(s FROM pos [FOR n]): 1-based; a negative pos
// counts from the end and gives the empty string when it is before the first character;
// pos 0 is 1; n < 0 gives NULL (ok false), checked first (Flink's
// BinaryStringDataUtil.substringSQL).
func substringSQL(s string, pos, n int64, hasLen bool) (string, bool) {
	if hasLen && n < 0 {
		return "", false
	}
	rs := []rune(s)
	l := int64(len(rs))
	var start int64
	switch {
	case pos > 0:
		start = pos - 1
	case pos < 0:
		start = l + pos
		if start < 0 {
			return "", true
		}
	}
	end := l
	if hasLen {
		end = start + n
		if end < start { // overflow
			end = l
		}
	}
	end = min(end, l)
	if start >= end {
		return "", true
	}
	return string(rs[start:end]), true
}

// instrN is INSTR(s, needle, from, nth) (see its registration).
func instrN(s, needle string, from, nth int64) (int64, error) {
	if nth <= 0 {
		return 0, fmt.Errorf("INSTR: the occurrence must be positive, got %d", nth)
	}
	switch {
	case from == 0:
		return 0, nil
	case from > 0:
		p := int64(0)
		for k := int64(0); k < nth; k++ {
			p = locate(needle, s, from)
			if p == 0 {
				return 0, nil
			}
			from = p + 1
		}
		return p, nil
	}
	p, _ := instrN(reverseStr(s), reverseStr(needle), -from, nth)
	if p == 0 {
		return 0, nil
	}
	return int64(utf8.RuneCountInString(s)) + 2 - p - int64(utf8.RuneCountInString(needle)), nil
}

func reverseStr(s string) string {
	rs := []rune(s)
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return string(rs)
}

// translate maps the code points of s through from -> to (see TRANSLATE).
func translate(s, from, to string) string {
	tr := []rune(to)
	m := map[rune]int{}
	for i, c := range []rune(from) {
		if _, ok := m[c]; !ok {
			m[c] = i
		}
	}
	var b strings.Builder
	for _, c := range s {
		i, ok := m[c]
		switch {
		case !ok:
			b.WriteRune(c)
		case i < len(tr):
			b.WriteRune(tr[i])
		}
	}
	return b.String()
}

// overlayStr is OVERLAY (see its registration), in code points.
func overlayStr(s, with string, pos, n int64) string {
	rs := []rune(s)
	l := int64(len(rs))
	if pos < 1 || pos > l {
		return s
	}
	out := string(rs[:pos-1]) + with
	if n >= 0 && pos-1+n < l {
		out += string(rs[pos-1+n:])
	}
	return out
}

func pad(s string, n int64, p string, left bool) (table.Value, bool) {
	if n < 0 || p == "" {
		return table.Null, false
	}
	rs := []rune(s)
	if int64(len(rs)) >= n {
		return table.Str(string(rs[:n])), true
	}
	if n > 1<<24 {
		return table.Null, false
	}
	pr := []rune(p)
	fill := make([]rune, 0, n-int64(len(rs)))
	for i := 0; int64(len(fill)) < n-int64(len(rs)); i++ {
		fill = append(fill, pr[i%len(pr)])
	}
	if left {
		return table.Str(string(fill) + s), true
	}
	return table.Str(s + string(fill)), true
}

// initCap upper-cases the first letter of each word and lower-cases the
// rest; words are runs of letters and digits (Flink docs).
func initCap(s string) string {
	var b strings.Builder
	start := true
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start {
				b.WriteRune(unicode.ToUpper(r))
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
			start = false
		} else {
			b.WriteRune(r)
			start = true
		}
	}
	return b.String()
}

func registerStrings(r *Registry) {
	concat := Overload{
		Sig: "CONCAT(STRING...) -> STRING",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) == 0 {
				return nil, table.Type{}, false
			}
			ps := make([]table.Type, len(args))
			for i, a := range args {
				if !isStr(a) {
					return nil, table.Type{}, false
				}
				ps[i] = table.StringType()
			}
			return ps, tString, true
		},
		Impl: func(b *Bound) (Func, error) {
			if len(b.Params) == 2 {
				return Func{F2: func(x, y table.Value) (table.Value, error) {
					return table.Str(x.AsString() + y.AsString()), nil
				}}, nil
			}
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				var sb strings.Builder
				for _, v := range vs {
					sb.WriteString(v.AsString())
				}
				return table.Str(sb.String()), nil
			}}, nil
		},
	}
	r.Register("CONCAT", concat)
	r.Register("||", concat)
	r.Register("CONCAT_WS", Overload{
		Sig: "CONCAT_WS(STRING sep, STRING...) -> STRING (NULL arguments skipped)",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) < 1 {
				return nil, table.Type{}, false
			}
			ps := make([]table.Type, len(args))
			for i, a := range args {
				if !isStr(a) {
					return nil, table.Type{}, false
				}
				ps[i] = table.StringType()
			}
			return ps, table.StringType().WithNullable(args[0].Nullable()), true
		},
		NonStrict: true,
		Impl: func(*Bound) (Func, error) {
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				if vs[0].IsNull() {
					return table.Null, nil
				}
				var parts []string
				for _, v := range vs[1:] {
					if !v.IsNull() {
						parts = append(parts, v.AsString())
					}
				}
				return table.Str(strings.Join(parts, vs[0].AsString())), nil
			}}, nil
		},
	})
	r.Register("UPPER", strFn1("UPPER", strings.ToUpper))
	r.Register("LOWER", strFn1("LOWER", strings.ToLower))
	r.Register("INITCAP", strFn1("INITCAP", initCap))
	r.Register("REVERSE", strFn1("REVERSE", func(s string) string {
		rs := []rune(s)
		for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
			rs[i], rs[j] = rs[j], rs[i]
		}
		return string(rs)
	}))
	// TRIM(s) trims spaces on both sides (Flink: TRIM([BOTH|LEADING|TRAILING]
	// [chars FROM] s) with default ' '; the planner maps LEADING to LTRIM
	// and TRAILING to RTRIM, with chars as the second argument).
	trim := func(name string, f func(s, cut string) string) {
		r.Register(name, strFn1(name, func(s string) string { return f(s, " ") }), Overload{
			Sig:  name + "(STRING, STRING chars) -> STRING",
			Bind: strArgs(tString, table.StringType(), table.StringType()),
			Impl: func(*Bound) (Func, error) {
				return Func{F2: func(x, c table.Value) (table.Value, error) {
					return table.Str(f(x.AsString(), c.AsString())), nil
				}}, nil
			},
		})
	}
	trim("TRIM", strings.Trim)
	trim("BTRIM", strings.Trim)
	trim("LTRIM", strings.TrimLeft)
	trim("RTRIM", strings.TrimRight)
	charLen := Overload{
		Sig:  "CHAR_LENGTH(STRING) -> INT",
		Bind: strArgs(tInt, table.StringType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(x table.Value) (table.Value, error) {
				return table.Int(int64(utf8.RuneCountInString(x.AsString()))), nil
			}}, nil
		},
	}
	r.Register("CHAR_LENGTH", charLen)
	r.Register("CHARACTER_LENGTH", charLen)
	r.Register("SUBSTRING", Overload{
		Sig:  "SUBSTRING(STRING, INT pos) -> STRING",
		Bind: strArgs(tString, table.StringType(), table.BigIntType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(x, p table.Value) (table.Value, error) {
				r, _ := substringSQL(x.AsString(), p.AsInt(), 0, false)
				return table.Str(r), nil
			}}, nil
		},
	}, Overload{
		Sig: "SUBSTRING(STRING, INT pos, INT len) -> STRING",
		// NULL for a negative len.
		Bind: strArgs(table.StringType(), table.StringType(), table.BigIntType(), table.BigIntType()),
		Impl: func(*Bound) (Func, error) {
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				r, ok := substringSQL(vs[0].AsString(), vs[1].AsInt(), vs[2].AsInt(), true)
				if !ok {
					return table.Null, nil
				}
				return table.Str(r), nil
			}}, nil
		},
	})
	r.Register("SUBSTR", r.Overloads("SUBSTRING")[0].copyOf(), r.Overloads("SUBSTRING")[1].copyOf())
	// POSITION(needle IN s) is POSITION(needle, s): the 1-based code point
	// position of the first occurrence, 0 when absent.
	r.Register("POSITION", Overload{
		Sig:  "POSITION(STRING needle, STRING s) -> INT",
		Bind: strArgs(tInt, table.StringType(), table.StringType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(n, s table.Value) (table.Value, error) {
				h := s.AsString()
				i := strings.Index(h, n.AsString())
				if i < 0 {
					return table.Int(0), nil
				}
				return table.Int(int64(utf8.RuneCountInString(h[:i])) + 1), nil
			}}, nil
		},
	})
	// LOCATE(needle, s[, from]) is POSITION searching from the code point
	// position from (1-based; below 1 searches from the start), 0 when
	// absent; an empty needle is at 1 (Flink's SqlFunctionUtils.position:
	// BinaryStringData.indexOf(needle, from - 1) + 1).
	r.Register("LOCATE", Overload{
		Sig:  "LOCATE(STRING needle, STRING s) -> INT",
		Bind: strArgs(tInt, table.StringType(), table.StringType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(n, s table.Value) (table.Value, error) {
				return table.Int(locate(n.AsString(), s.AsString(), 1)), nil
			}}, nil
		},
	}, Overload{
		Sig:  "LOCATE(STRING needle, STRING s, INT from) -> INT",
		Bind: strArgs(tInt, table.StringType(), table.StringType(), table.IntType()),
		Impl: func(*Bound) (Func, error) {
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				return table.Int(locate(vs[0].AsString(), vs[1].AsString(), vs[2].AsInt())), nil
			}}, nil
		},
	})
	// INSTR(s, needle) is POSITION(needle IN s) (Flink's
	// SqlFunctionUtils.instr from position 1, first appearance).
	r.Register("INSTR", Overload{
		Sig:  "INSTR(STRING s, STRING needle) -> INT",
		Bind: strArgs(tInt, table.StringType(), table.StringType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(s, n table.Value) (table.Value, error) {
				return table.Int(locate(n.AsString(), s.AsString(), 1)), nil
			}}, nil
		},
	})
	// INSTR(s, needle, from[, nth]): the code point position of the nth
	// (default 1) occurrence of needle at or after from; a negative from
	// searches backwards from the -from-th code point from the end (the
	// position is still counted from the start); from 0 gives 0; nth <= 0
	// is an error (Flink's SqlFunctionUtils.instr, which throws).
	instr := func(b *Bound) (Func, error) {
		return Func{FN: func(vs []table.Value) (table.Value, error) {
			nth := int64(1)
			if len(vs) == 4 {
				nth = vs[3].AsInt()
			}
			p, err := instrN(vs[0].AsString(), vs[1].AsString(), vs[2].AsInt(), nth)
			return table.Int(p), err
		}}, nil
	}
	r.Register("INSTR", Overload{
		Sig:  "INSTR(STRING s, STRING needle, INT from) -> INT",
		Bind: strArgs(tInt, table.StringType(), table.StringType(), table.IntType()),
		Impl: instr,
	}, Overload{
		Sig:  "INSTR(STRING s, STRING needle, INT from, INT nth) -> INT",
		Bind: strArgs(tInt, table.StringType(), table.StringType(), table.IntType(), table.IntType()),
		Impl: instr,
	})
	// ASCII(s): the first byte of s's UTF-8 encoding as a signed byte (so
	// a character past U+007F gives a negative number), 0 for ''
	// (Flink's code generation: byteAt(0) cast to int).
	r.Register("ASCII", Overload{
		Sig:  "ASCII(STRING) -> INT",
		Bind: strArgs(tInt, table.StringType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(x table.Value) (table.Value, error) {
				s := x.AsString()
				if s == "" {
					return table.Int(0), nil
				}
				return table.Int(int64(int8(s[0]))), nil
			}}, nil
		},
	})
	// CHR(n): '' for n < 0, else the character U+0000..U+00FF of n's low
	// byte (n & 255: CHR(256) is U+0000, CHR(321) is 'A'; Flink's
	// SqlFunctionUtils.chr).
	r.Register("CHR", Overload{
		Sig:  "CHR(BIGINT) -> STRING",
		Bind: strArgs(tString, table.BigIntType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(x table.Value) (table.Value, error) {
				n := x.AsInt()
				if n < 0 {
					return table.Str(""), nil
				}
				return table.Str(string(rune(n & 0xFF))), nil
			}}, nil
		},
	})
	// STARTSWITH(s, prefix) / ENDSWITH(s, suffix): TRUE for an empty
	// prefix or suffix (Flink's StartsWithFunction / EndsWithFunction).
	for name, f := range map[string]func(string, string) bool{"STARTSWITH": strings.HasPrefix, "ENDSWITH": strings.HasSuffix} {
		r.Register(name, Overload{
			Sig:  name + "(STRING, STRING) -> BOOLEAN",
			Bind: strArgs(tBool, table.StringType(), table.StringType()),
			Impl: func(*Bound) (Func, error) {
				return Func{F2: func(x, y table.Value) (table.Value, error) {
					return table.Bool(f(x.AsString(), y.AsString())), nil
				}}, nil
			},
		})
	}
	// TRANSLATE(s, from, to): each code point of s found in from (its
	// first occurrence there) becomes the code point at the same index of
	// to, or is removed when to is shorter; a NULL from leaves s as it is
	// and a NULL to removes every code point of from; NULL only for a
	// NULL s (Flink's TranslateFunction and its tests).
	r.Register("TRANSLATE", Overload{
		Sig: "TRANSLATE(STRING s, STRING from, STRING to) -> STRING",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 3 {
				return nil, table.Type{}, false
			}
			for _, a := range args {
				if !isStr(a) {
					return nil, table.Type{}, false
				}
			}
			st := table.StringType()
			return []table.Type{st, st, st}, st.WithNullable(args[0].Nullable()), true
		},
		NonStrict: true,
		Impl: func(*Bound) (Func, error) {
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				if vs[0].IsNull() {
					return table.Null, nil
				}
				if vs[1].IsNull() {
					return vs[0], nil
				}
				return table.Str(translate(vs[0].AsString(), vs[1].AsString(), vs[2].AsString())), nil
			}}, nil
		},
	})
	// OVERLAY(s PLACING r FROM pos [FOR n]): s with the n (default: r's
	// length) code points from position pos replaced by r. As Flink's
	// SqlFunctionUtils.overlay: s unchanged when pos < 1 or pos is past
	// its end; n <= 0 keeps nothing after r. Departure: FOR 0 inserts r
	// (Flink's documented meaning; its runtime drops the rest of s,
	// reported as FLINK-40578).
	overlay := func(*Bound) (Func, error) {
		return Func{FN: func(vs []table.Value) (table.Value, error) {
			with := vs[1].AsString()
			n := int64(utf8.RuneCountInString(with))
			if len(vs) == 4 {
				n = vs[3].AsInt()
			}
			return table.Str(overlayStr(vs[0].AsString(), with, vs[2].AsInt(), n)), nil
		}}, nil
	}
	r.Register("OVERLAY", Overload{
		Sig:  "OVERLAY(STRING s, STRING r, INT pos) -> STRING",
		Bind: strArgs(tString, table.StringType(), table.StringType(), table.BigIntType()),
		Impl: overlay,
	}, Overload{
		Sig:  "OVERLAY(STRING s, STRING r, INT pos, INT n) -> STRING",
		Bind: strArgs(tString, table.StringType(), table.StringType(), table.BigIntType(), table.BigIntType()),
		Impl: overlay,
	})
	// REPEAT(s, n): s n times, '' for n <= 0 (Flink's EncodingUtils.repeat).
	r.Register("REPEAT", Overload{
		Sig:  "REPEAT(STRING, INT n) -> STRING",
		Bind: strArgs(tString, table.StringType(), table.IntType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(x, n table.Value) (table.Value, error) {
				k := n.AsInt()
				if k <= 0 || x.AsString() == "" {
					return table.Str(""), nil
				}
				if int64(len(x.AsString())) > maxRepeatBytes/k {
					return table.Null, fmt.Errorf("REPEAT: the result would exceed %d bytes", maxRepeatBytes)
				}
				return table.Str(strings.Repeat(x.AsString(), int(k))), nil
			}}, nil
		},
	})
	// LEFT(s, n) / RIGHT(s, n): the first / last n code points, '' for
	// n <= 0, s when it is shorter (Flink's LEFT and RIGHT).
	for _, left := range []bool{true, false} {
		name := "RIGHT"
		if left {
			name = "LEFT"
		}
		r.Register(name, Overload{
			Sig:  name + "(STRING, INT n) -> STRING",
			Bind: strArgs(tString, table.StringType(), table.IntType()),
			Impl: func(*Bound) (Func, error) {
				return Func{F2: func(x, n table.Value) (table.Value, error) {
					s, k := x.AsString(), n.AsInt()
					if k <= 0 {
						return table.Str(""), nil
					}
					l := int64(utf8.RuneCountInString(s))
					if k >= l {
						return x, nil
					}
					if !left {
						k = l - k // code points to skip
					}
					i := 0
					for ; k > 0; k-- {
						_, w := utf8.DecodeRuneInString(s[i:])
						i += w
					}
					if left {
						return table.Str(s[:i]), nil
					}
					return table.Str(s[i:]), nil
				}}, nil
			},
		})
	}
	r.Register("REPLACE", Overload{
		Sig:  "REPLACE(STRING, STRING search, STRING replacement) -> STRING",
		Bind: strArgs(tString, table.StringType(), table.StringType(), table.StringType()),
		Impl: func(*Bound) (Func, error) {
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				return table.Str(strings.ReplaceAll(vs[0].AsString(), vs[1].AsString(), vs[2].AsString())), nil
			}}, nil
		},
	})
	// REGEXP_EXTRACT(s, regex[, index]): group index (0 = the whole match,
	// the default); NULL when there is no match, the index is out of range
	// or the pattern is invalid (Flink's SqlFunctionUtils.regexpExtract).
	extract := func(b *Bound) (Func, error) {
		if f, ok := constRegex(b, 1); ok {
			// A constant pattern: searched for its required literal
			// first (fastRegex); with a constant index, one argument is
			// evaluated per row.
			if f == nil {
				return Func{F0: func() (table.Value, error) { return table.Null, nil }}, nil
			}
			idx := int64(0)
			if len(b.Params) == 3 {
				v, ok := b.Const(2)
				if !ok {
					goto general
				}
				if v.IsNull() || v.AsInt() < 0 || v.AsInt() > int64(f.re.NumSubexp()) {
					return Func{F0: func() (table.Value, error) { return table.Null, nil }}, nil
				}
				idx = v.AsInt()
			}
			return Func{Lazy: func(r *table.Row, ps []Program) (table.Value, error) {
				x, err := ps[0](r)
				if err != nil || x.IsNull() {
					return table.Null, err
				}
				s := x.AsString()
				lo, hi, ok := f.Group(s, int(idx))
				if !ok {
					return table.Null, nil
				}
				return table.Str(s[lo:hi]), nil
			}}, nil
		}
	general:
		re := regexArg(b, 1)
		return Func{FN: func(vs []table.Value) (table.Value, error) {
			rx, err := re(vs[1])
			if err != nil {
				return table.Null, nil
			}
			idx := int64(0)
			if len(vs) == 3 {
				idx = vs[2].AsInt()
			}
			if idx < 0 || idx > int64(rx.NumSubexp()) {
				return table.Null, nil
			}
			s := vs[0].AsString()
			m := rx.FindStringSubmatchIndex(s)
			if m == nil || m[2*idx] < 0 {
				return table.Null, nil
			}
			return table.Str(s[m[2*idx]:m[2*idx+1]]), nil
		}}, nil
	}
	r.Register("REGEXP_EXTRACT", Overload{
		Sig:  "REGEXP_EXTRACT(STRING, STRING regex) -> STRING",
		Bind: strArgs(table.StringType(), table.StringType(), table.StringType()),
		Impl: extract,
	}, Overload{
		Sig:  "REGEXP_EXTRACT(STRING, STRING regex, INT index) -> STRING",
		Bind: strArgs(table.StringType(), table.StringType(), table.StringType(), table.IntType()),
		Impl: extract,
	})
	// REGEXP_REPLACE(s, regex, replacement): every match replaced; $n in
	// the replacement is group n (Java's String.replaceAll); an invalid
	// pattern gives NULL.
	r.Register("REGEXP_REPLACE", Overload{
		Sig:  "REGEXP_REPLACE(STRING, STRING regex, STRING replacement) -> STRING",
		Bind: strArgs(table.StringType(), table.StringType(), table.StringType(), table.StringType()),
		Impl: func(b *Bound) (Func, error) {
			re := regexArg(b, 1)
			f, _ := constRegex(b, 1)
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				rx, err := re(vs[1])
				if err != nil {
					return table.Null, nil
				}
				if f != nil && !f.mayMatch(vs[0].AsString()) {
					return vs[0], nil // no match: unchanged
				}
				return table.Str(rx.ReplaceAllString(vs[0].AsString(), javaReplacement(vs[2].AsString()))), nil
			}}, nil
		},
	})
	// REGEXP(s, regex): TRUE when a substring matches; FALSE for an empty
	// regex.
	r.Register("REGEXP", Overload{
		Sig:  "REGEXP(STRING, STRING regex) -> BOOLEAN",
		Bind: strArgs(table.BooleanType(), table.StringType(), table.StringType()),
		Impl: func(b *Bound) (Func, error) {
			if f, ok := constRegex(b, 1); ok && f != nil && f.re.String() != "" {
				return Func{F2: func(x, _ table.Value) (table.Value, error) {
					return table.Bool(f.MatchString(x.AsString())), nil
				}}, nil
			}
			re := regexArg(b, 1)
			return Func{F2: func(x, p table.Value) (table.Value, error) {
				if p.AsString() == "" {
					return table.Bool(false), nil // Flink's SqlFunctionUtils.regExp
				}
				rx, err := re(p)
				if err != nil {
					return table.Null, nil
				}
				return table.Bool(rx.MatchString(x.AsString())), nil
			}}, nil
		},
	})
	// SPLIT_INDEX(s, delimiter, index): the index-th (0-based) field of s
	// split at every delimiter; NULL when out of range or s is '' (no
	// fields); an empty delimiter splits at every whitespace character,
	// keeping empty fields (Flink's SqlFunctionUtils.splitIndex, commons-lang's
	// splitByWholeSeparatorPreserveAllTokens).
	r.Register("SPLIT_INDEX", Overload{
		Sig:  "SPLIT_INDEX(STRING, STRING delimiter, INT index) -> STRING",
		Bind: strArgs(table.StringType(), table.StringType(), table.StringType(), table.IntType()),
		Impl: func(b *Bound) (Func, error) {
			dv, dOK := b.Const(1)
			iv, iOK := b.Const(2)
			if dOK && iOK && !dv.IsNull() && !iv.IsNull() && dv.AsString() != "" {
				// Constant delimiter and index: the field is found by
				// searching, without splitting the whole text.
				d, i := dv.AsString(), iv.AsInt()
				return Func{Lazy: func(r *table.Row, ps []Program) (table.Value, error) {
					x, err := ps[0](r)
					if err != nil || x.IsNull() {
						return table.Null, err
					}
					return splitField(x.AsString(), d, i), nil
				}}, nil
			}
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				s, d, i := vs[0].AsString(), vs[1].AsString(), vs[2].AsInt()
				if i < 0 {
					return table.Null, nil
				}
				if s == "" {
					return table.Null, nil // no fields
				}
				var parts []string
				if d == "" {
					// Every whitespace character ends a field, empty
					// fields kept.
					parts = splitEach(s, javaWhitespace)
				} else {
					parts = strings.Split(s, d)
				}
				if i >= int64(len(parts)) {
					return table.Null, nil
				}
				return table.Str(parts[i]), nil
			}}, nil
		},
	})
	// LPAD/RPAD(s, n, pad): s padded to n code points, or truncated to n;
	// NULL for n < 0 or an empty pad, even when no padding is needed
	// (Flink's SqlFunctionUtils.lpad).
	for _, left := range []bool{true, false} {
		name := "RPAD"
		if left {
			name = "LPAD"
		}
		r.Register(name, Overload{
			Sig:  name + "(STRING, INT len, STRING pad) -> STRING",
			Bind: strArgs(table.StringType(), table.StringType(), table.IntType(), table.StringType()),
			Impl: func(*Bound) (Func, error) {
				return Func{FN: func(vs []table.Value) (table.Value, error) {
					v, _ := pad(vs[0].AsString(), vs[1].AsInt(), vs[2].AsString(), left)
					return v, nil
				}}, nil
			},
		})
	}
	// NULLIF(a, b): NULL when a = b, else a.
	r.Register("NULLIF", Overload{
		Sig: "NULLIF(T, T) -> T",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 2 {
				return nil, table.Type{}, false
			}
			ct, ok := table.CommonType(args[0].AsNullable(), args[1].AsNullable())
			if !ok || ct.Root() == table.RootMap {
				return nil, table.Type{}, false
			}
			return []table.Type{ct, ct}, ct.AsNullable(), true
		},
		NonStrict: true,
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(a, b table.Value) (table.Value, error) {
				if a.IsNull() || b.IsNull() {
					return a, nil
				}
				if c, ok := sqlCompare(a, b); ok && c == 0 {
					return table.Null, nil
				}
				return a, nil
			}}, nil
		},
	})
}

func (o *Overload) copyOf() Overload { return *o }

// splitField is field i of strings.Split(s, d) for a non-empty d, NULL
// when there is none or s is empty.
func splitField(s, d string, i int64) table.Value {
	if i < 0 || s == "" {
		return table.Null
	}
	for ; i > 0; i-- {
		j := strings.Index(s, d)
		if j < 0 {
			return table.Null
		}
		s = s[j+len(d):]
	}
	if j := strings.Index(s, d); j >= 0 {
		s = s[:j]
	}
	return table.Str(s)
}

// splitEach splits s at every rune for which sep is true, keeping empty
// fields (commons-lang's splitPreserveAllTokens).
func splitEach(s string, sep func(rune) bool) []string {
	var parts []string
	start := 0
	for i, r := range s {
		if sep(r) {
			parts = append(parts, s[start:i])
			start = i + utf8.RuneLen(r)
		}
	}
	return append(parts, s[start:])
}

// javaWhitespace is Java's Character.isWhitespace: a Unicode space other
// than the no-break ones.
func javaWhitespace(r rune) bool {
	return unicode.IsSpace(r) && r != '\u00a0' && r != '\u2007' && r != '\u202f' && r != '\u0085'
}
