package planner

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/table"
)

type countOut struct{ n int }

func (c *countOut) Collect(int64, table.Row) { c.n++ }

// benchRegularJoin feeds q20-shaped bids (7 fields, 3 strings; half of
// them to 100 hot keys of 10 000) into the right side of an inner join
// whose left side holds an auction row on each of the first auctions keys
// (cond, when set, is the join's condition; the pairs have room for a
// Calc of 12 columns). unique: the join's unique mode (uniqueLeft: the
// auctions' side), without its cache of unique rows when noCache.
func benchRegularJoin(b *testing.B, auctions int, cond func(*table.Row) (bool, error), unique int, noCache bool) {
	bt := []table.Type{table.BigIntType(), table.BigIntType(), table.BigIntType(), table.StringType(), table.StringType(), table.BigIntType(), table.StringType()}
	at := []table.Type{table.BigIntType(), table.StringType(), table.BigIntType()}
	key := func(r table.Row) string { return r.Fields[0].String() }
	backend := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
	out := &countOut{}
	fn := &regularJoinFn{lc: table.NewRowCodecTypes(at...), rc: table.NewRowCodecTypes(bt...), nl: 3, nr: 7, outCap: 12, cond: cond, unique: unique}
	kp := &operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]{Key1: key, Key2: key, KeyCodec: codec.For[string](),
		Fn: fn, Out: out}
	rt := &operator.Runtime{Ctx: context.Background(), Name: "join", Parallelism: 1, MaxParallelism: base.DefaultMaxParallelism,
		KeyGroups: backend.KeyGroups(), Clock: base.NewManualClock(time.UnixMilli(0)), State: backend, Metrics: &operator.Metrics{}}
	if err := kp.Open(rt); err != nil {
		b.Fatal(err)
	}
	if noCache {
		fn.ucache = nil
	}
	in1, in2 := kp.Input1(), kp.Input2()
	for k := range auctions {
		in1.Collect(0, table.NewRow(table.Int(int64(k)), table.Str("item"), table.Int(10)))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	url := strings.Repeat("u", 90)
	letters := strings.Repeat("abcdefghijklmnopqrstuvwxyz", 100)
	rows := make([]table.Row, 4096)
	for i := range rows {
		k := int64(rng.IntN(10000))
		if rng.IntN(2) == 0 {
			k = int64(rng.IntN(100))
		}
		off := rng.IntN(len(letters) - 70)
		rows[i] = table.NewRow(table.Int(k), table.Int(int64(i)), table.Int(int64(i*3)), table.Str("channel-1"), table.Str(url), table.Int(int64(i)), table.Str(letters[off:off+67]))
	}
	b.ResetTimer()
	for i := range b.N {
		in2.Collect(int64(i), rows[i%len(rows)])
	}
}

// BenchmarkRegularJoinStore: q20's join, almost every bid stored and
// unpaired.
func BenchmarkRegularJoinStore(b *testing.B) { benchRegularJoin(b, 100, nil, uniqueNone, false) }

// BenchmarkRegularJoinPairs: q4's and q9's, every bid stored and paired
// with its auction, a condition rejecting one pair in 8.
func BenchmarkRegularJoinPairs(b *testing.B) {
	benchRegularJoin(b, 10000, func(r *table.Row) (bool, error) { return r.Fields[4].AsInt()%8 != 0, nil }, uniqueNone, false)
}

// BenchmarkRegularJoinUnique: BenchmarkRegularJoinPairs in the unique mode
// (the auctions unique: no bid stored), with the cache of unique rows by
// key and without it (NoCache: the state read, the row's bytes looked up
// in the decode cache).
func BenchmarkRegularJoinUnique(b *testing.B) {
	cond := func(r *table.Row) (bool, error) { return r.Fields[4].AsInt()%8 != 0, nil }
	b.Run("cache", func(b *testing.B) { benchRegularJoin(b, 10000, cond, uniqueLeft, false) })
	b.Run("nocache", func(b *testing.B) { benchRegularJoin(b, 10000, cond, uniqueLeft, true) })
}
