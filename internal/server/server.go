// Package server is the job manager of `strom server`: it owns the data
// directory (tokens, the embedded journal, one directory per job with its
// spec and checkpoints, savepoints by name), runs SQL jobs through
// streamsql sessions under a restart supervisor, feeds the rows of query
// jobs to their live feeds, and resumes the running jobs after a restart
// of the server. It implements web.Backend.
//
// Data directory:
//
//	server.json            address and version of the running server
//	token, token-readonly  the bearer tokens (0600, made on first start)
//	journal/               the embedded journal ('connector' = 'journal')
//	files/                 where relative 'path' options of file tables point
//	jobs/<id>/job.json     the job's spec and desired state (versioned, CRC32C)
//	jobs/<id>/checkpoints/ the job's checkpoints
//	savepoints/<name>/     a savepoint; savepoints/<name>.json describes it
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/web"
	"github.com/stromio/strom/journal"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
)

// Config configures a Server.
type Config struct {
	// DataDir is the data directory (created when missing).
	DataDir string
	// Version is shown by the overview.
	Version string
	// CheckpointInterval is the default of jobs that give none (10 s).
	CheckpointInterval time.Duration
	// CheckpointMinPause and CheckpointMaxConcurrent are the defaults of
	// jobs that give none (0: no pause; 0: one checkpoint at a time).
	CheckpointMinPause      time.Duration
	CheckpointMaxConcurrent int
	// BufferedStateWrites writes every job's checkpoint state files
	// through the page cache (stream.CheckpointOptions.
	// BufferedStateWrites; default: past it, O_DIRECT where the
	// filesystem allows).
	BufferedStateWrites bool
	// Restart is how a failed INSERT job restarts from its latest
	// checkpoint (default: 10 attempts in a row, 1 s doubling up to 1 min;
	// an attempt that ran 10 minutes starts a new series).
	Restart *stream.RestartStrategy
	// AllowHosts are the hosts (host or host:port) that tables may name
	// in URLs and Kafka bootstrap servers (default: loopback only).
	AllowHosts []string
	// Factories returns the SQL connectors (nil: the built-in ones; j is
	// the server's journal, out the print connector's output). Every
	// factory is wrapped by the data-directory and host checks.
	Factories func(j *journal.Journal, out io.Writer) []connector.TableFactory
	// OnSession, when set, is called with each new SQL session before it
	// plans a job (to register functions, RegisterScalar).
	OnSession func(*streamsql.Session)
	// Out receives what print tables write (default: standard error).
	Out io.Writer
	// Logger receives the server's log (default: slog's).
	Logger *slog.Logger
	// Journal are the options of the server's journal (retention, sync);
	// its Logger defaults to Logger.
	Journal journal.Options
	// Settings are shown by the overview (the caller leaves secrets out).
	Settings map[string]string
	// Builtins are the compiled-in DataStream jobs a submit may name
	// ("builtin"): a fixed registry, no code is uploaded.
	Builtins map[string]Builtin
}

// Builtin is a compiled-in DataStream job: Build adds its operators to env
// (a source and a sink; the server sets the parallelism, checkpoints and
// restarts); baseTime is the job's creation time in epoch milliseconds,
// the same at every start (for event-time generators).
type Builtin struct {
	Description string
	Build       func(env *stream.Environment, baseTime int64) error
}

// Server manages the jobs of a data directory.
type Server struct {
	cfg     Config
	dir     string // absolute, symlinks resolved
	release func()
	j       *journal.Journal
	token   string
	roToken string
	started time.Time
	events  *web.Feed
	log     *slog.Logger

	ctx    context.Context // the server's life: jobs run under it
	cancel context.CancelFunc
	wg     sync.WaitGroup // the job supervisors

	mu     sync.Mutex
	jobs   map[string]*job
	closed bool
	// savepointsBusy are the names of the savepoints being taken (their
	// directories have no <name>.json yet, and are not leftovers).
	savepointsBusy map[string]bool

	// beforeCommit, when set (tests), runs in Submit after the job
	// started and job.json was saved, before it is registered.
	beforeCommit func()
}

// File names in the data directory.
const (
	TokenFile         = "token"
	ReadOnlyTokenFile = "token-readonly"
	ServerInfoFile    = "server.json"
)

// MaxCheckpointsConcurrent bounds a job's checkpoints in flight at once.
const MaxCheckpointsConcurrent = 16

