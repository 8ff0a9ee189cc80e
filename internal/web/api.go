package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

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

// JobSummary is one job of GET /api/v1/jobs (and of `event: job`).
type JobSummary struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Kind        string     `json:"kind"`  // sql
	Query       bool       `json:"query"` // a SELECT whose rows go to the live feed
	State       string     `json:"state"`
	Parallelism int        `json:"parallelism"`
	StartedAt   time.Time  `json:"started_at"`
	EndedAt     *time.Time `json:"ended_at"`
	Error       string     `json:"error"`
	Restarts    int        `json:"restarts"`
	// RecordsPerSecond is the sources' output per second over the last RateWindow (0
	// unless running); the web layer fills it in.
	RecordsPerSecond float64 `json:"records_per_second"`
}

// Column is a column of a query job's result.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Zone is the session time zone of a TIMESTAMP_LTZ column (a time
	// zone database name, UTC or GMT+hh:mm), in which the dashboard shows
	// its instants, as `strom sql` does; empty for other columns.
	Zone string `json:"zone,omitempty"`
}

// JobInfo is what the Backend knows of one job.
type JobInfo struct {
	JobSummary
	SQL     string
	Columns []Column
	// Builtin describes a compiled-in job (nil for a SQL job).
	Builtin *BuiltinDoc
	// View is the graph and metrics of the job's current (or last)
	// attempt (nil: it never ran).
	View        []cluster.VertexView
	Checkpoints cluster.CheckpointStats
	// History is the recent checkpoint history, oldest first.
	History []cluster.CheckpointRecord
	// Checkpointing says whether the job takes checkpoints.
	Checkpointing bool
	// Exceptions are the job's failures, newest first (ExceptionsOf).
	Exceptions []Exception
}

// Exception is a failure of a job. Subtask is -1 when the failure is not
// a subtask's.
type Exception struct {
	Time       time.Time `json:"time"`
	Operator   string    `json:"operator"`
	UID        string    `json:"uid,omitempty"`
	Vertex     int       `json:"vertex"`
	Subtask    int       `json:"subtask"`
	Message    string    `json:"message"`
	Cause      string    `json:"cause"`
	Attempt    int       `json:"attempt"`
	Restarting bool      `json:"restarting"`
	Panic      bool      `json:"panic,omitempty"`
}

// SubmitRequest is the body of POST /api/v1/jobs.
type SubmitRequest struct {
	Name               string `json:"name"`
	SQL                string `json:"sql"`
	Parallelism        int    `json:"parallelism"`
	CheckpointInterval string `json:"checkpoint_interval"`
	// CheckpointMinPause is the least time from the completion of a
	// checkpoint to the start of the next ("" or "0s": none; default:
	// the server's); CheckpointMaxConcurrent the checkpoints in flight at
	// once (0: the server's default).
	CheckpointMinPause      string `json:"checkpoint_min_pause,omitempty"`
	CheckpointMaxConcurrent int    `json:"checkpoint_max_concurrent,omitempty"`
	FromSavepoint           string `json:"from_savepoint"`
	Builtin                 string `json:"builtin"`
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
		{Method: "GET", Pattern: "/api/v1/journal/topics", handler: s.journal},
		{Method: "POST", Pattern: "/api/v1/journal/topics", Write: true, handler: s.journal},
		{Method: "POST", Pattern: "/api/v1/journal/topics/{topic}/records", Write: true, handler: s.journal},
		{Method: "POST", Pattern: "/api/v1/journal/producers", Write: true, handler: s.journal},
		{Method: "GET", Pattern: "/api/v1/journal/topics/{topic}/partitions/{p}/records", handler: s.journal},
		{Method: "GET", Pattern: "/api/v1/journal/topics/{topic}/partitions/{p}/tail", Stream: true, handler: s.journal},
		{Method: "GET", Pattern: "/metrics", handler: s.promMetrics},
		{Method: "GET", Pattern: "/{$}", handler: s.ui},
		{Method: "GET", Pattern: "/ui/{file}", handler: s.ui},
		{Method: "GET", Pattern: "/ui/vendor/{file}", handler: s.ui},
	}
}

