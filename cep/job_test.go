package cep_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/cep"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// tick is the event of the job tests.
type tick struct {
	Key  string
	Kind string // a, b, c or x
	TS   int64
}

const jobKeys, jobSplits = 12, 2

// genTick is event i of split: keys belong to one split (so the order of a
// key's events does not depend on the parallelism), kinds are a fixed
// pseudo-random sequence, times rise by 2 ms with up to 8 ms of disorder
// (the watermark's out-of-orderness is 10 ms: nothing is late).
func genTick(split int, i int64) tick {
	h := uint64(split*1_000_003) + uint64(i)*0x9E3779B97F4A7C15
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 32
	kinds := "aabbbbcxx"
	return tick{
		Key:  fmt.Sprintf("s%d-k%02d", split, i%jobKeys),
		Kind: string(kinds[h%uint64(len(kinds))]),
		TS:   1000 + i*2 + int64(h>>8%9),
	}
}

func kind(k string) func(tick) bool { return func(e tick) bool { return e.Kind == k } }

// jobPattern: a, then one or more b (relaxed), then c, within 150 ms,
// skipping past the last event of a match.
func jobPattern() *cep.Pattern[tick] {
	return cep.BeginWithSkip[tick]("a", cep.SkipPastLastEventStrategy()).Where(kind("a")).
		FollowedBy("b").Where(kind("b")).OneOrMore().
		FollowedBy("c").Where(kind("c")).
		Within(150 * time.Millisecond)
}

func showMatch(key string, evs []cep.Event[tick]) string {
	var b strings.Builder
	b.WriteString(key + ":")
	for _, e := range evs {
		fmt.Fprintf(&b, " %s@%d", e.Stage, e.Time)
	}
	return b.String()
}

// buildJob: matches and timed-out partial matches as strings.
func buildJob(t testing.TB, src stream.Stream[tick]) stream.Stream[string] {
	ps, err := cep.Detect(stream.KeyBy(src, func(e tick) string { return e.Key }), jobPattern())
	if err != nil {
		t.Fatal(err)
	}
	matches := cep.Select(ps, func(m cep.Match[tick]) string { return showMatch(m.Events[0].Value.Key, m.Events) }).UID("cep")
	timeouts := stream.Map(stream.SideOutput(matches, cep.TimeoutTag[tick]()), func(to cep.Timeout[tick]) string {
		return fmt.Sprintf("TIMEOUT@%d %s", to.Time, showMatch(to.Partial.Events[0].Value.Key, to.Partial.Events))
	})
	return matches.Union(timeouts)
}

func wmTick() stream.WatermarkStrategy[tick] {
	return stream.WatermarkStrategy[tick]{Enabled: true, Timestamp: func(e tick) int64 { return e.TS }, OutOfOrderness: 10 * time.Millisecond}
}

// oracle runs the pattern on each key's events sorted by time, straight
// through the exported API of a single-key run (no buffering, no state).
func oracle(t *testing.T, n int64) []string {
	byKey := map[string][]tick{}
	for s := 0; s < jobSplits; s++ {
		for i := int64(0); i < n; i++ {
			e := genTick(s, i)
			byKey[e.Key] = append(byKey[e.Key], e)
		}
	}
	var out []string
	for key, evs := range byKey {
		slices.SortStableFunc(evs, func(a, b tick) int { return int(a.TS - b.TS) })
		r, err := cep.NewRunner(jobPattern())
		if err != nil {
			t.Fatal(err)
		}
		emit := func(ms []cep.Match[tick], tos []cep.Timeout[tick]) {
			for _, m := range ms {
				out = append(out, showMatch(key, m.Events))
			}
			for _, to := range tos {
				out = append(out, fmt.Sprintf("TIMEOUT@%d %s", to.Time, showMatch(key, to.Partial.Events)))
			}
		}
		for _, e := range evs {
			emit(r.Advance(e.TS))
			emit(r.Process(e.TS, e), nil)
		}
		emit(r.Advance(1 << 62))
	}
	slices.Sort(out)
	return out
}

const jobEvents = 600 // per split

