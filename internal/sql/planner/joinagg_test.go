package planner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// joinAggPipeline is the unfused plan driven by hand: the regular join
// (its unique mode), the Calc over it (calc), the GROUP BY (agg) keyed by
// its grouping key. Watermarks, barriers and the end of the input pass
// the join first, then the aggregation, and leave a mark in the output
// after the aggregation.
type joinAggPipeline struct {
	join *operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]
	agg  *operator.KeyedProcess[string, table.Row, table.Row]
	out  *sliceOut
}

func (p joinAggPipeline) Watermark(wm int64) {
	p.join.Watermark(wm)
	p.agg.Watermark(wm)
	p.out.rows = append(p.out.rows, fmt.Sprintf("WM %d", wm))
}

func (p joinAggPipeline) SnapshotState(id int64) ([]byte, error) {
	if _, err := p.join.SnapshotState(id); err != nil {
		return nil, err
	}
	_, err := p.agg.SnapshotState(id)
	p.out.rows = append(p.out.rows, "CK")
	return nil, err
}

func (p joinAggPipeline) Finish() error {
	if err := p.join.Finish(); err != nil {
		return err
	}
	return p.agg.Finish()
}

func (p joinAggPipeline) OnProcessingTime(now int64) {
	p.join.OnProcessingTime(now)
	p.agg.OnProcessingTime(now)
}

func (p joinAggPipeline) SnapshotTimers() map[int][]byte {
	// The join has none; the aggregation's latency timer is disarmed
	// by the barrier's flush.
	if ts := p.join.SnapshotTimers(); len(ts) > 0 {
		panic("join timers")
	}
	return p.agg.SnapshotTimers()
}

// joinAggFused is the fused operator with the same marks.
type joinAggFused struct {
	op  *operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]
	out *sliceOut
}

func (p joinAggFused) Watermark(wm int64) {
	p.op.Watermark(wm)
	p.out.rows = append(p.out.rows, fmt.Sprintf("WM %d", wm))
}

func (p joinAggFused) SnapshotState(id int64) ([]byte, error) {
	_, err := p.op.SnapshotState(id)
	p.out.rows = append(p.out.rows, "CK")
	return nil, err
}

func (p joinAggFused) Finish() error                  { return p.op.Finish() }
func (p joinAggFused) OnProcessingTime(now int64)     { p.op.OnProcessingTime(now) }
func (p joinAggFused) SnapshotTimers() map[int][]byte { return p.op.SnapshotTimers() }

// driveClocked is driveWithCheckpoints with one processing-time clock
// for all the operators it opens (restores included), which an op of
// kind 4 advances by wm milliseconds, firing the processing-time timers
// due (the mini-batch's latency) and expiring state past its TTL.
func driveClocked(t testing.TB, ops []ckOp, open func(*operator.Runtime) ckDriven) {
	t.Helper()
	clock := base.NewManualClock(time.UnixMilli(0))
	var backend *state.Heap
	var d ckDriven
	start := func(restored *operator.Restored) {
		d = open(&operator.Runtime{Ctx: context.Background(), Name: "w", Parallelism: 1,
			MaxParallelism: base.DefaultMaxParallelism, KeyGroups: backend.KeyGroups(),
			Clock: clock, State: backend, Metrics: &operator.Metrics{}, Restored: restored})
	}
	backend = state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
	start(nil)
	wm := int64(base.MinTime)
	for _, o := range ops {
		switch o.kind {
		case 0:
			d.record(o)
		case 1:
			wm = o.wm
			d.op.Watermark(wm)
		case 2, 3:
			if _, err := d.op.(operator.Snapshotter).SnapshotState(1); err != nil {
				t.Fatal(err)
			}
			if o.kind == 2 {
				continue
			}
			timers := d.op.SnapshotTimers()
			groups := map[int][]byte{}
			for kg := range base.DefaultMaxParallelism {
				groups[kg] = state.AppendGroup(nil, backend, kg)
			}
			backend = state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
			for kg, b := range groups {
				if err := state.RestoreGroup(backend, kg, b); err != nil {
					t.Fatal(err)
				}
			}
			start(&operator.Restored{CheckpointID: 1, Timers: timers})
			if wm != base.MinTime {
				d.op.Watermark(wm)
			}
		case 4:
			clock.Advance(time.Duration(o.wm) * time.Millisecond)
			d.op.(interface{ OnProcessingTime(int64) }).OnProcessingTime(clock.NowMillis())
		}
	}
	d.op.Watermark(base.MaxTime)
	if err := d.op.Finish(); err != nil {
		t.Fatal(err)
	}
}

