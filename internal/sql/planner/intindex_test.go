package planner

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestIntIndexMatchesMap: random integers (few and many distinct values,
// extremes, multiples of a power of two that share hash bits) through
// intIndex and a Go map, with resets between rounds of several sizes,
// and a generation counter made to wrap.
func TestIntIndexMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var ix intIndex
	for round := range 200 {
		if round == 100 {
			ix.gen = math.MaxUint32 - 1 // the next resets wrap
		}
		ix.reset()
		want := map[int64]int{}
		n := rng.IntN(3000)
		distinct := 1 + rng.IntN(2*n+1)
		for range n {
			var k int64
			switch rng.IntN(10) {
			case 0:
				k = []int64{math.MinInt64, math.MaxInt64, 0, -1, 1}[rng.IntN(5)]
			case 1:
				k = int64(rng.IntN(distinct)) << 32
			default:
				k = int64(rng.IntN(distinct)) - int64(distinct/2)
			}
			i, seen := ix.index(k, len(want))
			w, ok := want[k]
			if !ok {
				w = len(want)
				want[k] = w
			}
			if seen != ok || i != w {
				t.Fatalf("round %d: %d is %d seen %v, want %d seen %v", round, k, i, seen, w, ok)
			}
		}
		if ix.n != len(want) {
			t.Fatalf("round %d: %d entries, want %d", round, ix.n, len(want))
		}
	}
}

// BenchmarkIntIndex: q15's view of bidders, a bundle of 50,000 rows with
// about 5,000 distinct values, through intIndex and a Go map (cleared per
// bundle, as applyViewNet did).
func BenchmarkIntIndex(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	vals := make([]int64, 50000)
	for i := range vals {
		vals[i] = 1000 + rng.Int64N(5000)
	}
	b.Run("intIndex", func(b *testing.B) {
		var ix intIndex
		n := 0
		for i := range b.N {
			if i%len(vals) == 0 {
				ix.reset()
				n = 0
			}
			if _, seen := ix.index(vals[i%len(vals)], n); !seen {
				n++
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		m := map[int64]int{}
		for i := range b.N {
			if i%len(vals) == 0 {
				clear(m)
			}
			k := vals[i%len(vals)]
			if _, seen := m[k]; !seen {
				m[k] = len(m)
			}
		}
	})
}
