package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// writeCheckpoint writes a small checkpoint the way the runtime will: a
// source with positions, a keyed operator with one file per subtask (a few
// KiB each, so torn writes at 512 B and 4 KiB both cut inside them), then
// the metadata.
func writeCheckpoint(ctx context.Context, s Storage, id int64, kind Kind) (*Metadata, error) {
	m := &Metadata{ID: id, Kind: kind, TimestampMs: 1000 * id, JobFingerprint: "job-a", MaxParallelism: 8}
	src := OperatorState{UID: "src", Parallelism: 2,
		Subtasks: [][]byte{fmt.Appendf(nil, "pos-%d-0", id), fmt.Appendf(nil, "pos-%d-1", id)}}
	agg := OperatorState{UID: "agg", Parallelism: 2}
	for sub := range 2 {
		start, end := sub*4, sub*4+4
		chunks := map[int][]byte{}
		for kg := start; kg < end; kg++ {
			chunks[kg] = bytes.Repeat(fmt.Appendf(nil, "c%d-%d;", id, kg), 150+int(id)*10)
		}
		name := fmt.Sprintf("agg-%d.kg", sub)
		sum, err := s.WriteFile(ctx, id, name, EncodeKeyed(start, end, chunks))
		if err != nil {
			return nil, err
		}
		agg.Keyed = append(agg.Keyed, KeyedFile{Name: name, Start: start, End: end, Size: sum.Size, CRC: sum.CRC})
	}
	m.Operators = []OperatorState{src, agg}
	return m, s.CommitMetadata(ctx, m)
}

func mustCheckpoint(t *testing.T, s Storage, id int64) *Metadata {
	t.Helper()
	m, err := writeCheckpoint(context.Background(), s, id, Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// logger collects the lines of LoadLatest.
type logger struct {
	mu    sync.Mutex
	lines []string
}

func (l *logger) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logger) String() string { return strings.Join(l.lines, "\n") }

// store is one Storage under test plus direct access to the bytes it
// keeps, so that the conformance tests below run over every implementation
// (Local on two file systems, S3 on an in-process fake). Paths are
// relative to the storage's root: "chk-3/_metadata".
type store struct {
	s Storage
	// read, write and remove act on a file (an object) bypassing s.
	read   func(t *testing.T, rel string) []byte
	write  func(t *testing.T, rel string, data []byte)
	remove func(t *testing.T, rel string)
	// names lists the entries right under the directory rel ("": the root),
	// sorted as strings.
	names func(t *testing.T, rel string) []string
	// mkdir creates a non-empty entry rel that is not a file.
	mkdir func(t *testing.T, rel string)
	// dirs: a file can be replaced by a directory (a file system).
	dirs bool
}

type storeCase struct {
	name string
	new  func(t *testing.T) *store
}

// localStore is a Local in dir of fsys.
func localStore(fsys vfs.FS, dir string) *store {
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	return &store{
		s: NewLocal(fsys, dir),
		read: func(t *testing.T, rel string) []byte {
			data, err := vfs.ReadFile(fsys, filepath.Join(dir, rel))
			must(t, err)
			return data
		},
		write: func(t *testing.T, rel string, data []byte) {
			must(t, vfs.WriteFileAtomic(fsys, filepath.Join(dir, rel), data))
		},
		remove: func(t *testing.T, rel string) { must(t, fsys.Remove(filepath.Join(dir, rel))) },
		names: func(t *testing.T, rel string) []string {
			names, err := fsys.ReadDir(filepath.Join(dir, rel))
			must(t, err)
			return names
		},
		mkdir: func(t *testing.T, rel string) { must(t, fsys.MkdirAll(filepath.Join(dir, rel), 0o755)) },
		dirs:  true,
	}
}

// storeCases are the implementations every conformance test runs over
// (s3StoreCase is in s3_test.go).
var storeCases = []storeCase{
	{"os", func(t *testing.T) *store { return localStore(vfs.OS{}, filepath.Join(t.TempDir(), "ckpt")) }},
	{"crashfs", func(t *testing.T) *store { return localStore(vfs.NewCrashFS(1), "data/ckpt") }},
	s3StoreCase,
}

func TestStorageRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, sc := range storeCases {
		t.Run(sc.name, func(t *testing.T) {
			st := sc.new(t)
			s := st.s
			if ids, err := s.List(ctx); err != nil || len(ids) != 0 {
				t.Fatalf("List of a missing directory = %v, %v", ids, err)
			}
			m1 := mustCheckpoint(t, s, 1)
			m2 := mustCheckpoint(t, s, 2)
			if ids, err := s.List(ctx); err != nil || !slices.Equal(ids, []int64{1, 2}) {
				t.Fatalf("List = %v, %v", ids, err)
			}
			for _, want := range []*Metadata{m1, m2} {
				got, err := s.Load(ctx, want.ID)
				if err != nil || !equalMetadata(got, want) {
					t.Fatalf("Load(%d) = %+v, %v", want.ID, got, err)
				}
			}
			got, err := s.LoadLatest(ctx, t.Logf)
			if err != nil || !equalMetadata(got, m2) {
				t.Fatalf("LoadLatest = %+v, %v", got, err)
			}
			for _, f := range got.Operators[1].Keyed {
				sum := f.Sum()
				data, err := s.ReadFile(ctx, 2, f.Name, &sum)
				if err != nil {
					t.Fatal(err)
				}
				start, end, chunks, err := DecodeKeyed(data)
				if err != nil || start != f.Start || end != f.End || len(chunks) != 4 {
					t.Fatalf("%s: [%d,%d) %d chunks, %v", f.Name, start, end, len(chunks), err)
				}
				if _, err := s.ReadFile(ctx, 2, f.Name, nil); err != nil {
					t.Fatal(err)
				}
			}
			// No temporary file is left behind.
			if names := st.names(t, "chk-2"); !slices.Equal(names, []string{"_metadata", "agg-0.kg", "agg-1.kg"}) {
				t.Fatalf("chk-2 holds %q", names)
			}
		})
	}
}

