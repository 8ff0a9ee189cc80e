package operator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/state"
)

// reviewRecord is one record seen by reviewSink.
type reviewRecord struct {
	TS int64
	V  string
}

type reviewSink struct{ recs []reviewRecord }

func (s *reviewSink) Collect(ts int64, v string) { s.recs = append(s.recs, reviewRecord{ts, v}) }

func reviewRuntime(clock base.Clock) *Runtime {
	kgs := base.RangeFor(base.DefaultMaxParallelism, 1, 0)
	return &Runtime{Ctx: context.Background(), Name: "kp", Parallelism: 1,
		MaxParallelism: base.DefaultMaxParallelism, KeyGroups: kgs, Clock: clock,
		State: state.NewHeap(kgs), Metrics: &Metrics{}, Tracker: &Tracker{}}
}

// reviewTimerFn registers the timers listed in onElement and records, per
// firing, the timer time, the domain and ctx.CurrentWatermark().
type reviewTimerFn struct {
	event, proc []int64
	fired       []string
}

func (f *reviewTimerFn) Open(*OpenContext) error { return nil }
func (f *reviewTimerFn) ProcessElement(ctx *KeyedContext[string], v string, out Emitter[string]) error {
	for _, t := range f.event {
		ctx.RegisterEventTimeTimer(t)
	}
	for _, t := range f.proc {
		ctx.RegisterProcessingTimeTimer(t)
	}
	return nil
}
func (f *reviewTimerFn) OnTimer(ctx *KeyedContext[string], t int64, out Emitter[string]) error {
	f.fired = append(f.fired, fmt.Sprintf("t=%d domain=%d wm=%d", t, ctx.TimeDomain(), ctx.CurrentWatermark()))
	out.Emit(fmt.Sprintf("timer %d", t))
	return nil
}

func newReviewKeyedProcess(t *testing.T, fn *reviewTimerFn, out *reviewSink) *KeyedProcess[string, string, string] {
	t.Helper()
	op := &KeyedProcess[string, string, string]{KeyFn: func(s string) string { return s },
		KeyCodec: codec.For[string](), Fn: fn, Out: out}
	if err := op.Open(reviewRuntime(base.NewManualClock(time.UnixMilli(0)))); err != nil {
		t.Fatal(err)
	}
	return op
}

// TestRegressKeyedProcessOnTimerSeesNewWatermark
//
// Was a bug: KeyedProcess.Watermark (and KeyedCoProcess, IntervalJoin, Enrich,
// KeyedBroadcastProcess, WindowCoGroup, which copy the pattern) fires the
// event-time timers first and only then stores the watermark in Base.WM, so
// ctx.CurrentWatermark() inside OnTimer returns the PREVIOUS watermark, which
// is below the firing timer's own time. KeyedWindow does it the other way
// round (Base.Watermark first), so the two operators disagree.
//
// Expected (Flink InternalTimerServiceImpl.advanceWatermark sets
// currentWatermark = time before polling the timer queue):
// timerService().currentWatermark() inside onTimer is the new watermark.
// Consequence of the stale value: the common "re-arm" idiom
// ctx.RegisterEventTimeTimer(ctx.CurrentWatermark() + interval) registers a
// timer that is already due, which PopDue fires again in the same pass; when
// interval is smaller than the watermark jump the operator loops forever on
// the same (key, time) timer.
//
// Fixed by: call o.Base.Watermark(wm) before o.fire(...) in every keyed operator
// (as KeyedWindow.Watermark does).
func TestRegressKeyedProcessOnTimerSeesNewWatermark(t *testing.T) {
	fn := &reviewTimerFn{event: []int64{5000}}
	op := newReviewKeyedProcess(t, fn, &reviewSink{})
	op.Collect(1000, "a")
	op.Watermark(10_000)
	want := fmt.Sprintf("[t=5000 domain=%d wm=10000]", EventTime)
	if got := fmt.Sprint(fn.fired); got != want {
		t.Fatalf("OnTimer saw %s, want %s (CurrentWatermark inside OnTimer is the previous watermark)", got, want)
	}
}

