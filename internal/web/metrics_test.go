package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/cluster"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/web"
	"github.com/stromio/strom/stream"
)

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// promtoolCheck runs `promtool check metrics` over text. Without promtool
// the check is skipped, except in CI (CI=true), where scripts/test.sh
// installs it (Debian package prometheus) and its absence is a failure.
func promtoolCheck(t *testing.T, text string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found in CI: scripts/test.sh installs it (Debian package prometheus)")
		}
		t.Skip("promtool not found (Debian package prometheus; scripts/test.sh installs it): skipping `promtool check metrics`")
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s\n--- input:\n%s", err, out, text)
	}
}

// fixedJob is a job of two vertices: a source and a chain of a window and a
// sink, at parallelism 2, with latency markers at the sink.
func fixedJob(now time.Time) web.JobMetrics {
	var lat operator.Histogram
	for _, d := range []time.Duration{100 * time.Microsecond, 3 * time.Millisecond, 3 * time.Millisecond, 2 * time.Second} {
		lat.Record(d)
	}
	wm := now.Add(-1500 * time.Millisecond).UnixMilli()
	src := cluster.OperatorView{Name: "source: nexmark", UID: "src", Subtasks: []operator.MetricsSnapshot{
		{RecordsOut: 1000, BatchesOut: 4, Watermark: wm, DeadLetters: 2, BytesRead: 64000, ReadCounted: true,
			Lags: []connector.SplitLag{{Connector: "journal", Topic: "bids", Partition: 0, Position: 10, End: 52}}},
		{RecordsOut: 500, BatchesOut: 2, Watermark: base.MinTime, BackpressureNanos: 2_500_000_000, BytesRead: 32000, ReadCounted: true,
			Lags: []connector.SplitLag{{Connector: "kafka", Topic: "bids", Partition: 1, Position: 3, End: 10},
				// A second source of the same partition, further ahead: one
				// series, the larger lag.
				{Connector: "journal", Topic: "bids", Partition: 0, Position: 50, End: 52},
				// A reader past the end it knows: 0, never negative.
				{Connector: "kafka", Topic: "asks", Partition: 0, Position: 12, End: 11}}},
	}}
	win := cluster.OperatorView{Name: "window", UID: "win", Subtasks: []operator.MetricsSnapshot{
		{RecordsIn: 750, RecordsOut: 10, Watermark: wm, StateBytes: 4096, LateRecords: 3},
		{RecordsIn: 750, RecordsOut: 12, Watermark: base.MaxTime},
	}}
	sink := cluster.OperatorView{Name: "sink", UID: "out", Subtasks: []operator.MetricsSnapshot{
		{RecordsIn: 10, Latency: lat, BytesWritten: 420, WrittenCounted: true},
		{RecordsIn: 12, BytesWritten: 0, WrittenCounted: true},
	}}
	return web.JobMetrics{
		JobID: "j1", JobName: "hot items", Time: now,
		Vertices: []cluster.VertexView{
			{ID: 1, Name: "source", Parallelism: 2, Operators: []cluster.OperatorView{src}},
			{ID: 2, Name: "window -> sink", Parallelism: 2, Operators: []cluster.OperatorView{win, sink},
				Inputs: []cluster.EdgeView{{From: 1, Partitioning: "hash"}}},
		},
		Checkpoints: cluster.CheckpointStats{Completed: 7, Failed: 1, LastID: 9, LastDuration: 250 * time.Millisecond, LastBytes: 12345, Restored: 2},
		History: []cluster.CheckpointRecord{
			{ID: 8, Status: cluster.StatusCompleted, Alignment: 40 * time.Millisecond},
			{ID: 9, Status: cluster.StatusCompleted, Alignment: 20 * time.Millisecond},
			{ID: 10, Status: cluster.StatusFailed, Alignment: time.Second},
		},
		Exceptions: 3, Restarts: 1,
		Lags: []web.SourceLag{{Connector: "journal", Topic: "bids", Partition: 0, Lag: 40}, {Connector: "kafka", Topic: "bids", Partition: 1, Lag: 3}},
	}
}

