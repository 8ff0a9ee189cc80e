package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// directData is n pseudo-random bytes.
func directData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// writeDirect writes data into a direct file name in pieces of the given
// sizes (cycled), then syncs (when sync) and closes it.
func writeDirect(t *testing.T, name string, data []byte, pieces []int, sync bool) File {
	t.Helper()
	f, err := OS{}.CreateDirect(name)
	if err != nil {
		t.Fatal(err)
	}
	for i, rest := 0, data; len(rest) > 0; i++ {
		n := min(pieces[i%len(pieces)], len(rest))
		if k, err := f.Write(rest[:n]); err != nil || k != n {
			t.Fatalf("Write of %d bytes = %d, %v", n, k, err)
		}
		rest = rest[n:]
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return f
}

// skipWithoutODirect skips the test when the filesystem of dir refuses
// O_DIRECT.
func skipWithoutODirect(t *testing.T, dir string) {
	t.Helper()
	f, err := directOpen(filepath.Join(dir, "probe"))
	if errors.Is(err, syscall.EINVAL) {
		t.Skipf("the filesystem of %s refuses O_DIRECT", dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// hookDirectWrite makes w the write of direct files for the test.
func hookDirectWrite(t *testing.T, w func(*os.File, []byte) (int, error)) {
	old := directWrite
	directWrite = w
	t.Cleanup(func() { directWrite = old })
}

// newDirect creates a direct file in a new temporary directory (the test
// is skipped where that refuses O_DIRECT).
func newDirect(t *testing.T) File {
	t.Helper()
	dir := t.TempDir()
	skipWithoutODirect(t, dir)
	f, err := OS{}.CreateDirect(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.(*directFile); !ok {
		t.Fatalf("CreateDirect gave a %T", f)
	}
	return f
}

// O_DIRECT is on the descriptor's flags (/proc/self/fdinfo).
func hasODirect(t *testing.T, f *os.File) bool {
	t.Helper()
	info, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", f.Fd()))
	if err != nil {
		t.Skipf("no fdinfo: %v", err)
	}
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			fl, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			if err != nil {
				t.Fatalf("fdinfo flags %q: %v", v, err)
			}
			return fl&syscall.O_DIRECT != 0
		}
	}
	t.Fatalf("no flags in fdinfo: %s", info)
	return false
}

// A direct file has exactly the bytes written, whatever the sizes of the
// writes and of the file around the buffer's size, with or without a Sync
// before Close.
func TestDirectFileContents(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, directAlign - 1, directAlign, directBufSize - 1, directBufSize, directBufSize + 1, 3*directBufSize + 12345} {
		for _, pieces := range [][]int{{size + 1}, {1, 4095, 7, directBufSize + 3}, {directBufSize}} {
			for _, sync := range []bool{true, false} {
				name := filepath.Join(dir, fmt.Sprintf("f-%d-%d-%v", size, pieces[0], sync))
				data := directData(size, uint64(size))
				writeDirect(t, name, data, pieces, sync)
				back, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(back, data) {
					t.Fatalf("%s: read back %d bytes, wrote %d (equal prefix %d)", name, len(back), len(data), commonPrefix(back, data))
				}
			}
		}
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// The full buffers go out with O_DIRECT on the descriptor (where the
// filesystem takes it: the test's temporary directory); the tail turns it
// off.
func TestDirectFileUsesODirect(t *testing.T) {
	dir := t.TempDir()
	skipWithoutODirect(t, dir)
	name := filepath.Join(dir, "f")
	f, err := OS{}.CreateDirect(name)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := f.(*directFile)
	if !ok {
		t.Fatalf("CreateDirect gave a %T", f)
	}
	data := directData(2*directBufSize+100, 7)
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if !hasODirect(t, d.f) || !d.direct || !d.wrote {
		t.Fatalf("after two full buffers: O_DIRECT %v, direct %v, wrote %v", hasODirect(t, d.f), d.direct, d.wrote)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if hasODirect(t, d.f) || d.direct {
		t.Fatal("O_DIRECT still on after the tail was written")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	if back, err := os.ReadFile(name); err != nil || !bytes.Equal(back, data) {
		t.Fatalf("read back %d bytes, %v", len(back), err)
	}
}

// A filesystem that refuses O_DIRECT, at the open or at the first write,
// gets buffered writes of the same bytes.
func TestDirectFileFallback(t *testing.T) {
	data := directData(directBufSize*2+5, 3)
	t.Run("open", func(t *testing.T) {
		defer func(o func(string) (*os.File, error)) { directOpen = o }(directOpen)
		directOpen = func(string) (*os.File, error) {
			return nil, &os.PathError{Op: "open", Path: "x", Err: syscall.EINVAL}
		}
		name := filepath.Join(t.TempDir(), "f")
		if f := writeDirect(t, name, data, []int{1000}, true); func() bool { _, ok := f.(*directFile); return ok }() {
			t.Fatal("a direct file although the open refused O_DIRECT")
		}
		if back, err := os.ReadFile(name); err != nil || !bytes.Equal(back, data) {
			t.Fatalf("read back %d bytes, %v", len(back), err)
		}
	})
	t.Run("first write", func(t *testing.T) {
		refused := 0
		dir := t.TempDir()
		skipWithoutODirect(t, dir)
		hookDirectWrite(t, func(f *os.File, b []byte) (int, error) {
			if hasODirect(t, f) {
				refused++
				return 0, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.EINVAL}
			}
			return f.Write(b)
		})
		name := filepath.Join(dir, "f")
		writeDirect(t, name, data, []int{1000}, true)
		if refused != 1 {
			t.Fatalf("%d direct writes refused, want 1 (then buffered)", refused)
		}
		if back, err := os.ReadFile(name); err != nil || !bytes.Equal(back, data) {
			t.Fatalf("read back %d bytes, %v", len(back), err)
		}
	})
}

// A write error after data went out is the file's error for good: no
// fallback, every later Write, Sync and Close fails.
func TestDirectFileWriteError(t *testing.T) {
	calls := 0
	hookDirectWrite(t, func(f *os.File, b []byte) (int, error) {
		if calls++; calls == 2 {
			return 0, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.EINVAL}
		}
		return f.Write(b)
	})
	f := newDirect(t)
	data := directData(3*directBufSize, 9)
	n, err := f.Write(data)
	if !errors.Is(err, syscall.EINVAL) || n != directBufSize {
		t.Fatalf("Write = %d, %v; want %d written and the refusal", n, err, directBufSize)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Write after the error: %v", err)
	}
	if err := f.Sync(); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Sync after the error: %v", err)
	}
	if err := f.Close(); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Close after the error: %v", err)
	}
}

// CreateDirect of an FS without it (CrashFS) is its Create.
func TestCreateDirectOtherFS(t *testing.T) {
	fsys := NewCrashFS(1)
	f, err := CreateDirect(fsys, "f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if back, err := ReadFile(fsys, "f"); err != nil || string(back) != "abc" {
		t.Fatalf("read back %q, %v", back, err)
	}
}

// A Write whose flush fails reports the bytes of its own that went out
// (none here: the buffer it filled held an earlier Write's bytes too), never
// a negative count (bufio.Writer slices by it).
func TestDirectFileWriteErrorCount(t *testing.T) {
	hookDirectWrite(t, func(f *os.File, b []byte) (int, error) {
		return 0, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	})
	f := newDirect(t)
	defer f.Close()
	if n, err := f.Write(make([]byte, 768<<10)); n != 768<<10 || err != nil {
		t.Fatalf("first Write = %d, %v", n, err)
	}
	if n, err := f.Write(make([]byte, 400<<10)); n != 0 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Write that fills and fails = %d, %v; want 0 and the error", n, err)
	}
}

// A direct write that wrote part of a buffer and then failed (EINVAL
// included) is an error for good: the buffer is not written again through
// the page cache, which would repeat its first part in the file.
func TestDirectFilePartialWriteNoFallback(t *testing.T) {
	hookDirectWrite(t, func(f *os.File, b []byte) (int, error) {
		n, err := f.Write(b[:directAlign])
		if err != nil {
			return n, err
		}
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.EINVAL}
	})
	f := newDirect(t)
	if _, err := f.Write(make([]byte, directBufSize+10)); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Write = %v, want the write's EINVAL", err)
	}
	if err := f.Close(); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Close = %v", err)
	}
}

