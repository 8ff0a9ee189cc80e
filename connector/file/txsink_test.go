package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
)

// fakeJob drives a TransactionalSink as the engine does: one writer per
// subtask, a barrier calls PreCommit on every writer, a completed
// checkpoint is stored and then committed, and a restore commits the
// restored checkpoint's committables again and aborts everything else
// before the writers open.
type fakeJob[T any] struct {
	t     *testing.T
	sink  *TransactionalSink[T]
	ws    []connector.TransactionalWriter[T]
	store map[int64][][]byte // the checkpoint store: completed checkpoints
}

// startJob restores checkpoint restore from store (0: a fresh start) and
// opens parallelism writers.
func startJob[T any](t *testing.T, opts TransactionalSinkOptions[T], parallelism int, store map[int64][][]byte, restore int64) *fakeJob[T] {
	t.Helper()
	sink, err := NewTransactionalSink(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	keep := store[restore]
	if restore > 0 {
		if err := sink.RewindTo(ctx, restore, keep); err != nil {
			t.Fatalf("rewind: %v", err)
		}
	}
	if err := sink.Commit(ctx, keep); err != nil {
		t.Fatalf("restore commit: %v", err)
	}
	if err := sink.AbortExcept(ctx, keep); err != nil {
		t.Fatalf("abort: %v", err)
	}
	j := &fakeJob[T]{t: t, sink: sink, store: store}
	for i := range parallelism {
		w, err := sink.Open(ctx, connector.SinkInfo{Subtask: i, Parallelism: parallelism})
		if err != nil {
			t.Fatal(err)
		}
		tw, ok := w.(connector.TransactionalWriter[T])
		if !ok {
			t.Fatalf("writer %T is not transactional", w)
		}
		j.ws = append(j.ws, tw)
		t.Cleanup(func() { _ = tw.Close() })
	}
	return j
}

func (j *fakeJob[T]) write(subtask int, recs ...T) {
	j.t.Helper()
	for _, r := range recs {
		if err := j.ws[subtask].Write(r, 0); err != nil {
			j.t.Fatal(err)
		}
	}
}

// barrier runs PreCommit on every writer and returns the non-nil committables.
func (j *fakeJob[T]) barrier(id int64) [][]byte {
	j.t.Helper()
	var cs [][]byte
	for _, w := range j.ws {
		c, err := w.PreCommit(context.Background(), id)
		if err != nil {
			j.t.Fatalf("PreCommit(%d): %v", id, err)
		}
		if c != nil {
			cs = append(cs, c)
		}
	}
	return cs
}

// checkpoint runs a barrier, stores the checkpoint as completed and commits.
func (j *fakeJob[T]) checkpoint(id int64) [][]byte {
	j.t.Helper()
	cs := j.barrier(id)
	j.store[id] = cs
	if err := j.sink.Commit(context.Background(), cs); err != nil {
		j.t.Fatalf("Commit(%d): %v", id, err)
	}
	return cs
}

// visible returns the visible files under dir (relative, '/'-separated) and
// their contents; stagedFiles returns the hidden staged ones.
func visible(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	walkFiles(t, dir, func(rel string, hidden bool) {
		if !hidden {
			b, err := os.ReadFile(filepath.Join(dir, rel))
			if err != nil {
				t.Fatal(err)
			}
			out[rel] = string(b)
		}
	})
	return out
}

func stagedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	walkFiles(t, dir, func(rel string, hidden bool) {
		if hidden {
			out = append(out, rel)
		}
	})
	return out
}

func walkFiles(t *testing.T, dir string, fn func(rel string, hidden bool)) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fn(filepath.ToSlash(rel), strings.HasPrefix(d.Name(), "."))
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
}

func jsonl(evs ...event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "{\"id\":%d,\"name\":%q}\n", e.ID, e.Name)
	}
	return b.String()
}

func checkFiles(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	got := visible(t, dir)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected visible file %s = %q", k, got[k])
		}
	}
}

