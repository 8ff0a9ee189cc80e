package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	nexmarkgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/nexmark"
)

func init() { nexmarkSubcommands = append(nexmarkSubcommands, newNexmarkBenchCmd) }

// How `strom nexmark bench` measures: every run (a query on the engine, its
// hand-written baseline, the paced run at half the throughput) is a child
// process, the same binary started with the hidden --child flag. The child
// builds the job, runs it and prints one JSON line (nexmark.BenchResult:
// events, wall time, latency quantiles) on its standard output; every
// 200 ms it writes the number of events read so far to a pipe (file
// descriptor 3), which the parent renders as a progress display. CPU
// seconds (user + system) and peak memory (maximum resident set size) come
// from the child's rusage, so they belong to that run alone.

const (
	// benchDefaultEvents is the default of --events, the same for every
	// query: about 1 s for q0 and 6 s for q5 on the project's machine.
	benchDefaultEvents = 10_000_000
	// benchHalfRateWall bounds the wall time of a paced run.
	benchHalfRateWall = 10 * time.Second
	// benchProgressFD is the child's file descriptor of the progress pipe.
	benchProgressFD = 3
)

// nexmarkBenchConfig is the configuration of `strom nexmark bench` (one
// field per flag).
type nexmarkBenchConfig struct {
	Queries         []string
	Events          int64
	Parallelism     int
	JSON            bool
	Baseline        bool
	HalfRate        bool
	Seed            int64
	Rate            int64
	Splits          int
	RateLimited     bool
	LatencyInterval time.Duration
	CPUProfile      string
	MemProfile      string
	SideInput       string
	// CheckpointInterval > 0 takes checkpoints in the engine runs, into a
	// fresh directory under CheckpointDir (default: a temporary one).
	CheckpointInterval time.Duration
	CheckpointDir      string
	// Incremental checkpoints (default on; --checkpoint-incremental=false:
	// every checkpoint writes the whole state).
	Incremental bool
	// DirectIO writes the checkpoints' state files past the page cache
	// (default on; --checkpoint-direct-io=false: through it).
	DirectIO bool
	// SQL runs the SQL versions of the queries (nexmark_bench_sql.go);
	// Compare also the DataStream ones, with the ratio.
	SQL     bool
	Compare bool

	// Child mode (hidden flags).
	Child         string
	ChildBaseline bool
	ChildSQL      bool
	ChildProfile  string
	ChildMemProf  string
	ChildProgress bool

	// From prints the table of a saved --json run instead of running.
	From string
}

func (c *nexmarkBenchConfig) validate(cmd *cobra.Command) error {
	if len(c.Queries) == 0 {
		c.Queries = nexmark.Names()
		if c.SQL {
			c.Queries = sqlQueries()
		}
	}
	seen := map[string]bool{}
	for _, q := range c.Queries {
		if _, err := nexmark.Lookup(q); err != nil {
			return usagef(cmd, "unknown query %q in --queries (known: %s)", q, strings.Join(nexmark.Names(), ", "))
		}
		if _, ok := nexmark.SQL(q); (c.SQL || c.ChildSQL) && !ok {
			return usagef(cmd, "query %s has no SQL version (those with one: %s)", q, strings.Join(sqlQueries(), ", "))
		}
		if seen[q] {
			return usagef(cmd, "query %s appears twice in --queries", q)
		}
		seen[q] = true
	}
	switch {
	case c.Events < 1:
		return usagef(cmd, "--events must be at least 1, got %d", c.Events)
	case c.Parallelism < 1 || c.Parallelism > 256:
		return usagef(cmd, "--parallelism must be between 1 and 256, got %d", c.Parallelism)
	case c.Rate < 1 || c.Splits < 0:
		return usagef(cmd, "--rate must be at least 1 and --splits at least 1 (0: --parallelism), got %d and %d", c.Rate, c.Splits)
	case c.LatencyInterval <= 0:
		return usagef(cmd, "--latency-interval must be positive, got %v", c.LatencyInterval)
	case c.HalfRate && c.RateLimited:
		return usagef(cmd, "--latency-at-half chooses the pace itself; drop --rate-limited")
	case c.ChildBaseline && c.Child == "":
		return usagef(cmd, "--child-baseline needs --child")
	case c.ChildSQL && c.Child == "":
		return usagef(cmd, "--child-sql needs --child")
	case c.Compare && !c.SQL:
		return usagef(cmd, "--compare compares the SQL versions with the DataStream ones: add --sql")
	case c.SQL && (c.Baseline || c.HalfRate || c.CheckpointInterval > 0):
		return usagef(cmd, "--sql runs without --baseline, --latency-at-half and --checkpoint-interval")
	case c.CheckpointInterval < 0 || (c.CheckpointInterval > 0 && c.CheckpointInterval < time.Millisecond):
		return usagef(cmd, "--checkpoint-interval must be at least 1ms, got %v", c.CheckpointInterval)
	case c.CheckpointDir != "" && c.CheckpointInterval == 0:
		return usagef(cmd, "--checkpoint-dir needs --checkpoint-interval")
	}
	if c.Splits == 0 {
		c.Splits = c.Parallelism
	}
	if err := c.generator(c.Events).Validate(); err != nil {
		return usagef(cmd, "invalid generator flags: %v", err)
	}
	return nil
}