// TestMetricsExposition: the series of a job, checked line by line for a
// few, and the whole output through promtool.
func TestMetricsExposition(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	jobs := []web.JobMetrics{fixedJob(now), {JobID: "j2", JobName: "idle"}}
	text := scrape(t, web.NewMetricsHandler(func() []web.JobMetrics { return jobs }))
	want := []string{
		`strom_job_info{job_id="j1",job_name="hot items"} 1`,
		`strom_job_info{job_id="j2",job_name="idle"} 1`,
		`strom_operator_records_out_total{job_id="j1",operator="source: nexmark",subtask="0",uid="src",vertex="1"} 1000`,
		`strom_operator_records_in_total{job_id="j1",operator="window",subtask="1",uid="win",vertex="2"} 750`,
		`strom_operator_backpressure_seconds_total{job_id="j1",operator="source: nexmark",subtask="1",uid="src",vertex="1"} 2.5`,
		`strom_operator_watermark_seconds{job_id="j1",operator="window",subtask="0",uid="win",vertex="2"} 1.6999999985e+09`,
		`strom_operator_watermark_lag_seconds{job_id="j1",operator="window",subtask="0",uid="win",vertex="2"} 1.5`,
		`strom_operator_state_bytes{job_id="j1",operator="window",subtask="0",uid="win",vertex="2"} 4096`,
		`strom_operator_late_records_total{job_id="j1",operator="window",subtask="0",uid="win",vertex="2"} 3`,
		`strom_operator_dead_letters_total{job_id="j1",operator="source: nexmark",subtask="0",uid="src",vertex="1"} 2`,
		`strom_operator_bytes_read_total{job_id="j1",operator="source: nexmark",subtask="0",uid="src",vertex="1"} 64000`,
		`strom_operator_bytes_read_total{job_id="j1",operator="source: nexmark",subtask="1",uid="src",vertex="1"} 32000`,
		`strom_operator_bytes_written_total{job_id="j1",operator="sink",subtask="0",uid="out",vertex="2"} 420`,
		`strom_operator_bytes_written_total{job_id="j1",operator="sink",subtask="1",uid="out",vertex="2"} 0`,
		`# TYPE strom_operator_bytes_read_total counter`,
		`strom_source_to_sink_latency_seconds_bucket{job_id="j1",operator="sink",uid="out",vertex="2",le="6.4e-05"} 0`,
		`strom_source_to_sink_latency_seconds_bucket{job_id="j1",operator="sink",uid="out",vertex="2",le="0.000128"} 1`,
		`strom_source_to_sink_latency_seconds_bucket{job_id="j1",operator="sink",uid="out",vertex="2",le="0.004096"} 3`,
		`strom_source_to_sink_latency_seconds_bucket{job_id="j1",operator="sink",uid="out",vertex="2",le="2.097152"} 4`,
		`strom_source_to_sink_latency_seconds_bucket{job_id="j1",operator="sink",uid="out",vertex="2",le="+Inf"} 4`,
		`strom_source_to_sink_latency_seconds_sum{job_id="j1",operator="sink",uid="out",vertex="2"} 2.0061`,
		`strom_source_to_sink_latency_seconds_count{job_id="j1",operator="sink",uid="out",vertex="2"} 4`,
		`strom_checkpoints_completed_total{job_id="j1"} 7`,
		`strom_checkpoints_failed_total{job_id="j1"} 1`,
		`strom_checkpoint_last_duration_seconds{job_id="j1"} 0.25`,
		`strom_checkpoint_last_size_bytes{job_id="j1"} 12345`,
		`strom_checkpoint_last_alignment_seconds{job_id="j1"} 0.02`,
		`strom_checkpoint_last_completed_id{job_id="j1"} 9`,
		`strom_checkpoint_restored_id{job_id="j1"} 2`,
		`strom_checkpoints_completed_total{job_id="j2"} 0`,
		`strom_job_exceptions_total{job_id="j1"} 3`,
		`strom_job_restarts_total{job_id="j1"} 1`,
		// Live from the source readers, and committed to the groups: two
		// names, so never two series with the same labels.
		`strom_source_lag_records{connector="journal",job_id="j1",partition="0",topic="bids"} 42`,
		`strom_source_lag_records{connector="kafka",job_id="j1",partition="1",topic="bids"} 7`,
		`strom_source_lag_records{connector="kafka",job_id="j1",partition="0",topic="asks"} 0`,
		`strom_source_committed_lag_records{connector="journal",job_id="j1",partition="0",topic="bids"} 40`,
		`strom_source_committed_lag_records{connector="kafka",job_id="j1",partition="1",topic="bids"} 3`,
		`# TYPE strom_source_to_sink_latency_seconds histogram`,
		`# TYPE strom_operator_records_in_total counter`,
		`# TYPE strom_operator_watermark_lag_seconds gauge`,
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		lines[l] = true
	}
	for _, w := range want {
		if !lines[w] {
			t.Errorf("missing line %s", w)
		}
	}
	// No watermark before the first one (MinTime) or after the last
	// (MaxTime); no latency histogram without markers; no last checkpoint
	// figures without a completed checkpoint.
	for _, absent := range []string{
		`strom_operator_watermark_seconds{job_id="j1",operator="source: nexmark",subtask="1"`,
		`strom_operator_watermark_seconds{job_id="j1",operator="window",subtask="1"`,
		`strom_source_to_sink_latency_seconds_count{job_id="j1",operator="window"`,
		`strom_checkpoint_last_duration_seconds{job_id="j2"}`,
		// Bytes only where the connector counts them: a count that is
		// unknown is no series, not a zero.
		`strom_operator_bytes_read_total{job_id="j1",operator="window"`,
		`strom_operator_bytes_written_total{job_id="j1",operator="window"`,
		`strom_operator_bytes_read_total{job_id="j1",operator="sink"`,
		`strom_operator_bytes_written_total{job_id="j1",operator="source: nexmark"`,
		`job="`,
	} {
		if strings.Contains(text, absent) {
			t.Errorf("unexpected series %s", absent)
		}
	}
	if n := strings.Count(text, "\nstrom_source_lag_records{"); n != 3 {
		t.Errorf("%d live lag series, want 3 (one per partition)", n)
	}
	if t.Failed() {
		t.Logf("output:\n%s", text)
	}
	promtoolCheck(t, text)
}

