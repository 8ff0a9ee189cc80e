package cli

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/stream"
)

// The hidden command `strom chaos-job` runs the test jobs of the crash and
// flow-control tests in test/chaos (RELIABILITY P2 and B1) in a real strom
// process, so that the tests can SIGKILL it and read its memory and file
// descriptors from /proc. It is not a user command: its flags and output
// may change with the tests.

func init() {
	chaosJobSubcommands = append(chaosJobSubcommands, newChaosSequenceCmd, newChaosBackpressureCmd)
}

var chaosJobSubcommands []func() *cobra.Command

func newChaosJobCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "chaos-job",
		Short:  "Test jobs of the chaos tests (not a user command)",
		Hidden: true,
		Args:   noArgs,
		RunE:   func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	for _, f := range chaosJobSubcommands {
		cmd.AddCommand(f())
	}
	return cmd
}

// chaosCommon are the flags both chaos jobs share.
type chaosCommon struct {
	Parallelism     int
	Keys            int
	Out             string
	BatchSize       int
	ChannelCapacity int
	MemoryBudgetMiB int64
	Checkpoint      checkpointFlags
}

func (c *chaosCommon) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&c.Parallelism, "parallelism", 1, "subtasks per operator (and generator splits)")
	f.IntVar(&c.Keys, "keys", 20, "keys per split")
	f.StringVar(&c.Out, "out", "", "result `FILE` (lines; committed as parts under FILE.parts with --checkpoint-dir)")
	f.IntVar(&c.BatchSize, "batch-size", 0, "records per batch between subtasks (0: the engine's default)")
	f.IntVar(&c.ChannelCapacity, "channel-capacity", 0, "batches buffered per channel (0: the engine's default)")
	f.Int64Var(&c.MemoryBudgetMiB, "memory-budget-mib", 0, "the process's memory budget in MiB: the Go runtime's soft memory limit (debug.SetMemoryLimit); 0: none")
	c.Checkpoint.register(f)
}

func (c *chaosCommon) validate(cmd *cobra.Command) error {
	switch {
	case c.Out == "":
		return usagef(cmd, "--out FILE is required")
	case c.Checkpoint.Dir == "":
		return usagef(cmd, "--checkpoint-dir is required (the output is committed through checkpoints)")
	case c.Parallelism < 1 || c.Keys < 1 || c.BatchSize < 0 || c.ChannelCapacity < 0 || c.MemoryBudgetMiB < 0:
		return usagef(cmd, "--parallelism and --keys must be positive; --batch-size, --channel-capacity and --memory-budget-mib not negative")
	}
	return c.Checkpoint.validate(cmd)
}

// env sets the memory budget and returns the job's environment and its
// transactional line sink under Out.parts.
func (c *chaosCommon) env(name string, stderr io.Writer) (*stream.Environment, *file.TransactionalSink[[]byte], error) {
	if c.MemoryBudgetMiB > 0 {
		debug.SetMemoryLimit(c.MemoryBudgetMiB << 20)
	}
	sink, err := file.NewTransactionalSink[[]byte](file.TransactionalSinkOptions[[]byte]{Dir: c.Out + ".parts", Format: file.FormatLines})
	if err != nil {
		return nil, nil, fmt.Errorf("result parts: %w", err)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: c.Parallelism, Name: name, BatchSize: c.BatchSize,
		ChannelCapacity: c.ChannelCapacity, Checkpoints: c.Checkpoint.options(stderr), Restart: c.Checkpoint.restart()})
	return env, sink, nil
}

// pacer paces one generator split in wall-clock time: the n-th record of
// this process is not made before start + n/rate.
type pacer struct {
	mu    sync.Mutex
	rate  float64
	start time.Time
	n     int64
}

func (p *pacer) wait() {
	if p.rate <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		p.start = time.Now()
	}
	p.n++
	if p.n%64 == 0 {
		if d := time.Until(p.start.Add(time.Duration(float64(p.n) / p.rate * float64(time.Second)))); d > 0 {
			time.Sleep(d)
		}
	}
}

// --- sequence (RELIABILITY P2) ---

type chaosSeqEvent struct {
	Key string
	Seq int64
}

type chaosSeqConfig struct {
	chaosCommon
	PerKey    int64
	Rate      float64
	Panics    int
	PanicSeed int64
	PanicSpan int64
}

