package nexmark

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"sync/atomic"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/nexmark"
)

// Baselines: hand-written single-goroutine Go programs that compute the
// result of a query over the same generator, without the engine. They read
// batches straight from the generator's readers (round robin over the
// splits, as one source subtask would), keep their state in plain maps and
// fire windows when the same watermark the engine uses (largest event time
// of a split minus 4 s, minimum over the splits) passes the window's end.
// `strom nexmark bench --baseline` runs them in the same child-process
// measurement as the engine and prints the engine's ratio to them.
//
// A baseline does not encode its rows: it sums an order-independent hash
// of each row's numbers (and its strings' lengths) into a checksum, so
// that the rows are used as the engine's discarding sink uses them, and,
// when asked, collects the rows for tests.

// BaselineResult is what a baseline computed.
type BaselineResult struct {
	// Events is the number of events read from the generator.
	Events int64
	// Rows is the number of result rows; Checksum the sum of their hashes.
	Rows     int64
	Checksum uint64
	// Collected holds the rows (with the query's columns as JSON) when the
	// baseline was asked to collect them.
	Collected []any
}

// baselineRun is the environment of one baseline run.
type baselineRun struct {
	ctx     context.Context
	cfg     nexmark.GeneratorConfig
	collect bool
	// progress, if not nil, counts the events read so far (one atomic add
	// per batch).
	progress *atomic.Int64
	res      BaselineResult
}

// baseEmit adds one result row with hash h. (Generic so that the row is
// boxed into an interface only when it is collected.)
func baseEmit[T any](b *baselineRun, h uint64, v T) {
	b.res.Rows++
	b.res.Checksum += baseMix(h)
	if b.collect {
		b.res.Collected = append(b.res.Collected, v)
	}
}

var baselines = map[string]func(*baselineRun) error{
	"q0": baselineQ0,
	"q1": baselineQ1,
	"q2": baselineQ2,
	"q5": baselineQ5,
	"q7": baselineQ7,
	"q8": baselineQ8,
}

// HasBaseline reports whether query name has a hand-written baseline.
func HasBaseline(name string) bool { return baselines[name] != nil }

// BaselineNames lists the queries with a baseline, in numeric order.
func BaselineNames() []string {
	var out []string
	for n := range baselines {
		out = append(out, n)
	}
	sortBaseNames(out)
	return out
}

// RunBaseline runs the baseline of query name over the generator cfg.
// With collect set the result rows are kept in BaselineResult.Collected
// (for tests; it costs memory). progress, if not nil, is advanced by the
// number of events read, batch by batch.
func RunBaseline(ctx context.Context, name string, cfg nexmark.GeneratorConfig, collect bool, progress *atomic.Int64) (BaselineResult, error) {
	f := baselines[name]
	if f == nil {
		return BaselineResult{}, fmt.Errorf("nexmark: query %q has no baseline (baselines: %v)", name, BaselineNames())
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return BaselineResult{}, err
	}
	if cfg.Events == 0 {
		return BaselineResult{}, fmt.Errorf("nexmark: a baseline needs a bounded generator (Events > 0)")
	}
	b := &baselineRun{ctx: ctx, cfg: cfg, collect: collect, progress: progress}
	if err := f(b); err != nil {
		return BaselineResult{}, err
	}
	return b.res, nil
}

// baselineBatch is the number of events read per call, as the engine's
// default batch size.
const baselineBatch = 512

// baseWatermarkLag is the bounded out-of-orderness of Watermark(), in ms.
const baseWatermarkLag = 4000

// scan reads every split of the generator round robin, one batch at a
// time, and calls fn for each batch. After each batch it computes the
// watermark as the engine's source does (per split: largest time seen - 4 s
// - 1; the minimum over the splits not yet ended) and calls advance when it
// rose; at the end it calls advance(math.MaxInt64).
func (b *baselineRun) scan(fn func(evs []nexmark.Event), advance func(wm int64)) error {
	src := nexmark.NewSource(b.cfg)
	splits, err := src.Splits(b.ctx)
	if err != nil {
		return err
	}
	type split struct {
		r     connector.Reader[nexmark.Event]
		maxTS int64
		done  bool
	}
	ss := make([]*split, len(splits))
	for i, sp := range splits {
		r, err := src.Open(b.ctx, sp, nil)
		if err != nil {
			return err
		}
		defer r.Close()
		ss[i] = &split{r: r, maxTS: math.MinInt64}
	}
	buf := make([]nexmark.Event, baselineBatch)
	wm := int64(math.MinInt64)
	for live := len(ss); live > 0; {
		for _, s := range ss {
			if s.done {
				continue
			}
			n, err := s.r.Read(b.ctx, buf)
			if err == io.EOF {
				s.done = true
				live--
			} else if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			evs := buf[:n]
			for i := range evs {
				s.maxTS = max(s.maxTS, evs[i].Time())
			}
			fn(evs)
			clear(evs)
			b.res.Events += int64(n)
			if b.progress != nil {
				b.progress.Add(int64(n))
			}
		}
		if advance == nil {
			continue
		}
		w := int64(math.MaxInt64)
		for _, s := range ss {
			if !s.done {
				w = min(w, s.maxTS-baseWatermarkLag-1)
			}
		}
		if w > wm && w != math.MaxInt64 {
			wm = w
			advance(wm)
		}
		if err := b.ctx.Err(); err != nil {
			return err
		}
	}
	if advance != nil {
		advance(math.MaxInt64)
	}
	return b.ctx.Err()
}

