package web

// The Prometheus exposition (GET /metrics). The server hands the figures of
// its jobs over as a MetricsSource, read at each scrape; a custom collector
// turns them into metrics. Names follow Prometheus' conventions (strom_
// prefix, base units in the name, _total for counters); the job's label is
// job_id (job is Prometheus' own target label).

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/cluster"
)

// MetricsSource returns the figures of every job to expose; it is called
// once per scrape, from the scraping request's goroutine.
type MetricsSource func() []JobMetrics

// JobMetrics are the figures of one job at one moment.
type JobMetrics struct {
	JobID, JobName string
	// Time is when the figures were read (the watermark lag is measured
	// against it); zero: the time of the scrape.
	Time time.Time
	// Vertices is the job's view (cluster.Job.View): per operator and
	// subtask the records, backpressure, watermark, state, late records,
	// dead letters and the source-to-sink latency histogram.
	Vertices []cluster.VertexView
	// Checkpoints are the job's checkpoint counts; History its recent
	// checkpoints (the newest completed one gives the last alignment).
	Checkpoints cluster.CheckpointStats
	History     []cluster.CheckpointRecord
	// Exceptions is the number of failures of the job so far (all
	// attempts); Restarts the number of restarts.
	Exceptions int64
	Restarts   int
	// Lags are how far the offsets the job's sources committed to their
	// consumer groups are behind their input (journal or Kafka), when the
	// server knows (strom_source_committed_lag_records; the live lag,
	// strom_source_lag_records, comes from Vertices).
	Lags []SourceLag
}

// SourceLag is the lag of one source partition: records between the
// source's position and the end of the partition.
type SourceLag struct {
	// Connector is "journal" or "kafka".
	Connector string
	Topic     string
	Partition int32
	Lag       int64
}

// NewMetricsHandler serves the jobs of src, and the extra collectors (for
// example collectors.NewGoCollector(), or a collector of the embedded
// journal the server makes), in the Prometheus text format from a private
// registry. A collector that fails or two series that collide drop only
// their own metrics from the scrape.
func NewMetricsHandler(src MetricsSource, extra ...prometheus.Collector) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newJobCollector(src))
	reg.MustRegister(extra...)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// latencyMaxExp bounds the latency buckets: 2^k µs for k = latencyMinExp
// .. latencyMaxExp (64 µs .. about 71 min).
const (
	latencyMinExp = 6
	latencyMaxExp = 32
)

var (
	opLabels  = []string{"job_id", "vertex", "operator", "uid", "subtask"}
	latLabels = []string{"job_id", "vertex", "operator", "uid"}
	jobLabel  = []string{"job_id"}
)

func desc(name, help string, labels []string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

type jobCollector struct {
	src MetricsSource

	info, recordsIn, recordsOut, batchesOut, backpressure, watermark, watermarkLag, stateBytes, late, deadLetters,
	bytesRead, bytesWritten, latency, ckCompleted, ckFailed, ckLastDuration, ckLastSize, ckLastAlignment, ckLastID, ckRestored,
	exceptions, restarts, lag, committedLag *prometheus.Desc
}

func newJobCollector(src MetricsSource) *jobCollector {
	return &jobCollector{
		src:  src,
		info: desc("strom_job_info", "A job the server runs (value 1), with its name.", []string{"job_id", "job_name"}),
		recordsIn: desc("strom_operator_records_in_total",
			"Records an operator subtask received.", opLabels),
		recordsOut: desc("strom_operator_records_out_total",
			"Records an operator subtask emitted.", opLabels),
		batchesOut: desc("strom_operator_batches_out_total",
			"Batches an operator subtask sent to other subtasks.", opLabels),
		backpressure: desc("strom_operator_backpressure_seconds_total",
			"Time an operator subtask was blocked on full output channels.", opLabels),
		watermark: desc("strom_operator_watermark_seconds",
			"An operator subtask's event-time watermark, as Unix time (millisecond precision); absent before the first watermark and after the last.", opLabels),
		watermarkLag: desc("strom_operator_watermark_lag_seconds",
			"How far an operator subtask's watermark is behind the wall clock.", opLabels),
		stateBytes: desc("strom_operator_state_bytes",
			"The last measured keyed state size of an operator subtask.", opLabels),
		late: desc("strom_operator_late_records_total",
			"Records an operator subtask dropped or side-routed as late.", opLabels),
		deadLetters: desc("strom_operator_dead_letters_total",
			"Dead letters a source subtask's readers handed over.", opLabels),
		bytesRead: desc("strom_operator_bytes_read_total",
			"Bytes of the records a source subtask read (key, value and headers of journal and Kafka records; file bytes); only for connectors that count them.", opLabels),
		bytesWritten: desc("strom_operator_bytes_written_total",
			"Bytes of the records a sink subtask serialised (key, value and headers of journal and Kafka records; encoded file lines); only for connectors that count them.", opLabels),
		latency: desc("strom_source_to_sink_latency_seconds",
			"Age of the latency markers where the data leaves the job (sources emit them periodically).", latLabels),
		ckCompleted: desc("strom_checkpoints_completed_total",
			"Completed checkpoints of a job.", jobLabel),
		ckFailed: desc("strom_checkpoints_failed_total",
			"Failed checkpoints of a job.", jobLabel),
		ckLastDuration: desc("strom_checkpoint_last_duration_seconds",
			"Trigger to completion of the newest completed checkpoint.", jobLabel),
		ckLastSize: desc("strom_checkpoint_last_size_bytes",
			"State written by the newest completed checkpoint.", jobLabel),
		ckLastAlignment: desc("strom_checkpoint_last_alignment_seconds",
			"Longest barrier alignment of a subtask in the newest completed checkpoint.", jobLabel),
		ckLastID: desc("strom_checkpoint_last_completed_id",
			"Id of the newest completed checkpoint (0: none).", jobLabel),
		ckRestored: desc("strom_checkpoint_restored_id",
			"Id of the checkpoint the job's current run started from (0: none).", jobLabel),
		exceptions: desc("strom_job_exceptions_total",
			"Failures of a job (operator failures, failed commits, failed restarts).", jobLabel),
		restarts: desc("strom_job_restarts_total",
			"Restarts of a job by its restart strategy.", jobLabel),
		lag: desc("strom_source_lag_records",
			"Live lag of a journal or Kafka source: records between its reader's position and the end of the partition it knows (the larger of two sources of one topic).", []string{"job_id", "connector", "topic", "partition"}),
		committedLag: desc("strom_source_committed_lag_records",
			"Records between the offsets a source committed to its consumer group at its last checkpoint and the end of its input partition.", []string{"job_id", "connector", "topic", "partition"}),
	}
}

func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.info, c.recordsIn, c.recordsOut, c.batchesOut, c.backpressure, c.watermark,
		c.watermarkLag, c.stateBytes, c.late, c.deadLetters, c.bytesRead, c.bytesWritten, c.latency, c.ckCompleted, c.ckFailed, c.ckLastDuration,
		c.ckLastSize, c.ckLastAlignment, c.ckLastID, c.ckRestored, c.exceptions, c.restarts, c.lag, c.committedLag} {
		ch <- d
	}
}

