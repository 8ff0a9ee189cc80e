package journal

// Preallocation of the active segment (docs/format/journal.md §1.1):
// zeros after the last batch are the logical end, anything else after it
// is destroyed at Open, sealing and Close cut the file, Verify and
// TruncatePartition use the logical size, an old (not preallocated)
// directory opens and appends, and power loss at every file operation of
// zero-fills, overwrites, rolls, Close and recovery keeps every acked
// record at its offset and brings back nothing stale.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

const segActive = partDir + "/00000000000000000000.log"

func fixedRecord(tag string, i int) Record {
	return Record{Value: fmt.Appendf(nil, "%s-%06d", tag, i), Timestamp: 1_700_000_000_000}
}

func logSize(t *testing.T, c vfs.FS, name string) int64 {
	t.Helper()
	info, err := c.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size
}

// Durable partitions preallocate by default; the file is larger than its
// batches while open and cut to them by Close.
func TestPreallocDefault(t *testing.T) {
	c := vfs.NewCrashFS(1)
	j := mustOpen(t, "j", quietOpts(c, nil))
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		mustAppend(t, j, "t", 0, fixedRecord("a", i))
	}
	st, err := j.Stats("t", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := logSize(t, c, segActive); got < 4<<20 || got > 4<<20+st.Bytes {
		t.Fatalf("the active segment has %d bytes while open, want the 4 MiB preallocated (%d of batches)", got, st.Bytes)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if got := logSize(t, c, segActive); got != st.Bytes {
		t.Fatalf("after Close the segment has %d bytes, want its %d bytes of batches", got, st.Bytes)
	}
	o := quietOpts(c, nil)
	o.Durability = Relaxed
	j = mustOpen(t, "j", o)
	mustAppend(t, j, "t", 0, fixedRecord("a", 10))
	if got := logSize(t, c, segActive); got <= st.Bytes || got > st.Bytes+100 {
		t.Fatalf("a relaxed partition preallocated: %d bytes", got)
	}
	_ = j.Close()
}

// A batch that survives a power loss beyond a lost earlier one must be
// destroyed by Open: otherwise, once the gap is refilled by a batch of the
// same size and count, it follows on and comes back at offsets it was
// never acked at.
func TestPreallocStaleBatchDestroyed(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, fixedRecord("a", 0), fixedRecord("a", 1))
	st, _ := j.Stats("t", 0)
	gapAt := st.Bytes
	mustAppend(t, j, "t", 0, fixedRecord("b", 0), fixedRecord("b", 1)) // lost below
	st, _ = j.Stats("t", 0)
	gapLen := st.Bytes - gapAt
	mustAppend(t, j, "t", 0, fixedRecord("stale", 0)) // survives beyond the gap
	powerOff(c, j)
	// The power loss kept the later batch and lost the earlier one (a
	// relaxed partition or a disk reordering its writes can do that).
	w, err := c.OpenWrite(segActive)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt(make([]byte, gapLen), gapAt); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()

	j = mustOpen(t, "j", o)
	if _, end, _ := j.Bounds("t", 0); end != 2 {
		t.Fatalf("end %d after the gap, want 2", end)
	}
	if tr := j.Truncations(); len(tr) != 1 || tr[0].Byte != gapAt {
		t.Fatalf("truncations %+v, want one at byte %d", tr, gapAt)
	}
	// Refill the gap with a batch of the same size and record count.
	mustAppend(t, j, "t", 0, fixedRecord("c", 0), fixedRecord("c", 1))
	powerOff(c, j)
	j = mustOpen(t, "j", o)
	defer j.Close()
	ms := readAll(t, j, "t", 0)
	if len(ms) != 4 {
		var vs []string
		for _, m := range ms {
			vs = append(vs, string(m.Value))
		}
		t.Fatalf("after refilling the gap the log is %q, want 4 records (a stale batch came back)", vs)
	}
}

