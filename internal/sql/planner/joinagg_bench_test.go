package planner

import (
	"context"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/table"
)

// benchJoinAgg feeds q4-shaped rows into the fused join aggregation
// (joinAggFn; MAX(price) GROUP BY id, category, mini-batch of 1000 rows
// or per row): auctions (id, category, dateTime, expires) on the left,
// the unique side, bids (auction, price, dateTime) on the right, half of
// them (all when hot) on 100 hot auctions of 10 000, all auctions there
// before. The
// join key is one BIGINT (joinKeyOf's function, as the planner builds
// it).
func benchJoinAgg(b *testing.B, miniBatchSize int, hot bool) {
	at := []table.Type{table.BigIntType(), table.BigIntType(), table.TimestampType(3), table.TimestampType(3)}
	bt := []table.Type{table.BigIntType(), table.BigIntType(), table.TimestampType(3)}
	l := &Values{cols: benchCols(at...)}
	r := &Values{cols: benchCols(bt...)}
	lkey, lnull := joinKeyOf(l, []int{0}, nil, 'L')
	rkey, rnull := joinKeyOf(r, []int{0}, nil, 'R')
	f, err := expr.NewAggregate("MAX", []table.Type{table.BigIntType()})
	if err != nil {
		b.Fatal(err)
	}
	// The Calc's row: id, category, price.
	x := &GroupAgg{Keys: []int{0, 1}, Aggs: []AggCall{{F: f, Args: []int{2}, Filter: -1, Text: "MAX"}}}
	if miniBatchSize > 0 {
		x.MiniBatch = miniBatch{Latency: time.Hour, Size: miniBatchSize}
	}
	g := newGroupAccs(nil, x.Aggs, table.BigIntType().NotNull())
	fn := &joinAggFn{uniqueLeft: true, nl: len(at), nr: len(bt), uc: table.NewRowCodecTypes(at...), oc: table.NewRowCodecTypes(bt...),
		lnull: lnull, rnull: rnull, cols: []int{0, 1, len(at) + 1}, progs: make([]expr.Program, 3)}
	setBenchIntKeys(fn, at, bt)
	if miniBatchSize > 0 {
		fn.mb = newMiniBatchGroupAgg(g, x, nil)
		fn.mb.setPreAgg(true)
		fn.agg = fn.mb
	} else {
		fn.agg = perRowGroupAgg(g, x, nil)
	}
	backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
	op := &operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]{Key1: lkey, Key2: rkey, KeyCodec: codec.For[string](), Fn: fn, Out: discardOut{}}
	if err := op.Open(&operator.Runtime{Ctx: context.Background(), Name: "ja", Parallelism: 1,
		MaxParallelism: base.DefaultMaxParallelism, KeyGroups: backend.KeyGroups(),
		Clock: base.NewManualClock(time.UnixMilli(0)), State: backend, Metrics: &operator.Metrics{}}); err != nil {
		b.Fatal(err)
	}
	in1, in2 := op.Input1(), op.Input2()
	for k := range 10000 {
		in1.Collect(0, table.NewRow(table.Int(int64(k)), table.Int(int64(10+k%5)), table.TimestampMillis(0), table.TimestampMillis(1e9)))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([]table.Row, 4096)
	for i := range rows {
		k := int64(rng.IntN(10000))
		if hot || rng.IntN(2) == 0 {
			k = int64(rng.IntN(100))
		}
		rows[i] = table.NewRow(table.Int(k), table.Int(int64(rng.IntN(1e6))), table.TimestampMillis(int64(i)))
	}
	b.ResetTimer()
	cpu0 := cpuNanos()
	for i := range b.N {
		in2.Collect(int64(i), rows[i%len(rows)])
	}
	// CPU time per row too: on a shared machine the wall time per row
	// counts the other processes' turns.
	b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuNanos is the process's CPU time (user and system).
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkJoinAgg: q4's fused join and MAX, a bid per op.
func BenchmarkJoinAgg(b *testing.B) {
	b.Run("minibatch", func(b *testing.B) { benchJoinAgg(b, 1000, false) })
	b.Run("minibatch-hot", func(b *testing.B) { benchJoinAgg(b, 1000, true) })
	b.Run("perrow", func(b *testing.B) { benchJoinAgg(b, 0, false) })
}

func benchCols(ts ...table.Type) []Col {
	cs := make([]Col, len(ts))
	for i, t := range ts {
		cs[i] = Col{Name: string(rune('a' + i)), Type: t}
	}
	return cs
}
