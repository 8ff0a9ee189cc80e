package planner

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"unsafe"

	"github.com/stromio/strom/codec"
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
	if x.In.Updating() || x.Proctime || x.Zone != nil || x.Offset != 0 || (x.Kind != "TUMBLE" && x.Kind != "HOP") { // processing-time windows: translate.go
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
	intKey, keyCol := false, 0
	if nkeys == 1 && table.KindOf(x.In.Cols()[x.Keys[0]].Type) == table.KindInt {
		intKey, keyCol = true, x.Keys[0]
	}
	newFn := func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		return &sliceAgg{a: a, codec: codec, size: size, slide: slide, nkeys: nkeys, keyCodec: keyCodec, intKey: intKey, keyCol: keyCol}
	}
	// Copying: sliceAgg adds what it reads of a row to accumulators (copies)
	// and emits rows it builds, so a source chained before it may reuse
	// its rows whatever follows (the fan-out of q5's shared count).
	return stream.KeyedProcessCopying(stream.KeyBy(in, keyFn), newFn).Name("window-aggregate").UID(tr.uid("window-agg")), true, nil
}

// sliceAgg is the keyed function of slicedWindowAgg (one per subtask).
//
// It buffers, as Flink's WindowBuffer: a row is added to an accumulator
// in memory for its key and slice (flat table.Values, no state access, no
// encoding). Merging a buffered accumulator into the slice's in state
// gives what adding its rows one by one would (expr.Mergeable), and which
// windows a row is late for is decided when it arrives, with the
// watermark it arrived under, so the output is the unbuffered one's.
//
// The buffer stays in memory across watermarks, and windows fire from
// it: one timer (the sentinel, on the key of a slice of that window) at
// the earliest window end - 1 of the buffered slices makes the operator
// call OnTimer when that window is due; OnTimer fires the windows of that
// end of every key from the buffer in key order (the order of the timers
// of equal time the state path would have), keeps each slice's first
// unfired window, drops the slices no later window needs and moves the
// sentinel to the next end.
//
// A checkpoint barrier (SnapshotBuffer, operator.SnapshotBuffer) writes
// the buffer into the snapshot, so that it holds every row before the
// barrier, and keeps it in memory; a buffer past its memory bound is
// folded into state there instead (Flush). Flush folds the whole buffer
// into the slices in state (one state read and write per key and slice,
// and a new slice's first unfired window's timer), the state layout and
// timers of the state path. The operator calls it (operator.KeyedBuffer)
// after a row when the buffer is full (Full: past maxBufd slices, or past
// its memory bound when its accumulators are out of the entry) and at
// the end of the input; SnapshotBuffer at a barrier as said, and at every
// barrier with foldAll (the state path). A window with a slice of
// some key in state then goes through the state path: FlushWatermark
// (operator.WatermarkBuffer), before the timers of a watermark fire,
// folds the buffered slices of each window due whose end has a slice in
// state (stateEnds, counted per slice end), so that its timers fire it
// with every row; the windows due without one fire from memory, and
// nothing of them is in state, so no timer of theirs interleaves (a key's
// timers are at the ends of the windows that hold its slices in state).
// So a job checkpointing often fires its windows from memory, and the
// output (rows and order) is the state path's. A restored operator counts
// the slices of its key groups in state by end when it opens, and puts
// the buffered slices of the snapshot back into the buffer.
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

	index    map[sliceKey]int // buffered slice -> its entry in bufd (but those in ints)
	intKey   bool             // the key is one integer column, keyCol
	keyCol   int
	ints     sliceTable // buffered slice of a non-NULL integer key -> its entry in bufd
	bufd     []bufSlice // sorted by key and end at a firing (in place), then new slices appended; accumulators reused
	maxBufd  int        // slices
	bufBytes int        // an estimate of the buffer's memory
	maxBytes int

	foldAll   bool          // fold at every watermark (the state path; tests)
	stateEnds map[int64]int // slice end -> keys with that slice in state (exact unless foldAll)
	minFirst  int64         // the earliest first of bufd, MaxInt64 if none
	cand      []int64       // scratch of foldCovered: window ends due
	endFirst  map[int64]int64
	sentinel  struct {
		key string
		t   int64 // math.MinInt64: none
	}
	order    []int32         // scratch of sortBufd
	grp      []int32         // of bufd: the number of the key; stale when dirty
	keyVals  [][]table.Value // by key number: the key decoded, nil until emitted
	keyBlock []table.Value   // keyVals are carved from it
	dirty    bool            // a slice was buffered or moved since bufd was sorted
	acc      []table.Value   // scratch accumulator of a window fired from memory
	rowBlock []table.Value   // the fields of the rows to come (emit)

	kg     *int          // the current key's key group (the operator's KeyContext.KG)
	table  sliceTbl      // the slices table itself (the buffer's snapshot entries)
	staged []int32       // key groups whose buffer entry the last barrier wrote to the live state
	parts  [][]byte      // by key group: scratch of SnapshotBuffer
	vals   []table.Value // scratch of restoreBuffer
}

