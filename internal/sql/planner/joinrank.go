package planner

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// JoinRank is an append-only ROW_NUMBER Top-N over (a Calc over) an inner
// regular join in its unique mode (uniquekey.go) whose PARTITION BY
// holds every join key column of the unique side (Nexmark q9: the
// auctions joined with their bids, the best bid per auction id), planned
// as one keyed operator (keyed by the join key) instead of three: the
// join, the Calc and the Top-N (joinRankFor decides at translation, for
// the job and EXPLAIN alike; EXPLAIN's JoinRank).
//
// Why the results are the same: the unique side has at most one row per
// join key, so every pair of a join key has that row's columns, and the
// partition (columns of that row, the join key among them) is one per
// join key and another for every other join key. The partition's rows
// are exactly the join key's pairs that pass the join's condition and the
// Calc's filter, in the order the join emits them; the fused operator
// makes the same pairs in the same order (joinRankFn mirrors
// regularJoinFn's unique mode: a row of the other side before its key's
// unique row is kept, and paired, in arrival order, when that row comes;
// one after it is paired at once and not kept) and ranks each as the
// append-only Top-N does (topn_append.go: first arrival keeps its place
// on ties, unless TiesToNew), so it emits the same changelog in the same
// order, row for row. Per key the order of the unfused plan's output is
// that too (the Top-N's input is keyed by the partition, which follows
// the join key). What it saves: the pairs are not built as rows for the
// next operator, not sent through a keyBy, and a candidate is compared
// with the kept top rows decoded (a per-instance cache), without a state
// read and a byte comparison per candidate.
//
// Not a node of the plan: the plan keeps T, C and J (T.In is C, C.In is
// J), and the translation builds a JoinRank in T's place when
// joinRankFor accepts it. Not with a state TTL (the join's rows and the
// Top-N's would expire apart), nor when the join or the Calc is shared
// with another consumer of the job (share.go: it would run twice). The
// operator takes the Top-N's UID number (joinRankNums skips the join's
// and the Calc's), so the operators after it keep theirs.
type JoinRank struct {
	T *TopN
	C *Calc
	J *RegularJoin
	// unique: the side whose rows are unique per join key (uniqueLeft or
	// uniqueRight), decided before the join's inputs are narrowed: the
	// side the operator keeps one row of.
	unique int
	// kept: the types of the top rows' columns the state keeps
	// (joinRankStored), for the state signature; set when the operator
	// is built.
	kept []table.Type
}

func (n *JoinRank) Cols() []Col    { return n.T.Cols() }
func (n *JoinRank) Updating() bool { return true }
func (n *JoinRank) Inputs() []Node { return []Node{n.J.L, n.J.R} }

// joinRankMaxN bounds the N of a fused Top-N: its rows are one state
// value, written whole at every change, as the Top-N's.
const joinRankMaxN = 100

// noteRanks records, for joinRankFor, the Top-Ns of the job's plans
// roots whose parent is a Calc, and how many parents each node has over
// the job (a node reached from two plans counts twice).
func (tr *translator) noteRanks(roots ...Node) {
	tr.rankParents = map[Node]int{}
	tr.underCalc = map[*TopN]bool{}
	done := map[Node]bool{}
	var visit func(n Node)
	visit = func(n Node) {
		if done[n] {
			return
		}
		done[n] = true
		if c, ok := n.(*Calc); ok {
			if t, ok := c.In.(*TopN); ok {
				tr.underCalc[t] = true
			}
		}
		for _, in := range n.Inputs() {
			visit(in)
		}
	}
	for _, r := range roots {
		for n, k := range countParents(r) {
			tr.rankParents[n] += k
		}
		visit(r)
	}
}

// joinRankFor decides whether the Top-N t runs fused with the Calc and
// the join below it (ok), for the translation and for EXPLAIN alike
// (ExplainJob): joinRankOf over the job's plans (noteRanks), a Calc
// parent, no state TTL, and none of t, its Calc and its join shared with
// another consumer of the job (share.go). The Calc's filters are
// simplified and the join narrowed to the columns read (prune.go), as
// the unfused Calc over the join does.
func (tr *translator) joinRankFor(t *TopN) (jr *JoinRank, f fusedCalc, ok bool) {
	if !tr.underCalc[t] || tr.rankParents[t] != 1 {
		return nil, f, false
	}
	if tr.p != nil {
		if d, err := tr.p.stateTTL(); err != nil || d != 0 {
			return nil, f, false
		}
	}
	jr = joinRankOf(t, tr.rankParents)
	if jr == nil || tr.shared(t) || tr.shared(jr.C) || tr.shared(jr.J) {
		return nil, f, false
	}
	c := jr.C
	if c.pushed || c.implicit || c.unionCast {
		return nil, f, false // numbered apart (calc.go): not fused
	}
	f = fusedCalc{in: jr.J, exprs: slices.Clone(c.Exprs)}
	if c.Filter != nil {
		f.filters = calcConjuncts(c.Filter)
	}
	f.simplify(tr.copts)
	tr.pruneJoin(&f, jr.J)
	return jr, f, true
}