// TestMetricsExtraCollectors: extra collectors are served from the same
// private registry, and nothing of the default registry leaks in.
func TestMetricsExtraCollectors(t *testing.T) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "strom_journal_bytes", Help: "Bytes of the journal."})
	g.Set(99)
	text := scrape(t, web.NewMetricsHandler(func() []web.JobMetrics { return nil }, g, collectors.NewGoCollector()))
	if !strings.Contains(text, "\nstrom_journal_bytes 99\n") || !strings.Contains(text, "go_goroutines") {
		t.Fatalf("extra collectors missing:\n%s", text)
	}
	if strings.Contains(text, "strom_job_info") || strings.Contains(text, "process_cpu_seconds_total") {
		t.Fatalf("series of no job or of the default registry:\n%s", text)
	}
	promtoolCheck(t, text)
}

// TestMetricsLiveJob scrapes a running job's view (latency markers on)
// while its subtasks publish, repeatedly: run with -race, this checks that
// reading the metrics and the latency histograms races with nothing.
func TestMetricsLiveJob(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2, LatencyInterval: time.Millisecond, Name: "live"})
	n := stream.FromGenerator(env, 200_000, func(split int, i int64) int64 { return i },
		stream.WatermarkStrategy[int64]{Enabled: true, Timestamp: func(i int64) int64 { return 1_000_000 + i }})
	keyed := stream.KeyBy(n, func(i int64) int64 { return i % 7 })
	sums := keyed.Reduce(func(a, b int64) int64 { return a + b })
	stream.Discard(sums)
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer job.Cancel()
	src := func() []web.JobMetrics {
		return []web.JobMetrics{{JobID: "live", JobName: "live", Vertices: job.View(), Checkpoints: job.Checkpoints(),
			History: job.CheckpointHistory(), Exceptions: job.ExceptionCount(), Restarts: job.Attempt()}}
	}
	h := web.NewMetricsHandler(src)
	var wg sync.WaitGroup
	var last string
	for w := range 2 {
		wg.Go(func() {
			for {
				select {
				case <-job.Done():
					return
				default:
				}
				text := scrape(t, h)
				if w == 0 {
					last = text
				}
			}
		})
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	final := scrape(t, h)
	if !strings.Contains(final, `strom_operator_records_in_total{job_id="live"`) || last == "" {
		t.Fatalf("no operator series:\n%s", final)
	}
	if !strings.Contains(final, "strom_source_to_sink_latency_seconds_count") {
		t.Fatalf("no latency histogram although markers were on:\n%s", final)
	}
	promtoolCheck(t, final)
}
