package nexmark

import (
	"encoding/binary"
	"fmt"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q17Row is a q17 changelog row: the statistics of one auction and day.
type Q17Row struct {
	Op        string `json:"op"`
	Auction   int64  `json:"auction"`
	Day       string `json:"day"`
	TotalBids int64  `json:"total_bids"`
	Rank1Bids int64  `json:"rank1_bids"`
	Rank2Bids int64  `json:"rank2_bids"`
	Rank3Bids int64  `json:"rank3_bids"`
	MinPrice  int64  `json:"min_price"`
	MaxPrice  int64  `json:"max_price"`
	AvgPrice  int64  `json:"avg_price"`
	SumPrice  int64  `json:"sum_price"`
}

func init() {
	Register(&Query{
		Name: "q17",
		Columns: []string{"auction", "day", "total_bids", "rank1_bids", "rank2_bids", "rank3_bids",
			"min_price", "max_price", "avg_price", "sum_price"},
		Updating: true,
		Build:    buildQ17,
		Oracle:   oracleQ17,
	})
}

// pairKey is a key of two BIGINTs: (auction, day) in q17, (bidder,
// auction) in q18.
type pairKey struct{ A, B int64 }

// pairKeyCodec encodes a pairKey in 16 bytes.
type pairKeyCodec struct{}

func (pairKeyCodec) Append(dst []byte, k pairKey) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(dst, uint64(k.A)), uint64(k.B))
}

func (pairKeyCodec) Decode(src []byte) (pairKey, error) {
	if len(src) != 16 {
		return pairKey{}, fmt.Errorf("nexmark: pair key of %d bytes, want 16", len(src))
	}
	return pairKey{A: int64(binary.BigEndian.Uint64(src)), B: int64(binary.BigEndian.Uint64(src[8:]))}, nil
}

// Indexes of the q17 counters.
const (
	c17Total = iota
	c17Rank1
	c17Rank2
	c17Rank3
	c17Min
	c17Max
	c17Sum
	q17Counters
)

// buildQ17 is the auction statistics report: an unbounded GROUP BY
// (auction, day) with COUNT(*) overall and per price rank, MIN, MAX, AVG and
// SUM of the price. AVG of a BIGINT is a BIGINT in Flink (sum / count in
// Java long arithmetic, truncated toward zero); we compute it the same way.
//
// Operators: the bid view keyed by (auction, epoch day) with a 16-byte key
// codec into q17Fn, whose state is one binary value of 7 counters per key
// with the coalesced changelog of countersState (see buildQ15).
func buildQ17(events stream.Stream[nexmark.Event], _ Config) Output {
	ks := stream.KeyByCodec(Bids(events), func(b *nexmark.Bid) pairKey {
		return pairKey{A: b.Auction, B: epochDay(b.DateTime)}
	}, pairKeyCodec{})
	rows := stream.KeyedProcess(ks, func() stream.KeyedProcessFunction[pairKey, *nexmark.Bid, Q17Row] { return &q17Fn{} }).
		Name("q17-group-by-auction-day")
	return Out(rows)
}

type q17Fn struct{ agg *countersState }

func (f *q17Fn) Open(ctx *stream.OpenContext) error {
	f.agg = newCountersState(ctx, "q17-counters", q17Counters)
	return nil
}

func (f *q17Fn) ProcessElement(ctx *stream.KeyedContext[pairKey], b *nexmark.Bid, _ stream.Emitter[Q17Row]) error {
	v := f.agg.load()
	p := b.Price
	if isNew(v) {
		setCounter(v, c17Min, p)
		setCounter(v, c17Max, p)
	} else {
		setCounter(v, c17Min, min(p, getCounter(v, c17Min)))
		setCounter(v, c17Max, max(p, getCounter(v, c17Max)))
	}
	addCounter(v, c17Total, 1)
	addCounter(v, c17Rank1+priceRank(p), 1)
	addCounter(v, c17Sum, p)
	f.agg.save(&ctx.Context, v)
	return nil
}

func (f *q17Fn) OnTimer(ctx *stream.KeyedContext[pairKey], _ int64, out stream.Emitter[Q17Row]) error {
	k := ctx.Key()
	f.agg.flush(func(op string, v []byte) {
		n, sum := counter(v, c17Total), counter(v, c17Sum)
		out.Emit(Q17Row{Op: op, Auction: k.A, Day: dayString(k.B),
			TotalBids: n, Rank1Bids: counter(v, c17Rank1), Rank2Bids: counter(v, c17Rank2), Rank3Bids: counter(v, c17Rank3),
			MinPrice: counter(v, c17Min), MaxPrice: counter(v, c17Max), AvgPrice: sum / n, SumPrice: sum})
	})
	return nil
}
