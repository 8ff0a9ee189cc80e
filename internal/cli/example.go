package cli

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
)

// The example job: synthetic page views, counted per page in tumbling
// event-time windows, with the top pages of each window printed as the
// window closes.
const (
	// exampleWindow is the size of the tumbling windows.
	exampleWindow = time.Second
	// exampleDisorder bounds how far out of order events arrive: an event's
	// timestamp is up to this much later than its place in the stream says.
	// The watermark strategy tolerates exactly this, so no event is late.
	exampleDisorder = 500 * time.Millisecond
	// defaultEventRate is the speed of event time when --rate is 0.
	defaultEventRate = 1000
)

// exampleEpoch is the event time of the first event: fixed, so that the
// output of a seed is the same on every run.
var exampleEpoch = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC).UnixMilli()

// exampleConfig is the configuration of the example job (one field per flag).
type exampleConfig struct {
	// Events is the number of events to generate; 0 runs until canceled.
	Events int64
	// Rate is the number of events per second of wall time (0: as fast as
	// possible). Event time advances at the same rate, or at 1000 events/s
	// when Rate is 0, so windows close about once a second when live.
	Rate int
	// Parallelism is the number of source and counting subtasks.
	Parallelism int
	// Splits is the number of source splits (0: Parallelism). A job
	// restored from a checkpoint or savepoint must keep it.
	Splits int
	// Checkpoint holds the checkpoint flags.
	Checkpoint checkpointFlags
	// Seed selects the generated data: equal seeds give equal events.
	Seed uint64
	// Top is the number of pages shown per window.
	Top int
}

func (c exampleConfig) validate(cmd *cobra.Command) error {
	switch {
	case c.Events < 0:
		return usagef(cmd, "--events must be 0 (unbounded) or more, got %d", c.Events)
	case c.Rate < 0:
		return usagef(cmd, "--rate must be 0 (unlimited) or more events per second, got %d", c.Rate)
	case c.Parallelism < 1 || c.Parallelism > 256:
		return usagef(cmd, "--parallelism must be between 1 and 256, got %d", c.Parallelism)
	case c.Top < 1 || c.Top > len(examplePages):
		return usagef(cmd, "--top must be between 1 and %d, got %d", len(examplePages), c.Top)
	case c.Splits < 0 || c.Splits > 256:
		return usagef(cmd, "--splits must be between 1 and 256 (0: --parallelism), got %d", c.Splits)
	}
	return c.Checkpoint.validate(cmd)
}

// splits is the number of source splits.
func (c exampleConfig) splits() int {
	if c.Splits > 0 {
		return c.Splits
	}
	return c.Parallelism
}

// eventRate is how many events make one second of event time.
func (c exampleConfig) eventRate() int64 {
	if c.Rate > 0 {
		return int64(c.Rate)
	}
	return defaultEventRate
}

func newExampleCmd() *cobra.Command {
	cfg := exampleConfig{Rate: 1000, Parallelism: 2, Seed: 1, Top: 3}
	cmd := &cobra.Command{
		Use:   "example",
		Short: "Run a live example job: page views per page in 1s windows",
		Long: `Run a live example job on the DataStream API.

A generator source emits synthetic page views (user, page, event time) at
--rate events per second, out of order by up to 500ms. The job keys them by
page, counts views per page in 1-second event-time tumbling windows (keyed
state and event-time timers), ranks the pages of each window, and prints the
top pages of every window as soon as the watermark closes it.

The data depends only on --seed and --rate (event time advances at --rate
events per second, or 1000 with --rate 0): the same flags print the same
windows at any --parallelism. With --events 0 the job runs until Ctrl-C.`,
		Example: `  strom example                           # live, 1000 events/s, until Ctrl-C
  strom example --events 20000 --rate 0   # 20s of event time, as fast as possible
  strom example --parallelism 4 --seed 7 --top 5`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.validate(cmd); err != nil {
				return err
			}
			return runExample(cmd.Context(), cmd.OutOrStdout(), cfg)
		},
	}
	f := cmd.Flags()
	f.Int64Var(&cfg.Events, "events", cfg.Events, "number of events to generate (0: unbounded, until Ctrl-C)")
	f.IntVar(&cfg.Rate, "rate", cfg.Rate, "events per second (0: as fast as possible)")
	f.IntVar(&cfg.Parallelism, "parallelism", cfg.Parallelism, "subtasks of the source and the counting operator")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the generated data")
	f.IntVar(&cfg.Top, "top", cfg.Top, "pages shown per window")
	f.IntVar(&cfg.Splits, "splits", 0, "source splits (default: --parallelism); keep it when restoring at another parallelism")
	cfg.Checkpoint.register(f)
	return cmd
}

