package planner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// ORDER BY and LIMIT of a query, as Flink's streaming mode plans them:
//
//   - ORDER BY ... LIMIT n (or LIMIT n alone: the first n rows to arrive)
//     is a Top-N without partition (Flink's SortLimit / Rank): one keyed
//     state for the whole query, an updating changelog whose final state is
//     the n first rows of the order. Over a bounded input this is the
//     batch-like "top n" of the result.
//   - ORDER BY an event-time attribute ASC [, more keys] without LIMIT is a
//     temporal sort (Flink's TemporalSort): rows wait in keyed state until
//     the watermark passes their timestamp and are emitted in time order,
//     ties by the other keys; rows at or behind the watermark are dropped
//     as late. Insert-only.
//   - Any other ORDER BY without LIMIT is an error, as in Flink's streaming
//     mode (sorting an unbounded stream on other columns never ends).
//
// ORDER BY names columns of the result (by name or ordinal).

// TemporalSort orders an insert-only input by its event-time attribute
// (Order[0]) and further keys, emitting each timestamp's rows once the
// watermark passes it.
type TemporalSort struct {
	In    Node
	Order []SortKey
	cols  []Col
}

func (n *TemporalSort) Cols() []Col    { return n.cols }
func (n *TemporalSort) Updating() bool { return false }
func (n *TemporalSort) Inputs() []Node { return []Node{n.In} }

func (n *TemporalSort) explain() string {
	return fmt.Sprintf("TemporalSort(orderBy=[%s]", orderText(n.In, n.Order))
}

func orderText(in Node, order []SortKey) string {
	var os []string
	for _, k := range order {
		o := colText(in, k.Col)
		if k.Desc {
			o += " DESC"
		} else {
			o += " ASC"
		}
		os = append(os, o)
	}
	return strings.Join(os, ", ")
}

// bindOrdered plans q, whose ORDER BY may name columns of its SELECT's
// input that the select list leaves out: they are selected as hidden
// columns for the sort and projected away after it.
func (p *Planner) bindOrdered(q *parser.Query) (Node, error) {
	n, err := p.bindBody(q.Body)
	if err != nil {
		return nil, err
	}
	sel, ok := q.Body.(*parser.Select)
	if !ok || sel.Distinct {
		return p.orderBy(q, n, nil)
	}
	cp := *sel
	cp.Items = slices.Clone(sel.Items)
	oq := *q
	oq.OrderBy = slices.Clone(q.OrderBy)
	hidden := 0
	for i, o := range q.OrderBy {
		if _, err := orderCol(o.Expr, n.Cols()); err == nil {
			continue
		}
		name := fmt.Sprintf("$order%d", i)
		cp.Items = append(cp.Items, &parser.SelectItem{Expr: o.Expr, Alias: &parser.Ident{Name: name}})
		oi := *o
		oi.Expr = &parser.ColumnRef{Parts: []*parser.Ident{{Name: name}}}
		oq.OrderBy[i] = &oi
		hidden++
	}
	if hidden == 0 {
		return p.orderBy(q, n, nil)
	}
	wide, err := p.bindSelect(&cp)
	if err != nil {
		return nil, err
	}
	sorted, err := p.orderBy(&oq, wide, q.OrderBy)
	if err != nil {
		return nil, err
	}
	cols := sorted.Cols()[:len(n.Cols())]
	es := make([]expr.Expr, len(cols))
	for i, c := range cols {
		es[i] = expr.ColumnRef(i, c.Name, c.Type)
	}
	return &Calc{In: sorted, Exprs: es, cols: slices.Clone(cols)}, nil
}

// orderBy plans the ORDER BY, LIMIT and OFFSET of q over its body n.
// written, when not nil, is the ORDER BY as the user wrote it (q's items
// then read hidden columns that bindOrdered added): errors name those.
func (p *Planner) orderBy(q *parser.Query, n Node, written []*parser.OrderItem) (Node, error) {
	var offset int64
	if q.Offset != nil {
		if q.Limit == nil {
			return nil, errAt(q.Offset, "OFFSET without LIMIT is not supported in a streaming query (it would hold every row back)")
		}
		var err error
		if offset, err = positiveLit(q.Offset, "OFFSET", 0); err != nil {
			return nil, err
		}
	}
	cols := n.Cols()
	var order []SortKey
	for _, o := range q.OrderBy {
		i, err := orderCol(o.Expr, cols)
		if err != nil {
			return nil, err
		}
		// NULLs sort first ascending and last descending (Flink's default).
		order = append(order, SortKey{Col: i, Desc: o.Desc, NullsFirst: o.NullsOrder == "FIRST" || (o.NullsOrder == "" && !o.Desc)})
	}
	if q.Limit != nil {
		limit, err := positiveLit(q.Limit, "LIMIT", 1)
		if err != nil {
			return nil, err
		}
		// LIMIT n OFFSET m: the ranks m+1 .. m+n of a Top-(m+n).
		t := &TopN{In: n, Order: order, N: limit + offset, WindowEnd: -1}
		t.cols = append(slices.Clone(cols), Col{Name: "$rank", Type: table.BigIntType().NotNull()})
		es := make([]expr.Expr, len(cols))
		for i, c := range cols {
			es[i] = expr.ColumnRef(i, c.Name, c.Type)
		}
		out := make([]Col, len(cols))
		for i, c := range cols {
			out[i] = Col{Name: c.Name, Type: c.Type.WithTimeAttr(table.NoTimeAttr)}
		}
		var filter expr.Expr
		if offset > 0 {
			rank := expr.ColumnRef(len(cols), "$rank", table.BigIntType().NotNull())
			if filter, err = p.Reg.Call(">", rank, expr.BigIntLit(offset)); err != nil {
				return nil, errAt(q.Offset, "%v", err)
			}
		}
		return &Calc{In: t, Filter: filter, Exprs: es, cols: out}, nil
	}
	first := cols[order[0].Col]
	firstName := "`" + first.Name + "`"
	if written != nil && strings.HasPrefix(first.Name, "$order") {
		firstName = "`" + parser.Format(written[0].Expr) + "`"
	}
	switch {
	case first.Type.TimeAttr() == table.Proctime:
		// Rows arrive in processing-time order: ORDER BY the attribute
		// alone, ascending, is the input as it comes (Flink's ProcTimeSort
		// without further keys).
		if order[0].Desc || len(order) > 1 {
			return nil, errAt(q.OrderBy[0], "ORDER BY a processing-time attribute is supported alone and ascending (rows arrive in that order); further keys or DESC are not supported yet")
		}
		if n.Updating() {
			return nil, errAt(q.OrderBy[0], "ORDER BY over an updating input is not supported yet (add LIMIT n for a Top-N)")
		}
		return n, nil
	case first.Type.TimeAttr() == table.RowtimeUnstamped:
		return nil, errAt(q.OrderBy[0], "ORDER BY %s, a time attribute of an interval join, is not supported yet (windows, OVER and interval joins read it)", firstName)
	case first.Type.TimeAttr() != table.Rowtime:
		return nil, errAt(q.OrderBy[0], "ORDER BY of a streaming query must start with an event-time attribute, ascending (a temporal sort), %s is not one; to get the first rows of another order add LIMIT n", firstName)
	case order[0].Desc:
		return nil, errAt(q.OrderBy[0], "ORDER BY the event-time attribute %s must be ascending (a temporal sort emits rows as the watermark passes them)", firstName)
	case n.Updating():
		return nil, errAt(q.OrderBy[0], "ORDER BY over an updating input is not supported yet (add LIMIT n for a Top-N)")
	}
	return &TemporalSort{In: n, Order: order, cols: cols}, nil
}

