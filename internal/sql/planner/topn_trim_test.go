package planner

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// wideFn runs a Top-N over the untrimmed input (p, price, s, q, then the
// PARTITION BY p and ORDER BY price repeated, as bindTopN's
// pre-projection) for rows of the trimmed input (p, price, s, q): it adds
// the repeats to each row and drops them from each output row.
type wideFn struct {
	stream.KeyedProcessFunction[string, table.Row, table.Row]
}

type narrowOut struct{ out stream.Emitter[table.Row] }

func (o narrowOut) Emit(r table.Row) {
	o.out.Emit(table.Row{Kind: r.Kind, Fields: append(slices.Clone(r.Fields[:4]), r.Fields[6])})
}

func (f wideFn) ProcessElement(ctx *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
	w := append(slices.Clone(r.Fields), r.Fields[0], r.Fields[1])
	return f.KeyedProcessFunction.ProcessElement(ctx, table.Row{Kind: r.Kind, Fields: w}, narrowOut{out})
}

// TestAppendTopNStoredLayout: the append-only ROW_NUMBER Top-N whose input
// topNTrim trimmed (TopN.Stored puts the repeated PARTITION BY and ORDER
// BY columns back into the rows it stores) emits what the Top-N over the
// untrimmed input emits without the repeats, and its state is the same:
// restores alternate the two on one state (untrimmed, trimmed, ...), each
// reading what the other wrote; random rows with NULLs, ties, strings,
// tiny and normal caches, the caller's row reused after each call.
func TestAppendTopNStoredLayout(t *testing.T) {
	narrow := []Col{
		{Name: "p", Type: table.BigIntType()},
		{Name: "price", Type: table.BigIntType()},
		{Name: "s", Type: table.StringType()},
		{Name: "q", Type: table.BigIntType()},
	}
	wide := append(slices.Clone(narrow), narrow[0], narrow[1])
	nin, win := &Calc{cols: narrow}, &Calc{cols: wide}
	keyFn, _ := keyOf(nin, []int{0})
	wideKey, _ := keyOf(win, []int{4})
	if keyFn(table.NewRow(table.Int(7), table.Null, table.Str(""), table.Null)) != wideKey(table.NewRow(table.Null, table.Null, table.Str(""), table.Null, table.Int(7), table.Null)) {
		t.Fatal("the partition key of the trimmed input differs from the untrimmed one's")
	}
	wrc := rowCodecOf(win)
	for _, n := range []int64{1, 3, 10} {
		for _, desc := range []bool{false, true} {
			for _, tiny := range []bool{false, true} {
				for seed := range uint64(4) {
					name := fmt.Sprintf("N=%d/desc=%v/tiny=%v/seed%d", n, desc, tiny, seed)
					wx := &TopN{In: win, Partition: []int{4}, Order: []SortKey{{Col: 5, Desc: desc}, {Col: 3}}, N: n, Func: RowNumber, WindowEnd: -1}
					nx := &TopN{In: nin, Partition: []int{0}, Order: []SortKey{{Col: 1, Desc: desc}, {Col: 3}}, N: n, Func: RowNumber, WindowEnd: -1,
						Stored: []int{0, 1, 2, 3, 0, 1}, stored: wide}
					ops := randomTopNOps(seed, 30, 1200)
					ref := runKeyedCheckpointed(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
						return wideFn{refRowNumberTopN(wx, wrc, nil)}
					})
					mixed := runKeyedCheckpointed(t, ops, keyFn, func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
						if opens%2 == 0 {
							return wideFn{newTestAppendTopN(wx, wrc, tiny)}
						}
						return newTestAppendTopN(nx, wrc, tiny)
					})
					only := runKeyedCheckpointed(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
						return newTestAppendTopN(nx, wrc, tiny)
					})
					released := runReleasingOut(t, ops, keyFn, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
						return newTestAppendTopN(nx, wrc, tiny)
					})
					if len(ref) == 0 {
						t.Fatalf("%s: nothing emitted", name)
					}
					for _, g := range [][]string{mixed, only, released} {
						if !slices.Equal(ref, g) {
							for i := range min(len(ref), len(g)) {
								if ref[i] != g[i] {
									t.Fatalf("%s: row %d: untrimmed %s, trimmed %s", name, i, ref[i], g[i])
								}
							}
							t.Fatalf("%s: untrimmed emitted %d rows, trimmed %d", name, len(ref), len(g))
						}
					}
				}
			}
		}
	}
}
