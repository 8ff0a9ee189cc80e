package planner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// refRowNumberTopN is the append-only ROW_NUMBER Top-N as main's build had
// it before topn_append.go (every accepted row re-encodes the partition's
// rows; a decodeCache keyed by the state's bytes): the reference the new
// one is compared with, changelog and state.
func refRowNumberTopN(x *TopN, rc *table.RowCodec, ttl []stream.StateOption) stream.KeyedProcessFunction[string, table.Row, table.Row] {
	var st *stream.ValueState[[]byte]
	cache := newDecodeCache(func(b []byte) ([]table.Row, error) { return decodeRows(rc, b) })
	var enc, scratch []byte
	return stream.KeyedProcessFuncs[string, table.Row, table.Row]{
		OnOpen: func(ctx *stream.OpenContext) error {
			st = stream.NewValueStateCodec[[]byte](ctx, "top", borrowedBytes{}, ttl...)
			return nil
		},
		OnElement: func(_ *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
			var old []table.Row
			if b, ok := st.Get(); ok {
				var err error
				if old, err = cache.get(b); err != nil {
					return err
				}
			}
			rows, pos := x.insertRanked(old, r)
			if int64(pos) >= x.N {
				return nil
			}
			for i := pos; i < len(rows); i++ {
				if i < len(old) {
					out.Emit(withRankRow(old[i], int64(i+1), table.UpdateBefore))
					out.Emit(withRankRow(rows[i], int64(i+1), table.UpdateAfter))
				} else {
					out.Emit(withRankRow(rows[i], int64(i+1), table.Insert))
				}
			}
			var b []byte
			var err error
			b, scratch, err = appendRows(enc[:0], scratch, rc, rows)
			if err != nil {
				return err
			}
			enc = b
			st.Set(b)
			for i := range rows {
				if len(r.Fields) > 0 && len(rows[i].Fields) > 0 && &rows[i].Fields[0] == &r.Fields[0] {
					rows[i].Fields = slices.Clone(r.Fields)
				}
			}
			cache.put(b, rows)
			return nil
		},
	}
}

// TestAppendTopNMatchesReference feeds random rows (many partitions,
// prices from a small range so that ties are common, NULL prices, strings
// of varying length) with checkpoints and restores in the middle to the
// append-only ROW_NUMBER Top-N and to the reference (main's), and checks
// that both emit the same changelog in the same order. The restores
// alternate the two implementations on one state (reference, new,
// reference, ...), so each reads what the other wrote; the runs with a
// tiny cache evict partitions all the time. The caller's row is reused
// after every call (as a source reusing record memory may), so a row kept
// without a copy shows up as a wrong row later.
func TestAppendTopNMatchesReference(t *testing.T) {
	cols := []Col{
		{Name: "p", Type: table.BigIntType()},
		{Name: "price", Type: table.BigIntType()},
		{Name: "s", Type: table.StringType()},
		{Name: "q", Type: table.BigIntType()},
	}
	in := &Calc{cols: cols}
	keyFn, _ := keyOf(in, []int{0})
	rc := rowCodecOf(in)
	orders := [][]SortKey{
		{{Col: 1, Desc: true}},                                  // q19: price DESC (NULLS LAST)
		{{Col: 1, NullsFirst: true}, {Col: 3, Desc: true}},      // price ASC NULLS FIRST, q DESC
		{{Col: 3, Desc: true, NullsFirst: true}, {Col: 1}},      // q DESC NULLS FIRST, price ASC
		{{Col: 1, Desc: true}, {Col: 2}, {Col: 3, Desc: false}}, // a string key
	}
	for _, n := range []int64{1, 2, 3, 10} {
		for oi, order := range orders {
			for _, tiesToNew := range []bool{false, true} {
				for _, tiny := range []bool{false, true} {
					for seed := range uint64(4) {
						name := fmt.Sprintf("N=%d/order%d/tiesToNew=%v/tinyCache=%v/seed%d", n, oi, tiesToNew, tiny, seed)
						x := &TopN{In: in, Partition: []int{0}, Order: order, N: n, Func: RowNumber, TiesToNew: tiesToNew, WindowEnd: -1}
						ops := randomTopNOps(seed, 40, 1500)
						ref := runKeyedCheckpointed(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
							return refRowNumberTopN(x, rc, nil)
						})
						got := runKeyedCheckpointed(t, ops, keyFn, func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
							if opens%2 == 1 {
								return refRowNumberTopN(x, rc, nil)
							}
							return newTestAppendTopN(x, rc, tiny)
						})
						only := runKeyedCheckpointed(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
							return newTestAppendTopN(x, rc, tiny)
						})
						released := runReleasingOut(t, ops, keyFn, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
							return newTestAppendTopN(x, rc, tiny)
						})
						for _, g := range [][]string{got, only, released} {
							if !slices.Equal(ref, g) {
								for i := range min(len(ref), len(g)) {
									if ref[i] != g[i] {
										t.Fatalf("%s: row %d: reference %s, got %s", name, i, ref[i], g[i])
									}
								}
								t.Fatalf("%s: reference emitted %d rows, got %d", name, len(ref), len(g))
							}
						}
						if len(ref) == 0 {
							t.Fatalf("%s: nothing emitted", name)
						}
					}
				}
			}
		}
	}
}

// releasingOut is an output that is done with each row when Collect
// returns (operator.Releaser, as a Calc and a blackhole sink chained after
// the Top-N): it records the row, then writes over its fields (as a Calc
// writing its output in place may).
type releasingOut struct{ sliceOut }

