package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/file"
	nexmarkgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/nexmark"
	"github.com/stromio/strom/stream"
)

func init() { nexmarkSubcommands = append(nexmarkSubcommands, newNexmarkRunCmd) }

// nexmarkInputName is the name of the file source operator of `run`.
const nexmarkInputName = "nexmark-input"

// nexmarkRunConfig is the configuration of `strom nexmark run` (one field
// per flag).
type nexmarkRunConfig struct {
	Query       string
	Input       string
	Events      int64
	Seed        int64
	Rate        int64
	Splits      int
	BaseTime    string // --base-time, as parseBaseTime reads it
	Parallelism int
	Out         string
	SideInput   string
	OutDir      string
	RateLimited bool
	Checkpoint  checkpointFlags
}

// runGeneratorFlags are the flags that configure the built-in generator; they
// make no sense with --input.
var runGeneratorFlags = []string{"seed", "rate", "splits", "base-time"}

func (c nexmarkRunConfig) validate(cmd *cobra.Command) error {
	if c.Query == "" {
		return usagef(cmd, "--query is required (one of %s)", strings.Join(nexmark.Names(), ", "))
	}
	q, err := nexmark.Lookup(c.Query)
	if err != nil {
		return usagef(cmd, "unknown query %q for --query (known: %s)", c.Query, strings.Join(nexmark.Names(), ", "))
	}
	hasEvents := cmd.Flags().Changed("events")
	switch {
	case c.Input == "" && !hasEvents:
		return usagef(cmd, "give the events with --input FILE (JSON lines) or --events N (built-in generator)")
	case c.Input != "" && hasEvents:
		return usagef(cmd, "--input and --events exclude each other: read a file or generate events, not both")
	case hasEvents && c.Events < 1:
		return usagef(cmd, "--events must be at least 1, got %d", c.Events)
	case c.Parallelism < 1 || c.Parallelism > 256:
		return usagef(cmd, "--parallelism must be between 1 and 256, got %d", c.Parallelism)
	case c.Out == "":
		return usagef(cmd, "--out FILE is required (\"-\" writes the rows to standard output)")
	case c.SideInput != "" && q.Name != "q13":
		return usagef(cmd, "--side-input is only used by q13, not %s", q.Name)
	case c.OutDir != "" && q.Name != "q10":
		return usagef(cmd, "--out-dir is only used by q10, not %s", q.Name)
	case q.Name == "q10" && c.OutDir == "":
		return usagef(cmd, "q10 writes its CSV files under --out-dir DIR; give one")
	case c.Checkpoint.Dir != "" && c.Out == "-":
		return usagef(cmd, "with --checkpoint-dir the result must go to a file (--out FILE): it is committed through checkpoints")
	case c.RateLimited && c.Input != "":
		return usagef(cmd, "--rate-limited paces the built-in generator; it does not apply to --input")
	}
	if err := c.Checkpoint.validate(cmd); err != nil {
		return err
	}
	if c.Input != "" {
		for _, f := range runGeneratorFlags {
			if cmd.Flags().Changed(f) {
				return usagef(cmd, "--%s configures the generator and does not apply to --input", f)
			}
		}
	} else if c.Splits < 1 || c.Rate < 1 {
		return usagef(cmd, "--splits and --rate must be at least 1, got %d and %d", c.Splits, c.Rate)
	} else if _, err := parseBaseTime(c.BaseTime, time.Now()); err != nil {
		return usagef(cmd, "--base-time: %v", err)
	} else if err := c.generator(0).Validate(); err != nil {
		return usagef(cmd, "invalid generator flags: %v", err)
	}
	return nil
}

// generator is the generator of cfg; base is the event time of the first
// events (validate checked --base-time).
func (c nexmarkRunConfig) generator(base int64) nexmarkgen.GeneratorConfig {
	return nexmarkgen.GeneratorConfig{Events: c.Events, Seed: c.Seed, Rate: c.Rate, Splits: c.Splits, BaseTime: base, RateLimited: c.RateLimited}
}

