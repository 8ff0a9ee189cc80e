package journal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// gateFS counts the writes and syncs of segment files (.log) and, while
// gate is set, holds every such Sync until the gate is closed, announcing
// each held Sync on entered.
type gateFS struct {
	vfs.FS
	writes, syncs atomic.Int64
	mu            sync.Mutex
	gate          chan struct{}
	entered       chan struct{}
}

type gateFile struct {
	vfs.File
	fs *gateFS
}

func (g *gateFS) OpenAppend(name string) (vfs.File, error) {
	f, err := g.FS.OpenAppend(name)
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &gateFile{f, g}, nil
}

func (f *gateFile) Write(b []byte) (int, error) {
	f.fs.writes.Add(1)
	return f.File.Write(b)
}

func (f *gateFile) Sync() error {
	f.fs.hold()
	return f.File.Sync()
}

// hold waits at the gate, if set, and counts a sync.
func (g *gateFS) hold() {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		g.entered <- struct{}{}
		<-gate
	}
	g.syncs.Add(1)
}

// gateWFile is gateFile for OpenWrite, the journal's handle of the active
// segment: writes of batches count, the zeros of preallocation do not.
type gateWFile struct {
	vfs.WFile
	fs *gateFS
}

func (g *gateFS) OpenWrite(name string) (vfs.WFile, error) {
	f, err := g.FS.OpenWrite(name)
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &gateWFile{f, g}, nil
}

func (f *gateWFile) WriteAt(b []byte, off int64) (int, error) {
	if !allZero(b) {
		f.fs.writes.Add(1)
	}
	return f.WFile.WriteAt(b, off)
}

func (f *gateWFile) Sync() error {
	f.fs.hold()
	return f.WFile.Sync()
}

