package planner

import (
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

// BenchmarkIntKeyOf is the key function of one BIGINT column: hits (64
// keys, again and again), 64 keys 1024 apart (equal low bits), and keys
// drawn at random from 100k (mostly misses).
func BenchmarkIntKeyOf(b *testing.B) {
	typ := table.BigIntType()
	c := table.NewRowCodecTypes(typ)
	slow := func(r table.Row) string {
		bs, _ := c.AppendRow(nil, table.Row{Fields: r.Fields[:1]})
		return string(bs)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, bc := range []struct {
		name string
		key  func(i int) int64
	}{
		{"hits", func(i int) int64 { return 1000 + int64(i%64) }},
		{"stride1024", func(i int) int64 { return 1000*1024 + int64(i%64)*1024 }},
		{"random100k", func(int) int64 { return 1000 + rnd.Int64N(100000) }},
	} {
		rows := make([]table.Row, 4096)
		for i := range rows {
			rows[i] = table.NewRow(table.Int(bc.key(i)))
		}
		b.Run(bc.name, func(b *testing.B) {
			fast := fastKeyOf([]table.Type{typ}, []int{0}, slow)
			var sink string
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				sink = fast(rows[i%len(rows)])
			}
			_ = sink
		})
	}
}
