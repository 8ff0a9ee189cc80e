package planner

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// zzQ17Types: k1 BIGINT, k2 VARCHAR, t TINYINT, s SMALLINT, i INT, b BIGINT, f BOOLEAN
var zzQ17Types = []table.Type{table.BigIntType(), table.StringType(), table.TinyIntType(), table.SmallIntType(),
	table.IntType(), table.BigIntType(), table.BooleanType()}

func zzQ17Calls(t *testing.T, retract bool) []AggCall {
	in := make(colsNode, len(zzQ17Types))
	for i, ty := range zzQ17Types {
		in[i] = Col{Name: fmt.Sprintf("c%d", i), Type: ty}
	}
	type c struct {
		name      string
		arg, filt int
	}
	cs := []c{{"COUNT", -1, -1}, {"COUNT", 2, 6}, {"SUM", 2, -1}, {"SUM", 3, 6}, {"SUM0", 4, -1}, {"AVG", 4, -1},
		{"AVG", 2, 6}, {"SUM", 5, -1}, {"COUNT", 5, -1}}
	if !retract {
		cs = append(cs, c{"MIN", 3, -1}, c{"MAX", 2, -1}, c{"MIN", 5, 6}, c{"MAX", 5, -1}, c{"MAX", 4, -1})
	}
	var out []AggCall
	for _, x := range cs {
		out = append(out, testAggCall(t, in, x.name, false, x.arg, x.filt))
	}
	return out
}

func zzQ17Row(rng *rand.Rand, keys int) table.Row {
	iv := func(lo, hi int64) table.Value {
		if rng.IntN(6) == 0 {
			return table.Null
		}
		switch rng.IntN(6) {
		case 0:
			return table.Int(hi - int64(rng.IntN(2)))
		case 1:
			return table.Int(lo + int64(rng.IntN(2)))
		}
		return table.Int(rng.Int64N(41) - 20)
	}
	f := table.Value(table.Null)
	if rng.IntN(4) != 0 {
		f = table.Bool(rng.IntN(2) == 0)
	}
	k := rng.IntN(keys)
	return table.NewRow(table.Int(int64(k%3)), table.Str(fmt.Sprintf("k%d", k/3)),
		iv(math.MinInt8, math.MaxInt8), iv(math.MinInt16, math.MaxInt16), iv(math.MinInt32, math.MaxInt32),
		iv(math.MinInt64, math.MaxInt64), f)
}

