//go:build linux && (amd64 || arm64)

package journal

import (
	"path/filepath"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// TestAdviseSequential: the advice reaches the kernel for an OS file (a
// wrong call number or argument would be EINVAL or EBADF), and a file of
// the fault-injecting FS is left alone.
func TestAdviseSequential(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	w, err := vfs.OS{}.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := vfs.OS{}.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := adviseSequential(r); err != nil {
		t.Fatalf("OS file: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := adviseSequential(r); err == nil {
		t.Fatal("a closed OS file took the advice")
	}
	c := vfs.NewCrashFS(1)
	cw, err := c.Create("g")
	if err != nil {
		t.Fatal(err)
	}
	if err := adviseSequential(cw); err != nil {
		t.Fatalf("CrashFS file: %v", err)
	}
}
