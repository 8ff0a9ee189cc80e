package stream_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

// distinctTimers registers an event-time timer per record, at a time no
// other record's timer has (TS steps by 5 within a split; the split, 0 to
// 3, sets them apart across splits): every timer is alone at its time, so
// every key group's timers encode as version 1.
type distinctTimers struct{}

func (distinctTimers) Open(*stream.OpenContext) error { return nil }

func (distinctTimers) ProcessElement(ctx *stream.KeyedContext[string], e seqEvent, _ stream.Emitter[string]) error {
	ctx.RegisterEventTimeTimer(e.TS + 50_000 + int64(e.Key[1]-'0'))
	return nil
}

func (distinctTimers) OnTimer(ctx *stream.KeyedContext[string], _ int64, out stream.Emitter[string]) error {
	out.Emit("fired " + ctx.Key())
	return nil
}

// timersJob is a job whose keyed operator holds event-time timers: with
// window, one-second tumbling windows over many keys per key group (a
// window end shared by several keys: timers of version 2), else
// distinctTimers (version 1 only).
func timersJob(dir string, window bool, sink *streamtest.TxSink[string], seen *atomic.Int64) *stream.Environment {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2, MaxParallelism: 8,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 20 * time.Millisecond}})
	gen := stream.GeneratorSource[seqEvent]{NumSplits: spSplits, Count: spKeys * spPerKey, Fn: func(split int, i int64) seqEvent {
		return seqEvent{Key: fmt.Sprintf("s%d-k%02d", split, i%spKeys), Seq: i/spKeys + 1, TS: 1_000_000 + i*5}
	}}
	src := stream.FromSource[seqEvent](env, gen, stream.WatermarkStrategy[seqEvent]{Enabled: true, Timestamp: func(e seqEvent) int64 { return e.TS }}, "gen")
	mapped := stream.Map(src, func(e seqEvent) seqEvent {
		countSlow(seen, e, true) // stopped with a savepoint in the middle
		return e
	}).UID("slow-map")
	keyed := stream.KeyBy(mapped, func(e seqEvent) string { return e.Key })
	var out stream.Stream[string]
	if window {
		sums := stream.WindowReduce(keyed.Window(stream.TumblingEventTimeWindows(time.Second)),
			func(a, b seqEvent) seqEvent { return seqEvent{Key: a.Key, Seq: a.Seq + b.Seq, TS: max(a.TS, b.TS)} }).UID("window-sum")
		out = stream.Map(sums, func(e seqEvent) string { return fmt.Sprintf("sum %s %d", e.Key, e.Seq) }).UID("format")
	} else {
		out = stream.KeyedProcess(keyed, func() stream.KeyedProcessFunction[string, seqEvent, string] { return distinctTimers{} }).UID("timers")
	}
	stream.SinkTo[string](out, sink, "tx-sink")
	return env
}

// metadataVersion is the version of the metadata file of checkpoint id
// in dir (0: none, or not readable yet).
func metadataVersion(dir string, id int64) int {
	data, err := os.ReadFile(filepath.Join(dir, checkpoint.ChkDirName(id), checkpoint.MetadataFile))
	if err != nil || len(data) < 10 {
		return 0
	}
	if _, err := checkpoint.DecodeMetadata(data); err != nil {
		return 0
	}
	return int(data[8])<<8 | int(data[9])
}

// TestJobMetadataVersionByTimers: a job whose timers include some of
// version 2 (windows, several keys per window end) writes its checkpoints
// and savepoints as metadata version 4 (docs/format/checkpoint.md §2.4),
// refused by older builds; one whose timers all encode as version 1
// (distinct times) writes them as version 3 at most, which older builds
// still read.
func TestJobMetadataVersionByTimers(t *testing.T) {
	for _, c := range []struct {
		name   string
		window bool
	}{{"v2 timers", true}, {"v1 timers", false}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var seen atomic.Int64
			sink := streamtest.NewTxSink[string]()
			env := timersJob(dir, c.window, sink, &seen)
			done := make(chan error, 1)
			go func() { done <- env.Execute(context.Background()) }()
			versions := map[int64]int{}
			deadline := time.Now().Add(60 * time.Second)
			for len(versions) < 3 || seen.Load() < spTotal/3 {
				if time.Now().After(deadline) || seen.Load() >= spTotal {
					t.Fatalf("%d checkpoints while the job ran (%d records)", len(versions), seen.Load())
				}
				ents, _ := os.ReadDir(dir)
				for _, e := range ents {
					var id int64
					if _, err := fmt.Sscanf(e.Name(), "chk-%d", &id); err != nil || versions[id] != 0 {
						continue
					}
					if v := metadataVersion(dir, id); v != 0 {
						versions[id] = v
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
			spDir := filepath.Join(t.TempDir(), "sp")
			res, err := env.Savepoint(context.Background(), spDir, true)
			if err != nil {
				t.Fatalf("savepoint: %v", err)
			}
			if err := <-done; !errors.Is(err, stream.ErrStopped) {
				t.Fatalf("Execute after stop-with-savepoint: %v", err)
			}
			versions[-res.CheckpointID] = metadataVersion(spDir, res.CheckpointID) // negative: the savepoint
			// With windows, a checkpoint taken before the first record has
			// no timers (version 1); the savepoint, taken in the middle of
			// the input, has windows in flight.
			v4 := 0
			for id, v := range versions {
				what := fmt.Sprintf("chk-%d", id)
				if id < 0 {
					what = fmt.Sprintf("savepoint of checkpoint %d", -id)
				}
				if v == 4 {
					v4++
				}
				switch {
				case c.window && v != 4 && (id < 0 || v < 1 || v > 2):
					t.Errorf("%s: metadata version %d, want 4 (timers of version 2)", what, v)
				case !c.window && (v < 1 || v > 3):
					t.Errorf("%s: metadata version %d, want 1 to 3 (timers of version 1 only)", what, v)
				}
			}
			if c.window && v4 < 3 {
				t.Errorf("%d checkpoints and savepoints of metadata version 4 (%v), want at least 3", v4, versions)
			}
			t.Logf("metadata versions (negative id: the savepoint): %v", versions)
		})
	}
}
