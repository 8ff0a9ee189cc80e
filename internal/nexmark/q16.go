package nexmark

import (
	"encoding/binary"
	"fmt"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q16Row is a q16 changelog row: the statistics of one channel and day.
type Q16Row struct {
	Op            string `json:"op"`
	Channel       string `json:"channel"`
	Day           string `json:"day"`
	Minute        string `json:"minute"`
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

func init() {
	Register(&Query{
		Name:     "q16",
		Columns:  append([]string{"channel", "day", "minute"}, q15Columns...),
		Updating: true,
		Build:    buildQ16,
		Oracle:   oracleQ16,
	})
}

// channelDay is the q16 grouping key.
type channelDay struct {
	Channel string
	Day     int64 // epoch day
}

// channelDayCodec encodes a channelDay as 8 bytes of day and the channel.
type channelDayCodec struct{}

func (channelDayCodec) Append(dst []byte, k channelDay) []byte {
	return append(binary.BigEndian.AppendUint64(dst, uint64(k.Day)), k.Channel...)
}

func (channelDayCodec) Decode(src []byte) (channelDay, error) {
	if len(src) < 8 {
		return channelDay{}, fmt.Errorf("nexmark q16: key of %d bytes", len(src))
	}
	return channelDay{Day: int64(binary.BigEndian.Uint64(src)), Channel: string(src[8:])}, nil
}

// cMaxMinute is q16's extra counter: MAX(DATE_FORMAT(dateTime, 'HH:mm')),
// kept as the minute of the day (within one day the largest 'HH:mm' string
// is the latest minute).
const (
	cMaxMinute  = q15Counters
	q16Counters = q15Counters + 1
)

// buildQ16 is the channel statistics report: q15's aggregates grouped by
// (channel, day) plus the latest minute. The bid view is keyed by
// (channel, epoch day) with a binary key codec into q16Fn, which is q15's
// function with one more counter (see buildQ15 for the state and the
// coalesced changelog).
func buildQ16(events stream.Stream[nexmark.Event], _ Config) Output {
	ks := stream.KeyByCodec(Bids(events), func(b *nexmark.Bid) channelDay {
		return channelDay{Channel: b.Channel, Day: epochDay(b.DateTime)}
	}, channelDayCodec{})
	rows := stream.KeyedProcess(ks, func() stream.KeyedProcessFunction[channelDay, *nexmark.Bid, Q16Row] { return &q16Fn{} }).
		Name("q16-group-by-channel-day")
	return Out(rows)
}

type q16Fn struct {
	agg      *countersState
	bidders  *stream.MapState[int64, int64]
	auctions *stream.MapState[int64, int64]
}

func (f *q16Fn) Open(ctx *stream.OpenContext) error {
	f.agg = newCountersState(ctx, "q16-counters", q16Counters)
	f.bidders = stream.NewMapState[int64, int64](ctx, "q16-bidders")
	f.auctions = stream.NewMapState[int64, int64](ctx, "q16-auctions")
	return nil
}

func (f *q16Fn) ProcessElement(ctx *stream.KeyedContext[channelDay], b *nexmark.Bid, _ stream.Emitter[Q16Row]) error {
	v := f.agg.load()
	addDistinctCounts(v, b, f.bidders, f.auctions)
	if m := int64(minuteOfDay(b.DateTime)); m > getCounter(v, cMaxMinute) {
		setCounter(v, cMaxMinute, m)
	}
	f.agg.save(&ctx.Context, v)
	return nil
}

func (f *q16Fn) OnTimer(ctx *stream.KeyedContext[channelDay], _ int64, out stream.Emitter[Q16Row]) error {
	k := ctx.Key()
	f.agg.flush(func(op string, v []byte) {
		out.Emit(Q16Row{Op: op, Channel: k.Channel, Day: dayString(k.Day), Minute: hhmmNames[counter(v, cMaxMinute)],
			TotalBids: counter(v, cTotalBids), Rank1Bids: counter(v, cRank1Bids), Rank2Bids: counter(v, cRank2Bids), Rank3Bids: counter(v, cRank3Bids),
			TotalBidders: counter(v, cTotalBidders), Rank1Bidders: counter(v, cRank1Bidders), Rank2Bidders: counter(v, cRank2Bidders), Rank3Bidders: counter(v, cRank3Bidders),
			TotalAuctions: counter(v, cTotalAuctions), Rank1Auctions: counter(v, cRank1Auctions), Rank2Auctions: counter(v, cRank2Auctions), Rank3Auctions: counter(v, cRank3Auctions)})
	})
	return nil
}
