package planner

import (
	"strings"
	"time"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Processing time (Flink's PROCTIME()): a processing-time attribute is a
// TIMESTAMP_LTZ(3) column marked table.Proctime, made by PROCTIME() in a
// computed column or a select list and kept while it is passed through
// unchanged. A window table function or group window over it is a
// processing-time window aggregation (WindowAgg.Proctime): the engine's
// processing-time window assigners, fired by processing-time timers of
// the job's clock (streamsql.Options.Clock), as Flink; a window that has
// not fired when a bounded input ends emits nothing. Read as a value, the
// attribute is the evaluation's wall-clock time (the expression clock when
// one is given).

var procType = table.TimestampLTZType(3).NotNull().WithTimeAttr(table.Proctime)

// registerProctime adds PROCTIME() to reg.
func registerProctime(r *expr.Registry) {
	if r.Overloads("PROCTIME") != nil {
		return
	}
	r.Register("PROCTIME", expr.Overload{Sig: "PROCTIME() -> TIMESTAMP_LTZ(3) *PROCTIME*", Bind: expr.Fixed(procType), Volatile: true,
		Impl: func(b *expr.Bound) (expr.Func, error) {
			now := func() int64 { return time.Now().UnixMilli() }
			if b.Env != nil && b.Env.Now != nil {
				now = b.Env.Now
			}
			return expr.Func{F0: func() (table.Value, error) { return table.TimestampMillis(now()), nil }}, nil
		}})
}

// timeAttrOf checks that the time column of a window is a time attribute
// and says whether it is a processing-time one.
func timeAttrOf(at parser.Node, t table.Type, name, kind string) (bool, error) {
	switch t.TimeAttr() {
	case table.Rowtime, table.RowtimeUnstamped: // the latter re-stamped (restamp.go)
		return false, nil
	case table.Proctime:
		return true, nil
	}
	return false, errAt(at, "`%s` is not a time attribute: declare WATERMARK FOR %s AS ... on the table (event time) or add a PROCTIME() column (processing time), and pass the column through views unchanged; after a window aggregation only window_time is one (GROUP BY window_start, window_end, window_time and select it), a window Top-N keeps only that one, an interval join keeps both inputs' time attributes, and other joins keep none", name, name)
}

// procAssigner is the processing-time window assigner of a window kind.
func procAssigner(kind string, size, slide, offset time.Duration) stream.WindowAssigner {
	switch kind {
	case "HOP":
		return stream.SlidingProcessingTimeWindows(size, slide, offset)
	case "SESSION":
		return stream.ProcessingTimeSessionWindows(size)
	case "CUMULATE":
		return procCumulate{cumulate{step: slide.Milliseconds(), size: size.Milliseconds(), offset: offset.Milliseconds()}}
	}
	return stream.TumblingProcessingTimeWindows(size, offset)
}

// procWindowText marks the window of EXPLAIN as one of processing time.
func procWindowText(win string) string {
	return strings.TrimSuffix(win, ")") + ", proctime)"
}

// isProctimeCall reports whether e is PROCTIME(): a processing-time
// attribute, also where it is computed.
func isProctimeCall(e expr.Expr) bool {
	c, ok := e.(*expr.Call)
	return ok && c.Name == "PROCTIME"
}

// procCumulate is CUMULATE in processing time: the windows of the
// processing time an element arrives at.
type procCumulate struct{ c cumulate }

func (p procCumulate) Assign(dst []stream.Window, _, now int64) []stream.Window {
	return p.c.Assign(dst, now, 0)
}
func (procCumulate) EventTime() bool { return false }
func (procCumulate) Merging() bool   { return false }
