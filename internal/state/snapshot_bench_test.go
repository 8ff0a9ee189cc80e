package state

import (
	"encoding/binary"
	"testing"

	"github.com/stromio/strom/internal/base"
)

// benchSnapshotHeap is a heap backend over 128 key groups with a value
// table (200 k keys, 64-byte values) and a map table (20 k keys with 20
// subs each: the map layout of heapEntry), about 30 MiB of state.
func benchSnapshotHeap() *Heap {
	h := NewHeap(base.KeyGroupRange{Start: 0, End: 128})
	v, m := h.Table("value"), h.Table("map")
	key := make([]byte, 8)
	val := make([]byte, 64)
	for i := range 200_000 {
		binary.BigEndian.PutUint64(key, uint64(i))
		v.Put(i%128, key, nil, val)
	}
	sub := make([]byte, 8)
	for i := range 20_000 {
		binary.BigEndian.PutUint64(key, uint64(i))
		for j := range 20 {
			binary.BigEndian.PutUint64(sub, uint64(j))
			m.Put(i%128, key, sub, val[:16])
		}
	}
	return h
}

// BenchmarkAppendGroup serialises every key group of a heap backend, as the
// synchronous part of a checkpoint does (internal/task: one AppendGroup per
// key group into a scratch buffer reused across groups).
func BenchmarkAppendGroup(b *testing.B) {
	h := benchSnapshotHeap()
	var scratch []byte
	size := 0
	for kg := range 128 {
		size += len(AppendGroup(nil, h, kg))
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for kg := range 128 {
			scratch = AppendGroup(scratch[:0], h, kg)
		}
	}
}
