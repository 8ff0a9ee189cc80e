package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// checkpointIDs lists the complete checkpoints in dir, ascending.
func checkpointIDs(t *testing.T, dir string) []int64 {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var ids []int64
	for _, e := range ents {
		if s, ok := strings.CutPrefix(e.Name(), "chk-"); ok {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "_metadata")); err != nil {
				continue
			}
			if id, err := strconv.ParseInt(s, 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// flipByte flips one bit in the middle of a file.
func flipByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCorruptLatestCheckpoint (RELIABILITY P6): a job stopped in the middle
// whose newest checkpoint is corrupt restores from the one before it with a
// loud log line; the file sink rewinds the output that the corrupt
// checkpoint had committed, so the result still equals a run without
// faults. With no valid checkpoint the job refuses to start unless
// --allow-empty-state says otherwise.
func TestCorruptLatestCheckpoint(t *testing.T) {
	dir := t.TempDir()
	// q1 (every bid, converted) commits output with every checkpoint.
	gen := []string{"nexmark", "run", "--query", "q1", "--events", "150000", "--rate", "50000", "--parallelism", "2"}
	code, _, errOut := nxRun(t, append(slices.Clone(gen), "--out", filepath.Join(dir, "golden.jsonl"))...)
	if code != 0 {
		t.Fatalf("golden run: exit %d: %s", code, errOut)
	}
	ck := filepath.Join(dir, "ck")
	out := filepath.Join(dir, "out.jsonl")
	job := append(slices.Clone(gen), "--rate-limited", "--checkpoint-dir", ck, "--checkpoint-interval", "100ms",
		"--checkpoints-retained", "3", "--control-socket", filepath.Join(t.TempDir(), "c.sock"), "--out", out)

	// Run until a few checkpoints committed output, then stop (Ctrl-C).
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan string, 1)
	go func() {
		var o, e bytes.Buffer
		run(ctx, job, &o, &e)
		done <- e.String()
	}()
	for deadline := time.Now().Add(20 * time.Second); len(checkpointIDs(t, ck)) < 3 || committedParts(t, out+".parts") < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no three checkpoints within 20s")
		}
	}
	cancel()
	if e := <-done; !strings.Contains(e, "canceled") && !strings.Contains(e, "interrupted; the job stopped") {
		t.Fatalf("the stopped run: %s", e)
	}
	ids := checkpointIDs(t, ck)
	newest := ids[len(ids)-1]
	before := committedParts(t, out+".parts")
	flipByte(t, filepath.Join(ck, "chk-"+strconv.FormatInt(newest, 10), "_metadata"))

	code, _, errOut = nxRun(t, job...)
	if code != 0 {
		t.Fatalf("restart: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "CORRUPT checkpoint chk-"+strconv.FormatInt(newest, 10)) {
		t.Fatalf("no loud line about the corrupt checkpoint:\n%s", errOut)
	}
	if before == 0 {
		t.Fatal("nothing was committed before the stop")
	}
	want, _ := os.ReadFile(filepath.Join(dir, "golden.jsonl"))
	got, _ := os.ReadFile(out)
	if !slices.Equal(sortLines(got), sortLines(want)) {
		t.Fatalf("result after falling back differs:\n got %s\nwant %s", got, want)
	}

	// Every checkpoint corrupt: refuse, or start empty when told.
	for _, id := range checkpointIDs(t, ck) {
		flipByte(t, filepath.Join(ck, "chk-"+strconv.FormatInt(id, 10), "_metadata"))
	}
	out2 := filepath.Join(dir, "out2.jsonl")
	job2 := append(slices.Clone(job[:len(job)-1]), out2)
	code, _, errOut = nxRun(t, job2...)
	if code != 1 || !strings.Contains(errOut, "--allow-empty-state") {
		t.Fatalf("start with only corrupt checkpoints: exit %d: %s", code, errOut)
	}
	code, _, errOut = nxRun(t, append(job2, "--allow-empty-state")...)
	if code != 0 || !strings.Contains(errOut, "EMPTY state") {
		t.Fatalf("--allow-empty-state: exit %d: %s", code, errOut)
	}
	got, _ = os.ReadFile(out2)
	if !slices.Equal(sortLines(got), sortLines(want)) {
		t.Fatalf("result from empty state differs:\n got %s\nwant %s", got, want)
	}
}

// committedParts counts the visible part files in dir.
func committedParts(t *testing.T, dir string) int {
	ents, _ := os.ReadDir(dir)
	n := 0
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "part-") {
			n++
		}
	}
	return n
}
