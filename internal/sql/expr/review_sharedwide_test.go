package expr

import (
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

// TestReviewSharedWide: Shared vs Compile with a wider generator (CHAR,
// VARCHAR(n), DECIMAL, TIMESTAMP(_LTZ) casts, TRY_CAST, MOD by literals
// of several types, LOWER CASEs), expressions repeated so calls are shared.
func TestReviewSharedWide(t *testing.T) {
	rnd := rand.New(rand.NewPCG(31, 32))
	g := &rvGen{r: rnd}
	rows := rvRows(rand.New(rand.NewPCG(7, 8)), 120)
	for round := 0; round < 400; round++ {
		var filters, exprs []Expr
		for range 1 + rnd.IntN(2) {
			filters = append(filters, g.cond(3))
		}
		for range 2 + rnd.IntN(5) {
			exprs = append(exprs, g.any(3))
		}
		exprs = append(exprs, exprs[rnd.IntN(len(exprs))], filters[0])
		filters = append(filters, exprs[0:1]...)
		if filters[len(filters)-1].Type().Root() != table.RootBoolean {
			filters = filters[:len(filters)-1]
		}
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
		for _, r := range rows {
			*row = r
			sh.Next()
			sharedProgs{exprs, filters, got, want, gotP, wantP}.check(t, rnd, row, r, func() bool { return rnd.IntN(3) == 0 }, nil, nil)
		}
	}
}
