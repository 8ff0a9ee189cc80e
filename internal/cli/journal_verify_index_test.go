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
