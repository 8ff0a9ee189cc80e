package planner

import (
	"encoding/binary"
	"errors"
	"fmt"
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

// TopN is ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) filtered to
// the first N rows of each partition (Top-N; N = 1 with ORDER BY the time
// column is deduplication). Over an insert-only input it keeps the N best
// rows of each partition in keyed state and emits an updating changelog
// by rank: +I for a rank filled the first time, -U/+U for a rank whose row
// changed. Output: the input columns and the row number (BIGINT).
type TopN struct {
	In        Node
	Partition []int
	Order     []SortKey
	N         int64
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
	cols      []Col
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

func isRowNumber(e parser.Expr) (*parser.FuncCall, bool) {
	f, ok := e.(*parser.FuncCall)
	if !ok || len(f.Name.Parts) != 1 || !strings.EqualFold(f.Name.Parts[0].Name, "ROW_NUMBER") {
		return nil, false
	}
	return f, true
}

// bindTopN plans a SELECT whose list has ROW_NUMBER() OVER (...) AS rn,
// bounded by the enclosing query's WHERE rn <= N.
func (p *Planner) bindTopN(sel *parser.Select, in Node, s *scope, filter expr.Expr, rank int) (Node, error) {
	it := sel.Items[rank]
	f, _ := isRowNumber(it.Expr)
	if f.Over == nil || len(f.Args) > 0 {
		return nil, errAt(f, "ROW_NUMBER takes no arguments and needs OVER (PARTITION BY ... ORDER BY ...)")
	}
	if it.Alias == nil {
		return nil, errAt(it, "name the ROW_NUMBER() column (AS rownum) and bound it in the enclosing query: WHERE rownum <= N")
	}
	n, ok := p.ranks[it.Alias.Name]
	if !ok {
		return nil, errAt(it, "ROW_NUMBER() is only supported as Top-N: the enclosing query must filter WHERE %s <= N (or = 1)", it.Alias.Name)
	}
	if len(f.Over.OrderBy) == 0 {
		return nil, errAt(f.Over, "ROW_NUMBER() OVER needs ORDER BY")
	}
	if f.Over.Frame != nil || f.Over.Base != nil {
		return nil, errAt(f.Over, "window frames are not supported with ROW_NUMBER()")
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
		if _, ok := isRowNumber(item.Expr); ok {
			return nil, errAt(item, "one ROW_NUMBER() per SELECT is supported")
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
	t := &TopN{N: n, WindowEnd: -1}
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
			}
		}
	}
	if !hasStart || in.Updating() {
		t.WindowEnd = -1
	}
	for _, o := range f.Over.OrderBy {
		i, err := hidden(o.Expr)
		if err != nil {
			return nil, err
		}
		// NULLs sort first ascending and last descending (Flink's default).
		t.Order = append(t.Order, SortKey{Col: i, Desc: o.Desc, NullsFirst: o.NullsOrder == "FIRST" || (o.NullsOrder == "" && !o.Desc)})
	}
	if n == 1 && len(t.Order) == 1 && t.Order[0].Desc {
		// Keeping the last row by a time attribute (event or processing
		// time): a new row replaces the rows it ties with.
		if c, ok := es[t.Order[0].Col].(*expr.Column); ok && (c.T.TimeAttr() == table.Rowtime || c.T.TimeAttr() == table.Proctime) {
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

// rowList is the encoding of a list of rows in state.
func encodeRows(c *table.RowCodec, rows []table.Row) ([]byte, error) {
	b := binary.AppendUvarint(nil, uint64(len(rows)))
	for _, r := range rows {
		e, err := c.AppendRow(nil, table.Row{Fields: r.Fields})
		if err != nil {
			return nil, err
		}
		b = binary.AppendUvarint(b, uint64(len(e)))
		b = append(b, e...)
	}
	return b, nil
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
	var zero stream.Stream[table.Row]
	in, err := tr.build(x.In)
	if err != nil {
		return zero, err
	}
	keyFn, _ := keyOf(x.In, x.Partition)
	rc := rowCodecOf(x.In)
	withRank := func(r table.Row, rank int, kind table.RowKind) table.Row {
		f := make([]table.Value, 0, len(r.Fields)+1)
		f = append(append(f, r.Fields...), table.Int(int64(rank)))
		return table.Row{Kind: kind, Fields: f}
	}
	if x.In.Updating() {
		return tr.retractTopN(x, in, keyFn, rc, withRank)
	}
	newFn := func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		var st *stream.ValueState[[]byte]
		return stream.KeyedProcessFuncs[string, table.Row, table.Row]{
			OnOpen: func(ctx *stream.OpenContext) error {
				st = stream.NewValueState[[]byte](ctx, "top")
				return nil
			},
			OnElement: func(_ *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
				old, err := stateRows(st, rc)
				if err != nil {
					return err
				}
				rows, pos := x.insertRanked(old, r)
				if int64(pos) >= x.N {
					return nil
				}
				for i := pos; i < len(rows); i++ {
					if i < len(old) {
						out.Emit(withRank(old[i], i+1, table.UpdateBefore))
						out.Emit(withRank(rows[i], i+1, table.UpdateAfter))
					} else {
						out.Emit(withRank(rows[i], i+1, table.Insert))
					}
				}
				b, err := encodeRows(rc, rows)
				if err != nil {
					return err
				}
				st.Set(b)
				return nil
			},
		}
	}
	return stream.KeyedProcess(stream.KeyBy(in, keyFn), newFn).Name("rank").UID(tr.uid("rank")), nil
}
