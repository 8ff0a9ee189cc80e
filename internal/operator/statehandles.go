package operator

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/state"
)

// TTL configures state time-to-live. A zero TTL keeps entries forever.
// Expiry is in processing time (the runtime clock), as in Flink.
type TTL struct {
	// TTL is how long an entry lives after its last write.
	TTL time.Duration
	// RefreshOnRead also restarts the TTL when the entry is read.
	RefreshOnRead bool
}

// handle is what every typed state handle shares: the table, the key context
// and the current namespace (windows set it; empty otherwise).
type handle struct {
	kc    *KeyContext
	t     state.Table
	ttl   int64 // ms, 0 = none
	rread bool
	ns    []byte
	buf   []byte
}

func newHandle(kc *KeyContext, name string, ttl TTL) handle {
	if kc == nil || kc.Backend == nil {
		panic(fmt.Errorf("operator: keyed state %q used outside a keyed stream (call KeyBy first)", name))
	}
	h := handle{kc: kc, t: kc.Backend.Table(name), ttl: ttl.TTL.Milliseconds(), rread: ttl.RefreshOnRead}
	if h.ttl > 0 {
		kc.addTTLTable(h.t)
	}
	return h
}

// SetNamespace scopes the handle to a namespace (a window); nil clears it.
func (h *handle) SetNamespace(ns []byte) { h.ns = ns }

// get returns the live payload (without TTL prefix) of (key, sub).
func (h *handle) get(key, sub []byte) ([]byte, bool) {
	b, ok := h.t.Get(h.kc.KG, key, sub)
	if !ok || h.ttl == 0 {
		return b, ok
	}
	now := h.kc.Clock.NowMillis()
	if int64(binary.BigEndian.Uint64(b)) <= now {
		h.t.Delete(h.kc.KG, key, sub)
		return nil, false
	}
	if h.rread {
		// A new expiry through Put, never written into b: the backend's
		// bytes may be shared with a pending copy-on-write snapshot.
		v := binary.BigEndian.AppendUint64(h.buf[:0], uint64(now+h.ttl))
		h.put(key, sub, append(v, b[8:]...))
		b, _ = h.t.Get(h.kc.KG, key, sub)
	}
	return b[8:], true
}

// startValue begins an encoded value in h.buf (room for the TTL prefix).
func (h *handle) startValue() []byte {
	if h.ttl == 0 {
		return h.buf[:0]
	}
	return binary.BigEndian.AppendUint64(h.buf[:0], uint64(h.kc.Clock.NowMillis()+h.ttl))
}

func (h *handle) put(key, sub, v []byte) {
	h.buf = v
	h.t.Put(h.kc.KG, key, sub, v)
}

func mustDecode[T any](c codec.Codec[T], b []byte, name string) T {
	v, err := c.Decode(b)
	if err != nil {
		panic(fmt.Errorf("operator: state %q holds undecodable bytes: %w", name, err))
	}
	return v
}

// ValueState holds one value per key (and namespace).
type ValueState[T any] struct {
	handle
	name string
	c    codec.Codec[T]
}

// NewValueState binds a value state named name to the key context.
func NewValueState[T any](kc *KeyContext, name string, c codec.Codec[T], ttl TTL) *ValueState[T] {
	return &ValueState[T]{handle: newHandle(kc, name, ttl), name: name, c: c}
}

// Get returns the value of the current key and whether it is set.
func (s *ValueState[T]) Get() (T, bool) {
	b, ok := s.get(s.kc.Key, s.ns)
	if !ok {
		var zero T
		return zero, false
	}
	return mustDecode(s.c, b, s.name), true
}

// Set stores v for the current key.
func (s *ValueState[T]) Set(v T) { s.put(s.kc.Key, s.ns, s.c.Append(s.startValue(), v)) }

// Clear removes the value of the current key.
func (s *ValueState[T]) Clear() { s.t.Delete(s.kc.KG, s.kc.Key, s.ns) }

// ListState holds a list per key (and namespace). With a TTL the whole list
// expires TTL after its last change.
type ListState[T any] struct {
	handle
	name string
	c    codec.Codec[T]
}

// NewListState binds a list state.
func NewListState[T any](kc *KeyContext, name string, c codec.Codec[T], ttl TTL) *ListState[T] {
	return &ListState[T]{handle: newHandle(kc, name, ttl), name: name, c: c}
}

