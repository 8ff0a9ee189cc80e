package planner

import (
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// windowTopN translates a window Top-N (TopN with WindowEnd): per key (the
// partition, which includes the window) the N best rows so far (with RANK
// and DENSE_RANK: the rows of rank <= N) are kept in
// keyed state, an event-time timer at the window's last millisecond emits
// them with their rank as inserts and clears the state. A row of a window
// the watermark has passed is late and dropped, as Flink's WindowRank does.
func (tr *translator) windowTopN(x *TopN) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	in, err := tr.build(x.In)
	if err != nil {
		return zero, err
	}
	keyFn, _ := keyOf(x.In, x.Partition)
	rc := rowCodecOf(x.In)
	zone := x.Zone // winzone.go
	newFn := func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		var st *stream.ValueState[[]byte]
		return stream.KeyedProcessFuncs[string, table.Row, table.Row]{
			OnOpen: func(ctx *stream.OpenContext) error {
				st = stream.NewValueState[[]byte](ctx, "window-top")
				return nil
			},
			OnElement: func(ctx *stream.KeyedContext[string], r table.Row, _ stream.Emitter[table.Row]) error {
				we := r.Fields[x.WindowEnd]
				if we.IsNull() {
					return nil
				}
				end, _ := we.AsTimestamp()
				if fireAt(zone, end) <= ctx.CurrentWatermark() {
					return nil // late: the window has fired
				}
				old, err := stateRows(st, rc)
				if err != nil {
					return err
				}
				var rows []table.Row
				if x.Func == RowNumber {
					var pos int
					if rows, pos = x.insertRanked(old, r); int64(pos) >= x.N {
						return nil
					}
				} else { // RANK / DENSE_RANK: the rows of rank <= N
					pos := x.insertPos(old, r)
					rows = append(append(append(make([]table.Row, 0, len(old)+1), old[:pos]...), table.Row{Fields: r.Fields}), old[pos:]...)
					_, k := x.ranked(rows)
					if k <= pos {
						return nil
					}
					rows = rows[:k]
				}
				b, err := encodeRows(rc, rows)
				if err != nil {
					return err
				}
				st.Set(b)
				ctx.RegisterEventTimeTimer(fireAt(zone, end))
				return nil
			},
			OnTimerFn: func(_ *stream.KeyedContext[string], _ int64, out stream.Emitter[table.Row]) error {
				rows, err := stateRows(st, rc)
				if err != nil || len(rows) == 0 {
					return err
				}
				st.Clear()
				emitAtWindowTime(out, zone, rows[0].Fields[x.WindowEnd])
				ranks, _ := x.ranked(rows)
				for i, r := range rows {
					f := make([]table.Value, 0, len(r.Fields)+1)
					f = append(append(f, r.Fields...), table.Int(ranks[i]))
					out.Emit(table.Row{Kind: table.Insert, Fields: f})
				}
				return nil
			},
		}
	}
	return stream.KeyedProcess(stream.KeyBy(in, keyFn), newFn).Name("window-rank").UID(tr.uid(zoneUIDKind(rankUIDKind("window-rank", x.Func), x.Zone))), nil
}
