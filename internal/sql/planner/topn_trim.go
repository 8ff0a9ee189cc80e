package planner

import (
	"slices"

	"github.com/stromio/strom/internal/sql/expr"
)

// topNTrim rewrites the plan around an append-only ROW_NUMBER Top-N
// (topn_append.go) in the shape bindTopN makes: outer (the enclosing
// query's Calc, with its bound on the row number) over mid (the ranking
// SELECT's items) over the TopN over pre (its pre-projection: the
// SELECT's columns, then the PARTITION BY and ORDER BY expressions). It
// reports whether it changed anything.
//
//   - The bound `rn <= m` (m >= N), `rn < m` (m > N) on the row number
//     leaves outer's filter: the Top-N emits the row numbers 1..N only.
//   - pre's trailing columns that repeat an earlier column of the same
//     type (the PARTITION BY and ORDER BY columns of q19) leave the
//     Top-N's input: it partitions and orders by the earlier column, and
//     puts the repeats back into the rows it stores (TopN.Stored), so its
//     state keeps the layout it always had (same bytes, same UID). pre,
//     now a plain projection of the SELECT's columns, fuses with the Calcs
//     below it (written in place into a projected scan's rows), and pre
//     keeps its untrimmed expressions (rankExprs) for its operator's UID
//     number, as dedupTrim's.
//
// The Calc operator over the Top-N is then often the identity (q19: the
// SELECT's columns and the row number, in order) and makes no operator; it
// keeps its UID's number (movedUID), so later operators keep theirs.
func topNTrim(outer *Calc, parents map[Node]int) bool {
	mid, ok := outer.In.(*Calc)
	if !ok || mid.Filter != nil || parents[mid] != 1 {
		return false
	}
	t, ok := mid.In.(*TopN)
	if !ok || parents[t] != 1 || t.Func != RowNumber || t.WindowEnd >= 0 || t.In.Updating() || t.Stored != nil {
		return false
	}
	rank := len(t.In.Cols())
	isRank := map[int]bool{} // mid's columns that are the row number
	for i, e := range mid.Exprs {
		if c, ok := e.(*expr.Column); ok && c.Index == rank {
			isRank[i] = true
		}
	}
	changed := false
	if outer.Filter != nil {
		var keep []expr.Expr
		for _, c := range calcConjuncts(outer.Filter) {
			if rankBoundHolds(c, isRank, t.N) { // dedup.go
				continue
			}
			keep = append(keep, c)
		}
		if cs := calcConjuncts(outer.Filter); len(keep) < len(cs) {
			outer.Filter = andOf(keep)
			changed = true
		}
	}
	if topNTrimInput(t, mid, parents) {
		changed = true
	}
	if changed {
		mid.movedUID = true
	}
	return changed
}

// topNTrimInput drops pre's trailing repeated columns from t's input (see
// topNTrim) and remaps mid's references to t's columns.
func topNTrimInput(t *TopN, mid *Calc, parents map[Node]int) bool {
	pre, ok := t.In.(*Calc)
	if !ok || parents[pre] != 1 || pre.rankExprs != nil {
		return false
	}
	n := len(pre.Exprs)
	canon := make([]int, n)
	used := 0 // columns 0..used-1 stay
	for i := range n {
		canon[i] = canonCol(pre, i) // temporaljoin.go
		if a, b := pre.cols[i].Type, pre.cols[canon[i]].Type; canon[i] == i || !a.Equal(b) || a.TimeAttr() != b.TimeAttr() {
			// Not a repeat, or one of another type (a time attribute
			// the SELECT's copy of it lost): it stays, and so does every
			// column before it.
			canon[i] = i
			used = i + 1
		}
	}
	if used == n {
		return false
	}
	// mid's references: a repeat -> its earlier column, the row number ->
	// its new position.
	exprs := make([]expr.Expr, len(mid.Exprs))
	for i, e := range mid.Exprs {
		var ok bool
		exprs[i], ok = calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
			if c, ok := x.(*expr.Column); ok {
				k, name := used, t.cols[n].Name
				if c.Index < n {
					k = canon[c.Index]
					name = pre.cols[k].Name // the column read now (EXPLAIN: `k` AS k2)
				}
				return expr.ColumnRef(k, name, c.T), true
			}
			return nil, false
		})
		if !ok {
			return false
		}
	}
	t.Stored, t.stored = canon, slices.Clone(pre.cols)
	for i, k := range t.Partition {
		t.Partition[i] = canon[k]
	}
	for i := range t.Order {
		t.Order[i].Col = canon[t.Order[i].Col]
	}
	t.cols = append(slices.Clone(pre.cols[:used]), t.cols[n])
	pre.rankExprs = pre.Exprs
	pre.Exprs, pre.cols = pre.Exprs[:used:used], pre.cols[:used:used]
	mid.Exprs = exprs
	return true
}