// sliceTbl is what sliceAgg uses of its state table (a state.Table).
type sliceTbl interface {
	Put(kg int, key, sub, value []byte)
	Delete(kg int, key, sub []byte)
	ScanGroup(kg int, fn func(key, sub, value []byte) bool)
}

// The buffer's part of a snapshot (SnapshotBuffer): per key group with
// buffered slices, one entry of the slices table, under bufEntry as key
// and sub. A slice in state has a sub of 8 bytes (its end), so the sub
// tells them apart whatever the key; the builds before this one decode
// every sub of the table as an end when they open restored, and so
// refuse a snapshot holding buffered slices (an error, never a silent
// loss of its rows).
//
// The value (bufSnapshotVersion 1):
//
//	version byte (1), per slice: uvarint len, key, varint end,
//	varint first, uvarint len, accumulators (sliceCodec); then the
//	CRC-32C (Castagnoli) of all the bytes before it, 4 bytes big-endian
var bufEntry = []byte("window-buffer")

const bufSnapshotVersion = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// rowBlock is how many rows' fields a window fired from memory allocates
// at once.
const rowBlock = 64

// sliceKey names a buffered slice: the grouping key and the slice end.
type sliceKey struct {
	key string
	end int64
}

// bufSlice is a buffered accumulator: first is the end of the first
// window of the slice that had not fired when its first row arrived (with
// memFire, the first not fired yet).
type bufSlice struct {
	sliceKey
	first int64
	acc   []table.Value // nil: the accumulators are in inl
	ik    int64         // with isInt, the key's integer: the slice is in sliceAgg.ints
	isInt bool
	kg    int32 // the key's key group
	inl   [inlAccs]table.Value
}

// inlAccs is how many accumulator values a bufSlice holds in itself (q5's
// COUNT: one), so that firing reads them with the slice, in bufd's order.
const inlAccs = 2

// accOf returns the accumulators of the buffered slice b (valid until bufd
// changes).
func (s *sliceAgg) accOf(b *bufSlice) []table.Value {
	if b.acc != nil {
		return b.acc
	}
	return b.inl[:len(s.a.types):len(s.a.types)]
}

// lookup returns the position in bufd of the buffered slice of r's key
// ending at end, and whether r's key is an integer (sliceAgg.ints).
func (s *sliceAgg) lookup(ctx *stream.KeyedContext[string], r table.Row, end int64) (i int, ok, isInt bool, ik int64) {
	if s.intKey {
		if v := r.Fields[s.keyCol]; v.Kind() == table.KindInt {
			ik = v.AsInt()
			i, ok = s.ints.get(ik, end)
			return i, ok, true, ik
		}
	}
	i, ok = s.index[sliceKey{ctx.Key(), end}]
	return i, ok, false, 0
}

// setIndex records that b is at position i of bufd.
func (s *sliceAgg) setIndex(b *bufSlice, i int) {
	if b.isInt {
		s.ints.put(b.ik, b.end, i)
	} else {
		s.index[b.sliceKey] = i
	}
}

// dropIndex forgets the buffered slice b.
func (s *sliceAgg) dropIndex(b *bufSlice) {
	if b.isInt {
		s.ints.del(b.ik, b.end)
	} else {
		delete(s.index, b.sliceKey)
	}
}

// maxBuffered is how many slices a subtask buffers before it folds them
// into state when the buffer is folded at every watermark anyway.
const maxBuffered = 4096

