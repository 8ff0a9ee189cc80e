package nexmark

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// This file is the measured part of `strom nexmark bench`: one query (or its
// baseline) over the built-in generator, in the current process. The CLI
// runs it in a child process of its own so that the CPU time and the peak
// memory the parent reads from the child's rusage belong to that query
// alone.

// DefaultLatencyInterval is how often the sources of a benchmark emit a
// latency marker.
const DefaultLatencyInterval = 10 * time.Millisecond

// SourceName is the name of the generator source operator of the jobs that
// Bench and `strom nexmark run` build (its metrics count the events read).
const SourceName = "nexmark-generator"

// BenchOptions configure one benchmark run.
type BenchOptions struct {
	// Generator configures the events (Events must be > 0).
	Generator nexmark.GeneratorConfig
	// Parallelism is the job's default parallelism (default 1).
	Parallelism int
	// LatencyInterval is the latency marker interval (default
	// DefaultLatencyInterval; negative disables markers).
	LatencyInterval time.Duration
	// Config is handed to the query (q13 side input, q10 directory).
	Config Config
	// Progress, if not nil, is called every ProgressInterval (default
	// 200 ms) from another goroutine with the events read so far.
	Progress         func(events int64)
	ProgressInterval time.Duration
	// CheckpointInterval, if positive, makes the job take checkpoints this
	// often (aligned barriers, state written to CheckpointDir).
	CheckpointInterval time.Duration
	// CheckpointDir is where a fresh directory for the run's checkpoints is
	// made and kept; empty: a temporary directory removed after the run.
	CheckpointDir string
	// FullCheckpoints turns incremental checkpoints off.
	FullCheckpoints bool
	// BufferedStateWrites writes the state files through the page cache
	// (stream.CheckpointOptions.BufferedStateWrites).
	BufferedStateWrites bool
	// CheckpointLogf receives checkpoint failures (default: standard error).
	CheckpointLogf func(format string, args ...any)
}

func (o BenchOptions) withDefaults() BenchOptions {
	o.Generator = o.Generator.WithDefaults()
	if o.Parallelism == 0 {
		o.Parallelism = 1
	}
	if o.LatencyInterval == 0 {
		o.LatencyInterval = DefaultLatencyInterval
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 200 * time.Millisecond
	}
	return o
}

// BenchResult is what a run measured inside its process. CPU time and peak
// memory are measured from outside (the parent's rusage of the child).
type BenchResult struct {
	// Query is the query's name; Mode is "engine" or "baseline".
	Query string `json:"query"`
	Mode  string `json:"mode"`
	// Events is the number of events read from the generator.
	Events int64 `json:"events"`
	// WallSeconds is the time from starting the job (or baseline) to its
	// end, without process start-up.
	WallSeconds float64 `json:"wall_seconds"`
	// P50LatencyMs and P99LatencyMs are quantiles of the source-to-sink
	// latency of the markers (engine only); LatencyMarkers their number.
	P50LatencyMs   float64 `json:"p50_latency_ms"`
	P99LatencyMs   float64 `json:"p99_latency_ms"`
	LatencyMarkers int64   `json:"latency_markers"`
	// Rows and Checksum are the baseline's result (baseline only).
	Rows     int64  `json:"rows,omitempty"`
	Checksum uint64 `json:"checksum,omitempty"`
	// Checkpoint figures (engine runs with CheckpointInterval only):
	// completed and failed checkpoints (the end-of-input one included),
	// mean and maximum duration from trigger to completion of the periodic
	// ones (stream.CheckpointStats.Periodic), and the sizes of the last
	// and of the largest completed one (keyed state files and operator
	// state; the last is the end-of-input one, empty when the query's
	// windows all fired). CheckpointUploadCPUSeconds is the CPU time of
	// the checkpoint upload goroutine (stream.CheckpointStats.UploadCPU;
	// Linux only).
	Checkpoints                int64   `json:"checkpoints,omitempty"`
	CheckpointsFailed          int64   `json:"checkpoints_failed,omitempty"`
	CheckpointMsMean           float64 `json:"checkpoint_ms_mean,omitempty"`
	CheckpointMsMax            float64 `json:"checkpoint_ms_max,omitempty"`
	CheckpointBytesLast        int64   `json:"checkpoint_bytes_last,omitempty"`
	CheckpointBytesMax         int64   `json:"checkpoint_bytes_max,omitempty"`
	CheckpointUploadCPUSeconds float64 `json:"checkpoint_upload_cpu_seconds,omitempty"`
}

// GeneratorStream adds the built-in generator as the source of env, with
// the watermark of every query (Watermark).
func GeneratorStream(env *stream.Environment, cfg nexmark.GeneratorConfig) stream.Stream[nexmark.Event] {
	return stream.FromSource[nexmark.Event](env, nexmark.NewSource(cfg), Watermark(), SourceName).UID(SourceName)
}

// SourceEvents returns the number of records the sources named name have
// read so far, from the job's metrics.
func SourceEvents(job *stream.Job, name string) int64 {
	var n int64
	for _, v := range job.View() {
		if len(v.Inputs) > 0 {
			continue
		}
		for _, op := range v.Operators {
			if op.Name != name {
				continue
			}
			for _, st := range op.Subtasks {
				n += st.RecordsIn
			}
		}
	}
	return n
}

