package planner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

type sliceOut struct{ rows []string }

func (c *sliceOut) Collect(ts int64, r table.Row) {
	c.rows = append(c.rows, fmt.Sprintf("%d %s", ts, r.String()))
}

// TestSliceAggCheckpointsMatchStatePath feeds random rows (several keys,
// late rows, rows late for some of their windows) and watermarks to the
// sliced HOP and TUMBLE aggregations, with checkpoint barriers at random
// points (SnapshotState, which writes the buffer into the snapshot; with
// the bound of 5 slices windows have parts in state and in memory) and
// some of them restored into a new operator (keyed state and timers; the
// state path's and the memory path's alternated), and checks that it emits the rows of
// the state path (the buffer folded at every watermark, one slice at a
// time), with their timestamps and in their order.
// The fixtures of one and two accumulator values and of none (in the
// buffer's entries: bufSlice.inl) run on fewer seeds.
func TestSliceAggCheckpointsMatchStatePath(t *testing.T) {
	for _, f := range sliceAggFixtures {
		for _, w := range []struct{ size, slide int64 }{{300, 100}, {500, 100}, {200, 200}} {
			testSliceAggCheckpoints(t, f, w.size, w.slide)
		}
	}
}

func testSliceAggCheckpoints(t *testing.T, f sliceAggFix, size, slide int64) {
	a, sc, keyCodec, keyFn := sliceAggFixture(t, f.calls...)
	gen := func(seed uint64) []ckOp {
		rng := rand.New(rand.NewPCG(seed, 17))
		var ops []ckOp
		wm := int64(-1)
		for range 200 {
			switch rng.IntN(12) {
			case 0, 1:
				wm += int64(rng.IntN(250))
				ops = append(ops, ckOp{kind: 1, wm: wm})
			case 2:
				ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
			}
			ts := max(wm-50, 0) + int64(rng.IntN(300))
			if rng.IntN(6) == 0 {
				ts = max(wm-int64(rng.IntN(600)), 0)
			}
			v := table.Int(int64(rng.IntN(50)))
			if rng.IntN(5) == 0 {
				v = table.Null
			}
			k := table.Int(testKeys[rng.IntN(8+rng.IntN(2)*(len(testKeys)-8))])
			if rng.IntN(20) == 0 {
				k = table.Null // keyed apart from the integers (sliceAgg.index)
			}
			ops = append(ops, ckOp{ts: ts, row: table.NewRow(k, table.TimestampMillis(ts), v)})
		}
		return ops
	}
	run := func(ops []ckOp, ref bool, maxBufd int, intKey bool) []string {
		return runWithCheckpoints(t, ops, keyFn, !ref, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
			return checkedAgg{&sliceAgg{a: a, codec: sc, size: size, slide: slide, nkeys: 1, keyCodec: keyCodec, maxBufd: maxBufd, foldAll: ref, intKey: intKey}}
		})
	}
	for seed := range uint64(f.seeds * 3 / 4) {
		ops := gen(seed)
		want := run(ops, true, 1, false)
		if len(want) == 0 {
			t.Fatalf("seed %d: no rows", seed)
		}
		for _, n := range []int{1 << 30, 5} {
			for _, intKey := range []bool{false, true} {
				if got := run(ops, false, n, intKey); !slices.Equal(got, want) {
					t.Fatalf("%v size %d slide %d seed %d buffer %d intKey %v, against the state path: %s", f.calls, size, slide, seed, n, intKey, firstDiff(got, want))
				}
			}
		}
		// Snapshots of the state path (the builds before the memory path
		// with checkpoints) restored into the memory path, and the other
		// way round: a different path after each restore.
		for _, startRef := range []bool{true, false} {
			opens := 0
			got := runWithCheckpoints(t, ops, keyFn, true, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
				ref := startRef == (opens%2 == 0)
				opens++
				return checkedAgg{&sliceAgg{a: a, codec: sc, size: size, slide: slide, nkeys: 1, keyCodec: keyCodec, maxBufd: 1 << 30, foldAll: ref, intKey: opens%3 != 0}}
			})
			if !slices.Equal(got, want) {
				t.Fatalf("%v size %d slide %d seed %d, paths alternated at restores (state path first %v): %s", f.calls, size, slide, seed, startRef, firstDiff(got, want))
			}
		}
	}
}

