package file

import (
	"bytes"
	"errors"
	"testing"
)

// TestTxSinkRestoreIntoNewDir: a job stopped with a savepoint (its last
// checkpoint committed) and restored into a sink whose directory changed
// (a SQL table's new 'path'). The committables record the directory the
// files were staged in (version 2), so the restore's commit finds them
// committed there instead of failing with "data lost" in the new one; a
// checkpoint not yet committed is committed where it was written; the new
// run writes into the new directory.
func TestTxSinkRestoreIntoNewDir(t *testing.T) {
	old, moved := t.TempDir(), t.TempDir()
	store := map[int64][][]byte{}
	j := startJob(t, TransactionalSinkOptions[event]{Dir: old}, 1, store, 0)
	j.write(0, event{1, "a"})
	j.checkpoint(1) // committed, as stop-with-savepoint commits its last checkpoint
	c, err := DecodeCommittable(store[1][0])
	if err != nil || c.Dir != old {
		t.Fatalf("committable dir %q (%v), want %q", c.Dir, err, old)
	}
	if store[1][0][0] != committableVersionDir {
		t.Fatalf("committable version %d", store[1][0][0])
	}
	j2 := startJob(t, TransactionalSinkOptions[event]{Dir: moved}, 1, store, 1)
	checkFiles(t, old, map[string]string{"part-0-1-0.jsonl": jsonl(event{1, "a"})})
	checkFiles(t, moved, map[string]string{})

	// A completed checkpoint whose commit did not run (a crash) restored
	// into the new directory: committed in the old one.
	j2.write(0, event{2, "b"})
	store[2] = j2.barrier(2)
	j3 := startJob(t, TransactionalSinkOptions[event]{Dir: old}, 1, store, 2)
	checkFiles(t, moved, map[string]string{"part-0-2-0.jsonl": jsonl(event{2, "b"})})
	j3.write(0, event{3, "c"})
	j3.checkpoint(3)
	checkFiles(t, old, map[string]string{"part-0-1-0.jsonl": jsonl(event{1, "a"}), "part-0-3-0.jsonl": jsonl(event{3, "c"})})
}

// TestCommittableVersions: a committable without a directory is version 1,
// byte for byte; version 2 round-trips; a relative or unclean directory is
// refused.
func TestCommittableVersions(t *testing.T) {
	c := Committable{Subtask: 1, Checkpoint: 6, Files: []StagedFile{{Partition: "dt=2024-05-01", Staged: ".part-1-9f86d081884c7d65-3.inprogress", Final: "part-1-6-0.jsonl", Size: 300}}}
	v1 := c.appendBinary(nil)
	if v1[0] != committableVersion || len(v1) != 79 {
		t.Fatalf("version 1: % x", v1)
	}
	if back, err := DecodeCommittable(v1); err != nil || back.Dir != "" {
		t.Fatalf("version 1 decoded %+v, %v", back, err)
	}
	c.Dir = "/data/out"
	v2 := c.appendBinary(nil)
	back, err := DecodeCommittable(v2)
	if err != nil || back.Dir != c.Dir || v2[0] != committableVersionDir || !bytes.Equal(back.appendBinary(nil), v2) {
		t.Fatalf("version 2 decoded %+v, %v", back, err)
	}
	for _, d := range []string{"data/out", "/data/../out", "/data/out/"} {
		c.Dir = d
		if _, err := DecodeCommittable(c.appendBinary(nil)); !errors.Is(err, ErrCorruptCommittable) {
			t.Errorf("dir %q: %v", d, err)
		}
	}
}
