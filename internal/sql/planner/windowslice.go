package planner

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// slicedWindowAgg translates a TUMBLE or HOP aggregation (size a multiple
// of the slide) whose aggregates are expr.Mergeable as Flink's sliced
// window aggregation: per key, one accumulator per slide-long slice of
// event time (MapState slice end -> RowCodec bytes), so a row updates one
// accumulator instead of size/slide windows; a timer at each window's end
// merges the slices of the window, emits its row and drops the slices no
// later window needs. Lateness is decided per window as in the window
// operator (a row whose windows have all fired is dropped; a row late for
// some of them counts in the others), rows carry the window's max
// timestamp (end - 1), and windows of equal end fire in key order, so the
// output is that of the window operator. ok is false when the
// aggregation does not qualify (the caller then uses the window
// operator).
func (tr *translator) slicedWindowAgg(x *WindowAgg) (s stream.Stream[table.Row], ok bool, err error) {
	if x.In.Updating() || x.Proctime || x.Offset != 0 || (x.Kind != "TUMBLE" && x.Kind != "HOP") { // processing-time windows: translate.go
		return s, false, nil
	}
	size, slide := x.Size.Milliseconds(), x.Slide.Milliseconds()
	if x.Kind == "TUMBLE" {
		slide = size
	}
	if size <= 0 || slide <= 0 || size%slide != 0 {
		return s, false, nil
	}
	for _, c := range x.Aggs {
		if !expr.Mergeable(c.F) {
			return s, false, nil
		}
	}
	in, err := tr.build(x.In)
	if err != nil {
		return s, false, err
	}
	keyFn, keyCodec := keyOf(x.In, x.Keys)
	a := newAccs(x.Aggs)
	nkeys := len(x.Keys)
	var codec sliceCodec = rowSliceCodec{a.codec}
	if c, ok := newIntSliceCodec(a.types); ok {
		codec = c
	}
	newFn := func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		return &sliceAgg{a: a, codec: codec, size: size, slide: slide, nkeys: nkeys, keyCodec: keyCodec}
	}
	return stream.KeyedProcess(stream.KeyBy(in, keyFn), newFn).Name("window-aggregate").UID(tr.uid("window-agg")), true, nil
}

// sliceAgg is the keyed function of slicedWindowAgg (one per subtask).
//
// It buffers, as Flink's WindowBuffer: a row is added to an accumulator
// in memory for its key and slice (flat table.Values, no state access, no
// encoding), and the buffer is folded into the slices in state (one state
// read and write, and the first window's timer when the slice is new, per
// key and slice) by Flush, which the operator calls before the timers of a
// watermark fire, when a checkpoint barrier passes, when the buffer holds
// maxBuffered slices and at the end of the input (operator.KeyedBuffer).
// Merging a buffered accumulator into the slice's gives what adding its
// rows one by one would (expr.Mergeable), and which windows a row is late
// for is decided when it arrives, with the watermark it arrived under (the
// watermark moves only after a Flush), so the output is the unbuffered
// one's.
type sliceAgg struct {
	a           *accs
	codec       sliceCodec
	size, slide int64
	nkeys       int
	keyCodec    *table.RowCodec
	slices      *stream.MapState[int64, []byte]
	scratch     []table.Value // decoded accumulator
	buf         []byte
	in          []slice // of the firing window
	old         []int64
	args        []table.Value // scratch of accs.addTo

	index   map[sliceKey]int // buffered slice -> its entry in bufd
	bufd    []bufSlice       // in arrival order; accumulators reused
	maxBufd int
}

// sliceKey names a buffered slice: the grouping key and the slice end.
type sliceKey struct {
	key string
	end int64
}

// bufSlice is a buffered accumulator: first is the end of the first
// window of the slice that had not fired when its first row arrived.
type bufSlice struct {
	sliceKey
	first int64
	acc   []table.Value
}

// maxBuffered is how many slices a subtask buffers before it folds them
// into state (Flink bounds its buffer by memory; 24 bytes a value).
const maxBuffered = 4096

