package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/failpoint"
	"github.com/stromio/strom/internal/web"
	"github.com/stromio/strom/journal"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// jobRecord is the persisted spec and desired state of a job
// (jobs/<id>/job.json, inside a checksummed envelope).
type jobRecord struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	SQL                string `json:"sql"`
	Builtin            string `json:"builtin,omitempty"` // a compiled-in job (Config.Builtins) instead of SQL
	Query              bool   `json:"query"`
	Parallelism        int    `json:"parallelism"`
	CheckpointInterval string `json:"checkpoint_interval"`
	// The two below are absent from records written before they existed
	// (the job then runs with no pause and one checkpoint at a time, as
	// it did).
	CheckpointMinPause      string     `json:"checkpoint_min_pause,omitempty"`
	CheckpointMaxConcurrent int        `json:"checkpoint_max_concurrent,omitempty"`
	FromSavepoint           string     `json:"from_savepoint,omitempty"`
	Desired                 string     `json:"desired"` // running, or the final state
	Created                 time.Time  `json:"created"`
	Ended                   *time.Time `json:"ended,omitempty"`
	Error                   string     `json:"error,omitempty"`
}

// jobFileVersion is the version of the job.json layout.
const jobFileVersion = 1

type jobFile struct {
	Version int             `json:"version"`
	CRC32C  uint32          `json:"crc32c"` // of Job's bytes
	Job     json.RawMessage `json:"job"`
}

// job is a job of the server; mu guards everything but rec.ID and the
// fields set before the supervisor starts.
type job struct {
	mu       sync.Mutex
	rec      jobRecord
	dir      string
	state    string
	started  time.Time
	cur      *stream.Job // the running job (nil: none); it restarts itself
	last     *stream.Job // the job that ran last (its figures after the end)
	retries  int         // starts that failed (planning at a resume)
	columns  []web.Column
	plan     string          // a builtin job's plan (stream.Environment.Plan)
	feed     *web.Feed       // query jobs
	excs     []web.Exception // failures to start, newest first
	stopping string          // "cancelled" when the user cancelled
	cancelCh chan struct{}   // closed by Cancel (wakes a restart delay)
	lagSrcs  []lagSource     // journal sources committing offsets to a group
	// kafkaSrcs are the Kafka sources committing offsets to a group;
	// kafka their lag clients (own lock), closed when the job ends.
	kafkaSrcs []kafkaLagSource
	kafka     kafkaLags
}

// lagSource is a journal source of a job that commits its checkpoints'
// offsets to a consumer group ('scan.commit-offsets'): the group's lag is
// the job's lag on the topic.
type lagSource struct{ topic, group string }

// lags are the records of each partition of the job's journal sources
// after their group's committed offsets.
func (s *Server) lags(srcs []lagSource) []web.SourceLag {
	var out []web.SourceLag
	for _, src := range srcs {
		offs, err := s.j.GroupOffsets(src.group)
		if err != nil {
			continue
		}
		for p := 0; ; p++ {
			_, end, err := s.j.Bounds(src.topic, p)
			if err != nil {
				break
			}
			lag := end
			if off, ok := offs[journal.TopicPartition{Topic: src.topic, Partition: p}]; ok {
				lag = max(0, end-off)
			}
			out = append(out, web.SourceLag{Connector: "journal", Topic: src.topic, Partition: int32(p), Lag: lag})
		}
	}
	return out
}

func (s *Server) jobPath(id string) string { return filepath.Join(s.dir, "jobs", id) }

func (s *Server) saveRecord(jb *job) error {
	jb.mu.Lock()
	rec := jb.rec
	jb.mu.Unlock()
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(jobFile{Version: jobFileVersion, CRC32C: crc32.Checksum(body, castagnoli), Job: body}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(jb.dir, "job.json"), append(b, '\n'), 0o600)
}

func readRecord(name string) (jobRecord, error) {
	var rec jobRecord
	b, err := os.ReadFile(name)
	if err != nil {
		return rec, err
	}
	var f jobFile
	if err := json.Unmarshal(b, &f); err != nil {
		return rec, fmt.Errorf("%s is not a job file: %w", name, err)
	}
	if f.Version != jobFileVersion {
		return rec, fmt.Errorf("%s has version %d; this strom reads version %d", name, f.Version, jobFileVersion)
	}
	// The checksum covers the compact bytes of the record.
	var compact bytes.Buffer
	if err := json.Compact(&compact, f.Job); err != nil || crc32.Checksum(compact.Bytes(), castagnoli) != f.CRC32C {
		return rec, fmt.Errorf("%s is damaged (checksum mismatch)", name)
	}
	if err := json.Unmarshal(f.Job, &rec); err != nil {
		return rec, fmt.Errorf("%s: %w", name, err)
	}
	return rec, nil
}

