package expr

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

// A reviewer's regression tests (branch calc, f3ae433): the shared
// SPLIT_INDEX scan allocated g.at = make([]int, 2*(max+1)) for the
// largest constant index of the group, so a large index literal (valid
// SQL; the answer is NULL) made compilation allocate 16 bytes per index
// value: 2147483647 needed 32 GiB and killed the process ("fatal error:
// runtime: out of memory"), at plan time and in every subtask. An index
// beyond maxSharedSplitIndex is now evaluated on its own.

func reviewSplitPrograms(t *testing.T, k int64) (Program, Program) {
	u := ColumnRef(0, "u", table.StringType())
	big := call("SPLIT_INDEX", u, s(","), i(k))
	first := call("SPLIT_INDEX", u, s(","), i(0))
	// Whether the two are shared (an index beyond maxSharedSplitIndex is
	// not) is the Shared's choice; compiling must not cost per index.
	sh := NewShared([]Expr{big, first})
	return must2(sh.Compile(big)), must2(sh.Compile(first))
}

// TestReviewSharedSplitLargeIndexAllocates: compiling SPLIT_INDEX(u, ',',
// 4194304) next to SPLIT_INDEX(u, ',', 0) allocates ~64 MiB (Compile:
// nothing per index).
func TestReviewSharedSplitLargeIndexAllocates(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	pBig, pFirst := reviewSplitPrograms(t, 1<<22)
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 8<<20 {
		t.Errorf("compiling two shared SPLIT_INDEX calls allocated %d MiB (index 4194304)", d>>20)
	}
	row := table.NewRow(table.Str("a,b"))
	if v, err := pBig(&row); err != nil || !v.IsNull() {
		t.Errorf("SPLIT_INDEX('a,b', ',', 4194304) = %v, %v; want NULL", v, err)
	}
	if v, err := pFirst(&row); err != nil || v.AsString() != "a" {
		t.Errorf("SPLIT_INDEX('a,b', ',', 0) = %v, %v; want a", v, err)
	}
}

// TestReviewSharedSplitMaxIntIndexCrashes: with index 2147483647 the
// process dies (run in a child process so the test binary survives).
func TestReviewSharedSplitMaxIntIndexCrashes(t *testing.T) {
	if os.Getenv("REVIEW_SPLIT_CHILD") == "1" {
		pBig, pFirst := reviewSplitPrograms(t, 2147483647)
		row := table.NewRow(table.Str("a,b"))
		v, err := pBig(&row)
		w, err2 := pFirst(&row)
		if err != nil || err2 != nil || !v.IsNull() || w.AsString() != "a" {
			t.Fatalf("got %v %v %v %v", v, err, w, err2)
		}
		os.Stdout.WriteString("CHILD-OK\n")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReviewSharedSplitMaxIntIndexCrashes$", "-test.count=1")
	cmd.Env = append(os.Environ(), "REVIEW_SPLIT_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "CHILD-OK") {
		msg := string(out)
		if i := strings.Index(msg, "\n\n"); i > 0 {
			msg = msg[:i]
		}
		t.Fatalf("compiling SPLIT_INDEX(u, ',', 2147483647) and SPLIT_INDEX(u, ',', 0) together: %v: %s", err, msg)
	}
}