// generator is the generator of a run of events events.
func (c *nexmarkBenchConfig) generator(events int64) nexmarkgen.GeneratorConfig {
	return nexmarkgen.GeneratorConfig{Events: events, Seed: c.Seed, Rate: c.Rate, Splits: c.Splits, RateLimited: c.RateLimited}
}

func newNexmarkBenchCmd() *cobra.Command {
	cfg := nexmarkBenchConfig{Events: benchDefaultEvents, Parallelism: 1, Seed: 1, Rate: nexmarkgen.DefaultRate,
		LatencyInterval: nexmark.DefaultLatencyInterval}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark Nexmark queries over the built-in generator",
		Long: `Benchmark Nexmark queries: each runs over the built-in generator into a
sink that discards its rows, in a process of its own, and is measured:

  events          events generated and read (the generator is part of the work)
  wall s          time from starting the job to its end
  cpu s           user + system CPU time of the process
  events/s        events / wall seconds
  events/s/core   events / CPU seconds (the figure comparable across machines)
  p50 / p99 ms    source-to-sink latency of latency markers sent every
                  --latency-interval by the sources
  peak RSS        maximum resident memory of the process

Every query reads --events events (default 10,000,000 for every query:
about 1 s for the stateless ones and up to 6 s for the heaviest, q5, on the
project's 2-core machine). The generator runs --splits parallel generators
(default: --parallelism) at --rate events per second of event time (10 M/s,
Flink's V1 setting: 10 M events are 1 s of event time, so 10 s windows fire
only at the end of the input; lower --rate to see windows fire during the
run). Events are produced as fast as the job takes them unless
--rate-limited paces them in wall-clock time at --rate.

--baseline also runs, for the queries that have one (q0, q1, q2, q5, q7, q8),
a hand-written single-goroutine Go program computing the same result over
the same generator, and prints the engine's events/s/core relative to it.
--latency-at-half runs each query a second time with the generator paced at
half the throughput just measured and reports the latency under that load.

With --json each query is one JSON object on its own line, with the keys
query, events, wall_seconds, cpu_seconds, events_per_second,
events_per_core_second, p50_latency_ms, p99_latency_ms, peak_rss_bytes,
cpu_user_seconds and cpu_system_seconds, and baseline, engine_to_baseline,
half_rate when asked for. cpu_user_seconds and cpu_system_seconds split
cpu_seconds: the system part is the kernel's work for the run (q10's file
writes, fsyncs and the removal of its files), which moves with the disk and
the page cache more than the user part does.

--checkpoint-interval D makes the engine runs take aligned checkpoints every
D (the discarding sink takes part like any sink); each run writes them into a
fresh directory, a temporary one removed afterwards unless --checkpoint-dir
names where to keep them. The table then adds the completed checkpoints
(the end-of-input one included), the mean and maximum duration from
trigger to completion of the periodic ones, and the sizes of the last
one and of the largest one; the JSON adds
checkpoint_interval_ms, checkpoints, checkpoints_failed (when any),
checkpoint_ms_mean, checkpoint_ms_max, checkpoint_bytes_last,
checkpoint_bytes_max and (on Linux) checkpoint_upload_cpu_seconds: the CPU
time of the goroutine that serialises and writes the snapshots, measured on
its own thread, a steadier figure of that part of the checkpoints' cost than
the difference of two runs' CPU seconds.

--sql runs the SQL versions of the queries instead (the Nexmark spec's
text over the 'nexmark' table connector into 'blackhole'; default: every
query that has one; q6 in its well-formed form, q10 writing its files into a
temporary directory and committing them with one checkpoint at the end of
the input, q13 reading the side input of --side-input or a generated one,
q14 with CountChar as a Go function), measured the same way except for latency (the SQL jobs
send no latency markers), with the settings of Flink's Nexmark harness:
mini-batch on, allow-latency 2 s, size 50000 rows. --compare also runs the DataStream version of
each query and prints events/s/core of SQL divided by DataStream's; the
JSON adds mode ("sql"), datastream and sql_to_datastream.`,
		Example: `  strom nexmark bench --queries q0,q1,q2 --events 2000000
  strom nexmark bench --baseline --json > bench.jsonl
  strom nexmark bench --queries q0 --latency-at-half
  strom nexmark bench --queries q5 --rate-limited --rate 500000 --events 5000000
  strom nexmark bench --queries q5,q9 --checkpoint-interval 1s
  strom nexmark bench --queries q5 --cpuprofile prof/ && go tool pprof -top prof/q5-engine.pprof
  strom nexmark bench --sql --queries q10 --memprofile prof/ && go tool pprof -sample_index=alloc_space -top prof/q10-sql.mem.pprof
  strom nexmark bench --sql --compare --queries q0,q1,q2,q5,q7 --events 2000000`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.validate(cmd); err != nil {
				return err
			}
			if cfg.Child != "" {
				return runBenchChild(cmd.Context(), cmd.OutOrStdout(), &cfg)
			}
			return runBench(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), &cfg)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&cfg.Queries, "queries", nil, "comma-separated queries to run (default: all registered)")
	f.Int64Var(&cfg.Events, "events", cfg.Events, "events per query")
	f.IntVar(&cfg.Parallelism, "parallelism", cfg.Parallelism, "subtasks per operator")
	f.BoolVar(&cfg.JSON, "json", false, "print one JSON object per query instead of a table")
	f.BoolVar(&cfg.Baseline, "baseline", false, "also run the hand-written baselines (q0, q1, q2, q5, q7, q8) and print the ratio")
	f.BoolVar(&cfg.HalfRate, "latency-at-half", false, "also measure latency with the generator paced at half the measured throughput")
	f.Int64Var(&cfg.Seed, "seed", cfg.Seed, "generator: seed of the data")
	f.Int64Var(&cfg.Rate, "rate", cfg.Rate, "generator: events per second of event time (and of wall time with --rate-limited)")
	f.IntVar(&cfg.Splits, "splits", 0, "generator: parallel generators (default: --parallelism)")
	f.BoolVar(&cfg.RateLimited, "rate-limited", false, "pace the generator in wall-clock time at --rate events per second")
	f.DurationVar(&cfg.LatencyInterval, "latency-interval", cfg.LatencyInterval, "how often sources emit latency markers")
	f.StringVar(&cfg.SideInput, "side-input", "", "q13: side-input CSV `FILE` (key,value); default: generate one into a temporary directory")
	f.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of each run to `DIR`/<query>-<engine|baseline|half-rate>.pprof")
	f.StringVar(&cfg.MemProfile, "memprofile", "", "write an allocation profile of each run (what it allocated from start to end) to `DIR`/<query>-<engine|baseline|half-rate|sql>.mem.pprof")
	f.DurationVar(&cfg.CheckpointInterval, "checkpoint-interval", 0, "take a checkpoint every `D` in the engine runs (0: no checkpoints)")
	f.BoolVar(&cfg.Incremental, "checkpoint-incremental", true, "with --checkpoint-interval: write only the keyed state changed since the previous completed checkpoint (false: the whole state every time)")
	f.BoolVar(&cfg.DirectIO, "checkpoint-direct-io", true, directIOUsage)
	f.StringVar(&cfg.CheckpointDir, "checkpoint-dir", "", "with --checkpoint-interval: keep each run's checkpoints in a fresh directory under `DIR` (default: a temporary directory, removed)")
	f.StringVar(&cfg.From, "from", "", "print the table of a saved --json output `FILE` instead of running")
	f.BoolVar(&cfg.SQL, "sql", false, "run the SQL versions of the queries (the spec's text over the 'nexmark' table)")
	f.BoolVar(&cfg.Compare, "compare", false, "with --sql: also run the DataStream versions and print sql/datastream")
	f.BoolVar(&cfg.ChildSQL, "child-sql", false, "with --child: run the query's SQL version (internal)")
	f.StringVar(&cfg.Child, "child", "", "run one query in this process and print its result as JSON (internal)")
	f.BoolVar(&cfg.ChildBaseline, "child-baseline", false, "with --child: run the query's baseline (internal)")
	f.StringVar(&cfg.ChildProfile, "child-cpuprofile", "", "with --child: CPU profile file (internal)")
	f.StringVar(&cfg.ChildMemProf, "child-memprofile", "", "with --child: allocation profile file (internal)")
	f.BoolVar(&cfg.ChildProgress, "child-progress", false, "with --child: write progress to file descriptor 3 (internal)")
	for _, h := range []string{"child", "child-baseline", "child-sql", "child-cpuprofile", "child-memprofile", "child-progress"} {
		_ = f.MarkHidden(h)
	}
	return cmd
}

