package nexmark

import (
	"math"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// stats100k is the default stream of 100,000 events, shared by the
// distribution tests.
var stats100k = func() func() []Event {
	var evs []Event
	return func() []Event {
		if evs == nil {
			evs = Generate(GeneratorConfig{Events: 100_000, Seed: 42})
		}
		return evs
	}
}()

func TestDeterminism(t *testing.T) {
	cfg := GeneratorConfig{Events: 5000, Seed: 7, Splits: 3, Rate: 12345}
	a, b := Generate(cfg), Generate(cfg)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same config generated different events")
	}
	cfg.Seed = 8
	c := Generate(cfg)
	same := 0
	for i := range a {
		if reflect.DeepEqual(a[i], c[i]) {
			same++
		}
	}
	if same > len(a)/100 {
		t.Fatalf("seeds 7 and 8 gave %d equal events of %d", same, len(a))
	}
}

func TestMix(t *testing.T) {
	for _, cfg := range []GeneratorConfig{
		{Events: 50 * 200},
		{Events: 20 * 200, PersonProportion: 2, AuctionProportion: 5, BidProportion: 13},
		{Events: 4 * 100, PersonProportion: 1, AuctionProportion: 3, BidProportion: 0},
	} {
		evs := Generate(cfg)
		c := cfg.WithDefaults()
		total := int(c.total())
		for i, ev := range evs { // unsplit: event i has id i
			want := TypeBid
			switch rem := i % total; {
			case rem < c.PersonProportion:
				want = TypePerson
			case rem < c.PersonProportion+c.AuctionProportion:
				want = TypeAuction
			}
			if ev.Type != want || !memberMatches(ev) {
				t.Fatalf("%+v: event %d has type %d (member set: %v), want %d", cfg, i, ev.Type, memberMatches(ev), want)
			}
		}
	}
}

func memberMatches(ev Event) bool {
	switch ev.Type {
	case TypePerson:
		return ev.Person != nil && ev.Auction == nil && ev.Bid == nil
	case TypeAuction:
		return ev.Auction != nil && ev.Person == nil && ev.Bid == nil
	case TypeBid:
		return ev.Bid != nil && ev.Person == nil && ev.Auction == nil
	}
	return false
}

// refState replays a single split and checks every reference against the
// people and auctions generated so far.
func TestIDsAndReferences(t *testing.T) {
	evs := stats100k()
	nextPerson, nextAuction := int64(FirstPersonID), int64(FirstAuctionID)
	var hotAuction, hotBidder, hotSeller, bids, auctions int
	for i, ev := range evs {
		lastP, lastA := nextPerson-1, nextAuction-1 // ids of the last generated ones
		switch ev.Type {
		case TypePerson:
			if ev.Person.ID != nextPerson {
				t.Fatalf("event %d: person id %d, want %d (dense, from 1000)", i, ev.Person.ID, nextPerson)
			}
			nextPerson++
		case TypeAuction:
			a := ev.Auction
			if a.ID != nextAuction {
				t.Fatalf("event %d: auction id %d, want %d (dense, from 1000)", i, a.ID, nextAuction)
			}
			nextAuction++
			auctions++
			hot := (lastP-FirstPersonID)/HotBlock*HotBlock + FirstPersonID
			if a.Seller == hot {
				hotSeller++
			} else {
				checkPersonRef(t, i, "seller", a.Seller, lastP)
			}
			if a.Category < 10 || a.Category > 14 {
				t.Fatalf("event %d: category %d", i, a.Category)
			}
		case TypeBid:
			b := ev.Bid
			bids++
			hot := (lastA-FirstAuctionID)/HotBlock*HotBlock + FirstAuctionID
			if b.Auction == hot {
				hotAuction++
			} else {
				base0 := lastA - FirstAuctionID
				lo := max(base0-DefaultNumInFlightAuctions, 0) + FirstAuctionID
				if b.Auction < lo || b.Auction > lastA+auctionIDLead {
					t.Fatalf("event %d: bid auction %d outside [%d, %d]", i, b.Auction, lo, lastA+auctionIDLead)
				}
			}
			if b.Bidder == (lastP-FirstPersonID)/HotBlock*HotBlock+1+FirstPersonID {
				hotBidder++
			} else {
				checkPersonRef(t, i, "bidder", b.Bidder, lastP)
			}
		}
	}
	// Hot shares: P(hot) = 1-1/r, plus the random pick hitting the hot key
	// now and then.
	share := func(name string, n, of int, want float64) {
		got := float64(n) / float64(of)
		if got < want-0.015 || got > want+0.025 {
			t.Errorf("%s share %.4f, want about %.2f", name, got, want)
		}
	}
	share("hot auction", hotAuction, bids, 0.5)
	share("hot bidder", hotBidder, bids, 0.75)
	share("hot seller", hotSeller, auctions, 0.75)
}