// TestRegressProcessingTimeTimerOutputHasNoTimestamp
//
// Was a bug: keyedCore.fire sets em.TS = tm.Time for both domains, so records
// emitted from a processing-time timer carry the wall-clock millisecond as
// their EVENT timestamp. Downstream event-time operators then put them in
// windows by wall-clock time (or drop them as late / keep windows open far
// in the future), mixing the two time domains.
//
// Expected (Flink KeyedProcessOperator.onProcessingTime calls
// collector.eraseTimestamp() before OnTimer): records emitted to the main
// output from a processing-time timer have no timestamp (base.MinTime here).
// ctx.Timestamp() may still report the timer's time, as Flink's
// OnTimerContext.timestamp() does.
//
// Fixed by: set o.em.TS = base.MinTime before calling Fn.OnTimer for
// processing-time timers in the onTimer closures of KeyedProcess,
// KeyedCoProcess and KeyedBroadcastProcess. Not in the shared keyedCore.fire:
// window operators (incl. the window join) must keep stamping
// window.MaxTimestamp() in both domains, as Flink's WindowOperator does.
// streamtest/testdata/timers.trace encodes the current stamping ("60000 ...")
// and must be updated with the fix.
func TestRegressProcessingTimeTimerOutputHasNoTimestamp(t *testing.T) {
	fn := &reviewTimerFn{proc: []int64{100}}
	out := &reviewSink{}
	op := newReviewKeyedProcess(t, fn, out)
	op.Collect(1000, "a")
	out.recs = nil
	op.OnProcessingTime(100)
	if len(out.recs) != 1 {
		t.Fatalf("timer output %v", out.recs)
	}
	if out.recs[0].TS != base.MinTime {
		t.Fatalf("record emitted by a processing-time timer carries event timestamp %d, want none (base.MinTime)", out.recs[0].TS)
	}
}

// TestRegressTimerQueueDeletedTimersAreReleased
//
// Was a bug (memory on long runs): TimerQueue.Delete only removes the id from the
// dedup set; the Timer entry (id string, key and namespace copies) and its
// bucket, and the bucket's time in the heap, stay until the watermark or
// processing time passes that time. The standard timeout idiom, "on every
// record delete the key's pending timeout and register a new one at
// now+timeout", therefore retains one Timer per RECORD seen during the
// timeout span instead of one per key: at 100k records/s and a 1 h timeout
// that is 360M dead entries for a handful of live timers. It also makes
// Next() report dead buckets, so a processing-time subtask wakes up once per
// deleted timer time.
//
// Expected (Flink HeapPriorityQueueSet.remove deletes the element from the
// heap at once): memory held is proportional to the live timers.
//
// Fixed by: keep a live count per bucket and drop a bucket (and its time, with an
// indexed heap or by compacting q.times when dead buckets outnumber live
// ones) when its count reaches zero; compact a bucket's slice when most of
// its entries are dead.
func TestRegressTimerQueueDeletedTimersAreReleased(t *testing.T) {
	var q TimerQueue
	key := []byte("k")
	const records, timeout = 100_000, 3_600_000
	for now := int64(1); now <= records; now++ {
		q.Delete(0, key, nil, now-1+timeout)
		q.Register(0, key, nil, now+timeout)
	}
	if q.Len() != 1 {
		t.Fatalf("Len %d, want 1", q.Len())
	}
	retained := 0
	for _, b := range q.buckets {
		retained += len(b.timers) - b.pos
	}
	if retained > 16 || len(q.times) > 16 {
		t.Fatalf("one live timer, but the queue retains %d timer entries in %d buckets", retained, len(q.times))
	}
	if next := q.Next(); next != records+timeout {
		t.Fatalf("Next() = %d, want the only live timer %d", next, records+timeout)
	}
}

