package planner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/catalog"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// LookupJoin is Flink's processing-time lookup join,
// `l [LEFT] JOIN t FOR SYSTEM_TIME AS OF l.proctime [AS a] ON l-expr = a.col
// AND ...`, against a bounded table: the table is read once, when the
// first row arrives, into an in-memory hash index by the lookup key
// columns (shared read-only by the job's subtasks in this process), and
// each left row is joined with the rows of its key (LEFT: padded with
// NULLs when there is none). Flink reloads such a cache after
// 'lookup.cache.ttl'; the table here is static for the job's life.
// Output: the left columns, then the table's; insert-only; the left
// columns keep their time attributes (the rows keep their timestamps).
type LookupJoin struct {
	Kind  string // INNER, LEFT
	L     Node
	Table *catalog.Table
	R     Node        // the table's scan (plus its computed columns)
	LKeys []expr.Expr // over the left row
	RKeys []expr.Expr // over the table's row, the same types as LKeys
	// NullSafe per key: IS NOT DISTINCT FROM (a NULL key matches a NULL
	// key), else = (a NULL key matches nothing).
	NullSafe []bool
	Cond     expr.Expr // the residual ON condition over the joined row, or nil
	cols     []Col
}

func (n *LookupJoin) Cols() []Col    { return n.cols }
func (n *LookupJoin) Updating() bool { return false }
func (n *LookupJoin) Inputs() []Node { return []Node{n.L} }

func (n *LookupJoin) explain() string {
	var ks []string
	for i := range n.LKeys {
		ks = append(ks, fmt.Sprintf("%s %s %s", n.RKeys[i], keyOp(n.NullSafe, i), n.LKeys[i]))
	}
	cond := ""
	if n.Cond != nil {
		cond = fmt.Sprintf(", where=[%s]", n.Cond)
	}
	return fmt.Sprintf("LookupJoin(table=[%s], joinType=[%s], lookup=[%s]%s", n.Table.Name, joinTypeText(n.Kind), strings.Join(ks, ", "), cond)
}

