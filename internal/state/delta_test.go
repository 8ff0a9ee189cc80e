package state

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/stromio/strom/internal/base"
)

// TestHeapDeltaModel: random mutations (puts, appends, deletes of subs and
// keys, enough subs to switch a key to the map layout) interleaved with
// incremental snapshots, each serialised later (after more mutations, so
// copy-on-write is in play) or at once. The first snapshot's full bytes,
// with the deltas of every later snapshot applied in order, must give
// exactly what the full serialisation of the latest snapshot gives, and
// what the model held when it was taken. Chains restart at random (a full
// base, as after a failed checkpoint) and are restored into heaps of a
// narrower key-group range too (rescaling).
func TestHeapDeltaModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kgs := base.KeyGroupRange{Start: 4, End: 8}
		h := NewHeap(kgs)
		names := []string{"a", "b", "c"}
		model := map[string]string{}
		id := func(tb string, kg int, k, s string) string { return fmt.Sprintf("%s|%d|%s|%s", tb, kg, k, s) }
		keys := []string{"a", "b", "long-key-c", strings.Repeat("k", 28), strings.Repeat("l", 60)}
		type link struct {
			full   map[int][]byte // key group -> AppendGroup bytes
			deltas map[int][]byte // key group -> AppendDelta bytes (nil: a base)
		}
		var chain []link
		var pending *HeapSnapshot
		var pendingWant map[string]string
		serialise := func() {
			s := pending
			l := link{full: map[int][]byte{}}
			if s.HasDelta() && len(chain) > 0 {
				l.deltas = map[int][]byte{}
			}
			for kg := kgs.Start; kg < kgs.End; kg++ {
				l.full[kg] = s.AppendGroup(nil, kg)
				if l.deltas != nil {
					l.deltas[kg] = s.AppendDelta(nil, kg)
				}
			}
			s.Release()
			if l.deltas == nil {
				chain = chain[:0]
			}
			chain = append(chain, l)
			pending = nil
			// Restore base + deltas, over the whole range and over a part.
			for _, r := range []base.KeyGroupRange{kgs, {Start: 5, End: 7}} {
				got, want := NewHeap(r), NewHeap(r)
				for kg := r.Start; kg < r.End; kg++ {
					if err := RestoreGroup(want, kg, l.full[kg]); err != nil {
						t.Fatal(err)
					}
					if err := RestoreGroup(got, kg, chain[0].full[kg]); err != nil {
						t.Fatal(err)
					}
					for _, d := range chain[1:] {
						if err := RestoreGroup(got, kg, d.deltas[kg]); err != nil {
							t.Fatal(err)
						}
					}
				}
				if g, w := fmt.Sprint(sorted(heapContents(got))), fmt.Sprint(sorted(heapContents(want))); g != w {
					t.Fatalf("chain of %d links, key groups %s:\n got %s\nwant %s", len(chain), r, g, w)
				}
				// RestoreChain (newest first, each key written once) gives
				// the same entries, tables and size estimate.
				fast := NewHeap(r)
				for kg := r.Start; kg < r.End; kg++ {
					links := [][]byte{chain[0].full[kg]}
					for _, d := range chain[1:] {
						links = append(links, d.deltas[kg])
					}
					if err := RestoreChain(fast, kg, links); err != nil {
						t.Fatal(err)
					}
				}
				if g, w := fmt.Sprint(sorted(heapContents(fast))), fmt.Sprint(sorted(heapContents(got))); g != w {
					t.Fatalf("RestoreChain of %d links, key groups %s:\n got %s\nwant %s", len(chain), r, g, w)
				}
				// (The tables are the same; the order in which they were
				// created, which orders only their serialisation, may differ.)
				if g, w := fmt.Sprint(slices.Sorted(slices.Values(fast.TableNames()))), fmt.Sprint(slices.Sorted(slices.Values(got.TableNames()))); g != w {
					t.Fatalf("RestoreChain tables %s, in order %s", g, w)
				}
				if g, w := fast.SizeBytes(), got.SizeBytes(); g != w {
					t.Fatalf("RestoreChain size estimate %d, in order %d", g, w)
				}
				if r == kgs {
					if g, w := fmt.Sprint(sorted(heapContents(got))), fmt.Sprint(sorted(pendingWant)); g != w {
						t.Fatalf("restored chain differs from the model at the snapshot:\n got %s\nwant %s", g, w)
					}
				}
			}
		}
		for i := range rapid.IntRange(1, 300).Draw(t, "ops") {
			name := rapid.SampledFrom(names).Draw(t, fmt.Sprint("t", i))
			tb := h.Table(name)
			kg := rapid.IntRange(kgs.Start, kgs.End-1).Draw(t, fmt.Sprint("kg", i))
			k := rapid.SampledFrom(keys).Draw(t, fmt.Sprint("k", i))
			sub := fmt.Sprint(rapid.IntRange(0, 11).Draw(t, fmt.Sprint("s", i)))
			v := rapid.StringN(0, 6, -1).Draw(t, fmt.Sprint("v", i))
			switch op := rapid.IntRange(0, 9).Draw(t, fmt.Sprint("op", i)); {
			case op < 4:
				tb.Put(kg, []byte(k), []byte(sub), []byte(v))
				model[id(name, kg, k, sub)] = v
			case op == 4:
				tb.Append(kg, []byte(k), []byte(sub), []byte(v))
				model[id(name, kg, k, sub)] += v
			case op == 5:
				tb.Delete(kg, []byte(k), []byte(sub))
				delete(model, id(name, kg, k, sub))
			case op == 6:
				tb.DeleteKey(kg, []byte(k))
				for s := range 12 {
					delete(model, id(name, kg, k, fmt.Sprint(s)))
				}
			case op == 7 && pending == nil:
				if rapid.IntRange(0, 5).Draw(t, fmt.Sprint("restart", i)) == 0 {
					chain = chain[:0] // the chain is broken: the next link is a base
				}
				pending = h.SnapshotIncremental()
				pendingWant = map[string]string{}
				for k, v := range model {
					pendingWant[k] = v
				}
				if rapid.Bool().Draw(t, fmt.Sprint("now", i)) {
					serialise()
				}
			case op >= 8 && pending != nil:
				serialise()
			}
		}
		if pending != nil {
			serialise()
		}
	})
}

