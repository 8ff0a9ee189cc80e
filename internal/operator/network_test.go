package operator

import "testing"

// countChan counts the batches pushed to it and their records.
type countChan struct{ batches, records int }

func (c *countChan) Push(e Event) int64 {
	if b, ok := e.Batch.(*Batch[int]); ok && e.Kind == EventBatch {
		c.batches++
		c.records += len(b.V)
		b.Release()
	}
	return 0
}

// TestWriterFlushHeld: FlushHeld(n) pushes a channel's batch once it was
// not empty at n calls in a row, an empty one never, and a batch pushed
// because it filled starts counting again.
func TestWriterFlushHeld(t *testing.T) {
	for _, n := range []int{1, 3} {
		a, b := &countChan{}, &countChan{}
		w := NewWriter[int]([]Channel{a, b}, Hash, func(v int) int { return v % 2 }, 2, 4, nil)
		// Channel 0 gets one record per call, channel 1 none.
		for i := range 6 {
			w.Collect(0, 2*i)
			w.FlushHeld(n)
		}
		if a.records != 6-6%n || a.batches != 6/n || b.batches != 0 {
			t.Errorf("n=%d: channel 0 got %d records in %d batches, channel 1 %d batches; want %d in %d, 0",
				n, a.records, a.batches, b.batches, 6-6%n, 6/n)
		}
		// A batch that fills (4 records) is pushed at once and starts
		// counting anew.
		a.batches, a.records = 0, 0
		w.Flush()
		a.batches, a.records = 0, 0
		for i := range 5 {
			w.Collect(0, 2*i)
		}
		if a.batches != 1 {
			t.Fatalf("n=%d: %d batches after 5 records, want the full one", n, a.batches)
		}
		for range n - 1 {
			w.FlushHeld(n)
		}
		if a.batches != 1 {
			t.Errorf("n=%d: the record after the full batch was pushed before %d calls", n, n)
		}
		w.FlushHeld(n)
		if a.batches != 2 || a.records != 5 {
			t.Errorf("n=%d: %d batches, %d records after %d calls, want 2, 5", n, a.batches, a.records, n)
		}
	}
}
