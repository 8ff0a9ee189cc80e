package task

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/state"
)

// TestEachChunkDeferred: the chunks of a deferred (copy-on-write) snapshot,
// serialised after the state changed, are byte for byte those the
// synchronous path (state.AppendGroup + KeyedChunk) gave when the snapshot
// was taken; the capture is released afterwards; Materialize agrees.
func TestEachChunkDeferred(t *testing.T) {
	kgs := base.KeyGroupRange{Start: 3, End: 19}
	h := state.NewHeap(kgs)
	v, l := h.Table("value"), h.Table("list")
	key := make([]byte, 8)
	for i := range 3000 {
		binary.BigEndian.PutUint64(key, uint64(i))
		kg := kgs.Start + i%(kgs.Len()-2) // the last two groups stay empty
		v.Put(kg, key, []byte{byte(i % 5)}, fmt.Appendf(nil, "v%d", i))
		l.Append(kg, key, nil, []byte("x"))
	}
	timers := map[int][]byte{kgs.End - 1: {1, 2, 3}, kgs.Start: {4}}
	want := map[int][]byte{}
	for kg := kgs.Start; kg < kgs.End; kg++ {
		sb := state.AppendGroup(nil, h, kg)
		if len(sb) <= 6 && timers[kg] == nil {
			continue
		}
		want[kg] = KeyedChunk(sb, timers[kg])
	}
	snap := func() *OperatorSnapshot {
		return &OperatorSnapshot{Keyed: true, KeyGroups: kgs, deferred: &deferredGroups{state: state.Capture(h), timers: timers}}
	}
	mutate := func(round int) {
		for i := range 3000 {
			binary.BigEndian.PutUint64(key, uint64(i))
			kg := kgs.Start + i%(kgs.Len()-2)
			v.Put(kg, key, []byte{byte(i % 5)}, fmt.Appendf(nil, "w%d-%d", round, i))
			l.Append(kg, key, nil, []byte("y"))
			if i%3 == 0 {
				v.DeleteKey(kg, key)
			}
		}
	}
	os1, os2 := snap(), snap()
	mutate(1)
	got := map[int][]byte{}
	last := -1
	if err := os1.EachChunk(func(kg int, chunk []byte) error {
		if kg <= last {
			t.Fatalf("key group %d after %d", kg, last)
		}
		last = kg
		got[kg] = append([]byte(nil), chunk...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	mutate(2)
	os2.Materialize()
	for name, g := range map[string]map[int][]byte{"EachChunk": got, "Materialize": os2.Groups} {
		if len(g) != len(want) {
			t.Fatalf("%s: %d chunks, want %d", name, len(g), len(want))
		}
		for kg, w := range want {
			if !bytes.Equal(g[kg], w) {
				t.Fatalf("%s: key group %d differs", name, kg)
			}
		}
	}
	if os1.deferred != nil || os2.deferred != nil {
		t.Fatal("deferred snapshot left after serialisation")
	}
	// Both captures were released: the backend writes in place again, and
	// a released snapshot is not pending any more (a new one still works).
	s := state.Capture(h)
	s.Release()
	s.Release() // idempotent
}

// TestBarrierAlignmentTime: a subtask reports, with its snapshot, the time
// from the first barrier of a checkpoint on one input to the last one on
// all of them, read from the injected clock; a single live input aligns in
// no time.
func TestBarrierAlignmentTime(t *testing.T) {
	clock := base.NewManualClock(time.Unix(1_000, 0))
	var got []SubtaskSnapshot
	st := &Subtask{clock: clock, ckpt: &Checkpointing{Snapshot: func(s SubtaskSnapshot) { got = append(got, s) }}}
	a, b, c := &input{}, &input{}, &input{}
	st.inputs = []*input{a, b, c}
	st.onBarrier(b, 7)
	clock.Advance(20 * time.Millisecond)
	st.onBarrier(a, 7)
	clock.Advance(10 * time.Millisecond)
	if len(got) != 0 {
		t.Fatal("snapshot before the last barrier")
	}
	st.onBarrier(c, 7)
	if len(got) != 1 || got[0].CheckpointID != 7 || got[0].Alignment != 30*time.Millisecond {
		t.Fatalf("got %+v, want checkpoint 7 aligned in 30ms", got)
	}
	// The next alignment starts afresh; an input that ends completes it.
	st.onBarrier(a, 8)
	clock.Advance(5 * time.Millisecond)
	st.onBarrier(c, 8)
	clock.Advance(5 * time.Millisecond)
	st.handle(b, operator.Event{Kind: operator.EventEnd})
	if len(got) != 2 || got[1].CheckpointID != 8 || got[1].Alignment != 10*time.Millisecond {
		t.Fatalf("got %+v, want checkpoint 8 aligned in 10ms", got[1:])
	}
	// One live input left: no alignment.
	st.handle(c, operator.Event{Kind: operator.EventEnd})
	clock.Advance(time.Second)
	st.onBarrier(a, 9)
	if len(got) != 3 || got[2].Alignment != 0 {
		t.Fatalf("got %+v, want checkpoint 9 with no alignment", got[2:])
	}
}