// runBenchChild is the child process: it runs one query (or baseline) in
// this process and prints its nexmark.BenchResult as one JSON line.
func runBenchChild(ctx context.Context, stdout io.Writer, cfg *nexmarkBenchConfig) error {
	q, err := nexmark.Lookup(cfg.Child)
	if err != nil {
		return err
	}
	opts := nexmark.BenchOptions{Generator: cfg.generator(cfg.Events), Parallelism: cfg.Parallelism,
		LatencyInterval: cfg.LatencyInterval, Config: nexmark.Config{SideInput: cfg.SideInput},
		CheckpointInterval: cfg.CheckpointInterval, CheckpointDir: cfg.CheckpointDir, FullCheckpoints: !cfg.Incremental,
		BufferedStateWrites: !cfg.DirectIO,
		CheckpointLogf:      func(format string, args ...any) { fmt.Fprintf(os.Stderr, "strom: "+format+"\n", args...) }}
	if cfg.ChildProgress {
		pf := os.NewFile(benchProgressFD, "progress")
		if pf == nil {
			return errors.New("--child-progress: file descriptor 3 is not open")
		}
		defer pf.Close()
		w := bufio.NewWriter(pf)
		opts.Progress = func(n int64) {
			fmt.Fprintf(w, "%d\n", n)
			w.Flush() // a parent that stopped reading is no reason to fail
		}
	}
	if cfg.ChildProfile != "" {
		f, err := os.Create(cfg.ChildProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var res nexmark.BenchResult
	if cfg.ChildSQL {
		res, err = benchSQLChild(ctx, cfg, q.Name, opts.Progress, 200*time.Millisecond)
	} else if cfg.ChildBaseline {
		res, err = nexmark.BenchBaseline(ctx, q.Name, opts)
	} else {
		res, err = nexmark.Bench(ctx, q, opts)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", q.Name, err)
	}
	if cfg.ChildMemProf != "" {
		// Every allocation of the run (sampled as the runtime does: one
		// per 512 KiB on average), its setup included. The runtime
		// publishes the allocation counts at the end of a garbage
		// collection: without one here those since the last cycle are
		// missing (most of a run that grew a large heap and collected
		// rarely).
		runtime.GC()
		f, err := os.Create(cfg.ChildMemProf)
		if err != nil {
			return fmt.Errorf("allocation profile: %w", err)
		}
		werr := pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("allocation profile: %w", werr)
		}
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}

// benchMeasure is one measured run, as printed (the JSON keys are the ones
// the issue fixes).
type benchMeasure struct {
	Query               string  `json:"query"`
	Events              int64   `json:"events"`
	WallSeconds         float64 `json:"wall_seconds"`
	CPUSeconds          float64 `json:"cpu_seconds"`
	CPUUserSeconds      float64 `json:"cpu_user_seconds"`
	CPUSystemSeconds    float64 `json:"cpu_system_seconds"`
	EventsPerSecond     float64 `json:"events_per_second"`
	EventsPerCoreSecond float64 `json:"events_per_core_second"`
	P50LatencyMs        float64 `json:"p50_latency_ms"`
	P99LatencyMs        float64 `json:"p99_latency_ms"`
	PeakRSSBytes        int64   `json:"peak_rss_bytes"`
	// Checkpoint figures of the run (with --checkpoint-interval).
	Checkpoints         int64   `json:"checkpoints,omitempty"`
	CheckpointsFailed   int64   `json:"checkpoints_failed,omitempty"`
	CheckpointMsMean    float64 `json:"checkpoint_ms_mean,omitempty"`
	CheckpointMsMax     float64 `json:"checkpoint_ms_max,omitempty"`
	CheckpointBytesLast int64   `json:"checkpoint_bytes_last,omitempty"`
	CheckpointBytesMax  int64   `json:"checkpoint_bytes_max,omitempty"`
	// CPU seconds of the checkpoint upload goroutine (Linux only).
	CheckpointUploadCPUSeconds float64 `json:"checkpoint_upload_cpu_seconds,omitempty"`
}

// benchReport is one query's line of --json output.
type benchReport struct {
	benchMeasure
	Parallelism    int   `json:"parallelism"`
	LatencyMarkers int64 `json:"latency_markers"`
	RateLimited    bool  `json:"rate_limited,omitempty"`
	GeneratorRate  int64 `json:"generator_rate"`
	Splits         int   `json:"splits"`
	Seed           int64 `json:"seed"`
	// CheckpointIntervalMs is --checkpoint-interval (0: no checkpoints).
	CheckpointIntervalMs float64 `json:"checkpoint_interval_ms,omitempty"`
	Error                string  `json:"error,omitempty"`
	// Baseline is the hand-written baseline's run; EngineToBaseline is
	// events_per_core_second of the engine divided by the baseline's.
	Baseline         *benchBaseline `json:"baseline,omitempty"`
	BaselineError    string         `json:"baseline_error,omitempty"`
	EngineToBaseline float64        `json:"engine_to_baseline,omitempty"`
	// HalfRate is the run paced at half of events_per_second.
	HalfRate      *benchMeasure `json:"half_rate,omitempty"`
	HalfRateError string        `json:"half_rate_error,omitempty"`
	// Mode is "sql" for the SQL versions (--sql); DataStream is the
	// DataStream version's run (--compare) and SQLToDataStream the ratio
	// of events_per_core_second.
	Mode            string        `json:"mode,omitempty"`
	DataStream      *benchMeasure `json:"datastream,omitempty"`
	DataStreamError string        `json:"datastream_error,omitempty"`
	SQLToDataStream float64       `json:"sql_to_datastream,omitempty"`
}

// benchBaseline is a baseline's run with its result.
type benchBaseline struct {
	benchMeasure
	Rows     int64  `json:"rows"`
	Checksum string `json:"checksum"`
}

// runBench runs every query of cfg in child processes and prints the
// table (or JSON lines) to stdout, progress to stderr.
func runBench(ctx context.Context, stdout, stderr io.Writer, cfg *nexmarkBenchConfig) error {
	if cfg.From != "" {
		return printBenchFile(stdout, cfg.From)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find the strom binary to start the benchmark processes: %w", err)
	}
	if cfg.CPUProfile != "" {
		if err := os.MkdirAll(cfg.CPUProfile, 0o755); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	if cfg.MemProfile != "" {
		if err := os.MkdirAll(cfg.MemProfile, 0o755); err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
	}
	prog := newBenchProgress(stderr)
	var tab *benchTable
	if !cfg.JSON {
		tab = &benchTable{w: stdout, baseline: cfg.Baseline, checkpoints: cfg.CheckpointInterval > 0, sql: cfg.SQL, compare: cfg.Compare}
		tab.title(len(cfg.Queries), cfg.Events, cfg.Parallelism, cfg.Seed, cfg.Splits, cfg.Rate, cfg.RateLimited,
			benchMillis(cfg.CheckpointInterval))
	}
	failed := 0
	for _, name := range cfg.Queries {
		rep, nfail, err := benchQuery(ctx, exe, cfg, name, prog)
		prog.clear()
		if err != nil {
			fmt.Fprintf(stderr, "%s: canceled\n", name)
			return nil // Ctrl-C: stop, exit 0
		}
		failed += nfail
		if tab != nil {
			tab.report(rep)
		} else {
			writeJSONLine(stdout, rep)
		}
	}
	if tab != nil {
		tab.footer(cfg.Baseline, cfg.HalfRate)
	}
	if failed > 0 {
		return fmt.Errorf("%s of %d failed (see above)", nexmarkPlural(failed, "run"), len(cfg.Queries))
	}
	return nil
}

// benchQuery runs one query (engine, then baseline and paced run when
// asked for) and returns its report and how many runs failed; the error
// is the context's when the runs were canceled.
func benchQuery(ctx context.Context, exe string, cfg *nexmarkBenchConfig, name string, prog *benchProgress) (benchReport, int, error) {
	rep := benchReport{Parallelism: cfg.Parallelism, RateLimited: cfg.RateLimited, GeneratorRate: cfg.Rate,
		Splits: cfg.Splits, Seed: cfg.Seed, CheckpointIntervalMs: benchMillis(cfg.CheckpointInterval)}
	rep.Query = name
	rep.Events = cfg.Events
	if cfg.SQL {
		rep.Mode = "sql"
	}
	m, res, err := benchRun(ctx, exe, cfg, name, false, cfg.SQL, cfg.generator(cfg.Events), prog)
	if err != nil {
		if ctx.Err() != nil {
			return rep, 0, ctx.Err()
		}
		rep.Error = err.Error()
		return rep, 1, nil
	}
	rep.benchMeasure = m
	rep.LatencyMarkers = res.LatencyMarkers
	failed := 0
	if cfg.Compare {
		prog.clear()
		dm, _, err := benchRun(ctx, exe, cfg, name, false, false, cfg.generator(cfg.Events), prog)
		switch {
		case err != nil && ctx.Err() != nil:
			return rep, 0, ctx.Err()
		case err != nil:
			failed++
			rep.DataStreamError = err.Error()
		default:
			rep.DataStream = &dm
			if dm.EventsPerCoreSecond > 0 {
				rep.SQLToDataStream = round3(m.EventsPerCoreSecond / dm.EventsPerCoreSecond)
			}
		}
	}
	if cfg.Baseline && nexmark.HasBaseline(name) {
		prog.clear()
		bm, bres, err := benchRun(ctx, exe, cfg, name, true, false, cfg.generator(cfg.Events), prog)
		switch {
		case err != nil && ctx.Err() != nil:
			return rep, 0, ctx.Err()
		case err != nil:
			failed++
			rep.BaselineError = err.Error()
		default:
			rep.Baseline = &benchBaseline{bm, bres.Rows, fmt.Sprintf("%016x", bres.Checksum)}
			if bm.EventsPerCoreSecond > 0 {
				rep.EngineToBaseline = round3(m.EventsPerCoreSecond / bm.EventsPerCoreSecond)
			}
		}
	}
	if cfg.HalfRate {
		prog.clear()
		rate := max(int64(m.EventsPerSecond/2), 1)
		gen := cfg.generator(min(cfg.Events, max(int64(float64(rate)*benchHalfRateWall.Seconds()), 1)))
		gen.Rate, gen.RateLimited = rate, true
		hm, _, err := benchRun(ctx, exe, cfg, name, false, false, gen, prog)
		switch {
		case err != nil && ctx.Err() != nil:
			return rep, 0, ctx.Err()
		case err != nil:
			failed++
			rep.HalfRateError = err.Error()
		default:
			rep.HalfRate = &hm
		}
	}
	return rep, failed, nil
}

// printBenchFile prints the table of a saved --json run.
func printBenchFile(w io.Writer, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	var reps []benchReport
	baseline, half, chk, sql, compare := false, false, false, false, false
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r benchReport
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return fmt.Errorf("--from: %s line %d: not a result of strom nexmark bench --json: %v", path, i+1, err)
		}
		reps = append(reps, r)
		baseline = baseline || r.Baseline != nil || r.BaselineError != ""
		half = half || r.HalfRate != nil || r.HalfRateError != ""
		chk = chk || r.CheckpointIntervalMs > 0
		sql = sql || r.Mode == "sql"
		compare = compare || r.DataStream != nil || r.DataStreamError != ""
	}
	if len(reps) == 0 {
		return fmt.Errorf("--from: %s holds no results", path)
	}
	tab := &benchTable{w: w, baseline: baseline, checkpoints: chk, sql: sql, compare: compare}
	r0 := reps[0]
	tab.title(len(reps), r0.Events, r0.Parallelism, r0.Seed, r0.Splits, r0.GeneratorRate, r0.RateLimited, r0.CheckpointIntervalMs)
	for _, r := range reps {
		tab.report(r)
	}
	tab.footer(baseline, half)
	return nil
}

func benchQueryCount(n int) string {
	if n == 1 {
		return "1 query"
	}
	return fmt.Sprintf("%d queries", n)
}

func writeJSONLine(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "%s\n", b)
}