// runExample runs the example job and prints its windows to w. It returns
// nil when the job ends or ctx is canceled (Ctrl-C), an error otherwise.
func runExample(ctx context.Context, w io.Writer, cfg exampleConfig) error {
	rate := "as fast as possible"
	if cfg.Rate > 0 {
		rate = fmt.Sprintf("at %d events/s", cfg.Rate)
	}
	amount := fmt.Sprintf("%d events %s", cfg.Events, rate)
	if cfg.Events == 0 {
		amount = fmt.Sprintf("events %s until Ctrl-C", rate)
	}
	fmt.Fprintf(w, "strom example: views per page in %v event-time tumbling windows, top %d pages each\n", exampleWindow, cfg.Top)
	fmt.Fprintf(w, "source: synthetic page views, %s; seed %d, parallelism %d, up to %v out of order\n\n",
		amount, cfg.Seed, cfg.Parallelism, exampleDisorder)
	fmt.Fprintln(w, windowHeader(cfg.Top))

	// With checkpoints the windows' state and the source positions are
	// exactly-once; what was printed before a crash is printed again from
	// the restored checkpoint on (the terminal is not a transactional sink).
	env := stream.NewEnvironment(stream.Options{Parallelism: cfg.Parallelism, Name: "example",
		Checkpoints: cfg.Checkpoint.options(w), Restart: cfg.Checkpoint.restart()})
	src := pageViewSource{cfg: cfg}
	views := stream.FromSource[PageView](env, src, stream.WatermarkStrategy[PageView]{
		Timestamp:      func(v PageView) int64 { return v.TS },
		OutOfOrderness: exampleDisorder,
		Enabled:        true,
	}, "page-views").UID("page-views")
	var late atomic.Int64
	counts := countPerWindow(stream.KeyBy(views, func(v PageView) string { return v.Page }), exampleWindow, &late)
	tops := topPages(counts, cfg.Top)
	var windows, total atomic.Int64
	stream.PrintTo(tops, w, func(t WindowTop) string {
		windows.Add(1)
		total.Add(t.Views)
		return formatWindow(t, cfg.Top)
	}).SetParallelism(1).UID("print")

	start := time.Now()
	err := executeWithControl(ctx, env, cfg.Checkpoint, w)
	elapsed := time.Since(start)
	switch {
	case err == nil:
	case errors.Is(err, stream.ErrStopped):
		fmt.Fprintf(w, "\nstopped with a savepoint: %d views in %d windows printed\n", total.Load(), windows.Load())
		return nil
	case ctx.Err() != nil && errors.Is(err, stream.ErrCanceled):
		fmt.Fprintf(w, "\nstopped: %d views in %d windows printed (windows still open when stopped are not shown)\n",
			total.Load(), windows.Load())
		return nil
	default:
		return fmt.Errorf("example job: %w", err)
	}
	summary := fmt.Sprintf("\ndone: %d views in %d windows in %v (%s events/s)",
		total.Load(), windows.Load(), elapsed.Round(time.Millisecond), humanRate(float64(cfg.Events)/elapsed.Seconds()))
	if n := late.Load(); n > 0 {
		summary += fmt.Sprintf(", %d late events dropped", n)
	}
	fmt.Fprintln(w, summary)
	return nil
}

// PageView is one synthetic page view.
type PageView struct {
	User int64
	Page string
	TS   int64 // event time, epoch ms
}

// PageCount is the number of views of one page in one window [Start, End).
type PageCount struct {
	Page       string
	Start, End int64
	Count      int64
}

// WindowTop is the ranking of the pages of one window.
type WindowTop struct {
	Start, End int64
	Views      int64       // views of all pages in the window
	Pages      int         // distinct pages viewed
	Top        []PageCount // the most viewed pages, most first (ties by name)
}

// countPerWindow counts the records of each key in tumbling event-time
// windows of the given size (the window API's incremental aggregation).
// Records for a window that is already closed are late: they go to a side
// output and are counted in late.
func countPerWindow(ks stream.KeyedStream[PageView, string], size time.Duration, late *atomic.Int64) stream.Stream[PageCount] {
	lateTag := stream.NewOutputTag[PageView]("late-views")
	ws := ks.Window(stream.TumblingEventTimeWindows(size)).SideOutputLateData(lateTag)
	counted := stream.WindowAggregateWithWindow(ws, stream.AggregatorFuncs[PageView, int64, int64]{
		CreateFn: func() int64 { return 0 },
		AddFn:    func(_ PageView, n int64) int64 { return n + 1 },
		MergeFn:  func(a, b int64) int64 { return a + b },
		ResultFn: func(n int64) int64 { return n },
		Codec:    codec.Int64{},
	}).Name("count-per-window").UID("count-per-window")
	stream.SinkTo[PageView](stream.SideOutput(counted, lateTag), lateCounter{late}, "late-views")
	return stream.Map(counted, func(r stream.WindowResult[string, int64]) PageCount {
		return PageCount{Page: r.Key, Start: r.Window.Start, End: r.Window.End, Count: r.Value}
	}).Name("to-page-count")
}

