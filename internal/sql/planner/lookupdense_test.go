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

// TestLookupIndexFlat: after denseInts and flatten, the rows of every key
// of the dense range read from flat (flatRows) are those intRows returns,
// in order; keys outside it report no flat range; a table whose rows do
// not all have the given width gets no flat array.
func TestLookupIndexFlat(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 7))
	for round := range 200 {
		ints := map[int64][]table.Row{}
		n := 1 + rng.IntN(3000)
		span := []int64{10, 10000, 1 << 20}[round%3]
		width := 1 + rng.IntN(3)
		ragged := round%7 == 0
		for range n {
			k := rng.Int64N(span)
			if rng.IntN(10) == 0 {
				k = -k - 1
			}
			w := width
			if ragged && rng.IntN(50) == 0 {
				w++
			}
			fs := make([]table.Value, w)
			for i := range fs {
				fs[i] = table.Int(rng.Int64())
			}
			fs[0] = table.Int(k)
			ints[k] = append(ints[k], table.NewRow(fs...))
		}
		want := make(map[int64][]string, len(ints))
		for k, rs := range ints {
			for _, r := range rs {
				want[k] = append(want[k], r.String())
			}
		}
		idx := &lookupIndex{ints: ints}
		idx.denseInts()
		idx.flatten(width)
		raggedDense := false
		for _, rs := range idx.dense {
			for _, r := range rs {
				raggedDense = raggedDense || len(r.Fields) != width
			}
		}
		if wantFlat := idx.dense != nil && !raggedDense; wantFlat != (idx.flat != nil) {
			t.Fatalf("round %d: flat built %v, want %v", round, idx.flat != nil, wantFlat)
		}
		probe := []int64{0, -1, 1, span - 1, span, int64(len(idx.dense)), int64(len(idx.dense)) - 1, math.MinInt64, math.MaxInt64}
		for k := range want {
			probe = append(probe, k, k+1, k-1)
		}
		for _, k := range probe {
			var got []string
			if lo, hi, ok := idx.flatRows(k); ok {
				if idx.flat == nil {
					t.Fatalf("round %d: key %d: a flat range without a flat array", round, k)
				}
				if k < 0 || k >= int64(len(idx.dense)) {
					t.Fatalf("round %d: key %d: a flat range outside the dense keys 0..%d", round, k, len(idx.dense)-1)
				}
				for j := lo; j < hi; j++ {
					got = append(got, table.NewRow(idx.flat[int(j)*idx.width:int(j+1)*idx.width]...).String())
				}
			} else {
				if idx.flat != nil && k >= 0 && k < int64(len(idx.dense)) {
					t.Fatalf("round %d: key %d of the dense range has no flat range", round, k)
				}
				for _, r := range idx.intRows(k) {
					got = append(got, r.String())
				}
			}
			if !slices.Equal(got, want[k]) {
				t.Fatalf("round %d: key %d: %v, want %v", round, k, got, want[k])
			}
			// The dense rows read as before.
			var viaRows []string
			for _, r := range idx.intRows(k) {
				viaRows = append(viaRows, r.String())
			}
			if !slices.Equal(viaRows, want[k]) {
				t.Fatalf("round %d: key %d: intRows %v, want %v", round, k, viaRows, want[k])
			}
		}
	}
}
