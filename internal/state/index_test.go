package state

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestIndexModel adds and removes keys at random in an index and checks it
// against a map after every step: every present key is found (its entry),
// every removed one is not, and no slot is lost. Hashes are narrowed to a
// few bits so that runs of equal and neighbouring homes, wrapping around
// the end of the slots, are removed from the middle.
func TestIndexModel(t *testing.T) {
	for _, bitsKept := range []uint{1, 3, 64} {
		t.Run(fmt.Sprint("hashbits=", bitsKept), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(bitsKept)))
			hashOf := func(k string) uint64 {
				h := (*Heap).keyHash(&Heap{}, []byte(k))
				if bitsKept < 64 {
					// Keep the high bits: they choose the home slot.
					h = h >> (64 - bitsKept) << (64 - bitsKept)
				}
				return h
			}
			var x index
			model := map[string]*heapEntry{}
			for step := range 5000 {
				k := fmt.Sprint("k", rng.IntN(300))
				h := hashOf(k)
				if e, ok := model[k]; ok && rng.IntN(2) == 0 {
					x.remove(h, e)
					delete(model, k)
				} else if !ok {
					e := &heapEntry{key: k}
					x.add(h, e)
					model[k] = e
				} else if c := (&heapEntry{key: k}); true {
					x.replace(h, e, c)
					model[k] = c
				}
				if x.n != len(model) {
					t.Fatalf("step %d: index holds %d, model %d", step, x.n, len(model))
				}
				for i := range 300 {
					k := fmt.Sprint("k", i)
					if got, want := x.find(hashOf(k), []byte(k)), model[k]; got != want {
						t.Fatalf("step %d: find(%s) = %p, want %p", step, k, got, want)
					}
				}
				used := 0
				for _, s := range x.slots {
					if s.e != nil {
						used++
					}
				}
				if used != x.n || used*8 > len(x.slots)*7 {
					t.Fatalf("step %d: %d slots used of %d, n = %d", step, used, len(x.slots), x.n)
				}
			}
		})
	}
}

// TestHeapEntrySize pins the size of an entry to its allocation size class
// (144 bytes): a field added to it moves every entry to the next class.
func TestHeapEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(heapEntry{}); n != 144 {
		t.Fatalf("heapEntry is %d bytes, want 144 (a size class; see inlineBuf)", n)
	}
}
