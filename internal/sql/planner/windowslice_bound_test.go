package planner

import (
	"slices"
	"testing"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// flushCounting is a sliceAgg that counts the folds of its whole buffer
// the operator asks for after a row (Full) or at the end of the input.
type flushCounting struct {
	*sliceAgg
	n int
}

func (f *flushCounting) Flush(ctx *stream.KeyedContext[string], setKey func(string)) error {
	f.n++
	return f.sliceAgg.Flush(ctx, setKey)
}

// newInlAgg makes a sliceAgg whose accumulators are in its buffer's
// entries (COUNT(*) and MAX(v) per k: at most inlAccs values), HOP
// windows of 300 ms every 100 ms, the memory path (foldAll: the state
// path).
func newInlAgg(t *testing.T, foldAll bool) (func() *sliceAgg, func(table.Row) string) {
	a, sc, keyCodec, keyFn := sliceAggFixture(t, "COUNT", -1, "MAX", 2)
	if len(a.types) > inlAccs {
		t.Fatalf("%d accumulator values, want at most %d", len(a.types), inlAccs)
	}
	return func() *sliceAgg {
		return &sliceAgg{a: a, codec: sc, size: 300, slide: 100, nkeys: 1, keyCodec: keyCodec, foldAll: foldAll, intKey: true}
	}, keyFn
}

// boundOps are snapOps' rows and watermarks (no barriers), and a row of
// a new slice after them.
func boundOps(seed uint64) (ops []ckOp, late ckOp) {
	wm := int64(base.MinTime)
	for _, o := range snapOps(seed) {
		if o.kind == 0 || o.kind == 1 {
			ops = append(ops, o)
		}
		if o.kind == 1 {
			wm = o.wm
		}
	}
	return ops, ckOp{ts: wm + 1000, row: table.NewRow(table.Int(testKeys[0]), table.TimestampMillis(wm+1000), table.Int(7))}
}

// statePathRows are the rows of the state path over ops.
func statePathRows(t *testing.T, ops []ckOp, newFn func() *sliceAgg, keyFn func(table.Row) string) []string {
	t.Helper()
	return runWithCheckpoints(t, ops, keyFn, false, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		fn := newFn()
		fn.foldAll = true
		return fn
	})
}

// openCounting opens f in a KeyedProcess over every key group.
func openCounting(t *testing.T, f *flushCounting, keyFn func(table.Row) string, backend *state.Heap, restored *operator.Restored) (*operator.KeyedProcess[string, table.Row, table.Row], *sliceOut) {
	t.Helper()
	out := &sliceOut{}
	kp := &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: keyFn, KeyCodec: codec.For[string](), Fn: f, Out: out}
	if err := kp.Open(snapRuntime(backend, restored)); err != nil {
		t.Fatal(err)
	}
	return kp, out
}

func play(kp *operator.KeyedProcess[string, table.Row, table.Row], ops []ckOp) {
	for _, o := range ops {
		if o.kind == 0 {
			kp.Collect(o.ts, o.row)
		} else {
			kp.Watermark(o.wm)
		}
	}
}

