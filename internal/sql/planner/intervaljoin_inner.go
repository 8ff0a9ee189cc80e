package planner

import (
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// joinKeyed is the operator of an inner IntervalJoin over its inputs' rows
// encoded by lc and rc, keyed: the DataStream interval join with the
// bounds left - right in [Lower, Upper] (right in [left - Upper,
// left - Lower]) and, as Flink's SQL interval join (TimeIntervalJoin,
// RowTimeIntervalJoin), late rows joined too (JoinLate): a row is joined
// with the other side's rows still buffered whatever its lateness, and
// buffered itself only while rows that are not late can still pair with
// it (a left row at t while the watermark is at most t - Lower, a right
// one while it is at most t + Upper). The output watermark is held back
// (Flink's KeyedCoProcessOperatorWithWatermarkDelay) for the time columns.
// The buffers' layout is the one before JoinLate: a savepoint of it
// restores (its cleanup timers move to the new expiries when they fire).
func (x *IntervalJoin) joinKeyed(lk, rk stream.KeyedStream[[]byte, string], lc, rc *table.RowCodec) stream.Stream[table.Row] {
	j := stream.IntervalJoin(lk, rk, -x.Upper, -x.Lower).WatermarkDelay(x.watermarkDelay()).JoinLate()
	return stream.IntervalJoinProcess(j, func() stream.ProcessJoinFunc[[]byte, []byte, table.Row] {
		return pairFn(lc, rc)
	})
}

// pairFn is the join function of an inner IntervalJoin: the left row's
// columns, then the right one's.
func pairFn(lc, rc *table.RowCodec) stream.ProcessJoinFunc[[]byte, []byte, table.Row] {
	return func(_ *stream.JoinContext, a, b []byte, out stream.Emitter[table.Row]) error {
		ar, err := lc.Decode(a)
		if err != nil {
			return err
		}
		br, err := rc.Decode(b)
		if err != nil {
			return err
		}
		f := make([]table.Value, 0, len(ar.Fields)+len(br.Fields))
		out.Emit(table.Row{Fields: append(append(f, ar.Fields...), br.Fields...)})
		return nil
	}
}
