package planner

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/table"
)

// TestMiniBatchBufferRetainedBySize: the memory a mini-batch GroupAgg
// keeps between bundles should stay bounded by its size (the KeyedBuffer
// contract: "What it buffers is bounded by Full"). Each bundle slot keeps
// the capacity of the largest row list it ever held, so a hot key whose
// first row lands at a different slot in each bundle grows a new
// size-long array per bundle: O(size^2) retained.
func TestMiniBatchBufferRetainedBySize(t *testing.T) {
	types := []table.Type{table.StringType(), table.BigIntType()}
	base0 := testAccs(t, types, "COUNT", -1)
	a := plainGroupAccs(base0.aggs)
	const size = 200
	x := &GroupAgg{Keys: []int{0}, Aggs: base0.aggs, MiniBatch: miniBatch{Latency: time.Hour, Size: size}}
	fn := newMiniBatchGroupAgg(a, x, nil)
	backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
	out := &sliceOut{}
	kp := &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: rowKeyFn(table.NewRowCodecTypes(types[0]), 1),
		KeyCodec: codec.For[string](), Fn: fn, Out: out}
	if err := kp.Open(&operator.Runtime{Ctx: context.Background(), Name: "g", Parallelism: 1,
		MaxParallelism: base.DefaultMaxParallelism, KeyGroups: backend.KeyGroups(),
		Clock: base.NewManualClock(time.UnixMilli(0)), State: backend, Metrics: &operator.Metrics{}}); err != nil {
		t.Fatal(err)
	}
	for j := range size / 2 {
		for c := range j { // j cold keys first: the hot key's slot is j
			kp.Collect(0, table.NewRow(table.Str(fmt.Sprintf("c%d", c)), table.Int(1)))
		}
		for range size - j { // then the hot key fills the bundle (Full flushes)
			kp.Collect(0, table.NewRow(table.Str("hot"), table.Int(1)))
		}
		out.rows = out.rows[:0]
	}
	if fn.rows != 0 {
		t.Fatalf("%d rows still buffered", fn.rows)
	}
	retained := cap(fn.pend) + cap(fn.grouped)
	for _, b := range fn.bundle[:cap(fn.bundle)] {
		retained += cap(b.rows)
	}
	if retained > 4*size {
		t.Errorf("after %d bundles of %d rows, the empty buffer retains room for %d rows (%d x size)", size/2, size, retained, retained/size)
	}
}
