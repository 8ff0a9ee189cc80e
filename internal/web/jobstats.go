package web

import (
	"sync"
	"time"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/cluster"
)

// VertexMetrics are the figures of one vertex (or, in Operators, one
// operator of its chain), summed over its subtasks: records into the
// chain's head and out of its tail (totals, and per second over the last
// RateWindow), the largest share of that window a subtask spent blocked on
// its output, the smallest subtask watermark (epoch ms; null before the
// first) and its lag behind Time, state bytes, late records, dead letters,
// the latency quantiles of the latency markers (null without markers),
// and the bytes its sources read and its sinks serialised (totals and per
// second; null when no connector of the chain counts them), and the live
// lag of its journal and Kafka sources (pending_records: records between
// their readers' positions and the split ends they know; null for other
// vertices).
type VertexMetrics struct {
	ID                  int             `json:"id"`
	Name                string          `json:"name,omitempty"`
	UID                 string          `json:"uid,omitempty"`
	Parallelism         int             `json:"parallelism"`
	RecordsIn           int64           `json:"records_in"`
	RecordsOut          int64           `json:"records_out"`
	RecordsInPerSecond  float64         `json:"records_in_per_second"`
	RecordsOutPerSecond float64         `json:"records_out_per_second"`
	Backpressure        float64         `json:"backpressure"`
	Watermark           *int64          `json:"watermark"`
	WatermarkLagMs      *int64          `json:"watermark_lag_ms"`
	StateBytes          int64           `json:"state_bytes"`
	LateRecords         int64           `json:"late_records"`
	DeadLetters         int64           `json:"dead_letters"`
	LatencyP50Ms        *float64        `json:"latency_p50_ms"`
	LatencyP99Ms        *float64        `json:"latency_p99_ms"`
	BytesRead           *int64          `json:"bytes_read"`
	BytesWritten        *int64          `json:"bytes_written"`
	BytesReadPerSecond  *float64        `json:"bytes_read_per_second"`
	BytesWritePerSecond *float64        `json:"bytes_written_per_second"`
	PendingRecords      *int64          `json:"pending_records"`
	Operators           []VertexMetrics `json:"operators,omitempty"`
}

// MetricsDoc is GET /api/v1/jobs/{id}/metrics and the data of `event:
// metrics`.
type MetricsDoc struct {
	JobID    string          `json:"job_id"`
	Time     time.Time       `json:"time"`
	Vertices []VertexMetrics `json:"vertices"`
}

// rateMemo remembers the totals of each job's vertices and operators at
// the samples of the last RateWindow, and the rates computed then: a later
// sample gives new rates over the interval since the oldest sample of the
// window (a source reading a journal's transactions sees them committed in
// bursts, one per checkpoint of the writer: a second alone would swing
// between 0 and twice the rate), one at the same time reuses them.
type rateMemo struct {
	mu   sync.Mutex
	jobs map[string][]*rateSample // oldest first
}

// RateWindow is the interval the per-second rates and the backpressure
// share are measured over.
const RateWindow = 5 * time.Second

type rateSample struct {
	at     time.Time
	totals map[rateKey]rateTotals
	rates  map[rateKey]rateValues
}

type rateKey struct{ vertex, op int } // op -1: the vertex

type rateTotals struct {
	in, out        int64
	bytesR, bytesW int64
	bp             []int64 // backpressure ns per subtask
}

type rateValues struct{ in, out, bp, bytesR, bytesW float64 }

// forget drops the jobs not in keep.
func (m *rateMemo) forget(keep map[string]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range m.jobs {
		if !keep[id] {
			delete(m.jobs, id)
		}
	}
}

// metricsDoc computes the figures of a job's view, rates against m.
func (m *rateMemo) metricsDoc(id string, view []cluster.VertexView, now time.Time) MetricsDoc {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.jobs == nil {
		m.jobs = map[string][]*rateSample{}
	}
	hist := m.jobs[id]
	var prev *rateSample
	if len(hist) > 0 {
		prev = hist[len(hist)-1]
	}
	fresh := prev == nil || now.After(prev.at)
	cur := &rateSample{at: now, totals: map[rateKey]rateTotals{}, rates: map[rateKey]rateValues{}}
	if !fresh {
		cur = prev
	} else {
		for _, h := range hist { // the oldest sample of the window
			if now.Sub(h.at) <= RateWindow+RateWindow/10 {
				prev = h
				break
			}
		}
		hist = append(hist, cur)
		for len(hist) > 1 && now.Sub(hist[0].at) > RateWindow {
			hist = hist[1:]
		}
	}
	doc := MetricsDoc{JobID: id, Time: now.UTC(), Vertices: []VertexMetrics{}}
	for _, v := range view {
		if len(v.Operators) == 0 {
			continue
		}
		vm := figures(v.ID, v.Parallelism, v.Operators, now)
		m.rate(&vm, rateKey{v.ID, -1}, v.Operators, prev, cur, fresh, now)
		for k, op := range v.Operators {
			om := figures(v.ID, v.Parallelism, v.Operators[k:k+1], now)
			om.Name, om.UID = op.Name, op.UID
			m.rate(&om, rateKey{v.ID, k}, v.Operators[k:k+1], prev, cur, fresh, now)
			vm.Operators = append(vm.Operators, om)
		}
		vm.Name = v.Name
		doc.Vertices = append(doc.Vertices, vm)
	}
	m.jobs[id] = hist
	return doc
}

