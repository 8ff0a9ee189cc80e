package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/cluster"
)

// Backend is the job manager behind the API (internal/server). Errors
// that are the client's fault are *Error (NotFound, BadRequest, Conflict);
// any other error is answered 500 without its text and logged.
type Backend interface {
	// Overview is the server's summary; its Config must hold no secret.
	Overview() Overview
	// Jobs lists the jobs, newest first.
	Jobs() []JobSummary
	// Job returns one job with its graph and figures.
	Job(id string) (JobInfo, error)
	// Submit starts a job.
	Submit(ctx context.Context, req SubmitRequest) (JobSummary, error)
	// Cancel cancels a job.
	Cancel(ctx context.Context, id string) (JobSummary, error)
	// Savepoint takes a savepoint of a job under a name.
	Savepoint(ctx context.Context, id string, req SavepointRequest) (SavepointInfo, error)
	// Savepoints lists the savepoints.
	Savepoints() ([]SavepointInfo, error)
	// Feed is the live output of a query job.
	Feed(id string) (*Feed, error)
	// Events is the feed of job-state changes.
	Events() *Feed
}

// Overview is GET /api/v1/overview.
type Overview struct {
	Version   string            `json:"version"`
	StartedAt time.Time         `json:"started_at"`
	Uptime    string            `json:"uptime"`
	Jobs      map[string]int    `json:"jobs"` // counts by state
	Topics    []string          `json:"journal_topics"`
	Config    map[string]string `json:"config"` // secrets redacted
}

// Job states.
const (
	StateCreated    = "created"
	StateRunning    = "running"
	StateRestarting = "restarting"
	StateFinished   = "finished"
	StateFailed     = "failed"
	StateCancelled  = "cancelled"
	StateStopped    = "stopped"
)

// JobSummary is one job of GET /api/v1/jobs.
type JobSummary struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`  // sql
	Query     bool       `json:"query"` // a SELECT whose rows go to the live feed
	State     string     `json:"state"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	Error     string     `json:"error,omitempty"`
	Restarts  int        `json:"restarts"`
}

// Column is a column of a query job's result.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// JobInfo is what the Backend knows of one job.
type JobInfo struct {
	JobSummary
	SQL     string
	Columns []Column
	// View is the running attempt's graph and metrics (nil: not running).
	View        []cluster.VertexView
	Checkpoints cluster.CheckpointStats
	// Checkpointing says whether the job takes checkpoints.
	Checkpointing bool
	Exceptions    []Exception
}

// Exception is a failure of a job (newest first in the API).
type Exception struct {
	Time     time.Time `json:"time"`
	Operator string    `json:"operator,omitempty"`
	Subtask  int       `json:"subtask"`
	Message  string    `json:"message"`
	Cause    string    `json:"cause,omitempty"`
}

// SubmitRequest is the body of POST /api/v1/jobs.
type SubmitRequest struct {
	Name               string `json:"name"`
	SQL                string `json:"sql"`
	Parallelism        int    `json:"parallelism"`
	CheckpointInterval string `json:"checkpoint_interval"`
	FromSavepoint      string `json:"from_savepoint"`
	Builtin            string `json:"builtin"`
}

// SavepointRequest is the body of POST /api/v1/jobs/{id}/savepoint.
type SavepointRequest struct {
	Name string `json:"name"`
	Stop bool   `json:"stop"`
}

// SavepointInfo describes a savepoint.
type SavepointInfo struct {
	Name         string    `json:"name"`
	Job          string    `json:"job"`
	CheckpointID int64     `json:"checkpoint_id"`
	Bytes        int64     `json:"bytes"`
	Time         time.Time `json:"time"`
	Stopped      bool      `json:"stopped"`
}

