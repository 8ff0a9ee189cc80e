package planner

import (
	"reflect"

	"github.com/stromio/strom/internal/sql/expr"
)

// Column pruning below a regular join (physical translation only): a Calc
// over a RegularJoin that reads only some of the join's columns gets a join
// of narrowed inputs (each a Calc of the columns read plus the keys), so
// the join keeps less in its state forever and the projections below it
// (down to the source, through projection push-down) read less. Nexmark
// q7 keeps every bid without channel and url.
//
// joinFields is the number of fields of RegularJoin this rewrite knows
// (Kind, L, R, LKeys, RKeys, NullSafe, Cond, TTL, cols): a join that grew another
// field is left alone rather than rewritten without it
// (TestPruneKnowsRegularJoin fails then, so the rewrite is not lost
// silently).
const joinFields = 9

// pruneJoin narrows f's input join j when f reads only some of its
// columns; f is rewritten over the new join.
func (tr *translator) pruneJoin(f *fusedCalc, j *RegularJoin) {
	if reflect.TypeOf(*j).NumField() != joinFields || tr.shared(j) {
		return
	}
	read := append(append([]expr.Expr(nil), f.filters...), f.exprs...)
	if j.Cond != nil {
		read = append(read, j.Cond) // over the joined row, like the Calc
	}
	uses, ok := calcColumnUses(read)
	if !ok {
		return
	}
	nl, nr := len(j.L.Cols()), len(j.R.Cols())
	need := make([]bool, nl+nr)
	for i := range uses {
		if i < 0 || i >= nl+nr {
			return
		}
		need[i] = true
	}
	for _, k := range j.LKeys {
		need[k] = true
	}
	for _, k := range j.RKeys {
		need[nl+k] = true
	}
	remap := make([]int, nl+nr) // old join column -> new, -1: pruned
	var lcols, rcols []int
	n := 0
	for i := range need {
		remap[i] = -1
		if need[i] {
			remap[i] = n
			n++
			if i < nl {
				lcols = append(lcols, i)
			} else {
				rcols = append(rcols, i-nl)
			}
		}
	}
	if n == nl+nr {
		return // every column is read
	}
	narrow := func(in Node, cols []int) Node {
		if len(cols) == len(in.Cols()) {
			return in
		}
		c := &Calc{In: in}
		for _, i := range cols {
			col := in.Cols()[i]
			c.Exprs = append(c.Exprs, expr.ColumnRef(i, col.Name, col.Type))
			c.cols = append(c.cols, col)
		}
		return c
	}
	nj := &RegularJoin{Kind: j.Kind, L: narrow(j.L, lcols), R: narrow(j.R, rcols), TTL: j.TTL, NullSafe: j.NullSafe}
	pos := func(cols []int, k int) int {
		for i, c := range cols {
			if c == k {
				return i
			}
		}
		return -1
	}
	for _, k := range j.LKeys {
		nj.LKeys = append(nj.LKeys, pos(lcols, k))
	}
	for _, k := range j.RKeys {
		nj.RKeys = append(nj.RKeys, pos(rcols, k))
	}
	for i := range need {
		if need[i] {
			nj.cols = append(nj.cols, j.cols[i])
		}
	}
	rewrite := func(e expr.Expr) (expr.Expr, bool) {
		return calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
			if c, ok := x.(*expr.Column); ok {
				return expr.ColumnRef(remap[c.Index], c.Name, c.T), true
			}
			return nil, false
		})
	}
	if j.Cond != nil {
		if nj.Cond, ok = rewrite(j.Cond); !ok {
			return
		}
	}
	filters := make([]expr.Expr, len(f.filters))
	exprs := make([]expr.Expr, len(f.exprs))
	for i, c := range f.filters {
		if filters[i], ok = rewrite(c); !ok {
			return
		}
	}
	for i, e := range f.exprs {
		if exprs[i], ok = rewrite(e); !ok {
			return
		}
	}
	f.in, f.filters, f.exprs = nj, filters, exprs
}