// joinRankNums is the number of UID numbers the join and the Calc of jr
// took in the unfused plan (calc.go): the join's, and the Calc's unless
// it made no operator (the identity of the narrowed join's columns
// without a filter once simplified, not moved), plus those of a trimmed
// ranking pre-projection's Rank plan (dedup.go).
func (tr *translator) joinRankNums(jr *JoinRank, f fusedCalc) int {
	c := jr.C
	moved, extra := c.movedUID, 0
	if c.rankExprs != nil {
		if m := tr.rankPlanOps(c, jr.J); m > 0 {
			moved, extra = true, m-1
		}
	}
	n := 1 + extra
	if moved || len(f.filters) > 0 || !joinAggIdentity(f.exprs, len(f.in.Cols())) {
		n++
	}
	return n
}

// joinRankOf returns the JoinRank of t when t is an append-only
// ROW_NUMBER Top-N (N <= joinRankMaxN) over a Calc over an inner
// regular join in the unique mode, each used once, whose partition
// columns are columns of the unique side that include all its join key
// columns; nil otherwise.
func joinRankOf(t *TopN, parents map[Node]int) *JoinRank {
	if t.Func != RowNumber || t.WindowEnd >= 0 || t.N < 1 || t.N > joinRankMaxN || t.In.Updating() || len(t.Partition) == 0 {
		return nil
	}
	c, ok := t.In.(*Calc)
	if !ok || parents[c] != 1 {
		return nil
	}
	j, ok := c.In.(*RegularJoin)
	if !ok || parents[j] != 1 || j.Kind != "INNER" || j.TTL != 0 || reflect.TypeOf(*j).NumField() != joinFields {
		return nil
	}
	u := j.uniqueSide()
	if u == uniqueNone {
		return nil
	}
	nl := len(j.L.Cols())
	keys := j.LKeys
	if u == uniqueRight {
		keys = j.RKeys
	}
	covered := map[int]bool{}
	for _, p := range t.Partition {
		if p >= len(c.Exprs) {
			return nil
		}
		col, ok := c.Exprs[p].(*expr.Column)
		if !ok {
			return nil
		}
		i := col.Index
		switch {
		case u == uniqueLeft && i < nl:
			covered[i] = true
		case u == uniqueRight && i >= nl:
			covered[i-nl] = true
		default:
			return nil // a column of the other side
		}
	}
	for _, k := range keys {
		if !covered[k] {
			return nil
		}
	}
	return &JoinRank{T: t, C: c, J: j, unique: u}
}

func (n *JoinRank) explain() string {
	t := n.T
	var os []string
	for _, k := range t.Order {
		o := colText(t.In, k.Col)
		if k.Desc {
			o += " DESC"
		}
		os = append(os, o)
	}
	var ps []string
	for i, e := range n.C.Exprs {
		s := exprText(n.C.In, e)
		if s != n.C.cols[i].Name && s != "`"+n.C.cols[i].Name+"`" {
			s += " AS " + n.C.cols[i].Name
		}
		ps = append(ps, s)
	}
	calc := "select=[" + strings.Join(ps, ", ") + "]"
	if n.C.Filter != nil {
		calc += fmt.Sprintf(", calcWhere=[%s]", exprText(n.C.In, n.C.Filter))
	}
	join := strings.TrimPrefix(n.J.explain(), "Join(")
	// stateTtlUnfuses: the job is translated with the options at
	// its end, so a 'table.exec.state.ttl' SET after this EXPLAIN (later
	// in the same submitted script) runs the Join, Calc and Rank unfused
	// (joinRankFor), which EXPLAIN cannot see.
	return fmt.Sprintf("JoinRank(rankRange=[1..%d], partitionBy=[%s], orderBy=[%s], %s, stateTtlUnfuses=[true], %s", t.N, keysText(t.In, t.Partition), strings.Join(os, ", "), calc, join)
}

