package journal

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

// stackFS records, while on, the stack of the goroutine that calls Write
// or Sync on a segment file (.log); with gate set, Sync also waits for it.
type stackFS struct {
	vfs.FS
	on       atomic.Bool
	mu       sync.Mutex
	stacks   []string // "write: <stack>" or "sync: <stack>"
	gate     chan struct{}
	entered  chan struct{}
	failSync bool // the next gated Sync fails (after the gate opens)
}

type stackFile struct {
	vfs.File
	fs *stackFS
}

func (s *stackFS) OpenAppend(name string) (vfs.File, error) {
	f, err := s.FS.OpenAppend(name)
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &stackFile{f, s}, nil
}

func (s *stackFS) note(op string) {
	if !s.on.Load() {
		return
	}
	buf := make([]byte, 16<<10)
	buf = buf[:runtime.Stack(buf, false)]
	s.mu.Lock()
	s.stacks = append(s.stacks, op+": "+string(buf))
	s.mu.Unlock()
}

func (s *stackFS) taken() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stacks
	s.stacks = nil
	return out
}

func (f *stackFile) Write(b []byte) (int, error) {
	f.fs.note("write")
	return f.File.Write(b)
}

func (f *stackFile) Sync() error {
	if err := f.fs.syncNote(); err != nil {
		return err
	}
	return f.File.Sync()
}

// syncNote notes a sync and holds it at the gate, if set.
func (s *stackFS) syncNote() error {
	s.note("sync")
	s.mu.Lock()
	gate, fail := s.gate, s.failSync
	s.gate, s.failSync = nil, false
	s.mu.Unlock()
	if gate != nil {
		s.entered <- struct{}{}
		<-gate
		if fail {
			return &vfsError{syscall.EIO}
		}
	}
	return nil
}

// stackWFile is stackFile for OpenWrite, the journal's handle of the
// active segment: writes of batches are noted, the zeros of preallocation
// are not.
type stackWFile struct {
	vfs.WFile
	fs *stackFS
}

func (s *stackFS) OpenWrite(name string) (vfs.WFile, error) {
	f, err := s.FS.OpenWrite(name)
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &stackWFile{f, s}, nil
}

func (f *stackWFile) WriteAt(b []byte, off int64) (int, error) {
	if !allZero(b) {
		f.fs.note("write")
	}
	return f.WFile.WriteAt(b, off)
}

func (f *stackWFile) Sync() error {
	if err := f.fs.syncNote(); err != nil {
		return err
	}
	return f.WFile.Sync()
}

func (f *stackWFile) Datasync() error {
	if err := f.fs.syncNote(); err != nil {
		return err
	}
	return f.WFile.Datasync()
}

type vfsError struct{ err error }

func (e *vfsError) Error() string { return "injected: " + e.err.Error() }
func (e *vfsError) Unwrap() error { return e.err }

// A synchronous Append on an idle partition writes (and in Durable mode
// fsyncs) its batch on its own goroutine; one on a partition whose writer
// is busy is handed to the writer goroutine.
func TestAppendLeadsOnIdlePartition(t *testing.T) {
	for _, d := range []Durability{Durable, Relaxed} {
		t.Run(fmt.Sprint(d), func(t *testing.T) {
			s := &stackFS{FS: vfs.OS{}}
			o := quietOpts(s, nil)
			o.Durability = d
			o.SyncInterval = time.Hour // no relaxed-mode sync holds the lock meanwhile
			j := mustOpen(t, t.TempDir(), o)
			defer j.Close()
			if err := j.CreateTopic("t", 1); err != nil {
				t.Fatal(err)
			}
			s.on.Store(true)
			for i := range 3 {
				if off := mustAppend(t, j, "t", 0, Record{Value: []byte("x")}); off.First != int64(i) {
					t.Fatalf("append %d at %+v", i, off)
				}
			}
			want := 3 // writes
			if d == Durable {
				want = 6 // and fsyncs
			}
			st := s.taken()
			if len(st) != want {
				t.Fatalf("%d writes and syncs of the segment, want %d", len(st), want)
			}
			for _, x := range st {
				if !strings.Contains(x, "TestAppendLeadsOnIdlePartition") || strings.Contains(x, "(*partition).run") {
					t.Fatalf("an idle partition's Append did not write on its own goroutine:\n%s", x)
				}
			}
			release := stall(t, j, "t", 0)
			done := make(chan error, 1)
			go func() {
				_, err := j.Append(context.Background(), "t", 0, Record{Value: []byte("y")})
				done <- err
			}()
			p, _ := j.partition("t", 0)
			waitQueued(t, p, 1)
			release()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			st = s.taken()
			if len(st) == 0 || !strings.Contains(st[0], "(*partition).run") {
				t.Fatalf("an Append behind a busy writer was not written by the writer goroutine: %q", st)
			}
		})
	}
}

