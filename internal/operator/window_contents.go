package operator

import (
	"encoding/binary"
	"fmt"

	"github.com/stromio/strom/codec"
)

// windowContentsTable is the keyed-state table holding window contents
// (namespace = the window's state window, see window_merge.go).
const windowContentsTable = "window-contents"

// WindowContents is how a window operator keeps what a window received:
// an accumulator updated per element (AggregateContents, ReduceContents) or
// the elements themselves (ListContents, required with an evictor). R is
// what the window function receives when the window fires. The contents
// live in keyed state, one entry per key and window.
//
// The methods are unexported: the implementations are the constructors of
// this package.
type WindowContents[T, R any] interface {
	bind(kc *KeyContext, b *Base)
	setNamespace(ns []byte)
	// add adds v and reports whether the window had no contents before.
	add(ts int64, v T) (created bool)
	// get appends what the window function receives to dst; false when
	// the window is empty.
	get(dst []R, w Window) ([]R, bool)
	// afterFire runs after the window function (evict-after).
	afterFire(w Window)
	clear()
	// merge folds the contents of the sources into target and clears them.
	merge(target []byte, sources [][]byte)
}

// aggContents keeps one accumulator per window in a ValueState.
type aggContents[T, ACC, OUT any] struct {
	c       codec.Codec[ACC]
	first   func(v T) ACC
	fold    func(acc ACC, v T) ACC
	addFn   func(v T, acc ACC) ACC // fold's function, one call less (AggregateContentsFuncs)
	reduce  bool                   // ReduceContents: the first element is the accumulator
	mergeFn func(a, b ACC) ACC
	result  func(acc ACC) OUT
	st      *ValueState[ACC]
}

// AggregateContents keeps an accumulator of agg per window, encoded with c
// (codec.For[ACC] when nil); the window function receives agg.Result.
func AggregateContents[T, ACC, OUT any](agg Aggregator[T, ACC, OUT], c codec.Codec[ACC]) WindowContents[T, OUT] {
	if c == nil {
		c = codec.For[ACC]()
	}
	return &aggContents[T, ACC, OUT]{
		c:       c,
		first:   func(v T) ACC { return agg.Add(v, agg.CreateAccumulator()) },
		fold:    func(acc ACC, v T) ACC { return agg.Add(v, acc) },
		mergeFn: agg.Merge,
		result:  agg.Result,
	}
}

// AggregateContentsFuncs is AggregateContents of an aggregator given as
// its functions (create, add, merge, result): an element costs one call of
// add, not a closure, an interface call and add.
func AggregateContentsFuncs[T, ACC, OUT any](create func() ACC, add func(v T, acc ACC) ACC, merge func(a, b ACC) ACC,
	result func(acc ACC) OUT, c codec.Codec[ACC]) WindowContents[T, OUT] {
	if c == nil {
		c = codec.For[ACC]()
	}
	return &aggContents[T, ACC, OUT]{
		c:       c,
		first:   func(v T) ACC { return add(v, create()) },
		fold:    func(acc ACC, v T) ACC { return add(v, acc) },
		addFn:   add,
		mergeFn: merge,
		result:  result,
	}
}

// foldIn is fold, calling addFn directly when there is one.
func (a *aggContents[T, ACC, OUT]) foldIn(acc ACC, v T) ACC {
	if a.addFn != nil {
		return a.addFn(v, acc)
	}
	return a.fold(acc, v)
}

// ReduceContents keeps the running reduction of a window's elements,
// encoded with c (codec.For[T] when nil).
func ReduceContents[T any](reduce func(a, b T) T, c codec.Codec[T]) WindowContents[T, T] {
	if c == nil {
		c = codec.For[T]()
	}
	return &aggContents[T, T, T]{
		c:       c,
		reduce:  true,
		first:   func(v T) T { return v },
		fold:    reduce,
		mergeFn: reduce,
		result:  func(v T) T { return v },
	}
}

func (a *aggContents[T, ACC, OUT]) bind(kc *KeyContext, _ *Base) {
	a.st = NewValueState(kc, windowContentsTable, a.c, TTL{})
}

func (a *aggContents[T, ACC, OUT]) setNamespace(ns []byte) { a.st.SetNamespace(ns) }

func (a *aggContents[T, ACC, OUT]) add(_ int64, v T) bool {
	acc, ok := a.st.Get()
	if ok {
		acc = a.foldIn(acc, v)
	} else {
		acc = a.first(v)
	}
	a.st.Set(acc)
	return !ok
}

func (a *aggContents[T, ACC, OUT]) get(dst []OUT, _ Window) ([]OUT, bool) {
	acc, ok := a.st.Get()
	if !ok {
		return dst, false
	}
	return append(dst, a.result(acc)), true
}

func (a *aggContents[T, ACC, OUT]) afterFire(Window) {}

func (a *aggContents[T, ACC, OUT]) clear() { a.st.Clear() }