// joinRank builds the fused operator of jr (joinRankFor; UID kind
// join-rank: its state is neither the join's nor the Top-N's, so a
// savepoint of the unfused plan is refused, not misread). It takes the
// Top-N's UID number: those of the join and the Calc are skipped, so the
// operators after it keep theirs.
func (tr *translator) joinRank(n *JoinRank, f fusedCalc) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	// The join's inputs narrowed to the columns the condition, the Calc
	// and the keys read (prune.go, as under the unfused Calc): the kept
	// rows are smaller, and the projections below read less.
	unique := n.J.uniqueSide()
	j := f.in.(*RegularJoin)
	l, r, err := tr.buildPair(j.L, j.R)
	if err != nil {
		return zero, err
	}
	// Compiled once here for the errors, then by each subtask (programs
	// hold state of their own).
	compile := func() (*joinRankCalc, func(*table.Row) (bool, error), error) {
		var cond func(*table.Row) (bool, error)
		if j.Cond != nil {
			var err error
			if cond, err = expr.CompilePredicate(j.Cond, tr.copts...); err != nil {
				return nil, nil, err
			}
		}
		jc := &joinRankCalc{lazy: true}
		for _, e := range append(append([]expr.Expr(nil), f.filters...), f.exprs...) {
			jc.lazy = jc.lazy && expr.ErrorFree(e)
		}
		for _, k := range n.T.Order {
			jc.order = append(jc.order, k.Col)
		}
		for _, e := range f.filters {
			p, err := expr.CompilePredicate(e, tr.copts...)
			if err != nil {
				return nil, nil, err
			}
			jc.preds = append(jc.preds, p)
		}
		for _, e := range f.exprs {
			p, err := expr.Compile(e, tr.copts...)
			if err != nil {
				return nil, nil, err
			}
			jc.progs = append(jc.progs, p)
		}
		return jc, cond, nil
	}
	if _, _, err := compile(); err != nil {
		return zero, err
	}
	lc, rc := rowCodecOf(j.L), rowCodecOf(j.R)
	tc := rowCodecOf(n.C)
	ufrom, kept := joinRankStored(f, j, unique, n.C.Cols())
	sc := table.NewRowCodecTypes(kept...)
	lkey, lnull := joinKeyOf(j.L, j.LKeys, j.NullSafe, 'L')
	rkey, rnull := joinKeyOf(j.R, j.RKeys, j.NullSafe, 'R')
	newFn := func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
		jc, cond, err := compile()
		evalPanic(err)
		return &joinRankFn{lc: lc, rc: rc, tc: tc, ufrom: ufrom, sc: sc, unique: unique, lnull: lnull, rnull: rnull, cond: cond, calc: jc, x: n.T}
	}
	// The state signature names the sides' rows as kept: pruned.
	tr.n += tr.joinRankNums(n, f)
	tr.building = append(tr.building, &JoinRank{T: n.T, C: n.C, J: j, unique: unique, kept: kept})
	uid := tr.uid("join-rank")
	tr.building = tr.building[:len(tr.building)-1]
	return stream.KeyedCoProcessCopying(stream.KeyBy(l, lkey), stream.KeyBy(r, rkey), newFn).Name("join-rank").UID(uid), nil
}

// joinRankStored returns, for the Calc's outputs (f.exprs over the
// narrowed join j; their types cols), which are a column of the unique
// side's row as it is (ufrom[i]: that column's index in the unique row;
// -1 for any other output), and the types of the others: the columns a
// top row keeps in the state (joinRankFn.appendTop). An output is taken
// from the unique row only when its type encodes as that column's does
// (EqualIgnoringNull: nullability and time attribute markers do not
// change the encoding).
func joinRankStored(f fusedCalc, j *RegularJoin, unique int, cols []Col) ([]int, []table.Type) {
	nl := len(j.L.Cols())
	ucols, off := j.L.Cols(), 0
	if unique == uniqueRight {
		ucols, off = j.R.Cols(), nl
	}
	ufrom := make([]int, len(f.exprs))
	var types []table.Type
	for i, e := range f.exprs {
		ufrom[i] = -1
		if c, ok := e.(*expr.Column); ok {
			if k := c.Index - off; k >= 0 && k < len(ucols) && cols[i].Type.EqualIgnoringNull(ucols[k].Type) {
				ufrom[i] = k
				continue
			}
		}
		types = append(types, cols[i].Type)
	}
	return ufrom, types
}

// joinRankCalc is the Calc between the join and the Top-N: its filter's
// conjuncts in order (a pair passes when each is TRUE), then its
// projection.
//
// lazy: every conjunct and output is error-free (expr.ErrorFree: no
// error, nothing volatile), so a pair whose sort keys do not beat the
// last row of a full partition, which would leave the Top-N unchanged
// whether or not the filter passes, is dropped after only its sort keys
// (order: the outputs read by the Top-N's ORDER BY) are evaluated: no
// evaluation is observable then (Nexmark q9: most bids lose to the
// auction's best).
type joinRankCalc struct {
	preds []func(*table.Row) (bool, error)
	progs []expr.Program
	lazy  bool
	order []int
}

// eval appends the Calc's row of in to dst[:0]; false: filtered out.
func (c *joinRankCalc) eval(in *table.Row, dst []table.Value) ([]table.Value, bool, error) {
	dst = dst[:0]
	for _, p := range c.preds {
		if ok, err := p(in); err != nil || !ok {
			return dst, false, err
		}
	}
	for _, p := range c.progs {
		v, err := p(in)
		if err != nil {
			return dst, false, err
		}
		dst = append(dst, v)
	}
	return dst, true, nil
}