func TestTxSinkEndToEnd(t *testing.T) {
	dir := t.TempDir()
	store := map[int64][][]byte{}
	j := startJob(t, TransactionalSinkOptions[event]{Dir: dir}, 2, store, 0)
	j.write(0, event{1, "a"}, event{2, "b"})
	j.write(1, event{3, "c"})
	for _, w := range j.ws {
		if err := w.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	checkFiles(t, dir, nil) // Flush makes nothing visible
	if got := stagedFiles(t, dir); len(got) != 2 {
		t.Fatalf("staged after Flush: %q", got)
	}
	cs := j.barrier(1)
	checkFiles(t, dir, nil) // nor does PreCommit
	if len(cs) != 2 {
		t.Fatalf("%d committables", len(cs))
	}
	j.store[1] = cs
	if err := j.sink.Commit(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"part-0-1-0.jsonl": jsonl(event{1, "a"}, event{2, "b"}),
		"part-1-1-0.jsonl": jsonl(event{3, "c"}),
	}
	checkFiles(t, dir, want)
	if got := stagedFiles(t, dir); len(got) != 0 {
		t.Fatalf("staged after Commit: %q", got)
	}

	// Subtask 1 writes nothing before the next barrier: no committable.
	j.write(0, event{4, "d"})
	if cs := j.checkpoint(2); len(cs) != 1 {
		t.Fatalf("checkpoint 2: %d committables", len(cs))
	}
	want["part-0-2-0.jsonl"] = jsonl(event{4, "d"})
	checkFiles(t, dir, want)

	// The Source reads the committed files and skips staged ones.
	j.write(1, event{5, "never committed"})
	if err := j.ws[1].Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := readSplits(t, JSONLines[event](dir))
	if w := []event{{1, "a"}, {2, "b"}, {4, "d"}, {3, "c"}}; !slices.Equal(got, w) {
		t.Fatalf("source read %v, want %v", got, w)
	}
}

func TestTxSinkCSV(t *testing.T) {
	dir := t.TempDir()
	j := startJob(t, TransactionalSinkOptions[event]{Dir: dir, Format: FormatCSV, RollSize: 12}, 1, map[int64][][]byte{}, 0)
	j.write(0, event{1, "a"}, event{2, "b,c"})
	j.checkpoint(7)
	// The header (8 bytes) and one record reach RollSize: every file has
	// its own header.
	checkFiles(t, dir, map[string]string{
		"part-0-7-0.csv": "ID,Name\n1,a\n",
		"part-0-7-1.csv": "ID,Name\n2,\"b,c\"\n",
	})
	got := readSplits(t, mustSource[event](t, SourceOptions{Paths: []string{dir}, Format: FormatCSV}))
	if !slices.Equal(got, []event{{1, "a"}, {2, "b,c"}}) {
		t.Fatalf("read back %v", got)
	}

	raw := t.TempDir()
	jr := startJob(t, TransactionalSinkOptions[[]string]{Dir: raw, Format: FormatCSV}, 1, map[int64][][]byte{}, 0)
	jr.write(0, []string{"x", "y"})
	jr.checkpoint(1)
	checkFiles(t, raw, map[string]string{"part-0-1-0.csv": "x,y\n"})
}

func TestTxSinkCommitIdempotent(t *testing.T) {
	dir := t.TempDir()
	j := startJob(t, TransactionalSinkOptions[event]{Dir: dir, RollSize: 1}, 1, map[int64][][]byte{}, 0)
	j.write(0, event{1, "a"}, event{2, "b"}, event{3, "c"})
	cs := j.barrier(1)
	c, err := DecodeCommittable(cs[0])
	if err != nil || len(c.Files) != 3 {
		t.Fatalf("%+v %v", c, err)
	}
	// A crash after the first rename: Commit finishes the rest.
	f0 := c.Files[0]
	if err := os.Rename(filepath.Join(dir, f0.Staged), filepath.Join(dir, f0.Final)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := j.sink.Commit(context.Background(), cs); err != nil {
			t.Fatal(err)
		}
	}
	checkFiles(t, dir, map[string]string{
		"part-0-1-0.jsonl": jsonl(event{1, "a"}),
		"part-0-1-1.jsonl": jsonl(event{2, "b"}),
		"part-0-1-2.jsonl": jsonl(event{3, "c"}),
	})
	if err := j.sink.Commit(context.Background(), [][]byte{nil, {}}); err != nil {
		t.Fatal("empty committables:", err)
	}
}

func TestTxSinkCommitAfterCrash(t *testing.T) {
	dir := t.TempDir()
	store := map[int64][][]byte{}
	opts := TransactionalSinkOptions[event]{Dir: dir}
	j := startJob(t, opts, 1, store, 0)
	j.write(0, event{1, "a"})
	// The checkpoint completes, then the process dies before Commit; the
	// writer has begun the next transaction.
	store[1] = j.barrier(1)
	j.write(0, event{2, "lost"})
	if err := j.ws[0].Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, nil)

	// A new process: a new sink instance restores checkpoint 1.
	j2 := startJob(t, opts, 1, store, 1)
	checkFiles(t, dir, map[string]string{"part-0-1-0.jsonl": jsonl(event{1, "a"})})
	if got := stagedFiles(t, dir); len(got) != 0 {
		t.Fatalf("stale staged files after restore: %q", got)
	}
	j2.write(0, event{2, "b"})
	j2.checkpoint(2)
	checkFiles(t, dir, map[string]string{
		"part-0-1-0.jsonl": jsonl(event{1, "a"}),
		"part-0-2-0.jsonl": jsonl(event{2, "b"}),
	})
}

