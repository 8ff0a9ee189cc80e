package nexmark

import (
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q6Row is a q6 changelog row: the average price of a seller's last 10
// winning bids. avg_price is BIGINT (the integer quotient), as Flink's AVG
// of a BIGINT column.
type Q6Row struct {
	Op       string `json:"op,omitempty"`
	Seller   int64  `json:"seller"`
	AvgPrice int64  `json:"avg_price"`
}

func init() {
	Register(&Query{
		Name:     "q6",
		Columns:  []string{"seller", "avg_price"},
		Updating: true,
		Build:    buildQ6,
		Oracle:   oracleQ6,
	})
}

// q6Last is how many of a seller's latest winning bids are averaged.
const q6Last = 10

// q6Change is a change of an auction's winning bid.
type q6Change struct {
	Seller, Auction   int64
	OldPrice, OldTime int64
	HasOld            bool
	NewPrice, NewTime int64
}

// Fields of the per-auction record.
const (
	q6Lo = iota
	q6Hi
	q6Seller
	q6Price // the winner (present once a bid matched)
	q6Time
	q6Bidder
)

// buildQ6 computes, per seller, the average price of the winning bids of
// their last 10 auctions, as a changelog (Flink cannot run q6: its OVER
// window does not accept the retractions of the winning-bid stream).
//
// Definitions (ours; the SQL text of q6 is not well-formed): the winning
// bid of an auction is q9's (the bid inside [dateTime, expires] with the
// highest price, then the earliest dateTime, then the lowest bidder); a
// seller's auctions with a winning bid are ordered by the winning bid's
// dateTime, then auction id, and the last 10 of them are averaged (the
// SQL's ROWS BETWEEN 10 PRECEDING AND CURRENT ROW would be 11 rows; the
// benchmark's description, and Beam, say 10).
//
// Operators: a KeyedCoProcess keyed by auction id joins auctions and bids
// (buffering bids that come before their auction) and emits every change
// of an auction's winner; a KeyedProcess keyed by seller keeps the seller's
// winners sorted by (dateTime, auction) in one encoded state value, moves
// the changed auction, and emits the new average (-U/+U, +I the first
// time). Both keep their state forever (the join, as a regular join does;
// the seller list because any winner may still change).
func buildQ6(events stream.Stream[nexmark.Event], _ Config) Output {
	ak := stream.KeyBy(Auctions(events), func(a *nexmark.Auction) int64 { return a.ID })
	bk := stream.KeyBy(Bids(events), func(b *nexmark.Bid) int64 { return b.Auction })
	changes := stream.KeyedCoProcess(ak, bk, func() stream.KeyedCoProcessFunction[int64, *nexmark.Auction, *nexmark.Bid, q6Change] {
		return &q6Winning{}
	}).Name("q6-winning-bids")
	rows := stream.KeyedProcess(stream.KeyBy(changes, func(c q6Change) int64 { return c.Seller }),
		func() stream.KeyedProcessFunction[int64, q6Change, Q6Row] { return &q6Average{} }).Name("q6-average")
	return Out(rows)
}

type q6Winning struct {
	meta    *stream.MapState[int64, int64]
	pending *stream.ListState[int64] // (bidder, price, dateTime) triples
}

func (w *q6Winning) Open(ctx *stream.OpenContext) error {
	w.meta = stream.NewMapState[int64, int64](ctx, "q6-meta")
	w.pending = stream.NewListState[int64](ctx, "q6-pending")
	return nil
}

// q6Before reports whether bid (price, t, bidder) ranks before (bp, bt, bb).
func q6Before(price, t, bidder, bp, bt, bb int64) bool {
	if price != bp {
		return price > bp
	}
	if t != bt {
		return t < bt
	}
	return bidder < bb
}

func (w *q6Winning) ProcessElement1(_ *stream.KeyedContext[int64], a *nexmark.Auction, out stream.Emitter[q6Change]) error {
	if w.meta.Contains(q6Lo) {
		return nil // a repeated auction id: the first one wins (ids are unique)
	}
	w.meta.Put(q6Lo, a.DateTime)
	w.meta.Put(q6Hi, a.Expires)
	w.meta.Put(q6Seller, a.Seller)
	var bp, bt, bb int64
	found := false
	var trip [3]int64
	i := 0
	w.pending.Range(func(v int64) bool {
		trip[i] = v
		if i++; i < 3 {
			return true
		}
		i = 0
		if t := trip[2]; t >= a.DateTime && t <= a.Expires && (!found || q6Before(trip[1], t, trip[0], bp, bt, bb)) {
			bb, bp, bt, found = trip[0], trip[1], t, true
		}
		return true
	})
	w.pending.Clear()
	if found {
		w.meta.Put(q6Price, bp)
		w.meta.Put(q6Time, bt)
		w.meta.Put(q6Bidder, bb)
		out.Emit(q6Change{Seller: a.Seller, Auction: a.ID, NewPrice: bp, NewTime: bt})
	}
	return nil
}

func (w *q6Winning) ProcessElement2(ctx *stream.KeyedContext[int64], b *nexmark.Bid, out stream.Emitter[q6Change]) error {
	lo, ok := w.meta.Get(q6Lo)
	if !ok {
		w.pending.Add(b.Bidder)
		w.pending.Add(b.Price)
		w.pending.Add(b.DateTime)
		return nil
	}
	if b.DateTime < lo {
		return nil
	}
	if hi, _ := w.meta.Get(q6Hi); b.DateTime > hi {
		return nil
	}
	bp, has := w.meta.Get(q6Price)
	var bt int64
	if has {
		if b.Price < bp {
			return nil
		}
		bt, _ = w.meta.Get(q6Time)
		bb, _ := w.meta.Get(q6Bidder)
		if !q6Before(b.Price, b.DateTime, b.Bidder, bp, bt, bb) {
			return nil
		}
	}
	w.meta.Put(q6Price, b.Price)
	w.meta.Put(q6Time, b.DateTime)
	w.meta.Put(q6Bidder, b.Bidder)
	seller, _ := w.meta.Get(q6Seller)
	out.Emit(q6Change{Seller: seller, Auction: ctx.Key(), OldPrice: bp, OldTime: bt, HasOld: has,
		NewPrice: b.Price, NewTime: b.DateTime})
	return nil
}

func (w *q6Winning) OnTimer(*stream.KeyedContext[int64], int64, stream.Emitter[q6Change]) error {
	return nil
}

// q6Entry is a seller's winning bid in the sorted list.
type q6Entry struct{ time, auction, price int64 }

func (e q6Entry) less(o q6Entry) bool {
	if e.time != o.time {
		return e.time < o.time
	}
	return e.auction < o.auction
}

// q6Average keeps a seller's winners, sorted by (time, auction), encoded
// as 24-byte entries in one string.
type q6Average struct {
	list    *stream.ValueState[string]
	entries []q6Entry
	buf     []byte
}

func (g *q6Average) Open(ctx *stream.OpenContext) error {
	g.list = stream.NewValueState[string](ctx, "q6-winners")
	return nil
}

// avg is the average price of the last q6Last entries (ok false if none).
func (g *q6Average) avg() (int64, bool) {
	n := len(g.entries)
	if n == 0 {
		return 0, false
	}
	k := min(n, q6Last)
	var sum int64
	for _, e := range g.entries[n-k:] {
		sum += e.price
	}
	return sum / int64(k), true
}

func (g *q6Average) ProcessElement(ctx *stream.KeyedContext[int64], c q6Change, out stream.Emitter[Q6Row]) error {
	s, _ := g.list.Get()
	g.entries = g.entries[:0]
	for len(s) >= 24 {
		var e q6Entry
		e.time, s = nxUnpackInt(s)
		e.auction, s = nxUnpackInt(s)
		e.price, s = nxUnpackInt(s)
		g.entries = append(g.entries, e)
	}
	before, had := g.avg()
	if c.HasOld {
		old := q6Entry{c.OldTime, c.Auction, c.OldPrice}
		for i, e := range g.entries {
			if e == old {
				g.entries = append(g.entries[:i], g.entries[i+1:]...)
				break
			}
		}
	}
	ne := q6Entry{c.NewTime, c.Auction, c.NewPrice}
	i := len(g.entries)
	for i > 0 && ne.less(g.entries[i-1]) {
		i--
	}
	g.entries = append(g.entries, q6Entry{})
	copy(g.entries[i+1:], g.entries[i:])
	g.entries[i] = ne
	b := g.buf[:0]
	for _, e := range g.entries {
		b = nxPackInt(b, e.time)
		b = nxPackInt(b, e.auction)
		b = nxPackInt(b, e.price)
	}
	g.buf = b
	g.list.Set(string(b))
	after, _ := g.avg()
	switch {
	case !had:
		out.Emit(Q6Row{Op: OpInsert, Seller: ctx.Key(), AvgPrice: after})
	case after != before:
		out.Emit(Q6Row{Op: OpUpdateBefore, Seller: ctx.Key(), AvgPrice: before})
		out.Emit(Q6Row{Op: OpUpdateAfter, Seller: ctx.Key(), AvgPrice: after})
	}
	return nil
}

func (g *q6Average) OnTimer(*stream.KeyedContext[int64], int64, stream.Emitter[Q6Row]) error {
	return nil
}
