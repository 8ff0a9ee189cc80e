package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/stromio/strom/internal/server"
	"github.com/stromio/strom/internal/web"
	"github.com/stromio/strom/journal"
)

// `strom demo`: the first run of strom. On embedded defaults with nothing
// else installed it starts the server (journal, jobs, dashboard), a Nexmark
// generator writing bids, auctions and persons into journal topics at a
// wall-clock rate, and three SQL jobs over them with exactly-once
// checkpoints, writing hot items, the highest bid and new users into journal
// topics; it prints the dashboard's URL and a live view of the results.
// Ctrl-C stops it with the jobs resumable: a second run resumes them from
// their checkpoints (the server resumes running jobs on start).

type demoConfig struct {
	DataDir  string
	Addr     string
	Rate     int
	Interval time.Duration
	// MinPause and MaxConcurrent: --checkpoint-min-pause and
	// --checkpoint-max-concurrent, the server's defaults for the jobs.
	MinPause      time.Duration
	MaxConcurrent int
	// DirectIO: --checkpoint-direct-io (default on).
	DirectIO bool
	// Duration ends the demo after this long (0: until Ctrl-C); for tests
	// and scripted runs.
	Duration   time.Duration
	AcceptRisk bool // journal.Options.AcceptFailedSyncRisk
}

// The demo's jobs by name (the server's job names).
const (
	demoGen     = "nexmark-generator"
	demoHot     = "hot-items"
	demoHighest = "highest-bid"
	demoNew     = "new-users"
)

// demoTopics are the topics the demo creates (all with 2 partitions).
var demoTopics = []string{"bids", "auctions", "persons", "hot_items", "highest_bid", "new_users"}