// joinRankFn is JoinRank's KeyedCoProcessFunction, keyed by the join key.
// State (no TTL): the unique side's rows of the key (RowCodec bytes; one,
// as the key is unique), the other side's rows that came before it (kept
// until it comes, as the join's unique mode keeps them), and the key's
// top rows, best first ("join-rank-top": encodeRows' framing, a count
// then each row's length and bytes; a row's bytes are the index of the
// unique row it was paired with (uvarint) and the RowCodec bytes of its
// columns that are not a unique row's column as it is (appendTop): the
// others are taken from that unique row when the state is read, not
// written again with every new top row).
type joinRankFn struct {
	lc, rc *table.RowCodec // the join's sides
	tc     *table.RowCodec // the Calc's rows (the top rows)
	// ufrom: per column of a top row, the unique row's column it is, or
	// -1: kept in the state, encoded by sc (joinRankStored).
	ufrom  []int
	sc     *table.RowCodec
	unique int // uniqueLeft or uniqueRight
	// lnull, rnull: whether a row's join key has a NULL compared by =
	// (nil: none can): such a row pairs with nothing and is dropped.
	lnull, rnull func(table.Row) bool
	cond         func(*table.Row) (bool, error) // the join's residual condition, or nil
	calc         *joinRankCalc
	x            *TopN

	uniq, other *stream.ListState[[]byte]
	top         *stream.ValueState[[]byte]
	// cache: the decoded unique rows and top rows of keys whose unique
	// row has come, by key. Not state: a restored instance starts empty
	// and fills it from the state; every write of a cached key's top rows
	// goes through its entry, and its unique rows never change once there
	// (insert-only, no TTL) but by a row of the unique side, which updates
	// the entry too. Bounded by keys (cacheMax, rowCacheMax) and by the
	// entries' state bytes (cacheBytes, joinRankCacheBytes; the decoded
	// rows take about as much again): past either, entries are evicted
	// (arbitrary ones, Go's map order), others than the key in use first
	// (joinRankFn.fit, trim).
	cache      map[string]*joinRankEntry
	free       []*joinRankEntry // evicted entries to reuse (recycle)
	spares     []fieldStack     // their field arrays, by length
	uwidth     int              // the unique rows' fields (0: none decoded yet)
	kept       []table.Row      // the other side's rows a unique row pairs with, decoded
	cacheMax   int
	cacheBytes int
	cacheSize  int           // the bytes of the cached entries (joinRankEntry.size)
	key        string        // the key of the row being processed
	tcanon     canonRow      // top rows kept as the state decodes them
	ucanon     canonRow      // unique rows kept as the state decodes them
	buf        []byte        // the encoding of a row being stored
	stored     []table.Value // the kept columns of a top row being encoded
	full       []byte        // a top row's full encoding, for tcanon with nested types
	enc        []byte        // the top rows' state bytes being built
	row        []byte        // the encoding of a row entering the top rows
	// reuse: 0 not known yet, 1 the operators after this one are done
	// with an emitted row when Emit returns (stream.EmitterReleases), so
	// every output row is built in outBuf; -1 each is a new slice.
	reuse   int8
	outBuf  []table.Value
	scratch []byte
	pair    []table.Value // the pair the condition and the Calc read
	cand    []table.Value // the Calc's row
	cur     table.Row     // the row the condition and the Calc read (a field: no allocation per pair)
}

type joinRankEntry struct {
	uniq []table.Row // the unique side's rows of the key (one)
	top  []table.Row // the top rows, best first, as the state decodes them
	topU []int       // per top row, the index in uniq of its unique row
	// size: the state bytes of uniq and top (their RowCodec bytes; the
	// top rows' value); cached: the entry is in the cache (its size is
	// counted in cacheSize).
	size, uniqSize int
	cached         bool
	// pair: with one unique row, the pairs' fields, that row's in place
	// (the other side's are overwritten by each row); nil until used.
	pair []table.Value
}

func (f *joinRankFn) Open(ctx *stream.OpenContext) error {
	// Read without a copy (borrowedBytes): the bytes are decoded before
	// the state is written again.
	f.uniq = stream.NewListStateCodec[[]byte](ctx, "join-rank-unique", borrowedBytes{})
	f.other = stream.NewListStateCodec[[]byte](ctx, "join-rank-other", borrowedBytes{})
	f.top = stream.NewValueStateCodec[[]byte](ctx, "join-rank-top", borrowedBytes{})
	f.cache = make(map[string]*joinRankEntry)
	if f.cacheMax == 0 {
		f.cacheMax = rowCacheMax
	}
	if f.cacheBytes == 0 {
		f.cacheBytes = joinRankCacheBytes
	}
	return nil
}

