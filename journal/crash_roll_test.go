package journal

// RELIABILITY.md L9, the CrashFS half: a power loss at every mutating file
// operation of a segment roll and of a retention delete. L7 crashes at a
// random operation of a whole workload, so most of its crash points are in
// appends; this test first runs a seeded workload without a crash and
// records the operation numbers each roll and each retention run spans,
// then replays the same workload once per such operation with the CrashFS
// halted right there, crashes it, reopens and checks L7's invariants
// (durable mode): every acked record survives; the log is gap-free and
// each offset holds what was written there; the log start never goes back;
// no segment deleted before the crash comes back; no orphan file (an index
// without its log, a temporary file, a marker of an unclean stop).
//
// The journal has no compaction, hence no compaction swap to crash in:
// retention deletes whole segments (docs/format/journal.md).

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// rollStep is one step of the workload as the dry run saw it.
type rollStep struct {
	opsBefore, opsAfter int  // the CrashFS operation count around the step
	roll, retain        bool // the step rolled a segment, or moved the log start
}

// rollWorkload runs the workload for seed on c; halt >= 0 halts the
// CrashFS after that many mutating operations. It returns the steps (only
// those completed before a halt), the records written in offset order,
// how many were acked, the highest log start seen and the segment bases
// seen deleted.
func rollWorkload(t *testing.T, c *vfs.CrashFS, wrap func(*vfs.CrashFS) vfs.FS, s uint64, halt int) (steps []rollStep, written []Record, acked int, start int64, deleted map[int64]bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(s, 9))
	var fsys vfs.FS = c
	if wrap != nil {
		fsys = wrap(c)
	}
	o := quietOpts(fsys, nil)
	o.SyncInterval = 1 << 40
	o.SegmentBytes = 2 << 10
	o.RetentionBytes = 6 << 10
	ctx := context.Background()
	deleted = map[int64]bool{}
	j, err := Open("j", o)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	if halt >= 0 {
		c.HaltAfter(halt - c.Ops())
	}
	segs := func() []int64 {
		names, err := c.ReadDir(partDir)
		if err != nil {
			return nil
		}
		var b []int64
		for _, n := range names {
			if base, ext, ok := parseSegName(n); ok && ext == ".log" {
				b = append(b, base)
			}
		}
		return b
	}
	before := segs()
	for op := 0; op < 120; op++ {
		st := rollStep{opsBefore: c.Ops()}
		if rng.IntN(8) == 0 {
			_ = j.EnforceRetention(ctx) // a failed retention logs and keeps the start
			if ls, _, err := j.Bounds("t", 0); err == nil && ls > start {
				start, st.retain = ls, true
			}
		} else {
			var recs []Record
			for range 1 + rng.IntN(4) {
				recs = append(recs, randRecord(rng, len(written)+len(recs), 150, int64(op+1)))
			}
			off, err := j.Append(ctx, "t", 0, recs...)
			written = append(written, recs...)
			if err != nil {
				if errors.Is(err, ErrReadOnly) || errors.Is(err, vfs.ErrHalted) {
					break
				}
				t.Fatalf("seed %d halt %d: append: %v", s, halt, err)
			}
			if off.First != int64(len(written)-len(recs)) {
				t.Fatalf("seed %d halt %d: append got offset %d, want %d", s, halt, off.First, len(written)-len(recs))
			}
			acked = len(written)
		}
		now := segs()
		if now == nil {
			break // halted: ReadDir fails too
		}
		for _, b := range before {
			if !slices.Contains(now, b) {
				deleted[b] = true
			}
		}
		st.roll = len(now) > 0 && len(before) > 0 && slices.Max(now) > slices.Max(before)
		before = now
		st.opsAfter = c.Ops()
		steps = append(steps, st)
	}
	_ = j.Close()
	return steps, written, acked, start, deleted
}

func TestL9CrashDuringRollAndRetention(t *testing.T) {
	s0 := seed(t)
	seeds := iterations(4, 100)
	var st rollStats
	for i := range seeds {
		s := s0 + uint64(i)
		if err := crashRollSeed(t, s, nil, &st); err != nil {
			t.Fatalf("%v (replay: -run '^%s$' -seed %d)", err, t.Name(), s0)
		}
	}
	t.Logf("%d seeds: %d crash points inside %d rolls and %d retention runs", seeds, st.points, st.rolls, st.retains)
	if st.rolls == 0 || st.retains == 0 || st.points == 0 {
		t.Fatalf("the workload rolled %d and retained %d times: no crash inside them", st.rolls, st.retains)
	}
}