func newDemoCmd() *cobra.Command {
	c := &demoConfig{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the demo: Nexmark events, three streaming SQL jobs, the dashboard, live results",
		Long: `Run strom's demo on embedded defaults, with nothing else installed: the
server with its journal and dashboard, a Nexmark generator writing bids,
auctions and persons into journal topics at --rate events per second, and
three streaming SQL jobs with exactly-once checkpoints:

  hot-items    the 5 auctions with the most bids in the last 10 seconds,
               every 2 seconds (HOP window aggregation + window Top-N)
  highest-bid  the highest bid of every 10 seconds (window Top-N)
  new-users    people who signed up and opened an auction in the same 10
               seconds (window join; Nexmark q8)

The terminal shows their latest results; the dashboard URL printed at the
start shows the jobs' graphs, metrics and checkpoints. Ctrl-C stops the demo
with its jobs resumable: run it again and they go on from their checkpoints.
Everything lives in --data-dir.`,
		Example: `  strom demo
  strom demo --data-dir /tmp/strom-demo --addr 127.0.0.1:9090 --rate 5000`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if c.Rate < 1 || c.Rate > 1_000_000 {
				return usagef(cmd, "--rate must be between 1 and 1000000 events per second, got %d", c.Rate)
			}
			if c.Interval < 100*time.Millisecond {
				return usagef(cmd, "--checkpoint-interval must be at least 100ms, got %v", c.Interval)
			}
			if err := checkServerCheckpointFlags(cmd, c.MinPause, c.MaxConcurrent); err != nil {
				return err
			}
			return runDemo(cmd.Context(), c, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.DataDir, "data-dir", "./strom-demo", "the data `DIR`ectory (created when missing; a second run resumes from it)")
	f.StringVar(&c.Addr, "addr", web.DefaultAddr, "listen `ADDRESS` of the dashboard and API (host:port; port 0 picks one)")
	f.IntVar(&c.Rate, "rate", 1000, "Nexmark events per second of wall-clock time")
	f.DurationVar(&c.Interval, "checkpoint-interval", 2*time.Second, "checkpoint interval of the jobs (results show once a checkpoint commits them)")
	registerServerCheckpointFlags(f, &c.MinPause, &c.MaxConcurrent, &c.DirectIO)
	f.DurationVar(&c.Duration, "duration", 0, "stop after this long (0: run until Ctrl-C)")
	addAcceptRiskFlag(cmd, &c.AcceptRisk)
	return cmd
}

func runDemo(ctx context.Context, c *demoConfig, stdout, stderr io.Writer) error {
	if err := web.CheckBind(c.Addr, false, false); err != nil {
		return fmt.Errorf("%s (the demo serves its dashboard on a loopback address only)", strings.TrimPrefix(err.Error(), "web: "))
	}
	if c.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Duration)
		defer cancel()
	}
	// The log goes to a file: the terminal belongs to the live view.
	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		return fmt.Errorf("make the data directory: %w", err)
	}
	logPath := c.DataDir + string(os.PathSeparator) + "demo.log"
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open the demo's log: %w", err)
	}
	defer logFile.Close()
	logger := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// Retention keeps the demo's disk use bounded however long it runs (a
	// resumed generator also catches up the time it was stopped).
	srv, err := server.Open(server.Config{DataDir: c.DataDir, Version: versionString(), Builtins: builtinJobs(), CheckpointInterval: c.Interval,
		CheckpointMinPause: c.MinPause, CheckpointMaxConcurrent: c.MaxConcurrent,
		BufferedStateWrites: !c.DirectIO,
		Journal:             journal.Options{RetentionBytes: 256 << 20, RetentionTime: time.Hour, AcceptFailedSyncRisk: c.AcceptRisk},
		Out:                 logFile, Logger: logger, Settings: map[string]string{"addr": c.Addr, "mode": "demo"}})
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Close(); err != nil {
			fmt.Fprintf(stderr, "strom: warning: closing the server: %v\n", err)
		}
	}()
	started, err := startDemoJobs(ctx, srv, c)
	if err != nil {
		return err
	}
	tok, ro := srv.Tokens()
	ws, err := web.New(web.Config{Addr: c.Addr, Token: tok, ReadOnlyToken: ro, Logger: logger,
		UI: web.UIHandler(), Metrics: serverMetrics(srv)}, srv)
	if err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "web: "))
	}
	ln, err := ws.Listen()
	if err != nil {
		return fmt.Errorf("%s; give another with --addr (port 0 picks a free one)", strings.TrimPrefix(err.Error(), "web: "))
	}
	addr := ln.Addr().String()
	if err := srv.WriteServerInfo(addr, false); err != nil {
		ln.Close()
		return err
	}
	url := fmt.Sprintf("http://%s/?token=%s", addr, tok)
	serveErr := make(chan error, 1)
	go func() { serveErr <- ws.Serve(ctx, ln) }()

	switch len(started) {
	case 0:
		fmt.Fprintf(stdout, "strom demo: resumed the jobs of %s from their checkpoints\n", srv.Dir())
	case 4:
		fmt.Fprintf(stdout, "strom demo: started the generator and three SQL jobs in %s\n", srv.Dir())
	default:
		fmt.Fprintf(stdout, "strom demo: resumed the live jobs of %s from their checkpoints; started again: %s\n", srv.Dir(), strings.Join(started, ", "))
	}
	fmt.Fprintf(stdout, "dashboard: %s\n", url)
	fmt.Fprintf(stdout, "jobs from another terminal: strom job list --data-dir %s\n", c.DataDir)
	fmt.Fprintf(stdout, "log: %s; Ctrl-C stops (a second run resumes)\n\n", logPath)

	tty := false
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = true
	}
	v := newDemoView(srv.Journal())
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			err := <-serveErr
			v.poll(context.Background())
			if tty {
				io.WriteString(stdout, "\n")
			}
			fmt.Fprintf(stdout, "strom demo stopped; run it again to resume from the checkpoints (%s)\n", srv.Dir())
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		case err := <-serveErr:
			return fmt.Errorf("the dashboard's server stopped: %w", err)
		case <-tick.C:
			v.poll(ctx)
			if tty {
				var b bytes.Buffer
				b.WriteString("\x1b[H\x1b[2J")
				fmt.Fprintf(&b, "strom demo  %s  (Ctrl-C stops)\ndashboard: %s\n\n", time.Now().Format("15:04:05"), url)
				v.renderJobs(&b, srv.Jobs())
				v.render(&b)
				stdout.Write(b.Bytes())
			} else {
				v.printNew(stdout)
			}
		}
	}
}