// TestRegressTimerQueueOrderIsKeyBytes
//
// Was a bug (spec mismatch): DESIGN.md §5.3 states "Timer order is (time, key
// bytes, namespace)", and TestTimerQueueModel's model sorts by key string,
// but a bucket sorts by id = time | uvarint(len(key)) | key | ns, i.e. by key
// LENGTH first: key "b" fires before key "aa". The model test never notices
// because its only longer key ("dd") also sorts last by bytes. Timer order
// is observable (output order of windows firing at the same time) and will
// become part of the checkpoint format.
//
// Expected: timers of equal time fire in key-bytes order ("aa" before "b"),
// as documented.
//
// Fixed by: sort a bucket by (Key, NS) bytes (bytes.Compare on tm.Key, then
// tm.NS) instead of by id, or encode the id so that its byte order equals
// (key, ns) order; or change the documented invariant.
func TestRegressTimerQueueOrderIsKeyBytes(t *testing.T) {
	var q TimerQueue
	q.Register(0, []byte("b"), nil, 10)
	q.Register(0, []byte("aa"), nil, 10)
	var got []string
	for x := q.PopDue(10); x != nil; x = q.PopDue(10) {
		got = append(got, string(x.Key))
	}
	if fmt.Sprint(got) != "[aa b]" {
		t.Fatalf("timers of equal time fired in order %v, want key-bytes order [aa b]", got)
	}
}

// TestRegressTimerQueueRegisterWhileFiringKeepsOrder
//
// Was a bug (order): a bucket is sorted once, when it starts firing; a timer
// registered for the same time while that bucket fires is appended after the
// remaining (sorted) timers, so it fires after keys that sort above it. The
// order is still deterministic, but it breaks invariant §5.3 and depends on
// which key registered it during which callback.
//
// Expected (Flink's heap priority queue): the new timer takes its place in
// (time, key, namespace) order among the timers not yet fired.
//
// Fixed by: when Register appends to a bucket with sorted == true, insert it in
// order into b.timers[b.pos:] (binary search + copy), or clear b.sorted so
// the rest is sorted again on the next PopDue.
func TestRegressTimerQueueRegisterWhileFiringKeepsOrder(t *testing.T) {
	var q TimerQueue
	q.Register(0, []byte("a"), nil, 10)
	q.Register(0, []byte("c"), nil, 10)
	var got []string
	for x := q.PopDue(10); x != nil; x = q.PopDue(10) {
		got = append(got, string(x.Key))
		if string(x.Key) == "a" {
			q.Register(0, []byte("b"), nil, 10)
		}
	}
	if fmt.Sprint(got) != "[a b c]" {
		t.Fatalf("fired %v, want [a b c]", got)
	}
}

// reviewSeqSource has one split per entry of bases; split i yields an
// endless run of timestamps bases[i], bases[i]+1, ... (always has data).
type reviewSeqSource struct{ bases []int64 }

func (s reviewSeqSource) Splits(context.Context) ([]connector.Split, error) {
	var out []connector.Split
	for i := range s.bases {
		out = append(out, connector.Split{ID: fmt.Sprint(i), Data: []byte{byte(i)}})
	}
	return out, nil
}
func (s reviewSeqSource) Bounded() bool { return false }
func (s reviewSeqSource) Open(_ context.Context, sp connector.Split, _ []byte) (connector.Reader[int64], error) {
	return &reviewSeqReader{next: s.bases[sp.Data[0]]}, nil
}

type reviewSeqReader struct{ next int64 }

func (r *reviewSeqReader) Read(_ context.Context, buf []int64) (int, error) {
	for i := range buf {
		buf[i] = r.next
		r.next++
	}
	return len(buf), nil
}
func (r *reviewSeqReader) Position() []byte { return nil }
func (r *reviewSeqReader) Close() error     { return nil }

// reviewStallCollector advances the manual clock by stall the first time it
// sees a record with a timestamp >= from: what a Writer.push blocked on a
// full channel (backpressure) does to processing time inside emit.
type reviewStallCollector struct {
	clock *base.ManualClock
	from  int64
	stall time.Duration
	done  bool
}

func (c *reviewStallCollector) Collect(ts int64, _ int64) {
	if ts >= c.from && !c.done {
		c.done = true
		c.clock.Advance(c.stall)
	}
}

