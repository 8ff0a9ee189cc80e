package planner

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// SortKey is one ORDER BY key of a TopN: an input column and its direction.
type SortKey struct {
	Col        int
	Desc       bool
	NullsFirst bool
}

// RankFunc is the ranking function of a TopN.
type RankFunc uint8

const (
	// RowNumber numbers the rows 1, 2, 3, ... (ties by arrival).
	RowNumber RankFunc = iota
	// Rank gives peers (rows equal in every ORDER BY key) one rank and
	// skips the numbers they use: 1, 2, 2, 4.
	Rank
	// DenseRank gives peers one rank without gaps: 1, 2, 2, 3.
	DenseRank
)

// rankUIDKind names a Top-N operator's UID after its ranking function
// (ROW_NUMBER keeps the plain kind, so savepoints taken before RANK and
// DENSE_RANK existed still restore). The state layouts are the same, but
// a ROW_NUMBER state holds exactly N rows while a RANK state holds the
// peers of the last rank too: a query changed from one to the other must
// not silently restore the other's state. With distinct UIDs the old
// state is unmatched, and a restore refuses it unless the user allows
// non-restored state.
func rankUIDKind(kind string, f RankFunc) string {
	switch f {
	case Rank:
		return kind + "-by-rank"
	case DenseRank:
		return kind + "-by-dense-rank"
	}
	return kind
}

func (f RankFunc) String() string {
	switch f {
	case Rank:
		return "RANK"
	case DenseRank:
		return "DENSE_RANK"
	}
	return "ROW_NUMBER"
}

// TopN is ROW_NUMBER() (or RANK(), DENSE_RANK()) OVER (PARTITION BY ...
// ORDER BY ...) filtered to the ranks 1..N of each partition (Top-N; N = 1
// with ROW_NUMBER ordered by the time column is deduplication). Over an
// insert-only input it keeps the rows of rank <= N of each partition in
// keyed state (exactly N for ROW_NUMBER; with RANK and DENSE_RANK the
// peers of the last rank too) and emits an updating changelog by
// position: +I for a position filled the first time, -U/+U for a position
// whose row or rank changed. Output: the input columns and the rank
// (BIGINT).
type TopN struct {
	In        Node
	Partition []int
	Order     []SortKey
	N         int64
	Func      RankFunc
	// TiesToNew: a row replaces the rows it ties with (deduplication
	// keeping the last row: ROW_NUMBER() OVER (... ORDER BY rowtime DESC)
	// = 1, as Flink's Deduplicate); otherwise it goes after them.
	TiesToNew bool
	// WindowEnd, when not -1, makes this a window Top-N (Flink's
	// WindowRank): the partition includes the window_start and window_end
	// of a windowed input, and WindowEnd is the input column of window_end;
	// the N best rows of each window are emitted once, as inserts, when the
	// watermark passes the window's end.
	WindowEnd int
	// Zone is the shift time zone of the windows of a window Top-N (nil:
	// none), taken from the window_end column at bind time: the input the
	// TopN reads is a projection whose columns are not window columns.
	Zone *windowZone
	// Stored, when not nil (an append-only ROW_NUMBER Top-N whose input
	// topNTrim trimmed), is the layout of the rows the state keeps: column
	// i of a stored row is input column Stored[i] (the input's columns,
	// then repeats of some), of type stored[i]. The output is the input's
	// columns and the row number either way.
	Stored []int
	stored []Col
	cols   []Col
}

func (n *TopN) Cols() []Col    { return n.cols }
func (n *TopN) Updating() bool { return n.WindowEnd < 0 }
func (n *TopN) Inputs() []Node { return []Node{n.In} }

// rankLimits finds, in the WHERE of a select over a subquery, the
// conjuncts `name <= N`, `name < N` and `name = 1` that bound a row number.
func rankLimits(where parser.Expr, into map[string]int64) {
	b, ok := where.(*parser.Binary)
	if !ok {
		return
	}
	if b.Op == "AND" {
		rankLimits(b.L, into)
		rankLimits(b.R, into)
		return
	}
	col, lok := b.L.(*parser.ColumnRef)
	lit, rok := b.R.(*parser.Literal)
	if !lok || !rok || lit.Kind != parser.LitNumber {
		return
	}
	n, err := strconv.ParseInt(lit.Value, 10, 64)
	if err != nil {
		return
	}
	name := col.Parts[len(col.Parts)-1].Name
	switch b.Op {
	case "<=":
	case "<":
		n--
	case "=":
		if n != 1 {
			return
		}
	default:
		return
	}
	if n >= 1 {
		into[name] = n
	}
}

