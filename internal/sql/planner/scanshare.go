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
	// readerTime: the rowtime is the readers' time (calc.go: readerTime).
	readerTime bool
	s          *stream.Stream[table.Row]
	// The filters of the Calcs that read s, each the AND of the simple
	// predicates (expr.SimplePredicate) of its filter; keepAll when one
	// reads s with no simple predicate in its filter. Read when the job starts (the pre-filter
	// below), after every Calc was translated.
	pre     [][]func(*table.Row) (bool, error)
	keepAll bool
}

// Pre-filter of a shared scan: the rows of the shared source go to every
// Calc that reads it, across channels (a fan-out cannot chain), and each
// Calc drops those its filter rejects (q8: both its Calcs drop the bids,
// 92 % of the rows). When every one of those Calcs has a filter with
// simple predicates among its conjuncts (deterministic, failing on no row
// of the scan), an operator chained to the source drops the rows that
// every Calc would drop (the OR of the ANDs of those predicates), before
// the fan-out; each Calc still applies its whole filter. Watermarks come from the source, which still sees every row.
//
// The rows it passes on are copies (carved from a block of values that is
// never written again), so it keeps no row of the source and emits none
// (stream.ProcessEachCopying): the source may build each batch in the
// rows of the batch before, whatever the Calcs after the fan-out keep.

// prefilter returns the function of the pre-filter of sh, per subtask.
func (sh *scanShare) prefilter() stream.ProcessFunc[table.Row, table.Row] {
	var block []table.Value
	emit := func(r table.Row, out stream.Emitter[table.Row]) {
		n := len(r.Fields)
		if len(block) < n {
			block = make([]table.Value, max(1024, n))
		}
		f := block[:n:n]
		block = block[n:]
		copy(f, r.Fields)
		out.Emit(table.Row{Kind: r.Kind, Fields: f})
	}
	if sh.keepAll || len(sh.pre) == 0 {
		return func(_ *stream.Context, r table.Row, out stream.Emitter[table.Row]) error {
			emit(r, out)
			return nil
		}
	}
	pre := sh.pre
	// The predicates read the row through a pointer: to the function's
	// own variable, one per subtask (a pointer to the parameter would
	// move it to the heap, an allocation per row). It is not read after
	// the call (the operator releases its input).
	var cur table.Row
	return func(_ *stream.Context, r table.Row, out stream.Emitter[table.Row]) error {
		cur = r
		for _, and := range pre {
			keep := true
			for _, p := range and {
				ok, err := p(&cur)
				if err != nil {
					return err
				}
				if !ok {
					keep = false
					break
				}
			}
			if keep {
				emit(r, out)
				return nil
			}
		}
		return nil
	}
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
		f.simplify(tr.copts)
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
			rt, err := tr.readerTime(sc)
			if err != nil {
				sh.failed = true // the error raised again where sc is translated
				continue
			}
			sh.readerTime = rt
			var ok bool
			if sh.rowtime, ok = sh.pr.rewrite(sc.Rowtime); !ok {
				sh.failed = true
			} else {
				sh.rowtime = calcFold(sh.rowtime, tr.copts)
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
		tc, err := tr.sourceContext(sc.Table)
		if err != nil {
			return s, false, err
		}
		src, err := pf.ProjectedTableSource(tr.ctx, tc, sh.pr.paths)
		if err != nil {
			return s, false, connErr(sc.Table, err)
		}
		st, err := tr.scanStream(sc, src, sh.rowtime, sh.readerTime)
		if err != nil {
			return s, false, err
		}
		// The pre-filter's UID has the scan's number (tr.n unchanged), so
		// the UIDs of the operators after it are those of plans before it.
		st = stream.ProcessEachCopying(st, sh.prefilter).Name("scan-prefilter").UID(fmt.Sprintf("sql-%d-prefilter", tr.n))
		tr.prefilters++
		sh.s = &st
	}
	// The simple conjuncts of the filter: the pre-filter passes a
	// superset of the rows the Calc keeps when it checks only some of them
	// (the conjuncts that filter push-down through joins adds, such as
	// q3's state IN (...), are not simple; event_type = 1 is).
	var and []func(*table.Row) (bool, error)
	for _, c := range filters {
		if p := expr.SimplePredicate(c); p != nil {
			and = append(and, p)
		}
	}
	if and == nil {
		sh.keepAll = true
	} else {
		sh.pre = append(sh.pre, and)
	}
	f.filters, f.exprs = filters, exprs
	return *sh.s, true, nil
}