// loadJobs reads jobs/*/job.json and resumes the running ones.
func (s *Server) loadJobs() error {
	ents, err := os.ReadDir(filepath.Join(s.dir, "jobs"))
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.IsDir() || !web.ValidName(e.Name()) {
			continue
		}
		rec, err := readRecord(filepath.Join(s.jobPath(e.Name()), "job.json"))
		if err != nil {
			s.log.Warn("strom server: skipping a job directory", "dir", s.jobPath(e.Name()), "err", err)
			continue
		}
		jb := &job{rec: rec, dir: s.jobPath(rec.ID), cancelCh: make(chan struct{}), started: rec.Created}
		if rec.Query {
			jb.feed = web.NewResultFeed(0, 0, 0)
		}
		s.jobs[rec.ID] = jb
		if rec.Desired != web.StateRunning {
			jb.state = rec.Desired
			if jb.feed != nil {
				jb.feed.Close([]byte(`{"end":"` + rec.Desired + `"}`))
			}
			continue
		}
		jb.state = web.StateCreated
		// Its uptime counts from this start, not from its creation (the
		// time the server was down is no uptime); created stays in rec.
		jb.started = time.Now().UTC()
		s.log.Info("strom server: resuming a job", "id", rec.ID, "name", rec.Name)
		s.wg.Add(1)
		go s.supervise(jb, nil)
	}
	return nil
}