// A restored job re-uses the checkpoint ids after the restored one: what
// the failed run staged for them is aborted, and the new run's files get
// the same final names without colliding.
func TestTxSinkReplayReusesCheckpointIDs(t *testing.T) {
	dir := t.TempDir()
	store := map[int64][][]byte{}
	opts := TransactionalSinkOptions[event]{Dir: dir, RollSize: 20}
	j := startJob(t, opts, 2, store, 0)
	for id := int64(1); id <= 5; id++ {
		j.write(0, event{int(id), "run1"})
		j.write(1, event{int(id) + 100, "run1"})
		j.checkpoint(id)
	}
	// Checkpoint 6 is staged but never completes; more is in progress.
	j.write(0, event{6, "run1"}, event{7, "run1"})
	j.barrier(6)
	j.write(1, event{8, "run1"})
	if len(stagedFiles(t, dir)) != 3 {
		t.Fatalf("staged: %q", stagedFiles(t, dir))
	}

	j2 := startJob(t, opts, 2, store, 5)
	if got := stagedFiles(t, dir); len(got) != 0 {
		t.Fatalf("restore left staged files: %q", got)
	}
	j2.write(0, event{60, "run2"})
	j2.write(1, event{61, "run2"})
	j2.checkpoint(6)
	files := visible(t, dir)
	if len(files) != 12 {
		t.Fatalf("%d files: %v", len(files), files)
	}
	if files["part-0-6-0.jsonl"] != jsonl(event{60, "run2"}) || files["part-1-6-0.jsonl"] != jsonl(event{61, "run2"}) {
		t.Fatalf("checkpoint 6: %q %q", files["part-0-6-0.jsonl"], files["part-1-6-0.jsonl"])
	}
	if _, ok := files["part-0-6-1.jsonl"]; ok {
		t.Fatal("run 1's second file of checkpoint 6 is visible")
	}
}

