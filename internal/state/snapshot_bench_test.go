package state

import (
	"encoding/binary"
	"syscall"
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

// BenchmarkAppendDelta serialises the delta of every key group of a heap
// whose changes are scattered over a state much larger than the CPU caches,
// as q9's: 300 k keys, each with a 200-byte value in one table and 5 subs
// of 8 bytes in another (written one sub at a time, so each sub has
// allocations of its own). Between two incremental snapshots every other
// key's subs are rewritten, in an order unrelated to where the entries
// live; the second snapshot's delta (150 k entries per table) is what is
// timed, read many times (the 300 MB of state do not fit a cache).
func BenchmarkAppendDelta(b *testing.B) {
	const keys = 300_000
	h := NewHeap(base.KeyGroupRange{Start: 0, End: 128})
	val, meta := h.Table("auction"), h.Table("meta")
	key := make([]byte, 8)
	big := make([]byte, 200)
	small := make([]byte, 8)
	kg := func(i int) int { return int(uint64(i)*0x9E3779B97F4A7C15>>32) % 128 }
	for i := range keys {
		binary.BigEndian.PutUint64(key, uint64(i))
		for s := range 5 {
			meta.Put(kg(i), key, []byte{byte(s)}, small)
		}
		val.Put(kg(i), key, nil, big)
	}
	h.SnapshotIncremental().Release() // tracking starts
	for j := range keys / 2 {
		i := int(uint64(j) * 2654435761 % keys) // scattered
		binary.BigEndian.PutUint64(key, uint64(i))
		binary.BigEndian.PutUint64(small, uint64(j))
		for s := range 5 {
			meta.Put(kg(i), key, []byte{byte(s)}, small)
		}
		val.Put(kg(i), key, nil, big)
	}
	s := h.SnapshotIncremental()
	defer s.Release()
	var scratch []byte
	size := 0
	for g := range 128 {
		size += len(s.AppendDelta(nil, g))
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		for g := range 128 {
			scratch = s.AppendDelta(scratch[:0], g)
		}
	}
	// CPU time as well as wall time: on a shared machine the wall time
	// includes the time the benchmark waited for a core.
	b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
}

// processCPU is the CPU time (user + system) of the process in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkTrackedUpdates is the owning goroutine's side of change
// tracking between incremental checkpoints: an interval of 100 k updates
// of existing keys (scattered over 128 key groups, each written in place)
// followed by an incremental snapshot, serialised and released before the
// next interval as an uploader would. Each touched entry goes into its key
// group's dirty list; the lists a released snapshot held are reused by the
// next interval (Heap.recycle) instead of being grown from nothing.
func BenchmarkTrackedUpdates(b *testing.B) {
	const keys, updates = 200_000, 100_000
	h := NewHeap(base.KeyGroupRange{Start: 0, End: 128})
	t := h.Table("value")
	key := make([]byte, 8)
	val := make([]byte, 16)
	kg := func(i int) int { return int(uint64(i)*0x9E3779B97F4A7C15>>32) % 128 }
	for i := range keys {
		binary.BigEndian.PutUint64(key, uint64(i))
		t.Put(kg(i), key, nil, val)
	}
	h.SnapshotIncremental().Release() // tracking starts
	var scratch []byte
	b.ReportAllocs()
	cpu0 := processCPU()
	n := 0
	for b.Loop() {
		for j := range updates {
			i := int(uint64(n*updates+j) * 2654435761 % keys)
			binary.BigEndian.PutUint64(key, uint64(i))
			binary.BigEndian.PutUint64(val, uint64(j))
			t.Put(kg(i), key, nil, val)
		}
		n++
		s := h.SnapshotIncremental()
		for g := range 128 {
			scratch = s.AppendDelta(scratch[:0], g)
		}
		s.Release()
	}
	b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
}

// BenchmarkAppendDeltaQ9 is the delta of the DataStream q9's state between
// two 1-second checkpoints (internal/nexmark/q9.go): per auction a record
// ("q9-rec", 16 bytes, 40 with a winner) and a row of about 490 bytes
// ("q9-auction"), keyed by auction id over 128 key groups. 600 k auctions
// exist before the interval; in it 60 k new ones come (both entries new,
// allocated in arrival order as the job allocates them) and every other
// one gives a recent auction a new winner (its record rewritten). The
// delta (about 32 MB) is what is timed.
func BenchmarkAppendDeltaQ9(b *testing.B) {
	const old, fresh = 600_000, 60_000
	h := NewHeap(base.KeyGroupRange{Start: 0, End: 128})
	rec, row := h.Table("q9-rec"), h.Table("q9-auction")
	key := make([]byte, 8)
	r40 := make([]byte, 40)
	r490 := make([]byte, 490)
	kg := func(i int) int { return int(uint64(i)*0x9E3779B97F4A7C15>>32) % 128 }
	add := func(i int) {
		binary.BigEndian.PutUint64(key, uint64(i))
		row.Put(kg(i), key, nil, r490)
		rec.Put(kg(i), key, nil, r40[:16])
	}
	for i := range old {
		add(i)
	}
	h.SnapshotIncremental().Release() // tracking starts
	for j := range fresh {
		add(old + j)
		if j%2 == 1 { // a winner for one of the last 5,000 auctions
			i := old + j - 1 - int(uint64(j)*2654435761%uint64(min(j, 5000)))
			binary.BigEndian.PutUint64(key, uint64(i))
			binary.BigEndian.PutUint64(r40[16:], uint64(j))
			rec.Put(kg(i), key, nil, r40)
		}
	}
	s := h.SnapshotIncremental()
	defer s.Release()
	var scratch []byte
	size := 0
	for g := range 128 {
		size += len(s.AppendDelta(nil, g))
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		for g := range 128 {
			scratch = s.AppendDelta(scratch[:0], g)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
}
