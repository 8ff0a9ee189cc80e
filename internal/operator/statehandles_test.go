package operator

import (
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/state"
)

func newKC(clock base.Clock) *KeyContext {
	return &KeyContext{Backend: state.NewHeap(base.KeyGroupRange{Start: 0, End: 128}), Clock: clock}
}

func setKey(kc *KeyContext, k string) {
	kc.Key = append(kc.Key[:0], k...)
	kc.KG = base.KeyGroupOf(base.HashKey(kc.Key), 128)
}

func TestValueListMapStates(t *testing.T) {
	kc := newKC(base.SystemClock{})
	v := NewValueState(kc, "v", codec.For[string](), TTL{})
	l := NewListState(kc, "l", codec.For[int](), TTL{})
	m := NewMapState(kc, "m", codec.For[string](), codec.For[int64](), TTL{})
	for _, k := range []string{"a", "b"} {
		setKey(kc, k)
		if _, ok := v.Get(); ok {
			t.Fatal("value set before Set")
		}
		v.Set("val-" + k)
		for i := range 3 {
			l.Add(i)
		}
		m.Put("x", 1)
		m.Put("y", 2)
	}
	setKey(kc, "a")
	if got, _ := v.Get(); got != "val-a" {
		t.Fatalf("value %q", got)
	}
	if got := l.Get(); !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("list %v", got)
	}
	l.Update([]int{7})
	if got := l.Get(); !slices.Equal(got, []int{7}) {
		t.Fatalf("list after update %v", got)
	}
	if x, ok := m.Get("x"); !ok || x != 1 || m.Len() != 2 || !m.Contains("y") {
		t.Fatalf("map wrong: %v %v len %d", x, ok, m.Len())
	}
	m.Remove("x")
	if m.Contains("x") || m.Len() != 1 {
		t.Fatal("remove failed")
	}
	v.Clear()
	l.Clear()
	m.Clear()
	setKey(kc, "b")
	if got, _ := v.Get(); got != "val-b" {
		t.Fatalf("key b lost its value: %q", got)
	}
	// Namespaces are independent.
	v.SetNamespace(AppendWindow(nil, Window{Start: 0, End: 10}))
	if _, ok := v.Get(); ok {
		t.Fatal("namespace leaked")
	}
}

type sumAgg struct{}

func (sumAgg) CreateAccumulator() [2]int64        { return [2]int64{} }
func (sumAgg) Add(v int64, acc [2]int64) [2]int64 { return [2]int64{acc[0] + v, acc[1] + 1} }
func (sumAgg) Merge(a, b [2]int64) [2]int64       { return [2]int64{a[0] + b[0], a[1] + b[1]} }
func (sumAgg) Result(acc [2]int64) float64        { return float64(acc[0]) / float64(acc[1]) }

func TestReducingAndAggregatingStates(t *testing.T) {
	kc := newKC(base.SystemClock{})
	r := NewReducingState(kc, "r", codec.For[int64](), func(a, b int64) int64 { return max(a, b) }, TTL{})
	a := NewAggregatingState[int64, [2]int64, float64](kc, "a", codec.For[[2]int64](), sumAgg{}, TTL{})
	setKey(kc, "k")
	for _, x := range []int64{3, 9, 4} {
		r.Add(x)
		a.Add(x)
	}
	if got, _ := r.Get(); got != 9 {
		t.Fatalf("max %d", got)
	}
	if got, _ := a.Get(); got != 16.0/3 {
		t.Fatalf("avg %v", got)
	}
}

func TestTTLExpiryAndRefresh(t *testing.T) {
	clock := base.NewManualClock(time.UnixMilli(0))
	kc := newKC(clock)
	v := NewValueState(kc, "v", codec.For[int](), TTL{TTL: time.Second})
	rv := NewValueState(kc, "rv", codec.For[int](), TTL{TTL: time.Second, RefreshOnRead: true})
	m := NewMapState(kc, "m", codec.For[int](), codec.For[int](), TTL{TTL: time.Second})
	setKey(kc, "k")
	v.Set(1)
	rv.Set(1)
	m.Put(1, 1)
	clock.Advance(600 * time.Millisecond)
	m.Put(2, 2)
	if _, ok := rv.Get(); !ok { // refreshes rv to 1600
		t.Fatal("rv expired early")
	}
	clock.Advance(600 * time.Millisecond) // now 1200
	if _, ok := v.Get(); ok {
		t.Fatal("v should have expired at 1000")
	}
	if _, ok := rv.Get(); !ok {
		t.Fatal("rv was refreshed on read and must live until 1600")
	}
	if m.Contains(1) || !m.Contains(2) || m.Len() != 1 {
		t.Fatal("map entries expire one by one")
	}
}

// TestTTLIncrementalCleanup: entries that are never read again are removed
// by the incremental cleanup that runs as other keys are processed.
func TestTTLIncrementalCleanup(t *testing.T) {
	clock := base.NewManualClock(time.UnixMilli(0))
	kc := newKC(clock)
	v := NewValueState(kc, "v", codec.For[int](), TTL{TTL: time.Minute})
	for i := range 5000 {
		setKey(kc, string(rune('a'+i%26))+string(rune(i)))
		v.Set(i)
	}
	tbl := kc.Backend.Table("v")
	if tbl.Len() != 5000 {
		t.Fatalf("len %d", tbl.Len())
	}
	clock.Advance(2 * time.Minute)
	// Process other (non-TTL-expired) traffic: a full cycle visits 5000
	// keys and moves through 128 key groups, ttlCleanupKeys visits a step.
	for range (5000/ttlCleanupKeys + 128/ttlCleanupKeys + 2) * ttlCleanupEvery {
		kc.Touch()
	}
	if n := tbl.Len(); n != 0 {
		t.Fatalf("%d expired entries left after a full cleanup cycle", n)
	}
	if kc.Backend.SizeBytes() != 0 {
		t.Fatalf("size %d after cleanup", kc.Backend.SizeBytes())
	}
}

func TestTimerQueueOrderAndDedup(t *testing.T) {
	var q TimerQueue
	q.Register(1, []byte("b"), nil, 20)
	q.Register(1, []byte("a"), nil, 20)
	q.Register(1, []byte("a"), nil, 20) // duplicate
	q.Register(2, []byte("c"), []byte("ns"), 10)
	q.Register(2, []byte("c"), nil, 30)
	q.Delete(2, []byte("c"), nil, 30)
	if q.Len() != 3 || q.Next() != 10 {
		t.Fatalf("len %d next %d", q.Len(), q.Next())
	}
	var got []string
	for tm := q.PopDue(25); tm != nil; tm = q.PopDue(25) {
		got = append(got, string(tm.Key)+"@"+string(rune('0'+tm.Time/10)))
	}
	if !slices.Equal(got, []string{"c@1", "a@2", "b@2"}) {
		t.Fatalf("order %v", got)
	}
}
