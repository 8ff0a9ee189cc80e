package planner

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"github.com/stromio/strom/internal/sql/catalog"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// TemporalJoin is Flink's event-time temporal join,
// `l [LEFT] JOIN v FOR SYSTEM_TIME AS OF l.rowtime ON l-expr = v.pk ...`,
// against a versioned table v (a PRIMARY KEY and an event-time
// attribute): each left row joins the version of its key that was valid
// at the left row's time (the right row of the key with the greatest
// time <= it; a -D ends a version, -U is ignored), once the watermark
// of both inputs passes the left row's time. KeyedCoProcess keyed by the
// primary key: the left rows wait in a MapState by time with an
// event-time timer; the versions of the key are kept sorted in a
// ValueState, and those older than the version valid at the watermark
// are dropped as the timers fire. Left rows at or behind the watermark
// are dropped as late (counted). Output: insert-only, the left columns
// then v's; the left event-time attribute stays one (rows carry its
// value).
type TemporalJoin struct {
	LookupJoin
	LTime int // the left event-time attribute
}

func (n *TemporalJoin) Inputs() []Node { return []Node{n.L, n.R} }

func (n *TemporalJoin) explain() string {
	var ks []string
	for i := range n.LKeys {
		ks = append(ks, fmt.Sprintf("%s %s %s", n.RKeys[i], keyOp(n.NullSafe, i), n.LKeys[i]))
	}
	cond := ""
	if n.Cond != nil {
		cond = fmt.Sprintf(", where=[%s]", n.Cond)
	}
	return fmt.Sprintf("TemporalJoin(table=[%s], joinType=[%s], key=[%s], time=[%s]%s", n.Table.Name, joinTypeText(n.Kind), strings.Join(ks, ", "), n.L.Cols()[n.LTime].Name, cond)
}

// temporalJoin checks that lj's table is versioned and keyed by its
// primary key.
func (p *Planner) temporalJoin(tn *parser.TableName, lj *LookupJoin, ltime int) (Node, error) {
	t := lj.Table
	if len(t.Schema.PrimaryKey) == 0 || t.Schema.Rowtime == "" {
		return nil, errAt(tn.Name, "FOR SYSTEM_TIME AS OF an event-time attribute needs a versioned table: `%s` must declare a PRIMARY KEY and a WATERMARK (a processing-time attribute makes a lookup join)", t.Name)
	}
	// The keys must be the primary key, each column once.
	keyed := map[string]bool{}
	for _, k := range lj.RKeys {
		c, ok := k.(*expr.Column)
		if !ok {
			if cast, isCast := k.(*expr.Cast); isCast {
				c, ok = cast.X.(*expr.Column)
			}
		}
		if ok {
			keyed[c.Name] = true
		}
	}
	for _, pk := range t.Schema.PrimaryKey {
		if !keyed[pk] {
			return nil, errAt(tn, "a temporal join must equate every primary key column of `%s` in ON; `%s` is missing", t.Name, pk)
		}
	}
	if len(keyed) != len(lj.RKeys) || len(lj.RKeys) != len(t.Schema.PrimaryKey) {
		return nil, errAt(tn, "a temporal join is keyed by the primary key of `%s` (%s): other equalities on its columns belong in WHERE", t.Name, strings.Join(t.Schema.PrimaryKey, ", "))
	}
	return &TemporalJoin{LookupJoin: *lj, LTime: ltime}, nil
}

// version is one version of a key: its start time and row (nil: deleted).
type version struct {
	ts  int64
	row []byte
}

func encodeVersions(vs []version) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.AppendVarint(b, v.ts)
		if v.row == nil {
			b = binary.AppendUvarint(b, 0)
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(v.row))+1)
		b = append(b, v.row...)
	}
	return b
}

func decodeVersions(b []byte) ([]version, error) {
	var vs []version
	for len(b) > 0 {
		ts, n := binary.Varint(b)
		if n <= 0 {
			return nil, errBadState
		}
		b = b[n:]
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n)+1 {
			return nil, errBadState
		}
		b = b[n:]
		v := version{ts: ts}
		if l > 0 {
			v.row = b[:l-1]
			b = b[l-1:]
		}
		vs = append(vs, v)
	}
	return vs, nil
}

