package planner

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/table"
)

// BenchmarkPreAdd: the mini-batch pre-aggregation's add of one row (q17's
// calls: COUNT(*) with and without FILTER, COUNT, MIN, MAX, AVG, SUM) to
// its key's accumulators, 1000 keys, a bundle ended every 50,000 rows:
// through the calls' ops (addOps) and each call looked up per row.
func BenchmarkPreAdd(b *testing.B) {
	bi := []table.Type{table.BigIntType()}
	var aggs []AggCall
	for _, c := range []struct {
		name   string
		args   []int
		filter int
	}{{"COUNT", nil, -1}, {"COUNT", nil, 2}, {"COUNT", nil, 3}, {"COUNT", []int{1}, 3},
		{"MIN", []int{1}, -1}, {"MAX", []int{1}, -1}, {"AVG", []int{1}, -1}, {"SUM", []int{1}, -1}} {
		var at []table.Type
		if len(c.args) > 0 {
			at = bi
		}
		f, err := expr.NewAggregate(c.name, at)
		if err != nil {
			b.Fatal(err)
		}
		aggs = append(aggs, AggCall{F: f, Args: c.args, Filter: c.filter, Text: c.name})
	}
	g := newGroupAccs(nil, aggs, table.BigIntType().NotNull())
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([]table.Row, 4096)
	for i := range rows {
		p := rng.Int64N(2_000_000)
		rows[i] = table.NewRow(table.Int(int64(rng.IntN(1000))), table.Int(p), table.Bool(p < 10000), table.Bool(p >= 1000000))
	}
	for _, byCall := range []bool{false, true} {
		name := "ops"
		if byCall {
			name = "addFast" // each call looked up per row (groupAccs.addFast)
		}
		b.Run(name, func(b *testing.B) {
			x := &GroupAgg{Keys: []int{0}, Aggs: aggs, MiniBatch: miniBatch{Latency: time.Hour, Size: 50000}}
			m := newMiniBatchGroupAgg(g, x, nil)
			m.setPreAgg(true)
			a := m.a
			idx := make([]int, 1000) // key -> index in the bundle + 1
			b.ReportAllocs()
			for i := range b.N {
				r := rows[i%len(rows)]
				k := int(r.Fields[0].AsInt())
				j := idx[k] - 1
				fresh := j < 0
				if fresh {
					j = len(m.bundle)
					idx[k] = j + 1
					m.bundle = append(m.bundle, mbKey{})
				}
				if !byCall {
					m.preAdd(&m.bundle[j], j, fresh, r)
				} else {
					// preAdd as it was before the ops.
					w := m.w
					if fresh {
						m.slab = append(m.slab[:j*w], make([]table.Value, w)...)
						a.initTo(m.slab[j*w : j*w+len(a.types)])
					}
					acc := m.slab[j*w : (j+1)*w]
					for c, ci := range m.g.plain {
						if f := a.aggs[ci].Filter; f < 0 || r.Fields[f].AsBool() {
							m.g.addFast(c, acc, r)
						}
					}
					kv := acc[len(a.types):]
					for c, k := range m.keys {
						kv[c] = r.Fields[k]
					}
				}
				if m.rows++; m.rows == 50000 {
					m.rows = 0
					m.bundle = m.bundle[:0]
					m.slab = m.slab[:0]
					clear(idx)
				}
			}
		})
	}
}