func checkPersonRef(t *testing.T, i int, what string, id, lastP int64) {
	t.Helper()
	n := lastP - FirstPersonID + 1 // people so far
	active := min(n, DefaultNumActivePeople)
	lo, hi := n-active+FirstPersonID, n+active+personIDLead-active+FirstPersonID // [n-active, n+10)
	if id < lo || id >= hi {
		t.Fatalf("event %d: %s %d outside [%d, %d)", i, what, id, lo, hi)
	}
}

func TestPrices(t *testing.T) {
	var buckets [3]int
	var deciles [10]int
	n := 0
	check := func(p int64) {
		if p < 100 || p > 100_000_000 {
			t.Fatalf("price %d outside [100, 1e8]", p)
		}
		n++
		switch {
		case p < 10_000:
			buckets[0]++
		case p < 1_000_000:
			buckets[1]++
		default:
			buckets[2]++
		}
		u := math.Log10(float64(p)/100) / 6
		deciles[min(int(u*10), 9)]++
	}
	for _, ev := range stats100k() {
		switch {
		case ev.Bid != nil:
			check(ev.Bid.Price)
		case ev.Auction != nil:
			check(ev.Auction.InitialBid)
			check(ev.Auction.Reserve - ev.Auction.InitialBid)
		}
	}
	for i, b := range buckets { // the q15 buckets
		if s := float64(b) / float64(n); math.Abs(s-1.0/3) > 0.01 {
			t.Errorf("price bucket %d has share %.4f, want 1/3", i, s)
		}
	}
	for i, d := range deciles { // log-uniform
		if s := float64(d) / float64(n); math.Abs(s-0.1) > 0.006 {
			t.Errorf("log-price decile %d has share %.4f, want 0.1", i, s)
		}
	}
}

var (
	urlRE    = regexp.MustCompile(`^https://www\.nexmark\.com/[a-z_]{3,4}/[a-z_]{3,4}/[a-z_]{3,4}/item\.htm\?query=1(&channel_id=(-?\d+))?$`)
	emailRE  = regexp.MustCompile(`^([a-z]([a-z ]*[a-z])?)?@([a-z]([a-z ]*[a-z])?)?\.com$`)
	cardRE   = regexp.MustCompile(`^\d{4} \d{4} \d{4} \d{4}$`)
	stringRE = regexp.MustCompile(`^([a-z]([a-z ]*[a-z])?)?$`)
	extraRE  = regexp.MustCompile(`^[a-z]*$`)
)