// maxBufferedBytes bounds the buffer of a subtask that fires windows from
// memory at each checkpoint barrier (SnapshotBuffer), and after every row
// when its accumulators are out of the entry (Full): an estimate of the
// bytes of its slices (sliceBytes: sliceOverhead each, plus the key, plus
// a table.Value per accumulator value when they are not in the entry).
// sliceOverhead is the entry (bufSlice: 120 bytes on 64-bit), its index
// (a map entry of 32 bytes and a control byte, up to 7/8 full, or a
// sliceTable slot of 24 bytes, 3/8 to 3/4 full: 64 bytes), and its order
// and key number of sortBufd (8): 192 bytes (TestSliceOverhead).
const (
	maxBufferedBytes = 64 << 20
	sliceOverhead    = int(unsafe.Sizeof(bufSlice{})) + 64 + 8
)

// sliceBytes is the estimate of the memory of the buffered slice b.
func (s *sliceAgg) sliceBytes(b *bufSlice) int {
	n := sliceOverhead + len(b.key)
	if len(s.a.types) > inlAccs {
		n += int(unsafe.Sizeof(table.Value{})) * len(s.a.types)
	}
	return n
}

func (s *sliceAgg) Open(ctx *stream.OpenContext) error {
	s.slices = stream.NewMapState[int64, []byte](ctx, "slices")
	s.index = make(map[sliceKey]int)
	s.stateEnds = make(map[int64]int)
	s.endFirst = make(map[int64]int64)
	s.kg = &ctx.KC.KG
	s.table = ctx.KC.Backend.Table("slices")
	s.minFirst = math.MaxInt64
	if ctx.RT != nil && ctx.RT.Restored != nil {
		// The slices in state from a snapshot, counted by end: every
		// entry of the table is one key's slice (the key groups of the
		// subtask are restored before Open), but the buffer's entries,
		// which go back into the buffer.
		c := codec.For[int64]()
		var err error
		var bufs [][]byte
		var kgs []int
		for kg := ctx.RT.KeyGroups.Start; kg < ctx.RT.KeyGroups.End && err == nil; kg++ {
			s.table.ScanGroup(kg, func(key, sub, v []byte) bool {
				if bytes.Equal(sub, bufEntry) && bytes.Equal(key, bufEntry) {
					bufs, kgs = append(bufs, bytes.Clone(v)), append(kgs, kg)
					return true
				}
				if s.foldAll {
					return true
				}
				var e int64
				if e, err = c.Decode(sub); err != nil {
					return false
				}
				s.stateEnds[e]++
				return true
			})
		}
		if err != nil {
			return fmt.Errorf("window aggregate: restored slice: %w", err)
		}
		for i, b := range bufs {
			s.table.Delete(kgs[i], bufEntry, bufEntry)
			if err := s.restoreBuffer(kgs[i], b); err != nil {
				return fmt.Errorf("window aggregate: restored buffer of key group %d: %w", kgs[i], err)
			}
		}
	}
	if s.maxBufd == 0 {
		s.maxBufd = math.MaxInt
		if s.foldAll {
			s.maxBufd = maxBuffered
		}
	}
	if s.maxBytes == 0 {
		s.maxBytes = maxBufferedBytes
	}
	s.sentinel.t = math.MinInt64
	return nil
}

