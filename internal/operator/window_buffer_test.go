package operator

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"

	"pgregory.net/rapid"
)

// TestWindowBufferEquivalence: the window buffer (typed tables, fired
// without state or timers) gives the generic path's transcript on random
// inputs: out-of-order and late records, several keys (string, int64 with
// zero and negative keys, and an int32 key whose codec sorts by encoding),
// tumbling and sliding windows, sum and reduce, watermarks, the end of
// input, and snapshots restored into either path in the middle. The generic
// run takes the same snapshots and restores into the generic path.
func TestWindowBufferEquivalence(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		assigner := rapid.SampledFrom([]string{
			"assigner=tumbling size=1s", "assigner=tumbling size=700ms offset=100ms",
			"assigner=sliding size=1s slide=250ms", "assigner=sliding size=300ms slide=1s",
		}).Draw(t, "assigner")
		cfg := fmt.Sprintf("config %s fn=%s key=%s late-side=true", assigner,
			rapid.SampledFrom([]string{"sum", "reduce"}).Draw(t, "fn"),
			rapid.SampledFrom([]string{"string", "int64", "int32"}).Draw(t, "key"))
		var buffered, generic []string
		wm := int64(-500)
		for i := range rapid.IntRange(1, 300).Draw(t, "n") {
			var c, g string
			switch rapid.IntRange(0, 12).Draw(t, fmt.Sprint("op", i)) {
			case 0, 1:
				wm += int64(rapid.IntRange(0, 700).Draw(t, fmt.Sprint("d", i)))
				c = fmt.Sprintf("watermark %d", wm)
			case 2:
				c = fmt.Sprintf("snapshot-restore buffer=%v", rapid.Bool().Draw(t, fmt.Sprint("to", i)))
				g = "snapshot-restore buffer=false"
			case 3:
				c = fmt.Sprintf("batch %d", rapid.IntRange(1, 80).Draw(t, fmt.Sprint("b", i)))
			default:
				ts := wm + int64(rapid.IntRange(-1500, 1500).Draw(t, fmt.Sprint("ts", i)))
				key := rapid.SampledFrom([]string{"a", "b", "c", "d", "7", "-9"}).Draw(t, fmt.Sprint("k", i))
				c = fmt.Sprintf("record key=%s ts=%d v=%d", key, ts, i)
			}
			if g == "" {
				g = c
			}
			buffered, generic = append(buffered, c), append(generic, g)
		}
		end := []string{"watermark max", "state", "metrics"}
		buffered = append(append([]string{cfg + " buffer=true"}, buffered...), end...)
		generic = append(append([]string{cfg}, generic...), end...)
		got, want := winRunTrace(t, buffered), winRunTrace(t, generic)
		// The snapshot-restore lines differ by their argument only.
		got = strings.ReplaceAll(got, "buffer=true", "buffer=false")
		if got != want {
			t.Fatalf("window buffer and generic path differ\n--- buffer\n%s--- generic\n%s", got, want)
		}
		if !strings.Contains(got, "entries=0 bytes=0 event-timers=0 proc-timers=0\nmetrics") {
			t.Fatalf("state left at the end:\n%s", got)
		}
	})
}