// Submit implements web.Backend: it plans and starts the job at once (a
// planning error is a 400 with line and column), then persists it and
// hands it to its supervisor.
func (s *Server) Submit(ctx context.Context, req web.SubmitRequest) (web.JobSummary, error) {
	if req.Builtin != "" {
		if _, ok := s.cfg.Builtins[req.Builtin]; !ok {
			return web.JobSummary{}, web.BadRequest("no compiled-in job is named %q (known: %s)", req.Builtin, strings.Join(s.BuiltinNames(), ", "))
		}
		if strings.TrimSpace(req.SQL) != "" {
			return web.JobSummary{}, web.BadRequest("give either \"sql\" or \"builtin\", not both")
		}
	} else if strings.TrimSpace(req.SQL) == "" {
		return web.JobSummary{}, web.BadRequest("the job has no SQL: give \"sql\" with CREATE TABLE statements and an INSERT INTO or a SELECT")
	}
	if req.Parallelism < 0 || req.Parallelism > 256 {
		return web.JobSummary{}, web.BadRequest("parallelism must be between 1 and 256, got %d", req.Parallelism)
	}
	if req.Parallelism == 0 {
		req.Parallelism = 1
	}
	interval := s.cfg.CheckpointInterval
	if req.CheckpointInterval != "" {
		d, err := time.ParseDuration(req.CheckpointInterval)
		if err != nil || d < 10*time.Millisecond || d > 24*time.Hour {
			return web.JobSummary{}, web.BadRequest("checkpoint_interval %q: give a duration from 10ms to 24h, e.g. \"10s\"", req.CheckpointInterval)
		}
		interval = d
	}
	minPause := s.cfg.CheckpointMinPause
	if req.CheckpointMinPause != "" {
		d, err := time.ParseDuration(req.CheckpointMinPause)
		if err != nil || d < 0 || d > 24*time.Hour {
			return web.JobSummary{}, web.BadRequest("checkpoint_min_pause %q: give a duration from 0s to 24h, e.g. \"5s\"", req.CheckpointMinPause)
		}
		minPause = d
	}
	maxConcurrent := s.cfg.CheckpointMaxConcurrent
	if req.CheckpointMaxConcurrent != 0 {
		if req.CheckpointMaxConcurrent < 1 || req.CheckpointMaxConcurrent > MaxCheckpointsConcurrent {
			return web.JobSummary{}, web.BadRequest("checkpoint_max_concurrent must be between 1 and %d, got %d", MaxCheckpointsConcurrent, req.CheckpointMaxConcurrent)
		}
		maxConcurrent = req.CheckpointMaxConcurrent
	}
	if req.FromSavepoint != "" {
		if !web.ValidName(req.FromSavepoint) {
			return web.JobSummary{}, web.BadRequest("invalid from_savepoint %q", req.FromSavepoint)
		}
		if err := s.checkSavepointDir(req.FromSavepoint); err != nil {
			return web.JobSummary{}, err
		}
	}
	name := req.Name
	if name == "" {
		name = "sql"
		if req.Builtin != "" {
			name = req.Builtin
		}
	}
	id, err := newID()
	if err != nil {
		return web.JobSummary{}, err
	}
	rec := jobRecord{ID: id, Name: name, SQL: req.SQL, Builtin: req.Builtin, Query: req.Builtin == "" && streamsql.IsQuery(req.SQL), Parallelism: req.Parallelism,
		CheckpointInterval: interval.String(), CheckpointMinPause: minPause.String(), CheckpointMaxConcurrent: maxConcurrent,
		FromSavepoint: req.FromSavepoint, Desired: web.StateRunning, Created: time.Now().UTC()}
	if rec.Query && rec.FromSavepoint != "" {
		return web.JobSummary{}, web.BadRequest("a query (SELECT) job starts fresh; from_savepoint is for INSERT INTO jobs")
	}
	jb := &job{rec: rec, dir: s.jobPath(id), cancelCh: make(chan struct{}), state: web.StateCreated, started: rec.Created}
	if rec.Query {
		jb.feed = web.NewResultFeed(0, 0, 0)
	}
	// The attempt is in the server's WaitGroup from here on (Close waits
	// for it before closing the journal); the supervisor takes the count
	// over, every other way out gives it back.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return web.JobSummary{}, web.Errorf(503, "shutting_down", "the server is shutting down")
	}
	s.wg.Add(1)
	s.mu.Unlock()
	handed := false
	defer func() {
		if !handed {
			s.wg.Done()
		}
	}()
	if err := os.MkdirAll(jb.dir, 0o700); err != nil {
		return web.JobSummary{}, err
	}
	first, err := s.startAttempt(jb)
	if err != nil {
		_ = os.RemoveAll(jb.dir)
		return web.JobSummary{}, userError(err, req.SQL)
	}
	if err := s.saveRecord(jb); err != nil {
		first.Cancel()
		_ = first.Wait()
		_ = os.RemoveAll(jb.dir)
		return web.JobSummary{}, fmt.Errorf("persist job %s: %w", id, err)
	}
	if s.beforeCommit != nil {
		s.beforeCommit()
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		// The client is told the job failed: nothing of it may be resumed.
		first.Cancel()
		_ = first.Wait()
		_ = os.RemoveAll(jb.dir)
		return web.JobSummary{}, web.Errorf(503, "shutting_down", "the server is shutting down")
	}
	s.jobs[id] = jb
	handed = true
	s.mu.Unlock()
	jb.mu.Lock()
	jb.cur, jb.last, jb.state = first, first, web.StateRunning
	jb.mu.Unlock()
	go s.supervise(jb, first)
	return jb.summary(), nil
}

// userError turns a planning or start error into a 400.
func userError(err error, src string) error {
	var we *web.Error
	if errors.As(err, &we) {
		return err
	}
	var se *streamsql.Error
	if errors.As(err, &se) {
		e := web.BadRequest("%s", se.Pretty(src))
		e.Line, e.Column = se.Line, se.Col
		return e
	}
	return web.BadRequest("the job did not start: %v", err)
}

func newID() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "j-" + hex.EncodeToString(b[:]), nil
}