// Bench runs q over the generator into a discarding sink and measures it.
func Bench(ctx context.Context, q *Query, o BenchOptions) (BenchResult, error) {
	o = o.withDefaults()
	if err := o.Generator.Validate(); err != nil {
		return BenchResult{}, err
	}
	if o.Generator.Events <= 0 {
		return BenchResult{}, fmt.Errorf("nexmark: a benchmark needs a bounded generator (Events > 0)")
	}
	cfg, cleanup, err := benchQueryConfig(q, o.Config)
	if err != nil {
		return BenchResult{}, err
	}
	defer cleanup()
	opts := stream.Options{Parallelism: o.Parallelism, Name: "nexmark-" + q.Name}
	if o.LatencyInterval > 0 {
		opts.LatencyInterval = o.LatencyInterval
	}
	if o.CheckpointInterval > 0 {
		dir, err := benchCheckpointDir(q.Name, o.CheckpointDir)
		if err != nil {
			return BenchResult{}, err
		}
		if o.CheckpointDir == "" {
			defer os.RemoveAll(dir)
		}
		opts.Checkpoints = &stream.CheckpointOptions{Dir: dir, Interval: o.CheckpointInterval, Logf: o.CheckpointLogf, FullCheckpoints: o.FullCheckpoints,
			BufferedStateWrites: o.BufferedStateWrites}
	}
	env := stream.NewEnvironment(opts)
	q.Build(GeneratorStream(env, o.Generator), cfg).Discard()

	start := time.Now()
	job, err := env.Start(ctx)
	if err != nil {
		return BenchResult{}, err
	}
	stop := context.AfterFunc(ctx, job.Cancel)
	defer stop()
	done := make(chan struct{})
	var wg sync.WaitGroup
	if o.Progress != nil {
		wg.Go(func() {
			t := time.NewTicker(o.ProgressInterval)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					o.Progress(SourceEvents(job, SourceName))
				}
			}
		})
	}
	err = job.Wait()
	wall := time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		return BenchResult{}, err
	}
	p50, p99, n := job.Latency()
	res := BenchResult{
		Query:          q.Name,
		Mode:           "engine",
		Events:         SourceEvents(job, SourceName),
		WallSeconds:    wall.Seconds(),
		P50LatencyMs:   benchMillis(p50),
		P99LatencyMs:   benchMillis(p99),
		LatencyMarkers: n,
	}
	if res.Events == 0 {
		res.Events = o.Generator.Events
	}
	if o.CheckpointInterval > 0 {
		cs := job.Checkpoints()
		res.Checkpoints, res.CheckpointsFailed, res.CheckpointBytesLast = cs.Completed, cs.Failed, cs.LastBytes
		res.CheckpointBytesMax = cs.MaxBytes
		res.CheckpointUploadCPUSeconds = cs.UploadCPU.Seconds()
		if cs.Periodic > 0 {
			res.CheckpointMsMean = benchMillis(cs.TotalDuration / time.Duration(cs.Periodic))
			res.CheckpointMsMax = benchMillis(cs.MaxDuration)
		}
	}
	return res, nil
}

// benchCheckpointDir makes a fresh, empty checkpoint directory for one run
// (a job resumes from what its directory holds, so it must be empty): in
// parent, or in the system's temporary directory when parent is empty.
func benchCheckpointDir(query, parent string) (string, error) {
	if parent != "" {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return "", fmt.Errorf("nexmark: checkpoint directory: %w", err)
		}
	}
	dir, err := os.MkdirTemp(parent, "strom-bench-"+query+"-checkpoints-")
	if err != nil {
		return "", fmt.Errorf("nexmark: checkpoint directory: %w", err)
	}
	return dir, nil
}

// BenchBaseline runs the hand-written baseline of query name and measures
// it like Bench (without latency: a baseline has no markers).
func BenchBaseline(ctx context.Context, name string, o BenchOptions) (BenchResult, error) {
	o = o.withDefaults()
	var progress atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	if o.Progress != nil {
		wg.Go(func() {
			t := time.NewTicker(o.ProgressInterval)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					o.Progress(progress.Load())
				}
			}
		})
	}
	start := time.Now()
	r, err := RunBaseline(ctx, name, o.Generator, false, &progress)
	wall := time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		return BenchResult{}, err
	}
	return BenchResult{Query: name, Mode: "baseline", Events: r.Events, WallSeconds: wall.Seconds(),
		Rows: r.Rows, Checksum: r.Checksum}, nil
}

// benchQueryConfig fills in what q needs that the options left out: a
// generated side input for q13 and a scratch directory for q10, both in a
// temporary directory that cleanup removes.
func benchQueryConfig(q *Query, cfg Config) (Config, func(), error) {
	needSide := q.Name == "q13" && cfg.SideInput == ""
	needDir := q.Name == "q10" && cfg.OutDir == ""
	if !needSide && !needDir {
		return cfg, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "strom-nexmark-"+q.Name+"-")
	if err != nil {
		return cfg, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if needSide {
		path, err := WriteSideInputFile(dir)
		if err != nil {
			cleanup()
			return cfg, nil, err
		}
		cfg.SideInput = path
	}
	if needDir {
		cfg.OutDir = dir + "/out"
	}
	return cfg, cleanup, nil
}

// WriteSideInputFile writes the q13 side input (nexmark.WriteSideInput)
// to dir/side-input.csv and returns its path.
func WriteSideInputFile(dir string) (string, error) {
	path := dir + "/side-input.csv"
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := nexmark.WriteSideInput(f); err != nil {
		f.Close()
		return "", fmt.Errorf("nexmark: write side input %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, nil
}

func benchMillis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
