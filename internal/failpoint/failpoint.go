// Package failpoint crashes the process at a named step of the checkpoint
// and two-phase-commit protocol (and of `strom server`'s savepoints), so
// that tests can check recovery from a crash exactly there (RELIABILITY.md
// P4).
//
// A failpoint is selected by the environment variable STROM_FAILPOINT,
// read once when the process starts:
//
//	STROM_FAILPOINT=NAME      crash at the first hit of NAME
//	STROM_FAILPOINT=NAME@N    crash at the N-th hit of NAME (N >= 1; hits of
//	                          all goroutines of the process are counted)
//
// At the selected hit, Hit writes the line "failpoint NAME hit" to standard
// error and kills the process with SIGKILL: no deferred function runs, no
// buffer is flushed, no file is closed or synced by the process, exactly as
// in a crash. An unknown name or a malformed count makes the process exit
// with status 2 at start, so that a typo never runs a test without its
// crash. Without the variable, Hit is one atomic load.
//
// The failpoints (see Names), in the order a checkpoint passes them:
//
//	source-barrier        internal/task: a source subtask took a trigger, before
//	                      it snapshots its chain and emits the barrier
//	sink-precommit        internal/operator: a sink's PreCommit returned its
//	                      committable (staged files fsynced, not yet in a checkpoint)
//	snapshot-handed-over  internal/task: a subtask handed its snapshot to the
//	                      coordinator, before it forwards the barrier
//	snapshot-written      internal/cluster: the uploader wrote a keyed state file
//	                      (Storage.WriteFile returned), before the acknowledgement
//	metadata-committed    internal/cluster: Storage.CommitMetadata returned (the
//	                      checkpoint is complete), before any sink commits
//	sink-commit-before    internal/cluster: before a sink's Committer.Commit of a
//	                      completed checkpoint (once per sink)
//	sink-commit-after     internal/cluster: after a sink's Commit returned (between
//	                      the commits of several sinks, and before retention)
//	retain-before         internal/cluster: before Storage.Retain prunes old checkpoints
//	checkpoint-delete     internal/checkpoint: Retain removed the metadata of the
//	                      checkpoints it subsumes, before it removes any of their
//	                      files (and Local.Delete a checkpoint's metadata, before
//	                      it removes the rest of its directory)
//	retain-after          internal/cluster: after Storage.Retain returned
//	restore-rewound       internal/cluster: at a restore, a sink's RewindTo (output of
//	                      later checkpoints taken back) returned
//	restore-recommitted   internal/cluster: at a restore, a sink's Commit of the
//	                      restored checkpoint's committables returned
//	restore-aborted       internal/cluster: at a start, a sink's AbortExcept of
//	                      stale transactions returned, before any writer opens
//	savepoint-written     internal/server: a savepoint taken over the API is in
//	                      savepoints/<name>/, before its <name>.json is written
//
// For in-process tests, Enable selects a failpoint that panics with a
// *Crash instead of killing the process.
package failpoint

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Names are the failpoints of the checkpoint protocol (see the package
// documentation).
var Names = []string{
	"source-barrier",
	"sink-precommit",
	"snapshot-handed-over",
	"snapshot-written",
	"metadata-committed",
	"sink-commit-before",
	"sink-commit-after",
	"retain-before",
	"checkpoint-delete",
	"retain-after",
	"restore-rewound",
	"restore-recommitted",
	"restore-aborted",
}

// ServerNames are the failpoints of `strom server` (see the package
// documentation); they are not in Names, whose every entry
// test/failpoint crashes a checkpointed job at.
var ServerNames = []string{
	"savepoint-written",
}

// EnvVar is the environment variable that selects a failpoint.
const EnvVar = "STROM_FAILPOINT"

type config struct {
	name  string
	nth   int64
	hits  atomic.Int64
	panic bool
}

var active atomic.Pointer[config]

func init() {
	spec := os.Getenv(EnvVar)
	if spec == "" {
		return
	}
	c, err := parse(spec)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q: %v\n", EnvVar, spec, err)
		os.Exit(2)
	}
	active.Store(c)
}

// parse reads NAME or NAME@N.
func parse(spec string) (*config, error) {
	name, count, hasCount := strings.Cut(spec, "@")
	c := &config{name: name, nth: 1}
	if !slices.Contains(Names, name) && !slices.Contains(ServerNames, name) {
		return nil, fmt.Errorf("unknown failpoint %q (known: %s)", name, strings.Join(append(slices.Clip(Names), ServerNames...), ", "))
	}
	if hasCount {
		n, err := strconv.ParseInt(count, 10, 64)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("the hit count after @ must be an integer >= 1, got %q", count)
		}
		c.nth = n
	}
	return c, nil
}

// Hit marks that the process reached failpoint name; it crashes the process
// when name is the selected failpoint and this is its selected hit.
func Hit(name string) {
	c := active.Load()
	if c == nil || c.name != name {
		return
	}
	if c.hits.Add(1) != c.nth {
		return
	}
	fmt.Fprintf(os.Stderr, "failpoint %s hit\n", name)
	if c.panic {
		panic(&Crash{Name: name, Hit: c.nth})
	}
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Kill() // SIGKILL on Unix
	}
	// The signal is on its way; should it not be, end the process anyway
	// without running deferred functions.
	time.Sleep(5 * time.Second)
	os.Exit(137)
}

// Crash is the panic value of a failpoint selected with Enable.
type Crash struct {
	Name string
	Hit  int64
}

func (c *Crash) Error() string { return fmt.Sprintf("failpoint %s hit (hit %d)", c.Name, c.Hit) }

// Enable selects a failpoint by spec (NAME or NAME@N, as in STROM_FAILPOINT)
// that panics with a *Crash instead of killing the process, for tests that
// run a job in process; the returned func deselects it. An empty spec
// deselects every failpoint.
func Enable(spec string) (restore func(), err error) {
	prev := active.Load()
	if spec == "" {
		active.Store(nil)
		return func() { active.Store(prev) }, nil
	}
	c, err := parse(spec)
	if err != nil {
		return nil, err
	}
	c.panic = true
	active.Store(c)
	return func() { active.Store(prev) }, nil
}

// Hits returns how often the selected failpoint was hit so far (0 when none
// is selected).
func Hits() int64 {
	if c := active.Load(); c != nil {
		return c.hits.Load()
	}
	return 0
}