// Open opens (or makes) the data directory, opens the journal and resumes
// the jobs whose desired state is running.
func Open(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("server: no data directory given (--data-dir)")
	}
	if cfg.CheckpointMaxConcurrent == 0 {
		cfg.CheckpointMaxConcurrent = 1
	}
	if cfg.CheckpointMinPause < 0 || cfg.CheckpointMaxConcurrent < 1 || cfg.CheckpointMaxConcurrent > MaxCheckpointsConcurrent {
		return nil, fmt.Errorf("server: checkpoint min pause %v and max concurrent %d: give a pause of at least 0 and from 1 to %d checkpoints",
			cfg.CheckpointMinPause, cfg.CheckpointMaxConcurrent, MaxCheckpointsConcurrent)
	}
	if cfg.CheckpointInterval == 0 {
		cfg.CheckpointInterval = 10 * time.Second
	}
	if cfg.Restart == nil {
		cfg.Restart = &stream.RestartStrategy{MaxAttempts: 10, Delay: time.Second, MaxDelay: time.Minute, Backoff: 2, ResetAfter: 10 * time.Minute}
	}
	if cfg.Out == nil {
		cfg.Out = os.Stderr
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if len(cfg.AllowHosts) == 0 {
		cfg.AllowHosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("server: make the data directory %s: %w", cfg.DataDir, err)
	}
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, fmt.Errorf("server: data directory %s: %w", cfg.DataDir, err)
	}
	release, err := lockDir(abs)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, dir: abs, release: release, started: time.Now(), events: web.NewFeed(1024, 1<<20),
		log: cfg.Logger, jobs: map[string]*job{}, savepointsBusy: map[string]bool{}}
	ok := false
	defer func() {
		if !ok {
			if s.j != nil {
				_ = s.j.Close()
			}
			release()
		}
	}()
	for _, d := range []string{"jobs", "savepoints", "files"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o700); err != nil {
			return nil, fmt.Errorf("server: make %s: %w", filepath.Join(abs, d), err)
		}
	}
	// server.lock is held: no savepoint of another server is being written,
	// so one without its <name>.json was left by a crash.
	s.removeIncompleteSavepoints()
	if s.token, err = readOrMakeToken(filepath.Join(abs, TokenFile)); err != nil {
		return nil, err
	}
	if s.roToken, err = readOrMakeToken(filepath.Join(abs, ReadOnlyTokenFile)); err != nil {
		return nil, err
	}
	if s.token == s.roToken {
		return nil, fmt.Errorf("server: %s and %s hold the same token; delete one of them and restart to make a new one",
			filepath.Join(abs, TokenFile), filepath.Join(abs, ReadOnlyTokenFile))
	}
	jopts := cfg.Journal
	if jopts.Logger == nil {
		jopts.Logger = cfg.Logger
	}
	if s.j, err = journal.Open(filepath.Join(abs, "journal"), jopts); err != nil {
		return nil, fmt.Errorf("server: open the journal in %s: %w", filepath.Join(abs, "journal"), err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.loadJobs(); err != nil {
		s.cancel()
		return nil, err
	}
	ok = true
	return s, nil
}

// Dir is the data directory (absolute).
func (s *Server) Dir() string { return s.dir }

// Tokens returns the read-write and the read-only token.
func (s *Server) Tokens() (token, readOnly string) { return s.token, s.roToken }

// Journal is the server's journal.
func (s *Server) Journal() *journal.Journal { return s.j }

// Close stops the jobs, leaving them resumable (their desired state is
// kept: the next Open resumes them), and closes the journal.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	s.events.Close([]byte(`{"end":"shutdown"}`))
	err := s.j.Close()
	_ = os.Remove(filepath.Join(s.dir, ServerInfoFile))
	s.release()
	return err
}

// ServerInfo is server.json: how `strom job` finds the running server.
type ServerInfo struct {
	Address string `json:"address"`
	URL     string `json:"url"`
	TLS     bool   `json:"tls"`
	Version string `json:"version"`
	PID     int    `json:"pid"`
}

// WriteServerInfo writes server.json for the address the server listens on.
func (s *Server) WriteServerInfo(addr string, tlsOn bool) error {
	scheme := "http"
	if tlsOn {
		scheme = "https"
	}
	b, err := json.MarshalIndent(ServerInfo{Address: addr, URL: scheme + "://" + addr, TLS: tlsOn, Version: s.cfg.Version, PID: os.Getpid()}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.dir, ServerInfoFile), append(b, '\n'), 0o644)
}

func readOrMakeToken(name string) (string, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		var r [32]byte
		if _, err := rand.Read(r[:]); err != nil {
			return "", err
		}
		tok := hex.EncodeToString(r[:])
		if err := writeFileAtomic(name, []byte(tok+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("server: write the token file %s: %w", name, err)
		}
		return tok, nil
	}
	if err != nil {
		return "", fmt.Errorf("server: read the token file %s: %w", name, err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		return "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("server: the token file %s is readable by others (mode %v); run chmod 600 %s", name, fi.Mode().Perm(), name)
	}
	tok := string(trimSpace(b))
	if len(tok) < 16 {
		return "", fmt.Errorf("server: the token in %s is shorter than 16 characters; delete the file to make a new one", name)
	}
	return tok, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// writeFileAtomic writes name through a temporary file, fsync and rename,
// then syncs the directory.
func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Overview implements web.Backend.
func (s *Server) Overview() web.Overview {
	counts := map[string]int{}
	for _, js := range s.Jobs() {
		counts[js.State]++
	}
	var topics []string
	for _, t := range s.j.Topics() {
		topics = append(topics, t.Name)
	}
	sort.Strings(topics)
	if topics == nil {
		topics = []string{}
	}
	cfg := map[string]string{"data_dir": s.dir, "checkpoint_interval": s.cfg.CheckpointInterval.String(),
		"checkpoint_min_pause": s.cfg.CheckpointMinPause.String(), "checkpoint_max_concurrent": fmt.Sprint(s.cfg.CheckpointMaxConcurrent),
		"token": "<redacted>", "token_readonly": "<redacted>"}
	for k, v := range s.cfg.Settings {
		cfg[k] = v
	}
	return web.Overview{Version: s.cfg.Version, StartedAt: s.started, Uptime: time.Since(s.started).Round(time.Second).String(),
		Jobs: counts, Topics: topics, Config: cfg}
}

// Events implements web.Backend.
func (s *Server) Events() *web.Feed { return s.events }

// publishState tells the event stream the job's summary.
func (s *Server) publishState(jb *job) {
	b, err := json.Marshal(jb.summary())
	if err == nil {
		s.events.Publish(b)
	}
}