// startAttempt plans the job in a new session and starts it.
func (s *Server) startAttempt(jb *job) (*stream.Job, error) {
	jb.mu.Lock()
	rec := jb.rec
	jb.mu.Unlock()
	if rec.Builtin != "" {
		return s.startBuiltin(jb, rec)
	}
	// Statement output ("OK" of DDL) is not wanted; print tables write to
	// cfg.Out through their factory.
	onSource := func(conn string, t connector.TableContext) {
		if conn == "kafka" {
			jb.kafkaSource(t)
			return
		}
		if conn != "journal" || !strings.EqualFold(t.Options["scan.commit-offsets"], "true") || t.Options["group.id"] == "" || t.Options["topic"] == "" {
			return
		}
		jb.mu.Lock()
		defer jb.mu.Unlock()
		src := lagSource{topic: t.Options["topic"], group: t.Options["group.id"]}
		if !slices.Contains(jb.lagSrcs, src) {
			jb.lagSrcs = append(jb.lagSrcs, src)
		}
	}
	opts := streamsql.Options{Factories: s.factories(onSource), Parallelism: rec.Parallelism, Name: rec.Name, Out: io.Discard}
	// Warnings about the job (SET checkpoint keys the server's own
	// checkpoints override) go to the server's log.
	opts.Warnf = func(format string, args ...any) {
		s.log.Warn("strom server: job "+rec.ID+": "+fmt.Sprintf(format, args...), "job", rec.ID)
	}
	if !rec.Query {
		opts.Checkpoints = s.checkpointOptions(jb, rec)
		opts.Restart = s.cfg.Restart
	} else {
		// Not into a directory the script names on the server's disk.
		opts.NoCheckpoints = "a SELECT job on the server runs without checkpoints (an INSERT job takes the server's, in its data directory)"
	}
	sess := streamsql.NewSession(opts)
	if s.cfg.OnSession != nil {
		s.cfg.OnSession(sess)
	}
	if !rec.Query {
		j, _, err := sess.Submit(s.ctx, rec.SQL)
		if err != nil {
			return nil, err
		}
		if j == nil {
			return nil, web.BadRequest("the script has no INSERT INTO and does not end with a SELECT: nothing to run")
		}
		return j, nil
	}
	// The rows come with the result's columns (QuerySchema), which may be
	// before Query returns them; the JSON schema is built at the first row.
	// A TIMESTAMP_LTZ is an instant in JSON (epoch milliseconds, as every
	// timestamp: table.AppendJSON), the same in every time zone.
	var schema table.Schema
	var buf []byte
	feed := jb.feed
	j, rs, err := sess.QuerySchema(s.ctx, rec.SQL, func(rs *streamsql.ResultSchema, r table.Row) error {
		if schema.Columns == nil {
			schema.Columns = make([]table.Column, 0, len(rs.Columns))
			for _, c := range rs.Columns {
				schema.Columns = append(schema.Columns, table.Column{Name: c.Name, Type: c.Type})
			}
		}
		var err error
		if buf, err = table.AppendJSON(buf[:0], r, &schema); err != nil {
			return err
		}
		feed.PublishRow(r.Kind.String(), buf)
		return nil
	})
	if err != nil {
		return nil, err
	}
	wc := make([]web.Column, 0, len(rs.Columns))
	for _, c := range rs.Columns {
		col := web.Column{Name: c.Name, Type: c.Type.String()}
		if c.Type.Root() == table.RootTimestampLTZ {
			col.Zone = rs.Location.String()
		}
		wc = append(wc, col)
	}
	jb.mu.Lock()
	jb.columns = wc
	jb.mu.Unlock()
	return j, nil
}