func TestBidFields(t *testing.T) {
	hot, n := 0, 0
	hotURL := map[string]string{}
	urls := map[string][]string{} // url -> urlRE submatches
	var extraSum int
	for _, ev := range stats100k() {
		b := ev.Bid
		if b == nil {
			continue
		}
		n++
		if l := len(b.Extra); l < 54 || l > 81 || strings.Trim(b.Extra, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("bid extra %q: length %d, want 54..81 letters", b.Extra, l)
		}
		extraSum += len(b.Extra)
		m, ok := urls[b.URL]
		if !ok {
			if m = urlRE.FindStringSubmatch(b.URL); m == nil {
				t.Fatalf("bid url %q has the wrong shape", b.URL)
			}
			urls[b.URL] = m
		}
		if slices.Contains(hotChannels[:], b.Channel) {
			hot++
			if m[1] != "" {
				t.Fatalf("hot channel %s has url %q with a channel_id", b.Channel, b.URL)
			}
			if u, ok := hotURL[b.Channel]; ok && u != b.URL {
				t.Fatalf("hot channel %s has two urls: %q, %q", b.Channel, u, b.URL)
			}
			hotURL[b.Channel] = b.URL
			continue
		}
		i, err := strconv.Atoi(strings.TrimPrefix(b.Channel, "channel-"))
		if err != nil || i < 0 || i >= NumChannels || b.Channel != "channel-"+strconv.Itoa(i) {
			t.Fatalf("bid channel %q", b.Channel)
		}
		if m[1] != "" && m[2] != strconv.Itoa(int(channelID(i))) {
			t.Fatalf("channel %s has url %q, want channel_id %d", b.Channel, b.URL, channelID(i))
		}
	}
	if s := float64(hot) / float64(n); math.Abs(s-0.5) > 0.01 {
		t.Errorf("hot channel share %.4f, want 0.5", s)
	}
	if len(hotURL) != 4 {
		t.Errorf("%d hot channels seen, want 4", len(hotURL))
	}
	if mean := float64(extraSum) / float64(n); math.Abs(mean-67.5) > 0.5 {
		t.Errorf("mean bid extra length %.2f, want 67.5", mean)
	}
	// 90% of the channel URLs carry a channel_id.
	tb := sharedTables()
	with := 0
	for i, u := range tb.channelURLs {
		if strings.Contains(u, "&channel_id=") {
			with++
			if !strings.HasSuffix(u, "&channel_id="+strconv.Itoa(int(channelID(i)))) {
				t.Fatalf("channel %d: url %q", i, u)
			}
		}
	}
	if with < 8800 || with > 9200 {
		t.Errorf("%d of 10000 channel urls have a channel_id, want about 9000", with)
	}
}

func TestChannelID(t *testing.T) {
	// Java: Math.abs(Integer.reverse(i)), abs(MinInt32) staying negative.
	for i, want := range map[int]int32{0: 0, 1: math.MinInt32, 2: 1 << 30, 3: 1 << 30, 6: 3 << 29, 9999: 253493248} {
		if got := channelID(i); got != want {
			t.Errorf("channelID(%d) = %d, want %d", i, got, want)
		}
	}
}

func TestPersonAndAuctionFields(t *testing.T) {
	names := map[string]bool{}
	for _, f := range firstNames {
		for _, l := range lastNames {
			names[f+" "+l] = true
		}
	}
	var pSize, aSize, np, na int
	for _, ev := range stats100k() {
		switch {
		case ev.Person != nil:
			p := ev.Person
			np++
			if !names[p.Name] || !emailRE.MatchString(p.EmailAddress) || !cardRE.MatchString(p.CreditCard) ||
				!slices.Contains(usCities[:], p.City) || !slices.Contains(usStates[:], p.State) || !extraRE.MatchString(p.Extra) {
				t.Fatalf("bad person %+v", *p)
			}
			if l := len(p.EmailAddress); l > 15 {
				t.Fatalf("email %q too long", p.EmailAddress)
			}
			pSize += 8 + len(p.Name) + len(p.EmailAddress) + len(p.CreditCard) + len(p.City) + len(p.State) + len(p.Extra)
		case ev.Auction != nil:
			a := ev.Auction
			na++
			if len(a.ItemName) > 19 || len(a.Description) > 99 || !stringRE.MatchString(a.ItemName) ||
				!stringRE.MatchString(a.Description) || !extraRE.MatchString(a.Extra) {
				t.Fatalf("bad auction strings %q / %q", a.ItemName, a.Description)
			}
			if a.Reserve <= a.InitialBid {
				t.Fatalf("reserve %d <= initial bid %d", a.Reserve, a.InitialBid)
			}
			aSize += 48 + len(a.ItemName) + len(a.Description) + len(a.Extra)
		}
	}
	// The padding brings the (Beam-counted) sizes to the averages.
	if m := float64(pSize) / float64(np); math.Abs(m-200) > 3 {
		t.Errorf("mean person size %.1f, want about 200", m)
	}
	if m := float64(aSize) / float64(na); math.Abs(m-500) > 5 {
		t.Errorf("mean auction size %.1f, want about 500", m)
	}
}