func (o *releasingOut) Collect(ts int64, r table.Row) {
	o.sliceOut.Collect(ts, r)
	for i := range r.Fields {
		r.Fields[i] = table.Str("written over")
	}
}

func (o *releasingOut) ReleasesRecords() bool { return true }

// runReleasingOut is runKeyedCheckpointed with a releasingOut: the Top-N
// builds every output row in one reused buffer.
func runReleasingOut(t *testing.T, ops []ckOp, keyFn func(table.Row) string, newFn func() stream.KeyedProcessFunction[string, table.Row, table.Row]) []string {
	t.Helper()
	out := &releasingOut{}
	driveWithCheckpoints(t, ops, true, func(rt *operator.Runtime) ckDriven {
		kp := &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: keyFn, KeyCodec: codec.For[string](), Fn: newFn(), Out: out}
		if err := kp.Open(rt); err != nil {
			t.Fatal(err)
		}
		return ckDriven{wmMarked{kp, &out.sliceOut}, func(o ckOp) { kp.Collect(o.ts, o.row) }}
	})
	if !operator.EmitterReleases[table.Row](&operator.TSEmitter[table.Row]{Out: out}) {
		t.Fatal("releasingOut is not taken as releasing its rows")
	}
	return out.rows
}

// TestAppendTopNLoweredN restores a state written with N = 6 into a Top-N
// of N = 3 (a query changed between a savepoint and its restore: the UID
// does not name N), so partitions hold more than N rows until a row
// enters: the same changelog as the reference through the same restores.
func TestAppendTopNLoweredN(t *testing.T) {
	cols := []Col{
		{Name: "p", Type: table.BigIntType()},
		{Name: "price", Type: table.BigIntType()},
		{Name: "s", Type: table.StringType()},
		{Name: "q", Type: table.BigIntType()},
	}
	in := &Calc{cols: cols}
	keyFn, _ := keyOf(in, []int{0})
	rc := rowCodecOf(in)
	order := []SortKey{{Col: 1, Desc: true}}
	for seed := range uint64(6) {
		ops := randomTopNOps(seed, 20, 800)
		n := func(opens int) int64 { return max(6-3*int64(opens), 3) }
		ref := runKeyedCheckpointed(t, ops, keyFn, func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
			return refRowNumberTopN(&TopN{In: in, Partition: []int{0}, Order: order, N: n(opens), WindowEnd: -1}, rc, nil)
		})
		got := runKeyedCheckpointed(t, ops, keyFn, func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
			x := &TopN{In: in, Partition: []int{0}, Order: order, N: n(opens), WindowEnd: -1}
			if opens == 0 {
				return refRowNumberTopN(x, rc, nil)
			}
			return newTestAppendTopN(x, rc, false)
		})
		if !slices.Equal(ref, got) {
			for i := range min(len(ref), len(got)) {
				if ref[i] != got[i] {
					t.Fatalf("seed %d: row %d: reference %s, got %s", seed, i, ref[i], got[i])
				}
			}
			t.Fatalf("seed %d: reference emitted %d rows, got %d", seed, len(ref), len(got))
		}
	}
}

// reusingFn passes each row to fn in a reused slice and wipes it after the
// call.
type reusingFn struct {
	stream.KeyedProcessFunction[string, table.Row, table.Row]
	buf []table.Value
}

func (f *reusingFn) ProcessElement(ctx *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
	f.buf = append(f.buf[:0], r.Fields...)
	err := f.KeyedProcessFunction.ProcessElement(ctx, table.Row{Kind: r.Kind, Fields: f.buf}, out)
	for i := range f.buf {
		f.buf[i] = table.Str("overwritten")
	}
	return err
}

func newTestAppendTopN(x *TopN, rc *table.RowCodec, tiny bool) stream.KeyedProcessFunction[string, table.Row, table.Row] {
	f := &appendOnlyRowNumber{x: x, rc: rc}
	if !tiny {
		return &reusingFn{KeyedProcessFunction: f}
	}
	return &reusingFn{KeyedProcessFunction: tinyCacheFn{f}}
}

// tinyCacheFn opens an appendOnlyRowNumber with a cache of 3 partitions
// and 200 bytes.
type tinyCacheFn struct{ *appendOnlyRowNumber }

func (f tinyCacheFn) Open(ctx *stream.OpenContext) error {
	if err := f.appendOnlyRowNumber.Open(ctx); err != nil {
		return err
	}
	f.cache.max, f.cache.maxBytes = 3, 200
	return nil
}

// randomTopNOps is rows over parts partitions (skewed: a few hot ones),
// with checkpoints and restores between them.
func randomTopNOps(seed uint64, parts, rows int) []ckOp {
	rng := rand.New(rand.NewPCG(seed, 19))
	var ops []ckOp
	nullable := func(hi int64) table.Value {
		if rng.IntN(12) == 0 {
			return table.Null
		}
		return table.Int(rng.Int64N(hi))
	}
	for i := range rows {
		p := rng.Int64N(int64(parts))
		if rng.IntN(2) == 0 {
			p = rng.Int64N(3)
		}
		s := strings.Repeat(string(rune('a'+rng.IntN(3))), rng.IntN(40))
		ops = append(ops, ckOp{ts: int64(i), row: table.Row{Fields: []table.Value{table.Int(p), nullable(20), table.Str(s), nullable(4)}}})
		switch rng.IntN(150) {
		case 0:
			ops = append(ops, ckOp{kind: 2})
		case 1, 2:
			ops = append(ops, ckOp{kind: 3})
		}
	}
	return ops
}