// benchRun runs one query (or its baseline, or its SQL version) in a child
// process with gen and measures it.
func benchRun(ctx context.Context, exe string, cfg *nexmarkBenchConfig, query string, baseline, sql bool, gen nexmarkgen.GeneratorConfig, prog *benchProgress) (benchMeasure, nexmark.BenchResult, error) {
	args := []string{"nexmark", "bench", "--child", query,
		"--events", strconv.FormatInt(gen.Events, 10),
		"--parallelism", strconv.Itoa(cfg.Parallelism),
		"--seed", strconv.FormatInt(gen.Seed, 10),
		"--rate", strconv.FormatInt(gen.Rate, 10),
		"--splits", strconv.Itoa(gen.Splits),
		"--latency-interval", cfg.LatencyInterval.String(),
		"--child-progress",
	}
	mode := "engine"
	if baseline {
		mode = "baseline"
		args = append(args, "--child-baseline")
	} else if sql {
		mode = "sql"
		args = append(args, "--child-sql")
	} else if cfg.CheckpointInterval > 0 {
		args = append(args, "--checkpoint-interval", cfg.CheckpointInterval.String())
		if cfg.CheckpointDir != "" {
			args = append(args, "--checkpoint-dir", cfg.CheckpointDir)
		}
		if !cfg.Incremental {
			args = append(args, "--checkpoint-incremental=false")
		}
		if !cfg.DirectIO {
			args = append(args, "--checkpoint-direct-io=false")
		}
	}
	if gen.RateLimited {
		args = append(args, "--rate-limited")
		mode += fmt.Sprintf(" @ %s/s", siFormat(float64(gen.Rate)))
	}
	if cfg.SideInput != "" {
		args = append(args, "--side-input", cfg.SideInput)
	}
	// The run's profiles are named <query>-<run>.pprof / .mem.pprof.
	run := "engine"
	switch {
	case baseline:
		run = "baseline"
	case sql:
		run = "sql"
	case gen.RateLimited && !cfg.RateLimited:
		run = "half-rate"
	}
	if cfg.CPUProfile != "" {
		args = append(args, "--child-cpuprofile", filepath.Join(cfg.CPUProfile, query+"-"+run+".pprof"))
	}
	if cfg.MemProfile != "" {
		args = append(args, "--child-memprofile", filepath.Join(cfg.MemProfile, query+"-"+run+".mem.pprof"))
	}

	pr, pw, err := os.Pipe()
	if err != nil {
		return benchMeasure{}, nexmark.BenchResult{}, err
	}
	defer pr.Close()
	cmd := exec.CommandContext(ctx, exe, args...)
	// Canceled (the parent interrupted), the child is interrupted too, so
	// that it stops its job and removes what it made in the temporary
	// directory (q10's output and checkpoints, q13's side input); killed
	// only if it has not ended 10 s later.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.ExtraFiles = []*os.File{pw} // file descriptor 3 in the child
	start := time.Now()
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return benchMeasure{}, nexmark.BenchResult{}, fmt.Errorf("start benchmark process: %w", err)
	}
	prog.start(query, mode, gen.Events, start)
	done := make(chan struct{})
	go func() { // ends when the child closes its end of the pipe
		defer close(done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if n, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil {
				prog.update(n)
			}
		}
	}()
	err = cmd.Wait()
	<-done
	if err != nil {
		msg := strings.TrimSpace(errOut.String())
		msg = strings.TrimPrefix(msg, "strom: ")
		if msg == "" {
			msg = err.Error()
		}
		return benchMeasure{}, nexmark.BenchResult{}, errors.New(msg)
	}
	var res nexmark.BenchResult
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		return benchMeasure{}, nexmark.BenchResult{}, fmt.Errorf("benchmark process printed no result: %q", out.String())
	}
	m := benchMeasure{Query: query, Events: res.Events, WallSeconds: round3(res.WallSeconds),
		P50LatencyMs: round3(res.P50LatencyMs), P99LatencyMs: round3(res.P99LatencyMs),
		Checkpoints: res.Checkpoints, CheckpointsFailed: res.CheckpointsFailed, CheckpointMsMean: round3(res.CheckpointMsMean),
		CheckpointMsMax: round3(res.CheckpointMsMax), CheckpointBytesLast: res.CheckpointBytesLast,
		CheckpointBytesMax: res.CheckpointBytesMax, CheckpointUploadCPUSeconds: round3(res.CheckpointUploadCPUSeconds)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		m.CPUSeconds = round3(cpu.Seconds())
		m.CPUUserSeconds = round3(time.Duration(ru.Utime.Nano()).Seconds())
		m.CPUSystemSeconds = round3(time.Duration(ru.Stime.Nano()).Seconds())
		m.PeakRSSBytes = ru.Maxrss * 1024 // KiB on Linux
	}
	if res.WallSeconds > 0 {
		m.EventsPerSecond = math.Round(float64(res.Events) / res.WallSeconds)
	}
	if m.CPUSeconds > 0 {
		m.EventsPerCoreSecond = math.Round(float64(res.Events) / m.CPUSeconds)
	}
	return m, res, nil
}

