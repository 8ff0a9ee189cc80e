package nexmark

import (
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q4Row is a q4 changelog row: the average winning price of a category.
// final is BIGINT, as Flink's AVG of a BIGINT column: the integer quotient
// sum / count.
type Q4Row struct {
	Op    string `json:"op,omitempty"`
	ID    int64  `json:"id"`
	Final int64  `json:"final"`
}

func init() {
	Register(&Query{
		Name:     "q4",
		Columns:  []string{"id", "final"},
		Updating: true,
		Build:    buildQ4,
		Oracle:   oracleQ4,
	})
}

// q4Delta is an update of one auction's winning price: its old
// contribution (if HasOld) is retracted from the category and New added.
type q4Delta struct {
	Category int64
	Old, New int64
	HasOld   bool
}

// Fields of the per-auction record kept in a MapState[int64]int64 (one
// state entry per auction, one hash lookup per bid).
const (
	q4Lo  = iota // auction.dateTime (present once the auction arrived)
	q4Hi         // auction.expires
	q4Cat        // auction.category
	q4Max        // the current winning price (present once a bid matched)
)

// buildQ4: the regular join auction ⋈ bid on id with the time-range
// predicate and the MAX per auction in one KeyedCoProcess keyed by auction
// id (bids that arrive before their auction are buffered, since the join
// is not time-bounded), which emits every change of an auction's maximum
// as a retraction of the old value plus the new one; then AVG per category
// in a KeyedProcess keyed by category, which applies those changes to
// (sum, count) and emits the category's average as a changelog (+I, then
// -U/+U when it changes). State is kept forever, as in Flink's regular
// join: auction ids are assumed unique (the generator's are).
func buildQ4(events stream.Stream[nexmark.Event], _ Config) Output {
	ak := stream.KeyBy(Auctions(events), func(a *nexmark.Auction) int64 { return a.ID })
	bk := stream.KeyBy(Bids(events), func(b *nexmark.Bid) int64 { return b.Auction })
	deltas := stream.KeyedCoProcess(ak, bk, func() stream.KeyedCoProcessFunction[int64, *nexmark.Auction, *nexmark.Bid, q4Delta] {
		return &q4Winning{}
	}).Name("q4-winning-bids")
	rows := stream.KeyedProcess(stream.KeyBy(deltas, func(d q4Delta) int64 { return d.Category }),
		func() stream.KeyedProcessFunction[int64, q4Delta, Q4Row] { return &q4Average{} }).Name("q4-average")
	return Out(rows)
}

type q4Winning struct {
	auction *stream.MapState[int64, int64]
	// pending holds (dateTime, price) pairs of bids that came before their
	// auction.
	pending *stream.ListState[int64]
}

func (w *q4Winning) Open(ctx *stream.OpenContext) error {
	w.auction = stream.NewMapState[int64, int64](ctx, "q4-auction")
	w.pending = stream.NewListState[int64](ctx, "q4-pending")
	return nil
}

func (w *q4Winning) ProcessElement1(_ *stream.KeyedContext[int64], a *nexmark.Auction, out stream.Emitter[q4Delta]) error {
	if w.auction.Contains(q4Lo) {
		return nil // a repeated auction id: the first one wins (ids are unique)
	}
	w.auction.Put(q4Lo, a.DateTime)
	w.auction.Put(q4Hi, a.Expires)
	w.auction.Put(q4Cat, a.Category)
	var best int64
	found, odd := false, false
	var dt int64
	w.pending.Range(func(v int64) bool {
		if !odd {
			dt, odd = v, true
			return true
		}
		odd = false
		if dt >= a.DateTime && dt <= a.Expires && (!found || v > best) {
			best, found = v, true
		}
		return true
	})
	w.pending.Clear()
	if found {
		w.auction.Put(q4Max, best)
		out.Emit(q4Delta{Category: a.Category, New: best})
	}
	return nil
}

func (w *q4Winning) ProcessElement2(_ *stream.KeyedContext[int64], b *nexmark.Bid, out stream.Emitter[q4Delta]) error {
	lo, ok := w.auction.Get(q4Lo)
	if !ok {
		w.pending.Add(b.DateTime)
		w.pending.Add(b.Price)
		return nil
	}
	if b.DateTime < lo {
		return nil
	}
	if hi, _ := w.auction.Get(q4Hi); b.DateTime > hi {
		return nil
	}
	cur, has := w.auction.Get(q4Max)
	if has && b.Price <= cur {
		return nil
	}
	w.auction.Put(q4Max, b.Price)
	cat, _ := w.auction.Get(q4Cat)
	out.Emit(q4Delta{Category: cat, Old: cur, HasOld: has, New: b.Price})
	return nil
}

func (w *q4Winning) OnTimer(*stream.KeyedContext[int64], int64, stream.Emitter[q4Delta]) error {
	return nil
}

// Fields of the per-category accumulator.
const (
	q4Sum = iota
	q4Count
)

type q4Average struct {
	acc *stream.MapState[int64, int64]
}

func (g *q4Average) Open(ctx *stream.OpenContext) error {
	g.acc = stream.NewMapState[int64, int64](ctx, "q4-avg")
	return nil
}

func (g *q4Average) ProcessElement(ctx *stream.KeyedContext[int64], d q4Delta, out stream.Emitter[Q4Row]) error {
	sum, _ := g.acc.Get(q4Sum)
	cnt, _ := g.acc.Get(q4Count)
	var before int64
	if cnt > 0 {
		before = sum / cnt
	}
	had := cnt > 0
	if d.HasOld {
		sum -= d.Old
		cnt--
	}
	sum += d.New
	cnt++
	g.acc.Put(q4Sum, sum)
	g.acc.Put(q4Count, cnt)
	after := sum / cnt
	switch {
	case !had:
		out.Emit(Q4Row{Op: OpInsert, ID: ctx.Key(), Final: after})
	case after != before:
		out.Emit(Q4Row{Op: OpUpdateBefore, ID: ctx.Key(), Final: before})
		out.Emit(Q4Row{Op: OpUpdateAfter, ID: ctx.Key(), Final: after})
	}
	return nil
}

func (g *q4Average) OnTimer(*stream.KeyedContext[int64], int64, stream.Emitter[Q4Row]) error {
	return nil
}
