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
// is Flink's (and SQL's) NOT IN. Both sides are kept in keyed state, each
// left row with its number of partners. A left row is forwarded with its
// own kind (+I, -U, +U, -D) when it passes; a partner's arrival or
// retraction emits +I / -D of the left rows it makes pass or fail.
// Output: L's columns; insert-only for SEMI over insert-only inputs.
type SemiJoin struct {
	Kind         string // SEMI or ANTI
	L, R         Node
	LKeys, RKeys []int
	NullAware    bool
	NAL, NAR     int
	Cond         expr.Expr // other correlated conditions over L's and R's columns, or nil
	cols         []Col
}

func (n *SemiJoin) Cols() []Col { return n.cols }
func (n *SemiJoin) Updating() bool {
	return n.Kind == "ANTI" || n.L.Updating() || n.R.Updating()
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
	l, err := tr.build(n.L)
	if err != nil {
		return zero, err
	}
	r, err := tr.build(n.R)
	if err != nil {
		return zero, err
	}
	opts, err := tr.ttlOpts()
	if err != nil {
		return zero, err
	}
	if n.Cond != nil {
		if _, err := expr.CompilePredicate(n.Cond); err != nil {
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
			f.cond, err = expr.CompilePredicate(n.Cond)
			evalPanic(err)
		}
		return f
	}
	name := strings.ToLower(n.Kind) + "-join"
	return stream.KeyedCoProcess(stream.KeyBy(l, lkey), stream.KeyBy(r, rkey), newFn).Name(name).UID(tr.uid(name)), nil
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

// partners reports whether the left row l and the right row r pair (their
// keys are equal already: the key of the operator).
func (f *semiJoinFn) partners(l, r []table.Value) (bool, error) {
	if nullKeyCols(l, f.n.LKeys) || nullKeyCols(r, f.n.RKeys) {
		return false, nil
	}
	if f.n.NullAware {
		a, b := l[f.n.NAL], r[f.n.NAR]
		if !(a.IsNull() || b.IsNull() || a.Equal(b)) {
			return false, nil
		}
	}
	if f.cond != nil {
		row := table.Row{Fields: append(append(make([]table.Value, 0, len(l)+len(r)), l...), r...)}
		return f.cond(&row)
	}
	return true, nil
}

// passes reports whether a left row with n partners is in the output.
func (f *semiJoinFn) passes(n int64) bool { return (n > 0) != (f.n.Kind == "ANTI") }

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
					out.Emit(v)
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
		ok, err := f.partners(v.Fields, o.Fields)
		if err != nil {
			ferr = err
			return false
		}
		if ok {
			n++
		}
		return true
	})
	if ferr != nil {
		return ferr
	}
	f.left.Add(entryBytes(joinEntry{assoc: n, raw: b}, true))
	if f.passes(n) {
		out.Emit(v)
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
		ok, err := f.partners(ls[i].row.Fields, v.Fields)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		before := f.passes(ls[i].assoc)
		if v.Kind.IsRetract() {
			ls[i].assoc--
		} else {
			ls[i].assoc++
		}
		changed = true
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
