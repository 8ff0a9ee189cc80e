package planner

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// IntervalOuterJoin is a LEFT, RIGHT or FULL OUTER join of two insert-only
// inputs on equal keys and bounded event times, as Flink's outer
// IntervalJoin (TimeIntervalJoin, RowTimeIntervalJoin): a pair is joined
// when Lower <= left.rowtime - right.rowtime <= Upper (inclusive, in
// milliseconds) and Cond (the other ON conditions; nil: none) holds. Pairs
// are emitted as they are found (when the later of the two arrives); a row
// of a padded side (left for LEFT and FULL, right for RIGHT and FULL) that
// found no partner is emitted padded with NULLs once the watermark passes
// the end of the times it can pair with (a left row at t: t - Lower; a
// right row at t: t + Upper), and its state goes then. Append-only.
//
// Each side's rows of a key wait in keyed list state with a matched flag
// (exact after a restore) and an event-time timer at the end of their
// range + 1 ms. A row arriving behind the watermark is not dropped (as in
// Flink's SQL interval join): it is joined with the rows still in state,
// and kept only while its range is not passed; a row of a padded side
// whose range has passed already is emitted padded at once if it found no
// partner. A row whose key has a NULL (compared with =) or whose time is
// NULL pairs with nothing: padded at once on a padded side, dropped on the
// other.
//
// Output: the left columns, then the right ones. The time column of a side
// that is never padded stays an event-time attribute (RowtimeUnstamped, as
// IntervalJoin's: the join holds its watermark back by max(-Lower, Upper)
// and a padded row carries its own time); that of a padded side may be
// NULL and is a plain TIMESTAMP (Flink keeps it a time attribute, and a
// NULL one fails an event-time operator after the join at run time).
//
// With Proctime it is a processing-time interval join (Flink's
// ProcTimeIntervalJoin; intervaljoin_proc.go), also of Kind INNER.
type IntervalOuterJoin struct {
	Kind         string // LEFT, RIGHT, FULL; INNER if Proctime
	L, R         Node
	LKeys, RKeys []int
	NullSafe     []bool // per key: IS NOT DISTINCT FROM, else =
	Lower, Upper time.Duration
	LTime, RTime string // the time columns as written in the query (o.ts)
	// LTimeCol and RTimeCol are the time columns' indexes in L and R.
	LTimeCol, RTimeCol int
	Cond               expr.Expr // the residual ON conditions over the joined row, or nil
	// Proctime: the bounds are of the two sides' processing-time
	// attributes, and a row's time is the processing time it arrives at
	// the join (intervaljoin_proc.go).
	Proctime bool
	cols     []Col
}

func (n *IntervalOuterJoin) Cols() []Col    { return n.cols }
func (n *IntervalOuterJoin) Updating() bool { return false }
func (n *IntervalOuterJoin) Inputs() []Node { return []Node{n.L, n.R} }

// watermarkDelay is IntervalJoin.watermarkDelay: a pair leaves when its
// later row arrives, the earlier one at most max(-Lower, Upper) before it;
// a padded left row at t leaves when the watermark passes t - Lower, a
// right one at t when it passes t + Upper: one millisecond more, since
// the input watermark may stand exactly at t - Lower (t + Upper) before
// that, and the output watermark must stay below the padded row's t.
func (n *IntervalOuterJoin) watermarkDelay() time.Duration {
	return max(-n.Lower, n.Upper, 0) + time.Millisecond
}

// padsLeft and padsRight report whether the left (right) rows without a
// partner are emitted, padded with NULLs.
func (n *IntervalOuterJoin) padsLeft() bool  { return n.Kind == "LEFT" || n.Kind == "FULL" }
func (n *IntervalOuterJoin) padsRight() bool { return n.Kind == "RIGHT" || n.Kind == "FULL" }

func (n *IntervalOuterJoin) explain() string {
	var ks []string
	for i := range n.LKeys {
		ks = append(ks, fmt.Sprintf("%s %s %s", n.L.Cols()[n.LKeys[i]].Name, keyOp(n.NullSafe, i), n.R.Cols()[n.RKeys[i]].Name))
	}
	cond := ""
	if n.Cond != nil {
		cond = fmt.Sprintf(", condition=[%s]", n.Cond)
	}
	proc := ""
	if n.Proctime {
		proc = ", proctime"
	}
	return fmt.Sprintf("IntervalJoin(joinType=[%s], where=[%s]%s, timeBounds=[%s - %s in [%v, %v]%s]", joinTypeText(n.Kind),
		strings.Join(ks, " AND "), cond, n.LTime, n.RTime, n.Lower, n.Upper, proc)
}