// SnapshotBuffer writes the buffer into the snapshot a checkpoint barrier
// takes (operator.SnapshotBuffer) and keeps it: per key group, one entry
// of the slices table holding its buffered slices (bufEntry), so that a
// restore at any parallelism finds them with their keys' group. The
// keyed state is captured right after (copy-on-write); unstage takes the
// entries out of the live state at the next call. Below the memory bound
// (see below) nothing moves to the state path: the windows of the
// buffered slices still fire from memory.
// The sentinel is deleted (a restore must not find it among the state
// path's timers) and armed again at the next watermark (FlushWatermark),
// before any timer fires. With foldAll it folds the buffer (Flush), as
// the builds before did at every barrier.
//
// A buffer past its memory bound (maxBytes) is folded instead (Flush):
// the bound bounds what each barrier writes (and encodes on the task's
// goroutine), where the slices in state go into an incremental
// checkpoint only when they change. Nothing else folds a buffer of
// inlined accumulators before the end of the input (Full), so without
// checkpoints such a buffer is bounded only by the input (maxBufd is
// MaxInt on the memory path). The scratch of the encoding (parts) is let
// go when it is much larger than what this barrier wrote, and at a
// barrier that folds, so that a large buffer does not keep it for good.
func (s *sliceAgg) SnapshotBuffer(ctx *stream.KeyedContext[string], setKey func(string)) error {
	s.unstage()
	if s.foldAll || s.bufBytes >= s.maxBytes {
		s.parts = nil
		return s.Flush(ctx, setKey)
	}
	s.dropSentinel(ctx, setKey)
	for i := range s.bufd {
		b := &s.bufd[i]
		if int(b.kg) >= len(s.parts) {
			s.parts = slices.Grow(s.parts, int(b.kg)+1-len(s.parts))[:b.kg+1]
		}
		p := s.parts[b.kg]
		if len(p) == 0 {
			p = append(p, bufSnapshotVersion)
		}
		p = binary.AppendUvarint(p, uint64(len(b.key)))
		p = append(p, b.key...)
		p = binary.AppendVarint(p, b.end)
		p = binary.AppendVarint(p, b.first)
		n := len(p)
		var err error
		if p, err = s.codec.append(binary.AppendUvarint(p, 0), table.Row{Fields: s.accOf(b)}); err != nil {
			return err
		}
		if l := len(p) - n - 1; l < 0x80 {
			p[n] = byte(l) // the one-byte uvarint written before it
		} else {
			// Rare (accumulators of 128 bytes or more): move them
			// behind their length.
			acc := bytes.Clone(p[n+1:])
			p = append(binary.AppendUvarint(p[:n], uint64(len(acc))), acc...)
		}
		s.parts[b.kg] = p
	}
	used, capacity := 0, 0
	for kg, p := range s.parts {
		capacity += cap(p)
		if len(p) == 0 {
			continue
		}
		p = binary.BigEndian.AppendUint32(p, crc32.Checksum(p, castagnoli))
		s.table.Put(kg, bufEntry, bufEntry, p) // copies p
		s.staged = append(s.staged, int32(kg))
		s.parts[kg] = p[:0]
		used += len(p)
	}
	if capacity > maxPartsSlack && capacity > 4*used {
		s.parts = nil
	}
	return nil
}

// maxPartsSlack is the capacity of SnapshotBuffer's scratch that it keeps
// whatever a barrier wrote.
const maxPartsSlack = 1 << 16

// unstage takes the buffer's snapshot entries of the last barrier out of
// the live state (SnapshotBuffer).
func (s *sliceAgg) unstage() {
	for _, kg := range s.staged {
		s.table.Delete(int(kg), bufEntry, bufEntry)
	}
	s.staged = s.staged[:0]
}

// restoreBuffer puts the buffered slices of a snapshot's entry (key group
// kg; SnapshotBuffer) back into the buffer.
func (s *sliceAgg) restoreBuffer(kg int, p []byte) error {
	if len(p) < 5 {
		return fmt.Errorf("%w: %d bytes", table.ErrCorrupt, len(p))
	}
	body := p[:len(p)-4]
	if got, want := crc32.Checksum(body, castagnoli), binary.BigEndian.Uint32(p[len(p)-4:]); got != want {
		return fmt.Errorf("%w: checksum %08x, want %08x", table.ErrCorrupt, got, want)
	}
	if body[0] != bufSnapshotVersion {
		if body[0] > bufSnapshotVersion {
			return fmt.Errorf("version %d, this build reads %d (%w): a newer strom wrote it; restore it with that version or a newer one", body[0], bufSnapshotVersion, stream.ErrNewerVersion)
		}
		return fmt.Errorf("%w: version %d", table.ErrCorrupt, body[0])
	}
	body = body[1:]
	field := func() []byte {
		n, k := binary.Uvarint(body)
		if k <= 0 || n > uint64(len(body)-k) {
			return nil
		}
		f := body[k : k+int(n)]
		body = body[k+int(n):]
		return f
	}
	varint := func(v *int64) bool {
		x, k := binary.Varint(body)
		if k <= 0 {
			return false
		}
		*v, body = x, body[k:]
		return true
	}
	for len(body) > 0 {
		key := field()
		var end, first int64
		if key == nil || !varint(&end) || !varint(&first) {
			return fmt.Errorf("%w: truncated slice", table.ErrCorrupt)
		}
		acc := field()
		if acc == nil {
			return fmt.Errorf("%w: truncated accumulators", table.ErrCorrupt)
		}
		r, err := s.codec.decodeTo(s.scratch, acc)
		if err != nil {
			return err
		}
		s.scratch = r.Fields
		if len(r.Fields) != len(s.a.types) {
			return fmt.Errorf("%w: %d accumulator values, want %d", table.ErrCorrupt, len(r.Fields), len(s.a.types))
		}
		sk := sliceKey{string(key), end}
		isInt, ik := false, int64(0)
		if s.intKey {
			if cap(s.vals) < s.nkeys {
				s.vals = make([]table.Value, s.nkeys)
			}
			kv, err := s.keyCodec.DecodeTo(s.vals[:s.nkeys], key)
			if err != nil {
				return err
			}
			if v := kv.Fields[0]; v.Kind() == table.KindInt {
				isInt, ik = true, v.AsInt()
			}
		}
		var dup bool
		if isInt {
			_, dup = s.ints.get(ik, end)
		} else {
			_, dup = s.index[sk]
		}
		if dup {
			return fmt.Errorf("%w: slice (%q, %d) twice", table.ErrCorrupt, sk.key, end)
		}
		s.bufd = append(s.bufd, bufSlice{sliceKey: sk, first: first, isInt: isInt, ik: ik, kg: int32(kg)})
		b := &s.bufd[len(s.bufd)-1]
		if len(s.a.types) > inlAccs {
			b.acc = make([]table.Value, len(s.a.types))
		}
		copy(s.accOf(b), r.Fields)
		s.setIndex(b, len(s.bufd)-1)
		s.bufBytes += s.sliceBytes(b)
		s.minFirst = min(s.minFirst, first)
		s.dirty = true
	}
	return nil
}