func (s *sliceAgg) Open(ctx *stream.OpenContext) error {
	s.slices = stream.NewMapState[int64, []byte](ctx, "slices")
	s.index = make(map[sliceKey]int)
	if s.maxBufd == 0 {
		s.maxBufd = maxBuffered
	}
	return nil
}

func (s *sliceAgg) ProcessElement(ctx *stream.KeyedContext[string], r table.Row, _ stream.Emitter[table.Row]) error {
	ts := ctx.Timestamp()
	if ts == math.MinInt64 {
		return nil // no event time (a NULL rowtime)
	}
	end := (table.FloorDiv(ts, s.slide) + 1) * s.slide
	k := sliceKey{ctx.Key(), end}
	i, ok := s.index[k]
	if !ok {
		// The first window of the slice that has not fired yet.
		first, last := end, end+s.size-s.slide
		wm := ctx.CurrentWatermark()
		for first-1 <= wm && first <= last {
			first += s.slide
		}
		if first > last {
			return nil // late for every window of the row
		}
		i = len(s.bufd)
		if i < cap(s.bufd) {
			s.bufd = s.bufd[:i+1]
		} else {
			s.bufd = append(s.bufd, bufSlice{})
		}
		b := &s.bufd[i]
		b.sliceKey, b.first = k, first
		if cap(b.acc) < len(s.a.types) {
			b.acc = make([]table.Value, len(s.a.types))
		}
		b.acc = b.acc[:len(s.a.types)]
		s.a.initTo(b.acc)
		s.index[k] = i
	}
	var err error
	s.args, err = s.a.addTo(s.bufd[i].acc, r, s.args)
	return err
}

// Full reports whether the buffer is to be folded into state now
// (operator.KeyedBuffer).
func (s *sliceAgg) Full() bool { return len(s.bufd) >= s.maxBufd }

// Flush folds the buffered accumulators into the slices in state, in the
// order their slices were first buffered (operator.KeyedBuffer).
func (s *sliceAgg) Flush(ctx *stream.KeyedContext[string], setKey func(string)) error {
	if len(s.bufd) == 0 {
		return nil
	}
	for i := range s.bufd {
		b := &s.bufd[i]
		setKey(b.key)
		acc := table.Row{Fields: b.acc}
		if old, ok := s.slices.Get(b.end); ok {
			have, err := s.codec.decodeTo(s.scratch, old)
			if err != nil {
				return err
			}
			s.scratch = have.Fields
			for j, c := range s.a.aggs {
				if err := c.F.Merge(have.Fields[s.a.off[j]:s.a.off[j+1]], b.acc[s.a.off[j]:s.a.off[j+1]]); err != nil {
					return err
				}
			}
			acc = have
		} else {
			ctx.RegisterEventTimeTimer(b.first - 1)
		}
		var err error
		if s.buf, err = s.codec.append(s.buf[:0], acc); err != nil {
			return err
		}
		s.slices.Put(b.end, s.buf)
		b.key = "" // let the key go
	}
	s.bufd = s.bufd[:0]
	clear(s.index)
	return nil
}