// Corruptions of checkpoint 3, each through the store's back door, with a
// word the error must contain.
var corruptions = []struct {
	name string
	do   func(t *testing.T, st *store)
	want string
	dirs bool // needs directories
}{
	{name: "metadata bit flip", do: func(t *testing.T, st *store) {
		rewrite(t, st, "chk-3/"+MetadataFile, func(b []byte) []byte { b[len(b)/2] ^= 0x10; return b })
	}, want: "CRC-32C"},
	{name: "metadata truncated", do: func(t *testing.T, st *store) {
		rewrite(t, st, "chk-3/"+MetadataFile, func(b []byte) []byte { return b[:len(b)-5] })
	}, want: "truncated"},
	{name: "metadata empty", do: func(t *testing.T, st *store) {
		rewrite(t, st, "chk-3/"+MetadataFile, func(b []byte) []byte { return nil })
	}, want: "truncated"},
	{name: "metadata junk tail", do: func(t *testing.T, st *store) {
		rewrite(t, st, "chk-3/"+MetadataFile, func(b []byte) []byte { return append(b, "junk"...) })
	}, want: "trailing junk"},
	{name: "metadata of another checkpoint", do: func(t *testing.T, st *store) {
		other := st.read(t, "chk-2/"+MetadataFile)
		rewrite(t, st, "chk-3/"+MetadataFile, func([]byte) []byte { return other })
	}, want: "holds checkpoint 2"},
	{name: "state file bit flip", do: func(t *testing.T, st *store) {
		rewrite(t, st, "chk-3/agg-1.kg", func(b []byte) []byte { b[100] ^= 1; return b })
	}, want: "CRC-32C"},
	{name: "state file truncated", do: func(t *testing.T, st *store) {
		rewrite(t, st, "chk-3/agg-1.kg", func(b []byte) []byte { return b[:len(b)-1] })
	}, want: "the metadata says"},
	{name: "state file junk tail", do: func(t *testing.T, st *store) {
		rewrite(t, st, "chk-3/agg-0.kg", func(b []byte) []byte { return append(b, 0, 0, 0) })
	}, want: "trailing junk"},
	{name: "state file missing", do: func(t *testing.T, st *store) {
		st.remove(t, "chk-3/agg-0.kg")
	}, want: "missing"},
	{name: "state file replaced by a directory", do: func(t *testing.T, st *store) {
		st.remove(t, "chk-3/agg-0.kg")
		st.mkdir(t, "chk-3/agg-0.kg")
	}, want: "directory", dirs: true},
}