// Row types of the baselines: the query's columns (SPEC.md §3.4) as JSON.

type baseBidRow struct {
	Auction  int64  `json:"auction"`
	Bidder   int64  `json:"bidder"`
	Price    int64  `json:"price"`
	DateTime int64  `json:"dateTime"`
	Extra    string `json:"extra"`
}

type baseQ1Row struct {
	Auction  int64    `json:"auction"`
	Bidder   int64    `json:"bidder"`
	Price    Decimal3 `json:"price"`
	DateTime int64    `json:"dateTime"`
	Extra    string   `json:"extra"`
}

type baseQ2Row struct {
	Auction int64 `json:"auction"`
	Price   int64 `json:"price"`
}

type baseQ5Row struct {
	Auction     int64 `json:"auction"`
	Num         int64 `json:"num"`
	WindowStart int64 `json:"window_start"`
	WindowEnd   int64 `json:"window_end"`
}

type baseQ8Row struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	WindowStart int64  `json:"window_start"`
}

// baseMix finalises a row hash (splitmix64's mixer) so that the sum of
// hashes of different rows does not cancel out.
func baseMix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// baseHashInts combines integers into a row hash.
func baseHashInts(vs ...int64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range vs {
		h = baseMix(h ^ uint64(v))
	}
	return h
}

// baseHashString folds a string into h by its length only: the engine's
// discarding sink does not read the strings of a row either, and hashing
// 100 bytes of padding per bid would cost the baseline more than the
// query's own work.
func baseHashString(h uint64, s string) uint64 { return baseMix(h ^ uint64(len(s))) }

// baselineQ0 passes every bid through to a discard (the checksum).
func baselineQ0(b *baselineRun) error {
	return b.scan(func(evs []nexmark.Event) {
		for i := range evs {
			if bid := evs[i].Bid; bid != nil {
				r := baseBidRow{bid.Auction, bid.Bidder, bid.Price, bid.DateTime, bid.Extra}
				baseEmit(b, baseHashString(baseHashInts(r.Auction, r.Bidder, r.Price, r.DateTime), r.Extra), r)
			}
		}
	}, nil)
}

// baselineQ1 converts every bid's price to DECIMAL(23,3) × 0.908.
func baselineQ1(b *baselineRun) error {
	return b.scan(func(evs []nexmark.Event) {
		for i := range evs {
			if bid := evs[i].Bid; bid != nil {
				r := baseQ1Row{bid.Auction, bid.Bidder, Times0908(bid.Price), bid.DateTime, bid.Extra}
				baseEmit(b, baseHashString(baseHashInts(r.Auction, r.Bidder, int64(r.Price), r.DateTime), r.Extra), r)
			}
		}
	}, nil)
}

// baselineQ2 keeps the bids with auction mod 123 = 0.
func baselineQ2(b *baselineRun) error {
	return b.scan(func(evs []nexmark.Event) {
		for i := range evs {
			if bid := evs[i].Bid; bid != nil && bid.Auction%123 == 0 {
				r := baseQ2Row{bid.Auction, bid.Price}
				baseEmit(b, baseHashInts(r.Auction, r.Price), r)
			}
		}
	}, nil)
}

// Window sizes of q5 (HOP 10 s every 2 s) and q7/q8 (TUMBLE 10 s).
const (
	baseHopSize  = 10_000
	baseHopSlide = 2_000
	baseTumble   = 10_000
)

// baseWindowStart is the start of the aligned window of size d containing t.
func baseWindowStart(t, d int64) int64 {
	s := t - t%d
	if t%d < 0 {
		s -= d
	}
	return s
}

