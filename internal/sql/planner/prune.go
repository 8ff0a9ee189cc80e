package planner

import (
	"reflect"
	"sync/atomic"

	"github.com/stromio/strom/connector"
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
	rewrite := remapColumns(remap)
	if j.Cond != nil {
		if nj.Cond, ok = rewrite(j.Cond); !ok {
			return
		}
	}
	filters, exprs, ok := f.remapped(rewrite)
	if !ok {
		return
	}
	f.in, f.filters, f.exprs = nj, filters, exprs
}

// remapColumns returns a rewrite of an expression whose column i becomes
// column remap[i] (pruneJoin, pruneLookupJoin).
func remapColumns(remap []int) func(expr.Expr) (expr.Expr, bool) {
	return func(e expr.Expr) (expr.Expr, bool) {
		return calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
			if c, ok := x.(*expr.Column); ok {
				return expr.ColumnRef(remap[c.Index], c.Name, c.T), true
			}
			return nil, false
		})
	}
}

// remapped is the Calc's filters and expressions rewritten by rewrite
// (remapColumns); false when one of them cannot be.
func (f *fusedCalc) remapped(rewrite func(expr.Expr) (expr.Expr, bool)) (filters, exprs []expr.Expr, ok bool) {
	if filters, ok = remapAll(f.filters, rewrite); !ok {
		return nil, nil, false
	}
	if exprs, ok = remapAll(f.exprs, rewrite); !ok {
		return nil, nil, false
	}
	return filters, exprs, true
}

// remapAll is es rewritten by rewrite (remapColumns); false when one of
// them cannot be.
func remapAll(es []expr.Expr, rewrite func(expr.Expr) (expr.Expr, bool)) ([]expr.Expr, bool) {
	out := make([]expr.Expr, len(es))
	for i, e := range es {
		var ok bool
		if out[i], ok = rewrite(e); !ok {
			return nil, false
		}
	}
	return out, true
}

// Column pruning below a lookup join: a Calc over an unshared LookupJoin
// that reads only some of the left input's columns narrows the left
// input's Calc to the columns read (by the Calc, the lookup keys and the
// residual condition), so the projection below it reads and converts
// fewer source fields, the join copies fewer into each output row, and
// the Calc moves fewer. Nexmark q13 (`SELECT *, PROCTIME() ... FROM bid`
// joined, then four bid columns and the side value selected) no longer
// carries channel, url, extra and p_time through the join.
//
// The left Calc is narrowed in place (a copy of it with fewer outputs),
// so the operators and their UIDs are the same: only when its chain ends
// at a projectable scan (calc.go: pushDown), whose Calc is an operator
// whatever it selects. Only outputs that cannot fail are dropped (a row
// that failed in an unread output fails still): cannotFail of the output
// fused with the Calcs below (a view's column).
//
// The UID numbering of the whole plan is the unpruned plan's (a savepoint
// of it restores): the rewrite is not made when the narrowed left chain
// would take another number of UIDs (fuseCalc's passed, calcStrictOps)
// or the Calc above would become the identity (no operator, no number).
// TestPruneLookupJoinKeepsUIDs compares the UIDs with those of plans
// built with the rewrite off (DisableLookupJoinPruning).
//
// lookupJoinFields is the number of fields of LookupJoin this rewrite
// knows (Kind, L, Table, R, LKeys, RKeys, NullSafe, Cond, cols;
// TestPruneKnowsLookupJoin).
const lookupJoinFields = 9