// lateCounter is a sink that counts what it receives.
type lateCounter struct{ n *atomic.Int64 }

func (c lateCounter) Open(context.Context, connector.SinkInfo) (connector.Writer[PageView], error) {
	return c, nil
}
func (c lateCounter) Write(PageView, int64) error { c.n.Add(1); return nil }
func (c lateCounter) Flush(context.Context) error { return nil }
func (c lateCounter) Close() error                { return nil }

// topPages gathers the per-page counts of each window in one subtask and
// emits the window's ranking when the watermark reaches the window's end.
// Every counting subtask emits its counts of a window before it forwards
// that watermark, so the ranking sees all of them.
func topPages(counts stream.Stream[PageCount], n int) stream.Stream[WindowTop] {
	byWindow := stream.KeyBy(counts, func(c PageCount) int64 { return c.Start })
	return stream.KeyedProcess(byWindow, func() stream.KeyedProcessFunction[int64, PageCount, WindowTop] {
		var pages *stream.MapState[string, int64]
		var ends *stream.ValueState[int64]
		return stream.KeyedProcessFuncs[int64, PageCount, WindowTop]{
			OnOpen: func(ctx *stream.OpenContext) error {
				pages = stream.NewMapState[string, int64](ctx, "page-counts")
				ends = stream.NewValueState[int64](ctx, "window-end")
				return nil
			},
			OnElement: func(ctx *stream.KeyedContext[int64], c PageCount, _ stream.Emitter[WindowTop]) error {
				pages.Put(c.Page, c.Count)
				ends.Set(c.End)
				ctx.RegisterEventTimeTimer(c.End - 1)
				return nil
			},
			OnTimerFn: func(ctx *stream.KeyedContext[int64], t int64, out stream.Emitter[WindowTop]) error {
				end, _ := ends.Get()
				top := WindowTop{Start: ctx.Key(), End: end}
				pages.Range(func(page string, c int64) bool {
					top.Views += c
					top.Top = append(top.Top, PageCount{Page: page, Start: top.Start, End: end, Count: c})
					return true
				})
				top.Pages = len(top.Top)
				rankPages(top.Top)
				top.Top = slices.Clip(top.Top[:min(n, len(top.Top))])
				pages.Clear()
				ends.Clear()
				out.Emit(top)
				return nil
			},
		}
	}).Name("top-pages").UID("top-pages").SetParallelism(1)
}

// rankPages sorts by count, most first, then by page name.
func rankPages(pcs []PageCount) {
	slices.SortFunc(pcs, func(a, b PageCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Page, b.Page)
	})
}

// Column widths of the printed table.
const (
	colWindow = len("12:00:00-12:00:01")
	colViews  = 7
	colPages  = 7
	colPair   = 16 // "/gift-cards  1234": page left, count right
	colGap    = 3  // spaces between pairs
)

func windowHeader(top int) string {
	return strings.TrimRight(fmt.Sprintf("%-*s%*s%*s  %s", colWindow, "window", colViews, "views", colPages, "pages",
		fmt.Sprintf("top %d pages (views)", top)), " ")
}

// formatWindow prints one window as a table row.
func formatWindow(t WindowTop, top int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s-%s%*d%*d ", clockTime(t.Start), clockTime(t.End), colViews, t.Views, colPages, t.Pages)
	for i, pc := range t.Top {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", colGap))
		}
		count := strconv.FormatInt(pc.Count, 10)
		pad := max(colPair-len(pc.Page)-len(count), 1)
		b.WriteString(" " + pc.Page + strings.Repeat(" ", pad) + count)
	}
	return b.String()
}

// humanRate formats a rate with 3 significant digits: 950, 12.3k, 4.05M.
func humanRate(r float64) string {
	switch {
	case r >= 1e6:
		return strconv.FormatFloat(r/1e6, 'f', max(2-int(math.Log10(r/1e6)), 0), 64) + "M"
	case r >= 1e3:
		return strconv.FormatFloat(r/1e3, 'f', max(2-int(math.Log10(r/1e3)), 0), 64) + "k"
	default:
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
}

// clockTime formats an event time as HH:MM:SS (UTC).
func clockTime(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.TimeOnly) }

// examplePages are the pages of the synthetic site; earlier pages are
// viewed more often (a Zipf-like law).
var examplePages = []string{
	"/home", "/search", "/products", "/cart", "/deals", "/checkout", "/login", "/account",
	"/orders", "/help", "/blog", "/pricing", "/docs", "/signup", "/about", "/contact",
	"/careers", "/status", "/returns", "/shipping", "/gift-cards", "/stores", "/terms", "/privacy",
}

