package stream_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/vfs"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

// incrJob is savepointJob with the choice of full or incremental
// checkpoints.
func incrJob(dir, from string, par int, full bool, sink *streamtest.TxSink[string], seen *atomic.Int64, slow bool, logf func(string, ...any)) *stream.Environment {
	env := stream.NewEnvironment(stream.Options{Parallelism: par,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 20 * time.Millisecond, FromSavepoint: from, FullCheckpoints: full, Logf: logf}})
	gen := stream.GeneratorSource[seqEvent]{NumSplits: spSplits, Count: spKeys * spPerKey, Fn: func(split int, i int64) seqEvent {
		return seqEvent{Key: fmt.Sprintf("s%d-k%02d", split, i%spKeys), Seq: i/spKeys + 1, TS: 1_000_000 + i*5}
	}}
	src := stream.FromSource[seqEvent](env, gen, stream.WatermarkStrategy[seqEvent]{Enabled: true, Timestamp: func(e seqEvent) int64 { return e.TS }}, "gen")
	mapped := stream.Map(src, func(e seqEvent) seqEvent {
		countSlow(seen, e, slow)
		return e
	}).UID("slow-map")
	seqCheckAndSums(mapped, sink)
	return env
}

// chained reports whether the latest valid checkpoint in dir has an
// incremental chain with at least one delta.
func chained(dir string) (*checkpoint.Metadata, bool) {
	m, err := checkpoint.NewLocal(vfs.OS{}, dir).LoadLatest(context.Background(), nil)
	if err != nil {
		return nil, false
	}
	for _, op := range m.Operators {
		for _, f := range op.Keyed {
			if len(f.Deltas) > 0 {
				return m, true
			}
		}
	}
	return m, false
}

