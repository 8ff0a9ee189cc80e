package operator

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stromio/strom/connector"
)

// Metrics are the counters of one operator in one subtask. The owning
// goroutine updates the plain fields; Publish copies them into the atomic
// snapshot that other goroutines read. Publishing happens at batch
// boundaries, so the hot path pays no atomic per record.
type Metrics struct {
	In      int64 // records received
	Out     int64 // records emitted (set by the task from the next operator's In)
	Batches int64 // batches sent to other subtasks

	snap struct {
		in, out, batches, wm, backpressureNs, state, late, deadLetters, bytesRead, bytesWritten atomic.Int64
		bytesCounted                                                                            atomic.Uint32
	}
	// Watermark is the last watermark the operator saw.
	Watermark int64
	// Late counts records dropped (or side-routed) as late.
	Late int64
	// DeadLetters counts the dead letters a source's readers handed over
	// (emitted on its dead-letter side output, or dropped if none).
	DeadLetters int64
	// BackpressureNanos is time spent blocked on full output channels.
	BackpressureNanos int64
	// StateBytes is the last measured state size.
	StateBytes int64
	// BytesRead (a source) and BytesWritten (a sink) are the sizes of the
	// records its connector read or serialised (connector.BytesReader and
	// BytesWriter), updated by a BytesCounter before each publication;
	// ReadCounted and WrittenCounted say whether the connector counts them
	// (else the figure is unknown, not zero).
	BytesRead, BytesWritten     int64
	ReadCounted, WrittenCounted bool
	// Lags are the live positions and known ends of the splits of a
	// source whose readers report them (connector.LagReader), set by a
	// LagReporter before each publication; nil for other operators.
	Lags []connector.SplitLag
	// Latency records latency markers that ended in this operator (the
	// tail of a chain with no output edge: where data leaves the job).
	Latency Histogram

	latMu   sync.Mutex
	latSnap Histogram
	lagSnap []connector.SplitLag // under latMu
}

// MetricsSnapshot is a consistent-enough copy of an operator's metrics.
type MetricsSnapshot struct {
	RecordsIn, RecordsOut int64
	BatchesOut            int64
	Watermark             int64
	BackpressureNanos     int64
	StateBytes            int64
	LateRecords           int64
	DeadLetters           int64
	// BytesRead and BytesWritten are meaningful only when ReadCounted and
	// WrittenCounted (see Metrics).
	BytesRead, BytesWritten     int64
	ReadCounted, WrittenCounted bool
	// Lags are a source's splits that report their lag (a copy).
	Lags []connector.SplitLag
	// Latency is the histogram of source-to-sink latency markers.
	Latency Histogram
}

// Publish makes the current values visible to Snapshot.
func (m *Metrics) Publish() {
	m.snap.in.Store(m.In)
	m.snap.out.Store(m.Out)
	m.snap.batches.Store(m.Batches)
	m.snap.wm.Store(m.Watermark)
	m.snap.backpressureNs.Store(m.BackpressureNanos)
	m.snap.state.Store(m.StateBytes)
	m.snap.late.Store(m.Late)
	m.snap.deadLetters.Store(m.DeadLetters)
	if m.ReadCounted || m.WrittenCounted {
		m.snap.bytesRead.Store(m.BytesRead)
		m.snap.bytesWritten.Store(m.BytesWritten)
		var c uint32
		if m.ReadCounted {
			c |= 1
		}
		if m.WrittenCounted {
			c |= 2
		}
		m.snap.bytesCounted.Store(c)
	}
	if m.Latency.N != m.latSnap.N || m.Lags != nil {
		m.latMu.Lock()
		if m.Latency.N != m.latSnap.N {
			m.latSnap = m.Latency
		}
		if m.Lags != nil {
			m.lagSnap = append(m.lagSnap[:0], m.Lags...)
		}
		m.latMu.Unlock()
	}
}