// isRankCall recognises ROW_NUMBER(), RANK() and DENSE_RANK() with OVER.
func isRankCall(e parser.Expr) (*parser.FuncCall, RankFunc, bool) {
	f, ok := e.(*parser.FuncCall)
	if !ok || len(f.Name.Parts) != 1 || f.Over == nil && !strings.EqualFold(f.Name.Parts[0].Name, "ROW_NUMBER") {
		return nil, 0, false
	}
	switch strings.ToUpper(f.Name.Parts[0].Name) {
	case "ROW_NUMBER":
		return f, RowNumber, true
	case "RANK":
		return f, Rank, true
	case "DENSE_RANK":
		return f, DenseRank, true
	}
	return nil, 0, false
}

// bindTopN plans a SELECT whose list has ROW_NUMBER() (or RANK(),
// DENSE_RANK()) OVER (...) AS rn, bounded by the enclosing query's WHERE
// rn <= N.
func (p *Planner) bindTopN(sel *parser.Select, in Node, s *scope, filter expr.Expr, rank int) (Node, error) {
	it := sel.Items[rank]
	f, fn, _ := isRankCall(it.Expr)
	if f.Over == nil || len(f.Args) > 0 {
		return nil, errAt(f, "%s takes no arguments and needs OVER (PARTITION BY ... ORDER BY ...)", fn)
	}
	if it.Alias == nil {
		return nil, errAt(it, "name the %s() column (AS rownum) and bound it in the enclosing query: WHERE rownum <= N", fn)
	}
	n, ok := p.ranks[it.Alias.Name]
	if !ok {
		return nil, errAt(it, "%s() is only supported as Top-N: the enclosing query must filter WHERE %s <= N (or = 1)", fn, it.Alias.Name)
	}
	if len(f.Over.OrderBy) == 0 {
		return nil, errAt(f.Over, "%s() OVER needs ORDER BY", fn)
	}
	if f.Over.Frame != nil || f.Over.Base != nil {
		return nil, errAt(f.Over, "window frames are not supported with %s()", fn)
	}
	var es []expr.Expr
	var cols []Col
	var visible []int // select item -> column of the pre-projection, -1: the row number
	for i, item := range sel.Items {
		if i == rank {
			visible = append(visible, -1)
			continue
		}
		if st, ok := item.Expr.(*parser.Star); ok {
			for j, c := range s.cols {
				if c.window || (len(st.Qualifier) == 1 && c.qual != st.Qualifier[0].Name) {
					continue
				}
				visible = append(visible, len(es))
				es = append(es, expr.ColumnRef(j, c.name, c.t))
				cols = append(cols, Col{Name: c.name, Type: c.t})
			}
			continue
		}
		if _, f2, ok := isRankCall(item.Expr); ok {
			return nil, errAt(item, "one ranking function per SELECT is supported (%s() is the second)", f2)
		}
		e, err := p.b.bind(item.Expr, s)
		if err != nil {
			return nil, err
		}
		visible = append(visible, len(es))
		es = append(es, e)
		cols = append(cols, Col{Name: itemName(item, i), Type: e.Type().WithTimeAttr(table.NoTimeAttr)})
	}
	hidden := func(x parser.Expr) (int, error) {
		e, err := p.b.bind(x, s)
		if err != nil {
			return 0, err
		}
		es = append(es, e)
		name := fmt.Sprintf("$%d", len(es)-1)
		if c, ok := e.(*expr.Column); ok {
			name = c.Name
		}
		cols = append(cols, Col{Name: name, Type: e.Type()})
		return len(es) - 1, nil
	}
	t := &TopN{N: n, Func: fn, WindowEnd: -1}
	hasStart := false
	for _, pe := range f.Over.PartitionBy {
		i, err := hidden(pe)
		if err != nil {
			return nil, err
		}
		t.Partition = append(t.Partition, i)
		if c, ok := es[i].(*expr.Column); ok && c.Index < len(s.cols) {
			switch s.cols[c.Index].win.col() {
			case winStart:
				hasStart = true
			case winEnd:
				t.WindowEnd = i
				t.Zone = s.cols[c.Index].win.zone()
			}
		}
	}
	if !hasStart || in.Updating() {
		t.WindowEnd, t.Zone = -1, nil
	}
	if t.WindowEnd >= 0 {
		// A window Top-N emits its rows when the window fires, stamped
		// with the window's window_time (window_end - 1): a column passed
		// through stays an event-time attribute only when its value is
		// that stamp, the window_time of a window aggregation over the
		// same windows. Any other (the window table function's time
		// column) is a plain timestamp, as in Flink, where the time column
		// of a window table function is no time attribute after it
		// (FLIP-145): a window downstream would place the rows by the
		// stamp, not by that column.
		endWin := s.cols[es[t.WindowEnd].(*expr.Column).Index].win
		for i := range cols {
			c, ok := es[i].(*expr.Column)
			if !ok || cols[i].Type.TimeAttr() != table.Rowtime {
				continue
			}
			if w := s.cols[c.Index].win; w.col() != winTime || w>>2 != endWin>>2 {
				cols[i].Type = cols[i].Type.WithTimeAttr(table.NoTimeAttr)
			}
		}
	}
	for _, o := range f.Over.OrderBy {
		i, err := hidden(o.Expr)
		if err != nil {
			return nil, err
		}
		// NULLs sort first ascending and last descending (Flink's default).
		t.Order = append(t.Order, SortKey{Col: i, Desc: o.Desc, NullsFirst: o.NullsOrder == "FIRST" || (o.NullsOrder == "" && !o.Desc)})
	}
	if fn == RowNumber && n == 1 && len(t.Order) == 1 && t.Order[0].Desc {
		// Keeping the last row by a time attribute (event or processing
		// time): a new row replaces the rows it ties with.
		if timeAttrColumn(es[t.Order[0].Col]) != table.NoTimeAttr {
			t.TiesToNew = true
		}
	}
	t.In = &Calc{In: in, Filter: filter, Exprs: es, cols: cols}
	t.cols = append(append([]Col(nil), cols...), Col{Name: it.Alias.Name, Type: table.BigIntType().NotNull()})
	var out []expr.Expr
	var outCols []Col
	for _, v := range visible {
		if v < 0 {
			out = append(out, expr.ColumnRef(len(cols), it.Alias.Name, table.BigIntType().NotNull()))
			outCols = append(outCols, Col{Name: it.Alias.Name, Type: table.BigIntType().NotNull()})
			continue
		}
		out = append(out, expr.ColumnRef(v, cols[v].Name, cols[v].Type))
		outCols = append(outCols, cols[v])
	}
	return &Calc{In: t, Exprs: out, cols: outCols}, nil
}

