package planner

import (
	"fmt"
	"math"
	"slices"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Restamp gives each row the value of its column Col as its timestamp, so
// that an event-time operator over Col (which reads the records'
// timestamps) places the row by that value. It sits over the time columns
// of an interval join (table.RowtimeUnstamped: the join's rows carry the
// later of the two times), between the join and a window, OVER aggregation
// or interval join over one of them. The join holds its watermark back by
// the larger of its bounds (Flink's RowTimeIntervalJoin.getMaxOutputDelay),
// so a row of two inputs that arrived on time has neither time column
// behind the watermark when it leaves the join; a row with a late input
// (the joins join late rows, as Flink SQL) can have that input's time
// behind it (IntervalJoin: by up to min(-Lower, Upper); an outer join's
// late row without a partner is padded at once with its own time, which
// may be any distance behind), and the operator
// after the Restamp drops it as late, as Flink's operator reading that
// column would. Flink has no such node: its event-time operators read the
// time column itself.
type Restamp struct {
	In   Node
	Col  int
	cols []Col
}

func (n *Restamp) Cols() []Col    { return n.cols }
func (n *Restamp) Updating() bool { return n.In.Updating() }
func (n *Restamp) Inputs() []Node { return []Node{n.In} }

func (n *Restamp) explain() string {
	return fmt.Sprintf("Restamp(rowtime=[%s]", n.cols[n.Col].Name)
}

// newRestamp stamps in's rows by column col: col becomes an event-time
// attribute the rows carry; no other column is one (the others of an
// interval join stay RowtimeUnstamped).
func newRestamp(in Node, col int) *Restamp {
	cols := slices.Clone(in.Cols())
	for i := range cols {
		switch {
		case i == col:
			cols[i].Type = cols[i].Type.WithTimeAttr(table.Rowtime)
		case cols[i].Type.TimeAttr() == table.Rowtime:
			cols[i].Type = cols[i].Type.WithTimeAttr(table.NoTimeAttr)
		}
	}
	return &Restamp{In: in, Col: col, cols: cols}
}

func (n *Restamp) translate(tr *translator) (stream.Stream[table.Row], error) {
	in, err := tr.build(n.In)
	if err != nil {
		return in, err
	}
	i := n.Col
	return stream.Process(in, func(_ *stream.Context, row table.Row, out stream.Emitter[table.Row]) error {
		ts := int64(math.MinInt64) // no timestamp: an interval join has none of those
		if v := row.Fields[i]; !v.IsNull() {
			ts, _ = v.AsTimestamp()
		}
		if !stream.SetEmitTimestamp(out, ts) {
			return fmt.Errorf("restamp: the emitter cannot set timestamps")
		}
		out.Emit(row)
		return nil
	}).Name("restamp").UID(tr.uid("restamp")), nil
}

// fromIntervalJoin reports whether column col of n is a time column of an
// interval join passed through stateless nodes only (Calc projections and
// filters, Restamp): there its values are at or after the join's held-back
// watermark when the rows pass, but for the time of a late input row
// joined (or padded) as Flink SQL does, so re-stamping the rows by it
// makes late only the rows that Flink's operator reading the column would
// see late (Restamp). After an operator that holds rows until the
// watermark (OVER, a window, a sort) it would not hold.
func fromIntervalJoin(n Node, col int) bool {
	for {
		switch x := n.(type) {
		case *IntervalJoin:
			return col == x.LTimeCol || col == len(x.L.Cols())+x.RTimeCol
		case *IntervalOuterJoin:
			return x.outerTimeCol(col) // intervaljoin_outer.go
		case *Restamp:
			n = x.In
		case *Calc:
			c, ok := x.Exprs[col].(*expr.Column)
			if !ok {
				return false
			}
			n, col = x.In, c.Index
		default:
			return false
		}
	}
}

// stampedBy returns in with its rows stamped by column col for an
// event-time operator (what) over it: in itself when the rows carry col's
// value already, a Restamp when col is an interval join's time column
// (RowtimeUnstamped) that reaches here through stateless nodes, else an
// error.
func stampedBy(at parser.Node, in Node, col int, t table.Type, what string) (Node, error) {
	c := in.Cols()[col]
	if c.Type.TimeAttr() != table.RowtimeUnstamped && t.TimeAttr() != table.RowtimeUnstamped {
		return in, nil // t: the column's type in the consumer's scope
	}
	if !fromIntervalJoin(in, col) {
		return nil, errAt(at, "`%s` (a time attribute of an interval join) cannot be the time of %s here: only directly after the join (through projections and filters) is it one", c.Name, what)
	}
	return newRestamp(in, col), nil
}
