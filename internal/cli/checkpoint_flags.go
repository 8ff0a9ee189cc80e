package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stromio/strom/internal/server"
	"github.com/stromio/strom/stream"
)

// checkpointFlags are the checkpoint flags of every command that runs a job.
type checkpointFlags struct {
	Dir                   string
	Interval              time.Duration
	Timeout               time.Duration
	MinPause              time.Duration
	MaxConcurrent         int
	Retained              int
	AllowEmptyState       bool
	AllowNonRestoredState bool
	RestartAttempts       int
	RestartDelay          time.Duration
	RestartBackoff        float64
	FromSavepoint         string
	ControlSocket         string
	Incremental           bool
	DirectIO              bool
}

// directIOUsage is the help of --checkpoint-direct-io.
const directIOUsage = "write the checkpoints' state files past the operating system's page cache (O_DIRECT on Linux, where the filesystem allows it): less CPU per checkpoint and no memory traffic of a copy beside the job; a restore then reads them from the disk, not from memory (false: through the page cache)"

func (c *checkpointFlags) register(f *pflag.FlagSet) {
	f.StringVar(&c.Dir, "checkpoint-dir", "", "take checkpoints into `DIR` (a directory, or s3://BUCKET/PREFIX with credentials and endpoint from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, STROM_S3_ENDPOINT); started again after a crash, the job resumes from the latest valid one there")
	f.DurationVar(&c.Interval, "checkpoint-interval", time.Second, "time between two checkpoints")
	f.DurationVar(&c.Timeout, "checkpoint-timeout", 10*time.Minute, "abandon a checkpoint that takes longer")
	f.DurationVar(&c.MinPause, "checkpoint-min-pause", 0, "least time from the completion of a checkpoint to the start of the next; a periodic checkpoint due earlier starts when the pause is over, and the interval counts from there (Flink's execution.checkpointing.min-pause; 0: none)")
	f.IntVar(&c.MaxConcurrent, "checkpoint-max-concurrent", 1, "checkpoints in flight at once, at most `N`: a periodic checkpoint due while N are pending is skipped (Flink's execution.checkpointing.max-concurrent-checkpoints)")
	f.IntVar(&c.Retained, "checkpoints-retained", 2, "complete checkpoints kept in --checkpoint-dir (older ones stop being checkpoints; of their files only those the kept ones' incremental chains use stay)")
	f.BoolVar(&c.AllowEmptyState, "allow-empty-state", false, "start from empty state when --checkpoint-dir holds checkpoints but none is valid")
	f.BoolVar(&c.AllowNonRestoredState, "allow-non-restored-state", false, "drop checkpointed state of operators the job no longer has")
	f.IntVar(&c.RestartAttempts, "restart-attempts", 0, "restart a failed job from its latest checkpoint up to `N` times in a row")
	f.DurationVar(&c.RestartDelay, "restart-delay", time.Second, "wait before the first restart")
	f.Float64Var(&c.RestartBackoff, "restart-backoff", 2, "multiply the wait by this after each restart, up to a minute (1: a fixed delay)")
	f.StringVar(&c.FromSavepoint, "from-savepoint", "", "start from the savepoint in `DIR` (also at another parallelism); a crashed run started so resumes from its own checkpoints")
	f.BoolVar(&c.Incremental, "checkpoint-incremental", true, "write only the keyed state changed since the previous completed checkpoint, referencing the older files (false: the whole state every checkpoint)")
	f.BoolVar(&c.DirectIO, "checkpoint-direct-io", true, directIOUsage)
	f.StringVar(&c.ControlSocket, "control-socket", "", "listen for 'strom savepoint' requests on this Unix socket `PATH` (default: control.sock in --checkpoint-dir; for an s3:// --checkpoint-dir a socket in the temporary directory named after it, printed at start)")
}

func (c checkpointFlags) validate(cmd *cobra.Command) error {
	set := func(name string) bool { return cmd.Flags().Changed(name) }
	if c.Dir == "" {
		for _, f := range []string{"checkpoint-interval", "checkpoint-timeout", "checkpoint-min-pause", "checkpoint-max-concurrent", "checkpoints-retained", "allow-empty-state",
			"allow-non-restored-state", "restart-attempts", "restart-delay", "restart-backoff", "from-savepoint", "control-socket", "checkpoint-incremental", "checkpoint-direct-io"} {
			if set(f) {
				return usagef(cmd, "--%s needs --checkpoint-dir", f)
			}
		}
		return nil
	}
	switch {
	case c.Interval < time.Millisecond:
		return usagef(cmd, "--checkpoint-interval must be at least 1ms, got %v", c.Interval)
	case c.Timeout < c.Interval:
		return usagef(cmd, "--checkpoint-timeout (%v) must not be below --checkpoint-interval (%v)", c.Timeout, c.Interval)
	case c.MinPause < 0:
		return usagef(cmd, "--checkpoint-min-pause must not be negative, got %v", c.MinPause)
	case c.MaxConcurrent < 1:
		return usagef(cmd, "--checkpoint-max-concurrent must be at least 1, got %d", c.MaxConcurrent)
	case c.Retained < 1:
		return usagef(cmd, "--checkpoints-retained must be at least 1, got %d", c.Retained)
	case c.RestartAttempts < 0 || c.RestartDelay < 0:
		return usagef(cmd, "--restart-attempts and --restart-delay must not be negative")
	case c.RestartBackoff < 1:
		return usagef(cmd, "--restart-backoff must be at least 1 (1: a fixed delay), got %v", c.RestartBackoff)
	}
	return nil
}

