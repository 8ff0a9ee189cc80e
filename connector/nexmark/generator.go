package nexmark

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"sync"
	"unsafe"
)

// Constants of the Nexmark generator (the same in Beam and Flink).
const (
	// FirstPersonID, FirstAuctionID and FirstCategoryID are the smallest
	// ids of their kind.
	FirstPersonID   = 1000
	FirstAuctionID  = 1000
	FirstCategoryID = 10
	// NumCategories is the number of auction categories (10..14).
	NumCategories = 5
	// HotBlock is the block size of the hot keys: the hot auction is the
	// first of the current block of 100 auctions, the hot seller the first
	// and the hot bidder the second of the current block of 100 people.
	HotBlock = 100
	// NumChannels is the number of non-hot channels (channel-0 ...).
	NumChannels = 10000

	personIDLead    = 10 // a random person may be up to 10 ids ahead
	auctionIDLead   = 10 // a random auction may be up to 10 ids ahead
	minStringLength = 3
	outOfOrderPrime = 953
	hotChannelRatio = 2

	// poolSize is the length of each of the pre-built character pools.
	poolSize = 1 << 20
	// poolSeed builds the pools and the channel table: they are the same
	// for every seed and every run.
	poolSeed = 0x6e65786d61726b // "nexmark"
)

var (
	firstNames = [...]string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = [...]string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	usCities   = [...]string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	usStates   = [...]string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	// HotChannels are the four hot channels of bids (half of all bids).
	hotChannels = [...]string{"Google", "Facebook", "Baidu", "Apple"}
)

// tables are the fixed data every generator shares, built once.
type tables struct {
	names []string // "First Last", first-major
	// words: random strings of the distribution of Beam's nextString: each
	// character 'a'..'z' or, with probability 1/13, a space.
	words string
	// letters: uniform 'a'..'z' (the padding; Beam's nextExactString).
	letters     string
	hotURLs     [len(hotChannels)]string
	channels    [NumChannels]string
	channelURLs [NumChannels]string
}

var sharedTables = sync.OnceValue(buildTables)

func buildTables() *tables {
	t := &tables{}
	for _, f := range firstNames {
		for _, l := range lastNames {
			t.names = append(t.names, f+" "+l)
		}
	}
	r := rng{s: mix64(poolSeed)}
	w := make([]byte, poolSize)
	for i := range w {
		w[i] = r.char(' ')
	}
	t.words = string(w)
	for i := range w {
		w[i] = byte('a' + r.intn(26))
	}
	t.letters = string(w)
	for i := range t.hotURLs {
		t.hotURLs[i] = baseURL(&r)
	}
	for i := range t.channels {
		t.channels[i] = "channel-" + strconv.Itoa(i)
		u := baseURL(&r)
		if r.intn(10) > 0 {
			u += "&channel_id=" + strconv.Itoa(int(channelID(i)))
		}
		t.channelURLs[i] = u
	}
	return t
}

// channelID is Java's Math.abs(Integer.reverse(i)), as the Flink generator
// computes it (including abs(MinInt32) = MinInt32 for i = 1).
func channelID(i int) int32 {
	v := int32(bits.Reverse32(uint32(i)))
	if v < 0 {
		v = -v // MinInt32 stays MinInt32, as in Java
	}
	return v
}

// baseURL is https://www.nexmark.com/<w>/<w>/<w>/item.htm?query=1 with
// three random words of 3-4 characters ('_' as the special character).
func baseURL(r *rng) string {
	b := []byte("https://www.nexmark.com/")
	for range 3 {
		n := minStringLength + int(r.intn(5-minStringLength))
		for range n {
			b = append(b, r.char('_'))
		}
		b = append(b, '/')
	}
	return string(append(b, "item.htm?query=1"...))
}

// rng is wyrand: a 64-bit state advanced by a constant, each number one
// 64x64->128-bit multiply of it. Each event seeds its own rng from (seed,
// event id) with the splitmix64 finalizer mix64.
type rng struct{ s uint64 }

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// intn is uniform in [0, n) for n >= 1 (multiply-high; the bias is below
// n/2^64).
func (r *rng) intn(n uint64) uint64 {
	hi, _ := bits.Mul64(r.next(), n)
	return hi
}

// char is 'a'..'z', or special with probability 1/13.
func (r *rng) char(special byte) byte {
	if r.intn(13) == 0 {
		return special
	}
	return byte('a' + r.intn(26))
}

