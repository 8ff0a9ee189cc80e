package operator

import (
	"fmt"
	"sort"
	"testing"

	"pgregory.net/rapid"
)

// TestTimerQueueModel checks TimerQueue against a sorted-set model under
// random registrations, deletions and pops, including registrations made
// while a time is being fired.
func TestTimerQueueModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q TimerQueue
		type mt struct {
			t   int64
			key string
		}
		model := map[mt]bool{}
		for i := range rapid.IntRange(1, 200).Draw(t, "n") {
			tm := mt{t: int64(rapid.IntRange(0, 20).Draw(t, fmt.Sprint("t", i))), key: rapid.SampledFrom([]string{"a", "b", "c", "dd"}).Draw(t, fmt.Sprint("k", i))}
			switch rapid.IntRange(0, 3).Draw(t, fmt.Sprint("op", i)) {
			case 0, 1:
				q.Register(0, []byte(tm.key), nil, tm.t)
				model[tm] = true
			case 2:
				q.Delete(0, []byte(tm.key), nil, tm.t)
				delete(model, tm)
			case 3:
				upTo := tm.t
				var want []mt
				for m := range model {
					if m.t <= upTo {
						want = append(want, m)
					}
				}
				sort.Slice(want, func(i, j int) bool {
					if want[i].t != want[j].t {
						return want[i].t < want[j].t
					}
					return want[i].key < want[j].key
				})
				var got []mt
				for x := q.PopDue(upTo); x != nil; x = q.PopDue(upTo) {
					got = append(got, mt{x.Time, string(x.Key)})
					delete(model, mt{x.Time, string(x.Key)})
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("PopDue(%d) = %v, want %v", upTo, got, want)
				}
			}
			if q.Len() != len(model) {
				t.Fatalf("Len %d, model %d", q.Len(), len(model))
			}
			if len(q.All()) != len(model) {
				t.Fatalf("All has %d, model %d", len(q.All()), len(model))
			}
		}
	})
}

// TestTimerQueueRegisterWhileFiring: a timer registered for a due time while
// timers of that time fire is fired in the same pass.
func TestTimerQueueRegisterWhileFiring(t *testing.T) {
	var q TimerQueue
	q.Register(0, []byte("a"), nil, 10)
	q.Register(0, []byte("b"), nil, 10)
	var got []string
	for x := q.PopDue(10); x != nil; x = q.PopDue(10) {
		got = append(got, fmt.Sprintf("%s@%d", x.Key, x.Time))
		if string(x.Key) == "a" {
			q.Register(0, []byte("c"), nil, 10)
			q.Register(0, []byte("z"), nil, 5)
		}
	}
	if fmt.Sprint(got) != "[a@10 z@5 b@10 c@10]" {
		t.Fatalf("got %v", got)
	}
}

// Each visits the same timers as All, in order of time.
func TestTimerQueueEach(t *testing.T) {
	q := newBenchTimerQueue(5000, 37)
	for i := range 500 { // some deleted, some fired
		q.Delete(i%128, fmt.Appendf(nil, "key-%d", i), nil, int64(i%37)*1000)
	}
	for q.PopDue(2000) != nil {
	}
	all := q.All()
	var each []*Timer
	q.Each(func(tm *Timer) { each = append(each, tm) })
	if len(each) != len(all) || len(all) == 0 || len(all) != q.Len() {
		t.Fatalf("Each visited %d timers, All has %d, Len %d", len(each), len(all), q.Len())
	}
	seen := map[*Timer]bool{}
	for i, tm := range each {
		seen[tm] = true
		if i > 0 && tm.Time < each[i-1].Time {
			t.Fatalf("Each out of time order at %d: %d after %d", i, tm.Time, each[i-1].Time)
		}
	}
	for _, tm := range all {
		if !seen[tm] {
			t.Fatalf("All has a timer Each missed: %+v", tm)
		}
	}
}

// newBenchTimerQueue registers n timers over distinct times (a window
// operator's timers: few times, many keys).
func newBenchTimerQueue(n, times int) *TimerQueue {
	var q TimerQueue
	for i := range n {
		q.Register(i%128, fmt.Appendf(nil, "key-%d", i), nil, int64(i%times)*1000)
	}
	return &q
}

// BenchmarkTimerSnapshotOrder: the two ways of listing the pending timers
// for a checkpoint (SnapshotTimers), 200 k timers over 50 times: All sorts
// every timer by (time, key, namespace), Each sorts only the times.
func BenchmarkTimerSnapshotOrder(b *testing.B) {
	q := newBenchTimerQueue(200_000, 50)
	b.Run("All", func(b *testing.B) {
		for b.Loop() {
			n := 0
			for _, tm := range q.All() {
				n += len(tm.Key)
			}
		}
	})
	b.Run("Each", func(b *testing.B) {
		for b.Loop() {
			n := 0
			q.Each(func(tm *Timer) { n += len(tm.Key) })
		}
	})
}

// TestTimerQueueHashCollisions runs the timer queue tests with a timer id
// hash of one bit and of none: most ids share a hash and live in the
// overflow map.
func TestTimerQueueHashCollisions(t *testing.T) {
	defer func(m uint64) { timerHashMask = m }(timerHashMask)
	for _, m := range []uint64{1, 0} {
		timerHashMask = m
		t.Run(fmt.Sprint("mask=", m), func(t *testing.T) {
			t.Run("model", TestTimerQueueModel)
			t.Run("register-while-firing", TestTimerQueueRegisterWhileFiring)
			t.Run("each", TestTimerQueueEach)
		})
	}
}
