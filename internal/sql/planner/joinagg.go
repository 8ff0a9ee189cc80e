package planner

import (
	"fmt"
	"slices"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// The join fused with its aggregation (UID kind join-agg; EXPLAIN's
// GroupAggregate(..., fusedJoin=[true])): a GROUP BY over a Calc over a
// regular inner join in the unique mode (uniquekey.go: both inputs
// insert-only, one side with at most one row per join key, ever) whose
// grouping keys are columns of the unique side that include all of its
// join key columns. Every pair of a join key then has the same unique
// row, so the same grouping key, and two join keys never share one: the
// aggregation's groups are the join's keys. Nexmark q4: MAX(B.price)
// GROUP BY A.id, A.category over auction A JOIN bid B ON A.id = B.auction.
//
// One keyed operator (keyed by the join key) does what the join, the Calc
// and the aggregation did: it keeps the unique row, the other side's rows
// that came before it, and the aggregation's accumulators (the GROUP BY's
// "acc" state, its per-row or mini-batch operator run inside it). A pair
// is made in a scratch row, never emitted: the residual join condition
// and the Calc's filter and projection are evaluated on it, and the
// projected row goes straight into the aggregation. The pairs are those
// the join would emit, in its order (regularJoinFn.process's unique
// mode: a unique row pairs with the rows that waited for it, in the order
// they came, and later rows pair with it at once), and the values are
// those the join would put in them (the arriving row's own, a stored
// row's as decoded, the unique row's cached copy as Decode gives it), so
// the aggregation sees the rows it saw behind the Calc, in the same
// order, and emits the same changelog. Under mini-batch its bundles count
// the same rows (the pairs the Calc lets through) and end at the same
// barriers and at the end of the input (operator.KeyedCoProcess: Full,
// FlushWatermark, the latency timer), so at parallelism 1 the bundles
// are the same too; at a higher one the aggregation's subtasks are keyed
// by the join key rather than the grouping key: each key's rows come in
// the same order and its final result is the same, but the subtasks'
// bundles are cut elsewhere, so the changes a bundle coalesces may
// differ, as the latency timer already makes them differ by processing
// time.
//
// The state TTL ('table.exec.state.ttl') is honoured as the two operators
// did: each of the three states lives that long after its last write (the
// unique row's expiry lets later rows of its key wait again, as in the
// join), and the cache of decoded unique rows by key is off: a cache
// keyed by the rows' bytes, as the join's, decodes each once.
//
// Fusion is limited to MAX, MIN, COUNT, SUM and AVG without DISTINCT
// (joinAggCalls), join keys that are not floating point (conservatively:
// -0.0 and 0.0, NaN), at most one Calc over the join, written in the
// query (not added by push-down, a cast or a ranking rewrite), whether it
// makes an operator (one UID number) or is the identity of the narrowed
// join's columns (none), and a join and Calc that are not shared with
// another consumer: sub-plan reuse (share.go) merges equal subtrees
// within one query and across a statement set, and joinAggFor decides
// with the job's sharing for the translation and EXPLAIN alike
// (ExplainJob). The operator takes the UID number of the aggregation
// (those of the join and of the Calc, when it made an operator, are
// skipped), so the operators after it keep theirs; its state is not the
// join's and the aggregation's, so a savepoint of the unfused plan is
// refused (its two UIDs are gone).
//
// Garbage in: a key with two rows on the unique side (its promise
// broken) gives other results than the unfused join: the operator keeps
// the last of them (a ValueState overwritten), the join both (a list).

// joinAggCalls are the aggregate calls a fused join aggregation computes.
var joinAggCalls = map[string]bool{"MAX": true, "MIN": true, "COUNT": true, "COUNT(*)": true, "SUM": true, "AVG": true}

// joinAggOf returns the join under g (and the Calc between, nil for none)
// when g may fuse with it (the comment above), ignoring sharing and
// pruning (joinAggFor decides).
func joinAggOf(g *GroupAgg) (*Calc, *RegularJoin, bool) {
	var c *Calc
	in := g.In
	if x, ok := in.(*Calc); ok {
		if x.pushed || x.implicit || x.unionCast || x.rankExprs != nil {
			return nil, nil, false
		}
		c, in = x, x.In
	}
	j, ok := in.(*RegularJoin)
	if !ok {
		return nil, nil, false
	}
	exprs := joinAggExprs(c, j)
	if joinAggUnique(g, exprs, j) == uniqueNone {
		return nil, nil, false
	}
	return c, j, true
}

// joinAggExprs are the expressions of the Calc c over the join j (the
// join's columns when c is nil).
func joinAggExprs(c *Calc, j *RegularJoin) []expr.Expr {
	if c != nil {
		return c.Exprs
	}
	var es []expr.Expr
	for i, col := range j.Cols() {
		es = append(es, expr.ColumnRef(i, col.Name, col.Type))
	}
	return es
}

// joinAggUnique is the unique side of j when g, over the projection exprs
// of j, fuses with it (uniqueNone when not): the conditions above but
// sharing.
func joinAggUnique(g *GroupAgg, exprs []expr.Expr, j *RegularJoin) int {
	if j.Kind != "INNER" || j.L.Updating() || j.R.Updating() {
		return uniqueNone
	}
	u := j.uniqueSide()
	if u == uniqueNone {
		return uniqueNone
	}
	for _, a := range g.Aggs {
		if !joinAggCalls[a.F.Name()] {
			return uniqueNone
		}
		if _, ok := a.F.(expr.DistinctAggregate); ok {
			return uniqueNone
		}
	}
	side, keys, lo := j.L, j.LKeys, 0
	if u == uniqueRight {
		side, keys, lo = j.R, j.RKeys, len(j.L.Cols())
	}
	hi := lo + len(side.Cols())
	covered := make([]bool, len(keys))
	for _, k := range g.Keys {
		if k < 0 || k >= len(exprs) {
			return uniqueNone
		}
		col, ok := exprs[k].(*expr.Column)
		if !ok || col.Index < lo || col.Index >= hi {
			return uniqueNone // not a column of the unique side
		}
		for i, jk := range keys {
			if jk == col.Index-lo {
				covered[i] = true
			}
		}
	}
	for i, ok := range covered {
		if !ok {
			return uniqueNone
		}
		if r := side.Cols()[keys[i]].Type.Root(); r == table.RootFloat || r == table.RootDouble {
			return uniqueNone
		}
	}
	return u
}

// joinAggPlan is the fused operator of a GroupAgg (joinAggFor): the
// Calc of the plan (nil for none), the Calc as the operator evaluates it
// (f: simplified, over the pruned join f.in) and the unique side.
type joinAggPlan struct {
	c *Calc
	f fusedCalc
	u int
}

// joinAggFor decides whether x runs fused with the join below it (ok),
// for the translation and for EXPLAIN alike (ExplainJob): joinAggOf, the
// join and the Calc not shared, and the join, narrowed to the columns
// the simplified Calc reads, still in the unique mode with x's keys.
func (tr *translator) joinAggFor(x *GroupAgg) (p joinAggPlan, ok bool) {
	c, j, ok := joinAggOf(x)
	if !ok || tr.shared(j) || (c != nil && tr.shared(c)) {
		return p, false
	}
	// The join's inputs narrowed to the columns read, as the Calc over
	// the join narrows them (calc.go, prune.go): its filters simplified
	// first (a conjunct folding to TRUE dropped, with the columns it
	// read), then pruned; the same inputs, with the same UIDs, and the
	// same rows in the state.
	f := fusedCalc{in: j, exprs: slices.Clone(joinAggExprs(c, j))}
	if c != nil && c.Filter != nil {
		f.filters = calcConjuncts(c.Filter)
	}
	f.simplify(tr.copts)
	tr.pruneJoin(&f, j)
	u := joinAggUnique(x, f.exprs, f.in.(*RegularJoin))
	if u == uniqueNone {
		return p, false // e.g. a grouping key that a filter made a literal
	}
	return joinAggPlan{c: c, f: f, u: u}, true
}

// joinAgg translates x fused with the join below it when it fuses (ok);
// the hook of groupAgg.
func (tr *translator) joinAgg(x *GroupAgg) (s stream.Stream[table.Row], ok bool, err error) {
	p, ok := tr.joinAggFor(x)
	if !ok {
		return s, false, nil
	}
	c, f, u := p.c, p.f, p.u
	nj := f.in.(*RegularJoin)
	ttl, err := tr.ttlOpts()
	if err != nil {
		return s, true, err
	}
	// Compile once here for the errors; each subtask compiles its own.
	compile := func() (cond func(*table.Row) (bool, error), filters []func(*table.Row) (bool, error), progs []expr.Program, err error) {
		if nj.Cond != nil {
			if cond, err = expr.CompilePredicate(nj.Cond, tr.copts...); err != nil {
				return
			}
		}
		for _, e := range f.filters {
			p, err := expr.CompilePredicate(e, tr.copts...)
			if err != nil {
				return nil, nil, nil, err
			}
			filters = append(filters, p)
		}
		progs = make([]expr.Program, len(f.exprs))
		for i, e := range f.exprs {
			if _, ok := e.(*expr.Column); ok {
				continue // copied
			}
			if progs[i], err = expr.Compile(e, tr.copts...); err != nil {
				return
			}
		}
		return
	}
	if _, _, _, err := compile(); err != nil {
		return s, true, err
	}
	l, r, err := tr.buildPair(nj.L, nj.R)
	if err != nil {
		return s, true, err
	}
	g := newGroupAccs(x.In, x.Aggs, table.BigIntType().NotNull()) // distinctagg.go
	lkey, lnull := joinKeyOf(nj.L, nj.LKeys, nj.NullSafe, 'L')
	rkey, rnull := joinKeyOf(nj.R, nj.RKeys, nj.NullSafe, 'R')
	lc, rc := rowCodecOf(nj.L), rowCodecOf(nj.R)
	cols := make([]int, len(f.exprs)) // per output column its pair column, -1: a program
	for i, e := range f.exprs {
		cols[i] = -1
		if col, ok := e.(*expr.Column); ok {
			cols[i] = col.Index
		}
	}
	newFn := func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
		fn := &joinAggFn{uniqueLeft: u == uniqueLeft, nl: len(nj.L.Cols()), nr: len(nj.R.Cols()),
			lnull: lnull, rnull: rnull, cols: cols, ttl: ttl}
		fn.uc, fn.oc = lc, rc
		if u == uniqueRight {
			fn.uc, fn.oc = rc, lc
		}
		var err error
		fn.cond, fn.filters, fn.progs, err = compile()
		evalPanic(err)
		if x.MiniBatch.on() {
			fn.mb = newMiniBatchGroupAgg(g, x, ttl) // groupagg_batch.go
			fn.agg = fn.mb
		} else {
			fn.agg = perRowGroupAgg(g, x, ttl)
		}
		return fn
	}
	// The numbers of the join and of the Calc (operators of the unfused
	// plan) are skipped: this operator takes the aggregation's, and the
	// ones after it keep theirs. The Calc took none when it made no
	// operator (calc.go: the identity of the narrowed join's columns
	// without a filter once simplified, unless push-down moved its
	// filter away).
	tr.n++
	if c != nil && !(len(f.filters) == 0 && !c.movedUID && joinAggIdentity(f.exprs, len(nj.Cols()))) {
		tr.n++
	}
	uid := tr.uid(ttlUIDKind("join-agg", ttl))
	tr.env.SetStateSignature(uid, joinAggSignature(ttlUIDKind("join-agg", ttl), x, nj, u))
	return stream.KeyedCoProcessCopying(stream.KeyBy(l, lkey), stream.KeyBy(r, rkey), newFn).Name("join-aggregate").UID(uid), true, nil
}

