package planner

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// countFixture is the accumulators of COUNT(*), COUNT(x), COUNT(*)
// FILTER (WHERE f) and COUNT(x) FILTER (WHERE f) (the first n of them)
// over rows (k BIGINT, x BIGINT, f BOOLEAN).
func countFixture(t *testing.T, n int) *accs {
	t.Helper()
	star, err := expr.NewAggregate("COUNT", nil)
	if err != nil {
		t.Fatal(err)
	}
	ofX, err := expr.NewAggregate("COUNT", []table.Type{table.BigIntType()})
	if err != nil {
		t.Fatal(err)
	}
	calls := []AggCall{
		{F: star, Filter: -1, Text: "COUNT(*)"},
		{F: ofX, Args: []int{1}, Filter: -1, Text: "COUNT(x)"},
		{F: star, Filter: 2, Text: "COUNT(*) FILTER (WHERE f)"},
		{F: ofX, Args: []int{1}, Filter: 2, Text: "COUNT(x) FILTER (WHERE f)"},
	}
	return newAccs(calls[:n])
}

// TestCountAccCodecMatchesRowCodec: the count path writes the bytes the
// general path's RowCodec writes for the same counts and reads them back
// (so either path restores the other's state), and refuses what the
// RowCodec refuses.
func TestCountAccCodecMatchesRowCodec(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= maxCountAccs; n++ {
		a := countFixture(t, n)
		ca, ok := countAggsOf(a)
		if !ok {
			t.Fatalf("%d COUNTs: no count path", n)
		}
		k := countAccCodec{ca}
		for i := range 500 {
			var acc countAccs
			row := a.init()
			for j := range n {
				v := []int64{0, 1, 63, 64, -1, math.MaxInt64, math.MinInt64, rng.Int64(), int64(rng.IntN(1000))}[(i+j)%9]
				acc[j] = v
				row.Fields[j] = table.Int(v)
			}
			want, err := a.codec.AppendRow(nil, row)
			if err != nil {
				t.Fatal(err)
			}
			got := k.Append([]byte{7}, acc)
			if !bytes.Equal(got[1:], want) || got[0] != 7 {
				t.Fatalf("%d COUNTs %v: count path wrote %x, RowCodec %x", n, acc, got[1:], want)
			}
			back, err := k.Decode(want)
			if err != nil || back != acc {
				t.Fatalf("%d COUNTs: decoded %v, %v; want %v", n, back, err, acc)
			}
		}
		good := k.Append(nil, countAccs{3, 4, 5, 6})
		bad := [][]byte{nil, good[:len(good)-1], append(slices.Clone(good), 0), {table.RowCodecVersion + 1}}
		nulls := slices.Clone(good)
		nulls[3] = 1 // a NULL count
		bad = append(bad, nulls)
		for _, b := range bad {
			if _, err := k.Decode(b); err == nil {
				t.Errorf("%d COUNTs: %x decoded", n, b)
			}
		}
	}
	other, err := expr.NewAggregate("SUM", []table.Type{table.BigIntType()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := countAggsOf(newAccs([]AggCall{{F: other, Args: []int{1}, Filter: -1}})); ok {
		t.Error("SUM took the count path")
	}
}

// TestCountWindowAggMatchesGeneral runs the window operator with the count
// path and with the general path over the same random rows (several keys,
// NULL arguments, FILTER, rows out of order and late, merging sessions;
// processing-time tumbling windows under a manual clock) and checks that
// they emit the same rows, windows and timestamps in the same order.
func TestCountWindowAggMatchesGeneral(t *testing.T) {
	keyFn := func(r table.Row) string { return r.Fields[0].String() }
	type run func(seed uint64, n int, count bool) []string
	build := func(t *testing.T, n int, count bool, assigner stream.WindowAssigner) *streamtest.Harness[table.Row, string] {
		a := countFixture(t, n)
		h, err := streamtest.New(func(s stream.Stream[table.Row]) stream.Stream[string] {
			ws := stream.KeyBy(s, keyFn).Window(assigner)
			var res stream.Stream[stream.WindowResult[string, table.Row]]
			if count {
				ca, ok := countAggsOf(a)
				if !ok {
					t.Fatal("no count path")
				}
				res = stream.WindowAggregateWithWindow(ws, ca.funcs())
			} else {
				res = stream.WindowAggregateWithWindow(ws, generalWindowAggFuncs(a))
			}
			return stream.Map(res, func(w stream.WindowResult[string, table.Row]) string {
				return fmt.Sprintf("%s [%d, %d) %v", w.Key, w.Window.Start, w.Window.End, w.Value)
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	row := func(rng *rand.Rand) table.Row {
		x, f := table.Int(int64(rng.IntN(9))), table.Bool(rng.IntN(3) > 0)
		if rng.IntN(4) == 0 {
			x = table.Null
		}
		return table.NewRow(table.Int(int64(rng.IntN(5))), x, f)
	}
	out := func(t *testing.T, h *streamtest.Harness[table.Row, string]) []string {
		var got []string
		for _, r := range h.Output() {
			got = append(got, fmt.Sprintf("%s @%d", r.Value, r.TS))
		}
		return got
	}
	session := func(seed uint64, n int, count bool) []string {
		h := build(t, n, count, stream.EventTimeSessionWindows(10*time.Millisecond))
		rng := rand.New(rand.NewPCG(seed, 3))
		ts, wm := int64(0), int64(-1)
		for range 200 {
			ts += int64(rng.IntN(8))
			rts := ts - int64(rng.IntN(30)) // out of order, some late
			if err := h.Record(rts, row(rng)); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(10) == 0 {
				wm = max(wm, ts-int64(rng.IntN(20)))
				if err := h.Watermark(wm); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := h.EndInput(); err != nil {
			t.Fatal(err)
		}
		return out(t, h)
	}
	proctime := func(seed uint64, n int, count bool) []string {
		h := build(t, n, count, stream.TumblingProcessingTimeWindows(10*time.Millisecond, 0))
		rng := rand.New(rand.NewPCG(seed, 4))
		for range 200 {
			if err := h.Record(0, row(rng)); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(4) == 0 {
				if err := h.AdvanceClock(time.Duration(rng.IntN(6)) * time.Millisecond); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := h.AdvanceClock(time.Second); err != nil {
			t.Fatal(err)
		}
		return out(t, h)
	}
	for name, r := range map[string]run{"session": session, "proctime": proctime} {
		for seed := range uint64(30) {
			for n := 1; n <= maxCountAccs; n++ {
				want, got := r(seed, n, false), r(seed, n, true)
				if len(want) == 0 {
					t.Fatalf("%s seed %d: no rows", name, seed)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%s seed %d, %d COUNTs: count path\n%v\ngeneral path\n%v", name, seed, n, got, want)
				}
			}
		}
	}
}
