package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/connector/format"
	cj "github.com/stromio/strom/connector/journal"
	jl "github.com/stromio/strom/journal"
	"github.com/stromio/strom/stream"
)

// --- soak (RELIABILITY B5) ---

func init() {
	chaosJobSubcommands = append(chaosJobSubcommands, newChaosSoakCmd)
}

// The soak job's fixed shape: 200-byte JSON records, 10 s event-time
// tumbling windows, the input topic "in" and the output topic "out".
const (
	soakRecordBytes = 200
	soakWindow      = 10 * time.Second
	soakInTopic     = "in"
	soakOutTopic    = "out"
	soakOutParts    = 2
	soakEndKey      = "_end"
)

type chaosSoakConfig struct {
	chaosCommon
	Journal        string
	Partitions     int
	Rate           int64
	Duration       time.Duration
	SegmentBytes   int64
	RetentionBytes int64
	RetentionCheck time.Duration
	Relaxed        bool
	StatsEvery     time.Duration
	DrainTimeout   time.Duration
}

func newChaosSoakCmd() *cobra.Command {
	var cfg chaosSoakConfig
	cmd := &cobra.Command{
		Use:   "soak",
		Short: "Sustained load through the journal, a 10 s window and an exactly-once sink (RELIABILITY B5)",
		Long: `A paced producer appends --rate records per second for --duration into the
topic "in" (--partitions partitions) of an embedded journal in --journal (a
new directory; segments of --segment-bytes, retention --retention-bytes per
partition checked every --retention-check). Record i (i = 0, 1, ...) is 200
bytes of JSON {"seq":i,"key":"kK","ts":T,"pad":"..."} with K = i mod --keys,
event time T = t0 + floor(i*1000/rate) ms, partition i mod --partitions; it
is due at wall time t0 + i/rate. After the last record, one record of key
"_end" per partition moves every watermark past the last window.

The job (parallelism --parallelism) reads "in" with the journal source
(read_committed, JSON decoded, event time from ts), drops "_end", keys by
key, counts per 10 s event-time tumbling window and writes "key,start,count"
into the topic "out" through the journal's exactly-once transactional sink,
committed at each checkpoint. A read_committed reader in this process tails
"out"; the latency of a row is the wall time it became visible minus its
window's end. When the counts seen add up to the records produced, the job
runs two more checkpoint intervals (a duplicate would show), is cancelled,
and the rows "key start count latency_ms" are written to --out.

Lines on stderr: "soak t0_ms=T" at the start; every --stats-every "stats
t_ms= produced= lag= rows= counted= cp_ok= cp_failed= cp_max_ms=
goroutines= heap= warnings= exceptions="; at the end "soak: ..." with the
producer's rate, the job's rate (the records over the time until the output
was complete less checkpoint interval + 1 s, the latency target, never
above the producer's) and the latency percentiles.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.validate(cmd); err != nil {
				return err
			}
			if cfg.Journal == "" || cfg.Partitions < 1 || cfg.Rate < 1 || cfg.Duration <= 0 || cfg.StatsEvery <= 0 ||
				cfg.SegmentBytes < 4096 || cfg.RetentionBytes < 0 || cfg.RetentionCheck <= 0 || cfg.DrainTimeout <= 0 {
				return usagef(cmd, "--journal is required; --partitions, --rate, --duration, --stats-every, --retention-check and --drain-timeout must be positive, --segment-bytes at least 4096")
			}
			return runChaosSoak(cmd.Context(), cmd.ErrOrStderr(), cfg)
		},
	}
	cfg.register(cmd)
	f := cmd.Flags()
	f.StringVar(&cfg.Journal, "journal", "", "the journal `DIR` (created; must not hold topics yet)")
	f.IntVar(&cfg.Partitions, "partitions", 4, "partitions of the input topic")
	f.Int64Var(&cfg.Rate, "rate", 2000, "records per second produced (in all)")
	f.DurationVar(&cfg.Duration, "duration", 20*time.Second, "how long the producer runs")
	f.Int64Var(&cfg.SegmentBytes, "segment-bytes", 1<<20, "journal segment size")
	f.Int64Var(&cfg.RetentionBytes, "retention-bytes", 4<<20, "journal retention per partition in bytes (0: none)")
	f.DurationVar(&cfg.RetentionCheck, "retention-check", time.Second, "how often the journal enforces retention")
	f.BoolVar(&cfg.Relaxed, "relaxed", false, "journal in Relaxed durability (fsync every 100 ms) instead of Durable")
	f.DurationVar(&cfg.StatsEvery, "stats-every", time.Second, "interval of the stats lines")
	f.DurationVar(&cfg.DrainTimeout, "drain-timeout", time.Minute, "fail when the output is not complete this long after the last record")
	return cmd
}

// soakEvent is one input record.
type soakEvent struct {
	Seq int64  `json:"seq"`
	Key string `json:"key"`
	Ts  int64  `json:"ts"`
	Pad string `json:"pad"`
}

// soakRecordTs is the event time of record i.
func soakRecordTs(t0, rate, i int64) int64 { return t0 + i*1000/rate }

// appendSoakRecord appends the 200 bytes of record i to dst.
func appendSoakRecord(dst []byte, i, keys, ts int64) []byte {
	start := len(dst)
	dst = fmt.Appendf(dst, `{"seq":%d,"key":"k%d","ts":%d,"pad":"`, i, i%keys, ts)
	pad := soakRecordBytes - (len(dst) - start) - 2
	c := byte('a' + i%26)
	for range pad {
		dst = append(dst, c)
	}
	return append(dst, '"', '}')
}

// countingHandler counts the journal's log records at Warn and above.
type countingHandler struct {
	slog.Handler
	n *atomic.Int64
}

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.n.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return countingHandler{Handler: h.Handler.WithAttrs(as), n: h.n}
}

func (h countingHandler) WithGroup(name string) slog.Handler {
	return countingHandler{Handler: h.Handler.WithGroup(name), n: h.n}
}

// soakRow is one committed output row as the reader saw it.
type soakRow struct {
	key          string
	start, count int64
	latencyMS    int64
}

// lockedWriter serialises the lines of several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func runChaosSoak(ctx context.Context, stderr io.Writer, cfg chaosSoakConfig) error {
	stderr = &lockedWriter{w: stderr}
	var warnings atomic.Int64
	jopts := jl.Options{SegmentBytes: cfg.SegmentBytes, RetentionBytes: cfg.RetentionBytes, RetentionCheck: cfg.RetentionCheck,
		Logger: slog.New(countingHandler{Handler: slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}), n: &warnings})}
	if cfg.Relaxed {
		jopts.Durability = jl.Relaxed
	}
	j, err := jl.Open(cfg.Journal, jopts)
	if err != nil {
		return err
	}
	defer j.Close()
	if len(j.Topics()) != 0 {
		return fmt.Errorf("soak: the journal %s already holds topics: give a new directory", cfg.Journal)
	}
	if err := j.CreateTopic(soakInTopic, cfg.Partitions); err != nil {
		return err
	}
	if err := j.CreateTopic(soakOutTopic, soakOutParts); err != nil {
		return err
	}

	env, err := cfg.soakEnv(stderr)
	if err != nil {
		return err
	}
	dec := format.JSON[soakEvent]()
	src, err := cj.NewSource(j, cj.SourceOptions[soakEvent]{Topic: soakInTopic,
		Decode: func(m *jl.Message) (soakEvent, error) { return dec.Decode(m.Value) }})
	if err != nil {
		return err
	}
	sink, err := cj.NewSink(j, cj.SinkOptions[stream.WindowResult[string, int64]]{Topic: soakOutTopic, Prefix: "soak",
		Key: func(r stream.WindowResult[string, int64]) []byte { return []byte(r.Key) },
		Encode: func(r stream.WindowResult[string, int64]) (jl.Record, error) {
			return jl.Record{Key: []byte(r.Key), Value: fmt.Appendf(nil, "%s,%d,%d", r.Key, r.Window.Start, r.Value), Timestamp: r.Window.End - 1}, nil
		},
		CheckpointInterval: cfg.Checkpoint.Interval})
	if err != nil {
		return err
	}
	events := stream.FromSource(env, src, stream.WatermarkStrategy[soakEvent]{Enabled: true, Timestamp: func(e soakEvent) int64 { return e.Ts }}, "journal-in")
	data := stream.FlatMap(events, func(e soakEvent, out stream.Emitter[soakEvent]) {
		if e.Key != soakEndKey {
			out.Emit(e)
		}
	})
	counts := stream.WindowAggregateWithWindow(stream.KeyBy(data, func(e soakEvent) string { return e.Key }).Window(stream.TumblingEventTimeWindows(soakWindow)),
		stream.AggregatorFuncs[soakEvent, int64, int64]{
			CreateFn: func() int64 { return 0 },
			AddFn:    func(_ soakEvent, acc int64) int64 { return acc + 1 },
			MergeFn:  func(a, b int64) int64 { return a + b },
			ResultFn: func(acc int64) int64 { return acc },
		})
	stream.SinkTo(counts, sink, "journal-out")

	total := int64(cfg.Duration.Seconds() * float64(cfg.Rate))
	t0 := time.Now()
	t0ms := t0.UnixMilli()
	fmt.Fprintf(stderr, "soak t0_ms=%d records=%d rate=%d keys=%d partitions=%d\n", t0ms, total, cfg.Rate, cfg.Keys, cfg.Partitions)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	job, err := env.Start(ctx)
	if err != nil {
		return err
	}

	// The reader: read_committed, one goroutine per output partition.
	var (
		rmu     sync.Mutex
		rows    []soakRow
		counted int64
		readErr error
		// completeAt is when the counts added up to the records produced.
		completeAt time.Time
	)
	complete := make(chan struct{})
	var completeOnce sync.Once
	rctx, rcancel := context.WithCancel(ctx)
	var rwg sync.WaitGroup
	for p := range soakOutParts {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			next := int64(0)
			for {
				ms, err := j.Poll(rctx, soakOutTopic, p, next, jl.ReadOptions{Isolation: jl.ReadCommitted})
				if err != nil {
					if rctx.Err() == nil {
						rmu.Lock()
						readErr = fmt.Errorf("reader of %s/%d at %d: %w", soakOutTopic, p, next, err)
						rmu.Unlock()
					}
					return
				}
				now := time.Now().UnixMilli()
				rmu.Lock()
				for i := range ms {
					m := &ms[i]
					next = m.Offset + 1
					f := strings.Split(string(m.Value), ",")
					var r soakRow
					var e1, e2 error
					if len(f) == 3 {
						r.key = f[0]
						r.start, e1 = strconv.ParseInt(f[1], 10, 64)
						r.count, e2 = strconv.ParseInt(f[2], 10, 64)
					}
					if len(f) != 3 || e1 != nil || e2 != nil {
						readErr = fmt.Errorf("reader: %s/%d@%d: bad row %q", soakOutTopic, p, m.Offset, m.Value)
						continue
					}
					r.latencyMS = now - (r.start + soakWindow.Milliseconds())
					rows = append(rows, r)
					counted += r.count
				}
				if counted >= total {
					completeOnce.Do(func() { completeAt = time.Now(); close(complete) })
				}
				rmu.Unlock()
			}
		}()
	}

	// The producer.
	var produced atomic.Int64
	var prodEnd atomic.Int64 // unix ms of the last record's append (0: not yet)
	prodErr := make(chan error, 1)
	go func() { prodErr <- soakProduce(ctx, j, cfg, total, t0, &produced, &prodEnd) }()

	// Stats.
	var ms runtime.MemStats
	stopStats := everyTick(cfg.StatsEvery, func() {
		cs := job.Checkpoints()
		runtime.ReadMemStats(&ms)
		el := time.Since(t0)
		due := min(int64(el.Seconds()*float64(cfg.Rate)), total)
		p := produced.Load()
		rmu.Lock()
		nrows, c := len(rows), counted
		rmu.Unlock()
		fmt.Fprintf(stderr, "stats t_ms=%d produced=%d lag=%d rows=%d counted=%d cp_ok=%d cp_failed=%d cp_max_ms=%d goroutines=%d heap=%d warnings=%d exceptions=%d\n",
			el.Milliseconds(), p, max(due-p, 0), nrows, c, cs.Periodic, cs.Failed, cs.MaxDuration.Milliseconds(),
			runtime.NumGoroutine(), ms.HeapAlloc, warnings.Load(), job.ExceptionCount())
	})

	jobDone := make(chan error, 1)
	go func() { jobDone <- job.Wait() }()
	var runErr error
	drain := time.NewTimer(cfg.Duration + cfg.DrainTimeout)
	defer drain.Stop()
	prodC := prodErr
