package planner

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Deduplicate is Flink's Deduplicate: ROW_NUMBER() OVER (PARTITION BY
// keys ORDER BY a time attribute [ASC|DESC]) filtered to row number 1,
// the row number not read above it. It keeps one row per key: the first
// (ASC) or the last (DESC). Output: the input's columns (no row number).
//
// By event time (rowtime) a row replaces the kept one when it comes
// before it in the ORDER BY: keeping the first row, a strictly earlier
// time; keeping the last, a time not earlier (a tie goes to the new row,
// Flink's RowTimeDeduplicateFunction); a row that does not is dropped
// (late rows are not, as in Flink: they compete by their time). A
// replacement emits -U old, +U new; a key's first row +I. NULL times
// order as the Top-N orders them (NULLS LAST for DESC, FIRST for ASC,
// unless the ORDER BY says otherwise).
//
// By processing time (proctime) only the arrival order counts, as in
// Flink (the proctime values are not compared): keeping the first row
// emits each key's first row as +I and nothing more (insert-only
// output); keeping the last, every row replaces the kept one (-U/+U).
type Deduplicate struct {
	In         Node
	Keys       []int
	Time       int // the input column of the ORDER BY time attribute
	KeepLast   bool
	Proctime   bool
	NullsFirst bool // a NULL time sorts first (rowtime only)
	// MiniBatch: table.exec.mini-batch.* (dedup_batch.go; zero: none).
	MiniBatch miniBatch
}

func (n *Deduplicate) Cols() []Col    { return n.In.Cols() }
func (n *Deduplicate) Updating() bool { return n.KeepLast || !n.Proctime }
func (n *Deduplicate) Inputs() []Node { return []Node{n.In} }

func (n *Deduplicate) explain() string {
	keep, order := "FirstRow", "ROWTIME"
	if n.KeepLast {
		keep = "LastRow"
	}
	if n.Proctime {
		order = "PROCTIME"
	}
	return fmt.Sprintf("Deduplicate(keep=[%s], key=[%s], order=[%s]", keep, keysText(n.In, n.Keys), order)
}

// uidKind names the operator's UID after what its state holds: a state
// of one keep/order mode is not another's (keep-first by processing time
// keeps no row), and none is a Top-N's (UID kind rank): a savepoint of
// the Rank plan, or of another mode, is unmatched state, refused unless
// the user allows non-restored state.
func (n *Deduplicate) uidKind() string {
	k := "deduplicate-first"
	if n.KeepLast {
		k = "deduplicate-last"
	}
	if n.Proctime {
		return k + "-proctime"
	}
	return k + "-rowtime"
}

// dedupTopN reports whether t is a Top-N that Flink plans as Deduplicate
// (RankUtil.canConvertToDeduplicate): ROW_NUMBER, rank range 1..1, one
// ORDER BY key that is a time attribute column (in the ranking's
// pre-projection: not an expression over one), not a window Top-N, over an
// insert-only input (Flink's Deduplicate takes only inserts). Whether the
// row number is read is the caller's question.
func dedupTopN(t *TopN) (*Deduplicate, bool) {
	if t.Func != RowNumber || t.N != 1 || t.WindowEnd >= 0 || len(t.Order) != 1 || t.In.Updating() {
		return nil, false
	}
	o := t.Order[0]
	// The ORDER BY key must be a time attribute column itself, as for
	// the Top-N's TiesToNew (bindTopN), not an expression over one.
	pre, ok := t.In.(*Calc)
	if !ok || o.Col >= len(pre.Exprs) {
		return nil, false
	}
	ta := timeAttrColumn(pre.Exprs[o.Col])
	if ta == table.NoTimeAttr {
		return nil, false
	}
	return &Deduplicate{In: t.In, Keys: slices.Clone(t.Partition), Time: o.Col, KeepLast: o.Desc,
		Proctime: ta == table.Proctime, NullsFirst: o.NullsFirst}, true
}

