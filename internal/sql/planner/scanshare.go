package planner

import (
	"fmt"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Projection push-down into a shared scan: when several Calcs of the plans
// read one scan (equal subtrees, share.go; Nexmark q8 reads the nexmark
// table twice, for persons and for auctions), each would get a projected
// source of its own, and every source generates or reads all the input
// again. Instead one projected source reads the union of the paths the
// Calcs read, and each Calc reads its fields from the shared stream. Its
// rows reach several consumers, so no Calc writes into them.
//
// planScans finds those Calcs before translation, the way calc fuses them
// (fuseCalc, simplify) from the top of each chain; a Calc whose paths turn
// out not to be in the union when it is translated (a rewrite changed it
// in between) gets its own projected source, as before.

// scanShare is the shared projected source of a scan.
type scanShare struct {
	users   int
	failed  bool // a Calc over it cannot be pushed down
	pr      *projection
	rowtime expr.Expr // over pr's fields
	s       *stream.Stream[table.Row]
}

// planScans records, for each shared scan with a projectable source, the
// paths of the Calcs over it.
func (tr *translator) planScans(roots ...Node) {
	tr.scans = map[Node]*scanShare{}
	seen := map[Node]bool{}
	var visit func(n Node)
	visit = func(n Node) {
		if r, ok := tr.sh.rep[n]; ok {
			if seen[r] {
				return
			}
			seen[r] = true
		}
		c, ok := n.(*Calc)
		if !ok {
			for _, in := range n.Inputs() {
				visit(in)
			}
			return
		}
		f := fuseCalc(c, tr.shared)
		f.simplify()
		sc, ok := f.in.(*Scan)
		if !ok {
			visit(f.in)
			return
		}
		if !tr.shared(sc) || sc.Changelog {
			return
		}
		if _, can := tr.p.Factories[sc.Table.Connector].(connector.ProjectableTableSource); !can {
			return
		}
		r := tr.sh.rep[sc]
		sh := tr.scans[r]
		if sh == nil {
			sh = &scanShare{pr: &projection{index: map[string]int{}}}
			tr.scans[r] = sh
		}
		sh.users++
		for _, e := range append(append([]expr.Expr(nil), f.exprs...), f.filters...) {
			if _, ok := sh.pr.rewrite(e); !ok {
				sh.failed = true
			}
		}
	}
	for _, n := range roots {
		visit(n)
	}
	for r, sh := range tr.scans {
		sc := r.(*Scan)
		if sc.Rowtime != nil && !sh.failed {
			var ok bool
			if sh.rowtime, ok = sh.pr.rewrite(sc.Rowtime); !ok {
				sh.failed = true
			} else {
				sh.rowtime = calcFold(sh.rowtime)
			}
		}
	}
}

// sharedPushDown rewrites f over the shared projected source of sc; ok is
// false when sc has none or f reads a path outside it (f unchanged).
func (tr *translator) sharedPushDown(sc *Scan, f *fusedCalc) (s stream.Stream[table.Row], ok bool, err error) {
	if tr.scans == nil || !tr.shared(sc) {
		return s, false, nil
	}
	sh := tr.scans[tr.sh.rep[sc]]
	if sh == nil || sh.failed || sh.users < 2 {
		return s, false, nil
	}
	pr := &projection{paths: sh.pr.paths, index: make(map[string]int, len(sh.pr.index))}
	for k, v := range sh.pr.index {
		pr.index[k] = v
	}
	var filters, exprs []expr.Expr
	for _, e := range f.exprs {
		r, ok := pr.rewrite(e)
		if !ok || len(pr.paths) != len(sh.pr.paths) {
			return s, false, nil
		}
		exprs = append(exprs, r)
	}
	for _, c := range f.filters {
		r, ok := pr.rewrite(c)
		if !ok || len(pr.paths) != len(sh.pr.paths) {
			return s, false, nil
		}
		filters = append(filters, r)
	}
	if sh.s == nil {
		pf := tr.p.Factories[sc.Table.Connector].(connector.ProjectableTableSource)
		src, err := pf.ProjectedTableSource(tr.ctx, connector.TableContext{Name: sc.Table.Name, Schema: *sc.Table.Physical(), Options: sc.Table.Options}, sh.pr.paths)
		if err != nil {
			return s, false, fmt.Errorf("table `%s` (connector '%s'): %w", sc.Table.Name, sc.Table.Connector, err)
		}
		st, err := tr.scanStream(sc, src, sh.rowtime)
		if err != nil {
			return s, false, err
		}
		sh.s = &st
	}
	f.filters, f.exprs = filters, exprs
	return *sh.s, true, nil
}
