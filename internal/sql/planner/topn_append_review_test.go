package planner

import (
	"context"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/state"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

func reviewCols() (*Calc, func(table.Row) string, *table.RowCodec) {
	cols := []Col{
		{Name: "p", Type: table.BigIntType()},
		{Name: "price", Type: table.BigIntType()},
		{Name: "s", Type: table.StringType()},
		{Name: "q", Type: table.BigIntType()},
	}
	in := &Calc{cols: cols}
	keyFn, _ := keyOf(in, []int{0})
	return in, keyFn, rowCodecOf(in)
}

func reviewOps(seed uint64, parts, rows int, hi int64) []ckOp {
	rng := rand.New(rand.NewPCG(seed, 23))
	var ops []ckOp
	for i := range rows {
		p := rng.Int64N(int64(parts))
		s := strings.Repeat("x", rng.IntN(30))
		var price table.Value = table.Int(rng.Int64N(hi))
		if rng.IntN(15) == 0 {
			price = table.Null
		}
		ops = append(ops, ckOp{ts: int64(i), row: table.Row{Fields: []table.Value{table.Int(p), price, table.Str(s), table.Int(int64(i))}}})
		switch rng.IntN(200) {
		case 0:
			ops = append(ops, ckOp{kind: 2})
		case 1:
			ops = append(ops, ckOp{kind: 3})
		}
	}
	return ops
}

// The cache stays within its byte bound when cached partitions grow
// (review of branch topn: only new keys evicted before).
func TestReviewAppendTopNCacheBytesBound(t *testing.T) {
	in, keyFn, rc := reviewCols()
	x := &TopN{In: in, Partition: []int{0}, Order: []SortKey{{Col: 1, Desc: true}}, N: 300, Func: RowNumber, WindowEnd: -1}
	const parts, per = 40, 300
	var ops []ckOp
	s := strings.Repeat("y", 400)
	for i := range per {
		for p := range parts {
			// Decreasing prices: every row enters last (only a +I each).
			ops = append(ops, ckOp{ts: int64(i), row: table.Row{Fields: []table.Value{table.Int(int64(p)), table.Int(int64(per - i)), table.Str(s), table.Int(int64(i))}}})
		}
	}
	var f *appendOnlyRowNumber
	runKeyedCheckpointed(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
		f = &appendOnlyRowNumber{x: x, rc: rc}
		return f
	})
	held := 0
	for _, p := range f.cache.m {
		held += len(p.enc)
	}
	if held != f.cache.size {
		t.Errorf("cache.size %d, entries hold %d bytes", f.cache.size, held)
	}
	if held > topNCacheBytes {
		t.Fatalf("the partition cache holds %d entries with %d bytes of state (plus their decoded rows), over its bound of %d bytes", len(f.cache.m), held, topNCacheBytes)
	}
}

// State TTL under a manual clock (advanced by each row's ts): expiries
// between rows of a partition, with and without RefreshOnRead; the
// append-only Top-N against the reference.
func TestReviewAppendTopNTTL(t *testing.T) {
	in, keyFn, rc := reviewCols()
	run := func(ops []ckOp, newFn func() stream.KeyedProcessFunction[string, table.Row, table.Row]) []string {
		out := &sliceOut{}
		backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
		clock := base.NewManualClock(time.UnixMilli(0))
		kp := &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: keyFn, KeyCodec: codec.For[string](), Fn: newFn(), Out: out}
		if err := kp.Open(&operator.Runtime{Ctx: context.Background(), Name: "w", Parallelism: 1,
			MaxParallelism: base.DefaultMaxParallelism, KeyGroups: backend.KeyGroups(),
			Clock: clock, State: backend, Metrics: &operator.Metrics{}}); err != nil {
			t.Fatal(err)
		}
		for _, o := range ops {
			if o.kind != 0 {
				continue
			}
			clock.Set(time.UnixMilli(o.ts))
			kp.Collect(o.ts, o.row)
		}
		return out.rows
	}
	for _, refresh := range []bool{false, true} {
		for _, n := range []int64{1, 3} {
			for seed := range uint64(3) {
				ttl := []stream.StateOption{stream.WithTTL(stream.TTL{TTL: 40 * time.Millisecond, RefreshOnRead: refresh})}
				x := &TopN{In: in, Partition: []int{0}, Order: []SortKey{{Col: 1, Desc: true}}, N: n, Func: RowNumber, WindowEnd: -1}
				rng := rand.New(rand.NewPCG(seed, 5))
				ops := reviewOps(seed, 5, 1500, 10)
				ts := int64(0)
				for i := range ops {
					ts += rng.Int64N(12)
					ops[i].ts = ts
				}
				ref := run(ops, func() stream.KeyedProcessFunction[string, table.Row, table.Row] { return refRowNumberTopN(x, rc, ttl) })
				got := run(ops, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
					return &reusingFn{KeyedProcessFunction: &appendOnlyRowNumber{x: x, rc: rc, ttl: ttl}}
				})
				if !slices.Equal(ref, got) {
					for i := range min(len(ref), len(got)) {
						if ref[i] != got[i] {
							t.Fatalf("refresh=%v N=%d seed %d: row %d: reference %s, got %s", refresh, n, seed, i, ref[i], got[i])
						}
					}
					t.Fatalf("refresh=%v N=%d seed %d: reference %d rows, got %d", refresh, n, seed, len(ref), len(got))
				}
			}
		}
	}
}
