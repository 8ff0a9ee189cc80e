package journal

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

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

// BenchmarkFsyncFloor is the disk's floor under AppendDurable1: the same
// bytes that one 100-byte record's batch is, appended to a file and
// fsynced, one after another, with no journal around them (vfs.OS, like
// the journal's benchmarks). A durable Append with one record in flight
// cannot beat it.
func BenchmarkFsyncFloor(b *testing.B) {
	f, err := vfs.OS{}.OpenAppend(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	batch := encodeBatch(nil, []Record{{Value: make([]byte, 100), Timestamp: 1}})
	b.SetBytes(100)
	b.ResetTimer()
	for range b.N {
		if _, err := f.Write(batch); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkFsyncFloorHandoff is BenchmarkFsyncFloor with the journal's
// hand-off around each write and fsync: the benchmark's goroutine sends the
// request on a channel to a writer goroutine, which writes, fsyncs and
// answers on a buffered channel the requester waits on, as Append and the
// partition's writer do. Against the floor, it shows what the two
// goroutine wake-ups per record cost on this machine, with no journal.
func BenchmarkFsyncFloorHandoff(b *testing.B) {
	f, err := vfs.OS{}.OpenAppend(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	batch := encodeBatch(nil, []Record{{Value: make([]byte, 100), Timestamp: 1}})
	reqs := make(chan chan error)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for res := range reqs {
			_, err := f.Write(batch)
			if err == nil {
				err = f.Sync()
			}
			res <- err
		}
	}()
	b.SetBytes(100)
	b.ResetTimer()
	for range b.N {
		res := make(chan error, 1)
		reqs <- res
		if err := <-res; err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(reqs)
	<-done
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkAppendDurable8(b *testing.B) { benchAppend(b, Durable, 8) }

// pipeWindow is how many one-record appends the pipelined benchmarks keep
// in flight (the same window scripts/journal-bench.sh gives JetStream's
// PublishAsync and Redis's pipelining).
const pipeWindow = 256

// benchAppendPipelined is one producer with pipeWindow one-record
// AppendAsync calls in flight: it waits for the oldest ack only when the
// window is full. In Durable mode a record counts once its group's fsync
// has returned.
func benchAppendPipelined(b *testing.B, d Durability) {
	j := benchJournal(b, d)
	val := make([]byte, 100)
	ctx := context.Background()
	b.SetBytes(100)
	b.ResetTimer()
	ring := make([]*PendingAppend, 0, pipeWindow)
	head := 0
	for range b.N {
		if len(ring) == pipeWindow {
			if _, err := ring[head].Wait(ctx); err != nil {
				b.Fatal(err)
			}
			a, err := j.AppendAsync(ctx, "t", 0, Record{Value: val, Timestamp: 1})
			if err != nil {
				b.Fatal(err)
			}
			ring[head] = a
			head = (head + 1) % pipeWindow
			continue
		}
		a, err := j.AppendAsync(ctx, "t", 0, Record{Value: val, Timestamp: 1})
		if err != nil {
			b.Fatal(err)
		}
		ring = append(ring, a)
	}
	for k := range ring {
		if _, err := ring[(head+k)%len(ring)].Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkAppendDurablePipelined1(b *testing.B) { benchAppendPipelined(b, Durable) }
func BenchmarkAppendRelaxedPipelined1(b *testing.B) { benchAppendPipelined(b, Relaxed) }
func BenchmarkAppendRelaxed1(b *testing.B)          { benchAppend(b, Relaxed, 1) }
func BenchmarkAppendRelaxed8(b *testing.B)          { benchAppend(b, Relaxed, 8) }

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

// BenchmarkRecover1GiB is the recovery figure: 1 GiB of 100-byte
// records written in Relaxed mode (no fsync while writing: SyncInterval is
// an hour) into one active segment, the clean-shutdown marker removed, and
// Open timed, which scans and checks every batch. "warm": the segment was
// just written and is read from the page cache (the CPU side of recovery).
// "evicted": before each Open the partition's files are dropped from the
// page cache (fadvise DONTNEED on those files only; Close fsynced them, so
// their pages are clean), so Open reads them from the disk, as after a
// reboot; on this VM the host may still cache the virtual disk. Run it with
// -benchtime 1x: the setup writes 1 GiB.
func BenchmarkRecover1GiB(b *testing.B) {
	dir := b.TempDir()
	o := Options{FS: vfs.OS{}, Durability: Relaxed, SyncInterval: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RetentionCheck: -1, SegmentBytes: 2 << 30}
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
	const size = 1 << 30
	for written := 0; written < size; written += len(recs) * 104 {
		if _, err := j.Append(context.Background(), "t", 0, recs...); err != nil {
			b.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	part := filepath.Join(dir, "topics", "t", "0")
	for _, evict := range []bool{false, true} {
		name := "warm"
		if evict {
			name = "evicted"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if err := os.Remove(filepath.Join(part, cleanFile)); err != nil {
					b.Fatal(err)
				}
				if evict {
					dropCache(b, part)
				}
				b.StartTimer()
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
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/open")
		})
	}
	// The disk's side alone: the segment evicted, then read front to back
	// the way scan reads it (sequential advice, 1 MiB at a time) with no
	// checks. Open from a cold disk cannot beat it. Run it in a process of
	// its own (-bench 'Recover1GiB/evicted-read$') for the file's first
	// read: a second read of the same file may come from the VM host's
	// cache.
	b.Run("evicted-read", func(b *testing.B) {
		b.SetBytes(size)
		log := segName(part, 0, ".log")
		buf := make([]byte, 1<<20)
		for range b.N {
			b.StopTimer()
			dropCache(b, part)
			f, err := o.FS.Open(log)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			_ = adviseSequential(f)
			for pos := int64(0); ; pos += int64(len(buf)) {
				n, err := f.ReadAt(buf, pos)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				if n < len(buf) {
					b.Fatalf("short read at %d: %d bytes", pos, n)
				}
			}
			b.StopTimer()
			_ = f.Close()
			b.StartTimer()
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/read")
	})
}
