// Package cli implements the strom command line: one cobra command per
// subcommand (version, example, ...). cmd/strom calls Main and exits with its
// code; tests call run with their own arguments and writers.
//
// Exit codes: 0 success (also a job stopped with Ctrl-C), 1 failure, 2 bad
// usage (unknown command or flag, invalid flag value).
//
// Concurrency: Main installs a SIGINT/SIGTERM handler that cancels the
// context of the running command; a second signal kills the process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/internal/base"
)

// version is the release version, set at link time with
// -ldflags "-X github.com/stromio/strom/internal/cli.version=v0.1.0".
var version = ""

// Main runs the strom command with os.Args and returns the process exit code.
func Main() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sig:
			// Restore the default handlers first: a second Ctrl-C kills.
			signal.Stop(sig)
			cancel()
		case <-ctx.Done():
		}
	}()
	defer signal.Stop(sig)
	return run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// usageError is a mistake in the command line (as opposed to a failure of
// the work the command does).
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// exitError is a failure whose exit code is not 1 (a command documents its
// codes in its help).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usagef(cmd *cobra.Command, format string, args ...any) error {
	return &usageError{cmd: cmd, err: fmt.Errorf(format, args...)}
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runStdin(ctx, args, nil, stdout, stderr)
}

// runStdin is run with stdin (nil: os.Stdin).
func runStdin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	if stdin != nil {
		root.SetIn(stdin)
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	if ctx.Err() != nil && (errors.Is(err, base.ErrCanceled) || errors.Is(err, context.Canceled)) {
		// Ctrl-C or SIGTERM: the job stopped as asked (a job with
		// checkpoints keeps its latest one for a restart).
		fmt.Fprintln(stderr, "strom: interrupted; the job stopped")
		return 130
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "strom: ") {
		msg = "strom: " + msg
	}
	fmt.Fprintln(stderr, msg)
	if ue, ok := errors.AsType[*usageError](err); ok {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", ue.cmd.CommandPath())
		return 2
	}
	if ee, ok := errors.AsType[*exitError](err); ok {
		return ee.code
	}
	return 1
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "strom",
		Short: "strom is a stateful stream processor",
		Long: `strom is a stateful stream processor in the class of Apache Flink: event time
and watermarks, keyed state, timers and windows, in one binary or as a Go
library. The engine core is in progress; try "strom example" for a live job.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		// Reject unknown subcommands as usage errors (cobra's default check
		// would not say how to get help).
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q", args[0])
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %q?)", s[0])
			}
			return usagef(cmd, "%s", msg)
		},
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetVersionTemplate("{{.Version}}\n")
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd, err: errors.New(tidyFlagError(err.Error()))}
	})
	root.AddCommand(newVersionCmd(), newExampleCmd(), newNexmarkCmd(), newSavepointCmd(), newJournalCmd(), newKafkaCmd(),
		newRunCmd(), newSQLCmd())
	root.AddCommand(newServerCmd(), newJobCmd(), newDemoCmd(), newChaosJobCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of strom",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), versionString())
			return err
		},
	}
}

// tidyFlagError shortens pflag's parse errors: `invalid argument "x" for
// "--events" flag: strconv.ParseInt: parsing "x": invalid syntax` becomes
// `invalid argument "x" for "--events" flag: not a valid number`.
func tidyFlagError(msg string) string {
	head, cause, ok := strings.Cut(msg, ": strconv.")
	if !ok {
		return msg
	}
	switch {
	case strings.HasSuffix(cause, "invalid syntax"):
		return head + ": not a valid number"
	case strings.HasSuffix(cause, "value out of range"):
		return head + ": number out of range"
	}
	return msg
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef(cmd, "%s takes no arguments, got %q", cmd.CommandPath(), strings.Join(args, " "))
	}
	return nil
}

// versionString is "strom VERSION (commit REV[, modified], GOVERSION OS/ARCH)".
func versionString() string {
	v := version
	var details []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			c := "commit " + rev
			if modified == "true" {
				c += ", modified"
			}
			details = append(details, c)
		}
	}
	if v == "" {
		v = "devel"
	}
	details = append(details, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("strom %s (%s)", v, strings.Join(details, ", "))
}