// rate fills the per-second figures of vm from the totals at the previous
// sample (fresh) or from the rates computed then.
func (m *rateMemo) rate(vm *VertexMetrics, key rateKey, ops []cluster.OperatorView, prev, cur *rateSample, fresh bool, now time.Time) {
	if !fresh {
		r := cur.rates[key]
		vm.RecordsInPerSecond, vm.RecordsOutPerSecond, vm.Backpressure = r.in, r.out, r.bp
		vm.setByteRates(r)
		return
	}
	tail := ops[len(ops)-1]
	t := rateTotals{in: vm.RecordsIn, out: vm.RecordsOut, bp: make([]int64, len(tail.Subtasks))}
	if vm.BytesRead != nil {
		t.bytesR = *vm.BytesRead
	}
	if vm.BytesWritten != nil {
		t.bytesW = *vm.BytesWritten
	}
	for i, st := range tail.Subtasks {
		t.bp[i] = st.BackpressureNanos
	}
	cur.totals[key] = t
	if prev == nil {
		return
	}
	p, ok := prev.totals[key]
	dt := now.Sub(prev.at).Seconds()
	if !ok || dt <= 0 {
		return
	}
	r := rateValues{in: max(0, float64(t.in-p.in)/dt), out: max(0, float64(t.out-p.out)/dt),
		bytesR: max(0, float64(t.bytesR-p.bytesR)/dt), bytesW: max(0, float64(t.bytesW-p.bytesW)/dt)}
	for i := range t.bp {
		if i < len(p.bp) {
			r.bp = max(r.bp, min(1, max(0, float64(t.bp[i]-p.bp[i])/1e9/dt)))
		}
	}
	cur.rates[key] = r
	vm.RecordsInPerSecond, vm.RecordsOutPerSecond, vm.Backpressure = r.in, r.out, r.bp
	vm.setByteRates(r)
}

// setByteRates sets the bytes per second that vm counts (zero before a
// second sample).
func (vm *VertexMetrics) setByteRates(r rateValues) {
	if vm.BytesRead != nil {
		vm.BytesReadPerSecond = &r.bytesR
	}
	if vm.BytesWritten != nil {
		vm.BytesWritePerSecond = &r.bytesW
	}
}

// figures sums the totals of a chain of operators: records into the
// first, out of the last, the rest over all of them.
func figures(id, par int, ops []cluster.OperatorView, now time.Time) VertexMetrics {
	vm := VertexMetrics{ID: id, Parallelism: par}
	head, tail := ops[0], ops[len(ops)-1]
	for _, st := range head.Subtasks {
		vm.RecordsIn += st.RecordsIn
	}
	hasWM := false
	var wm int64
	for _, st := range tail.Subtasks {
		vm.RecordsOut += st.RecordsOut
		if st.Watermark != base.MinTime && (!hasWM || st.Watermark < wm) {
			wm, hasWM = st.Watermark, true
		}
	}
	if hasWM {
		lag := now.UnixMilli() - wm
		if wm == base.MaxTime || lag < 0 {
			lag = 0
		}
		vm.Watermark, vm.WatermarkLagMs = &wm, &lag
	}
	var bytesR, bytesW int64
	var countsR, countsW bool
	for _, op := range ops {
		for _, st := range op.Subtasks {
			vm.StateBytes += st.StateBytes
			vm.LateRecords += st.LateRecords
			vm.DeadLetters += st.DeadLetters
			if st.ReadCounted {
				bytesR, countsR = bytesR+st.BytesRead, true
			}
			if st.WrittenCounted {
				bytesW, countsW = bytesW+st.BytesWritten, true
			}
		}
	}
	if countsR {
		vm.BytesRead = &bytesR
	}
	if countsW {
		vm.BytesWritten = &bytesW
	}
	if n, ok := (cluster.VertexView{Operators: ops}).PendingRecords(); ok {
		vm.PendingRecords = &n
	}
	// The latency histograms of every subtask, merged (the histogram type
	// is the operator package's, reached through the view).
	for _, op := range ops {
		if len(op.Subtasks) == 0 {
			continue
		}
		h := zeroOf(op.Subtasks[0].Latency)
		for _, op2 := range ops {
			for k := range op2.Subtasks {
				h.Merge(&op2.Subtasks[k].Latency)
			}
		}
		if h.N > 0 {
			p50, p99 := millis(h.Quantile(0.5)), millis(h.Quantile(0.99))
			vm.LatencyP50Ms, vm.LatencyP99Ms = &p50, &p99
		}
		break
	}
	return vm
}