wait:
	for {
		select {
		case err := <-prodC:
			prodC = nil
			if err != nil {
				runErr = fmt.Errorf("producer: %w", err)
				break wait
			}
		case <-complete:
			// Two more checkpoints: a duplicate commit would show.
			select {
			case <-time.After(2*cfg.Checkpoint.Interval + 500*time.Millisecond):
			case err := <-jobDone:
				runErr = fmt.Errorf("the job ended after the output was complete: %v", err)
				jobDone <- err
			}
			break wait
		case err := <-jobDone:
			runErr = fmt.Errorf("the job ended before the output was complete: %v", err)
			jobDone <- err
			break wait
		case <-drain.C:
			rmu.Lock()
			runErr = fmt.Errorf("the output is not complete %v after the start: %d of %d records counted", cfg.Duration+cfg.DrainTimeout, counted, total)
			rmu.Unlock()
			break wait
		case <-ctx.Done():
			runErr = ctx.Err()
			break wait
		}
	}
	// What the run did, taken before the cancel: a checkpoint in flight
	// then fails with the job's context, which is the end of the run, not
	// a failure in it.
	stopStats()
	cs := job.Checkpoints()
	exceptions := job.ExceptionCount()
	job.Cancel()
	jerr := <-jobDone
	rcancel()
	rwg.Wait()
	if jerr != nil && !errors.Is(jerr, stream.ErrCanceled) && !errors.Is(jerr, context.Canceled) && runErr == nil {
		runErr = fmt.Errorf("job: %w", jerr)
	}
	if readErr != nil && runErr == nil {
		runErr = readErr
	}
	if prodC != nil {
		cancel()
		<-prodC
	}

	// The rows and the summary.
	lat := make([]int64, len(rows))
	for i, r := range rows {
		lat[i] = r.latencyMS
	}
	slices.Sort(lat)
	pct := func(q float64) int64 {
		if len(lat) == 0 {
			return -1
		}
		return lat[min(len(lat)-1, int(q*float64(len(lat))))]
	}
	if err := writeSoakRows(cfg.Out, rows); err != nil && runErr == nil {
		runErr = err
	}
	prodSecs := float64(prodEnd.Load()-t0ms) / 1000
	if prodEnd.Load() == 0 {
		prodSecs = time.Since(t0).Seconds()
	}
	// The job's rate: the records over the time from t0 until the output
	// was complete, less the latency target (checkpoint interval + 1 s)
	// that the last window may take; -1 if it never was.
	jobRate := -1.0
	if !completeAt.IsZero() {
		jobRate = float64(total) / max(completeAt.Sub(t0).Seconds()-(cfg.Checkpoint.Interval+time.Second).Seconds(), prodSecs)
	}
	fmt.Fprintf(stderr, "soak: produced=%d in %.2fs rate=%.0f job_rate=%.0f complete_s=%.2f target=%d rows=%d counted=%d latency_p50_ms=%d latency_p99_ms=%d latency_max_ms=%d cp_ok=%d cp_failed=%d warnings=%d exceptions=%d\n",
		produced.Load(), prodSecs, float64(produced.Load())/prodSecs, jobRate, completeAt.Sub(t0).Seconds(), cfg.Rate, len(rows), counted, pct(0.50), pct(0.99), pct(1),
		cs.Periodic, cs.Failed, warnings.Load(), exceptions)
	return runErr
}