// ckOp is a step of runWithCheckpoints: a row, a watermark, a checkpoint
// barrier, or a barrier and a restore from what it captured.
type ckOp struct {
	kind   int // 0 row, 1 watermark, 2 checkpoint, 3 checkpoint and restore
	ts, wm int64
	row    table.Row
	left   bool // of a two-input operator: the row is the first input's
}

// runWithCheckpoints runs a keyed function in a KeyedProcess over ops
// (barriers and restores only if checkpoints) and returns what it
// emitted, timestamp first, after a last watermark at MaxTime and Finish.
// A restore captures the keyed state and timers as a checkpoint does and
// opens a new function on them, under the last watermark.
func runWithCheckpoints(t *testing.T, ops []ckOp, keyFn func(table.Row) string, checkpoints bool,
	newFn func() stream.KeyedProcessFunction[string, table.Row, table.Row]) []string {
	t.Helper()
	out := &sliceOut{}
	var kp *operator.KeyedProcess[string, table.Row, table.Row]
	driveWithCheckpoints(t, ops, checkpoints, func(rt *operator.Runtime) ckDriven {
		kp = &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: keyFn, KeyCodec: codec.For[string](), Fn: newFn(), Out: out}
		if err := kp.Open(rt); err != nil {
			t.Fatal(err)
		}
		return ckDriven{kp, func(o ckOp) { kp.Collect(o.ts, o.row) }}
	})
	return out.rows
}

// runCoWithCheckpoints is runWithCheckpoints of a keyed two-input function.
func runCoWithCheckpoints(t *testing.T, ops []ckOp, keyFn func(table.Row) string, checkpoints bool,
	newFn func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row]) []string {
	t.Helper()
	return runCoKeysWithCheckpoints(t, ops, keyFn, keyFn, checkpoints, newFn)
}

// runCoKeysWithCheckpoints is runCoWithCheckpoints with a key function
// per input.
func runCoKeysWithCheckpoints(t *testing.T, ops []ckOp, key1, key2 func(table.Row) string, checkpoints bool,
	newFn func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row]) []string {
	t.Helper()
	out := &sliceOut{}
	driveWithCheckpoints(t, ops, checkpoints, func(rt *operator.Runtime) ckDriven {
		kp := &operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]{Key1: key1, Key2: key2, KeyCodec: codec.For[string](), Fn: newFn(), Out: out}
		if err := kp.Open(rt); err != nil {
			t.Fatal(err)
		}
		in1, in2 := kp.Input1(), kp.Input2()
		return ckDriven{kp, func(o ckOp) {
			if o.left {
				in1.Collect(o.ts, o.row)
			} else {
				in2.Collect(o.ts, o.row)
			}
		}}
	})
	return out.rows
}

// ckOperator is what driveWithCheckpoints needs of a keyed operator.
type ckOperator interface {
	Watermark(int64)
	Finish() error
	SnapshotTimers() map[int][]byte
}

type ckDriven struct {
	op     ckOperator
	record func(ckOp)
}

