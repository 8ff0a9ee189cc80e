package cluster

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/internal/task"
	"github.com/stromio/strom/internal/vfs"
)

// A snapshot whose delta has no chunk at all (no state change, no timers
// left) makes uploadKeyed reuse the previous chain unchanged
// ("prev != nil && chunks == 0"). That chain's last link carries the
// timers of the PREVIOUS snapshot, so a restore of the new checkpoint
// brings back timers that had fired (or were deleted) since.
func TestIncrementalFiredTimersStayFired(t *testing.T) {
	ctx := context.Background()
	st := checkpoint.NewLocal(vfs.OS{}, filepath.Join(t.TempDir(), "ckpt"))
	c := uploadCoordinator(CheckpointOptions{Storage: st})
	kgs := base.KeyGroupRange{Start: 8, End: 16}
	h := state.NewHeap(kgs)
	h.Table("v").Put(9, []byte("k"), nil, []byte("x")) // some state that never changes
	var file bytes.Buffer
	commit := func(id int64, timers map[int][]byte) *checkpoint.Metadata {
		os := task.CapturedOperator("kp", kgs, state.CaptureIncremental(h), timers, false)
		kf, _, _, err := c.uploadKeyed(ctx, &file, nil, task.SubtaskSnapshot{CheckpointID: id, Subtask: 0}, &os)
		if err != nil {
			t.Fatal(err)
		}
		m := &checkpoint.Metadata{ID: id, JobFingerprint: "j", MaxParallelism: 32,
			Operators: []checkpoint.OperatorState{{UID: "kp", Parallelism: 1}}}
		if kf != nil {
			m.Operators[0].Keyed = []checkpoint.KeyedFile{*kf}
		}
		if err := st.CommitMetadata(ctx, m); err != nil {
			t.Fatal(err)
		}
		c.chainsCompleted(id)
		return m
	}
	commit(1, nil)                                 // full base (tracking starts)
	commit(2, map[int][]byte{12: []byte("timer")}) // delta: kg 12 has a timer
	m3 := commit(3, nil)                           // the timer fired, no state change
	_, timers := restoreChain(t, st, m3, "kp", kgs)
	if len(timers) != 0 {
		t.Fatalf("chk-3 restores timers %v, but there were none at its snapshot (chain %+v)", timers, m3.Operators[0].Keyed)
	}
}

// TestUploadKeyedReportsTimers: uploadKeyed says whether the chain it
// references ends in a link with timers it wrote (the metadata is then
// version 4, Metadata.TimersV2): a base without timers no, a delta with
// timers yes, the empty delta that says they fired no, and a chain reused
// unchanged over that no; the metadata written with the flag restores.
func TestUploadKeyedReportsTimers(t *testing.T) {
	ctx := context.Background()
	st := checkpoint.NewLocal(vfs.OS{}, filepath.Join(t.TempDir(), "ckpt"))
	c := uploadCoordinator(CheckpointOptions{Storage: st})
	kgs := base.KeyGroupRange{Start: 8, End: 16}
	h := state.NewHeap(kgs)
	h.Table("v").Put(9, []byte("k"), nil, []byte("x"))
	var file bytes.Buffer
	commit := func(id int64, timers map[int][]byte) (*checkpoint.Metadata, bool) {
		os := task.CapturedOperator("kp", kgs, state.CaptureIncremental(h), timers, false)
		kf, _, withTimers, err := c.uploadKeyed(ctx, &file, nil, task.SubtaskSnapshot{CheckpointID: id, Subtask: 0}, &os)
		if err != nil {
			t.Fatal(err)
		}
		m := &checkpoint.Metadata{ID: id, JobFingerprint: "j", MaxParallelism: 32, TimersV2: withTimers,
			Operators: []checkpoint.OperatorState{{UID: "kp", Parallelism: 1}}}
		if kf != nil {
			m.Operators[0].Keyed = []checkpoint.KeyedFile{*kf}
		}
		if err := st.CommitMetadata(ctx, m); err != nil {
			t.Fatal(err)
		}
		c.chainsCompleted(id)
		return m, withTimers
	}
	var seen []int64
	timer := map[int][]byte{12: {2, 0x81, 0x80, 0x80, 0x80, 0, 0, 10, 0x81, 0x80, 0x80, 0x80, 0, 1, 'k', 0}}
	for _, step := range []struct {
		timers map[int][]byte
		want   bool
	}{{nil, false}, {timer, true}, {nil, false}, {nil, false}} {
		id := int64(len(seen) + 1)
		seen = append(seen, id)
		m, got := commit(id, step.timers)
		if got != step.want {
			t.Fatalf("chk-%d: timers %v, want %v (chain %+v)", id, got, step.want, m.Operators[0].Keyed)
		}
		back, err := st.Load(ctx, id)
		if err != nil || back.TimersV2 != got {
			t.Fatalf("chk-%d: metadata %v, TimersV2 %v", id, err, back != nil && back.TimersV2)
		}
		_, timers := restoreChain(t, st, m, "kp", kgs)
		if step.want != (len(timers) > 0) {
			t.Fatalf("chk-%d restores timers %v", id, timers)
		}
	}
}