// supervise waits for the job (which restarts itself from its latest
// checkpoint within the restart strategy) and records how it ended. When
// the job cannot even be started (its SQL no longer plans when the server
// resumes it), it retries with the strategy's delays. The server's
// shutdown cancels the job and leaves the desired state running.
func (s *Server) supervise(jb *job, cur *stream.Job) {
	defer s.wg.Done()
	defer jb.kafka.close() // before Done: Close waits for the clients
	rs := s.cfg.Restart
	delay := time.Duration(0)
	for {
		var err error
		if cur == nil {
			cur, err = s.startAttempt(jb)
		}
		if err == nil {
			jb.mu.Lock()
			jb.cur, jb.last, jb.state = cur, cur, web.StateRunning
			cancelled := jb.stopping != ""
			jb.mu.Unlock()
			s.publishState(jb)
			if cancelled {
				cur.Cancel()
			}
			stop := context.AfterFunc(s.ctx, cur.Cancel)
			err = cur.Wait()
			stop()
			jb.mu.Lock()
			jb.cur = nil
			jb.mu.Unlock()
			cur = nil
			jb.mu.Lock()
			userStop := jb.stopping
			jb.mu.Unlock()
			switch {
			case userStop != "" && !errors.Is(err, stream.ErrStopped):
				// Cancelled by the user (a source may report the
				// cancellation as its own "context canceled" failure).
				s.finish(jb, web.StateCancelled, "")
			case err == nil:
				s.finish(jb, web.StateFinished, "")
			case errors.Is(err, stream.ErrStopped):
				s.finish(jb, web.StateStopped, "")
			case s.ctx.Err() != nil:
				s.endFeed(jb, "shutdown") // leave the job resumable
			case errors.Is(err, stream.ErrCanceled):
				s.finish(jb, web.StateCancelled, "")
			default: // the restart strategy gave up
				s.finish(jb, web.StateFailed, err.Error())
			}
			return
		}
		// The job did not start.
		if s.ctx.Err() != nil {
			s.endFeed(jb, "shutdown")
			return
		}
		s.recordException(jb, err)
		jb.mu.Lock()
		jb.retries++
		retries := jb.retries
		jb.mu.Unlock()
		if jb.rec.Query || retries > rs.MaxAttempts {
			s.finish(jb, web.StateFailed, err.Error())
			return
		}
		if delay == 0 {
			delay = rs.Delay
		} else if rs.Backoff > 1 {
			delay = time.Duration(float64(delay) * rs.Backoff)
		}
		if rs.MaxDelay > 0 && delay > rs.MaxDelay {
			delay = rs.MaxDelay
		}
		jb.mu.Lock()
		jb.state = web.StateRestarting
		jb.mu.Unlock()
		s.publishState(jb)
		s.log.Warn("strom server: a job did not start, retrying", "job", jb.rec.ID, "attempt", retries, "of", rs.MaxAttempts, "delay", delay, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			s.endFeed(jb, "shutdown")
			return
		case <-jb.cancelCh:
			t.Stop()
			s.finish(jb, web.StateCancelled, "")
			return
		}
	}
}

// recordException records a failure to start the job (the job's own
// failures are in its log).
func (s *Server) recordException(jb *job, err error) {
	ex := web.Exception{Time: time.Now().UTC(), Message: err.Error(), Subtask: -1, Attempt: jb.retries}
	if u := errors.Unwrap(err); u != nil {
		ex.Cause = u.Error()
	}
	jb.mu.Lock()
	jb.excs = append([]web.Exception{ex}, jb.excs...)
	if len(jb.excs) > 100 {
		jb.excs = jb.excs[:100]
	}
	jb.mu.Unlock()
}

// finish records the job's final state (persisted as its desired state so
// a restart of the server does not resume it).
func (s *Server) finish(jb *job, state, msg string) {
	now := time.Now().UTC()
	jb.mu.Lock()
	jb.rec.Desired = state
	jb.rec.Ended = &now
	jb.rec.Error = msg
	jb.mu.Unlock()
	// Persisted before it shows: a client that saw the state finds it
	// after a restart of the server too.
	if err := s.saveRecord(jb); err != nil {
		s.log.Error("strom server: could not persist a job's final state; it may be resumed after a restart", "job", jb.rec.ID, "err", err)
	}
	jb.mu.Lock()
	jb.state = state
	jb.mu.Unlock()
	s.endFeed(jb, state)
	s.publishState(jb)
}

func (s *Server) endFeed(jb *job, why string) {
	if jb.feed != nil {
		jb.feed.Close([]byte(`{"end":"` + why + `"}`))
	}
}

func (jb *job) summary() web.JobSummary {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	return jb.summaryLocked()
}

// checkpointOptions are the checkpoints of an INSERT or builtin job.
func (s *Server) checkpointOptions(jb *job, rec jobRecord) *stream.CheckpointOptions {
	interval, _ := time.ParseDuration(rec.CheckpointInterval)
	minPause, _ := time.ParseDuration(rec.CheckpointMinPause) // "" (an older record): 0, none
	co := &stream.CheckpointOptions{Dir: filepath.Join(jb.dir, "checkpoints"), Interval: interval,
		MinPause: minPause, MaxConcurrent: rec.CheckpointMaxConcurrent, // 0 (an older record): 1
		BufferedStateWrites: s.cfg.BufferedStateWrites,
		Logf: func(format string, args ...any) {
			s.log.Warn("strom server: job "+rec.ID+": "+fmt.Sprintf(format, args...), "job", rec.ID)
		}}
	if rec.FromSavepoint != "" {
		co.FromSavepoint = filepath.Join(s.dir, "savepoints", rec.FromSavepoint)
	}
	return co
}

