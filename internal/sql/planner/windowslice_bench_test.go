package planner

import (
	"fmt"
	"testing"
)

// BenchmarkSortBufd is the firing sort of a buffer of 100k slices of map
// keys (20k keys, 5 slice ends each): already sorted (as at a firing
// after the last, with little buffered since), and with one entry in ten
// out of place.
func BenchmarkSortBufd(b *testing.B) {
	const n = 100000
	for _, bc := range []struct {
		name  string
		moved int // every moved-th entry swaps with its neighbour
	}{{"sorted", 0}, {"tenth-moved", 10}} {
		s := &sliceAgg{index: map[sliceKey]int{}, a: &accs{}}
		for i := range n {
			bs := bufSlice{sliceKey: sliceKey{fmt.Sprintf("key-%08d|x", i/5), int64(i%5) * 2000}}
			s.bufd = append(s.bufd, bs)
			s.index[bs.sliceKey] = i
		}
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for j := 0; bc.moved > 0 && j+1 < n; j += bc.moved {
					s.bufd[j], s.bufd[j+1] = s.bufd[j+1], s.bufd[j]
					s.index[s.bufd[j].sliceKey], s.index[s.bufd[j+1].sliceKey] = j, j+1
				}
				b.StartTimer()
				s.sortBufd()
			}
		})
	}
}
