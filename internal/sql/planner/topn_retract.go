package planner

import (
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// retractTopN is the Top-N of an updating input (Flink's
// RetractableTopNFunction): a retraction may pull a row from below the
// first N up, so every row of the partition is kept, sorted, in one
// ValueState; after each change the first N rows are compared with those
// before it, position by position: -U/+U for a position whose row or rank
// changed, +I for a position filled, -D for a position emptied (with RANK
// and DENSE_RANK the first N are the rows of rank <= N). A retraction removes the first equal
// row (nothing when there is none: with the state TTL the partition's
// state may have expired, and Flink too ignores the retraction then).
// With 'table.exec.state.ttl' the partition's state expires that long after
// its last change: a row of an expired partition starts it again (+I at
// rank 1), the rows emitted before are not retracted (Flink's behaviour).
func (tr *translator) retractTopN(x *TopN, in stream.Stream[table.Row], keyFn func(table.Row) string, rc *table.RowCodec,
	withRank func(table.Row, int64, table.RowKind) table.Row, ttl []stream.StateOption) (stream.Stream[table.Row], error) {
	newFn := func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		var st *stream.ValueState[[]byte]
		return stream.KeyedProcessFuncs[string, table.Row, table.Row]{
			OnOpen: func(ctx *stream.OpenContext) error {
				st = stream.NewValueState[[]byte](ctx, "top-all", ttl...)
				return nil
			},
			OnElement: func(_ *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
				rows, err := stateRows(st, rc)
				if err != nil {
					return err
				}
				oldRanks, k := x.ranked(rows)
				old := rows[:k]
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
					pos := x.insertPos(rows, row)
					next = append(append(append(make([]table.Row, 0, len(rows)+1), rows[:pos]...), row), rows[pos:]...)
				}
				topRanks, k := x.ranked(next)
				emitRankDiff(out, withRank, old, oldRanks, next[:k], topRanks)
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
	return stream.KeyedProcess(stream.KeyBy(in, keyFn), newFn).Name("rank").UID(tr.uid(ttlUIDKind(rankUIDKind("retract-rank", x.Func), ttl))), nil
}
