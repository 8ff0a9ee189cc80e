package journal

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// Benchmarks on the operating system's filesystem (b.TempDir) with
// 100-byte records, one record per Append: the worst case for the append
// path, as every record is its own batch. records/s is reported.

func benchJournal(b *testing.B, d Durability) *Journal {
	b.Helper()
	j, err := Open(b.TempDir(), Options{FS: vfs.OS{}, Durability: d, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RetentionCheck: -1})
	if err != nil {
		b.Fatal(err)
	}
	if err := j.CreateTopic("t", 1); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = j.Close() })
	return j
}

func benchAppend(b *testing.B, d Durability, producers int) {
	j := benchJournal(b, d)
	val := make([]byte, 100)
	ctx := context.Background()
	b.SetBytes(100)
	b.ResetTimer()
	var wg sync.WaitGroup
	for p := range producers {
		n := b.N / producers
		if p < b.N%producers {
			n++
		}
		wg.Go(func() {
			for range n {
				if _, err := j.Append(ctx, "t", 0, Record{Value: val, Timestamp: 1}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkAppendDurable1(b *testing.B) { benchAppend(b, Durable, 1) }
func BenchmarkAppendDurable8(b *testing.B) { benchAppend(b, Durable, 8) }
func BenchmarkAppendRelaxed1(b *testing.B) { benchAppend(b, Relaxed, 1) }

// BenchmarkConsume reads 100-byte records sequentially (1 MiB per read)
// from a partition written in batches of 100 records.
func BenchmarkConsume(b *testing.B) {
	j := benchJournal(b, Relaxed)
	const total = 200_000
	recs := make([]Record, 100)
	for i := range recs {
		recs[i] = Record{Value: make([]byte, 100), Timestamp: 1}
	}
	for range total / len(recs) {
		if _, err := j.Append(context.Background(), "t", 0, recs...); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	b.SetBytes(100)
	b.ResetTimer()
	off := int64(0)
	for n := 0; n < b.N; {
		ms, err := j.Read(ctx, "t", 0, off, ReadOptions{MaxBytes: 1 << 20, MaxRecords: b.N - n})
		if err != nil {
			b.Fatal(err)
		}
		n += len(ms)
		off = ms[len(ms)-1].Offset + 1
		if off == total {
			off = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkConsumeScan is BenchmarkConsume through Scan (reused buffers).
func BenchmarkConsumeScan(b *testing.B) {
	j := benchJournal(b, Relaxed)
	const total = 200_000
	recs := make([]Record, 100)
	for i := range recs {
		recs[i] = Record{Value: make([]byte, 100), Timestamp: 1}
	}
	for range total / len(recs) {
		if _, err := j.Append(context.Background(), "t", 0, recs...); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	b.SetBytes(100)
	b.ResetTimer()
	off := int64(0)
	sum := 0
	for n := 0; n < b.N; {
		next, err := j.Scan(ctx, "t", 0, off, ReadOptions{MaxBytes: 1 << 20, MaxRecords: b.N - n}, func(m *Message) error {
			sum += len(m.Value)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		n += int(next - off)
		off = next
		if off == total {
			off = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRecoverScan reopens a partition whose 64 MiB active segment has
// no clean-shutdown marker, so Open scans and checks every batch (the file
// is in the page cache: this is the CPU side of recovery, not the disk).
func BenchmarkRecoverScan(b *testing.B) {
	dir := b.TempDir()
	o := Options{FS: vfs.OS{}, Durability: Relaxed, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RetentionCheck: -1, SegmentBytes: 1 << 30}
	j, err := Open(dir, o)
	if err != nil {
		b.Fatal(err)
	}
	if err := j.CreateTopic("t", 1); err != nil {
		b.Fatal(err)
	}
	recs := make([]Record, 1000)
	for i := range recs {
		recs[i] = Record{Value: make([]byte, 100), Timestamp: 1}
	}
	const size = 64 << 20
	for written := 0; written < size; written += len(recs) * 104 {
		if _, err := j.Append(context.Background(), "t", 0, recs...); err != nil {
			b.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		if err := os.Remove(filepath.Join(dir, "topics", "t", "0", cleanFile)); err != nil {
			b.Fatal(err)
		}
		j, err := Open(dir, o)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := j.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
