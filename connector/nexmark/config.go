package nexmark

import (
	"errors"
	"fmt"
)

// Defaults of GeneratorConfig (Flink's nexmark repository, V1 rate).
const (
	DefaultRate                = 10_000_000
	DefaultBaseTime            = 1767225600000 // 2026-01-01T00:00:00Z
	DefaultPersonProportion    = 1
	DefaultAuctionProportion   = 3
	DefaultBidProportion       = 46
	DefaultHotAuctionRatio     = 2
	DefaultHotSellersRatio     = 4
	DefaultHotBiddersRatio     = 4
	DefaultNumInFlightAuctions = 100
	DefaultNumActivePeople     = 1000
	DefaultAvgPersonBytes      = 200
	DefaultAvgAuctionBytes     = 500
	DefaultAvgBidBytes         = 100
)

// Limits checked by Validate.
const (
	// MaxSplits is the largest number of splits.
	MaxSplits = 1024
	// MaxAvgBytes is the largest average event size (it bounds the padding).
	MaxAvgBytes = 65536
	// UnboundedSplitEvents is (about) the length of the event-id range of
	// each split of an unbounded generator: 10^15 rounded down to a
	// multiple of the proportions' total. A split ends after that many
	// events (some 3 years at 10 M events/s) rather than run into the id
	// range of the next split.
	UnboundedSplitEvents = 1_000_000_000_000_000
	// maxBaseTime is 9999-12-31T23:59:59.999Z.
	maxBaseTime = 253402300799999
)

// GeneratorConfig configures the Nexmark generator. Zero fields mean the
// default (WithDefaults fills them in), so GeneratorConfig{Events: n} is
// the standard generator. The generated events are a pure function of
// (Seed, Events, Rate, BaseTime, Splits and the shape fields below).
type GeneratorConfig struct {
	// Events is the number of events of all splits together; 0 means
	// unbounded.
	Events int64
	// Seed selects the data: equal seeds give equal events. Any value,
	// including 0, is a seed.
	Seed int64
	// Rate is the number of events per second of event time of the whole
	// source (default 10,000,000, Flink's V1 setting). Every split walks
	// the same timeline at Rate/Splits events per second.
	Rate int64
	// BaseTime is the event time of the first event of every split, in
	// epoch milliseconds (default 1767225600000, 2026-01-01T00:00:00Z; 0
	// means the default).
	BaseTime int64
	// Splits is the number of splits (parallel generators), default 1.
	Splits int
	// PersonProportion, AuctionProportion and BidProportion choose the
	// event type by event id: of every P+A+B consecutive ids the first P
	// are persons, the next A auctions, the rest bids (default 1/3/46).
	// P and A must be at least 1; 0 means the default.
	PersonProportion, AuctionProportion, BidProportion int
	// HotAuctionRatio, HotSellersRatio and HotBiddersRatio r make a bid's
	// auction, an auction's seller and a bid's bidder a hot key with
	// probability 1-1/r (default 2, 4, 4; 1 means never hot).
	HotAuctionRatio, HotSellersRatio, HotBiddersRatio int
	// NumInFlightAuctions is how many recent auctions a non-hot bid may
	// pick from (default 100); it also sets the mean auction length.
	NumInFlightAuctions int
	// NumActivePeople is how many recent people a non-hot seller or
	// bidder is picked from (default 1000).
	NumActivePeople int
	// AvgPersonBytes, AvgAuctionBytes and AvgBidBytes are the average sizes
	// the padding field extra aims at (default 200, 500, 100).
	AvgPersonBytes, AvgAuctionBytes, AvgBidBytes int
	// OutOfOrderGroupSize n > 1 permutes the events inside each group of n
	// consecutive event numbers of a split (default 1: in order). It must
	// not be a multiple of 953.
	OutOfOrderGroupSize int
	// RateLimited makes readers wait until each event's wall-clock due
	// time (the time of opening plus the event's event-time offset), so
	// that events arrive at Rate per second. By default events are
	// produced as fast as they are read.
	RateLimited bool
	// WallClock (with RateLimited) ties event time to the wall clock: an
	// event is due when the wall clock reaches its event time, so events
	// with a base time in the past come at once until the generator has
	// caught up, and a restored reader catches up the time it was stopped.
	// The rate of event time stays Rate per second.
	WallClock bool
}