func TestTxSinkAbortExcept(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	opts := TransactionalSinkOptions[event]{Dir: dir, Partition: func(e event) string { return e.Name }}
	j := startJob(t, opts, 1, map[int64][][]byte{}, 0)
	j.write(0, event{1, "p"}, event{2, ""})
	j.checkpoint(1) // committed
	j.write(0, event{3, "p"}, event{4, "q/r"})
	pending := j.barrier(2) // staged, not completed
	j.write(0, event{5, "p"})
	if err := j.ws[0].Close(); err != nil { // Close without PreCommit
		t.Fatal(err)
	}
	committed := visible(t, dir)
	if len(committed) != 2 || len(stagedFiles(t, dir)) != 3 {
		t.Fatalf("visible %v, staged %q", committed, stagedFiles(t, dir))
	}
	// Files that are not this sink's staged files stay.
	others := []string{".keep", ".part-0-zz-1.inprogress", ".other-0-0123456789abcdef-1.inprogress",
		".part-0-0123456789abcdef-1.inprogress.bak", "p/.part-0-0123456789abcdef-1", "_SUCCESS"}
	for _, o := range others {
		writeFile(t, dir, filepath.FromSlash(o), "x")
	}
	if err := os.MkdirAll(filepath.Join(dir, ".hidden"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, ".hidden/.part-0-0123456789abcdef-1.inprogress", "x")
	others = append(others, ".hidden/.part-0-0123456789abcdef-1.inprogress")

	sink, _ := NewTransactionalSink(opts)
	// A corrupt committable in keep fails before anything is deleted.
	bad := slices.Clone(pending[0])
	bad[len(bad)-1] ^= 1
	if err := sink.AbortExcept(ctx, [][]byte{bad}); !errors.Is(err, ErrCorruptCommittable) {
		t.Fatalf("corrupt keep: %v", err)
	}
	if len(stagedFiles(t, dir)) != 3+len(others)-1 {
		t.Fatalf("deleted with a corrupt keep: %q", stagedFiles(t, dir))
	}
	// Keeping checkpoint 2 keeps its two staged files.
	if err := sink.AbortExcept(ctx, pending); err != nil {
		t.Fatal(err)
	}
	if got := len(stagedFiles(t, dir)); got != 2+len(others)-1 {
		t.Fatalf("staged after AbortExcept(keep 2): %q", stagedFiles(t, dir))
	}
	if err := sink.Commit(ctx, pending); err != nil {
		t.Fatal(err)
	}
	if err := sink.AbortExcept(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got := visible(t, dir)
	for k, v := range committed {
		if got[k] != v {
			t.Fatalf("committed %s changed: %q", k, got[k])
		}
	}
	if got["p/part-0-2-0.jsonl"] != jsonl(event{3, "p"}) || got["q/r/part-0-2-1.jsonl"] != jsonl(event{4, "q/r"}) {
		t.Fatalf("checkpoint 2: %v", got)
	}
	left := stagedFiles(t, dir)
	slices.Sort(left)
	want := slices.DeleteFunc(slices.Clone(others), func(s string) bool { return s == "_SUCCESS" })
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("left %q, want %q", left, want)
	}
	// A directory that does not exist has nothing to abort.
	gone, _ := NewTransactionalSink(TransactionalSinkOptions[event]{Dir: filepath.Join(dir, "missing")})
	if err := gone.AbortExcept(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func TestTxSinkLostStagedFile(t *testing.T) {
	dir := t.TempDir()
	j := startJob(t, TransactionalSinkOptions[event]{Dir: dir}, 1, map[int64][][]byte{}, 0)
	j.write(0, event{1, "a"})
	cs := j.barrier(3)
	c, _ := DecodeCommittable(cs[0])
	stagedPath := filepath.Join(dir, c.Files[0].Staged)
	if err := os.Remove(stagedPath); err != nil {
		t.Fatal(err)
	}
	err := j.sink.Commit(context.Background(), cs)
	if !errors.Is(err, ErrDataLost) || !strings.Contains(err.Error(), stagedPath) || !strings.Contains(err.Error(), "part-0-3-0.jsonl") {
		t.Fatalf("err = %v", err)
	}
}

func TestTxSinkCommitChecks(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	j := startJob(t, TransactionalSinkOptions[event]{Dir: dir}, 1, map[int64][][]byte{}, 0)
	j.write(0, event{1, "a"})
	cs := j.barrier(1)
	c, _ := DecodeCommittable(cs[0])
	stagedPath, final := filepath.Join(dir, c.Files[0].Staged), filepath.Join(dir, c.Files[0].Final)

	// A truncated staged file is not committed.
	if err := os.Truncate(stagedPath, 3); err != nil {
		t.Fatal(err)
	}
	if err := j.sink.Commit(ctx, cs); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated: %v", err)
	}
	if err := os.WriteFile(stagedPath, []byte(jsonl(event{1, "a"})), 0o644); err != nil {
		t.Fatal(err)
	}
	// An existing final file is never overwritten.
	writeFile(t, dir, c.Files[0].Final, "older run\n")
	if err := j.sink.Commit(ctx, cs); err == nil || !strings.Contains(err.Error(), "will not be overwritten") {
		t.Fatalf("collision: %v", err)
	}
	if b, _ := os.ReadFile(final); string(b) != "older run\n" {
		t.Fatalf("final overwritten: %q", b)
	}
	// PreCommit already refuses a final name that exists, so that the
	// checkpoint fails instead of every restore from it.
	j.write(0, event{2, "b"})
	writeFile(t, dir, "part-0-2-0.jsonl", "older run\n")
	if _, err := j.ws[0].PreCommit(ctx, 2); err == nil || !strings.Contains(err.Error(), "will not be overwritten") {
		t.Fatalf("PreCommit collision: %v", err)
	}
	// The files stay pending and go with the next checkpoint.
	if err := j.ws[0].Write(event{3, "c"}, 0); err != nil {
		t.Fatal(err)
	}
	if cs3, err := j.ws[0].PreCommit(ctx, 3); err != nil {
		t.Fatal(err)
	} else if c3, _ := DecodeCommittable(cs3); len(c3.Files) != 3 || c3.Files[0].Final != "part-0-1-0.jsonl" ||
		c3.Files[1].Final != "part-0-3-0.jsonl" || c3.Files[1].Size != int64(len(jsonl(event{2, "b"}))) || c3.Files[2].Final != "part-0-3-1.jsonl" {
		t.Fatalf("after a failed PreCommit: %+v", c3.Files)
	}
	if _, err := j.ws[0].PreCommit(ctx, -1); err == nil {
		t.Fatal("negative checkpoint: no error")
	}
	// Corrupt committables fail before anything is renamed.
	if err := os.Remove(final); err != nil {
		t.Fatal(err)
	}
	if err := j.sink.Commit(ctx, [][]byte{cs[0], {1, 2, 3}}); !errors.Is(err, ErrCorruptCommittable) {
		t.Fatalf("corrupt: %v", err)
	}
	if _, err := os.Stat(stagedPath); err != nil {
		t.Fatal("renamed although a later committable is corrupt")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := j.sink.Commit(cctx, cs); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	if err := j.sink.Commit(ctx, cs); err != nil {
		t.Fatal(err)
	}
}

func TestTxSinkRollBySize(t *testing.T) {
	dir := t.TempDir()
	j := startJob(t, TransactionalSinkOptions[event]{Dir: dir, RollSize: 40, BufferBytes: 16}, 1, map[int64][][]byte{}, 0)
	var all []event
	for i := range 10 {
		e := event{i, "x"}
		all = append(all, e)
		j.write(0, e) // 20 bytes each: two per file
	}
	cs := j.checkpoint(4)
	c, _ := DecodeCommittable(cs[0])
	if len(c.Files) != 5 {
		t.Fatalf("%d files", len(c.Files))
	}
	files := visible(t, dir)
	var cat strings.Builder
	for n := range 5 {
		name := fmt.Sprintf("part-0-4-%d.jsonl", n)
		if len(files[name]) != 40 || int64(len(files[name])) != c.Files[n].Size {
			t.Fatalf("%s: %q (committable size %d)", name, files[name], c.Files[n].Size)
		}
		cat.WriteString(files[name])
	}
	if cat.String() != jsonl(all...) {
		t.Fatalf("contents out of order: %q", cat.String())
	}
}

type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	calls int
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestTxSinkRollByTime(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Unix(1000, 0)}
	dir := t.TempDir()
	j := startJob(t, TransactionalSinkOptions[event]{Dir: dir, RollInterval: 10 * time.Second, Now: clock.Now}, 1, map[int64][][]byte{}, 0)
	w := j.ws[0].(*txWriter[event])
	j.write(0, event{1, "a"})
	clock.advance(5 * time.Second)
	j.write(0, event{2, "b"})
	_ = w.Flush(ctx)
	if len(w.parts) != 1 {
		t.Fatal("rolled too early")
	}
	clock.advance(5 * time.Second)
	j.write(0, event{3, "c"})
	_ = w.Flush(ctx) // open for 10s: rolled
	if len(w.parts) != 0 || len(w.pending) != 1 {
		t.Fatalf("open %d, pending %d", len(w.parts), len(w.pending))
	}
	j.write(0, event{4, "d"})
	j.checkpoint(1)
	checkFiles(t, dir, map[string]string{
		"part-0-1-0.jsonl": jsonl(event{1, "a"}, event{2, "b"}, event{3, "c"}),
		"part-0-1-1.jsonl": jsonl(event{4, "d"}),
	})

	// The clock is read when a file opens and every clockEvery records,
	// not per record.
	clock.calls = 0
	for i := range 3 * clockEvery {
		j.write(0, event{i, "n"})
	}
	if clock.calls != 1+3 {
		t.Fatalf("%d clock reads for %d records", clock.calls, 3*clockEvery)
	}
	clock.advance(time.Minute)
	for i := range clockEvery {
		j.write(0, event{i, "n"}) // the clock is checked within Write, too
	}
	if len(w.pending) != 1 {
		t.Fatalf("not rolled by Write: pending %d", len(w.pending))
	}
}

func TestTxSinkInactivity(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Unix(1000, 0)}
	dir := t.TempDir()
	opts := TransactionalSinkOptions[event]{Dir: dir, InactivityInterval: time.Minute, Now: clock.Now,
		Partition: func(e event) string { return "k=" + e.Name }}
	j := startJob(t, opts, 1, map[int64][][]byte{}, 0)
	w := j.ws[0].(*txWriter[event])
	j.write(0, event{1, "a"}, event{2, "b"})
	for range 3 {
		clock.advance(30 * time.Second)
		j.write(0, event{3, "a"}) // a stays active, b does not
		_ = w.Flush(ctx)
	}
	if len(w.parts) != 1 || w.parts[0].partition != "k=a" || len(w.pending) != 1 {
		t.Fatalf("open %d, pending %d", len(w.parts), len(w.pending))
	}
	j.checkpoint(1)
	checkFiles(t, dir, map[string]string{
		"k=a/part-0-1-0.jsonl": jsonl(event{1, "a"}, event{3, "a"}, event{3, "a"}, event{3, "a"}),
		"k=b/part-0-1-1.jsonl": jsonl(event{2, "b"}),
	})
}

// q10-style layout: dt=yyyy-MM-dd/hm=HH:mm per record's event time.
func TestTxSinkPartitioned(t *testing.T) {
	type bid struct {
		Auction int   `json:"auction" csv:"auction"`
		At      int64 `json:"at" csv:"at"`
	}
	dir := t.TempDir()
	opts := TransactionalSinkOptions[bid]{Dir: dir, Format: FormatCSV, Partition: func(b bid) string {
		return time.UnixMilli(b.At).UTC().Format("dt=2006-01-02/hm=15:04")
	}}
	j := startJob(t, opts, 2, map[int64][][]byte{}, 0)
	t0 := time.Date(2024, 5, 1, 23, 59, 0, 0, time.UTC).UnixMilli()
	j.write(0, bid{1, t0}, bid{2, t0 + 60_000}, bid{3, t0 + 1000})
	j.write(1, bid{4, t0 + 61_000})
	j.checkpoint(1)
	j.write(0, bid{5, t0})
	j.checkpoint(2)
	checkFiles(t, dir, map[string]string{
		"dt=2024-05-01/hm=23:59/part-0-1-0.csv": "auction,at\n1,1714607940000\n3,1714607941000\n",
		"dt=2024-05-02/hm=00:00/part-0-1-1.csv": "auction,at\n2,1714608000000\n",
		"dt=2024-05-02/hm=00:00/part-1-1-0.csv": "auction,at\n4,1714608001000\n",
		"dt=2024-05-01/hm=23:59/part-0-2-0.csv": "auction,at\n5,1714607940000\n",
	})
	got := readSplits(t, mustSource[bid](t, SourceOptions{Paths: []string{filepath.Join(dir, "dt=2024-05-02", "hm=00:00")}, Format: FormatCSV}))
	if !slices.Equal(got, []bid{{2, t0 + 60_000}, {4, t0 + 61_000}}) {
		t.Fatalf("read %v", got)
	}
}

func TestTxSinkPartitionValidation(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	var part string
	j := startJob(t, TransactionalSinkOptions[event]{Dir: dir, Partition: func(event) string { return part }}, 1, map[int64][][]byte{}, 0)
	for _, bad := range []string{"..", "../x", "a/../../x", "/abs", "/", "a//b", "a/", "./a", "a/.", ".hidden", "a/.b",
		`a\b`, `..\x`, "a\x00b", strings.Repeat("x", 256), strings.Repeat("a/", 2048) + "a"} {
		part = bad
		err := j.ws[0].Write(event{1, "x"}, 0)
		if err == nil || !strings.Contains(err.Error(), "Partition returned") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	for _, good := range []string{"", "a", "dt=2024-01-01/hm=10:00", "_x/y", "a..b", "ünï cödé"} {
		part = good
		if err := j.ws[0].Write(event{1, good}, 0); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	j.checkpoint(1)
	if got := visible(t, dir); len(got) != 6 {
		t.Fatalf("%d files: %v", len(got), got)
	}
	ents, _ := os.ReadDir(root)
	if len(ents) != 1 {
		t.Fatalf("something was written outside Dir: %v", ents)
	}
}

func TestTxSinkOptions(t *testing.T) {
	for _, o := range []TransactionalSinkOptions[event]{
		{},
		{Dir: "d", Format: "xml"},
		{Dir: "d", Prefix: ".p"},
		{Dir: "d", Prefix: "_p"},
		{Dir: "d", Prefix: "a/b"},
		{Dir: "d", RollSize: -1},
		{Dir: "d", RollInterval: -1},
		{Dir: "d", InactivityInterval: -1},
		{Dir: "d", BufferBytes: -1},
		{Dir: "d", Format: FormatCSV, CSV: CSVOptions{Comma: '"'}},
		{Dir: "d", Format: FormatLines}, // event is not a lines type
	} {
		if _, err := NewTransactionalSink(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if _, err := NewTransactionalSink(TransactionalSinkOptions[chan int]{Dir: "d", Format: FormatCSV}); err == nil {
		t.Error("CSV of chan: no error")
	}
	s, err := NewTransactionalSink(TransactionalSinkOptions[string]{Dir: t.TempDir(), Format: FormatLines, Prefix: "out"})
	if err != nil {
		t.Fatal(err)
	}
	if o := s.Options(); o.RollSize != DefaultRollSize || o.BufferBytes != 64<<10 || o.Now == nil {
		t.Fatalf("defaults: %+v", o)
	}
	if got := s.FinalName(3, 12, 1); got != "out-3-12-1.txt" {
		t.Fatal(got)
	}
	var zero TransactionalSink[int]
	if _, err := zero.Open(context.Background(), connector.SinkInfo{}); err == nil {
		t.Fatal("zero sink opens")
	}
	if _, err := s.Open(context.Background(), connector.SinkInfo{Subtask: -1}); err == nil {
		t.Fatal("negative subtask: no error")
	}
}

func TestTxSinkWriterLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	j := startJob(t, TransactionalSinkOptions[string]{Dir: dir, Format: FormatLines}, 1, map[int64][][]byte{}, 0)
	w := j.ws[0]
	if c, err := w.PreCommit(ctx, 1); c != nil || err != nil {
		t.Fatalf("empty transaction: %x %v", c, err)
	}
	// A record that does not encode opens a part file but leaves it empty:
	// it is removed, not committed.
	if err := w.Write("a\nb", 0); err == nil {
		t.Fatal("no encode error")
	}
	if c, err := w.PreCommit(ctx, 2); c != nil || err != nil || len(stagedFiles(t, dir)) != 0 {
		t.Fatalf("empty part file: %x %v %q", c, err, stagedFiles(t, dir))
	}
	_ = w.Write("x", 0)
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal("Flush after Close:", err)
	}
	if err := w.Write("y", 0); err == nil {
		t.Fatal("Write after Close: no error")
	}
	if _, err := w.PreCommit(ctx, 3); err == nil {
		t.Fatal("PreCommit after Close: no error")
	}
	// Close leaves the staged file, with what was written, for AbortExcept.
	st := stagedFiles(t, dir)
	if len(st) != 1 || len(visible(t, dir)) != 0 {
		t.Fatalf("after Close: staged %q", st)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, st[0])); string(b) != "x\n" {
		t.Fatalf("staged content %q", b)
	}
	if err := j.sink.AbortExcept(ctx, nil); err != nil || len(stagedFiles(t, dir)) != 0 {
		t.Fatalf("AbortExcept: %v %q", err, stagedFiles(t, dir))
	}
}

// Commit runs on the checkpoint coordinator's goroutine while the writer
// writes the next transaction (run with -race).
func TestTxSinkConcurrentCommit(t *testing.T) {
	dir := t.TempDir()
	j := startJob(t, TransactionalSinkOptions[event]{Dir: dir, RollSize: 64, Partition: func(e event) string { return e.Name }}, 1, map[int64][][]byte{}, 0)
	commits := make(chan []byte, 4)
	errc := make(chan error, 1)
	go func() {
		var first error
		for c := range commits {
			if err := j.sink.Commit(context.Background(), [][]byte{c}); err != nil && first == nil {
				first = err
			}
		}
		errc <- first
	}()
	want := map[string][]byte{}
	for id := int64(1); id <= 20; id++ {
		for i := range 10 {
			e := event{int(id)*100 + i, fmt.Sprint("p", i%3)}
			j.write(0, e)
			want[e.Name] = append(want[e.Name], jsonl(e)...)
		}
		cs := j.barrier(id)
		commits <- cs[0]
	}
	close(commits)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	files := visible(t, dir)
	names := make([]string, 0, len(files))
	for k := range files {
		names = append(names, k)
	}
	// Final names sort by checkpoint only within equal digit counts; order
	// by (checkpoint, n) explicitly.
	slices.SortFunc(names, func(a, b string) int {
		var pa, pb string
		var sa, ca, na, sb, cb, nb int
		fmt.Sscanf(strings.ReplaceAll(a, "/", " "), "%s part-%d-%d-%d.jsonl", &pa, &sa, &ca, &na)
		fmt.Sscanf(strings.ReplaceAll(b, "/", " "), "%s part-%d-%d-%d.jsonl", &pb, &sb, &cb, &nb)
		if ca != cb {
			return ca - cb
		}
		return na - nb
	})
	for _, k := range names {
		p, _, _ := strings.Cut(k, "/")
		got[p] = append(got[p], files[k]...)
	}
	for p := range want {
		if !bytes.Equal(got[p], want[p]) {
			t.Fatalf("partition %s:\n got %q\nwant %q", p, got[p], want[p])
		}
	}
}

func TestCommittableRoundTrip(t *testing.T) {
	c := Committable{Subtask: 7, Checkpoint: 1 << 40, Files: []StagedFile{
		{Partition: "", Staged: ".part-7-0123456789abcdef-0.inprogress", Final: "part-7-1099511627776-0.jsonl", Size: 0},
		{Partition: "dt=2024-01-01/hm=10:00", Staged: ".part-7-0123456789abcdef-1.inprogress", Final: "part-7-1099511627776-1.jsonl", Size: 1 << 50},
	}}
	b := c.appendBinary(nil)
	got, err := DecodeCommittable(b)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(c) {
		t.Fatalf("got %+v", got)
	}
	for i := range b {
		for bit := range 8 {
			x := slices.Clone(b)
			x[i] ^= 1 << bit
			if _, err := DecodeCommittable(x); !errors.Is(err, ErrCorruptCommittable) {
				t.Fatalf("flip byte %d bit %d: %v", i, bit, err)
			}
		}
	}
	for n := range len(b) {
		if _, err := DecodeCommittable(b[:n]); err == nil {
			t.Fatalf("truncated to %d: no error", n)
		}
	}
	// Well-formed but unsafe paths are rejected even with a valid checksum.
	for _, f := range []StagedFile{
		{Partition: "../x", Staged: ".a.inprogress", Final: "a"},
		{Partition: "/abs", Staged: ".a.inprogress", Final: "a"},
		{Staged: "visible.inprogress", Final: "a"},
		{Staged: ".a", Final: "a"},
		{Staged: ".a/b.inprogress", Final: "a"},
		{Staged: ".a.inprogress", Final: ".hidden"},
		{Staged: ".a.inprogress", Final: "../a"},
		{Staged: ".a.inprogress", Final: ""},
	} {
		b := (&Committable{Files: []StagedFile{f}}).appendBinary(nil)
		if _, err := DecodeCommittable(b); !errors.Is(err, ErrCorruptCommittable) {
			t.Errorf("%+v: %v", f, err)
		}
	}
	dup := (&Committable{Files: []StagedFile{c.Files[0], c.Files[0]}}).appendBinary(nil)
	if _, err := DecodeCommittable(dup); err == nil {
		t.Error("duplicate files: no error")
	}
	if _, err := DecodeCommittable((&Committable{}).appendBinary(nil)); err == nil {
		t.Error("no files: no error")
	}
}

func FuzzCommittable(f *testing.F) {
	c := Committable{Subtask: 1, Checkpoint: 9, Files: []StagedFile{
		{Staged: ".part-1-0123456789abcdef-0.inprogress", Final: "part-1-9-0.csv", Size: 12},
		{Partition: "dt=x/hm=y", Staged: ".part-1-0123456789abcdef-1.inprogress", Final: "part-1-9-1.csv", Size: 300},
	}}
	f.Add(c.appendBinary(nil))
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCommittable(b)
		if err != nil {
			if !errors.Is(err, ErrCorruptCommittable) {
				t.Fatalf("error does not wrap ErrCorruptCommittable: %v", err)
			}
			return
		}
		if !bytes.Equal(c.appendBinary(nil), b) {
			t.Fatalf("%x decodes to %+v, which encodes differently", b, c)
		}
		for _, f := range c.Files {
			if validPartition(f.Partition) != nil || strings.Contains(f.Staged, "/") || strings.Contains(f.Final, "/") || hiddenName(f.Final) {
				t.Fatalf("unsafe file accepted: %+v", f)
			}
		}
	})
}

