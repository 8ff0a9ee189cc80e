package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/journal"
)

// journalSubcommands are the constructors of the `strom journal`
// subcommands; each subcommand's file adds itself in an init function.
var journalSubcommands []func() *cobra.Command

func newJournalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "journal",
		Short: "Produce to, consume from, list, verify and repair an embedded journal",
		Long: `The journal is strom's embedded durable log (Kafka's model: topics,
partitions, offsets, consumer groups) in a directory. These subcommands
write JSON lines to a topic, print its records, list the topics, check every
batch of every file, and cut a damaged partition explicitly.

One process at a time may open a journal directory; verify only reads.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	for _, f := range journalSubcommands {
		cmd.AddCommand(f())
	}
	return cmd
}

// errJournalBusy: another process holds the journal directory's lock.
var errJournalBusy = errors.New("in use by another strom process")

// openJournalWith locks and opens the journal in dir with opts (the
// logger is set here). With create false a directory that holds no journal
// is an error. Warnings of the recovery go to stderr. close closes the
// journal and releases the lock.
func openJournalWith(dir string, create bool, opts journal.Options, stderr io.Writer) (j *journal.Journal, close func() error, err error) {
	if !create {
		if _, err := os.Stat(filepath.Join(dir, "topics")); err != nil {
			return nil, nil, noJournalError(dir, err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	release, err := lockJournal(dir)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts.Logger = log
	j, err = journal.Open(dir, opts)
	if err != nil {
		release()
		return nil, nil, err
	}
	return j, func() error {
		defer release()
		return j.Close()
	}, nil
}

// closeWarn closes and prints what went wrong as a warning (for commands
// that only read; a quarantined partition was reported when found).
func closeWarn(close func() error, stderr io.Writer) {
	if err := close(); err != nil && !errors.Is(err, journal.ErrQuarantined) {
		fmt.Fprintf(stderr, "strom: warning: %v\n", err)
	}
}

// topicPartitions returns the partition count of topic.
func topicPartitions(j *journal.Journal, topic string) (int, bool) {
	for _, t := range j.Topics() {
		if t.Name == topic {
			return t.Partitions, true
		}
	}
	return 0, false
}

func requireDirTopic(cmd *cobra.Command, dir, topic string, needTopic bool) error {
	if dir == "" {
		return usagef(cmd, "missing --dir DIR (the journal directory)")
	}
	if needTopic && topic == "" {
		return usagef(cmd, "missing --topic NAME")
	}
	return nil
}

var errCorruptJournal = errors.New("corruption found")

// Exit codes of `strom journal verify` besides 0 (no damage) and 2 (usage).
const (
	exitVerifyDamage     = 1 // records or their metadata are damaged
	exitVerifyIOError    = 3 // a read failed (EIO...): part of the journal was not checked
	exitVerifySyncFailed = 4 // a sync failed in this boot: what was read may not be on disk
)

// acceptRiskFlag is the flag of the subcommands that open a journal for
// journal.Options.AcceptFailedSyncRisk.
const acceptRiskFlag = "accept-failed-sync-risk"

func addAcceptRiskFlag(cmd *cobra.Command, v *bool) {
	cmd.Flags().BoolVar(v, acceptRiskFlag, false,
		"open journal partitions whose fsync failed in this boot (refused by default: until a reboot the page cache may serve data the disk does not hold; reboot instead when you can; the sync-failed marker stays)")
}

// assumeRebootedFlag is the flag of `strom journal topics` for
// journal.Options.AssumeRebooted.
const assumeRebootedFlag = "assume-rebooted"

// openJournalDirOnly checks that dir holds a journal.
func openJournalDirOnly(dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, "topics")); err != nil {
		return "", noJournalError(dir, err)
	}
	return dir, nil
}

// noJournalError says that dir holds no journal (err: why the check of
// its topics directory failed) and what to do about it.
func noJournalError(dir string, err error) error {
	return fmt.Errorf("no journal in %s (a journal directory holds a topics/ directory): %w; check --dir, or create the journal by producing to it: strom journal produce --dir %s --topic NAME", dir, err, dir)
}