// Add appends v to the list of the current key.
func (s *ListState[T]) Add(v T) {
	if s.ttl != 0 {
		old, _ := s.get(s.kc.Key, s.ns)
		b := append(s.startValue(), old...)
		s.put(s.kc.Key, s.ns, s.appendElem(b, v))
		return
	}
	s.buf = s.appendElem(s.buf[:0], v)
	s.t.Append(s.kc.KG, s.kc.Key, s.ns, s.buf)
}

func (s *ListState[T]) appendElem(b []byte, v T) []byte {
	n := len(b)
	b = append(b, 0, 0, 0, 0)
	b = s.c.Append(b, v)
	binary.BigEndian.PutUint32(b[n:], uint32(len(b)-n-4))
	return b
}

// Get returns the list of the current key (nil when empty).
func (s *ListState[T]) Get() []T {
	var out []T
	s.Range(func(v T) bool { out = append(out, v); return true })
	return out
}

// Range calls fn for each element in insertion order until it returns false.
func (s *ListState[T]) Range(fn func(T) bool) {
	b, ok := s.get(s.kc.Key, s.ns)
	if !ok {
		return
	}
	for len(b) >= 4 {
		n := int(binary.BigEndian.Uint32(b))
		if n > len(b)-4 {
			panic(fmt.Errorf("operator: list state %q is corrupt", s.name))
		}
		if !fn(mustDecode(s.c, b[4:4+n], s.name)) {
			return
		}
		b = b[4+n:]
	}
}

// Update replaces the list of the current key.
func (s *ListState[T]) Update(vs []T) {
	if len(vs) == 0 {
		s.Clear()
		return
	}
	b := s.startValue()
	for _, v := range vs {
		b = s.appendElem(b, v)
	}
	s.put(s.kc.Key, s.ns, b)
}

// Clear removes the list of the current key.
func (s *ListState[T]) Clear() { s.t.Delete(s.kc.KG, s.kc.Key, s.ns) }

// MapState holds a map per key (and namespace); TTL applies per entry.
type MapState[K comparable, V any] struct {
	handle
	name string
	kc2  codec.Codec[K]
	vc   codec.Codec[V]
	pk   []byte
	kb   []byte
}

// NewMapState binds a map state.
func NewMapState[K comparable, V any](kc *KeyContext, name string, kcodec codec.Codec[K], vcodec codec.Codec[V], ttl TTL) *MapState[K, V] {
	return &MapState[K, V]{handle: newHandle(kc, name, ttl), name: name, kc2: kcodec, vc: vcodec}
}

func (s *MapState[K, V]) primary() []byte {
	if len(s.ns) == 0 {
		return s.kc.Key
	}
	s.pk = binary.AppendUvarint(s.pk[:0], uint64(len(s.kc.Key)))
	s.pk = append(s.pk, s.kc.Key...)
	s.pk = append(s.pk, s.ns...)
	return s.pk
}

// Get returns the value under k for the current key.
func (s *MapState[K, V]) Get(k K) (V, bool) {
	s.kb = s.kc2.Append(s.kb[:0], k)
	b, ok := s.get(s.primary(), s.kb)
	if !ok {
		var zero V
		return zero, false
	}
	return mustDecode(s.vc, b, s.name), true
}

// Put stores v under k for the current key.
func (s *MapState[K, V]) Put(k K, v V) {
	s.kb = s.kc2.Append(s.kb[:0], k)
	s.put(s.primary(), s.kb, s.vc.Append(s.startValue(), v))
}

// Remove deletes k for the current key.
func (s *MapState[K, V]) Remove(k K) {
	s.kb = s.kc2.Append(s.kb[:0], k)
	s.t.Delete(s.kc.KG, s.primary(), s.kb)
}

// Contains reports whether k is present for the current key.
func (s *MapState[K, V]) Contains(k K) bool {
	s.kb = s.kc2.Append(s.kb[:0], k)
	_, ok := s.get(s.primary(), s.kb)
	return ok
}

