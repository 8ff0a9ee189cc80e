package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func mustWrite(t *testing.T, fsys FS, name string, data []byte, sync bool) {
	t.Helper()
	f, err := fsys.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, fsys FS, name string) []byte {
	t.Helper()
	data, err := ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustSyncDir(t *testing.T, fsys FS, dir string) {
	t.Helper()
	if err := fsys.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
}

func exists(t *testing.T, fsys FS, name string) bool {
	t.Helper()
	_, err := fsys.Stat(name)
	if err != nil && !IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

// conformance runs the same operations on any FS and checks what a reader
// sees (no crash involved): CrashFS must behave like the OS.
func conformance(t *testing.T, fsys FS, root string) {
	p := func(name string) string { return filepath.Join(root, name) }
	if err := fsys.MkdirAll(p("a/b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fsys.MkdirAll(p("a/b"), 0o755); err != nil {
		t.Fatalf("MkdirAll of an existing dir: %v", err)
	}
	mustWrite(t, fsys, p("a/b/x"), []byte("hello"), true)
	mustWrite(t, fsys, p("a/y"), []byte("12345678"), false)
	if info, err := fsys.Stat(p("a/y")); err != nil || info.Size != 8 || info.IsDir {
		t.Fatalf("Stat a/y = %+v, %v", info, err)
	}
	if info, err := fsys.Stat(p("a/b")); err != nil || !info.IsDir {
		t.Fatalf("Stat a/b = %+v, %v", info, err)
	}
	if names, err := fsys.ReadDir(p("a")); err != nil || !slices.Equal(names, []string{"b", "y"}) {
		t.Fatalf("ReadDir a = %q, %v", names, err)
	}
	// Create truncates.
	mustWrite(t, fsys, p("a/y"), []byte("z"), true)
	if got := mustRead(t, fsys, p("a/y")); string(got) != "z" {
		t.Fatalf("after truncate: %q", got)
	}
	// Rename replaces a file.
	if err := fsys.Rename(p("a/y"), p("a/b/x")); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, fsys, p("a/b/x")); string(got) != "z" {
		t.Fatalf("after rename: %q", got)
	}
	if exists(t, fsys, p("a/y")) {
		t.Fatal("a/y still exists after rename")
	}
	if _, err := fsys.Open(p("nope")); !IsNotExist(err) {
		t.Fatalf("Open of a missing file: %v", err)
	}
	if err := fsys.Remove(p("a/b")); err == nil {
		t.Fatal("Remove of a non-empty directory succeeded")
	}
	// A reader cannot write and a writer cannot read.
	r, err := fsys.Open(p("a/b/x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("x")); err == nil {
		t.Fatal("Write on a file opened for reading succeeded")
	}
	r.Close()
	w, err := fsys.Create(p("a/w"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Read(make([]byte, 1)); err == nil {
		t.Fatal("Read on a file created for writing succeeded")
	}
	w.Close()
	if err := WriteFileAtomic(fsys, p("a/atomic"), []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(fsys, p("a/atomic"), []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, fsys, p("a/atomic")); string(got) != "v2" {
		t.Fatalf("WriteFileAtomic: %q", got)
	}
	if exists(t, fsys, p("a/atomic"+TempSuffix)) {
		t.Fatal("temporary file left behind")
	}
	if err := fsys.Remove(p("a/w")); err != nil {
		t.Fatal(err)
	}
	if err := fsys.RemoveAll(p("a")); err != nil {
		t.Fatal(err)
	}
	if err := fsys.RemoveAll(p("a")); err != nil {
		t.Fatalf("RemoveAll of a missing name: %v", err)
	}
	if exists(t, fsys, p("a")) {
		t.Fatal("a exists after RemoveAll")
	}
	mustSyncDir(t, fsys, root)
}

func TestConformanceOS(t *testing.T)    { conformance(t, OS{}, t.TempDir()) }
func TestConformanceCrash(t *testing.T) { conformance(t, NewCrashFS(1), "root") }

func TestCrashDropsUnsyncedData(t *testing.T) {
	c := NewCrashFS(1)
	mustWrite(t, c, "f", []byte("data"), false)
	mustSyncDir(t, c, ".")
	c.Crash()
	if got := mustRead(t, c, "f"); len(got) != 0 {
		t.Fatalf("unsynced data survived: %q", got)
	}
}

func TestCrashForgetsUnsyncedCreate(t *testing.T) {
	c := NewCrashFS(1)
	mustWrite(t, c, "f", []byte("data"), true) // file synced, directory not
	c.Crash()
	if exists(t, c, "f") {
		t.Fatal("a create whose directory was not synced survived")
	}
}

func TestCrashKeepsSynced(t *testing.T) {
	c := NewCrashFS(1)
	if err := c.MkdirAll("d/e", 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, c, "d/e/f", []byte("data"), true)
	mustSyncDir(t, c, "d/e")
	mustSyncDir(t, c, "d")
	mustSyncDir(t, c, ".")
	c.Crash()
	if got := mustRead(t, c, "d/e/f"); string(got) != "data" {
		t.Fatalf("got %q", got)
	}
}

func TestCrashNeedsEveryParentSynced(t *testing.T) {
	c := NewCrashFS(1)
	if err := c.MkdirAll("d/e", 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, c, "d/e/f", []byte("data"), true)
	mustSyncDir(t, c, "d/e")
	mustSyncDir(t, c, ".") // d is durable, but d's entry e is not
	c.Crash()
	if !exists(t, c, "d") || exists(t, c, "d/e") {
		t.Fatalf("want d without e after the crash, have:\n%s", c.Tree())
	}
}

func TestCrashForgetsUnsyncedRenameAndRemove(t *testing.T) {
	c := NewCrashFS(1)
	mustWrite(t, c, "a", []byte("old"), true)
	mustWrite(t, c, "gone", []byte("g"), true)
	mustSyncDir(t, c, ".")
	mustWrite(t, c, "a.tmp", []byte("new"), true)
	if err := c.Rename("a.tmp", "a"); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove("gone"); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, c, "a"); string(got) != "new" {
		t.Fatalf("before the crash: %q", got)
	}
	c.Crash()
	if got := mustRead(t, c, "a"); string(got) != "old" {
		t.Fatalf("unsynced rename survived: a = %q", got)
	}
	if exists(t, c, "a.tmp") {
		t.Fatal("unsynced create of a.tmp survived")
	}
	if got := mustRead(t, c, "gone"); string(got) != "g" {
		t.Fatalf("unsynced remove survived: gone = %q", got)
	}
}

func TestCrashTruncateUnsynced(t *testing.T) {
	c := NewCrashFS(1)
	mustWrite(t, c, "a", []byte("old"), true)
	mustSyncDir(t, c, ".")
	mustWrite(t, c, "a", []byte("new!"), false)
	c.Crash()
	if got := mustRead(t, c, "a"); string(got) != "old" {
		t.Fatalf("without tearing, an unsynced truncate+write must be dropped: %q", got)
	}
}

func TestCrashTearsAtBlockBoundaries(t *testing.T) {
	for _, block := range []int{512, 4096} {
		t.Run(fmt.Sprint(block), func(t *testing.T) {
			data := make([]byte, 20000)
			for i := range data {
				data[i] = byte(i*7 + 1)
			}
			const synced = 100
			cuts := map[int]bool{}
			for seed := range uint64(200) {
				c := NewCrashFS(seed)
				c.SetTear(block)
				f, err := c.Create("f")
				if err != nil {
					t.Fatal(err)
				}
				f.Write(data[:synced])
				if err := f.Sync(); err != nil {
					t.Fatal(err)
				}
				f.Write(data[synced:])
				mustSyncDir(t, c, ".")
				c.Crash()
				got := mustRead(t, c, "f")
				n := len(got)
				if n != synced && n != len(data) && n%block != 0 {
					t.Fatalf("seed %d: torn at %d, not at a %d-byte boundary", seed, n, block)
				}
				if n < synced || !bytes.Equal(got, data[:n]) {
					t.Fatalf("seed %d: %d bytes survive, not a prefix that keeps the synced %d", seed, n, synced)
				}
				cuts[n] = true
			}
			if !cuts[synced] || !cuts[len(data)] || len(cuts) < 3 {
				t.Fatalf("cuts seen %v: want none, all and some torn prefixes", cuts)
			}
		})
	}
}

func TestCrashDeterministic(t *testing.T) {
	run := func() string {
		c := NewCrashFS(42)
		c.SetTear(512)
		for i := range 20 {
			name := fmt.Sprintf("f%d", i)
			f, _ := c.Create(name)
			f.Write(bytes.Repeat([]byte{byte(i)}, 3000+i*100))
			if i%3 == 0 {
				f.Sync()
			}
			f.Close()
		}
		c.SyncDir(".")
		c.Crash()
		return c.Tree()
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("same seed, different results:\n%s\n---\n%s", a, b)
	}
}

func TestStaleHandleAfterCrash(t *testing.T) {
	c := NewCrashFS(1)
	f, err := c.Create("f")
	if err != nil {
		t.Fatal(err)
	}
	c.Crash()
	if _, err := f.Write([]byte("x")); !errors.Is(err, ErrStale) {
		t.Fatalf("write on a stale handle: %v", err)
	}
}

func TestInjectWriteErrors(t *testing.T) {
	c := NewCrashFS(7)
	c.Inject(Fault{Op: OpWrite, N: 2, Err: syscall.ENOSPC})
	f, err := c.Create("f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("one")); err != nil {
		t.Fatal(err)
	}
	n, err := f.Write([]byte("two"))
	if n != 0 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("second write = %d, %v; want 0, ENOSPC", n, err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != "f" {
		t.Fatalf("error does not name the file: %v", err)
	}
	if c.Pending() != 0 {
		t.Fatal("the fault is still pending after it fired")
	}
	if _, err := f.Write([]byte("three")); err != nil {
		t.Fatalf("a fault fires once: %v", err)
	}
	f.Close()
	if got := mustRead(t, c, "f"); string(got) != "onethree" {
		t.Fatalf("got %q", got)
	}
}

func TestInjectShortWrite(t *testing.T) {
	c := NewCrashFS(7)
	c.Inject(Fault{Op: OpWrite, N: 1, Path: "target", Short: true, Err: syscall.ENOSPC})
	mustWrite(t, c, "other", []byte("not counted"), false)
	f, _ := c.Create("target")
	buf := []byte("0123456789")
	n, err := f.Write(buf)
	if n >= len(buf) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("short write = %d, %v", n, err)
	}
	f.Close()
	if got := mustRead(t, c, "target"); !bytes.Equal(got, buf[:n]) {
		t.Fatalf("file holds %q after a short write of %d", got, n)
	}
}

func TestInjectSyncErrorLosesDataForGood(t *testing.T) {
	c := NewCrashFS(1)
	c.Inject(Fault{Op: OpSync, N: 1, Err: syscall.EIO})
	f, _ := c.Create("f")
	f.Write([]byte("aaaa"))
	if err := f.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("sync: %v", err)
	}
	f.Write([]byte("bbbb"))
	if err := f.Sync(); err != nil { // succeeds, as on Linux
		t.Fatal(err)
	}
	f.Close()
	mustSyncDir(t, c, ".")
	if got := mustRead(t, c, "f"); string(got) != "aaaabbbb" {
		t.Fatalf("before the crash readers see the page cache: %q", got)
	}
	c.Crash()
	if got := mustRead(t, c, "f"); string(got) != "\x00\x00\x00\x00bbbb" {
		t.Fatalf("after the crash the pages of the failed sync are lost: %q", got)
	}
}

func TestInjectSyncDirError(t *testing.T) {
	c := NewCrashFS(1)
	c.Inject(Fault{Op: OpSyncDir, N: 1})
	mustWrite(t, c, "f", []byte("x"), true)
	if err := c.SyncDir("."); !errors.Is(err, syscall.EIO) {
		t.Fatalf("SyncDir: %v", err)
	}
	c.Crash()
	if exists(t, c, "f") {
		t.Fatal("a failed SyncDir made the entry durable")
	}
}

func TestHaltAfter(t *testing.T) {
	c := NewCrashFS(1)
	c.HaltAfter(2) // create + write
	f, err := c.Create("f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); !errors.Is(err, ErrHalted) {
		t.Fatalf("third op: %v", err)
	}
	if _, err := c.Stat("f"); !errors.Is(err, ErrHalted) {
		t.Fatalf("reads after the halt: %v", err)
	}
	if got := c.Ops(); got != 2 {
		t.Fatalf("Ops = %d, want 2", got)
	}
	c.Crash()
	if _, err := c.Stat("f"); !IsNotExist(err) {
		t.Fatalf("after crash: %v", err)
	}
	mustWrite(t, c, "g", nil, false) // usable again
}

func TestPathsStayInsideTheRoot(t *testing.T) {
	c := NewCrashFS(1)
	if _, err := c.Create("../escape"); !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("Create(../escape): %v", err)
	}
	mustWrite(t, c, "/abs", []byte("x"), false)
	if got := mustRead(t, c, "abs"); string(got) != "x" {
		t.Fatalf("/abs and abs differ: %q", got)
	}
	if err := c.MkdirAll("d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("d", "d/sub"); err == nil {
		t.Fatal("moved a directory below itself")
	}
}

// TestWriteFileAtomicCrashAtEveryStep crashes WriteFileAtomic between any
// two of its steps, with and without torn writes, whole and in pieces
// (CreateAtomic): the file holds the old or the new contents, never
// anything else.
func TestWriteFileAtomicCrashAtEveryStep(t *testing.T) {
	oldData := bytes.Repeat([]byte("old."), 3000)
	newData := bytes.Repeat([]byte("NEW!"), 2500)
	// In pieces: the same steps through CreateAtomic, the new contents
	// written in three Writes.
	inPieces := func(fsys FS, name string, data []byte) error {
		a, err := CreateAtomic(fsys, name)
		if err != nil {
			return err
		}
		for _, piece := range [][]byte{data[:100], data[100:5000], data[5000:]} {
			if _, err := a.Write(piece); err != nil {
				a.Abort()
				return err
			}
		}
		if a.Size() != int64(len(data)) {
			t.Fatalf("Size %d after writing %d bytes", a.Size(), len(data))
		}
		return a.Commit()
	}
	for _, write := range []func(FS, string, []byte) error{WriteFileAtomic, inPieces} {
		for _, tear := range []int{0, 512, 4096} {
			for k := 0; ; k++ {
				c := NewCrashFS(uint64(k))
				c.SetTear(tear)
				if err := WriteFileAtomic(c, "m", oldData); err != nil {
					t.Fatal(err)
				}
				c.HaltAfter(k)
				err := write(c, "m", newData)
				c.Crash()
				got := mustRead(t, c, "m")
				if err == nil && !bytes.Equal(got, newData) {
					t.Fatalf("tear %d step %d: acknowledged write lost (%d bytes)", tear, k, len(got))
				}
				if !bytes.Equal(got, oldData) && !bytes.Equal(got, newData) {
					t.Fatalf("tear %d step %d: file torn: %d bytes", tear, k, len(got))
				}
				if err == nil {
					break
				}
			}
		}
	}
}

// TestNonAtomicWriteIsCaught is the control for the test above: rewriting
// a file in place is caught by CrashFS as a torn file.
func TestNonAtomicWriteIsCaught(t *testing.T) {
	oldData := bytes.Repeat([]byte("old."), 3000)
	newData := bytes.Repeat([]byte("NEW!"), 2500)
	for seed := range uint64(50) {
		c := NewCrashFS(seed)
		c.SetTear(512)
		if err := WriteFileAtomic(c, "m", oldData); err != nil {
			t.Fatal(err)
		}
		f, _ := c.Create("m")
		f.Write(newData)
		c.Crash()
		got := mustRead(t, c, "m")
		if !bytes.Equal(got, oldData) && !bytes.Equal(got, newData) {
			return // caught
		}
	}
	t.Fatal("50 crashes of an in-place rewrite never produced a torn file")
}

func TestWriteFileAtomicReportsErrors(t *testing.T) {
	for _, f := range []Fault{
		{Op: OpCreate, N: 1, Err: syscall.ENOSPC},
		{Op: OpWrite, N: 1, Err: syscall.ENOSPC, Short: true},
		{Op: OpSync, N: 1, Err: syscall.EIO},
		{Op: OpRename, N: 1, Err: syscall.EIO},
		{Op: OpSyncDir, N: 1, Err: syscall.EIO},
	} {
		c := NewCrashFS(3)
		if err := WriteFileAtomic(c, "m", []byte("old")); err != nil {
			t.Fatal(err)
		}
		c.Inject(f)
		err := WriteFileAtomic(c, "m", []byte("new contents"))
		if !errors.Is(err, f.Err) {
			t.Fatalf("%v: got %v", f.Op, err)
		}
		if f.Op != OpSyncDir && exists(t, c, "m"+TempSuffix) {
			t.Fatalf("%v: temporary file left behind", f.Op)
		}
		if f.Op != OpRename && f.Op != OpSyncDir {
			if got := mustRead(t, c, "m"); string(got) != "old" {
				t.Fatalf("%v: m changed to %q", f.Op, got)
			}
		}
	}
}

func TestReadFileErrors(t *testing.T) {
	c := NewCrashFS(1)
	if _, err := ReadFile(c, "missing"); !IsNotExist(err) {
		t.Fatalf("got %v", err)
	}
	if err := c.MkdirAll("d", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(c, "d"); err == nil {
		t.Fatal("ReadFile of a directory succeeded")
	}
	var _ io.Reader = File(nil)
}

func TestInjectReadError(t *testing.T) {
	c := NewCrashFS(1)
	mustWrite(t, c, "f", []byte("data"), false)
	ops := c.Ops()
	c.Inject(Fault{Op: OpRead, N: 1, Path: "f", Err: syscall.EIO})
	if _, err := ReadFile(c, "f"); !errors.Is(err, syscall.EIO) {
		t.Fatalf("read: %v", err)
	}
	if c.Ops() != ops {
		t.Fatal("a read counted as a mutating operation")
	}
	if got := mustRead(t, c, "f"); string(got) != "data" {
		t.Fatalf("second read: %q", got)
	}
}

// appendConformance checks OpenAppend, ReadAt and Truncate, the operations
// the journal's segments use, on any FS.
func appendConformance(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "seg")
	w, err := fsys.OpenAppend(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello ")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w, err = fsys.OpenAppend(name) // existing: appends, does not truncate
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("world")); err != nil {
		t.Fatal(err)
	}
	r, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if n, err := r.ReadAt(buf, 6); n != 5 || string(buf) != "world" || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt(6) = %d %q %v", n, buf, err)
	}
	if n, err := r.ReadAt(buf, 9); n != 2 || err != io.EOF {
		t.Fatalf("ReadAt past the end = %d %v, want 2 EOF", n, err)
	}
	if err := fsys.Truncate(name, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("!")); err != nil { // append goes to the new end
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, fsys, name); string(got) != "hello!" {
		t.Fatalf("after truncate and append: %q", got)
	}
	_ = r.Close()
	_ = w.Close()
}

func TestAppendConformanceOS(t *testing.T)    { appendConformance(t, OS{}, t.TempDir()) }
func TestAppendConformanceCrash(t *testing.T) { appendConformance(t, NewCrashFS(1), ".") }

func TestCrashUnsyncedTruncateKeepsSyncedData(t *testing.T) {
	for seed := range uint64(20) {
		c := NewCrashFS(seed)
		c.SetTear(4)
		mustWrite(t, c, "f", []byte("0123456789"), true)
		mustSyncDir(t, c, ".")
		if err := c.Truncate("f", 4); err != nil {
			t.Fatal(err)
		}
		c.Crash()
		if got := string(mustRead(t, c, "f")); got != "0123456789" && got != "0123" {
			t.Fatalf("seed %d: after an unsynced truncate: %q", seed, got)
		}
	}
}

// writeConformance checks OpenWrite (WriteAt inside and beyond the end,
// Write at the handle's position, no truncation on open, Datasync) on any
// FS: CrashFS must behave like the OS.
func writeConformance(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "seg")
	w, err := fsys.OpenWrite(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt([]byte("world"), 6); err != nil { // beyond the end: a gap of zeros
		t.Fatal(err)
	}
	if got := mustRead(t, fsys, name); string(got) != "\x00\x00\x00\x00\x00\x00world" {
		t.Fatalf("after WriteAt beyond the end: %q", got)
	}
	if _, err := w.Write([]byte("hello ")); err != nil { // the handle's position starts at 0
		t.Fatal(err)
	}
	if err := w.Datasync(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w, err = fsys.OpenWrite(name) // existing: not truncated
	if err != nil {
		t.Fatal(err)
	}
	if info, err := fsys.Stat(name); err != nil || info.Size != 11 {
		t.Fatalf("Stat after reopening = %+v, %v", info, err)
	}
	if _, err := w.WriteAt([]byte("W"), 6); err != nil { // an overwrite: the size stays
		t.Fatal(err)
	}
	if _, err := w.Read(make([]byte, 1)); err == nil {
		t.Fatal("Read on a file opened by OpenWrite succeeded")
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, fsys, name); string(got) != "hello World" {
		t.Fatalf("after the overwrite: %q", got)
	}
	if err := fsys.Truncate(name, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt([]byte("!"), 5); err != nil {
		t.Fatal(err)
	}
	if err := w.Datasync(); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, fsys, name); string(got) != "hello!" {
		t.Fatalf("after truncate and WriteAt: %q", got)
	}
	_ = w.Close()
	if w, err = fsys.OpenWrite(filepath.Join(dir, "new")); err != nil { // a missing name is created
		t.Fatal(err)
	}
	_ = w.Close()
	if info, err := fsys.Stat(filepath.Join(dir, "new")); err != nil || info.Size != 0 {
		t.Fatalf("OpenWrite of a missing name: %+v, %v", info, err)
	}
}

func TestWriteConformanceOS(t *testing.T)    { writeConformance(t, OS{}, t.TempDir()) }
func TestWriteConformanceCrash(t *testing.T) { writeConformance(t, NewCrashFS(1), ".") }

// zeroFilled creates name in c with n synced zero bytes (durable name) and
// returns a WFile of it.
func zeroFilled(t *testing.T, c *CrashFS, name string, n int) WFile {
	t.Helper()
	w, err := c.OpenWrite(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt(make([]byte, n), 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	mustSyncDir(t, c, ".")
	return w
}

func TestCrashOverwriteNeedsSync(t *testing.T) {
	c := NewCrashFS(1)
	w := zeroFilled(t, c, "f", 100)
	if _, err := w.WriteAt([]byte("synced"), 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Datasync(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt([]byte("lost"), 50); err != nil {
		t.Fatal(err)
	}
	c.Crash()
	got := mustRead(t, c, "f")
	want := make([]byte, 100)
	copy(want, "synced")
	if !bytes.Equal(got, want) {
		t.Fatalf("without tearing an unsynced overwrite must be dropped and a synced one kept: %q", got)
	}
}

// An unsynced overwrite reaches the disk block by block in any order: each
// block it touched has its old or its new contents, never anything else,
// and every combination shows up across seeds (a later block new with an
// earlier one old, too).
func TestCrashTearsOverwritesByBlock(t *testing.T) {
	const block, blocks = 512, 4
	data := make([]byte, block*blocks)
	for i := range data {
		data[i] = byte(i*7 + 1)
	}
	seen := map[string]bool{}
	for seed := range uint64(200) {
		c := NewCrashFS(seed)
		c.SetTear(block)
		w := zeroFilled(t, c, "f", len(data)+block)
		if _, err := w.WriteAt(data, 0); err != nil {
			t.Fatal(err)
		}
		c.Crash()
		got := mustRead(t, c, "f")
		if len(got) != len(data)+block {
			t.Fatalf("seed %d: an overwrite changed the size to %d", seed, len(got))
		}
		pattern := ""
		for k := range blocks {
			b := got[k*block : (k+1)*block]
			switch {
			case bytes.Equal(b, data[k*block:(k+1)*block]):
				pattern += "n"
			case bytes.Equal(b, make([]byte, block)):
				pattern += "o"
			default:
				t.Fatalf("seed %d: block %d is neither old nor new", seed, k)
			}
		}
		if !bytes.Equal(got[len(data):], make([]byte, block)) {
			t.Fatalf("seed %d: the untouched block changed", seed)
		}
		seen[pattern] = true
	}
	if len(seen) != 1<<blocks {
		t.Fatalf("patterns seen: %v, want all %d", seen, 1<<blocks)
	}
}

// After a failed sync, overwritten synced bytes keep their old contents on
// the disk even through a later successful sync, unless written again.
// Truncate drops the pages of a failed write-back beyond the new size:
// bytes written there again are written back by the next sync.
func TestInjectSyncErrorThenTruncate(t *testing.T) {
	c := NewCrashFS(1)
	f, _ := c.OpenAppend("f")
	f.Write([]byte("aaaa"))
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	mustSyncDir(t, c, ".")
	c.Inject(Fault{Op: OpSync, N: 1, Err: syscall.EIO})
	f.Write([]byte("bbbb"))
	if err := f.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("sync: %v", err)
	}
	if err := c.Truncate("f", 4); err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("cc"))
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c.Crash()
	if got := mustRead(t, c, "f"); string(got) != "aaaacc" {
		t.Fatalf("after the crash: %q, want the bytes written after the truncation", got)
	}
}

func TestInjectSyncErrorKeepsOldOverwrites(t *testing.T) {
	c := NewCrashFS(1)
	w := zeroFilled(t, c, "f", 8)
	c.Inject(Fault{Op: OpSync, N: 1, Err: syscall.EIO})
	if _, err := w.WriteAt([]byte("aaaa"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt([]byte("bb"), 4); err != nil {
		t.Fatal(err)
	}
	if err := w.Datasync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("datasync: %v", err)
	}
	if _, err := w.WriteAt([]byte("c"), 5); err != nil { // written again: dirty again
		t.Fatal(err)
	}
	if err := w.Datasync(); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, c, "f"); string(got) != "aaaabc\x00\x00" {
		t.Fatalf("before the crash readers see the page cache: %q", got)
	}
	c.Crash()
	if got := mustRead(t, c, "f"); string(got) != "\x00\x00\x00\x00\x00c\x00\x00" {
		t.Fatalf("after the crash: %q, want the old bytes where the write-back failed", got)
	}
}

// A WriteAt that extends the file is an append for a crash: a torn prefix
// of it survives, and the overwritten part follows the overwrite rule.
func TestCrashWriteAtAcrossTheEnd(t *testing.T) {
	for seed := range uint64(50) {
		c := NewCrashFS(seed)
		c.SetTear(4)
		w := zeroFilled(t, c, "f", 8)
		if _, err := w.WriteAt([]byte("0123456789abcdef"), 4); err != nil {
			t.Fatal(err)
		}
		c.Crash()
		got := mustRead(t, c, "f")
		if len(got) < 8 || len(got) > 20 || (len(got) != 8 && len(got)%4 != 0) {
			t.Fatalf("seed %d: %d bytes survive", seed, len(got))
		}
		if !bytes.Equal(got[:4], make([]byte, 4)) {
			t.Fatalf("seed %d: untouched synced bytes changed: %q", seed, got)
		}
		if b := got[4:8]; string(b) != "0123" && string(b) != "\x00\x00\x00\x00" {
			t.Fatalf("seed %d: the overwritten block is %q", seed, b)
		}
		if string(got[8:]) != "456789abcdef"[:len(got)-8] {
			t.Fatalf("seed %d: the appended part is %q", seed, got[8:])
		}
	}
}
