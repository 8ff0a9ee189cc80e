package planner

import (
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// retractTopN is the Top-N of an updating input (Flink's
// RetractableTopNFunction): a retraction may pull a row from below the
// first N up, so every row of the partition is kept, sorted, in one
// ValueState; after each change the first N rows are compared with those
// before it, rank by rank: -U/+U for a rank whose row changed, +I for a
// rank filled, -D for a rank emptied. A retraction removes the first equal
// row (nothing when there is none).
func (tr *translator) retractTopN(x *TopN, in stream.Stream[table.Row], keyFn func(table.Row) string, rc *table.RowCodec,
	withRank func(table.Row, int, table.RowKind) table.Row) (stream.Stream[table.Row], error) {
	n := int(x.N)
	newFn := func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		var st *stream.ValueState[[]byte]
		return stream.KeyedProcessFuncs[string, table.Row, table.Row]{
			OnOpen: func(ctx *stream.OpenContext) error {
				st = stream.NewValueState[[]byte](ctx, "top-all")
				return nil
			},
			OnElement: func(_ *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
				rows, err := stateRows(st, rc)
				if err != nil {
					return err
				}
				old := rows[:min(n, len(rows))]
				row := table.Row{Fields: r.Fields}
				var next []table.Row
				if r.Kind.IsRetract() {
					at := -1
					for i, o := range rows {
						if o.Equal(row) {
							at = i
							break
						}
					}
					if at < 0 {
						return nil
					}
					next = append(append(make([]table.Row, 0, len(rows)), rows[:at]...), rows[at+1:]...)
				} else {
					pos := len(rows)
					for i, o := range rows {
						if x.less(row, o) || (x.TiesToNew && !x.less(o, row)) {
							pos = i
							break
						}
					}
					next = append(append(append(make([]table.Row, 0, len(rows)+1), rows[:pos]...), row), rows[pos:]...)
				}
				top := next[:min(n, len(next))]
				for i := 0; i < max(len(old), len(top)); i++ {
					switch {
					case i >= len(top):
						out.Emit(withRank(old[i], i+1, table.Delete))
					case i >= len(old):
						out.Emit(withRank(top[i], i+1, table.Insert))
					case !old[i].Equal(top[i]):
						out.Emit(withRank(old[i], i+1, table.UpdateBefore))
						out.Emit(withRank(top[i], i+1, table.UpdateAfter))
					}
				}
				if len(next) == 0 {
					st.Clear()
					return nil
				}
				b, err := encodeRows(rc, next)
				if err != nil {
					return err
				}
				st.Set(b)
				return nil
			},
		}
	}
	return stream.KeyedProcess(stream.KeyBy(in, keyFn), newFn).Name("rank").UID(tr.uid("retract-rank")), nil
}