// soakEnv is the job's environment (the output goes to the journal, not to
// the file sink of chaosCommon.env).
func (c *chaosSoakConfig) soakEnv(stderr io.Writer) (*stream.Environment, error) {
	if c.MemoryBudgetMiB > 0 {
		debug.SetMemoryLimit(c.MemoryBudgetMiB << 20)
	}
	return stream.NewEnvironment(stream.Options{Parallelism: c.Parallelism, Name: "chaos-soak", BatchSize: c.BatchSize,
		ChannelCapacity: c.ChannelCapacity, Checkpoints: c.Checkpoint.options(stderr), Restart: c.Checkpoint.restart()}), nil
}

// soakProduce appends the records on their schedule: every 5 ms what is
// due, one batch per partition appended asynchronously and then awaited.
func soakProduce(ctx context.Context, j *jl.Journal, cfg chaosSoakConfig, total int64, t0 time.Time, produced, end *atomic.Int64) error {
	P := int64(cfg.Partitions)
	keys := int64(cfg.Keys)
	bufs := make([][]byte, P)
	recs := make([][]jl.Record, P)
	pend := make([]*jl.PendingAppend, 0, P)
	// Records of one partition per append: under MaxGroupBytes, and under
	// half a segment (the journal refuses a batch larger than a segment;
	// a producer catching up after a stall spreads its backlog over ticks).
	maxPerAppend := min(4096, max(1, cfg.SegmentBytes/(2*(soakRecordBytes+56))))
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	next := int64(0)
	for next < total {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		due := min(int64(time.Since(t0).Seconds()*float64(cfg.Rate)), total, next+maxPerAppend*P)
		if due <= next {
			continue
		}
		for p := range P {
			bufs[p], recs[p] = bufs[p][:0], recs[p][:0]
		}
		// The buffers first, then the records slicing them (append may move
		// a buffer while it grows).
		offs := make([][2]int, 0, due-next)
		for i := next; i < due; i++ {
			p := i % P
			ts := soakRecordTs(t0.UnixMilli(), cfg.Rate, i)
			a := len(bufs[p])
			bufs[p] = appendSoakRecord(bufs[p], i, keys, ts)
			offs = append(offs, [2]int{a, len(bufs[p])})
		}
		for k, i := 0, next; i < due; k, i = k+1, i+1 {
			p := i % P
			v := bufs[p][offs[k][0]:offs[k][1]:offs[k][1]]
			recs[p] = append(recs[p], jl.Record{Key: []byte("k" + strconv.FormatInt(i%keys, 10)), Value: v, Timestamp: soakRecordTs(t0.UnixMilli(), cfg.Rate, i)})
		}
		if err := appendAll(ctx, j, recs, &pend); err != nil {
			return err
		}
		produced.Store(due)
		next = due
	}
	end.Store(time.Now().UnixMilli())
	// The end markers: every partition's watermark past the last window.
	endTs := soakRecordTs(t0.UnixMilli(), cfg.Rate, total) + soakWindow.Milliseconds() + 1
	for p := range P {
		v := []byte(fmt.Sprintf(`{"seq":-1,"key":%q,"ts":%d,"pad":""}`, soakEndKey, endTs))
		recs[p] = append(recs[p][:0], jl.Record{Key: []byte(soakEndKey), Value: v, Timestamp: endTs})
	}
	return appendAll(ctx, j, recs, &pend)
}

// appendAll appends recs[p] to partition p of the input topic, all at once,
// and waits for them.
func appendAll(ctx context.Context, j *jl.Journal, recs [][]jl.Record, pend *[]*jl.PendingAppend) error {
	*pend = (*pend)[:0]
	for p, rs := range recs {
		if len(rs) == 0 {
			continue
		}
		a, err := j.AppendAsync(ctx, soakInTopic, p, rs...)
		if err != nil {
			return err
		}
		*pend = append(*pend, a)
	}
	for _, a := range *pend {
		if _, err := a.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// writeSoakRows writes the rows, "key start count latency_ms" each, to
// path.
func writeSoakRows(path string, rows []soakRow) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, r := range rows {
		fmt.Fprintf(w, "%s %d %d %d\n", r.key, r.start, r.count, r.latencyMS)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
