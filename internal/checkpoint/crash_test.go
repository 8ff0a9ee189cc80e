package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// crashOutcome is what a restarted process finds after a crash.
type crashOutcome struct {
	got  *Metadata
	err  error
	logs string
}

func restart(c *vfs.CrashFS) crashOutcome {
	c.Crash()
	var log logger
	got, err := NewLocal(c, "data/ckpt").LoadLatest(context.Background(), log.logf)
	return crashOutcome{got, err, log.String()}
}

// checkOldOrNew fails unless the restart found old or new intact (new when
// it was acknowledged) and no corrupt checkpoint on the way.
func checkOldOrNew(t *testing.T, what string, o crashOutcome, old, new *Metadata, acked bool, c *vfs.CrashFS) {
	t.Helper()
	switch {
	case o.err != nil:
		t.Fatalf("%s: LoadLatest: %v\n%s", what, o.err, c.Tree())
	case o.logs != "":
		t.Fatalf("%s: a torn checkpoint looked complete:\n%s\n%s", what, o.logs, c.Tree())
	case acked && !equalMetadata(o.got, new):
		t.Fatalf("%s: checkpoint %d was acknowledged but the restart found %d", what, new.ID, o.got.ID)
	case !equalMetadata(o.got, old) && !equalMetadata(o.got, new):
		t.Fatalf("%s: restart found %+v, neither the old nor the new checkpoint", what, o.got)
	}
}

// TestCrashAtEveryStepOfACheckpoint stops the process after each step of
// writing checkpoint 2 (every create, write, fsync, rename, directory fsync),
// simulates a power loss, and restarts: LoadLatest returns checkpoint 1 or
// 2, never a torn one, and 2 whenever CommitMetadata had returned nil. The
// restarted process can then write checkpoint 2 again, and clean up.
func TestCrashAtEveryStepOfACheckpoint(t *testing.T) {
	ctx := context.Background()
	for _, tear := range []int{0, 512, 4096} {
		for seed := range uint64(10) {
			steps := 0
			for k := 0; ; k++ {
				c := vfs.NewCrashFS(seed*1000 + uint64(k))
				c.SetTear(tear)
				s := NewLocal(c, "data/ckpt")
				m1 := mustCheckpoint(t, s, 1)
				before := c.Ops()
				c.HaltAfter(k)
				m2, err := writeCheckpoint(ctx, s, 2, Checkpoint)
				if err != nil && !errors.Is(err, vfs.ErrHalted) {
					t.Fatalf("step %d: %v", k, err)
				}
				if m2 == nil {
					m2 = &Metadata{ID: 2}
				}
				what := fmt.Sprintf("tear %d seed %d crash after step %d", tear, seed, k)
				o := restart(c)
				checkOldOrNew(t, what, o, m1, m2, err == nil, c)

				// The restarted process carries on: retention, and the next
				// checkpoint (with the id of a crashed attempt, possibly).
				s = NewLocal(c, "data/ckpt")
				if err := s.Retain(ctx, 1); err != nil {
					t.Fatalf("%s: Retain: %v", what, err)
				}
				next := o.got.ID + 1
				m3 := mustCheckpoint(t, s, next)
				o = restart(c)
				checkOldOrNew(t, what+", then the next checkpoint", o, m3, m3, true, c)

				if err == nil {
					steps = c.Ops() - before
					break
				}
			}
			if steps < 15 {
				t.Fatalf("writing a checkpoint took only %d steps: the test is not crashing where it should", steps)
			}
		}
	}
}

// TestCrashAtEveryStepOfRetention crashes while old checkpoints are deleted:
// the newest stays, and every checkpoint that is still listed is intact.
func TestCrashAtEveryStepOfRetention(t *testing.T) {
	ctx := context.Background()
	for _, tear := range []int{0, 4096} {
		for k := 0; ; k++ {
			c := vfs.NewCrashFS(uint64(k))
			c.SetTear(tear)
			s := NewLocal(c, "data/ckpt")
			mustCheckpoint(t, s, 1)
			mustCheckpoint(t, s, 2)
			m3 := mustCheckpoint(t, s, 3)
			c.HaltAfter(k)
			err := s.Retain(ctx, 1)
			what := fmt.Sprintf("tear %d crash after step %d of Retain", tear, k)
			o := restart(c)
			checkOldOrNew(t, what, o, m3, m3, true, c)
			s = NewLocal(c, "data/ckpt")
			ids, lerr := s.List(ctx)
			if lerr != nil {
				t.Fatal(lerr)
			}
			for _, id := range ids {
				if _, verr := Verify(ctx, s, id); verr != nil {
					t.Fatalf("%s: chk-%d is listed as complete but: %v", what, id, verr)
				}
			}
			if err == nil {
				if !slices.Equal(ids, []int64{3}) {
					t.Fatalf("%s: acknowledged retention left %v", what, ids)
				}
				break
			}
		}
	}
}