// While a leading Append fsyncs, its record is not visible and not acked;
// appends arriving meanwhile queue and share the next fsync; a failed
// fsync of the leader fails it, makes the partition read-only and fails
// the queued appends too.
func TestAppendLeaderFsync(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail=%v", fail), func(t *testing.T) {
			s := &stackFS{FS: vfs.OS{}, entered: make(chan struct{})}
			j := mustOpen(t, t.TempDir(), quietOpts(s, nil))
			defer j.Close()
			if err := j.CreateTopic("t", 1); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			mustAppend(t, j, "t", 0, Record{Value: []byte("first")})
			gate := make(chan struct{})
			s.mu.Lock()
			s.gate, s.failSync = gate, fail
			s.mu.Unlock()
			s.on.Store(true)
			lead := make(chan error, 1)
			go func() {
				_, err := j.Append(ctx, "t", 0, Record{Value: []byte("lead")})
				lead <- err
			}()
			<-s.entered // the leader is in its fsync
			if _, end, _ := j.Bounds("t", 0); end != 1 {
				t.Fatalf("the end is %d during the leader's fsync, want 1", end)
			}
			const n = 5
			p, _ := j.partition("t", 0)
			var wg sync.WaitGroup
			errs := make([]error, n)
			offs := make([]Offsets, n)
			for i := range n {
				wg.Go(func() { offs[i], errs[i] = j.Append(ctx, "t", 0, Record{Value: fmt.Appendf(nil, "q%d", i)}) })
			}
			waitQueued(t, p, n)
			select {
			case err := <-lead:
				t.Fatalf("the leader returned (%v) before its fsync did", err)
			default:
			}
			close(gate)
			err := <-lead
			wg.Wait()
			if fail {
				if !errors.Is(err, ErrReadOnly) {
					t.Fatalf("leader after a failed fsync: %v, want ErrReadOnly", err)
				}
				for i, e := range errs {
					if !errors.Is(e, ErrReadOnly) {
						t.Fatalf("queued append %d after the leader's failed fsync: %v, want ErrReadOnly", i, e)
					}
				}
				if _, end, _ := j.Bounds("t", 0); end != 1 {
					t.Fatalf("the end is %d after a failed fsync, want 1", end)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int64]bool{}
			for i, e := range errs {
				if e != nil || offs[i].First < 2 || offs[i].First > n+1 || seen[offs[i].First] {
					t.Fatalf("queued append %d: %+v, %v", i, offs[i], e)
				}
				seen[offs[i].First] = true
			}
			syncs := 0
			for _, x := range s.taken() {
				if strings.HasPrefix(x, "sync: ") {
					syncs++
				}
			}
			// The leader's fsync, then the queued ones: they were all queued
			// before the writer got the lock, so they share fsyncs.
			if syncs < 2 || syncs > n {
				t.Fatalf("%d fsyncs for the leader and %d queued appends", syncs, n)
			}
			if got := readAll(t, j, "t", 0); len(got) != n+2 || string(got[1].Value) != "lead" {
				t.Fatalf("%d records, offset 1 holds %q", len(got), got[1].Value)
			}
		})
	}
}