func newChaosSequenceCmd() *cobra.Command {
	var cfg chaosSeqConfig
	cmd := &cobra.Command{
		Use:   "sequence",
		Short: "Per-key sequences 1..n through a keyed sequence check (RELIABILITY P2)",
		Long: `Every split makes --keys keys, each with the sequence 1..--per-key, the keys
interleaved. A keyed operator keeps the key's last number in keyed state and
writes "OK key seq" when seq == last+1, "ALERT key: seq after last" otherwise,
and "DONE key n" when it reaches n. The rows go to the transactional file sink.
--panics N injects N panics at random record counts of this process (seeded by
--panic-seed, within --panic-span) in the keyed operator; with --restart-attempts the job restarts
from its latest checkpoint.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.validate(cmd); err != nil {
				return err
			}
			if cfg.PerKey < 1 || cfg.Panics < 0 || cfg.PanicSpan < 0 {
				return usagef(cmd, "--per-key must be positive, --panics and --panic-span not negative")
			}
			return runChaosSequence(cmd.Context(), cmd.ErrOrStderr(), cfg)
		},
	}
	cfg.register(cmd)
	f := cmd.Flags()
	f.Int64Var(&cfg.PerKey, "per-key", 1000, "sequence length `n` of every key")
	f.Float64Var(&cfg.Rate, "rate", 0, "records per second and split in wall-clock time (0: as fast as it goes)")
	f.IntVar(&cfg.Panics, "panics", 0, "inject `N` panics into the keyed check at random record counts")
	f.Int64Var(&cfg.PanicSeed, "panic-seed", 1, "seed of the panic record counts")
	f.Int64Var(&cfg.PanicSpan, "panic-span", 0, "the panics come within the first `M` records this process's keyed check sees (0: all records)")
	return cmd
}

// seqChecker is the keyed sequence check (Flink's SemanticsCheckMapper).
type seqChecker struct {
	n      int64
	last   *stream.ValueState[int64]
	panics *chaosPanics
}

func (c *seqChecker) Open(ctx *stream.OpenContext) error {
	c.last = stream.NewValueState[int64](ctx, "last")
	return nil
}

func (c *seqChecker) ProcessElement(_ *stream.KeyedContext[string], e chaosSeqEvent, out stream.Emitter[[]byte]) error {
	c.panics.hit()
	last, _ := c.last.Get()
	if e.Seq != last+1 {
		out.Emit(fmt.Appendf(nil, "ALERT %s: %d after %d", e.Key, e.Seq, last))
	} else {
		out.Emit(fmt.Appendf(nil, "OK %s %d", e.Key, e.Seq))
	}
	c.last.Set(e.Seq)
	if e.Seq == c.n {
		out.Emit(fmt.Appendf(nil, "DONE %s %d", e.Key, e.Seq))
	}
	return nil
}

func (c *seqChecker) OnTimer(*stream.KeyedContext[string], int64, stream.Emitter[[]byte]) error {
	return nil
}

// chaosPanics panics once at each of its record counts (of this process).
type chaosPanics struct {
	at    []int64
	n     atomic.Int64
	fired sync.Map
}

func (p *chaosPanics) hit() {
	n := p.n.Add(1)
	if _, ok := slices.BinarySearch(p.at, n); !ok {
		return
	}
	if _, dup := p.fired.LoadOrStore(n, true); !dup {
		panic(fmt.Sprintf("chaos: injected panic at record %d", n))
	}
}

func runChaosSequence(ctx context.Context, stderr io.Writer, cfg chaosSeqConfig) error {
	env, sink, err := cfg.env("chaos-sequence", stderr)
	if err != nil {
		return err
	}
	keys, perKey := int64(cfg.Keys), cfg.PerKey
	total := keys * perKey * int64(cfg.Parallelism)
	if cfg.PanicSpan > 0 {
		total = cfg.PanicSpan
	}
	panics := &chaosPanics{}
	rng := rand.New(rand.NewPCG(uint64(cfg.PanicSeed), 0x9a1c))
	for range cfg.Panics {
		panics.at = append(panics.at, 1+rng.Int64N(total))
	}
	slices.Sort(panics.at)
	panics.at = slices.Compact(panics.at)
	pacers := make([]*pacer, cfg.Parallelism)
	for i := range pacers {
		pacers[i] = &pacer{rate: cfg.Rate}
	}
	src := stream.FromGenerator(env, keys*perKey, func(split int, i int64) chaosSeqEvent {
		pacers[split].wait()
		return chaosSeqEvent{Key: fmt.Sprintf("s%d-k%03d", split, i%keys), Seq: i/keys + 1}
	}, stream.WatermarkStrategy[chaosSeqEvent]{})
	keyed := stream.KeyBy(src, func(e chaosSeqEvent) string { return e.Key })
	checks := stream.KeyedProcess(keyed, func() stream.KeyedProcessFunction[string, chaosSeqEvent, []byte] {
		return &seqChecker{n: perKey, panics: panics}
	})
	stream.SinkTo[[]byte](checks, sink, "tx-sink")
	start := time.Now()
	if err := env.Execute(ctx); err != nil {
		return err
	}
	n, err := assembleParts(cfg.Out+".parts", cfg.Out)
	if err != nil {
		return fmt.Errorf("result file: %w", err)
	}
	fmt.Fprintf(stderr, "sequence: %d rows in %.2fs -> %s\n", n, time.Since(start).Seconds(), cfg.Out)
	return nil
}

// --- backpressure (RELIABILITY B1) ---

type chaosBPConfig struct {
	chaosCommon
	Records     int64
	Payload     int
	Rate        float64
	SinkDelay   time.Duration
	SpeedUpFile string
	StatsEvery  time.Duration
}

func newChaosBackpressureCmd() *cobra.Command {
	var cfg chaosBPConfig
	cmd := &cobra.Command{
		Use:   "backpressure",
		Short: "A paced generator into a slow transactional sink (RELIABILITY B1)",
		Long: `Every split generates --records records (key = seq mod --keys, a fresh
--payload byte string each) paced at --rate records per second; a keyed
operator counts them per key in keyed state and emits "key:count"; the sink
(the transactional file sink) sleeps --sink-delay per record until the file
--speed-up-file exists, then writes at full speed. Every --stats-every a line
"stats gen=G lag=L sunk=S cp_ok=C cp_failed=F cp_max_ms=M heap=H" goes to
stderr: G records generated, L = what the paced source would have made by
now minus G (its lag), S records handed to the sink.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.validate(cmd); err != nil {
				return err
			}
			if cfg.Records < 1 || cfg.Payload < 1 || cfg.Rate <= 0 || cfg.SinkDelay < 0 || cfg.StatsEvery <= 0 {
				return usagef(cmd, "--records, --payload, --rate and --stats-every must be positive, --sink-delay not negative")
			}
			return runChaosBackpressure(cmd.Context(), cmd.ErrOrStderr(), cfg)
		},
	}
	cfg.register(cmd)
	f := cmd.Flags()
	f.Int64Var(&cfg.Records, "records", 100_000, "records per split")
	f.IntVar(&cfg.Payload, "payload", 1024, "payload bytes per record")
	f.Float64Var(&cfg.Rate, "rate", 100_000, "records per second and split the source can deliver")
	f.DurationVar(&cfg.SinkDelay, "sink-delay", 5*time.Millisecond, "sleep per record in the sink while slow")
	f.StringVar(&cfg.SpeedUpFile, "speed-up-file", "", "the sink is slow until `PATH` exists (empty: slow to the end)")
	f.DurationVar(&cfg.StatsEvery, "stats-every", 250*time.Millisecond, "interval of the stats lines")
	return cmd
}