func TestRandomStringLengths(t *testing.T) {
	g := newGen(GeneratorConfig{}.WithDefaults(), 0)
	r := rng{s: 1}
	var counts [20]int
	spaces, chars := 0, 0
	for range 100_000 {
		// Length before trimming: recompute with the same draws.
		r2 := r
		n := minStringLength + int(r2.intn(20-minStringLength))
		s := g.randomString(&r, 20)
		if len(s) > n {
			t.Fatalf("string %q longer than %d", s, n)
		}
		counts[n]++
		spaces += strings.Count(s, " ")
		chars += len(s)
	}
	for n := range counts {
		if n < 3 {
			if counts[n] != 0 {
				t.Fatalf("length %d drawn", n)
			}
			continue
		}
		if s := float64(counts[n]) / 100_000; math.Abs(s-1.0/17) > 0.005 {
			t.Errorf("length %d has share %.4f, want 1/17", n, s)
		}
	}
	// Inner characters are spaces 1/13 of the time (a bit less after trim).
	if s := float64(spaces) / float64(chars); s < 0.05 || s > 1.0/13 {
		t.Errorf("space share %.4f", s)
	}
	if s := float64(strings.Count(g.t.words, " ")) / poolSize; math.Abs(s-1.0/13) > 0.002 {
		t.Errorf("word pool space share %.4f, want 1/13", s)
	}
}

func TestTimestamps(t *testing.T) {
	for _, cfg := range []GeneratorConfig{
		{Events: 20_000},
		{Events: 10_000, Rate: 1000, Splits: 3},
		{Events: 1000, Rate: 7, Splits: 2, BaseTime: 1},
		{Events: 5000, Rate: 3_000_000, Splits: 7},
	} {
		c := cfg.WithDefaults()
		evs := Generate(cfg)
		at := 0
		for s := range c.Splits {
			_, n := c.splitRange(s)
			prev := int64(math.MinInt64)
			for m := range n {
				ts := evs[at].Time()
				at++
				want := c.BaseTime + m*1000*int64(c.Splits)/c.Rate
				if ts != want {
					t.Fatalf("%+v: split %d event %d at %d, want %d", cfg, s, m, ts, want)
				}
				if ts < prev {
					t.Fatalf("%+v: split %d goes back in time at event %d", cfg, s, m)
				}
				prev = ts
			}
		}
	}
	// Large event numbers take the 128-bit path.
	g := newGen(GeneratorConfig{Rate: 1_000_003}.WithDefaults(), 0)
	m := int64(1) << 61
	q := new(big.Int).Mul(big.NewInt(m), big.NewInt(1000))
	q.Quo(q, big.NewInt(1_000_003))
	if got := g.time(m); got != DefaultBaseTime+q.Int64() {
		t.Errorf("time(2^61) = %d, want %d", got, DefaultBaseTime+q.Int64())
	}
	g = newGen(GeneratorConfig{Rate: 1}.WithDefaults(), 0)
	if got := g.time(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("time(MaxInt64) = %d, want saturation", got)
	}
}

