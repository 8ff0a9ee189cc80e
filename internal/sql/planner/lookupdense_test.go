package planner

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stromio/strom/table"
)

// TestLookupIndexDense: after denseInts, intRows returns for every key the
// rows the map held (nil for keys it did not), on dense, sparse, negative
// and extreme keys; the slice is built only when the keys are dense enough.
func TestLookupIndexDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 6))
	for round := range 200 {
		ints := map[int64][]table.Row{}
		n := rng.IntN(3000)
		span := []int64{10, 10000, 1 << 20, math.MaxInt64}[round%4]
		for range n {
			k := rng.Int64N(span)
			if rng.IntN(10) == 0 {
				k = -k - 1
			}
			ints[k] = append(ints[k], table.NewRow(table.Int(k), table.Int(rng.Int64())))
		}
		want := make(map[int64][]table.Row, len(ints))
		for k, rs := range ints {
			want[k] = rs
		}
		idx := &lookupIndex{ints: ints}
		idx.denseInts()
		nonNeg, maxK := 0, int64(-1)
		for k := range want {
			if k >= 0 {
				nonNeg++
				maxK = max(maxK, k)
			}
		}
		if dense := nonNeg > 0 && maxK < int64(2*nonNeg+1024); dense != (idx.dense != nil) || dense && len(idx.dense) != int(maxK+1) {
			t.Errorf("round %d: %d keys of 0..%d: a slice of %d", round, nonNeg, maxK, len(idx.dense))
		}
		if span == 10 && nonNeg > 0 && idx.dense == nil {
			t.Errorf("round %d: keys 0..9 not in a slice", round)
		}
		probe := []int64{0, -1, 1, span - 1, span, int64(len(idx.dense)), int64(len(idx.dense)) - 1, math.MinInt64, math.MaxInt64}
		for k := range want {
			probe = append(probe, k, k+1, k-1)
		}
		for _, k := range probe {
			if got := idx.intRows(k); !slices.EqualFunc(got, want[k], func(a, b table.Row) bool { return a.String() == b.String() }) {
				t.Fatalf("round %d: key %d: %v, want %v", round, k, got, want[k])
			}
		}
	}
}