// Snapshot reads the last published values; safe from any goroutine.
func (m *Metrics) Snapshot() MetricsSnapshot {
	c := m.snap.bytesCounted.Load()
	s := MetricsSnapshot{
		RecordsIn:         m.snap.in.Load(),
		RecordsOut:        m.snap.out.Load(),
		BatchesOut:        m.snap.batches.Load(),
		Watermark:         m.snap.wm.Load(),
		BackpressureNanos: m.snap.backpressureNs.Load(),
		StateBytes:        m.snap.state.Load(),
		LateRecords:       m.snap.late.Load(),
		DeadLetters:       m.snap.deadLetters.Load(),
		BytesRead:         m.snap.bytesRead.Load(),
		BytesWritten:      m.snap.bytesWritten.Load(),
		ReadCounted:       c&1 != 0,
		WrittenCounted:    c&2 != 0,
	}
	m.latMu.Lock()
	s.Latency = m.latSnap
	if m.lagSnap != nil {
		s.Lags = append([]connector.SplitLag(nil), m.lagSnap...)
	}
	m.latMu.Unlock()
	return s
}

// BytesCounter is implemented by the operators whose connector may count
// bytes (sources, sinks): the task calls CountBytes on the subtask's
// goroutine before each publication of the metrics, so the per-record
// path pays nothing for them.
type BytesCounter interface {
	CountBytes()
}

// LagReporter is implemented by sources: the task calls ReportLags on the
// subtask's goroutine before each publication, which asks every reader
// that is a connector.LagReader for its split's lag into M.Lags.
type LagReporter interface {
	ReportLags()
}

// histBuckets covers 1µs .. ~10^5 s in quarter powers of two.
const histBuckets = 150

// Histogram counts durations in logarithmic buckets (four per power of
// two, so a quantile is within 19 % of the true value). It is a plain value:
// copy it to snapshot, Merge to combine subtasks.
type Histogram struct {
	N      int64
	Sum    time.Duration // of the observations
	Counts [histBuckets]int64
}

func histBucket(d time.Duration) int {
	us := uint64(max(d/time.Microsecond, 1))
	// index = 4*log2(us), refined by the two bits below the leading one.
	lz := bits.Len64(us) - 1
	frac := 0
	if lz >= 2 {
		frac = int(us>>(lz-2)) & 3
	} else if lz == 1 {
		frac = int(us&1) << 1
	}
	return min(4*lz+frac, histBuckets-1)
}

// bucketValue is a representative duration of bucket i (its lower bound).
func bucketValue(i int) time.Duration {
	lz, frac := i/4, i%4
	v := math.Ldexp(1+float64(frac)/4, lz)
	return time.Duration(v * float64(time.Microsecond))
}

// Record adds one observation.
func (h *Histogram) Record(d time.Duration) {
	h.Counts[histBucket(d)]++
	h.N++
	h.Sum += d
}

// Merge adds o's observations.
func (h *Histogram) Merge(o *Histogram) {
	h.N += o.N
	h.Sum += o.Sum
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
}

// Quantile returns the q-quantile (0 < q <= 1), or 0 with no observations.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.N == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.N)))
	var seen int64
	for i, c := range h.Counts {
		seen += c
		if seen >= max(rank, 1) {
			return bucketValue(i)
		}
	}
	return bucketValue(histBuckets - 1)
}

// CountBelowPow2 returns, for k = 0 .. maxExp, the number of observations
// below 2^k microseconds (cumulative counts, exact: a power of two is a
// bucket boundary), for an exposition with buckets of its own (Prometheus).
func (h *Histogram) CountBelowPow2(maxExp int) []int64 {
	out := make([]int64, maxExp+1)
	var seen int64
	next := 0 // bucket 4k is the first one at or above 2^k µs
	for k := range out {
		for ; next < min(4*k, histBuckets); next++ {
			seen += h.Counts[next]
		}
		out[k] = seen
	}
	return out
}
