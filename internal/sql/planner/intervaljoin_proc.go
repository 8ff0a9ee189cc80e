package planner

import (
	"fmt"
	"slices"
	"time"

	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/table"
)

// Processing-time interval joins (Flink's ProcTimeIntervalJoin): a join of
// two insert-only inputs on equal keys whose conditions bound the two
// sides' PROCTIME() attributes, `b.pt BETWEEN a.pt - INTERVAL '1' MINUTE
// AND a.pt`, is an IntervalOuterJoin with Proctime (Kind INNER, LEFT,
// RIGHT or FULL): a row's time is the processing time it arrives at the
// join (Flink's ctx.timerService().currentProcessingTime()), not the
// value of its attribute, so a pair is joined when the later row arrives
// within the bounds of the earlier one's arrival. Each row is kept in
// keyed state until the processing time passes the end of its range (a
// left row at t: t - Lower, a right one: t + Upper), then dropped by a
// processing-time timer and, on a padded side without a partner, emitted
// padded with NULLs (a row whose range is over when it arrives, a left row
// when Lower > 0, is not kept). When a bounded input ends, the rows still
// waiting are not padded (processing-time timers do not fire at the end of
// input, as Flink's). Before, such a join was a regular join with the
// bounds a condition over the attributes' values: the same pairs (the
// values are the processing times the rows were read at), but both sides
// kept forever.
//
// Output: the left columns, then the right ones; the time column of a side
// never padded stays a processing-time attribute (Flink keeps them), a
// padded side's (LEFT: the right's, RIGHT: the left's, FULL: both) is a
// plain TIMESTAMP_LTZ. UID kind interval-join-proctime.

// intervalTimeAttr reports whether column i of n (of type t) can be the
// time of an interval join, and whether it is a processing-time one.
func intervalTimeAttr(n Node, t table.Type, i int) (proc, ok bool) {
	if t.TimeAttr() == table.Proctime {
		return true, true
	}
	return false, joinTimeAttr(n, t, i)
}

// procIntervalJoin plans a join of kind whose conditions bound the two
// sides' processing-time attributes (bindJoin found both bounds, lo <= hi,
// of jn's time columns in timeConds): for an outer join the conjuncts of
// on (ON) other than timeConds are its condition over cs, the joined row
// with the cast keys; s is the scope of its output, back casts the keys
// back.
func (p *Planner) procIntervalJoin(at *parser.Join, kind string, jn *IntervalJoin, lo, hi time.Duration, on, timeConds []parser.Expr,
	cs, s *scope, back func(Node) (Node, error)) (Node, error) {
	n, err := p.newIntervalOuterJoin(kind, jn, lo, hi, on, timeConds, cs)
	if err != nil {
		return nil, err
	}
	n.Proctime = true
	n.cols = slices.Clone(jn.cols)
	nl := len(n.L.Cols())
	var keep []int // the time columns of the sides never padded
	if kind == "INNER" || kind == "LEFT" {
		keep = append(keep, n.LTimeCol)
	}
	if kind == "INNER" || kind == "RIGHT" {
		keep = append(keep, nl+n.RTimeCol)
	}
	for _, i := range keep {
		s.cols[i].t = s.cols[i].t.WithTimeAttr(table.Proctime)
		n.cols[i].Type = n.cols[i].Type.WithTimeAttr(table.Proctime)
	}
	return back(n)
}

// procJoinSignature is the state signature of a processing-time interval
// join: its kind, keys, bounds and the sides' rows (signature.go).
func procJoinSignature(kind string, n *IntervalOuterJoin) string {
	return fmt.Sprintf("%s %s left-keys=%s right-keys=%s%s between=[%s, %s] left=%s right=%s", kind, n.Kind,
		keySig(n.L, n.LKeys), keySig(n.R, n.RKeys), nullSafeSig(n.NullSafe), durSig(n.Lower), durSig(n.Upper),
		typesOf(n.L.Cols()), typesOf(n.R.Cols()))
}