// WithDefaults returns c with every zero field set to its default.
func (c GeneratorConfig) WithDefaults() GeneratorConfig {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.BaseTime == 0 {
		c.BaseTime = DefaultBaseTime
	}
	def(&c.Splits, 1)
	def(&c.PersonProportion, DefaultPersonProportion)
	def(&c.AuctionProportion, DefaultAuctionProportion)
	def(&c.BidProportion, DefaultBidProportion)
	def(&c.HotAuctionRatio, DefaultHotAuctionRatio)
	def(&c.HotSellersRatio, DefaultHotSellersRatio)
	def(&c.HotBiddersRatio, DefaultHotBiddersRatio)
	def(&c.NumInFlightAuctions, DefaultNumInFlightAuctions)
	def(&c.NumActivePeople, DefaultNumActivePeople)
	def(&c.AvgPersonBytes, DefaultAvgPersonBytes)
	def(&c.AvgAuctionBytes, DefaultAvgAuctionBytes)
	def(&c.AvgBidBytes, DefaultAvgBidBytes)
	def(&c.OutOfOrderGroupSize, 1)
	return c
}

// Validate checks c after defaults are applied (zero fields are fine) and
// returns an error naming every invalid field.
func (c GeneratorConfig) Validate() error {
	c = c.WithDefaults()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("nexmark: "+format, args...))
	}
	if c.Events < 0 {
		bad("Events must be 0 (unbounded) or more, got %d", c.Events)
	}
	if c.Rate < 1 {
		bad("Rate must be at least 1 event per second, got %d", c.Rate)
	}
	if c.BaseTime < 0 || c.BaseTime > maxBaseTime {
		bad("BaseTime must be epoch milliseconds between 1970 and 9999, got %d", c.BaseTime)
	}
	if c.Splits < 1 || c.Splits > MaxSplits {
		bad("Splits must be between 1 and %d, got %d", MaxSplits, c.Splits)
	}
	if c.PersonProportion < 1 || c.AuctionProportion < 1 || c.BidProportion < 0 {
		bad("proportions must be person >= 1, auction >= 1, bid >= 0, got %d/%d/%d",
			c.PersonProportion, c.AuctionProportion, c.BidProportion)
	} else if total := int64(c.PersonProportion) + int64(c.AuctionProportion) + int64(c.BidProportion); total > 1_000_000 {
		bad("proportions must add up to at most 1000000, got %d", total)
	}
	for _, r := range []struct {
		name string
		v    int
	}{{"HotAuctionRatio", c.HotAuctionRatio}, {"HotSellersRatio", c.HotSellersRatio}, {"HotBiddersRatio", c.HotBiddersRatio}} {
		if r.v < 1 {
			bad("%s must be at least 1 (1: no hot keys), got %d", r.name, r.v)
		}
	}
	if c.NumInFlightAuctions < 1 || c.NumInFlightAuctions > 1<<30 {
		bad("NumInFlightAuctions must be between 1 and 2^30, got %d", c.NumInFlightAuctions)
	}
	if c.NumActivePeople < 1 || c.NumActivePeople > 1<<30 {
		bad("NumActivePeople must be between 1 and 2^30, got %d", c.NumActivePeople)
	}
	for _, s := range []struct {
		name string
		v    int
	}{{"AvgPersonBytes", c.AvgPersonBytes}, {"AvgAuctionBytes", c.AvgAuctionBytes}, {"AvgBidBytes", c.AvgBidBytes}} {
		if s.v < 1 || s.v > MaxAvgBytes {
			bad("%s must be between 1 and %d, got %d", s.name, MaxAvgBytes, s.v)
		}
	}
	if c.OutOfOrderGroupSize < 1 {
		bad("OutOfOrderGroupSize must be at least 1 (1: in order), got %d", c.OutOfOrderGroupSize)
	} else if c.OutOfOrderGroupSize%outOfOrderPrime == 0 {
		bad("OutOfOrderGroupSize must not be a multiple of %d (the permutation would not be one), got %d",
			outOfOrderPrime, c.OutOfOrderGroupSize)
	}
	return errors.Join(errs...)
}

// total is P+A+B.
func (c GeneratorConfig) total() int64 {
	return int64(c.PersonProportion) + int64(c.AuctionProportion) + int64(c.BidProportion)
}

// splitRange returns the first event id and the number of events of split
// i of c (defaults applied). Bounded: Events = q*Splits + r; the first r
// splits get q+1 events, the others q, and the id ranges follow each other
// in split order, so together they are exactly the ids 0..Events-1.
// Unbounded: split i owns the ids [i*R, (i+1)*R) with R =
// UnboundedSplitEvents rounded down to a multiple of P+A+B.
func (c GeneratorConfig) splitRange(i int) (firstID, n int64) {
	k := int64(c.Splits)
	if c.Events == 0 {
		r := UnboundedSplitEvents - UnboundedSplitEvents%c.total()
		return int64(i) * r, r
	}
	q, rem := c.Events/k, c.Events%k
	firstID = int64(i)*q + min(int64(i), rem)
	n = q
	if int64(i) < rem {
		n++
	}
	return firstID, n
}
