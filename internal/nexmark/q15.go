package nexmark

import (
	"bytes"
	"encoding/binary"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q15Row is a q15 changelog row: the bidding statistics of one day.
type Q15Row struct {
	Op            string `json:"op"`
	Day           string `json:"day"`
	TotalBids     int64  `json:"total_bids"`
	Rank1Bids     int64  `json:"rank1_bids"`
	Rank2Bids     int64  `json:"rank2_bids"`
	Rank3Bids     int64  `json:"rank3_bids"`
	TotalBidders  int64  `json:"total_bidders"`
	Rank1Bidders  int64  `json:"rank1_bidders"`
	Rank2Bidders  int64  `json:"rank2_bidders"`
	Rank3Bidders  int64  `json:"rank3_bidders"`
	TotalAuctions int64  `json:"total_auctions"`
	Rank1Auctions int64  `json:"rank1_auctions"`
	Rank2Auctions int64  `json:"rank2_auctions"`
	Rank3Auctions int64  `json:"rank3_auctions"`
}

// q15Columns are the columns of q15 after its key (q16 shares them).
var q15Columns = []string{"total_bids", "rank1_bids", "rank2_bids", "rank3_bids",
	"total_bidders", "rank1_bidders", "rank2_bidders", "rank3_bidders",
	"total_auctions", "rank1_auctions", "rank2_auctions", "rank3_auctions"}

func init() {
	Register(&Query{
		Name:     "q15",
		Columns:  append([]string{"day"}, q15Columns...),
		Updating: true,
		Build:    buildQ15,
		Oracle:   oracleQ15,
	})
}

// buildQ15 is the bidding statistics report: an unbounded GROUP BY day
// (UTC) with COUNT(*) and COUNT(DISTINCT bidder / auction), each overall and
// FILTERed to the three price ranks (< 10,000; [10,000, 1,000,000);
// >= 1,000,000).
//
// Operators: the bid view keyed by the epoch day (int64 key, binary codec)
// into a keyed process function (q15Fn) holding per day the 12 counters
// (countersState: one binary value) and two MapState[int64]int64 of the
// distinct bidders and auctions, each mapped to the bitmask of the ranks
// it was seen in, so that a distinct count moves when a bit is first set.
// Changes are coalesced per key as Flink's mini-batch does, but on event
// time (see countersState): the changelog is +I for a new day, then -U/+U
// pairs, and the final result is exact.
//
// Differences from Flink: no split-distinct optimisation (Flink spreads a
// day's distinct counts over 1024 buckets in a first aggregation); every
// record of a day goes to one subtask, as without that optimisation.
func buildQ15(events stream.Stream[nexmark.Event], _ Config) Output {
	ks := stream.KeyBy(Bids(events), func(b *nexmark.Bid) int64 { return epochDay(b.DateTime) })
	rows := stream.KeyedProcess(ks, func() stream.KeyedProcessFunction[int64, *nexmark.Bid, Q15Row] { return &q15Fn{} }).
		Name("q15-group-by-day")
	return Out(rows)
}

// Indexes of the q15 counters (q16 uses the same and one more).
const (
	cTotalBids = iota
	cRank1Bids
	cRank2Bids
	cRank3Bids
	cTotalBidders
	cRank1Bidders
	cRank2Bidders
	cRank3Bidders
	cTotalAuctions
	cRank1Auctions
	cRank2Auctions
	cRank3Auctions
	q15Counters
)

// priceRank is the FILTER rank of a price: 0 (< 10,000), 1 ([10,000,
// 1,000,000)) or 2 (>= 1,000,000).
func priceRank(price int64) int {
	switch {
	case price < 10_000:
		return 0
	case price < 1_000_000:
		return 1
	}
	return 2
}

type q15Fn struct {
	agg      *countersState
	bidders  *stream.MapState[int64, int64] // bidder -> ranks seen (bits)
	auctions *stream.MapState[int64, int64] // auction -> ranks seen (bits)
}

func (f *q15Fn) Open(ctx *stream.OpenContext) error {
	f.agg = newCountersState(ctx, "q15-counters", q15Counters)
	f.bidders = stream.NewMapState[int64, int64](ctx, "q15-bidders")
	f.auctions = stream.NewMapState[int64, int64](ctx, "q15-auctions")
	return nil
}

func (f *q15Fn) ProcessElement(ctx *stream.KeyedContext[int64], b *nexmark.Bid, _ stream.Emitter[Q15Row]) error {
	v := f.agg.load()
	addDistinctCounts(v, b, f.bidders, f.auctions)
	f.agg.save(&ctx.Context, v)
	return nil
}

// addDistinctCounts adds bid b to the 12 q15 counters of v.
func addDistinctCounts(v []byte, b *nexmark.Bid, bidders, auctions *stream.MapState[int64, int64]) {
	r := priceRank(b.Price)
	bit := int64(1) << r
	addCounter(v, cTotalBids, 1)
	addCounter(v, cRank1Bids+r, 1)
	if m, _ := bidders.Get(b.Bidder); m&bit == 0 {
		if m == 0 {
			addCounter(v, cTotalBidders, 1)
		}
		addCounter(v, cRank1Bidders+r, 1)
		bidders.Put(b.Bidder, m|bit)
	}
	if m, _ := auctions.Get(b.Auction); m&bit == 0 {
		if m == 0 {
			addCounter(v, cTotalAuctions, 1)
		}
		addCounter(v, cRank1Auctions+r, 1)
		auctions.Put(b.Auction, m|bit)
	}
}

func (f *q15Fn) OnTimer(ctx *stream.KeyedContext[int64], _ int64, out stream.Emitter[Q15Row]) error {
	f.agg.flush(func(op string, v []byte) {
		out.Emit(Q15Row{Op: op, Day: dayString(ctx.Key()),
			TotalBids: counter(v, cTotalBids), Rank1Bids: counter(v, cRank1Bids), Rank2Bids: counter(v, cRank2Bids), Rank3Bids: counter(v, cRank3Bids),
			TotalBidders: counter(v, cTotalBidders), Rank1Bidders: counter(v, cRank1Bidders), Rank2Bidders: counter(v, cRank2Bidders), Rank3Bidders: counter(v, cRank3Bidders),
			TotalAuctions: counter(v, cTotalAuctions), Rank1Auctions: counter(v, cRank1Auctions), Rank2Auctions: counter(v, cRank2Auctions), Rank3Auctions: counter(v, cRank3Auctions)})
	})
	return nil
}

// countersState is the keyed state of an unbounded aggregation whose result
// is a fixed vector of n int64 counters, with its changelog coalesced: one
// binary value per key, [flags][current n×8][last emitted n×8] (little
// endian). A record updates the current vector and, if the key is not yet
// dirty, marks it and registers an event-time timer at the next whole
// second of event time after the current watermark (flushTime). The timer
// (flush) emits +I for a key never emitted, else -U of the last emitted
// vector and +U of the current one (nothing if they are equal), so a key
// changes at most once per second of event time however many records it
// gets. At the end of a bounded input the watermark reaches +infinity and
// every dirty key flushes: applied in order, the changelog is the exact
// final result, whatever the parallelism.
type countersState struct {
	st    *stream.ValueState[[]byte]
	n     int
	fresh []byte
}

// Flags of a countersState value.
const (
	countersDirty   = 1 // a flush timer is pending
	countersEmitted = 2 // the last emitted vector is in the value
)

// flushGrid is the event-time period of coalesced changelog flushes.
const flushGrid = 1000

// flushTime is the first multiple of flushGrid after the watermark wm
// (truncating division: no overflow at MinTime, always > wm).
func flushTime(wm int64) int64 { return (wm/flushGrid + 1) * flushGrid }

func newCountersState(ctx *stream.OpenContext, name string, n int) *countersState {
	return &countersState{st: stream.NewValueState[[]byte](ctx, name), n: n, fresh: make([]byte, 1+16*n)}
}

// load returns the current key's value (zeroed if it has none); counter
// and addCounter read and change its current vector.
func (c *countersState) load() []byte {
	if v, ok := c.st.Get(); ok {
		return v
	}
	clear(c.fresh)
	return c.fresh
}

// isNew reports whether the vector has never counted a record (its first
// counter, the record count by convention, is 0).
func isNew(v []byte) bool { return counter(v[1:], 0) == 0 }

func counter(vec []byte, i int) int64 { return int64(binary.LittleEndian.Uint64(vec[8*i:])) }

// current-vector accessors of a loaded value.
func addCounter(v []byte, i int, d int64) {
	p := v[1+8*i:]
	binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)+uint64(d))
}
func getCounter(v []byte, i int) int64    { return counter(v[1:], i) }
func setCounter(v []byte, i int, x int64) { binary.LittleEndian.PutUint64(v[1+8*i:], uint64(x)) }

// save stores v, marking the key dirty (with a flush timer) if it is not.
func (c *countersState) save(ctx *stream.Context, v []byte) {
	if v[0]&countersDirty == 0 {
		v[0] |= countersDirty
		ctx.RegisterEventTimeTimer(flushTime(ctx.CurrentWatermark()))
	}
	c.st.Set(v)
}

// flush emits the current key's change since its last flush (see
// countersState); emit gets the op and a vector (read it with counter).
func (c *countersState) flush(emit func(op string, vec []byte)) {
	v, ok := c.st.Get()
	if !ok || v[0]&countersDirty == 0 {
		return
	}
	cur, last := v[1:1+8*c.n], v[1+8*c.n:]
	switch {
	case v[0]&countersEmitted == 0:
		emit(OpInsert, cur)
	case !bytes.Equal(cur, last):
		emit(OpUpdateBefore, last)
		emit(OpUpdateAfter, cur)
	}
	copy(last, cur)
	v[0] = countersEmitted
	c.st.Set(v)
}