func TestJobGolden(t *testing.T) {
	got := streamtest.Equivalent(t, []int{1, 2}, func(env *stream.Environment) *stream.Collected[string] {
		src := stream.FromSource[tick](env, stream.GeneratorSource[tick]{NumSplits: jobSplits, Count: jobEvents, Fn: genTick}, wmTick(), "ticks")
		return stream.Collect(buildJob(t, src))
	})
	for i, r := range got { // Equivalent compares JSON encodings
		var err error
		if got[i], err = strconv.Unquote(r); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(got)
	if want := oracle(t, jobEvents); !slices.Equal(got, want) {
		t.Fatalf("job output differs from the per-key oracle: %s", setDiff(got, want))
	}
	var matches, timeouts int
	for _, r := range got {
		if strings.HasPrefix(r, "TIMEOUT") {
			timeouts++
		} else {
			matches++
		}
	}
	if matches < 20 || timeouts < 20 {
		t.Fatalf("weak test data: %d matches, %d timeouts", matches, timeouts)
	}
	golden(t, "testdata/job.golden", strings.Join(got, "\n")+"\n")
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Fatalf("%s differs (run with -update and review the diff)", path)
	}
}

// savepointTickJob is the job over a slowed source into an exactly-once
// sink, with checkpoints, optionally started from a savepoint.
const spEvents = 3000 // per split

func savepointTickJob(dir, from string, par int, sink *streamtest.TxSink[string], seen *atomic.Int64, slow bool, t *testing.T) *stream.Environment {
	return tickJob(dir, from, par, sink, seen, slow, nil, t)
}

// tickJob is savepointTickJob with fail called with the count of every
// record through the map (it may panic) and a restart strategy.
func tickJob(dir, from string, par int, sink *streamtest.TxSink[string], seen *atomic.Int64, slow bool, fail func(n int64), t *testing.T) *stream.Environment {
	env := stream.NewEnvironment(stream.Options{Parallelism: par,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 20 * time.Millisecond, FromSavepoint: from, Logf: t.Logf},
		Restart:     &stream.RestartStrategy{MaxAttempts: 2}})
	src := stream.FromSource[tick](env, stream.GeneratorSource[tick]{NumSplits: jobSplits, Count: spEvents, Fn: genTick}, wmTick(), "ticks")
	slowed := stream.Map(src, func(e tick) tick {
		n := seen.Add(1)
		if slow && n%2 == 0 {
			time.Sleep(time.Millisecond)
		}
		if fail != nil {
			fail(n)
		}
		return e
	}).UID("slow-map")
	stream.SinkTo[string](buildJob(t, slowed), sink, "sink")
	return env
}

// TestSavepointMidPattern: stop the job with a savepoint while partial
// matches and buffered events are in keyed state, restore it at parallelism
// 1 and 2: the committed output before plus after equals the run without
// stop.
func TestSavepointMidPattern(t *testing.T) {
	want := oracle(t, spEvents)
	before := streamtest.NewTxSink[string]()
	var seen atomic.Int64
	env := savepointTickJob(t.TempDir(), "", 2, before, &seen, true, t)
	done := make(chan error, 1)
	go func() { done <- env.Execute(context.Background()) }()
	deadline := time.Now().Add(30 * time.Second)
	for seen.Load() < jobSplits*spEvents/4 || before.Commits() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no progress: %d records, %d commits", seen.Load(), before.Commits())
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("savepoint after %d records, %d commits", seen.Load(), before.Commits())
	spDir := filepath.Join(t.TempDir(), "sp")
	if _, err := env.Savepoint(context.Background(), spDir, true); err != nil {
		t.Fatalf("savepoint: %v (the job: %v)", err, <-done)
	}
	if err := <-done; !errors.Is(err, stream.ErrStopped) {
		t.Fatalf("Execute after stop-with-savepoint: %v", err)
	}
	if seen.Load() >= jobSplits*spEvents {
		t.Fatal("the job read everything before the savepoint")
	}
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprint("p=", par), func(t *testing.T) {
			sink := before.Clone()
			var seen2 atomic.Int64
			if err := savepointTickJob(t.TempDir(), spDir, par, sink, &seen2, false, t).Execute(context.Background()); err != nil {
				t.Fatal(err)
			}
			if seen2.Load() >= jobSplits*spEvents {
				t.Fatal("the restored job started from the beginning")
			}
			got := slices.Sorted(slices.Values(sink.Rows()))
			if !slices.Equal(got, want) {
				t.Fatalf("output after restore at parallelism %d differs: %s", par, setDiff(got, want))
			}
		})
	}
}