func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	for _, jm := range c.src() {
		c.collectJob(ch, &jm)
	}
}

func (c *jobCollector) collectJob(ch chan<- prometheus.Metric, jm *JobMetrics) {
	now := jm.Time
	if now.IsZero() {
		now = time.Now()
	}
	id := jm.JobID
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(c.info, 1, id, jm.JobName)
	for _, v := range jm.Vertices {
		vertex := strconv.Itoa(v.ID)
		for _, op := range v.Operators {
			for k, s := range op.Subtasks {
				l := []string{id, vertex, op.Name, op.UID, strconv.Itoa(k)}
				counter(c.recordsIn, float64(s.RecordsIn), l...)
				counter(c.recordsOut, float64(s.RecordsOut), l...)
				counter(c.batchesOut, float64(s.BatchesOut), l...)
				counter(c.backpressure, float64(s.BackpressureNanos)/1e9, l...)
				if s.Watermark > base.MinTime && s.Watermark < base.MaxTime {
					gauge(c.watermark, float64(s.Watermark)/1e3, l...)
					gauge(c.watermarkLag, max(float64(now.UnixMilli()-s.Watermark)/1e3, 0), l...)
				}
				gauge(c.stateBytes, float64(s.StateBytes), l...)
				counter(c.late, float64(s.LateRecords), l...)
				counter(c.deadLetters, float64(s.DeadLetters), l...)
				if s.ReadCounted {
					counter(c.bytesRead, float64(s.BytesRead), l...)
				}
				if s.WrittenCounted {
					counter(c.bytesWritten, float64(s.BytesWritten), l...)
				}
			}
			c.collectLatency(ch, id, vertex, op)
		}
	}
	ck := jm.Checkpoints
	counter(c.ckCompleted, float64(ck.Completed), id)
	counter(c.ckFailed, float64(ck.Failed), id)
	gauge(c.ckLastID, float64(ck.LastID), id)
	gauge(c.ckRestored, float64(ck.Restored), id)
	if ck.LastID != 0 {
		gauge(c.ckLastDuration, ck.LastDuration.Seconds(), id)
		gauge(c.ckLastSize, float64(ck.LastBytes), id)
	}
	for i := len(jm.History) - 1; i >= 0; i-- {
		if r := jm.History[i]; r.Status == cluster.StatusCompleted {
			gauge(c.ckLastAlignment, r.Alignment.Seconds(), id)
			break
		}
	}
	counter(c.exceptions, float64(jm.Exceptions), id)
	counter(c.restarts, float64(jm.Restarts), id)
	for _, lg := range cluster.SourceLags(jm.Vertices) {
		gauge(c.lag, float64(lg.Pending), id, lg.Connector, lg.Topic, strconv.Itoa(int(lg.Partition)))
	}
	for _, lg := range jm.Lags {
		gauge(c.committedLag, float64(lg.Lag), id, lg.Connector, lg.Topic, strconv.Itoa(int(lg.Partition)))
	}
}

// collectLatency exposes the operator's latency markers, merged over its
// subtasks, as a histogram with buckets at powers of two of a microsecond
// (exact: they are boundaries of operator.Histogram's buckets too).
func (c *jobCollector) collectLatency(ch chan<- prometheus.Metric, id, vertex string, op cluster.OperatorView) {
	var n int64
	var sum time.Duration
	below := make([]int64, latencyMaxExp+1)
	for i := range op.Subtasks {
		h := &op.Subtasks[i].Latency
		if h.N == 0 {
			continue
		}
		n += h.N
		sum += h.Sum
		for k, cnt := range h.CountBelowPow2(latencyMaxExp) {
			below[k] += cnt
		}
	}
	if n == 0 {
		return
	}
	buckets := make(map[float64]uint64, latencyMaxExp-latencyMinExp+1)
	for k := latencyMinExp; k <= latencyMaxExp; k++ {
		buckets[math.Ldexp(1e-6, k)] = uint64(below[k])
	}
	ch <- prometheus.MustNewConstHistogram(c.latency, uint64(n), sum.Seconds(), buckets, id, vertex, op.Name, op.UID)
}