// pruneLookupJoin narrows the left input of f's input j when f reads only
// some of its columns; f is rewritten over the new join.
func (tr *translator) pruneLookupJoin(f *fusedCalc, j *LookupJoin) {
	if reflect.TypeOf(*j).NumField() != lookupJoinFields || tr.shared(j) {
		return
	}
	c, ok := j.L.(*Calc)
	if !ok || tr.shared(c) || c.rankExprs != nil || c.unionCast {
		return
	}
	if pruneLookupJoinOff.Load() {
		return
	}
	g := fuseCalc(c, tr.shared)
	if !tr.projectableScan(g.in) {
		return
	}
	nl, nr := len(c.Cols()), len(j.R.Cols())
	if nl != len(c.Exprs) || len(g.exprs) != nl || len(j.cols) != nl+nr {
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
	keyUses, ok := calcColumnUses(j.LKeys) // over the left row
	if !ok {
		return
	}
	need := make([]bool, nl)
	for i := range uses {
		if i < 0 || i >= nl+nr {
			return
		}
		if i < nl {
			need[i] = true
		}
	}
	for i := range keyUses {
		if i < 0 || i >= nl {
			return
		}
		need[i] = true
	}
	remap := make([]int, nl+nr) // old joined column -> new, -1: pruned
	n := 0
	for i := range nl {
		// g.exprs[i]: over the scan, with the Calcs below c (a view's
		// failing column that only this output reads; review of branch
		// sqlscan, M1).
		if !need[i] && !cannotFail(g.exprs[i]) {
			need[i] = true // kept: it may fail
		}
		remap[i] = -1
		if need[i] {
			remap[i] = n
			n++
		}
	}
	if n == nl {
		return // every column is read
	}
	for i := range nr {
		remap[nl+i] = n + i
	}
	cc := *c
	cc.Exprs, cc.cols = nil, nil
	for i := range nl {
		if need[i] {
			cc.Exprs = append(cc.Exprs, c.Exprs[i])
			cc.cols = append(cc.cols, c.cols[i])
		}
	}
	// The left chain takes the UID numbers it took unpruned (calc:
	// f.passed, calcStrictOps): a column read twice by the dropped
	// outputs and once by the kept ones may fuse otherwise (review of
	// branch sqlscan, H2).
	if h := fuseCalc(&cc, tr.shared); h.in != g.in || h.passed != g.passed ||
		(g.passed > 0 && tr.calcStrictOps(&cc, h.in) != tr.calcStrictOps(c, g.in)) {
		return
	}
	rewrite := remapColumns(remap)
	nj := *j
	nj.L = &cc
	if nj.LKeys, ok = remapAll(j.LKeys, rewrite); !ok {
		return
	}
	if j.Cond != nil {
		if nj.Cond, ok = rewrite(j.Cond); !ok {
			return
		}
	}
	nj.cols = nil
	for i, col := range j.cols {
		if i >= nl || need[i] {
			nj.cols = append(nj.cols, col)
		}
	}
	filters, exprs, ok := f.remapped(rewrite)
	if !ok {
		return
	}
	// The Calc above stays an operator (calc: an identity takes no UID
	// number, renumbering every later operator; review of branch
	// sqlscan, H1).
	if calcIdentity(filters, exprs, len(nj.cols)) {
		return
	}
	f.in, f.filters, f.exprs = &nj, filters, exprs
}

// calcIdentity reports whether a Calc of filters and exprs over n columns
// is the identity (calc makes no operator of it).
func calcIdentity(filters, exprs []expr.Expr, n int) bool {
	if len(filters) > 0 || len(exprs) != n {
		return false
	}
	for i, e := range exprs {
		if c, ok := e.(*expr.Column); !ok || c.Index != i {
			return false
		}
	}
	return true
}

// pruneLookupJoinOff turns pruneLookupJoin off (tests: the unpruned
// reference plan).
var pruneLookupJoinOff atomic.Bool

// DisableLookupJoinPruning turns the pruning below lookup joins off, for
// the plans translated until the returned function restores it: tests
// compare a pruned plan with the unpruned one (UIDs, rows). Not for
// parallel tests.
func DisableLookupJoinPruning() (restore func()) {
	old := pruneLookupJoinOff.Swap(true)
	return func() { pruneLookupJoinOff.Store(old) }
}

// cannotFail reports whether evaluating e never raises an error: the
// shapes of expr.ErrorFree, ROW field accesses over a column (NULL over a
// NULL ROW) and PROCTIME().
func cannotFail(e expr.Expr) bool {
	if _, ok := calcFieldPath(e); ok || expr.ErrorFree(e) {
		return true
	}
	x, ok := e.(*expr.Call)
	return ok && x.Name == "PROCTIME" && len(x.Args) == 0
}

// projectableScan reports whether n is an unshared scan whose Calcs read
// a projected source (calc.go: pushDown): a Calc over it is an operator
// whatever it selects.
func (tr *translator) projectableScan(n Node) bool {
	sc, ok := n.(*Scan)
	if !ok || sc.Changelog || tr.shared(sc) {
		return false
	}
	_, can := tr.p.Factories[sc.Table.Connector].(connector.ProjectableTableSource)
	return can
}
