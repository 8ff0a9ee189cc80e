package planner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// zzKeepOut keeps the emitted rows themselves (not their text at the
// time of the emission) and also their text at emission, so that a row
// changed after it was emitted shows up.
type zzKeepOut struct {
	rows  []table.Row
	ts    []int64
	lines []string // text at emission ("CK"/"WM" marks included)
	idx   []int    // index into rows of each line (-1: mark)
}

func (c *zzKeepOut) Collect(ts int64, r table.Row) {
	c.rows = append(c.rows, r)
	c.ts = append(c.ts, ts)
	c.idx = append(c.idx, len(c.rows)-1)
	c.lines = append(c.lines, fmt.Sprintf("%d %s", ts, r.String()))
}

func (c *zzKeepOut) mark(s string) {
	c.lines = append(c.lines, s)
	c.idx = append(c.idx, -1)
}

// later renders the kept rows now.
func (c *zzKeepOut) later() []string {
	var out []string
	for i, j := range c.idx {
		if j < 0 {
			out = append(out, c.lines[i])
			continue
		}
		out = append(out, fmt.Sprintf("%d %s", c.ts[j], c.rows[j].String()))
	}
	return out
}

type zzMarked struct {
	*operator.KeyedProcess[string, table.Row, table.Row]
	out *zzKeepOut
}

func (w zzMarked) Watermark(wm int64) {
	w.KeyedProcess.Watermark(wm)
	w.out.mark(fmt.Sprintf("WM %d", wm))
}

func (w zzMarked) SnapshotState(id int64) ([]byte, error) {
	b, err := w.KeyedProcess.SnapshotState(id)
	w.out.mark("CK")
	return b, err
}

func zzRun(t *testing.T, ops []ckOp, keyFn func(table.Row) string, newFn func(opens int) stream.KeyedProcessFunction[string, table.Row, table.Row]) *zzKeepOut {
	t.Helper()
	out := &zzKeepOut{}
	opens := 0
	driveWithCheckpoints(t, ops, true, func(rt *operator.Runtime) ckDriven {
		kp := &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: keyFn, KeyCodec: codec.For[string](), Fn: newFn(opens), Out: out}
		opens++
		if err := kp.Open(rt); err != nil {
			t.Fatal(err)
		}
		return ckDriven{zzMarked{kp, out}, func(o ckOp) { kp.Collect(o.ts, o.row) }}
	})
	return out
}

// statesAtEnds is the changelog applied at every barrier and at the end.
func statesAtEnds(lines []string) ([][]string, error) {
	// Applied incrementally (the rows since the last end on the state
	// kept): replaying the whole changelog at each end was quadratic.
	var states [][]string
	have := map[string]int{}
	from := 0
	for i, l := range lines {
		if !bundleEnd(l) {
			continue
		}
		for _, m := range lines[from:i] {
			if isMark(m) {
				continue
			}
			_, r, _ := strings.Cut(m, " ")
			kind, fields := r[:2], r[2:]
			switch kind {
			case "+I", "+U":
				have[fields]++
			case "-U", "-D":
				if have[fields] == 0 {
					return nil, fmt.Errorf("%s retracts a row that is not there", m)
				}
				have[fields]--
			}
		}
		from = i
		var st []string
		for f, n := range have {
			for range n {
				st = append(st, f)
			}
		}
		slices.Sort(st)
		states = append(states, st)
	}
	return states, nil
}

// zzAtEnds is statesAtEnds, failing t on a bad changelog.
func zzAtEnds(t *testing.T, lines []string) [][]string {
	t.Helper()
	states, err := statesAtEnds(lines)
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(lines, "\n"))
	}
	return states
}

// testAggCall is the aggregate call name(arg) FILTER (filter) over in's
// columns (arg or filter -1: none), DISTINCT when asked.
func testAggCall(t *testing.T, in colsNode, name string, distinct bool, arg, filter int) AggCall {
	t.Helper()
	var at []table.Type
	var args []int
	if arg >= 0 {
		at, args = []table.Type{in[arg].Type}, []int{arg}
	}
	f, err := expr.NewAggregate(name, at)
	if err != nil {
		t.Fatal(err)
	}
	if distinct && name != "COUNT_DISTINCT" {
		if f, err = expr.NewDistinct(f, at[0]); err != nil {
			t.Fatal(err)
		}
	}
	return AggCall{F: f, Args: args, Filter: filter, Text: fmt.Sprintf("%s(%d)/%d", name, arg, filter)}
}