// Verify accepts a preallocated active segment left by a power loss: the
// zeros are its end, not damage, and not counted as log bytes.
func TestPreallocVerify(t *testing.T) {
	c := vfs.NewCrashFS(1)
	j := mustOpen(t, "j", quietOpts(c, nil))
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		mustAppend(t, j, "t", 0, fixedRecord("a", i))
	}
	st, _ := j.Stats("t", 0)
	powerOff(c, j)
	if logSize(t, c, segActive) <= st.Bytes {
		t.Fatal("the segment is not preallocated")
	}
	r, err := Verify("j", c)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Partitions) != 1 || len(r.Partitions[0].Problems) != 0 || len(r.Problems) != 0 {
		t.Fatalf("Verify: %+v", r)
	}
	if pc := r.Partitions[0]; pc.Records != 20 || pc.End != 20 || pc.Bytes != st.Bytes {
		t.Fatalf("Verify: %+v, want 20 records and %d bytes", pc, st.Bytes)
	}
	// TruncatePartition at the end of a preallocated segment drops no record.
	rep, err := TruncatePartition("j", c, "t", 0, 20, true)
	if err != nil || rep.Records != 0 || rep.Bytes != 0 || rep.Unreadable != 0 {
		t.Fatalf("TruncatePartition at the end: %+v, %v", rep, err)
	}
	rep, err = TruncatePartition("j", c, "t", 0, 19, true)
	if err != nil || rep.Records != 1 || rep.Unreadable != 0 {
		t.Fatalf("TruncatePartition before the last record: %+v, %v", rep, err)
	}
	// Junk after the zeros is damage.
	w, err := c.OpenWrite(segActive)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt([]byte{1}, logSize(t, c, segActive)-1); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if r, err := Verify("j", c); err != nil || len(r.Partitions[0].Problems) != 1 {
		t.Fatalf("Verify with a byte after the zeros: %+v, %v", r, err)
	}
}

// A directory written without preallocation (by an older strom or with
// Preallocate < 0) opens, after a clean shutdown and after a power loss,
// and takes appends with preallocation; and the other way round.
func TestPreallocOldFormat(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprint("crash=", crash), func(t *testing.T) {
			c := vfs.NewCrashFS(1)
			old := quietOpts(c, nil)
			old.Preallocate = -1
			old.SegmentBytes = 4 << 10
			stop := func(j *Journal) {
				if crash {
					powerOff(c, j)
				} else if err := j.Close(); err != nil {
					t.Fatal(err)
				}
			}
			j := mustOpen(t, "j", old)
			if err := j.CreateTopic("t", 1); err != nil {
				t.Fatal(err)
			}
			n := 0
			for ; n < 200; n++ {
				mustAppend(t, j, "t", 0, fixedRecord("r", n))
			}
			st, _ := j.Stats("t", 0)
			if got := logBytes(t, c); st.Segments < 2 || got != st.Bytes {
				t.Fatalf("without preallocation the %d segments have %d bytes, their batches %d", st.Segments, got, st.Bytes)
			}
			stop(j)
			nw := old
			nw.Preallocate = 1 << 10
			for _, o := range []Options{nw, old, nw} {
				j = mustOpen(t, "j", o)
				for range 100 {
					mustAppend(t, j, "t", 0, fixedRecord("r", n))
					n++
				}
				stop(j)
			}
			j = mustOpen(t, "j", old)
			defer j.Close()
			ms := readAll(t, j, "t", 0)
			if len(ms) != n {
				t.Fatalf("%d records, want %d", len(ms), n)
			}
			for i, m := range ms {
				if string(m.Value) != string(fixedRecord("r", i).Value) {
					t.Fatalf("offset %d holds %q", i, m.Value)
				}
			}
			if tr := j.Truncations(); len(tr) != 0 {
				t.Fatalf("truncations %+v", tr)
			}
		})
	}
}

// preallocWorkload appends to a preallocating journal on c until an
// append fails, with small chunks and segments so that zero-fills,
// overwrites and rolls interleave, then closes it (or, unless clean, stops
// the process without a clean shutdown); it returns the records
// in offset order and how many were acked. Values name their phase and
// offset.
func preallocWorkload(c *vfs.CrashFS, d Durability, phase string, first, n int, rng *rand.Rand, clean bool) (written []Record, acked int, err error) {
	o := quietOpts(c, nil)
	o.Durability = d
	o.Preallocate = 300
	o.SegmentBytes = 1 << 10
	o.SyncInterval = 1 << 40 // relaxed: syncs only at rolls and Close
	j, err := Open("j", o)
	if err != nil {
		return nil, 0, err
	}
	defer j.Close()
	if phase == "a" {
		if err := j.CreateTopic("t", 1); err != nil {
			return nil, 0, err
		}
	}
	for len(written) < n {
		var recs []Record
		for range 1 + rng.IntN(3) {
			recs = append(recs, Record{Value: fmt.Appendf(nil, "%s-%d-%s", phase, first+len(written)+len(recs), make([]byte, rng.IntN(60)))})
		}
		off, err := j.Append(context.Background(), "t", 0, recs...)
		if err != nil {
			return append(written, recs...), acked, err
		}
		if off.First != int64(first+len(written)) {
			return written, acked, fmt.Errorf("append at %d, want %d", off.First, first+len(written))
		}
		written = append(written, recs...)
		acked = len(written)
	}
	if !clean {
		c.HaltAfter(0) // no clean shutdown: the process dies
		_ = j.Close()
		return written, acked, nil
	}
	return written, acked, j.Close()
}

