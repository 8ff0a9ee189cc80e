package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	nexmarkgen "github.com/stromio/strom/connector/nexmark"
)

func init() { nexmarkSubcommands = append(nexmarkSubcommands, newNexmarkGenCmd) }

// nexmarkGenConfig is the configuration of `strom nexmark gen` (one field
// per flag).
type nexmarkGenConfig struct {
	Events    int64
	Seed      int64
	Rate      int64
	Splits    int
	BaseTime  string // "" (the fixed default), "now", epoch ms or RFC 3339
	Out       string // "-": stdout
	SideInput string
}

func (c nexmarkGenConfig) validate(cmd *cobra.Command) (nexmarkgen.GeneratorConfig, error) {
	var gen nexmarkgen.GeneratorConfig
	switch {
	case c.Out == "" && cmd.Flags().Changed("events"):
		return gen, usagef(cmd, "missing --out FILE for the %d events (\"-\" for stdout)", c.Events)
	case c.Out == "" && c.SideInput == "":
		return gen, usagef(cmd, "missing --out FILE (the events file, \"-\" for stdout) or --side-input FILE")
	case c.Out != "" && c.Events < 1:
		return gen, usagef(cmd, "--events must be at least 1, got %d", c.Events)
	case c.Rate < 1:
		return gen, usagef(cmd, "--rate must be at least 1 event per second of event time, got %d", c.Rate)
	case c.Splits < 1 || c.Splits > nexmarkgen.MaxSplits:
		return gen, usagef(cmd, "--splits must be between 1 and %d, got %d", nexmarkgen.MaxSplits, c.Splits)
	case c.Out != "" && c.Out == c.SideInput:
		return gen, usagef(cmd, "--out and --side-input name the same file %q", c.Out)
	}
	base, err := parseBaseTime(c.BaseTime, time.Now())
	if err != nil {
		return gen, usagef(cmd, "--base-time: %v", err)
	}
	gen = nexmarkgen.GeneratorConfig{Events: c.Events, Seed: c.Seed, Rate: c.Rate, Splits: c.Splits, BaseTime: base}
	if err := gen.Validate(); err != nil {
		return gen, usagef(cmd, "%v", err)
	}
	return gen, nil
}

// parseBaseTime reads --base-time: empty for the default, "now", epoch
// milliseconds or an RFC 3339 time.
func parseBaseTime(s string, now time.Time) (int64, error) {
	switch {
	case s == "":
		return nexmarkgen.DefaultBaseTime, nil
	case s == "now":
		return now.UnixMilli(), nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		if ms < 1 {
			return 0, fmt.Errorf("epoch milliseconds must be at least 1, got %d", ms)
		}
		return ms, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("%q is not \"now\", epoch milliseconds or an RFC 3339 time like 2026-01-01T00:00:00Z", s)
	}
	if t.UnixMilli() < 1 {
		return 0, fmt.Errorf("%q is not after 1970-01-01T00:00:00Z", s)
	}
	return t.UnixMilli(), nil
}

