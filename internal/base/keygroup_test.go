package base

import "testing"

func TestKeyGroupRangesCoverAll(t *testing.T) {
	for _, maxPar := range []int{1, 7, 128, 1000} {
		for par := 1; par <= min(maxPar, 9); par++ {
			next := 0
			for i := range par {
				r := RangeFor(maxPar, par, i)
				if r.Start != next {
					t.Fatalf("max %d par %d subtask %d: range %v does not start at %d", maxPar, par, i, r, next)
				}
				for kg := r.Start; kg < r.End; kg++ {
					if s := SubtaskFor(kg, maxPar, par); s != i {
						t.Fatalf("key group %d in range of %d but SubtaskFor says %d", kg, i, s)
					}
				}
				next = r.End
			}
			if next != maxPar {
				t.Fatalf("max %d par %d: ranges end at %d", maxPar, par, next)
			}
		}
	}
}