type collectFunc func(ts int64, r table.Row)

func (f collectFunc) Collect(ts int64, r table.Row) { f(ts, r) }

// TestJoinAggMatchesJoinThenAgg drives the fused join aggregation
// (joinAggFn) and the plan it replaces (the join in its unique mode, the
// Calc, the GROUP BY) with the same random inputs and compares the whole
// changelogs, timestamps and the positions of watermarks and barriers
// included. The unique side has at most one row per key (some keys none),
// the other side's rows come before and after it; NULL join keys on both
// sides, NULLs in the aggregated columns, in the grouping key's other
// column and in the condition's; TIMESTAMPs with nanoseconds the codec
// drops; a residual condition (Nexmark q4's BETWEEN) or none, a Calc
// filter or none, a computed column; MAX, MIN, COUNT(*), COUNT, SUM, AVG
// of BIGINT and MAX of STRING; the unique side on the left and on the
// right; per-row and mini-batch aggregation (bundles of 1, 3 and 1000
// rows, pre-aggregated or not, with a latency of 50 ms); with and without
// a state TTL of 60 ms; checkpoints, restores into a new operator, and
// processing time passing (states expiring, bundles reaching their
// latency) at random points. It checks that expiries and latencies did
// change some runs' output.
func TestJoinAggMatchesJoinThenAgg(t *testing.T) {
	// U: id, cat, lo, hi, name. B: auction, price, ts, s.
	uTypes := []table.Type{table.BigIntType(), table.BigIntType(), table.TimestampType(3), table.TimestampType(3), table.StringType()}
	bTypes := []table.Type{table.BigIntType(), table.BigIntType(), table.TimestampType(3), table.StringType()}
	uc, bc := table.NewRowCodecTypes(uTypes...), table.NewRowCodecTypes(bTypes...)
	long := strings.Repeat("y", 300)
	within := func(u, b []table.Value) bool {
		if u[2].IsNull() || u[3].IsNull() || b[2].IsNull() {
			return false
		}
		ts, _ := b[2].AsTimestamp()
		lo, _ := u[2].AsTimestamp()
		hi, _ := u[3].AsTimestamp()
		return lo <= ts && ts <= hi
	}
	key := func(side byte) func(table.Row) string {
		return func(r table.Row) string {
			if r.Fields[0].IsNull() {
				return "N" + string(side)
			}
			return r.Fields[0].String()
		}
	}
	hasNull := func(r table.Row) bool { return r.Fields[0].IsNull() }
	orNull := func(rng *rand.Rand, v table.Value) table.Value {
		if rng.IntN(6) == 0 {
			return table.Value{}
		}
		return v
	}
	// The Calc's row: U.id, U.cat, B.price, B.s, B.price * 2.
	calcTypes := []table.Type{table.BigIntType(), table.BigIntType(), table.BigIntType(), table.StringType(), table.BigIntType()}
	twice := func(r *table.Row, price int) (table.Value, error) {
		if v := r.Fields[price]; !v.IsNull() {
			return table.Int(v.AsInt() * 2), nil
		}
		return table.Value{}, nil
	}
	var aggs []AggCall
	for _, c := range []struct {
		name string
		arg  int
	}{{"MAX", 2}, {"MIN", 4}, {"COUNT(*)", -1}, {"COUNT", 2}, {"SUM", 2}, {"AVG", 4}, {"MAX", 3}} {
		var args []int
		var at []table.Type
		name := c.name
		if c.arg >= 0 {
			args, at = []int{c.arg}, []table.Type{calcTypes[c.arg]}
		} else {
			name, at = "COUNT", nil
		}
		f, err := expr.NewAggregate(name, at)
		if err != nil {
			t.Fatal(err)
		}
		aggs = append(aggs, AggCall{F: f, Args: args, Filter: -1, Text: c.name})
	}
	// The calls the mini-batch pre-aggregates (FastAdd, exact merge).
	var preAggs []AggCall
	for _, a := range aggs {
		if preAggOK(newGroupAccs(nil, []AggCall{a}, table.BigIntType().NotNull()), calcTypes) {
			preAggs = append(preAggs, a)
		}
	}
	if len(preAggs) < 3 {
		t.Fatalf("only %d calls pre-aggregate", len(preAggs))
	}
	groupKey := rowKeyFn(table.NewRowCodecTypes(calcTypes[0], calcTypes[1]), 2)
	runs, batched, expired, latency := 0, 0, 0, 0
	noTTL := map[string][]string{}
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 17))
		type ev struct {
			unique bool
			row    table.Row
		}
		var evs []ev
		for k := range 8 {
			if rng.IntN(5) == 0 {
				continue // a key without its unique row
			}
			lo := int64(rng.IntN(50))
			evs = append(evs, ev{true, table.NewRow(table.Int(int64(k)), orNull(rng, table.Int(int64(rng.IntN(3)))),
				orNull(rng, table.TimestampMillis(lo)),
				orNull(rng, table.Timestamp(lo+int64(rng.IntN(50)), int32(rng.IntN(3))*250_000)),
				orNull(rng, table.Str([]string{"a", "bb", long}[rng.IntN(3)])))})
		}
		if rng.IntN(2) == 0 {
			evs = append(evs, ev{true, table.NewRow(table.Value{}, table.Int(1), table.TimestampMillis(0), table.TimestampMillis(100), table.Str("null key"))})
		}
		for range 40 + rng.IntN(120) {
			k := table.Int(int64(rng.IntN(10))) // 8, 9: never a unique row
			if rng.IntN(8) == 0 {
				k = table.Value{}
			}
			evs = append(evs, ev{false, table.NewRow(k, orNull(rng, table.Int(int64(rng.IntN(1000)))),
				orNull(rng, table.Timestamp(int64(rng.IntN(110)), int32(rng.IntN(2))*500_000)),
				orNull(rng, table.Str([]string{"u", "vv", "wwww-xxxx-zzzz", long}[rng.IntN(4)])))})
		}
		rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		for _, uniqueLeftSide := range []bool{true, false} {
			var ops []ckOp
			wm := int64(-1)
			for i, e := range evs {
				ops = append(ops, ckOp{kind: 0, ts: int64(i), row: e.row, left: e.unique == uniqueLeftSide})
				switch rng.IntN(25) {
				case 0, 1:
					ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
				case 2:
					wm += int64(rng.IntN(10))
					ops = append(ops, ckOp{kind: 1, wm: wm})
				case 3, 4, 5:
					// Processing time passes: states expire, bundles
					// reach their latency.
					ops = append(ops, ckOp{kind: 4, wm: int64(rng.IntN(40))})
				}
			}
			nu, nb := len(uTypes), len(bTypes)
			nl := nu
			uOff, bOff := 0, nu // the sides' columns in the pair
			if !uniqueLeftSide {
				nl, uOff, bOff = nb, nb, 0
			}
			cols := []int{uOff + 0, uOff + 1, bOff + 1, bOff + 3, -1}
			for _, withCond := range []bool{false, true} {
				cond := func(r *table.Row) (bool, error) {
					return within(r.Fields[uOff:uOff+nu], r.Fields[bOff:bOff+nb]), nil
				}
				for _, withFilter := range []bool{false, true} {
					// The Calc's filter: price NULL or not a multiple of 5.
					filter := func(r *table.Row) (bool, error) {
						v := r.Fields[bOff+1]
						return v.IsNull() || v.AsInt()%5 != 0, nil
					}
					progs := []expr.Program{nil, nil, nil, nil, func(r *table.Row) (table.Value, error) { return twice(r, bOff+1) }}
					calc := func(r *table.Row) (table.Row, bool, error) {
						if withFilter {
							if ok, err := filter(r); err != nil || !ok {
								return table.Row{}, false, err
							}
						}
						out := make([]table.Value, len(cols))
						for i, c := range cols {
							if c >= 0 {
								out[i] = r.Fields[c]
								continue
							}
							v, err := progs[i](r)
							if err != nil {
								return table.Row{}, false, err
							}
							out[i] = v
						}
						return table.Row{Kind: r.Kind, Fields: out}, true, nil
					}
					for _, ttl := range []time.Duration{0, 60 * time.Millisecond} {
						for _, size := range []int{0, 1, 3, 1000} {
							for _, preagg := range []bool{false, true} {
								if size == 0 && preagg {
									continue
								}
								ttlOpts := ttlOptsOf(ttl)
								calls := aggs
								if preagg {
									calls = preAggs
								}
								x := &GroupAgg{Keys: []int{0, 1}, Aggs: calls}
								if size > 0 {
									x.MiniBatch = miniBatch{Latency: 50 * time.Millisecond, Size: size}
								}
								g := newGroupAccs(nil, calls, table.BigIntType().NotNull())
								newAgg := func() (stream.KeyedProcessFunction[string, table.Row, table.Row], *miniBatchGroupAgg) {
									if size == 0 {
										return perRowGroupAgg(g, x, ttlOpts), nil
									}
									m := newMiniBatchGroupAgg(g, x, ttlOpts)
									m.setPreAgg(preagg && preAggOK(g, calcTypes))
									return m, m
								}
								if preagg && !preAggOK(g, calcTypes) {
									t.Fatal("the aggregates do not pre-aggregate")
								}
								lkey, rkey := key('L'), key('R')
								lnull, rnull := hasNull, hasNull // both sides' keys may be NULL
								lc, rc := uc, bc
								if !uniqueLeftSide {
									lc, rc = bc, uc
								}
								mode := uniqueLeft
								if !uniqueLeftSide {
									mode = uniqueRight
								}
								var joinCond func(*table.Row) (bool, error)
								if withCond {
									joinCond = cond
								}
								// The unfused plan.
								wantOut := &sliceOut{}
								driveClocked(t, ops, func(rt *operator.Runtime) ckDriven {
									aggFn, _ := newAgg()
									ag := &operator.KeyedProcess[string, table.Row, table.Row]{KeyFn: groupKey, KeyCodec: codec.For[string](), Fn: aggFn, Out: wantOut,
										Releases: size > 0, Fresh: size > 0}
									if err := ag.Open(rt); err != nil {
										t.Fatal(err)
									}
									jf := &regularJoinFn{lc: lc, rc: rc, nl: nl, nr: nu + nb - nl, opts: ttlOpts, lnull: lnull, rnull: rnull, unique: mode, cond: joinCond}
									jo := &operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]{Key1: lkey, Key2: rkey, KeyCodec: codec.For[string](), Fn: jf,
										Out: collectFunc(func(ts int64, r table.Row) {
											out, ok, err := calc(&r)
											if err != nil {
												t.Fatal(err)
											}
											if ok {
												ag.Collect(ts, out)
											}
										})}
									if err := jo.Open(rt); err != nil {
										t.Fatal(err)
									}
									in1, in2 := jo.Input1(), jo.Input2()
									return ckDriven{joinAggPipeline{jo, ag, wantOut}, func(o ckOp) {
										if o.left {
											in1.Collect(o.ts, o.row)
										} else {
											in2.Collect(o.ts, o.row)
										}
									}}
								})
								// The fused operator.
								gotOut := &sliceOut{}
								driveClocked(t, ops, func(rt *operator.Runtime) ckDriven {
									fn := &joinAggFn{uniqueLeft: uniqueLeftSide, nl: nl, nr: nu + nb - nl, uc: uc, oc: bc, lnull: lnull, rnull: rnull,
										cond: joinCond, cols: cols, progs: progs, ttl: ttlOpts}
									if withFilter {
										fn.filters = []func(*table.Row) (bool, error){filter}
									}
									fn.agg, fn.mb = newAgg()
									op := &operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]{Key1: lkey, Key2: rkey, KeyCodec: codec.For[string](), Fn: fn, Out: gotOut}
									if err := op.Open(rt); err != nil {
										t.Fatal(err)
									}
									in1, in2 := op.Input1(), op.Input2()
									return ckDriven{joinAggFused{op, gotOut}, func(o ckOp) {
										if o.left {
											in1.Collect(o.ts, o.row)
										} else {
											in2.Collect(o.ts, o.row)
										}
									}}
								})
								if !slices.Equal(gotOut.rows, wantOut.rows) {
									t.Fatalf("seed %d, unique side left %v, condition %v, filter %v, TTL %v, mini-batch %d, pre-aggregated %v:\n fused %d rows %v\n unfused %d rows %v",
										seed, uniqueLeftSide, withCond, withFilter, ttl, size, preagg, len(gotOut.rows), gotOut.rows, len(wantOut.rows), wantOut.rows)
								}
								runs++
								if size > 0 && slices.ContainsFunc(wantOut.rows, func(l string) bool { return strings.Contains(l, "-U") }) {
									batched++
								}
								// The same run without TTL: expiries change it.
								id := fmt.Sprint(seed, uniqueLeftSide, withCond, withFilter, size, preagg)
								if ttl == 0 {
									noTTL[id] = wantOut.rows
								} else if !slices.Equal(noTTL[id], wantOut.rows) {
									expired++
								}
								// A bundle of 1000 rows that ended before a
								// barrier or the end: at its latency.
								if size == 1000 && len(wantOut.rows) > 0 && !isMark(wantOut.rows[0]) {
									latency++
								}
							}
						}
					}
				}
			}
		}
	}
	if runs == 0 || batched == 0 || expired == 0 || latency == 0 {
		t.Fatalf("%d runs, %d mini-batch runs with updates, %d changed by state expiry, %d bundles ended by their latency", runs, batched, expired, latency)
	}
	t.Logf("%d runs, %d mini-batch runs with updates, %d changed by state expiry, %d bundles ended by their latency", runs, batched, expired, latency)
}

