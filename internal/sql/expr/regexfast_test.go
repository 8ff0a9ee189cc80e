package expr

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

// TestFastRegexMatchesRegexp compares fastRegex (required literal,
// windowed run) with the plain regexp on many generated strings: anchors,
// empty matches, overlapping occurrences, unicode and invalid UTF-8.
func TestFastRegexMatchesRegexp(t *testing.T) {
	cases := []struct {
		pat    string
		lit    string
		window bool
	}{
		{`(&|^)channel_id=([^&]*)`, "channel_id=", true},
		{`^channel_id=(\d*)`, "channel_id=", true},
		{`(^|a)ab(.)`, "ab", true},
		{`(a|^|bb)ab`, "ab", true},
		{`(?:^)?ab$`, "ab", true},
		{`[^&]{0,3}ab(.?)`, "ab", true},
		{`.ab`, "ab", true},
		{`..é?ab`, "ab", true},
		{`(é|^)ab`, "ab", true},
		{`\x{FFFD}?ab`, "ab", true},
		{`(a*)ab`, "ab", false},
		{`x*ab`, "ab", false},
		{`\bab`, "ab", false},
		{`(?m)^ab`, "ab", false},
		{`(?i)ab`, "", false},
		{`ab|ba`, "", false},
		{`(ab)`, "ab", true},
		{`a(b)?`, "a", true},
		{`channel_id=`, "channel_id=", true},
		{`(^)`, "", false},
		{``, "", false},
		{`(&|^)ab(&|$)`, "ab", true},
		{`(?s:.){2}ab`, "ab", true},
		{`\x{FFFD}ab`, "", false}, // one literal with U+FFFD: not searched
		{`(a|^)ab([^b]*)`, "ab", true},
		{`(a|^)aa([^&]*)`, "aa", true},
		{`(b|^)ab([^a]*)`, "ab", true},
		{`(a|^)ab([^b]*?)`, "ab", true},
		{`(é|^)ab([^&]*)`, "ab", true},
		{`(a|^)ab([^é]*)`, "ab", true},
		{`(^|a)ab([^&]*)`, "ab", true},
	}
	param := map[string]bool{`(&|^)channel_id=([^&]*)`: true, `(a|^)ab([^b]*)`: true, `(a|^)aa([^&]*)`: true, `(b|^)ab([^a]*)`: true}
	pieces := []string{"ab", "a", "b", "&", "channel_id=", "channel_id", "=", "1", "x", "\n", "é", "\xe9", "\xc3", "\xa9",
		"\xe2\x82", "\ufffd", "bb", "aab", "&&", " ", "", "ba", "AB"}
	rnd := rand.New(rand.NewPCG(21, 22))
	inputs := []string{"", "ab", "aab", "&ab", "channel_id=", "x&channel_id=1&channel_id=2", "xchannel_id=1&channel_id=2",
		"\xa9ab", "é\xa9ab", "\n\nab", "ba", strings.Repeat("a", 50) + "ab"}
	for range 20000 {
		var sb strings.Builder
		for range rnd.IntN(9) {
			sb.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		inputs = append(inputs, sb.String())
	}
	for _, c := range cases {
		re := regexp.MustCompile(c.pat)
		f := newFastRegex(re)
		if f.lit != c.lit || (f.tail != nil) != c.window {
			t.Errorf("%q: literal %q window %v, want %q %v", c.pat, f.lit, f.tail != nil, c.lit, c.window)
		}
		if f.param != param[c.pat] {
			t.Errorf("%q: matched without the regexp %v, want %v", c.pat, f.param, param[c.pat])
		}
		for _, s := range inputs {
			want := re.FindStringSubmatchIndex(s)
			if got := f.FindStringSubmatchIndex(s); !slices.Equal(got, want) {
				t.Fatalf("%q on %q: %v, regexp %v", c.pat, s, got, want)
			}
			if got := f.MatchString(s); got != (want != nil) {
				t.Fatalf("%q on %q: match %v, regexp %v", c.pat, s, got, want)
			}
			// Group (REGEXP_EXTRACT's, no slice for q21's shape).
			for g := 0; g <= re.NumSubexp(); g++ {
				lo, hi, ok := f.Group(s, g)
				wok := want != nil && want[2*g] >= 0
				if ok != wok || (ok && (lo != want[2*g] || hi != want[2*g+1])) {
					t.Fatalf("%q on %q: group %d %d:%d %v, regexp %v", c.pat, s, g, lo, hi, ok, want)
				}
			}
			if want != nil && !f.mayMatch(s) {
				t.Fatalf("%q on %q: mayMatch false, regexp %v", c.pat, s, want)
			}
		}
	}
}

func FuzzFastRegex(f *testing.F) {
	for _, s := range []string{"", "a&channel_id=2&b", "xchannel_id=1&channel_id=", "\xa9channel_id=é"} {
		f.Add(`(&|^)channel_id=([^&]*)`, s)
		f.Add(`.{0,2}(^|=)id(.)`, s)
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		re, err := regexp.Compile(pat)
		if err != nil {
			return
		}
		want := re.FindStringSubmatchIndex(s)
		fr := newFastRegex(re)
		if got := fr.FindStringSubmatchIndex(s); !slices.Equal(got, want) {
			t.Fatalf("%q on %q: %v, regexp %v", pat, s, got, want)
		}
		for g := 0; g <= re.NumSubexp(); g++ {
			lo, hi, ok := fr.Group(s, g)
			if wok := want != nil && want[2*g] >= 0; ok != wok || (ok && (lo != want[2*g] || hi != want[2*g+1])) {
				t.Fatalf("%q on %q: group %d %d:%d %v, regexp %v", pat, s, g, lo, hi, ok, want)
			}
		}
	})
}