// joinRankCacheBytes bounds the state bytes of a joinRankFn's cached
// entries (with rowCacheMax keys): as topNCacheBytes and rowCacheBytes.
const joinRankCacheBytes = 4 << 20

// add caches e under key, evicting other entries while the cache is at
// its bounds.
func (f *joinRankFn) add(key string, e *joinRankEntry) {
	for len(f.cache) > 0 && (len(f.cache) >= f.cacheMax || f.cacheSize+e.size > f.cacheBytes) {
		for k, o := range f.cache {
			f.evict(k, o)
			break
		}
	}
	if e.size > f.cacheBytes {
		return // alone too big: decoded at each use
	}
	e.cached = true
	f.cacheSize += e.size
	f.cache[strings.Clone(key)] = e
}

func (f *joinRankFn) evict(k string, e *joinRankEntry) {
	delete(f.cache, k)
	f.cacheSize -= e.size
	e.cached = false
	if k != f.key {
		// No longer read (the key in use's own entry may still be):
		// its arrays go to the next entries.
		f.recycle(e)
	}
}

// joinRankSpareMax bounds the evicted entries, and the arrays of each
// length, a joinRankFn keeps for reuse (recycle): the operator takes its
// inputs a batch at a time, so a batch of the unique side's rows evicts
// (gives) many entries, and one of the other side's makes (takes) many
// pairs and top rows; 1024 arrays of a Nexmark q9 pair are about 370 KB.
const joinRankSpareMax = 1024

// fieldStack holds reusable field arrays of one length.
type fieldStack struct {
	n    int
	arrs [][]table.Value
}

// recycle keeps the arrays of the evicted entry e, which nothing reads
// any more (the emitted rows are copies; the pairs and the Calc's rows
// are built in buffers of their own), for the entries made next (newEntry,
// takeFields): an entry is made for every key whose unique row comes, and
// dropped when evicted.
func (f *joinRankFn) recycle(e *joinRankEntry) {
	for _, r := range e.uniq {
		f.giveFields(r.Fields)
	}
	for _, r := range e.top {
		f.giveFields(r.Fields)
	}
	f.giveFields(e.pair)
	if len(f.free) < joinRankSpareMax {
		clear(e.uniq)
		clear(e.top)
		*e = joinRankEntry{uniq: e.uniq[:0], top: e.top[:0], topU: e.topU[:0]}
		f.free = append(f.free, e)
	}
}

// newEntry returns an empty entry, a recycled one when there is one.
func (f *joinRankFn) newEntry() *joinRankEntry {
	if n := len(f.free); n > 0 {
		e := f.free[n-1]
		f.free[n-1] = nil
		f.free = f.free[:n-1]
		return e
	}
	return &joinRankEntry{}
}

// takeFields returns an array of n values (NULL: the caller overwrites
// each), a recycled one when there is one.
func (f *joinRankFn) takeFields(n int) []table.Value {
	for i := range f.spares {
		if st := &f.spares[i]; st.n == n {
			if k := len(st.arrs); k > 0 {
				a := st.arrs[k-1]
				st.arrs[k-1] = nil
				st.arrs = st.arrs[:k-1]
				return a
			}
			break
		}
	}
	return make([]table.Value, n)
}

// giveFields keeps a for takeFields (up to joinRankSpareMax arrays of a
// length, of up to 4 lengths: a key's unique row, its pair, its top row),
// cleared: a kept array holds no value of the evicted entry alive (the
// cache's bounds count only the cached entries).
func (f *joinRankFn) giveFields(a []table.Value) {
	if len(a) == 0 {
		return
	}
	for i := range f.spares {
		if st := &f.spares[i]; st.n == len(a) {
			if len(st.arrs) < joinRankSpareMax {
				clear(a)
				st.arrs = append(st.arrs, a)
			}
			return
		}
	}
	if len(f.spares) < 4 {
		clear(a)
		f.spares = append(f.spares, fieldStack{n: len(a), arrs: [][]table.Value{a}})
	}
}

// resize sets the state bytes of key's entry e to size and evicts
// entries while the cache is past its byte bound: others than key first,
// then key's own when it alone is too big.
func (f *joinRankFn) resize(key string, e *joinRankEntry, size int) {
	if e.cached {
		f.cacheSize += size - e.size
	}
	e.size = size
	for f.cacheSize > f.cacheBytes && len(f.cache) > 0 {
		for k, o := range f.cache {
			if k != key || len(f.cache) == 1 {
				f.evict(k, o)
				break
			}
		}
	}
}

func (f *joinRankFn) OnTimer(*stream.KeyedContext[string], int64, stream.Emitter[table.Row]) error {
	return nil
}