// newIntervalOuterJoin is the interval join of kind between jn's inputs
// with the bounds lo and hi; its condition is the conjuncts of on other
// than timeConds (over cs, the joined row with the cast keys), if any.
func (p *Planner) newIntervalOuterJoin(kind string, jn *IntervalJoin, lo, hi time.Duration, on, timeConds []parser.Expr, cs *scope) (*IntervalOuterJoin, error) {
	n := &IntervalOuterJoin{Kind: kind, L: jn.L, R: jn.R, LKeys: jn.LKeys, RKeys: jn.RKeys, NullSafe: jn.NullSafe,
		Lower: lo, Upper: hi, LTime: jn.LTime, RTime: jn.RTime, LTimeCol: jn.LTimeCol, RTimeCol: jn.RTimeCol}
	var rest []parser.Expr
	for _, c := range on {
		if !slices.Contains(timeConds, c) {
			rest = append(rest, c)
		}
	}
	if len(rest) > 0 {
		var err error
		if n.Cond, err = p.joinCond(rest, cs); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// outerIntervalJoin plans an outer join whose ON conditions bound the two
// sides' event times (bindJoin found both bounds, lo <= hi, of jn's time
// columns in timeConds, conjuncts of on; bounds that exclude every pair
// leave it a regular join, as before): the conjuncts of on other than
// timeConds are its condition (over cs, the joined row with the cast keys),
// s is the scope of its output, ls and rs those of its inputs, back casts
// the keys back.
func (p *Planner) outerIntervalJoin(at *parser.Join, kind string, jn *IntervalJoin, lo, hi time.Duration, on, timeConds []parser.Expr,
	cs, ls, rs, s *scope, back func(Node) (Node, error)) (Node, error) {
	if lo > hi {
		return nil, errAt(at, "the time bounds of the join exclude every pair (%v > %v)", lo, hi)
	}
	n, err := p.newIntervalOuterJoin(kind, jn, lo, hi, on, timeConds, cs)
	if err != nil {
		return nil, err
	}
	// The inputs' rows carry their time columns' values as timestamps (an
	// input that is an interval join is re-stamped).
	if n.L, err = stampedBy(at, n.L, n.LTimeCol, ls.cols[n.LTimeCol].t, "an interval join"); err != nil {
		return nil, err
	}
	if n.R, err = stampedBy(at, n.R, n.RTimeCol, rs.cols[n.RTimeCol].t, "an interval join"); err != nil {
		return nil, err
	}
	n.cols = slices.Clone(jn.cols)
	nl := len(ls.cols)
	var keep []int // the time columns of the sides never padded
	if kind == "LEFT" {
		keep = []int{n.LTimeCol}
	} else if kind == "RIGHT" {
		keep = []int{nl + n.RTimeCol}
	}
	for _, i := range keep {
		s.cols[i].t = s.cols[i].t.WithTimeAttr(table.RowtimeUnstamped)
		n.cols[i].Type = n.cols[i].Type.WithTimeAttr(table.RowtimeUnstamped)
	}
	return back(n)
}

// outerTimeCol reports whether column col of n (an IntervalOuterJoin) is
// the time column of a side that is never padded (for fromIntervalJoin).
func (n *IntervalOuterJoin) outerTimeCol(col int) bool {
	if n.Proctime {
		return false
	}
	switch n.Kind {
	case "LEFT":
		return col == n.LTimeCol
	case "RIGHT":
		return col == len(n.L.Cols())+n.RTimeCol
	}
	return false
}

func (n *IntervalOuterJoin) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	l, r, err := tr.buildPair(n.L, n.R)
	if err != nil {
		return zero, err
	}
	if n.Cond != nil {
		if _, err := expr.CompilePredicate(n.Cond, tr.copts...); err != nil {
			return zero, err
		}
	}
	// Rows with a NULL key get keys of their own side (joinKeyOf); the
	// function pads or drops them at once (lnull, rnull).
	lkey, lnull := joinKeyOf(n.L, n.LKeys, n.NullSafe, 'L')
	rkey, rnull := joinKeyOf(n.R, n.RKeys, n.NullSafe, 'R')
	copts := tr.copts
	newFn := func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
		f := newIntervalOuterFn(n, lnull, rnull)
		if n.Cond != nil {
			var err error
			f.cond, err = expr.CompilePredicate(n.Cond, copts...)
			evalPanic(err)
		}
		return f
	}
	if n.Proctime { // intervaljoin_proc.go
		return stream.KeyedCoProcess(stream.KeyBy(l, lkey), stream.KeyBy(r, rkey), newFn).
			Name("interval-join-proctime").UID(tr.uid("interval-join-proctime")), nil
	}
	return stream.KeyedCoProcessWatermarkDelay(stream.KeyBy(l, lkey), stream.KeyBy(r, rkey), n.watermarkDelay(), newFn).
		Name("interval-outer-join").UID(tr.uid("interval-outer-join")), nil
}

