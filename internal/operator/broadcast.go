package operator

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
)

// Broadcast state (Flink's BroadcastProcessFunction state): a map per
// operator and subtask, written only by broadcast elements. Every subtask
// receives every broadcast element, so as long as the broadcast input has
// one producer (parallelism 1, hence one order) the maps are identical in
// every subtask. Keyed elements and timers see it read-only, which the
// context types enforce: only a *BroadcastContext is a BroadcastWriter.

// BroadcastStateDescriptor names a broadcast state and its codecs. It is an
// immutable value: declare it once and use it from any subtask.
type BroadcastStateDescriptor[KB comparable, VB any] struct {
	Name string
	// KeyCodec and ValueCodec encode snapshots (default codec.For). Equal
	// keys must encode to equal bytes: the encoding also orders Range.
	KeyCodec   codec.Codec[KB]
	ValueCodec codec.Codec[VB]
}

// NewBroadcastStateDescriptor returns a descriptor with codec.For codecs.
func NewBroadcastStateDescriptor[KB comparable, VB any](name string) BroadcastStateDescriptor[KB, VB] {
	return BroadcastStateDescriptor[KB, VB]{Name: name, KeyCodec: codec.For[KB](), ValueCodec: codec.For[VB]()}
}

// BroadcastReader is a context that can read broadcast state.
type BroadcastReader interface {
	broadcastStates() *broadcastRegistry
}

// BroadcastWriter is a context that can change broadcast state (the one
// handed to ProcessBroadcastElement).
type BroadcastWriter interface {
	BroadcastReader
	broadcastWritable()
}

// Get returns the state for read and write; ctx is the context of
// ProcessBroadcastElement.
func (d BroadcastStateDescriptor[KB, VB]) Get(ctx BroadcastWriter) *BroadcastState[KB, VB] {
	return bindBroadcast(ctx.broadcastStates(), d)
}

// ReadOnly returns a read-only view of the state; any context will do.
func (d BroadcastStateDescriptor[KB, VB]) ReadOnly(ctx BroadcastReader) ReadOnlyBroadcastState[KB, VB] {
	return ReadOnlyBroadcastState[KB, VB]{s: bindBroadcast(ctx.broadcastStates(), d)}
}

type bcEntry[KB comparable, VB any] struct {
	k KB
	v VB
}

// BroadcastState is one broadcast map of a subtask. Values are kept as Go
// values: treat them as immutable once Put (copy before changing a value
// that holds pointers, maps or slices).
type BroadcastState[KB comparable, VB any] struct {
	name   string
	kc     codec.Codec[KB]
	vc     codec.Codec[VB]
	m      map[string]bcEntry[KB, VB] // encoded key -> entry
	sorted []string                   // encoded keys in order; nil when stale
	kb     []byte
}

func (s *BroadcastState[KB, VB]) key(k KB) []byte {
	s.kb = s.kc.Append(s.kb[:0], k)
	return s.kb
}

// Get returns the value under k.
func (s *BroadcastState[KB, VB]) Get(k KB) (VB, bool) {
	e, ok := s.m[string(s.key(k))]
	return e.v, ok
}

// Contains reports whether k is present.
func (s *BroadcastState[KB, VB]) Contains(k KB) bool {
	_, ok := s.m[string(s.key(k))]
	return ok
}

// Len is the number of entries.
func (s *BroadcastState[KB, VB]) Len() int { return len(s.m) }

// Range calls fn for each entry in the order of the encoded keys (the same
// in every subtask) until fn returns false. fn may change the state; the
// iteration then skips removed keys and does not visit added ones.
func (s *BroadcastState[KB, VB]) Range(fn func(KB, VB) bool) {
	if s.sorted == nil {
		s.sorted = make([]string, 0, len(s.m))
		for k := range s.m {
			s.sorted = append(s.sorted, k)
		}
		sort.Strings(s.sorted)
	}
	for _, k := range s.sorted {
		e, ok := s.m[k]
		if !ok {
			continue
		}
		if !fn(e.k, e.v) {
			return
		}
	}
}

// Put stores v under k.
func (s *BroadcastState[KB, VB]) Put(k KB, v VB) {
	kb := s.key(k)
	if _, ok := s.m[string(kb)]; !ok {
		s.sorted = nil
	}
	s.m[string(kb)] = bcEntry[KB, VB]{k: k, v: v}
}

// Remove deletes k.
func (s *BroadcastState[KB, VB]) Remove(k KB) {
	kb := s.key(k)
	if _, ok := s.m[string(kb)]; ok {
		delete(s.m, string(kb))
		s.sorted = nil
	}
}