// The control: the test catches a journal whose directory syncs do
// nothing (a rolled segment's name, or a new log start, lost in a crash).
func TestL9CrashDuringRollCatchesMissingDirSyncs(t *testing.T) {
	for s := range uint64(20) {
		if crashRollSeed(t, s, func(c *vfs.CrashFS) vfs.FS { return skipSyncDir{c} }, &rollStats{}) != nil {
			return
		}
	}
	t.Error("20 seeds of crashes inside rolls and retention runs did not notice missing directory syncs")
}

type rollStats struct{ points, rolls, retains int }

// crashRollSeed runs the dry run of seed s and then a crash at every
// operation inside its rolls and retention runs.
func crashRollSeed(t *testing.T, s uint64, wrap func(*vfs.CrashFS) vfs.FS, st *rollStats) error {
	steps, _, _, _, _ := rollWorkload(t, vfs.NewCrashFS(s), wrap, s, -1)
	var at []int // the crash points: every operation inside a roll or a retention run
	for _, step := range steps {
		if step.roll {
			st.rolls++
		}
		if step.retain {
			st.retains++
		}
		if !step.roll && !step.retain {
			continue
		}
		for k := step.opsBefore; k < step.opsAfter; k++ {
			at = append(at, k)
		}
	}
	for _, k := range at {
		st.points++
		c := vfs.NewCrashFS(s)
		c.SetTear([]int{0, 512, 4096}[k%3])
		replay, written, acked, start, deleted := rollWorkload(t, c, wrap, s, k)
		// The replay is the dry run up to the halt (else the crash point
		// would not be where it was meant to be).
		for n, step := range replay {
			if step.opsBefore != steps[n].opsBefore {
				t.Fatalf("seed %d: step %d starts at operation %d in the replay, %d in the dry run: the workload is not deterministic", s, n, step.opsBefore, steps[n].opsBefore)
			}
		}
		c.Crash()
		if err := checkAfterCrash(c, written, acked, start, deleted); err != nil {
			return fmt.Errorf("seed %d, crash at operation %d: %v", s, k, err)
		}
	}
	return nil
}

// checkAfterCrash reopens c after a crash and checks L7's invariants in
// durable mode.
func checkAfterCrash(c *vfs.CrashFS, written []Record, acked int, start int64, deleted map[int64]bool) error {
	j, err := Open("j", quietOpts(c, nil))
	if err != nil {
		return fmt.Errorf("reopen: %v", err)
	}
	defer j.Close()
	st, end, err := j.Bounds("t", 0)
	switch {
	case err != nil:
		return fmt.Errorf("bounds: %v", err)
	case st < start:
		return fmt.Errorf("log start went back from %d to %d", start, st)
	case end < int64(acked):
		return fmt.Errorf("end %d, but %d records were acked", end, acked)
	case end > int64(len(written)):
		return fmt.Errorf("end %d, only %d records were written", end, len(written))
	}
	ms, err := j.Read(context.Background(), "t", 0, st, ReadOptions{MaxBytes: 1 << 30})
	if err != nil {
		return fmt.Errorf("read: %v", err)
	}
	if int64(len(ms)) != end-st {
		return fmt.Errorf("read %d records in [%d, %d): a gap", len(ms), st, end)
	}
	for i, m := range ms {
		if m.Offset != st+int64(i) || !sameRecord(m.Record, written[m.Offset]) {
			return fmt.Errorf("offset %d (record %d of the read) holds %q, want %q", m.Offset, i, m.Value, written[st+int64(i)].Value)
		}
	}
	names, err := c.ReadDir(partDir)
	if err != nil {
		return err
	}
	var bases []int64
	for _, n := range names {
		if base, ext, ok := parseSegName(n); ok && ext == ".log" {
			bases = append(bases, base)
		}
	}
	slices.Sort(bases)
	for _, n := range names {
		base, ext, ok := parseSegName(n)
		if (ok && ext != ".log" && !slices.Contains(bases, base)) || strings.HasSuffix(n, vfs.TempSuffix) || n == cleanFile || (!ok && n != startFile && n != snapshotFile) {
			return fmt.Errorf("orphan file %s after recovery\n%s", n, c.Tree())
		}
		if ok && ext == ".log" && deleted[base] {
			return fmt.Errorf("deleted segment %s came back\n%s", n, c.Tree())
		}
	}
	if len(bases) > 1 && bases[1] <= st {
		return fmt.Errorf("segment %d is wholly below the log start %d\n%s", bases[0], st, c.Tree())
	}
	return nil
}
