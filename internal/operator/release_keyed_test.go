package operator

import "testing"

// releasingOut is a Collector that is done with every record it collects.
type releasingOut struct{}

func (releasingOut) Collect(int64, int)    {}
func (releasingOut) ReleasesRecords() bool { return true }

// echoFn is a keyed function that keeps nothing; bufferingFn buffers
// records (KeyedBuffer), so it keeps what it buffers.
type echoFn struct{}

func (echoFn) Open(*OpenContext) error                                    { return nil }
func (echoFn) ProcessElement(*KeyedContext[int], int, Emitter[int]) error { return nil }
func (echoFn) OnTimer(*KeyedContext[int], int64, Emitter[int]) error      { return nil }

type bufferingFn struct{ echoFn }

func (bufferingFn) Full() bool                                { return false }
func (bufferingFn) Flush(*KeyedContext[int], func(int)) error { return nil }

// A keyed function said to release its records does, unless it buffers
// them (KeyedBuffer): then a source below must not reuse record memory.
func TestKeyedProcessBufferKeepsRecords(t *testing.T) {
	o := &KeyedProcess[int, int, int]{Fn: echoFn{}, Out: releasingOut{}, Releases: true}
	if !o.ReleasesRecords() {
		t.Fatal("a releasing function without a buffer does not release")
	}
	b := &KeyedProcess[int, int, int]{Fn: bufferingFn{}, Out: releasingOut{}, Releases: true}
	if b.ReleasesRecords() {
		t.Fatal("a buffering function was said to release its records")
	}
}

// A window operator releases its records only when told its contents and
// key function keep none (Releases), with the default trigger (a trigger
// may read the element) and no late side output (which passes them on).
func TestKeyedWindowReleasesRecords(t *testing.T) {
	for _, c := range []struct {
		o    *KeyedWindow[int, int, int, int]
		want bool
	}{
		{&KeyedWindow[int, int, int, int]{Releases: true}, true},
		{&KeyedWindow[int, int, int, int]{}, false},
		{&KeyedWindow[int, int, int, int]{Releases: true, Trigger: EventTimeTrigger{}}, false},
		{&KeyedWindow[int, int, int, int]{Releases: true, LateTag: "late"}, false},
	} {
		if got := c.o.ReleasesRecords(); got != c.want {
			t.Errorf("Releases %v, trigger %v, late tag %q: releases %v, want %v", c.o.Releases, c.o.Trigger, c.o.LateTag, got, c.want)
		}
	}
}