func (s *sliceAgg) ProcessElement(ctx *stream.KeyedContext[string], r table.Row, _ stream.Emitter[table.Row]) error {
	if len(s.staged) > 0 {
		s.unstage()
	}
	ts := ctx.Timestamp()
	if ts == math.MinInt64 {
		return nil // no event time (a NULL rowtime)
	}
	end := (table.FloorDiv(ts, s.slide) + 1) * s.slide
	i, ok, isInt, ik := s.lookup(ctx, r, end)
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
		b.sliceKey, b.first, b.isInt, b.ik, b.kg = sliceKey{ctx.Key(), end}, first, isInt, ik, int32(*s.kg)
		if len(s.a.types) <= inlAccs {
			b.acc = nil
		} else {
			if cap(b.acc) < len(s.a.types) {
				b.acc = make([]table.Value, len(s.a.types))
			}
			b.acc = b.acc[:len(s.a.types)]
		}
		s.a.initTo(s.accOf(b))
		s.setIndex(b, i)
		s.bufBytes += s.sliceBytes(b)
		s.minFirst = min(s.minFirst, first)
		s.dirty = true
	}
	var err error
	s.args, err = s.a.addTo(s.accOf(&s.bufd[i]), r, s.args)
	return err
}

// Full reports whether the buffer is to be folded into state now
// (operator.KeyedBuffer): past maxBufd slices (the state path; tests), or
// past maxBytes when the accumulators are not in the entry (more than
// inlAccs values). The keyed state is in memory too (state.Heap, the only
// backend), and a slice of inlined accumulators takes more of it there
// (an entry, its index slot and list position, a timer) than in the
// buffer (q5 at 10 M events: a higher peak RSS folded), so folding it
// frees no memory and would only move the windows of the slices folded,
// and of the slices buffered for them after, to the state path (a state
// look-up and a timer per key and window); its bound applies at the
// barriers (SnapshotBuffer). A slice with more values pays a
// table.Value (24 bytes) a value and a slice in the buffer, against a
// few bytes an integer encoded in state, so that buffer keeps its bound
// after every row (not measured the other way).
func (s *sliceAgg) Full() bool {
	return len(s.bufd) >= s.maxBufd || len(s.a.types) > inlAccs && s.bufBytes >= s.maxBytes
}

// Flush folds the whole buffer into the slices in state, with the timers
// the state path has (operator.KeyedBuffer: a full buffer, the end of
// the input; SnapshotBuffer: a barrier with foldAll or past maxBytes).
func (s *sliceAgg) Flush(ctx *stream.KeyedContext[string], setKey func(string)) error {
	s.unstage()
	s.dropSentinel(ctx, setKey) // the fold registers the timers the state path has
	return s.fold(ctx, setKey, func(*bufSlice) bool { return true })
}

