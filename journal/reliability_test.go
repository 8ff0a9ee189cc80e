package journal

// The log tests of RELIABILITY.md §6.1 that run in process: L1 torn tail,
// L2 junk tail, L3 bit flip in the active segment, L5 index loss and
// corruption, L7 simulated power loss, L8 I/O errors. Each prints its seed
// (-seed replays) and runs the PR-tier counts; -long runs the nightly ones.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

const partDir = "j/topics/t/0"

// built is a log written once and copied into a fresh CrashFS per
// iteration.
type built struct {
	files   map[string][]byte
	want    []Record // by offset
	active  string   // the active segment's file name
	base    int64    // its base offset
	batches []batchInfo
	pos     []int64 // byte positions of its batches
}

// build appends n random records (1 to maxBatch per Append) to topic t,
// partition 0, closes the journal cleanly and returns its files (without
// the clean-shutdown marker unless keepClean).
func build(t testing.TB, rng *rand.Rand, o Options, n, maxValue, maxBatch int, keepClean bool) *built {
	t.Helper()
	c := vfs.NewCrashFS(1)
	o.FS = c
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	b := &built{}
	for len(b.want) < n {
		var recs []Record
		for range 1 + rng.IntN(maxBatch) {
			recs = append(recs, randRecord(rng, len(b.want)+len(recs), maxValue, int64(1_000_000+len(b.want)*10+rng.IntN(30))))
		}
		mustAppend(t, j, "t", 0, recs...)
		b.want = append(b.want, recs...)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	b.files = snapshot(t, c, "j")
	if !keepClean {
		delete(b.files, partDir+"/"+cleanFile)
	}
	for name := range b.files {
		if base, ext, ok := parseSegName(path.Base(name)); ok && ext == ".log" && (b.active == "" || base > b.base) {
			b.active, b.base = name, base
		}
	}
	data := b.files[b.active]
	for pos := int64(0); pos < int64(len(data)); {
		info, err := checkBatch(data[pos : pos+4+int64(binary.BigEndian.Uint32(data[pos:]))])
		if err != nil {
			t.Fatal(err)
		}
		b.batches = append(b.batches, info)
		b.pos = append(b.pos, pos)
		pos += int64(info.size)
	}
	return b
}

// copyFiles returns the files with name replaced by data.
func (b *built) with(name string, data []byte) map[string][]byte {
	m := make(map[string][]byte, len(b.files))
	for k, v := range b.files {
		m[k] = v
	}
	m[name] = data
	return m
}

// checkPrefix checks that partition 0 of t holds exactly want[:end].
func checkPrefix(t testing.TB, j *Journal, want []Record, end int64) {
	t.Helper()
	start, got, err := j.Bounds("t", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got != end {
		t.Fatalf("end offset %d, want %d", got, end)
	}
	ms := readAll(t, j, "t", 0)
	for _, m := range ms {
		if !sameRecord(m.Record, want[m.Offset]) {
			t.Fatalf("offset %d: %+v, want %+v", m.Offset, m.Record, want[m.Offset])
		}
	}
	if int64(len(ms)) != end-start {
		t.Fatalf("read %d records in [%d, %d)", len(ms), start, end)
	}
}

// L1: cut the active segment at a random byte; recovery keeps exactly the
// records before the cut.
func TestL1TornTail(t *testing.T) {
	rng := rand.New(rand.NewPCG(seed(t), 1))
	o := quietOpts(nil, nil)
	o.SegmentBytes = 256 << 10
	b := build(t, rng, o, 10_000, 100, 1, false)
	data := b.files[b.active]
	for it := range iterations(500, 20_000) {
		cut := rng.IntN(len(data) + 1)
		whole := 0
		for whole < len(b.batches) && b.pos[whole]+int64(b.batches[whole].size) <= int64(cut) {
			whole++
		}
		end := b.base + int64(whole)
		c := restore(t, b.with(b.active, data[:cut]), uint64(it))
		logs := &logBuf{}
		o := quietOpts(c, logs)
		j := mustOpen(t, "j", o)
		// A cut inside the first bytes of a batch's length field leaves only
		// zeros after the last whole batch: the logical end of a
		// preallocated segment, not damage (docs/format/journal.md §1.1).
		atBoundary := whole == len(b.batches) || b.pos[whole] == int64(cut) || allZero(data[b.pos[whole]:cut])
		if tr := j.Truncations(); atBoundary != (len(tr) == 0) || (!atBoundary && tr[0].Byte != b.pos[whole]) {
			t.Fatalf("iteration %d, cut %d: truncations %+v", it, cut, tr)
		}
		if _, got, _ := j.Bounds("t", 0); got != end {
			t.Fatalf("iteration %d, cut %d: end %d, want %d", it, cut, got, end)
		}
		// The kept tail is byte-identical, and any offset can be looked up.
		ms, err := j.Read(context.Background(), "t", 0, b.base, ReadOptions{MaxBytes: 1 << 30})
		if err != nil || int64(len(ms)) != end-b.base {
			t.Fatalf("iteration %d: read %d records of the tail: %v", it, len(ms), err)
		}
		for _, m := range ms {
			if !sameRecord(m.Record, b.want[m.Offset]) {
				t.Fatalf("iteration %d: offset %d differs", it, m.Offset)
			}
		}
		for range 20 {
			off := rng.Int64N(end + 1)
			ms, err := j.Read(context.Background(), "t", 0, off, ReadOptions{MaxRecords: 1})
			if err != nil || (off < end && (len(ms) != 1 || ms[0].Offset != off || !sameRecord(ms[0].Record, b.want[off]))) || (off == end && len(ms) != 0) {
				t.Fatalf("iteration %d: lookup of %d: %v %v", it, off, ms, err)
			}
		}
		if off := mustAppend(t, j, "t", 0, Record{Value: []byte("next")}); off.First != end {
			t.Fatalf("iteration %d: next offset %d, want %d", it, off.First, end)
		}
		_ = j.Close()
	}
}

// L2: junk after the last batch of the active segment and of its index.
func TestL2JunkTail(t *testing.T) {
	rng := rand.New(rand.NewPCG(seed(t), 2))
	o := quietOpts(nil, nil)
	o.SegmentBytes = 32 << 10
	o.IndexInterval = 512
	b := build(t, rng, o, 1000, 100, 3, true)
	data := b.files[b.active]
	idxName := strings.TrimSuffix(b.active, ".log") + ".index"
	for it := range iterations(1000, 1000) {
		junk := make([]byte, 1+rng.IntN(1024))
		for i := range junk {
			junk[i] = byte(rng.Uint32())
		}
		if allZero(junk) { // zeros after the last batch are preallocated space, not junk (§1.1)
			junk[len(junk)-1] = 1
		}
		files := b.with(b.active, append(slices.Clip(data), junk...))
		files[idxName] = append(slices.Clip(b.files[idxName]), junk[:1+rng.IntN(len(junk))]...)
		if it%2 == 0 { // without the marker; with it, the size does not match
			delete(files, partDir+"/"+cleanFile)
		}
		c := restore(t, files, uint64(it))
		logs := &logBuf{}
		j := mustOpen(t, "j", quietOpts(c, logs))
		checkPrefix(t, j, b.want, int64(len(b.want)))
		if info, _ := c.Stat(b.active); info.Size != int64(len(data)) {
			t.Fatalf("iteration %d: the log has %d bytes after recovery, want %d", it, info.Size, len(data))
		}
		if want := fmt.Sprintf("byte=%d", len(data)); !strings.Contains(logs.String(), want) {
			t.Fatalf("iteration %d: no warning with %s:\n%s", it, want, logs)
		}
		_ = j.Close()
	}
}

// L3: one flipped bit inside batch k of the active segment: recovery cuts
// the log at k, and a read of the damaged file never returns the damage.
func TestL3BitFlip(t *testing.T) {
	rng := rand.New(rand.NewPCG(seed(t), 3))
	o := quietOpts(nil, nil)
	o.SegmentBytes = 64 << 10
	b := build(t, rng, o, 600, 100, 3, false)
	data := b.files[b.active]
	for it := range iterations(1000, 1000) {
		k := rng.IntN(len(b.batches))
		bit := b.pos[k]*8 + rng.Int64N(int64(b.batches[k].size)*8)
		bad := slices.Clone(data)
		bad[bit/8] ^= 1 << (bit % 8)

		if it%10 == 0 { // live: the journal is open while the byte flips
			c := restore(t, b.files, uint64(it))
			j := mustOpen(t, "j", quietOpts(c, nil))
			putFile(t, c, b.active, bad)
			for off := int64(0); off < int64(len(b.want)); off++ {
				ms, err := j.Read(context.Background(), "t", 0, off, ReadOptions{MaxRecords: 5})
				if err != nil {
					if !errors.Is(err, ErrCorrupt) {
						t.Fatalf("iteration %d: live read at %d: %v", it, off, err)
					}
					continue
				}
				for _, m := range ms {
					if !sameRecord(m.Record, b.want[m.Offset]) {
						t.Fatalf("iteration %d: a live read returned damaged offset %d", it, m.Offset)
					}
				}
			}
			_, err := j.Scan(context.Background(), "t", 0, 0, ReadOptions{MaxBytes: 1 << 30}, func(m *Message) error {
				if !sameRecord(m.Record, b.want[m.Offset]) {
					t.Fatalf("iteration %d: a live scan returned damaged offset %d", it, m.Offset)
				}
				return nil
			})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("iteration %d: a live scan over the damage: %v, want ErrCorrupt", it, err)
			}
			_ = j.Close()
		}

		c := restore(t, b.with(b.active, bad), uint64(it))
		j := mustOpen(t, "j", quietOpts(c, nil))
		if tr := j.Truncations(); len(tr) != 1 || tr[0].Byte != b.pos[k] {
			t.Fatalf("iteration %d: flip in batch %d at byte %d: truncations %+v", it, k, b.pos[k], tr)
		}
		checkPrefix(t, j, b.want, b.batches[k].base)
		_ = j.Close()
	}
}

// L5: lost, zeroed, cut or damaged index files and orphan ones: every
// offset and timestamp lookup gives what it gave before.
func TestL5Indexes(t *testing.T) {
	rng := rand.New(rand.NewPCG(seed(t), 5))
	o := quietOpts(nil, nil)
	o.SegmentBytes = 4 << 10
	o.IndexInterval = 256
	b := build(t, rng, o, 500, 60, 2, true)

	lookups := func(j *Journal) []string {
		var out []string
		for off := range int64(len(b.want)) {
			ms, err := j.Read(context.Background(), "t", 0, off, ReadOptions{MaxRecords: 1})
			if err != nil || len(ms) != 1 {
				t.Fatalf("read at %d: %v %v", off, len(ms), err)
			}
			out = append(out, fmt.Sprint(ms[0].Offset, ms[0].Timestamp, string(ms[0].Value)))
		}
		for ts := int64(999_990); ts < int64(1_000_000+len(b.want)*10+40); ts += 37 {
			off, err := j.OffsetForTime(context.Background(), "t", 0, ts)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint("ts", ts, off))
		}
		return out
	}
	j := mustOpen(t, "j", quietOpts(restore(t, b.files, 0), nil))
	want := lookups(j)
	_ = j.Close()

	var indexes []string
	for name := range b.files {
		if strings.HasSuffix(name, "index") {
			indexes = append(indexes, name)
		}
	}
	slices.Sort(indexes)
	const orphan = partDir + "/00000000000099999999.index"
	for it := range iterations(100, 2000) {
		files := b.with(orphan, []byte("orphan"))
		files[partDir+"/00000000000099999999.timeindex"] = nil
		if rng.IntN(2) == 0 {
			delete(files, partDir+"/"+cleanFile)
		}
		for range 1 + rng.IntN(3) {
			name := indexes[rng.IntN(len(indexes))]
			d := slices.Clone(files[name])
			if len(d) == 0 {
				continue
			}
			switch rng.IntN(4) {
			case 0:
				delete(files, name)
				continue
			case 1:
				clear(d)
			case 2:
				d = d[:rng.IntN(len(d))]
			case 3:
				d[rng.IntN(len(d))] ^= byte(1 + rng.IntN(255))
			}
			files[name] = d
		}
		c := restore(t, files, uint64(it))
		j := mustOpen(t, "j", quietOpts(c, nil))
		if got := lookups(j); !slices.Equal(got, want) {
			t.Fatalf("iteration %d: lookups differ after damaging the indexes", it)
		}
		if _, err := c.Stat(orphan); !vfs.IsNotExist(err) {
			t.Fatalf("iteration %d: the orphan index is still there: %v", it, err)
		}
		_ = j.Close()
		j = mustOpen(t, "j", quietOpts(c, nil)) // rebuilt indexes were written back
		if got := lookups(j); !slices.Equal(got, want) {
			t.Fatalf("iteration %d: lookups differ on the second open", it)
		}
		_ = j.Close()
	}
}