// timeAttrColumn returns the time attribute (rowtime or proctime) of e
// when e is a reference to a time attribute column, NoTimeAttr otherwise:
// an expression over one (ts + INTERVAL '1' SECOND, COALESCE(ts)) keeps
// the attribute in its type but is not a time attribute column, and Flink
// orders by it as by any value (a Rank whose ties keep the older row, not
// a Deduplicate). bindTopN's TiesToNew and dedupTopN use it.
func timeAttrColumn(e expr.Expr) table.TimeAttr {
	c, ok := e.(*expr.Column)
	if !ok {
		return table.NoTimeAttr
	}
	if ta := c.T.TimeAttr(); ta == table.Rowtime || ta == table.Proctime {
		return ta
	}
	return table.NoTimeAttr
}

// rowList is the encoding of a list of rows in state.
func encodeRows(c *table.RowCodec, rows []table.Row) ([]byte, error) {
	b, _, err := appendRows(nil, nil, c, rows)
	return b, err
}

// appendRows appends the encoding of rows to dst, each row encoded into
// scratch first (its length goes before it); it returns the bytes and
// scratch, both to be reused by a caller that keeps neither.
func appendRows(dst, scratch []byte, c *table.RowCodec, rows []table.Row) ([]byte, []byte, error) {
	b := binary.AppendUvarint(dst, uint64(len(rows)))
	for _, r := range rows {
		e, err := c.AppendRow(scratch[:0], table.Row{Fields: r.Fields})
		if err != nil {
			return nil, scratch, err
		}
		scratch = e
		b = binary.AppendUvarint(b, uint64(len(e)))
		b = append(b, e...)
	}
	return b, scratch, nil
}

var errBadState = errors.New("planner: corrupt top-n state")

func decodeRows(c *table.RowCodec, b []byte) ([]table.Row, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errBadState
	}
	b = b[k:]
	rows := make([]table.Row, 0, n)
	for range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, errBadState
		}
		r, err := c.Decode(b[k : k+int(l)])
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
		b = b[k+int(l):]
	}
	return rows, nil
}