// TestLateEvents: events at or behind the watermark go to the late side
// output and are counted; the others are matched in event-time order even
// when they arrive out of order.
func TestLateEvents(t *testing.T) {
	p := cep.Begin[tick]("a").Where(kind("a")).Next("b").Where(kind("b"))
	h, err := streamtest.New(func(in stream.Stream[tick]) stream.Stream[string] {
		ps, err := cep.Detect(stream.KeyBy(in, func(e tick) string { return e.Key }), p)
		if err != nil {
			t.Fatal(err)
		}
		return cep.Select(ps, func(m cep.Match[tick]) string { return showMatch(m.Events[0].Value.Key, m.Events) })
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	steps := []func() error{
		func() error { return h.Record(20, tick{"k", "b", 20}) }, // arrives before the a it follows
		func() error { return h.Record(10, tick{"k", "a", 10}) },
		func() error { return h.Watermark(20) },
		func() error { return h.Record(15, tick{"k", "a", 15}) }, // late
		func() error { return h.Record(30, tick{"k", "a", 30}) },
		func() error { return h.Record(31, tick{"k", "b", 31}) },
		func() error { return h.EndInput() },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"k: a@10 b@20", "k: a@30 b@31"}
	if got := h.Values(); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if n := h.LateRecords(); n != 1 {
		t.Fatalf("late records %d, want 1", n)
	}
}

// setDiff describes what only one of two multisets has (at most 5 each).
func setDiff(got, want []string) string {
	n := map[string]int{}
	for _, r := range got {
		n[r]++
	}
	for _, r := range want {
		n[r]--
	}
	var extra, missing []string
	for _, r := range slices.Sorted(maps.Keys(n)) {
		if n[r] > 0 && len(extra) < 5 {
			extra = append(extra, r)
		}
		if n[r] < 0 && len(missing) < 5 {
			missing = append(missing, r)
		}
	}
	return fmt.Sprintf("%d rows, want %d; extra %q; missing %q", len(got), len(want), extra, missing)
}

// TestTrailingNotFollowedByOperator: a match that ends in NotFollowedBy is
// emitted by the window's timer (at its end), unless the negated event came.
func TestTrailingNotFollowedByOperator(t *testing.T) {
	p := cep.Begin[tick]("a").Where(kind("a")).NotFollowedBy("x").Where(kind("x")).Within(10 * time.Millisecond)
	h, err := streamtest.New(func(in stream.Stream[tick]) stream.Stream[string] {
		ps, err := cep.Detect(stream.KeyBy(in, func(e tick) string { return e.Key }), p)
		if err != nil {
			t.Fatal(err)
		}
		return cep.Select(ps, func(m cep.Match[tick]) string { return showMatch(m.Events[0].Value.Key, m.Events) })
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, e := range []tick{{"k", "a", 1}, {"k", "b", 5}, {"k", "a", 20}, {"j", "a", 21}, {"k", "x", 25}} {
		if err := h.Record(e.TS, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Watermark(10); err != nil {
		t.Fatal(err)
	}
	if got := h.Values(); len(got) != 0 {
		t.Fatalf("emitted before the window closed: %q", got)
	}
	if err := h.Watermark(11); err != nil {
		t.Fatal(err)
	}
	if err := h.EndInput(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range h.Output() {
		got = append(got, fmt.Sprintf("%d %s", r.TS, r.Value))
	}
	if want := []string{"11 k: a@1", "31 j: a@21"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestCheckpointFailureMidPattern: the job fails once in the middle (after
// checkpoints committed, with partial matches and buffered events in keyed
// state), restarts from its latest checkpoint and commits exactly the
// output of the per-key oracle: nothing lost, nothing twice.
func TestCheckpointFailureMidPattern(t *testing.T) {
	want := oracle(t, spEvents)
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprint("p=", par), func(t *testing.T) {
			sink := streamtest.NewTxSink[string]()
			var seen atomic.Int64
			var failed atomic.Bool
			var commitsAtFailure, failedAt atomic.Int64
			fail := func(n int64) {
				if n >= jobSplits*spEvents/2 && sink.Commits() > 0 && failed.CompareAndSwap(false, true) {
					commitsAtFailure.Store(int64(sink.Commits()))
					failedAt.Store(n)
					panic("injected failure")
				}
			}
			if err := tickJob(t.TempDir(), "", par, sink, &seen, true, fail, t).Execute(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !failed.Load() || commitsAtFailure.Load() == 0 {
				t.Fatalf("no failure after a committed checkpoint (failed %v, commits then %d)", failed.Load(), commitsAtFailure.Load())
			}
			// From the start it would be failedAt + every record again.
			if seen.Load() >= failedAt.Load()+jobSplits*spEvents {
				t.Fatalf("%d records through the map: the restart began at the start, not at a checkpoint", seen.Load())
			}
			got := slices.Sorted(slices.Values(sink.Rows()))
			if !slices.Equal(got, want) {
				t.Fatalf("output after the restart differs: %s", setDiff(got, want))
			}
		})
	}
}
