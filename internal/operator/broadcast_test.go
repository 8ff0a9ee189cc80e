package operator

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/codec"
)

func TestBroadcastSnapshotRoundTrip(t *testing.T) {
	h1 := buildJoinHarness(t, "broadcast", nil)
	h1.run(t, "b * 1 big=40")
	h1.run(t, "b * 2 small=10")
	h1.run(t, "b * 3 tiny=1")
	h1.run(t, "b * 4 tiny=-")
	snap := h1.snapshot()

	h2 := buildJoinHarness(t, "broadcast", nil)
	op2 := h2.op.(*KeyedBroadcastProcess[string, jrec, jrec, string])
	if err := op2.RestoreBroadcastState(snap); err != nil {
		t.Fatal(err)
	}
	// Restored but not yet bound to its descriptor: re-encoded as is.
	if got := h2.snapshot(); !bytes.Equal(got, snap) {
		t.Fatalf("snapshot of a restored registry:\n got %x\nwant %x", got, snap)
	}
	out1 := h1.run(t, "a k 5 45")
	out2 := h2.run(t, "a k 5 45")
	if strings.Join(out1, "\n") != strings.Join(out2, "\n") || len(out1) != 2 {
		t.Fatalf("after restore: got %q, want %q", out2, out1)
	}
	if got := h2.snapshot(); !bytes.Equal(got, snap) {
		t.Fatalf("snapshot after use:\n got %x\nwant %x", got, snap)
	}
}

func TestBroadcastSnapshotCorrupt(t *testing.T) {
	h := buildJoinHarness(t, "broadcast", nil)
	h.run(t, "b * 1 big=40")
	h.run(t, "b * 2 small=10")
	good := h.snapshot()
	op := h.op.(*KeyedBroadcastProcess[string, jrec, jrec, string])
	// A snapshot whose keys are out of order: encode {a, b}, then swap them.
	var reg broadcastRegistry
	s := bindBroadcast(&reg, NewBroadcastStateDescriptor[string, int64]("rules"))
	s.Put("a", 1)
	s.Put("b", 2)
	swapped := reg.snapshot()
	i, j := bytes.Index(swapped, []byte{1, 'a'}), bytes.Index(swapped, []byte{1, 'b'})
	swapped[i+1], swapped[j+1] = 'b', 'a'
	for name, b := range map[string][]byte{
		"empty":         nil,
		"version":       append([]byte{9}, good[1:]...),
		"truncated":     good[:len(good)-3],
		"trailing":      append(bytes.Clone(good), 0),
		"out of order":  swapped,
		"duplicate":     {1, 2, 1, 'x', 0, 1, 'x', 0},
		"bad length":    {1, 0xff},
		"long name len": {1, 1, 9, 'x'},
	} {
		if err := op.RestoreBroadcastState(b); err == nil {
			t.Errorf("%s: restore accepted %x", name, b)
		}
	}
	// A failed restore leaves the state as it was.
	if got := h.snapshot(); !bytes.Equal(got, good) {
		t.Fatalf("state changed by failed restores: %x", got)
	}
}

func TestBroadcastDescriptorTypeMismatch(t *testing.T) {
	var reg broadcastRegistry
	bindBroadcast(&reg, NewBroadcastStateDescriptor[string, int64]("rules"))
	err := joinMustPanic(t, func() { bindBroadcast(&reg, NewBroadcastStateDescriptor[string, string]("rules")) })
	if !strings.Contains(err.Error(), `"rules"`) {
		t.Fatalf("got %v", err)
	}
}

func TestBroadcastRangeOrderAndMutation(t *testing.T) {
	var reg broadcastRegistry
	s := bindBroadcast(&reg, BroadcastStateDescriptor[int64, string]{Name: "m"})
	for _, k := range []int64{5, 1, 3, 2, 4} {
		s.Put(k, "v")
	}
	var seen []int64
	s.Range(func(k int64, _ string) bool {
		seen = append(seen, k)
		if k == 2 {
			s.Remove(3) // removed during the iteration: skipped
			s.Put(9, "new")
		}
		return true
	})
	if want := []int64{1, 2, 4, 5}; !slices.Equal(seen, want) {
		t.Fatalf("range saw %v, want %v", seen, want)
	}
	if s.Len() != 5 || !s.Contains(9) || s.Contains(3) {
		t.Fatalf("state after range: len %d", s.Len())
	}
	s.Clear()
	if s.Len() != 0 {
		t.Fatal("clear left entries")
	}
}

// joinKeyedStateInBroadcast uses keyed state where there is no current key.
type joinKeyedStateInBroadcast struct {
	joinThresholdRules
}

func (f *joinKeyedStateInBroadcast) ProcessBroadcastElement(*BroadcastContext, jrec, Emitter[string]) error {
	f.count.Set(1)
	return nil
}

func TestBroadcastElementHasNoKey(t *testing.T) {
	h := buildJoinHarness(t, "broadcast", nil)
	op := h.op.(*KeyedBroadcastProcess[string, jrec, jrec, string])
	fn := &joinKeyedStateInBroadcast{}
	fn.count = NewValueState(&op.kc, "count", codec.For[int64](), TTL{})
	op.Fn = fn
	h.run(t, "a k 1 5") // a key was current before
	err := joinMustPanic(t, func() { op.Input2().Collect(2, jrec{"*", "x=1"}) })
	if !strings.Contains(err.Error(), "no current key") {
		t.Fatalf("got %v", err)
	}
	// The keyed record's own state is intact.
	op.Input1().Collect(3, jrec{"k", "5"})
	if c, _ := fn.count.Get(); c != 2 {
		t.Fatalf("count of k = %d, want 2 (the broadcast element must not have touched it)", c)
	}
}
