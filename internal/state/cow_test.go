package state

import (
	"encoding/binary"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/stromio/strom/internal/base"
)

// decodeSnapshot restores every key group of s into a fresh heap and lists
// its entries as table|kg|key|sub -> value.
func decodeSnapshot(t interface{ Fatalf(string, ...any) }, s GroupSnapshot, kgs base.KeyGroupRange) map[string]string {
	h := NewHeap(kgs)
	for kg := kgs.Start; kg < kgs.End; kg++ {
		if err := RestoreGroup(h, kg, s.AppendGroup(nil, kg)); err != nil {
			t.Fatalf("restore key group %d: %v", kg, err)
		}
	}
	return heapContents(h)
}

func heapContents(h *Heap) map[string]string {
	out := map[string]string{}
	for _, name := range h.TableNames() {
		tb := h.Table(name)
		for kg := h.kgs.Start; kg < h.kgs.End; kg++ {
			tb.ScanGroup(kg, func(key, sub, value []byte) bool {
				out[fmt.Sprintf("%s|%d|%s|%s", name, kg, key, sub)] = string(value)
				return true
			})
		}
	}
	return out
}

// TestHeapSnapshotModel interleaves random mutations with copy-on-write
// snapshots that are serialised (and released) later, in any order: each
// must give the state at the time it was taken (a model map copied then),
// and the live state must stay equal to the model throughout.
func TestHeapSnapshotModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kgs := base.KeyGroupRange{Start: 4, End: 8}
		h := NewHeap(kgs)
		names := []string{"a", "b"}
		model := map[string]string{} // table|kg|key|sub -> value
		id := func(tb string, kg int, k, s string) string { return fmt.Sprintf("%s|%d|%s|%s", tb, kg, k, s) }
		type pend struct {
			s    *HeapSnapshot
			want map[string]string
			// dirty: entries mutated since the snapshot was taken (their
			// bytes now are not the snapshot's).
			dirty map[string]bool
		}
		var pending []pend
		check := func(p pend) {
			got := decodeSnapshot(t, p.s, kgs)
			p.s.Release()
			if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(p.want)) {
				t.Fatalf("snapshot\n got %v\nwant %v", sorted(got), sorted(p.want))
			}
		}
		// Keys of 28 and 60 bytes: inline mostly without their sub and value, and not inline.
		keys := []string{"a", "b", "long-key-c", "d", strings.Repeat("k", 28), strings.Repeat("l", 60)}
		var held [][]byte // values returned by Get before a mutation
		var heldWant []string
		for i := range rapid.IntRange(1, 400).Draw(t, "ops") {
			name := rapid.SampledFrom(names).Draw(t, fmt.Sprint("t", i))
			tb := h.Table(name)
			kg := rapid.IntRange(kgs.Start, kgs.End-1).Draw(t, fmt.Sprint("kg", i))
			k := rapid.SampledFrom(keys).Draw(t, fmt.Sprint("k", i))
			sub := fmt.Sprint(rapid.IntRange(0, 12).Draw(t, fmt.Sprint("s", i)))
			v := rapid.StringN(0, 10, -1).Draw(t, fmt.Sprint("v", i))
			touch := func(ids ...string) {
				for _, p := range pending {
					for _, x := range ids {
						p.dirty[x] = true
					}
				}
			}
			switch rapid.IntRange(0, 8).Draw(t, fmt.Sprint("op", i)) {
			case 0, 1:
				tb.Put(kg, []byte(k), []byte(sub), []byte(v))
				model[id(name, kg, k, sub)] = v
				touch(id(name, kg, k, sub))
			case 2:
				tb.Append(kg, []byte(k), []byte(sub), []byte(v))
				model[id(name, kg, k, sub)] += v
				touch(id(name, kg, k, sub))
			case 3:
				tb.Delete(kg, []byte(k), []byte(sub))
				delete(model, id(name, kg, k, sub))
				touch(id(name, kg, k, sub))
			case 4:
				tb.DeleteKey(kg, []byte(k))
				prefix := id(name, kg, k, "")
				for mk := range model {
					if len(mk) >= len(prefix) && mk[:len(prefix)] == prefix {
						delete(model, mk)
						touch(mk)
					}
				}
			case 5:
				// Bytes a pending snapshot may read (the entry unchanged
				// since it was taken) must not be overwritten while it is
				// pending; an entry written after every pending snapshot is
				// the table's own and may be written in place.
				x := id(name, kg, k, sub)
				if b, ok := tb.Get(kg, []byte(k), []byte(sub)); ok {
					for _, p := range pending {
						if _, in := p.want[x]; in && !p.dirty[x] {
							held, heldWant = append(held, b), append(heldWant, string(b))
							break
						}
					}
				}
			case 6, 7:
				pending = append(pending, pend{h.Snapshot(), maps.Clone(model), map[string]bool{}})
			case 8:
				if len(pending) > 0 {
					j := rapid.IntRange(0, len(pending)-1).Draw(t, fmt.Sprint("p", i))
					check(pending[j])
					pending = append(pending[:j], pending[j+1:]...)
				}
			}
			if len(pending) == 0 {
				held, heldWant = nil, nil
			}
		}
		// Bytes returned by Get that a pending snapshot shared are never
		// overwritten as long as one is pending.
		for i, b := range held {
			if string(b) != heldWant[i] {
				t.Fatalf("bytes returned by Get changed from %q to %q while a snapshot was pending", heldWant[i], b)
			}
		}
		got := heapContents(h)
		if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(model)) {
			t.Fatalf("live\n got %v\nwant %v", sorted(got), sorted(model))
		}
		for _, p := range pending {
			check(p)
		}
		if h.pending.Load() != 0 {
			t.Fatalf("%d snapshots pending after every release", h.pending.Load())
		}
	})
}

// TestHeapSnapshotConcurrent serialises a snapshot on another goroutine
// while the owner keeps mutating the same entries (go test -race: no race;
// the bytes are those of the time of the snapshot).
func TestHeapSnapshotConcurrent(t *testing.T) {
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
	for round := range 30 {
		mutate(round, 2000)
	}
	want := heapContents(h)
	s := h.Snapshot()
	var got map[string]string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		got = decodeSnapshot(errorfT{t}, s, kgs)
		s.Release()
	}()
	for round := 30; round < 40; round++ {
		mutate(round, 2000)
	}
	wg.Wait()
	if len(got) != len(want) {
		t.Fatalf("snapshot has %d entries, want %d", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Fatalf("snapshot %s = %q, want %q", k, got[k], w)
		}
	}
}

// errorfT reports through Errorf (Fatalf is for the test goroutine only).
type errorfT struct{ t *testing.T }

func (e errorfT) Fatalf(format string, args ...any) { e.t.Errorf(format, args...) }
