package expr

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

// TestReviewLowerGroupRandom: random Calcs with several LOWER sites of
// the same x (IN, NOT IN, =, CASE chains; nested under CASE/AND/OR/NOT;
// overlapping constant lists with upper-case, duplicate and non-ASCII
// constants), Shared vs Compile, random subsets and orders per row.
func TestReviewLowerGroupRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(91, 92))
	ch := ColumnRef(0, "ch", table.StringType())
	n := ColumnRef(1, "n", table.StringType())
	// Nexmark's channel: a VARCHAR(1) column read as a STRING (an identity
	// cast: the group reads the column, identityColumn).
	chv := cast(ColumnRef(0, "chv", table.VarCharType(1)), table.StringType())
	xs := []Expr{ch, cast(cast(n, table.IntType()), table.StringType()), call("||", ch, s("x")), call("SUBSTRING", ch, i(2)), chv}
	consts := []string{"apple", "Apple", "google", "kiwi", "", "k", "K", "ä", "Ä", "i̇", "İ", "σ", "ς", "Σ", "ab", "applex", "12", "-3", "pplex", "x"}
	pick := func() []Expr {
		var es []Expr
		for range 1 + rnd.IntN(4) {
			es = append(es, s(consts[rnd.IntN(len(consts))]))
		}
		return es
	}
	lower := func(x Expr) Expr { return call("LOWER", x) }
	var site func(x Expr, d int) Expr
	site = func(x Expr, d int) Expr {
		switch rnd.IntN(7) {
		case 0, 1:
			return must(NewIn(lower(x), pick(), rnd.IntN(2) == 0))
		case 2:
			k := pick()[0]
			if rnd.IntN(2) == 0 {
				return call("=", k, lower(x))
			}
			return call("=", lower(x), k)
		case 3:
			if d > 0 {
				return must(NewNot(site(x, d-1)))
			}
			return must(NewIn(lower(x), pick(), true))
		case 4:
			if d > 0 {
				return must(NewAnd(site(x, d-1), site(xs[rnd.IntN(len(xs))], d-1)))
			}
		case 5:
			if d > 0 {
				return must(NewOr(site(x, d-1), site(x, d-1)))
			}
		case 6:
			if d > 0 {
				return must(NewCase([]When{{Cond: site(xs[rnd.IntN(len(xs))], d-1), Then: site(x, d-1)}}, site(x, d-1)))
			}
		}
		return must(NewIn(lower(x), pick(), false))
	}
	caseOf := func(x Expr) Expr {
		var whens []When
		for j := range 1 + rnd.IntN(4) {
			k := pick()[0]
			cond := call("=", lower(x), k)
			if rnd.IntN(2) == 0 {
				cond = call("=", k, lower(x))
			}
			whens = append(whens, When{Cond: cond, Then: s(fmt.Sprint(j))})
		}
		var els Expr = s("else")
		if rnd.IntN(2) == 0 {
			els = cast(call("+", cast(n, table.IntType()), i(1)), table.StringType())
		}
		return must(NewCase(whens, els))
	}
	chs := []table.Value{table.Null, table.Str("Apple"), table.Str("APPLE"), table.Str("apple"), table.Str("GOOGLE"),
		table.Str("\u212A"), table.Str("K"), table.Str("Ä"), table.Str("İ"), table.Str("Σ"), table.Str("ΑΣ"), table.Str("\xff"),
		table.Str(""), table.Str("a"), table.Str("Ab"), table.Str("Applex"), table.Str("xapple")}
	ns := []table.Value{table.Null, table.Str("12"), table.Str("-3"), table.Str("x"), table.Str("")}
	used := 0
	defer func() { t.Logf("groups used: %d", used) }()
	for round := 0; round < 300; round++ {
		var filters, exprs []Expr
		x := xs[rnd.IntN(len(xs))]
		for range 1 + rnd.IntN(3) {
			filters = append(filters, site(x, 2))
		}
		for range 1 + rnd.IntN(4) {
			if rnd.IntN(2) == 0 {
				exprs = append(exprs, caseOf(x))
			} else {
				exprs = append(exprs, site(x, 2))
			}
		}
		sh := NewShared(append(append([]Expr(nil), filters...), exprs...))
		var gotP, wantP []func(*table.Row) (bool, error)
		var got, want []Program
		for _, f := range filters {
			gotP = append(gotP, must2(sh.CompilePredicate(f)))
			wantP = append(wantP, must2(CompilePredicate(f)))
		}
		for _, e := range exprs {
			got = append(got, must2(sh.Compile(e)))
			want = append(want, must2(Compile(e)))
		}
		for _, g := range sh.lowers {
			if g.x != nil {
				used++
			}
		}
		row := new(table.Row)
		for range 200 {
			r := table.NewRow(chs[rnd.IntN(len(chs))], ns[rnd.IntN(len(ns))])
			*row = r
			sh.Next()
			sharedProgs{exprs, filters, got, want, gotP, wantP}.check(t, rnd, row, r, func() bool { return rnd.IntN(3) == 0 }, nil, nil)
		}
	}
}