// dedupRanks turns each Top-N of the plan that is a deduplication into a
// Deduplicate when its row number is read only by the enclosing query's
// bound on it (`rn <= N`, `rn < N`, `rn = 1`: always true of a row
// number 1, so dropped): the shape bindTopN makes, a Calc (the ranking
// SELECT's items) over the Top-N, under the enclosing query's Calc. The
// row number leaves the ranking Calc and the column references above it
// move down past it. A row number read anywhere else keeps the Rank (as
// in Flink, where outputRankNumber keeps the Rank).
//
// Each Deduplicate takes the session's mini-batch options (bad values are
// an error, as for a GROUP BY).
func (p *Planner) dedupRanks(root Node) error {
	parents := countParents(root)
	done := map[Node]bool{}
	var err error
	var visit func(n Node)
	visit = func(n Node) {
		if done[n] || err != nil {
			return
		}
		done[n] = true
		if c, ok := n.(*Calc); ok {
			if d := dedupCalc(c, parents); d == nil {
				topNTrim(c, parents) // topn_trim.go
			} else {
				if d.MiniBatch, err = p.miniBatch(); err != nil { // groupagg_batch.go
					err = fmt.Errorf("the deduplication partitioned by %s: %w", keysText(d.In, d.Keys), err)
				}
			}
		}
		for _, in := range n.Inputs() {
			visit(in)
		}
	}
	visit(root)
	return err
}

// dedupCalc rewrites outer -> mid (Calc) -> Top-N into outer -> mid ->
// Deduplicate when it may (see dedupRanks) and returns the Deduplicate
// (nil: not rewritten).
func dedupCalc(outer *Calc, parents map[Node]int) *Deduplicate {
	mid, ok := outer.In.(*Calc)
	if !ok || mid.Filter != nil || parents[mid] != 1 {
		return nil
	}
	t, ok := mid.In.(*TopN)
	if !ok || parents[t] != 1 {
		return nil
	}
	d, ok := dedupTopN(t)
	if !ok {
		return nil
	}
	rank := len(t.In.Cols())
	isRank := map[int]bool{} // mid's columns that are the row number
	for i, e := range mid.Exprs {
		if c, ok := e.(*expr.Column); ok && c.Index == rank {
			isRank[i] = true
			continue
		}
		uses, ok := calcColumnUses([]expr.Expr{e})
		if !ok || uses[rank] > 0 {
			return nil
		}
	}
	readsRank := func(e expr.Expr) bool {
		uses, ok := calcColumnUses([]expr.Expr{e})
		if !ok {
			return true
		}
		for i, n := range uses {
			if n > 0 && isRank[i] {
				return true
			}
		}
		return false
	}
	for _, e := range outer.Exprs {
		if readsRank(e) {
			return nil
		}
	}
	var keep []expr.Expr
	if outer.Filter != nil {
		for _, c := range calcConjuncts(outer.Filter) {
			if rankBoundTrue(c, isRank) {
				continue
			}
			if readsRank(c) {
				return nil
			}
			keep = append(keep, c)
		}
	}
	// mid without the row number: its columns after one move down.
	newIdx := make([]int, len(mid.Exprs))
	var exprs []expr.Expr
	var cols []Col
	for i, e := range mid.Exprs {
		newIdx[i] = len(exprs)
		if !isRank[i] {
			exprs = append(exprs, e)
			cols = append(cols, mid.cols[i])
		}
	}
	remap := func(e expr.Expr) (expr.Expr, bool) {
		return calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
			if c, ok := x.(*expr.Column); ok {
				return expr.ColumnRef(newIdx[c.Index], c.Name, c.T), true
			}
			return nil, false
		})
	}
	outExprs := make([]expr.Expr, len(outer.Exprs))
	for i, e := range outer.Exprs {
		if outExprs[i], ok = remap(e); !ok {
			return nil
		}
	}
	for i, e := range keep {
		if keep[i], ok = remap(e); !ok {
			return nil
		}
	}
	mid.In, mid.Exprs, mid.cols = d, exprs, cols
	outer.Exprs, outer.Filter = outExprs, andOf(keep)
	// UIDs: the Rank plan's Calc operator over the Top-N (outer and mid
	// fused: never the identity, it dropped the row number) keeps its
	// number even when the Calcs over the Deduplicate make no operator.
	mid.movedUID = true
	dedupTrim(d, mid, parents)
	return d
}