func rewrite(t *testing.T, st *store, rel string, f func([]byte) []byte) {
	t.Helper()
	st.write(t, rel, f(st.read(t, rel)))
}

func TestLoadLatestFallsBack(t *testing.T) {
	ctx := context.Background()
	for _, sc := range storeCases {
		for _, c := range corruptions {
			t.Run(sc.name+"/"+c.name, func(t *testing.T) {
				st := sc.new(t)
				if c.dirs && !st.dirs {
					t.Skip("no directories")
				}
				s := st.s
				mustCheckpoint(t, s, 1)
				m2 := mustCheckpoint(t, s, 2)
				mustCheckpoint(t, s, 3)
				c.do(t, st)
				var log logger
				got, err := s.LoadLatest(ctx, log.logf)
				if err != nil {
					t.Fatal(err)
				}
				if !equalMetadata(got, m2) {
					t.Fatalf("restored chk-%d, want chk-2", got.ID)
				}
				if len(log.lines) != 2 || !strings.Contains(log.lines[0], "CORRUPT checkpoint chk-3") ||
					!strings.Contains(log.lines[0], c.want) || !strings.Contains(log.lines[1], "restoring from chk-2") {
					t.Fatalf("log does not name chk-3 and %q:\n%s", c.want, log.String())
				}
				// Verify tells the same story for chk-3 alone.
				_, err = Verify(ctx, s, 3)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("Verify(3) = %v", err)
				}
			})
		}
	}
}

func TestLoadLatestWrongKeyRange(t *testing.T) {
	forEachStore(t, testLoadLatestWrongKeyRange)
}

// forEachStore runs test over every store case.
func forEachStore(t *testing.T, test func(t *testing.T, st *store)) {
	for _, sc := range storeCases {
		t.Run(sc.name, func(t *testing.T) { test(t, sc.new(t)) })
	}
}

func testLoadLatestWrongKeyRange(t *testing.T, st *store) {
	ctx := context.Background()
	s := st.s
	mustCheckpoint(t, s, 1)
	data := EncodeKeyed(0, 4, map[int][]byte{0: bytes.Repeat([]byte("x"), 500)})
	sum, err := s.WriteFile(ctx, 2, "f.kg", data)
	if err != nil {
		t.Fatal(err)
	}
	m := &Metadata{ID: 2, MaxParallelism: 8, Operators: []OperatorState{{UID: "agg", Parallelism: 1,
		Keyed: []KeyedFile{{Name: "f.kg", Start: 0, End: 8, Size: sum.Size, CRC: sum.CRC}}}}}
	if err := s.CommitMetadata(ctx, m); err != nil {
		t.Fatal(err)
	}
	var log logger
	got, err := s.LoadLatest(ctx, log.logf)
	if err != nil || got.ID != 1 || !strings.Contains(log.String(), "holds key groups [0,4), the metadata says [0,8)") {
		t.Fatalf("got %v, %v; log:\n%s", got, err, log.String())
	}
}

func TestLoadLatestNoCheckpoint(t *testing.T) { forEachStore(t, testLoadLatestNoCheckpoint) }

func testLoadLatestNoCheckpoint(t *testing.T, st *store) {
	ctx := context.Background()
	s := st.s
	_, err := s.LoadLatest(ctx, nil)
	if !errors.Is(err, ErrNoCheckpoint) || errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "no complete checkpoint") {
		t.Fatalf("empty: %v", err)
	}
	// An incomplete attempt is not a checkpoint, but the message says it is there.
	if _, err := s.WriteFile(ctx, 1, "a.kg", EncodeKeyed(0, 1, nil)); err != nil {
		t.Fatal(err)
	}
	_, err = s.LoadLatest(ctx, nil)
	if !errors.Is(err, ErrNoCheckpoint) || !strings.Contains(err.Error(), "1 incomplete attempt") {
		t.Fatalf("only incomplete: %v", err)
	}
	// All corrupt: both sentinels, and the newest one's reason.
	mustCheckpoint(t, s, 2)
	mustCheckpoint(t, s, 3)
	for _, id := range []string{"chk-2", "chk-3"} {
		rewrite(t, st, id+"/agg-0.kg", func(b []byte) []byte { b[50] ^= 1; return b })
	}
	var log logger
	_, err = s.LoadLatest(ctx, log.logf)
	if !errors.Is(err, ErrNoCheckpoint) || !errors.Is(err, ErrCorrupt) ||
		!strings.Contains(err.Error(), "all 2 complete checkpoints are corrupt") || !strings.Contains(err.Error(), "chk-3") {
		t.Fatalf("all corrupt: %v", err)
	}
	if len(log.lines) != 2 {
		t.Fatalf("want one line per corrupt checkpoint:\n%s", log.String())
	}
}

