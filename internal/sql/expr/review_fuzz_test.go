package expr

import (
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

type reviewGen struct{ rnd *rand.Rand }

func (g *reviewGen) str(d int) Expr {
	s0 := ColumnRef(0, "s0", table.StringType())
	s1 := ColumnRef(1, "s1", table.StringType())
	v := ColumnRef(4, "v", table.VarCharType(2))
	if d <= 0 {
		switch g.rnd.IntN(4) {
		case 0:
			return s0
		case 1:
			return s1
		case 2:
			return cast(v, table.StringType())
		}
		return s([]string{"a", "A/b", ""}[g.rnd.IntN(3)])
	}
	switch g.rnd.IntN(10) {
	case 0:
		return call("LOWER", g.str(d-1))
	case 1:
		return call("UPPER", g.str(d-1))
	case 2, 3:
		return call("SPLIT_INDEX", g.str(d-1), s([]string{"/", "a", "//"}[g.rnd.IntN(3)]), i(int64(g.rnd.IntN(4))))
	case 4:
		return must(NewCase([]When{{Cond: g.cond(d - 1), Then: g.str(d - 1)}}, g.str(d-1)))
	case 5:
		x := g.str(0)
		return must(NewCase([]When{{Cond: call("=", call("LOWER", x), s("a")), Then: g.str(d - 1)},
			{Cond: call("=", s("a/b"), call("LOWER", x)), Then: g.str(d - 1)}}, g.str(d-1)))
	case 6:
		return must(NewCoalesce(g.str(d-1), g.str(d-1)))
	case 7:
		return cast(g.num(d-1), table.StringType())
	case 8:
		return call("REGEXP_EXTRACT", g.str(d-1), s("(&|^)c=([^&]*)"), i(int64(g.rnd.IntN(3))))
	}
	return call("||", g.str(d-1), g.str(d-1))
}

func (g *reviewGen) num(d int) Expr {
	n := ColumnRef(2, "n", table.IntType())
	b := ColumnRef(3, "b", table.BigIntType())
	if d <= 0 {
		switch g.rnd.IntN(3) {
		case 0:
			return n
		case 1:
			return b
		}
		return i(int64(g.rnd.IntN(5) - 2))
	}
	switch g.rnd.IntN(6) {
	case 0:
		return call("/", i(10), g.num(d-1))
	case 1:
		return call("MOD", b, i(int64(g.rnd.IntN(5)+1)))
	case 2:
		return cast(g.str(d-1), table.IntType())
	case 3:
		return must(NewCase([]When{{Cond: g.cond(d - 1), Then: g.num(d - 1)}}, g.num(d-1)))
	case 4:
		return call("+", g.num(d-1), g.num(d-1))
	}
	return call("CHAR_LENGTH", g.str(d-1))
}

func (g *reviewGen) cond(d int) Expr {
	if d <= 0 {
		return call("=", call("LOWER", g.str(0)), s("a"))
	}
	switch g.rnd.IntN(9) {
	case 0:
		return call("=", g.str(d-1), g.str(d-1))
	case 1:
		return call(">", g.num(d-1), i(0))
	case 2:
		return NewIsNull(g.str(d-1), g.rnd.IntN(2) == 0)
	case 3:
		return must(NewAnd(g.cond(d-1), g.cond(d-1)))
	case 4, 5:
		return must(NewOr(g.cond(d-1), g.cond(d-1), g.cond(d-1)))
	case 6:
		return must(NewNot(g.cond(d - 1)))
	case 7:
		return must(NewIn(call("LOWER", g.str(d-1)), []Expr{s("a"), s("a/b")}, g.rnd.IntN(2) == 0))
	}
	return call("=", call("MOD", ColumnRef(3, "b", table.BigIntType()), i(3)), i(int64(g.rnd.IntN(3)-1)))
}

func TestReviewSharedFuzz(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 12))
	g := &reviewGen{rnd: rnd}
	texts := []table.Value{table.Null, table.Str(""), table.Str("a"), table.Str("A/b"), table.Str("x/a//b"), table.Str("7"),
		table.Str("&c=1&d"), table.Str("c=A/"), table.Str("//"), table.Str("Ä/a"), table.Str("\xff/a")}
	nums := []table.Value{table.Null, table.Int(0), table.Int(1), table.Int(-2), table.Int(7)}
	for round := 0; round < 300; round++ {
		var filters, exprs []Expr
		for range 1 + rnd.IntN(2) {
			filters = append(filters, g.cond(3))
		}
		for range 2 + rnd.IntN(5) {
			if rnd.IntN(2) == 0 {
				exprs = append(exprs, g.str(3))
			} else {
				exprs = append(exprs, g.num(3))
			}
		}
		// Repeat some expressions so that the calls are shared.
		exprs = append(exprs, exprs[rnd.IntN(len(exprs))])
		filters = append(filters, filters[0])
		sh := NewShared(append(append([]Expr(nil), filters...), exprs...))
		var got, want []Program
		var gotP, wantP []func(*table.Row) (bool, error)
		for _, f := range filters {
			gotP = append(gotP, must2(sh.CompilePredicate(f)))
			wantP = append(wantP, must2(CompilePredicate(f)))
		}
		for _, e := range exprs {
			got = append(got, must2(sh.Compile(e)))
			want = append(want, must2(Compile(e)))
		}
		row := new(table.Row)
		for k := 0; k < 200; k++ {
			r := table.NewRow(texts[rnd.IntN(len(texts))], texts[rnd.IntN(len(texts))], nums[rnd.IntN(len(nums))],
				nums[rnd.IntN(len(nums))], texts[rnd.IntN(len(texts))])
			*row = r
			sh.Next()
			sharedProgs{exprs, filters, got, want, gotP, wantP}.check(t, rnd, row, r, func() bool { return rnd.IntN(3) == 0 }, nil, nil)
		}
	}
}
