package planner

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"os"
	"testing"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// TestSliceAggBufferSnapshotRescales takes checkpoints of HOP (and
// TUMBLE) aggregations while slices are buffered, slices whose later
// windows have not fired among them, and restores the last one at
// parallelism 1 and 2: the rows before and after it are the state path's
// (without checkpoints), each subtask's in its order. The barriers keep
// the buffer in memory: no slice goes to state (stateEnds stays empty),
// and the live state holds nothing but the last barrier's buffer entries.
func TestSliceAggBufferSnapshotRescales(t *testing.T) {
	for _, w := range []struct{ size, slide int64 }{{300, 100}, {500, 100}, {200, 200}} {
		a, sc, keyCodec, keyFn := sliceAggFixture(t, "COUNT", -1, "SUM", 2, "MAX", 2)
		newFn := func(foldAll, intKey bool) func() *sliceAgg {
			return func() *sliceAgg {
				return &sliceAgg{a: a, codec: sc, size: w.size, slide: w.slide, nkeys: 1, keyCodec: keyCodec, foldAll: foldAll, intKey: intKey}
			}
		}
		pending := 0 // buffered slices with windows to come, at the snapshots
		for seed := range uint64(30) {
			ops := snapOps(seed)
			cut := len(ops) / 2
			want := runWithCheckpoints(t, ops, keyFn, false, func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
				return newFn(true, false)()
			})
			intKey := seed%2 == 0
			fn := newFn(false, intKey)()
			snap := runToSnapshot(t, ops[:cut], fn, keyFn)
			if len(fn.stateEnds) != 0 {
				t.Fatalf("size %d slide %d seed %d: slices in state after barriers: %v", w.size, w.slide, seed, fn.stateEnds)
			}
			entries := 0
			for kg := range base.DefaultMaxParallelism {
				fn.table.ScanGroup(kg, func(key, sub, _ []byte) bool {
					if string(key) != string(bufEntry) || string(sub) != string(bufEntry) {
						t.Fatalf("seed %d: an entry (%q, %q) in the live state", seed, key, sub)
					}
					entries++
					return true
				})
			}
			if entries != len(fn.staged) {
				t.Fatalf("seed %d: %d buffer entries in the live state, the last barrier wrote %d", seed, entries, len(fn.staged))
			}
			for i := range fn.bufd {
				if b := &fn.bufd[i]; b.first < b.end+w.size-w.slide {
					pending++
				}
			}
			for _, n := range []int{1, 2} {
				rows, _ := resumeSnapshot(t, snap, n, ops[cut:], newFn(false, !intKey), keyFn)
				checkResumed(t, "memory path", snap.Rows, rows, want)
			}
			// And into the state path (folded at the first watermark).
			rows, _ := resumeSnapshot(t, snap, 2, ops[cut:], newFn(true, false), keyFn)
			checkResumed(t, "restored into the state path", snap.Rows, rows, want)
		}
		if w.size > w.slide && pending == 0 {
			t.Fatalf("size %d slide %d: no snapshot had a buffered slice with windows to come", w.size, w.slide)
		}
	}
}

// TestSliceAggRestoresMainSnapshot restores a checkpoint written by
// main's build at 0b6ebcb (testdata/sliceagg_main_snapshot.json: the
// barrier folded the buffer into the slices table, with the state path's
// timers) at parallelism 1 and 2: the rows are the state path's.
func TestSliceAggRestoresMainSnapshot(t *testing.T) {
	b, err := os.ReadFile("testdata/sliceagg_main_snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	var snap sliceSnap
	if err := json.Unmarshal(b, &snap); err != nil {
		t.Fatal(err)
	}
	// It is main's layout: slices of 8-byte ends and their timers.
	h := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
	slicesIn := 0
	for kg, g := range snap.Groups {
		if err := state.RestoreGroup(h, kg, g); err != nil {
			t.Fatal(err)
		}
		h.Table("slices").ScanGroup(kg, func(_, sub, _ []byte) bool {
			if len(sub) != 8 {
				t.Fatalf("key group %d: a sub of %d bytes: not main's layout", kg, len(sub))
			}
			slicesIn++
			return true
		})
	}
	if slicesIn == 0 || len(snap.Timers) == 0 {
		t.Fatalf("%d slices and %d key groups of timers in the golden snapshot: want some", slicesIn, len(snap.Timers))
	}
	newFn, keyFn := newSnapAgg(t, true)
	ops := snapOps(1)
	cut := len(ops) / 2
	var want []string
	want = runWithCheckpoints(t, ops, keyFn, false, func() stream.KeyedProcessFunction[string, table.Row, table.Row] { return newFn() })
	mem, _ := newSnapAgg(t, false)
	for _, n := range []int{1, 2} {
		rows, _ := resumeSnapshot(t, snap, n, ops[cut:], mem, keyFn)
		checkResumed(t, "main's snapshot", snap.Rows, rows, want)
	}
}

// TestSliceAggBufferSnapshotChecked: the buffer's entry of a snapshot is
// checksummed and versioned (a newer version is refused as a newer
// build's, ErrNewerVersion; a changed byte is corruption), and the builds
// before it, which decode every sub of the slices table as a slice end
// (an 8-byte integer) when they open restored, fail on it instead of
// ignoring it.
func TestSliceAggBufferSnapshotChecked(t *testing.T) {
	newFn, keyFn := newSnapAgg(t, false)
	ops := snapOps(2)
	fn := newFn()
	snap := runToSnapshot(t, ops, fn, keyFn)
	if len(fn.bufd) == 0 {
		t.Fatal("nothing buffered at the snapshot")
	}
	h := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
	var entries [][]byte
	var kgs []int
	for kg, g := range snap.Groups {
		if err := state.RestoreGroup(h, kg, g); err != nil {
			t.Fatal(err)
		}
		h.Table("slices").ScanGroup(kg, func(_, sub, v []byte) bool {
			if _, err := codec.For[int64]().Decode(sub); err == nil {
				t.Fatalf("key group %d: a sub the builds before read as a slice end", kg)
			}
			entries, kgs = append(entries, append([]byte(nil), v...)), append(kgs, kg)
			return true
		})
	}
	if len(entries) == 0 {
		t.Fatal("no buffer entry in the snapshot")
	}
	p := entries[0]
	// restoreBuffer runs in Open, after the index is made: a function
	// that was never opened has none, and a NULL key (not an integer)
	// goes through the map (it panicked on a nil map, about one run in
	// 30-80, when the random keys put a NULL key in entries[0]).
	opened := func() *sliceAgg {
		f := newFn()
		f.index = make(map[sliceKey]int)
		return f
	}
	if err := opened().restoreBuffer(kgs[0], p); err != nil {
		t.Fatalf("the entry as written: %v", err)
	}
	bad := append([]byte(nil), p...)
	bad[len(bad)/2] ^= 1
	if err := opened().restoreBuffer(kgs[0], bad); !errors.Is(err, table.ErrCorrupt) {
		t.Fatalf("a changed byte: %v, want ErrCorrupt", err)
	}
	newer := append([]byte{bufSnapshotVersion + 1}, p[1:len(p)-4]...)
	newer = binary.BigEndian.AppendUint32(newer, crc32.Checksum(newer, castagnoli))
	if err := opened().restoreBuffer(kgs[0], newer); !errors.Is(err, stream.ErrNewerVersion) {
		t.Fatalf("version %d: %v, want ErrNewerVersion", bufSnapshotVersion+1, err)
	}
}
