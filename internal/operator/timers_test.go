package operator

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stromio/strom/internal/base"

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

// TestEncodeTimersSameTimers checks encodeTimers (two passes, one buffer,
// version 2: timers grouped by domain and time) against encodeTimersMap
// (the reference and the writer of version 1: a map lookup and an append
// per timer) on random queues of both domains: registrations (duplicates
// included), deletions, timers fired and timers registered while a bucket
// fires, keys and namespaces of random lengths (past a one-byte length),
// negative and large times: both decode to the same timers in the same
// order per key group, version 2 in no more bytes; then both restore the
// timers the queues hold (version 1: what checkpoints written before
// version 2 hold).
func TestEncodeTimersSameTimers(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		start := rapid.IntRange(0, 300).Draw(t, "start")
		kgs := base.KeyGroupRange{Start: start, End: start + rapid.IntRange(1, 40).Draw(t, "kgs")}
		qs := [2]*TimerQueue{{}, {}}
		times := rapid.SampledFrom([][]int64{{0, 1, 2}, {-5, 1999, 3999}, {-1 << 40, 1 << 50, math.MaxInt64 - 1, 7}}).Draw(t, "times")
		str := func(label string) []byte {
			n := rapid.SampledFrom([]int{0, 1, 8, 130}).Draw(t, label)
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rapid.IntRange(0, 3).Draw(t, label+"b"))
			}
			return b
		}
		for i := range rapid.IntRange(0, 300).Draw(t, "n") {
			q := qs[rapid.IntRange(0, 1).Draw(t, fmt.Sprint("d", i))]
			kg := kgs.Start + rapid.IntRange(0, kgs.Len()-1).Draw(t, fmt.Sprint("kg", i))
			tm := times[rapid.IntRange(0, len(times)-1).Draw(t, fmt.Sprint("t", i))]
			key, ns := str(fmt.Sprint("key", i)), str(fmt.Sprint("ns", i))
			switch rapid.IntRange(0, 9).Draw(t, fmt.Sprint("op", i)) {
			case 0, 1, 2, 3, 4, 5:
				q.Register(kg, key, ns, tm)
			case 6, 7:
				q.Delete(kg, key, ns, tm)
			case 8:
				// Fire some: a bucket is then sorted, part fired.
				for range rapid.IntRange(0, 5).Draw(t, fmt.Sprint("pop", i)) {
					if q.PopDue(tm) == nil {
						break
					}
				}
			case 9:
				// Many timers of one time, then most deleted: the bucket
				// compacts, with dead timers between the live ones.
				for k := range 100 {
					q.Register(kg, fmt.Appendf(nil, "bulk%d", k), ns, tm)
				}
				for k := range 90 {
					if k%3 != 0 {
						q.Delete(kg, fmt.Appendf(nil, "bulk%d", k), ns, tm)
					}
				}
			}
		}
		got := encodeTimers(kgs, qs[0], qs[1])
		want := encodeTimersMap(qs[0], qs[1])
		versions := map[byte]int{}
		defer func() {
			for v, n := range versions {
				t.Logf("key groups in version %d: %d", v, n)
			}
		}()
		if len(got) != len(want) {
			t.Fatalf("encodeTimers has %d key groups, encodeTimersMap %d", len(got), len(want))
		}
		for kg, w := range want {
			g := got[kg]
			if w[0] != timerSnapshotV1 {
				t.Fatalf("key group %d: encodeTimersMap wrote version %d", kg, w[0])
			}
			if gd, wd := decodedTimers(t, g), decodedTimers(t, w); gd != wd {
				t.Fatalf("key group %d: encodeTimers decodes to\n%s\nencodeTimersMap to\n%s", kg, gd, wd)
			}
			if len(g) > len(w) || (g[0] == timerSnapshotV1 && !bytes.Equal(g, w)) {
				t.Fatalf("key group %d: version %d in %d bytes, version 1 in %d:\n%x\n%x", kg, g[0], len(g), len(w), g, w)
			}
			versions[g[0]]++
			if cap(g) != len(g) {
				t.Fatalf("key group %d: capacity %d past its %d bytes (an append would write into the next group)", kg, cap(g), len(g))
			}
		}
		// Into a reused buffer (encodeTimersInto, SnapshotTimersRecycled):
		// stale bytes of an earlier snapshot everywhere, room to spare or
		// too little: the same bytes, and the spare used when it fits.
		total := 0
		for _, g := range got {
			total += len(g)
		}
		slack := rapid.IntRange(-1, 64).Draw(t, "slack")
		spare := bytes.Repeat([]byte{0xAA}, max(0, total+slack))
		re, buf := encodeTimersInto(spare, kgs, qs[0], qs[1])
		if len(re) != len(want) {
			t.Fatalf("encodeTimersInto has %d key groups, encodeTimersMap %d", len(re), len(want))
		}
		for kg, w := range got {
			if g := re[kg]; !bytes.Equal(g, w) || cap(g) != len(g) {
				t.Fatalf("key group %d: encodeTimersInto (spare of %d for %d bytes)\n%x (cap %d)\nencodeTimers\n%x", kg, len(spare), total, g, cap(g), w)
			}
		}
		if total > 0 && total <= len(spare) && &buf[0] != &spare[0] {
			t.Fatalf("a spare of %d bytes for %d was not used", len(spare), total)
		}
		// Both versions restore the same timers (restoreTimers).
		for _, enc := range []map[int][]byte{got, want} {
			var k keyedCore[int, int]
			if err := k.restoreTimers(&Runtime{Name: "t", KeyGroups: kgs, Restored: &Restored{Timers: enc}}); err != nil {
				t.Fatal(err)
			}
			for d, q := range []*TimerQueue{&k.event, &k.proc} {
				if q.Len() != qs[d].Len() {
					t.Fatalf("domain %d: restored %d timers, had %d", d, q.Len(), qs[d].Len())
				}
				if fmt.Sprint(timerList(q)) != fmt.Sprint(timerList(qs[d])) {
					t.Fatalf("domain %d: restored\n%v\nhad\n%v", d, timerList(q), timerList(qs[d]))
				}
			}
		}
	})
}