func TestExpiry(t *testing.T) {
	// At 1000 events/s the horizon of 100 auctions is 1666 events = 1666 ms
	// and the mean auction length about that.
	evs := Generate(GeneratorConfig{Events: 50_000, Rate: 1000})
	var sum, n int64
	for _, ev := range evs {
		if a := ev.Auction; a != nil {
			if a.Expires <= a.DateTime {
				t.Fatalf("auction %d expires %d, not after %d", a.ID, a.Expires, a.DateTime)
			}
			sum += a.Expires - a.DateTime
			n++
		}
	}
	if mean := float64(sum) / float64(n); math.Abs(mean-1667) > 60 {
		t.Errorf("mean auction length %.0f ms, want about 1667", mean)
	}
	for _, ev := range stats100k() { // default rate: 1-2 ms
		if a := ev.Auction; a != nil && (a.Expires <= a.DateTime || a.Expires > a.DateTime+2) {
			t.Fatalf("auction %d: dateTime %d expires %d", a.ID, a.DateTime, a.Expires)
		}
	}
}

// stripTimes returns the events with their time fields zeroed.
func stripTimes(evs []Event) []Event {
	out := make([]Event, len(evs))
	for i, ev := range evs {
		switch {
		case ev.Person != nil:
			p := *ev.Person
			p.DateTime = 0
			ev.Person = &p
		case ev.Auction != nil:
			a := *ev.Auction
			a.DateTime, a.Expires = 0, 0
			ev.Auction = &a
		case ev.Bid != nil:
			b := *ev.Bid
			b.DateTime = 0
			ev.Bid = &b
		}
		out[i] = ev
	}
	return out
}

func TestSplits(t *testing.T) {
	const events = 10_001
	whole := Generate(GeneratorConfig{Events: events, Seed: 3})
	for _, k := range []int{2, 3, 7, 50} {
		cfg := GeneratorConfig{Events: events, Seed: 3, Splits: k}.WithDefaults()
		// Sizes: the remainder goes to the first splits; ranges are
		// disjoint and cover 0..events-1 in order.
		next := int64(0)
		for i := range k {
			first, n := cfg.splitRange(i)
			want := int64(events / k)
			if int64(i) < events%int64(k) {
				want++
			}
			if first != next || n != want {
				t.Fatalf("k=%d split %d: range [%d, +%d), want [%d, +%d)", k, i, first, n, next, want)
			}
			next += n
		}
		if next != events {
			t.Fatalf("k=%d: splits cover %d events", k, next)
		}
		// Split i's events are the ids of its range: the concatenation is
		// the unsplit stream but for the times (each split has its own
		// timeline from BaseTime).
		split := Generate(cfg)
		if !reflect.DeepEqual(stripTimes(split), stripTimes(whole)) {
			t.Fatalf("k=%d: the splits are not the unsplit stream", k)
		}
		if split[len(split)-1].Time() >= whole[len(whole)-1].Time() && k > 1 {
			t.Fatalf("k=%d: split timelines do not run in parallel", k)
		}
	}
	// Unbounded splits own disjoint id ranges of whole epochs.
	cfg := GeneratorConfig{Splits: 4}.WithDefaults()
	for i := range 4 {
		first, n := cfg.splitRange(i)
		if n%50 != 0 || first != int64(i)*n || n < UnboundedSplitEvents-50 {
			t.Fatalf("unbounded split %d: [%d, +%d)", i, first, n)
		}
	}
}