// startBuiltin builds a compiled-in job and starts it, with checkpoints
// and restarts like an INSERT job.
func (s *Server) startBuiltin(jb *job, rec jobRecord) (*stream.Job, error) {
	b, ok := s.cfg.Builtins[rec.Builtin]
	if !ok {
		return nil, web.BadRequest("no compiled-in job is named %q in this build", rec.Builtin)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: rec.Parallelism, Name: rec.Name,
		Checkpoints: s.checkpointOptions(jb, rec), Restart: s.cfg.Restart})
	if err := b.Build(env, rec.Created.UnixMilli()); err != nil {
		return nil, err
	}
	// The job view shows the plan in place of SQL; a plan that does not
	// compile fails Start below with the same error.
	if p, err := env.Plan(); err == nil {
		jb.mu.Lock()
		jb.plan = p
		jb.mu.Unlock()
	}
	return env.Start(s.ctx)
}

// BuiltinNames lists the compiled-in jobs, sorted.
func (s *Server) BuiltinNames() []string {
	names := make([]string, 0, len(s.cfg.Builtins))
	for n := range s.cfg.Builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (jb *job) summaryLocked() web.JobSummary {
	kind := "sql"
	if jb.rec.Builtin != "" {
		kind = "builtin"
	}
	js := web.JobSummary{ID: jb.rec.ID, Name: jb.rec.Name, Kind: kind, Query: jb.rec.Query, State: jb.state,
		Parallelism: jb.rec.Parallelism, StartedAt: jb.started, Error: jb.rec.Error, Restarts: jb.retries}
	if j := jb.last; j != nil {
		js.Restarts += j.Attempt()
		if jb.cur != nil && j.Restarting() {
			js.State = web.StateRestarting
		}
	}
	if jb.rec.Ended != nil && jb.rec.Desired != web.StateRunning {
		t := *jb.rec.Ended
		js.EndedAt = &t
	}
	return js
}

// Jobs implements web.Backend.
func (s *Server) Jobs() []web.JobSummary {
	s.mu.Lock()
	jobs := make([]*job, 0, len(s.jobs))
	for _, jb := range s.jobs {
		jobs = append(jobs, jb)
	}
	s.mu.Unlock()
	out := make([]web.JobSummary, 0, len(jobs))
	for _, jb := range jobs {
		out = append(out, jb.summary())
	}
	sort.Slice(out, func(i, k int) bool {
		if !out[i].StartedAt.Equal(out[k].StartedAt) {
			return out[i].StartedAt.After(out[k].StartedAt)
		}
		return out[i].ID < out[k].ID
	})
	return out
}

func (s *Server) job(id string) (*job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	jb, ok := s.jobs[id]
	if !ok {
		return nil, web.NotFound("no job %q (GET /api/v1/jobs lists them)", id)
	}
	return jb, nil
}

// Job implements web.Backend.
func (s *Server) Job(id string) (web.JobInfo, error) {
	jb, err := s.job(id)
	if err != nil {
		return web.JobInfo{}, err
	}
	jb.mu.Lock()
	defer jb.mu.Unlock()
	ji := web.JobInfo{JobSummary: jb.summaryLocked(), SQL: RedactSQL(jb.rec.SQL), Columns: jb.columns,
		Checkpointing: !jb.rec.Query}
	if jb.rec.Builtin != "" {
		ji.Builtin = &web.BuiltinDoc{Name: jb.rec.Builtin, Description: s.cfg.Builtins[jb.rec.Builtin].Description, Plan: jb.plan}
	}
	var excs []web.Exception
	if j := jb.last; j != nil {
		ji.View, ji.Checkpoints, ji.History = j.View(), j.Checkpoints(), j.CheckpointHistory()
		excs = web.ExceptionsOf(j.Exceptions())
	}
	// The failures to start and the job's own, newest first.
	ji.Exceptions = append(append([]web.Exception(nil), jb.excs...), excs...)
	sort.SliceStable(ji.Exceptions, func(a, b int) bool { return ji.Exceptions[a].Time.After(ji.Exceptions[b].Time) })
	return ji, nil
}

// Feed implements web.Backend.
func (s *Server) Feed(id string) (*web.Feed, error) {
	jb, err := s.job(id)
	if err != nil {
		return nil, err
	}
	if jb.feed == nil {
		return nil, web.NotFound("job %s is an INSERT INTO job: only query (SELECT) jobs have live results", id)
	}
	return jb.feed, nil
}

// Cancel implements web.Backend.
func (s *Server) Cancel(ctx context.Context, id string) (web.JobSummary, error) {
	jb, err := s.job(id)
	if err != nil {
		return web.JobSummary{}, err
	}
	jb.mu.Lock()
	switch jb.state {
	case web.StateFinished, web.StateFailed, web.StateCancelled, web.StateStopped:
		st := jb.state
		jb.mu.Unlock()
		return web.JobSummary{}, web.Conflict("job %s already ended (%s)", id, st)
	}
	if jb.stopping == "" {
		jb.stopping = web.StateCancelled
		close(jb.cancelCh)
	}
	cur := jb.cur
	jb.mu.Unlock()
	if cur != nil {
		cur.Cancel()
	}
	return jb.summary(), nil
}

// savepointMeta is savepoints/<name>.json, written when the savepoint in
// savepoints/<name>/ is complete: a directory without it is not a
// savepoint (not listed, not accepted by from_savepoint).
type savepointMeta = web.SavepointInfo

// savepointTimeout bounds a savepoint taken over the API.
const savepointTimeout = 10 * time.Minute

// Savepoint implements web.Backend.
func (s *Server) Savepoint(_ context.Context, id string, req web.SavepointRequest) (web.SavepointInfo, error) {
	if !web.ValidName(req.Name) {
		return web.SavepointInfo{}, web.BadRequest("invalid savepoint name %q", req.Name)
	}
	jb, err := s.job(id)
	if err != nil {
		return web.SavepointInfo{}, err
	}
	if jb.rec.Query {
		return web.SavepointInfo{}, web.Conflict("job %s is a query (SELECT) job: it takes no checkpoints, so no savepoints", id)
	}
	jb.mu.Lock()
	cur := jb.cur
	jb.mu.Unlock()
	if cur == nil {
		return web.SavepointInfo{}, web.Conflict("job %s is not running (it is %s); try again when it runs", id, jb.summary().State)
	}
	// Claim the name: first among this server's savepoints (a name being
	// written is busy), then in the directory (os.Mkdir is atomic). A
	// directory of the name without <name>.json that no savepoint of this
	// server is writing was left by a crash (or by hand): it is removed and
	// the name reused.
	s.mu.Lock()
	busy := s.savepointsBusy[req.Name]
	if !busy {
		s.savepointsBusy[req.Name] = true
	}
	s.mu.Unlock()
	if busy {
		return web.SavepointInfo{}, web.Conflict("a savepoint named %q is being written; choose another name", req.Name)
	}
	defer func() {
		s.mu.Lock()
		delete(s.savepointsBusy, req.Name)
		s.mu.Unlock()
	}()
	dir := filepath.Join(s.dir, "savepoints", req.Name)
	err = os.Mkdir(dir, 0o700)
	if errors.Is(err, os.ErrExist) && s.removeIfIncomplete(req.Name) {
		err = os.Mkdir(dir, 0o700)
	}
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return web.SavepointInfo{}, web.Conflict("a savepoint named %q exists; choose another name", req.Name)
		}
		return web.SavepointInfo{}, err
	}
	_ = os.Remove(dir + ".json") // a stale marker of a directory removed by hand
	// The savepoint runs under the server's context, not the request's: a
	// client that goes away does not leave it half-written.
	sctx, cancel := context.WithTimeout(s.ctx, savepointTimeout)
	defer cancel()
	res, err := cur.Savepoint(sctx, dir, req.Stop)
	if err != nil {
		// Without <name>.json the directory is not a savepoint anyway;
		// removing it gives the name back.
		_ = os.RemoveAll(dir)
		return web.SavepointInfo{}, web.Conflict("savepoint of job %s failed: %v", id, err)
	}
	failpoint.Hit("savepoint-written")
	info := web.SavepointInfo{Name: req.Name, Job: id, CheckpointID: res.CheckpointID, Bytes: res.Bytes, Time: time.Now().UTC(), Stopped: req.Stop}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return info, err
	}
	if err := writeFileAtomic(dir+".json", append(b, '\n'), 0o600); err != nil {
		return info, err
	}
	return info, nil
}

