package planner

import (
	"sync"
	"testing"

	"github.com/stromio/strom/table"
)

// TestRowPool: arrays given back (from other goroutines, as receivers do)
// come out again, of the pool's width; narrower ones are not taken; the
// chunks waiting are bounded; an empty pool allocates.
func TestRowPool(t *testing.T) {
	p := newRowPool(3)
	if a := p.get(); len(a) != 3 {
		t.Fatalf("new array of %d values, want 3", len(a))
	}
	given := map[*table.Value]bool{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				var rows []table.Row
				for i := range 8 {
					fs := make([]table.Value, 3, 4)
					if i == 0 && g == 0 {
						fs = make([]table.Value, 2) // too narrow: left
					} else {
						mu.Lock()
						given[&fs[0]] = true
						mu.Unlock()
					}
					rows = append(rows, table.Row{Fields: fs})
				}
				p.Recycle(rows)
			}
		}()
	}
	wg.Wait()
	if len(p.full) > rowPoolChunks {
		t.Fatalf("%d chunks waiting, bound %d", len(p.full), rowPoolChunks)
	}
	waiting := 0
	for _, c := range p.full {
		waiting += len(c)
	}
	for range waiting {
		a := p.get()
		if len(a) != 3 || !given[&a[0]] {
			t.Fatalf("got an array of %d values, given back: %v", len(a), given[&a[0]])
		}
		delete(given, &a[0]) // each once
	}
	if a := p.get(); given[&a[0]] || len(a) != 3 {
		t.Fatal("an array handed out twice, or of the wrong width")
	}
	// Bounded: more batches than the bound keep at most the bound.
	q := newRowPool(1)
	for range rowPoolChunks + 10 {
		q.Recycle([]table.Row{{Fields: make([]table.Value, 1)}})
	}
	if len(q.full) != rowPoolChunks {
		t.Fatalf("%d chunks waiting, want the bound %d", len(q.full), rowPoolChunks)
	}
}