// FlushWatermark is called before the timers of watermark wm fire
// (operator.WatermarkBuffer). The buffer stays in memory, except the
// slices of the windows due at wm that have a part in state (some key
// has a slice of the window in state, so the window's timers are
// pending or will be registered by the timers before it): those are
// folded into state, and the timers fire them. The windows left fire
// from memory (the sentinel). With foldAll it folds everything.
func (s *sliceAgg) FlushWatermark(ctx *stream.KeyedContext[string], setKey func(string), wm int64) error {
	s.unstage()
	if s.foldAll {
		return s.Flush(ctx, setKey)
	}
	if len(s.stateEnds) > 0 && s.minFirst != math.MaxInt64 && s.minFirst-1 <= wm {
		if err := s.foldCovered(ctx, setKey, wm); err != nil {
			return err
		}
	}
	s.arm(ctx, setKey)
	return nil
}

// foldCovered folds the buffered slices of the windows due at wm that
// have a slice in state, in window order, until none is left: a slice
// folded for a window moves its earlier windows to state too, so the
// scan starts over after each fold.
func (s *sliceAgg) foldCovered(ctx *stream.KeyedContext[string], setKey func(string), wm int64) error {
	for {
		clear(s.endFirst)
		for i := range s.bufd {
			b := &s.bufd[i]
			if f, ok := s.endFirst[b.end]; !ok || b.first < f {
				s.endFirst[b.end] = b.first
			}
		}
		s.cand = s.cand[:0]
		for end, f := range s.endFirst {
			for e := f; e <= end+s.size-s.slide && e-1 <= wm; e += s.slide {
				s.cand = append(s.cand, e)
			}
		}
		slices.Sort(s.cand)
		s.cand = slices.Compact(s.cand)
		folded := false
		for _, e := range s.cand {
			if !s.covered(e) {
				continue
			}
			s.dropSentinel(ctx, setKey)
			lo := e - s.size + s.slide
			if err := s.fold(ctx, setKey, func(b *bufSlice) bool { return b.first <= e && b.end >= lo && b.end <= e }); err != nil {
				return err
			}
			folded = true
			break
		}
		if !folded {
			return nil
		}
	}
}

// covered reports whether some key has a slice of the window ending at
// end in state.
func (s *sliceAgg) covered(end int64) bool {
	for e := end - s.size + s.slide; e <= end; e += s.slide {
		if s.stateEnds[e] > 0 {
			return true
		}
	}
	return false
}

// dropSentinel deletes the sentinel timer, if any. The timers of its key
// on the state path may have come to share it (its window was not due
// when it was armed; a timer of the key's state slices registered it
// since, and the window then has a slice in state, so it did not fire
// from memory): it is registered again when the key has a slice of the
// window in state (then the state path has that timer too).
func (s *sliceAgg) dropSentinel(ctx *stream.KeyedContext[string], setKey func(string)) {
	if s.sentinel.t == math.MinInt64 {
		return
	}
	setKey(s.sentinel.key)
	ctx.DeleteEventTimeTimer(s.sentinel.t)
	end := s.sentinel.t + 1
	for e := end - s.size + s.slide; e <= end; e += s.slide {
		if s.stateEnds[e] > 0 && s.slices.Contains(e) {
			ctx.RegisterEventTimeTimer(s.sentinel.t)
			break
		}
	}
	s.sentinel.key, s.sentinel.t = "", math.MinInt64
}