// startDemoJobs submits each demo job that the data directory does not
// have live (the server has resumed the live ones: a job cancelled from
// the dashboard or failed for good is submitted again). It reports whether
// the names of the jobs it submitted.
func startDemoJobs(ctx context.Context, srv *server.Server, c *demoConfig) ([]string, error) {
	live := map[string]bool{}
	for _, j := range srv.Jobs() {
		switch j.State {
		case web.StateCreated, web.StateRunning, web.StateRestarting:
			live[j.Name] = true
		}
	}
	if live[demoGen] && live[demoHot] && live[demoHighest] && live[demoNew] {
		return nil, nil
	}
	j := srv.Journal()
	existing := map[string]bool{}
	for _, t := range j.Topics() {
		existing[t.Name] = true
	}
	for _, t := range demoTopics {
		if !existing[t] {
			if err := j.CreateTopic(t, 2); err != nil {
				return nil, fmt.Errorf("create the demo's topic %q: %w", t, err)
			}
		}
	}
	// The generator's event time starts 30 seconds ago and follows the
	// wall clock ('rate.limited' = 'wall-clock'): the first 30 seconds of
	// events come at once, so results show from the start, and a resumed
	// generator catches up the time it was stopped.
	base := time.Now().Add(-30 * time.Second).UnixMilli()
	jobs := []struct{ name, sql string }{
		{demoGen, demoGeneratorSQL(base, c.Rate)},
		{demoHot, demoSources(demoHot) + demoHotItemsSQL},
		{demoHighest, demoSources(demoHighest) + demoHighestBidSQL},
		{demoNew, demoSources(demoNew) + demoNewUsersSQL},
	}
	var started []string
	for _, jb := range jobs {
		if live[jb.name] {
			continue
		}
		started = append(started, jb.name)
		if _, err := srv.Submit(ctx, web.SubmitRequest{Name: jb.name, SQL: jb.sql, Parallelism: 1,
			CheckpointInterval: c.Interval.String()}); err != nil {
			return nil, fmt.Errorf("submit the demo job %s: %w", jb.name, err)
		}
	}
	return started, nil
}

// demoGeneratorSQL is the generator job: Nexmark events at rate per second
// of wall-clock time into the bids, auctions and persons topics.
func demoGeneratorSQL(base int64, rate int) string {
	return fmt.Sprintf(`CREATE TABLE nexmark (
    event_type INT,
    person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR, state VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR>,
    auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT, dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR>,
    bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR>
) WITH (
    'connector' = 'nexmark',
    'first-event.rate' = '%d',
    'rate.limited' = 'wall-clock',
    'base-time' = '%d',
    'avg-person.byte-size' = '100',
    'avg-auction.byte-size' = '200',
    'avg-bid.byte-size' = '60'
);
%s
EXECUTE STATEMENT SET BEGIN
INSERT INTO bids SELECT bid.auction, bid.bidder, bid.price, bid.channel, bid.url, bid.dateTime, bid.extra FROM nexmark WHERE event_type = 2;
INSERT INTO auctions SELECT auction.id, auction.itemName, auction.description, auction.initialBid, auction.reserve, auction.dateTime, auction.expires, auction.seller, auction.category, auction.extra FROM nexmark WHERE event_type = 1;
INSERT INTO persons SELECT person.id, person.name, person.emailAddress, person.creditCard, person.city, person.state, person.dateTime, person.extra FROM nexmark WHERE event_type = 0;
END;
`, rate, base, demoSourcesSQL)
}

// demoSources is demoSourcesSQL for the job named group: its sources
// commit their checkpoints' offsets to that consumer group, so /metrics
// shows the group's lag on the topics (strom_source_committed_lag_records)
// next to the readers' live lag (strom_source_lag_records).
func demoSources(group string) string {
	return strings.ReplaceAll(demoSourcesSQL, "'format' = 'json');", "'format' = 'json', 'scan.commit-offsets' = 'true', 'group.id' = '"+group+"');")
}

// demoSourcesSQL declares the three event topics as tables (event time:
// dateTime, 2 seconds of disorder allowed).
const demoSourcesSQL = `CREATE TABLE bids (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, dateTime TIMESTAMP(3), extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '2' SECOND
) WITH ('connector' = 'journal', 'topic' = 'bids', 'format' = 'json');
CREATE TABLE auctions (
    id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT, dateTime TIMESTAMP(3),
    expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '2' SECOND
) WITH ('connector' = 'journal', 'topic' = 'auctions', 'format' = 'json');
CREATE TABLE persons (
    id BIGINT, name STRING, emailAddress STRING, creditCard STRING, city STRING, state STRING, dateTime TIMESTAMP(3), extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '2' SECOND
) WITH ('connector' = 'journal', 'topic' = 'persons', 'format' = 'json');
`

const demoHotItemsSQL = `CREATE TABLE hot_items (
    window_start TIMESTAMP(3), window_end TIMESTAMP(3), auction BIGINT, bids BIGINT, rk BIGINT
) WITH ('connector' = 'journal', 'topic' = 'hot_items', 'format' = 'json');
INSERT INTO hot_items
SELECT window_start, window_end, auction, bids, rk FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY bids DESC) AS rk
    FROM (
        SELECT window_start, window_end, auction, COUNT(*) AS bids
        FROM TABLE(HOP(TABLE bids, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
        GROUP BY window_start, window_end, auction))
WHERE rk <= 5;
`

