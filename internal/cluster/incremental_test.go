package cluster

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/internal/task"
	"github.com/stromio/strom/internal/vfs"
)

// dumpHeap lists a backend's entries as table|kg|key|sub -> value.
func dumpHeap(b state.Backend) map[string]string {
	out := map[string]string{}
	r := b.KeyGroups()
	for _, name := range b.TableNames() {
		for kg := r.Start; kg < r.End; kg++ {
			b.Table(name).ScanGroup(kg, func(key, sub, value []byte) bool {
				out[fmt.Sprintf("%s|%d|%s|%s", name, kg, key, sub)] = string(value)
				return true
			})
		}
	}
	return out
}

// restoreChain restores operator uid of checkpoint m for key groups kgs the
// way a subtask does (task.Subtask.restore): the links of the chain with
// state.RestoreChain, the timers of the last link.
func restoreChain(t *testing.T, st checkpoint.Storage, m *checkpoint.Metadata, uid string, kgs base.KeyGroupRange) (map[string]string, map[int][]byte) {
	t.Helper()
	c := &coordinator{restored: m, restoreFrom: st, files: map[string]*decodedFile{}}
	_, groups, err := c.restore(uid, kgs)
	if err != nil {
		t.Fatal(err)
	}
	h := state.NewHeap(kgs)
	timers := map[int][]byte{}
	for kg, chain := range groups {
		var links [][]byte
		for i, chunk := range chain {
			var sb []byte
			if chunk != nil {
				var tm []byte
				var err error
				if sb, tm, err = task.SplitKeyedChunk(chunk); err != nil {
					t.Fatalf("key group %d link %d: %v", kg, i, err)
				}
				if i == len(chain)-1 && len(tm) > 0 {
					timers[kg] = tm
				}
			}
			links = append(links, sb)
		}
		if err := state.RestoreChain(h, kg, links); err != nil {
			t.Fatalf("key group %d: %v", kg, err)
		}
	}
	return dumpHeap(h), timers
}

