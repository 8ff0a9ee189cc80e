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