// TestReviewDistinctTypesMatchPerRow: DISTINCT aggregates over TINYINT,
// SMALLINT, INT, DECIMAL and VARCHAR arguments (several views, FILTERs,
// NULLs, retractions, keys with more and fewer than 16 rows per bundle)
// through the mini-batch operator against the per-row operator: the
// same changelog row for row at bundles of 1, the same applied result at
// every barrier and at the end for other sizes, and no emitted row
// changed after its emission.
func zzIn() colsNode {
	bigint := table.BigIntType()
	return colsNode{{Name: "k", Type: bigint}, {Name: "a", Type: table.TinyIntType()}, {Name: "b", Type: table.IntType()},
		{Name: "c", Type: table.DecimalType(10, 2)}, {Name: "s", Type: table.StringType()},
		{Name: "p", Type: table.BooleanType()}, {Name: "q", Type: table.BooleanType()}, {Name: "h", Type: table.SmallIntType()}}
}

func TestReviewDistinctTypesMatchPerRow(t *testing.T) {
	in := zzIn()
	aggs := []AggCall{
		testAggCall(t, in, "COUNT", false, -1, -1),
		testAggCall(t, in, "COUNT_DISTINCT", true, 1, -1),
		testAggCall(t, in, "COUNT_DISTINCT", true, 1, 5),
		testAggCall(t, in, "SUM", true, 1, 6),
		testAggCall(t, in, "COUNT_DISTINCT", true, 2, 6),
		testAggCall(t, in, "SUM", true, 2, -1),
		testAggCall(t, in, "MAX_RETRACT", true, 2, 5),
		testAggCall(t, in, "COUNT_DISTINCT", true, 3, -1),
		testAggCall(t, in, "SUM", true, 3, 5),
		testAggCall(t, in, "COUNT_DISTINCT", true, 4, -1),
		testAggCall(t, in, "COUNT_DISTINCT", true, 4, 6),
		testAggCall(t, in, "MIN_RETRACT", true, 4, -1),
		testAggCall(t, in, "COUNT_DISTINCT", true, 7, -1),
		testAggCall(t, in, "AVG", true, 7, 5),
		testAggCall(t, in, "MAX_RETRACT", false, 4, -1),
		testAggCall(t, in, "SUM", false, 3, -1),
	}
	zzCompare(t, in, aggs, 40, false)
}

// TestReviewPlainAggsMatchPerRow: the same with the aggregates whose
// accumulators and results hold arrays and strings.
func TestReviewPlainAggsMatchPerRow(t *testing.T) {
	in := zzIn()
	aggs := []AggCall{
		testAggCall(t, in, "COUNT", false, -1, -1),
		testAggCall(t, in, "LISTAGG", false, 4, -1),
		testAggCall(t, in, "FIRST_VALUE_RETRACT", false, 4, 5),
		testAggCall(t, in, "LAST_VALUE_RETRACT", false, 2, -1),
		testAggCall(t, in, "ARRAY_AGG", false, 4, -1),
		testAggCall(t, in, "ARRAY_AGG_DISTINCT", false, 2, 6),
		testAggCall(t, in, "VAR_POP", false, 2, -1),
		testAggCall(t, in, "MIN_RETRACT", false, 4, -1),
		testAggCall(t, in, "MAX_RETRACT", false, 3, 5),
		testAggCall(t, in, "COUNT_DISTINCT", true, 4, -1),
	}
	zzCompare(t, in, aggs, 25, false)
}