func (f *gateWFile) Datasync() error {
	f.fs.hold()
	return f.WFile.Datasync()
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// stall blocks the partition's writer until the returned function is
// called, so that appends queue up behind it.
func stall(t *testing.T, j *Journal, topic string, part int) (release func()) {
	t.Helper()
	p, err := j.partition(topic, part)
	if err != nil {
		t.Fatal(err)
	}
	hold, in := make(chan struct{}), make(chan struct{})
	p.ctl <- func() { close(in); <-hold }
	<-in
	return func() { close(hold) }
}

// One producer's asynchronous appends are written in call order and
// readable at the offsets Wait returns.
func TestAppendAsyncOrder(t *testing.T) {
	for _, d := range []Durability{Durable, Relaxed} {
		t.Run(fmt.Sprint(d), func(t *testing.T) {
			o := quietOpts(vfs.OS{}, nil)
			o.Durability = d
			o.SegmentBytes = 16 << 10 // several rolls within the run
			dir := t.TempDir()
			j := mustOpen(t, dir, o)
			if err := j.CreateTopic("t", 1); err != nil {
				t.Fatal(err)
			}
			const n, window = 2000, 32
			ctx := context.Background()
			var inflight []*PendingAppend
			next := int64(0)
			collect := func(a *PendingAppend) {
				off, err := a.Wait(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if off.Partition != 0 || off.First != next || off.Last != next {
					t.Fatalf("record %d acked at %+v", next, off)
				}
				next++
			}
			for i := range n {
				if len(inflight) == window {
					collect(inflight[0])
					inflight = inflight[1:]
				}
				a, err := j.AppendAsync(ctx, "t", 0, Record{Value: fmt.Appendf(nil, "r%d", i)})
				if err != nil {
					t.Fatal(err)
				}
				inflight = append(inflight, a)
			}
			for _, a := range inflight {
				collect(a)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			j = mustOpen(t, dir, o)
			defer j.Close()
			got := readAll(t, j, "t", 0)
			if len(got) != n {
				t.Fatalf("%d records after reopen, want %d", len(got), n)
			}
			for i, m := range got {
				if string(m.Value) != fmt.Sprintf("r%d", i) {
					t.Fatalf("offset %d holds %q", i, m.Value)
				}
			}
		})
	}
}

// In Durable mode the batches queued while the writer is busy go into one
// write and one fsync, and none is acked before that fsync returns.
func TestAppendAsyncGroupCommit(t *testing.T) {
	g := &gateFS{FS: vfs.OS{}, entered: make(chan struct{})}
	j := mustOpen(t, t.TempDir(), quietOpts(g, nil))
	defer j.Close()
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	release := stall(t, j, "t", 0)
	const n = 50
	var as []*PendingAppend
	for i := range n {
		a, err := j.AppendAsync(ctx, "t", 0, Record{Value: fmt.Appendf(nil, "r%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, a)
	}
	writes0, syncs0 := g.writes.Load(), g.syncs.Load()
	gate := make(chan struct{})
	g.mu.Lock()
	g.gate = gate
	g.mu.Unlock()
	release()
	<-g.entered // the writer is in the group's fsync
	for i, a := range as {
		if len(a.r.res) != 0 {
			t.Fatalf("batch %d acked before its fsync returned", i)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := as[0].Wait(canceled); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a canceled context during the fsync: %v", err)
	}
	g.mu.Lock()
	g.gate = nil
	g.mu.Unlock()
	close(gate)
	for i, a := range as {
		off, err := a.Wait(ctx)
		if err != nil || off.First != int64(i) {
			t.Fatalf("batch %d: %+v, %v", i, off, err)
		}
	}
	if w, s := g.writes.Load()-writes0, g.syncs.Load()-syncs0; w != 1 || s != 1 {
		t.Fatalf("%d queued batches took %d writes and %d fsyncs, want 1 and 1", n, w, s)
	}
}

// Close with batches still queued: each Wait returns, either acked (then
// the batch is there after reopening, at its offset) or ErrClosed (then it
// is not); AppendAsync after Close fails.
func TestAppendAsyncClose(t *testing.T) {
	dir := t.TempDir()
	o := quietOpts(vfs.OS{}, nil)
	for round := range 20 {
		j := mustOpen(t, dir, o)
		if round == 0 {
			if err := j.CreateTopic("t", 1); err != nil {
				t.Fatal(err)
			}
		}
		_, end, err := j.Bounds("t", 0)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		release := stall(t, j, "t", 0)
		var as []*PendingAppend
		for i := range 10 {
			a, err := j.AppendAsync(ctx, "t", 0, Record{Value: fmt.Appendf(nil, "%d-%d", round, i)})
			if err != nil {
				t.Fatal(err)
			}
			as = append(as, a)
		}
		p, err := j.partition("t", 0)
		if err != nil {
			t.Fatal(err)
		}
		closed := make(chan error, 1)
		go func() { closed <- j.Close() }()
		// Release the writer once Close has closed its quit: it then sees
		// queued requests and quit at once and may take either (half the
		// rounds, each way, on average).
		<-p.quit
		release()
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
		acked := map[int64]string{}
		for i, a := range as {
			off, err := a.Wait(ctx)
			switch {
			case err == nil:
				acked[off.First] = fmt.Sprintf("%d-%d", round, i)
			case !errors.Is(err, ErrClosed):
				t.Fatalf("round %d batch %d: %v", round, i, err)
			}
		}
		if _, err := j.AppendAsync(ctx, "t", 0, Record{Value: []byte("late")}); !errors.Is(err, ErrClosed) {
			t.Fatalf("AppendAsync after Close: %v", err)
		}
		j = mustOpen(t, dir, o)
		got := readAll(t, j, "t", 0)
		if int64(len(got)) != end+int64(len(acked)) {
			t.Fatalf("round %d: %d records after reopen, %d before and %d acked", round, len(got), end, len(acked))
		}
		for _, m := range got[end:] {
			if acked[m.Offset] != string(m.Value) {
				t.Fatalf("round %d: offset %d holds %q, acked %q", round, m.Offset, m.Value, acked[m.Offset])
			}
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
