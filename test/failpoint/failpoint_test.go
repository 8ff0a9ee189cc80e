// Package failpoint_test is RELIABILITY.md P4: it crashes the real strom
// binary at every failpoint of the checkpoint and two-phase-commit protocol
// (internal/failpoint) in the middle of a checkpointed Nexmark run, restarts
// it without the failpoint, and checks that the result equals a fault-free
// golden run, that a commit pending at the crash was re-committed (the
// result is complete) and that no staged part file is left.
//
// The short tier (this file) crashes at every failpoint twice; the long
// tier (build tag chaos) uses 10 seeds per failpoint and query, and chains
// of several crashes in one run:
//
//	go test -race ./test/failpoint/
//	go test -tags chaos -timeout 30m -parallel 6 -run Long ./test/failpoint/
package failpoint_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/failpoint"
	"github.com/stromio/strom/internal/vfs"
)

// binary is the strom binary TestMain builds.
var binary string

func TestMain(m *testing.M) {
	if runtime.GOOS == "windows" {
		fmt.Println("skipped: the failpoints kill with SIGKILL")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "strom-failpoint-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "strom")
	out, err := exec.Command("go", "build", "-o", binary, "github.com/stromio/strom/cmd/strom").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runArgs are the flags of every run; the data (and so the golden result)
// depend on the query only. Two splits: with one split the second source
// subtask would finish at once, and the job takes no checkpoint after a
// subtask finished (only the end-of-input one), so there would be nothing
// in the middle of the run to crash at.
func runArgs(query, out string) []string {
	return []string{"nexmark", "run", "--query", query, "--events", "200000", "--rate", "100000",
		"--splits", "2", "--rate-limited", "--parallelism", "2", "--out", out}
}

func ckptArgs(query, out, dir string) []string {
	return append(runArgs(query, out), "--checkpoint-dir", dir, "--checkpoint-interval", "100ms")
}

// perCheckpoint is about how often a failpoint is hit per checkpoint of a
// run with parallelism 2 (the crash hit is chosen as a checkpoint number
// times this; a run that ends before it is retried with half the count).
var perCheckpoint = map[string]int{
	"source-barrier":       2, // two source subtasks
	"sink-precommit":       2, // two sink subtasks
	"snapshot-handed-over": 6, // every subtask
	"snapshot-written":     2,
}

// mustRestore are the failpoints after which a complete checkpoint exists,
// so the run after the crash restores one.
var mustRestore = map[string]bool{
	"metadata-committed": true, "sink-commit-before": true, "sink-commit-after": true,
	"retain-before": true, "checkpoint-delete": true, "retain-after": true,
	"restore-rewound": true, "restore-recommitted": true, "restore-aborted": true,
}

// commitRelated failpoints are also run with the window join q8.
var commitRelated = map[string]bool{
	"sink-precommit": true, "metadata-committed": true, "sink-commit-before": true, "sink-commit-after": true,
	"restore-rewound": true, "restore-recommitted": true, "restore-aborted": true,
}

// result runs the binary and reports how it ended.
type result struct {
	err            error
	stderr         string
	killed, exited bool
}

func run(t *testing.T, env string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = os.Environ()
	if env != "" {
		cmd.Env = append(cmd.Env, failpoint.EnvVar+"="+env)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	r := result{err: err, stderr: stderr.String(), exited: err == nil}
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		ws := ee.Sys().(syscall.WaitStatus)
		r.killed = ws.Signaled() && ws.Signal() == syscall.SIGKILL
	}
	if ctx.Err() != nil {
		t.Fatalf("strom %v (%s=%s) did not end within 2 minutes; stderr:\n%s", args, failpoint.EnvVar, env, r.stderr)
	}
	return r
}

// crash runs with failpoint name at about checkpoint cp: it must die there
// by SIGKILL. A run that ends before the hit is retried
// from scratch (reset) with half the count (a slow machine takes fewer
// checkpoints, and q5 and q8 commit only at the end). It returns the hit it
// died at.
func crash(t *testing.T, name string, hit int, args []string, reset func()) int {
	t.Helper()
	for ; hit >= 1; hit /= 2 {
		spec := fmt.Sprintf("%s@%d", name, hit)
		r := run(t, spec, args...)
		switch {
		case r.killed:
			if !strings.Contains(r.stderr, "failpoint "+name+" hit\n") {
				t.Fatalf("%s: killed without the failpoint line; stderr:\n%s", spec, r.stderr)
			}
			return hit
		case r.exited:
			t.Logf("%s: the run ended before the hit; retrying earlier", spec)
			reset()
		default:
			t.Fatalf("%s: strom failed (%v) instead of dying at the failpoint; stderr:\n%s", spec, r.err, r.stderr)
		}
	}
	t.Fatalf("failpoint %s was never hit", name)
	return 0
}

// scenario crashes one run of query at failpoint fp (at a hit chosen by
// seed), completes it without the failpoint and checks the result.
func scenario(t *testing.T, query, fp string, seed uint64) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(seed, uint64(len(fp))))
	dir := t.TempDir()
	out, ckdir := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "ckpt")
	args := ckptArgs(query, out, ckdir)
	reset := func() {
		for _, p := range []string{out, out + ".parts", ckdir} {
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	cp := 2 + rng.IntN(12) // of about 20 checkpoints in the 2 s run
	switch fp {
	case "restore-rewound", "restore-recommitted", "restore-aborted":
		// First leave a completed checkpoint whose commit is pending (q5 and
		// q8 only write at the end: their first commit is the final one),
		// then crash in the restore, then complete.
		if query != "q3" {
			cp = 1
		}
		crash(t, "sink-commit-before", cp, args, reset)
		crash(t, fp, 1, args, func() { t.Fatalf("the restore after a crash at sink-commit-before did not reach %s", fp) })
	case "sink-commit-before", "sink-commit-after":
		if query != "q3" {
			cp = 1 // q5 and q8 write only at the end: one commit
		}
		crash(t, fp, cp, args, reset)
	default:
		crash(t, fp, cp*max(perCheckpoint[fp], 1), args, reset)
	}
	latest, committed := latestCommittables(t, ckdir)
	pending := 0
	for _, f := range committed {
		if _, err := os.Stat(filepath.Join(out+".parts", f.Partition, f.Final)); err != nil {
			pending++
		}
	}
	if fp == "sink-commit-before" && len(committed) > 0 && pending == 0 {
		t.Errorf("crashed before the sink commit of checkpoint %d, but its %d part files are all visible already", latest, len(committed))
	}
	t.Logf("crashed; latest complete checkpoint %d with %d part files, %d of them not committed yet", latest, len(committed), pending)
	r := run(t, "", args...)
	if !r.exited {
		t.Fatalf("the run after the crash failed: %v; stderr:\n%s", r.err, r.stderr)
	}
	if mustRestore[fp] && !strings.Contains(r.stderr, "restoring from checkpoint") {
		t.Errorf("the run after a crash at %s did not restore a checkpoint; stderr:\n%s", fp, r.stderr)
	}
	checkNoStaged(t, out+".parts")
	// The transactions of the checkpoint restored were committed again.
	for _, f := range committed {
		fi, err := os.Stat(filepath.Join(out+".parts", f.Partition, f.Final))
		if err != nil || fi.Size() != f.Size {
			t.Errorf("part file %s of restored checkpoint %d was not (re-)committed: %v", f.Final, latest, err)
		}
	}
	checkGolden(t, query, out)
}

// latestCommittables returns the newest complete checkpoint in dir (0:
// none) and the part files its sink committables name.
func latestCommittables(t *testing.T, dir string) (int64, []file.StagedFile) {
	t.Helper()
	m, err := checkpoint.NewLocal(vfs.OS{}, dir).LoadLatest(context.Background(), t.Logf)
	if errors.Is(err, checkpoint.ErrNoCheckpoint) {
		return 0, nil
	} else if err != nil {
		t.Fatalf("checkpoint after the crash: %v", err)
	}
	var files []file.StagedFile
	for _, op := range m.Operators {
		for _, b := range op.Subtasks {
			if c, err := file.DecodeCommittable(b); err == nil && len(b) > 0 {
				files = append(files, c.Files...)
			}
		}
	}
	return m.ID, files
}

// checkNoStaged: no transaction is left open, every staged part file was
// committed or aborted (docs/format/file-sink.md §1: staged names are
// hidden "*.inprogress").
func checkNoStaged(t *testing.T, parts string) {
	t.Helper()
	var staged []string
	err := filepath.WalkDir(parts, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if n := d.Name(); strings.HasSuffix(n, ".inprogress") || (p != parts && strings.HasPrefix(n, ".")) {
			staged = append(staged, p)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if len(staged) > 0 {
		t.Errorf("staged part files left after the final run: %v", staged)
	}
}

var goldens sync.Map // query -> *golden

type golden struct {
	once  sync.Once
	lines []string
	err   error
}

// goldenLines is the fault-free result of query (no checkpoints), sorted.
func goldenLines(t *testing.T, query string) []string {
	t.Helper()
	v, _ := goldens.LoadOrStore(query, &golden{})
	g := v.(*golden)
	g.once.Do(func() {
		dir, err := os.MkdirTemp("", "strom-golden-")
		if err != nil {
			g.err = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "golden.jsonl")
		if b, err := exec.Command(binary, runArgs(query, out)...).CombinedOutput(); err != nil {
			g.err = fmt.Errorf("golden run: %v\n%s", err, b)
			return
		}
		g.lines, g.err = readLines(out)
	})
	if g.err != nil {
		t.Fatal(g.err)
	}
	if len(g.lines) == 0 {
		t.Fatalf("the golden result of %s is empty", query)
	}
	return g.lines
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), nil
}

// checkGolden: the result is the golden multiset (nothing lost, nothing
// duplicated), and where the query has a per-key order it is kept.
func checkGolden(t *testing.T, query, out string) {
	t.Helper()
	want := goldenLines(t, query)
	got, err := readLines(out)
	if err != nil {
		t.Fatal(err)
	}
	if ko := keyOrder[query]; ko != nil {
		checkKeyOrder(t, ko, got)
	}
	got = slices.Clone(got)
	want = slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	if slices.Equal(got, want) {
		return
	}
	missing, extra := diff(want, got)
	t.Errorf("%s result differs from the golden one: %d rows, want %d; %d missing (e.g. %q), %d extra or duplicated (e.g. %q)",
		query, len(got), len(want), len(missing), first(missing), len(extra), first(extra))
}

// keyOrder gives, per query with a per-key order, a row's key and its
// position in that order. q8: every person id's windows come out of one
// window operator subtask, in event-time order.
var keyOrder = map[string]func(row []byte) (key string, pos int64, err error){
	"q8": func(row []byte) (string, int64, error) {
		var r struct {
			ID          int64 `json:"id"`
			WindowStart int64 `json:"window_start"`
		}
		err := json.Unmarshal(row, &r)
		return fmt.Sprint(r.ID), r.WindowStart, err
	},
}

func checkKeyOrder(t *testing.T, ko func([]byte) (string, int64, error), rows []string) {
	t.Helper()
	last := map[string]int64{}
	for i, row := range rows {
		k, pos, err := ko([]byte(row))
		if err != nil {
			t.Fatalf("row %d %q: %v", i, row, err)
		}
		if p, ok := last[k]; ok && pos <= p {
			t.Errorf("row %d %q: key %s out of order (%d after %d)", i, row, k, pos, p)
			return
		}
		last[k] = pos
	}
}

// diff returns the rows of the sorted want missing from the sorted got and
// the rows of got not in want (duplicates count).
func diff(want, got []string) (missing, extra []string) {
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || (i < len(want) && want[i] < got[j]):
			missing = append(missing, want[i])
			i++
		case i == len(want) || got[j] < want[i]:
			extra = append(extra, got[j])
			j++
		default:
			i, j = i+1, j+1
		}
	}
	return missing, extra
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// TestEveryFailpointNamed: the scenarios cover every failpoint.
func TestEveryFailpointNamed(t *testing.T) {
	for _, n := range failpoint.Names {
		if _, err := failpoint.Enable(n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := failpoint.Enable(""); err != nil {
		t.Fatal(err)
	}
}

// TestCrashAtEveryFailpoint is the short tier: every failpoint once with
// q3 (an unwindowed join that commits output at every checkpoint) and once
// with q5 (hot items; output only at the end, so its commit is the final
// checkpoint's) or, for the commit-related ones, with the window join q8.
func TestCrashAtEveryFailpoint(t *testing.T) {
	for _, fp := range failpoint.Names {
		second := "q5"
		if commitRelated[fp] {
			second = "q8"
		}
		for i, q := range []string{"q3", second} {
			t.Run(fp+"/"+q, func(t *testing.T) { scenario(t, q, fp, uint64(i+1)) })
		}
	}
}
