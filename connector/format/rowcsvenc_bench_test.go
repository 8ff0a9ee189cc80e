package format

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/stromio/strom/table"
)

// q10Pool is a pool of 1 MiB of letters, as the Nexmark generator's.
var q10Pool = func() string {
	r := rand.New(rand.NewPCG(3, 4))
	pool := make([]byte, 1<<20)
	for i := range pool {
		pool[i] = byte('a' + r.IntN(26))
	}
	return string(pool)
}()

// q10Extras are n strings of 60-76 letters at random offsets of q10Pool,
// as the generator's extra.
func q10Extras(n int) []string {
	r := rand.New(rand.NewPCG(5, 6))
	s := make([]string, n)
	for i := range s {
		l := 60 + r.IntN(17)
		off := r.IntN(len(q10Pool) - l)
		s[i] = q10Pool[off : off+l]
	}
	return s
}

// q10EncRows are n rows shaped as Nexmark q10's sink rows (auction, bidder,
// price, dateTime, extra, dt, hm): a millisecond clock advancing by 0-2 per
// row, an extra of 60-76 letters of q10Pool, dt and hm one string per
// minute.
func q10EncRows(n int) []table.Row {
	r := rand.New(rand.NewPCG(1, 2))
	letters := q10Pool
	ts := time.Date(2015, 7, 15, 0, 0, 0, 0, time.UTC).UnixMilli()
	rows := make([]table.Row, n)
	var dt, hm string
	var minute int64 = -1
	for i := range rows {
		ts += int64(r.IntN(3))
		if m := ts / 60000; m != minute {
			minute = m
			t := time.UnixMilli(ts).UTC()
			dt, hm = t.Format("2006-01-02"), t.Format("15:04")
		}
		l := 60 + r.IntN(17)
		off := r.IntN(len(letters) - l)
		rows[i] = table.NewRow(table.Int(1000+r.Int64N(10000)), table.Int(1000+r.Int64N(100000)), table.Int(r.Int64N(10_000_000)),
			table.TimestampMillis(ts), table.Str(letters[off:off+l]), table.Str(dt), table.Str(hm))
	}
	return rows
}

// BenchmarkCSVRowEncoderQ10 encodes q10's rows with the per-writer encoder
// of the table sink (its partition columns narrowed away), into a buffer
// emptied every 64 KiB as the file sink's. The rows (256) stay in the
// cache; each takes the next of 64 Ki extras spread over the 1 MiB pool,
// as the generator's are (the pool is not all in the cache).
func BenchmarkCSVRowEncoderQ10(b *testing.B) {
	s := table.Schema{Columns: []table.Column{
		{Name: "auction", Type: table.BigIntType()},
		{Name: "bidder", Type: table.BigIntType()},
		{Name: "price", Type: table.BigIntType()},
		{Name: "dateTime", Type: table.TimestampType(3)},
		{Name: "extra", Type: table.StringType()},
	}}
	wide := table.Schema{Columns: append(append([]table.Column(nil), s.Columns...),
		table.Column{Name: "dt", Type: table.StringType(), Computed: "(partition)"},
		table.Column{Name: "hm", Type: table.StringType(), Computed: "(partition)"})}
	f, err := RowCSV(s, RowCSVOptions{})
	if err != nil {
		b.Fatal(err)
	}
	e := NarrowEncoder(f, wide).(PerWriterEncoder[table.Row]).NewEncoder()
	rows, extras := q10EncRows(256), q10Extras(1<<16)
	buf := make([]byte, 0, 64<<10+256)
	b.ReportAllocs()
	i := 0
	cpu0 := cpuNanos()
	for b.Loop() {
		row := rows[i&(len(rows)-1)]
		row.Fields[4] = table.Str(extras[i&(len(extras)-1)])
		if buf, err = e.Encode(row, buf); err != nil {
			b.Fatal(err)
		}
		buf = append(buf, '\n')
		if len(buf) >= 64<<10 {
			buf = buf[:0]
		}
		i++
	}
	b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkCSVPlain: the quoting test over q10's extras (60-76 letters):
// "pool" spread over the 1 MiB pool, "hot" 64 of them, in the cache.
func BenchmarkCSVPlain(b *testing.B) {
	for _, name := range []string{"pool", "hot"} {
		b.Run(name, func(b *testing.B) {
			extras := q10Extras(1 << 16)
			if name == "hot" {
				extras = extras[:64]
			}
			i, n := 0, 0
			cpu0 := cpuNanos()
			for b.Loop() {
				if csvPlain(extras[i&(len(extras)-1)], ',') {
					n++
				}
				i++
			}
			b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
			if n == 0 {
				b.Fatal("no plain field")
			}
		})
	}
}

// cpuNanos is the process's CPU time (user + system): on a shared machine
// it moves less than the wall time of ns/op.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