// L7: a random workload (appends, rolls, retention, group offset commits)
// on a CrashFS that stops at a random step, then a power loss. Durable:
// every acked record survives; relaxed: a gap-free prefix of what was
// written. Both: no orphan files, the log start never goes back, a created
// topic and committed group offsets survive.
func TestL7PowerLoss(t *testing.T) {
	for _, d := range []Durability{Durable, Relaxed} {
		t.Run(d.String(), func(t *testing.T) {
			s := seed(t)
			for it := range iterations(300, 10_000) {
				if err := powerLoss(d, s+uint64(it), nil); err != nil {
					t.Fatalf("seed %d (replay: -run 'TestL7PowerLoss/%v' -seed %d): %v", s+uint64(it), d, s+uint64(it), err)
				}
			}
		})
	}
}

// The control: L7 catches a journal whose file or directory syncs do
// nothing.
func TestL7CatchesMissingSyncs(t *testing.T) {
	for name, wrap := range map[string]func(*vfs.CrashFS) vfs.FS{
		"no directory sync": func(c *vfs.CrashFS) vfs.FS { return skipSyncDir{c} },
		"no file sync":      func(c *vfs.CrashFS) vfs.FS { return skipSync{c} },
	} {
		caught := false
		for s := range uint64(200) {
			if powerLoss(Durable, s, wrap) != nil {
				caught = true
				break
			}
		}
		if !caught {
			t.Errorf("%s: 200 power losses did not notice", name)
		}
	}
}

