package cluster

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/internal/task"
	"github.com/stromio/strom/internal/vfs"
)

// BenchmarkRestore1GiB measures a checkpoint of about 1 GiB of keyed state
// (value state: 1 M keys of 8 bytes with 1 KiB values, over 128 key groups,
// one heap backend) and its restore, through the functions a job uses:
//
//	write:   per key group state.AppendGroup + task.KeyedChunk (the
//	         subtask's synchronous snapshot), checkpoint.EncodeKeyed and
//	         Local.WriteFile (temporary file, fsync, rename: the upload),
//	         then the metadata (Local.CommitMetadata)
//	restore: Local.LoadLatest (metadata), Local.ReadFile with the size and
//	         CRC-32C of the metadata, checkpoint.DecodeKeyed (frame, index
//	         and per-group CRCs), per key group task.SplitKeyedChunk +
//	         state.RestoreGroup into an empty heap backend
//
// The timed loop is the restore; the write is timed once and reported as
// write-s (snapshot-s of it the synchronous part); size-MiB is the keyed
// file; the *-cpu-s figures are the process's CPU seconds (getrusage) in
// the same spans, which a loaded machine inflates less than wall time. The file is read back from the page
// cache (it was just written): restore-s is CPU and memory bound, not disk.
// STROM_RESTORE_BYTES sets another state size; the checkpoint goes into
// STROM_RESTORE_DIR (default: the test's temporary directory).
//
// STROM_RESTORE_DELTAS=n (default 0) makes the restored checkpoint a chain:
// the full file above as its base, then n checkpoints each of which
// overwrites STROM_RESTORE_TURNOVER per mille of the keys (default 10, 1 %;
// random keys, a new value each) and writes a delta file as the uploader
// does (Heap.SnapshotIncremental, HeapSnapshot.AppendDelta + KeyedChunk per
// changed key group, EncodeKeyed, WriteFile into its own chk-<id>); the
// metadata of the last one lists the chain. The restore then reads every
// link (coordinator.restore) and applies them in order as a subtask does;
// read-MiB is the bytes of the files it reads (base + deltas). The write
// figures stay those of the base.
//
// STROM_RESTORE_COLD=1 evicts the checkpoint's files from the page cache
// (posix_fadvise DONTNEED; they are synced) before every restore, so that
// it reads them from the device: the restore of files written with direct
// I/O (the default for a job's state files: checkpoint.Local.
// SetBufferedWrites), or after the machine restarted.
//
//	go test -run '^$' -bench Restore1GiB -benchtime 3x ./internal/cluster
//	STROM_RESTORE_COLD=1 go test -run '^$' -bench Restore1GiB -benchtime 3x ./internal/cluster
//	STROM_RESTORE_DELTAS=64 go test -run '^$' -bench Restore1GiB -benchtime 3x ./internal/cluster
func BenchmarkRestore1GiB(b *testing.B) {
	total := int64(1 << 30)
	if s := os.Getenv("STROM_RESTORE_BYTES"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1<<20 {
			b.Fatalf("STROM_RESTORE_BYTES=%q: want a number of bytes >= 1 MiB", s)
		}
		total = n
	}
	deltas, turnover := envInt(b, "STROM_RESTORE_DELTAS", 0, 0, checkpoint.MaxDeltas), envInt(b, "STROM_RESTORE_TURNOVER", 10, 1, 1000)
	dir := os.Getenv("STROM_RESTORE_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else {
		var err error
		if dir, err = os.MkdirTemp(dir, "restore-bench-"); err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
	}
	const (
		valueSize = 1024
		table     = "value"
		uid       = "op"
		fileName  = "op-0.state"
	)
	kgs := base.KeyGroupRange{Start: 0, End: 128}
	keys := int(total / (valueSize + 8))
	ctx := context.Background()

	// Build the state (not timed).
	h := state.NewHeap(kgs)
	t := h.Table(table)
	key, val := make([]byte, 8), make([]byte, valueSize)
	for i := range keys {
		binary.BigEndian.PutUint64(key, uint64(i))
		binary.BigEndian.PutUint64(val, uint64(i)) // each value tells its key
		t.Put(i%kgs.Len(), key, nil, val)
	}
	stateBytes := h.SizeBytes()

	// Checkpoint it, timed once.
	st := checkpoint.NewLocal(vfs.OS{}, dir)
	writeStart, writeCPU := time.Now(), cpuTime()
	groups := map[int][]byte{}
	var scratch []byte
	for kg := kgs.Start; kg < kgs.End; kg++ {
		scratch = state.AppendGroup(scratch[:0], h, kg)
		groups[kg] = task.KeyedChunk(scratch, nil)
	}
	snapshotDur := time.Since(writeStart)
	data := checkpoint.EncodeKeyed(kgs.Start, kgs.End, groups)
	groups, scratch = nil, nil
	sum, err := st.WriteFile(ctx, 1, fileName, data)
	if err != nil {
		b.Fatal(err)
	}
	data = nil
	m := &checkpoint.Metadata{ID: 1, Kind: checkpoint.Checkpoint, TimestampMs: time.Now().UnixMilli(), MaxParallelism: kgs.Len(),
		Operators: []checkpoint.OperatorState{{UID: uid, Parallelism: 1, Subtasks: make([][]byte, 1),
			Keyed: []checkpoint.KeyedFile{{Name: fileName, Start: kgs.Start, End: kgs.End, Size: sum.Size, CRC: sum.CRC}}}}}
	if err := st.CommitMetadata(ctx, m); err != nil {
		b.Fatal(err)
	}
	writeDur, writeCPUDur := time.Since(writeStart), cpuTime()-writeCPU
	readBytes := sum.Size

	// The chain's deltas (not timed): version[i] is the number of the
	// delta that last wrote key i (0: the base).
	version := make([]uint16, keys)
	if deltas > 0 {
		h.SnapshotIncremental().Release() // seq 1: the base's state; tracking on
		rng := rand.New(rand.NewPCG(1, uint64(deltas)))
		kf := &m.Operators[0].Keyed[0]
		for d := 1; d <= deltas; d++ {
			for range keys * turnover / 1000 {
				i := rng.IntN(keys)
				version[i] = uint16(d)
				binary.BigEndian.PutUint64(key, uint64(i))
				binary.BigEndian.PutUint64(val, uint64(i))
				binary.BigEndian.PutUint64(val[8:], uint64(d))
				t.Put(i%kgs.Len(), key, nil, val)
			}
			s := h.SnapshotIncremental()
			if !s.HasDelta() {
				b.Fatal("incremental snapshot without a delta")
			}
			s.DropLists()
			groups := map[int][]byte{}
			for kg := kgs.Start; kg < kgs.End; kg++ {
				if scratch = s.AppendDelta(scratch[:0], kg); len(scratch) > 6 {
					groups[kg] = task.KeyedChunk(scratch, nil)
				}
			}
			s.Release()
			id := int64(1 + d)
			dsum, err := st.WriteFile(ctx, id, fileName, checkpoint.EncodeKeyed(kgs.Start, kgs.End, groups))
			if err != nil {
				b.Fatal(err)
			}
			readBytes += dsum.Size
			m.ID = id
			kf.Dir = 1
			for j := range kf.Deltas {
				kf.Deltas[j].Dir = int64(2 + j)
			}
			kf.Deltas = append(kf.Deltas, checkpoint.FileRef{Name: fileName, Size: dsum.Size, CRC: dsum.CRC}) // Dir 0: this checkpoint
			if err := st.CommitMetadata(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
		scratch = nil
	}
	h, t = nil, nil
	runtime.GC()

	var restored *state.Heap
	var restoreCPU time.Duration
	cold := os.Getenv("STROM_RESTORE_COLD") == "1"
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		restored = nil
		runtime.GC() // the previous iteration's heap is garbage: do not bill its collection to this one
		if cold {
			evictDir(b, dir)
		}
		c0 := cpuTime()
		b.StartTimer()
		restored = restore1GiB(b, ctx, st, kgs)
		b.StopTimer()
		restoreCPU += cpuTime() - c0
	}

	// Verify: every key is there with its own value.
	rt := restored.Table(table)
	if rt.Len() != keys {
		b.Fatalf("restored %d entries, want %d", rt.Len(), keys)
	}
	for i := range keys {
		binary.BigEndian.PutUint64(key, uint64(i))
		v, ok := rt.Get(i%kgs.Len(), key, nil)
		if !ok || len(v) != valueSize || binary.BigEndian.Uint64(v) != uint64(i) || binary.BigEndian.Uint64(v[8:]) != uint64(version[i]) {
			b.Fatalf("key %d restored wrong (%v, %d bytes)", i, ok, len(v))
		}
	}
	b.ReportMetric(float64(stateBytes)/(1<<20), "state-MiB")
	b.ReportMetric(float64(sum.Size)/(1<<20), "size-MiB")
	b.ReportMetric(float64(readBytes)/(1<<20), "read-MiB")
	b.ReportMetric(float64(deltas), "deltas")
	b.ReportMetric(snapshotDur.Seconds(), "snapshot-s")
	b.ReportMetric(writeDur.Seconds(), "write-s")
	b.ReportMetric(writeCPUDur.Seconds(), "write-cpu-s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "restore-s")
	b.ReportMetric(restoreCPU.Seconds()/float64(b.N), "restore-cpu-s")
}

// envInt reads an integer environment variable in [lo, hi] (def when unset).
func envInt(b *testing.B, name string, def, lo, hi int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		b.Fatalf("%s=%q: want a number in [%d, %d]", name, s, lo, hi)
	}
	return n
}

// cpuTime is the user + system CPU time of the process so far (every
// goroutine, the garbage collector's included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// restore1GiB loads the latest checkpoint of st and restores its keyed
// state into a new heap backend, as a job's restore does: the
// coordinator's restore (metadata, every link of the chain read with its
// size and CRC-32C and decoded) and, per key group, the links applied in
// order, newest first (task.Subtask.restore, state.RestoreChain).
func restore1GiB(b *testing.B, ctx context.Context, st *checkpoint.Local, kgs base.KeyGroupRange) *state.Heap {
	m, err := st.LoadLatest(ctx, func(string, ...any) {})
	if err != nil {
		b.Fatal(err)
	}
	c := &coordinator{restored: m, restoreFrom: st, files: map[string]*decodedFile{}}
	_, groups, err := c.restore(m.Operators[0].UID, kgs)
	if err != nil {
		b.Fatal(err)
	}
	h := state.NewHeap(kgs)
	var links [][]byte
	for kg, chain := range groups {
		links = links[:0]
		for _, chunk := range chain {
			var sb []byte
			if chunk != nil {
				if sb, _, err = task.SplitKeyedChunk(chunk); err != nil {
					b.Fatal(err)
				}
			}
			links = append(links, sb)
		}
		if err := state.RestoreChain(h, kg, links); err != nil {
			b.Fatal(err)
		}
	}
	return h
}