// Clear removes every entry.
func (s *BroadcastState[KB, VB]) Clear() {
	clear(s.m)
	s.sorted = nil
}

// appendSnapshot appends the entries: uvarint count, then per entry in
// ascending encoded-key order uvarint len(key), key, uvarint len(value),
// value.
func (s *BroadcastState[KB, VB]) appendSnapshot(dst []byte) []byte {
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	dst = binary.AppendUvarint(dst, uint64(len(keys)))
	var vb []byte
	for _, k := range keys {
		dst = binary.AppendUvarint(dst, uint64(len(k)))
		dst = append(dst, k...)
		vb = s.vc.Append(vb[:0], s.m[k].v)
		dst = binary.AppendUvarint(dst, uint64(len(vb)))
		dst = append(dst, vb...)
	}
	return dst
}

// restore replaces the entries with appendSnapshot's.
func (s *BroadcastState[KB, VB]) restore(b []byte) error {
	clear(s.m)
	s.sorted = nil
	err := rangeBroadcastEntries(b, func(kb, vb []byte) error {
		k, err := s.kc.Decode(kb)
		if err != nil {
			return err
		}
		v, err := s.vc.Decode(vb)
		if err != nil {
			return err
		}
		s.m[string(kb)] = bcEntry[KB, VB]{k: k, v: v}
		return nil
	})
	if err != nil {
		return fmt.Errorf("operator: broadcast state %q: %w", s.name, err)
	}
	return nil
}

// ReadOnlyBroadcastState is the view of a broadcast state that keyed
// elements and timers get.
type ReadOnlyBroadcastState[KB comparable, VB any] struct{ s *BroadcastState[KB, VB] }

// Get returns the value under k.
func (r ReadOnlyBroadcastState[KB, VB]) Get(k KB) (VB, bool) { return r.s.Get(k) }

// Contains reports whether k is present.
func (r ReadOnlyBroadcastState[KB, VB]) Contains(k KB) bool { return r.s.Contains(k) }

// Len is the number of entries.
func (r ReadOnlyBroadcastState[KB, VB]) Len() int { return r.s.Len() }

// Range calls fn for each entry in encoded-key order until it returns false.
func (r ReadOnlyBroadcastState[KB, VB]) Range(fn func(KB, VB) bool) { r.s.Range(fn) }

// broadcastStateAny is a BroadcastState with its types erased.
type broadcastStateAny interface {
	appendSnapshot(dst []byte) []byte
}

// broadcastRegistry holds the broadcast states of one operator in one
// subtask, created on first use of their descriptor. Restored states wait in
// pending (as their snapshot bytes) until their descriptor is first used.
type broadcastRegistry struct {
	states  map[string]broadcastStateAny
	pending map[string][]byte
}

func bindBroadcast[KB comparable, VB any](r *broadcastRegistry, d BroadcastStateDescriptor[KB, VB]) *BroadcastState[KB, VB] {
	if st, ok := r.states[d.Name]; ok {
		s, ok := st.(*BroadcastState[KB, VB])
		if !ok {
			panic(fmt.Errorf("operator: broadcast state %q is used as %T and as %T; give each its own name", d.Name, st, s))
		}
		return s
	}
	s := &BroadcastState[KB, VB]{name: d.Name, kc: d.KeyCodec, vc: d.ValueCodec, m: map[string]bcEntry[KB, VB]{}}
	if s.kc == nil {
		s.kc = codec.For[KB]()
	}
	if s.vc == nil {
		s.vc = codec.For[VB]()
	}
	if b, ok := r.pending[d.Name]; ok {
		if err := s.restore(b); err != nil {
			panic(err)
		}
		delete(r.pending, d.Name)
	}
	if r.states == nil {
		r.states = map[string]broadcastStateAny{}
	}
	r.states[d.Name] = s
	return s
}

// broadcastSnapshotVersion is the first byte of a broadcast state snapshot.
const broadcastSnapshotVersion = 1

// snapshot encodes every broadcast state of the registry, deterministically:
//
//	byte     version (1)
//	uvarint  number of states
//	per state, in ascending name order:
//	  uvarint len(name), name
//	  uvarint number of entries
//	  per entry, in ascending order of the encoded key:
//	    uvarint len(key), key, uvarint len(value), value
//
// Keys and values are encoded with the descriptor's codecs.
func (r *broadcastRegistry) snapshot() []byte {
	names := make([]string, 0, len(r.states)+len(r.pending))
	for n := range r.states {
		names = append(names, n)
	}
	for n := range r.pending {
		names = append(names, n)
	}
	sort.Strings(names)
	b := []byte{broadcastSnapshotVersion}
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, n := range names {
		b = binary.AppendUvarint(b, uint64(len(n)))
		b = append(b, n...)
		if st, ok := r.states[n]; ok {
			b = st.appendSnapshot(b)
		} else {
			b = append(b, r.pending[n]...)
		}
	}
	return b
}