type skipSyncDir struct{ *vfs.CrashFS }

func (skipSyncDir) SyncDir(string) error { return nil }

type skipSync struct{ *vfs.CrashFS }

type noSyncFile struct{ vfs.File }

func (noSyncFile) Sync() error { return nil }

type noSyncWFile struct{ vfs.WFile }

func (noSyncWFile) Sync() error     { return nil }
func (noSyncWFile) Datasync() error { return nil }

func (f skipSync) OpenWrite(name string) (vfs.WFile, error) {
	file, err := f.CrashFS.OpenWrite(name)
	if err != nil {
		return nil, err
	}
	return noSyncWFile{file}, nil
}

func (f skipSync) OpenAppend(name string) (vfs.File, error) {
	file, err := f.CrashFS.OpenAppend(name)
	if err != nil {
		return nil, err
	}
	return noSyncFile{file}, nil
}

// powerLoss runs one L7 iteration; wrap, when not nil, wraps the CrashFS
// the journal uses before the crash.
func powerLoss(d Durability, s uint64, wrap func(*vfs.CrashFS) vfs.FS) (err error) {
	rng := rand.New(rand.NewPCG(s, 7))
	c := vfs.NewCrashFS(s)
	c.SetTear([]int{0, 512, 4096}[rng.IntN(3)])
	var fsys vfs.FS = c
	if wrap != nil {
		fsys = wrap(c)
	}
	o := quietOpts(fsys, nil)
	o.Durability = d
	o.SyncInterval = 1 << 40 // syncs only at rolls and Close: deterministic
	o.SegmentBytes = 2 << 10
	o.RetentionBytes = 6 << 10
	ctx := context.Background()
	type failure struct{ error }
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(failure)
			if !ok {
				panic(r)
			}
			err = f.error
		}
	}()
	fail := func(format string, args ...any) {
		panic(failure{fmt.Errorf("%s\n%s", fmt.Sprintf(format, args...), c.Tree())})
	}

	c.HaltAfter(rng.IntN(400))
	j, err := Open("j", o)
	created := false
	var written []Record // in offset order: record i went to offset i
	acked := 0           // records acked
	var start int64      // highest log start seen
	committed, attempted := int64(-1), int64(-1)
	if err == nil {
		created = j.CreateTopic("t", 1) == nil
		for op := 0; created && op < 300; op++ {
			switch r := rng.IntN(20); {
			case r == 0:
				attempted = int64(op)
				if j.CommitOffsets("g", map[TopicPartition]int64{{"t", 0}: attempted}) == nil {
					committed = attempted
				}
			case r == 1:
				_ = j.EnforceRetention(ctx)
				if st, _, err := j.Bounds("t", 0); err == nil {
					start = max(start, st)
				}
			default:
				var recs []Record
				for range 1 + rng.IntN(4) {
					recs = append(recs, randRecord(rng, len(written)+len(recs), 150, int64(op+1)))
				}
				off, err := j.Append(ctx, "t", 0, recs...)
				if err != nil {
					if errors.Is(err, ErrReadOnly) || errors.Is(err, vfs.ErrHalted) {
						written = append(written, recs...) // may be on disk
						op = 1 << 30
						break
					}
					fail("append: %v", err)
				}
				if off.First != int64(len(written)) {
					fail("append got offset %d, want %d", off.First, len(written))
				}
				written = append(written, recs...)
				acked = len(written)
			}
		}
		_ = j.Close()
	}
	c.Crash()

	j, err = Open("j", quietOpts(c, nil))
	if err != nil {
		fail("reopen after the crash: %v", err)
	}
	defer j.Close()
	if !created {
		return nil
	}
	st, end, err := j.Bounds("t", 0)
	if err != nil {
		fail("topic created before the crash is gone: %v", err)
	}
	if st < start {
		fail("log start went back from %d to %d", start, st)
	}
	if d == Durable && end < int64(acked) {
		fail("end %d, but %d records were acked", end, acked)
	}
	if end > int64(len(written)) {
		fail("end %d, only %d records were written", end, len(written))
	}
	ms, err := j.Read(ctx, "t", 0, st, ReadOptions{MaxBytes: 1 << 30})
	if err != nil {
		fail("read: %v", err)
	}
	if int64(len(ms)) != end-st {
		fail("read %d records in [%d, %d): a gap", len(ms), st, end)
	}
	for _, m := range ms {
		if !sameRecord(m.Record, written[m.Offset]) {
			fail("offset %d holds %q, want %q", m.Offset, m.Value, written[m.Offset].Value)
		}
	}
	g, err := j.GroupOffsets("g")
	if err != nil {
		fail("group offsets: %v", err)
	}
	if got, ok := g[TopicPartition{"t", 0}]; committed >= 0 && (!ok || (got != committed && got != attempted)) {
		fail("group offset %d (present %v), committed %d", got, ok, committed)
	}
	// No orphans: every index has its log, no temporary files, no marker.
	names, _ := c.ReadDir(partDir)
	logs := map[int64]bool{}
	for _, n := range names {
		if base, ext, ok := parseSegName(n); ok && ext == ".log" {
			logs[base] = true
		}
	}
	for _, n := range names {
		base, ext, ok := parseSegName(n)
		if (ok && ext != ".log" && !logs[base]) || strings.HasSuffix(n, vfs.TempSuffix) || n == cleanFile || (!ok && n != startFile && n != snapshotFile) {
			fail("orphan file %s after recovery", n)
		}
		if ok && ext == ".log" && base < st && len(logs) > 0 {
			// a segment below the start must be gone, unless it is the one holding it
			next := int64(-1)
			for b := range logs {
				if b > base && (next < 0 || b < next) {
					next = b
				}
			}
			if next >= 0 && next <= st {
				fail("deleted segment %s came back", n)
			}
		}
	}
	return nil
}