// TestRegexFunctionsConstPattern: REGEXP_EXTRACT, REGEXP and
// REGEXP_REPLACE with a constant pattern (fastRegex, REGEXP_EXTRACT with a
// constant index evaluated lazily) give what they give with the same
// pattern read from a column (the plain regexp), NULLs included.
func TestRegexFunctionsConstPattern(t *testing.T) {
	in := ColumnRef(0, "s", table.StringType())
	pc := ColumnRef(1, "p", table.StringType())
	ic := ColumnRef(2, "i", table.IntType())
	rnd := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"channel_id=", "&", "x", "=", "channel_id", "id=", "?", "&&", "é", "\xa9", "\n", ""}
	var rows []table.Row
	for range 3000 {
		var sb strings.Builder
		for range rnd.IntN(7) {
			sb.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		v := table.Str(sb.String())
		if rnd.IntN(50) == 0 {
			v = table.Null
		}
		rows = append(rows, table.NewRow(v, table.Null, table.Null))
	}
	for _, pat := range []string{`(&|^)channel_id=([^&]*)`, `id=(.)`, `(`, ``, `^(x?)channel`} {
		for _, idx := range []int64{-1, 0, 1, 2, 3} {
			fast := []Expr{
				call("REGEXP_EXTRACT", in, s(pat), i(idx)),
				call("REGEXP_EXTRACT", in, s(pat)),
				call("REGEXP", in, s(pat)),
				call("REGEXP_REPLACE", in, s(pat), s("<$0>")),
			}
			slow := []Expr{
				call("REGEXP_EXTRACT", in, pc, ic),
				call("REGEXP_EXTRACT", in, pc),
				call("REGEXP", in, pc),
				call("REGEXP_REPLACE", in, pc, s("<$0>")),
			}
			for k := range fast {
				fp, err := Compile(fast[k])
				if err != nil {
					t.Fatal(err)
				}
				sp, err := Compile(slow[k])
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					r.Fields[1], r.Fields[2] = table.Str(pat), table.Int(idx)
					a, errA := fp(&r)
					b, errB := sp(&r)
					if (errA != nil) != (errB != nil) || !a.Equal(b) || a.IsNull() != b.IsNull() {
						t.Fatalf("%s on %v: %v %v, with the pattern from a column %v %v", fast[k], r.Fields[0], a, errA, b, errB)
					}
				}
			}
		}
	}
}