type discardOut struct{}

func (discardOut) Collect(int64, table.Row) {}

// TestJoinAggTTLAllocs: with a state TTL (no cache of decoded unique
// rows by key) a row of the other side finds the unique row decoded in
// the bytes-keyed cache (rowDecodeCache), as the join does: it allocates
// no more than without a TTL, where the decoded rows are cached by key.
func TestJoinAggTTLAllocs(t *testing.T) {
	uTypes := []table.Type{table.BigIntType(), table.StringType(), table.TimestampType(3)}
	bTypes := []table.Type{table.BigIntType(), table.BigIntType()}
	key := func(r table.Row) string { return r.Fields[0].String() }
	f, err := expr.NewAggregate("MAX", []table.Type{table.BigIntType()})
	if err != nil {
		t.Fatal(err)
	}
	x := &GroupAgg{Keys: []int{0}, Aggs: []AggCall{{F: f, Args: []int{1}, Filter: -1, Text: "MAX"}}}
	g := newGroupAccs(nil, x.Aggs, table.BigIntType().NotNull())
	allocs := map[time.Duration]float64{}
	for _, ttl := range []time.Duration{0, time.Hour} {
		ttlOpts := ttlOptsOf(ttl)
		fn := &joinAggFn{uniqueLeft: true, nl: len(uTypes), nr: len(bTypes), uc: table.NewRowCodecTypes(uTypes...), oc: table.NewRowCodecTypes(bTypes...),
			cols: []int{0, len(uTypes) + 1}, progs: make([]expr.Program, 2), ttl: ttlOpts}
		fn.agg = perRowGroupAgg(g, x, ttlOpts)
		op := &operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]{Key1: key, Key2: key, KeyCodec: codec.For[string](), Fn: fn, Out: discardOut{}}
		backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
		if err := op.Open(&operator.Runtime{Ctx: context.Background(), Name: "w", Parallelism: 1,
			MaxParallelism: base.DefaultMaxParallelism, KeyGroups: backend.KeyGroups(),
			Clock: base.NewManualClock(time.UnixMilli(0)), State: backend, Metrics: &operator.Metrics{}}); err != nil {
			t.Fatal(err)
		}
		in1, in2 := op.Input1(), op.Input2()
		in1.Collect(0, table.NewRow(table.Int(7), table.Str("a unique row"), table.TimestampMillis(5)))
		b := table.NewRow(table.Int(7), table.Int(100)) // MAX unchanged after the first
		in2.Collect(1, b)
		allocs[ttl] = testing.AllocsPerRun(200, func() { in2.Collect(2, b) })
	}
	t.Logf("allocs per row: %v without TTL, %v with", allocs[0], allocs[time.Hour])
	if allocs[time.Hour] > allocs[0] {
		t.Errorf("allocs per row: %v with a state TTL, %v without", allocs[time.Hour], allocs[0])
	}
}