func benchMillis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// benchTable prints the results as an aligned table, one row at a time.
type benchTable struct {
	w           io.Writer
	baseline    bool
	checkpoints bool
	sql         bool // the rows are SQL versions (--sql)
	compare     bool // with DataStream rows and the ratio (--compare)
}

type benchColumn struct {
	head  string
	width int
}

// benchColumns are the table's columns: heading and width (the first is
// left-aligned, the others right-aligned); the checkpoint columns and the
// baseline ratio are there when the run has them.
var (
	benchColumns = []benchColumn{
		{"query", 11}, {"events", 12}, {"wall s", 8}, {"cpu s", 8}, {"events/s", 11},
		{"events/s/core", 15}, {"p50 ms", 9}, {"p99 ms", 9}, {"peak RSS", 10},
	}
	benchCheckpointColumns = []benchColumn{{"chk", 5}, {"chk ms mean", 13}, {"chk ms max", 12}, {"chk size", 10}, {"chk max size", 14}}
	benchRatioColumn       = benchColumn{"engine/baseline", 17}
	benchCompareColumn     = benchColumn{"sql/datastream", 16}
)

func (t *benchTable) columns() []benchColumn {
	cols := slices.Clone(benchColumns)
	if t.compare {
		cols[0].width = 13 // "  datastream"
	}
	if t.checkpoints {
		cols = append(cols, benchCheckpointColumns...)
	}
	if t.baseline {
		cols = append(cols, benchRatioColumn)
	}
	if t.compare {
		cols = append(cols, benchCompareColumn)
	}
	return cols
}

