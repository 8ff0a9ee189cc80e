package nexmark

import (
	"encoding/binary"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q19Row is a q19 changelog row: a bid and its rank among its auction's
// ten highest.
type Q19Row struct {
	Op         string `json:"op"`
	Auction    int64  `json:"auction"`
	Bidder     int64  `json:"bidder"`
	Price      int64  `json:"price"`
	Channel    string `json:"channel"`
	URL        string `json:"url"`
	DateTime   int64  `json:"dateTime"`
	Extra      string `json:"extra"`
	RankNumber int64  `json:"rank_number"`
}

func init() {
	Register(&Query{
		Name:     "q19",
		Columns:  []string{"auction", "bidder", "price", "channel", "url", "dateTime", "extra", "rank_number"},
		Updating: true,
		Build:    buildQ19,
		Oracle:   oracleQ19,
	})
}

// q19N is the N of the top-N.
const q19N = 10

// buildQ19 keeps the ten highest bids of every auction: ROW_NUMBER() OVER
// (PARTITION BY auction ORDER BY price DESC) <= 10, with rank_number.
//
// Ties: Flink orders equal prices by arrival, which differs between
// parallelisms; we order by price descending, then dateTime ascending (the
// earlier bid first, which is arrival order within a split), then bidder,
// channel, url and extra ascending, a total order on distinct rows. Equal
// rows keep their arrival order (they are indistinguishable in the result).
//
// Operators: the bid view keyed by auction into q19Fn, whose state per
// auction is the current top 10 (one binary value: uvarint-framed entries
// in appendBid's layout, best first) and the price of the 10th entry once
// there are ten (an int64 value): a bid priced below it cannot enter and
// costs one 8-byte state read. Only ten rows are kept per auction (a
// bid that drops out can never come back, since bids are only added), so
// the state is bounded per auction.
//
// The changelog is Flink's AppendOnlyTopNFunction's with row numbers, per
// record: when a bid enters at rank r, every rank from r to the last
// changes occupant: -U of the old occupant and +U of the new one at that
// rank, or +I when the rank was empty (the list grew). Nothing is deleted
// (-D never occurs): a row pushed out of rank 10 is retracted by the -U of
// rank 10.
func buildQ19(events stream.Stream[nexmark.Event], _ Config) Output {
	ks := stream.KeyBy(Bids(events), func(b *nexmark.Bid) int64 { return b.Auction })
	rows := stream.KeyedProcess(ks, func() stream.KeyedProcessFunction[int64, *nexmark.Bid, Q19Row] { return &q19Fn{} }).
		Name("q19-top10")
	return Out(rows)
}

type q19Fn struct {
	top   *stream.ValueState[[]byte] // the entries, best first
	floor *stream.ValueState[int64]  // price of the 10th entry, once full
	ents  []bidView
	raws  [][]byte // the encoded entries, as ents
	buf   []byte
	enc   []byte
}

func (f *q19Fn) Open(ctx *stream.OpenContext) error {
	f.top = stream.NewValueState[[]byte](ctx, "q19-top")
	f.floor = stream.NewValueState[int64](ctx, "q19-floor")
	return nil
}

func (f *q19Fn) ProcessElement(_ *stream.KeyedContext[int64], b *nexmark.Bid, out stream.Emitter[Q19Row]) error {
	if floor, full := f.floor.Get(); full && b.Price < floor {
		return nil
	}
	raw, _ := f.top.Get()
	f.ents, f.raws = f.ents[:0], f.raws[:0]
	for len(raw) > 0 {
		e, rest, ok := cutString(raw)
		if !ok {
			return errCorruptState
		}
		v, err := parseBid(e)
		if err != nil {
			return err
		}
		f.ents = append(f.ents, v)
		f.raws = append(f.raws, e)
		raw = rest
	}
	n := len(f.ents)
	pos := 0
	for pos < n && !q19Before(b, &f.ents[pos]) {
		pos++
	}
	if pos >= q19N {
		return nil
	}
	// The new list: entries [0, pos), b, entries [pos, min(n, N-1)).
	f.enc = appendBid(f.enc[:0], b)
	f.buf = f.buf[:0]
	for _, e := range f.raws[:pos] {
		f.buf = append(binary.AppendUvarint(f.buf, uint64(len(e))), e...)
	}
	f.buf = append(binary.AppendUvarint(f.buf, uint64(len(f.enc))), f.enc...)
	keep := min(n, q19N-1)
	for _, e := range f.raws[pos:keep] {
		f.buf = append(binary.AppendUvarint(f.buf, uint64(len(e))), e...)
	}
	newLen := keep + 1
	// Changelog: ranks pos+1 .. newLen change occupant.
	for r := pos; r < newLen; r++ {
		rank := int64(r + 1)
		if r < n {
			old := f.ents[r].bid()
			out.Emit(q19Row(OpUpdateBefore, &old, rank))
		}
		op := OpUpdateAfter
		if r >= n {
			op = OpInsert
		}
		if r == pos {
			out.Emit(q19Row(op, b, rank))
		} else {
			moved := f.ents[r-1].bid()
			out.Emit(q19Row(op, &moved, rank))
		}
	}
	f.top.Set(f.buf)
	if newLen == q19N {
		last := b.Price
		if pos < q19N-1 {
			last = f.ents[keep-1].Price
		}
		f.floor.Set(last)
	}
	return nil
}

func (f *q19Fn) OnTimer(*stream.KeyedContext[int64], int64, stream.Emitter[Q19Row]) error { return nil }

func q19Row(op string, b *nexmark.Bid, rank int64) Q19Row {
	return Q19Row{Op: op, Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, Channel: b.Channel, URL: b.URL,
		DateTime: b.DateTime, Extra: b.Extra, RankNumber: rank}
}

// q19Before reports whether b ranks strictly before the entry e (see
// buildQ19 for the order).
func q19Before(b *nexmark.Bid, e *bidView) bool {
	switch {
	case b.Price != e.Price:
		return b.Price > e.Price
	case b.DateTime != e.DateTime:
		return b.DateTime < e.DateTime
	case b.Bidder != e.Bidder:
		return b.Bidder < e.Bidder
	case b.Channel != string(e.Channel):
		return b.Channel < string(e.Channel)
	case b.URL != string(e.URL):
		return b.URL < string(e.URL)
	}
	return b.Extra < string(e.Extra)
}
