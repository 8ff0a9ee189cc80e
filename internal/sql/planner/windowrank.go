package planner

import (
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// windowTopN translates a window Top-N (TopN with WindowEnd): per key (the
// partition, which includes the window) the N best rows so far are kept in
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
				if end-1 <= ctx.CurrentWatermark() {
					return nil // late: the window has fired
				}
				var rows []table.Row
				if b, ok := st.Get(); ok {
					var err error
					if rows, err = decodeRows(rc, b); err != nil {
						return err
					}
				}
				pos := len(rows)
				for i, o := range rows {
					if x.less(r, o) || (x.TiesToNew && !x.less(o, r)) {
						pos = i
						break
					}
				}
				if int64(pos) >= x.N {
					return nil
				}
				rows = append(rows, table.Row{})
				copy(rows[pos+1:], rows[pos:])
				rows[pos] = table.Row{Fields: r.Fields}
				if int64(len(rows)) > x.N {
					rows = rows[:x.N]
				}
				b, err := encodeRows(rc, rows)
				if err != nil {
					return err
				}
				st.Set(b)
				ctx.RegisterEventTimeTimer(end - 1)
				return nil
			},
			OnTimerFn: func(_ *stream.KeyedContext[string], _ int64, out stream.Emitter[table.Row]) error {
				b, ok := st.Get()
				if !ok {
					return nil
				}
				rows, err := decodeRows(rc, b)
				if err != nil {
					return err
				}
				st.Clear()
				for i, r := range rows {
					f := make([]table.Value, 0, len(r.Fields)+1)
					f = append(append(f, r.Fields...), table.Int(int64(i+1)))
					out.Emit(table.Row{Kind: table.Insert, Fields: f})
				}
				return nil
			},
		}
	}
	return stream.KeyedProcess(stream.KeyBy(in, keyFn), newFn).Name("window-rank").UID(tr.uid("window-rank")), nil
}
