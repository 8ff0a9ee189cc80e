package operator

import (
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 {
		t.Fatal("empty histogram")
	}
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	check := func(q float64, want time.Duration) {
		got := h.Quantile(q)
		if got > want || float64(got) < 0.8*float64(want) {
			t.Fatalf("q%.2f = %v, want within 20%% below %v", q, got, want)
		}
	}
	check(0.5, 500*time.Millisecond)
	check(0.99, 990*time.Millisecond)
	check(1, 1000*time.Millisecond)
	var m Histogram
	m.Merge(&h)
	m.Merge(&h)
	if m.N != 2000 || m.Quantile(0.5) != h.Quantile(0.5) {
		t.Fatalf("merge: n %d p50 %v", m.N, m.Quantile(0.5))
	}
	// Buckets are monotone in the duration.
	prev := -1
	for d := time.Microsecond; d < time.Hour; d = d*9/8 + 1 {
		b := histBucket(d)
		if b < prev {
			t.Fatalf("bucket of %v is %d, below %d", d, b, prev)
		}
		if v := bucketValue(b); v > d {
			t.Fatalf("bucket %d value %v above the recorded %v", b, v, d)
		}
		prev = b
	}
}

// TestHistogramCountBelowPow2: the cumulative counts at powers of two of a
// microsecond are exact, and Sum adds up the observations.
func TestHistogramCountBelowPow2(t *testing.T) {
	var h Histogram
	ds := []time.Duration{0, time.Microsecond, 3 * time.Microsecond, 4 * time.Microsecond, 1023 * time.Microsecond,
		time.Millisecond, 1024 * time.Microsecond, time.Second, time.Hour}
	var sum time.Duration
	for _, d := range ds {
		h.Record(d)
		sum += d
	}
	if h.Sum != sum {
		t.Fatalf("Sum %v, want %v", h.Sum, sum)
	}
	got := h.CountBelowPow2(40)
	for k, c := range got {
		bound := time.Duration(1<<k) * time.Microsecond
		want := int64(0)
		for _, d := range ds {
			if max(d, time.Microsecond) < bound {
				want++
			}
		}
		if c != want {
			t.Fatalf("below 2^%d µs: %d, want %d (all %v)", k, c, want, got)
		}
	}
}
