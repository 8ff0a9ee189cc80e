//go:build unix

package cli

import (
	"strings"
	"testing"
)

// TestJournalConsumeFollowOtherProcess: a journal that another process
// holds (its lock taken here through a separate open file, which flock
// treats as another holder) cannot be consumed or followed from this
// process; the error names the HTTP tail to use instead. Once the lock is
// released the same command reads the records.
func TestJournalConsumeFollowOtherProcess(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runJ(t, "1\n2\n", "produce", "--dir", dir, "--topic", "t"); code != 0 {
		t.Fatalf("produce: exit %d: %s", code, errs)
	}
	release, err := lockJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runJ(t, "", "consume", "--dir", dir, "--topic", "t", "--partition", "0", "--follow", "--from-beginning")
	if code != 1 || out != "" || !strings.Contains(errs, "in use by another strom process") ||
		!strings.Contains(errs, "GET /api/v1/journal/topics/t/partitions/0/tail?offset=N") {
		t.Fatalf("consume --follow of a held journal: exit %d: %q %s", code, out, errs)
	}
	release()
	code, out, errs = runJ(t, "", "consume", "--dir", dir, "--topic", "t", "--from-beginning")
	if got := parseConsumed(t, out); code != 0 || len(got) != 2 || string(got[0].Value) != "1" || string(got[1].Value) != "2" {
		t.Fatalf("consume after the release: exit %d: %q %s", code, out, errs)
	}
}