// TestReviewPreAggExactVsBuffered: the pre-aggregated mini-batch
// (TINYINT/SMALLINT/INT/BIGINT SUM/AVG/MIN/MAX wrapping, FILTERs with
// NULL, two key columns) against the buffered mini-batch (same bundles:
// the same changelog line for line) and the per-row operator (same states
// at every barrier), through checkpoints and restores; emitted rows are
// re-printed at the end to catch a later mutation.
func TestReviewPreAggExactVsBuffered(t *testing.T) {
	keyFn := rowKeyFn(table.NewRowCodecTypes(table.BigIntType(), table.StringType()), 2)
	for _, retract := range []bool{false, true} {
		aggs := zzQ17Calls(t, retract)
		g := newGroupAccs(nil, aggs, table.BigIntType().NotNull())
		if !preAggOK(g, zzQ17Types) {
			t.Fatalf("not pre-aggregated")
		}
		slow := slowAccs(g)
		x := &GroupAgg{Keys: []int{0, 1}, Aggs: aggs}
		for seed := range uint64(30) {
			rng := rand.New(rand.NewPCG(seed, 99))
			var ops []ckOp
			var live []table.Row
			wm := int64(0)
			for op := range 400 {
				switch rng.IntN(25) {
				case 0:
					wm += int64(rng.IntN(100))
					ops = append(ops, ckOp{kind: 1, wm: wm})
					continue
				case 1:
					ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
					continue
				}
				ts := wm + int64(rng.IntN(50))
				if retract && op > 200 && len(live) > 0 && rng.IntN(4) == 0 {
					j := rng.IntN(len(live))
					ops = append(ops, ckOp{ts: ts, row: table.Row{Kind: table.Delete, Fields: live[j].Fields}})
					live = slices.Delete(live, j, j+1)
					continue
				}
				r := zzQ17Row(rng, 9)
				live = append(live, r)
				ops = append(ops, ckOp{ts: ts, row: r})
			}
			want := zzAtEnds(t, zzRun(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
				return perRowGroupAgg(slow, x, nil)
			}).later())
			for _, size := range []int{1, 4, 50, 1000} {
				mb := *x
				mb.MiniBatch = miniBatch{Latency: time.Hour, Size: size}
				run := func(pre bool) *zzKeepOut {
					return zzRun(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
						f := newMiniBatchGroupAgg(g, &mb, nil)
						f.setPreAgg(pre)
						return f
					})
				}
				po, bo := run(true), run(false)
				if !slices.Equal(po.lines, po.later()) {
					t.Fatalf("seed %d size %d: pre-aggregated rows changed after emission:\n%s\nnow:\n%s", seed, size,
						strings.Join(po.lines, "\n"), strings.Join(po.later(), "\n"))
				}
				if !retract && !slices.Equal(po.lines, bo.lines) {
					t.Fatalf("seed %d size %d: pre-aggregated\n%s\nbuffered\n%s", seed, size,
						strings.Join(po.lines, "\n"), strings.Join(bo.lines, "\n"))
				}
				got := zzAtEnds(t, po.later())
				if len(got) != len(want) {
					t.Fatalf("seed %d size %d: %d ends, want %d", seed, size, len(got), len(want))
				}
				for i := range want {
					if !slices.Equal(got[i], want[i]) {
						t.Fatalf("retract %v seed %d size %d end %d:\n%v\nwant\n%v", retract, seed, size, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// zzDedupRow: k BIGINT, t TIMESTAMP(9) (NULLs, ties, nanos), v BIGINT (a
// sequence number).
func zzDedupRow(rng *rand.Rand, seq int) table.Row {
	tv := table.Value(table.Null)
	if rng.IntN(5) != 0 {
		tv = table.Timestamp(int64(rng.IntN(6)), int32(rng.IntN(3))*1000)
	}
	return table.NewRow(table.Int(int64(rng.IntN(4))), tv, table.Int(int64(seq)))
}

// zzPerKey is the emitted rows per key (column 0), in order, with their
// timestamps, as printed now.
func zzPerKey(o *zzKeepOut) map[string][]string {
	m := map[string][]string{}
	for i, r := range o.rows {
		k := r.Fields[0].String()
		m[k] = append(m[k], fmt.Sprintf("%d %s", o.ts[i], r.String()))
	}
	return m
}

// TestReviewDedupMatchesPerRow: the mini-batch Deduplicate against the
// per-row one on random rows (ties, NULL times, nanoseconds), every
// keep/order/NULLS combination, through checkpoints and restores: by
// event time and keep-first by processing time the same rows per key in
// the same order (with their timestamps); keep-last by processing time
// the same states at every barrier. Rows are re-printed at the end.
func TestReviewDedupMatchesPerRow(t *testing.T) {
	types := []table.Type{table.BigIntType(), table.TimestampType(9), table.BigIntType()}
	rc := table.NewRowCodecTypes(types...)
	keyFn := rowKeyFn(table.NewRowCodecTypes(table.BigIntType()), 1)
	for _, proc := range []bool{false, true} {
		for _, last := range []bool{false, true} {
			for _, nf := range []bool{false, true} {
				if proc && nf {
					continue
				}
				x := &Deduplicate{Keys: []int{0}, Time: 1, KeepLast: last, Proctime: proc, NullsFirst: nf}
				for seed := range uint64(40) {
					rng := rand.New(rand.NewPCG(seed, 7))
					var ops []ckOp
					wm := int64(0)
					for op := range 300 {
						switch rng.IntN(25) {
						case 0:
							wm += int64(rng.IntN(10))
							ops = append(ops, ckOp{kind: 1, wm: wm})
							continue
						case 1:
							ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
							continue
						}
						ops = append(ops, ckOp{ts: wm + int64(rng.IntN(50)), row: zzDedupRow(rng, op)})
					}
					want := zzRun(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
						return perRowDedup(x, rc, nil)
					})
					for _, size := range []int{1, 3, 17, 1000} {
						mb := *x
						mb.MiniBatch = miniBatch{Latency: time.Hour, Size: size}
						got := zzRun(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
							return newMiniBatchDedup(&mb, rc, nil)
						})
						name := fmt.Sprintf("proc %v last %v nullsFirst %v seed %d size %d", proc, last, nf, seed, size)
						if !slices.Equal(got.lines, got.later()) {
							t.Fatalf("%s: rows changed after emission:\n%s\nnow:\n%s", name, strings.Join(got.lines, "\n"), strings.Join(got.later(), "\n"))
						}
						if proc && last {
							w, g := zzAtEnds(t, want.later()), zzAtEnds(t, got.later())
							if fmt.Sprint(w) != fmt.Sprint(g) {
								t.Fatalf("%s: states\n%v\nwant\n%v", name, g, w)
							}
							continue
						}
						w, g := zzPerKey(want), zzPerKey(got)
						if fmt.Sprint(w) != fmt.Sprint(g) {
							t.Fatalf("%s:\n%v\nwant\n%v", name, g, w)
						}
					}
				}
			}
		}
	}
}
