package stream_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
)

// TestSplitlessSourceSubtaskDoesNotHoldWatermark: an unbounded source with
// fewer splits than subtasks; the subtask without a split must not hold
// back event time, so windows fire.
func TestSplitlessSourceSubtaskDoesNotHoldWatermark(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	items := []int64{100, 1100, 2100, 3100}
	src := stream.SliceSource[int64]{Items: items, Unbounded: true}
	in := stream.FromSource[int64](env, src, stream.WatermarkStrategy[int64]{Enabled: true, Timestamp: func(v int64) int64 { return v }}, "src")
	ws := stream.KeyBy(in, func(v int64) int64 { return 0 }).Window(stream.TumblingEventTimeWindows(time.Second))
	out := stream.Collect(stream.WindowReduce(ws, func(a, b int64) int64 { return a + b }))
	runUntil(t, env, func() bool { return len(out.Values()) >= 3 })
	v := out.Values()
	slices.Sort(v)
	if !slices.Equal(v, []int64{100, 1100, 2100}) {
		t.Fatalf("window sums %v, want [100 1100 2100] (the window of 3100 stays open)", v)
	}
}