// chainedHistory writes, in s: chk-1 full, chk-2 and chk-3 deltas over
// it (chk-3 also holds a file it does not use), an attempt chk-4 that
// crashed, chk-5 full, chk-6 deltas over chk-3's chains (so its chains
// use files of chk-1, chk-2 and one of chk-3's two) and chk-7 full. It returns chk-1,
// chk-7 and the deltas of chk-6's chains.
func chainedHistory(t *testing.T, s Storage) (m1, m7 *Metadata, deltas [][]FileRef) {
	t.Helper()
	ctx := context.Background()
	m1 = mustCheckpoint(t, s, 1)
	d2 := writeDelta(t, s, 2)
	if _, err := commitChained(ctx, s, 2, m1, [][]FileRef{d2}); err != nil {
		t.Fatal(err)
	}
	d3 := writeDelta(t, s, 3)
	// A file of chk-3 that no chain uses (retention removes it alone).
	if _, err := s.WriteFile(ctx, 3, "unused.kg", EncodeKeyed(0, 4, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := commitChained(ctx, s, 3, m1, [][]FileRef{d2, d3}); err != nil {
		t.Fatal(err)
	}
	writeDelta(t, s, 4)
	mustCheckpoint(t, s, 5)
	d6 := writeDelta(t, s, 6)
	// Subtask 1's chain skips chk-3's delta (as if it were a full file
	// there): chk-3 is partly used.
	deltas = [][]FileRef{d2, d3[:1], d6}
	if _, err := commitChained(ctx, s, 6, m1, deltas); err != nil {
		t.Fatal(err)
	}
	return m1, mustCheckpoint(t, s, 7), deltas
}

// TestCrashAtEveryStepOfChainedRetention crashes at every step of a
// retention that subsumes checkpoints whose files a retained chain uses
// (and one, chk-5, whose files none uses): the restart finds the newest
// checkpoint without a corrupt one on the way, every listed checkpoint
// verifies, and the restarted process's retention keeps exactly the files
// the chains use. Then more rounds: the directories that hold only used
// files survive the stale-attempt cleanup, and go once no chain uses them.
func TestCrashAtEveryStepOfChainedRetention(t *testing.T) {
	ctx := context.Background()
	for _, tear := range []int{0, 4096} {
		for k := 0; ; k++ {
			c := vfs.NewCrashFS(uint64(k))
			c.SetTear(tear)
			s := NewLocal(c, "data/ckpt")
			m1, m7, deltas := chainedHistory(t, s)
			c.HaltAfter(k)
			err := s.Retain(ctx, 2)
			what := fmt.Sprintf("tear %d crash after step %d of Retain", tear, k)
			o := restart(c)
			checkOldOrNew(t, what, o, m7, m7, true, c)
			s = NewLocal(c, "data/ckpt")
			verifyListed(t, what, s, c)
			if err := s.Retain(ctx, 2); err != nil {
				t.Fatalf("%s: Retain after the restart: %v", what, err)
			}
			verifyListed(t, what, s, c)
			ls := localStore(c, "data/ckpt")
			checkTree := func(when string, want map[string][]string) {
				t.Helper()
				for dir, names := range want {
					if got := ls.names(t, dir); !slices.Equal(got, names) {
						t.Fatalf("%s: %s %q holds %q, want %q\n%s", what, when, dir, got, names, c.Tree())
					}
				}
			}
			used := map[string][]string{
				"chk-1": {"agg-0.kg", "agg-1.kg"},
				"chk-2": {"agg-0-d2.kg", "agg-1-d2.kg"},
				"chk-3": {"agg-0-d3.kg"},
			}
			used[""] = []string{"chk-1", "chk-2", "chk-3", "chk-6", "chk-7"}
			checkTree("after the restarted retention", used)
			if ids, _ := s.List(ctx); !slices.Equal(ids, []int64{6, 7}) {
				t.Fatalf("%s: List = %v", what, ids)
			}
			// chk-8 extends chk-6's chains; chk-6 is subsumed.
			d8 := writeDelta(t, s, 8)
			if _, err := commitChained(ctx, s, 8, m1, append(slices.Clone(deltas), d8)); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if err := s.Retain(ctx, 2); err != nil {
				t.Fatal(err)
			}
			used[""] = []string{"chk-1", "chk-2", "chk-3", "chk-6", "chk-7", "chk-8"}
			used["chk-6"] = []string{"agg-0-d6.kg", "agg-1-d6.kg"}
			checkTree("after chk-8 and Retain(2)", used)
			verifyListed(t, what, s, c)
			// Directories that hold only used files are not stale attempts.
			mustCheckpoint(t, s, 9)
			if err := s.Retain(ctx, 2); err != nil {
				t.Fatal(err)
			}
			used[""] = []string{"chk-1", "chk-2", "chk-3", "chk-6", "chk-8", "chk-9"}
			checkTree("after chk-9 and Retain(2)", used)
			verifyListed(t, what, s, c)
			mustCheckpoint(t, s, 10)
			if err := s.Retain(ctx, 2); err != nil {
				t.Fatal(err)
			}
			checkTree("after chk-10 and Retain(2)", map[string][]string{"": {"chk-10", "chk-9"}})
			if err == nil {
				if k < 12 {
					t.Fatalf("retention took only %d steps: the test is not crashing where it should", k)
				}
				break
			}
		}
	}
}

// verifyListed fails unless every checkpoint s lists verifies.
func verifyListed(t *testing.T, what string, s Storage, c *vfs.CrashFS) {
	t.Helper()
	ctx := context.Background()
	ids, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := Verify(ctx, s, id); err != nil {
			t.Fatalf("%s: chk-%d is listed as complete but: %v\n%s", what, id, err, c.Tree())
		}
	}
}

// TestIOErrorsWhileWritingACheckpoint fails each step of writing checkpoint
// 2 in turn with ENOSPC or EIO (a short write for writes): the error
// reaches the caller, nothing is acknowledged, checkpoint 1 stays loadable
// before and after a crash, and a retry of checkpoint 2 succeeds.
func TestIOErrorsWhileWritingACheckpoint(t *testing.T) {
	ctx := context.Background()
	ops := []vfs.Op{vfs.OpMkdir, vfs.OpCreate, vfs.OpWrite, vfs.OpSync, vfs.OpRename, vfs.OpSyncDir}
	fired := 0
	for _, op := range ops {
		for _, code := range []syscall.Errno{syscall.ENOSPC, syscall.EIO} {
			for n := 1; ; n++ {
				c := vfs.NewCrashFS(uint64(n))
				c.SetTear(512)
				s := NewLocal(c, "data/ckpt")
				m1 := mustCheckpoint(t, s, 1)
				c.Inject(vfs.Fault{Op: op, N: n, Err: code, Short: op == vfs.OpWrite})
				m2, err := writeCheckpoint(ctx, s, 2, Checkpoint)
				if c.Pending() > 0 {
					if err != nil {
						t.Fatalf("%v #%d not injected, yet: %v", op, n, err)
					}
					break // fewer than n such operations
				}
				fired++
				what := fmt.Sprintf("%v on %v #%d", code, op, n)
				if !errors.Is(err, code) {
					t.Fatalf("%s: the error did not reach the caller: %v", what, err)
				}
				if m2 == nil {
					m2 = &Metadata{ID: 2}
				}
				// Without a crash the newest complete checkpoint is intact.
				var log logger
				got, lerr := s.LoadLatest(ctx, log.logf)
				if lerr != nil || log.lines != nil || (!equalMetadata(got, m1) && !equalMetadata(got, m2)) {
					t.Fatalf("%s: before the crash: %v, %v\n%s", what, got, lerr, log.String())
				}
				// A retry of the same checkpoint succeeds unless the failed
				// attempt got as far as completing it.
				if got.ID == 1 {
					if m2, err = writeCheckpoint(ctx, s, 2, Checkpoint); err != nil {
						t.Fatalf("%s: retry: %v", what, err)
					}
				}
				checkOldOrNew(t, what+", after the crash", restart(c), m1, m2, got.ID == 1, c)
			}
		}
	}
	if fired < 30 {
		t.Fatalf("only %d faults fired", fired)
	}
}

// skipSyncDir is a broken FS that never syncs directories; skipSync one
// that never syncs files. The crash test must catch both: it is the control
// that shows the test can fail.
type skipSyncDir struct{ *vfs.CrashFS }

func (skipSyncDir) SyncDir(string) error { return nil }

type skipSync struct{ *vfs.CrashFS }

type noSyncFile struct{ vfs.File }

func (noSyncFile) Sync() error { return nil }

func (f skipSync) Create(name string) (vfs.File, error) {
	file, err := f.CrashFS.Create(name)
	if err != nil {
		return nil, err
	}
	return noSyncFile{file}, nil
}

func TestCrashTestCatchesMissingSyncs(t *testing.T) {
	ctx := context.Background()
	for name, wrap := range map[string]func(*vfs.CrashFS) vfs.FS{
		"no directory sync": func(c *vfs.CrashFS) vfs.FS { return skipSyncDir{c} },
		"no file sync":      func(c *vfs.CrashFS) vfs.FS { return skipSync{c} },
	} {
		caught := false
		for seed := range uint64(20) {
			c := vfs.NewCrashFS(seed)
			c.SetTear(512)
			s := NewLocal(wrap(c), "data/ckpt")
			if _, err := writeCheckpoint(ctx, s, 1, Checkpoint); err != nil {
				t.Fatal(err)
			}
			m2, err := writeCheckpoint(ctx, s, 2, Checkpoint)
			if err != nil {
				t.Fatal(err)
			}
			o := restart(c)
			if o.err != nil || o.logs != "" || !equalMetadata(o.got, m2) {
				caught = true
				break
			}
		}
		if !caught {
			t.Errorf("%s: 20 crashes never lost an acknowledged checkpoint", name)
		}
	}
}
