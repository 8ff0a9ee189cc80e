package nexmark

import (
	"strconv"
	"time"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Changelog operations (SPEC.md §3.3), as Flink prints them.
const (
	OpInsert       = "+I"
	OpUpdateBefore = "-U"
	OpUpdateAfter  = "+U"
	OpDelete       = "-D"
)

// Watermark is the event-time strategy of every query: event time is the
// member's dateTime and the watermark trails the largest one seen in a split
// by 4 s (SPEC.md §3.3).
func Watermark() stream.WatermarkStrategy[nexmark.Event] {
	return stream.WatermarkStrategy[nexmark.Event]{
		Enabled:        true,
		Timestamp:      nexmark.Event.Time,
		OutOfOrderness: 4 * time.Second,
	}
}

// Bids is the bid view of the event stream (Flink's `bid` view).
func Bids(events stream.Stream[nexmark.Event]) stream.Stream[*nexmark.Bid] {
	return stream.FlatMap(events, func(e nexmark.Event, out stream.Emitter[*nexmark.Bid]) {
		if e.Bid != nil {
			out.Emit(e.Bid)
		}
	}).Name("bids")
}

// Auctions is the auction view.
func Auctions(events stream.Stream[nexmark.Event]) stream.Stream[*nexmark.Auction] {
	return stream.FlatMap(events, func(e nexmark.Event, out stream.Emitter[*nexmark.Auction]) {
		if e.Auction != nil {
			out.Emit(e.Auction)
		}
	}).Name("auctions")
}

// Persons is the person view.
func Persons(events stream.Stream[nexmark.Event]) stream.Stream[*nexmark.Person] {
	return stream.FlatMap(events, func(e nexmark.Event, out stream.Emitter[*nexmark.Person]) {
		if e.Person != nil {
			out.Emit(e.Person)
		}
	}).Name("persons")
}

// Decimal3 is a DECIMAL with three decimals, held in thousandths. It
// encodes as a JSON number with exactly three decimals ("112.564").
type Decimal3 int64

// MarshalJSON writes the number with three decimals.
func (d Decimal3) MarshalJSON() ([]byte, error) {
	v := int64(d)
	neg := v < 0
	if neg {
		v = -v
	}
	b := make([]byte, 0, 24)
	if neg {
		b = append(b, '-')
	}
	b = strconv.AppendInt(b, v/1000, 10)
	b = append(b, '.')
	frac := v % 1000
	b = append(b, byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	return b, nil
}

// Times0908 is price × 0.908 as DECIMAL(23,3), exact (SPEC.md §3.3: round
// half up; 0.908 has three decimals, so the product of an integer is exact).
func Times0908(price int64) Decimal3 { return Decimal3(price * 908) }
