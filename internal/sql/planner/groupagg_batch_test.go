package planner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// wmMarked is a KeyedProcess whose watermarks and checkpoint barriers
// leave a mark in its output after whatever the operator emitted before
// passing them on.
type wmMarked struct {
	*operator.KeyedProcess[string, table.Row, table.Row]
	out *sliceOut
}

func (w wmMarked) Watermark(wm int64) {
	w.KeyedProcess.Watermark(wm)
	w.out.rows = append(w.out.rows, fmt.Sprintf("WM %d", wm))
}

func (w wmMarked) SnapshotState(id int64) ([]byte, error) {
	b, err := w.KeyedProcess.SnapshotState(id)
	w.out.rows = append(w.out.rows, "CK")
	return b, err
}

// bundleEnd says whether the mark line ends every bundle: a checkpoint
// barrier or the watermark at the end of the input (other watermarks
// pass a bundle, FlushWatermark).
func bundleEnd(line string) bool {
	return line == "CK" || line == fmt.Sprintf("WM %d", base.MaxTime)
}

func isMark(line string) bool { return line == "CK" || strings.HasPrefix(line, "WM ") }

// applyRows applies changelog lines of sliceOut ("ts +I(...)") and
// returns the rows left, sorted; a -U/-D must find its row.
func applyRows(lines []string) ([]string, error) {
	have := map[string]int{}
	for _, l := range lines {
		_, r, _ := strings.Cut(l, " ")
		kind, fields := r[:2], r[2:]
		switch kind {
		case "+I", "+U":
			have[fields]++
		case "-U", "-D":
			if have[fields] == 0 {
				return nil, fmt.Errorf("%s retracts a row that is not there", l)
			}
			have[fields]--
		}
	}
	var out []string
	for f, n := range have {
		for range n {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out, nil
}

// TestMiniBatchGroupAggMatchesPerRow feeds random changelogs (inserts,
// -U/+U updates and deletes of earlier rows, NULL keys, keys whose count
// goes to 0 and back) with watermarks and checkpoint barriers, some of
// them restored into a new function, to the per-row and the mini-batch
// group aggregation (bundles of 1, 3 and 1000 rows; an allowed latency
// the manual clock never reaches), and checks that at every checkpoint
// barrier, and at the end, the changelog emitted so far applies to the
// per-row operator's result: a barrier never passes a buffered row
// (watermarks do: FlushWatermark). At the restores the two functions
// alternate (the state of one restored into the other, both ways).
func TestMiniBatchGroupAggMatchesPerRow(t *testing.T) {
	types := []table.Type{table.BigIntType(), table.BigIntType()} // k, v
	var calls []any
	for _, c := range []any{"COUNT", -1, "SUM", 1, "MAX_RETRACT", 1, "MIN_RETRACT", 1, "AVG", 1, "MIN", 1} {
		calls = append(calls, c)
	}
	base := testAccs(t, types, calls...)
	var aggs []AggCall
	for _, c := range base.aggs {
		if c.F.CanRetract() {
			aggs = append(aggs, c)
		}
	}
	if len(aggs) < 5 {
		t.Fatalf("only %d aggregates retract", len(aggs))
	}
	g := plainGroupAccs(aggs)
	keyFn := rowKeyFn(table.NewRowCodecTypes(types[0]), 1)
	gen := func(seed uint64) []ckOp {
		rng := rand.New(rand.NewPCG(seed, 5))
		var live []table.Row
		var ops []ckOp
		wm := int64(0)
		for range 300 {
			switch rng.IntN(20) {
			case 0, 1:
				wm += int64(rng.IntN(100))
				ops = append(ops, ckOp{kind: 1, wm: wm})
				continue
			case 2:
				ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
				continue
			}
			k := table.Int(int64(rng.IntN(6)))
			if rng.IntN(8) == 0 {
				k = table.Null
			}
			r := table.NewRow(k, table.Int(int64(rng.IntN(40))))
			ts := wm + int64(rng.IntN(50))
			switch n := rng.IntN(10); {
			case n < 3 && len(live) > 0:
				i := rng.IntN(len(live))
				old := live[i]
				live = slices.Delete(live, i, i+1)
				if n == 0 {
					ops = append(ops, ckOp{ts: ts, row: table.Row{Kind: table.Delete, Fields: old.Fields}})
					continue
				}
				ops = append(ops, ckOp{ts: ts, row: table.Row{Kind: table.UpdateBefore, Fields: old.Fields}})
				r.Kind = table.UpdateAfter
			case n == 3:
				// A retraction of a row that was never there (dropped
				// when its key has no state).
				ops = append(ops, ckOp{ts: ts, row: table.Row{Kind: table.Delete, Fields: r.Fields}})
				continue
			}
			live = append(live, table.NewRow(r.Fields...))
			ops = append(ops, ckOp{ts: ts, row: r})
		}
		return ops
	}
	run := func(ops []ckOp, newFn func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row]) []string {
		return runKeyedCheckpointed(t, ops, keyFn, newFn)
	}
	upTo := statesAtEnds // the changelog applied at each barrier and at the end
	x := &GroupAgg{Keys: []int{0}, Aggs: aggs}
	for seed := range uint64(40) {
		ops := gen(seed)
		want, err := upTo(run(ops, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] { return perRowGroupAgg(g, x, nil) }))
		if err != nil {
			t.Fatalf("seed %d, per row: %v", seed, err)
		}
		for _, size := range []int{1, 3, 1000} {
			for _, alternate := range []bool{false, true} {
				mb := *x
				mb.MiniBatch = miniBatch{Latency: time.Hour, Size: size}
				got, err := upTo(runKeyedReusing(t, ops, keyFn, func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
					if alternate && opens%2 == 1 {
						return perRowGroupAgg(g, x, nil)
					}
					return newMiniBatchGroupAgg(g, &mb, nil)
				}))
				if err != nil {
					t.Fatalf("seed %d, bundles of %d (alternating %v): %v", seed, size, alternate, err)
				}
				if len(got) != len(want) {
					t.Fatalf("seed %d: %d barriers and ends, want %d", seed, len(got), len(want))
				}
				for i := range want {
					if !slices.Equal(got[i], want[i]) {
						t.Fatalf("seed %d, bundles of %d (alternating %v), at barrier or end %d of %d:\n%v\nwant (per row):\n%v", seed, size, alternate, i+1, len(want), got[i], want[i])
					}
				}
			}
		}
	}
}