// Power loss at every file operation of a workload of appends with
// zero-fills, overwrites, rolls and Close, and again at every operation
// of the recovery after it: every acked record stays at its offset, the
// log is a prefix of what was written, and after more appends and another
// power loss nothing stale comes back (the end is exactly what was acked).
func TestPreallocPowerLossAtEveryStep(t *testing.T) {
	for _, d := range []Durability{Durable, Relaxed} {
		t.Run(fmt.Sprint(d), func(t *testing.T) {
			s := seed(t)
			const n = 60
			dry := vfs.NewCrashFS(s)
			if _, _, err := preallocWorkload(dry, d, "a", 0, n, rand.New(rand.NewPCG(s, 1)), true); err != nil {
				t.Fatal(err)
			}
			steps := dry.Ops()
			for k := range steps + 1 {
				rng := rand.New(rand.NewPCG(s, uint64(k)))
				c := vfs.NewCrashFS(s + uint64(k))
				c.SetTear([]int{0, 16, 512}[k%3])
				c.HaltAfter(k)
				written, acked, _ := preallocWorkload(c, d, "a", 0, n, rand.New(rand.NewPCG(s, 1)), true)
				c.Crash()
				// A second power loss during the recovery, at each of its first
				// 12 file operations in turn (or after it).
				c.HaltAfter(k % 12)
				if j, err := Open("j", quietOpts(c, nil)); err == nil {
					_ = j.Close()
				} else if !errors.Is(err, vfs.ErrHalted) {
					t.Fatalf("step %d: open halted: %v", k, err)
				}
				c.Crash()
				o := quietOpts(c, nil)
				o.Durability = d
				j, err := Open("j", o)
				if err != nil {
					t.Fatalf("step %d: open: %v", k, err)
				}
				end := int64(0)
				if _, e, err := j.Bounds("t", 0); err == nil {
					end = e
				} else if !errors.Is(err, ErrUnknownTopic) || acked > 0 {
					t.Fatalf("step %d: %v", k, err)
				}
				if d == Durable && end < int64(acked) {
					t.Fatalf("step %d: end %d, but %d records were acked\n%s", k, end, acked, c.Tree())
				}
				if end > int64(len(written)) {
					t.Fatalf("step %d: end %d beyond the %d records written", k, end, len(written))
				}
				if end > 0 {
					for i, m := range readAll(t, j, "t", 0) {
						if string(m.Value) != string(written[i].Value) {
							t.Fatalf("step %d: offset %d holds %q, want %q", k, i, m.Value, written[i].Value)
						}
					}
				}
				_ = j.Close()
				if end == 0 && acked == 0 {
					continue // the topic may not exist
				}
				// More appends (durable: all acked, synced), then a power loss:
				// the log must be exactly the recovered prefix and them.
				more, acked2, err := preallocWorkload(c, Durable, "b", int(end), 20, rng, false)
				if err != nil || acked2 != len(more) {
					t.Fatalf("step %d: appends after recovery: %v", k, err)
				}
				c.Crash()
				j = mustOpen(t, "j", quietOpts(c, nil))
				ms := readAll(t, j, "t", 0)
				if len(ms) != int(end)+len(more) {
					t.Fatalf("step %d: %d records after the second crash, want %d + %d", k, len(ms), end, len(more))
				}
				for i, m := range ms {
					want := written
					if i >= int(end) {
						want, i = more, i-int(end)
					}
					if string(m.Value) != string(want[i].Value) {
						t.Fatalf("step %d: offset %d holds %q, want %q", k, m.Offset, m.Value, want[i].Value)
					}
				}
				_ = j.Close()
			}
			t.Logf("%d crash points", steps+1)
		})
	}
}

// powerOff stops the process (every later file operation fails), closes
// j and loses the power.
func powerOff(c *vfs.CrashFS, j *Journal) {
	c.HaltAfter(0)
	_ = j.Close()
	c.Crash()
}

// logBytes sums the sizes of the partition's .log files.
func logBytes(t *testing.T, c vfs.FS) int64 {
	t.Helper()
	names, err := c.ReadDir(partDir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, name := range names {
		if _, ext, ok := parseSegName(name); ok && ext == ".log" {
			n += logSize(t, c, partDir+"/"+name)
		}
	}
	return n
}

// Relaxed mode with preallocation: when Close cannot cut the zeros
// (truncate fails), it still makes the acked records durable, writes no
// clean-shutdown marker and reports the error.
func TestPreallocRelaxedCloseCutFails(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.Durability = Relaxed
	o.Preallocate = 4096
	o.SyncInterval = 1 << 40
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		mustAppend(t, j, "t", 0, fixedRecord("a", i))
	}
	c.Inject(vfs.Fault{Op: vfs.OpTruncate, N: 1, Path: ".log"})
	err := j.Close()
	if err == nil {
		t.Error("Close returned nil although it could not cut the zeros")
	}
	if _, serr := c.Stat(partDir + "/" + cleanFile); serr == nil {
		t.Error("clean-shutdown marker written although the zeros were not cut")
	}
	c.Crash()
	j = mustOpen(t, "j", o)
	defer j.Close()
	if _, end, _ := j.Bounds("t", 0); end != 5 {
		t.Fatalf("after a Close that returned %v and a power loss: end %d, want 5", err, end)
	}
}