// intervalOuterFn is the keyed function of an IntervalOuterJoin. Each
// side's rows of the key are entries of a list state: a flag byte (1: the
// row has been joined), the row's time (8 bytes, big-endian, offset by
// 1<<63), its RowCodec bytes. A row's timer is at its expiry, the end of
// its range + 1 ms (a left row at t: t - lo + 1; a right one: t + hi + 1),
// as Flink's cleanup timers: from then on no row that is not late can
// pair with it.
type intervalOuterFn struct {
	// proc: a processing-time join (IntervalOuterJoin.Proctime): a row's
	// time is the processing time it arrives at, the time that passes its
	// range is the processing time, its timers are processing-time ones.
	proc         bool
	lc, rc       *table.RowCodec
	lo, hi       int64 // the bounds in ms
	lt, rt       int   // the time columns
	nl, nr       int   // the sides' column counts
	padL, padR   bool
	lnull, rnull func(table.Row) bool // the row's key has a NULL (nil: it cannot)
	cond         func(*table.Row) (bool, error)
	left, right  *stream.ListState[[]byte]
	pair         table.Row // the joined row the condition reads
	buf          []byte
}

func newIntervalOuterFn(n *IntervalOuterJoin, lnull, rnull func(table.Row) bool) *intervalOuterFn {
	return &intervalOuterFn{proc: n.Proctime, lc: rowCodecOf(n.L), rc: rowCodecOf(n.R), lo: n.Lower.Milliseconds(), hi: n.Upper.Milliseconds(),
		lt: n.LTimeCol, rt: n.RTimeCol, nl: len(n.L.Cols()), nr: len(n.R.Cols()), padL: n.padsLeft(), padR: n.padsRight(),
		lnull: lnull, rnull: rnull}
}

func (f *intervalOuterFn) Open(ctx *stream.OpenContext) error {
	f.left = stream.NewListState[[]byte](ctx, "interval-outer-join-left")
	f.right = stream.NewListState[[]byte](ctx, "interval-outer-join-right")
	return nil
}

// addSatMs is a + b saturated at the int64 range.
func addSatMs(a, b int64) int64 {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	}
	return s
}

const entryHead = 9 // flag byte, time

func entryTime(e []byte) int64 { return int64(binary.BigEndian.Uint64(e[1:entryHead]) ^ 1<<63) }

func (f *intervalOuterFn) ProcessElement1(ctx *stream.KeyedContext[string], v table.Row, out stream.Emitter[table.Row]) error {
	return f.process(ctx, v, true, out)
}

func (f *intervalOuterFn) ProcessElement2(ctx *stream.KeyedContext[string], v table.Row, out stream.Emitter[table.Row]) error {
	return f.process(ctx, v, false, out)
}