// plainGroupAccs is the accumulator layout of aggs with no DISTINCT views
// (every call plain), as newGroupAccs gives it for such calls.
func plainGroupAccs(aggs []AggCall) *groupAccs {
	g := &groupAccs{a: newAccs(aggs, table.BigIntType().NotNull())}
	for i := range aggs {
		g.plain = append(g.plain, i)
	}
	return g
}

// runKeyedCheckpointed drives ops through a KeyedProcess of newFn's
// function (opens: how many were opened before, restores included) with
// checkpoints and restores between them, and returns the output lines.
func runKeyedCheckpointed(t *testing.T, ops []ckOp, keyFn func(table.Row) string, newFn func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row]) []string {
	return runKeyed(t, ops, keyFn, newFn, false)
}

// runKeyedReusing is runKeyedCheckpointed for a function that keeps
// copies (stream.KeyedProcessCopying, as the mini-batch aggregation is
// built): each row is passed in one array of the driver's, written over
// with other values as soon as Collect returns, as a Calc or a source
// before it reuses its rows. A function that keeps an input row sees it
// change.
func runKeyedReusing(t *testing.T, ops []ckOp, keyFn func(table.Row) string, newFn func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row]) []string {
	return runKeyed(t, ops, keyFn, newFn, true)
}

func runKeyed(t *testing.T, ops []ckOp, keyFn func(table.Row) string, newFn func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row], reuse bool) []string {
	t.Helper()
	out := &sliceOut{}
	opens := 0
	var buf []table.Value
	driveWithCheckpoints(t, ops, true, func(rt *operator.Runtime) ckDriven {
		kp := &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: keyFn, KeyCodec: codec.For[string](), Fn: newFn(opens), Out: out,
			Releases: reuse, Fresh: reuse}
		opens++
		if err := kp.Open(rt); err != nil {
			t.Fatal(err)
		}
		if !reuse {
			return ckDriven{wmMarked{kp, out}, func(o ckOp) { kp.Collect(o.ts, o.row) }}
		}
		if !operator.Releases(kp) {
			t.Fatal("the copying operator does not release its records")
		}
		return ckDriven{wmMarked{kp, out}, func(o ckOp) {
			buf = append(buf[:0], o.row.Fields...)
			kp.Collect(o.ts, table.Row{Kind: o.row.Kind, Fields: buf})
			for i := range buf {
				buf[i] = table.Str("reused")
			}
		}}
	})
	return out.rows
}

// TestMiniBatchWatermarkKeepsBundle: a watermark passes a bundle (as
// behind Flink's processing-time MiniBatchAssigner, which drops its
// input's watermarks), the watermark at the end of the input and a
// checkpoint barrier end it. It fails when a watermark flushes.
func TestMiniBatchWatermarkKeepsBundle(t *testing.T) {
	types := []table.Type{table.BigIntType(), table.BigIntType()}
	base0 := testAccs(t, types, "COUNT", -1, "SUM", 1)
	g := plainGroupAccs(base0.aggs)
	x := &GroupAgg{Keys: []int{0}, Aggs: base0.aggs, MiniBatch: miniBatch{Latency: time.Hour, Size: 1000}}
	keyFn := rowKeyFn(table.NewRowCodecTypes(types[0]), 1)
	row := func(k, v int64) ckOp { return ckOp{ts: v, row: table.NewRow(table.Int(k), table.Int(v))} }
	for _, ck := range []bool{false, true} {
		ops := []ckOp{row(1, 10), row(2, 20), {kind: 1, wm: 100}, row(1, 30), {kind: 1, wm: 200}}
		if ck {
			ops = append(ops, ckOp{kind: 2}, row(2, 40), ckOp{kind: 1, wm: 300})
		}
		lines := runKeyedCheckpointed(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
			return newMiniBatchGroupAgg(g, x, nil)
		})
		// The rows of a bundle come out at its barrier or at the end,
		// after the watermarks that passed it (a flush emits before the
		// mark of what ended it).
		firstRow := slices.IndexFunc(lines, func(l string) bool { return !isMark(l) })
		lastRow := -1
		for i, l := range lines {
			if !isMark(l) {
				lastRow = i
			}
		}
		if firstRow < slices.Index(lines, "WM 200") || ck && lastRow < slices.Index(lines, "WM 300") {
			t.Fatalf("checkpoint %v: a watermark ended a bundle:\n%s", ck, strings.Join(lines, "\n"))
		}
		got, err := applyRows(slices.DeleteFunc(slices.Clone(lines), isMark))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"(1, 2, 40)", "(2, 1, 20)"}
		if ck {
			want = []string{"(1, 2, 40)", "(2, 2, 60)"}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("checkpoint %v: result %v, want %v\n%s", ck, got, want, strings.Join(lines, "\n"))
		}
	}
}