// gen generates the events of one split. It is immutable after creation:
// every event is a pure function of its count within the split.
type gen struct {
	t        *tables
	seedMix  uint64
	baseTime int64
	firstID  int64 // event id of event number 0 of the split
	n        int64 // events of the split

	p, a, total int64 // proportions
	hotAuction  uint64
	hotSeller   uint64
	hotBidder   uint64
	inFlight    int64
	active      int64
	avgPerson   int
	avgAuction  int
	avgBid      int
	ooo         int64 // out-of-order group size
	// eventsForAuctions is how many events it takes to generate
	// NumInFlightAuctions auctions (the auction-length horizon).
	eventsForAuctions int64

	// Timestamp of event number m: baseTime + m*tsMul/rate.
	tsMul, rate uint64
	tsSafe      uint64 // m < tsSafe: m*tsMul does not overflow
}

// newGen returns the generator of split i of c (defaults applied, valid).
func newGen(c GeneratorConfig, i int) gen {
	first, n := c.splitRange(i)
	g := gen{
		t:          sharedTables(),
		seedMix:    mix64(uint64(c.Seed) ^ 0x5eed5eed5eed5eed),
		baseTime:   c.BaseTime,
		firstID:    first,
		n:          n,
		p:          int64(c.PersonProportion),
		a:          int64(c.AuctionProportion),
		total:      c.total(),
		hotAuction: uint64(c.HotAuctionRatio),
		hotSeller:  uint64(c.HotSellersRatio),
		hotBidder:  uint64(c.HotBiddersRatio),
		inFlight:   int64(c.NumInFlightAuctions),
		active:     int64(c.NumActivePeople),
		avgPerson:  c.AvgPersonBytes,
		avgAuction: c.AvgAuctionBytes,
		avgBid:     c.AvgBidBytes,
		ooo:        int64(c.OutOfOrderGroupSize),
		tsMul:      1000 * uint64(c.Splits),
		rate:       uint64(c.Rate),
	}
	g.eventsForAuctions = int64(c.NumInFlightAuctions) * g.total / g.a
	g.tsSafe = math.MaxUint64 / g.tsMul
	return g
}

// number is the event number of the count-th event of the split: count
// itself, permuted inside complete out-of-order groups (a last, partial
// group of a bounded split stays in order, so that the split still has
// exactly its own ids).
func (g *gen) number(count int64) int64 {
	if g.ooo <= 1 {
		return count
	}
	base := count - count%g.ooo
	if base > g.n-g.ooo {
		return count
	}
	return base + (count%g.ooo)*outOfOrderPrime%g.ooo
}

// time is the event time of event number m.
func (g *gen) time(m int64) int64 {
	u := uint64(m)
	if u < g.tsSafe {
		return g.baseTime + int64(u*g.tsMul/g.rate)
	}
	hi, lo := bits.Mul64(u, g.tsMul)
	if hi >= g.rate {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, g.rate)
	if q > uint64(math.MaxInt64-g.baseTime) {
		return math.MaxInt64
	}
	return g.baseTime + int64(q)
}

// slot splits event id e into its epoch (e / (P+A+B)) and its offset in
// the epoch, which decides its type.
type slot struct{ epoch, off int64 }

func (g *gen) slot(e int64) slot {
	epoch := e / g.total
	return slot{epoch, e - epoch*g.total}
}

// lastPerson is the base-0 id of the last person generated up to event e
// (e itself if it is a person).
func (g *gen) lastPerson(e slot) int64 {
	epoch, off := e.epoch, e.off
	if off >= g.p {
		off = g.p - 1
	}
	return epoch*g.p + off
}

// lastAuction is the base-0 id of the last auction generated up to event
// e (e itself if it is an auction).
func (g *gen) lastAuction(e slot) int64 {
	epoch, off := e.epoch, e.off
	switch {
	case off < g.p: // a person: the last auction of the previous epoch
		epoch--
		off = g.a - 1
	case off >= g.p+g.a: // a bid: the last auction of this epoch
		off = g.a - 1
	default:
		off -= g.p
	}
	return epoch*g.a + off
}

// randomPerson is a base-0 person among the last NumActivePeople, or up to
// 10 ids ahead of the last person.
func (g *gen) randomPerson(e slot, r *rng) int64 {
	n := g.lastPerson(e) + 1
	active := min(n, g.active)
	return n - active + int64(r.intn(uint64(active+personIDLead)))
}

// randomAuction is a base-0 auction among the last NumInFlightAuctions, or
// up to 10 ids ahead of the last auction.
func (g *gen) randomAuction(e slot, r *rng) int64 {
	last := g.lastAuction(e)
	lo := max(last-g.inFlight, 0)
	return lo + int64(r.intn(uint64(last-lo+1+auctionIDLead)))
}

// price is log-uniform in [100, 100,000,000] cents: round(10^(6u) * 100)
// for u uniform in [0, 1), as Beam and Flink compute it.
func price(r *rng) int64 { return priceOf(r.next()) }

