package cli

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// TestCheckpointPauseAndConcurrencyFlags: every job command takes
// --checkpoint-min-pause and --checkpoint-max-concurrent, refuses them
// without --checkpoint-dir, a negative pause and fewer than one
// concurrent checkpoint (exit 2, naming the flag), and hands them to the
// job's checkpoint options (a pause with several concurrent checkpoints is
// valid, as in Flink: the pause counts from the latest completion).
func TestCheckpointPauseAndConcurrencyFlags(t *testing.T) {
	// strom server and strom demo take them as their jobs' defaults,
	// strom job submit per job (TestCheckpointPauseAndConcurrency in
	// internal/server: they reach the job).
	for _, cmd := range [][]string{{"nexmark", "run"}, {"run"}, {"sql"}, {"example"}, {"kafka", "pipe"}, {"server"}, {"demo"}, {"job", "submit"}} {
		_, help, _ := nxRun(t, append(cmd, "--help")...)
		for _, f := range []string{"--checkpoint-min-pause", "--checkpoint-max-concurrent"} {
			if !strings.Contains(help, f) {
				t.Errorf("strom %s --help does not list %s", strings.Join(cmd, " "), f)
			}
		}
	}
	dir := t.TempDir()
	nx := []string{"nexmark", "run", "--query", "q1", "--events", "10", "--out", dir + "/out.jsonl"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--checkpoint-min-pause", "1s"}, "--checkpoint-min-pause needs --checkpoint-dir"},
		{[]string{"--checkpoint-max-concurrent", "2"}, "--checkpoint-max-concurrent needs --checkpoint-dir"},
		{[]string{"--checkpoint-dir", t.TempDir(), "--checkpoint-min-pause", "-1s"}, "--checkpoint-min-pause must not be negative, got -1s"},
		{[]string{"--checkpoint-dir", t.TempDir(), "--checkpoint-max-concurrent", "0"}, "--checkpoint-max-concurrent must be at least 1, got 0"},
		{[]string{"--checkpoint-dir", t.TempDir(), "--checkpoint-max-concurrent", "-3"}, "--checkpoint-max-concurrent must be at least 1, got -3"},
	} {
		code, _, stderr := nxRun(t, append(append([]string(nil), nx...), c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, %q; want exit 2 and %q", c.args, code, stderr, c.want)
		}
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"server", "--checkpoint-min-pause", "-1s"}, "--checkpoint-min-pause must not be negative, got -1s"},
		{[]string{"server", "--checkpoint-max-concurrent", "0"}, "--checkpoint-max-concurrent must be between 1 and 16, got 0"},
		{[]string{"demo", "--checkpoint-max-concurrent", "17"}, "--checkpoint-max-concurrent must be between 1 and 16, got 17"},
	} {
		code, _, stderr := nxRun(t, append(c.args, "--data-dir", t.TempDir())...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, %q; want exit 2 and %q", c.args, code, stderr, c.want)
		}
	}

	// The values reach the job's options (both set, or the defaults).
	cmd := &cobra.Command{Use: "job"}
	var cf checkpointFlags
	cf.register(cmd.Flags())
	if err := cmd.ParseFlags([]string{"--checkpoint-dir", "ck", "--checkpoint-min-pause", "1500ms", "--checkpoint-max-concurrent", "3"}); err != nil {
		t.Fatal(err)
	}
	if err := cf.validate(cmd); err != nil {
		t.Fatal(err)
	}
	if o := cf.options(io.Discard); o.MinPause != 1500*time.Millisecond || o.MaxConcurrent != 3 || o.BufferedStateWrites {
		t.Fatalf("options: min pause %v, max concurrent %d, buffered state writes %v; want 1.5s, 3, false", o.MinPause, o.MaxConcurrent, o.BufferedStateWrites)
	}
	if err := cmd.ParseFlags([]string{"--checkpoint-direct-io=false"}); err != nil {
		t.Fatal(err)
	}
	if o := cf.options(io.Discard); !o.BufferedStateWrites {
		t.Fatal("--checkpoint-direct-io=false: the state files are not written through the page cache")
	}
	if o := (checkpointFlags{Dir: "ck", MaxConcurrent: 1}).options(io.Discard); o.MinPause != 0 || o.MaxConcurrent != 1 {
		t.Fatalf("default options: min pause %v, max concurrent %d; want 0, 1", o.MinPause, o.MaxConcurrent)
	}
}