// lookupJoin binds a join whose right side is FOR SYSTEM_TIME AS OF.
func (p *Planner) lookupJoin(j *parser.Join, tn *parser.TableName, where parser.Expr) (Node, *scope, []parser.Expr, error) {
	kind := j.Kind
	if kind == "," {
		return nil, nil, nil, errAt(tn, "FOR SYSTEM_TIME AS OF needs JOIN ... ON (a lookup join), not a comma join")
	}
	if kind != "INNER" && kind != "LEFT" {
		return nil, nil, nil, errAt(j, "a lookup join (FOR SYSTEM_TIME AS OF) is INNER or LEFT, not %s", kind)
	}
	if j.Natural || len(j.Using) > 0 {
		return nil, nil, nil, errAt(j, "NATURAL and USING joins are not supported yet")
	}
	l, ls, err := p.joinInput(j.Left)
	if err != nil {
		return nil, nil, nil, err
	}
	if l.Updating() {
		return nil, nil, nil, errAt(j, "a lookup join over an updating input is not supported yet")
	}
	at, err := p.b.bind(tn.SystemTime, ls)
	if err != nil {
		return nil, nil, nil, err
	}
	c, ok := at.(*expr.Column)
	eventTime := ok && c.T.TimeAttr() == table.Rowtime // temporaljoin.go
	if !eventTime && (!ok || c.T.TimeAttr() != table.Proctime) {
		return nil, nil, nil, errAt(tn.SystemTime, "FOR SYSTEM_TIME AS OF takes a time attribute of the left input: a processing-time one (a PROCTIME() column: a lookup join) or its event-time one (a temporal join against a versioned table), not %s", tn.SystemTime)
	}
	name := tn.Name.Parts[len(tn.Name.Parts)-1].Name
	if len(tn.Name.Parts) > 1 {
		return nil, nil, nil, errAt(tn.Name, "qualified table names (catalog.db.table) are not supported yet")
	}
	t, ok := p.Cat.Table(name)
	var r Node
	if ok {
		if r, err = p.scan(t); err != nil {
			return nil, nil, nil, err
		}
	} else if v, isView := p.Cat.View(name); isView {
		if !eventTime {
			return nil, nil, nil, errAt(tn.Name, "the table of a lookup join must be a table, `%s` is a view", name)
		}
		if r, err = p.bindQuery(v.Query); err != nil {
			return nil, nil, nil, err
		}
		if t, err = versionedView(tn.Name, name, r); err != nil { // temporaljoin.go
			return nil, nil, nil, err
		}
	} else {
		msg := fmt.Sprintf("unknown table `%s`", name)
		if s := p.Cat.Suggest(name); s != "" {
			msg += fmt.Sprintf("; did you mean `%s`?", s)
		}
		return nil, nil, nil, errAt(tn.Name, "%s", msg)
	}
	if r.Updating() && !eventTime {
		return nil, nil, nil, errAt(tn.Name, "the table of a lookup join must be insert-only, `%s` is a changelog", name)
	}
	_, rs, err := p.aliased(r, name, tn.Alias)
	if err != nil {
		return nil, nil, nil, err
	}
	s := &scope{}
	s.cols = append(append(s.cols, ls.cols...), rs.cols...)
	nl := len(ls.cols)
	lj := &LookupJoin{Kind: kind, L: l, Table: t, R: r}
	conds := conjuncts(j.On, nil)
	after := conjuncts(where, nil)
	var rest []parser.Expr
	for _, cnd := range conds {
		// l = r, or l IS NOT DISTINCT FROM r (nullSafe), of a left
		// expression and a column of the table, either way round.
		var x, y parser.Expr
		nullSafe := false
		switch b := cnd.(type) {
		case *parser.Binary:
			if b.Op == "=" {
				x, y = b.L, b.R
			}
		case *parser.IsDistinct:
			if b.Not {
				x, y, nullSafe = b.X, b.Y, true
			}
		}
		if x != nil {
			if lk, rk, ok := p.lookupKey(x, y, s, ls, nl); ok {
				if err := lj.addKey(cnd, lk, rk, nullSafe); err != nil {
					return nil, nil, nil, err
				}
				continue
			}
			if lk, rk, ok := p.lookupKey(y, x, s, ls, nl); ok {
				if err := lj.addKey(cnd, lk, rk, nullSafe); err != nil {
					return nil, nil, nil, err
				}
				continue
			}
		}
		rest = append(rest, cnd)
	}
	if len(lj.LKeys) == 0 {
		return nil, nil, nil, errAt(j, "a lookup join needs an equality (= or IS NOT DISTINCT FROM) of a column of `%s` and an expression of the left input in ON", name)
	}
	for i := range s.cols {
		s.cols[i].win = winNone
		if i >= nl || (eventTime && i != c.Index) {
			s.cols[i].t = s.cols[i].t.WithTimeAttr(table.NoTimeAttr)
			if kind == "LEFT" {
				s.cols[i].t = s.cols[i].t.AsNullable()
			}
		}
		lj.cols = append(lj.cols, Col{Name: s.cols[i].name, Type: s.cols[i].t})
	}
	if len(rest) > 0 {
		if lj.Cond, err = p.joinCond(rest, s); err != nil {
			return nil, nil, nil, err
		}
	}
	if eventTime {
		tj, err := p.temporalJoin(tn, lj, c.Index)
		if err != nil {
			return nil, nil, nil, err
		}
		return tj, s, after, nil
	}
	return lj, s, after, nil
}

// lookupKey reads `left-expr = table-column` (l, r as written): the bound
// left expression and the table column's index.
func (p *Planner) lookupKey(l, r parser.Expr, s, ls *scope, nl int) (expr.Expr, int, bool) {
	rc, ok := r.(*parser.ColumnRef)
	if !ok {
		return nil, 0, false
	}
	ri, err := s.resolve(rc)
	if err != nil || ri < nl {
		return nil, 0, false
	}
	le, err := p.b.bind(l, ls)
	if err != nil {
		return nil, 0, false
	}
	return le, ri - nl, true
}

// addKey adds the key pair le = column ri of the table, both cast to a
// common type.
func (n *LookupJoin) addKey(at parser.Node, le expr.Expr, ri int, nullSafe bool) error {
	rt := n.R.Cols()[ri].Type.WithTimeAttr(table.NoTimeAttr)
	re := expr.Expr(expr.ColumnRef(ri, n.R.Cols()[ri].Name, rt))
	lt := le.Type().WithTimeAttr(table.NoTimeAttr)
	var err error
	switch {
	case lt.EqualIgnoringNull(rt):
	case table.SupportsImplicitCast(lt.AsNullable(), rt.AsNullable()):
		le, err = expr.NewCast(le, rt, false)
	case table.SupportsImplicitCast(rt.AsNullable(), lt.AsNullable()):
		re, err = expr.NewCast(re, lt, false)
	default:
		err = fmt.Errorf("the lookup key %s (%s) and `%s` (%s) have no common type", le, lt, n.R.Cols()[ri].Name, rt)
	}
	if err != nil {
		return errAt(at, "%v", err)
	}
	n.LKeys = append(n.LKeys, le)
	n.RKeys = append(n.RKeys, re)
	n.NullSafe = append(n.NullSafe, nullSafe)
	return nil
}