func (f *joinRankFn) ProcessElement1(ctx *stream.KeyedContext[string], v table.Row, out stream.Emitter[table.Row]) error {
	if f.lnull != nil && f.lnull(v) {
		return nil
	}
	f.key = ctx.Key()
	if f.unique == uniqueLeft {
		return f.uniqueRow(ctx.Key(), v, true, out)
	}
	return f.otherRow(ctx.Key(), v, true, out)
}

func (f *joinRankFn) ProcessElement2(ctx *stream.KeyedContext[string], v table.Row, out stream.Emitter[table.Row]) error {
	if f.rnull != nil && f.rnull(v) {
		return nil
	}
	f.key = ctx.Key()
	if f.unique == uniqueRight {
		return f.uniqueRow(ctx.Key(), v, false, out)
	}
	return f.otherRow(ctx.Key(), v, false, out)
}

// codecs returns the codecs of the unique side and of the other side.
func (f *joinRankFn) codecs() (uc, oc *table.RowCodec) {
	if f.unique == uniqueLeft {
		return f.lc, f.rc
	}
	return f.rc, f.lc
}

// load returns the entry of key from the state (cached), nil when the key
// has no unique row yet.
func (f *joinRankFn) load(key string) (*joinRankEntry, error) {
	bs := f.uniq.Get()
	if len(bs) == 0 {
		return nil, nil
	}
	uc, _ := f.codecs()
	e := f.newEntry()
	for _, b := range bs {
		var dst []table.Value
		if f.uwidth > 0 {
			dst = f.takeFields(f.uwidth)
		}
		r, err := uc.DecodeTo(dst, b)
		if err != nil {
			return nil, err
		}
		f.uwidth = len(r.Fields)
		e.uniq = append(e.uniq, r)
		e.uniqSize += len(b)
	}
	e.size = e.uniqSize
	if b, ok := f.top.Get(); ok {
		if err := f.decodeTop(e, b); err != nil {
			return nil, err
		}
		e.size += len(b)
	}
	f.add(key, e)
	return e, nil
}

