package planner

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/table"
)

// readCounting counts the reads (Get) and deletes of its tables.
type readCounting struct {
	state.Backend
	gets, deletes int
}

func (b *readCounting) Table(name string) state.Table {
	return &readCountingTable{Table: b.Backend.Table(name), b: b}
}

type readCountingTable struct {
	state.Table
	b *readCounting
}

func (t *readCountingTable) Get(kg int, key, sub []byte) ([]byte, bool) {
	t.b.gets++
	return t.Table.Get(kg, key, sub)
}

func (t *readCountingTable) Delete(kg int, key, sub []byte) {
	t.b.deletes++
	t.Table.Delete(kg, key, sub)
}

// TestWindowJoinStateReadsAfterBarrier: after a checkpoint barrier the
// window join's timers read and clear the list states only for the keys
// the barrier moved into state (or that went there past the bound), not
// for the keys whose rows are all in memory; and a join past its memory
// bound takes the memory path again once the barrier emptied memory. Its
// rows are the state path's throughout.
func TestWindowJoinStateReadsAfterBarrier(t *testing.T) {
	ts := table.TimestampType(3).NotNull()
	cols := []Col{{Name: "k", Type: table.BigIntType()}, {Name: "window_end", Type: ts}, {Name: "v", Type: table.BigIntType()}}
	types := []table.Type{table.BigIntType(), ts, table.BigIntType()}
	n := &WindowJoin{Kind: "LEFT", L: &Calc{cols: cols}, R: &Calc{cols: cols}, LEnd: 1, REnd: 1}
	keyFn := func(r table.Row) string { return r.Fields[0].String() + r.Fields[1].String() }
	type run struct {
		f    *windowJoinFn
		kp   *operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]
		b    *readCounting
		out  *sliceOut
		rows func(from, to int64, end int64)
	}
	start := func(mem bool, maxBytes int) *run {
		r := &run{f: &windowJoinFn{n: n, lc: table.NewRowCodecTypes(types...), rc: table.NewRowCodecTypes(types...), mem: mem, maxBytes: maxBytes},
			b: &readCounting{Backend: state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})}, out: &sliceOut{}}
		r.kp = &operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]{Key1: keyFn, Key2: keyFn, KeyCodec: codec.For[string](), Fn: r.f, Out: r.out}
		if err := r.kp.Open(&operator.Runtime{Ctx: context.Background(), Name: "w", Parallelism: 1,
			MaxParallelism: base.DefaultMaxParallelism, KeyGroups: r.b.KeyGroups(),
			Clock: base.NewManualClock(time.UnixMilli(0)), State: r.b, Metrics: &operator.Metrics{}}); err != nil {
			t.Fatal(err)
		}
		in1, in2 := r.kp.Input1(), r.kp.Input2()
		r.rows = func(from, to, end int64) {
			for k := from; k < to; k++ {
				row := table.NewRow(table.Int(k), table.TimestampMillis(end), table.Int(k))
				in1.Collect(end-1, row)
				if k%2 == 0 {
					in2.Collect(end-1, row)
				}
			}
		}
		return r
	}
	barrier := func(r *run) {
		if _, err := r.kp.SnapshotState(1); err != nil {
			t.Fatal(err)
		}
	}
	finish := func(r *run) []string {
		r.kp.Watermark(base.MaxTime)
		if err := r.kp.Finish(); err != nil {
			t.Fatal(err)
		}
		return r.out.rows
	}

	// Keys 0-4 before the barrier, 5-24 after it, all of one window.
	want := func() []string {
		r := start(false, 0)
		r.rows(0, 5, 1000)
		r.rows(5, 25, 1000)
		return finish(r)
	}()
	r := start(true, 0)
	r.rows(0, 5, 1000)
	barrier(r)
	if len(r.f.stateKeys) != 5 {
		t.Fatalf("after the barrier: %d keys in state, want 5", len(r.f.stateKeys))
	}
	r.rows(5, 25, 1000)
	if len(r.f.index) != 20 {
		t.Fatalf("after the barrier: %d keys in memory, want 20", len(r.f.index))
	}
	r.b.gets, r.b.deletes = 0, 0
	r.kp.Watermark(999) // every window fires
	if r.b.gets != 2*5 || r.b.deletes != 2*5 {
		t.Fatalf("firing 5 keys in state and 20 in memory: %d reads, %d deletes of state (want 10, 10)", r.b.gets, r.b.deletes)
	}
	if len(r.f.stateKeys) != 0 || len(r.f.index) != 0 {
		t.Fatalf("after the windows fired: %d keys in state, %d in memory", len(r.f.stateKeys), len(r.f.index))
	}
	if got := finish(r); !slices.Equal(got, want) {
		t.Fatalf("with a barrier: %s", firstDiff(got, want))
	}

	// Past the bound the rows go to state; the barrier empties memory and
	// the keys not in state go to memory again.
	want = func() []string {
		r := start(false, 0)
		r.rows(0, 30, 1000)
		r.rows(0, 10, 2000)
		r.rows(10, 15, 2000)
		return finish(r)
	}()
	r = start(true, 1000)
	r.rows(0, 30, 1000)
	if !r.f.spilled {
		t.Fatalf("30 keys in a bound of 1000 bytes did not spill (%d bytes)", r.f.memBytes)
	}
	inState := len(r.f.stateKeys)
	r.rows(0, 10, 2000) // past the bound: to state
	if len(r.f.stateKeys) != inState+10 {
		t.Fatalf("past the bound: %d keys in state, want %d", len(r.f.stateKeys), inState+10)
	}
	barrier(r)
	if r.f.spilled || r.f.memBytes != 0 || len(r.f.index) != 0 {
		t.Fatalf("after the barrier: spilled %v, %d bytes and %d keys in memory (want false, 0, 0)", r.f.spilled, r.f.memBytes, len(r.f.index))
	}
	r.rows(10, 15, 2000)
	if len(r.f.index) != 5 || r.f.spilled {
		t.Fatalf("after the barrier: %d keys in memory (spilled %v), want 5", len(r.f.index), r.f.spilled)
	}
	if got := finish(r); !slices.Equal(got, want) {
		t.Fatalf("past the bound, with a barrier: %s", firstDiff(got, want))
	}
}
