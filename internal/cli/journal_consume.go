package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/journal"
)

func init() { journalSubcommands = append(journalSubcommands, newJournalConsumeCmd) }

type consumeConfig struct {
	Dir, Topic    string
	AcceptRisk    bool // journal.Options.AcceptFailedSyncRisk
	FromBeginning bool
	Max           int64
	Group         string
	Partition     int
	Follow        bool
}

func newJournalConsumeCmd() *cobra.Command {
	var c consumeConfig
	cmd := &cobra.Command{
		Use:   "consume --dir DIR --topic NAME [--from-beginning] [--max N] [--group G] [--partition P] [--follow]",
		Short: "Print the records of a topic as JSON lines",
		Long: `consume prints records as JSON lines:
  {"partition":0,"offset":7,"timestamp":1767225600000,"key":"k","value":{...},"headers":{}}
where value is the record's JSON value when it is JSON, else a string, and
key a string (null when the record has none).

Each partition starts at the group's committed offset (with --group, when it
has one), else at its start with --from-beginning, else at its end. As with
Kafka's console consumer, a start at the end waits for new records: it
implies --follow. With --follow the command waits for new records until
--max records were printed or it is interrupted; without, it stops at the
end. With --group the offsets after the printed records are committed (at
the end, and every second while following), so the next run resumes there.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireDirTopic(cmd, c.Dir, c.Topic, true); err != nil {
				return err
			}
			if c.Max < 0 {
				return usagef(cmd, "--max must be at least 0, got %d", c.Max)
			}
			if c.Partition < -1 {
				return usagef(cmd, "--partition must be at least 0, got %d", c.Partition)
			}
			return consume(cmd.Context(), c, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.Dir, "dir", "", "the journal directory")
	f.StringVar(&c.Topic, "topic", "", "the topic")
	f.BoolVar(&c.FromBeginning, "from-beginning", false, "start at the log start of partitions without a committed offset")
	f.Int64Var(&c.Max, "max", 0, "stop after this many records (0: no limit)")
	f.StringVar(&c.Group, "group", "", "consumer group: start at its committed offsets, commit after printing")
	f.IntVar(&c.Partition, "partition", -1, "read only this partition (default all)")
	f.BoolVar(&c.Follow, "follow", false, "wait for new records at the end")
	addAcceptRiskFlag(cmd, &c.AcceptRisk)
	return cmd
}

func consume(ctx context.Context, c consumeConfig, stdout, stderr io.Writer) (err error) {
	j, closeJ, err := openJournalWith(c.Dir, false, journal.Options{AcceptFailedSyncRisk: c.AcceptRisk}, stderr)
	if errors.Is(err, errJournalBusy) {
		// One process at a time opens a journal (it recovers and appends
		// on its own view of the files), so a consumer cannot follow here
		// what another process appends: that process serves its records.
		p := "P"
		if c.Partition >= 0 {
			p = fmt.Sprint(c.Partition)
		}
		return fmt.Errorf("%w; consume cannot read (or --follow) a journal that another process has open: "+
			"follow that process's appends through its HTTP tail instead "+
			"(strom server: GET /api/v1/journal/topics/%s/partitions/%s/tail?offset=N, Server-Sent Events; docs/http-journal.md), "+
			"or stop it first", err, c.Topic, p)
	}
	if err != nil {
		return err
	}
	defer closeWarn(closeJ, stderr)
	return consumeFrom(ctx, j, c, stdout, stderr)
}

// consumeFrom is consume on an open journal.
func consumeFrom(ctx context.Context, j *journal.Journal, c consumeConfig, stdout, stderr io.Writer) (err error) {
	n, ok := topicPartitions(j, c.Topic)
	if !ok {
		return fmt.Errorf("no topic %q in %s: strom journal topics --dir %s lists the topics (strom journal produce creates one)", c.Topic, c.Dir, c.Dir)
	}
	parts := make([]int, 0, n)
	if c.Partition >= 0 {
		if c.Partition >= n {
			return fmt.Errorf("topic %q has no partition %d (it has %d)", c.Topic, c.Partition, n)
		}
		parts = append(parts, c.Partition)
	} else {
		for p := range n {
			parts = append(parts, p)
		}
	}
	var committed map[journal.TopicPartition]int64
	if c.Group != "" {
		if committed, err = j.GroupOffsets(c.Group); err != nil {
			return err
		}
	}
	// Where each partition starts.
	pos := map[int]int64{}
	ends := map[int]int64{}
	follow := c.Follow
	resumed := false
	for _, p := range parts {
		start, end, err := j.Bounds(c.Topic, p)
		if err != nil {
			return err
		}
		ends[p] = end
		if off, ok := committed[journal.TopicPartition{Topic: c.Topic, Partition: p}]; ok {
			pos[p] = min(max(off, start), end)
			resumed = true
		} else if c.FromBeginning {
			pos[p] = start
		} else {
			pos[p] = end
		}
	}
	if !follow && !c.FromBeginning && !resumed {
		follow = true
		fmt.Fprintf(stderr, "journal consume: starting at the end of topic %q, waiting for new records (--from-beginning reads what is there; Ctrl-C stops)\n", c.Topic)
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	var printed int64
	lastCommit := time.Now()
	commit := func() error {
		if c.Group == "" {
			return nil
		}
		m := map[journal.TopicPartition]int64{}
		for p, off := range pos {
			m[journal.TopicPartition{Topic: c.Topic, Partition: p}] = off
		}
		lastCommit = time.Now()
		return j.CommitOffsets(c.Group, m)
	}
	// print writes ms (up to --max) and moves the positions; it reports
	// whether --max was reached.
	print := func(ms []journal.Message) (bool, error) {
		for i := range ms {
			if c.Max > 0 && printed >= c.Max {
				break
			}
			if err := enc.Encode(ms[i].ToJSON()); err != nil {
				return true, err
			}
			pos[ms[i].Partition] = ms[i].Offset + 1
			printed++
		}
		return c.Max > 0 && printed >= c.Max, out.Flush()
	}
	defer func() {
		if cerr := commit(); err == nil && cerr != nil {
			err = cerr
		}
		fmt.Fprintf(stderr, "journal consume: %d records from topic %q\n", printed, c.Topic)
	}()
	chunk := func() int {
		if c.Max > 0 {
			return int(min(c.Max-printed, 500))
		}
		return 500
	}
	if !follow {
		for {
			progress := false
			for _, p := range parts {
				if pos[p] >= ends[p] {
					continue
				}
				ms, err := j.Read(ctx, c.Topic, p, pos[p], journal.ReadOptions{MaxRecords: chunk()})
				if err != nil {
					// A quarantined partition: print what lies before the
					// damage, then fail.
					st, serr := j.Stats(c.Topic, p)
					if serr != nil || st.Quarantine == nil || pos[p] >= st.Quarantine.Offset {
						return err
					}
					if ms, err = j.Read(ctx, c.Topic, p, pos[p], journal.ReadOptions{
						MaxRecords: int(min(int64(chunk()), st.Quarantine.Offset-pos[p]))}); err != nil {
						return err
					}
				}
				progress = progress || len(ms) > 0
				if done, err := print(ms); done || err != nil {
					return err
				}
			}
			if !progress {
				return nil
			}
		}
	}

	// Follow: one long poll per partition, the printing here.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type got struct {
		ms  []journal.Message
		err error
	}
	ch := make(chan got)
	for _, p := range parts {
		from := pos[p]
		go func() {
			for {
				ms, err := j.Poll(pctx, c.Topic, p, from, journal.ReadOptions{MaxRecords: 500})
				select {
				case ch <- got{ms, err}:
				case <-pctx.Done():
					return
				}
				if err != nil {
					return
				}
				if len(ms) > 0 {
					from = ms[len(ms)-1].Offset + 1
				}
			}
		}()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case g := <-ch:
			if g.err != nil {
				if ctx.Err() != nil && errors.Is(g.err, ctx.Err()) {
					return nil // interrupted: a normal end
				}
				return g.err
			}
			if done, err := print(g.ms); done || err != nil {
				return err
			}
			if time.Since(lastCommit) >= time.Second {
				if err := commit(); err != nil {
					return err
				}
			}
		case <-tick.C:
		case <-ctx.Done():
			return nil
		}
	}
}
