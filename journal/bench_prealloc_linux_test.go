//go:build linux && (amd64 || arm64)

package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkDurableWrite compares ways of making one small write durable on
// this machine's filesystem, with no journal around them (like
// BenchmarkFsyncFloor): b.N writes per way, each followed by its sync. The
// ways take turns every 25 writes, each with its own file open at once, so
// that a change of the shared disk's latency during the run falls on all
// of them alike. Per way it reports the mean (<way>-us/w) and the median
// (<way>-p50-us) of the time of one write and its sync, in µs.
//
//   - append-fsync: write at the end of the file (it grows) and fsync: what
//     the journal (Durable) and JetStream (sync_interval: always) do;
//   - append-fdatasync: the same with fdatasync;
//   - zerofill-fdatasync, zerofill-fsync: the file was first filled with
//     zeros to its final size and fsynced; each write overwrites the next
//     bytes inside it (pwrite), so the file's size does not change;
//   - fallocate-fdatasync: the file was first given its final size with
//     fallocate(2) (unwritten extents, no zeros written) and fsynced.
//
// The sub-benchmark batch=137B writes the 100-byte record's batch (as the
// floor does: about 30 writes share a 4 KiB block); 4KiB writes whole
// blocks, each a fresh one, so that an overwrite of fallocated space always
// turns an unwritten extent into a written one.
func BenchmarkDurableWrite(b *testing.B) {
	small := len(encodeBatch(nil, []Record{{Value: make([]byte, 100), Timestamp: 1}}))
	for _, size := range []int{small, 4096} {
		name := fmt.Sprintf("batch=%dB", size)
		if size == 4096 {
			name = "batch=4KiB"
		}
		b.Run(name, func(b *testing.B) { benchDurableWrite(b, size) })
	}
}

func benchDurableWrite(b *testing.B, size int) {
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = 'x'
	}
	final := int64((b.N*size)/4096+1) * 4096
	sync := func(f *os.File) {
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	datasync := func(f *os.File) {
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
	}
	zerofill := func(f *os.File) {
		if _, err := f.WriteAt(make([]byte, final), 0); err != nil {
			b.Fatal(err)
		}
		sync(f)
	}
	fallocate := func(f *os.File) {
		if err := syscall.Fallocate(int(f.Fd()), 0, 0, final); err != nil {
			b.Skip("fallocate:", err)
		}
		sync(f)
	}
	appendW := func(f *os.File, i int) {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	overwrite := func(f *os.File, i int) {
		if _, err := f.WriteAt(buf, int64(i)*int64(size)); err != nil {
			b.Fatal(err)
		}
	}
	ways := []struct {
		name  string
		setup func(*os.File)
		write func(*os.File, int)
		sync  func(*os.File)
	}{
		{"append-fsync", nil, appendW, sync},
		{"append-fdatasync", nil, appendW, datasync},
		{"zerofill-fdatasync", zerofill, overwrite, datasync},
		{"zerofill-fsync", zerofill, overwrite, sync},
		{"fallocate-fdatasync", fallocate, overwrite, datasync},
	}
	dir := b.TempDir()
	files := make([]*os.File, len(ways))
	for k, w := range ways {
		f, err := os.OpenFile(filepath.Join(dir, w.name), os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if w.setup != nil {
			w.setup(f)
		}
		files[k] = f
	}
	lat := make([][]time.Duration, len(ways))
	b.ResetTimer()
	const turn = 25
	for i := 0; i < b.N; i += turn {
		for k, w := range ways {
			for j := i; j < min(i+turn, b.N); j++ {
				t := time.Now()
				w.write(files[k], j)
				w.sync(files[k])
				lat[k] = append(lat[k], time.Since(t))
			}
		}
	}
	b.StopTimer()
	for k, w := range ways {
		var sum time.Duration
		for _, d := range lat[k] {
			sum += d
		}
		slices.Sort(lat[k])
		b.ReportMetric(float64(sum.Microseconds())/float64(len(lat[k])), w.name+"-us/w")
		b.ReportMetric(float64(lat[k][len(lat[k])/2].Microseconds()), w.name+"-p50-us")
	}
	b.ReportMetric(0, "ns/op") // the op is five writes of different kinds: its time says nothing
}