// TestWindowBufferNoAllocs: once a window's table exists, a record of it
// allocates nothing (int64 keys: the open-addressing table; string keys:
// a Go map).
func TestWindowBufferNoAllocs(t *testing.T) {
	t.Run("int64", func(t *testing.T) {
		op := &KeyedWindow[int64, winBenchEvent, int64, int64]{KeyFn: winBenchKey, KeyCodec: codec.Int64{},
			Assigner: TumblingWindows{Size: time.Hour}, Contents: AggregateContents[winBenchEvent, int64, int64](winCountAgg{}, codec.Int64{}),
			Fn: PassThroughWindow[int64, int64]{}, Out: &winCounter{}}
		op.Buffer = AggregateBuffer[int64, winBenchEvent, int64, int64](op.Contents)
		if err := op.Open(newTestRuntime(base.NewManualClock(time.UnixMilli(0)), nil)); err != nil {
			t.Fatal(err)
		}
		for k := range int64(1000) {
			op.Collect(k, winBenchEvent{Key: k})
		}
		k := int64(0)
		if n := testing.AllocsPerRun(1000, func() { op.Collect(k, winBenchEvent{Key: k % 1000}); k++ }); n != 0 {
			t.Fatalf("%v allocations per record", n)
		}
		if op.BufferedEntries() != 1000 {
			t.Fatalf("%d entries buffered, want 1000", op.BufferedEntries())
		}
	})
	t.Run("string", func(t *testing.T) {
		op := &KeyedWindow[string, winRec, int64, string]{KeyFn: winKeyOf, KeyCodec: codec.String{},
			Assigner: TumblingWindows{Size: time.Hour}, Contents: AggregateContents[winRec, int64, int64](winSumAgg{}, nil),
			Fn: winSumFn{}, Out: Discard[string]{}}
		op.Buffer = AggregateBuffer[string, winRec, int64, int64](op.Contents)
		if err := op.Open(newTestRuntime(base.NewManualClock(time.UnixMilli(0)), nil)); err != nil {
			t.Fatal(err)
		}
		keys := make([]string, 1000)
		for i := range keys {
			keys[i] = fmt.Sprint("k", i)
			op.Collect(int64(i), winRec{Key: keys[i], V: 1})
		}
		i := 0
		if n := testing.AllocsPerRun(1000, func() { op.Collect(int64(i), winRec{Key: keys[i%1000], V: 1}); i++ }); n != 0 {
			t.Fatalf("%v allocations per record", n)
		}
	})
}

// TestWindowBufferEligibility: the buffer is built only for aggregate and
// reduce contents with keys whose == is their encoding's identity, and the
// operator uses it only for event-time tumbling or sliding windows with the
// default trigger and no allowed lateness.
func TestWindowBufferEligibility(t *testing.T) {
	if b := AggregateBuffer[float64, winRec, winRec, winRec](ReduceContents(winSumReduce, nil)); b != nil {
		t.Fatal("buffer for float64 keys (0 == -0, NaN != NaN)")
	}
	if b := AggregateBuffer[struct{ A int }, winRec, winRec, winRec](ReduceContents(winSumReduce, nil)); b != nil {
		t.Fatal("buffer for struct keys")
	}
	if b := AggregateBuffer[string, *winRec, *winRec, *winRec](ReduceContents(func(a, b *winRec) *winRec { a.V += b.V; return a }, nil)); b != nil {
		t.Fatal("buffer for a reduction of pointers")
	}
	if b := AggregateBuffer[string, winRec, winRec, winRec](ReduceContents(winSumReduce, nil)); b == nil {
		t.Fatal("no buffer for a reduction of plain structs")
	}
	ptrAdd := func(v winRec, acc *winRec) *winRec {
		if acc == nil {
			acc = &winRec{}
		}
		acc.V += v.V
		return acc
	}
	if b := AggregateBuffer[string, winRec, *winRec, int64](AggregateContentsFuncs(func() *winRec { return nil }, ptrAdd,
		func(a, b *winRec) *winRec { a.V += b.V; return a }, func(a *winRec) int64 { return a.V }, codec.JSON[*winRec]{})); b != nil {
		t.Fatal("buffer for an aggregate whose accumulator holds pointers")
	}
	if b := AggregateBuffer[string, winRec, winRec, winRec](ListContents[winRec](nil, nil)); b != nil {
		t.Fatal("buffer for list contents")
	}
	for _, c := range []struct {
		name string
		op   func(*KeyedWindow[string, winRec, int64, string])
		want bool
	}{
		{"tumbling", func(*KeyedWindow[string, winRec, int64, string]) {}, true},
		{"sliding", func(o *KeyedWindow[string, winRec, int64, string]) {
			o.Assigner = SlidingWindows{Size: time.Second, Slide: 100 * time.Millisecond}
		}, true},
		{"lateness", func(o *KeyedWindow[string, winRec, int64, string]) { o.AllowedLateness = time.Millisecond }, false},
		{"trigger", func(o *KeyedWindow[string, winRec, int64, string]) { o.Trigger = EventTimeTrigger{} }, false},
		{"processing", func(o *KeyedWindow[string, winRec, int64, string]) {
			o.Assigner = TumblingWindows{Size: time.Second, Processing: true}
		}, false},
		{"session", func(o *KeyedWindow[string, winRec, int64, string]) { o.Assigner = SessionWindows{Gap: time.Second} }, false},
		{"custom", func(o *KeyedWindow[string, winRec, int64, string]) { o.Assigner = sameEndWindows{} }, false},
		{"user-key-codec", func(o *KeyedWindow[string, winRec, int64, string]) { o.KeyCodec = winUserCodec{} }, false},
		{"json-key-codec", func(o *KeyedWindow[string, winRec, int64, string]) { o.KeyCodec = codec.JSON[string]{} }, false},
	} {
		op := &KeyedWindow[string, winRec, int64, string]{KeyFn: winKeyOf, KeyCodec: codec.String{},
			Assigner: TumblingWindows{Size: time.Second}, Contents: AggregateContents[winRec, int64, int64](winSumAgg{}, nil),
			Fn: winSumFn{}, Out: Discard[string]{}}
		op.Buffer = AggregateBuffer[string, winRec, int64, int64](op.Contents)
		c.op(op)
		if err := op.Open(newTestRuntime(base.NewManualClock(time.UnixMilli(0)), nil)); err != nil {
			t.Fatal(err)
		}
		if got := op.buf != nil; got != c.want {
			t.Errorf("%s: buffer used %v, want %v", c.name, got, c.want)
		}
	}
}