// restore replaces the registry's states with a snapshot's; they are bound
// to their types when their descriptors are first used.
func (r *broadcastRegistry) restore(b []byte) error {
	if len(b) == 0 || b[0] != broadcastSnapshotVersion {
		return errors.New("operator: broadcast state snapshot: unknown version")
	}
	d := bcDecoder{b: b[1:]}
	n := d.uvarint()
	pending := map[string][]byte{}
	for i := uint64(0); i < n && d.err == nil; i++ {
		name := string(d.bytes())
		start := d.b
		d.entries()
		if d.err != nil {
			break
		}
		section := start[:len(start)-len(d.b)]
		if err := rangeBroadcastEntries(section, func(_, _ []byte) error { return nil }); err != nil {
			return fmt.Errorf("operator: broadcast state snapshot: state %q: %w", name, err)
		}
		if _, dup := pending[name]; dup {
			return fmt.Errorf("operator: broadcast state snapshot: state %q appears twice", name)
		}
		pending[name] = slices.Clone(section)
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return fmt.Errorf("operator: broadcast state snapshot is corrupt: %w", d.err)
	}
	r.states = nil
	r.pending = pending
	return nil
}

// rangeBroadcastEntries walks the entries section of one state.
func rangeBroadcastEntries(b []byte, fn func(k, v []byte) error) error {
	d := bcDecoder{b: b}
	n := d.uvarint()
	var prev []byte
	for i := uint64(0); i < n && d.err == nil; i++ {
		k, v := d.bytes(), d.bytes()
		if d.err != nil {
			break
		}
		if i > 0 && bytes.Compare(prev, k) >= 0 {
			return errors.New("keys out of order")
		}
		prev = k
		if err := fn(k, v); err != nil {
			return err
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	return d.err
}

type bcDecoder struct {
	b   []byte
	err error
}

func (d *bcDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errors.New("bad length")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *bcDecoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errors.New("truncated")
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// entries skips one state's entries section.
func (d *bcDecoder) entries() {
	n := d.uvarint()
	for i := uint64(0); i < n && d.err == nil; i++ {
		d.bytes()
		d.bytes()
	}
}

// ReadOnlyBroadcastContext is handed to ProcessElement and OnTimer of a
// keyed broadcast function: the keyed context (key, timestamp, timers, side
// outputs through &ctx.Context) plus read-only broadcast state.
type ReadOnlyBroadcastContext[K any] struct {
	*KeyedContext[K]
	reg *broadcastRegistry
}

func (c *ReadOnlyBroadcastContext[K]) broadcastStates() *broadcastRegistry { return c.reg }

// BroadcastContext is handed to ProcessBroadcastElement: timestamp,
// watermark, side outputs (&ctx.Context) and writable broadcast state. There
// is no current key: keyed state and timers must not be used here.
type BroadcastContext struct {
	Context
	reg *broadcastRegistry
}

func (c *BroadcastContext) broadcastStates() *broadcastRegistry { return c.reg }
func (c *BroadcastContext) broadcastWritable()                  {}

// KeyedBroadcastProcessFunction is the user logic of a keyed stream
// connected with a broadcast stream (Flink's KeyedBroadcastProcessFunction).
type KeyedBroadcastProcessFunction[K, A, B, O any] interface {
	// Open creates keyed state handles; called once per subtask.
	Open(ctx *OpenContext) error
	// ProcessElement handles a keyed element; broadcast state is read-only.
	ProcessElement(ctx *ReadOnlyBroadcastContext[K], v A, out Emitter[O]) error
	// ProcessBroadcastElement handles a broadcast element, which every
	// subtask receives; it may change broadcast state.
	ProcessBroadcastElement(ctx *BroadcastContext, v B, out Emitter[O]) error
	// OnTimer handles a timer of the current key.
	OnTimer(ctx *ReadOnlyBroadcastContext[K], t int64, out Emitter[O]) error
}

// KeyedBroadcastProcess runs a KeyedBroadcastProcessFunction: input 1 is the
// keyed stream, input 2 the broadcast stream (Broadcast partitioning).
type KeyedBroadcastProcess[K, A, B, O any] struct {
	keyedCore[K, O]
	KeyFn    func(A) K
	KeyCodec codec.Codec[K]
	Fn       KeyedBroadcastProcessFunction[K, A, B, O]
	Out      Collector[O]

	reg     broadcastRegistry
	ro      ReadOnlyBroadcastContext[K]
	bc      BroadcastContext
	onTimer func(tm *Timer)
}

func (o *KeyedBroadcastProcess[K, A, B, O]) Open(rt *Runtime) error {
	if err := o.openKeyed(rt, o.Out, o.KeyCodec); err != nil {
		return err
	}
	o.ro = ReadOnlyBroadcastContext[K]{KeyedContext: &o.ctx, reg: &o.reg}
	o.bc.b = &o.Base
	o.bc.reg = &o.reg
	if err := restoreBroadcast(rt, &o.reg); err != nil {
		return fmt.Errorf("operator %q: %w", rt.Name, err)
	}
	o.onTimer = func(tm *Timer) {
		if o.ctx.domain == ProcessingTime {
			// Records of a processing-time timer have no event time (Flink
			// erases the timestamp); ctx.Timestamp() still reports tm.Time.
			o.em.TS = base.MinTime
		}
		if err := o.Fn.OnTimer(&o.ro, tm.Time, &o.em); err != nil {
			o.Fail(err)
		}
	}
	defer o.Guard()
	return o.Fn.Open(&OpenContext{KC: &o.kc, RT: rt})
}

// Input1 is the collector of the keyed input.
func (o *KeyedBroadcastProcess[K, A, B, O]) Input1() Collector[A] { return kbKeyed[K, A, B, O]{o} }

// Input2 is the collector of the broadcast input.
func (o *KeyedBroadcastProcess[K, A, B, O]) Input2() Collector[B] { return kbBroadcast[K, A, B, O]{o} }

type kbKeyed[K, A, B, O any] struct {
	o *KeyedBroadcastProcess[K, A, B, O]
}

func (c kbKeyed[K, A, B, O]) Collect(ts int64, v A) {
	o := c.o
	o.Enter()
	o.M.In++
	o.setKey(o.KeyFn(v), ts)
	if err := o.Fn.ProcessElement(&o.ro, v, &o.em); err != nil {
		o.Fail(err)
	}
}

type kbBroadcast[K, A, B, O any] struct {
	o *KeyedBroadcastProcess[K, A, B, O]
}

func (c kbBroadcast[K, A, B, O]) Collect(ts int64, v B) {
	o := c.o
	o.Enter()
	o.M.In++
	// No current key: an invalid key group makes keyed state used here fail
	// loudly instead of touching the previous element's key.
	o.kc.Key = o.kc.Key[:0]
	o.kc.KG = -1
	o.bc.ts = ts
	o.em.TS = ts
	defer o.noKey()
	if err := o.Fn.ProcessBroadcastElement(&o.bc, v, &o.em); err != nil {
		o.Fail(err)
	}
}

// noKey turns the state backend's panic about key group -1 into an error
// that says what went wrong. (Broadcast elements are rare: the deferred
// recover costs nothing that matters.)
func (o *KeyedBroadcastProcess[K, A, B, O]) noKey() {
	r := recover()
	if r == nil {
		return
	}
	if s, ok := r.(string); ok && strings.Contains(s, "key group -1") {
		o.Fail(errors.New("operator: keyed state used in ProcessBroadcastElement, where there is no current key " +
			"(read or change keyed state in ProcessElement or OnTimer)"))
	}
	panic(r)
}

func (o *KeyedBroadcastProcess[K, A, B, O]) Watermark(wm int64) {
	o.Enter()
	o.Base.Watermark(wm)
	o.fire(&o.event, wm, EventTime, o.onTimer)
}

func (o *KeyedBroadcastProcess[K, A, B, O]) OnProcessingTime(now int64) {
	o.Enter()
	o.fire(&o.proc, now, ProcessingTime, o.onTimer)
}

// SnapshotBroadcastState encodes the subtask's broadcast states
// deterministically (see broadcastRegistry.snapshot for the layout): equal
// states give equal bytes, in every subtask.
func (o *KeyedBroadcastProcess[K, A, B, O]) SnapshotBroadcastState() []byte { return o.reg.snapshot() }

// RestoreBroadcastState replaces the broadcast states with a snapshot's.
// Call it before the first element.
func (o *KeyedBroadcastProcess[K, A, B, O]) RestoreBroadcastState(b []byte) error {
	return o.reg.restore(b)
}