// Range calls fn for each live entry of the current key until it returns
// false. The order is unspecified. fn must not modify this state.
func (s *MapState[K, V]) Range(fn func(K, V) bool) {
	var now int64
	if s.ttl != 0 { // the clock only for TTL: a clock read per Range shows in profiles
		now = s.kc.Clock.NowMillis()
	}
	s.t.ScanKey(s.kc.KG, s.primary(), func(sub, val []byte) bool {
		if s.ttl != 0 {
			if int64(binary.BigEndian.Uint64(val)) <= now {
				return true
			}
			val = val[8:]
		}
		return fn(mustDecode(s.kc2, sub, s.name), mustDecode(s.vc, val, s.name))
	})
}

// Len is the number of live entries of the current key.
func (s *MapState[K, V]) Len() int {
	n := 0
	s.Range(func(K, V) bool { n++; return true })
	return n
}

// Clear removes every entry of the current key.
func (s *MapState[K, V]) Clear() { s.t.DeleteKey(s.kc.KG, s.primary()) }

// ReducingState folds added values with a reduce function.
type ReducingState[T any] struct {
	ValueState[T]
	reduce func(a, b T) T
}

// NewReducingState binds a reducing state.
func NewReducingState[T any](kc *KeyContext, name string, c codec.Codec[T], reduce func(a, b T) T, ttl TTL) *ReducingState[T] {
	return &ReducingState[T]{ValueState: ValueState[T]{handle: newHandle(kc, name, ttl), name: name, c: c}, reduce: reduce}
}

// Add folds v into the current key's value.
func (s *ReducingState[T]) Add(v T) {
	if old, ok := s.ValueState.Get(); ok {
		v = s.reduce(old, v)
	}
	s.ValueState.Set(v)
}

// Aggregator is an incremental aggregation: an accumulator created empty,
// values added to it, accumulators merged, and a result. Merge(a, b) must
// give what adding b's values to a would (consistent with Add, as Flink's
// combinable aggregates): session windows merge with it, and the window
// buffer of tumbling and sliding event-time windows (for stream's
// AggregatorFuncs with a MergeFn, and reductions, whose reduce must then be
// associative) folds the accumulator it kept in memory into the one in
// state with it when a checkpoint came in the middle of a window, so with
// a Merge that is not (float sums) a window's result depends on where
// checkpoints fell (DESIGN §5, invariants 7 and 18).
type Aggregator[IN, ACC, OUT any] interface {
	CreateAccumulator() ACC
	Add(v IN, acc ACC) ACC
	Merge(a, b ACC) ACC
	Result(acc ACC) OUT
}

// AggregatingState keeps an accumulator per key (and namespace).
type AggregatingState[IN, ACC, OUT any] struct {
	acc ValueState[ACC]
	agg Aggregator[IN, ACC, OUT]
}

// NewAggregatingState binds an aggregating state.
func NewAggregatingState[IN, ACC, OUT any](kc *KeyContext, name string, c codec.Codec[ACC], agg Aggregator[IN, ACC, OUT], ttl TTL) *AggregatingState[IN, ACC, OUT] {
	return &AggregatingState[IN, ACC, OUT]{acc: ValueState[ACC]{handle: newHandle(kc, name, ttl), name: name, c: c}, agg: agg}
}

// SetNamespace scopes the state to a namespace (a window).
func (s *AggregatingState[IN, ACC, OUT]) SetNamespace(ns []byte) { s.acc.SetNamespace(ns) }

// Add adds v to the current key's accumulator.
func (s *AggregatingState[IN, ACC, OUT]) Add(v IN) {
	acc, ok := s.acc.Get()
	if !ok {
		acc = s.agg.CreateAccumulator()
	}
	s.acc.Set(s.agg.Add(v, acc))
}

// Get returns the current result and whether anything was added.
func (s *AggregatingState[IN, ACC, OUT]) Get() (OUT, bool) {
	acc, ok := s.acc.Get()
	if !ok {
		var zero OUT
		return zero, false
	}
	return s.agg.Result(acc), true
}

// Accumulator returns the raw accumulator.
func (s *AggregatingState[IN, ACC, OUT]) Accumulator() (ACC, bool) { return s.acc.Get() }

// SetAccumulator replaces the raw accumulator.
func (s *AggregatingState[IN, ACC, OUT]) SetAccumulator(acc ACC) { s.acc.Set(acc) }

// Clear removes the current key's accumulator.
func (s *AggregatingState[IN, ACC, OUT]) Clear() { s.acc.Clear() }