// Several goroutines append through both paths (synchronous Appends that
// lead on an idle partition, AppendAsync through the writer goroutine, and
// one goroutine mixing the two) while CrashFS fails an fsync at a random
// point; then a power loss. Every acked record is there before and after
// the crash at its offset, each goroutine's records are in its call order,
// no record appears twice, and every append from the failure on fails with
// ErrReadOnly.
func TestAppendLeaderFsyncFailure(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	for it := range iterations(30, 500) {
		rng := rand.New(rand.NewPCG(s+uint64(it), 23))
		c := vfs.NewCrashFS(s + uint64(it))
		c.SetTear([]int{0, 512, 4096}[rng.IntN(3)])
		o := quietOpts(c, nil)
		o.SegmentBytes = 4 << 10
		j := mustOpen(t, "j", o)
		if err := j.CreateTopic("t", 1); err != nil {
			t.Fatal(err)
		}
		c.Inject(vfs.Fault{Op: vfs.OpSync, N: 1 + rng.IntN(80), Path: ".log", Err: syscall.EIO})
		type ack struct {
			off int64
			v   string
		}
		var mu sync.Mutex
		acked := map[int][]ack{} // by goroutine, in call order
		var failures []error
		note := func(g int, off int64, v string, err error) bool {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, fmt.Errorf("goroutine %d, %s: %w", g, v, err))
				return false
			}
			acked[g] = append(acked[g], ack{off, v})
			return true
		}
		var wg sync.WaitGroup
		for g := range 4 { // synchronous producers
			wg.Go(func() {
				for i := range 150 {
					v := fmt.Sprintf("s%d-%d", g, i)
					off, err := j.Append(ctx, "t", 0, Record{Value: []byte(v), Timestamp: 1})
					if !note(g, off.First, v, err) {
						return
					}
				}
			})
		}
		wg.Go(func() { // a pipelined producer, 8 in flight
			const g = 4
			var ring []*PendingAppend
			var vals []string
			collect := func() bool {
				for k, a := range ring {
					off, err := a.Wait(ctx)
					if !note(g, off.First, vals[k], err) {
						return false
					}
				}
				ring, vals = ring[:0], vals[:0]
				return true
			}
			for i := range 300 {
				if len(ring) == 8 && !collect() {
					return
				}
				v := fmt.Sprintf("a-%d", i)
				a, err := j.AppendAsync(ctx, "t", 0, Record{Value: []byte(v), Timestamp: 1})
				if err != nil {
					note(g, 0, v, err)
					return
				}
				ring, vals = append(ring, a), append(vals, v)
			}
			collect()
		})
		wg.Go(func() { // two queued, then a synchronous one that must follow them
			const g = 5
			for i := 0; i < 100; i++ {
				var as []*PendingAppend
				for k := range 2 {
					a, err := j.AppendAsync(ctx, "t", 0, Record{Value: fmt.Appendf(nil, "m%d-%d", i, k), Timestamp: 1})
					if err != nil {
						note(g, 0, "async", err)
						return
					}
					as = append(as, a)
				}
				v := fmt.Sprintf("m%d-sync", i)
				off, err := j.Append(ctx, "t", 0, Record{Value: []byte(v), Timestamp: 1})
				for k, a := range as {
					aoff, aerr := a.Wait(ctx)
					if !note(g, aoff.First, fmt.Sprintf("m%d-%d", i, k), aerr) {
						return
					}
				}
				if !note(g, off.First, v, err) {
					return
				}
			}
		})
		wg.Wait()
		if c.Pending() != 0 {
			t.Fatalf("iteration %d: the fsync fault did not fire", it)
		}
		for _, err := range failures {
			if !errors.Is(err, ErrReadOnly) {
				t.Fatalf("iteration %d: %v, want ErrReadOnly", it, err)
			}
		}
		if _, err := j.Append(ctx, "t", 0, Record{Value: []byte("after")}); !errors.Is(err, ErrReadOnly) {
			t.Fatalf("iteration %d: append after the failed fsync: %v", it, err)
		}
		check := func(when string, ms []Message) {
			got := map[int64]string{}
			seen := map[string]bool{}
			for _, m := range ms {
				if seen[string(m.Value)] {
					t.Fatalf("iteration %d, %s: %s twice", it, when, m.Value)
				}
				seen[string(m.Value)] = true
				got[m.Offset] = string(m.Value)
			}
			for g, as := range acked {
				for k, a := range as {
					if got[a.off] != a.v {
						t.Fatalf("iteration %d, %s: acked %s at offset %d, found %q", it, when, a.v, a.off, got[a.off])
					}
					if k > 0 && a.off <= as[k-1].off {
						t.Fatalf("iteration %d: goroutine %d's %s at %d, after %s at %d", it, g, a.v, a.off, as[k-1].v, as[k-1].off)
					}
				}
			}
		}
		check("before the crash", readAll(t, j, "t", 0))
		_ = j.Close()
		c.Crash()
		j = mustOpen(t, "j", quietOpts(c, nil))
		check("after the crash", readAll(t, j, "t", 0))
		_ = j.Close()
	}
}

