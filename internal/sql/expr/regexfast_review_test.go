package expr

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

// Random patterns: fastRegex must equal the plain regexp.
func TestReviewFastRegexRandomPatterns(t *testing.T) {
	atoms := []string{"ab", "a", "b", "é", `\.`, ".", "&", "=", "id=", `\x{FFFD}`, "[^&]", "[a-c]", "[é-ü]", `\pL`, `\d`, "^", "$", `\z`, `\A`, "(?i:ab)", "x"}
	quants := []string{"", "", "", "*", "+", "?", "{0,2}", "*?", "{2}"}
	rnd := rand.New(rand.NewPCG(1, 2))
	var gen func(d int) string
	gen = func(d int) string {
		n := 1 + rnd.IntN(4)
		var sb strings.Builder
		for range n {
			var a string
			if d < 2 && rnd.IntN(4) == 0 {
				a = "(" + gen(d+1) + "|" + gen(d+1) + ")"
			} else if d < 2 && rnd.IntN(5) == 0 {
				a = "(" + gen(d+1) + ")"
			} else {
				a = atoms[rnd.IntN(len(atoms))]
			}
			if len(a) == 1 || a[0] == '(' || a[0] == '[' || a[0] == '\\' {
				a += quants[rnd.IntN(len(quants))]
			}
			sb.WriteString(a)
		}
		return sb.String()
	}
	pieces := []string{"ab", "a", "b", "&", "id=", "=", "x", "\n", "é", "\xe9", "\xc3", "\xa9", "\ufffd", "AB", "1", ".", "ü", ""}
	var inputs []string
	for range 200 {
		var sb strings.Builder
		for range rnd.IntN(10) {
			sb.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		inputs = append(inputs, sb.String())
	}
	fails, windowed, params := 0, 0, 0
	defer func() { t.Logf("windowed %d param %d", windowed, params) }()
	for range 500 {
		pat := gen(0)
		if rnd.IntN(5) == 0 {
			pat = "(?s)" + pat
		}
		if rnd.IntN(6) == 0 {
			pat = "(?U)" + pat
		}
		re, err := regexp.Compile(pat)
		if err != nil {
			continue
		}
		f := newFastRegex(re)
		if f.tail != nil {
			windowed++
		}
		if f.param {
			params++
		}
		for _, s := range inputs {
			want := re.FindStringSubmatchIndex(s)
			got := f.FindStringSubmatchIndex(s)
			if !slices.Equal(got, want) || f.MatchString(s) != (want != nil) || (want != nil && !f.mayMatch(s)) {
				t.Errorf("%q on %q: %v, regexp %v", pat, s, got, want)
				fails++
				break
			}
		}
		if fails > 10 {
			break
		}
	}
}

// A q21 pattern wrapped in one more capture group: paramShape looks through
// the outer capture, but matchParam returns only 3 groups' indices.
func TestReviewParamShapeWrappedInCapture(t *testing.T) {
	re := regexp.MustCompile(`((&|^)channel_id=([^&]*))`)
	f := newFastRegex(re)
	for _, s := range []string{"channel_id=5", "x&channel_id=5&y"} {
		want := re.FindStringSubmatchIndex(s)
		if got := f.FindStringSubmatchIndex(s); !slices.Equal(got, want) {
			t.Errorf("%q: %v, regexp %v", s, got, want)
		}
	}
}

func TestReviewRegexpExtractWrappedQ21(t *testing.T) {
	in := ColumnRef(0, "s", table.StringType())
	pc := ColumnRef(1, "p", table.StringType())
	ic := ColumnRef(2, "i", table.IntType())
	pat := `((&|^)channel_id=([^&]*))`
	for _, idx := range []int64{1, 2, 3} {
		fp, err := Compile(call("REGEXP_EXTRACT", in, s(pat), i(idx)))
		if err != nil {
			t.Fatal(err)
		}
		sp, err := Compile(call("REGEXP_EXTRACT", in, pc, ic))
		if err != nil {
			t.Fatal(err)
		}
		r := table.NewRow(table.Str("a=1&channel_id=5&b=2"), table.Str(pat), table.Int(idx))
		b, _ := sp(&r)
		var a table.Value
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("index %d: panic %v (plain %v)", idx, p, b)
				}
			}()
			a, _ = fp(&r)
			if !a.Equal(b) || a.IsNull() != b.IsNull() {
				t.Errorf("index %d: %v, plain %v", idx, a, b)
			}
		}()
	}
}

// A surrogate code point literal never matches (text decodes to U+FFFD),
// but string(rune(0xD800)) is "\uFFFD", which matchParam finds.
func TestReviewParamShapeSurrogateLiteral(t *testing.T) {
	re := regexp.MustCompile(`(a|^)\x{D800}([^&]*)`)
	f := newFastRegex(re)
	s := "\ufffdxyz"
	want := re.FindStringSubmatchIndex(s)
	if got := f.FindStringSubmatchIndex(s); !slices.Equal(got, want) {
		t.Errorf("%q: %v, regexp %v", s, got, want)
	}
}

// Random (a|^)lit([^c]*) shapes against the plain regexp.
func TestReviewParamShapeRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	as := []string{"a", "&", "b", `\.`, "=", `\n`, "é"}
	lits := []string{"a", "b", "&", "=", "é", `\.`, "ab", "aa", "ba", "a&", "&a", "=a", "é="}
	cs := []string{"&", "a", "b", "=", `\n`, `\.`, "é"}
	pieces := []string{"ab", "a", "b", "&", "=", "x", "\n", "é", "\xe9", "\xc3", "\xa9", ".", "aa", ""}
	var inputs []string
	for range 1000 {
		var sb strings.Builder
		for range rnd.IntN(9) {
			sb.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		inputs = append(inputs, sb.String())
	}
	n := 0
	for _, a := range as {
		for _, l := range lits {
			for _, c := range cs {
				pat := "(" + a + "|^)" + l + "([^" + c + "]*)"
				re := regexp.MustCompile(pat)
				f := newFastRegex(re)
				if f.param {
					n++
				}
				for _, s := range inputs {
					want := re.FindStringSubmatchIndex(s)
					if got := f.FindStringSubmatchIndex(s); !slices.Equal(got, want) {
						t.Fatalf("%q on %q: %v, regexp %v", pat, s, got, want)
					}
				}
			}
		}
	}
	t.Logf("param %d", n)
}
