package planner

import (
	"math/rand/v2"
	"testing"
)

// TestSliceTableMatchesMap runs random puts, gets and deletes (keys that
// collide, runs that wrap around the end of the array, growth) against a
// Go map.
func TestSliceTableMatchesMap(t *testing.T) {
	type key struct{ k, end int64 }
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 3))
		var tab sliceTable
		ref := map[key]int{}
		nkeys := 1 + rng.IntN(2000)
		pick := func() key {
			return key{int64(rng.IntN(nkeys)) - int64(nkeys/2), int64(rng.IntN(6)) * 2000}
		}
		for op := range 50000 {
			k := pick()
			switch rng.IntN(4) {
			case 0, 1:
				p := rng.IntN(1 << 20)
				tab.put(k.k, k.end, p)
				ref[k] = p
			case 2:
				tab.del(k.k, k.end)
				delete(ref, k)
			case 3:
				got, ok := tab.get(k.k, k.end)
				want, wok := ref[k]
				if ok != wok || got != want {
					t.Fatalf("seed %d op %d: get %v = %d, %v; want %d, %v", seed, op, k, got, ok, want, wok)
				}
			}
			if tab.n != len(ref) {
				t.Fatalf("seed %d op %d: %d entries, want %d", seed, op, tab.n, len(ref))
			}
		}
		for k, want := range ref {
			if got, ok := tab.get(k.k, k.end); !ok || got != want {
				t.Fatalf("seed %d: get %v = %d, %v; want %d", seed, k, got, ok, want)
			}
		}
	}
}