// decodedTimers lists the timers of a key group's timer snapshot as
// decodeTimers gives them.
func decodedTimers(t interface{ Fatalf(string, ...any) }, b []byte) string {
	var sb strings.Builder
	if err := decodeTimers(b, func(d byte, tm int64, key, ns []byte) {
		fmt.Fprintf(&sb, "%d/%d/%x/%x ", d, tm, key, ns)
	}); err != nil {
		t.Fatalf("decode %x: %v", b, err)
	}
	return sb.String()
}

// TestDecodeTimersGolden: the bytes of both versions, written out by hand
// (version 1 as every checkpoint before branch ckcost holds them), decode
// to the timers they name; the errors of a newer version, an unknown
// domain, truncation and junk.
func TestDecodeTimersGolden(t *testing.T) {
	want := "0/5/6b31/ 0/5/6b32/6e73 1/-2/6b33/ "
	v1 := []byte{1, 0x83, 0x80, 0x80, 0x80, 0,
		0, 10, 2, 'k', '1', 0,
		0, 10, 2, 'k', '2', 2, 'n', 's',
		1, 3, 2, 'k', '3', 0}
	v2 := []byte{2, 0x82, 0x80, 0x80, 0x80, 0,
		0, 10, 0x82, 0x80, 0x80, 0x80, 0, 2, 'k', '1', 0, 2, 'k', '2', 2, 'n', 's',
		1, 3, 0x81, 0x80, 0x80, 0x80, 0, 2, 'k', '3', 0}
	for _, b := range [][]byte{v1, v2} {
		if got := decodedTimers(t, b); got != want {
			t.Fatalf("version %d: %s, want %s", b[0], got, want)
		}
	}
	var nv *newerTimersError
	if err := decodeTimers([]byte{3, 0}, func(byte, int64, []byte, []byte) {}); !errors.As(err, &nv) {
		t.Fatalf("version 3: %v, want a newerTimersError", err)
	}
	for name, b := range map[string][]byte{
		"empty":             {},
		"version 0":         {0},
		"v1 domain 2":       {1, 1, 2, 0, 0, 0},
		"v2 domain 2":       {2, 1, 2, 0, 1, 0, 0},
		"v1 truncated":      v1[:len(v1)-1],
		"v2 truncated":      v2[:len(v2)-1],
		"v2 junk":           append(slices.Clone(v2), 0),
		"v2 count too high": {2, 1, 0, 0, 5, 0, 0},
	} {
		if err := decodeTimers(b, func(byte, int64, []byte, []byte) {}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	var k keyedCore[int, int]
	err := k.restoreTimers(&Runtime{Name: "t", KeyGroups: base.KeyGroupRange{Start: 0, End: 4}, Restored: &Restored{Timers: map[int][]byte{1: {3, 0}}}})
	if !errors.Is(err, base.ErrNewerVersion) {
		t.Fatalf("restore of version 3: %v, want ErrNewerVersion", err)
	}
}

// FuzzDecodeTimers: any bytes decode without a panic, to an error or to
// timers of domain 0 or 1 whose re-encoding (version 2) decodes to the same.
func FuzzDecodeTimers(f *testing.F) {
	var q, p TimerQueue
	for i := range 20 {
		q.Register(i%3, fmt.Appendf(nil, "k%d", i), []byte{byte(i)}, int64(i%4)*1000-1)
		p.Register(i%3, fmt.Appendf(nil, "p%d", i), nil, int64(i))
	}
	for _, m := range []map[int][]byte{encodeTimers(base.KeyGroupRange{Start: 0, End: 3}, &q, &p), encodeTimersMap(&q, &p)} {
		for _, b := range m {
			f.Add(b)
		}
	}
	f.Add([]byte{2, 0x80, 0x80, 0x80, 0x80, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		qs := [2]*TimerQueue{{}, {}}
		var list []string
		err := decodeTimers(b, func(d byte, tm int64, key, ns []byte) {
			if d > 1 {
				t.Fatalf("domain %d passed on", d)
			}
			qs[d].Register(0, key, ns, tm)
			list = append(list, fmt.Sprintf("%d/%d/%x/%x", d, tm, key, ns))
		})
		if err != nil {
			return
		}
		re := encodeTimers(base.KeyGroupRange{Start: 0, End: 1}, qs[0], qs[1])
		if len(re) == 0 {
			return // every timer was a duplicate of an earlier one, or none
		}
		// Duplicates collapse in a queue: compare with the queues' timers.
		var want []string
		for d, q := range qs {
			for _, tm := range q.All() {
				want = append(want, fmt.Sprintf("%d/%d/%x/%x", d, tm.Time, tm.Key, tm.NS))
			}
		}
		var again []string
		if err := decodeTimers(re[0], func(d byte, tm int64, key, ns []byte) {
			again = append(again, fmt.Sprintf("%d/%d/%x/%x", d, tm, key, ns))
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(want)
		slices.Sort(again)
		if fmt.Sprint(want) != fmt.Sprint(again) {
			t.Fatalf("re-encoded %v, queues hold %v", again, want)
		}
	})
}

func timerList(q *TimerQueue) []string {
	var out []string
	for _, tm := range q.All() {
		out = append(out, fmt.Sprintf("%d/%d/%x/%x", tm.Time, tm.KG, tm.Key, tm.NS))
	}
	return out
}

// TestSnapshotTimersRecycled: a released timer snapshot's buffer is what
// the next snapshot encodes into, with the bytes a fresh encoding gives;
// an unreleased one's is never written again.
func TestSnapshotTimersRecycled(t *testing.T) {
	kgs := base.KeyGroupRange{Start: 0, End: 8}
	var k keyedCore[int, int]
	k.RT = &Runtime{Name: "t", KeyGroups: kgs}
	for i := range 100 {
		k.event.Register(i%8, fmt.Appendf(nil, "k%d", i), nil, int64(i))
	}
	first, rel1 := k.SnapshotTimersRecycled()
	keep := map[int][]byte{}
	for kg, b := range first {
		keep[kg] = bytes.Clone(b)
	}
	// Not released: the next snapshot gets a buffer of its own.
	second, rel2 := k.SnapshotTimersRecycled()
	k.event.Register(3, []byte("late"), nil, 7)
	third, rel3 := k.SnapshotTimersRecycled()
	for kg, b := range keep {
		if !bytes.Equal(first[kg], b) {
			t.Fatalf("key group %d of an unreleased snapshot was overwritten", kg)
		}
	}
	_ = second
	rel2()
	rel1() // the smaller: the larger is kept
	rel1() // idempotent
	rel3()
	fourth, rel4 := k.SnapshotTimersRecycled()
	defer rel4()
	want := encodeTimers(kgs, &k.event, &k.proc)
	for kg, w := range want {
		if !bytes.Equal(fourth[kg], w) {
			t.Fatalf("key group %d: recycled snapshot %x, want %x", kg, fourth[kg], w)
		}
	}
	// The fourth reused one of the released buffers (the largest).
	reused := false
	for _, m := range []map[int][]byte{second, third} {
		for kg := range m {
			if len(m[kg]) > 0 && &m[kg][0] == &fourth[kg][0] {
				reused = true
			}
		}
	}
	if !reused {
		t.Fatal("the fourth snapshot did not reuse a released buffer")
	}
}

// TestEncodeTimersOutsideRange: a timer of a key group outside the range
// falls back to encodeTimersMap (same bytes, every timer kept).
func TestEncodeTimersOutsideRange(t *testing.T) {
	var q TimerQueue
	q.Register(3, []byte("a"), nil, 10)
	q.Register(9, []byte("b"), []byte("w"), 20)
	got := encodeTimers(base.KeyGroupRange{Start: 0, End: 4}, &q)
	want := encodeTimersMap(&q)
	if len(got) != 2 || !bytes.Equal(got[3], want[3]) || !bytes.Equal(got[9], want[9]) {
		t.Fatalf("got %x, want %x", got, want)
	}
	if got := encodeTimers(base.KeyGroupRange{}, &q); len(got) != 2 || !bytes.Equal(got[9], want[9]) {
		t.Fatalf("empty range: got %x, want %x", got, want)
	}
}

// BenchmarkSnapshotTimers: a checkpoint's timer snapshot of q5's counting
// operator at 20 M events (about a million timers, 8-byte keys, no
// namespace, over 128 key groups and a few times), the map encoder against
// the two-pass one. cpu-ms/op is the process's CPU time (the GC's
// included) per snapshot.
func BenchmarkSnapshotTimers(b *testing.B) {
	var q, proc TimerQueue
	for i := range 1_000_000 {
		key := binary.BigEndian.AppendUint64(nil, uint64(i)*0x9e3779b97f4a7c15)
		q.Register(int(key[0])%128, key, nil, int64(i%5)*2000+1999)
	}
	kgs := base.KeyGroupRange{Start: 0, End: 128}
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := processCPU()
		for b.Loop() {
			encodeTimersMap(&q, &proc)
		}
		b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
	})
	b.Run("twopass", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := processCPU()
		for b.Loop() {
			encodeTimers(kgs, &q, &proc)
		}
		b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
	})
	// recycled: each snapshot released before the next, as an uploader
	// does within the checkpoint interval (SnapshotTimersRecycled).
	b.Run("recycled", func(b *testing.B) {
		var spare []byte
		b.ReportAllocs()
		cpu0 := processCPU()
		for b.Loop() {
			_, spare = encodeTimersInto(spare, kgs, &q, &proc)
		}
		b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
	})
}

// BenchmarkSnapshotTimersQ5 is BenchmarkSnapshotTimers with q5's event
// times (milliseconds since 1970 in 2015: a 6-byte varint each) and the
// size of the snapshot reported (bytes/op): the timers of q5's counting
// operator at 20 M events, about a million over 5 window ends. fresh
// encodes into a new buffer each time, recycled into the previous
// snapshot's (released before the next, as the uploader does).
func BenchmarkSnapshotTimersQ5(b *testing.B) {
	var q, proc TimerQueue
	const t0 = 1_436_918_400_000
	for i := range 1_000_000 {
		key := binary.BigEndian.AppendUint64(nil, uint64(i)*0x9e3779b97f4a7c15)
		q.Register(int(key[0])%128, key, nil, t0+int64(i%5)*2000+1999)
	}
	kgs := base.KeyGroupRange{Start: 0, End: 128}
	size := 0
	for _, t := range encodeTimers(kgs, &q, &proc) {
		size += len(t)
	}
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := processCPU()
		for b.Loop() {
			encodeTimers(kgs, &q, &proc)
		}
		b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(size), "bytes/op")
	})
	b.Run("recycled", func(b *testing.B) {
		var spare []byte
		b.ReportAllocs()
		cpu0 := processCPU()
		for b.Loop() {
			_, spare = encodeTimersInto(spare, kgs, &q, &proc)
		}
		b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(size), "bytes/op")
	})
}