// dedupTrim drops from the ranking's pre-projection (bindTopN's Calc
// under d: the SELECT's columns, then the PARTITION BY and ORDER BY
// expressions) the trailing columns that only repeat an earlier column:
// d keys and orders by the earlier one instead. The rows d keeps and
// emits are then the SELECT's columns alone, the Calc over d projects
// nothing away (no operator), and the pre-projection, a plain projection
// of its input, fuses with the Calcs below it (a column read twice, such
// as a computed time column, would keep it apart). pre keeps its
// untrimmed expressions (rankExprs): its operator takes the numbers of
// the Calc operators the Rank plan made there (calc.go, rankPlanOps).
func dedupTrim(d *Deduplicate, mid *Calc, parents map[Node]int) {
	pre, ok := d.In.(*Calc)
	if !ok || parents[pre] != 1 {
		return
	}
	for i, k := range d.Keys {
		d.Keys[i] = canonCol(pre, k)
	}
	d.Time = canonCol(pre, d.Time)
	used := 0 // columns 0..used-1 are read
	for _, k := range append([]int{d.Time}, d.Keys...) {
		used = max(used, k+1)
	}
	uses, ok := calcColumnUses(mid.Exprs)
	if !ok {
		return
	}
	for i, n := range uses {
		if n > 0 {
			used = max(used, i+1)
		}
	}
	if used < len(pre.Exprs) {
		pre.rankExprs = pre.Exprs
	}
	pre.Exprs, pre.cols = pre.Exprs[:used:used], pre.cols[:used:used]
}

// rankBoundTrue reports whether conjunct e is `rn <= n` (n >= 1), `rn < n`
// (n >= 2) or `rn = 1` on a row-number column: true of row number 1.
func rankBoundTrue(e expr.Expr, isRank map[int]bool) bool { return rankBoundHolds(e, isRank, 1) }

// rankBoundHolds reports whether conjunct e is `rn <= m` (m >= top), `rn <
// m` (m > top) or `rn = 1` (top 1) on a row-number column: true of every
// row number 1..top.
func rankBoundHolds(e expr.Expr, isRank map[int]bool, top int64) bool {
	c, ok := e.(*expr.Call)
	if !ok || len(c.Args) != 2 {
		return false
	}
	col, ok := c.Args[0].(*expr.Column)
	if !ok || !isRank[col.Index] {
		return false
	}
	v := c.Args[1]
	if cast, ok := v.(*expr.Cast); ok {
		v = cast.X
	}
	lit, ok := v.(*expr.Literal)
	if !ok || lit.V.Kind() != table.KindInt {
		return false
	}
	n := lit.V.AsInt()
	switch c.Name {
	case "<=":
		return n >= top
	case "<":
		return n > top
	case "=":
		return n == 1 && top == 1
	}
	return false
}

// The state of a key, one value: a version byte (dedupStateVersion), a
// flags byte (dedupNullTime: the kept row's time is NULL; dedupNoRow: no
// row, the key was seen: keep-first by processing time), the kept row's
// time (epoch milliseconds, int64, and nanoseconds, uint32, little
// endian; zero by processing time), the row's RowCodec encoding (none
// with dedupNoRow), then a CRC-32C of all that. The time is compared
// without decoding the row; the row is decoded only for a -U.
const (
	dedupStateVersion = 1
	dedupNullTime     = 1 << 0
	dedupNoRow        = 1 << 1
	dedupHeader       = 2 + 8 + 4
)

var errDedupState = errors.New("planner: corrupt deduplicate state")

// dedupVal is a key's state: set (row, time) to write; read, b holds
// the bytes as stored (borrowed: used before the next write).
type dedupVal struct {
	row    *table.Row // nil: no row (dedupNoRow)
	null   bool
	millis int64
	nanos  uint32
	b      []byte
}