// joinAggIdentity reports whether exprs are the n columns of their input
// in order (calc.go's identity).
func joinAggIdentity(exprs []expr.Expr, n int) bool {
	if len(exprs) != n {
		return false
	}
	for i, e := range exprs {
		if c, ok := e.(*expr.Column); !ok || c.Index != i {
			return false
		}
	}
	return true
}

// joinAggSignature is the state signature of the fused operator of kind
// kind (signature.go): the aggregation's, then the join's sides as
// stored (the unique side's row, the other side's waiting rows).
func joinAggSignature(kind string, g *GroupAgg, j *RegularJoin, u int) string {
	side := "left"
	if u == uniqueRight {
		side = "right"
	}
	return fmt.Sprintf("%s keys=%s aggs=%s unique=%s left-keys=%s right-keys=%s%s left=%s right=%s",
		kind, keySig(g.In, g.Keys), aggSigs(g.In, g.Aggs), side,
		keySig(j.L, j.LKeys), keySig(j.R, j.RKeys), nullSafeSig(j.NullSafe), typesOf(j.L.Cols()), typesOf(j.R.Cols()))
}

// joinAggFn is the fused operator's function: per join key the unique
// row ("join-agg-unique"), the other side's rows before it
// ("join-agg-waiting", in arrival order) and the aggregation's state
// ("acc"; agg, its per-row or mini-batch function).
type joinAggFn struct {
	uniqueLeft   bool
	nl, nr       int
	uc, oc       *table.RowCodec // the unique side's, the other side's rows
	lnull, rnull func(table.Row) bool
	cond         func(*table.Row) (bool, error) // the join's residual condition, or nil
	filters      []func(*table.Row) (bool, error)
	cols         []int          // per Calc column: its pair column, -1: progs
	progs        []expr.Program // per Calc column that is not a column
	ttl          []stream.StateOption

	agg stream.KeyedProcessFunction[string, table.Row, table.Row]
	mb  *miniBatchGroupAgg // agg under mini-batch, else nil

	unique  *stream.ValueState[[]byte]
	waiting *stream.ListState[[]byte]
	ocache  *decodeCache[table.Row] // the waiting rows, decoded
	// ucache: without state TTL, the decoded unique rows by key, as
	// regularJoinFn.ucache (not state; at rowCacheMax keys it starts
	// over).
	ucache map[string]table.Row
	ucanon canonRow
	// udcache: with state TTL (ucache nil), the unique rows decoded by
	// their bytes, as regularJoinFn's decodeCache: a row of the other
	// side does not decode its unique row again.
	udcache *decodeCache[table.Row]

	buf    []byte
	ts     int64         // the timestamp of the row being processed
	setKey func(string)  // the operator's (UseSetKey)
	waited []table.Row   // the waiting rows of the unique row being processed
	pair   table.Row     // the pair, in scratch
	row    []table.Value // the Calc's row, in scratch
}

