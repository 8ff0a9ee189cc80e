package planner

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// SemiJoin is a regular (not windowed) semi or anti join, Flink's
// StreamingSemiAntiJoinOperator: the rows of L that have (SEMI) or do not
// have (ANTI) a partner in R, a partner being a row of R with the same
// keys, none of them NULL (SQL equality), and, for NOT IN over nullable
// columns (NullAware), with L[NAL] = R[NAR] not FALSE: a NULL on either
// side eliminates the left row as soon as R has a row of its keys, which
// is Flink's (and SQL's) NOT IN; and for which Cond (the other correlated
// conditions, over L's columns then R's) is TRUE. Both sides are kept in
// keyed state, each
// left row with its number of partners. A left row is forwarded with its
// own kind (+I, -U, +U, -D) when it passes; a partner's arrival or
// retraction emits +I / -D of the left rows it makes pass or fail.
// Output: L's columns; insert-only for SEMI over insert-only inputs.
//
// MARK (IN or EXISTS as a value: under OR, in the select list) emits every
// left row with one more BOOLEAN column, its IN / EXISTS value: TRUE when
// a partner compares TRUE, else NULL when one compares NULL (null-aware:
// x or y NULL), else FALSE; a right change that changes it emits -U old /
// +U new.
type SemiJoin struct {
	Kind         string // SEMI, ANTI or MARK
	L, R         Node
	LKeys, RKeys []int
	NullAware    bool
	NAL, NAR     int
	Cond         expr.Expr // other correlated conditions over L's and R's columns, or nil
	cols         []Col
}

func (n *SemiJoin) Cols() []Col { return n.cols }
func (n *SemiJoin) Updating() bool {
	return n.Kind != "SEMI" || n.L.Updating() || n.R.Updating()
}
func (n *SemiJoin) Inputs() []Node { return []Node{n.L, n.R} }

func (n *SemiJoin) explain() string {
	var ks []string
	for i := range n.LKeys {
		ks = append(ks, fmt.Sprintf("%s = %s", n.L.Cols()[n.LKeys[i]].Name, n.R.Cols()[n.RKeys[i]].Name))
	}
	if n.NullAware {
		l, r := n.L.Cols()[n.NAL].Name, n.R.Cols()[n.NAR].Name
		ks = append(ks, fmt.Sprintf("(%s = %s OR %s IS NULL OR %s IS NULL)", l, r, l, r))
	}
	if len(ks) == 0 {
		ks = []string{"true"}
	}
	cond := ""
	if n.Cond != nil {
		cond = fmt.Sprintf(", condition=[%s]", n.Cond)
	}
	return fmt.Sprintf("Join(joinType=[%s], where=[%s]%s", joinTypeText(n.Kind), strings.Join(ks, " AND "), cond)
}

func (n *SemiJoin) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	l, r, err := tr.buildPair(n.L, n.R)
	if err != nil {
		return zero, err
	}
	opts, err := tr.ttlOpts()
	if err != nil {
		return zero, err
	}
	if n.Cond != nil {
		if _, err := expr.CompilePredicate(n.Cond, tr.copts...); err != nil {
			return zero, err
		}
	}
	lc, rc := rowCodecOf(n.L), rowCodecOf(n.R)
	lkey, _ := keyOf(n.L, n.LKeys)
	rkey, _ := keyOf(n.R, n.RKeys)
	newFn := func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
		f := &semiJoinFn{n: n, lc: lc, rc: rc, opts: opts}
		if n.Cond != nil {
			var err error
			f.cond, err = expr.CompilePredicate(n.Cond, tr.copts...)
			evalPanic(err)
		}
		return f
	}
	name := strings.ToLower(n.Kind) + "-join"
	return stream.KeyedCoProcess(stream.KeyBy(l, lkey), stream.KeyBy(r, rkey), newFn).Name(name).UID(tr.uid(ttlUIDKind(name, opts))), nil
}

type semiJoinFn struct {
	n           *SemiJoin
	lc, rc      *table.RowCodec
	opts        []stream.StateOption
	cond        func(*table.Row) (bool, error)
	left, right *stream.ListState[[]byte]
}

func (f *semiJoinFn) Open(ctx *stream.OpenContext) error {
	f.left = stream.NewListState[[]byte](ctx, "semi-left", f.opts...)
	f.right = stream.NewListState[[]byte](ctx, "semi-right", f.opts...)
	return nil
}

// nullKeyCols reports whether a key column of the row is NULL: such a row has
// no partner (NULL = x is not TRUE).
func nullKeyCols(fs []table.Value, keys []int) bool {
	for _, k := range keys {
		if fs[k].IsNull() {
			return true
		}
	}
	return false
}

// pairTrue and pairNull are what partners returns for a pair that
// compares TRUE, or NULL (the null-aware pair of NOT IN / IN's value).
const (
	pairNone = iota
	pairTrue
	pairNull
)

