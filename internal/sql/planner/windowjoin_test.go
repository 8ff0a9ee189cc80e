package planner

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// TestWindowJoinFiresAndDropsLateRows: the rows of a window are joined when
// the watermark passes its end; a row of a window that already fired is
// dropped and counted as late.
func TestWindowJoinFiresAndDropsLateRows(t *testing.T) {
	ts := table.TimestampType(3).NotNull()
	cols := []Col{{Name: "k", Type: table.BigIntType()}, {Name: "window_end", Type: ts}}
	types := []table.Type{table.BigIntType(), ts}
	for _, kind := range []string{"INNER", "LEFT", "ANTI"} {
		n := &WindowJoin{Kind: kind, L: &Calc{cols: cols}, R: &Calc{cols: cols}, LEnd: 1, REnd: 1}
		h, err := streamtest.New(func(s stream.Stream[sided]) stream.Stream[table.Row] {
			side := func(left bool) stream.KeyedStream[table.Row, string] {
				rows := stream.Map(s.Filter(func(x sided) bool { return x.Left == left }), func(x sided) table.Row { return x.Row })
				return stream.KeyBy(rows, func(r table.Row) string { return r.Fields[0].String() + r.Fields[1].String() })
			}
			return stream.KeyedCoProcess(side(true), side(false), func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
				return &windowJoinFn{n: n, lc: table.NewRowCodecTypes(types...), rc: table.NewRowCodecTypes(types...)}
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		row := func(k, end int64) table.Row { return table.NewRow(table.Int(k), table.TimestampMillis(end)) }
		steps := []func() error{
			func() error { return h.Record(5000, sided{true, row(1, 10000)}) },
			func() error { return h.Record(6000, sided{false, row(1, 10000)}) },
			func() error { return h.Record(6000, sided{true, row(2, 10000)}) },
			func() error { return h.Watermark(9998) },                          // not yet
			func() error { return h.Watermark(9999) },                          // window_end - 1: fires
			func() error { return h.Record(7000, sided{true, row(3, 10000)}) }, // late
			func() error { return h.Watermark(30000) },
		}
		var got []string
		for i, step := range steps {
			if err := step(); err != nil {
				t.Fatal(err)
			}
			if i == 3 && len(h.Values()) > 0 {
				t.Fatalf("%s: fired before the watermark reached the window's end: %v", kind, h.Values())
			}
		}
		for _, r := range h.Values() {
			got = append(got, r.String())
		}
		want := map[string]string{
			"INNER": "+I(1, TIMESTAMP '1970-01-01 00:00:10', 1, TIMESTAMP '1970-01-01 00:00:10')",
			"LEFT":  "+I(1, TIMESTAMP '1970-01-01 00:00:10', 1, TIMESTAMP '1970-01-01 00:00:10') +I(2, TIMESTAMP '1970-01-01 00:00:10', NULL, NULL)",
			"ANTI":  "+I(2, TIMESTAMP '1970-01-01 00:00:10')",
		}[kind]
		if g := strings.Join(got, " "); g != want {
			t.Errorf("%s:\n got %s\nwant %s", kind, g, want)
		}
		if h.LateRecords() != 1 {
			t.Errorf("%s: %d late records, want 1", kind, h.LateRecords())
		}
	}
}

// TestWindowJoinMemoryMatchesState feeds random rows of both sides
// (several keys and windows, late rows, NULL values for a residual
// condition) and watermarks to the window join with its rows in state
// and in memory (mem: unbounded, and bounded so that the rows after the
// bound go to state), for every join kind, and checks that all emit the
// same rows in the same order.
func TestWindowJoinMemoryMatchesState(t *testing.T) {
	ts := table.TimestampType(3).NotNull()
	cols := []Col{{Name: "k", Type: table.BigIntType()}, {Name: "window_end", Type: ts}, {Name: "v", Type: table.BigIntType()}}
	types := []table.Type{table.BigIntType(), ts, table.BigIntType()}
	// ON l.v < r.v (l.v is column 2, r.v column 5 of the joined row): a
	// NULL v matches nothing.
	cond := func(r *table.Row) (bool, error) {
		a, b := r.Fields[2], r.Fields[5]
		return !a.IsNull() && !b.IsNull() && a.AsInt() < b.AsInt(), nil
	}
	run := func(kind string, seed uint64, mem bool, maxBytes int, cond, post func(*table.Row) (bool, error)) []table.Row {
		n := &WindowJoin{Kind: kind, L: &Calc{cols: cols}, R: &Calc{cols: cols}, LEnd: 1, REnd: 1}
		h, err := streamtest.New(func(s stream.Stream[sided]) stream.Stream[table.Row] {
			side := func(left bool) stream.KeyedStream[table.Row, string] {
				rows := stream.Map(s.Filter(func(x sided) bool { return x.Left == left }), func(x sided) table.Row { return x.Row })
				return stream.KeyBy(rows, func(r table.Row) string { return r.Fields[0].String() + r.Fields[1].String() })
			}
			return stream.KeyedCoProcess(side(true), side(false), func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
				f := &windowJoinFn{n: n, lc: table.NewRowCodecTypes(types...), rc: table.NewRowCodecTypes(types...), cond: cond, mem: mem, maxBytes: maxBytes}
				if post != nil {
					f.post = append(f.post, post)
				}
				return f
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		wm := int64(-1)
		for range 150 {
			if rng.IntN(8) == 0 {
				wm += int64(rng.IntN(250))
				if err := h.Watermark(wm); err != nil {
					t.Fatal(err)
				}
			}
			end := (max(wm, 0)/100 + int64(rng.IntN(4))) * 100 // some windows fired already: late
			v := table.Int(int64(rng.IntN(10)))
			if rng.IntN(6) == 0 {
				v = table.Null
			}
			r := table.NewRow(table.Int(int64(rng.IntN(5))), table.TimestampMillis(end), v)
			if err := h.Record(max(end-1, 0), sided{rng.IntN(2) == 0, r}); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.EndInput(); err != nil {
			t.Fatal(err)
		}
		return h.Values()
	}
	for _, kind := range []string{"INNER", "LEFT", "RIGHT", "FULL", "SEMI", "ANTI"} {
		for seed := range uint64(40) {
			want := strs(run(kind, seed, false, 0, cond, nil))
			if len(want) == 0 {
				t.Fatalf("%s seed %d: no rows", kind, seed)
			}
			for _, bound := range []int{0, 2000} {
				if got := strs(run(kind, seed, true, bound, cond, nil)); !slices.Equal(got, want) {
					t.Fatalf("%s seed %d, in memory (bound %d):\n got %v\nwant %v", kind, seed, bound, got, want)
				}
			}
		}
	}
	// An inner join with the Calc's filter l.v >= r.v applied inside
	// (post), with and without a condition: exactly the rows of the join
	// without it that pass the filter, in their order.
	ge := func(r *table.Row) (bool, error) {
		a, b := r.Fields[2], r.Fields[5]
		return !a.IsNull() && !b.IsNull() && a.AsInt() >= b.AsInt(), nil
	}
	notThree := func(r *table.Row) (bool, error) { return r.Fields[2].IsNull() || r.Fields[2].AsInt() != 3, nil }
	for _, c := range []func(*table.Row) (bool, error){nil, notThree} {
		for seed := range uint64(40) {
			all := run("INNER", seed, false, 0, c, nil)
			var want []string
			for _, r := range all {
				if ok, _ := ge(&r); ok {
					want = append(want, r.String())
				}
			}
			if len(want) == len(all) {
				t.Fatalf("seed %d: the filter drops no row of %d", seed, len(all))
			}
			for _, mem := range []bool{false, true} {
				got := run("INNER", seed, mem, 0, c, ge)
				if len(got) != len(want) || !slices.Equal(strs(got), want) {
					t.Fatalf("seed %d, in memory %v: with the filter inside\n got %v\nwant %v", seed, mem, strs(got), want)
				}
			}
		}
	}
}

func strs(rs []table.Row) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	return out

}

// TestWindowJoinMemoryAccounting: once every window fired, the window
// join's memory estimate is back at zero and it has not spilled, however
// many rows went through (it used to keep a byte per small row, and a
// long-running job ended up spilling for good).
func TestWindowJoinMemoryAccounting(t *testing.T) {
	ts := table.TimestampType(3).NotNull()
	cols := []Col{{Name: "k", Type: table.BigIntType()}, {Name: "window_end", Type: ts}, {Name: "v", Type: table.BigIntType()}}
	types := []table.Type{table.BigIntType(), ts, table.BigIntType()}
	n := &WindowJoin{Kind: "INNER", L: &Calc{cols: cols}, R: &Calc{cols: cols}, LEnd: 1, REnd: 1}
	var fns []*windowJoinFn
	h, err := streamtest.New(func(s stream.Stream[sided]) stream.Stream[table.Row] {
		side := func(left bool) stream.KeyedStream[table.Row, string] {
			rows := stream.Map(s.Filter(func(x sided) bool { return x.Left == left }), func(x sided) table.Row { return x.Row })
			return stream.KeyBy(rows, func(r table.Row) string { return r.Fields[0].String() + r.Fields[1].String() })
		}
		return stream.KeyedCoProcess(side(true), side(false), func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
			f := &windowJoinFn{n: n, lc: table.NewRowCodecTypes(types...), rc: table.NewRowCodecTypes(types...), mem: true, maxBytes: 1 << 16}
			fns = append(fns, f)
			return f
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	const windows, perWindow = 2000, 50 // 100 000 rows of a few bytes, at most 50 in memory at once
	for w := range int64(windows) {
		end := (w + 1) * 100
		for i := range perWindow {
			r := table.NewRow(table.Int(int64(i%5)), table.TimestampMillis(end), table.Int(int64(i)))
			if err := h.Record(end-1, sided{i%2 == 0, r}); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.Watermark(end); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.EndInput(); err != nil {
		t.Fatal(err)
	}
	if len(fns) == 0 {
		t.Fatal("no window join function was built")
	}
	for _, f := range fns {
		if f.memBytes != 0 || f.spilled {
			t.Fatalf("after every window fired: memBytes %d, spilled %v (want 0, false)", f.memBytes, f.spilled)
		}
	}
}

// TestWindowJoinMemoryWithCheckpoints feeds random rows of both sides and
// watermarks to the window join with its rows in memory (unbounded, and
// bounded so that rows go to state), with checkpoint barriers at random
// points (which move the rows in memory into state) and some restored
// into a new operator, for every join kind, and checks that it emits the
// rows of the state path, with their timestamps and in their order.
func TestWindowJoinMemoryWithCheckpoints(t *testing.T) {
	ts := table.TimestampType(3).NotNull()
	cols := []Col{{Name: "k", Type: table.BigIntType()}, {Name: "window_end", Type: ts}, {Name: "v", Type: table.BigIntType()}}
	types := []table.Type{table.BigIntType(), ts, table.BigIntType()}
	cond := func(r *table.Row) (bool, error) {
		a, b := r.Fields[2], r.Fields[5]
		return !a.IsNull() && !b.IsNull() && a.AsInt() < b.AsInt(), nil
	}
	keyFn := func(r table.Row) string { return r.Fields[0].String() + r.Fields[1].String() }
	for _, kind := range []string{"INNER", "LEFT", "RIGHT", "FULL", "SEMI", "ANTI"} {
		n := &WindowJoin{Kind: kind, L: &Calc{cols: cols}, R: &Calc{cols: cols}, LEnd: 1, REnd: 1}
		newFn := func(mem bool, maxBytes int) func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
			return func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
				return &windowJoinFn{n: n, lc: table.NewRowCodecTypes(types...), rc: table.NewRowCodecTypes(types...), cond: cond, mem: mem, maxBytes: maxBytes}
			}
		}
		rows := 0
		for seed := range uint64(60) {
			rng := rand.New(rand.NewPCG(seed, 31))
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
				end := (max(wm, 0)/100 + int64(rng.IntN(4))) * 100 // some windows fired already: late
				v := table.Int(int64(rng.IntN(10)))
				if rng.IntN(6) == 0 {
					v = table.Null
				}
				ops = append(ops, ckOp{ts: max(end-1, 0), left: rng.IntN(2) == 0,
					row: table.NewRow(table.Int(int64(rng.IntN(5))), table.TimestampMillis(end), v)})
			}
			want := runCoWithCheckpoints(t, ops, keyFn, false, newFn(false, 0))
			rows += len(want)
			for _, bound := range []int{0, 2000} {
				if got := runCoWithCheckpoints(t, ops, keyFn, true, newFn(true, bound)); !slices.Equal(got, want) {
					t.Fatalf("%s seed %d, in memory (bound %d), against the state path: %s", kind, seed, bound, firstDiff(got, want))
				}
			}
			// The paths alternated at each restore (snapshots of the state
			// path, as before the memory path with checkpoints, restored
			// into it, and the other way round).
			for _, startMem := range []bool{true, false} {
				opens := 0
				got := runCoWithCheckpoints(t, ops, keyFn, true, func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
					mem := startMem == (opens%2 == 0)
					opens++
					return newFn(mem, 0)()
				})
				if !slices.Equal(got, want) {
					t.Fatalf("%s seed %d, paths alternated at restores (memory first %v): %s", kind, seed, startMem, firstDiff(got, want))
				}
			}
		}
		if rows < 100 {
			t.Fatalf("%s: %d rows in all", kind, rows)
		}
	}
}

// TestWindowJoinZoneDropsLateRows: windows in a zone west of UTC
// (America/Los_Angeles): the window [00:00, 01:00) of 2024-03-10 (wall
// time there, PST) fires when the watermark reaches 08:59:59.999 UTC, the
// instant of its window_end - 1, and a row of it after that is late.
func TestWindowJoinZoneDropsLateRows(t *testing.T) {
	la, err := ParseTimeZone("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	z := zoneOfWindow(table.TimestampLTZType(3), la)
	ts := table.TimestampType(3).NotNull()
	cols := []Col{{Name: "k", Type: table.BigIntType()}, {Name: "window_end", Type: ts}}
	types := []table.Type{table.BigIntType(), ts}
	n := &WindowJoin{Kind: "INNER", L: &Calc{cols: cols}, R: &Calc{cols: cols}, LEnd: 1, REnd: 1, Zone: z}
	h, err := streamtest.New(func(s stream.Stream[sided]) stream.Stream[table.Row] {
		side := func(left bool) stream.KeyedStream[table.Row, string] {
			rows := stream.Map(s.Filter(func(x sided) bool { return x.Left == left }), func(x sided) table.Row { return x.Row })
			return stream.KeyBy(rows, func(r table.Row) string { return r.Fields[0].String() + r.Fields[1].String() })
		}
		return stream.KeyedCoProcess(side(true), side(false), func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
			return &windowJoinFn{n: n, lc: table.NewRowCodecTypes(types...), rc: table.NewRowCodecTypes(types...), zone: n.Zone}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	utc := func(hh, mm int) int64 { return time.Date(2024, 3, 10, hh, mm, 0, 0, time.UTC).UnixMilli() }
	end := time.Date(2024, 3, 10, 1, 0, 0, 0, time.UTC).UnixMilli() // window_end, wall time
	row := func(k int64) table.Row { return table.NewRow(table.Int(k), table.TimestampMillis(end)) }
	if err := h.Record(utc(8, 10), sided{true, row(1)}); err != nil {
		t.Fatal(err)
	}
	if err := h.Record(utc(8, 20), sided{false, row(1)}); err != nil {
		t.Fatal(err)
	}
	if err := h.Watermark(utc(9, 0) - 2); err != nil {
		t.Fatal(err)
	}
	if vs := h.Values(); len(vs) != 0 || h.LateRecords() != 0 {
		t.Fatalf("before 08:59:59.999 UTC: rows %v, %d late", vs, h.LateRecords())
	}
	if err := h.Watermark(utc(9, 0) - 1); err != nil {
		t.Fatal(err)
	}
	if vs := h.Values(); len(vs) != 1 {
		t.Fatalf("at 08:59:59.999 UTC: rows %v, want the pair", vs)
	}
	if err := h.Record(utc(8, 50), sided{true, row(1)}); err != nil { // late
		t.Fatal(err)
	}
	if err := h.Watermark(utc(12, 0)); err != nil {
		t.Fatal(err)
	}
	if vs := h.Values(); len(vs) != 0 || h.LateRecords() != 1 {
		t.Errorf("rows %v, %d late; want no more rows and 1 late row", vs, h.LateRecords())
	}
}

// TestWindowJoinZoneStampsWindowTime: the rows of a window over a shift
// time zone come out with the window's window_time (Timestamp of
// window_end - 1) as their timestamp, not the timer's time: in
// Europe/Berlin the window [01:30, 02:30) of 2024-03-31 ends in the hour
// the clocks skip, fires at the transition (01:00 UTC), and its
// window_time is 03:29:59.999 CEST (01:29:59.999 UTC).
func TestWindowJoinZoneStampsWindowTime(t *testing.T) {
	berlin, err := ParseTimeZone("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	z := zoneOfWindow(table.TimestampLTZType(3), berlin)
	ts := table.TimestampType(3).NotNull()
	cols := []Col{{Name: "k", Type: table.BigIntType()}, {Name: "window_end", Type: ts}}
	types := []table.Type{table.BigIntType(), ts}
	for _, kind := range []string{"INNER", "LEFT", "ANTI"} {
		n := &WindowJoin{Kind: kind, L: &Calc{cols: cols}, R: &Calc{cols: cols}, LEnd: 1, REnd: 1, Zone: z}
		h, err := streamtest.New(func(s stream.Stream[sided]) stream.Stream[table.Row] {
			side := func(left bool) stream.KeyedStream[table.Row, string] {
				rows := stream.Map(s.Filter(func(x sided) bool { return x.Left == left }), func(x sided) table.Row { return x.Row })
				return stream.KeyBy(rows, func(r table.Row) string { return r.Fields[0].String() + r.Fields[1].String() })
			}
			return stream.KeyedCoProcess(side(true), side(false), func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
				return &windowJoinFn{n: n, lc: table.NewRowCodecTypes(types...), rc: table.NewRowCodecTypes(types...), zone: n.Zone}
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		end := time.Date(2024, 3, 31, 2, 30, 0, 0, time.UTC).UnixMilli() // wall time
		at := time.Date(2024, 3, 31, 0, 40, 0, 0, time.UTC).UnixMilli()  // 01:40 CET
		if err := h.Record(at, sided{true, table.NewRow(table.Int(1), table.TimestampMillis(end))}); err != nil {
			t.Fatal(err)
		}
		if kind != "ANTI" {
			if err := h.Record(at, sided{false, table.NewRow(table.Int(1), table.TimestampMillis(end))}); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.Watermark(time.Date(2024, 3, 31, 1, 0, 0, 0, time.UTC).UnixMilli()); err != nil {
			t.Fatal(err)
		}
		out := h.Output()
		want := time.Date(2024, 3, 31, 1, 29, 59, 999e6, time.UTC).UnixMilli()
		if len(out) != 1 || out[0].TS != want {
			t.Errorf("%s: %v, want one row at %d", kind, out, want)
		}
	}
}