// fold folds the buffered slices that pred selects into the slices in
// state, in bufd's order (sorted at the last firing, then as they were
// first buffered), registering the first
// unfired window's timer of a slice new in state; the others stay
// buffered.
func (s *sliceAgg) fold(ctx *stream.KeyedContext[string], setKey func(string), pred func(*bufSlice) bool) error {
	if len(s.bufd) == 0 {
		return nil
	}
	n := 0
	s.minFirst = math.MaxInt64
	for i := range s.bufd {
		b := &s.bufd[i]
		if !pred(b) {
			s.minFirst = min(s.minFirst, b.first)
			if n != i {
				s.bufd[n], s.bufd[i] = s.bufd[i], s.bufd[n]
				s.setIndex(&s.bufd[n], n)
			}
			n++
			continue
		}
		setKey(b.key)
		bacc := s.accOf(b)
		acc := table.Row{Fields: bacc}
		if old, ok := s.slices.Get(b.end); ok {
			have, err := s.codec.decodeTo(s.scratch, old)
			if err != nil {
				return err
			}
			s.scratch = have.Fields
			for j, c := range s.a.aggs {
				if err := c.F.Merge(have.Fields[s.a.off[j]:s.a.off[j+1]], bacc[s.a.off[j]:s.a.off[j+1]]); err != nil {
					return err
				}
			}
			acc = have
		} else {
			ctx.RegisterEventTimeTimer(b.first - 1)
			s.stateEnds[b.end]++
		}
		var err error
		if s.buf, err = s.codec.append(s.buf[:0], acc); err != nil {
			return err
		}
		s.slices.Put(b.end, s.buf)
		s.dropIndex(b)
		s.bufBytes -= s.sliceBytes(b)
		b.key, b.inl = "", [inlAccs]table.Value{} // let the key and values go
	}
	s.bufd, s.dirty = s.bufd[:n], true
	return nil
}

// arm makes the sentinel timer the earliest window end - 1 of the buffer
// (memFire). Its key is any key of the subtask's key groups: the one it
// had, else a buffered one.
func (s *sliceAgg) arm(ctx *stream.KeyedContext[string], setKey func(string)) {
	t := s.minFirst - 1
	if s.minFirst == math.MaxInt64 {
		t = math.MinInt64
	}
	if t == s.sentinel.t {
		return
	}
	key := s.sentinel.key
	if s.sentinel.t != math.MinInt64 {
		s.dropSentinel(ctx, setKey)
		setKey(key)
	} else if len(s.bufd) > 0 {
		key = s.bufd[0].key
		setKey(key)
	}
	s.sentinel.key, s.sentinel.t = key, t
	if t != math.MinInt64 {
		ctx.RegisterEventTimeTimer(t)
	}
}

// fireBuffered fires the windows ending at end from the buffer,
// in key order, and moves the sentinel to the next window end.
func (s *sliceAgg) fireBuffered(ctx *stream.KeyedContext[string], end int64, out stream.Emitter[table.Row]) error {
	if s.dirty {
		s.sortBufd()
	}
	first := end - s.size + s.slide // the end of the window's first slice
	if cap(s.acc) < len(s.a.types) {
		s.acc = make([]table.Value, len(s.a.types))
	}
	acc := s.acc[:len(s.a.types)]
	g, at := int32(-1), 0 // the key being merged, and one of its slices
	for i := range s.bufd {
		b := &s.bufd[i]
		if b.end < first || b.end > end || b.first > end {
			continue
		}
		if s.grp[i] != g {
			if g >= 0 {
				if err := s.emit(g, at, end, acc, out); err != nil {
					return err
				}
			}
			g, at = s.grp[i], i
			s.a.initTo(acc)
		}
		bacc := s.accOf(b)
		for i, c := range s.a.aggs {
			if err := c.F.Merge(acc[s.a.off[i]:s.a.off[i+1]], bacc[s.a.off[i]:s.a.off[i+1]]); err != nil {
				return err
			}
		}
	}
	if g >= 0 {
		if err := s.emit(g, at, end, acc, out); err != nil {
			return err
		}
	}
	// Drop the slices in no later window (swapped to the end, so that
	// their accumulators are reused and none is shared), move the first
	// unfired window of the others past end. The slices kept keep their
	// order, and their key numbers go with them.
	s.minFirst = math.MaxInt64
	n := 0
	for i := range s.bufd {
		b := &s.bufd[i]
		if b.end <= first {
			s.dropIndex(b)
			s.bufBytes -= s.sliceBytes(b)
			b.key, b.inl = "", [inlAccs]table.Value{}
			continue
		}
		if b.first <= end {
			b.first = end + s.slide
		}
		s.minFirst = min(s.minFirst, b.first)
		if n != i {
			s.bufd[n], s.bufd[i] = s.bufd[i], s.bufd[n]
			s.setIndex(&s.bufd[n], n)
			s.grp[n] = s.grp[i]
		}
		n++
	}
	s.bufd, s.grp = s.bufd[:n], s.grp[:n]
	// The sentinel fired: the next one on its key (current).
	s.sentinel.t = math.MinInt64
	if s.minFirst != math.MaxInt64 {
		s.sentinel.t = s.minFirst - 1
		ctx.RegisterEventTimeTimer(s.sentinel.t)
	}
	return nil
}

