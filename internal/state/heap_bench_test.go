package state

import (
	"encoding/binary"
	"testing"

	"github.com/stromio/strom/internal/base"
)

// BenchmarkHeapInsert puts 1 M new keys (16-byte values) over 128 key
// groups into an empty heap backend: the per-record cost of state that only
// grows (Nexmark q9's join state).
func BenchmarkHeapInsert(b *testing.B) {
	key, val := make([]byte, 8), make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		h := NewHeap(base.KeyGroupRange{Start: 0, End: 128})
		t := h.Table("t")
		for i := range 1 << 20 {
			binary.BigEndian.PutUint64(key, uint64(i))
			t.Put(i%128, key, nil, val)
		}
	}
}

// BenchmarkHeapUpdate reads and rewrites the value of 100 k existing keys
// (a Get then a Put of the same size, as a value state does per record).
func BenchmarkHeapUpdate(b *testing.B) {
	h := NewHeap(base.KeyGroupRange{Start: 0, End: 128})
	t := h.Table("t")
	key, val := make([]byte, 8), make([]byte, 16)
	const n = 100_000
	for i := range n {
		binary.BigEndian.PutUint64(key, uint64(i))
		t.Put(i%128, key, nil, val)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		binary.BigEndian.PutUint64(key, uint64(i))
		v, _ := t.Get(i%128, key, nil)
		val[0] = v[0] + 1
		t.Put(i%128, key, nil, val)
		i = (i + 7919) % n
	}
}

// BenchmarkHeapAppendList appends 200-byte elements to the lists of 1000
// keys in turn, 16 to each before it makes way for a new key (a join
// side's state: Nexmark q20's bids per auction).
func BenchmarkHeapAppendList(b *testing.B) {
	key, val := make([]byte, 8), make([]byte, 200)
	b.ReportAllocs()
	for b.Loop() {
		h := NewHeap(base.KeyGroupRange{Start: 0, End: 128})
		t := h.Table("t")
		for i := range 1 << 18 {
			k := i%1000 + i/16000*1000
			binary.BigEndian.PutUint64(key, uint64(k))
			t.Append(k%128, key, nil, val)
		}
	}
}