// TestSliceAggMemoryBoundAtBarriers: a buffer of inlined accumulators
// past its memory bound (maxBytes, here below one slice) is folded into
// state at the next checkpoint barrier, and only there: without a
// barrier it is never folded (the keyed state is in memory too: folding
// frees nothing), the barrier folds it instead of writing it into the
// snapshot, and the rows after it (a new slice's too) do not fold again.
// Either way the rows are the state path's, in its order.
func TestSliceAggMemoryBoundAtBarriers(t *testing.T) {
	newFn, keyFn := newInlAgg(t, false)
	for seed := range uint64(8) {
		ops, late := boundOps(seed)
		want := statePathRows(t, append(slices.Clone(ops), late), newFn, keyFn)

		fn := newFn()
		fn.maxBytes = 1
		f := &flushCounting{sliceAgg: fn}
		kp, out := openCounting(t, f, keyFn, state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism}), nil)
		play(kp, ops)
		if len(fn.bufd) == 0 {
			t.Fatalf("seed %d: nothing buffered", seed)
		}
		if f.n != 0 || len(fn.stateEnds) != 0 {
			t.Fatalf("seed %d: without checkpoints the buffer of %d bytes (bound %d) was folded %d times (slice ends in state %v)",
				seed, fn.bufBytes, fn.maxBytes, f.n, fn.stateEnds)
		}
		if _, err := kp.SnapshotState(1); err != nil {
			t.Fatal(err)
		}
		if len(fn.bufd) != 0 || len(fn.stateEnds) == 0 || len(fn.staged) != 0 {
			t.Fatalf("seed %d: after a barrier past the bound: %d slices buffered, %d key groups' buffer in the snapshot, slice ends in state %v; want all in state",
				seed, len(fn.bufd), len(fn.staged), fn.stateEnds)
		}
		kp.Collect(late.ts, late.row)
		if f.n != 0 || len(fn.bufd) != 1 {
			t.Fatalf("seed %d: a row after the barrier: %d folds, %d slices buffered; want none and 1", seed, f.n, len(fn.bufd))
		}
		kp.Watermark(base.MaxTime)
		if err := kp.Finish(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.rows, want) {
			t.Fatalf("seed %d, against the state path: %s", seed, firstDiff(out.rows, want))
		}
	}
}

// TestSliceAggBarrierUnderBoundKeepsBuffer: a barrier under the bound
// writes the buffer into the snapshot and keeps it; nothing goes to
// state.
func TestSliceAggBarrierUnderBoundKeepsBuffer(t *testing.T) {
	newFn, keyFn := newInlAgg(t, false)
	for seed := range uint64(4) {
		ops, late := boundOps(seed)
		want := statePathRows(t, append(slices.Clone(ops), late), newFn, keyFn)
		fn := newFn()
		f := &flushCounting{sliceAgg: fn}
		kp, out := openCounting(t, f, keyFn, state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism}), nil)
		play(kp, ops)
		n := len(fn.bufd)
		if _, err := kp.SnapshotState(1); err != nil {
			t.Fatal(err)
		}
		if n == 0 || len(fn.bufd) != n || len(fn.stateEnds) != 0 || len(fn.staged) == 0 {
			t.Fatalf("seed %d: a barrier under the bound (%d of %d bytes): %d of %d slices still buffered, %d key groups' buffer in the snapshot, slice ends in state %v",
				seed, fn.bufBytes, fn.maxBytes, len(fn.bufd), n, len(fn.staged), fn.stateEnds)
		}
		kp.Collect(late.ts, late.row)
		kp.Watermark(base.MaxTime)
		if err := kp.Finish(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.rows, want) {
			t.Fatalf("seed %d, against the state path: %s", seed, firstDiff(out.rows, want))
		}
	}
}

// TestSliceAggRestoredPastBoundFoldsAtBarrier: a snapshot holding a
// buffer, restored into a function whose bound is below it, keeps the
// buffer through the rows after (no fold), and the next barrier folds
// it; the rows are the state path's.
func TestSliceAggRestoredPastBoundFoldsAtBarrier(t *testing.T) {
	newFn, keyFn := newInlAgg(t, false)
	anyRestored := false
	for seed := range uint64(8) {
		ops, late := boundOps(seed)
		cut := len(ops) / 2
		all := append(slices.Clone(ops), late)
		want := statePathRows(t, all, newFn, keyFn)
		snap := runToSnapshot(t, ops[:cut], newFn(), keyFn)

		backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
		for kg := range base.DefaultMaxParallelism {
			if err := state.RestoreGroup(backend, kg, snap.Groups[kg]); err != nil {
				t.Fatal(err)
			}
		}
		fn := newFn()
		fn.maxBytes = 1
		f := &flushCounting{sliceAgg: fn}
		kp, out := openCounting(t, f, keyFn, backend, &operator.Restored{CheckpointID: 2, Timers: snap.Timers})
		if snap.WM != base.MinTime {
			kp.Watermark(snap.WM)
		}
		restored := len(fn.bufd)
		anyRestored = anyRestored || restored > 0
		play(kp, ops[cut:])
		kp.Collect(late.ts, late.row)
		if f.n != 0 {
			t.Fatalf("seed %d: restored %d slices over the bound: %d folds before a barrier, want none", seed, restored, f.n)
		}
		if len(fn.bufd) == 0 {
			t.Fatalf("seed %d: nothing buffered (restored %d)", seed, restored)
		}
		if _, err := kp.SnapshotState(3); err != nil {
			t.Fatal(err)
		}
		if len(fn.bufd) != 0 || len(fn.stateEnds) == 0 {
			t.Fatalf("seed %d: after a barrier past the bound: %d slices buffered, slice ends in state %v; want all in state", seed, len(fn.bufd), fn.stateEnds)
		}
		kp.Watermark(base.MaxTime)
		if err := kp.Finish(); err != nil {
			t.Fatal(err)
		}
		checkResumed(t, "restored past the bound", snap.Rows, [][]string{out.rows}, want)
	}
	if !anyRestored {
		t.Fatal("no snapshot held a buffered slice")
	}
}

