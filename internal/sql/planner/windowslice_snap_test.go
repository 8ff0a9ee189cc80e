package planner

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/table"
)

// This file compiles against the builds before the buffer's snapshot too
// (it uses nothing that they lack): testdata/sliceagg_main_snapshot.json
// was written by main's build at 0b6ebcb with it copied there
// (STROM_WRITE_SLICE_GOLDEN=1 go test -run TestWriteSliceAggGolden
// ./internal/sql/planner).

// snapOps are rows (several keys, some late for some or all of their
// windows), watermarks and checkpoint barriers (kind 2) for the snapshot
// tests.
func snapOps(seed uint64) []ckOp {
	rng := rand.New(rand.NewPCG(seed, 29))
	var ops []ckOp
	wm := int64(-1)
	for range 240 {
		switch rng.IntN(12) {
		case 0, 1:
			wm += int64(rng.IntN(250))
			ops = append(ops, ckOp{kind: 1, wm: wm})
		case 2:
			ops = append(ops, ckOp{kind: 2})
		}
		ts := max(wm-50, 0) + int64(rng.IntN(300))
		if rng.IntN(6) == 0 {
			ts = max(wm-int64(rng.IntN(600)), 0)
		}
		v := table.Int(int64(rng.IntN(50)))
		if rng.IntN(5) == 0 {
			v = table.Null
		}
		k := table.Int(testKeys[rng.IntN(len(testKeys))])
		if rng.IntN(20) == 0 {
			k = table.Null
		}
		ops = append(ops, ckOp{ts: ts, row: table.NewRow(k, table.TimestampMillis(ts), v)})
	}
	return ops
}

// sliceSnap is a checkpoint of one sliceAgg over every key group: the
// chunks of its keyed state and its timers by key group, the watermark,
// and the rows emitted before it.
type sliceSnap struct {
	Groups map[int][]byte `json:"groups"`
	Timers map[int][]byte `json:"timers"`
	WM     int64          `json:"wm"`
	Rows   []string       `json:"rows"`
}

// newSnapAgg makes the sliceAgg of the snapshot tests: COUNT(*), SUM(v)
// and MAX(v) per k, HOP windows of 300 ms every 100 ms, the memory path
// (foldAll: the state path).
func newSnapAgg(t *testing.T, foldAll bool) (func() *sliceAgg, func(table.Row) string) {
	a, sc, keyCodec, keyFn := sliceAggFixture(t, "COUNT", -1, "SUM", 2, "MAX", 2)
	return func() *sliceAgg {
		return &sliceAgg{a: a, codec: sc, size: 300, slide: 100, nkeys: 1, keyCodec: keyCodec, foldAll: foldAll, intKey: true}
	}, keyFn
}

// snapRuntime is the runtime of a subtask owning key groups kgs.
func snapRuntime(backend *state.Heap, restored *operator.Restored) *operator.Runtime {
	return &operator.Runtime{Ctx: context.Background(), Name: "w", Parallelism: 1,
		MaxParallelism: base.DefaultMaxParallelism, KeyGroups: backend.KeyGroups(),
		Clock: base.NewManualClock(time.UnixMilli(0)), State: backend, Metrics: &operator.Metrics{}, Restored: restored}
}