// uniqueRow applies a row of the unique side (the left when left): it is
// stored, and pairs with the other side's rows kept for its key, in their
// order, which then go (the join's unique mode).
func (f *joinRankFn) uniqueRow(key string, v table.Row, left bool, out stream.Emitter[table.Row]) error {
	uc, oc := f.codecs()
	e := f.cache[key]
	var err error
	if e == nil {
		// The key's state before this row: none, for a unique key.
		if e, err = f.load(key); err != nil {
			return err
		}
	}
	b, err := uc.AppendRow(f.buf[:0], table.Row{Fields: v.Fields})
	if err != nil {
		return err
	}
	f.buf = b
	f.uniq.Add(b)
	// Kept as the state decodes it (its fields are the caller's: a copy).
	fs := f.takeFields(len(v.Fields))
	copy(fs, v.Fields)
	u, err := f.ucanon.row(uc, table.Row{Fields: fs}, b)
	if err != nil {
		return err
	}
	if e == nil {
		e = f.newEntry()
		f.add(key, e)
	}
	e.uniq, e.pair = append(e.uniq, u), nil
	e.uniqSize += len(b)
	f.resize(key, e, e.size+len(b))
	bs := f.other.Get()
	if len(bs) == 0 {
		return nil
	}
	// Decoded before any pair is ranked (the bytes are the state's).
	// In the arrays of the previous unique row's (f.kept: read only
	// here, each pair is copied into a buffer of its own), cleared once
	// paired (releaseKept).
	kept := f.kept[:0]
	f.kept = nil
	defer func() { f.releaseKept(kept) }()
	for i, ob := range bs {
		var dst []table.Value
		if i < cap(kept) {
			dst = kept[:i+1][i].Fields
		}
		o, err := oc.DecodeTo(dst, ob)
		if err != nil {
			return err
		}
		kept = append(kept, o)
	}
	f.other.Clear()
	ui := len(e.uniq) - 1
	for _, o := range kept {
		var err error
		if left {
			err = f.pairRank(e, v.Fields, o.Fields, ui, out)
		} else {
			err = f.pairRank(e, o.Fields, v.Fields, ui, out)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// joinRankKeptMax bounds the rows whose arrays joinRankFn.kept keeps for
// the next unique row's waiting rows (releaseKept).
const joinRankKeptMax = 1024

// releaseKept keeps kept, the decoded rows that waited for their unique
// row, once paired, for the next ones' arrays: their values cleared (none
// of the rows stays alive), and only when there were up to
// joinRankKeptMax (a key's rare long wait does not stay allocated).
func (f *joinRankFn) releaseKept(kept []table.Row) {
	for i := range kept {
		clear(kept[i].Fields)
	}
	if cap(kept) <= joinRankKeptMax {
		f.kept = kept[:0]
	} else {
		f.kept = nil
	}
}

// otherRow applies a row of the other side: paired with its key's unique
// row when that has come, else kept until it does.
func (f *joinRankFn) otherRow(key string, v table.Row, left bool, out stream.Emitter[table.Row]) error {
	e := f.cache[key]
	if e == nil {
		var err error
		if e, err = f.load(key); err != nil {
			return err
		}
		if e == nil {
			_, oc := f.codecs()
			b, err := oc.AppendRow(f.buf[:0], table.Row{Fields: v.Fields})
			if err != nil {
				return err
			}
			f.buf = b
			f.other.Add(b)
			return nil
		}
	}
	if len(e.uniq) == 1 {
		// The entry's pair holds its unique row's fields already: only
		// v's are copied in.
		nu := len(e.uniq[0].Fields)
		if e.pair == nil {
			e.pair = f.takeFields(nu + len(v.Fields))
			if left {
				copy(e.pair[len(v.Fields):], e.uniq[0].Fields)
			} else {
				copy(e.pair, e.uniq[0].Fields)
			}
		}
		if left {
			copy(e.pair, v.Fields)
		} else {
			copy(e.pair[nu:], v.Fields)
		}
		return f.rankPair(e, e.pair, 0, out)
	}
	for ui, u := range e.uniq {
		var err error
		if left {
			err = f.pairRank(e, v.Fields, u.Fields, ui, out)
		} else {
			err = f.pairRank(e, u.Fields, v.Fields, ui, out)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// pairRank ranks the pair of l and r (the left and right rows; ui: the
// index of its unique row in e.uniq) when the join's condition accepts it
// and the Calc's filter passes its row.
func (f *joinRankFn) pairRank(e *joinRankEntry, l, r []table.Value, ui int, out stream.Emitter[table.Row]) error {
	f.pair = append(append(f.pair[:0], l...), r...)
	return f.rankPair(e, f.pair, ui, out)
}

// rankPair ranks the pair (its fields: the left row's, then the right
// row's; ui: the index of its unique row in e.uniq) when the join's
// condition accepts it and the Calc's filter passes its row.
func (f *joinRankFn) rankPair(e *joinRankEntry, pair []table.Value, ui int, out stream.Emitter[table.Row]) error {
	f.cur = table.Row{Kind: table.Insert, Fields: pair}
	if f.cond != nil {
		ok, err := f.cond(&f.cur)
		if err != nil || !ok {
			f.cur = table.Row{}
			return err
		}
	}
	if n := len(e.top); f.calc.lazy && int64(n) >= f.x.N {
		// Only the sort keys (the other fields of cand are stale: beats
		// reads the sort keys only).
		w := len(f.calc.progs)
		if cap(f.cand) < w {
			f.cand = make([]table.Value, w)
		}
		c := f.cand[:w]
		for _, k := range f.calc.order {
			c[k], _ = f.calc.progs[k](&f.cur) // error-free
		}
		if !f.beats(table.Row{Fields: c}, e.top[n-1]) {
			f.cur = table.Row{}
			return nil
		}
	}
	cand, ok, err := f.calc.eval(&f.cur, f.cand)
	f.cur = table.Row{}
	f.cand = cand
	if err != nil || !ok {
		return err
	}
	return f.rank(e, cand, ui, out)
}

// emit emits r with its rank: built in outBuf when the operators after
// this one are done with a row when Emit returns
// (stream.EmitterReleases), else in a new slice.
func (f *joinRankFn) emit(out stream.Emitter[table.Row], r table.Row, rank int64, kind table.RowKind) {
	if f.reuse < 0 {
		out.Emit(withRankRow(r, rank, kind))
		return
	}
	f.outBuf = append(append(f.outBuf[:0], r.Fields...), table.Int(rank))
	out.Emit(table.Row{Kind: kind, Fields: f.outBuf})
}

// beats reports whether r goes before o (appendOnlyRowNumber.beats).
func (f *joinRankFn) beats(r, o table.Row) bool {
	return f.x.less(r, o) || (f.x.TiesToNew && !f.x.less(o, r))
}

// rank puts the Calc's row cand (the caller's buffer) into the key's
// top rows when it ranks, emitting what appendOnlyRowNumber.process
// emits: -U/+U for each position from its own to the old count, +I for a
// position filled; the kept rows go to the state.
func (f *joinRankFn) rank(e *joinRankEntry, cand []table.Value, ui int, out stream.Emitter[table.Row]) error {
	x := f.x
	r := table.Row{Fields: cand}
	old := e.top
	n := len(old)
	if int64(n) >= x.N && !f.beats(r, old[n-1]) {
		return nil
	}
	pos := n
	for i, o := range old {
		if f.beats(r, o) {
			pos = i
			break
		}
	}
	if int64(pos) >= x.N {
		return nil
	}
	cnt := n + 1
	if int64(cnt) > x.N {
		cnt = int(x.N)
	}
	if f.reuse == 0 {
		f.reuse = -1
		if stream.EmitterReleases(out) {
			f.reuse = 1
		}
	}
	for i := pos; i < cnt; i++ {
		now := r // cand: emit copies it
		if i > pos {
			now = old[i-1]
		}
		if i < n {
			f.emit(out, old[i], int64(i+1), table.UpdateBefore)
			f.emit(out, now, int64(i+1), table.UpdateAfter)
		} else {
			f.emit(out, now, int64(i+1), table.Insert)
		}
	}
	// The kept row: in the array of the row a full partition drops (its
	// last: no longer kept, and never emitted as it is: emit copies), else
	// a copy of cand.
	var nr table.Row
	if n == cnt && len(old[n-1].Fields) == len(cand) {
		nr = table.Row{Fields: old[n-1].Fields}
		copy(nr.Fields, cand)
	} else {
		nr = table.Row{Fields: f.takeFields(len(cand))}
		copy(nr.Fields, cand)
	}
	// The new rows, in place: nr at pos, the rows from pos on one down
	// (the last of a full partition out).
	rows, tu := old, e.topU
	if n < cnt {
		rows, tu = append(rows, table.Row{}), append(tu, 0)
	}
	copy(rows[pos+1:cnt], rows[pos:cnt-1])
	copy(tu[pos+1:cnt], tu[pos:cnt-1])
	rows[pos], tu[pos] = nr, ui
	// The state: encodeRows' framing, nr encoded once, the others again
	// (N is small; N = 1 has none).
	var err error
	if f.row, err = f.appendTop(f.row[:0], nr, ui); err != nil {
		return err
	}
	enc := binary.AppendUvarint(f.enc[:0], uint64(len(rows)))
	for i, rw := range rows {
		b := f.row
		if i != pos {
			if f.scratch, err = f.appendTop(f.scratch[:0], rw, tu[i]); err != nil {
				return err
			}
			b = f.scratch
		}
		enc = binary.AppendUvarint(enc, uint64(len(b)))
		enc = append(enc, b...)
	}
	f.enc = enc
	f.top.Set(enc)
	// Kept as the state decodes it (canonRow; the rows emitted copied
	// its fields). Only a row with nested types that truncate is decoded
	// for that, from its whole encoding.
	if f.tcanon.decodes(f.tc) {
		if f.full, err = f.tc.AppendRow(f.full[:0], nr); err != nil {
			return err
		}
	}
	if rows[pos], err = f.tcanon.row(f.tc, nr, f.full); err != nil {
		return err
	}
	e.top, e.topU = rows, tu
	f.resize(f.key, e, e.uniqSize+len(enc))
	return nil
}

// appendTop appends the state bytes of the top row r paired with the
// unique row of index ui (joinRankFn's layout): ui, then the RowCodec
// bytes of r's columns that are not a unique row's column (ufrom).
func (f *joinRankFn) appendTop(dst []byte, r table.Row, ui int) ([]byte, error) {
	dst = binary.AppendUvarint(dst, uint64(ui))
	st := f.stored[:0]
	for i, k := range f.ufrom {
		if k < 0 {
			st = append(st, r.Fields[i])
		}
	}
	dst, err := f.sc.AppendRow(dst, table.Row{Fields: st})
	clear(st) // keeps no value alive
	f.stored = st[:0]
	return dst, err
}

// decodeTop sets e's top rows (and their unique rows' indexes) from b,
// the state's value of the key's top rows (appendTop's rows in
// encodeRows' framing), the columns not stored taken from e's unique
// rows, which are decoded already.
func (f *joinRankFn) decodeTop(e *joinRankEntry, b []byte) error {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return errBadState
	}
	b = b[k:]
	// In e's arrays when it is a recycled entry (newEntry: emptied).
	rows, tu := slices.Grow(e.top[:0], int(n)), slices.Grow(e.topU[:0], int(n))
	for range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return errBadState
		}
		rb := b[k : k+int(l)]
		b = b[k+int(l):]
		ui, m := binary.Uvarint(rb)
		if m <= 0 || ui >= uint64(len(e.uniq)) {
			return errBadState
		}
		// The stored columns (as many as sc has: checked by DecodeTo)
		// into f.stored, then with the unique row's into the row.
		st, err := f.sc.DecodeTo(f.stored[:0], rb[m:])
		if err != nil {
			return err
		}
		u := e.uniq[ui].Fields
		r := table.Row{Kind: st.Kind, Fields: f.takeFields(len(f.ufrom))}
		j := 0
		for i, c := range f.ufrom {
			if c >= 0 {
				r.Fields[i] = u[c]
				continue
			}
			r.Fields[i] = st.Fields[j]
			j++
		}
		clear(st.Fields) // keeps no value alive
		f.stored = st.Fields[:0]
		rows = append(rows, r)
		tu = append(tu, int(ui))
	}
	e.top, e.topU = rows, tu
	return nil
}
