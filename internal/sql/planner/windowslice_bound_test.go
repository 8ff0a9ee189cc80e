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
// the operator asks for (Flush: a full buffer, the end of the input).
type flushCounting struct {
	*sliceAgg
	n int
}

func (f *flushCounting) Flush(ctx *stream.KeyedContext[string], setKey func(string)) error {
	f.n++
	return f.sliceAgg.Flush(ctx, setKey)
}

// TestSliceAggMemoryBoundOnceCheckpointing: the buffer's memory bound
// (maxBytes, here below one slice) folds it into state only once the job
// checkpoints. Without a barrier the buffer is never full and nothing
// goes to state (the keyed state is in memory too: folding frees
// nothing); after a barrier (which writes the whole buffer) the next new
// slice makes it full and it is folded. Either way the rows are the state
// path's, in its order.
func TestSliceAggMemoryBoundOnceCheckpointing(t *testing.T) {
	newFn, keyFn := newSnapAgg(t, false)
	for seed := range uint64(8) {
		var ops []ckOp
		for _, o := range snapOps(seed) {
			if o.kind == 0 || o.kind == 1 {
				ops = append(ops, o)
			}
		}
		wm := int64(base.MinTime)
		for _, o := range ops {
			if o.kind == 1 {
				wm = o.wm
			}
		}
		// A row of a new slice, after the barrier.
		late := ckOp{ts: wm + 1000, row: table.NewRow(table.Int(testKeys[0]), table.TimestampMillis(wm+1000), table.Int(7))}
		all := append(slices.Clone(ops), late)
		want := runWithCheckpoints(t, all, keyFn, false, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
			fn := newFn()
			fn.foldAll = true
			return fn
		})

		fn := newFn()
		fn.maxBytes = 1
		f := &flushCounting{sliceAgg: fn}
		out := &sliceOut{}
		backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
		kp := &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: keyFn, KeyCodec: codec.For[string](), Fn: f, Out: out}
		if err := kp.Open(snapRuntime(backend, nil)); err != nil {
			t.Fatal(err)
		}
		for _, o := range ops {
			if o.kind == 0 {
				kp.Collect(o.ts, o.row)
			} else {
				kp.Watermark(o.wm)
			}
		}
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
		kp.Collect(late.ts, late.row)
		if f.n != 1 || len(fn.bufd) != 0 || len(fn.stateEnds) == 0 {
			t.Fatalf("seed %d: after a barrier and a new slice: %d folds, %d slices buffered, slice ends in state %v; want 1 fold and all in state",
				seed, f.n, len(fn.bufd), fn.stateEnds)
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