const demoHighestBidSQL = `CREATE TABLE highest_bid (
    window_start TIMESTAMP(3), window_end TIMESTAMP(3), auction BIGINT, bidder BIGINT, price BIGINT
) WITH ('connector' = 'journal', 'topic' = 'highest_bid', 'format' = 'json');
INSERT INTO highest_bid
SELECT window_start, window_end, auction, bidder, price FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rk
    FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(dateTime), INTERVAL '10' SECOND)))
WHERE rk = 1;
`

const demoNewUsersSQL = `CREATE TABLE new_users (
    id BIGINT, name STRING, state STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3)
) WITH ('connector' = 'journal', 'topic' = 'new_users', 'format' = 'json');
INSERT INTO new_users
SELECT P.id, P.name, P.state, P.window_start, P.window_end
FROM (
    SELECT id, name, state, window_start, window_end
    FROM TABLE(TUMBLE(TABLE persons, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
    GROUP BY id, name, state, window_start, window_end) P
JOIN (
    SELECT seller, window_start, window_end
    FROM TABLE(TUMBLE(TABLE auctions, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
    GROUP BY seller, window_start, window_end) A
ON P.id = A.seller AND P.window_start = A.window_start AND P.window_end = A.window_end;
`

// demoView follows the result topics (read_committed: only what the jobs'
// completed checkpoints committed) and keeps the latest windows.
type demoView struct {
	j       *journal.Journal
	next    map[string][]int64 // topic -> next offset per partition
	windows map[string]map[int64][]map[string]any
	printed map[string]int64 // topic -> the newest window_end printed (non-TTY)
	polled  bool
}

var demoResultTopics = []string{"hot_items", "highest_bid", "new_users"}

func newDemoView(j *journal.Journal) *demoView {
	v := &demoView{j: j, next: map[string][]int64{}, windows: map[string]map[int64][]map[string]any{}, printed: map[string]int64{}}
	for _, t := range demoResultTopics {
		v.next[t] = make([]int64, 2)
		v.windows[t] = map[int64][]map[string]any{}
		for p := range v.next[t] {
			// Start near the end: the latest windows, not the whole
			// history of earlier runs.
			if start, end, err := j.Bounds(t, p); err == nil {
				v.next[t][p] = max(start, end-200)
			}
		}
	}
	return v
}

// poll reads what was committed since the last poll. The oldest window of
// the first poll may have begun before the records read: it is dropped.
func (v *demoView) poll(ctx context.Context) {
	first := !v.polled
	v.polled = true
	defer func() {
		if !first {
			return
		}
		for _, t := range demoResultTopics {
			ends := sortedEnds(v.windows[t])
			if len(ends) > 1 {
				delete(v.windows[t], ends[0])
			}
			if len(ends) > 0 { // printNew: only windows completed from now on
				v.printed[t] = ends[len(ends)-1]
			}
		}
	}()
	for _, t := range demoResultTopics {
		for p := range v.next[t] {
			for range 100 { // bounded per tick
				msgs, next, err := v.j.Fetch(ctx, t, p, v.next[t][p], journal.ReadOptions{Isolation: journal.ReadCommitted, MaxRecords: 1000})
				if err != nil || next == v.next[t][p] {
					break
				}
				v.next[t][p] = next
				for _, m := range msgs {
					var row map[string]any
					d := json.NewDecoder(bytes.NewReader(m.Value))
					d.UseNumber()
					if d.Decode(&row) != nil {
						continue
					}
					end := demoMillis(row["window_end"])
					v.windows[t][end] = append(v.windows[t][end], row)
				}
			}
			// Keep the newest windows only.
			if w := v.windows[t]; len(w) > 12 {
				ends := sortedEnds(w)
				for _, e := range ends[:len(ends)-12] {
					delete(w, e)
				}
			}
		}
	}
}

func demoMillis(x any) int64 {
	switch n := x.(type) {
	case json.Number:
		v, _ := n.Int64()
		return v
	case string:
		if t, err := time.Parse("2006-01-02 15:04:05.000", n); err == nil {
			return t.UnixMilli()
		}
	}
	return 0
}

func sortedEnds(w map[int64][]map[string]any) []int64 {
	ends := make([]int64, 0, len(w))
	for e := range w {
		ends = append(ends, e)
	}
	sort.Slice(ends, func(i, k int) bool { return ends[i] < ends[k] })
	return ends
}

func demoText(x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return fmt.Sprint(x)
}

func demoClock(ms int64) string { return time.UnixMilli(ms).Format("15:04:05") }

