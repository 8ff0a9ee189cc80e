package nexmark

import (
	"encoding/binary"
	"fmt"

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

// q9Rec is the per-auction record of q9: the auction's range and its
// winning bid, one ValueState value (q9RecCodec) as a Flink user would keep
// a POJO in a ValueState.
type q9Rec struct {
	lo, hi              int64 // auction.dateTime, auction.expires
	has                 bool  // a bid matched: the winner below is set
	price, time, bidder int64
}

// q9RecCodec encodes a q9Rec in 16 bytes (lo, hi: no winner yet) or 40
// (lo, hi, price, time, bidder), big-endian.
type q9RecCodec struct{}

func (q9RecCodec) Append(dst []byte, r q9Rec) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.lo))
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.hi))
	if !r.has {
		return dst
	}
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.price))
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.time))
	return binary.BigEndian.AppendUint64(dst, uint64(r.bidder))
}

func (q9RecCodec) Decode(src []byte) (q9Rec, error) {
	if len(src) != 16 && len(src) != 40 {
		return q9Rec{}, fmt.Errorf("nexmark: q9 record of %d bytes", len(src))
	}
	r := q9Rec{lo: int64(binary.BigEndian.Uint64(src)), hi: int64(binary.BigEndian.Uint64(src[8:]))}
	if len(src) == 40 {
		r.has = true
		r.price = int64(binary.BigEndian.Uint64(src[16:]))
		r.time = int64(binary.BigEndian.Uint64(src[24:]))
		r.bidder = int64(binary.BigEndian.Uint64(src[32:]))
	}
	return r, nil
}

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
	}).Name("q9-winning-bids").
		// The state holds one q9Rec per auction (state "q9-rec"); until
		// 2026-12-05 it was a MapState of 5 fields ("q9-meta") under the
		// automatic UID. A new UID makes a checkpoint of that layout an
		// unmatched operator (refused without --allow-non-restored-state)
		// instead of restoring auctions without their range and winner.
		UID("q9-winning-bids-rec")
	return Out(rows)
}

type q9Winning struct {
	rec     *stream.ValueState[q9Rec]
	auction *stream.ValueState[string]
	// pending holds (bidder, price, dateTime) triples of bids that came
	// before their auction.
	pending *stream.ListState[int64]
	buf     []byte
}

func (w *q9Winning) Open(ctx *stream.OpenContext) error {
	w.rec = stream.NewValueStateCodec[q9Rec](ctx, "q9-rec", q9RecCodec{})
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
	if _, ok := w.rec.Get(); ok {
		return nil // a repeated auction id: the first one wins (ids are unique)
	}
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
	w.rec.Set(q9Rec{lo: a.DateTime, hi: a.Expires, has: found, price: bp, time: bt, bidder: bb})
	if found {
		out.Emit(Q9Row{Op: OpInsert, ID: a.ID, ItemName: a.ItemName, Description: a.Description,
			InitialBid: a.InitialBid, Reserve: a.Reserve, DateTime: a.DateTime, Expires: a.Expires,
			Seller: a.Seller, Category: a.Category, Extra: a.Extra,
			BidAuction: a.ID, BidBidder: bb, BidPrice: bp, BidDateTime: bt})
	}
	return nil
}

func (w *q9Winning) ProcessElement2(ctx *stream.KeyedContext[int64], b *nexmark.Bid, out stream.Emitter[Q9Row]) error {
	r, ok := w.rec.Get()
	if !ok {
		w.pending.Add(b.Bidder)
		w.pending.Add(b.Price)
		w.pending.Add(b.DateTime)
		return nil
	}
	if b.DateTime < r.lo || b.DateTime > r.hi {
		return nil
	}
	has, bp, bt, bb := r.has, r.price, r.time, r.bidder
	if has && !q9Better(b.Price, b.DateTime, b.Bidder, bp, bt, bb) {
		return nil
	}
	lo, hi := r.lo, r.hi
	r.has, r.price, r.time, r.bidder = true, b.Price, b.DateTime, b.Bidder
	w.rec.Set(r)
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