func (f *joinAggFn) Open(ctx *stream.OpenContext) error {
	f.unique = stream.NewValueStateCodec[[]byte](ctx, "join-agg-unique", borrowedBytes{}, f.ttl...)
	f.waiting = stream.NewListStateCodec[[]byte](ctx, "join-agg-waiting", borrowedBytes{}, f.ttl...)
	f.ocache = rowDecodeCache(f.oc)
	if len(f.ttl) == 0 {
		f.ucache = make(map[string]table.Row)
	} else {
		f.udcache = rowDecodeCache(f.uc)
	}
	f.pair = table.Row{Kind: table.Insert, Fields: make([]table.Value, f.nl+f.nr)}
	f.row = make([]table.Value, len(f.cols))
	return f.agg.Open(ctx)
}

func (f *joinAggFn) ProcessElement1(ctx *stream.KeyedContext[string], v table.Row, out stream.Emitter[table.Row]) error {
	if f.lnull != nil && f.lnull(v) {
		return nil // a NULL key joins nothing
	}
	return f.process(ctx, v, f.uniqueLeft, out)
}

func (f *joinAggFn) ProcessElement2(ctx *stream.KeyedContext[string], v table.Row, out stream.Emitter[table.Row]) error {
	if f.rnull != nil && f.rnull(v) {
		return nil
	}
	return f.process(ctx, v, !f.uniqueLeft, out)
}

