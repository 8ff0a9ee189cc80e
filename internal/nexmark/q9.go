package nexmark

import (
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q9Row is a q9 changelog row: an auction with its winning bid.
type Q9Row struct {
	Op          string `json:"op,omitempty"`
	ID          int64  `json:"id"`
	ItemName    string `json:"itemName"`
	Description string `json:"description"`
	InitialBid  int64  `json:"initialBid"`
	Reserve     int64  `json:"reserve"`
	DateTime    int64  `json:"dateTime"`
	Expires     int64  `json:"expires"`
	Seller      int64  `json:"seller"`
	Category    int64  `json:"category"`
	Extra       string `json:"extra"`
	BidAuction  int64  `json:"bid_auction"`
	BidBidder   int64  `json:"bid_bidder"`
	BidPrice    int64  `json:"bid_price"`
	BidDateTime int64  `json:"bid_dateTime"`
}

var q9Columns = []string{"id", "itemName", "description", "initialBid", "reserve", "dateTime", "expires",
	"seller", "category", "extra", "bid_auction", "bid_bidder", "bid_price", "bid_dateTime"}

func init() {
	Register(&Query{
		Name:     "q9",
		Columns:  q9Columns,
		Updating: true,
		Build:    buildQ9,
		Oracle:   oracleQ9,
	})
}

// Fields of the per-auction record kept in a MapState[int64]int64.
const (
	q9Lo     = iota // auction.dateTime (present once the auction arrived)
	q9Hi            // auction.expires
	q9Price         // the winning bid (present once a bid matched)
	q9Time          //
	q9Bidder        //
)

// buildQ9: the regular join auction ⋈ bid on id with
// bid.dateTime BETWEEN auction.dateTime AND auction.expires, and
// ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, dateTime ASC)
// = 1, in one KeyedCoProcess keyed by auction id. It keeps the auction (its
// range and winner as int64 fields, the whole row encoded for the output)
// and buffers the bids that come before their auction. Every change of the
// winner is emitted as -U of the old row and +U of the new one (+I for the
// first). Ties on (price, dateTime) go to the lower bidder, so that the
// result does not depend on arrival order (Flink keeps the first arrival).
// State is kept forever, as in Flink's regular join; auction ids are
// assumed unique.
func buildQ9(events stream.Stream[nexmark.Event], _ Config) Output {
	ak := stream.KeyBy(Auctions(events), func(a *nexmark.Auction) int64 { return a.ID })
	bk := stream.KeyBy(Bids(events), func(b *nexmark.Bid) int64 { return b.Auction })
	rows := stream.KeyedCoProcess(ak, bk, func() stream.KeyedCoProcessFunction[int64, *nexmark.Auction, *nexmark.Bid, Q9Row] {
		return &q9Winning{}
	}).Name("q9-winning-bids")
	return Out(rows)
}

type q9Winning struct {
	meta    *stream.MapState[int64, int64]
	auction *stream.ValueState[string]
	// pending holds (bidder, price, dateTime) triples of bids that came
	// before their auction.
	pending *stream.ListState[int64]
	buf     []byte
}

func (w *q9Winning) Open(ctx *stream.OpenContext) error {
	w.meta = stream.NewMapState[int64, int64](ctx, "q9-meta")
	w.auction = stream.NewValueState[string](ctx, "q9-auction")
	w.pending = stream.NewListState[int64](ctx, "q9-pending")
	return nil
}

// q9Better reports whether bid (price, t, bidder) ranks before the current
// winner (bp, bt, bb).
func q9Better(price, t, bidder, bp, bt, bb int64) bool {
	if price != bp {
		return price > bp
	}
	if t != bt {
		return t < bt
	}
	return bidder < bb
}

func (w *q9Winning) ProcessElement1(_ *stream.KeyedContext[int64], a *nexmark.Auction, out stream.Emitter[Q9Row]) error {
	if w.meta.Contains(q9Lo) {
		return nil // a repeated auction id: the first one wins (ids are unique)
	}
	w.meta.Put(q9Lo, a.DateTime)
	w.meta.Put(q9Hi, a.Expires)
	b := nxPackString(w.buf[:0], a.ItemName)
	b = nxPackString(b, a.Description)
	b = nxPackInt(b, a.InitialBid)
	b = nxPackInt(b, a.Reserve)
	b = nxPackInt(b, a.Seller)
	b = nxPackInt(b, a.Category)
	b = append(b, a.Extra...)
	w.buf = b
	w.auction.Set(string(b))

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
		bidder, price, t := trip[0], trip[1], trip[2]
		if t >= a.DateTime && t <= a.Expires && (!found || q9Better(price, t, bidder, bp, bt, bb)) {
			bp, bt, bb, found = price, t, bidder, true
		}
		return true
	})
	w.pending.Clear()
	if found {
		w.meta.Put(q9Price, bp)
		w.meta.Put(q9Time, bt)
		w.meta.Put(q9Bidder, bb)
		out.Emit(Q9Row{Op: OpInsert, ID: a.ID, ItemName: a.ItemName, Description: a.Description,
			InitialBid: a.InitialBid, Reserve: a.Reserve, DateTime: a.DateTime, Expires: a.Expires,
			Seller: a.Seller, Category: a.Category, Extra: a.Extra,
			BidAuction: a.ID, BidBidder: bb, BidPrice: bp, BidDateTime: bt})
	}
	return nil
}

func (w *q9Winning) ProcessElement2(ctx *stream.KeyedContext[int64], b *nexmark.Bid, out stream.Emitter[Q9Row]) error {
	lo, ok := w.meta.Get(q9Lo)
	if !ok {
		w.pending.Add(b.Bidder)
		w.pending.Add(b.Price)
		w.pending.Add(b.DateTime)
		return nil
	}
	if b.DateTime < lo {
		return nil
	}
	hi, _ := w.meta.Get(q9Hi)
	if b.DateTime > hi {
		return nil
	}
	bp, has := w.meta.Get(q9Price)
	var bt, bb int64
	if has {
		if b.Price < bp {
			return nil
		}
		bt, _ = w.meta.Get(q9Time)
		bb, _ = w.meta.Get(q9Bidder)
		if !q9Better(b.Price, b.DateTime, b.Bidder, bp, bt, bb) {
			return nil
		}
	}
	w.meta.Put(q9Price, b.Price)
	w.meta.Put(q9Time, b.DateTime)
	w.meta.Put(q9Bidder, b.Bidder)
	row := w.row(ctx.Key(), lo, hi)
	if has {
		row.Op, row.BidBidder, row.BidPrice, row.BidDateTime = OpUpdateBefore, bb, bp, bt
		out.Emit(row)
		row.Op = OpUpdateAfter
	} else {
		row.Op = OpInsert
	}
	row.BidBidder, row.BidPrice, row.BidDateTime = b.Bidder, b.Price, b.DateTime
	out.Emit(row)
	return nil
}

// row decodes the stored auction into a result row (without bid columns).
func (w *q9Winning) row(id, lo, hi int64) Q9Row {
	s, _ := w.auction.Get()
	r := Q9Row{ID: id, DateTime: lo, Expires: hi, BidAuction: id}
	r.ItemName, s = nxUnpackString(s)
	r.Description, s = nxUnpackString(s)
	r.InitialBid, s = nxUnpackInt(s)
	r.Reserve, s = nxUnpackInt(s)
	r.Seller, s = nxUnpackInt(s)
	r.Category, s = nxUnpackInt(s)
	r.Extra = s
	return r
}

func (w *q9Winning) OnTimer(*stream.KeyedContext[int64], int64, stream.Emitter[Q9Row]) error {
	return nil
}