// New directories are fsynced (through their parents) before their files
// can be committed.
func TestTxSinkSyncsNewDirectories(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out", "job")
	j := startJob(t, TransactionalSinkOptions[event]{Dir: dir, Partition: func(e event) string { return e.Name }}, 1, map[int64][][]byte{}, 0)
	w := j.ws[0].(*txWriter[event])
	j.write(0, event{1, "a/b"})
	var got []string
	for d := range w.dirty {
		rel, _ := filepath.Rel(root, d)
		got = append(got, filepath.ToSlash(rel))
	}
	slices.Sort(got)
	if want := []string{".", "out", "out/job", "out/job/a", "out/job/a/b"}; !slices.Equal(got, want) {
		t.Fatalf("dirty %q, want %q", got, want)
	}
	j.barrier(1)
	if len(w.dirty) != 0 {
		t.Fatalf("dirty after PreCommit: %v", w.dirty)
	}
	j.write(0, event{2, "a/b"}) // the directory exists now: only its own entry changes
	if len(w.dirty) != 1 {
		t.Fatalf("dirty %v", w.dirty)
	}
}

// A checkpoint that fails after the writer's PreCommit (its committable is
// dropped) does not lose the output: the next committable lists those files
// again, and a restore from that next checkpoint commits them too.
func TestTxSinkFailedCheckpointCarriesFiles(t *testing.T) {
	dir := t.TempDir()
	store := map[int64][][]byte{}
	opts := TransactionalSinkOptions[event]{Dir: dir}
	j := startJob(t, opts, 1, store, 0)
	j.write(0, event{1, "a"})
	failed := j.barrier(1) // checkpoint 1 is declined elsewhere and never completes
	j.write(0, event{2, "b"})
	store[2] = j.barrier(2) // completes; the process dies before Commit
	c, err := DecodeCommittable(store[2][0])
	if err != nil || len(c.Files) != 2 || c.Files[0].Final != "part-0-1-0.jsonl" || c.Files[1].Final != "part-0-2-0.jsonl" {
		t.Fatalf("%+v %v", c, err)
	}
	checkFiles(t, dir, nil)

	j2 := startJob(t, opts, 1, store, 2)
	want := map[string]string{"part-0-1-0.jsonl": jsonl(event{1, "a"}), "part-0-2-0.jsonl": jsonl(event{2, "b"})}
	checkFiles(t, dir, want)
	// A late Commit of the failed checkpoint's committable is a no-op.
	if err := j2.sink.Commit(context.Background(), failed); err != nil {
		t.Fatal(err)
	}
	// Committed files are not carried any further.
	j2.write(0, event{3, "c"})
	cs := j2.checkpoint(3)
	if c, _ := DecodeCommittable(cs[0]); len(c.Files) != 1 {
		t.Fatalf("checkpoint 3 lists %+v", c.Files)
	}
	if cs := j2.barrier(4); cs != nil {
		t.Fatalf("checkpoint 4: %d committables", len(cs))
	}
	want["part-0-3-0.jsonl"] = jsonl(event{3, "c"})
	checkFiles(t, dir, want)
}

