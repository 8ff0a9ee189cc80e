package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// onlyStorage hides Local's WriteFileSum: WriteSummed's fallback path.
type onlyStorage struct{ Storage }

// WriteSummed stores the bytes under the caller's sum, which ReadFile then
// checks against the file; a sum that does not match the bytes is refused
// (Local: a wrong size; the fallback: any difference).
func TestWriteSummed(t *testing.T) {
	ctx := context.Background()
	l := NewLocal(vfs.OS{}, t.TempDir())
	var _ SumWriter = l
	data := []byte("keyed file bytes")
	sum := FileSum{Size: int64(len(data)), CRC: CRC(data)}
	for _, st := range []Storage{l, onlyStorage{l}} {
		got, err := WriteSummed(ctx, st, 1, "a.state", data, sum)
		if err != nil || got != sum {
			t.Fatalf("%T: WriteSummed = %+v, %v; want %+v", st, got, err, sum)
		}
		back, err := st.ReadFile(ctx, 1, "a.state", &sum)
		if err != nil || string(back) != string(data) {
			t.Fatalf("%T: ReadFile = %q, %v", st, back, err)
		}
		if _, err := WriteSummed(ctx, st, 1, "b.state", data, FileSum{Size: sum.Size + 1, CRC: sum.CRC}); err == nil {
			t.Fatalf("%T: a wrong size was accepted", st)
		}
	}
	_, err := WriteSummed(ctx, onlyStorage{l}, 1, "c.state", data, FileSum{Size: sum.Size, CRC: sum.CRC ^ 1})
	if err == nil || !strings.Contains(err.Error(), "its writer computed") {
		t.Fatalf("fallback with a wrong CRC: %v", err)
	}
}

// A file written piece by piece through Local.CreateFile reads back like
// one from WriteFile, past the page cache (the default) or through it; a
// wrong size on Commit, or Abort, leaves no file.
func TestCreateFile(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		t.Run(fmt.Sprintf("buffered=%v", buffered), func(t *testing.T) { testCreateFile(t, buffered) })
	}
}

func testCreateFile(t *testing.T, buffered bool) {
	ctx := context.Background()
	l := NewLocal(vfs.OS{}, t.TempDir())
	l.SetBufferedWrites(buffered)
	var _ StreamWriter = l
	// Past the direct writes' 1 MiB buffer, not a multiple of a block.
	data := bytes.Repeat([]byte("keyed file bytes, in pieces"), 100_000)
	sum := FileSum{Size: int64(len(data)), CRC: CRC(data)}
	write := func(name string) FileWriter {
		f, err := l.CreateFile(ctx, 1, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, piece := range [][]byte{data[:5], data[5:6], data[6 : 1<<20], data[1<<20:]} {
			if _, err := f.Write(piece); err != nil {
				t.Fatal(err)
			}
		}
		return f
	}
	fa := write("a.state")
	// The temporary file is open with O_DIRECT unless buffered (where the
	// filesystem takes O_DIRECT at all).
	if direct, ok := openDirect(t, filepath.Join(l.chkDir(1), "a.state"+vfs.TempSuffix)); ok && direct == buffered {
		t.Fatalf("buffered writes %v, but O_DIRECT is %v on the open file", buffered, direct)
	}
	if err := fa.Commit(sum); err != nil {
		t.Fatal(err)
	}
	back, err := l.ReadFile(ctx, 1, "a.state", &sum)
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("ReadFile = %d bytes, %v; want %d", len(back), err, len(data))
	}
	if err := write("b.state").Commit(FileSum{Size: sum.Size + 1, CRC: sum.CRC}); err == nil {
		t.Fatal("a wrong size was accepted")
	}
	write("c.state").Abort()
	for _, name := range []string{"b.state", "c.state"} {
		if _, err := l.ReadFile(ctx, 1, name, nil); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s after a refused Commit or Abort: %v", name, err)
		}
	}
	names, err := vfs.OS{}.ReadDir(l.chkDir(1))
	if err != nil || len(names) != 1 || names[0] != "a.state" {
		t.Fatalf("chk-1 holds %q, %v; want only a.state", names, err)
	}
	if _, err := l.CreateFile(ctx, 1, "../x"); err == nil {
		t.Fatal("an invalid name was accepted")
	}
}
