package state

import (
	"fmt"
	"github.com/stromio/strom/internal/base"
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
// (128 bytes): a field added to it moves every entry to the next class.
func TestHeapEntrySize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are pinned for 64-bit platforms")
	}
	if n := unsafe.Sizeof(heapEntry{}); n != 128 {
		t.Fatalf("heapEntry is %d bytes, want 128 (a size class; see heapEntry)", n)
	}
}

// TestHeapHashKeyKept checks that the hash Heap.HashKey keeps serves only
// lookups of the same key bytes: lookups of other keys, and of the key
// after the caller rewrote the bytes it hashed, find their own entries.
func TestHeapHashKeyKept(t *testing.T) {
	h := NewHeap(base.KeyGroupRange{Start: 0, End: 4})
	tb := h.Table("t")
	key := func(i int) []byte { return []byte(fmt.Sprint("key-", i)) }
	for i := range 200 {
		k := key(i)
		tb.Put(int(h.HashKey(k)%4), k, nil, []byte{byte(i)})
	}
	buf := []byte(nil)
	for i := range 200 {
		buf = append(buf[:0], key((i+1)%200)...)
		h.HashKey(buf) // another key's hash kept
		k := key(i)
		if v, ok := tb.Get(int(base.HashKey(k)%4), k, nil); !ok || v[0] != byte(i) {
			t.Fatalf("key %d after hashing key %d: got %v, %v", i, (i+1)%200, v, ok)
		}
		copy(buf, k) // the hashed bytes rewritten in place (same length up to 10 keys)
		if len(buf) == len(k) {
			if v, ok := tb.Get(int(base.HashKey(buf)%4), buf, nil); !ok || v[0] != byte(i) {
				t.Fatalf("key %d through rewritten bytes: got %v, %v", i, v, ok)
			}
		}
	}
}