// L8: EIO, ENOSPC and short writes fail the append without an ack and the
// partition goes on; a failed fsync makes it read-only. Data acked before
// stays readable, also after a crash.
func TestL8IOErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		fault    vfs.Fault
		readOnly bool
	}{
		{"write EIO", vfs.Fault{Op: vfs.OpWrite, N: 1, Path: ".log", Err: syscall.EIO}, false},
		{"write ENOSPC", vfs.Fault{Op: vfs.OpWrite, N: 1, Path: ".log", Err: syscall.ENOSPC}, false},
		{"short write", vfs.Fault{Op: vfs.OpWrite, N: 1, Path: ".log", Short: true}, false},
		{"fsync EIO", vfs.Fault{Op: vfs.OpSync, N: 1, Path: ".log", Err: syscall.EIO}, true},
		{"roll syncdir EIO", vfs.Fault{Op: vfs.OpSyncDir, N: 1, Path: partDir, Err: syscall.EIO}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := vfs.NewCrashFS(8)
			c.SetTear(512)
			o := quietOpts(c, nil)
			o.SegmentBytes = 1 << 10
			j := mustOpen(t, "j", o)
			if err := j.CreateTopic("t", 1); err != nil {
				t.Fatal(err)
			}
			var want []Record
			val := make([]byte, 100)
			for i := range 5 {
				r := Record{Value: append([]byte(fmt.Sprint(i)), val...), Timestamp: 1}
				mustAppend(t, j, "t", 0, r)
				want = append(want, r)
			}
			c.Inject(tc.fault)
			var failed error
			for i := 0; failed == nil && i < 20; i++ {
				r := Record{Value: append([]byte(fmt.Sprint(len(want))), val...), Timestamp: 1}
				if _, failed = j.Append(ctx, "t", 0, r); failed == nil {
					want = append(want, r)
				}
			}
			if failed == nil {
				t.Fatal("the fault did not fail an append")
			}
			if errors.Is(failed, ErrReadOnly) != tc.readOnly {
				t.Fatalf("append error %v: read-only %v, want %v", failed, errors.Is(failed, ErrReadOnly), tc.readOnly)
			}
			checkPrefix(t, j, want, int64(len(want))) // acked data stays readable
			r := Record{Value: []byte("after"), Timestamp: 1}
			_, err := j.Append(ctx, "t", 0, r)
			if tc.readOnly {
				if !errors.Is(err, ErrReadOnly) {
					t.Fatalf("append after a failed fsync: %v, want ErrReadOnly", err)
				}
			} else if err != nil {
				t.Fatalf("append after a failed write: %v", err)
			} else {
				want = append(want, r)
			}
			_ = j.Close()
			c.Crash()
			j = mustOpen(t, "j", quietOpts(c, nil))
			defer j.Close()
			_, end, _ := j.Bounds("t", 0)
			if end < int64(len(want)) {
				t.Fatalf("after the crash the end is %d, %d records were acked", end, len(want))
			}
			ms := readAll(t, j, "t", 0)
			for i, r := range want {
				if !sameRecord(ms[i].Record, r) {
					t.Fatalf("acked offset %d lost or changed", i)
				}
			}
			if _, err := j.Append(ctx, "t", 0, r); err != nil {
				t.Fatalf("append after reopening: %v", err)
			}
		})
	}
}

