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
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// reuseOut is a zzKeepOut that says it is done with each row when Collect
// returns (operator.Releaser): it keeps a copy of the fields, so the
// mini-batch Deduplicate reuses its chunks from bundle to bundle.
type reuseOut struct{ *zzKeepOut }

func (o reuseOut) Collect(ts int64, r table.Row) {
	o.zzKeepOut.Collect(ts, table.Row{Kind: r.Kind, Fields: slices.Clone(r.Fields)})
}
func (reuseOut) ReleasesRecords() bool { return true }

// runDedupReused drives newFn as zzRun does, but hands every input row to
// the operator in one buffer that is overwritten with other values as
// soon as the operator returns: a source reusing its rows' memory, which
// stream.KeyedProcessCopying allows.
func runDedupReused(t *testing.T, ops []ckOp, keyFn func(table.Row) string, releases bool, newFn func() stream.KeyedProcessFunction[string, table.Row, table.Row]) *zzKeepOut {
	t.Helper()
	keep := &zzKeepOut{}
	var out operator.Collector[table.Row] = keep
	if releases {
		out = reuseOut{keep}
	}
	var buf []table.Value
	driveWithCheckpoints(t, ops, true, func(rt *operator.Runtime) ckDriven {
		kp := &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: keyFn, KeyCodec: codec.For[string](), Fn: newFn(), Out: out, Releases: true, Fresh: true}
		if err := kp.Open(rt); err != nil {
			t.Fatal(err)
		}
		return ckDriven{zzMarked{kp, keep}, func(o ckOp) {
			buf = append(buf[:0], o.row.Fields...)
			kp.Collect(o.ts, table.Row{Kind: o.row.Kind, Fields: buf})
			for i := range buf {
				buf[i] = table.Str("overwritten")
			}
		}}
	})
	return keep
}

// TestDedupBatchCopiesRows: the mini-batch Deduplicate, fed rows whose
// memory is reused after each row (its KeyedProcessCopying contract), and
// with an output that keeps its rows or releases them (the chunks then
// reused by the next bundle), emits what the per-row Deduplicate emits on
// fresh rows: random rows of BIGINT, TIMESTAMP(9), VARCHAR, DOUBLE and
// BOOLEAN columns with NULLs, every keep/order mode, through checkpoints
// and restores. Rows a keeping output holds are re-printed at the end (no
// later bundle wrote into them).
func TestDedupBatchCopiesRows(t *testing.T) {
	types := []table.Type{table.BigIntType(), table.TimestampType(9), table.StringType(), table.DoubleType(), table.BooleanType(), table.BigIntType()}
	rc := table.NewRowCodecTypes(types...)
	keyFn := rowKeyFn(table.NewRowCodecTypes(table.BigIntType()), 1)
	row := func(rng *rand.Rand, seq int) table.Row {
		fs := []table.Value{table.Int(int64(rng.IntN(5))), table.Null, table.Null, table.Null, table.Null, table.Int(int64(seq))}
		if rng.IntN(6) != 0 {
			fs[1] = table.Timestamp(int64(rng.IntN(8)), int32(rng.IntN(3))*1000)
		}
		if rng.IntN(4) != 0 {
			fs[2] = table.Str(strings.Repeat(string(rune('a'+rng.IntN(26))), rng.IntN(40)))
		}
		if rng.IntN(4) != 0 {
			fs[3] = table.Float(rng.Float64() * 100)
		}
		if rng.IntN(4) != 0 {
			fs[4] = table.Bool(rng.IntN(2) == 0)
		}
		return table.NewRow(fs...)
	}
	for _, proc := range []bool{false, true} {
		for _, last := range []bool{false, true} {
			for _, nf := range []bool{false, true} {
				if proc && nf {
					continue
				}
				x := &Deduplicate{Keys: []int{0}, Time: 1, KeepLast: last, Proctime: proc, NullsFirst: nf}
				for seed := range uint64(25) {
					rng := rand.New(rand.NewPCG(seed, 11))
					var ops []ckOp
					wm := int64(0)
					for op := range 400 {
						switch rng.IntN(30) {
						case 0:
							wm += int64(rng.IntN(10))
							ops = append(ops, ckOp{kind: 1, wm: wm})
							continue
						case 1:
							ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
							continue
						}
						ops = append(ops, ckOp{ts: wm + int64(rng.IntN(50)), row: row(rng, op)})
					}
					want := zzRun(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
						return perRowDedup(x, rc, nil)
					})
					for _, size := range []int{1, 5, 300, 1000} { // 300: a bundle spans chunks
						for _, releases := range []bool{false, true} {
							mb := *x
							mb.MiniBatch = miniBatch{Latency: time.Hour, Size: size}
							got := runDedupReused(t, ops, keyFn, releases, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
								return newMiniBatchDedup(&mb, rc, nil)
							})
							name := fmt.Sprintf("proc %v last %v nullsFirst %v seed %d size %d releases %v", proc, last, nf, seed, size, releases)
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
}