// TestUploadKeyedV1TimersNotV2: timers that all encode as version 1 (what
// the writer falls back to when every timer is alone at its time) are not
// reported as version 2: the metadata stays readable by older builds.
func TestUploadKeyedV1TimersNotV2(t *testing.T) {
	ctx := context.Background()
	st := checkpoint.NewLocal(vfs.OS{}, filepath.Join(t.TempDir(), "ckpt"))
	c := uploadCoordinator(CheckpointOptions{Storage: st})
	kgs := base.KeyGroupRange{Start: 8, End: 16}
	h := state.NewHeap(kgs)
	h.Table("v").Put(9, []byte("k"), nil, []byte("x"))
	var file bytes.Buffer
	v1 := map[int][]byte{12: {1, 0x81, 0x80, 0x80, 0x80, 0, 0, 10, 1, 'k', 0}}
	os := task.CapturedOperator("kp", kgs, state.CaptureIncremental(h), v1, false)
	kf, _, withV2, err := c.uploadKeyed(ctx, &file, nil, task.SubtaskSnapshot{CheckpointID: 1, Subtask: 0}, &os)
	if err != nil {
		t.Fatal(err)
	}
	if kf == nil {
		t.Fatal("no keyed file")
	}
	if withV2 {
		t.Fatal("timers of version 1 only: uploadKeyed reports TimersV2 (metadata version 4, refused by older builds)")
	}
}

// TestUploadKeyedFinishedV2: a finished subtask's last snapshot, copied
// into every later checkpoint (the completed chain referenced as it is),
// reports timers of version 2 as its first upload did: yes when they
// are, no when they all encode as version 1 (the chain's "has timers"
// is not the flag).
func TestUploadKeyedFinishedV2(t *testing.T) {
	for _, tc := range []struct {
		name   string
		timers map[int][]byte
		want   bool
	}{
		{"v2", map[int][]byte{12: {2, 0x81, 0x80, 0x80, 0x80, 0, 0, 10, 0x81, 0x80, 0x80, 0x80, 0, 1, 'k', 0}}, true},
		{"v1", map[int][]byte{12: {1, 0x81, 0x80, 0x80, 0x80, 0, 0, 10, 1, 'k', 0}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := checkpoint.NewLocal(vfs.OS{}, filepath.Join(t.TempDir(), "ckpt"))
			c := uploadCoordinator(CheckpointOptions{Storage: st})
			kgs := base.KeyGroupRange{Start: 8, End: 16}
			h := state.NewHeap(kgs)
			h.Table("v").Put(9, []byte("k"), nil, []byte("x"))
			var file bytes.Buffer
			final := task.CapturedOperator("kp", kgs, state.CaptureIncremental(h), tc.timers, true)
			for id := int64(1); id <= 3; id++ {
				os := final
				kf, written, v2, err := c.uploadKeyed(ctx, &file, nil, task.SubtaskSnapshot{CheckpointID: id, Subtask: 0}, &os)
				if err != nil || kf == nil {
					t.Fatalf("chk-%d: %v, file %v", id, err, kf)
				}
				if id > 1 && written != 0 {
					t.Fatalf("chk-%d: the finished subtask's snapshot written again (%d bytes), not the completed chain", id, written)
				}
				if v2 != tc.want {
					t.Fatalf("chk-%d: TimersV2 %v, want %v", id, v2, tc.want)
				}
				c.chainsCompleted(id)
			}
		})
	}
}
