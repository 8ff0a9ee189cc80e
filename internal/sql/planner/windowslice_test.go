package planner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// TestSliceAggBufferMatchesPerWindowCounts feeds random rows and
// watermarks (late rows, rows late for some of their windows, NULL
// arguments, several keys) to the sliced HOP and TUMBLE aggregations with
// window buffers of 1, 3 and unbounded slices (folded into state after
// every row, every third new slice, only at watermarks), and with windows
// fired from memory (memFire, not foldAll: the buffer unbounded, so every window fires
// from it; or bounded to 1 or 3 slices, so that it is folded into state
// when full and windows fire from state until no slice is left there,
// then from memory again), and checks that all of them emit the same rows
// in the same order, and that these are the windows computed here row by
// row: a row counts in each of its windows that had not fired when it
// arrived (window end - 1 > watermark).
//
// The fixtures of one and two accumulator values and of none keep them in
// the buffer's entries (bufSlice.inl), on fewer seeds.
func TestSliceAggBufferMatchesPerWindowCounts(t *testing.T) {
	for _, f := range sliceAggFixtures {
		for _, w := range []struct{ size, slide int64 }{{300, 100}, {200, 200}} {
			testSliceAggBuffer(t, f, w.size, w.slide)
		}
	}
}

func testSliceAggBuffer(t *testing.T, f sliceAggFix, size, slide int64) {
	a, codec, keyCodec, keyFn := sliceAggFixture(t, f.calls...)
	run := func(seed uint64, maxBufd int, memFire, intKey bool) ([]string, []string) {
		rng := rand.New(rand.NewPCG(seed, 11))
		h, err := streamtest.New(func(s stream.Stream[table.Row]) stream.Stream[table.Row] {
			return stream.KeyedProcess(stream.KeyBy(s, keyFn), func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
				return &sliceAgg{a: a, codec: codec, size: size, slide: slide, nkeys: 1, keyCodec: keyCodec, maxBufd: maxBufd, foldAll: !memFire, intKey: intKey}
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		type win struct {
			k, end int64
		}
		type agg struct {
			n, sum, max int64
			hasV        bool
		}
		wins := map[win]*agg{}
		wm := int64(-1)
		for range 120 {
			if rng.IntN(6) == 0 {
				wm += int64(rng.IntN(250))
				if err := h.Watermark(wm); err != nil {
					t.Fatal(err)
				}
			}
			ts := max(wm-50, 0) + int64(rng.IntN(200))
			if rng.IntN(6) == 0 {
				ts = max(wm-int64(rng.IntN(400)), 0) // late for some or all of its windows
			}
			k := testKeys[rng.IntN(6+rng.IntN(2)*(len(testKeys)-6))]
			v := table.Int(int64(rng.IntN(50)))
			if rng.IntN(5) == 0 {
				v = table.Null
			}
			for end := (ts/slide + 1) * slide; end <= (ts/slide+1)*slide+size-slide; end += slide {
				if end-1 <= wm {
					continue // fired
				}
				w := wins[win{k, end}]
				if w == nil {
					w = &agg{}
					wins[win{k, end}] = w
				}
				w.n++
				if !v.IsNull() {
					w.sum += v.AsInt()
					if !w.hasV || v.AsInt() > w.max {
						w.max = v.AsInt()
					}
					w.hasV = true
				}
			}
			if err := h.Record(ts, table.NewRow(table.Int(k), table.TimestampMillis(ts), v)); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.EndInput(); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range h.Values() {
			got = append(got, r.String())
		}
		var want []string
		for w, g := range wins {
			sum, mx := table.Null, table.Null
			if g.hasV {
				sum, mx = table.Int(g.sum), table.Int(g.max)
			}
			r := table.NewRow(table.Int(w.k), table.TimestampMillis(w.end-size), table.TimestampMillis(w.end), table.TimestampMillis(w.end-1))
			for i := 0; i < len(f.calls); i += 2 {
				r.Fields = append(r.Fields, map[any]table.Value{"COUNT": table.Int(g.n), "SUM": sum, "MAX": mx}[f.calls[i]])
			}
			want = append(want, r.String())
		}
		return got, want
	}
	for seed := range uint64(f.seeds) {
		var first []string
		for _, c := range []struct {
			n               int
			memFire, intKey bool
		}{{1, false, false}, {3, false, false}, {1 << 30, false, false}, {1 << 30, true, false}, {3, true, false}, {1, true, false},
			{1 << 30, true, true}, {3, true, true}, {1, true, true}, {3, false, true}} {
			got, want := run(seed, c.n, c.memFire, c.intKey)
			sorted := slices.Clone(got)
			slices.Sort(sorted)
			slices.Sort(want)
			if !slices.Equal(sorted, want) {
				t.Fatalf("%v size %d slide %d seed %d, buffer of %d, memFire %v, intKey %v: %s", f.calls, size, slide, seed, c.n, c.memFire, c.intKey, firstDiff(sorted, want))
			}
			if first == nil {
				first = got
			} else if !slices.Equal(got, first) {
				t.Fatalf("%v size %d slide %d seed %d, buffer of %d, memFire %v, intKey %v: rows or their order differ from the buffer of 1: %s", f.calls, size, slide, seed, c.n, c.memFire, c.intKey, firstDiff(got, first))
			}
		}
	}
}

// testKeys are the keys of the sliced-window tests: small ones, and some
// of sliceAgg.ints' corner cases (negative, large, equal low bits).
var testKeys = []int64{0, 1, 2, 3, 4, 5, -1, -1 << 40, 1 << 50, 256, 512, 1<<62 + 5, -7}

// firstDiff describes where got and want first differ.
func firstDiff(got, want []string) string {
	i := 0
	for i < min(len(got), len(want)) && got[i] == want[i] {
		i++
	}
	return fmt.Sprintf("%d rows, want %d; from row %d:\n%v\nwant\n%v", len(got), len(want), i, got[i:min(i+4, len(got))], want[i:min(i+4, len(want))])
}

// sliceAggFix is an aggregation of the sliced-window tests (testAccs'
// calls, over rows (k BIGINT, ts TIMESTAMP(3), v BIGINT)) and how many
// seeds to run it on.
type sliceAggFix struct {
	calls []any
	seeds int
}

// sliceAggFixtures are the aggregations of the sliced-window tests: COUNT,
// SUM and MAX (three accumulator values: in a slice of their own), and
// COUNT, COUNT and MAX, none (in the entry: bufSlice.inl).
var sliceAggFixtures = []sliceAggFix{
	{[]any{"COUNT", -1, "SUM", 2, "MAX", 2}, 200},
	{[]any{"COUNT", -1}, 30},
	{[]any{"COUNT", -1, "MAX", 2}, 30},
	{nil, 20},
}

// sliceAggFixture is an aggregation of the sliced-window tests (testAccs'
// calls, e.g. COUNT(*), SUM(v) and MAX(v)) over rows (k BIGINT, ts
// TIMESTAMP(3), v BIGINT) keyed by k, with the integer slice codec.
func sliceAggFixture(t *testing.T, calls ...any) (*accs, sliceCodec, *table.RowCodec, func(table.Row) string) {
	t.Helper()
	types := []table.Type{table.BigIntType(), table.TimestampType(3), table.BigIntType()} // k, ts, v
	a := testAccs(t, types, calls...)
	codec, ok := newIntSliceCodec(a.types)
	if !ok {
		t.Fatalf("%v of BIGINT: want the integer slice codec", calls)
	}
	keyCodec := table.NewRowCodecTypes(types[0])
	return a, codec, keyCodec, rowKeyFn(keyCodec, 1)
}

// TestSliceOverhead checks that the buffer's memory estimate per slice
// covers its entry, an index slot at the table's lowest load (3/8) and
// sortBufd's two int32s.
func TestSliceOverhead(t *testing.T) {
	need := unsafe.Sizeof(bufSlice{}) + unsafe.Sizeof(sliceSlot{})*8/3 + 8
	if uintptr(sliceOverhead) < need {
		t.Errorf("sliceOverhead %d, want at least %d (bufSlice %d, sliceSlot %d)", sliceOverhead, need, unsafe.Sizeof(bufSlice{}), unsafe.Sizeof(sliceSlot{}))
	}
	t.Logf("sliceOverhead %d (bufSlice %d)", sliceOverhead, unsafe.Sizeof(bufSlice{}))
}