// An Append that gets the write lock after the partition's shutdown (it
// passed the journal's closed check before Close) writes nothing and
// fails with ErrClosed; the clean-shutdown marker stays valid.
func TestAppendLeaderAfterShutdown(t *testing.T) {
	dir := t.TempDir()
	logs := &logBuf{}
	o := quietOpts(vfs.OS{}, logs)
	j := mustOpen(t, dir, o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, Record{Value: []byte("kept")})
	p, r, _, err := j.prepare("t", 0, nil, []Record{{Value: []byte("late")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.append(context.Background(), r); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after the shutdown: %v, want ErrClosed", err)
	}
	j = mustOpen(t, dir, o)
	defer j.Close()
	if got := readAll(t, j, "t", 0); len(got) != 1 || string(got[0].Value) != "kept" {
		t.Fatalf("after reopening: %d records", len(got))
	}
	if strings.Contains(logs.String(), "clean-shutdown marker does not match") {
		t.Fatalf("the marker was invalidated:\n%s", logs.String())
	}
}

// waitQueued waits until n appends are queued for p's writer (a liveness
// guard: it fails the test rather than hang when they never are).
func waitQueued(t *testing.T, p *partition, n int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for p.queued.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d appends queued after a minute, want %d", p.queued.Load(), n)
		}
		runtime.Gosched()
	}
}

// TestAppendAfterOwnAsyncWhileWriterPicksItUp: a goroutine's Append lands
// after its own earlier AppendAsync, also when the writer has taken that
// batch from the queue but not yet locked the partition's files (the
// queued count falls only after the commit, so the Append does not lead
// past it).
func TestAppendAfterOwnAsyncWhileWriterPicksItUp(t *testing.T) {
	received, resume := make(chan struct{}, 1), make(chan struct{})
	testWriterReceived = func() {
		select {
		case received <- struct{}{}:
			<-resume
		default:
		}
	}
	defer func() { testWriterReceived = nil }()
	j := mustOpen(t, t.TempDir(), quietOpts(vfs.OS{}, nil))
	defer j.Close()
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := j.AppendAsync(ctx, "t", 0, Record{Value: []byte("A")})
	if err != nil {
		t.Fatal(err)
	}
	<-received // the writer holds A, before its lock
	type res struct {
		off Offsets
		err error
	}
	c := make(chan res, 1)
	go func() {
		off, err := j.Append(ctx, "t", 0, Record{Value: []byte("C")})
		c <- res{off, err}
	}()
	p, _ := j.partition("t", 0)
	deadline := time.Now().Add(time.Minute)
	for p.queued.Load() < 2 && len(c) == 0 { // C queued behind A, or (wrongly) led past it
		if time.Now().After(deadline) {
			t.Fatal("C neither queued nor returned")
		}
		runtime.Gosched()
	}
	close(resume)
	offA, err := a.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rc := <-c
	if rc.err != nil {
		t.Fatal(rc.err)
	}
	if offA.First != 0 || rc.off.First != 1 {
		t.Fatalf("A at %d, C at %d: the Append after the same goroutine's AppendAsync must follow it", offA.First, rc.off.First)
	}
}