// merge folds the sources in order, then the target with the folded
// sources (Flink's heap merging state order).
func (a *aggContents[T, ACC, OUT]) merge(target []byte, sources [][]byte) {
	var acc ACC
	have := false
	for _, ns := range sources {
		a.st.SetNamespace(ns)
		v, ok := a.st.Get()
		if !ok {
			continue
		}
		a.st.Clear()
		if have {
			acc = a.mergeFn(acc, v)
		} else {
			acc, have = v, true
		}
	}
	a.st.SetNamespace(target)
	if !have {
		return
	}
	if t, ok := a.st.Get(); ok {
		acc = a.mergeFn(t, acc)
	}
	a.st.Set(acc)
}

// TimestampedValue is a buffered window element with its timestamp.
type TimestampedValue[T any] struct {
	TS    int64
	Value T
}

// tsCodec encodes a TimestampedValue as 8 bytes of timestamp + the value.
type tsCodec[T any] struct{ c codec.Codec[T] }

func (t tsCodec[T]) Append(dst []byte, v TimestampedValue[T]) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(v.TS))
	return t.c.Append(dst, v.Value)
}

func (t tsCodec[T]) Decode(src []byte) (TimestampedValue[T], error) {
	if len(src) < 8 {
		return TimestampedValue[T]{}, codec.ErrShort
	}
	v, err := t.c.Decode(src[8:])
	return TimestampedValue[T]{TS: int64(binary.BigEndian.Uint64(src)), Value: v}, err
}

// listContents buffers every element of a window (with its timestamp) in a
// ListState; the window function receives them all, after eviction.
type listContents[T any] struct {
	c       codec.Codec[T]
	ev      Evictor
	st      *ListState[TimestampedValue[T]]
	buf     []TimestampedValue[T]
	e       Evictable
	changed bool
	scratch []byte
}

// ListContents buffers the elements of each window, encoded with c
// (codec.For[T] when nil), and applies ev (nil: none) when the window fires.
func ListContents[T any](c codec.Codec[T], ev Evictor) WindowContents[T, T] {
	if c == nil {
		c = codec.For[T]()
	}
	return &listContents[T]{c: c, ev: ev}
}

func (l *listContents[T]) bind(kc *KeyContext, b *Base) {
	l.st = NewListState[TimestampedValue[T]](kc, windowContentsTable, tsCodec[T]{l.c}, TTL{})
	l.e.b = b
	l.e.value = func(i int) any { return l.buf[i].Value }
}

func (l *listContents[T]) setNamespace(ns []byte) { l.st.SetNamespace(ns) }

func (l *listContents[T]) add(ts int64, v T) bool {
	_, ok := l.st.t.Get(l.st.kc.KG, l.st.kc.Key, l.st.ns)
	l.st.Add(TimestampedValue[T]{TS: ts, Value: v})
	return !ok
}

// load decodes the current window's list into l.buf.
func (l *listContents[T]) load() {
	clear(l.buf)
	l.buf = l.buf[:0]
	b, ok := l.st.t.Get(l.st.kc.KG, l.st.kc.Key, l.st.ns)
	if !ok {
		return
	}
	for len(b) >= 4 {
		n := int(binary.BigEndian.Uint32(b))
		if n > len(b)-4 {
			panic(fmt.Errorf("operator: window contents of %q are corrupt", l.st.name))
		}
		l.buf = append(l.buf, mustDecode[TimestampedValue[T]](l.st.c, b[4:4+n], l.st.name))
		b = b[4+n:]
	}
}

// evict runs fn over l.buf and drops what it evicted.
func (l *listContents[T]) evict(w Window, fn func(*Evictable)) {
	l.e.reset(w, len(l.buf))
	for _, v := range l.buf {
		l.e.ts = append(l.e.ts, v.TS)
	}
	fn(&l.e)
	if l.e.n == 0 {
		return
	}
	l.changed = true
	k := 0
	for i, v := range l.buf {
		if !l.e.evicted[i] {
			l.buf[k] = v
			k++
		}
	}
	clear(l.buf[k:])
	l.buf = l.buf[:k]
}

func (l *listContents[T]) get(dst []T, w Window) ([]T, bool) {
	l.load()
	if len(l.buf) == 0 {
		return dst, false
	}
	l.changed = false
	if l.ev != nil {
		l.evict(w, l.ev.EvictBefore)
	}
	for _, v := range l.buf {
		dst = append(dst, v.Value)
	}
	return dst, true
}

func (l *listContents[T]) afterFire(w Window) {
	if l.ev != nil {
		l.evict(w, l.ev.EvictAfter)
	}
	if l.changed {
		l.st.Update(l.buf)
		l.changed = false
	}
	clear(l.buf)
	l.buf = l.buf[:0]
}

func (l *listContents[T]) clear() { l.st.Clear() }

// merge appends the sources' lists to the target's (the encoding is a
// concatenation of length-prefixed elements, so lists concatenate as bytes).
func (l *listContents[T]) merge(target []byte, sources [][]byte) {
	kc, t := l.st.kc, l.st.t
	for _, ns := range sources {
		b, ok := t.Get(kc.KG, kc.Key, ns)
		if !ok {
			continue
		}
		l.scratch = append(l.scratch[:0], b...)
		t.Delete(kc.KG, kc.Key, ns)
		t.Append(kc.KG, kc.Key, target, l.scratch)
	}
	l.st.SetNamespace(target)
}
