package checkpoint

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stromio/strom/internal/vfs"
)

// cachedPages returns how many pages of file name are in the page cache
// (mincore(2) over a mapping of it).
func cachedPages(t *testing.T, name string) int {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(info.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(m)
	vec := make([]byte, (len(m)+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Skipf("mincore: %v", e)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// TestLocalCreateFilePageCache: a file of CreateFile leaves the page cache
// on Commit, unless KeepPageCache was called.
func TestLocalCreateFilePageCache(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	write := func(keep bool) string {
		dir := t.TempDir()
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			t.Fatal(err)
		}
		if st.Type == 0x01021994 {
			t.Skip("tmpfs keeps a file's pages")
		}
		l := NewLocal(vfs.OS{}, dir)
		if keep {
			l.KeepPageCache()
		}
		w, err := l.CreateFile(context.Background(), 1, "op-0.state")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(FileSum{Size: int64(len(data)), CRC: CRC(data)}); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, ChkDirName(1), "op-0.state")
	}
	if n := cachedPages(t, write(true)); n == 0 {
		t.Skip("a file just written has no cached page: the filesystem does not cache")
	}
	if n := cachedPages(t, write(false)); n != 0 {
		t.Fatalf("%d pages cached after Commit, want 0", n)
	}
}
