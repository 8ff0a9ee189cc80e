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

// TestWriterFlushHeld: FlushHeld(n) on a hash edge of 2 channels pushes a
// channel's batch once it was not empty at 2n calls in a row, an empty one
// never, and a batch pushed because it filled starts counting again.
func TestWriterFlushHeld(t *testing.T) {
	for _, n := range []int{1, 3} {
		m := 2 * n // calls a batch is held across: n × the channels
		a, b := &countChan{}, &countChan{}
		w := NewWriter[int]([]Channel{a, b}, Hash, func(v int) int { return v % 2 }, 2, 100, nil)
		// Channel 0 gets one record per call, channel 1 none.
		for i := range 6 {
			w.Collect(0, 2*i)
			w.FlushHeld(n)
		}
		w = NewWriter[int]([]Channel{a, b}, Hash, func(v int) int { return v % 2 }, 2, 4, nil)
		if a.records != 6-6%m || a.batches != 6/m || b.batches != 0 {
			t.Errorf("n=%d: channel 0 got %d records in %d batches, channel 1 %d batches; want %d in %d, 0",
				n, a.records, a.batches, b.batches, 6-6%m, 6/m)
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
		for range m - 1 {
			w.FlushHeld(n)
		}
		if a.batches != 1 {
			t.Errorf("n=%d: the record after the full batch was pushed before %d calls", n, m)
		}
		w.FlushHeld(n)
		if a.batches != 2 || a.records != 5 {
			t.Errorf("n=%d: %d batches, %d records after %d calls, want 2, 5", n, a.batches, a.records, m)
		}
	}
}

// TestWriterFlushHeldDenseHashEdge: a source that reads 512 records at a
// time and flushes held batches after every read (FlushHeld(4), as a
// source subtask does) into a hash edge that receives every record still
// pushes full batches at 16 and 64 channels, where each channel gets only
// 512/P records per read; and into a forward edge that receives one record
// in 16 (a sparse side output), pushes within 4 reads.
func TestWriterFlushHeldDenseHashEdge(t *testing.T) {
	const reads, perRead, maxPar = 2000, 512, 4096
	for _, p := range []int{1, 16, 64} {
		chans := make([]Channel, p)
		cs := make([]*countChan, p)
		for i := range chans {
			cs[i] = &countChan{}
			chans[i] = cs[i]
		}
		w := NewWriter[int](chans, Hash, func(v int) int { return (v * 2654435761) % maxPar }, maxPar, 0, nil)
		v := 0
		for range reads {
			for range perRead {
				w.Collect(0, v)
				v++
			}
			w.FlushHeld(4)
		}
		w.Flush()
		batches, records := 0, 0
		for _, c := range cs {
			batches, records = batches+c.batches, records+c.records
		}
		full := reads * perRead / DefaultBatchSize
		t.Logf("P=%d: %d records in %d batches (avg %d)", p, records, batches, records/max(batches, 1))
		if records != reads*perRead || batches*10 > full*11 {
			t.Errorf("P=%d: %d records in %d batches (avg %d), want %d in at most 1.1 × %d",
				p, records, batches, records/max(batches, 1), reads*perRead, full)
		}
	}
	// Sparse, one channel: held at most 4 reads.
	c := &countChan{}
	w := NewWriter[int]([]Channel{c}, Forward, nil, 1, 0, nil)
	for r := 1; r <= 40; r++ {
		for i := range perRead {
			if i%16 == 0 {
				w.Collect(0, i)
			}
		}
		w.FlushHeld(4)
		if c.batches != r/4 {
			t.Fatalf("sparse forward edge: %d batches after %d reads, want %d", c.batches, r, r/4)
		}
	}
}