// lookupIndex is the loaded table: its rows by encoded key, or by the
// key's integer when the lookup has one integer key (ints).
type lookupIndex struct {
	once sync.Once
	rows map[string][]table.Row
	ints map[int64][]table.Row
	// dense holds the rows of the integer keys 0..len(dense)-1 by key
	// (built by denseInts: the keys from 0 to the largest are few and
	// dense, as q13's 0..9999); ints then holds the others.
	dense [][]table.Row
	// flat and off hold the rows of dense once more, their fields back to
	// back, width values each (built by flatten when every row of dense
	// has width fields; dense's rows then share these fields): key k's
	// rows are flat[off[k]*width : off[k+1]*width]. A lookup reads two
	// neighbouring offsets and the fields, where dense costs a slice, a
	// Row and its fields array, three dependent loads, per lookup.
	flat  []table.Value
	off   []int32
	width int
	err   error
}

// flatten builds flat and off from dense when every row of dense has width
// fields (and there are fewer than 2^31 rows); else it leaves them nil.
func (idx *lookupIndex) flatten(width int) {
	if idx.dense == nil || width <= 0 {
		return
	}
	n := 0
	for _, rs := range idx.dense {
		for _, r := range rs {
			if len(r.Fields) != width {
				return
			}
		}
		n += len(rs)
	}
	if n >= math.MaxInt32 || n > math.MaxInt/width {
		return
	}
	flat := make([]table.Value, 0, n*width)
	off := make([]int32, 0, len(idx.dense)+1)
	for k, rs := range idx.dense {
		off = append(off, int32(len(flat)/width))
		for i, r := range rs {
			lo := len(flat)
			flat = append(flat, r.Fields...)
			rs[i].Fields = flat[lo:len(flat):len(flat)]
		}
		idx.dense[k] = rs
	}
	off = append(off, int32(len(flat)/width))
	idx.flat, idx.off, idx.width = flat, off, width
}

// flatRows returns the rows of the integer key k in flat as the row
// numbers lo to hi-1, and whether k is a key of flat (0..len(dense)-1);
// when it is not, its rows are those of intRows.
func (idx *lookupIndex) flatRows(k int64) (lo, hi int32, ok bool) {
	if k < 0 || k >= int64(len(idx.off))-1 {
		return 0, 0, false
	}
	return idx.off[k], idx.off[k+1], true
}

// denseInts moves the rows of the integer keys 0..max into dense when the
// slice, max+1 entries long, has at most denseSlack more entries than
// twice the number of keys.
func (idx *lookupIndex) denseInts() {
	const denseSlack = 1024
	n, maxK := 0, int64(-1)
	for k := range idx.ints {
		if k >= 0 {
			n++
			maxK = max(maxK, k)
		}
	}
	if n == 0 || maxK >= int64(2*n+denseSlack) {
		return
	}
	idx.dense = make([][]table.Row, maxK+1)
	for k, rs := range idx.ints {
		if k >= 0 {
			idx.dense[k] = rs
			delete(idx.ints, k)
		}
	}
}

// intRows are the rows of integer key k.
func (idx *lookupIndex) intRows(k int64) []table.Row {
	if uint64(k) < uint64(len(idx.dense)) {
		return idx.dense[k]
	}
	return idx.ints[k]
}

// keyString encodes key values; ok is false when one is NULL (no match)
// but for a null-safe key (IS NOT DISTINCT FROM), whose NULL is encoded.
func keyString(c *table.RowCodec, vs []table.Value, nullSafe []bool) (string, bool, error) {
	b, ok, err := appendLookupKey(nil, c, vs, nullSafe)
	return string(b), ok, err
}

// appendLookupKey appends the encoding of keyString to b.
func appendLookupKey(b []byte, c *table.RowCodec, vs []table.Value, nullSafe []bool) ([]byte, bool, error) {
	for i, v := range vs {
		if v.IsNull() && (i >= len(nullSafe) || !nullSafe[i]) {
			return b, false, nil
		}
	}
	b, err := c.AppendRow(b, table.Row{Fields: vs})
	return b, true, err
}

