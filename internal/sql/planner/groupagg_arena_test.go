package planner

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stromio/strom/table"
)

// TestRowArenaCopies clones random rows (widths 0 to 40, strings, NULLs,
// integers) in bundles that fill several chunks, writes over each source
// row after its clone as a reusing caller does, and checks every copy at
// the end of its bundle, then that reset drops the values and keeps the
// chunks for the next bundle.
func TestRowArenaCopies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var a rowArena
	src := make([]table.Value, 64)
	for bundle := range 6 {
		var want [][]table.Value
		var got [][]table.Value
		rows := 1 + rng.IntN(3*arenaChunk/8)
		for range rows {
			w := rng.IntN(41)
			fs := src[:w]
			for i := range fs {
				switch rng.IntN(3) {
				case 0:
					fs[i] = table.Null
				case 1:
					fs[i] = table.Int(rng.Int64())
				default:
					fs[i] = table.Str(string(rune('a' + rng.IntN(26))))
				}
			}
			c := a.clone(fs)
			if len(c) != w || cap(c) != w {
				t.Fatalf("bundle %d: clone of %d values has len %d cap %d", bundle, w, len(c), cap(c))
			}
			want = append(want, slices.Clone(fs))
			got = append(got, c)
			for i := range fs {
				fs[i] = table.Str("reused")
			}
		}
		for i := range want {
			if !slices.EqualFunc(got[i], want[i], table.Value.Equal) {
				t.Fatalf("bundle %d, row %d: %v, want %v", bundle, i, got[i], want[i])
			}
		}
		chunks := len(a.chunks)
		a.reset()
		for i, c := range a.chunks {
			for j, v := range c {
				if !v.IsNull() {
					t.Fatalf("bundle %d: chunk %d value %d kept after reset: %v", bundle, i, j, v)
				}
			}
		}
		if len(a.chunks) != chunks || a.cur != 0 || a.off != 0 {
			t.Fatalf("bundle %d: reset left %d chunks (had %d), at %d/%d", bundle, len(a.chunks), chunks, a.cur, a.off)
		}
	}
	if len(a.chunks) < 2 {
		t.Fatalf("the bundles filled %d chunks: the test crosses none", len(a.chunks))
	}
}