// pageCDF is the cumulative distribution of examplePages: weight 1/(k+1).
var pageCDF = func() []float64 {
	cdf := make([]float64, len(examplePages))
	sum := 0.0
	for k := range cdf {
		sum += 1 / float64(k+1)
		cdf[k] = sum
	}
	for k := range cdf {
		cdf[k] /= sum
	}
	return cdf
}()

// mix64 is the splitmix64 finalizer: a bijective scramble of 64 bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// generatePageView returns event i (counted from 0) of the stream of seed,
// when eventRate events make one second of event time. It is a pure
// function of its arguments, so the source can restart at any event and a
// test can recompute the data.
func generatePageView(seed uint64, i, eventRate int64) PageView {
	h := mix64(seed*0x9e3779b97f4a7c15 ^ mix64(uint64(i)+0x632be59bd9b4e019))
	nominal := exampleEpoch + i*1000/eventRate
	disorder := int64(mix64(h^1) % uint64(exampleDisorder.Milliseconds()))
	// A quarter of the views go to a page that trends for ten seconds of
	// event time, so the ranking changes as the job runs.
	var page string
	if mix64(h^2)%4 == 0 {
		trend := (uint64(nominal-exampleEpoch)/10000 + seed) % uint64(len(examplePages))
		page = examplePages[trend]
	} else {
		u := float64(mix64(h^3)>>11) / (1 << 53)
		k, _ := slices.BinarySearch(pageCDF, u)
		page = examplePages[min(k, len(examplePages)-1)]
	}
	return PageView{User: int64(mix64(h^4) % 10000), Page: page, TS: nominal + disorder}
}

// pageViewSource is the example's source: events 0, 1, 2, ... of the seed,
// dealt round robin to Parallelism splits (split s has the events i with
// i mod p = s) and paced at Rate events per second in total.
type pageViewSource struct{ cfg exampleConfig }

func (s pageViewSource) Splits(context.Context) ([]connector.Split, error) {
	out := make([]connector.Split, s.cfg.splits())
	for i := range out {
		out[i] = connector.Split{ID: "page-views-" + strconv.Itoa(i), Data: binary.AppendUvarint(nil, uint64(i))}
	}
	return out, nil
}

func (s pageViewSource) Bounded() bool { return s.cfg.Events > 0 }

func (s pageViewSource) Open(_ context.Context, sp connector.Split, pos []byte) (connector.Reader[PageView], error) {
	idx, n := binary.Uvarint(sp.Data)
	if n <= 0 || idx >= uint64(s.cfg.splits()) {
		return nil, fmt.Errorf("example source: bad split %q", sp.ID)
	}
	r := &pageViewReader{cfg: s.cfg, split: int64(idx), p: int64(s.cfg.splits())}
	if pos != nil {
		seq, n := binary.Uvarint(pos)
		p, m := binary.Uvarint(pos[max(n, 0):])
		if n <= 0 || m <= 0 || n+m != len(pos) || seq > math.MaxInt64/uint64(r.p) {
			return nil, fmt.Errorf("example source: split %q: corrupt position", sp.ID)
		}
		if p != uint64(r.p) {
			return nil, fmt.Errorf("example source: the checkpoint was taken with %d splits; run with --splits %d", p, p)
		}
		r.seq = int64(seq)
	}
	// Pace from the restored position on, without a burst to catch up.
	r.start = time.Now()
	r.first = r.index()
	return r, nil
}

// pageViewReader reads one split. It never blocks: when the next event is
// not due yet it returns no record and the task polls again shortly.
type pageViewReader struct {
	cfg   exampleConfig
	split int64
	p     int64
	seq   int64 // next event of this split is event seq*p + split
	start time.Time
	first int64 // global index of the first event read since start
}

func (r *pageViewReader) index() int64 { return r.seq*r.p + r.split }

func (r *pageViewReader) Read(_ context.Context, buf []PageView) (int, error) {
	limit := int64(math.MaxInt64) // global index bound of what may be read now
	if r.cfg.Events > 0 {
		limit = r.cfg.Events
	}
	if r.cfg.Rate > 0 {
		due := r.first + 1 + int64(time.Since(r.start).Seconds()*float64(r.cfg.Rate))
		limit = min(limit, due)
	}
	k := 0
	for k < len(buf) && r.index() < limit {
		buf[k] = generatePageView(r.cfg.Seed, r.index(), r.cfg.eventRate())
		r.seq++
		k++
	}
	if k == 0 && r.cfg.Events > 0 && r.index() >= r.cfg.Events {
		return 0, io.EOF
	}
	return k, nil
}

// Position is the split's next sequence number and the number of splits.
func (r *pageViewReader) Position() []byte {
	return binary.AppendUvarint(binary.AppendUvarint(nil, uint64(r.seq)), uint64(r.p))
}
func (r *pageViewReader) Close() error { return nil }