// baselineQ5 counts bids per auction in 2 s panes; when the watermark
// passes the end of a 10 s window it adds up the window's five panes per
// auction and emits the auctions whose count equals the window's maximum.
func baselineQ5(b *baselineRun) error {
	panes := map[int64]map[int64]int64{} // pane start -> auction -> bids
	wm := int64(math.MinInt64)
	nextEnd := int64(math.MinInt64) // no window ending before it is left to fire
	sum := map[int64]int64{}
	fire := func(end int64) {
		clear(sum)
		var most int64
		for p := end - baseHopSize; p < end; p += baseHopSlide {
			for a, n := range panes[p] {
				s := sum[a] + n
				sum[a] = s
				most = max(most, s)
			}
		}
		for a, n := range sum {
			if n == most {
				r := baseQ5Row{a, n, end - baseHopSize, end}
				baseEmit(b, baseHashInts(r.Auction, r.Num, r.WindowStart, r.WindowEnd), r)
			}
		}
		// The window's oldest pane belongs to no later window.
		delete(panes, end-baseHopSize)
	}
	return b.scan(func(evs []nexmark.Event) {
		for i := range evs {
			bid := evs[i].Bid
			if bid == nil || bid.DateTime <= wm { // late: dropped
				continue
			}
			p := baseWindowStart(bid.DateTime, baseHopSlide)
			m := panes[p]
			if m == nil {
				m = map[int64]int64{}
				panes[p] = m
			}
			m[bid.Auction]++
		}
	}, func(w int64) {
		wm = w
		// Fire, in order, every window that holds a pane and ends at or
		// before the watermark (end-1 <= wm), skipping empty stretches.
		for len(panes) > 0 {
			lo := int64(math.MaxInt64)
			for p := range panes {
				lo = min(lo, p)
			}
			end := max(nextEnd, lo+baseHopSlide)
			if end-1 > wm {
				break
			}
			fire(end)
			nextEnd = end + baseHopSlide
		}
	})
}

// baseQ7Window is the state of one 10 s window of q7: the highest price and the
// bids that have it.
type baseQ7Window struct {
	price int64
	bids  []baseBidRow
}

// baselineQ7 keeps per tumbling window the highest price and the bids with
// that price; when the watermark passes the end it emits those bids.
func baselineQ7(b *baselineRun) error {
	windows := map[int64]*baseQ7Window{}
	wm := int64(math.MinInt64)
	var ends []int64
	return b.scan(func(evs []nexmark.Event) {
		for i := range evs {
			bid := evs[i].Bid
			if bid == nil || bid.DateTime <= wm {
				continue
			}
			s := baseWindowStart(bid.DateTime, baseTumble)
			w := windows[s]
			if w == nil {
				w = &baseQ7Window{price: math.MinInt64}
				windows[s] = w
			}
			switch {
			case bid.Price > w.price:
				w.price = bid.Price
				w.bids = append(w.bids[:0], baseBidRow{bid.Auction, bid.Bidder, bid.Price, bid.DateTime, bid.Extra})
			case bid.Price == w.price:
				w.bids = append(w.bids, baseBidRow{bid.Auction, bid.Bidder, bid.Price, bid.DateTime, bid.Extra})
			}
		}
	}, func(w int64) {
		wm = w
		ends = ends[:0]
		for s := range windows {
			if s+baseTumble-1 <= wm {
				ends = append(ends, s)
			}
		}
		sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
		for _, s := range ends {
			for _, r := range windows[s].bids {
				baseEmit(b, baseHashString(baseHashInts(r.Auction, r.Bidder, r.Price, r.DateTime), r.Extra), r)
			}
			delete(windows, s)
		}
	})
}

// baseQ8Window is the state of one 10 s window of q8: the people who
// registered in it and the sellers who opened an auction in it.
type baseQ8Window struct {
	persons map[int64]string
	sellers map[int64]struct{}
}

// baselineQ8 joins, per tumbling window, the new people with the sellers of
// new auctions and emits each person that also sold, when the window closes.
func baselineQ8(b *baselineRun) error {
	windows := map[int64]*baseQ8Window{}
	wm := int64(math.MinInt64)
	get := func(t int64) *baseQ8Window {
		s := baseWindowStart(t, baseTumble)
		w := windows[s]
		if w == nil {
			w = &baseQ8Window{persons: map[int64]string{}, sellers: map[int64]struct{}{}}
			windows[s] = w
		}
		return w
	}
	var ends []int64
	return b.scan(func(evs []nexmark.Event) {
		for i := range evs {
			switch e := &evs[i]; {
			case e.Person != nil && e.Person.DateTime > wm:
				get(e.Person.DateTime).persons[e.Person.ID] = e.Person.Name
			case e.Auction != nil && e.Auction.DateTime > wm:
				get(e.Auction.DateTime).sellers[e.Auction.Seller] = struct{}{}
			}
		}
	}, func(w int64) {
		wm = w
		ends = ends[:0]
		for s := range windows {
			if s+baseTumble-1 <= wm {
				ends = append(ends, s)
			}
		}
		sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
		for _, s := range ends {
			win := windows[s]
			for id, name := range win.persons {
				if _, ok := win.sellers[id]; ok {
					r := baseQ8Row{id, name, s}
					baseEmit(b, baseHashString(baseHashInts(r.ID, r.WindowStart), r.Name), r)
				}
			}
			delete(windows, s)
		}
	})
}

// sortBaseNames sorts "q0".."q22" numerically.
func sortBaseNames(names []string) {
	sort.Slice(names, func(i, j int) bool {
		var a, b int
		fmt.Sscanf(names[i], "q%d", &a)
		fmt.Sscanf(names[j], "q%d", &b)
		return a < b
	})
}