func (s *Server) routeTable() []Route {
	return []Route{
		{Method: "GET", Pattern: "/healthz", Open: true, handler: func(w http.ResponseWriter, r *http.Request) error {
			writeJSON(w, 200, map[string]string{"status": "ok"})
			return nil
		}},
		{Method: "GET", Pattern: "/api/v1/overview", handler: s.overview},
		{Method: "GET", Pattern: "/api/v1/jobs", handler: s.jobs},
		{Method: "POST", Pattern: "/api/v1/jobs", Write: true, handler: s.submit},
		{Method: "GET", Pattern: "/api/v1/jobs/{id}", handler: s.job},
		{Method: "GET", Pattern: "/api/v1/jobs/{id}/metrics", handler: s.metrics},
		{Method: "GET", Pattern: "/api/v1/jobs/{id}/checkpoints", handler: s.checkpoints},
		{Method: "GET", Pattern: "/api/v1/jobs/{id}/exceptions", handler: s.exceptions},
		{Method: "POST", Pattern: "/api/v1/jobs/{id}/cancel", Write: true, handler: s.cancel},
		{Method: "POST", Pattern: "/api/v1/jobs/{id}/savepoint", Write: true, handler: s.savepoint},
		{Method: "GET", Pattern: "/api/v1/savepoints", handler: s.savepoints},
		{Method: "GET", Pattern: "/api/v1/jobs/{id}/results", Stream: true, handler: s.resultsSSE},
		{Method: "GET", Pattern: "/api/v1/jobs/{id}/results/ws", Stream: true, handler: s.resultsWS},
		{Method: "GET", Pattern: "/api/v1/events", Stream: true, handler: s.events},
		{Method: "GET", Pattern: "/metrics", handler: s.promMetrics},
		{Method: "GET", Pattern: "/{$}", handler: s.ui},
		{Method: "GET", Pattern: "/ui/{path...}", handler: s.ui},
	}
}

func (s *Server) promMetrics(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Metrics == nil {
		return NotFound("metrics are not served by this build")
	}
	s.cfg.Metrics.ServeHTTP(w, r)
	return nil
}

func (s *Server) ui(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.UI == nil {
		return NotFound("the dashboard is not part of this build; the API is under /api/v1")
	}
	s.cfg.UI.ServeHTTP(w, r)
	return nil
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, 200, s.b.Overview())
	return nil
}

func (s *Server) jobs(w http.ResponseWriter, r *http.Request) error {
	js := s.b.Jobs()
	if js == nil {
		js = []JobSummary{}
	}
	writeJSON(w, 200, map[string]any{"jobs": js})
	return nil
}

// decode reads a JSON body strictly (unknown fields are an error).
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return BadRequest("the request body is empty: send a JSON object")
		}
		return BadRequest("the request body is not the expected JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return BadRequest("the request body has data after its JSON object")
	}
	return nil
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the job as application/json, not %s", ct)
	}
	var req SubmitRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Name != "" && len(req.Name) > 200 {
		return BadRequest("the job name is longer than 200 characters")
	}
	if req.FromSavepoint != "" && !ValidName(req.FromSavepoint) {
		return BadRequest("invalid from_savepoint %q: savepoints are addressed by name (letters, digits, '.', '_' and '-')", req.FromSavepoint)
	}
	js, err := s.b.Submit(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, js)
	return nil
}

// GraphVertex is a vertex of a job's graph.
type GraphVertex struct {
	ID          int             `json:"id"`
	Name        string          `json:"name"`
	Parallelism int             `json:"parallelism"`
	Operators   []GraphOperator `json:"operators"`
	Inputs      []GraphInput    `json:"inputs"`
}

// GraphOperator is an operator of a vertex's chain.
type GraphOperator struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// GraphInput is an input edge of a vertex.
type GraphInput struct {
	From         int    `json:"from"`
	Partitioning string `json:"partitioning"`
}

// Graph returns the graph of a job's view.
func Graph(view []cluster.VertexView) []GraphVertex {
	out := make([]GraphVertex, 0, len(view))
	for _, v := range view {
		gv := GraphVertex{ID: v.ID, Name: v.Name, Parallelism: v.Parallelism, Operators: []GraphOperator{}, Inputs: []GraphInput{}}
		for _, op := range v.Operators {
			gv.Operators = append(gv.Operators, GraphOperator{Name: op.Name, UID: op.UID})
		}
		for _, e := range v.Inputs {
			gv.Inputs = append(gv.Inputs, GraphInput{From: e.From, Partitioning: e.Partitioning})
		}
		out = append(out, gv)
	}
	return out
}