// TestLoadLatestIOErrorDoesNotFallBack: an I/O error is not corruption; the
// checkpoint may be fine, so LoadLatest reports it instead of restoring an
// older one.
func TestLoadLatestIOErrorDoesNotFallBack(t *testing.T) {
	ctx := context.Background()
	fsys := vfs.NewCrashFS(1)
	s := NewLocal(fsys, "ckpt")
	mustCheckpoint(t, s, 1)
	mustCheckpoint(t, s, 2)
	fsys.Inject(vfs.Fault{Op: vfs.OpRead, N: 1, Path: "chk-2/agg-1", Err: syscall.EIO})
	m, err := s.LoadLatest(ctx, t.Logf)
	if !errors.Is(err, syscall.EIO) || errors.Is(err, ErrNoCheckpoint) || m != nil {
		t.Fatalf("got %v, %v", m, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.LoadLatest(cctx, t.Logf); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
}

func TestCommitAndWriteChecks(t *testing.T) { forEachStore(t, testCommitAndWriteChecks) }

func testCommitAndWriteChecks(t *testing.T, st *store) {
	ctx := context.Background()
	s := st.s
	m := mustCheckpoint(t, s, 1)
	if err := s.CommitMetadata(ctx, m); !errors.Is(err, ErrExists) {
		t.Fatalf("second commit: %v", err)
	}
	if _, err := s.WriteFile(ctx, 1, "late.kg", []byte("x")); !errors.Is(err, ErrExists) {
		t.Fatalf("write into a complete checkpoint: %v", err)
	}
	for _, name := range []string{"", "../x", "a/b", "_metadata", ".hidden", "x.tmp", strings.Repeat("n", 256)} {
		if _, err := s.WriteFile(ctx, 2, name, []byte("x")); err == nil {
			t.Errorf("WriteFile accepted the name %q", name)
		}
		if _, err := s.ReadFile(ctx, 1, name, nil); err == nil {
			t.Errorf("ReadFile accepted the name %q", name)
		}
	}
	if _, err := s.WriteFile(ctx, 0, "a", []byte("x")); err == nil {
		t.Error("WriteFile accepted id 0")
	}
	// The metadata must reference files that were written, with their sizes.
	m2 := *m
	m2.ID = 2
	err := s.CommitMetadata(ctx, &m2)
	if err == nil || !vfs.IsNotExist(err) || !strings.Contains(err.Error(), "refusing to commit chk-2") {
		t.Fatalf("commit with missing files: %v", err)
	}
	data := EncodeKeyed(0, 4, nil)
	for _, name := range []string{"agg-0.kg", "agg-1.kg"} {
		if _, err := s.WriteFile(ctx, 2, name, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CommitMetadata(ctx, &m2); err == nil || !strings.Contains(err.Error(), "the metadata says") {
		t.Fatalf("commit with wrong sizes: %v", err)
	}
	if err := s.CommitMetadata(ctx, &Metadata{ID: 3}); err == nil {
		t.Fatal("invalid metadata committed")
	}
	if ids, _ := s.List(ctx); !slices.Equal(ids, []int64{1}) {
		t.Fatalf("List = %v", ids)
	}
}

func TestRetainAndDelete(t *testing.T) { forEachStore(t, testRetainAndDelete) }

func testRetainAndDelete(t *testing.T, st *store) {
	ctx := context.Background()
	s := st.s
	for id := int64(1); id <= 10; id++ {
		if id == 4 {
			continue
		}
		mustCheckpoint(t, s, id)
	}
	// Incomplete attempts: 4 crashed between complete ones, 11 in progress.
	for _, id := range []int64{4, 11} {
		if _, err := s.WriteFile(ctx, id, "agg-0.kg", EncodeKeyed(0, 4, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Retain(ctx, 0); err == nil {
		t.Fatal("Retain(0) accepted")
	}
	// Checkpoints in flight are kept: 4 (incomplete, below the newest
	// complete one) and 6 (complete, referenced by one).
	if err := s.Retain(ctx, 3, 4, 6); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.List(ctx); !slices.Equal(ids, []int64{6, 8, 9, 10}) {
		t.Fatalf("List after Retain(3, keep 4 and 6) = %v", ids)
	}
	if names := st.names(t, ""); !slices.Equal(names, []string{"chk-10", "chk-11", "chk-4", "chk-6", "chk-8", "chk-9"}) {
		t.Fatalf("after Retain(3, keep 4 and 6) ckpt holds %q", names)
	}
	if err := s.Retain(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.List(ctx); !slices.Equal(ids, []int64{8, 9, 10}) {
		t.Fatalf("List = %v", ids)
	}
	names := st.names(t, "")
	if !slices.Equal(names, []string{"chk-10", "chk-11", "chk-8", "chk-9"}) {
		t.Fatalf("ckpt holds %q", names)
	}
	if err := s.Delete(ctx, 9); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, 9); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if err := s.Delete(ctx, 11); err != nil {
		t.Fatalf("Delete of an incomplete checkpoint: %v", err)
	}
	if ids, _ := s.List(ctx); !slices.Equal(ids, []int64{8, 10}) {
		t.Fatalf("List = %v", ids)
	}
	// Other names in the directory are left alone.
	st.mkdir(t, "chk-007")
	st.mkdir(t, "savepoints")
	if err := s.Retain(ctx, 1); err != nil {
		t.Fatal(err)
	}
	names = st.names(t, "")
	if !slices.Equal(names, []string{"chk-007", "chk-10", "savepoints"}) {
		t.Fatalf("ckpt holds %q", names)
	}
}

// TestSavepointIsSelfContained writes a savepoint, copies its directory
// elsewhere, removes the original and restores from the copy.
func TestSavepointIsSelfContained(t *testing.T) {
	ctx := context.Background()
	orig := filepath.Join(t.TempDir(), "sp-1")
	sp := NewLocal(vfs.OS{}, orig)
	want, err := writeCheckpoint(ctx, sp, 17, Savepoint)
	if err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.CopyFS(moved, os.DirFS(orig)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(orig); err != nil {
		t.Fatal(err)
	}
	got, err := NewLocal(vfs.OS{}, moved).LoadLatest(ctx, t.Logf)
	if err != nil || !equalMetadata(got, want) || got.Kind != Savepoint {
		t.Fatalf("restore from the copy: %+v, %v", got, err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	for _, sc := range storeCases {
		t.Run(sc.name, func(t *testing.T) {
			s := sc.new(t).s
			const par = 8
			op := OperatorState{UID: "agg", Parallelism: par, Keyed: make([]KeyedFile, par)}
			var wg sync.WaitGroup
			errs := make([]error, par)
			for sub := range par {
				wg.Go(func() {
					r := rangeOf(par, sub)
					data := EncodeKeyed(r[0], r[1], map[int][]byte{r[0]: bytes.Repeat([]byte{byte(sub)}, 3000)})
					name := fmt.Sprintf("agg-%d.kg", sub)
					sum, err := s.WriteFile(ctx, 5, name, data)
					errs[sub] = err
					op.Keyed[sub] = KeyedFile{Name: name, Start: r[0], End: r[1], Size: sum.Size, CRC: sum.CRC}
				})
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			m := &Metadata{ID: 5, MaxParallelism: 64, Operators: []OperatorState{op}}
			if err := s.CommitMetadata(ctx, m); err != nil {
				t.Fatal(err)
			}
			got, err := s.LoadLatest(ctx, t.Logf)
			if err != nil || !equalMetadata(got, m) {
				t.Fatalf("LoadLatest = %v, %v", got, err)
			}
		})
	}
}

// rangeOf is the key-group range of subtask sub of par over 64 key groups.
func rangeOf(par, sub int) [2]int { return [2]int{sub * 64 / par, (sub + 1) * 64 / par} }

// writeDelta writes the delta files of checkpoint id (one per subtask of
// "agg", key groups as writeCheckpoint) and returns their references.
func writeDelta(t *testing.T, s Storage, id int64) []FileRef {
	t.Helper()
	var out []FileRef
	for sub := range 2 {
		start := sub * 4
		name := fmt.Sprintf("agg-%d-d%d.kg", sub, id)
		sum, err := s.WriteFile(context.Background(), id, name, EncodeKeyed(start, start+4, map[int][]byte{start: fmt.Appendf(nil, "delta %d", id)}))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, FileRef{Dir: id, Name: name, Size: sum.Size, CRC: sum.CRC})
	}
	return out
}

// commitChained commits checkpoint id whose "agg" files are the base files
// of checkpoint base (a complete one) with the deltas deltas[i] of subtask
// i (references in the directories they name; id's own are made 0).
func commitChained(ctx context.Context, s Storage, id int64, base *Metadata, deltas [][]FileRef) (*Metadata, error) {
	m := &Metadata{ID: id, Kind: Checkpoint, TimestampMs: 1000 * id, JobFingerprint: "job-a", MaxParallelism: 8}
	for _, op := range base.Operators {
		op.Keyed = slices.Clone(op.Keyed)
		for i := range op.Keyed {
			f := &op.Keyed[i]
			f.Dir = base.ID
			for _, chain := range deltas {
				for _, d := range chain {
					if d.Name[len("agg-")] == f.Name[len("agg-")] { // same subtask
						if d.Dir == id {
							d.Dir = 0
						}
						f.Deltas = append(f.Deltas, d)
					}
				}
			}
		}
		m.Operators = append(m.Operators, op)
	}
	return m, s.CommitMetadata(ctx, m)
}

// TestIncrementalChain: checkpoints whose keyed files are chains over the
// files of older checkpoints (metadata version 2): retention keeps what a
// retained checkpoint references, a commit may only reference complete
// checkpoints, and a corrupt link makes every checkpoint using it invalid
// (LoadLatest falls back past them).
func TestIncrementalChain(t *testing.T) { forEachStore(t, testIncrementalChain) }

func testIncrementalChain(t *testing.T, st *store) {
	ctx := context.Background()
	s := st.s
	m1 := mustCheckpoint(t, s, 1)
	d2 := writeDelta(t, s, 2)
	// chk-2 is not complete yet: chk-3 cannot build on it.
	d3 := writeDelta(t, s, 3)
	if _, err := commitChained(ctx, s, 3, m1, [][]FileRef{d2, d3}); err == nil || !strings.Contains(err.Error(), "not a complete checkpoint") {
		t.Fatalf("commit over an incomplete checkpoint: %v", err)
	}
	m2, err := commitChained(ctx, s, 2, m1, [][]FileRef{d2})
	if err != nil {
		t.Fatal(err)
	}
	if v := st.read(t, "chk-2/_metadata")[9]; v != 2 {
		t.Fatalf("chained metadata written as version %d", v)
	}
	if v := st.read(t, "chk-1/_metadata")[9]; v != 1 {
		t.Fatalf("full metadata written as version %d", v)
	}
	m3, err := commitChained(ctx, s, 3, m1, [][]FileRef{d2, d3})
	if err != nil {
		t.Fatal(err)
	}
	if got := m3.Referenced(); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("Referenced = %v", got)
	}
	back, err := s.Load(ctx, 3)
	if err != nil || !equalMetadata(back, m3) {
		t.Fatalf("Load(3) = %+v, %v", back, err)
	}
	// A flipped byte in chk-2's delta: chk-3 and chk-2 both use it.
	rel := "chk-2/" + d2[1].Name
	good := st.read(t, rel)
	bad := slices.Clone(good)
	bad[len(bad)/2] ^= 1
	st.write(t, rel, bad)
	var log logger
	got, err := s.LoadLatest(ctx, log.logf)
	if err != nil || got.ID != 1 {
		t.Fatalf("LoadLatest after a corrupt link = %v, %v\n%s", got, err, log.String())
	}
	if !strings.Contains(log.String(), "CORRUPT checkpoint chk-3") || !strings.Contains(log.String(), "CORRUPT checkpoint chk-2") ||
		!strings.Contains(log.String(), "chk-2/"+d2[1].Name) {
		t.Fatalf("log:\n%s", log.String())
	}
	st.write(t, rel, good)
	_ = m2

	// Retain(1) subsumes chk-1 and chk-2: no longer listed, their metadata
	// gone, but the files chk-3's chains use stay; the rest of them goes.
	if err := s.Retain(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.List(ctx); !slices.Equal(ids, []int64{3}) {
		t.Fatalf("List after Retain(1) = %v", ids)
	}
	if names := st.names(t, "chk-1"); !slices.Equal(names, []string{"agg-0.kg", "agg-1.kg"}) {
		t.Fatalf("after Retain(1) chk-1 holds %q", names)
	}
	if names := st.names(t, "chk-2"); !slices.Equal(names, []string{d2[0].Name, d2[1].Name}) {
		t.Fatalf("after Retain(1) chk-2 holds %q", names)
	}
	log = logger{}
	if got, err := s.LoadLatest(ctx, log.logf); err != nil || !equalMetadata(got, m3) || log.String() != "" {
		t.Fatalf("LoadLatest after Retain(1) = %v, %v\n%s", got, err, log.String())
	}
	// A delta over chk-3's chains may use the files of the subsumed chk-1
	// and chk-2 (they are links of chk-3's chains); a file of chk-2 that
	// no complete checkpoint's chains use may not be used (retention may
	// remove it), as the files of an incomplete attempt may not.
	d4 := writeDelta(t, s, 4)
	if _, err := s.WriteFile(ctx, 2, "agg-0-stray.kg", EncodeKeyed(0, 4, nil)); err != nil {
		t.Fatal(err)
	}
	stray := []FileRef{{Dir: 2, Name: "agg-0-stray.kg", Size: int64(len(EncodeKeyed(0, 4, nil))), CRC: CRC(EncodeKeyed(0, 4, nil))}}
	if _, err := commitChained(ctx, s, 4, m1, [][]FileRef{d2, d3, stray, d4}); err == nil || !strings.Contains(err.Error(), "no complete checkpoint's chains use") {
		t.Fatalf("commit using a file of a subsumed checkpoint that no chain uses: %v", err)
	}
	// Nor may it use chk-2's files without chk-3's (a chain that no
	// complete checkpoint has)... unless a complete checkpoint's chains use
	// each of them: chk-4 over chk-1 and chk-2 only is accepted, although
	// it references no complete checkpoint (a finished subtask's chain is
	// reused as it is: the checkpoint holding it need not be referenced).
	m4, err := commitChained(ctx, s, 4, m1, [][]FileRef{d2, d4})
	if err != nil {
		t.Fatalf("commit over links that chk-3's chains use: %v", err)
	}
	if got := m4.Referenced(); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("Referenced = %v", got)
	}
	if err := s.Retain(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.List(ctx); !slices.Equal(ids, []int64{4}) {
		t.Fatalf("List after Retain(1) = %v", ids)
	}
	// chk-3 goes (no chain uses its files any more); chk-2 keeps what
	// chk-4 uses.
	if names := st.names(t, ""); !slices.Equal(names, []string{"chk-1", "chk-2", "chk-4"}) {
		t.Fatalf("after the second Retain(1) the storage holds %q", names)
	}
	if names := st.names(t, "chk-2"); !slices.Equal(names, []string{d2[0].Name, d2[1].Name}) {
		t.Fatalf("after the second Retain(1) chk-2 holds %q", names)
	}
	if got, err := Verify(ctx, s, 4); err != nil || !equalMetadata(got, m4) {
		t.Fatalf("Verify(4) = %v, %v", got, err)
	}
	// A new full checkpoint frees the chain: every older directory goes.
	mustCheckpoint(t, s, 5)
	if err := s.Retain(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.List(ctx); !slices.Equal(ids, []int64{5}) {
		t.Fatalf("List after a full checkpoint and Retain(1) = %v", ids)
	}
	if names := st.names(t, ""); !slices.Equal(names, []string{"chk-5"}) {
		t.Fatalf("after a full checkpoint and Retain(1) the storage holds %q", names)
	}
}
