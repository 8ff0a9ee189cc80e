package stream_test

import (
	"context"
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

// concJob is incrJob (the keyed sequence check and window sums) with
// checkpoints every 2 ms, maxConc of them in flight, retained kept.
func concJob(dir, from string, maxConc, retained int, sink *streamtest.TxSink[string], seen *atomic.Int64, slow bool, logf func(string, ...any)) *stream.Environment {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 2 * time.Millisecond, MaxConcurrent: maxConc, Retained: retained,
			FromSavepoint: from, Logf: logf}})
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

// copyTree copies directory src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// TestIncrementalConcurrentCheckpoints: a job with incremental checkpoints,
// 2 or 3 of them in flight at once (a 2 ms interval) and 1 or 2 retained,
// is canceled in the middle of its input and runs to its end. No
// checkpoint may fail. Then every listed checkpoint restores: the job
// started from it (a copy of the directory without the newer ones) reads
// the rest of the input without a sequence alert (the keyed state of every
// key is exactly its state at the checkpoint), and every window sum it
// writes is one of the fault-free run's (the window contents too); from
// the newest one the output is exactly the fault-free run's.
func TestIncrementalConcurrentCheckpoints(t *testing.T) {
	golden := streamtest.NewTxSink[string]()
	var n atomic.Int64
	if err := incrJob(t.TempDir(), "", 2, true, golden, &n, false, t.Logf).Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, r := range golden.Rows() {
		want[r]++
	}
	for _, maxConc := range []int{2, 3} {
		for _, retained := range []int{1, 2} {
			t.Run(fmt.Sprintf("concurrent=%d/retained=%d", maxConc, retained), func(t *testing.T) {
				dir := t.TempDir()
				var seen atomic.Int64
				orig := streamtest.NewTxSink[string]()
				env := concJob(dir, "", maxConc, retained, orig, &seen, true, t.Logf)
				job, err := env.Start(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for seen.Load() < spTotal/3 || job.Checkpoints().Completed < 3 {
					if seen.Load() >= spTotal {
						t.Fatalf("the input ended after %d checkpoints", job.Checkpoints().Completed)
					}
					time.Sleep(time.Millisecond)
				}
				st := job.Checkpoints() // before the cancel fails those in flight
				job.Cancel()
				job.Wait()
				if st.Failed > 0 {
					t.Fatalf("%d of %d checkpoints failed, the last: %s", st.Failed, st.Failed+st.Completed, st.LastFailure)
				}
				concurrent := 0
				hist := job.CheckpointHistory()
				for i, r := range hist {
					if i+1 < len(hist) && !hist[i+1].Triggered.After(r.Ended) && r.Status == "completed" {
						concurrent++
					}
				}
				ids, err := checkpoint.NewLocal(vfs.OS{}, dir).List(context.Background())
				if err != nil || len(ids) == 0 {
					t.Fatalf("checkpoints %v: %v", ids, err)
				}
				t.Logf("%d checkpoints completed, %d overlapping the next; the directory holds %v", st.Completed, concurrent, ids)
				// Every listed checkpoint is a restore point (the newest
				// `retained`, and those whose files the checkpoints in
				// flight at the last retention used); the subsumed ones
				// are not listed.
				for _, id := range ids {
					from := filepath.Join(t.TempDir(), "from")
					copyTree(t, dir, from)
					cp := checkpoint.NewLocal(vfs.OS{}, from)
					for _, newer := range ids {
						if newer > id {
							if err := cp.Delete(context.Background(), newer); err != nil {
								t.Fatal(err)
							}
						}
					}
					// The sink as the canceled run left it (the restored
					// checkpoint's transactions are committed again).
					sink := orig.Clone()
					before := len(sink.Rows())
					var after atomic.Int64
					if err := concJob(t.TempDir(), from, maxConc, retained, sink, &after, false, t.Logf).Execute(context.Background()); err != nil {
						t.Fatalf("restore from chk-%d: %v", id, err)
					}
					if after.Load() >= spTotal {
						t.Fatalf("the job restored from chk-%d read the whole input", id)
					}
					if id == ids[len(ids)-1] {
						// The newest one: exactly the fault-free output.
						if got, w := sortedRows(sink.Rows()), sortedRows(golden.Rows()); !slices.Equal(got, w) {
							t.Fatalf("restored from the newest, chk-%d: %d rows, the fault-free run has %d", id, len(got), len(w))
						}
					}
					got := map[string]int{}
					for _, r := range sink.Rows()[before:] {
						if strings.HasPrefix(r, "ALERT") {
							t.Fatalf("restored from chk-%d: %s", id, r)
						}
						if got[r]++; got[r] > want[r] {
							t.Fatalf("restored from chk-%d: %q is not among the fault-free run's rows", id, r)
						}
					}
					if len(got) == 0 {
						t.Fatalf("restored from chk-%d: no output", id)
					}
				}
			})
		}
	}
}