// TestRadixSort: radixSort orders 8-byte keys as their big-endian
// encodings do (unsigned), negative keys last, as slices.Sort of the
// encodings does.
func TestRadixSort(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.SliceOfN(rapid.OneOf(rapid.Int64(), rapid.Int64Range(-100, 100)), 64, 600).Draw(t, "keys")
		var s []aggEntry[int64, int]
		for i, k := range keys {
			s = append(s, aggEntry[int64, int]{k: k, acc: i})
		}
		got, _ := radixSort(s, nil)
		enc := func(k int64) string { return string(codec.Int64{}.Append(nil, k)) }
		for i := 1; i < len(got); i++ {
			if enc(got[i-1].k) > enc(got[i].k) {
				t.Fatalf("position %d: %d before %d", i, got[i-1].k, got[i].k)
			}
		}
		seen := map[int]bool{}
		for _, e := range got {
			if keys[e.acc] != e.k || seen[e.acc] {
				t.Fatalf("entry %+v lost or duplicated", e)
			}
			seen[e.acc] = true
		}
		if len(seen) != len(keys) {
			t.Fatalf("%d entries, want %d", len(seen), len(keys))
		}
	})
}

// sameEndWindows puts an element into two windows of one end.
type sameEndWindows struct{}

func (sameEndWindows) Assign(dst []Window, ts, _ int64) []Window {
	end := ts - ts%1000 + 1000
	return append(dst, Window{Start: end - 1000, End: end}, Window{Start: end - 2000, End: end})
}
func (sameEndWindows) EventTime() bool { return true }
func (sameEndWindows) Merging() bool   { return false }

// TestU64Map: the open-addressing table against a Go map, through growth,
// key 0 and reset.
func TestU64Map(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var m u64Map[int]
		want := map[uint64]int{}
		keys := rapid.SliceOfN(rapid.OneOf(rapid.Uint64(), rapid.Uint64Range(0, 3000)), 1000, 3000).Draw(t, "keys")
		for i, k := range keys {
			if i == len(keys)/2 && rapid.Bool().Draw(t, "reset") {
				m.reset()
				clear(want)
			}
			p, ok := m.slot(k)
			if _, w := want[k]; ok != w {
				t.Fatalf("key %d: found %v, want %v", k, ok, w)
			}
			*p += i
			want[k] += i
		}
		if m.n != len(want) {
			t.Fatalf("%d keys, want %d", m.n, len(want))
		}
		got := map[uint64]int{}
		if m.hasZero {
			got[0] = m.zero
		}
		for _, s := range m.slots {
			if s.k != 0 {
				got[s.k] = s.acc
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%d keys in the slots, want %d", len(got), len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("key %d: %d, want %d", k, got[k], v)
			}
		}
	})
}

