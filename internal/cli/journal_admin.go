package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/journal"
)

func init() {
	journalSubcommands = append(journalSubcommands, newJournalTopicsCmd, newJournalVerifyCmd, newJournalTruncateCmd)
}

func newJournalTopicsCmd() *cobra.Command {
	var dir string
	var accept, rebooted bool
	cmd := &cobra.Command{
		Use:   "topics --dir DIR",
		Short: "List the topics of a journal with their partitions, offsets and sizes",
		Long: `topics opens the journal (recovering it) and lists its topics with their
partitions, offsets and sizes.

STATUS is what the open knows: "ok" unless the partition is quarantined
(damage found in a sealed segment or by a read) or read-only. The
open scans only the active segment of a partition that was not closed
cleanly, so damage elsewhere shows only when something reads it: strom
journal verify reads every batch.

A partition whose fsync failed in this boot (its sync-failed marker) is
refused until the machine reboots; --` + acceptRiskFlag + ` opens it at that
risk. The first open after a reboot rescans it from the disk and removes the
marker. Where no boot id tells a reboot (not Linux, /proc unreadable, or a
marker that records none or is damaged), the marker is refused in every boot:
after rebooting, run this command with --` + assumeRebootedFlag + ` once (it rescans
from the failed segment and removes the marker), then strom journal verify.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireDirTopic(cmd, dir, "", false); err != nil {
				return err
			}
			return journalTopics(dir, journal.Options{AcceptFailedSyncRisk: accept, AssumeRebooted: rebooted}, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "the journal directory")
	addAcceptRiskFlag(cmd, &accept)
	cmd.Flags().BoolVar(&rebooted, assumeRebootedFlag, false,
		"the machine rebooted since every fsync that failed: rescan those partitions from the failed segment and remove their sync-failed markers (for systems where no boot id tells a reboot; wrong before a reboot)")
	return cmd
}

func journalTopics(dir string, opts journal.Options, stdout, stderr io.Writer) error {
	j, closeJ, err := openJournalWith(dir, false, opts, stderr)
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
			case st.SyncFailure != nil && st.SyncFailure.SameBoot:
				status = fmt.Sprintf("OPENED AT RISK after a failed sync in this boot (--%s): records may not be on disk; reboot, then open again (%s)", acceptRiskFlag, st.SyncFailure.File)
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
one line per partition and one per problem (file, byte, offset). Index
problems are warnings: open rebuilds the indexes. A read that fails (EIO:
"I/O error reading FILE") is not damage found in the data: that file is not
checked and verify goes on (a directory that cannot be listed, even the
topics directory, is reported the same way). A partition whose fsync failed in this boot (its
sync-failed marker) is reported: until a reboot, what verify reads there may
be pages the disk does not hold. Run it on a journal no process writes to.

Exit status:
  0  no damage, no read error, no failed sync in this boot
  1  records (or the metadata needed to read them) are damaged
  2  usage error, or --dir holds no journal (no topics directory)
  3  no damage found, but a read failed (I/O error): part was not checked
  4  no damage or read error, but a sync failed in this boot in some
     partition: reboot and verify again (where no boot id tells a reboot:
     after it, strom journal topics --dir DIR --assume-rebooted, then verify)`,
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
	// No topics directory at all is a wrong --dir (exit 2), not damage;
	// one that cannot be read is an I/O error journal.Verify reports.
	if _, err := os.Stat(filepath.Join(dir, "topics")); errors.Is(err, fs.ErrNotExist) {
		return &exitError{code: 2, err: noJournalError(dir, err)}
	}
	r, err := journal.Verify(dir, nil)
	if err != nil {
		return err
	}
	for _, p := range r.Problems {
		fmt.Fprintf(stdout, "  %v\n", p)
	}
	bad, unread := 0, 0
	var hints []string
	for _, pc := range r.Partitions {
		status := "ok"
		data, ioErr := false, false
		for _, p := range pc.Problems {
			data = data || p.Data
			ioErr = ioErr || p.IO
		}
		sf := pc.SyncFailure
		switch {
		case data:
			status = "CORRUPT"
			bad++
		case ioErr:
			status = "I/O ERROR (not fully checked)"
		case sf != nil && sf.SameBoot:
			status = "NOT CONCLUSIVE (a sync failed in this boot)"
		case len(pc.Problems) > 0:
			status = "ok (index warnings)"
		}
		if ioErr {
			unread++
		}
		fmt.Fprintf(stdout, "topic %q partition %d: start %d, end %d, %d records in %d batches, %d segments, %d bytes: %s\n",
			pc.Topic, pc.Partition, pc.Start, pc.End, pc.Records, pc.Batches, pc.Segments, pc.Bytes, status)
		if sf != nil {
			if sf.SameBoot {
				fmt.Fprintf(stdout, "  %s: %v; until a reboot what verify read may be pages whose write-back failed, not the disk: reboot, then verify again (the next open rescans the segment from the disk and removes the marker; strom commands that open the journal refuse the partition until then unless --%s). Where no boot id tells the reboot (the marker records none or is damaged, or this system has none), it stays: after the reboot run `strom journal topics --dir %s --%s` once (it rescans and removes the marker), then verify\n",
					sf.File, sf, acceptRiskFlag, dir, assumeRebootedFlag)
			} else {
				fmt.Fprintf(stdout, "  %s: %v; in an earlier boot: this check read the disk; the next open rescans the segment and removes the marker\n", sf.File, sf)
			}
		}
		first := true
		for _, p := range pc.Problems {
			fmt.Fprintf(stdout, "  %v\n", p)
			if p.Data && first && p.Offset >= 0 {
				first = false
				hints = append(hints, fmt.Sprintf("strom journal truncate --dir %s --topic %s --partition %d --at %d", dir, pc.Topic, pc.Partition, p.Offset))
			}
		}
	}
	for _, p := range r.Problems {
		if p.IO {
			unread++
		}
	}
	sameBoot := len(r.SyncFailedThisBoot())
	if r.Corrupt() {
		fmt.Fprintf(stdout, "verify: %d of %d partitions damaged\n", bad, len(r.Partitions))
		for _, h := range hints {
			fmt.Fprintf(stdout, "  to drop the damage and everything after it (see --dry-run first): %s\n", h)
		}
		if unread > 0 {
			fmt.Fprintf(stdout, "verify: and %d I/O errors: files not checked\n", unread)
		}
		return &exitError{code: exitVerifyDamage, err: fmt.Errorf("journal %s: %w in %d of %d partitions", dir, errCorruptJournal, bad, len(r.Partitions))}
	}
	if unread > 0 {
		fmt.Fprintf(stdout, "verify: no damage found, but %d reads failed with an I/O error: those files were not checked (the device or filesystem failed, the data was not found bad); check the device (dmesg) and verify again\n", unread)
		return &exitError{code: exitVerifyIOError, err: fmt.Errorf("journal %s: I/O error reading %d files: not fully checked", dir, unread)}
	}
	if sameBoot > 0 {
		fmt.Fprintf(stdout, "verify: %d partitions, no damage read, but a sync failed in this boot in %d of them: reboot and verify again\n", len(r.Partitions), sameBoot)
		return &exitError{code: exitVerifySyncFailed, err: fmt.Errorf("journal %s: a sync failed in this boot in %d partitions: not conclusive before a reboot", dir, sameBoot)}
	}
	fmt.Fprintf(stdout, "verify: %d partitions, no damage\n", len(r.Partitions))
	return nil
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
