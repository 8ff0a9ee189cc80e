package file

import (
	"os"
	"path/filepath"
	"testing"
)

// A completed checkpoint (not yet committed: a crash between the
// checkpoint and its Commit) whose sink directory was then moved (volume
// mounted elsewhere, directory renamed) and the job restored with 'path'
// pointing at the new location: v1 committables resolved the files in the
// sink's directory and committed them; v2 looks only in the recorded one.
func TestTxSinkRestoreAfterMove(t *testing.T) {
	root := t.TempDir()
	old := filepath.Join(root, "a")
	moved := filepath.Join(root, "b")
	store := map[int64][][]byte{}
	j := startJob(t, TransactionalSinkOptions[event]{Dir: old}, 1, store, 0)
	j.write(0, event{1, "a"})
	store[1] = j.barrier(1) // completed, not committed
	if err := os.Rename(old, moved); err != nil {
		t.Fatal(err)
	}
	sink, err := NewTransactionalSink(TransactionalSinkOptions[event]{Dir: moved})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Commit(t.Context(), store[1]); err != nil {
		t.Fatalf("restore commit after the directory moved: %v", err)
	}
}

// Relative Dir, second run from another working directory that holds the
// same tree (e.g. a copy or a bind mount): same situation.
func TestTxSinkRelativeDirOtherCwd(t *testing.T) {
	root := t.TempDir()
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.MkdirAll(filepath.Join(root, "w1"), 0o755)
	os.Chdir(filepath.Join(root, "w1"))
	store := map[int64][][]byte{}
	j := startJob(t, TransactionalSinkOptions[event]{Dir: "out"}, 1, store, 0)
	j.write(0, event{1, "a"})
	store[1] = j.barrier(1)
	c, _ := DecodeCommittable(store[1][0])
	t.Logf("recorded dir %q", c.Dir)
	os.Rename(filepath.Join(root, "w1"), filepath.Join(root, "w2"))
	os.Chdir(filepath.Join(root, "w2"))
	sink, _ := NewTransactionalSink(TransactionalSinkOptions[event]{Dir: "out"})
	if err := sink.Commit(t.Context(), store[1]); err != nil {
		t.Fatalf("restore commit from the moved working directory: %v", err)
	}
}