// renderJobs writes the jobs' states.
func (v *demoView) renderJobs(b *bytes.Buffer, jobs []web.JobSummary) {
	rows := make([][]string, 0, len(jobs))
	for _, j := range jobs {
		st := j.State
		if j.Restarts > 0 {
			st += fmt.Sprintf(" (%d restarts)", j.Restarts)
		}
		rows = append(rows, []string{j.Name, st, j.Error})
	}
	renderTable(b, []string{"job", "state", "error"}, rows, 0, "\n")
	b.WriteString("\n")
}

// render writes the latest results.
func (v *demoView) render(b *bytes.Buffer) {
	// Hot items: the newest complete HOP window's top 5.
	if ends := sortedEnds(v.windows["hot_items"]); len(ends) > 0 {
		e := ends[len(ends)-1]
		rows := v.windows["hot_items"][e]
		sort.Slice(rows, func(i, k int) bool { return demoMillis(rows[i]["rk"]) < demoMillis(rows[k]["rk"]) })
		fmt.Fprintf(b, "Hot items: most bids in the 10 s before %s\n", demoClock(e))
		var out [][]string
		for _, r := range rows {
			out = append(out, []string{demoText(r["rk"]), demoText(r["auction"]), demoText(r["bids"])})
		}
		renderTable(b, []string{"rank", "auction", "bids"}, out, 0, "\n")
	} else {
		b.WriteString("Hot items: waiting for the first window (10 s of event time and a checkpoint)\n")
	}
	b.WriteString("\n")
	if ends := sortedEnds(v.windows["highest_bid"]); len(ends) > 0 {
		b.WriteString("Highest bid of every 10 s\n")
		var out [][]string
		for i := len(ends) - 1; i >= 0 && i >= len(ends)-5; i-- {
			for _, r := range v.windows["highest_bid"][ends[i]] {
				out = append(out, []string{demoClock(demoMillis(r["window_start"])) + "-" + demoClock(ends[i]),
					demoText(r["auction"]), demoText(r["bidder"]), demoText(r["price"])})
			}
		}
		renderTable(b, []string{"window", "auction", "bidder", "price"}, out, 0, "\n")
	} else {
		b.WriteString("Highest bid: waiting for the first window\n")
	}
	b.WriteString("\n")
	if ends := sortedEnds(v.windows["new_users"]); len(ends) > 0 {
		e := ends[len(ends)-1]
		rows := v.windows["new_users"][e]
		fmt.Fprintf(b, "New users who opened an auction between %s and %s: %d\n", demoClock(e-10_000), demoClock(e), len(rows))
		var out [][]string
		for i, r := range rows {
			if i == 5 {
				out = append(out, []string{"…", fmt.Sprintf("%d more", len(rows)-5), ""})
				break
			}
			out = append(out, []string{demoText(r["id"]), demoText(r["name"]), demoText(r["state"])})
		}
		renderTable(b, []string{"id", "name", "state"}, out, 0, "\n")
	} else {
		b.WriteString("New users: waiting for the first window\n")
	}
}

// printNew writes, without a terminal, each newly completed window once.
// A window counts as complete when a newer one has been seen (its rows may
// come from two partitions and subtasks).
func (v *demoView) printNew(w io.Writer) {
	for _, t := range demoResultTopics {
		ends := sortedEnds(v.windows[t])
		for i := 0; i < len(ends)-1; i++ {
			e := ends[i]
			if e <= v.printed[t] {
				continue
			}
			v.printed[t] = e
			rows := v.windows[t][e]
			var parts []string
			for _, r := range rows {
				switch t {
				case "hot_items":
					parts = append(parts, fmt.Sprintf("#%s auction %s (%s bids)", demoText(r["rk"]), demoText(r["auction"]), demoText(r["bids"])))
				case "highest_bid":
					parts = append(parts, fmt.Sprintf("auction %s, bidder %s: %s", demoText(r["auction"]), demoText(r["bidder"]), demoText(r["price"])))
				case "new_users":
					parts = append(parts, demoText(r["name"]))
				}
			}
			if t == "hot_items" {
				sort.Strings(parts)
			}
			if len(parts) > 6 {
				parts = append(parts[:6], fmt.Sprintf("%d more", len(parts)-6))
			}
			fmt.Fprintf(w, "%s %-11s %s\n", demoClock(e), t, strings.Join(parts, "; "))
		}
	}
}

// serverMetrics is the /metrics handler of a server: its jobs, its
// journal, and the Go runtime and the process of the server.
func serverMetrics(srv *server.Server) http.Handler {
	return web.NewMetricsHandler(srv.MetricsSource, srv.JournalCollector(),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}
