package planner

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Values is VALUES (row), (row) ...: a bounded, insert-only source of its
// rows, each expression evaluated when the row is read (so CURRENT_TIMESTAMP
// reads the job's clock per row). A SELECT without FROM is a SELECT from
// one row of one column 0, as Flink plans it (a Calc over
// Values(tuples=[[{ 0 }]])).
type Values struct {
	Rows [][]expr.Expr
	cols []Col
	// old: the columns' types in main's build before branch sqltypes
	// (oldType), nil when not known.
	old []table.Type
}

func (n *Values) Cols() []Col    { return n.cols }
func (n *Values) Updating() bool { return false }
func (n *Values) Inputs() []Node { return nil }

func (n *Values) explain() string {
	var rows []string
	for _, r := range n.Rows {
		var vs []string
		for _, e := range r {
			vs = append(vs, e.String())
		}
		rows = append(rows, "{ "+strings.Join(vs, ", ")+" }")
	}
	var names []string
	for _, c := range n.cols {
		names = append(names, c.Name)
	}
	return fmt.Sprintf("Values(tuples=[[%s]], fields=[%s]", strings.Join(rows, ", "), strings.Join(names, ", "))
}

// oneRow is the input of a SELECT without FROM and its scope: one row of
// one column ZERO, 0, as Flink's Values(tuples=[[{ 0 }]]); the column
// is hidden and has no name a query can write, so SELECT ZERO and
// SELECT * find no column.
func oneRow() (*Values, *scope) {
	t := table.IntType().NotNull()
	n := &Values{Rows: [][]expr.Expr{{expr.Lit(table.Int(0), t)}}, cols: []Col{{Name: "ZERO", Type: t}}}
	return n, &scope{cols: []scopeCol{{t: t, hidden: true}}}
}

// bindValues binds VALUES: every row has the same number of expressions
// (no column references); a column's type is the common type of its rows
// (the rows of other types are cast), its name EXPR$i as in Flink.
func (p *Planner) bindValues(v *parser.Values) (Node, error) {
	n := &Values{}
	var types []table.Type
	for i, r := range v.Rows {
		if i > 0 && len(r) != len(v.Rows[0]) {
			at := parser.Node(v)
			if len(r) > 0 {
				at = r[0]
			}
			return nil, errAt(at, "row %d of VALUES has %d value(s), the first row has %d: give every row the same number of values", i+1, len(r), len(v.Rows[0]))
		}
		var row []expr.Expr
		for j, pe := range r {
			if p.b.hasAgg(pe) {
				return nil, errAt(pe, "aggregate functions are not allowed in VALUES")
			}
			e, err := p.b.bind(pe, &scope{})
			if err != nil {
				return nil, err
			}
			if i == 0 {
				types = append(types, e.Type())
			} else {
				t, ok := table.CommonType(types[j], e.Type())
				if !ok {
					return nil, errAt(pe, "VALUES column %d: no common type of %s (the rows above) and %s: CAST the values of a column to one type", j+1, types[j], e.Type())
				}
				types[j] = t
			}
			row = append(row, e)
		}
		n.Rows = append(n.Rows, row)
	}
	for j, t := range types {
		if t.Root() == table.RootNull {
			// Flink: "Illegal use of 'NULL'": a column needs a type.
			return nil, errAt(v.Rows[0][j], "VALUES column %d is NULL in every row, which gives it no type: write CAST(NULL AS <type>) in one of them, e.g. CAST(NULL AS STRING)", j+1)
		}
	}
	n.old = oldValuesTypes(n.Rows)
	for i, r := range n.Rows {
		for j, e := range r {
			if e.Type().Equal(types[j]) {
				continue
			}
			c, err := expr.NewCast(e, types[j], false)
			if err != nil {
				return nil, wrapAt(v.Rows[i][j], err)
			}
			r[j] = c
		}
	}
	for j, t := range types {
		n.cols = append(n.cols, Col{Name: fmt.Sprintf("EXPR$%d", j), Type: t})
	}
	return n, nil
}

func (n *Values) translate(tr *translator) (stream.Stream[table.Row], error) {
	progs := make([][]expr.Program, len(n.Rows))
	for i, r := range n.Rows {
		var err error
		if progs[i], err = compileAll(r, tr.copts); err != nil {
			return stream.Stream[table.Row]{}, err
		}
	}
	return stream.FromSource[table.Row](tr.env, valuesSource{rows: progs}, stream.WatermarkStrategy[table.Row]{}, "values").UID(tr.uid("values")), nil
}

// valuesSource reads the rows of VALUES, one split; its position is the
// number of rows read.
type valuesSource struct{ rows [][]expr.Program }

func (s valuesSource) Splits(context.Context) ([]connector.Split, error) {
	return []connector.Split{{ID: "values"}}, nil
}
func (s valuesSource) Bounded() bool { return true }
func (s valuesSource) Open(_ context.Context, _ connector.Split, pos []byte) (connector.Reader[table.Row], error) {
	r := &valuesReader{rows: s.rows}
	if pos != nil {
		v, n := binary.Uvarint(pos)
		if n <= 0 || v > uint64(len(s.rows)) {
			return nil, errors.New("values: bad position")
		}
		r.next = int(v)
	}
	return r, nil
}

type valuesReader struct {
	rows [][]expr.Program
	next int
}

func (r *valuesReader) Read(_ context.Context, buf []table.Row) (int, error) {
	n := 0
	for n < len(buf) && r.next < len(r.rows) {
		ps := r.rows[r.next]
		fs := make([]table.Value, len(ps))
		for i, p := range ps {
			v, err := p(&table.Row{})
			if err != nil {
				return n, err
			}
			fs[i] = v
		}
		buf[n] = table.Row{Kind: table.Insert, Fields: fs}
		n++
		r.next++
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}
func (r *valuesReader) Position() []byte { return binary.AppendUvarint(nil, uint64(r.next)) }
func (r *valuesReader) Close() error     { return nil }
