package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSavepointCommand: 'strom savepoint --stop' stops a running 'nexmark
// run' with a savepoint; a run started from it at another parallelism
// finishes the job, and the result equals a run without the stop.
func TestSavepointCommand(t *testing.T) {
	dir := t.TempDir()
	gen := []string{"nexmark", "run", "--query", "q5", "--events", "400000", "--rate", "100000"}
	code, _, errOut := nxRun(t, append(gen, "--out", filepath.Join(dir, "golden.jsonl"))...)
	if code != 0 {
		t.Fatalf("golden run: exit %d: %s", code, errOut)
	}
	// /tmp keeps the socket path short (a Unix socket path has at most 107 bytes).
	ck, err := os.MkdirTemp("", "strom-sp-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(ck)
	out := filepath.Join(dir, "out.jsonl")
	job := append(slices.Clone(gen), "--rate-limited", "--parallelism", "2", "--checkpoint-dir", ck,
		"--checkpoint-interval", "100ms", "--out", out)
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		var o, e bytes.Buffer
		c := run(context.Background(), job, &o, &e)
		done <- result{c, e.String()}
	}()
	sock := filepath.Join(ck, "control.sock")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(ck, "chk-2")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint within 20s")
		}
	}
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("control socket: %v", err)
	}
	// A second job on the same checkpoint directory is refused.
	var o2, e2 bytes.Buffer
	if c := run(context.Background(), job, &o2, &e2); c != 1 || !strings.Contains(e2.String(), "another strom job is running") {
		t.Fatalf("second job on the same directory: exit %d: %s", c, e2.String())
	}
	sp := filepath.Join(dir, "sp")
	var so, se bytes.Buffer
	if c := run(context.Background(), []string{"savepoint", "--checkpoint-dir", ck, "--stop", sp}, &so, &se); c != 0 {
		t.Fatalf("strom savepoint: exit %d: %s", c, se.String())
	}
	if !strings.Contains(so.String(), "written to "+sp) {
		t.Fatalf("strom savepoint printed %q", so.String())
	}
	r := <-done
	if r.code != 0 || !strings.Contains(r.stderr, "stopped with a savepoint") {
		t.Fatalf("the stopped job: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatalf("control socket left behind: %v", err)
	}
	// Resume at parallelism 3 from the savepoint into a new checkpoint dir.
	ck2 := t.TempDir()
	resume := append(slices.Clone(gen), "--parallelism", "3", "--checkpoint-dir", ck2, "--control-socket", filepath.Join(ck, "c2.sock"),
		"--from-savepoint", sp, "--out", out)
	if code, _, errOut := nxRun(t, resume...); code != 0 || !strings.Contains(errOut, "restoring from savepoint") {
		t.Fatalf("resume: exit %d: %s", code, errOut)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "golden.jsonl"))
	got, _ := os.ReadFile(out)
	if !slices.Equal(sortLines(got), sortLines(want)) || len(want) == 0 {
		t.Fatalf("result after stop and resume differs:\n got %s\nwant %s", got, want)
	}
	// Nobody listens any more.
	var o3, e3 bytes.Buffer
	if c := run(context.Background(), []string{"savepoint", "--checkpoint-dir", ck, filepath.Join(dir, "sp3")}, &o3, &e3); c != 1 || !strings.Contains(e3.String(), "no running job") {
		t.Fatalf("savepoint without a job: exit %d: %s", c, e3.String())
	}
}

func sortLines(b []byte) []string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Sort(lines)
	return lines
}