func (s *Server) job(w http.ResponseWriter, r *http.Request) error {
	ji, err := s.b.Job(r.PathValue("id"))
	if err != nil {
		return err
	}
	cols := ji.Columns
	if cols == nil {
		cols = []Column{}
	}
	writeJSON(w, 200, struct {
		JobSummary
		SQL     string        `json:"sql"`
		Graph   []GraphVertex `json:"graph"`
		Columns []Column      `json:"columns"`
	}{ji.JobSummary, ji.SQL, Graph(ji.View), cols})
	return nil
}

// OperatorMetrics are the figures of one operator, summed over subtasks.
type OperatorMetrics struct {
	Vertex           int     `json:"vertex"`
	Name             string  `json:"name"`
	UID              string  `json:"uid"`
	Parallelism      int     `json:"parallelism"`
	RecordsIn        int64   `json:"records_in"`
	RecordsOut       int64   `json:"records_out"`
	RecordsInPerSec  float64 `json:"records_in_per_sec"`
	RecordsOutPerSec float64 `json:"records_out_per_sec"`
	// Backpressure is the share of the time since the previous request
	// the operator's subtasks waited to send (0..1).
	Backpressure   float64 `json:"backpressure"`
	Watermark      *int64  `json:"watermark"` // min over subtasks, epoch ms (null: none yet)
	WatermarkLagMs *int64  `json:"watermark_lag_ms"`
	StateBytes     int64   `json:"state_bytes"`
	LateRecords    int64   `json:"late_records"`
	DeadLetters    int64   `json:"dead_letters"`
	LatencyP50Ms   float64 `json:"latency_p50_ms"`
	LatencyP99Ms   float64 `json:"latency_p99_ms"`
}

// rates remembers the previous totals of each job's operators to give
// per-second rates between two requests.
type rates struct {
	mu   sync.Mutex
	prev map[string]sample
}

type sample struct {
	at     time.Time
	totals map[string][3]int64 // in, out, backpressure ns
}

// Metrics returns the figures of a job's view; rates are over the time
// since the previous call for the same job.
func (s *Server) Metrics(id string, view []cluster.VertexView) []OperatorMetrics {
	now := time.Now()
	s.rates.mu.Lock()
	defer s.rates.mu.Unlock()
	if s.rates.prev == nil {
		s.rates.prev = map[string]sample{}
	}
	prev, hasPrev := s.rates.prev[id]
	cur := sample{at: now, totals: map[string][3]int64{}}
	dt := now.Sub(prev.at).Seconds()
	out := []OperatorMetrics{}
	for _, v := range view {
		for k, op := range v.Operators {
			m := OperatorMetrics{Vertex: v.ID, Name: op.Name, UID: op.UID, Parallelism: v.Parallelism}
			var bp int64
			var wm int64
			hasWM := false
			var lat struct{ p50, p99 float64 }
			for _, st := range op.Subtasks {
				m.RecordsIn += st.RecordsIn
				m.RecordsOut += st.RecordsOut
				m.StateBytes += st.StateBytes
				m.LateRecords += st.LateRecords
				m.DeadLetters += st.DeadLetters
				bp += st.BackpressureNanos
				if st.Watermark > base.MinTime && (!hasWM || st.Watermark < wm) {
					wm, hasWM = st.Watermark, true
				}
				if st.Latency.N > 0 {
					lat.p50 = max(lat.p50, float64(st.Latency.Quantile(0.5))/1e6)
					lat.p99 = max(lat.p99, float64(st.Latency.Quantile(0.99))/1e6)
				}
			}
			m.LatencyP50Ms, m.LatencyP99Ms = lat.p50, lat.p99
			if hasWM {
				lag := now.UnixMilli() - wm
				if wm == base.MaxTime {
					lag = 0
				}
				m.Watermark, m.WatermarkLagMs = &wm, &lag
			}
			key := op.UID
			if key == "" {
				key = op.Name
			}
			key = strconv.Itoa(v.ID) + "/" + strconv.Itoa(k) + "/" + key
			cur.totals[key] = [3]int64{m.RecordsIn, m.RecordsOut, bp}
			if p, ok := prev.totals[key]; hasPrev && ok && dt > 0 {
				m.RecordsInPerSec = float64(m.RecordsIn-p[0]) / dt
				m.RecordsOutPerSec = float64(m.RecordsOut-p[1]) / dt
				if par := len(op.Subtasks); par > 0 {
					m.Backpressure = min(1, max(0, float64(bp-p[2])/1e9/dt/float64(par)))
				}
			}
			out = append(out, m)
		}
	}
	s.rates.prev[id] = cur
	return out
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	ji, err := s.b.Job(id)
	if err != nil {
		return err
	}
	p50, p99 := 0.0, 0.0
	ops := s.Metrics(id, ji.View)
	for _, o := range ops {
		p50, p99 = max(p50, o.LatencyP50Ms), max(p99, o.LatencyP99Ms)
	}
	writeJSON(w, 200, map[string]any{"id": id, "state": ji.State, "operators": ops,
		"latency_p50_ms": p50, "latency_p99_ms": p99})
	return nil
}

