package stream_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/stream"
)

// endCommitJob writes n numbered lines through an exactly-once file sink
// at parallelism par; failAt >= 0 makes the map fail on that line.
func endCommitJob(out string, par, n, failAt int, ck *stream.CheckpointOptions, unbounded bool) (*stream.Environment, error) {
	env := stream.NewEnvironment(stream.Options{Parallelism: par, Checkpoints: ck})
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	src := stream.FromSource[int](env, stream.SliceSource[int]{Items: items, Unbounded: unbounded}, stream.WatermarkStrategy[int]{}, "nums")
	lines := stream.Map(src.Rebalance(), func(i int) string {
		if i == failAt {
			panic(fmt.Sprintf("line %d fails", i))
		}
		return fmt.Sprintf("line %d", i)
	})
	sink, err := file.NewTransactionalSink(file.TransactionalSinkOptions[string]{Dir: out, Format: file.FormatLines})
	if err != nil {
		return nil, err
	}
	stream.SinkTo[string](lines, sink, "out")
	return env, nil
}

// dirFiles maps every file under dir (relative path) to its content.
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func visible(files map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		if !strings.HasPrefix(filepath.Base(k), ".") {
			out[k] = v
		}
	}
	return out
}

// TestEndOfInputCommitWithoutCheckpoints: a bounded job with an
// exactly-once file sink and no checkpoints commits its part files at the
// end of its input, the same files (names and bytes) as the run with
// checkpoints whose only checkpoint is the end-of-input one.
func TestEndOfInputCommitWithoutCheckpoints(t *testing.T) {
	for _, par := range []int{1, 3} {
		plain, withCk := t.TempDir(), t.TempDir()
		env, err := endCommitJob(plain, par, 500, -1, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Execute(context.Background()); err != nil {
			t.Fatal(err)
		}
		env, err = endCommitJob(withCk, par, 500, -1, &stream.CheckpointOptions{Dir: t.TempDir(), Interval: 1 << 62}, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Execute(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The names hold the id of the subtask's end-of-input
		// transaction, which depends on the order the subtasks end
		// in, with or without checkpoints: at parallelism 1 the
		// source ends first.
		got, want := dirFiles(t, plain), dirFiles(t, withCk)
		if par > 1 {
			got, want = withoutIDs(got), withoutIDs(want)
		}
		if len(visible(got)) == 0 {
			t.Fatalf("p=%d: no visible output without checkpoints: %v", par, slices.Sorted(func(yield func(string) bool) {
				for k := range got {
					if !yield(k) {
						return
					}
				}
			}))
		}
		if len(got) != len(want) {
			t.Fatalf("p=%d: %d files without checkpoints, %d with", par, len(got), len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("p=%d: file %s differs without checkpoints (%d bytes, %d with)", par, k, len(got[k]), len(v))
			}
		}
		if n := strings.Count(strings.Join(slices.Collect(func(yield func(string) bool) {
			for _, v := range got {
				if !yield(v) {
					return
				}
			}
		}), ""), "\n"); n != 500 {
			t.Fatalf("p=%d: %d lines, want 500", par, n)
		}
	}
}

// TestNoEndCommitWhenFailedOrCanceled: a job without checkpoints that fails
// or is canceled before its input ended exposes none of its output.
func TestNoEndCommitWhenFailedOrCanceled(t *testing.T) {
	out := t.TempDir()
	env, err := endCommitJob(out, 2, 500, 499, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Execute(context.Background()); err == nil {
		t.Fatal("the job did not fail")
	}
	if v := visible(dirFiles(t, out)); len(v) != 0 {
		t.Fatalf("a failed job made %d files visible", len(v))
	}

	out = t.TempDir()
	env, err = endCommitJob(out, 2, 500, -1, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the sink took every line, then cancel: the input never
	// ends, so the output is not complete.
	for sinkRecords(job) < 500 {
		time.Sleep(time.Millisecond)
	}
	job.Cancel()
	if err := job.Wait(); !errors.Is(err, stream.ErrCanceled) {
		t.Fatalf("canceled job: %v", err)
	}
	if v := visible(dirFiles(t, out)); len(v) != 0 {
		t.Fatalf("a canceled job made %d files visible", len(v))
	}
}

func sinkRecords(job *stream.Job) int64 {
	var n int64
	for _, v := range job.View() {
		for _, op := range v.Operators {
			if op.Name == "out" {
				for _, st := range op.Subtasks {
					n += st.RecordsIn
				}
			}
		}
	}
	return n
}

// withoutIDs drops the checkpoint id from part file names
// (part-<subtask>-<id>-<n>.txt).
func withoutIDs(files map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		f := strings.Split(k, "-")
		if len(f) == 4 && f[0] == "part" {
			k = f[0] + "-" + f[1] + "-" + f[3]
		}
		out[k] = v
	}
	return out
}