// TestRegressSourceSplitNotPolledIsNotIdle
//
// Was a bug: Source.updateWatermark declares a split idle when
// now - sr.lastData >= Idleness, where lastData is the last time the split
// was READ with data. But Poll reads only one split per call and the emit of
// that split's batch can block for a long time on a full output channel
// (backpressure). After one stall of Idleness while emitting split 1, split
// 0, which has data waiting and simply was not polled, is declared idle and
// dropped from the minimum; the subtask watermark jumps to split 1's
// watermark, and split 0's pending records become late (windows drop them).
// The same happens with many splits whenever one round of polls takes
// longer than Idleness. This breaks invariant §5.7 (lateness decided by
// per-split order, not by thread timing) under backpressure.
//
// Expected (Flink FLINK-35886: idleness is measured on a clock that is
// paused while the subtask is backpressured/blocked; a split only becomes
// idle when its reader was asked and had nothing): a split is idle only
// after Idleness during which the reader was polled and returned no data.
//
// Fixed by: track per split the time of the last EMPTY read streak start (set
// when Read returns 0 after data, reset on data), and declare idleness from
// that, not from lastData; or pause the idleness clock while emitting (take
// now after the emit and only count time spent not blocked in Push).
func TestRegressSourceSplitNotPolledIsNotIdle(t *testing.T) {
	clock := base.NewManualClock(time.UnixMilli(0))
	col := &reviewStallCollector{clock: clock, from: 1_000_000, stall: 2 * time.Second}
	src := &Source[int64]{Src: reviewSeqSource{bases: []int64{1000, 1_000_000}}, Out: col, BatchSize: 8,
		WM: WatermarkStrategy[int64]{Enabled: true, Timestamp: func(v int64) int64 { return v }, Idleness: time.Second}}
	splits, _ := src.Src.Splits(context.Background())
	src.Splits = splits
	rt := reviewRuntime(clock)
	if err := src.Open(rt); err != nil {
		t.Fatal(err)
	}
	// Poll 1 reads split 0 (ts 1000..1007), poll 2 reads split 1
	// (ts 1_000_000..) and its emit is backpressured for 2 s.
	for i := range 2 {
		res, err := src.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.WatermarkAdvanced && res.Watermark > 1007 {
			t.Fatalf("poll %d: watermark moved to %d although split 0 (read up to ts 1007, more data waiting) was just not polled "+
				"during a backpressure stall; its next records (ts 1008..) are now late", i+1, res.Watermark)
		}
	}
}

// TestRegressTTLCleanupStepIsBounded
//
// Was a bug (hot-path cost): KeyContext.Touch runs CleanupStep every 1024 keyed
// records, and a step scans ALL entries of one key group of every TTL table
// (ScanGroup also allocates a []byte copy of every key it visits). The work
// per record is therefore entries / (key groups of the subtask * 1024):
// unbounded in the state size. With the default 128 key groups and 10M live
// entries a step scans ~78k entries (~76 per record, plus as many
// allocations); with a small MaxParallelism (here one key group) every step
// scans the whole state. DESIGN.md keeps the record path allocation-free.
//
// Expected (Flink's incremental cleanup, CleanupStrategies
// .incrementalCleanup(cleanupSize=5)): a bounded number of entries is
// visited per state access, continuing from a persistent iterator.
//
// Fixed by: keep a cursor inside the current key group and visit at most a
// fixed number of entries per step (Heap could expose a resumable scan, or
// a ScanGroupFrom(kg, afterKey, limit)); avoid the []byte(k) copy in
// ScanGroup (pass unsafe.Slice(unsafe.StringData(k), len(k)) read-only or
// keep keys as []byte).
func TestRegressTTLCleanupStepIsBounded(t *testing.T) {
	clock := base.NewManualClock(time.UnixMilli(0))
	kc := &KeyContext{Backend: state.NewHeap(base.KeyGroupRange{Start: 0, End: 1}), Clock: clock}
	v := NewValueState(kc, "v", codec.For[int](), TTL{TTL: time.Hour})
	const live = 100_000
	for i := range live {
		kc.Key = codec.For[int]().Append(kc.Key[:0], i)
		kc.KG = 0
		v.Set(i) // none expires during the test
	}
	allocs := testing.AllocsPerRun(3, func() {
		for range ttlCleanupEvery {
			kc.Touch()
		}
	})
	if perRecord := allocs / ttlCleanupEvery; perRecord > 1 {
		t.Fatalf("incremental TTL cleanup allocates %.0f times per %d records (%.1f per record) with %d live entries: "+
			"its cost grows with the state size", allocs, ttlCleanupEvery, perRecord, live)
	}
}