// TestSliceAggMemoryBoundOutOfEntry: a buffer whose accumulators are out
// of its entries (more than inlAccs values) is folded after a row past its
// bound, without checkpoints, as before; the rows are the state path's.
func TestSliceAggMemoryBoundOutOfEntry(t *testing.T) {
	newFn, keyFn := newSnapAgg(t, false)
	if len(newFn().a.types) <= inlAccs {
		t.Fatal("want accumulators out of the entry")
	}
	for seed := range uint64(4) {
		ops, late := boundOps(seed)
		ops = append(ops, late)
		want := statePathRows(t, ops, newFn, keyFn)
		fn := newFn()
		fn.maxBytes = 1
		f := &flushCounting{sliceAgg: fn}
		kp, out := openCounting(t, f, keyFn, state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism}), nil)
		play(kp, ops)
		if f.n == 0 || len(fn.stateEnds) == 0 {
			t.Fatalf("seed %d: %d folds without checkpoints past the bound, slice ends in state %v; want folds", seed, f.n, fn.stateEnds)
		}
		kp.Watermark(base.MaxTime)
		if err := kp.Finish(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.rows, want) {
			t.Fatalf("seed %d, against the state path: %s", seed, firstDiff(out.rows, want))
		}
	}
}

// TestSliceAggSnapshotScratchShrinks: the encoding scratch of a barrier
// that wrote a large buffer is let go at a later barrier writing a small
// one.
func TestSliceAggSnapshotScratchShrinks(t *testing.T) {
	newFn, keyFn := newInlAgg(t, false)
	fn := newFn()
	f := &flushCounting{sliceAgg: fn}
	kp, _ := openCounting(t, f, keyFn, state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism}), nil)
	scratch := func() (n int) {
		for _, p := range fn.parts {
			n += cap(p)
		}
		return n
	}
	for k := range int64(20000) {
		kp.Collect(50, table.NewRow(table.Int(k), table.TimestampMillis(50), table.Int(k)))
	}
	if _, err := kp.SnapshotState(1); err != nil {
		t.Fatal(err)
	}
	if big := scratch(); big <= 4*maxPartsSlack {
		t.Fatalf("scratch of %d bytes after a barrier of %d slices: want more than %d", big, len(fn.bufd), 4*maxPartsSlack)
	}
	kp.Watermark(10_000) // every window fires; the buffer empties
	kp.Collect(10_050, table.NewRow(table.Int(1), table.TimestampMillis(10_050), table.Int(1)))
	if _, err := kp.SnapshotState(2); err != nil {
		t.Fatal(err)
	}
	if len(fn.bufd) != 1 || len(fn.staged) != 1 {
		t.Fatalf("%d slices buffered, %d key groups in the snapshot: want 1 and 1", len(fn.bufd), len(fn.staged))
	}
	if n := scratch(); n > maxPartsSlack {
		t.Fatalf("scratch of %d bytes kept after a barrier of one slice, want at most %d", n, maxPartsSlack)
	}
}