func (n *TemporalJoin) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	l, r, err := tr.buildPair(n.L, n.R)
	if err != nil {
		return zero, err
	}
	lkeys, err := compileAll(n.LKeys, tr.copts)
	if err != nil {
		return zero, err
	}
	rkeys, err := compileAll(n.RKeys, tr.copts)
	if err != nil {
		return zero, err
	}
	if n.Cond != nil {
		if _, err := expr.CompilePredicate(n.Cond, tr.copts...); err != nil {
			return zero, err
		}
	}
	var types []table.Type
	for _, k := range n.LKeys {
		types = append(types, k.Type())
	}
	kc := table.NewRowCodecTypes(types...)
	keyFn := func(ps []expr.Program) func(table.Row) string {
		return func(r table.Row) string {
			vs := make([]table.Value, len(ps))
			for i, p := range ps {
				v, err := p(&r)
				evalPanic(err)
				vs[i] = v
			}
			// A NULL key (but under IS NOT DISTINCT FROM) matches
			// nothing; all such keys share one group, whose versions
			// never match (checked on output).
			k, _, err := keyString(kc, vs, n.NullSafe)
			evalPanic(err)
			return k
		}
	}
	newFn := func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
		f := &temporalJoinFn{n: n, lc: rowCodecOf(n.L), rc: rowCodecOf(n.R), lkeys: lkeys}
		if n.Cond != nil {
			var err error
			f.cond, err = expr.CompilePredicate(n.Cond, tr.copts...)
			evalPanic(err)
		}
		return f
	}
	return stream.KeyedCoProcess(stream.KeyBy(l, keyFn(lkeys)), stream.KeyBy(r, keyFn(rkeys)), newFn).
		Name("temporal-join:" + n.Table.Name).UID(tr.uid("temporal-join")), nil
}

type temporalJoinFn struct {
	n        *TemporalJoin
	lc, rc   *table.RowCodec
	lkeys    []expr.Program
	cond     func(*table.Row) (bool, error)
	left     *stream.MapState[int64, []byte]
	versions *stream.ValueState[[]byte]
}

func (f *temporalJoinFn) Open(ctx *stream.OpenContext) error {
	f.left = stream.NewMapState[int64, []byte](ctx, "temporal-join-left")
	f.versions = stream.NewValueState[[]byte](ctx, "temporal-join-versions")
	return nil
}

func (f *temporalJoinFn) ProcessElement1(ctx *stream.KeyedContext[string], v table.Row, _ stream.Emitter[table.Row]) error {
	ts := ctx.Timestamp()
	if ts <= ctx.CurrentWatermark() {
		ctx.CountLate()
		return nil
	}
	b, err := f.lc.AppendRow(nil, table.Row{Fields: v.Fields})
	if err != nil {
		return err
	}
	old, _ := f.left.Get(ts)
	f.left.Put(ts, appendEntry(old, ts, b))
	ctx.RegisterEventTimeTimer(ts)
	return nil
}

func (f *temporalJoinFn) ProcessElement2(ctx *stream.KeyedContext[string], v table.Row, _ stream.Emitter[table.Row]) error {
	if v.Kind == table.UpdateBefore {
		return nil // the +U that follows starts the next version
	}
	var vs []version
	if b, ok := f.versions.Get(); ok {
		var err error
		if vs, err = decodeVersions(b); err != nil {
			return err
		}
	}
	nv := version{ts: ctx.Timestamp()}
	if v.Kind != table.Delete {
		b, err := f.rc.AppendRow(nil, table.Row{Fields: v.Fields})
		if err != nil {
			return err
		}
		nv.row = b
	}
	i := sort.Search(len(vs), func(i int) bool { return vs[i].ts >= nv.ts })
	if i < len(vs) && vs[i].ts == nv.ts {
		vs[i] = nv // a later change at the same time replaces the version
	} else {
		vs = append(vs, version{})
		copy(vs[i+1:], vs[i:])
		vs[i] = nv
	}
	f.versions.Set(encodeVersions(vs))
	return nil
}

func (f *temporalJoinFn) OnTimer(_ *stream.KeyedContext[string], t int64, out stream.Emitter[table.Row]) error {
	pb, ok := f.left.Get(t)
	if !ok {
		return nil
	}
	f.left.Remove(t)
	es, err := readEntries(pb)
	if err != nil {
		return err
	}
	var vs []version
	if b, ok := f.versions.Get(); ok {
		if vs, err = decodeVersions(b); err != nil {
			return err
		}
	}
	// The version valid at t: the last one starting at or before t.
	i := sort.Search(len(vs), func(i int) bool { return vs[i].ts > t }) - 1
	var match *table.Row
	if i >= 0 && vs[i].row != nil {
		r, err := f.rc.Decode(vs[i].row)
		if err != nil {
			return err
		}
		match = &r
	}
	nr := len(f.n.R.Cols())
	for _, e := range es {
		lr, err := f.lc.Decode(e.row)
		if err != nil {
			return err
		}
		matched := false
		if match != nil && !nullKey(f.lkeys, f.n.NullSafe, &lr) {
			fs := make([]table.Value, 0, len(lr.Fields)+nr)
			row := table.Row{Kind: table.Insert, Fields: append(append(fs, lr.Fields...), match.Fields...)}
			pass := true
			if f.cond != nil {
				if pass, err = f.cond(&row); err != nil {
					return err
				}
			}
			if pass {
				matched = true
				out.Emit(row)
			}
		}
		if !matched && f.n.Kind == "LEFT" {
			fs := make([]table.Value, len(lr.Fields)+nr)
			copy(fs, lr.Fields)
			out.Emit(table.Row{Kind: table.Insert, Fields: fs})
		}
	}
	// Versions before the one valid at t are needed by no later left
	// row (timers fire in time order; later left rows are late).
	if i > 0 {
		f.versions.Set(encodeVersions(vs[i:]))
	}
	return nil
}