// TestSplitIndexConst: SPLIT_INDEX with a constant delimiter and index
// (splitField) gives what it gives with them read from columns
// (strings.Split), NULLs, empty fields and overlapping delimiters included.
func TestSplitIndexConst(t *testing.T) {
	in := ColumnRef(0, "s", table.StringType())
	dc := ColumnRef(1, "d", table.StringType())
	ic := ColumnRef(2, "i", table.IntType())
	rnd := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"/", "//", "a", "bc", "é", "\xa9", "aa", " ", "\t", ""}
	var inputs []table.Value
	for range 3000 {
		var sb strings.Builder
		for range rnd.IntN(8) {
			sb.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		inputs = append(inputs, table.Str(sb.String()))
	}
	inputs = append(inputs, table.Null, table.Str(""), table.Str("https://www.nexmark.com/abc/de_f/ghi/item.htm?query=1"))
	for _, d := range []string{"/", "//", "aa", "é", "", " "} {
		for _, idx := range []int64{-1, 0, 1, 2, 3, 4, 5, 9} {
			fp, err := Compile(call("SPLIT_INDEX", in, s(d), i(idx)))
			if err != nil {
				t.Fatal(err)
			}
			sp, err := Compile(call("SPLIT_INDEX", in, dc, ic))
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range inputs {
				r := table.NewRow(v, table.Str(d), table.Int(idx))
				a, errA := fp(&r)
				b, errB := sp(&r)
				if errA != nil || errB != nil || !a.Equal(b) || a.IsNull() != b.IsNull() {
					t.Fatalf("SPLIT_INDEX(%v, %q, %d): %v %v, from columns %v %v", v, d, idx, a, errA, b, errB)
				}
			}
		}
	}
}

// TestLowerEqualsConst: LOWER(x) = 'k' (either side) and LOWER(x) [NOT]
// IN ('k', ...) (fastLowerIn) give what they give with the constants read
// from columns (strings.ToLower and a comparison), for ASCII, non-ASCII
// (the Kelvin sign lowers to 'k'), invalid UTF-8 and NULL x.
func TestLowerEqualsConst(t *testing.T) {
	col := ColumnRef(0, "s", table.StringType())
	kc := ColumnRef(1, "k", table.StringType())
	kc2 := ColumnRef(2, "k2", table.StringType())
	rnd := rand.New(rand.NewPCG(9, 10))
	pieces := []string{"a", "A", "p", "P", "le", "LE", "\u212a", "é", "É", "\xa9", "ı", "İ", ""}
	inputs := []table.Value{table.Null, table.Str(""), table.Str("Apple"), table.Str("APPLE"), table.Str("apple"), table.Str("\u212aa")}
	for range 3000 {
		var sb strings.Builder
		for range rnd.IntN(5) {
			sb.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		inputs = append(inputs, table.Str(sb.String()))
	}
	for _, k := range []string{"apple", "ka", "", "é", "a", "\ufffd", "i̇", "pa"} {
		fast := []Expr{
			call("=", call("LOWER", col), s(k)),
			call("=", s(k), call("LOWER", col)),
			in(call("LOWER", col), s(k), s("pa")),
			must(NewIn(call("LOWER", col), []Expr{s(k), s("pa")}, true)),
		}
		slow := []Expr{
			call("=", call("LOWER", col), kc),
			call("=", kc, call("LOWER", col)),
			in(call("LOWER", col), kc, kc2),
			must(NewIn(call("LOWER", col), []Expr{kc, kc2}, true)),
		}
		for j := range fast {
			fp, err := Compile(fast[j])
			if err != nil {
				t.Fatal(err)
			}
			sp, err := Compile(slow[j])
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range inputs {
				r := table.NewRow(v, table.Str(k), table.Str("pa"))
				a, errA := fp(&r)
				b, errB := sp(&r)
				if errA != nil || errB != nil || !a.Equal(b) || a.IsNull() != b.IsNull() {
					t.Fatalf("%s with %v: %v %v, from columns %v %v", fast[j], v, a, errA, b, errB)
				}
			}
		}
	}
}