// process applies a row of the unique side (isUnique) or of the other.
func (f *joinAggFn) process(ctx *stream.KeyedContext[string], v table.Row, isUnique bool, out stream.Emitter[table.Row]) error {
	key := ctx.Key()
	f.ts = ctx.Timestamp()
	if isUnique {
		b, err := f.uc.AppendRow(f.buf[:0], table.Row{Fields: v.Fields})
		if err != nil {
			return err
		}
		f.buf = b
		f.unique.Set(b) // the state copies the bytes
		if f.ucache != nil {
			u, err := f.ucanon.row(f.uc, table.Row{Fields: slices.Clone(v.Fields)}, b)
			if err != nil {
				return err
			}
			if len(f.ucache) >= rowCacheMax {
				clear(f.ucache)
			}
			f.ucache[key] = u
		}
		// The rows that waited, in order, with the arriving row's own
		// values (as the join pairs them). Read out first: a bundle
		// that fills up among them is folded (add), which makes other
		// keys current.
		f.waited = f.waited[:0]
		var ferr error
		f.waiting.Range(func(ob []byte) bool {
			o, err := f.ocache.get(ob)
			if err != nil {
				ferr = err
				return false
			}
			f.waited = append(f.waited, o)
			return true
		})
		if ferr != nil {
			return ferr
		}
		if len(f.waited) == 0 {
			return nil
		}
		f.waiting.Clear()
		for i, o := range f.waited {
			if err := f.add(ctx, v.Fields, o.Fields, out); err != nil {
				return err
			}
			f.waited[i] = table.Row{}
		}
		return nil
	}
	if f.ucache != nil {
		if u, ok := f.ucache[key]; ok {
			return f.add(ctx, u.Fields, v.Fields, out)
		}
	}
	if ub, ok := f.unique.Get(); ok {
		var u table.Row
		var err error
		if f.udcache != nil {
			u, err = f.udcache.get(ub) // shared: add copies its fields
		} else {
			u, err = f.uc.Decode(ub)
		}
		if err != nil {
			return err
		}
		if f.ucache != nil {
			if len(f.ucache) >= rowCacheMax {
				clear(f.ucache)
			}
			f.ucache[key] = u
		}
		return f.add(ctx, u.Fields, v.Fields, out)
	}
	b, err := f.oc.AppendRow(f.buf[:0], table.Row{Fields: v.Fields})
	if err != nil {
		return err
	}
	f.buf = b
	f.waiting.Add(b) // the state copies the bytes
	return nil
}