// Default Relaxed mode (no preallocation) opening a directory a Durable
// run left with zeros: same as above when Close cannot cut them.
func TestPreallocRelaxedDefaultCloseCutFails(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, fixedRecord("d", 0))
	powerOff(c, j)
	o.Durability = Relaxed
	o.SyncInterval = 1 << 40
	j = mustOpen(t, "j", o)
	for i := range 5 {
		mustAppend(t, j, "t", 0, fixedRecord("r", i))
	}
	c.Inject(vfs.Fault{Op: vfs.OpTruncate, N: 1, Path: ".log"})
	err := j.Close()
	if err == nil {
		t.Error("Close returned nil although it could not cut the zeros")
	}
	c.Crash()
	j = mustOpen(t, "j", o)
	defer j.Close()
	if _, end, _ := j.Bounds("t", 0); end != 6 {
		t.Fatalf("Close returned %v, yet after a power loss end is %d, want 6", err, end)
	}
}

// A roll whose cut of the zeros fails aborts: no segment ending in zeros
// is sealed, the append fails, and every acked record survives a power
// loss.
func TestPreallocRollCutFails(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.Preallocate = 4096
	o.SegmentBytes = 300
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	c.Inject(vfs.Fault{Op: vfs.OpTruncate, N: 1, Path: ".log"})
	acked := 0
	failed := false
	for i := range 10 {
		if _, err := j.Append(t.Context(), "t", 0, fixedRecord("a", i)); err != nil {
			failed = true
			continue
		}
		acked++
	}
	if !failed {
		t.Fatal("no append failed: the injected truncate fault was not hit by a roll")
	}
	powerOff(c, j)
	j = mustOpen(t, "j", o)
	defer j.Close()
	if ms := readAll(t, j, "t", 0); len(ms) != acked {
		t.Fatalf("%d records after a power loss, %d acked", len(ms), acked)
	}
	if q := j.Quarantines(); len(q) != 0 {
		t.Fatalf("quarantines %+v", q)
	}
}

// TruncatePartition does not count the preallocated zeros of the active
// segment it would remove as unreadable or removed log bytes: its report
// is the same as for the log written without preallocation.
func TestPreallocTruncateReport(t *testing.T) {
	var reps []TruncateReport
	for _, pre := range []int64{-1, 4096} {
		c := vfs.NewCrashFS(1)
		o := quietOpts(c, nil)
		o.SegmentBytes = 300
		o.Preallocate = pre
		j := mustOpen(t, "j", o)
		if err := j.CreateTopic("t", 1); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			mustAppend(t, j, "t", 0, fixedRecord("a", i))
		}
		powerOff(c, j)
		if pre > 0 {
			names, err := c.ReadDir(partDir)
			if err != nil {
				t.Fatal(err)
			}
			bases := segBases(names, ".log")
			st, err := c.Stat(segName(partDir, bases[len(bases)-1], ".log"))
			if err != nil {
				t.Fatal(err)
			}
			if len(bases) < 2 {
				t.Fatalf("setup: %d segments, active of %d bytes", len(bases), st.Size)
			}
			zero, err := func() (bool, error) {
				f, err := c.Open(segName(partDir, bases[len(bases)-1], ".log"))
				if err != nil {
					return false, err
				}
				defer f.Close()
				b := make([]byte, 1)
				_, err = f.ReadAt(b, st.Size-1)
				return b[0] == 0, err
			}()
			if err != nil || !zero {
				t.Fatalf("setup: the active segment does not end in zeros (%v)", err)
			}
		}
		rep, err := TruncatePartition("j", c, "t", 0, 1, true)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Unreadable != 0 {
			t.Errorf("prealloc %d: %d unreadable bytes on a healthy log", pre, rep.Unreadable)
		}
		reps = append(reps, rep)
	}
	a, b := reps[0], reps[1]
	if a.Records != b.Records || a.Bytes != b.Bytes || a.Unreadable != b.Unreadable || len(a.Removed) != len(b.Removed) {
		t.Fatalf("report with preallocation %+v, without %+v", b, a)
	}
}
