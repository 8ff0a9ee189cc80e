package planner

import (
	"fmt"
	"sync/atomic"

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
// Calcs read, and each Calc reads its fields from the shared stream (run
// by the source's pre-filter, below). Its rows reach several Calcs, so no
// Calc writes into them.
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
	// The Calcs that read s, in the order they were translated. Read
	// when the job starts (the pre-filter below), after every Calc was
	// translated.
	consumers []*scanConsumer
}

// scanConsumer is a Calc over a shared scan, run by the scan's pre-filter.
type scanConsumer struct {
	// pre: the AND of the simple predicates (expr.SimplePredicate) of
	// the Calc's filter; nil when it has none (every row reaches it).
	pre []func(*table.Row) (bool, error)
	// newFn: the Calc's function, per subtask (set when the Calc is
	// translated; a Calc whose translation failed has none).
	newFn func() stream.ProcessFunc[table.Row, table.Row]
	// uid: the UID the Calc would have as an operator of its own
	// (sql-N-calc), which its errors name.
	uid string
	tag stream.OutputTag[table.Row]
	sh  *scanShare
}

// Pre-filter of a shared scan: one operator chained to the shared source
// (`scan-prefilter`, UID sql-N-prefilter) runs the Calcs that read it,
// each on the rows its filter's simple predicates (deterministic, failing
// on no row of the scan) keep, and sends what each Calc emits to a side
// output of its own, which the operators after that Calc read. A row
// crosses no channel before its Calc, only the rows a Calc keeps cross
// one after it, and no Calc sees the rows meant for another (q4, q9: the
// auctions' Calc no longer receives and rejects the bids, 92 % of the
// rows, and the bids' Calc the auctions). Each Calc still applies its
// whole filter. Watermarks come from the source, which sees every row;
// the side outputs carry them as the main output does.
//
// The Calcs over a shared source never write into its rows (calc.go:
// inPlace) and emit rows of their own (an array of their own each: their
// emitter is not one that releases, stream.EmitterReleases; a fresh one,
// or one the receivers gave back across the channel once done with it,
// rowpool.go), so the operator keeps no row of the source and emits none
// (stream.ProcessEachCopying): the source builds each batch in the rows
// of the batch before (connector.RecordReuser), and nothing copies a row
// before its Calc.
//
// The Calcs are no operators of their own: a savepoint of a plan that had
// them restores (they hold no state, internal/cluster: an operator the
// job no longer has is refused only when the checkpoint holds state of
// it), and each still takes its number, so the UIDs of the operators
// after it are unchanged.

// sideEmitter emits to a side output of the pre-filter, with the
// timestamp of the row being processed.
type sideEmitter struct {
	ctx *stream.Context
	tag stream.OutputTag[table.Row]
}

func (e *sideEmitter) Emit(r table.Row) { e.tag.Emit(e.ctx, r) }

// calcRowsCounted: the pre-filters made from now on count in calcRows the
// rows they hand to a Calc's function (set by tests, before a job starts:
// they read it when the job builds them, not per row).
var (
	calcRowsCounted bool
	calcRows        atomic.Int64
)

// prefilter returns the function of the pre-filter of sh, per subtask.
func (sh *scanShare) prefilter() stream.ProcessFunc[table.Row, table.Row] {
	counted := calcRowsCounted
	type consumer struct {
		pre []func(*table.Row) (bool, error)
		fn  stream.ProcessFunc[table.Row, table.Row]
		out *sideEmitter
		uid string
	}
	var cs []consumer
	for _, c := range sh.consumers {
		if c.newFn != nil {
			cs = append(cs, consumer{pre: c.pre, fn: c.newFn(), out: &sideEmitter{tag: c.tag}, uid: c.uid})
		}
	}
	// The predicates read the row through a pointer: to the function's
	// own variable, one per subtask (a pointer to the parameter would
	// move it to the heap, an allocation per row). It is not read after
	// the call (the operator releases its input).
	var cur table.Row
	return func(ctx *stream.Context, r table.Row, _ stream.Emitter[table.Row]) error {
		cur = r
	next:
		for i := range cs {
			c := &cs[i]
			for _, p := range c.pre {
				ok, err := p(&cur)
				if err != nil {
					return err
				}
				if !ok {
					continue next
				}
			}
			c.out.ctx = ctx
			if counted {
				calcRows.Add(1)
			}
			if err := c.fn(ctx, r, c.out); err != nil {
				// The job reports the pre-filter's operator: name the
				// Calc (which INSERT of a statement set failed).
				return fmt.Errorf("calc %s: %w", c.uid, err)
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

// sharedPushDown rewrites f over the shared projected source of sc and
// returns the Calc's place among the source's consumers; nil when sc has
// none or f reads a path outside it (f unchanged). The Calc's function
// is then run by the pre-filter (the consumer's newFn, set by calc), and
// its rows are those of the consumer's side output (scanConsumer.out).
func (tr *translator) sharedPushDown(sc *Scan, f *fusedCalc) (c *scanConsumer, err error) {
	if tr.scans == nil || !tr.shared(sc) {
		return nil, nil
	}
	sh := tr.scans[tr.sh.rep[sc]]
	if sh == nil || sh.failed || sh.users < 2 {
		return nil, nil
	}
	pr := &projection{paths: sh.pr.paths, index: make(map[string]int, len(sh.pr.index))}
	for k, v := range sh.pr.index {
		pr.index[k] = v
	}
	var filters, exprs []expr.Expr
	for _, e := range f.exprs {
		r, ok := pr.rewrite(e)
		if !ok || len(pr.paths) != len(sh.pr.paths) {
			return nil, nil
		}
		exprs = append(exprs, r)
	}
	for _, c := range f.filters {
		r, ok := pr.rewrite(c)
		if !ok || len(pr.paths) != len(sh.pr.paths) {
			return nil, nil
		}
		filters = append(filters, r)
	}
	if sh.s == nil {
		pf := tr.p.Factories[sc.Table.Connector].(connector.ProjectableTableSource)
		tc, err := tr.sourceContext(sc.Table)
		if err != nil {
			return nil, err
		}
		src, err := pf.ProjectedTableSource(tr.ctx, tc, sh.pr.paths)
		if err != nil {
			return nil, connErr(sc.Table, err)
		}
		st, err := tr.scanStream(sc, src, sh.rowtime, sh.readerTime)
		if err != nil {
			return nil, err
		}
		// The pre-filter's UID has the scan's number (tr.n unchanged), so
		// the UIDs of the operators after it are those of plans before it.
		st = stream.ProcessEachCopying(st, sh.prefilter).Name("scan-prefilter").UID(fmt.Sprintf("sql-%d-prefilter", tr.n))
		tr.prefilters++
		sh.s = &st
	}
	// The simple conjuncts of the filter: the pre-filter runs the Calc on
	// a superset of the rows it keeps when it checks only some of them
	// (the conjuncts that filter push-down through joins adds, such as
	// q3's state IN (...), are not simple; event_type = 1 is).
	c = &scanConsumer{sh: sh, tag: stream.NewOutputTag[table.Row](fmt.Sprintf("calc-%d", len(sh.consumers)))}
	for _, e := range filters {
		if p := expr.SimplePredicate(e); p != nil {
			c.pre = append(c.pre, p)
		}
	}
	sh.consumers = append(sh.consumers, c)
	f.filters, f.exprs = filters, exprs
	return c, nil
}

// stream is the stream of the rows the consumer's Calc emits (newFn).
func (c *scanConsumer) out() stream.Stream[table.Row] {
	return stream.SideOutput(*c.sh.s, c.tag)
}