// add makes the pair of the unique row u and the other side's row o in
// scratch and, when the join's condition and the Calc's filter accept
// it, adds the Calc's row of it to the aggregation.
func (f *joinAggFn) add(ctx *stream.KeyedContext[string], u, o []table.Value, out stream.Emitter[table.Row]) error {
	fs := f.pair.Fields
	if f.uniqueLeft {
		copy(fs, u)
		copy(fs[f.nl:], o)
	} else {
		copy(fs, o)
		copy(fs[f.nl:], u)
	}
	if f.cond != nil {
		if ok, err := f.cond(&f.pair); err != nil || !ok {
			return err
		}
	}
	for _, p := range f.filters {
		if ok, err := p(&f.pair); err != nil || !ok {
			return err
		}
	}
	for i, c := range f.cols {
		if c >= 0 {
			f.row[i] = fs[c]
			continue
		}
		v, err := f.progs[i](&f.pair)
		if err != nil {
			return err
		}
		f.row[i] = v
	}
	// The aggregation copies what it keeps of the row (its per-row
	// operator the key values and accumulators, the mini-batch one a
	// copy of the row or its pre-aggregate).
	r := table.Row{Kind: table.Insert, Fields: f.row}
	if f.mb == nil {
		return f.agg.ProcessElement(ctx, r, out)
	}
	if err := f.mb.processAt(ctx, r, f.ts, out); err != nil {
		return err
	}
	if f.mb.Full() {
		// The bundle ends after this row, as the aggregation's operator
		// ends it after each row it gets (the join's other pairs of
		// the row being processed go into the next one).
		key := ctx.Key()
		if err := f.mb.Flush(ctx, f.setKey); err != nil {
			return err
		}
		f.setKey(key)
	}
	return nil
}

func (f *joinAggFn) OnTimer(ctx *stream.KeyedContext[string], t int64, out stream.Emitter[table.Row]) error {
	return f.agg.OnTimer(ctx, t, out) // the mini-batch's latency
}

// The mini-batch aggregation's bundle (operator.KeyedCoProcess: a
// KeyedCoBuffer, KeyedBuffer, WatermarkBuffer and KeySettingBuffer, as
// the aggregation's own operator is): nothing without mini-batch.

func (f *joinAggFn) Flush(ctx *stream.KeyedContext[string], setKey func(string)) error {
	if f.mb == nil {
		return nil
	}
	return f.mb.Flush(ctx, setKey)
}

func (f *joinAggFn) Full() bool { return f.mb != nil && f.mb.Full() }

func (f *joinAggFn) FlushWatermark(ctx *stream.KeyedContext[string], setKey func(string), wm int64) error {
	if f.mb == nil {
		return nil
	}
	return f.mb.FlushWatermark(ctx, setKey, wm)
}

func (f *joinAggFn) UseSetKey(setKey func(string)) {
	f.setKey = setKey
	if f.mb != nil {
		f.mb.UseSetKey(setKey)
	}
}
