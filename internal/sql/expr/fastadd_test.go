package expr

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

// TestFastAddMatchesAdd applies random rows (NULLs, extremes that wrap,
// values of another kind than the column's) to accumulators through
// FastAdd and through Add, and checks that both give the same accumulator
// bytes after every row.
func TestFastAddMatchesAdd(t *testing.T) {
	type fn struct {
		name string
		args []table.Type
	}
	fns := []fn{
		{"COUNT", nil}, {"COUNT", []table.Type{table.BigIntType()}}, {"COUNT", []table.Type{table.StringType()}},
		{"SUM", []table.Type{table.BigIntType()}}, {"SUM", []table.Type{table.IntType()}}, {"SUM", []table.Type{table.TinyIntType()}},
		{"SUM0", []table.Type{table.BigIntType()}}, {"AVG", []table.Type{table.BigIntType()}}, {"AVG", []table.Type{table.SmallIntType()}},
		{"MIN", []table.Type{table.BigIntType()}}, {"MAX", []table.Type{table.BigIntType()}},
		{"MIN", []table.Type{table.StringType()}}, {"MAX", []table.Type{table.DoubleType()}},
		{"MAX", []table.Type{table.IntType()}}, {"MIN", []table.Type{table.TimestampType(3)}},
	}
	rng := rand.New(rand.NewPCG(17, 1))
	value := func(ty table.Type) table.Value {
		if rng.IntN(6) == 0 {
			return table.Null
		}
		switch {
		case ty.IsInteger():
			switch rng.IntN(8) {
			case 0:
				return table.Int(math.MaxInt64 - int64(rng.IntN(3)))
			case 1:
				return table.Int(math.MinInt64 + int64(rng.IntN(3)))
			}
			return table.Int(rng.Int64N(2_000_000) - 1_000_000)
		case ty.Root() == table.RootDouble:
			return table.Float(rng.NormFloat64())
		case ty.Root() == table.RootTimestamp:
			return table.Timestamp(rng.Int64N(1<<40), int32(rng.IntN(3))*1000)
		}
		return table.Str(string(rune('a' + rng.IntN(26))))
	}
	fast := 0
	for _, f := range fns {
		agg, err := NewAggregate(f.name, f.args)
		if err != nil {
			t.Fatal(err)
		}
		add := FastAdd(agg, len(f.args))
		if add == nil {
			continue
		}
		fast++
		codec := table.NewRowCodecTypes(agg.AccTypes()...)
		for trial := range 20 {
			a, b := make([]table.Value, len(agg.AccTypes())), make([]table.Value, len(agg.AccTypes()))
			agg.Init(a)
			agg.Init(b)
			for i := range 50 {
				var args []table.Value
				var x table.Value
				if len(f.args) == 1 {
					x = value(f.args[0])
					args = []table.Value{x}
				}
				if err := agg.Add(a, args); err != nil {
					t.Fatal(err)
				}
				add(b, x)
				ea, err := codec.AppendRow(nil, table.Row{Fields: a})
				if err != nil {
					t.Fatal(err)
				}
				eb, err := codec.AppendRow(nil, table.Row{Fields: b})
				if err != nil {
					t.Fatal(err)
				}
				if string(ea) != string(eb) {
					t.Fatalf("%s%v trial %d row %d: Add %v, FastAdd %v", f.name, f.args, trial, i, a, b)
				}
				ra, _ := agg.Result(a)
				rb, _ := agg.Result(b)
				if !ra.Equal(rb) || ra.Kind() != rb.Kind() {
					t.Fatalf("%s%v: results %v and %v", f.name, f.args, ra, rb)
				}
			}
		}
	}
	if fast < 12 {
		t.Fatalf("FastAdd covers %d of the functions, want at least 12", fast)
	}
}