// TestIncrementalUpload drives the uploader's choice of full and delta
// files over a real storage: the first snapshot is a full base, the next
// ones deltas over the completed chain; a checkpoint that does not
// complete makes the next one a full base (its delta would lack the
// changes of the failed one); the chain is bounded by MaxDeltas. Every
// completed checkpoint restores (also at a narrower key-group range) to
// exactly the state and timers at its snapshot, and retention keeps every
// checkpoint a retained chain references.
func TestIncrementalUpload(t *testing.T) {
	ctx := context.Background()
	st := checkpoint.NewLocal(vfs.OS{}, filepath.Join(t.TempDir(), "ckpt"))
	c := uploadCoordinator(CheckpointOptions{Storage: st, MaxDeltas: 3})
	kgs := base.KeyGroupRange{Start: 8, End: 16}
	h := state.NewHeap(kgs)
	rng := rand.New(rand.NewPCG(1, 2))
	mutate := func(n int) {
		for range n {
			tb := h.Table([]string{"a", "b"}[rng.IntN(2)])
			kg := kgs.Start + rng.IntN(kgs.Len())
			key := fmt.Appendf(nil, "k%d", rng.IntN(60))
			sub := fmt.Appendf(nil, "s%d", rng.IntN(12))
			switch rng.IntN(6) {
			case 0:
				tb.DeleteKey(kg, key)
			case 1:
				tb.Delete(kg, key, sub)
			case 2:
				tb.Append(kg, key, sub, []byte("+"))
			default:
				tb.Put(kg, key, sub, fmt.Appendf(nil, "v%d", rng.IntN(1000)))
			}
		}
	}
	// A table that does not change after the start: the base is much larger
	// than the deltas (a chain ends when its deltas outgrow its base).
	for i := range 5000 {
		h.Table("big").Put(kgs.Start+i%kgs.Len(), fmt.Appendf(nil, "big%d", i), nil, bytes.Repeat([]byte("x"), 40))
	}
	type want struct {
		m      *checkpoint.Metadata
		state  map[string]string
		timers map[int][]byte
	}
	var done []want
	var file bytes.Buffer
	var upload func(id int64, os *task.OperatorSnapshot, complete bool, snapState map[string]string, timers map[int][]byte, write bool) *checkpoint.KeyedFile
	// step takes checkpoint id: snapshot, upload, and (when complete)
	// commit the metadata; it returns the keyed file of the metadata.
	step := func(id int64, complete bool, timers map[int][]byte) *checkpoint.KeyedFile {
		mutate(300)
		snapState := dumpHeap(h)
		os := task.CapturedOperator("agg", kgs, state.CaptureIncremental(h), timers, false)
		mutate(100) // written while the upload reads the capture
		return upload(id, &os, complete, snapState, timers, true)
	}
	upload = func(id int64, os *task.OperatorSnapshot, complete bool, snapState map[string]string, timers map[int][]byte, write bool) *checkpoint.KeyedFile {
		kf, written, _, err := c.uploadKeyed(ctx, &file, nil, task.SubtaskSnapshot{CheckpointID: id, Subtask: 1}, os)
		if err != nil {
			t.Fatal(err)
		}
		if kf == nil || (written > 0) != write {
			t.Fatalf("checkpoint %d: %v, %d bytes written", id, kf, written)
		}
		if !complete {
			return kf
		}
		m := &checkpoint.Metadata{ID: id, JobFingerprint: "j", MaxParallelism: 32,
			Operators: []checkpoint.OperatorState{{UID: "agg", Parallelism: 4, Keyed: []checkpoint.KeyedFile{*kf}}}}
		if err := st.CommitMetadata(ctx, m); err != nil {
			t.Fatal(err)
		}
		c.chainsCompleted(id)
		done = append(done, want{m, snapState, maps.Clone(timers)})
		return kf
	}
	kinds := ""
	kind := func(kf *checkpoint.KeyedFile) {
		switch {
		case len(kf.Deltas) == 0 && kf.Dir == 0:
			kinds += "F"
		case len(kf.Deltas) > 0 && kf.Deltas[len(kf.Deltas)-1].Dir == 0:
			kinds += fmt.Sprint(len(kf.Deltas))
		default:
			t.Fatalf("unexpected chain %+v", kf)
		}
	}
	kind(step(1, true, map[int][]byte{9: []byte("t1")}))
	kind(step(2, true, map[int][]byte{9: []byte("t2"), 10: []byte("t2")}))
	kind(step(3, false, nil)) // fails: never completes
	kind(step(4, true, nil))  // so a full base
	kind(step(5, true, map[int][]byte{12: []byte("t5")}))
	kind(step(6, true, nil))
	kind(step(7, true, nil))
	kind(step(8, true, nil)) // MaxDeltas 3 reached: a full base
	kind(step(9, true, map[int][]byte{15: []byte("t9")}))
	// A finished subtask's last snapshot (kept): a delta over the
	// completed chain, then, in every later checkpoint, that chain as it
	// is (nothing written), also after one that failed.
	mutate(200)
	lastState := dumpHeap(h)
	last := task.CapturedOperator("agg", kgs, state.CaptureIncremental(h), nil, true)
	mutate(50) // the backend may still be written (closing operators): copy-on-write keeps the capture
	kind(upload(10, &last, true, lastState, nil, true))
	tip := upload(11, &last, true, lastState, nil, false)
	upload(12, &last, false, lastState, nil, false)
	if again := upload(13, &last, true, lastState, nil, false); len(again.Deltas) != len(tip.Deltas) || again.Deltas[len(again.Deltas)-1].Dir != 10 {
		t.Fatalf("the kept snapshot's chain changed: %+v, was %+v", again, tip)
	}
	if kinds != "F12F123F12" {
		t.Fatalf("files written: %q, want F12F123F12 (F: full, n: a delta, the chain's nth)", kinds)
	}
	for _, w := range done {
		for _, r := range []base.KeyGroupRange{kgs, {Start: 10, End: 13}} {
			got, timers := restoreChain(t, st, w.m, "agg", r)
			wantState := map[string]string{}
			for k, v := range w.state {
				kg, err := strconv.Atoi(strings.Split(k, "|")[1])
				if err != nil {
					t.Fatal(err)
				}
				if r.Contains(kg) {
					wantState[k] = v
				}
			}
			if !maps.Equal(got, wantState) {
				t.Fatalf("chk-%d restored over %s: %d entries, want %d\n got %v\nwant %v", w.m.ID, r, len(got), len(wantState), got, wantState)
			}
			wantTimers := map[int][]byte{}
			for kg, b := range w.timers {
				if r.Contains(kg) {
					wantTimers[kg] = b
				}
			}
			if !maps.EqualFunc(timers, wantTimers, bytes.Equal) {
				t.Fatalf("chk-%d timers over %s: %v, want %v", w.m.ID, r, timers, wantTimers)
			}
		}
	}
	// Retention of the newest one (13, which writes no file of its own)
	// subsumes every other checkpoint but keeps the base and deltas 13
	// uses (in 8, 9, 10); the failed attempts and older chains go.
	if err := st.Retain(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if ids, _ := st.List(ctx); !slices.Equal(ids, []int64{13}) {
		t.Fatalf("after Retain(1): %v, want [13]", ids)
	}
	m13, err := st.Load(ctx, 13)
	if err != nil {
		t.Fatal(err)
	}
	wantDirs := map[string][]string{"": {"chk-10", "chk-13", "chk-8", "chk-9"}}
	for _, l := range m13.Operators[0].Keyed[0].Links(13) {
		d := checkpoint.ChkDirName(l.Dir)
		wantDirs[d] = append(wantDirs[d], l.Name)
	}
	if len(wantDirs) != 4 {
		t.Fatalf("chk-13's chain %+v: want links in 8, 9 and 10", m13.Operators[0].Keyed[0])
	}
	for dir, names := range wantDirs {
		if got, err := (vfs.OS{}).ReadDir(filepath.Join(st.Dir(), dir)); err != nil || !slices.Equal(got, names) {
			t.Fatalf("after Retain(1) %q holds %q (%v), want %q", dir, got, err, names)
		}
	}
	if _, err := st.LoadLatest(ctx, nil); err != nil {
		t.Fatal(err)
	}
}