// Savepoints implements web.Backend.
func (s *Server) Savepoints() ([]web.SavepointInfo, error) {
	root := filepath.Join(s.dir, "savepoints")
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	out := []web.SavepointInfo{}
	for _, e := range ents {
		if !e.IsDir() || !web.ValidName(e.Name()) {
			continue
		}
		// Only complete savepoints: <name>.json is written last.
		b, err := os.ReadFile(filepath.Join(root, e.Name()+".json"))
		if err != nil {
			continue
		}
		info := savepointMeta{Name: e.Name()}
		_ = json.Unmarshal(b, &info)
		info.Name = e.Name()
		out = append(out, info)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
	return out, nil
}

// removeIncompleteSavepoints removes, at Open, every savepoint directory
// without its <name>.json (a server that crashed while writing it left it;
// its name could otherwise never be used again) and the temporary files of
// <name>.json writes that did not finish. Each removal is logged.
func (s *Server) removeIncompleteSavepoints() {
	root := filepath.Join(s.dir, "savepoints")
	ents, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") && strings.Contains(name, ".json.tmp") && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(root, name))
			continue
		}
		if web.ValidName(name) {
			s.removeIfIncomplete(name)
		}
	}
}

// removeIfIncomplete removes savepoints/<name>/ when it is a directory (not
// a symlink) without a <name>.json file, and reports whether it did. The
// caller makes sure no savepoint of the name is being written.
func (s *Server) removeIfIncomplete(name string) bool {
	dir := filepath.Join(s.dir, "savepoints", name)
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() {
		return false
	}
	if fi, err := os.Lstat(dir + ".json"); err == nil && fi.Mode().IsRegular() {
		return false // complete
	}
	if err := os.RemoveAll(dir); err != nil {
		s.log.Warn("cannot remove an incomplete savepoint", "savepoint", name, "dir", dir, "err", err)
		return false
	}
	s.log.Warn("removed an incomplete savepoint (no "+name+".json: the server stopped while writing it); its name is free again",
		"savepoint", name, "dir", dir)
	return true
}

