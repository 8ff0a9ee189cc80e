package state

import (
	"strconv"
	"unsafe"

	"github.com/stromio/strom/internal/base"
)

// Heap is the in-memory backend: per table and key group a Go map from key to
// its subs. Keys with few subs keep them in a slice; many subs switch to a map.
type Heap struct {
	kgs    base.KeyGroupRange
	tables map[string]*heapTable
	names  []string
	size   int64
}

// NewHeap returns an empty heap backend for the key groups kgs.
func NewHeap(kgs base.KeyGroupRange) *Heap {
	return &Heap{kgs: kgs, tables: map[string]*heapTable{}}
}

func (h *Heap) Table(name string) Table {
	if t, ok := h.tables[name]; ok {
		return t
	}
	t := &heapTable{h: h, groups: make([]map[string]*heapEntry, h.kgs.Len()), groupN: make([]int, h.kgs.Len())}
	h.tables[name] = t
	h.names = append(h.names, name)
	return t
}

func (h *Heap) TableNames() []string          { return append([]string(nil), h.names...) }
func (h *Heap) KeyGroups() base.KeyGroupRange { return h.kgs }
func (h *Heap) SizeBytes() int64              { return h.size }

const subMapThreshold = 8

type subValue struct {
	sub, value []byte
}

type heapEntry struct {
	key  string
	subs []subValue        // used while small
	m    map[string][]byte // used once len > subMapThreshold
}

func (e *heapEntry) len() int {
	if e.m != nil {
		return len(e.m)
	}
	return len(e.subs)
}

type heapTable struct {
	h      *Heap
	groups []map[string]*heapEntry
	n      int
	// groupN is the number of (key, sub) entries per key group (n is their
	// sum): a snapshot writes it before the entries without a counting pass.
	groupN []int
	// last is the entry of the previous lookup: a read-modify-write of one
	// key (Get then Put) hashes and probes the map once.
	last   *heapEntry
	lastKG int
}

// entry returns the entry of key in kg, or nil.
func (t *heapTable) entry(kg int, key []byte) *heapEntry {
	if e := t.last; e != nil && t.lastKG == kg && e.key == string(key) {
		return e
	}
	e := t.group(kg, false)[string(key)]
	if e != nil {
		t.last, t.lastKG = e, kg
	}
	return e
}

func (t *heapTable) forget(e *heapEntry) {
	if t.last == e {
		t.last = nil
	}
}

func (t *heapTable) group(kg int, create bool) map[string]*heapEntry {
	i := kg - t.h.kgs.Start
	if i < 0 || i >= len(t.groups) {
		panic("state: key group " + strconv.Itoa(kg) + " outside " + t.h.kgs.String())
	}
	g := t.groups[i]
	if g == nil && create {
		g = make(map[string]*heapEntry)
		t.groups[i] = g
	}
	return g
}

func (t *heapTable) Get(kg int, key, sub []byte) ([]byte, bool) {
	e := t.entry(kg, key)
	if e == nil {
		return nil, false
	}
	if e.m != nil {
		v, ok := e.m[string(sub)]
		return v, ok
	}
	for i := range e.subs {
		if string(e.subs[i].sub) == string(sub) {
			return e.subs[i].value, true
		}
	}
	return nil, false
}

func (t *heapTable) Put(kg int, key, sub, value []byte) {
	e := t.entry(kg, key)
	if e == nil {
		g := t.group(kg, true)
		e = &heapEntry{key: string(key)}
		g[e.key] = e
		t.last, t.lastKG = e, kg
		t.h.size += int64(len(key)) + 48
	}
	if e.m != nil {
		old, ok := e.m[string(sub)]
		if ok && cap(old) >= len(value) {
			t.h.size += int64(len(value) - len(old))
			e.m[string(sub)] = append(old[:0], value...)
			return
		}
		if !ok {
			t.add(kg, 1)
			t.h.size += int64(len(sub))
		}
		t.h.size += int64(len(value) - len(old))
		e.m[string(sub)] = append([]byte(nil), value...)
		return
	}
	for i := range e.subs {
		sv := &e.subs[i]
		if string(sv.sub) == string(sub) {
			t.h.size += int64(len(value) - len(sv.value))
			sv.value = append(sv.value[:0], value...)
			return
		}
	}
	t.add(kg, 1)
	t.h.size += int64(len(sub) + len(value))
	if len(e.subs) < subMapThreshold {
		e.subs = append(e.subs, subValue{sub: append([]byte(nil), sub...), value: append([]byte(nil), value...)})
		return
	}
	e.m = make(map[string][]byte, len(e.subs)+1)
	for _, sv := range e.subs {
		e.m[string(sv.sub)] = sv.value
	}
	e.subs = nil
	e.m[string(sub)] = append([]byte(nil), value...)
}

