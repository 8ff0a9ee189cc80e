package expr

import (
	"fmt"
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
			for _, j := range rnd.Perm(len(exprs) + len(filters)) {
				if rnd.IntN(3) == 0 {
					continue
				}
				if j >= len(exprs) {
					j -= len(exprs)
					a, ea := gotP[j](row)
					b, eb := wantP[j](&r)
					if a != b || fmt.Sprint(ea) != fmt.Sprint(eb) {
						t.Fatalf("filter %v over %v: %v, %v; want %v, %v", filters[j], r.Fields, a, ea, b, eb)
					}
					continue
				}
				a, ea := got[j](row)
				b, eb := want[j](&r)
				if !a.Equal(b) || a.IsNull() != b.IsNull() || fmt.Sprint(ea) != fmt.Sprint(eb) {
					t.Fatalf("%v over %v: %v, %v; want %v, %v", exprs[j], r.Fields, a, ea, b, eb)
				}
			}
		}
	}
}
