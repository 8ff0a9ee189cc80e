package planner

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// TestWindowedAggMemoryMatchesState feeds random rows (several keys and
// windows, late rows, NULL arguments) and watermarks to the aggregation
// over a window relation (WindowedAgg: MAX, COUNT, SUM per key and
// window) with its accumulators in state, in memory, and in memory for
// the first 2 keys only (the others in state), and checks that all emit
// the same rows in the same order, and that these are the windows
// computed here row by row.
func TestWindowedAggMemoryMatchesState(t *testing.T) {
	a, kc, keyFn := windowedAggFixture(t)
	run := func(seed uint64, mem bool, maxKeys int) (got, want []string) {
		h, err := streamtest.New(func(s stream.Stream[table.Row]) stream.Stream[table.Row] {
			return stream.KeyedProcess(stream.KeyBy(s, keyFn), func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
				return &windowedAggFn{a: a, kc: kc, endCol: 1, mem: mem, maxKeys: maxKeys}
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		type win struct{ k, end int64 }
		type agg struct {
			n, sum, max int64
			hasV        bool
		}
		wins := map[win]*agg{}
		rng := rand.New(rand.NewPCG(seed, 5))
		wm := int64(-1)
		for range 120 {
			if rng.IntN(7) == 0 {
				wm += int64(rng.IntN(250))
				if err := h.Watermark(wm); err != nil {
					t.Fatal(err)
				}
			}
			end := max((max(wm, 0)/100+int64(rng.IntN(4)))*100, 100) // some fired already: late
			k := int64(rng.IntN(5))
			v := table.Int(int64(rng.IntN(50)))
			if rng.IntN(5) == 0 {
				v = table.Null
			}
			if end-1 > wm {
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
			if err := h.Record(max(end-1, 0), table.NewRow(table.Int(k), table.TimestampMillis(end), v)); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.EndInput(); err != nil {
			t.Fatal(err)
		}
		for _, r := range h.Values() {
			got = append(got, r.String())
		}
		for w, g := range wins {
			sum, mx := table.Null, table.Null
			if g.hasV {
				sum, mx = table.Int(g.sum), table.Int(g.max)
			}
			want = append(want, table.NewRow(table.Int(w.k), table.TimestampMillis(w.end), mx, table.Int(g.n), sum).String())
		}
		return got, want
	}
	for seed := range uint64(100) {
		first, want := run(seed, false, 0)
		sorted := slices.Clone(first)
		slices.Sort(sorted)
		slices.Sort(want)
		if !slices.Equal(sorted, want) {
			t.Fatalf("seed %d, in state: got\n%v\nwant\n%v", seed, sorted, want)
		}
		for _, maxKeys := range []int{0, 2} {
			if got, _ := run(seed, true, maxKeys); !slices.Equal(got, first) {
				t.Fatalf("seed %d, in memory (at most %d keys): rows or their order differ from the state's:\n got %v\nwant %v", seed, maxKeys, got, first)
			}
		}
	}
}

// TestWindowedAggMemoryWithCheckpoints feeds random rows (several keys
// and windows, late rows) and watermarks to the aggregation over a window
// relation with its accumulators in memory (all keys, or 2), with
// checkpoint barriers at random points (which move them into state) and
// some restored into a new operator, and checks that it emits the rows of
// the state path, with their timestamps and in their order.
func TestWindowedAggMemoryWithCheckpoints(t *testing.T) {
	a, kc, keyFn := windowedAggFixture(t)
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 23))
		var ops []ckOp
		wm := int64(-1)
		for range 150 {
			switch rng.IntN(12) {
			case 0, 1:
				wm += int64(rng.IntN(250))
				ops = append(ops, ckOp{kind: 1, wm: wm})
			case 2:
				ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
			}
			end := max((max(wm, 0)/100+int64(rng.IntN(4)))*100, 100) // some fired already: late
			v := table.Int(int64(rng.IntN(50)))
			if rng.IntN(5) == 0 {
				v = table.Null
			}
			ops = append(ops, ckOp{ts: end - 1, row: table.NewRow(table.Int(int64(rng.IntN(5))), table.TimestampMillis(end), v)})
		}
		want := runWithCheckpoints(t, ops, keyFn, false, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
			return &windowedAggFn{a: a, kc: kc, endCol: 1}
		})
		if len(want) == 0 {
			t.Fatalf("seed %d: no rows", seed)
		}
		for _, maxKeys := range []int{0, 2} {
			got := runWithCheckpoints(t, ops, keyFn, true, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
				return &windowedAggFn{a: a, kc: kc, endCol: 1, mem: true, maxKeys: maxKeys}
			})
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d, %d keys in memory, against the state path: %s", seed, maxKeys, firstDiff(got, want))
			}
		}
		for _, startMem := range []bool{true, false} { // the paths alternated at each restore
			opens := 0
			got := runWithCheckpoints(t, ops, keyFn, true, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
				mem := startMem == (opens%2 == 0)
				opens++
				return &windowedAggFn{a: a, kc: kc, endCol: 1, mem: mem}
			})
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d, paths alternated at restores (memory first %v): %s", seed, startMem, firstDiff(got, want))
			}
		}
	}
}