func (t *heapTable) Append(kg int, key, sub, value []byte) {
	if e := t.entry(kg, key); e != nil {
		if e.m != nil {
			if old, ok := e.m[string(sub)]; ok {
				e.m[string(sub)] = append(old, value...)
				t.h.size += int64(len(value))
				return
			}
		} else {
			for i := range e.subs {
				if string(e.subs[i].sub) == string(sub) {
					e.subs[i].value = append(e.subs[i].value, value...)
					t.h.size += int64(len(value))
					return
				}
			}
		}
	}
	t.Put(kg, key, sub, value)
}

func (t *heapTable) Delete(kg int, key, sub []byte) {
	e := t.entry(kg, key)
	if e == nil {
		return
	}
	if e.m != nil {
		if old, ok := e.m[string(sub)]; ok {
			delete(e.m, string(sub))
			t.add(kg, -1)
			t.h.size -= int64(len(sub) + len(old))
		}
	} else {
		for i := range e.subs {
			if string(e.subs[i].sub) == string(sub) {
				t.h.size -= int64(len(sub) + len(e.subs[i].value))
				last := len(e.subs) - 1
				e.subs[i] = e.subs[last]
				e.subs[last] = subValue{}
				e.subs = e.subs[:last]
				t.add(kg, -1)
				break
			}
		}
	}
	if e.len() == 0 {
		delete(t.group(kg, false), e.key)
		t.forget(e)
		t.h.size -= int64(len(e.key)) + 48
	}
}

func (t *heapTable) DeleteKey(kg int, key []byte) {
	e := t.entry(kg, key)
	if e == nil {
		return
	}
	t.ScanKey(kg, key, func(sub, value []byte) bool {
		t.add(kg, -1)
		t.h.size -= int64(len(sub) + len(value))
		return true
	})
	delete(t.group(kg, false), e.key)
	t.forget(e)
	t.h.size -= int64(len(e.key)) + 48
}

func (t *heapTable) ScanKey(kg int, key []byte, fn func(sub, value []byte) bool) {
	e := t.entry(kg, key)
	if e == nil {
		return
	}
	scanEntry(e, fn)
}

func scanEntry(e *heapEntry, fn func(sub, value []byte) bool) bool {
	if e.m != nil {
		for s, v := range e.m {
			if !fn([]byte(s), v) {
				return false
			}
		}
		return true
	}
	for _, sv := range e.subs {
		if !fn(sv.sub, sv.value) {
			return false
		}
	}
	return true
}

func (t *heapTable) ScanGroup(kg int, fn func(key, sub, value []byte) bool) {
	for k, e := range t.group(kg, false) {
		// A read-only view of the map key: fn must not keep or modify it.
		kb := unsafe.Slice(unsafe.StringData(k), len(k))
		if !scanEntry(e, func(sub, value []byte) bool { return fn(kb, sub, value) }) {
			return
		}
	}
}

func (t *heapTable) GroupKeys(kg int, dst []string) []string {
	for k := range t.group(kg, false) {
		dst = append(dst, k)
	}
	return dst
}

func (t *heapTable) Len() int { return t.n }

// add counts d more entries in key group kg.
func (t *heapTable) add(kg, d int) {
	t.n += d
	t.groupN[kg-t.h.kgs.Start] += d
}
