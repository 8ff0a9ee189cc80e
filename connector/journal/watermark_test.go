package journal_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	jconn "github.com/stromio/strom/connector/journal"
	jl "github.com/stromio/strom/journal"
	"github.com/stromio/strom/stream"
)

// recordsIn is the number of records operator op took in, over its subtasks.
func recordsIn(job *stream.Job, op string) int64 {
	var n int64
	for _, v := range job.View() {
		for _, o := range v.Operators {
			if o.Name == op {
				for _, s := range o.Subtasks {
					n += s.RecordsIn
				}
			}
		}
	}
	return n
}

// waitUntil polls cond (a polling interval, not a wait for an event).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Issue 5, connector/journal: per-partition watermarks and idleness. A
// tailing source over two partitions, event time from the records'
// journal timestamps: partition 0 reaches 10000, partition 1 stays silent.
// The job's watermark is the minimum over the partitions, so a timer at
// 5000 does not fire while partition 1 has nothing (one watermark over all
// records would be 9999); a record of 6000 in partition 1 fires it. With
// Idleness, the silent partition (whose reader returns no records while it
// waits on the journal) is idle after that much processing time and stops
// holding the watermark back.
func TestSourcePartitionWatermarksAndIdleness(t *testing.T) {
	for _, idleness := range []time.Duration{0, time.Second} {
		t.Run(idleness.String(), func(t *testing.T) {
			ctx := context.Background()
			j := openJournal(t)
			if err := j.CreateTopic("wm", 2); err != nil {
				t.Fatal(err)
			}
			var recs []jl.Record
			for _, ts := range []int64{1000, 2000, 3000, 10000} {
				recs = append(recs, jl.Record{Value: []byte("p0"), Timestamp: ts})
			}
			if _, err := j.Append(ctx, "wm", 0, recs...); err != nil {
				t.Fatal(err)
			}
			src, err := jconn.NewSource(j, jconn.SourceOptions[string]{Topic: "wm", Codec: codec.String{}})
			if err != nil {
				t.Fatal(err)
			}
			clock := stream.NewManualClock(time.UnixMilli(0))
			env := stream.NewEnvironment(stream.Options{Parallelism: 1, Clock: clock})
			in := stream.FromSource[string](env, src, stream.WatermarkStrategy[string]{Enabled: true, Idleness: idleness}, "journal")
			registered := false
			fired := stream.Collect(stream.KeyedProcess(stream.KeyBy(in, func(string) int { return 0 }),
				func() stream.KeyedProcessFunction[int, string, int64] {
					return stream.KeyedProcessFuncs[int, string, int64]{
						OnElement: func(kc *stream.KeyedContext[int], v string, out stream.Emitter[int64]) error {
							if !registered {
								registered = true
								kc.RegisterEventTimeTimer(5000)
							}
							return nil
						},
						OnTimerFn: func(kc *stream.KeyedContext[int], ts int64, out stream.Emitter[int64]) error {
							out.Emit(ts)
							return nil
						},
					}
				}))
			job, err := env.Start(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				job.Cancel()
				if err := job.Wait(); !errors.Is(err, stream.ErrCanceled) {
					t.Error(err)
				}
			}()
			waitUntil(t, "the 4 records of partition 0", func() bool { return recordsIn(job, "journal") == 4 })
			clock.Advance(2 * time.Second)
			if idleness > 0 {
				waitUntil(t, "the timer to fire with partition 1 idle", func() bool { return len(fired.Values()) == 1 })
			} else {
				// Without idleness the silent partition holds event time back.
				for range 100 {
					clock.Advance(10 * time.Millisecond)
					time.Sleep(time.Millisecond)
				}
				if n := len(fired.Values()); n != 0 {
					t.Fatalf("the timer at 5000 fired while partition 1 had no record: %v", fired.Values())
				}
				if _, err := j.Append(ctx, "wm", 1, jl.Record{Value: []byte("p1"), Timestamp: 6000}); err != nil {
					t.Fatal(err)
				}
				// Watermarks go out on the (manual) clock's interval.
				waitUntil(t, "the timer to fire after partition 1 reached 6000", func() bool {
					clock.Advance(10 * time.Millisecond)
					return len(fired.Values()) == 1
				})
			}
			if got := fired.Values(); got[0] != 5000 {
				t.Fatalf("fired %v", got)
			}
		})
	}
}