// log2Exp6 is log2(10^6) = 6*log2(10) in fixed point with 59 fractional
// bits (it is below 20, so it fits in 64 bits).
const log2Exp6 = 11489767012059883583 // round(6*log2(10) * 2^59)

// priceOf is round(100 * 10^(6u)) for u = v/2^64, computed without
// math.Exp so that it is fast and the same on every platform: y = u*
// log2(10^6) in fixed point (one integer multiply) splits into an integer
// part i, 11 bits j and a remainder r < 2^-11, and 100*10^(6u) =
// 2^i * (100*2^(j/2048)) (a table) * e^(r*ln2) (a degree-3 polynomial,
// relative error below 1e-15). Every float operation is rounded
// explicitly (no fused multiply-add), so results agree on every IEEE-754
// platform.
func priceOf(v uint64) int64 {
	y, _ := bits.Mul64(v, log2Exp6) // y = u*log2(10^6) * 2^59
	i := y >> 59
	j := y >> 48 & 2047
	g := float64(float64(y&(1<<48-1)) * (math.Ln2 / (1 << 59))) // r*ln2 < ln2/2048
	// e^g = 1 + g + g²/2 + g³/6, evaluated as (1+g) + g²(1/2 + g/6).
	g2 := float64(g * g)
	e := float64(float64(1+g) + float64(g2*float64(0.5+float64(g*(1.0/6)))))
	pow2 := math.Float64frombits((1023 + i) << 52) // 2^i, exact
	return int64(float64(float64(priceSteps[j]*e)*pow2) + 0.5)
}

// priceSteps is the table of 100 * 2^(j/2048), j = 0..2047, computed with
// big.Float (correctly rounded square roots and products), so it is the
// same on every platform.
var priceSteps = func() *[2048]float64 {
	const prec = 128
	step := new(big.Float).SetPrec(prec).SetInt64(2)
	for range 11 {
		step.Sqrt(step) // 2^(1/2048)
	}
	var t [2048]float64
	v := new(big.Float).SetPrec(prec).SetInt64(100)
	for j := range t {
		t[j], _ = v.Float64()
		v.Mul(v, step)
	}
	return &t
}()