// stateRows decodes the rows a Top-N keeps in st (none when it is empty).
func stateRows(st *stream.ValueState[[]byte], rc *table.RowCodec) ([]table.Row, error) {
	b, ok := st.Get()
	if !ok {
		return nil, nil
	}
	return decodeRows(rc, b)
}

// insertRanked puts r into rows (sorted, at most N) after the rows it does
// not beat (before those it ties with for TiesToNew), in a new slice, and
// returns the new rows and r's position; pos >= N: r does not rank, rows
// are unchanged.
func (t *TopN) insertRanked(rows []table.Row, r table.Row) ([]table.Row, int) {
	pos := len(rows)
	for i, o := range rows {
		if t.less(r, o) || (t.TiesToNew && !t.less(o, r)) {
			pos = i
			break
		}
	}
	if int64(pos) >= t.N {
		return rows, pos
	}
	out := make([]table.Row, 0, len(rows)+1)
	out = append(append(append(out, rows[:pos]...), table.Row{Fields: r.Fields}), rows[pos:]...)
	if int64(len(out)) > t.N {
		out = out[:t.N]
	}
	return out, pos
}

// insertPos is where r goes into rows (sorted): after the rows it does
// not beat, before those it ties with for TiesToNew.
func (t *TopN) insertPos(rows []table.Row, r table.Row) int {
	for i, o := range rows {
		if t.less(r, o) || (t.TiesToNew && !t.less(o, r)) {
			return i
		}
	}
	return len(rows)
}

// ranked gives the ranks of rows (sorted by the keys) by t.Func, up to the
// first rank above N, and how many rows that is: the ranks never decrease,
// so those rows are the Top-N.
func (t *TopN) ranked(rows []table.Row) ([]int64, int) {
	return t.rankedInto(make([]int64, 0, min(len(rows), int(min(t.N, 1<<20)))), rows)
}

// rankedInto is ranked appending the ranks to ranks (empty).
func (t *TopN) rankedInto(ranks []int64, rows []table.Row) ([]int64, int) {
	for i, r := range rows {
		var k int64
		switch {
		case t.Func == RowNumber || i == 0:
			k = int64(i + 1)
		case !t.less(rows[i-1], r): // a peer of the row before
			k = ranks[i-1]
		case t.Func == Rank:
			k = int64(i + 1)
		default: // DenseRank
			k = ranks[i-1] + 1
		}
		if k > t.N {
			return ranks, i
		}
		ranks = append(ranks, k)
	}
	return ranks, len(rows)
}

// emitRankDiff turns the Top-N rows old (with their ranks) into top,
// position by position: -U/+U where the row or its rank changed, +I for a
// position filled, -D for a position emptied.
func emitRankDiff(out stream.Emitter[table.Row], withRank func(table.Row, int64, table.RowKind) table.Row,
	old []table.Row, oldRanks []int64, top []table.Row, topRanks []int64) {
	for i := 0; i < max(len(old), len(top)); i++ {
		switch {
		case i >= len(top):
			out.Emit(withRank(old[i], oldRanks[i], table.Delete))
		case i >= len(old):
			out.Emit(withRank(top[i], topRanks[i], table.Insert))
		case oldRanks[i] != topRanks[i] || !old[i].Equal(top[i]):
			out.Emit(withRank(old[i], oldRanks[i], table.UpdateBefore))
			out.Emit(withRank(top[i], topRanks[i], table.UpdateAfter))
		}
	}
}

// less orders rows by the sort keys.
func (t *TopN) less(a, b table.Row) bool {
	for _, k := range t.Order {
		x, y := a.Fields[k.Col], b.Fields[k.Col]
		var c int
		switch {
		case x.IsNull() && y.IsNull():
			c = 0
		case x.IsNull():
			c = 1
			if k.NullsFirst {
				c = -1
			}
		case y.IsNull():
			c = -1
			if k.NullsFirst {
				c = 1
			}
		default:
			c = table.Compare(x, y)
			if k.Desc {
				c = -c
			}
		}
		if c != 0 {
			return c < 0
		}
	}
	return false
}