// checkSavepointDir checks that savepoints/<name> is a directory that
// stays inside the data directory (a symlink out of it is refused).
func (s *Server) checkSavepointDir(name string) error {
	dir := filepath.Join(s.dir, "savepoints", name)
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() {
		return web.BadRequest("no savepoint is named %q (GET /api/v1/savepoints lists them)", name)
	}
	// <name>.json is written last: without it the savepoint is incomplete.
	if fi, err := os.Lstat(dir + ".json"); err != nil || !fi.Mode().IsRegular() {
		return web.BadRequest("the savepoint %q is incomplete (it has no %s.json); take another one", name, name)
	}
	return nil
}

// MetricsSource gives the figures of the running jobs to the Prometheus
// handler (web.NewMetricsHandler).
func (s *Server) MetricsSource() []web.JobMetrics {
	s.mu.Lock()
	jobs := make([]*job, 0, len(s.jobs))
	for _, jb := range s.jobs {
		jobs = append(jobs, jb)
	}
	s.mu.Unlock()
	now := time.Now()
	// One deadline for the Kafka lags of every job: the jobs ask their
	// brokers at once.
	ctx, cancel := context.WithTimeout(s.ctx, kafkaLagTimeout)
	defer cancel()
	var (
		out []web.JobMetrics
		wg  sync.WaitGroup
	)
	kafka := make([][]web.SourceLag, len(jobs))
	for _, jb := range jobs {
		jb.mu.Lock()
		cur, name, id, retries, srcs, ksrcs := jb.cur, jb.rec.Name, jb.rec.ID, jb.retries, slices.Clone(jb.lagSrcs), slices.Clone(jb.kafkaSrcs)
		jb.mu.Unlock()
		if cur == nil {
			continue
		}
		i := len(out)
		wg.Go(func() { kafka[i] = s.kafkaLags(ctx, jb, ksrcs) })
		out = append(out, web.JobMetrics{JobID: id, JobName: name, Time: now, Vertices: cur.View(),
			Checkpoints: cur.Checkpoints(), History: cur.CheckpointHistory(),
			Exceptions: cur.ExceptionCount() + int64(retries), Restarts: cur.Attempt() + retries, Lags: s.lags(srcs)})
	}
	wg.Wait()
	for i := range out {
		out[i].Lags = append(out[i].Lags, kafka[i]...)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].JobID < out[b].JobID })
	return out
}