// sortBufd puts bufd in the order of key and slice end (the firing
// order: windows of equal end fire in key order), so that firing reads it
// in order, and numbers its keys in grp (one string comparison per slice
// here instead of one per slice and window fired; keyVals by number are
// decoded when first emitted).
func (s *sliceAgg) sortBufd() {
	s.order = s.order[:0]
	for i := range s.bufd {
		s.order = append(s.order, int32(i))
	}
	slices.SortFunc(s.order, func(x, y int32) int {
		a, b := &s.bufd[x], &s.bufd[y]
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.end, b.end)
	})
	// Move each entry to its place in bufd itself, one cycle of the
	// permutation at a time (order[i]: the entry that goes to i; -1 once
	// placed): no second array. Only the entries that move have their
	// index updated (for map keys a map write each): an entry already in
	// its place (a fixed point: most of them when bufd was sorted at the
	// last firing and little came since) is left alone.
	for i := range s.order {
		if s.order[i] < 0 {
			continue
		}
		if int(s.order[i]) == i {
			s.order[i] = -1
			continue
		}
		tmp := s.bufd[i]
		for j := i; ; {
			k := int(s.order[j])
			s.order[j] = -1
			if k == i {
				s.bufd[j] = tmp
				s.setIndex(&s.bufd[j], j)
				break
			}
			s.bufd[j] = s.bufd[k]
			s.setIndex(&s.bufd[j], j)
			j = k
		}
	}
	s.grp = s.grp[:0]
	g := int32(-1)
	for i := range s.bufd {
		if i == 0 || s.bufd[i].key != s.bufd[i-1].key {
			g++
		}
		s.grp = append(s.grp, g)
	}
	clear(s.keyVals)
	s.keyVals = slices.Grow(s.keyVals[:0], int(g+1))[:g+1]
	s.dirty = false
}

// emit emits the row of the window ending at end of key number g (of
// sortBufd), whose slice at is in bufd.
func (s *sliceAgg) emit(g int32, at int, end int64, acc []table.Value, out stream.Emitter[table.Row]) error {
	var one [1]table.Value
	kv := s.keyVals[g]
	if b := &s.bufd[at]; b.isInt {
		one[0] = table.Int(b.ik) // what decoding the key gives
		kv = one[:]
	} else if kv == nil && s.nkeys > 0 {
		if len(s.keyBlock) < s.nkeys {
			s.keyBlock = make([]table.Value, max(1024, s.nkeys))
		}
		kv, s.keyBlock = s.keyBlock[:s.nkeys:s.nkeys], s.keyBlock[s.nkeys:]
		if _, err := s.keyCodec.DecodeTo(kv, []byte(s.bufd[at].key)); err != nil {
			return err
		}
		s.keyVals[g] = kv
	}
	// The row's fields (the key's, the window's, the results) are carved
	// from a block of rowBlock rows: one allocation per rowBlock rows.
	// Each row is capped at its length, so a Calc writing into it stays
	// within it.
	n := s.nkeys + 3 + len(s.a.aggs)
	if len(s.rowBlock) < n {
		s.rowBlock = make([]table.Value, rowBlock*n)
	}
	fields := s.rowBlock[:s.nkeys:n]
	s.rowBlock = s.rowBlock[n:]
	copy(fields, kv)
	fields = append(fields, table.TimestampMillis(end-s.size), table.TimestampMillis(end), table.TimestampMillis(end-1))
	fields, err := s.a.appendResults(fields, table.Row{Fields: acc})
	if err != nil {
		return err
	}
	out.Emit(table.Row{Kind: table.Insert, Fields: fields})
	return nil
}

func (s *sliceAgg) OnTimer(ctx *stream.KeyedContext[string], t int64, out stream.Emitter[table.Row]) error {
	s.unstage()
	end := t + 1
	if t == s.sentinel.t && ctx.Key() == s.sentinel.key {
		return s.fireBuffered(ctx, end, out) // no timer of the window's end in state
	}
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
		if n := s.stateEnds[e]; n > 1 {
			s.stateEnds[e] = n - 1
		} else {
			delete(s.stateEnds, e)
		}
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