type bpRecord struct {
	Key     int64
	Payload string
}

// bpCounter counts records per key.
type bpCounter struct{ n *stream.ValueState[int64] }

func (c *bpCounter) Open(ctx *stream.OpenContext) error {
	c.n = stream.NewValueState[int64](ctx, "n")
	return nil
}

func (c *bpCounter) ProcessElement(_ *stream.KeyedContext[int64], e bpRecord, out stream.Emitter[[]byte]) error {
	n, _ := c.n.Get()
	n++
	c.n.Set(n)
	if len(e.Payload) == 0 {
		return fmt.Errorf("record without payload")
	}
	out.Emit(fmt.Appendf(nil, "%d:%d", e.Key, n))
	return nil
}

func (c *bpCounter) OnTimer(*stream.KeyedContext[int64], int64, stream.Emitter[[]byte]) error {
	return nil
}

// slowTxSink is the transactional file sink whose writers sleep per record
// while slow is set.
type slowTxSink struct {
	*file.TransactionalSink[[]byte]
	slow  *atomic.Bool
	delay time.Duration
	sunk  *atomic.Int64
}

func (s slowTxSink) Open(ctx context.Context, info connector.SinkInfo) (connector.Writer[[]byte], error) {
	w, err := s.TransactionalSink.Open(ctx, info)
	if err != nil {
		return nil, err
	}
	return &slowTxWriter{TransactionalWriter: w.(connector.TransactionalWriter[[]byte]), s: s}, nil
}