func newNexmarkRunCmd() *cobra.Command {
	cfg := nexmarkRunConfig{Parallelism: 1, Seed: 1, Rate: nexmarkgen.DefaultRate, Splits: 1}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run one Nexmark query over a JSON-lines file or the built-in generator",
		Long: `Run one Nexmark query and write its result rows as JSON lines.

The events come from a JSON-lines file in the interchange format (--input,
as "strom nexmark gen" writes it; a glob or a directory reads several files)
or from the built-in generator (--events; --seed, --rate, --splits and
--base-time select the data, and the same flags give the same events as
"strom nexmark gen"). A file holds one split's timeline: a file written with
"gen --splits K" holds K timelines one after the other, and read as one
input the later ones arrive behind the watermark (late, dropped by
windows); run the generator with --splits K instead.
Event time is each event's dateTime and the watermark trails the largest
one seen by 4 s; at the end of the input every pending window fires.

The rows have the query's result columns (SPEC.md §3.4). Queries whose
result is updated (q4, q9, q18, q19, ...) write a changelog: every row
carries "op" (+I, -U, +U, -D) and the final result is the changelog applied
in order. A summary goes to standard error.`,
		Example: `  strom nexmark run --query q5 --events 1000000 --out q5.jsonl
  strom nexmark gen --events 100000 --out events.jsonl
  strom nexmark run --query q3 --input events.jsonl --out - | head
  strom nexmark run --query q13 --events 100000 --out q13.jsonl   # side input generated
  strom nexmark run --query q10 --events 100000 --out q10.jsonl --out-dir q10-files`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.validate(cmd); err != nil {
				return err
			}
			return runNexmarkQuery(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Query, "query", "", "query to run, `qN`: q0 ... q22 (see SPEC.md §2)")
	f.StringVar(&cfg.Input, "input", "", "events from JSON-lines `FILE` (or a directory or glob; instead of --events)")
	f.Int64Var(&cfg.Events, "events", 0, "generate `N` events with the built-in generator (instead of --input)")
	f.Int64Var(&cfg.Seed, "seed", cfg.Seed, "generator: seed of the data")
	f.Int64Var(&cfg.Rate, "rate", cfg.Rate, "generator: events per second of event time")
	f.IntVar(&cfg.Splits, "splits", cfg.Splits, "generator: parallel generators (splits); the events depend on it")
	f.StringVar(&cfg.BaseTime, "base-time", "", `generator: event time of the first events: epoch ms, RFC 3339 or "now" (default 2026-01-01T00:00:00Z)`)
	f.IntVar(&cfg.Parallelism, "parallelism", cfg.Parallelism, "subtasks per operator")
	f.StringVar(&cfg.Out, "out", "", "write the result rows to `FILE` as JSON lines (\"-\": standard output)")
	f.StringVar(&cfg.SideInput, "side-input", "", "q13: side-input CSV `FILE` (key,value); default: generate one into a temporary directory")
	f.StringVar(&cfg.OutDir, "out-dir", "", "q10: directory `DIR` of the partitioned CSV files")
	f.BoolVar(&cfg.RateLimited, "rate-limited", false, "generator: pace the events in wall-clock time at --rate events per second")
	cfg.Checkpoint.register(f)
	return cmd
}