// windowedAggFixture is the aggregation of the window-relation tests:
// MAX(v), COUNT(*) and SUM(v) over rows (k BIGINT, window_end
// TIMESTAMP(3), v BIGINT) keyed by (k, window_end).
func windowedAggFixture(t *testing.T) (*accs, *table.RowCodec, func(table.Row) string) {
	t.Helper()
	types := []table.Type{table.BigIntType(), table.TimestampType(3).NotNull(), table.BigIntType()} // k, window_end, v
	a := testAccs(t, types, "MAX", 2, "COUNT", -1, "SUM", 2)
	kc := table.NewRowCodecTypes(types[0], types[1])
	return a, kc, rowKeyFn(kc, 2)
}

// testAccs builds the accumulators of aggregate calls given as name,
// argument column (-1: none) pairs over rows of types.
func testAccs(t *testing.T, types []table.Type, calls ...any) *accs {
	t.Helper()
	var aggs []AggCall
	for i := 0; i < len(calls); i += 2 {
		name, col := calls[i].(string), calls[i+1].(int)
		var args []int
		var at []table.Type
		if col >= 0 {
			args, at = []int{col}, []table.Type{types[col]}
		}
		f, err := expr.NewAggregate(name, at)
		if err != nil {
			t.Fatal(err)
		}
		aggs = append(aggs, AggCall{F: f, Args: args, Filter: -1, Text: name})
	}
	return newAccs(aggs)
}

// rowKeyFn is the string key of a row's first n fields under kc.
func rowKeyFn(kc *table.RowCodec, n int) func(table.Row) string {
	return func(r table.Row) string {
		b, err := kc.AppendRow(nil, table.Row{Fields: r.Fields[:n]})
		if err != nil {
			panic(err)
		}
		return string(b)
	}
}

// TestWindowedAggZoneStampsWindowTime: the rows of the aggregation over
// a window relation of a shift time zone come out with the window's
// window_time as their timestamp (TestWindowJoinZoneStampsWindowTime),
// from state and from memory.
func TestWindowedAggZoneStampsWindowTime(t *testing.T) {
	berlin, err := ParseTimeZone("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	z := zoneOfWindow(table.TimestampLTZType(3), berlin)
	a, kc, keyFn := windowedAggFixture(t)
	for _, mem := range []bool{false, true} {
		h, err := streamtest.New(func(s stream.Stream[table.Row]) stream.Stream[table.Row] {
			return stream.KeyedProcess(stream.KeyBy(s, keyFn), func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
				return &windowedAggFn{a: a, kc: kc, endCol: 1, endKey: 1, mem: mem, zone: z}
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		end := time.Date(2024, 3, 31, 2, 30, 0, 0, time.UTC).UnixMilli() // wall time, in the gap
		at := time.Date(2024, 3, 31, 0, 40, 0, 0, time.UTC).UnixMilli()
		if err := h.Record(at, table.NewRow(table.Int(1), table.TimestampMillis(end), table.Int(7))); err != nil {
			t.Fatal(err)
		}
		if err := h.Watermark(time.Date(2024, 3, 31, 1, 0, 0, 0, time.UTC).UnixMilli()); err != nil {
			t.Fatal(err)
		}
		out := h.Output()
		want := time.Date(2024, 3, 31, 1, 29, 59, 999e6, time.UTC).UnixMilli()
		if len(out) != 1 || out[0].TS != want {
			t.Errorf("memory %v: %v, want one row at %d", mem, out, want)
		}
	}
}
