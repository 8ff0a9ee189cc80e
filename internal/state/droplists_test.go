package state

import (
	"encoding/binary"
	"fmt"
	"sync"
	"testing"

	"github.com/stromio/strom/internal/base"
)

// TestHeapDropListsConcurrent (run it with -race): a snapshot serialised as
// a delta drops its lists first (as the uploader does), so the owner writes
// list slots in place while it goes on mutating; meanwhile the owner takes a
// second snapshot, serialised in full on a third goroutine, whose lists must
// still be copied. Base + delta must give the state at the first snapshot,
// and the full serialisation the state at the second.
func TestHeapDropListsConcurrent(t *testing.T) {
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
				v.DeleteKey(kg, key)
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
	want2 := heapContents(h)
	s2 := h.SnapshotIncremental()
	if !s2.HasDelta() {
		t.Fatal("no delta")
	}
	deltas := map[int][]byte{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s2.DropLists()
		for kg := kgs.Start; kg < kgs.End; kg++ {
			deltas[kg] = s2.AppendDelta(nil, kg)
		}
		s2.Release()
	}()
	for round := 20; round < 25; round++ {
		mutate(round, 2000)
	}
	want3 := heapContents(h)
	s3 := h.SnapshotIncremental()
	full := map[int][]byte{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for kg := kgs.Start; kg < kgs.End; kg++ {
			full[kg] = s3.AppendGroup(nil, kg)
		}
		s3.Release()
	}()
	for round := 25; round < 30; round++ {
		mutate(round, 2000)
	}
	wg.Wait()
	check := func(what string, got, want map[string]string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s has %d entries, want %d", what, len(got), len(want))
		}
		for k, w := range want {
			if got[k] != w {
				t.Fatalf("%s %s = %q, want %q", what, k, got[k], w)
			}
		}
	}
	for kg := kgs.Start; kg < kgs.End; kg++ {
		if err := RestoreGroup(restored, kg, deltas[kg]); err != nil {
			t.Fatal(err)
		}
	}
	check("base + delta", heapContents(restored), want2)
	r3 := NewHeap(kgs)
	for kg := kgs.Start; kg < kgs.End; kg++ {
		if err := RestoreGroup(r3, kg, full[kg]); err != nil {
			t.Fatal(err)
		}
	}
	check("second snapshot", heapContents(r3), want3)
}

// TestHeapDropListsNoCopy: while a snapshot that dropped its lists is the
// only one pending, replacing an entry (copy-on-write) writes the group
// list in place; with the lists held, the list is copied first. A snapshot
// that dropped its lists refuses AppendGroup.
func TestHeapDropListsNoCopy(t *testing.T) {
	for _, drop := range []bool{false, true} {
		h := NewHeap(base.KeyGroupRange{Start: 0, End: 1})
		tb := h.Table("t")
		for i := range 10 {
			tb.Put(0, []byte{byte(i)}, nil, []byte("old"))
		}
		h.SnapshotIncremental().Release()
		tb.Put(0, []byte{3}, nil, []byte("changed"))
		s := h.SnapshotIncremental()
		if drop {
			s.DropLists()
		}
		ht := tb.(*heapTable)
		before := &ht.lists[0][0]
		tb.Put(0, []byte{5}, nil, []byte("new")) // an old entry: copied
		copied := &ht.lists[0][0] != before
		if copied == drop {
			t.Errorf("lists dropped %v: list copied %v", drop, copied)
		}
		got := NewHeap(base.KeyGroupRange{Start: 0, End: 1})
		if err := RestoreGroup(got, 0, s.AppendDelta(nil, 0)); err != nil {
			t.Fatal(err)
		}
		if c := heapContents(got); len(c) != 1 || c["t|0|\x03|"] != "changed" {
			t.Errorf("lists dropped %v: delta = %v", drop, c)
		}
		if drop {
			func() {
				defer func() {
					if recover() == nil {
						t.Error("AppendGroup after DropLists did not panic")
					}
				}()
				s.AppendGroup(nil, 0)
			}()
		}
		s.Release()
	}
}
