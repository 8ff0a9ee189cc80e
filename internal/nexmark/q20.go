package nexmark

import (
	"bytes"
	"encoding/binary"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q20Row is a q20 result row: a bid and its auction. The column names are
// those of the benchmark's sink table (nexmark-flink queries/q20.sql),
// which prefixes the two names both sides have: bid_dateTime, bid_extra,
// auction_dateTime, auction_extra (a bare Flink SELECT would call them
// dateTime, extra, dateTime0, extra0). The auction's id is the bid's
// auction column.
type Q20Row struct {
	Auction         int64  `json:"auction"`
	Bidder          int64  `json:"bidder"`
	Price           int64  `json:"price"`
	Channel         string `json:"channel"`
	URL             string `json:"url"`
	BidDateTime     int64  `json:"bid_dateTime"`
	BidExtra        string `json:"bid_extra"`
	ItemName        string `json:"itemName"`
	Description     string `json:"description"`
	InitialBid      int64  `json:"initialBid"`
	Reserve         int64  `json:"reserve"`
	AuctionDateTime int64  `json:"auction_dateTime"`
	Expires         int64  `json:"expires"`
	Seller          int64  `json:"seller"`
	Category        int64  `json:"category"`
	AuctionExtra    string `json:"auction_extra"`
}

func init() {
	Register(&Query{
		Name: "q20",
		Columns: []string{"auction", "bidder", "price", "channel", "url", "bid_dateTime", "bid_extra",
			"itemName", "description", "initialBid", "reserve", "auction_dateTime", "expires", "seller", "category", "auction_extra"},
		Build:  buildQ20,
		Oracle: oracleQ20,
	})
}

// buildQ20 is the regular inner join bid.auction = auction.id with the
// filter auction.category = 10 pushed down to the auction side, as Flink
// plans it. Both inputs are append-only and the join is inner, so the
// result is append-only too (no op column): each pair is emitted once, by
// whichever side arrives second.
//
// Operators: the bid view keyed by auction and the auction view filtered to
// category 10 keyed by id, into one keyed co-process function (q20Fn) with
// a list state of binary bids and one of binary auctions per id. A regular
// join without a primary key keeps both sides forever, as Flink does: bids
// of auctions of other categories too (only a declared unique auction id
// would let them go; the generator's ids are unique, but the query does not
// say so). Consecutive bids of one auction decode it once.
func buildQ20(events stream.Stream[nexmark.Event], _ Config) Output {
	bids := stream.KeyBy(Bids(events), func(b *nexmark.Bid) int64 { return b.Auction })
	cat10 := Auctions(events).Filter(func(a *nexmark.Auction) bool { return a.Category == 10 }).Name("q20-category-10")
	auctions := stream.KeyBy(cat10, func(a *nexmark.Auction) int64 { return a.ID })
	rows := stream.KeyedCoProcess(bids, auctions, func() stream.KeyedCoProcessFunction[int64, *nexmark.Bid, *nexmark.Auction, Q20Row] {
		return &q20Fn{}
	}).Name("q20-join")
	return Out(rows)
}

type q20Fn struct {
	bids, auctions *stream.ListState[[]byte]
	buf            []byte
	lastRaw        []byte // the encoding of lastAuction
	lastAuction    nexmark.Auction
	err            error
}

func (f *q20Fn) Open(ctx *stream.OpenContext) error {
	f.bids = stream.NewListState[[]byte](ctx, "q20-bids")
	f.auctions = stream.NewListState[[]byte](ctx, "q20-auctions")
	return nil
}

func (f *q20Fn) ProcessElement1(_ *stream.KeyedContext[int64], b *nexmark.Bid, out stream.Emitter[Q20Row]) error {
	f.err = nil
	f.auctions.Range(func(raw []byte) bool {
		a, err := f.auction(raw)
		if err != nil {
			f.err = err
			return false
		}
		out.Emit(q20Row(b, a))
		return true
	})
	if f.err != nil {
		return f.err
	}
	f.buf = appendBid(f.buf[:0], b)
	f.bids.Add(f.buf)
	return nil
}

func (f *q20Fn) ProcessElement2(_ *stream.KeyedContext[int64], a *nexmark.Auction, out stream.Emitter[Q20Row]) error {
	f.err = nil
	f.bids.Range(func(raw []byte) bool {
		v, err := parseBid(raw)
		if err != nil {
			f.err = err
			return false
		}
		b := v.bid()
		out.Emit(q20Row(&b, a))
		return true
	})
	if f.err != nil {
		return f.err
	}
	f.buf = appendAuction(f.buf[:0], a)
	f.auctions.Add(f.buf)
	return nil
}

func (f *q20Fn) OnTimer(*stream.KeyedContext[int64], int64, stream.Emitter[Q20Row]) error { return nil }

// auction decodes raw, reusing the previous decoding when it is the same.
func (f *q20Fn) auction(raw []byte) (*nexmark.Auction, error) {
	if f.lastRaw != nil && bytes.Equal(raw, f.lastRaw) {
		return &f.lastAuction, nil
	}
	a, err := parseAuction(raw)
	if err != nil {
		return nil, err
	}
	f.lastRaw, f.lastAuction = raw, a
	return &f.lastAuction, nil
}

func q20Row(b *nexmark.Bid, a *nexmark.Auction) Q20Row {
	return Q20Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, Channel: b.Channel, URL: b.URL,
		BidDateTime: b.DateTime, BidExtra: b.Extra, ItemName: a.ItemName, Description: a.Description,
		InitialBid: a.InitialBid, Reserve: a.Reserve, AuctionDateTime: a.DateTime, Expires: a.Expires,
		Seller: a.Seller, Category: a.Category, AuctionExtra: a.Extra}
}

// Binary auction layout of the q20 state: id, initialBid, reserve,
// dateTime, expires, seller, category (8 bytes each, big endian), itemName
// and description (uvarint length and bytes), extra (the rest).

func appendAuction(dst []byte, a *nexmark.Auction) []byte {
	for _, v := range [...]int64{a.ID, a.InitialBid, a.Reserve, a.DateTime, a.Expires, a.Seller, a.Category} {
		dst = binary.BigEndian.AppendUint64(dst, uint64(v))
	}
	dst = appendString(dst, a.ItemName)
	dst = appendString(dst, a.Description)
	return append(dst, a.Extra...)
}

func parseAuction(b []byte) (nexmark.Auction, error) {
	var a nexmark.Auction
	if len(b) < 56 {
		return a, errCorruptState
	}
	u := func(i int) int64 { return int64(binary.BigEndian.Uint64(b[8*i:])) }
	a.ID, a.InitialBid, a.Reserve, a.DateTime, a.Expires, a.Seller, a.Category = u(0), u(1), u(2), u(3), u(4), u(5), u(6)
	rest := b[56:]
	item, rest, ok := cutString(rest)
	if !ok {
		return a, errCorruptState
	}
	desc, rest, ok := cutString(rest)
	if !ok {
		return a, errCorruptState
	}
	a.ItemName, a.Description, a.Extra = string(item), string(desc), string(rest)
	return a, nil
}