func (t *benchTable) line(cells ...string) {
	var b strings.Builder
	for i, col := range t.columns() {
		c := ""
		if i < len(cells) {
			c = cells[i]
		}
		if i == 0 {
			fmt.Fprintf(&b, "%-*s", col.width, c)
		} else {
			fmt.Fprintf(&b, "%*s", col.width, c)
		}
	}
	fmt.Fprintln(t.w, strings.TrimRight(b.String(), " "))
}

func (t *benchTable) header() {
	var cells []string
	for _, col := range t.columns() {
		cells = append(cells, col.head)
	}
	t.line(cells...)
}

func (t *benchTable) row(label string, m benchMeasure, ratio string) {
	lat := func(v float64) string {
		switch {
		case label == "  baseline" || (t.sql && label != "  datastream"):
			return "-"
		case v < 1:
			return fmt.Sprintf("%.3f", v)
		}
		return fmt.Sprintf("%.2f", v)
	}
	cells := []string{label, groupDigits(m.Events), fmt.Sprintf("%.2f", m.WallSeconds), fmt.Sprintf("%.2f", m.CPUSeconds),
		siFormat(m.EventsPerSecond), siFormat(m.EventsPerCoreSecond), lat(m.P50LatencyMs), lat(m.P99LatencyMs),
		bytesFormat(m.PeakRSSBytes)}
	if t.checkpoints {
		if label == "  baseline" {
			cells = append(cells, "-", "-", "-", "-", "-")
		} else {
			n := strconv.FormatInt(m.Checkpoints, 10)
			if m.CheckpointsFailed > 0 {
				n += fmt.Sprintf(" (%d failed)", m.CheckpointsFailed)
			}
			cells = append(cells, n, fmt.Sprintf("%.1f", m.CheckpointMsMean), fmt.Sprintf("%.1f", m.CheckpointMsMax),
				bytesFormat(m.CheckpointBytesLast), bytesFormat(m.CheckpointBytesMax))
		}
	}
	t.line(append(cells, ratio)...)
}

