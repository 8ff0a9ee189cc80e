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
// hash of one bit and of none: most timers of a bucket share a hash and
// are found by probing their bucket's index past the others.
func TestTimerQueueHashCollisions(t *testing.T) {
	defer func(m uint64) { timerHashMask = m }(timerHashMask)
	for _, m := range []uint64{1, 0} {
		timerHashMask = m
		t.Run(fmt.Sprint("mask=", m), func(t *testing.T) {
			t.Run("model", TestTimerQueueModel)
			t.Run("register-while-firing", TestTimerQueueRegisterWhileFiring)
			t.Run("each", TestTimerQueueEach)
			t.Run("bucket-model", TestTimerQueueBucketModel)
		})
	}
}

// TestTimerQueueBucketModel checks TimerQueue against a map of (time, key,
// namespace) under random registrations (duplicates included), deletions
// (of absent, live and fired timers) and pops, with registrations and
// deletions made while a bucket fires, and with enough timers per time to
// grow and compact a bucket's index. At random points the pending timers
// are split by key group into two new queues (a restore at another
// parallelism) and those must hold the model's timers.
func TestTimerQueueBucketModel(t *testing.T) {
	type mt struct {
		t       int64
		key, ns string
	}
	kgOf := func(key string) int { return int(key[len(key)-1]) % 4 }
	rapid.Check(t, func(t *rapid.T) {
		q := &TimerQueue{}
		model := map[mt]bool{}
		keys := rapid.IntRange(1, 300).Draw(t, "keys")
		draw := func(i int, s string) mt {
			return mt{
				t:   int64(rapid.IntRange(0, 6).Draw(t, fmt.Sprint("t", s, i))),
				key: fmt.Sprint("k", rapid.IntRange(0, keys).Draw(t, fmt.Sprint("k", s, i))),
				ns:  rapid.SampledFrom([]string{"", "w1", "w22"}).Draw(t, fmt.Sprint("ns", s, i)),
			}
		}
		reg := func(m mt) { q.Register(kgOf(m.key), []byte(m.key), []byte(m.ns), m.t); model[m] = true }
		del := func(m mt) { q.Delete(kgOf(m.key), []byte(m.key), []byte(m.ns), m.t); delete(model, m) }
		for i := range rapid.IntRange(1, 400).Draw(t, "n") {
			m := draw(i, "")
			switch rapid.IntRange(0, 9).Draw(t, fmt.Sprint("op", i)) {
			case 0, 1, 2, 3, 4:
				reg(m)
			case 5, 6:
				del(m)
			case 7:
				var want []mt
				for x := range model {
					if x.t <= m.t {
						want = append(want, x)
					}
				}
				sort.Slice(want, func(i, j int) bool {
					a, b := want[i], want[j]
					if a.t != b.t {
						return a.t < b.t
					}
					if a.key != b.key {
						return a.key < b.key
					}
					return a.ns < b.ns
				})
				// Fire one at a time, changing the queue in between: the
				// expected order is recomputed from the model each time.
				for j := 0; ; j++ {
					x := q.PopDue(m.t)
					if len(want) == 0 {
						if x != nil {
							t.Fatalf("PopDue(%d) = %d/%s/%s, model has none due", m.t, x.Time, x.Key, x.NS)
						}
						break
					}
					if x == nil {
						t.Fatalf("PopDue(%d) = nil, want %v", m.t, want[0])
					}
					got := mt{x.Time, string(x.Key), string(x.NS)}
					if got != want[0] || x.KG != kgOf(got.key) {
						t.Fatalf("PopDue(%d) = %v (kg %d), want %v", m.t, got, x.KG, want[0])
					}
					delete(model, got)
					want = want[1:]
					if rapid.IntRange(0, 3).Draw(t, fmt.Sprint("fire", i, "/", j)) == 0 {
						c := draw(j, fmt.Sprint("f", i, "/"))
						if rapid.Bool().Draw(t, fmt.Sprint("fr", i, "/", j)) {
							reg(c)
						} else {
							del(c)
						}
						want = want[:0]
						for x := range model {
							if x.t <= m.t {
								want = append(want, x)
							}
						}
						sort.Slice(want, func(i, j int) bool {
							a, b := want[i], want[j]
							if a.t != b.t {
								return a.t < b.t
							}
							if a.key != b.key {
								return a.key < b.key
							}
							return a.ns < b.ns
						})
					}
				}
			case 8:
				// Many timers on one time: the index grows, and deleting
				// most of them compacts the bucket.
				for k := range 200 {
					reg(mt{t: m.t, key: fmt.Sprint("bulk", k), ns: m.ns})
				}
				for k := range 190 {
					del(mt{t: m.t, key: fmt.Sprint("bulk", k), ns: m.ns})
				}
			case 9:
				// Restore at parallelism 2: each new queue takes the timers
				// of its key groups, as SnapshotTimers and restoreTimers do.
				parts := [2]*TimerQueue{{}, {}}
				q.Each(func(tm *Timer) { parts[tm.KG%2].Register(tm.KG, tm.Key, tm.NS, tm.Time) })
				for p, part := range parts {
					n := 0
					for x := range model {
						if kgOf(x.key)%2 == p {
							n++
						}
					}
					if part.Len() != n {
						t.Fatalf("restored part %d has %d timers, model %d", p, part.Len(), n)
					}
					for _, tm := range part.All() {
						if !model[mt{tm.Time, string(tm.Key), string(tm.NS)}] || tm.KG%2 != p {
							t.Fatalf("restored part %d has %d/%s/%s (kg %d), not in the model", p, tm.Time, tm.Key, tm.NS, tm.KG)
						}
					}
				}
				// Continue on a merge of the two (a restore back at 1).
				q = &TimerQueue{}
				for _, part := range parts {
					part.Each(func(tm *Timer) { q.Register(tm.KG, tm.Key, tm.NS, tm.Time) })
				}
			}
			if q.Len() != len(model) {
				t.Fatalf("Len %d, model %d", q.Len(), len(model))
			}
			all := q.All()
			if len(all) != len(model) {
				t.Fatalf("All has %d, model %d", len(all), len(model))
			}
			for _, tm := range all {
				if !model[mt{tm.Time, string(tm.Key), string(tm.NS)}] {
					t.Fatalf("All has %d/%s/%s, not in the model", tm.Time, tm.Key, tm.NS)
				}
			}
		}
	})
}

// TestTimerViewsOutliveFiring: the Key and NS of a fired timer keep their
// bytes after its bucket fired and new buckets were filled (a state handle
// may hold a fired timer's namespace).
func TestTimerViewsOutliveFiring(t *testing.T) {
	var q TimerQueue
	type view struct{ key, ns []byte }
	var held []view
	for round := range 4 {
		at := int64(round * 10)
		for i := range 1000 {
			q.Register(i%7, fmt.Appendf(nil, "r%d-key-%d", round, i), fmt.Appendf(nil, "ns-%d", i), at)
		}
		for tm := q.PopDue(at); tm != nil; tm = q.PopDue(at) {
			held = append(held, view{tm.Key, tm.NS})
		}
	}
	if len(held) != 4000 {
		t.Fatalf("fired %d timers, want 4000", len(held))
	}
	for _, v := range held {
		var round, i, j int
		if _, err := fmt.Sscanf(string(v.key), "r%d-key-%d", &round, &i); err != nil {
			t.Fatalf("held key %q changed: %v", v.key, err)
		}
		if _, err := fmt.Sscanf(string(v.ns), "ns-%d", &j); err != nil || i != j {
			t.Fatalf("held key %q has namespace %q", v.key, v.ns)
		}
	}
}