type slowTxWriter struct {
	connector.TransactionalWriter[[]byte]
	s slowTxSink
}

func (w *slowTxWriter) Write(v []byte, ts int64) error {
	if w.s.slow.Load() {
		time.Sleep(w.s.delay)
	}
	w.s.sunk.Add(1)
	return w.TransactionalWriter.Write(v, ts)
}

func runChaosBackpressure(ctx context.Context, stderr io.Writer, cfg chaosBPConfig) error {
	env, txSink, err := cfg.env("chaos-backpressure", stderr)
	if err != nil {
		return err
	}
	var slow atomic.Bool
	var generated, sunk atomic.Int64
	slow.Store(cfg.SinkDelay > 0)
	sink := slowTxSink{TransactionalSink: txSink, slow: &slow, delay: cfg.SinkDelay, sunk: &sunk}
	pacers := make([]*pacer, cfg.Parallelism)
	for i := range pacers {
		pacers[i] = &pacer{rate: cfg.Rate}
	}
	keys := int64(cfg.Keys)
	pad := strings.Repeat("x", cfg.Payload)
	src := stream.FromGenerator(env, cfg.Records, func(split int, seq int64) bpRecord {
		pacers[split].wait()
		generated.Add(1)
		// A fresh payload per record, as a real source allocates them.
		return bpRecord{Key: seq % keys, Payload: pad[:cfg.Payload-1] + string(rune('a'+split%26))}
	}, stream.WatermarkStrategy[bpRecord]{})
	keyed := stream.KeyBy(src, func(e bpRecord) int64 { return e.Key })
	counts := stream.KeyedProcess(keyed, func() stream.KeyedProcessFunction[int64, bpRecord, []byte] { return &bpCounter{} })
	stream.SinkTo[[]byte](counts, sink, "slow-sink")

	start := time.Now()
	job, err := env.Start(ctx)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, job.Cancel)
	defer stop()
	var ms runtime.MemStats
	stopStats := everyTick(cfg.StatsEvery, func() {
		if slow.Load() && cfg.SpeedUpFile != "" {
			if _, err := os.Stat(cfg.SpeedUpFile); err == nil {
				slow.Store(false)
				fmt.Fprintf(stderr, "sink: fast from now on (after %.1fs)\n", time.Since(start).Seconds())
			}
		}
		cs := job.Checkpoints()
		runtime.ReadMemStats(&ms)
		g := generated.Load()
		could := min(int64(time.Since(start).Seconds()*cfg.Rate), cfg.Records) * int64(cfg.Parallelism)
		fmt.Fprintf(stderr, "stats gen=%d lag=%d sunk=%d cp_ok=%d cp_failed=%d cp_max_ms=%d heap=%d slow=%v\n",
			g, max(could-g, 0), sunk.Load(), cs.Periodic, cs.Failed, cs.MaxDuration.Milliseconds(), ms.HeapAlloc, slow.Load())
	})
	err = job.Wait()
	stopStats()
	if err != nil {
		return err
	}
	cs := job.Checkpoints()
	n, err := assembleParts(cfg.Out+".parts", cfg.Out)
	if err != nil {
		return fmt.Errorf("result file: %w", err)
	}
	fmt.Fprintf(stderr, "backpressure: %d rows in %.2fs -> %s; checkpoints %d ok, %d failed (max %v)\n",
		n, time.Since(start).Seconds(), cfg.Out, cs.Periodic, cs.Failed, cs.MaxDuration.Round(time.Millisecond))
	return nil
}

// everyTick calls f every d on a goroutine of its own until the returned
// stop is called; stop waits for a call in progress to return, so nothing
// f writes comes after it. The B1 and B5 children print their stats lines
// with it.
func everyTick(d time.Duration, f func()) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(d)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			f()
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
