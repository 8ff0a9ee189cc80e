package vfs

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"
)

// resident returns how many of the pages of file name are in the page
// cache (mincore(2) over a mapping of it).
func resident(t *testing.T, name string) (in, all int) {
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
	page := os.Getpagesize()
	vec := make([]byte, (len(m)+page-1)/page)
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Skipf("mincore: %v", e)
	}
	for _, v := range vec {
		if v&1 != 0 {
			in++
		}
	}
	return in, len(vec)
}

// TestAtomicDropCache: a file committed after DropCache has its pages out
// of the page cache (and reads back whole), one committed without keeps
// them.
func TestAtomicDropCache(t *testing.T) {
	dir := t.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type == 0x01021994 { // tmpfs: its pages are the file, never dropped
		t.Skip("tmpfs keeps a file's pages")
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	write := func(name string, drop bool) string {
		p := filepath.Join(dir, name)
		a, err := CreateAtomic(OS{}, p)
		if err != nil {
			t.Fatal(err)
		}
		if drop {
			a.DropCache()
		}
		if _, err := a.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := a.Commit(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	kept := write("kept", false)
	if in, all := resident(t, kept); in == 0 {
		t.Skipf("no page of a file just written is cached (%d pages): the filesystem does not cache", all)
	}
	dropped := write("dropped", true)
	if in, all := resident(t, dropped); in != 0 {
		t.Fatalf("%d of %d pages cached after Commit with DropCache, want 0", in, all)
	}
	got, err := os.ReadFile(dropped)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, not what was written", len(got))
	}
}