func zzCompare(t *testing.T, in colsNode, aggs []AggCall, seeds uint64, appendOnly bool) {
	bigint := table.BigIntType()
	g := newGroupAccs(in, aggs, table.BigIntType().NotNull())
	keyFn := rowKeyFn(table.NewRowCodecTypes(bigint), 1)
	boolOrNull := func(rng *rand.Rand) table.Value {
		if rng.IntN(6) == 0 {
			return table.Null
		}
		return table.Bool(rng.IntN(2) == 0)
	}
	nullOr := func(rng *rand.Rand, v table.Value) table.Value {
		if rng.IntN(8) == 0 {
			return table.Null
		}
		return v
	}
	strs := []string{"", "a", "b", "ab", "a ", "zz", "é"}
	gen := func(seed uint64) []ckOp {
		rng := rand.New(rand.NewPCG(seed, 11))
		var live []table.Row
		var ops []ckOp
		wm := int64(0)
		nk := 1 + rng.IntN(4)
		for range 600 {
			switch rng.IntN(60) {
			case 0, 1:
				wm += int64(rng.IntN(100))
				ops = append(ops, ckOp{kind: 1, wm: wm})
				continue
			case 2:
				ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
				continue
			}
			nv := 3 + rng.IntN(30)
			r := table.NewRow(table.Int(int64(rng.IntN(nk))),
				nullOr(rng, table.Int(int64(rng.IntN(nv)-nv/2))),
				nullOr(rng, table.Int(int64(rng.IntN(nv)-nv/2)*1000003)),
				nullOr(rng, table.Dec(int64(rng.IntN(nv)*50), 2)),
				nullOr(rng, table.Str(strs[rng.IntN(len(strs))])),
				boolOrNull(rng), boolOrNull(rng),
				nullOr(rng, table.Int(int64(rng.IntN(nv)-3))))
			ts := wm + int64(rng.IntN(50))
			switch n := rng.IntN(10); {
			case !appendOnly && n < 4 && len(live) > 0:
				i := rng.IntN(len(live))
				old := live[i]
				live = slices.Delete(live, i, i+1)
				if n < 2 {
					ops = append(ops, ckOp{ts: ts, row: table.Row{Kind: table.Delete, Fields: old.Fields}})
					continue
				}
				ops = append(ops, ckOp{ts: ts, row: table.Row{Kind: table.UpdateBefore, Fields: old.Fields}})
				r.Kind = table.UpdateAfter
			}
			live = append(live, table.NewRow(r.Fields...))
			ops = append(ops, ckOp{ts: ts, row: r})
		}
		return ops
	}
	x := &GroupAgg{In: in, Keys: []int{0}, Aggs: aggs}
	for seed := range seeds {
		ttl := []stream.StateOption(nil)
		if seed%2 == 1 {
			ttl = []stream.StateOption{stream.WithTTL(stream.TTL{TTL: time.Hour, RefreshOnRead: true})}
		}
		ops := gen(seed)
		ref := zzRun(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] { return perRowGroupAgg(g, x, ttl) })
		want := zzAtEnds(t, ref.lines)
		for _, size := range []int{1, 7, 40, 200, 5000} {
			mb := *x
			mb.MiniBatch = miniBatch{Latency: time.Hour, Size: size}
			got := zzRun(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
				return newMiniBatchGroupAgg(g, &mb, ttl)
			})
			if l := got.later(); !slices.Equal(l, got.lines) {
				for i := range l {
					if l[i] != got.lines[i] {
						t.Fatalf("seed %d size %d: emitted row %d changed after emission: %s, now %s", seed, size, i, got.lines[i], l[i])
					}
				}
			}
			if size == 1 {
				a := slices.DeleteFunc(slices.Clone(got.lines), isMark)
				b := slices.DeleteFunc(slices.Clone(ref.lines), isMark)
				if !slices.Equal(a, b) {
					t.Fatalf("seed %d: bundles of 1 differ from the per-row changelog\n%s\nwant\n%s", seed, strings.Join(a, "\n"), strings.Join(b, "\n"))
				}
			}
			if st := zzAtEnds(t, got.lines); !slices.EqualFunc(st, want, slices.Equal) {
				for i := range want {
					if i < len(st) && !slices.Equal(st[i], want[i]) {
						t.Fatalf("seed %d size %d, at barrier/end %d:\n%s\nwant\n%s", seed, size, i, strings.Join(st[i], "\n"), strings.Join(want[i], "\n"))
					}
				}
				t.Fatalf("seed %d size %d: %d ends, want %d", seed, size, len(st), len(want))
			}
		}
	}
}

// TestReviewAppendOnlyAggsMatchPerRow: an insert-only input with the
// aggregates that cannot retract (MIN, MAX, FIRST_VALUE, LAST_VALUE and
// their DISTINCT forms).
func TestReviewAppendOnlyAggsMatchPerRow(t *testing.T) {
	in := zzIn()
	aggs := []AggCall{
		testAggCall(t, in, "COUNT", false, -1, -1),
		testAggCall(t, in, "MIN", false, 4, -1),
		testAggCall(t, in, "MAX", false, 3, 5),
		testAggCall(t, in, "FIRST_VALUE", false, 4, 6),
		testAggCall(t, in, "LAST_VALUE", false, 2, -1),
		testAggCall(t, in, "MIN", true, 1, -1),
		testAggCall(t, in, "MAX", true, 1, 5),
		testAggCall(t, in, "MAX", true, 4, 6),
		testAggCall(t, in, "SUM", true, 2, 5),
		testAggCall(t, in, "COUNT_DISTINCT", true, 7, 6),
		testAggCall(t, in, "LISTAGG", false, 4, -1),
		testAggCall(t, in, "ARRAY_AGG", false, 2, -1),
	}
	zzCompare(t, in, aggs, 25, true)
}