// TestTxSinkRewindTo: restoring checkpoint 2 while 3 and 4 had committed
// (their metadata corrupt since) takes back their files, in partition
// directories too, but keeps the restored checkpoint's own files even when
// they carry a later id (a finished subtask's last transaction); the replay
// then writes the same names again without a collision.
func TestTxSinkRewindTo(t *testing.T) {
	dir := t.TempDir()
	store := map[int64][][]byte{}
	opts := TransactionalSinkOptions[event]{Dir: dir, Partition: func(e event) string { return "p=" + e.Name }}
	j := startJob(t, opts, 2, store, 0)
	for id := int64(1); id <= 4; id++ {
		j.write(0, event{int(id), "a"})
		j.write(1, event{int(id) + 100, "b"})
		j.checkpoint(id)
	}
	// Subtask 1's last transaction, staged with a later id (7) and part of
	// checkpoint 2 as the engine copies a finished subtask's snapshot.
	j.write(1, event{200, "b"})
	late, err := j.ws[1].PreCommit(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.sink.Commit(context.Background(), [][]byte{late}); err != nil {
		t.Fatal(err)
	}
	store[2] = append(store[2], late)
	startJob(t, opts, 2, store, 2)
	checkFiles(t, dir, map[string]string{
		"p=a/part-0-1-0.jsonl": jsonl(event{1, "a"}),
		"p=a/part-0-2-0.jsonl": jsonl(event{2, "a"}),
		"p=b/part-1-1-0.jsonl": jsonl(event{101, "b"}),
		"p=b/part-1-2-0.jsonl": jsonl(event{102, "b"}),
		"p=b/part-1-7-0.jsonl": jsonl(event{200, "b"}),
	})
}