// positiveLit reads the integer literal of LIMIT or OFFSET (>= least).
func positiveLit(e parser.Expr, what string, least int64) (int64, error) {
	lit, ok := e.(*parser.Literal)
	if ok && lit.Kind == parser.LitNumber {
		if v, err := strconv.ParseInt(lit.Value, 10, 64); err == nil && v >= least && v <= 1<<40 {
			return v, nil
		}
	}
	if least == 0 {
		return 0, errAt(e, "%s takes a non-negative integer literal", what)
	}
	return 0, errAt(e, "%s takes a positive integer literal", what)
}

// orderCol finds the result column an ORDER BY item names: an ordinal, a
// column name (a qualifier is ignored: the result has unqualified names)
// or an expression written as in the select list.
func orderCol(e parser.Expr, cols []Col) (int, error) {
	switch x := e.(type) {
	case *parser.Literal:
		if x.Kind == parser.LitNumber {
			i, err := strconv.Atoi(x.Value)
			if err != nil || i < 1 || i > len(cols) {
				return 0, errAt(e, "ORDER BY %s: there are %d columns", x.Value, len(cols))
			}
			return i - 1, nil
		}
	case *parser.ColumnRef:
		name := x.Parts[len(x.Parts)-1].Name
		found := -1
		for i, c := range cols {
			if c.Name == name {
				if found >= 0 {
					return 0, errAt(e, "ORDER BY `%s` is ambiguous: the result has two such columns", name)
				}
				found = i
			}
		}
		if found < 0 {
			for i, c := range cols {
				if strings.EqualFold(c.Name, name) {
					found = i
					break
				}
			}
		}
		if found >= 0 {
			return found, nil
		}
	}
	for i, c := range cols {
		if c.Name == e.String() {
			return i, nil
		}
	}
	return 0, errAt(e, "ORDER BY %s: only columns of the select list (by name or position) are supported yet", e)
}

func (n *TemporalSort) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	in, err := tr.build(n.In)
	if err != nil {
		return zero, err
	}
	rc := rowCodecOf(n.In)
	t := &TopN{Order: n.Order[1:]} // the comparison of the other keys
	newFn := func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		var pending pendingByTime
		return stream.KeyedProcessFuncs[string, table.Row, table.Row]{
			OnOpen: func(ctx *stream.OpenContext) error {
				pending = pendingByTime{stream.NewMapState[int64, []byte](ctx, "sort-pending")}
				return nil
			},
			OnElement: func(ctx *stream.KeyedContext[string], r table.Row, _ stream.Emitter[table.Row]) error {
				return pending.add(ctx, rc, r)
			},
			OnTimerFn: func(_ *stream.KeyedContext[string], ts int64, out stream.Emitter[table.Row]) error {
				es, err := pending.take(ts)
				if err != nil || len(es) == 0 {
					return err
				}
				rows := make([]table.Row, len(es))
				for i, e := range es {
					if rows[i], err = rc.Decode(e.row); err != nil {
						return err
					}
				}
				slices.SortStableFunc(rows, func(a, b table.Row) int {
					switch {
					case t.less(a, b):
						return -1
					case t.less(b, a):
						return 1
					}
					return 0
				})
				for _, r := range rows {
					out.Emit(table.Row{Kind: table.Insert, Fields: r.Fields})
				}
				return nil
			},
		}
	}
	// One key: the whole stream is sorted by one subtask (Flink runs
	// its temporal sort with parallelism 1).
	return stream.KeyedProcess(stream.KeyBy(in, func(table.Row) string { return "" }), newFn).Name("temporal-sort").UID(tr.uid("temporal-sort")), nil
}
