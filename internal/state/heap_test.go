package state

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/stromio/strom/internal/base"
)

// TestHeapModel checks the heap backend against a plain map model under
// random operations, across the slice/map switch of a key's subs.
func TestHeapModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kgs := base.KeyGroupRange{Start: 4, End: 8}
		h := NewHeap(kgs)
		tb := h.Table("t")
		model := map[string]string{} // kg|key|sub -> value
		id := func(kg int, k, s string) string { return fmt.Sprintf("%d|%s|%s", kg, k, s) }
		// Keys of 28 and 60 bytes: inline mostly without their sub and value, and not inline.
		keys := []string{"a", "b", "long-key-c", strings.Repeat("k", 28), strings.Repeat("l", 60)}
		for i := range rapid.IntRange(1, 300).Draw(t, "ops") {
			kg := rapid.IntRange(kgs.Start, kgs.End-1).Draw(t, fmt.Sprint("kg", i))
			k := rapid.SampledFrom(keys).Draw(t, fmt.Sprint("k", i))
			sub := fmt.Sprint(rapid.IntRange(0, 12).Draw(t, fmt.Sprint("s", i)))
			v := rapid.StringN(0, 10, -1).Draw(t, fmt.Sprint("v", i))
			switch rapid.IntRange(0, 4).Draw(t, fmt.Sprint("op", i)) {
			case 0, 1:
				tb.Put(kg, []byte(k), []byte(sub), []byte(v))
				model[id(kg, k, sub)] = v
			case 2:
				tb.Append(kg, []byte(k), []byte(sub), []byte(v))
				model[id(kg, k, sub)] += v
			case 3:
				tb.Delete(kg, []byte(k), []byte(sub))
				delete(model, id(kg, k, sub))
			case 4:
				tb.DeleteKey(kg, []byte(k))
				for mk := range model {
					if len(mk) > len(id(kg, k, "")) && mk[:len(id(kg, k, ""))] == id(kg, k, "") {
						delete(model, mk)
					}
				}
			}
		}
		got := map[string]string{}
		for kg := kgs.Start; kg < kgs.End; kg++ {
			tb.ScanGroup(kg, func(key, sub, value []byte) bool {
				got[id(kg, string(key), string(sub))] = string(value)
				return true
			})
		}
		if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(model)) {
			t.Fatalf("scan %v\nmodel %v", sorted(got), sorted(model))
		}
		if tb.Len() != len(model) {
			t.Fatalf("Len %d, model %d", tb.Len(), len(model))
		}
		for mk, v := range model {
			var kg int
			var k, s string
			fmt.Sscanf(mk, "%d|", &kg)
			parts := splitN(mk, 3)
			k, s = parts[1], parts[2]
			if gv, ok := tb.Get(kg, []byte(k), []byte(s)); !ok || string(gv) != v {
				t.Fatalf("Get %s = %q %v, want %q", mk, gv, ok, v)
			}
		}
		if len(model) == 0 && h.SizeBytes() != 0 {
			t.Fatalf("empty table reports %d bytes", h.SizeBytes())
		}
	})
}

func splitN(s string, n int) []string {
	var out []string
	for i := 0; i < n-1; i++ {
		j := 0
		for j < len(s) && s[j] != '|' {
			j++
		}
		out = append(out, s[:j])
		s = s[j+1:]
	}
	return append(out, s)
}

func sorted(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func TestHeapRejectsForeignKeyGroup(t *testing.T) {
	h := NewHeap(base.KeyGroupRange{Start: 0, End: 4})
	defer func() {
		if recover() == nil {
			t.Fatal("want panic for a key group outside the range")
		}
	}()
	h.Table("t").Put(9, []byte("k"), nil, []byte("v"))
}

// TestHeapHashCollisions runs the model tests with a key hash of one bit:
// most keys of a group share a hash and take the slots after their home
// slot in the index, so lookups probe past them and removals shift them.
func TestHeapHashCollisions(t *testing.T) {
	defer func(m uint64) { hashMask = m }(hashMask)
	hashMask = 1
	t.Run("model", TestHeapModel)
	t.Run("snapshot-model", TestHeapSnapshotModel)
	t.Run("snapshot-concurrent", TestHeapSnapshotConcurrent)
	t.Run("delta-model", TestHeapDeltaModel)
	t.Run("delta-concurrent", TestHeapDeltaConcurrent)
}

// TestHeapAppendGrowsByHalf: a list appended to grows its capacity by
// half (appendGrow), not by append's 1.25x past 256 bytes: 1000 appends
// of 200 bytes to a new key (200 KB) allocate 16 times with it, 23 with
// append's growth.
func TestHeapAppendGrowsByHalf(t *testing.T) {
	if raceOn {
		t.Skip("allocation counts differ under the race detector")
	}
	h := NewHeap(base.KeyGroupRange{Start: 0, End: 1})
	tb := h.Table("t")
	val := make([]byte, 200)
	key := []byte{0}
	allocs := testing.AllocsPerRun(5, func() {
		key[0]++ // a new list each run
		for range 1000 {
			tb.Append(0, key, nil, val)
		}
	})
	if allocs > 19 {
		t.Errorf("%v allocations for 1000 appends to a new list, want at most 19", allocs)
	}
}

// TestAppendGrowCapacity: appendGrow grows a full value's capacity by at
// least half (runs under the race detector too, unlike the allocation
// count above).
func TestAppendGrowCapacity(t *testing.T) {
	// 100 000 bytes: append's own growth gives 131 072 here.
	b := make([]byte, 100_000)
	v := make([]byte, 10)
	g := appendGrow(b, v)
	if len(g) != 100_010 || cap(g) < 150_000 {
		t.Fatalf("appendGrow of a full 100000-byte value: len %d cap %d, want 100010 and >= 150000", len(g), cap(g))
	}
	if h := appendGrow(g, v); &h[0] != &g[0] {
		t.Fatal("appendGrow reallocated a value with room left")
	}
}
