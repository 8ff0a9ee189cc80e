package file

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
)

// stagedBytes is the size on disk of the one staged file under dir/part.
func stagedBytes(t *testing.T, dir, part string) int64 {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, part, ".*"+stagedSuffix))
	if err != nil || len(m) != 1 {
		t.Fatalf("staged files in %s: %v %v", part, m, err)
	}
	fi, err := os.Stat(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestTxSinkBufferBytes: a part file buffers up to BufferBytes while at
// most 4 are open and up to DefaultBufferBytes while more are; what is
// written and committed is the same.
func TestTxSinkBufferBytes(t *testing.T) {
	dir := t.TempDir()
	type rec struct {
		P string `json:"p"`
		S string `json:"s"`
	}
	s, err := NewTransactionalSink(TransactionalSinkOptions[rec]{Dir: dir, Format: FormatJSONLines, BufferBytes: 4 * DefaultBufferBytes,
		Partition: func(r rec) string { return "p=" + r.P }})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Open(context.Background(), connector.SinkInfo{})
	if err != nil {
		t.Fatal(err)
	}
	tw := w.(*txWriter[rec])
	big := strings.Repeat("x", 1000)
	write := func(p string, n int) {
		t.Helper()
		for range n {
			if err := w.Write(rec{p, big}, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Four partitions open: 100 KB buffered in "a", nothing written yet.
	write("a", 100)
	write("b", 1)
	write("c", 1)
	write("d", 1)
	if n := stagedBytes(t, dir, "p=a"); n != 0 || len(tw.parts) != 4 {
		t.Fatalf("4 parts open: %d bytes written, %d parts", n, len(tw.parts))
	}
	// 250 KB: still buffered; past BufferBytes written.
	write("a", 150)
	if n := stagedBytes(t, dir, "p=a"); n != 0 {
		t.Fatalf("%d bytes written below BufferBytes", n)
	}
	write("a", 20)
	if n := stagedBytes(t, dir, "p=a"); n < 4*DefaultBufferBytes {
		t.Fatalf("%d bytes written past BufferBytes", n)
	}
	// A fifth partition: a part file writes at DefaultBufferBytes.
	write("e", 1)
	write("b", 70)
	if n := stagedBytes(t, dir, "p=b"); n < DefaultBufferBytes || n > DefaultBufferBytes+2000 {
		t.Fatalf("5 parts open: %d bytes written, want about %d", n, DefaultBufferBytes)
	}
	if _, err := tw.PreCommit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	for p, n := range map[string]int{"a": 270, "b": 71, "c": 1, "d": 1, "e": 1} {
		m, _ := filepath.Glob(filepath.Join(dir, "p="+p, ".*"))
		if len(m) != 1 {
			t.Fatalf("p=%s: %v", p, m)
		}
		b, err := os.ReadFile(m[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(string(b), "\n"); got != n || len(b) != n*len(`{"p":"a","s":""}`+"\n"+big) {
			t.Fatalf("p=%s: %d records, %d bytes", p, got, len(b))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