// runUntilChained runs the job incrementally at parallelism 2 until its
// latest checkpoint is a chain with deltas (and a third of the input went
// through), then stops it: with a savepoint into spDir, or (spDir empty)
// by canceling it like a crash. It returns the checkpoint directory.
func runUntilChained(t *testing.T, sink *streamtest.TxSink[string], spDir string) string {
	t.Helper()
	dir := t.TempDir()
	var seen atomic.Int64
	env := incrJob(dir, "", 2, false, sink, &seen, true, t.Logf)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- env.Execute(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, ok := chained(dir); ok && seen.Load() >= spTotal/3 {
			break
		}
		if time.Now().After(deadline) || seen.Load() >= spTotal {
			t.Fatalf("no incremental checkpoint with a delta while the job ran (%d records)", seen.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if spDir != "" {
		if _, err := env.Savepoint(context.Background(), spDir, true); err != nil {
			t.Fatalf("savepoint: %v", err)
		}
		if err := <-done; !errors.Is(err, stream.ErrStopped) {
			t.Fatalf("Execute after stop-with-savepoint: %v", err)
		}
	} else {
		cancel()
		<-done
	}
	if seen.Load() >= spTotal {
		t.Fatal("the job read its whole input: the test does not stop it in the middle")
	}
	return dir
}

// TestIncrementalCheckpointRestore: jobs stopped while their checkpoints
// are incremental chains restore, at parallelisms 1, 2 and 3 (key groups
// reassigned), to exactly the output of a fault-free run with full
// checkpoints: from the chained checkpoint directory itself (a crash), and
// from a savepoint of a chained checkpoint, which must be self-contained
// (every link copied into it; the job's checkpoint directory is deleted
// before the restore).
func TestIncrementalCheckpointRestore(t *testing.T) {
	golden := streamtest.NewTxSink[string]()
	var n atomic.Int64
	if err := incrJob(t.TempDir(), "", 2, true, golden, &n, false, t.Logf).Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := sortedRows(golden.Rows())
	check := func(t *testing.T, sink *streamtest.TxSink[string]) {
		t.Helper()
		got := sortedRows(sink.Rows())
		for _, r := range got {
			if strings.HasPrefix(r, "ALERT") {
				t.Fatalf("sequence alert: %s", r)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("output differs from the fault-free run with full checkpoints: %d rows, want %d", len(got), len(want))
		}
	}
	t.Run("crash", func(t *testing.T) {
		before := streamtest.NewTxSink[string]()
		dir := runUntilChained(t, before, "")
		m, ok := chained(dir)
		if !ok {
			t.Fatal("the latest checkpoint is not a chain")
		}
		t.Logf("restoring chk-%d, which references %v", m.ID, m.Referenced())
		for _, par := range []int{1, 3} {
			t.Run(fmt.Sprint("p=", par), func(t *testing.T) {
				sink := before.Clone()
				var seen atomic.Int64
				if err := incrJob(t.TempDir(), dir, par, false, sink, &seen, false, t.Logf).Execute(context.Background()); err != nil {
					t.Fatal(err)
				}
				if seen.Load() >= spTotal {
					t.Fatalf("the restored job read %d records: it started from the beginning", seen.Load())
				}
				check(t, sink)
			})
		}
	})
	t.Run("savepoint", func(t *testing.T) {
		before := streamtest.NewTxSink[string]()
		spDir := filepath.Join(t.TempDir(), "sp")
		dir := runUntilChained(t, before, spDir)
		sp, err := checkpoint.NewLocal(vfs.OS{}, spDir).LoadLatest(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if refs := sp.Referenced(); len(refs) > 0 {
			t.Fatalf("the savepoint references checkpoints %v outside itself", refs)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		for _, par := range []int{1, 2, 3} {
			t.Run(fmt.Sprint("p=", par), func(t *testing.T) {
				sink := before.Clone()
				var seen atomic.Int64
				if err := incrJob(t.TempDir(), spDir, par, par == 2, sink, &seen, false, t.Logf).Execute(context.Background()); err != nil {
					t.Fatal(err)
				}
				check(t, sink)
			})
		}
	})
}

// TestFullCheckpointsOption: with FullCheckpoints every checkpoint writes
// the whole keyed state (metadata version 1, no file of another
// checkpoint referenced); by default they become chains.
func TestFullCheckpointsOption(t *testing.T) {
	for _, full := range []bool{true, false} {
		t.Run(fmt.Sprint("full=", full), func(t *testing.T) {
			dir := t.TempDir()
			var seen atomic.Int64
			sawChain := false
			env := incrJob(dir, "", 2, full, streamtest.NewTxSink[string](), &seen, true, t.Logf)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- env.Execute(ctx) }()
			for running := true; running; {
				select {
				case err := <-done:
					if err != nil && !errors.Is(err, stream.ErrCanceled) {
						t.Fatal(err)
					}
					running = false
				case <-time.After(5 * time.Millisecond):
				}
				if seen.Load() > spTotal/2 {
					cancel() // the slow job's second half (countSlow) is not needed
				}
				ents, _ := os.ReadDir(dir)
				for _, e := range ents {
					data, err := os.ReadFile(filepath.Join(dir, e.Name(), checkpoint.MetadataFile))
					if err != nil {
						continue // incomplete, or deleted meanwhile
					}
					m, err := checkpoint.DecodeMetadata(data)
					if err != nil {
						t.Fatalf("%s: %v", e.Name(), err)
					}
					// A full checkpoint references no other and has no
					// delta (its metadata version is 1, or 4 when it
					// holds timers of version 2: Metadata.TimersV2).
					chained := len(m.Referenced()) > 0 || data[9] == 2
					for _, op := range m.Operators {
						for _, f := range op.Keyed {
							chained = chained || f.Incremental()
						}
					}
					if chained {
						if full {
							t.Fatalf("%s with FullCheckpoints is a chain (version %d, references %v)", e.Name(), data[9], m.Referenced())
						}
						sawChain = true
					}
				}
			}
			if !full && !sawChain {
				t.Fatal("no incremental checkpoint by default")
			}
		})
	}
}