// TestHeapDeltaTrackingLimit: a backend whose changes between two snapshots
// outgrow the limit stops tracking them: the next snapshot has no delta
// (a full one is written), the one after has one again.
func TestHeapDeltaTrackingLimit(t *testing.T) {
	h := NewHeap(base.KeyGroupRange{Start: 0, End: 1})
	tb := h.Table("t")
	if s := h.SnapshotIncremental(); s.HasDelta() {
		t.Fatal("the first snapshot has a delta")
	} else {
		s.Release()
	}
	s := h.SnapshotIncremental()
	if !s.HasDelta() {
		t.Fatal("the second snapshot has no delta")
	}
	s.Release()
	for i := range 1<<16 + 10 {
		tb.Put(0, fmt.Append(nil, i), nil, []byte("v"))
	}
	if s := h.SnapshotIncremental(); s.HasDelta() {
		t.Fatal("a delta past the tracking limit")
	} else {
		s.Release()
	}
	tb.Put(0, []byte("x"), nil, []byte("v"))
	s = h.SnapshotIncremental()
	defer s.Release()
	if !s.HasDelta() {
		t.Fatal("tracking did not resume")
	}
	got := NewHeap(base.KeyGroupRange{Start: 0, End: 1})
	if err := RestoreGroup(got, 0, s.AppendDelta(nil, 0)); err != nil {
		t.Fatal(err)
	}
	if c := heapContents(got); len(c) != 1 || c["t|0|x|"] != "v" {
		t.Fatalf("delta = %v", c)
	}
}

// TestDeltaCorrupt: a truncated or padded delta is refused.
func TestDeltaCorrupt(t *testing.T) {
	h := NewHeap(base.KeyGroupRange{Start: 0, End: 1})
	h.SnapshotIncremental().Release()
	h.Table("t").Put(0, []byte("k"), []byte("s"), []byte("value"))
	h.Table("t").Put(0, []byte("gone"), nil, nil)
	h.Table("t").DeleteKey(0, []byte("gone"))
	s := h.SnapshotIncremental()
	d := s.AppendDelta(nil, 0)
	s.Release()
	for n := 1; n < len(d); n++ {
		if err := RestoreGroup(NewHeap(base.KeyGroupRange{Start: 0, End: 1}), 0, d[:n]); err == nil {
			t.Fatalf("delta truncated to %d of %d bytes accepted", n, len(d))
		}
	}
	if err := RestoreGroup(NewHeap(base.KeyGroupRange{Start: 0, End: 1}), 0, append(d, 0)); err == nil {
		t.Fatal("delta with a junk byte accepted")
	}
}

