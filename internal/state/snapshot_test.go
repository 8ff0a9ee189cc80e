package state

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/internal/base"
)

// genericBackend hides the *Heap type, so AppendGroup takes its generic path.
type genericBackend struct{ Backend }

// groupEntries decodes a key group snapshot into "table/key/sub" -> value.
func groupEntries(t *testing.T, kgs base.KeyGroupRange, kg int, data []byte) map[string]string {
	t.Helper()
	h := NewHeap(kgs)
	if err := RestoreGroup(h, kg, data); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range h.TableNames() {
		h.Table(name).ScanGroup(kg, func(key, sub, value []byte) bool {
			out[fmt.Sprintf("%s/%q/%q", name, key, sub)] = string(value)
			return true
		})
	}
	return out
}

// The heap backend's one-pass snapshot holds the same entries as the
// generic two-pass one, after puts, appends, deletes (both sub layouts).
func TestAppendGroupHeapMatchesGeneric(t *testing.T) {
	kgs := base.KeyGroupRange{Start: 4, End: 12}
	h := NewHeap(kgs)
	r := rand.New(rand.NewPCG(1, 2))
	tabs := []Table{h.Table("a"), h.Table("b"), h.Table("c")}
	for range 20000 {
		tb := tabs[r.IntN(len(tabs))]
		kg := kgs.Start + r.IntN(kgs.Len())
		key := []byte(fmt.Sprint("k", r.IntN(50)))
		sub := []byte(fmt.Sprint("s", r.IntN(20))) // > subMapThreshold: some keys switch to a map
		switch r.IntN(10) {
		case 0:
			tb.Delete(kg, key, sub)
		case 1:
			tb.DeleteKey(kg, key)
		case 2:
			tb.Append(kg, key, sub, []byte("+"))
		default:
			tb.Put(kg, key, sub, []byte(fmt.Sprint(r.Int())))
		}
	}
	for kg := kgs.Start; kg < kgs.End; kg++ {
		fast := AppendGroup(nil, h, kg)
		slow := AppendGroup(nil, genericBackend{h}, kg)
		if len(fast) != len(slow) {
			t.Errorf("key group %d: %d bytes, generic %d", kg, len(fast), len(slow))
		}
		if a, b := groupEntries(t, kgs, kg, fast), groupEntries(t, kgs, kg, slow); !maps.Equal(a, b) || len(a) == 0 {
			t.Errorf("key group %d: %d entries, generic %d (or none)", kg, len(a), len(b))
		}
	}
	total := 0
	for _, tb := range tabs {
		ht := tb.(*heapTable)
		sum := 0
		for _, n := range ht.groupN {
			sum += n
		}
		if sum != ht.n {
			t.Errorf("per-group counts sum to %d, table has %d", sum, ht.n)
		}
		total += sum
	}
	if total == 0 {
		t.Fatal("no entries")
	}
}