func (s *sliceAgg) OnTimer(ctx *stream.KeyedContext[string], t int64, out stream.Emitter[table.Row]) error {
	end := t + 1
	first := end - s.size + s.slide // the end of the window's first slice
	s.in, s.old = s.in[:0], s.old[:0]
	next := int64(math.MaxInt64)
	s.slices.Range(func(e int64, b []byte) bool { // b is a copy
		if e >= first && e <= end {
			s.in = append(s.in, slice{e, b})
		}
		if e <= first {
			s.old = append(s.old, e) // in no later window
		} else {
			next = min(next, e)
		}
		return true
	})
	if len(s.in) > 0 {
		slices.SortFunc(s.in, func(x, y slice) int { return cmp.Compare(x.end, y.end) })
		acc := s.a.init()
		for _, sl := range s.in {
			r, err := s.codec.decodeTo(s.scratch, sl.acc)
			if err != nil {
				return err
			}
			s.scratch = r.Fields
			for i, c := range s.a.aggs {
				if err := c.F.Merge(acc.Fields[s.a.off[i]:s.a.off[i+1]], r.Fields[s.a.off[i]:s.a.off[i+1]]); err != nil {
					return err
				}
			}
		}
		// One allocation per row: the key decoded into its first fields,
		// the results appended.
		fields := make([]table.Value, s.nkeys, s.nkeys+3+len(s.a.aggs))
		if s.nkeys > 0 {
			if _, err := s.keyCodec.DecodeTo(fields, []byte(ctx.Key())); err != nil {
				return err
			}
		}
		fields = append(fields, table.TimestampMillis(end-s.size), table.TimestampMillis(end), table.TimestampMillis(end-1))
		fields, err := s.a.appendResults(fields, acc)
		if err != nil {
			return err
		}
		out.Emit(table.Row{Kind: table.Insert, Fields: fields})
	}
	for _, e := range s.old {
		s.slices.Remove(e)
	}
	if next != math.MaxInt64 {
		ctx.RegisterEventTimeTimer(max(end+s.slide, next) - 1)
	}
	return nil
}

// slice is one slice's accumulator (RowCodec bytes) and end.
type slice struct {
	end int64
	acc []byte
}

// sliceCodec encodes the accumulators of a slice in state.
type sliceCodec interface {
	append(dst []byte, acc table.Row) ([]byte, error)
	decodeTo(dst []table.Value, b []byte) (table.Row, error)
}

// rowSliceCodec is the RowCodec of the accumulators.
type rowSliceCodec struct{ c *table.RowCodec }

func (c rowSliceCodec) append(dst []byte, acc table.Row) ([]byte, error) {
	return c.c.AppendRow(dst, acc)
}
func (c rowSliceCodec) decodeTo(dst []table.Value, b []byte) (table.Row, error) {
	return c.c.DecodeTo(dst, b)
}

// intSliceCodec encodes accumulators that are all integers (COUNT, SUM
// and MIN/MAX of integers) in 9 bytes each: a NULL flag and the int64,
// little-endian.
type intSliceCodec struct{ n int }

func newIntSliceCodec(types []table.Type) (intSliceCodec, bool) {
	for _, t := range types {
		if !t.IsInteger() {
			return intSliceCodec{}, false
		}
	}
	return intSliceCodec{len(types)}, true
}

func (c intSliceCodec) append(dst []byte, acc table.Row) ([]byte, error) {
	if len(acc.Fields) != c.n {
		return dst, fmt.Errorf("accumulator of %d fields, want %d", len(acc.Fields), c.n)
	}
	for _, v := range acc.Fields {
		switch {
		case v.IsNull():
			dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0, 0)
		case v.Kind() != table.KindInt:
			return dst, fmt.Errorf("accumulator value of kind %s, want an integer", v.Kind())
		default:
			dst = binary.LittleEndian.AppendUint64(append(dst, 1), uint64(v.AsInt()))
		}
	}
	return dst, nil
}

func (c intSliceCodec) decodeTo(dst []table.Value, b []byte) (table.Row, error) {
	if len(b) != 9*c.n {
		return table.Row{}, fmt.Errorf("%w: accumulator of %d bytes, want %d", table.ErrCorrupt, len(b), 9*c.n)
	}
	if cap(dst) < c.n {
		dst = make([]table.Value, c.n)
	}
	dst = dst[:c.n]
	for i := range dst {
		switch b[9*i] {
		case 0:
			dst[i] = table.Null
		case 1:
			dst[i] = table.Int(int64(binary.LittleEndian.Uint64(b[9*i+1:])))
		default:
			return table.Row{}, fmt.Errorf("%w: accumulator NULL flag %d", table.ErrCorrupt, b[9*i])
		}
	}
	return table.Row{Fields: dst}, nil
}