// sourcesPerSecond is the records per second out of the vertices without
// inputs.
func sourcesPerSecond(view []cluster.VertexView, doc MetricsDoc) float64 {
	src := map[int]bool{}
	for _, v := range view {
		if len(v.Inputs) == 0 {
			src[v.ID] = true
		}
	}
	sum := 0.0
	for _, vm := range doc.Vertices {
		if src[vm.ID] {
			sum += vm.RecordsOutPerSecond
		}
	}
	return sum
}

// CheckpointEntry is one checkpoint of the history, newest first.
type CheckpointEntry struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Status      string    `json:"status"`
	TriggerTime time.Time `json:"trigger_time"`
	DurationMs  *float64  `json:"duration_ms"`
	Bytes       *int64    `json:"bytes"`
	AlignmentMs *float64  `json:"alignment_ms"`
	Failure     string    `json:"failure"`
	Attempt     int       `json:"attempt"`
}

// CheckpointsDoc is GET /api/v1/jobs/{id}/checkpoints.
type CheckpointsDoc struct {
	Enabled bool `json:"enabled"`
	Counts  struct {
		Completed  int64 `json:"completed"`
		Failed     int64 `json:"failed"`
		InProgress int64 `json:"in_progress"`
	} `json:"counts"`
	Restored       int64             `json:"restored"`
	LatestID       int64             `json:"latest_id"`
	LatestDuration float64           `json:"latest_duration_ms"`
	LatestBytes    int64             `json:"latest_bytes"`
	MaxDurationMs  float64           `json:"max_duration_ms"`
	MeanDurationMs float64           `json:"mean_duration_ms"`
	MaxBytes       int64             `json:"max_bytes"`
	LastFailure    string            `json:"last_failure"`
	History        []CheckpointEntry `json:"history"`
}

func checkpointsDoc(ji JobInfo) CheckpointsDoc {
	c := ji.Checkpoints
	d := CheckpointsDoc{Enabled: ji.Checkpointing, Restored: c.Restored, LatestID: c.LastID, LatestDuration: millis(c.LastDuration),
		LatestBytes: c.LastBytes, MaxDurationMs: millis(c.MaxDuration), MaxBytes: c.MaxBytes, LastFailure: c.LastFailure,
		History: []CheckpointEntry{}}
	d.Counts.Completed, d.Counts.Failed = c.Completed, c.Failed
	if c.Periodic > 0 {
		d.MeanDurationMs = millis(c.TotalDuration) / float64(c.Periodic)
	}
	for i := len(ji.History) - 1; i >= 0; i-- {
		r := ji.History[i]
		e := CheckpointEntry{ID: r.ID, Kind: string(r.Kind), Status: string(r.Status), TriggerTime: r.Triggered.UTC(),
			Failure: r.Failure, Attempt: r.Attempt}
		if r.Status == cluster.StatusInProgress {
			d.Counts.InProgress++
		} else {
			dur := millis(r.Duration)
			e.DurationMs = &dur
		}
		if r.Status == cluster.StatusCompleted || r.Bytes > 0 {
			b := r.Bytes
			e.Bytes = &b
		}
		if r.Alignment > 0 || r.Status == cluster.StatusCompleted {
			a := millis(r.Alignment)
			e.AlignmentMs = &a
		}
		d.History = append(d.History, e)
	}
	return d
}

// ExceptionsOf converts a job's failure records, oldest first, into the
// API's exceptions, newest first.
func ExceptionsOf(recs []cluster.ExceptionRecord) []Exception {
	out := make([]Exception, 0, len(recs))
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		e := Exception{Time: r.Time.UTC(), Operator: r.Operator, UID: r.UID, Vertex: r.Vertex, Subtask: r.Subtask,
			Message: r.Message, Attempt: r.Attempt, Restarting: r.Restarting, Panic: r.Panic}
		if n := len(r.Causes); n > 0 {
			e.Cause = r.Causes[n-1]
		}
		out = append(out, e)
	}
	return out
}

// zeroOf returns the zero value of v's type.
func zeroOf[T any](T) (z T) { return z }
