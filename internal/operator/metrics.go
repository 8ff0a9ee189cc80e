package operator

import "sync/atomic"

// Metrics are the counters of one operator in one subtask. The owning
// goroutine updates the plain fields; Publish copies them into the atomic
// snapshot that other goroutines read. Publishing happens at batch
// boundaries, so the hot path pays no atomic per record.
type Metrics struct {
	In      int64 // records received
	Out     int64 // records emitted (set by the task from the next operator's In)
	Batches int64 // batches sent to other subtasks

	snap struct {
		in, out, batches, wm, backpressureNs, state, late atomic.Int64
	}
	// Watermark is the last watermark the operator saw.
	Watermark int64
	// Late counts records dropped (or side-routed) as late.
	Late int64
	// BackpressureNanos is time spent blocked on full output channels.
	BackpressureNanos int64
	// StateBytes is the last measured state size.
	StateBytes int64
}

// MetricsSnapshot is a consistent-enough copy of an operator's metrics.
type MetricsSnapshot struct {
	RecordsIn, RecordsOut int64
	BatchesOut            int64
	Watermark             int64
	BackpressureNanos     int64
	StateBytes            int64
	LateRecords           int64
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
}

// Snapshot reads the last published values; safe from any goroutine.
func (m *Metrics) Snapshot() MetricsSnapshot {
	return MetricsSnapshot{
		RecordsIn:         m.snap.in.Load(),
		RecordsOut:        m.snap.out.Load(),
		BatchesOut:        m.snap.batches.Load(),
		Watermark:         m.snap.wm.Load(),
		BackpressureNanos: m.snap.backpressureNs.Load(),
		StateBytes:        m.snap.state.Load(),
		LateRecords:       m.snap.late.Load(),
	}
}