// runNexmarkQuery runs the query of cfg and writes its rows to cfg.Out
// (stdout for "-"), a summary to stderr.
func runNexmarkQuery(ctx context.Context, stdout, stderr io.Writer, cfg nexmarkRunConfig) (err error) {
	q, err := nexmark.Lookup(cfg.Query)
	if err != nil {
		return err
	}
	qcfg := nexmark.Config{SideInput: cfg.SideInput, OutDir: cfg.OutDir}
	if q.Name == "q13" && qcfg.SideInput == "" {
		dir, err := os.MkdirTemp("", "strom-q13-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if qcfg.SideInput, err = nexmark.WriteSideInputFile(dir); err != nil {
			return err
		}
	} else if qcfg.SideInput != "" {
		if _, err := os.Stat(qcfg.SideInput); err != nil {
			return fmt.Errorf("--side-input: %w", err)
		}
	}
	if cfg.Input != "" && !strings.ContainsAny(cfg.Input, "*?[") {
		if _, err := os.Stat(cfg.Input); err != nil {
			return fmt.Errorf("--input: %w", err)
		}
	}

	// The result goes to a file created before the job starts, so that a
	// bad path fails at once. With checkpoints, rows are committed as part
	// files under <out>.parts through two-phase commit, and FILE is
	// assembled from the committed parts when the job has ended.
	out := stdout
	dest := "standard output"
	var txSink *file.TransactionalSink[[]byte]
	partsDir := cfg.Out + ".parts"
	if cfg.Checkpoint.Dir != "" {
		txSink, err = file.NewTransactionalSink[[]byte](file.TransactionalSinkOptions[[]byte]{Dir: partsDir, Format: file.FormatLines})
		if err != nil {
			return fmt.Errorf("result parts: %w", err)
		}
		dest = cfg.Out
	} else if cfg.Out != "-" {
		f, err := os.Create(cfg.Out)
		if err != nil {
			return fmt.Errorf("result file: %w", err)
		}
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("result file: %w", cerr)
			}
		}()
		out, dest = f, cfg.Out
	}
	sink := &runLineSink{w: bufio.NewWriterSize(out, 256<<10)}

	env := stream.NewEnvironment(stream.Options{Parallelism: cfg.Parallelism, Name: "nexmark-" + q.Name,
		Checkpoints: cfg.Checkpoint.options(stderr), Restart: cfg.Checkpoint.restart()})
	var events stream.Stream[nexmarkgen.Event]
	source := nexmark.SourceName
	if cfg.Input != "" {
		source = nexmarkInputName
		events = stream.FromSource[nexmarkgen.Event](env, file.JSONLines[nexmarkgen.Event](cfg.Input),
			nexmark.Watermark(), nexmarkInputName).UID(nexmarkInputName)
	} else {
		base, err := parseBaseTime(cfg.BaseTime, time.Now())
		if err != nil {
			return err
		}
		events = nexmark.GeneratorStream(env, cfg.generator(base))
	}
	if txSink != nil {
		q.Build(events, qcfg).SinkTo(txSink)
	} else {
		q.Build(events, qcfg).SinkTo(sink)
	}

	start := time.Now()
	var job *stream.Job
	if cfg.Checkpoint.Dir != "" {
		// Restarts from the latest checkpoint on failure (--restart-attempts)
		// and takes savepoints on request (strom savepoint).
		err = executeWithControl(ctx, env, cfg.Checkpoint, stderr)
	} else {
		job, err = env.Start(ctx)
		if err != nil {
			return runInputError(cfg, err)
		}
		stop := context.AfterFunc(ctx, job.Cancel)
		defer stop()
		err = job.Wait()
	}
	if ferr := sink.flush(); err == nil && ferr != nil {
		err = fmt.Errorf("result file: %w", ferr)
	}
	if err == nil && txSink != nil {
		n, aerr := assembleParts(partsDir, cfg.Out)
		if aerr != nil {
			err = fmt.Errorf("result file: %w", aerr)
		}
		sink.rows.Store(n)
	}
	if err != nil {
		if errors.Is(err, stream.ErrStopped) {
			fmt.Fprintf(stderr, "%s: stopped with a savepoint; %s is written when a run started with --from-savepoint finishes\n", q.Name, dest)
			return nil
		}
		if errors.Is(err, stream.ErrCanceled) && ctx.Err() != nil {
			fmt.Fprintf(stderr, "%s: canceled after %s rows\n", q.Name, groupDigits(sink.rows.Load()))
			return nil
		}
		return runInputError(cfg, err)
	}
	what := fmt.Sprintf("%s generated events (seed %d, %s events/s of event time, %s)",
		groupDigits(cfg.Events), cfg.Seed, siFormat(float64(cfg.Rate)), nexmarkPlural(cfg.Splits, "split"))
	if cfg.Input != "" && job != nil {
		what = fmt.Sprintf("%s events of %s", groupDigits(nexmark.SourceEvents(job, source)), cfg.Input)
	} else if cfg.Input != "" {
		what = "the events of " + cfg.Input
	}
	kind := "row"
	if q.Updating {
		kind = "changelog row"
	}
	if sink.rows.Load() != 1 {
		kind += "s"
	}
	fmt.Fprintf(stderr, "%s: %s %s from %s in %.2fs, parallelism %d -> %s\n",
		q.Name, groupDigits(sink.rows.Load()), kind, what, time.Since(start).Seconds(), cfg.Parallelism, dest)
	return nil
}

// runInputError turns a bad line of the input file into a message that says
// where and what, without the engine's operator path around it.
func runInputError(cfg nexmarkRunConfig, err error) error {
	if le, ok := errors.AsType[*file.LineError](err); ok {
		return fmt.Errorf("%s line %d: %s (byte offset %d); fix or remove the line", le.Path, le.Line, le.Reason, le.Offset)
	}
	return err
}

// runLineSink writes encoded rows as lines to one writer, shared by the sink's
// subtasks: each subtask buffers its lines and appends them under the lock,
// so lines never interleave and each subtask's order is kept.
type runLineSink struct {
	mu   sync.Mutex
	w    *bufio.Writer
	err  error
	rows atomic.Int64
}

func (s *runLineSink) Open(context.Context, connector.SinkInfo) (connector.Writer[[]byte], error) {
	return &runLineWriter{s: s}, nil
}

func (s *runLineSink) write(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		_, s.err = s.w.Write(b)
	}
	return s.err
}

func (s *runLineSink) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = s.w.Flush()
	}
	return s.err
}

type runLineWriter struct {
	s   *runLineSink
	buf []byte
	n   int64
}

func (w *runLineWriter) Write(v []byte, _ int64) error {
	w.buf = append(append(w.buf, v...), '\n')
	w.n++
	if len(w.buf) >= 64<<10 {
		return w.Flush(context.Background())
	}
	return nil
}

func (w *runLineWriter) Flush(context.Context) error {
	if len(w.buf) == 0 {
		return nil
	}
	err := w.s.write(w.buf)
	w.s.rows.Add(w.n)
	w.buf, w.n = w.buf[:0], 0
	return err
}

func (w *runLineWriter) Close() error { return w.Flush(context.Background()) }

// nexmarkPlural is "1 split", "2 splits".
func nexmarkPlural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