// randomString is Beam's nextString(max): length uniform in [3, max-1],
// characters 'a'..'z' or a space (1/13), trimmed of spaces; a substring of
// the word pool.
func (g *gen) randomString(r *rng, max int) string {
	n := minStringLength + int(r.intn(uint64(max-minStringLength)))
	off := int(r.intn(uint64(len(g.t.words) - n + 1)))
	s := g.t.words[off : off+n]
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// extra pads an event of size bytes towards avg: empty if size >= avg,
// else d = avg-size letters, give or take round(0.2*d) (uniform in
// [d-δ, d+δ)); a substring of the letter pool.
func (g *gen) extra(r *rng, size, avg int) string {
	if size >= avg {
		return ""
	}
	d := avg - size
	delta := (2*d + 5) / 10 // Java's Math.round(d * 0.2)
	n := d - delta
	if delta > 0 {
		n += int(r.intn(uint64(2 * delta)))
	}
	off := int(r.intn(uint64(len(g.t.letters) - n + 1)))
	return g.t.letters[off : off+n]
}

// personBox holds a Person and the bytes of its email address and credit
// card, so that a person is one allocation.
type personBox struct {
	p   Person
	buf [personBufLen]byte
}

// personBufLen fits the longest email (6+1+4+4) and a card (19).
const personBufLen = 40

// scratch holds reusable events for callers that consume each event
// before asking for the next (the bulk encoder): with it the generator
// does not allocate at all.
type scratch struct {
	person  personBox
	auction Auction
	bid     Bid
	// freshPerson makes every person a new allocation: its email address
	// and credit card are bytes of its box, which a reused box would
	// overwrite (the strings of auctions and bids are slices of the
	// generator's fixed tables, safe to keep past the next event).
	freshPerson bool
}

// event returns the count-th event of the split and its timestamp. With
// sc == nil the event's member is freshly allocated (the only allocation);
// otherwise it lives in sc and is overwritten by the next call (a person
// is allocated anyway when sc.freshPerson is set).
func (g *gen) event(count int64, sc *scratch) (Event, int64) {
	m := g.number(count)
	id := g.firstID + m
	ts := g.time(m)
	r := rng{s: mix64(g.seedMix ^ uint64(id))}
	e := g.slot(id)
	switch {
	case e.off < g.p:
		var b *personBox
		if sc != nil && !sc.freshPerson {
			b = &sc.person
		} else {
			b = new(personBox)
		}
		g.person(b, e, ts, &r)
		return Event{Type: TypePerson, Person: &b.p}, ts
	case e.off < g.p+g.a:
		var a *Auction
		if sc != nil {
			a = &sc.auction
		} else {
			a = new(Auction)
		}
		g.auction(a, e, m, ts, &r)
		return Event{Type: TypeAuction, Auction: a}, ts
	default:
		var b *Bid
		if sc != nil {
			b = &sc.bid
		} else {
			b = new(Bid)
		}
		g.bid(b, e, ts, &r)
		return Event{Type: TypeBid, Bid: b}, ts
	}
}

func (g *gen) person(b *personBox, e slot, ts int64, r *rng) {
	p := &b.p
	p.ID = g.lastPerson(e) + FirstPersonID
	p.Name = g.t.names[r.intn(uint64(len(g.t.names)))]
	buf := b.buf[:0]
	buf = append(buf, g.randomString(r, 7)...)
	buf = append(buf, '@')
	buf = append(buf, g.randomString(r, 5)...)
	buf = append(buf, ".com"...)
	email := len(buf)
	for i := range 4 {
		if i > 0 {
			buf = append(buf, ' ')
		}
		v := r.intn(10000)
		buf = append(buf, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
	}
	// The bytes are never written again (a scratch box is only reused
	// once the event is consumed), so they can back strings.
	s := unsafe.String(&b.buf[0], len(buf))
	p.EmailAddress, p.CreditCard = s[:email], s[email:]
	p.City = usCities[r.intn(uint64(len(usCities)))]
	p.State = usStates[r.intn(uint64(len(usStates)))]
	p.DateTime = ts
	size := 8 + len(p.Name) + len(p.EmailAddress) + len(p.CreditCard) + len(p.City) + len(p.State)
	p.Extra = g.extra(r, size, g.avgPerson)
}

func (g *gen) auction(a *Auction, e slot, m, ts int64, r *rng) {
	a.ID = g.lastAuction(e) + FirstAuctionID
	if r.intn(g.hotSeller) > 0 {
		a.Seller = g.lastPerson(e) / HotBlock * HotBlock
	} else {
		a.Seller = g.randomPerson(e, r)
	}
	a.Seller += FirstPersonID
	a.Category = FirstCategoryID + int64(r.intn(NumCategories))
	a.InitialBid = price(r)
	// The auction lasts 1 + uniform[0, 2*horizon) ms, where horizon is
	// the event time until NumInFlightAuctions more auctions exist.
	horizon := g.time(m+g.eventsForAuctions) - ts
	a.Expires = ts + 1 + int64(r.intn(uint64(max(2*horizon, 1))))
	a.ItemName = g.randomString(r, 20)
	a.Description = g.randomString(r, 100)
	a.Reserve = a.InitialBid + price(r)
	a.DateTime = ts
	size := 8 + len(a.ItemName) + len(a.Description) + 8 + 8 + 8 + 8 + 8
	a.Extra = g.extra(r, size, g.avgAuction)
}

func (g *gen) bid(b *Bid, e slot, ts int64, r *rng) {
	if r.intn(g.hotAuction) > 0 {
		b.Auction = g.lastAuction(e) / HotBlock * HotBlock
	} else {
		b.Auction = g.randomAuction(e, r)
	}
	b.Auction += FirstAuctionID
	if r.intn(g.hotBidder) > 0 {
		b.Bidder = g.lastPerson(e)/HotBlock*HotBlock + 1
	} else {
		b.Bidder = g.randomPerson(e, r)
	}
	b.Bidder += FirstPersonID // once, as Beam does (Flink adds it twice)
	b.Price = price(r)
	if r.intn(hotChannelRatio) > 0 {
		i := r.intn(uint64(len(hotChannels)))
		b.Channel, b.URL = hotChannels[i], g.t.hotURLs[i]
	} else {
		i := r.intn(NumChannels)
		b.Channel, b.URL = g.t.channels[i], g.t.channelURLs[i]
	}
	b.DateTime = ts
	b.Extra = g.extra(r, 8+8+8+8, g.avgBid)
}

// Generate returns all events of cfg: those of split 0, then split 1, and
// so on, exactly as the readers of NewSource(cfg) produce them. It is meant
// for tests and oracles; it panics if cfg is invalid or unbounded.
func Generate(cfg GeneratorConfig) []Event {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.WithDefaults()
	if cfg.Events == 0 {
		panic(fmt.Errorf("nexmark: Generate needs a bounded config (Events > 0)"))
	}
	out := make([]Event, 0, cfg.Events)
	for i := range cfg.Splits {
		g := newGen(cfg, i)
		for c := range g.n {
			ev, _ := g.event(c, nil)
			out = append(out, ev)
		}
	}
	return out
}
