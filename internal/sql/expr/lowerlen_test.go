package expr

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stromio/strom/table"
)

// TestLowerToASCII: the only non-ASCII runes whose lower-case form has an
// ASCII byte are U+0130 and U+212A (lowerLens relies on it), and an
// invalid byte lowers to U+FFFD.
func TestLowerToASCII(t *testing.T) {
	var got []rune
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		l := strings.ToLower(string(r))
		for i := 0; i < len(l); i++ {
			if l[i] < utf8.RuneSelf {
				got = append(got, r)
				break
			}
		}
	}
	if len(got) != 2 || got[0] != 0x130 || got[1] != 0x212A {
		t.Fatalf("runes lowering to ASCII: %U", got)
	}
	if strings.ToLower("\u0130") != "i" || strings.ToLower("\u212A") != "k" || strings.ToLower("\xff") != "\uFFFD" {
		t.Fatal("lower-case forms changed")
	}
}

// TestLowerIndexLengths: lowerIndex with lowerLens' bounds against
// strings.ToLower and a comparison with each constant, on random texts
// of ASCII letters, U+0130, U+212A, other multi-byte letters and invalid
// bytes, and random constant lists (ASCII with and without i and k,
// non-ASCII, empty).
func TestLowerIndexLengths(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	parts := []string{"a", "A", "i", "I", "k", "K", "\u0130", "\u212A", "e", "B", "-", "1", "ä", "Ä", "σ", "Σ", "\xff", "ſ", "ǅ"}
	consts := []string{"apple", "google", "facebook", "baidu", "kiwi", "k", "i", "", "ik", "kk", "ä", "σ", "ab", "apple\xff", "channel-1"}
	gen := func() string {
		var b strings.Builder
		for range rnd.IntN(10) {
			b.WriteString(parts[rnd.IntN(len(parts))])
		}
		return b.String()
	}
	for range 20000 {
		var ks []string
		for range 1 + rnd.IntN(4) {
			k := consts[rnd.IntN(len(consts))]
			if rnd.IntN(3) == 0 {
				k = strings.ToLower(gen()) // a form some text can have
			}
			ks = append(ks, k)
		}
		lens := lowerLens(ks)
		for range 20 {
			s := gen()
			if rnd.IntN(3) == 0 {
				// A text equal to a constant but for case and the two
				// runes that lower to ASCII.
				k := []rune(ks[rnd.IntN(len(ks))])
				for j, r := range k {
					switch {
					case r == 'i' && rnd.IntN(2) == 0:
						k[j] = '\u0130'
					case r == 'k' && rnd.IntN(2) == 0:
						k[j] = '\u212A'
					case rnd.IntN(2) == 0:
						k[j] = unicode.ToUpper(r)
					}
				}
				s = string(k)
			}
			want, l := -1, strings.ToLower(s)
			for j, k := range ks {
				if l == k {
					want = j
					break
				}
			}
			if got := lowerIndex(s, ks, lens); got != want {
				t.Fatalf("lowerIndex(%q, %q, %v) = %d, want %d", s, ks, lens, got, want)
			}
		}
	}
}

// TestLowerGroupIdentityCast: a group over an identity cast of a column
// forms (its two sites compiled) and reads the column (identityColumn),
// not the cast's program.
func TestLowerGroupIdentityCast(t *testing.T) {
	chv := cast(ColumnRef(1, "chv", table.VarCharType(1)), table.StringType())
	in := must(NewIn(call("LOWER", chv), []Expr{s("apple"), s("kiwi")}, false))
	cs := must(NewCase([]When{{Cond: call("=", call("LOWER", chv), s("kiwi")), Then: s("k")}}, s("e")))
	sh := NewShared([]Expr{in, cs})
	must2(sh.CompilePredicate(in))
	must2(sh.Compile(cs))
	if len(sh.lowers) != 1 {
		t.Fatalf("%d groups, want 1", len(sh.lowers))
	}
	for _, g := range sh.lowers {
		if g.x == nil {
			t.Fatal("the group did not form (its sites evaluate on their own)")
		}
		if g.col != 1 {
			t.Fatalf("group column %d, want 1", g.col)
		}
	}
	if identityColumn(cast(ColumnRef(0, "n", table.IntType()), table.StringType())) != -1 {
		t.Fatal("a cast of an INT to STRING is not the identity")
	}
}
