package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A missing .timeindex of a sealed segment (its .index present) is an
// index warning that open repairs: verify exits 0, not 3 (an I/O error).
func TestVerifyMissingTimeIndexExit(t *testing.T) {
	dir := t.TempDir()
	in := strings.Repeat("{\"a\":\"0123456789012345678901234567890123456789\"}\n", 100)
	if code, _, errs := runJ(t, in, "produce", "--dir", dir, "--topic", "t", "--segment-bytes", "1024", "--batch", "1"); code != 0 {
		t.Fatal(errs)
	}
	ti := filepath.Join(dir, "topics", "t", "0", "00000000000000000000.timeindex")
	if err := os.Remove(ti); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runJ(t, "", "verify", "--dir", dir)
	if code != 0 || strings.Contains(out, "I/O error") {
		t.Errorf("verify with a missing .timeindex: exit %d, want 0 (an index warning): %s%s", code, out, errs)
	}
}

// TestJournalNoJournalDir: a --dir without a journal is a wrong --dir, not
// damage: verify exits 2 (not 1, which scripts read as corruption) and
// every command says what a journal directory holds and what to do.
func TestJournalNoJournalDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"verify", "--dir", dir},
		{"topics", "--dir", dir},
		{"consume", "--dir", dir, "--topic", "t", "--from-beginning"},
	} {
		code, _, errs := runJ(t, "", args...)
		if code == 0 || !strings.Contains(errs, "no journal in "+dir) || !strings.Contains(errs, "strom journal produce --dir "+dir) {
			t.Errorf("%v: exit %d, stderr %q: want a failure that names the directory and how to create a journal", args, code, errs)
		}
		if args[0] == "verify" && code != 2 {
			t.Errorf("verify of a directory without a journal: exit %d, want 2 (1 means damage)", code)
		}
	}
}