// nullKey reports whether a key expression of the left row is NULL, but
// for a null-safe key (IS NOT DISTINCT FROM), where NULL matches NULL.
func nullKey(ps []expr.Program, nullSafe []bool, r *table.Row) bool {
	for i, p := range ps {
		v, err := p(r)
		if err != nil || v.IsNull() && (i >= len(nullSafe) || !nullSafe[i]) {
			return true
		}
	}
	return false
}

// versionedView makes the versioned table of a view for a temporal join:
// a deduplication keeping the last row per key by event time (Flink's
// versioned view: ROW_NUMBER() OVER (PARTITION BY k ORDER BY rowtime
// DESC) = 1, possibly under projections) has the partition columns as its
// primary key and the ordering column as its time.
func versionedView(at parser.Node, name string, n Node) (*catalog.Table, error) {
	keys, ts, _, ok := dedupOf(n)
	if !ok {
		return nil, errAt(at, "the view `%s` is not a versioned view: a temporal join needs a table with PRIMARY KEY and WATERMARK, or a view that keeps the last row per key by event time (ROW_NUMBER() OVER (PARTITION BY key ORDER BY rowtime DESC) = 1)", name)
	}
	t := &catalog.Table{Name: name, Schema: &table.Schema{}}
	for _, c := range n.Cols() {
		t.Schema.Columns = append(t.Schema.Columns, table.Column{Name: c.Name, Type: c.Type})
	}
	for _, k := range keys {
		t.Schema.PrimaryKey = append(t.Schema.PrimaryKey, n.Cols()[k].Name)
	}
	t.Schema.Rowtime = n.Cols()[ts].Name
	return t, nil
}

// dedupOf finds, through projections, a deduplication keeping the last
// row by event time: its key columns, time column and row-number column
// (-1 when projected away) in n's columns. A filter on the row number
// alone (the enclosing `WHERE rownum = 1`) keeps it one.
func dedupOf(n Node) (keys []int, ts, rank int, ok bool) {
	switch x := n.(type) {
	case *TopN:
		if x.N != 1 || x.WindowEnd >= 0 || !x.TiesToNew || x.In.Updating() || x.In.Cols()[x.Order[0].Col].Type.TimeAttr() != table.Rowtime {
			return nil, 0, 0, false
		}
		for _, k := range x.Partition {
			keys = append(keys, canonCol(x.In, k))
		}
		return keys, canonCol(x.In, x.Order[0].Col), len(x.In.Cols()), true
	case *Deduplicate: // dedup.go: no row-number column
		if !x.KeepLast || x.Proctime {
			return nil, 0, 0, false
		}
		for _, k := range x.Keys {
			keys = append(keys, canonCol(x.In, k))
		}
		return keys, canonCol(x.In, x.Time), -1, true
	case *Calc:
		ik, its, irank, ok := dedupOf(x.In)
		if !ok {
			return nil, 0, 0, false
		}
		if x.Filter != nil && !rankFilter(x.Filter, irank) {
			return nil, 0, 0, false
		}
		out := func(in int) (int, bool) {
			for i, e := range x.Exprs {
				if c, ok := e.(*expr.Column); ok && c.Index == in {
					return i, true
				}
			}
			return 0, false
		}
		for _, k := range ik {
			o, ok := out(k)
			if !ok {
				return nil, 0, 0, false
			}
			keys = append(keys, o)
		}
		if ts, ok = out(its); !ok {
			return nil, 0, 0, false
		}
		if rank, ok = out(irank); !ok {
			rank = -1
		}
		return keys, ts, rank, true
	}
	return nil, 0, 0, false
}

// canonCol names column i of a ranking's pre-projection by the first
// column that copies the same input column (the pre-projection may
// repeat a column for the ranking).
func canonCol(in Node, i int) int {
	c, isCalc := in.(*Calc)
	if !isCalc {
		return i
	}
	ci, ok := c.Exprs[i].(*expr.Column)
	if !ok {
		return i
	}
	for j, e := range c.Exprs {
		if cj, ok := e.(*expr.Column); ok && cj.Index == ci.Index {
			return j
		}
	}
	return i
}

// rankFilter reports whether f is `rank op literal` on column rank.
func rankFilter(f expr.Expr, rank int) bool {
	c, ok := f.(*expr.Call)
	if !ok || rank < 0 || len(c.Args) != 2 {
		return false
	}
	col, ok := c.Args[0].(*expr.Column)
	v := c.Args[1]
	if cast, isCast := v.(*expr.Cast); isCast {
		v = cast.X
	}
	_, lit := v.(*expr.Literal)
	return ok && lit && col.Index == rank
}