func newNexmarkGenCmd() *cobra.Command {
	cfg := nexmarkGenConfig{Seed: 1, Rate: nexmarkgen.DefaultRate, Splits: 1}
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generate Nexmark events into a JSON-lines file",
		Long: `Generate Nexmark events (people, auctions, bids) and write them as JSON
lines, one event a line in the Flink-style tagged union:

  {"event_type":2,"bid":{"auction":1000,"bidder":1001,"price":123,...}}

with timestamps as integer epoch milliseconds. The data depends only on
--events, --seed, --rate, --splits and --base-time: the same flags write the
same bytes, and the same events as the built-in generator of "strom nexmark
run" with the same --events, --seed, --rate and --splits. With --splits K the file holds split 0's events,
then split 1's, and so on; every split has its own ids and its own copy of
the event-time timeline, as K parallel generators would.

--rate is events per second of event time (default 10,000,000, Flink's V1
setting): it fixes how much event time the events cover, not how fast they
are written, which is as fast as possible.

--side-input FILE writes the side input of q13: 10,000 CSV rows "i,i".
A one-line summary goes to stderr.`,
		Example: `  strom nexmark gen --events 1000000 --out events.jsonl
  strom nexmark gen --events 100000 --rate 100000 --splits 8 --seed 7 --out - | head
  strom nexmark gen --side-input side.csv`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			gen, err := cfg.validate(cmd)
			if err != nil {
				return err
			}
			return runNexmarkGen(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), cfg, gen)
		},
	}
	f := cmd.Flags()
	f.Int64Var(&cfg.Events, "events", cfg.Events, "number of events to generate (at least 1)")
	f.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the generated data")
	f.Int64Var(&cfg.Rate, "rate", cfg.Rate, "events per second of event time")
	f.IntVar(&cfg.Splits, "splits", cfg.Splits, "number of parallel generators (each with its own ids and timeline)")
	f.StringVar(&cfg.BaseTime, "base-time", "", `event time of the first events: epoch ms, RFC 3339 or "now" (default 2026-01-01T00:00:00Z)`)
	f.StringVarP(&cfg.Out, "out", "o", "", `file to write the events to ("-": stdout)`)
	f.StringVar(&cfg.SideInput, "side-input", "", "file to write the q13 side input to (CSV)")
	return cmd
}

func runNexmarkGen(ctx context.Context, stdout, stderr io.Writer, cfg nexmarkGenConfig, gen nexmarkgen.GeneratorConfig) error {
	if cfg.SideInput != "" {
		if err := writeFileWith(cfg.SideInput, nexmarkgen.WriteSideInput); err != nil {
			return fmt.Errorf("side input: %w", err)
		}
		fmt.Fprintf(stderr, "nexmark gen: q13 side input: %d rows to %s\n", nexmarkgen.SideInputRows, cfg.SideInput)
	}
	if cfg.Out == "" {
		return nil
	}
	start := time.Now()
	var st nexmarkgen.GenerateStats
	write := func(w io.Writer) error {
		var err error
		st, err = nexmarkgen.GenerateJSONLines(ctx, w, gen)
		return err
	}
	var err error
	if cfg.Out == "-" {
		err = write(stdout)
	} else {
		err = writeFileWith(cfg.Out, write)
	}
	el := time.Since(start)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return fmt.Errorf("interrupted after %d of %d events: %s is incomplete", st.Events, gen.Events, genOutName(cfg.Out))
		}
		return fmt.Errorf("writing %s: %w", genOutName(cfg.Out), err)
	}
	fmt.Fprintln(stderr, genSummary(st, el, genOutName(cfg.Out)))
	return nil
}

// writeFileWith creates path, lets write fill it and closes it, reporting
// the first error.
func writeFileWith(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func genOutName(out string) string {
	if out == "-" {
		return "stdout"
	}
	return out
}

// genSummary is the one-line summary, e.g. "nexmark gen: 1000000 events
// (20000 persons, 60000 auctions, 920000 bids), event time
// 2026-01-01T00:00:00.000Z .. 2026-01-01T00:00:00.099Z (99ms), 223.4 MB in
// 0.41s (2.44M events/s) to events.jsonl".
func genSummary(st nexmarkgen.GenerateStats, el time.Duration, out string) string {
	const layout = "2006-01-02T15:04:05.000Z07:00"
	span := "no events"
	if st.Events > 0 {
		span = fmt.Sprintf("event time %s .. %s (%v)",
			time.UnixMilli(st.MinTime).UTC().Format(layout), time.UnixMilli(st.MaxTime).UTC().Format(layout),
			time.Duration(st.MaxTime-st.MinTime)*time.Millisecond)
	}
	secs := max(el.Seconds(), 1e-9)
	return fmt.Sprintf("nexmark gen: %d events (%d persons, %d auctions, %d bids), %s, %s in %.2fs (%s events/s) to %s",
		st.Events, st.Persons, st.Auctions, st.Bids, span, genBytes(st.Bytes), el.Seconds(),
		humanRate(float64(st.Events)/secs), out)
}

// genBytes formats a byte count in decimal units: 512 B, 1.5 kB, 223.4 MB.
func genBytes(n int64) string {
	const units = "kMGTPE"
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n)/1000, 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + units[i:i+1] + "B"
}
