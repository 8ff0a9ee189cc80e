package nexmark

import (
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q7Row is a q7 result row: a bid whose price is the highest of a 10 s
// tumbling window, in the column order of the query's SELECT (Flink's
// harness swaps price and bidder in its sink; we do not).
type Q7Row struct {
	Auction  int64  `json:"auction"`
	Price    int64  `json:"price"`
	Bidder   int64  `json:"bidder"`
	DateTime int64  `json:"dateTime"`
	Extra    string `json:"extra"`
}

func init() {
	Register(&Query{
		Name:    "q7",
		Columns: []string{"auction", "price", "bidder", "dateTime", "extra"},
		Build:   buildQ7,
		Oracle:  oracleQ7,
	})
}

const (
	q7Size    = 10_000 // window size, ms
	q7Buckets = 64     // partitions of a window in the first stage
)

// q7In is a bid routed to a window: its own tumbling window, or (Edge) the
// previous one, which a bid at exactly a window end also joins since
// Flink's predicate is BETWEEN window_end − 10 s AND window_end (inclusive).
type q7In struct {
	Bid   *nexmark.Bid
	Start int64 // window start
	Edge  bool
}

// q7Partial is a candidate of one partition of a window, with the
// partition's maximum (over the bids inside the window).
type q7Partial struct {
	Start  int64
	Max    int64
	HasMax bool
	Row    Q7Row
}

// buildQ7 is Flink's TUMBLE(10 s) MAX(price) joined back to the bids on
// price = max and dateTime BETWEEN window_end − 10 s AND window_end, in two
// keyed stages so that a window's bids are spread over all subtasks:
//
//  1. keyed by (window, bucket of the bid): the maximum of the partition
//     and the bids equal to it (the only ones that can equal the window's
//     maximum), plus the bids at exactly the window end; an event-time
//     timer at window end − 1 sends them on. Bids whose window already
//     fired are late and dropped, as a window aggregation drops them.
//  2. keyed by window: the maximum of the partition maxima, and the
//     candidates equal to it are emitted by a timer at window end − 1
//     (which fires once all partitions reported).
func buildQ7(events stream.Stream[nexmark.Event], _ Config) Output {
	routed := stream.FlatMap(Bids(events), func(b *nexmark.Bid, out stream.Emitter[q7In]) {
		start := b.DateTime - q7FloorMod(b.DateTime, q7Size)
		out.Emit(q7In{Bid: b, Start: start})
		if b.DateTime == start {
			out.Emit(q7In{Bid: b, Start: start - q7Size, Edge: true})
		}
	}).Name("q7-route")
	partials := stream.KeyedProcess(stream.KeyBy(routed, q7PartitionKey),
		func() stream.KeyedProcessFunction[int64, q7In, q7Partial] { return &q7PartitionMax{} }).Name("q7-partition-max")
	rows := stream.KeyedProcess(stream.KeyBy(partials, func(p q7Partial) int64 { return p.Start }),
		func() stream.KeyedProcessFunction[int64, q7Partial, Q7Row] { return &q7WindowMax{} }).Name("q7-window-max")
	return Out(rows)
}

// q7PartitionKey is window index × q7Buckets + a hash bucket of the bid.
func q7PartitionKey(in q7In) int64 {
	b := in.Bid
	h := uint64(b.Price)*0x9E3779B97F4A7C15 ^ uint64(b.Bidder)*0xC2B2AE3D27D4EB4F ^ uint64(b.DateTime)*0x165667B19E3779F9
	h ^= h >> 29
	return (in.Start/q7Size)*q7Buckets + int64(h%q7Buckets)
}

// q7KeyStart is the window start of a partition key.
func q7KeyStart(key int64) int64 {
	idx := key / q7Buckets
	if key%q7Buckets < 0 {
		idx--
	}
	return idx * q7Size
}

func q7FloorMod(a, m int64) int64 {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}

func q7Encode(dst []byte, r Q7Row) []byte {
	dst = nxPackInt(dst, r.Auction)
	dst = nxPackInt(dst, r.Price)
	dst = nxPackInt(dst, r.Bidder)
	dst = nxPackInt(dst, r.DateTime)
	return append(dst, r.Extra...)
}

func q7Decode(s string) Q7Row {
	var r Q7Row
	r.Auction, s = nxUnpackInt(s)
	r.Price, s = nxUnpackInt(s)
	r.Bidder, s = nxUnpackInt(s)
	r.DateTime, s = nxUnpackInt(s)
	r.Extra = s
	return r
}

type q7PartitionMax struct {
	max   *stream.ValueState[int64]
	cands *stream.ListState[string] // bids equal to max
	edge  *stream.ListState[string] // bids at exactly the window end
	buf   []byte
}

func (p *q7PartitionMax) Open(ctx *stream.OpenContext) error {
	p.max = stream.NewValueState[int64](ctx, "q7-max")
	p.cands = stream.NewListState[string](ctx, "q7-cands")
	p.edge = stream.NewListState[string](ctx, "q7-edge")
	return nil
}

func (p *q7PartitionMax) encode(b *nexmark.Bid) string {
	p.buf = q7Encode(p.buf[:0], Q7Row{Auction: b.Auction, Price: b.Price, Bidder: b.Bidder, DateTime: b.DateTime, Extra: b.Extra})
	return string(p.buf)
}

func (p *q7PartitionMax) ProcessElement(ctx *stream.KeyedContext[int64], in q7In, _ stream.Emitter[q7Partial]) error {
	fire := in.Start + q7Size - 1
	if fire <= ctx.CurrentWatermark() {
		return nil // the window has fired: late
	}
	if in.Edge {
		p.edge.Add(p.encode(in.Bid))
		ctx.RegisterEventTimeTimer(fire)
		return nil
	}
	price := in.Bid.Price
	m, ok := p.max.Get()
	switch {
	case !ok:
		ctx.RegisterEventTimeTimer(fire)
		fallthrough
	case price > m:
		p.max.Set(price)
		p.cands.Clear()
		p.cands.Add(p.encode(in.Bid))
	case price == m:
		p.cands.Add(p.encode(in.Bid))
	}
	return nil
}

func (p *q7PartitionMax) OnTimer(ctx *stream.KeyedContext[int64], _ int64, out stream.Emitter[q7Partial]) error {
	start := q7KeyStart(ctx.Key())
	m, ok := p.max.Get()
	p.cands.Range(func(s string) bool {
		out.Emit(q7Partial{Start: start, Max: m, HasMax: ok, Row: q7Decode(s)})
		return true
	})
	p.edge.Range(func(s string) bool {
		if r := q7Decode(s); !ok || r.Price >= m {
			out.Emit(q7Partial{Start: start, Max: m, HasMax: ok, Row: r})
		}
		return true
	})
	p.max.Clear()
	p.cands.Clear()
	p.edge.Clear()
	return nil
}

type q7WindowMax struct {
	max  *stream.ValueState[int64]
	rows *stream.ListState[string]
	buf  []byte
}

func (w *q7WindowMax) Open(ctx *stream.OpenContext) error {
	w.max = stream.NewValueState[int64](ctx, "q7-window-max")
	w.rows = stream.NewListState[string](ctx, "q7-window-rows")
	return nil
}

func (w *q7WindowMax) ProcessElement(ctx *stream.KeyedContext[int64], p q7Partial, _ stream.Emitter[Q7Row]) error {
	m, ok := w.max.Get()
	if p.HasMax && (!ok || p.Max > m) {
		w.max.Set(p.Max)
		m, ok = p.Max, true
	}
	if ok && p.Row.Price < m {
		return nil
	}
	ctx.RegisterEventTimeTimer(p.Start + q7Size - 1)
	w.buf = q7Encode(w.buf[:0], p.Row)
	w.rows.Add(string(w.buf))
	return nil
}

func (w *q7WindowMax) OnTimer(_ *stream.KeyedContext[int64], _ int64, out stream.Emitter[Q7Row]) error {
	if m, ok := w.max.Get(); ok {
		w.rows.Range(func(s string) bool {
			if r := q7Decode(s); r.Price == m {
				out.Emit(r)
			}
			return true
		})
	}
	w.max.Clear()
	w.rows.Clear()
	return nil
}