// driveWithCheckpoints runs ops through the operators open builds, a new
// one on the state and timers captured at each restore.
func driveWithCheckpoints(t testing.TB, ops []ckOp, checkpoints bool, open func(*operator.Runtime) ckDriven) {
	t.Helper()
	var backend *state.Heap
	var d ckDriven
	start := func(restored *operator.Restored) {
		d = open(&operator.Runtime{Ctx: context.Background(), Name: "w", Parallelism: 1,
			MaxParallelism: base.DefaultMaxParallelism, KeyGroups: backend.KeyGroups(),
			Clock: base.NewManualClock(time.UnixMilli(0)), State: backend, Metrics: &operator.Metrics{}, Restored: restored})
	}
	backend = state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
	start(nil)
	wm := int64(base.MinTime)
	for _, o := range ops {
		switch o.kind {
		case 0:
			d.record(o)
		case 1:
			wm = o.wm
			d.op.Watermark(wm)
		case 2, 3:
			if !checkpoints {
				continue
			}
			// As a checkpoint: SnapshotState (the barrier), then the
			// timers and the keyed state.
			if s, ok := d.op.(operator.Snapshotter); ok {
				if _, err := s.SnapshotState(1); err != nil {
					t.Fatal(err)
				}
			}
			if o.kind == 2 {
				continue
			}
			timers := d.op.SnapshotTimers()
			groups := map[int][]byte{}
			for kg := range base.DefaultMaxParallelism {
				groups[kg] = state.AppendGroup(nil, backend, kg)
			}
			backend = state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
			for kg, b := range groups {
				if err := state.RestoreGroup(backend, kg, b); err != nil {
					t.Fatal(err)
				}
			}
			start(&operator.Restored{CheckpointID: 1, Timers: timers})
			if wm != base.MinTime {
				d.op.Watermark(wm) // the watermark is not in a snapshot
			}
		}
	}
	d.op.Watermark(base.MaxTime)
	if err := d.op.Finish(); err != nil {
		t.Fatal(err)
	}
}

// checkedAgg is a sliceAgg that checks the buffer's index after every
// call: each entry of bufd is found at its position, by sliceAgg.ints
// (integer keys) or sliceAgg.index (others), and neither holds more
// (the firing sort moves entries and updates only those that moved).
type checkedAgg struct{ *sliceAgg }

func (c checkedAgg) check(where string, err error) error {
	if err != nil {
		return err
	}
	s := c.sliceAgg
	ints := 0
	for i := range s.bufd {
		b := &s.bufd[i]
		if b.isInt {
			ints++
			if p, ok := s.ints.get(b.ik, b.end); !ok || p != i {
				return fmt.Errorf("%s: the table has slice %d (%d, %d) at %d %v", where, i, b.ik, b.end, p, ok)
			}
		} else if p, ok := s.index[b.sliceKey]; !ok || p != i {
			return fmt.Errorf("%s: the index has slice %d (%q, %d) at %d %v", where, i, b.key, b.end, p, ok)
		}
	}
	if ints != s.ints.n || len(s.bufd)-ints != len(s.index) {
		return fmt.Errorf("%s: %d slices of integer keys (table %d), %d others (index %d)", where, ints, s.ints.n, len(s.bufd)-ints, len(s.index))
	}
	if len(s.bufd) == 0 && s.bufBytes != 0 {
		return fmt.Errorf("%s: an empty buffer of %d bytes", where, s.bufBytes)
	}
	if !s.dirty && len(s.grp) != len(s.bufd) {
		return fmt.Errorf("%s: %d key numbers for %d slices", where, len(s.grp), len(s.bufd))
	}
	return nil
}

func (c checkedAgg) ProcessElement(ctx *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
	return c.check("ProcessElement", c.sliceAgg.ProcessElement(ctx, r, out))
}

func (c checkedAgg) OnTimer(ctx *stream.KeyedContext[string], t int64, out stream.Emitter[table.Row]) error {
	return c.check("OnTimer", c.sliceAgg.OnTimer(ctx, t, out))
}

func (c checkedAgg) Flush(ctx *stream.KeyedContext[string], setKey func(string)) error {
	return c.check("Flush", c.sliceAgg.Flush(ctx, setKey))
}

func (c checkedAgg) FlushWatermark(ctx *stream.KeyedContext[string], setKey func(string), wm int64) error {
	return c.check("FlushWatermark", c.sliceAgg.FlushWatermark(ctx, setKey, wm))
}