// TestHeapDeltaConcurrent (run it with -race): the delta of a snapshot is
// serialised on another goroutine while the owner goes on mutating (the
// same entries, lists and values); base + delta must give the state at the
// snapshot.
func TestHeapDeltaConcurrent(t *testing.T) {
	kgs := base.KeyGroupRange{Start: 0, End: 16}
	h := NewHeap(kgs)
	v, l, m := h.Table("value"), h.Table("list"), h.Table("map")
	key, sub := make([]byte, 8), make([]byte, 8)
	mutate := func(round, n int) {
		for i := range n {
			binary.BigEndian.PutUint64(key, uint64(i))
			kg := i % 16
			v.Put(kg, key, nil, fmt.Appendf(nil, "v%d-%d", round, i))
			l.Append(kg, key, nil, []byte{byte(round)})
			binary.BigEndian.PutUint64(sub, uint64(round%20))
			m.Put(kg, key, sub, fmt.Appendf(nil, "m%d", round))
			if i%7 == round%7 {
				m.Delete(kg, key, sub)
				l.DeleteKey(kg, key)
			}
		}
	}
	for round := range 10 {
		mutate(round, 2000)
	}
	s1 := h.SnapshotIncremental()
	restored := NewHeap(kgs)
	for kg := kgs.Start; kg < kgs.End; kg++ {
		if err := RestoreGroup(restored, kg, s1.AppendGroup(nil, kg)); err != nil {
			t.Fatal(err)
		}
	}
	s1.Release()
	for round := 10; round < 20; round++ {
		mutate(round, 1500)
	}
	want := heapContents(h)
	s2 := h.SnapshotIncremental()
	if !s2.HasDelta() {
		t.Fatal("no delta")
	}
	deltas := map[int][]byte{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for kg := kgs.Start; kg < kgs.End; kg++ {
			deltas[kg] = s2.AppendDelta(nil, kg)
		}
		s2.Release()
	}()
	for round := 20; round < 30; round++ {
		mutate(round, 2000)
	}
	wg.Wait()
	for kg := kgs.Start; kg < kgs.End; kg++ {
		if err := RestoreGroup(restored, kg, deltas[kg]); err != nil {
			t.Fatal(err)
		}
	}
	got := heapContents(restored)
	if len(got) != len(want) {
		t.Fatalf("base + delta has %d entries, want %d", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Fatalf("base + delta %s = %q, want %q", k, got[k], w)
		}
	}
}

// TestHeapDeltaRecycledLists: the change lists of a released snapshot are
// handed, cleared, to the tables at the next snapshot (Heap.recycle): the
// tables then fill lists that already have room, no stale entry of an
// earlier interval shows in a later delta, and a snapshot still pending
// keeps its own lists.
func TestHeapDeltaRecycledLists(t *testing.T) {
	h := NewHeap(base.KeyGroupRange{Start: 0, End: 2})
	tb := h.Table("t")
	put := func(k string, v string) { tb.Put(0, []byte(k), nil, []byte(v)) }
	h.SnapshotIncremental().Release()
	for i := range 100 {
		put(fmt.Sprint("k", i), "v1")
	}
	s1 := h.SnapshotIncremental()
	d1 := s1.AppendDelta(nil, 0)
	s1.Release()
	put("x", "v2") // no spare yet at s1: a list grown from nil
	s2 := h.SnapshotIncremental()
	ht := h.tables["t"]
	if c := cap(ht.dirty[0]); c < 100 {
		t.Fatalf("dirty list after a released snapshot has capacity %d, want s1's (>= 100)", c)
	}
	if l := len(ht.dirty[0]); l != 0 {
		t.Fatalf("recycled dirty list has %d entries", l)
	}
	for _, e := range ht.dirty[0][:cap(ht.dirty[0])] {
		if e != nil {
			t.Fatal("recycled dirty list keeps an entry")
		}
	}
	put("y", "v3") // s2 pending: goes into the recycled list
	d2 := s2.AppendDelta(nil, 0)
	s2.Release()
	s3 := h.SnapshotIncremental()
	d3 := s3.AppendDelta(nil, 0)
	s3.Release()
	// Each delta holds its interval's writes only.
	for _, c := range []struct {
		d    []byte
		want []string
	}{{d1, []string{"k0", "k99"}}, {d2, []string{"x"}}, {d3, []string{"y"}}} {
		got := NewHeap(base.KeyGroupRange{Start: 0, End: 2})
		if err := RestoreGroup(got, 0, c.d); err != nil {
			t.Fatal(err)
		}
		m := heapContents(got)
		for _, k := range c.want {
			found := false
			for id := range m {
				if strings.Contains(id, "|"+k+"|") {
					found = true
				}
			}
			if !found {
				t.Fatalf("delta lacks %s: %v", k, sorted(m))
			}
		}
		if c.want[0] != "k0" && len(m) != 1 {
			t.Fatalf("delta of one write holds %d entries: %v", len(m), sorted(m))
		}
	}
}