// dedupCodec encodes dedupVal straight into the state's buffer (one copy
// less than encoding into a buffer of our own first).
type dedupCodec struct{ rc *table.RowCodec }

func (c dedupCodec) Append(dst []byte, v dedupVal) []byte {
	start := len(dst)
	var flags byte
	if v.null {
		flags |= dedupNullTime
	}
	if v.row == nil {
		flags |= dedupNoRow
	}
	dst = append(dst, dedupStateVersion, flags)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(v.millis))
	dst = binary.LittleEndian.AppendUint32(dst, v.nanos)
	if v.row != nil {
		// The row's shape is the plan's (a mismatch is a bug): Append
		// panics, the engine reports the operator's failure.
		dst = c.rc.Append(dst, table.Row{Fields: v.row.Fields})
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// Decode checks the version and the checksum and returns the fields of
// the header; the row stays encoded in b (not copied: see borrowedBytes).
func (dedupCodec) Decode(src []byte) (dedupVal, error) {
	if len(src) < dedupHeader+4 || src[0] != dedupStateVersion {
		if len(src) > 0 && src[0] != dedupStateVersion {
			return dedupVal{}, fmt.Errorf("%w: layout version %d, this build reads %d", errDedupState, src[0], dedupStateVersion)
		}
		return dedupVal{}, fmt.Errorf("%w: %d bytes", errDedupState, len(src))
	}
	body := src[:len(src)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(src[len(src)-4:]) {
		return dedupVal{}, fmt.Errorf("%w: checksum mismatch", errDedupState)
	}
	flags := src[1]
	v := dedupVal{null: flags&dedupNullTime != 0, millis: int64(binary.LittleEndian.Uint64(src[2:])),
		nanos: binary.LittleEndian.Uint32(src[10:]), b: body}
	if flags&dedupNoRow == 0 && len(body) == dedupHeader {
		return dedupVal{}, fmt.Errorf("%w: no row", errDedupState)
	}
	return v, nil
}

// oldRow decodes the kept row of v as a row of kind.
func (v dedupVal) oldRow(rc *table.RowCodec, kind table.RowKind) (table.Row, error) {
	if v.b[1]&dedupNoRow != 0 {
		return table.Row{}, fmt.Errorf("%w: no row kept", errDedupState)
	}
	r, err := rc.Decode(v.b[dedupHeader:])
	if err != nil {
		return table.Row{}, fmt.Errorf("%w: %v", errDedupState, err)
	}
	r.Kind = kind
	return r, nil
}

// before reports whether time a comes before time b in the ORDER BY
// (TopN.less for one key).
func (x *Deduplicate) before(aNull bool, am int64, an uint32, bNull bool, bm int64, bn uint32) bool {
	switch {
	case aNull && bNull:
		return false
	case aNull:
		return x.NullsFirst
	case bNull:
		return !x.NullsFirst
	}
	c := cmp.Compare(am, bm)
	if c == 0 {
		c = cmp.Compare(an, bn)
	}
	if x.KeepLast { // DESC
		c = -c
	}
	return c < 0
}

// timeOf reads the ORDER BY time of r (rowtime).
func (x *Deduplicate) timeOf(r table.Row) (null bool, millis int64, nanos uint32) {
	t := r.Fields[x.Time]
	if t.IsNull() {
		return true, 0, 0
	}
	m, n := t.AsTimestamp()
	return false, m, uint32(n)
}

// replaces reports whether a row of time a replaces the kept row of time
// b (rowtime): it comes before it in the ORDER BY, or ties with it
// keeping the last row.
func (x *Deduplicate) replaces(aNull bool, am int64, an uint32, bNull bool, bm int64, bn uint32) bool {
	return x.before(aNull, am, an, bNull, bm, bn) || (x.KeepLast && !x.before(bNull, bm, bn, aNull, am, an))
}

func (tr *translator) dedup(x *Deduplicate) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	in, err := tr.build(x.In)
	if err != nil {
		return zero, err
	}
	keyFn, _ := keyOf(x.In, x.Keys)
	rc := rowCodecOf(x.In)
	ttl, err := tr.ttlOpts() // table.exec.state.ttl
	if err != nil {
		return zero, err
	}
	// The UID is the same with and without mini-batch: the state is.
	uid := tr.uid(ttlUIDKind(x.uidKind(), ttl))
	if x.MiniBatch.on() {
		// The bundle holds copies of its rows and emits them
		// (dedup_batch.go): the input's memory may be reused.
		return stream.KeyedProcessCopying(stream.KeyBy(in, keyFn), func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
			return newMiniBatchDedup(x, rc, ttl)
		}).Name("deduplicate").UID(uid), nil
	}
	return stream.KeyedProcess(stream.KeyBy(in, keyFn), func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		return perRowDedup(x, rc, ttl)
	}).Name("deduplicate").UID(uid), nil
}