func (t *benchTable) failure(label string, msg string) {
	fmt.Fprintf(t.w, "%-*s FAILED: %s\n", t.columns()[0].width, label, msg)
}

// title prints what was run and the table header.
func (t *benchTable) title(queries int, events int64, parallelism int, seed int64, splits int, rate int64, limited bool, checkpointMs float64) {
	pace := "as fast as the job reads them"
	if limited {
		pace = fmt.Sprintf("paced at %s events/s of wall time", siFormat(float64(rate)))
	}
	fmt.Fprintf(t.w, "strom nexmark bench: %s, %s events each, parallelism %d\n",
		benchQueryCount(queries), groupDigits(events), parallelism)
	fmt.Fprintf(t.w, "generator: seed %d, %s, %s events/s of event time, %s; one process per run\n",
		seed, nexmarkPlural(splits, "split"), siFormat(float64(rate)), pace)
	if checkpointMs > 0 {
		fmt.Fprintf(t.w, "checkpoints every %v in the engine runs\n", time.Duration(checkpointMs*float64(time.Millisecond)))
	}
	fmt.Fprintln(t.w)
	t.header()
}

// report prints the rows of one query.
func (t *benchTable) report(r benchReport) {
	if r.Error != "" {
		t.failure(r.Query, r.Error)
		return
	}
	ratio := ""
	if r.Baseline != nil {
		ratio = fmt.Sprintf("%.3f", r.EngineToBaseline)
	}
	if r.DataStream != nil {
		ratio = fmt.Sprintf("%.3f", r.SQLToDataStream)
	}
	label := r.Query
	if r.Mode == "sql" {
		label += " sql"
	}
	t.row(label, r.benchMeasure, ratio)
	switch {
	case r.DataStream != nil:
		t.row("  datastream", *r.DataStream, "")
	case r.DataStreamError != "":
		t.failure("  datastream", r.DataStreamError)
	}
	switch {
	case r.Baseline != nil:
		t.row("  baseline", r.Baseline.benchMeasure, "")
	case r.BaselineError != "":
		t.failure("  baseline", r.BaselineError)
	}
	switch {
	case r.HalfRate != nil:
		t.row("  at half", *r.HalfRate, "")
	case r.HalfRateError != "":
		t.failure("  at half", r.HalfRateError)
	}
}