// TestSliceAggFoldingBarrierDropsScratch: a barrier that folds the
// buffer (past its bound) lets go of the encoding scratch a barrier
// before it grew.
func TestSliceAggFoldingBarrierDropsScratch(t *testing.T) {
	newFn, keyFn := newInlAgg(t, false)
	fn := newFn()
	kp, _ := openCounting(t, &flushCounting{sliceAgg: fn}, keyFn, state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism}), nil)
	for k := range int64(20000) {
		kp.Collect(50, table.NewRow(table.Int(k), table.TimestampMillis(50), table.Int(k)))
	}
	if _, err := kp.SnapshotState(1); err != nil {
		t.Fatal(err)
	}
	if len(fn.parts) == 0 || len(fn.stateEnds) != 0 {
		t.Fatalf("a barrier under the bound: scratch of %d key groups, slice ends in state %v", len(fn.parts), fn.stateEnds)
	}
	fn.maxBytes = 1
	if _, err := kp.SnapshotState(2); err != nil {
		t.Fatal(err)
	}
	if len(fn.bufd) != 0 || len(fn.stateEnds) == 0 || fn.parts != nil {
		t.Fatalf("a barrier past the bound: %d slices buffered, %d slice ends in state, scratch of %d key groups kept",
			len(fn.bufd), len(fn.stateEnds), len(fn.parts))
	}
}

// barrierCounting is a sliceAgg that counts the checkpoint barriers that
// find slices buffered: past its memory bound (they fold the buffer) or
// not (they write it into the snapshot).
type barrierCounting struct {
	*sliceAgg
	folds, keeps *int
}

func (f barrierCounting) SnapshotBuffer(ctx *stream.KeyedContext[string], setKey func(string)) error {
	if len(f.bufd) > 0 {
		if f.bufBytes >= f.maxBytes {
			*f.folds++
		} else {
			*f.keeps++
		}
	}
	return f.sliceAgg.SnapshotBuffer(ctx, setKey)
}

// TestSliceAggRestoresFoldingBarrier: a checkpoint taken at a barrier
// that folded the buffer (past its memory bound) restores to the state
// path's rows. Restores from every other barrier, with a bound below
// every buffer (every barrier folds) and one in between (some fold, some
// write the buffer into the snapshot); then the snapshot of a barrier
// that folded, restored at parallelism 1 to 3.
func TestSliceAggRestoresFoldingBarrier(t *testing.T) {
	newFn, keyFn := newInlAgg(t, false)
	bounds := []int{1, 3000} // snapOps' buffers at the barriers: 200 to 9 000 bytes
	folds, keeps := make([]int, len(bounds)), make([]int, len(bounds))
	for seed := range uint64(8) {
		ops := snapOps(seed)
		want := statePathRows(t, ops, newFn, keyFn)
		restoring := slices.Clone(ops)
		barriers := 0
		for i := range restoring {
			if restoring[i].kind == 2 {
				if barriers%2 == 0 {
					restoring[i].kind = 3
				}
				barriers++
			}
		}
		for i, bound := range bounds {
			got := runWithCheckpoints(t, restoring, keyFn, true, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
				fn := newFn()
				fn.maxBytes = bound
				return barrierCounting{fn, &folds[i], &keeps[i]}
			})
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d, bound %d, restored at every other barrier, against the state path: %s", seed, bound, firstDiff(got, want))
			}
		}

		cut := len(ops) / 2
		fn := newFn()
		fn.maxBytes = 1
		snap := runToSnapshot(t, ops[:cut], fn, keyFn)
		if len(fn.bufd) != 0 || len(fn.stateEnds) == 0 {
			t.Fatalf("seed %d: after a barrier past the bound: %d slices buffered, slice ends in state %v; want all in state", seed, len(fn.bufd), fn.stateEnds)
		}
		for n := 1; n <= 3; n++ {
			rows, _ := resumeSnapshot(t, snap, n, ops[cut:], func() *sliceAgg {
				f := newFn()
				if n == 2 {
					f.maxBytes = 1
				}
				return f
			}, keyFn)
			checkResumed(t, "restored from a barrier that folded", snap.Rows, rows, want)
		}
	}
	if folds[0] == 0 || folds[1] == 0 || keeps[1] == 0 {
		t.Fatalf("barriers with slices buffered: bound %d: %d folded; bound %d: %d folded, %d not; want some of each",
			bounds[0], folds[0], bounds[1], folds[1], keeps[1])
	}
}