// runToSnapshot runs ops through fn in a KeyedProcess over every key
// group (a barrier, SnapshotState, at each kind 2), then takes a
// checkpoint: the barrier, the timers and the keyed state.
func runToSnapshot(t *testing.T, ops []ckOp, fn *sliceAgg, keyFn func(table.Row) string) sliceSnap {
	t.Helper()
	out := &sliceOut{}
	backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
	kp := &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: keyFn, KeyCodec: codec.For[string](), Fn: fn, Out: out}
	if err := kp.Open(snapRuntime(backend, nil)); err != nil {
		t.Fatal(err)
	}
	wm := int64(base.MinTime)
	for _, o := range ops {
		switch o.kind {
		case 0:
			kp.Collect(o.ts, o.row)
		case 1:
			wm = o.wm
			kp.Watermark(wm)
		case 2:
			if _, err := kp.SnapshotState(1); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := kp.SnapshotState(2); err != nil {
		t.Fatal(err)
	}
	s := sliceSnap{Groups: map[int][]byte{}, Timers: kp.SnapshotTimers(), WM: wm, Rows: out.rows}
	for kg := range base.DefaultMaxParallelism {
		s.Groups[kg] = state.AppendGroup(nil, backend, kg)
	}
	return s
}

// resumeSnapshot restores snap into n subtasks (their key groups as the
// engine assigns them), runs ops through them (rows to the subtask of
// their key's group, watermarks and barriers to all) and returns the
// rows of each, and the functions.
func resumeSnapshot(t *testing.T, snap sliceSnap, n int, ops []ckOp, newFn func() *sliceAgg, keyFn func(table.Row) string) ([][]string, []*sliceAgg) {
	t.Helper()
	outs := make([]*sliceOut, n)
	kps := make([]*operator.KeyedProcess[string, table.Row, table.Row], n)
	fns := make([]*sliceAgg, n)
	for i := range n {
		kgs := base.RangeFor(base.DefaultMaxParallelism, n, i)
		backend := state.NewHeap(kgs)
		timers := map[int][]byte{}
		for kg := kgs.Start; kg < kgs.End; kg++ {
			if err := state.RestoreGroup(backend, kg, snap.Groups[kg]); err != nil {
				t.Fatal(err)
			}
			if b, ok := snap.Timers[kg]; ok {
				timers[kg] = b
			}
		}
		outs[i], fns[i] = &sliceOut{}, newFn()
		kps[i] = &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: keyFn, KeyCodec: codec.For[string](), Fn: fns[i], Out: outs[i]}
		if err := kps[i].Open(snapRuntime(backend, &operator.Restored{CheckpointID: 2, Timers: timers})); err != nil {
			t.Fatal(err)
		}
		if snap.WM != base.MinTime {
			kps[i].Watermark(snap.WM) // the watermark is not in a snapshot
		}
	}
	for _, o := range ops {
		switch o.kind {
		case 0:
			kg := base.KeyGroupOf(base.HashKey([]byte(keyFn(o.row))), base.DefaultMaxParallelism)
			kps[base.SubtaskFor(kg, base.DefaultMaxParallelism, n)].Collect(o.ts, o.row)
		case 1:
			for _, kp := range kps {
				kp.Watermark(o.wm)
			}
		case 2:
			for _, kp := range kps {
				if _, err := kp.SnapshotState(3); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	rows := make([][]string, n)
	for i, kp := range kps {
		kp.Watermark(base.MaxTime)
		if err := kp.Finish(); err != nil {
			t.Fatal(err)
		}
		rows[i] = outs[i].rows
	}
	return rows, fns
}

// checkResumed checks that before (the rows before a snapshot) and then
// (the rows of each subtask after its restore) are want: before a prefix
// of it, and each subtask's rows in want's order, all of them want's
// rows (each row names its key and window, so none is there twice).
func checkResumed(t *testing.T, what string, before []string, then [][]string, want []string) {
	t.Helper()
	if !slices.Equal(before, want[:min(len(before), len(want))]) {
		t.Fatalf("%s: before the snapshot, against the state path: %s", what, firstDiff(before, want))
	}
	at := map[string]int{}
	for i, r := range want[len(before):] {
		at[r] = i
	}
	got := 0
	for i, rows := range then {
		last := -1
		for _, r := range rows {
			p, ok := at[r]
			if !ok {
				t.Fatalf("%s: subtask %d emitted %q, not a row of the state path after the snapshot", what, i, r)
			}
			if p < last {
				t.Fatalf("%s: subtask %d emitted %q out of the state path's order", what, i, r)
			}
			last = p
			delete(at, r)
			got++
		}
	}
	if len(at) > 0 {
		t.Fatalf("%s: %d rows of the state path missing after the snapshot (of %d)", what, len(at), len(want)-len(before))
	}
}

// TestWriteSliceAggGolden writes testdata/sliceagg_main_snapshot.json
// with this build's layout (run in a checkout of main, see above).
func TestWriteSliceAggGolden(t *testing.T) {
	if os.Getenv("STROM_WRITE_SLICE_GOLDEN") == "" {
		t.Skip("STROM_WRITE_SLICE_GOLDEN not set")
	}
	newFn, keyFn := newSnapAgg(t, false)
	ops := snapOps(1)
	b, err := json.Marshal(runToSnapshot(t, ops[:len(ops)/2], newFn(), keyFn))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/sliceagg_main_snapshot.json", b, 0o644); err != nil {
		t.Fatal(err)
	}
}
