package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/journal"
)

func init() {
	journalSubcommands = append(journalSubcommands, newJournalTopicsCmd, newJournalVerifyCmd, newJournalTruncateCmd)
}

func newJournalTopicsCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "topics --dir DIR",
		Short: "List the topics of a journal with their partitions, offsets and sizes",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireDirTopic(cmd, dir, "", false); err != nil {
				return err
			}
			return journalTopics(dir, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "the journal directory")
	return cmd
}

func journalTopics(dir string, stdout, stderr io.Writer) error {
	j, closeJ, err := openJournal(dir, false, stderr)
	if err != nil {
		return err
	}
	defer closeWarn(closeJ, stderr)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tSTART\tEND\tRECORDS\tSEGMENTS\tBYTES\tSTATUS")
	for _, t := range j.Topics() {
		for p := range t.Partitions {
			st, err := j.Stats(t.Name, p)
			if err != nil {
				return err
			}
			status := "ok"
			switch {
			case st.Quarantine != nil:
				status = fmt.Sprintf("quarantined at offset %d (%s byte %d)", st.Quarantine.Offset, st.Quarantine.Segment, st.Quarantine.Byte)
			case st.Failed != nil:
				status = "read-only"
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", t.Name, p, st.Start, st.End, st.End-st.Start, st.Segments, st.Bytes, status)
		}
	}
	return tw.Flush()
}

func newJournalVerifyCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "verify --dir DIR",
		Short: "Check every batch of every segment of a journal (read only)",
		Long: `verify reads every segment of every partition and checks each batch (length,
magic, CRC-32C, records, offsets following on within and across segments),
the metadata files and the index files, without changing anything. It prints
one line per partition and one per problem (file, byte, offset), and exits
with 1 when records are damaged. Index problems are warnings: open rebuilds
the indexes. Run it on a journal no process writes to.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireDirTopic(cmd, dir, "", false); err != nil {
				return err
			}
			return journalVerify(dir, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "the journal directory")
	return cmd
}

func journalVerify(dir string, stdout io.Writer) error {
	r, err := journal.Verify(dir, nil)
	if err != nil {
		return err
	}
	for _, p := range r.Problems {
		fmt.Fprintf(stdout, "  %v\n", p)
	}
	bad := 0
	var hints []string
	for _, pc := range r.Partitions {
		status := "ok"
		data := false
		for _, p := range pc.Problems {
			data = data || p.Data
		}
		switch {
		case data:
			status = "CORRUPT"
			bad++
		case len(pc.Problems) > 0:
			status = "ok (index warnings)"
		}
		fmt.Fprintf(stdout, "topic %q partition %d: start %d, end %d, %d records in %d batches, %d segments, %d bytes: %s\n",
			pc.Topic, pc.Partition, pc.Start, pc.End, pc.Records, pc.Batches, pc.Segments, pc.Bytes, status)
		first := true
		for _, p := range pc.Problems {
			fmt.Fprintf(stdout, "  %v\n", p)
			if p.Data && first && p.Offset >= 0 {
				first = false
				hints = append(hints, fmt.Sprintf("strom journal truncate --dir %s --topic %s --partition %d --at %d", dir, pc.Topic, pc.Partition, p.Offset))
			}
		}
	}
	if !r.Corrupt() {
		fmt.Fprintf(stdout, "verify: %d partitions, no damage\n", len(r.Partitions))
		return nil
	}
	fmt.Fprintf(stdout, "verify: %d of %d partitions damaged\n", bad, len(r.Partitions))
	for _, h := range hints {
		fmt.Fprintf(stdout, "  to drop the damage and everything after it (see --dry-run first): %s\n", h)
	}
	return fmt.Errorf("journal %s: %w in %d of %d partitions", dir, errCorruptJournal, bad, len(r.Partitions))
}

func newJournalTruncateCmd() *cobra.Command {
	var dir, topic string
	var part int
	var at int64
	var dry bool
	cmd := &cobra.Command{
		Use:   "truncate --dir DIR --topic NAME --partition P --at OFFSET [--dry-run]",
		Short: "Cut a partition at an offset, dropping it and everything after it",
		Long: `truncate is the explicit way out of a quarantined (damaged) partition: it
cuts the partition so that OFFSET becomes its end, dropping the batch at
OFFSET and every later one, even the valid ones (a log has no holes). It
prints what it drops; --dry-run only prints. OFFSET must start a batch, and
every batch before it must be valid (verify names the offset to use).
Consumer groups that committed offsets beyond the new end resume at it.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireDirTopic(cmd, dir, topic, true); err != nil {
				return err
			}
			if !cmd.Flags().Changed("partition") || part < 0 {
				return usagef(cmd, "missing --partition P (at least 0)")
			}
			if !cmd.Flags().Changed("at") || at < 0 {
				return usagef(cmd, "missing --at OFFSET (at least 0)")
			}
			return journalTruncate(dir, topic, part, at, dry, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "", "the journal directory")
	f.StringVar(&topic, "topic", "", "the topic")
	f.IntVar(&part, "partition", -1, "the partition")
	f.Int64Var(&at, "at", -1, "the new end offset: this offset and all later ones are dropped")
	f.BoolVar(&dry, "dry-run", false, "print what would be dropped, change nothing")
	return cmd
}

func journalTruncate(dir, topic string, part int, at int64, dry bool, stdout, stderr io.Writer) error {
	if _, err := openJournalDirOnly(dir); err != nil {
		return err
	}
	release, err := lockJournal(dir)
	if err != nil {
		return err
	}
	defer release()
	rep, err := journal.TruncatePartition(dir, nil, topic, part, at, dry)
	if err != nil {
		return err
	}
	verb := "dropped"
	if dry {
		verb = "would drop"
	}
	fmt.Fprintf(stdout, "journal truncate: topic %q partition %d: %s %d bytes from offset %d on: %d records in valid batches, %d bytes of damaged data\n",
		topic, part, verb, rep.Bytes, at, rep.Records, rep.Unreadable)
	if rep.Segment != "" {
		fmt.Fprintf(stdout, "  cut %s at byte %d\n", rep.Segment, rep.Byte)
	}
	for _, n := range rep.Removed {
		fmt.Fprintf(stdout, "  remove %s\n", n)
	}
	if !dry {
		fmt.Fprintf(stdout, "  the partition now ends at offset %d\n", at)
	}
	return nil
}