func (n *LookupJoin) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	in, err := tr.build(n.L)
	if err != nil {
		return zero, err
	}
	f, ok := tr.p.Factories[n.Table.Connector].(connector.TableSourceFactory)
	if !ok {
		return zero, fmt.Errorf("connector '%s' of table `%s` cannot be read (it is a sink only)", n.Table.Connector, n.Table.Name)
	}
	tc, err := tr.sourceContext(n.Table)
	if err != nil {
		return zero, err
	}
	tc.PartitionKeys = partitionKeys(n.Table)
	src, err := f.TableSource(tr.ctx, tc)
	if err != nil {
		return zero, connErr(n.Table, err)
	}
	if !src.Bounded() {
		return zero, fmt.Errorf("the table `%s` of a lookup join must be bounded (it is read into memory once); connector '%s' gives an unbounded source", n.Table.Name, n.Table.Connector)
	}
	lkeys, err := compileAll(n.LKeys, tr.copts)
	if err != nil {
		return zero, err
	}
	rkeys, err := compileAll(n.RKeys, tr.copts)
	if err != nil {
		return zero, err
	}
	var computed []expr.Program // the table's columns from its physical ones
	if c, ok := n.R.(*Calc); ok {
		if computed, err = compileAll(c.Exprs, tr.copts); err != nil {
			return zero, err
		}
	}
	var cond func(*table.Row) (bool, error)
	if n.Cond != nil {
		if cond, err = expr.CompilePredicate(n.Cond, tr.copts...); err != nil {
			return zero, err
		}
	}
	var types []table.Type
	for _, k := range n.LKeys {
		types = append(types, k.Type())
	}
	kc := table.NewRowCodecTypes(types...)
	eval := func(ps []expr.Program, r *table.Row) ([]table.Value, error) {
		vs := make([]table.Value, len(ps))
		for i, p := range ps {
			v, err := p(r)
			if err != nil {
				return nil, err
			}
			vs[i] = v
		}
		return vs, nil
	}
	// One integer key that is not null-safe (q13's MOD(auction, 10000) =
	// key): the index is by the int64, no key is encoded.
	intKey := len(types) == 1 && types[0].IsInteger() && !n.NullSafe[0]
	nr := len(n.R.Cols())
	idx := &lookupIndex{}
	load := func() {
		idx.rows = map[string][]table.Row{}
		idx.ints = map[int64][]table.Row{}
		idx.err = readAll(context.Background(), src, func(r table.Row) error {
			if computed != nil {
				vs, err := eval(computed, &r)
				if err != nil {
					return err
				}
				r = table.Row{Fields: vs}
			}
			ks, err := eval(rkeys, &r)
			if err != nil {
				return err
			}
			if intKey {
				if !ks[0].IsNull() {
					k := ks[0].AsInt()
					idx.ints[k] = append(idx.ints[k], table.Row{Fields: r.Fields})
				}
				return nil
			}
			k, ok, err := keyString(kc, ks, n.NullSafe)
			if ok {
				idx.rows[k] = append(idx.rows[k], table.Row{Fields: r.Fields})
			}
			return err
		})
		if idx.err != nil {
			idx.err = fmt.Errorf("lookup join: reading table `%s`: %w", n.Table.Name, idx.err)
		} else {
			idx.denseInts()
			idx.flatten(nr)
		}
	}
	// A function per subtask, with its scratch: the left row's key values
	// and encoding, and the output row when the operators after it are
	// done with each row when Emit returns (stream.EmitterReleases). It
	// copies the left row's fields into every row it emits and never
	// emits the left row itself (ProcessEachCopying: the source may build
	// its next batch in the memory of the last).
	newFn := func() stream.ProcessFunc[table.Row, table.Row] {
		ks := make([]table.Value, len(lkeys))
		var kb []byte
		var outBuf []table.Value
		// What the key programs and cond read (a pointer to the
		// parameter or a local would be allocated per row).
		row := new(table.Row)
		released, releases := false, false
		fields := func(w int) []table.Value {
			if !releases {
				return make([]table.Value, w)
			}
			if cap(outBuf) < w {
				outBuf = make([]table.Value, w)
			}
			return outBuf[:w]
		}
		return func(_ *stream.Context, l table.Row, out stream.Emitter[table.Row]) error {
			idx.once.Do(load)
			if idx.err != nil {
				return idx.err
			}
			if !released {
				released, releases = true, stream.EmitterReleases(out)
			}
			*row = l
			// The matches: the table rows matches, or rows lo to hi-1 of
			// idx.flat (one integer key of a dense index).
			var matches []table.Row
			var lo, hi int32
			if intKey {
				// The key's value stays a local: no scratch slice
				// written and read back per row.
				v, err := lkeys[0](row)
				*row = table.Row{} // keeps nothing alive
				if err != nil {
					return err
				}
				if !v.IsNull() {
					k := v.AsInt()
					var ok bool
					if lo, hi, ok = idx.flatRows(k); !ok {
						matches = idx.intRows(k)
					}
				}
			} else {
				for i, p := range lkeys {
					v, err := p(row)
					if err != nil {
						*row = table.Row{}
						return err
					}
					ks[i] = v
				}
				*row = table.Row{} // keeps nothing alive
				var ok bool
				var err error
				if kb, ok, err = appendLookupKey(kb[:0], kc, ks, n.NullSafe); err != nil {
					return err
				} else if ok {
					matches = idx.rows[string(kb)]
				}
				clear(ks)
			}
			w, fw := len(l.Fields)+nr, idx.width
			matched := false
			for i, c := 0, len(matches)+int(hi-lo); i < c; i++ {
				var rf []table.Value
				if matches != nil {
					rf = matches[i].Fields
				} else {
					j := int(lo) + i
					rf = idx.flat[j*fw : (j+1)*fw]
				}
				f := fields(w)
				copy(f, l.Fields)
				copy(f[len(l.Fields):], rf)
				if cond != nil {
					*row = table.Row{Kind: table.Insert, Fields: f}
					pass, err := cond(row)
					*row = table.Row{}
					if err != nil {
						return err
					} else if !pass {
						continue
					}
				}
				matched = true
				out.Emit(table.Row{Kind: table.Insert, Fields: f})
			}
			if !matched && n.Kind == "LEFT" {
				f := fields(w)
				copy(f, l.Fields)
				for i := len(l.Fields); i < len(f); i++ {
					f[i] = table.Null
				}
				out.Emit(table.Row{Kind: table.Insert, Fields: f})
			}
			return nil
		}
	}
	return stream.ProcessEachCopying(in, newFn).Name("lookup-join:" + n.Table.Name).UID(tr.uid("lookup-join")), nil
}

