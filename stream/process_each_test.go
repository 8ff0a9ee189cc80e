package stream_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/stromio/strom/stream"
)

// TestProcessEach checks that every subtask gets a function of its own
// (its scratch state is not shared) and that every record is processed.
func TestProcessEach(t *testing.T) {
	var items []int64
	for i := range int64(5000) {
		items = append(items, i)
	}
	for _, p := range []int{1, 3} {
		env := stream.NewEnvironment(stream.Options{Parallelism: p})
		var made atomic.Int32
		s := stream.ProcessEach(stream.FromSlice(env, items).Rebalance(), func() stream.ProcessFunc[int64, [2]int64] {
			made.Add(1)
			var seen int64 // per subtask: a data race if shared
			return func(_ *stream.Context, v int64, out stream.Emitter[[2]int64]) error {
				seen++
				out.Emit([2]int64{v, seen})
				return nil
			}
		})
		out := stream.Collect(s)
		if err := env.Execute(context.Background()); err != nil {
			t.Fatal(err)
		}
		if int(made.Load()) != p {
			t.Errorf("p=%d: %d functions made", p, made.Load())
		}
		var got []int64
		for _, v := range out.Values() {
			got = append(got, v[0])
		}
		slices.Sort(got)
		if !slices.Equal(got, items) {
			t.Errorf("p=%d: %d records out, want %d", p, len(got), len(items))
		}
	}
}