// winUserCodec is a user's key codec: its encodings may identify keys
// that Go's == tells apart.
type winUserCodec struct{}

func (winUserCodec) Append(dst []byte, v string) []byte { return append(dst, v...) }
func (winUserCodec) Decode(src []byte) (string, error)  { return string(src), nil }

// TestWindowBufferSpareMemory: the buffer keeps at most keepSpares emptied
// tables (sliding windows empty many), and a table, sort buffer or key
// encoding buffer grown by a large window is dropped once a small window
// used it, not kept at its peak (Go maps and the slots never shrink).
func TestWindowBufferSpareMemory(t *testing.T) {
	t.Run("int64", func(t *testing.T) {
		op := &KeyedWindow[int64, winBenchEvent, int64, int64]{KeyFn: winBenchKey, KeyCodec: codec.Int64{},
			Assigner: SlidingWindows{Size: time.Second, Slide: 10 * time.Millisecond}, Contents: AggregateContents[winBenchEvent, int64, int64](winCountAgg{}, codec.Int64{}),
			Fn: PassThroughWindow[int64, int64]{}, Out: &winCounter{}}
		op.Buffer = AggregateBuffer[int64, winBenchEvent, int64, int64](op.Contents)
		if err := op.Open(newTestRuntime(base.NewManualClock(time.UnixMilli(0)), nil)); err != nil {
			t.Fatal(err)
		}
		b := op.buf.(*aggBuffer[int64, winBenchEvent, int64, int64])
		for k := range int64(5_000) { // 100 windows of 5,000 keys
			op.Collect(5_000, winBenchEvent{Key: k})
		}
		op.Watermark(7_000)
		if len(b.spare) > keepSpares {
			t.Fatalf("%d spare tables after 100 windows fired, want at most %d", len(b.spare), keepSpares)
		}
		for ts := int64(10_000); ts < 14_000; ts += 10 { // small windows
			op.Collect(ts, winBenchEvent{Key: ts % 7})
			op.Watermark(ts - 1)
		}
		op.Watermark(20_000)
		for _, s := range b.spare {
			if len(s.u.slots) > 1024 {
				t.Fatalf("a spare table keeps %d slots after small windows", len(s.u.slots))
			}
		}
		if cap(b.sorted) > 1024 || cap(b.tmp) > 1024 {
			t.Fatalf("sort buffers keep %d and %d entries after small windows", cap(b.sorted), cap(b.tmp))
		}
	})
	t.Run("string", func(t *testing.T) {
		op := &KeyedWindow[string, winRec, int64, string]{KeyFn: winKeyOf, KeyCodec: codec.String{},
			Assigner: TumblingWindows{Size: time.Second}, Contents: AggregateContents[winRec, int64, int64](winSumAgg{}, nil),
			Fn: winSumFn{}, Out: Discard[string]{}}
		op.Buffer = AggregateBuffer[string, winRec, int64, int64](op.Contents)
		if err := op.Open(newTestRuntime(base.NewManualClock(time.UnixMilli(0)), nil)); err != nil {
			t.Fatal(err)
		}
		b := op.buf.(*aggBuffer[string, winRec, int64, int64])
		for i := range 5_000 {
			op.Collect(500, winRec{Key: fmt.Sprint("key-", i), V: 1})
		}
		big := b.tables[0]
		op.Watermark(2_000)
		for ts := int64(2_000); ts < 10_000; ts += 1_000 {
			op.Collect(ts, winRec{Key: "a", V: 1})
			op.Watermark(ts + 1_000)
		}
		if slices.Contains(b.spare, big) {
			t.Fatal("the table of 5000 keys is kept after small windows")
		}
		if cap(b.sorted) > 1024 {
			t.Fatalf("sort buffer keeps %d entries after small windows", cap(b.sorted))
		}
	})
}