// partners reports whether the left row l and the right row r pair (their
// keys are equal already: the key of the operator).
func (f *semiJoinFn) partners(l, r []table.Value) (int, error) {
	if nullKeyCols(l, f.n.LKeys) || nullKeyCols(r, f.n.RKeys) {
		return pairNone, nil
	}
	res := pairTrue
	if f.n.NullAware {
		a, b := l[f.n.NAL], r[f.n.NAR]
		switch {
		case a.IsNull() || b.IsNull():
			res = pairNull
		case !a.Equal(b):
			return pairNone, nil
		}
	}
	if f.cond != nil {
		row := table.Row{Fields: append(append(make([]table.Value, 0, len(l)+len(r)), l...), r...)}
		ok, err := f.cond(&row)
		if err != nil || !ok {
			return pairNone, err
		}
	}
	return res, nil
}

// count is the number of partners of a left row: for MARK those
// comparing TRUE in the high 32 bits and NULL in the low ones, else all.
func (f *semiJoinFn) count(pair int) int64 {
	if f.n.Kind == "MARK" && pair == pairTrue {
		return 1 << 32
	}
	return 1
}

// passes reports whether a left row with n partners is in the output
// (always, for MARK).
func (f *semiJoinFn) passes(n int64) bool {
	if f.n.Kind == "MARK" {
		return true
	}
	return (n > 0) != (f.n.Kind == "ANTI")
}

// out is the output row of left fields with n partners and kind k.
func (f *semiJoinFn) out(fs []table.Value, n int64, k table.RowKind) table.Row {
	if f.n.Kind != "MARK" {
		return table.Row{Kind: k, Fields: fs}
	}
	v := table.Bool(false)
	switch {
	case n>>32 > 0:
		v = table.Bool(true)
	case n&(1<<32-1) > 0:
		v = table.Null
	}
	return table.Row{Kind: k, Fields: append(append(make([]table.Value, 0, len(fs)+1), fs...), v)}
}

func (f *semiJoinFn) ProcessElement1(_ *stream.KeyedContext[string], v table.Row, out stream.Emitter[table.Row]) error {
	b, err := f.lc.AppendRow(nil, table.Row{Fields: v.Fields})
	if err != nil {
		return err
	}
	if v.Kind.IsRetract() {
		ls, err := readSide(f.left, f.lc, true)
		if err != nil {
			return err
		}
		for i, e := range ls {
			if bytes.Equal(e.raw, b) {
				writeSide(f.left, append(ls[:i:i], ls[i+1:]...), true)
				if f.passes(e.assoc) {
					out.Emit(f.out(v.Fields, e.assoc, v.Kind))
				}
				return nil
			}
		}
		return nil // a retraction of a row never seen (or expired)
	}
	var n int64
	var ferr error
	f.right.Range(func(ob []byte) bool {
		o, err := f.rc.Decode(ob)
		if err != nil {
			ferr = err
			return false
		}
		pair, err := f.partners(v.Fields, o.Fields)
		if err != nil {
			ferr = err
			return false
		}
		if pair != pairNone {
			n += f.count(pair)
		}
		return true
	})
	if ferr != nil {
		return ferr
	}
	f.left.Add(entryBytes(joinEntry{assoc: n, raw: b}, true))
	if f.passes(n) {
		out.Emit(f.out(v.Fields, n, v.Kind))
	}
	return nil
}

func (f *semiJoinFn) ProcessElement2(_ *stream.KeyedContext[string], v table.Row, out stream.Emitter[table.Row]) error {
	b, err := f.rc.AppendRow(nil, table.Row{Fields: v.Fields})
	if err != nil {
		return err
	}
	if v.Kind.IsRetract() {
		rs, err := readSide(f.right, f.rc, false)
		if err != nil {
			return err
		}
		found := -1
		for i, e := range rs {
			if bytes.Equal(e.raw, b) {
				found = i
				break
			}
		}
		if found < 0 {
			return nil
		}
		writeSide(f.right, append(rs[:found:found], rs[found+1:]...), false)
	} else {
		f.right.Add(b)
	}
	ls, err := readSide(f.left, f.lc, true)
	if err != nil {
		return err
	}
	changed := false
	for i := range ls {
		pair, err := f.partners(ls[i].row.Fields, v.Fields)
		if err != nil {
			return err
		}
		if pair == pairNone {
			continue
		}
		old := ls[i].assoc
		before := f.passes(old)
		if v.Kind.IsRetract() {
			ls[i].assoc -= f.count(pair)
		} else {
			ls[i].assoc += f.count(pair)
		}
		changed = true
		if f.n.Kind == "MARK" {
			// The value changes: -U old, +U new.
			o, nw := f.out(ls[i].row.Fields, old, table.UpdateBefore), f.out(ls[i].row.Fields, ls[i].assoc, table.UpdateAfter)
			if !o.Fields[len(o.Fields)-1].Equal(nw.Fields[len(nw.Fields)-1]) {
				out.Emit(o)
				out.Emit(nw)
			}
			continue
		}
		if after := f.passes(ls[i].assoc); after != before {
			k := table.Insert
			if !after {
				k = table.Delete
			}
			out.Emit(table.Row{Kind: k, Fields: ls[i].row.Fields})
		}
	}
	if changed {
		writeSide(f.left, ls, true)
	}
	return nil
}

func (f *semiJoinFn) OnTimer(*stream.KeyedContext[string], int64, stream.Emitter[table.Row]) error {
	return nil
}