// perRowDedup is the Deduplicate operator's function without mini-batch:
// each row is compared with the key's kept row (its time read from the
// state without decoding the row), and a replacement decodes the old row
// for the -U, writes the new one and emits it.
func perRowDedup(x *Deduplicate, rc *table.RowCodec, ttl []stream.StateOption) stream.KeyedProcessFunction[string, table.Row, table.Row] {
	var st *stream.ValueState[dedupVal]
	return stream.KeyedProcessFuncs[string, table.Row, table.Row]{
		OnOpen: func(ctx *stream.OpenContext) error {
			st = stream.NewValueStateCodec[dedupVal](ctx, "dedup", dedupCodec{rc: rc}, ttl...)
			return nil
		},
		OnElement: func(_ *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
			old, seen := st.Get()
			if x.Proctime && !x.KeepLast {
				// The key's first row only: insert-only.
				if seen {
					return nil
				}
				st.Set(dedupVal{})
				r.Kind = table.Insert
				out.Emit(r)
				return nil
			}
			nv := dedupVal{row: &r}
			if !x.Proctime {
				nv.null, nv.millis, nv.nanos = x.timeOf(r)
				if seen && !x.replaces(nv.null, nv.millis, nv.nanos, old.null, old.millis, old.nanos) {
					return nil
				}
			}
			var prev table.Row
			if seen {
				// Decoded before the write: old.b is the state's.
				var err error
				if prev, err = old.oldRow(rc, table.UpdateBefore); err != nil {
					return err
				}
			}
			st.Set(nv)
			if seen {
				out.Emit(prev)
				r.Kind = table.UpdateAfter
			} else {
				r.Kind = table.Insert
			}
			out.Emit(r)
			return nil
		},
	}
}

// rankPlanOps is the number of Calc operators (UID numbers) the Rank
// plan (main's build) made of the chain of Calcs from x, a ranking
// pre-projection that dedupTrim trimmed, down to in (where the trimmed
// chain's fusion stops): x untrimmed reads the PARTITION BY / ORDER BY
// columns a second time, which may have kept it from fusing with the
// Calcs below (a computed column read twice), and is never the identity.
func (tr *translator) rankPlanOps(x *Calc, in Node) int {
	c := &Calc{In: x.In, Filter: x.Filter, Exprs: x.rankExprs, cols: x.cols, movedUID: x.movedUID}
	return tr.calcStrictOps(c, in)
}

// calcStrictOps is the number of Calc operators (UID numbers) main's build
// made of the chain of Calcs from c down to in: fused by the strict rule
// (fuseCalcMode, not relaxed), a part that is the identity making none.
func (tr *translator) calcStrictOps(c *Calc, in Node) int {
	ops := 0
	for {
		g := fuseCalcMode(c, tr.shared, false)
		moved := false
		for n := Node(c); n != g.in; n = n.(*Calc).In {
			moved = moved || n.(*Calc).movedUID
		}
		if moved || !tr.noOperator(c, g.in) {
			ops++
		}
		next, ok := g.in.(*Calc)
		if !ok || g.in == in || next == c {
			return ops
		}
		c = next
	}
}
