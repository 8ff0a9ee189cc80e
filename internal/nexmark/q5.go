package nexmark

import (
	"time"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q5Row is a q5 result row: an auction with the most bids of a sliding
// window (every auction tied for the most).
type Q5Row struct {
	Auction     int64 `json:"auction"`
	Num         int64 `json:"num"`
	WindowStart int64 `json:"window_start"`
	WindowEnd   int64 `json:"window_end"`
}

func init() {
	Register(&Query{
		Name:    "q5",
		Columns: []string{"auction", "num", "window_start", "window_end"},
		Build:   buildQ5,
		Oracle:  oracleQ5,
	})
}

const (
	q5Size  = 10 * time.Second
	q5Slide = 2 * time.Second
)

// q5Count is the bid count of one auction in one window.
type q5Count struct {
	Auction    int64
	Num        int64
	Start, End int64
}

// buildQ5: HOP(10 s, 2 s) COUNT(*) per auction, then per window the
// auctions whose count is the largest (num >= max(num) of Flink's join is
// num = max: every tie is output).
//
// The counts are computed by slicing, as Flink's window aggregations do: a
// KeyedProcess keyed by auction counts bids per 2 s slice (a MapState of
// slice -> count: one state update per bid instead of one per window), and
// an event-time timer at every window end − 1 sums the 5 slices of the
// window and emits the count (if not 0), drops the slice that leaves the
// window, and moves to the next window that still holds a slice. A bid
// whose windows have all fired is late and dropped; one whose first windows
// fired counts in the others only, as the window operator would have it.
//
// The counts (stamped window end − 1) are keyed by window end; a
// KeyedProcess keeps the largest count and the auctions that reached it
// and emits them from a timer at window end − 1, which fires once every
// count of the window arrived (the counting stage sends them before its
// watermark passes that time).
func buildQ5(events stream.Stream[nexmark.Event], _ Config) Output {
	counts := stream.KeyedProcess(stream.KeyBy(Bids(events), func(b *nexmark.Bid) int64 { return b.Auction }),
		func() stream.KeyedProcessFunction[int64, *nexmark.Bid, q5Count] { return &q5Counter{} }).Name("q5-count")
	rows := stream.KeyedProcess(stream.KeyBy(counts, func(c q5Count) int64 { return c.End }),
		func() stream.KeyedProcessFunction[int64, q5Count, Q5Row] { return &q5Hottest{} }).Name("q5-hottest")
	return Out(rows)
}

const (
	q5SliceMs = int64(q5Slide / time.Millisecond)
	q5SizeMs  = int64(q5Size / time.Millisecond)
)

// q5Counter counts the bids of an auction per slice [k·2 s, (k+1)·2 s).
type q5Counter struct {
	slices *stream.MapState[int64, int64] // slice index -> bids
	old    []int64
}

func (c *q5Counter) Open(ctx *stream.OpenContext) error {
	c.slices = stream.NewMapState[int64, int64](ctx, "q5-slices")
	return nil
}

func (c *q5Counter) ProcessElement(ctx *stream.KeyedContext[int64], b *nexmark.Bid, _ stream.Emitter[q5Count]) error {
	k := b.DateTime / q5SliceMs
	if b.DateTime%q5SliceMs < 0 {
		k--
	}
	n, ok := c.slices.Get(k)
	if !ok {
		// The first window (end) holding the slice that has not fired.
		end := (k + 1) * q5SliceMs
		last := end + q5SizeMs - q5SliceMs
		wm := ctx.CurrentWatermark()
		for end-1 <= wm && end <= last {
			end += q5SliceMs
		}
		if end > last {
			return nil // late: every window of the bid fired
		}
		ctx.RegisterEventTimeTimer(end - 1)
	}
	c.slices.Put(k, n+1)
	return nil
}

// OnTimer emits the count of the window ending at t+1.
func (c *q5Counter) OnTimer(ctx *stream.KeyedContext[int64], t int64, out stream.Emitter[q5Count]) error {
	end := t + 1
	first := end - q5SizeMs + q5SliceMs // end of the window's first slice
	var sum int64
	next := int64(stream.MaxTime)
	c.old = c.old[:0]
	c.slices.Range(func(k, n int64) bool {
		e := (k + 1) * q5SliceMs
		if e >= first && e <= end {
			sum += n
		}
		if e <= first {
			c.old = append(c.old, k) // leaves with this window
		} else {
			next = min(next, e)
		}
		return true
	})
	for _, k := range c.old {
		c.slices.Remove(k)
	}
	if sum > 0 {
		out.Emit(q5Count{Auction: ctx.Key(), Num: sum, Start: end - q5SizeMs, End: end})
	}
	if next != stream.MaxTime {
		ctx.RegisterEventTimeTimer(max(end+q5SliceMs, next) - 1)
	}
	return nil
}

// q5Hottest keeps, per window end, the largest count and the auctions that
// have it.
type q5Hottest struct {
	max  *stream.ValueState[int64]
	best *stream.ListState[int64]
}

func (h *q5Hottest) Open(ctx *stream.OpenContext) error {
	h.max = stream.NewValueState[int64](ctx, "q5-max")
	h.best = stream.NewListState[int64](ctx, "q5-best")
	return nil
}

func (h *q5Hottest) ProcessElement(ctx *stream.KeyedContext[int64], c q5Count, _ stream.Emitter[Q5Row]) error {
	m, ok := h.max.Get()
	switch {
	case !ok:
		ctx.RegisterEventTimeTimer(c.End - 1)
		fallthrough
	case c.Num > m:
		h.max.Set(c.Num)
		h.best.Clear()
		h.best.Add(c.Auction)
	case c.Num == m:
		h.best.Add(c.Auction)
	}
	return nil
}

func (h *q5Hottest) OnTimer(ctx *stream.KeyedContext[int64], _ int64, out stream.Emitter[Q5Row]) error {
	m, ok := h.max.Get()
	if !ok {
		return nil
	}
	end := ctx.Key()
	start := end - q5Size.Milliseconds()
	h.best.Range(func(a int64) bool {
		out.Emit(Q5Row{Auction: a, Num: m, WindowStart: start, WindowEnd: end})
		return true
	})
	h.max.Clear()
	h.best.Clear()
	return nil
}