// L7 with group commit: 4 concurrent producers on a durable partition,
// then a power loss at a random step. Every acked record survives at its
// offset, and no value appears twice. (The interleaving of the producers is
// up to the scheduler, so -seed replays the crash points, not the exact
// run.)
func TestL7PowerLossGroupCommit(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	for it := range iterations(100, 2000) {
		rng := rand.New(rand.NewPCG(s+uint64(it), 17))
		c := vfs.NewCrashFS(s + uint64(it))
		c.SetTear([]int{0, 512, 4096}[rng.IntN(3)])
		o := quietOpts(c, nil)
		o.SegmentBytes = 2 << 10
		c.HaltAfter(rng.IntN(250))
		acked := map[int64]string{}
		if j, err := Open("j", o); err == nil {
			if j.CreateTopic("t", 1) == nil {
				var mu sync.Mutex
				var wg sync.WaitGroup
				for w := range 4 {
					wg.Go(func() {
						for i := range 40 {
							v := fmt.Sprintf("p%d-%d", w, i)
							off, err := j.Append(ctx, "t", 0, Record{Value: []byte(v), Timestamp: 1})
							if err != nil {
								return
							}
							mu.Lock()
							acked[off.First] = v
							mu.Unlock()
						}
					})
				}
				wg.Wait()
			}
			_ = j.Close()
		}
		c.Crash()
		j, err := Open("j", quietOpts(c, nil))
		if err != nil {
			t.Fatalf("iteration %d: reopen: %v", it, err)
		}
		got := map[int64]string{}
		seen := map[string]bool{}
		if _, _, err := j.Bounds("t", 0); err == nil {
			for _, m := range readAll(t, j, "t", 0) {
				if seen[string(m.Value)] {
					t.Fatalf("iteration %d: value %s twice", it, m.Value)
				}
				seen[string(m.Value)] = true
				got[m.Offset] = string(m.Value)
			}
		}
		for off, v := range acked {
			if got[off] != v {
				t.Fatalf("iteration %d: acked offset %d (%s) holds %q after the crash", it, off, v, got[off])
			}
		}
		_ = j.Close()
	}
}