// What Sync or Close writes of a partly filled buffer goes out directly in
// whole blocks, the rest (under a block) without O_DIRECT.
func TestDirectFileTailBlocks(t *testing.T) {
	dir := t.TempDir()
	skipWithoutODirect(t, dir)
	type call struct {
		n      int
		direct bool
	}
	var calls []call
	hookDirectWrite(t, func(f *os.File, b []byte) (int, error) {
		calls = append(calls, call{len(b), hasODirect(t, f)})
		return f.Write(b)
	})
	name := filepath.Join(dir, "f")
	data := directData(2*directAlign+100, 5)
	writeDirect(t, name, data, []int{len(data)}, true)
	want := []call{{2 * directAlign, true}, {100, false}}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Fatalf("writes %v, want %v", calls, want)
	}
	if back, err := os.ReadFile(name); err != nil || !bytes.Equal(back, data) {
		t.Fatalf("read back %d bytes, %v", len(back), err)
	}
}

// An aborted AtomicFile on a direct file writes nothing more (the buffer is
// dropped) and leaves no file.
func TestDirectFileAbortWritesNothing(t *testing.T) {
	dir := t.TempDir()
	writes := 0
	hookDirectWrite(t, func(f *os.File, b []byte) (int, error) {
		writes++
		return f.Write(b)
	})
	name := filepath.Join(dir, "f")
	a, err := CreateAtomicDirect(OS{}, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write(make([]byte, 100_000)); err != nil {
		t.Fatal(err)
	}
	a.Abort()
	if writes != 0 {
		t.Fatalf("%d writes for an aborted file", writes)
	}
	for _, n := range []string{name, name + TempSuffix} {
		if _, err := os.Stat(n); !os.IsNotExist(err) {
			t.Fatalf("%s after Abort: %v", n, err)
		}
	}
}

// Several direct files written at once (the uploaders of several jobs)
// each get their own bytes; their buffers come from one pool.
func TestDirectFilesConcurrent(t *testing.T) {
	dir := t.TempDir()
	const files = 4
	errs := make(chan error, files)
	for i := range files {
		go func() {
			name := filepath.Join(dir, fmt.Sprint(i))
			data := directData(2*directBufSize+i*777, uint64(i))
			for round := range 3 {
				f, err := OS{}.CreateDirect(name)
				if err == nil {
					_, err = f.Write(data)
				}
				if err == nil {
					err = f.Close()
				}
				if err == nil {
					var back []byte
					if back, err = os.ReadFile(name); err == nil && !bytes.Equal(back, data) {
						err = fmt.Errorf("%s round %d: %d bytes back, %d written", name, round, len(back), len(data))
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range files {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
