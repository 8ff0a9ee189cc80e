package file

import (
	"context"
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
	"github.com/stromio/strom/table"
)

// q10Context is the table of Nexmark q10's sink (internal/nexmark/sql/q10.sql)
// writing into dir.
func q10Context(dir string) connector.TableContext {
	return connector.TableContext{Name: "nexmark_q10", Schema: table.Schema{Columns: []table.Column{
		{Name: "auction", Type: table.BigIntType()},
		{Name: "bidder", Type: table.BigIntType()},
		{Name: "price", Type: table.BigIntType()},
		{Name: "dateTime", Type: table.TimestampType(3)},
		{Name: "extra", Type: table.StringType()},
		{Name: "dt", Type: table.StringType()},
		{Name: "hm", Type: table.StringType()},
	}}, PartitionKeys: []string{"dt", "hm"}, Options: map[string]string{
		"path":                              "file://" + dir,
		"format":                            "csv",
		"sink.partition-commit.trigger":     "partition-time",
		"sink.partition-commit.delay":       "1 min",
		"sink.partition-commit.policy.kind": "success-file",
		"partition.time-extractor.timestamp-pattern": "$dt $hm:00",
		"sink.rolling-policy.rollover-interval":      "1min",
		"sink.rolling-policy.check-interval":         "1min",
	}}
}

// q10Rows are n rows shaped as q10's: a millisecond clock from 2015-07-15
// advancing by 0 to step-1 per row,
// an extra of 60-76 letters, dt and hm of the row's minute (one string per
// minute, as DATE_FORMAT's cache returns them).
func q10Rows(n, step int) []table.Row {
	const letters = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
	r := rand.New(rand.NewPCG(1, 2))
	ts := time.Date(2015, 7, 15, 0, 0, 0, 0, time.UTC).UnixMilli()
	rows := make([]table.Row, n)
	var dt, hm string
	var minute int64 = -1
	for i := range rows {
		ts += int64(r.IntN(step))
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

// encodeOnly hides all but the Encode method of an encoder (no per-writer
// encoders).
type encodeOnly struct{ e format.Encoder[table.Row] }

func (e encodeOnly) Encode(r table.Row, dst []byte) ([]byte, error) { return e.e.Encode(r, dst) }

// generalQ10Sink is the q10 table sink without its per-writer encoder and
// partition cache: every row's path built, rows encoded by the shared encoder.
func generalQ10Sink(tb testing.TB, dir string) connector.Sink[table.Row] {
	tc := q10Context(dir)
	s, err := FilesystemTableFactory().TableSink(context.Background(), tc, false)
	if err != nil {
		tb.Fatal(err)
	}
	o := s.(*TransactionalSink[table.Row]).Options()
	o.NewPartition = nil
	o.Partition = partitionFunc(tc.Schema, []int{5, 6})
	o.Encoder = encodeOnly{o.Encoder}
	g, err := NewTransactionalSink(o)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// BenchmarkTableSinkQ10 writes q10's rows through the 'filesystem' table
// sink (CSV, partitioned by dt and hm), without PreCommit's fsync: "general"
// without the per-writer encoder and partition cache, "writer" as built.
func BenchmarkTableSinkQ10(b *testing.B) {
	rows := q10Rows(1<<12, 3)
	for _, name := range []string{"general", "writer"} {
		b.Run(name, func(b *testing.B) {
			var s connector.Sink[table.Row]
			if name == "general" {
				s = generalQ10Sink(b, b.TempDir())
			} else {
				var err error
				if s, err = FilesystemTableFactory().TableSink(context.Background(), q10Context(b.TempDir()), false); err != nil {
					b.Fatal(err)
				}
			}
			w, err := s.Open(context.Background(), connector.SinkInfo{})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			b.ReportAllocs()
			i := 0
			cpu0 := cpuNanos()
			for b.Loop() {
				if err := w.Write(rows[i&(len(rows)-1)], 0); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
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

// BenchmarkTableSinkBuffer writes q10's rows through the table sink with
// part files buffering 64 KiB (the TransactionalSink's default) and 256
// KiB (the table sink's) and 1 MiB: the CPU of the write calls per row.
func BenchmarkTableSinkBuffer(b *testing.B) {
	rows := q10Rows(1<<12, 3)
	for _, kb := range []int{64, 256, 1024} {
		b.Run(strconv.Itoa(kb)+"KiB", func(b *testing.B) {
			s0, err := FilesystemTableFactory().TableSink(context.Background(), q10Context(b.TempDir()), false)
			if err != nil {
				b.Fatal(err)
			}
			o := s0.(*TransactionalSink[table.Row]).Options()
			o.BufferBytes = kb << 10
			s, err := NewTransactionalSink(o)
			if err != nil {
				b.Fatal(err)
			}
			w, err := s.Open(context.Background(), connector.SinkInfo{})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			i := 0
			cpu0 := cpuNanos()
			for b.Loop() {
				if err := w.Write(rows[i&(len(rows)-1)], 0); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