func (s *Server) promMetrics(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Metrics == nil {
		return NotFound("metrics are not served by this build")
	}
	s.cfg.Metrics.ServeHTTP(w, r)
	return nil
}

// journal hands the request to the journal's API, without the prefix.
func (s *Server) journal(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Journal == nil {
		return NotFound("the journal API is not served")
	}
	http.StripPrefix("/api/v1/journal", s.cfg.Journal).ServeHTTP(w, r)
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
	writeJSON(w, 200, map[string]any{"jobs": s.jobList()})
	return nil
}

// jobList is the Backend's jobs with the running ones' records per second
// (the sampler's).
func (s *Server) jobList() []JobSummary {
	js := s.b.Jobs()
	if js == nil {
		js = []JobSummary{}
	}
	for i := range js {
		if js[i].State != StateRunning {
			continue
		}
		if v, ok := s.sampled.Load(js[i].ID); ok {
			js[i].RecordsPerSecond = v.(*jobSample).perSecond
		}
	}
	return js
}

// jobSample is the sampler's latest figures of a running job.
type jobSample struct {
	doc       MetricsDoc
	perSecond float64 // the sources' records out per second
}

// sample runs until Shutdown: every Tick it computes the figures of every
// running job from its view (rates over the interval since the previous
// sample), for GET /jobs/{id}/metrics, the jobs' records_per_second and
// the `metrics` events; there is one interval per server whatever the
// number of readers.
func (s *Server) sample() {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		s.sampleOnce(time.Now())
		select {
		case <-t.C:
		case <-s.stop:
			return
		}
	}
}

func (s *Server) sampleOnce(now time.Time) {
	keep := map[string]bool{}
	for _, j := range s.b.Jobs() {
		if j.State != StateRunning {
			continue
		}
		ji, err := s.b.Job(j.ID)
		if err != nil {
			continue
		}
		keep[j.ID] = true
		doc := s.rates.metricsDoc(j.ID, ji.View, now)
		s.sampled.Store(j.ID, &jobSample{doc: doc, perSecond: sourcesPerSecond(ji.View, doc)})
	}
	s.rates.forget(keep)
	s.sampled.Range(func(k, _ any) bool {
		if !keep[k.(string)] {
			s.sampled.Delete(k)
		}
		return true
	})
}

// metricsOf is the sampler's latest figures of a running job, or (a job
// not running, or not sampled yet) its totals without rates.
func (s *Server) metricsOf(id string, ji JobInfo) MetricsDoc {
	if ji.State == StateRunning {
		if v, ok := s.sampled.Load(id); ok {
			return v.(*jobSample).doc
		}
	}
	var m rateMemo
	return m.metricsDoc(id, ji.View, time.Now())
}

// decodeBody reads a JSON body strictly (unknown fields are an error).
func decodeBody(r *http.Request, v any) error {
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
	if err := decodeBody(r, &req); err != nil {
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

// JobDoc is GET /api/v1/jobs/{id}.
type JobDoc struct {
	JobSummary
	SQL     string   `json:"sql"`
	Graph   GraphDoc `json:"graph"`
	Columns []Column `json:"columns"`
	// Builtin describes a compiled-in job (null for a SQL job).
	Builtin *BuiltinDoc `json:"builtin"`
}

// BuiltinDoc describes a compiled-in DataStream job, which has no SQL to
// show: its registry name, what it does, and its plan (the operator chains
// with their parallelism and inputs, one vertex per line).
type BuiltinDoc struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Plan        string `json:"plan"`
}

// GraphDoc is a job's graph.
type GraphDoc struct {
	Vertices []GraphVertex `json:"vertices"`
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
	writeJSON(w, 200, JobDoc{ji.JobSummary, ji.SQL, GraphDoc{Vertices: Graph(ji.View)}, cols, ji.Builtin})
	return nil
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	ji, err := s.b.Job(id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, s.metricsOf(id, ji))
	return nil
}

func (s *Server) checkpoints(w http.ResponseWriter, r *http.Request) error {
	ji, err := s.b.Job(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, checkpointsDoc(ji))
	return nil
}

func millis(d time.Duration) float64 { return float64(d) / 1e6 }

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
	if err := decodeBody(r, &req); err != nil {
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