// process joins row v of one side (left: the left) with the other side's
// rows in state, then keeps it while rows that are not late can still pair
// with it, or emits it padded.
func (f *intervalOuterFn) process(ctx *stream.KeyedContext[string], v table.Row, left bool, out stream.Emitter[table.Row]) error {
	tcol, isNull, pad := f.lt, f.lnull, f.padL
	if !left {
		tcol, isNull, pad = f.rt, f.rnull, f.padR
	}
	if (!f.proc && v.Fields[tcol].IsNull()) || (isNull != nil && isNull(v)) {
		if pad { // it pairs with nothing
			f.emitPadded(v.Fields, left, ctx.Timestamp(), out)
		}
		return nil
	}
	// t is the row's time; now the time that passes ranges.
	var t, now int64
	if f.proc {
		t = ctx.ProcessingTime()
		now = t
	} else {
		t, _ = v.Fields[tcol].AsTimestamp()
		now = ctx.CurrentWatermark()
	}
	// The other side's times that pair with t, and the end of t's range.
	from, to, exp := addSatMs(t, -f.hi), addSatMs(t, -f.lo), addSatMs(addSatMs(t, -f.lo), 1)
	other, oc, otherPad := f.right, f.rc, f.padR
	if !left {
		from, to, exp = addSatMs(t, f.lo), addSatMs(t, f.hi), addSatMs(addSatMs(t, f.hi), 1)
		other, oc, otherPad = f.left, f.lc, f.padL
	}
	matched := false
	es := other.Get()
	changed := false
	for i, e := range es {
		ot := entryTime(e)
		if ot < from || ot > to {
			continue
		}
		o, err := oc.Decode(e[entryHead:])
		if err != nil {
			return err
		}
		if left {
			f.pair = table.Row{Kind: table.Insert, Fields: joinInto(f.pair.Fields, v.Fields, o.Fields, f.nl, f.nr)}
		} else {
			f.pair = table.Row{Kind: table.Insert, Fields: joinInto(f.pair.Fields, o.Fields, v.Fields, f.nl, f.nr)}
		}
		if f.cond != nil {
			ok, err := f.cond(&f.pair)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		matched = true
		if !f.proc { // a processing-time join's rows keep the input's timestamp
			stream.SetEmitTimestamp(out, max(t, ot))
		}
		out.Emit(table.Row{Kind: table.Insert, Fields: slices.Clone(f.pair.Fields)})
		if otherPad && e[0] == 0 {
			ne := slices.Clone(e) // the state's bytes are not ours to change
			ne[0] = 1
			es[i], changed = ne, true
		}
	}
	clear(f.pair.Fields)
	if changed {
		other.Update(es)
	}
	if exp <= now {
		// Its range has passed: no row that is not late pairs with it.
		if pad && !matched {
			f.emitPadded(v.Fields, left, t, out)
		}
		return nil
	}
	c, st := f.lc, f.left
	if !left {
		c, st = f.rc, f.right
	}
	flag := byte(0)
	if matched {
		flag = 1
	}
	b := append(f.buf[:0], flag)
	b = binary.BigEndian.AppendUint64(b, uint64(t)^1<<63)
	b, err := c.AppendRow(b, table.Row{Fields: v.Fields})
	if err != nil {
		return err
	}
	f.buf = b
	st.Add(b) // copied
	if f.proc {
		ctx.RegisterProcessingTimeTimer(exp)
	} else {
		ctx.RegisterEventTimeTimer(exp)
	}
	return nil
}

// emitPadded emits row (of the left side if left) padded with NULLs, with
// timestamp ts (a processing-time join: the timestamp of the record or
// timer being processed).
func (f *intervalOuterFn) emitPadded(row []table.Value, left bool, ts int64, out stream.Emitter[table.Row]) {
	if !f.proc {
		stream.SetEmitTimestamp(out, ts)
	}
	if left {
		out.Emit(joinRows(row, nil, f.nl, f.nr))
	} else {
		out.Emit(joinRows(nil, row, f.nl, f.nr))
	}
}

// OnTimer drops the key's rows whose range ended by t, the left ones
// first, and emits those of a padded side that found no partner.
func (f *intervalOuterFn) OnTimer(ctx *stream.KeyedContext[string], t int64, out stream.Emitter[table.Row]) error {
	for _, left := range []bool{true, false} {
		st, c, pad, end := f.left, f.lc, f.padL, -f.lo
		if !left {
			st, c, pad, end = f.right, f.rc, f.padR, f.hi
		}
		es := st.Get()
		keep := es[:0:0]
		for _, e := range es {
			rt := entryTime(e)
			if addSatMs(addSatMs(rt, end), 1) > t {
				keep = append(keep, e)
				continue
			}
			if pad && e[0] == 0 {
				row, err := c.Decode(e[entryHead:])
				if err != nil {
					return err
				}
				f.emitPadded(row.Fields, left, rt, out)
			}
		}
		switch {
		case len(keep) == 0 && len(es) > 0:
			st.Clear()
		case len(keep) < len(es):
			st.Update(keep)
		}
	}
	return nil
}