func (tr *translator) topN(x *TopN) (stream.Stream[table.Row], error) {
	if x.WindowEnd >= 0 {
		return tr.windowTopN(x)
	}
	if jr, f, ok := tr.joinRankFor(x); ok {
		return tr.joinRank(jr, f) // joinrank.go
	}
	var zero stream.Stream[table.Row]
	in, err := tr.build(x.In)
	if err != nil {
		return zero, err
	}
	keyFn, _ := keyOf(x.In, x.Partition)
	rc := rowCodecOf(x.In)
	if x.Stored != nil {
		if x.In.Updating() || x.Func != RowNumber {
			return zero, errors.New("planner: a trimmed Top-N input is only planned for the append-only ROW_NUMBER")
		}
		types := make([]table.Type, len(x.stored))
		for i, c := range x.stored {
			types[i] = c.Type
		}
		rc = table.NewRowCodecTypes(types...)
	}
	withRank := func(r table.Row, rank int64, kind table.RowKind) table.Row {
		f := make([]table.Value, 0, len(r.Fields)+1)
		f = append(append(f, r.Fields...), table.Int(rank))
		return table.Row{Kind: kind, Fields: f}
	}
	ttl, err := tr.ttlOpts() // table.exec.state.ttl
	if err != nil {
		return zero, err
	}
	if x.In.Updating() {
		return tr.retractTopN(x, in, keyFn, rc, ttl)
	}
	uid := tr.uid(ttlUIDKind(rankUIDKind("rank", x.Func), ttl))
	if x.Func == RowNumber {
		// topn_append.go. It keeps a copy of a row entering and emits rows
		// it builds itself: done with every input row when it returns.
		return stream.KeyedProcessCopying(stream.KeyBy(in, keyFn), func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
			return &appendOnlyRowNumber{x: x, rc: rc, ttl: ttl}
		}).Name("rank").UID(uid), nil
	}
	newFn := func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		var st *stream.ValueState[[]byte]
		// The decoded rows of the states read: a candidate that does not
		// rank leaves the state as it was, and the next candidate of the
		// partition reads the same bytes (the rows are never modified:
		// this path builds new slices).
		cache := newDecodeCache(func(b []byte) ([]table.Row, error) { return decodeRows(rc, b) })
		var enc, scratch []byte // the encoding of the rows, of a row
		return stream.KeyedProcessFuncs[string, table.Row, table.Row]{
			OnOpen: func(ctx *stream.OpenContext) error {
				// Read without a copy: the bytes are only looked up in
				// (or decoded into) the cache.
				st = stream.NewValueStateCodec[[]byte](ctx, "top", borrowedBytes{}, ttl...)
				return nil
			},
			OnElement: func(_ *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
				var old []table.Row
				if b, ok := st.Get(); ok {
					var err error
					if old, err = cache.get(b); err != nil {
						return err
					}
				}
				// RANK / DENSE_RANK: the rows of rank <= N, peers of the
				// last rank included; a row pushed below N never comes back
				// (no retraction in an insert-only input).
				pos := x.insertPos(old, r)
				rows := append(append(append(make([]table.Row, 0, len(old)+1), old[:pos]...), table.Row{Fields: r.Fields}), old[pos:]...)
				ranks, k := x.ranked(rows)
				if k <= pos {
					return nil // r ranks below N
				}
				rows = rows[:k]
				oldRanks, _ := x.ranked(old)
				emitRankDiff(out, withRank, old, oldRanks, rows, ranks)
				// The state and the cache copy the bytes: one buffer
				// serves every row.
				var b []byte
				var err error
				b, scratch, err = appendRows(enc[:0], scratch, rc, rows)
				if err != nil {
					return err
				}
				enc = b
				st.Set(b)
				// The next candidate reads these bytes: the rows are
				// known, with r's fields copied (the caller's slice).
				for i := range rows {
					if len(r.Fields) > 0 && len(rows[i].Fields) > 0 && &rows[i].Fields[0] == &r.Fields[0] {
						rows[i].Fields = slices.Clone(r.Fields)
					}
				}
				cache.put(b, rows)
				return nil
			},
		}
	}
	return stream.KeyedProcess(stream.KeyBy(in, keyFn), newFn).Name("rank").UID(uid), nil
}

// ttlUIDKind names the UID of an operator whose state takes the state TTL
// after it: with a TTL every value carries an 8-byte expiry prefix, so a
// savepoint taken without the TTL must not restore into the operator with
// it (nor the other way round). With distinct UIDs the old state is
// unmatched, and a restore refuses it unless the user allows non-restored
// state; a job without TTL keeps the UID its savepoints already use.
func ttlUIDKind(kind string, ttl []stream.StateOption) string {
	if len(ttl) == 0 {
		return kind
	}
	return kind + "-ttl"
}