func (t *benchTable) footer(baseline, half bool) {
	fmt.Fprintln(t.w)
	fmt.Fprintln(t.w, "events/s/core = events / CPU seconds of the process (user + system); latency from source to sink.")
	if baseline {
		fmt.Fprintln(t.w, "engine/baseline = the engine's events/s/core divided by the hand-written baseline's (on the query's row).")
	}
	if t.sql {
		fmt.Fprintln(t.w, "sql = the query's SQL version (the spec's text over the 'nexmark' table; q6 in its well-formed form); SQL jobs send no latency markers.")
	}
	if t.compare {
		fmt.Fprintln(t.w, "sql/datastream = events/s/core of the SQL version divided by the DataStream version's (issue 7's goal: >= 0.8).")
	}
	if t.checkpoints {
		fmt.Fprintln(t.w, "chk = completed checkpoints (the end-of-input one included); chk ms = trigger to completion of the periodic ones\n(the end-of-input one left out); chk size = the last completed one's bytes, chk max size = the largest one's.")
	}
	if half {
		fmt.Fprintln(t.w, `"at half" = the same query again, the generator paced at half the events/s of the row above.`)
	}
}

// siFormat prints v with three significant digits and a K/M/G suffix.
func siFormat(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return sig3(v/1e9) + " G"
	case a >= 1e6:
		return sig3(v/1e6) + " M"
	case a >= 1e3:
		return sig3(v/1e3) + " K"
	}
	return sig3(v)
}

func sig3(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// groupDigits is 10000000 as "10,000,000".
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// bytesFormat is n in MiB (or GiB).
func bytesFormat(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n > 0 && n < 1<<20:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// benchProgress shows how far the running child got: on a terminal one
// line rewritten in place, otherwise a plain line every few seconds.
type benchProgress struct {
	w        io.Writer
	tty      bool
	query    string
	mode     string
	total    int64
	began    time.Time
	lastLine time.Time
	shown    bool
}

func newBenchProgress(w io.Writer) *benchProgress {
	p := &benchProgress{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb" {
			p.tty = true
		}
	}
	return p
}

// benchPlainEvery is the interval of progress lines when not on a terminal.
const benchPlainEvery = 5 * time.Second

func (p *benchProgress) start(query, mode string, total int64, start time.Time) {
	p.query, p.mode, p.total, p.began, p.lastLine = query, mode, total, start, start
	if p.tty {
		p.update(0)
	}
}

// update is called from the goroutine reading the child's pipe only.
func (p *benchProgress) update(events int64) {
	now := time.Now()
	el := now.Sub(p.began)
	rate := ""
	if s := el.Seconds(); s > 0 && events > 0 {
		rate = ", " + siFormat(float64(events)/s) + " events/s"
	}
	pct := 0.0
	if p.total > 0 {
		pct = 100 * float64(events) / float64(p.total)
	}
	msg := fmt.Sprintf("%s %s: %s / %s events (%.0f%%)%s, %.1fs", p.query, p.mode,
		groupDigits(events), groupDigits(p.total), pct, rate, el.Seconds())
	if events >= p.total {
		msg = fmt.Sprintf("%s %s: all %s events read, waiting for the last results, %.1fs", p.query, p.mode,
			groupDigits(p.total), el.Seconds())
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", msg)
		p.shown = true
		return
	}
	if now.Sub(p.lastLine) >= benchPlainEvery {
		fmt.Fprintln(p.w, msg)
		p.lastLine = now
	}
}

// clear removes the progress line before a result is printed.
func (p *benchProgress) clear() {
	if p.tty && p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}