func TestOutOfOrder(t *testing.T) {
	const events = 1003
	cfg := GeneratorConfig{Events: events, OutOfOrderGroupSize: 10, Rate: 1000}
	ooo, inOrder := Generate(cfg), Generate(GeneratorConfig{Events: events, Rate: 1000})
	// The same events (the event of id x is the same, time included), in
	// another order: permuted within each group of 10, the last 3 in order.
	for base := 0; base < events; base += 10 {
		end := min(base+10, events)
		got, want := toJSON(ooo[base:end]), toJSON(inOrder[base:end])
		if end-base < 10 {
			if !slices.Equal(got, want) {
				t.Fatalf("the incomplete last group is not in order")
			}
			continue
		}
		if slices.Equal(got, want) {
			t.Fatalf("group at %d is not permuted", base)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("group at %d is not a permutation of the in-order group", base)
		}
	}
	if err := (GeneratorConfig{OutOfOrderGroupSize: 953 * 2}).Validate(); err == nil {
		t.Error("a group size that is a multiple of 953 was accepted")
	}
}

func toJSON(evs []Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = string(AppendJSON(nil, ev))
	}
	return out
}

func TestConfig(t *testing.T) {
	d := GeneratorConfig{}.WithDefaults()
	want := GeneratorConfig{Rate: 10_000_000, BaseTime: 1767225600000, Splits: 1,
		PersonProportion: 1, AuctionProportion: 3, BidProportion: 46,
		HotAuctionRatio: 2, HotSellersRatio: 4, HotBiddersRatio: 4,
		NumInFlightAuctions: 100, NumActivePeople: 1000,
		AvgPersonBytes: 200, AvgAuctionBytes: 500, AvgBidBytes: 100, OutOfOrderGroupSize: 1}
	if d != want {
		t.Fatalf("defaults %+v, want %+v", d, want)
	}
	if err := (GeneratorConfig{}).Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg  GeneratorConfig
		want string
	}{
		{GeneratorConfig{Events: -1}, "Events must be 0 (unbounded) or more, got -1"},
		{GeneratorConfig{Rate: -5}, "Rate must be at least 1"},
		{GeneratorConfig{Splits: MaxSplits + 1}, "Splits must be between 1 and 1024"},
		{GeneratorConfig{BaseTime: -1}, "BaseTime"},
		{GeneratorConfig{PersonProportion: -1}, "proportions must be"},
		{GeneratorConfig{BidProportion: -1}, "proportions must be"},
		{GeneratorConfig{HotBiddersRatio: -2}, "HotBiddersRatio must be at least 1"},
		{GeneratorConfig{NumActivePeople: -1}, "NumActivePeople"},
		{GeneratorConfig{NumInFlightAuctions: -1}, "NumInFlightAuctions"},
		{GeneratorConfig{AvgBidBytes: MaxAvgBytes + 1}, "AvgBidBytes must be between"},
		{GeneratorConfig{OutOfOrderGroupSize: -3}, "OutOfOrderGroupSize must be at least 1"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "nexmark: ") {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
	// Several problems are all reported.
	err := GeneratorConfig{Events: -1, Rate: -1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "Events") || !strings.Contains(err.Error(), "Rate") {
		t.Errorf("two errors: %v", err)
	}
}

func TestGeneratePanics(t *testing.T) {
	for _, cfg := range []GeneratorConfig{{}, {Events: -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Generate(%+v) did not panic", cfg)
				}
			}()
			Generate(cfg)
		}()
	}
}

func TestPriceOf(t *testing.T) {
	// priceOf agrees with the straightforward formula.
	r := rng{s: 9}
	for n := range 300_000 {
		v := r.next()
		switch n {
		case 0:
			v = 0
		case 1:
			v = math.MaxUint64
		}
		u := float64(v>>11) * 0x1p-53 // the top 53 bits, exactly
		want := int64(math.Round(math.Pow(10, 6*u) * 100))
		if got := priceOf(v &^ (1<<11 - 1)); got != want {
			t.Fatalf("priceOf(%#x) = %d, want %d", v, got, want)
		}
	}
	if p := priceOf(0); p != 100 {
		t.Errorf("lowest price %d", p)
	}
	if p := priceOf(math.MaxUint64); p != 100_000_000 {
		t.Errorf("highest price %d", p)
	}
}
