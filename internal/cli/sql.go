package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/journal"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
)

// sqlConfig are the flags of `strom run` and `strom sql`.
type sqlConfig struct {
	Parallelism int
	Exec        string
	JournalDir  string
	AcceptRisk  bool // journal.Options.AcceptFailedSyncRisk for --journal-dir
	Checkpoint  checkpointFlags
	// factories returns the connectors (tests substitute their own).
	factories func() []connector.TableFactory
}

func (c *sqlConfig) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&c.Parallelism, "parallelism", 1, "subtasks of every operator")
	f.StringVar(&c.JournalDir, "journal-dir", "", "open the journal in `DIR` (created when missing) for tables WITH ('connector' = 'journal')")
	addAcceptRiskFlag(cmd, &c.AcceptRisk)
	c.Checkpoint.register(f)
}

func (c *sqlConfig) validate(cmd *cobra.Command) error {
	if c.Parallelism < 1 || c.Parallelism > 256 {
		return usagef(cmd, "--parallelism must be between 1 and 256, got %d", c.Parallelism)
	}
	return c.Checkpoint.validate(cmd)
}

// runSQL executes a script: statement output and the rows of bare SELECTs
// go to w; an INSERT runs its job until it ends or ctx is canceled.
func runSQL(ctx context.Context, w io.Writer, c *sqlConfig, script string) error {
	var factories []connector.TableFactory
	if c.factories != nil {
		factories = c.factories()
	} else {
		var j *journal.Journal
		if c.JournalDir != "" {
			jj, closeJ, err := openJournalWith(c.JournalDir, true, journal.Options{AcceptFailedSyncRisk: c.AcceptRisk}, w)
			if err != nil {
				return err
			}
			defer closeJ()
			j = jj
		}
		factories = sqlFactories(w, j)
	}
	s := streamsql.NewSession(streamsql.Options{
		Factories:   factories,
		Parallelism: c.Parallelism,
		Checkpoints: c.Checkpoint.options(w),
		Restart:     c.Checkpoint.restart(),
		Out:         w,
		Execute: func(ctx context.Context, env *stream.Environment) error {
			cf := c.Checkpoint
			if ck := env.CheckpointOptions(); cf.Dir == "" && ck != nil {
				// Checkpoints from SET 'state.checkpoints.dir' and
				// 'execution.checkpointing.interval': the control
				// socket in that directory as with --checkpoint-dir.
				cf.Dir = ck.Dir
			}
			return executeWithControl(ctx, env, cf, w)
		},
	})
	// The Nexmark queries' UDFs, named by CREATE FUNCTION (q14).
	s.RegisterNexmarkFunctions()
	_, err := s.Exec(ctx, script)
	var se *streamsql.Error
	if errors.As(err, &se) {
		return errors.New(se.Pretty(script))
	}
	return err
}

func newRunCmd() *cobra.Command {
	c := &sqlConfig{}
	cmd := &cobra.Command{
		Use:   "run FILE.sql",
		Short: "Run a streaming SQL script",
		Long: `Run a script of streaming SQL statements (Flink's dialect) separated by ";":
CREATE TABLE/VIEW, SET, SHOW, DESCRIBE and EXPLAIN take effect at once;
INSERT INTO (and EXECUTE STATEMENT SET BEGIN ... END: one job writing several
tables) runs a job until its sources end or the command is interrupted. Tables
name their connector with WITH ('connector' = '...'). Checkpoints, restarts and
savepoints work as for every job command.`,
		Example: `  strom run job.sql --parallelism 4 --checkpoint-dir /tmp/ck`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := c.validate(cmd); err != nil {
				return err
			}
			src, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			return runSQL(cmd.Context(), cmd.OutOrStdout(), c, string(src))
		},
	}
	c.register(cmd)
	return cmd
}

func newSQLCmd() *cobra.Command {
	c := &sqlConfig{}
	cmd := &cobra.Command{
		Use:   "sql [-e STATEMENTS]",
		Short: "The SQL shell; or execute SQL statements (-e, or a script on standard input)",
		Long: `Without -e on a terminal, an interactive shell like Flink's SQL client:
statements end with ";" and may span lines, up and down arrows recall earlier
ones (kept in ~/.strom_sql_history, or $STROM_SQL_HISTORY), a SELECT shows its
result as a table that updates while the query runs (q or Ctrl-C stops it),
INSERT INTO starts a job in the background (SHOW JOBS; STOP JOB 'n'), HELP;
lists the commands and QUIT; or Ctrl-D leaves.

With -e, or with a script on standard input, the statements are executed like
'strom run'; a bare SELECT prints a header and then its rows, each with its
change kind (+I, -U, +U, -D), as they come, until the query ends or the
command is interrupted.`,
		Example: `  strom sql
  strom sql -e "CREATE TABLE t (...) WITH (...); SELECT a, COUNT(*) FROM t GROUP BY a"
  strom sql < script.sql`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := c.validate(cmd); err != nil {
				return err
			}
			if c.Exec != "" {
				return runSQL(cmd.Context(), cmd.OutOrStdout(), c, c.Exec)
			}
			in := cmd.InOrStdin()
			f, isFile := in.(*os.File)
			if !isFile || !term.IsTerminal(int(f.Fd())) {
				script, err := io.ReadAll(in)
				if err != nil {
					return fmt.Errorf("reading the SQL script from standard input: %w", err)
				}
				if strings.TrimSpace(string(script)) == "" {
					return usagef(cmd, "no statements: give -e STATEMENTS, a script on standard input, or run on a terminal for the shell")
				}
				return runSQL(cmd.Context(), cmd.OutOrStdout(), c, string(script))
			}
			if c.Checkpoint.Dir != "" {
				return usagef(cmd, "the interactive shell runs its jobs without checkpoints; use 'strom run FILE.sql --checkpoint-dir DIR' (or -e) for an exactly-once job")
			}
			fd := int(f.Fd())
			old, err := term.MakeRaw(fd)
			if err != nil {
				return fmt.Errorf("putting the terminal into raw mode: %w", err)
			}
			defer term.Restore(fd, old)
			return runShell(cmd.Context(), c, shellIO{in: f, out: cmd.OutOrStdout(), raw: true, size: func() (int, int) {
				w, h, err := term.GetSize(fd)
				if err != nil {
					return 80, 24
				}
				return w, h
			}})
		},
	}
	cmd.Flags().StringVarP(&c.Exec, "execute", "e", "", "the SQL statements to execute")
	c.register(cmd)
	return cmd
}