// readAll reads every split of a bounded source.
func readAll(ctx context.Context, src connector.Source[table.Row], emit func(table.Row) error) error {
	splits, err := src.Splits(ctx)
	if err != nil {
		return err
	}
	buf := make([]table.Row, 256)
	for _, sp := range splits {
		rd, err := src.Open(ctx, sp, nil)
		if err != nil {
			return err
		}
		for {
			n, err := rd.Read(ctx, buf)
			for _, r := range buf[:n] {
				if err := emit(r); err != nil {
					rd.Close()
					return err
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rd.Close()
				return err
			}
			if n == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		if err := rd.Close(); err != nil {
			return err
		}
	}
	return nil
}

// compileAll compiles each expression of es.
func compileAll(es []expr.Expr, opts []expr.Option) ([]expr.Program, error) {
	ps := make([]expr.Program, 0, len(es))
	for _, e := range es {
		p, err := expr.Compile(e, opts...)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// unreadProctime replaces, in the Calc that is the left input of the
// unshared lookup join f reads, each PROCTIME() output that nothing reads
// (not f, not the join's keys or residual condition) with a constant of
// its type: the column only names the join's FOR SYSTEM_TIME AS OF time
// (Nexmark q13's p_time), and reading the clock per row was about a
// tenth of q13's CPU. The operators (and their UIDs) are the same; the
// constant is never seen.
func (tr *translator) unreadProctime(f *fusedCalc, j *LookupJoin) {
	c, ok := j.L.(*Calc)
	if !ok || tr.shared(j) || tr.shared(c) {
		return
	}
	var unread []int
	for i, e := range c.Exprs {
		if x, ok := e.(*expr.Call); ok && x.Name == "PROCTIME" && len(x.Args) == 0 {
			unread = append(unread, i)
		}
	}
	if len(unread) == 0 {
		return
	}
	reads := append(append([]expr.Expr(nil), f.filters...), f.exprs...)
	reads = append(reads, j.LKeys...)
	if j.Cond != nil {
		reads = append(reads, j.Cond)
	}
	uses, ok := calcColumnUses(reads)
	if !ok {
		return
	}
	cc := *c
	cc.Exprs = slices.Clone(c.Exprs)
	changed := false
	for _, i := range unread {
		if uses[i] == 0 {
			cc.Exprs[i] = expr.Lit(table.TimestampMillis(0), c.Exprs[i].Type())
			changed = true
		}
	}
	if !changed {
		return
	}
	jj := *j
	jj.L = &cc
	f.in = &jj
}