// CheckpointsJSON is GET /api/v1/jobs/{id}/checkpoints. History and
// Failures are empty until the cluster keeps a checkpoint history.
type CheckpointsJSON struct {
	Enabled         bool    `json:"enabled"`
	Completed       int64   `json:"completed"`
	Failed          int64   `json:"failed"`
	Restored        int64   `json:"restored"`
	LatestID        int64   `json:"latest_id"`
	LatestDuration  float64 `json:"latest_duration_ms"`
	LatestBytes     int64   `json:"latest_bytes"`
	MaxDurationMs   float64 `json:"max_duration_ms"`
	MeanDurationMs  float64 `json:"mean_duration_ms"`
	MaxBytes        int64   `json:"max_bytes"`
	LastFailure     string  `json:"last_failure,omitempty"`
	History         []any   `json:"history"`
	FailuresHistory []any   `json:"failures"`
}

func (s *Server) checkpoints(w http.ResponseWriter, r *http.Request) error {
	ji, err := s.b.Job(r.PathValue("id"))
	if err != nil {
		return err
	}
	c := ji.Checkpoints
	out := CheckpointsJSON{Enabled: ji.Checkpointing, Completed: c.Completed, Failed: c.Failed, Restored: c.Restored,
		LatestID: c.LastID, LatestDuration: ms(c.LastDuration), LatestBytes: c.LastBytes, MaxDurationMs: ms(c.MaxDuration),
		MaxBytes: c.MaxBytes, LastFailure: c.LastFailure, History: []any{}, FailuresHistory: []any{}}
	if c.Periodic > 0 {
		out.MeanDurationMs = ms(c.TotalDuration) / float64(c.Periodic)
	}
	writeJSON(w, 200, out)
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func (s *Server) exceptions(w http.ResponseWriter, r *http.Request) error {
	ji, err := s.b.Job(r.PathValue("id"))
	if err != nil {
		return err
	}
	ex := ji.Exceptions
	if ex == nil {
		ex = []Exception{}
	}
	writeJSON(w, 200, map[string]any{"exceptions": ex})
	return nil
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) error {
	js, err := s.b.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, js)
	return nil
}

func (s *Server) savepoint(w http.ResponseWriter, r *http.Request) error {
	var req SavepointRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if !ValidName(req.Name) {
		return BadRequest("invalid savepoint name %q: use letters, digits, '.', '_' and '-' (1 to 64)", req.Name)
	}
	sp, err := s.b.Savepoint(r.Context(), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, 200, sp)
	return nil
}

func (s *Server) savepoints(w http.ResponseWriter, r *http.Request) error {
	sps, err := s.b.Savepoints()
	if err != nil {
		return err
	}
	if sps == nil {
		sps = []SavepointInfo{}
	}
	writeJSON(w, 200, map[string]any{"savepoints": sps})
	return nil
}