// options are the stream checkpoint options (nil without --checkpoint-dir).
func (c checkpointFlags) options(stderr io.Writer) *stream.CheckpointOptions {
	if c.Dir == "" {
		return nil
	}
	return &stream.CheckpointOptions{Dir: c.Dir, Interval: c.Interval, Timeout: c.Timeout, MinPause: c.MinPause,
		MaxConcurrent: c.MaxConcurrent, Retained: c.Retained,
		AllowEmptyState: c.AllowEmptyState, AllowNonRestoredState: c.AllowNonRestoredState, FromSavepoint: c.FromSavepoint,
		FullCheckpoints: !c.Incremental, BufferedStateWrites: !c.DirectIO,
		Logf: func(format string, args ...any) { fmt.Fprintf(stderr, "strom: "+format+"\n", args...) }}
}

func (c checkpointFlags) restart() *stream.RestartStrategy {
	if c.Dir == "" || c.RestartAttempts == 0 {
		return nil
	}
	return &stream.RestartStrategy{MaxAttempts: c.RestartAttempts, Delay: c.RestartDelay, MaxDelay: time.Minute, Backoff: c.RestartBackoff}
}

// assembleParts writes the committed part files of dir (part-<subtask>-
// <checkpoint>-<n>.<ext>) into out, in checkpoint, subtask, n order,
// atomically (temporary file, fsync, rename), and returns the number of
// lines. Staged (uncommitted) files are not part of the output.
func assembleParts(dir, out string) (int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return 0, err
	}
	type part struct {
		name     string
		cp, s, n int64
	}
	var parts []part
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, "part-") {
			continue
		}
		f := strings.Split(strings.TrimSuffix(name, filepath.Ext(name)), "-")
		if len(f) != 4 {
			continue
		}
		s, err1 := strconv.ParseInt(f[1], 10, 64)
		cp, err2 := strconv.ParseInt(f[2], 10, 64)
		n, err3 := strconv.ParseInt(f[3], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		parts = append(parts, part{name, cp, s, n})
	}
	slices.SortFunc(parts, func(a, b part) int {
		switch {
		case a.cp != b.cp:
			return cmpInt(a.cp, b.cp)
		case a.s != b.s:
			return cmpInt(a.s, b.s)
		}
		return cmpInt(a.n, b.n)
	})
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp)
	w := bufio.NewWriterSize(f, 1<<20)
	var lines int64
	for _, p := range parts {
		data, err := os.ReadFile(filepath.Join(dir, p.name))
		if err != nil {
			f.Close()
			return 0, err
		}
		for _, c := range data {
			if c == '\n' {
				lines++
			}
		}
		w.Write(data)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, out); err != nil {
		return 0, err
	}
	if d, err := os.Open(filepath.Dir(out)); err == nil {
		d.Sync()
		d.Close()
	}
	return lines, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// registerServerCheckpointFlags registers --checkpoint-min-pause and
// --checkpoint-max-concurrent of a command that runs a server (strom server,
// strom demo): the defaults of its jobs, which 'strom job submit' may
// override per job; and --checkpoint-direct-io, for all its jobs.
func registerServerCheckpointFlags(f *pflag.FlagSet, minPause *time.Duration, maxConcurrent *int, directIO *bool) {
	f.BoolVar(directIO, "checkpoint-direct-io", true, directIOUsage+"; for every job of the server")
	f.DurationVar(minPause, "checkpoint-min-pause", 0, "least time from the completion of a checkpoint to the start of the next, for jobs that give none (Flink's execution.checkpointing.min-pause; 0: none)")
	f.IntVar(maxConcurrent, "checkpoint-max-concurrent", 1, "checkpoints in flight at once, at most `N`, for jobs that give none (Flink's execution.checkpointing.max-concurrent-checkpoints)")
}

// checkServerCheckpointFlags checks the flags of registerServerCheckpointFlags.
func checkServerCheckpointFlags(cmd *cobra.Command, minPause time.Duration, maxConcurrent int) error {
	if minPause < 0 {
		return usagef(cmd, "--checkpoint-min-pause must not be negative, got %v", minPause)
	}
	if maxConcurrent < 1 || maxConcurrent > server.MaxCheckpointsConcurrent {
		return usagef(cmd, "--checkpoint-max-concurrent must be between 1 and %d, got %d", server.MaxCheckpointsConcurrent, maxConcurrent)
	}
	return nil
}
