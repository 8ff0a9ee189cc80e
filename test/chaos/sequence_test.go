package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

// p2Params size the in-process sequence tests of a tier.
type p2Params struct{ seeds, panics, keys, perKey int }

type seqEvent struct {
	Key string
	Seq int64
	TS  int64
}

// faults injects panics: the record counters of the map and of the keyed
// check (they count replayed records again) panic once when they reach one
// of their points.
type faults struct {
	mapAt, checkAt []int64
	fired          sync.Map // "map@n" / "check@n" -> true
	mapN, checkN   atomic.Int64
	count          atomic.Int64
}

func (f *faults) hit(kind string, n int64, at []int64) {
	if _, ok := slices.BinarySearch(at, n); !ok {
		return
	}
	if _, dup := f.fired.LoadOrStore(fmt.Sprint(kind, "@", n), true); !dup {
		f.count.Add(1)
		panic(fmt.Sprintf("chaos: injected panic in %s at record %d", kind, n))
	}
}

// seqJob: per key a sequence 1..perKey; a keyed check emits an ALERT unless
// seq == last+1 and a DONE row when it reaches perKey, and a 1 s tumbling
// window sums the sequence numbers per key. f == nil: no faults.
func seqJob(t *testing.T, dir string, par int, p p2Params, sink *streamtest.TxSink[string], f *faults, log *logBuf) error {
	keys, perKey := int64(p.keys), int64(p.perKey)
	env := stream.NewEnvironment(stream.Options{Parallelism: par,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 20 * time.Millisecond, Logf: log.logf},
		Restart:     &stream.RestartStrategy{MaxAttempts: p.panics + 1, Delay: time.Millisecond, MaxDelay: time.Millisecond}})
	src := stream.FromGenerator(env, keys*perKey, func(split int, i int64) seqEvent {
		return seqEvent{Key: fmt.Sprintf("s%d-k%03d", split, i%keys), Seq: i/keys + 1, TS: 1_000_000 + i*5}
	}, stream.WatermarkStrategy[seqEvent]{Enabled: true, Timestamp: func(e seqEvent) int64 { return e.TS }})
	slow := stream.Map(src, func(e seqEvent) seqEvent {
		if f != nil {
			n := f.mapN.Add(1)
			if n%64 == 0 {
				time.Sleep(time.Millisecond) // let checkpoints happen during the run
			}
			f.hit("map", n, f.mapAt)
		}
		return e
	})
	keyed := stream.KeyBy(slow, func(e seqEvent) string { return e.Key })
	checks := stream.KeyedProcess(keyed, func() stream.KeyedProcessFunction[string, seqEvent, string] {
		return &seqCheck{n: perKey, f: f}
	})
	sums := stream.WindowReduce(keyed.Window(stream.TumblingEventTimeWindows(time.Second)),
		func(a, b seqEvent) seqEvent { return seqEvent{Key: a.Key, Seq: a.Seq + b.Seq, TS: max(a.TS, b.TS)} })
	out := checks.Union(stream.Map(sums, func(e seqEvent) string { return fmt.Sprintf("SUM %s %d", e.Key, e.Seq) }))
	stream.SinkTo[string](out, sink, "tx-sink")
	return env.Execute(context.Background())
}

type seqCheck struct {
	n    int64
	f    *faults
	last *stream.ValueState[int64]
}

func (c *seqCheck) Open(ctx *stream.OpenContext) error {
	c.last = stream.NewValueState[int64](ctx, "last")
	return nil
}

func (c *seqCheck) ProcessElement(ctx *stream.KeyedContext[string], e seqEvent, out stream.Emitter[string]) error {
	if c.f != nil {
		c.f.hit("check", c.f.checkN.Add(1), c.f.checkAt)
	}
	last, _ := c.last.Get()
	if e.Seq != last+1 {
		out.Emit(fmt.Sprintf("ALERT %s: %d after %d", e.Key, e.Seq, last))
	}
	c.last.Set(e.Seq)
	if e.Seq == c.n {
		out.Emit(fmt.Sprintf("DONE %s %d", e.Key, e.Seq))
	}
	return nil
}

func (c *seqCheck) OnTimer(*stream.KeyedContext[string], int64, stream.Emitter[string]) error {
	return nil
}

// TestSequencePanics (RELIABILITY P2, in-process): a keyed sequence check
// with several injected panics per run (in the map before the keyBy and in
// the keyed operator), each restarting the job from its latest checkpoint.
// 0 alerts, every key ends at last == n, and the committed output equals the
// fault-free run as a multiset.
func TestSequencePanics(t *testing.T) {
	for _, par := range []int{1, 2} {
		for s := range p2Tier.seeds {
			t.Run(fmt.Sprintf("p=%d/run=%d", par, s), func(t *testing.T) {
				t.Parallel()
				runP2(t, par, p2Tier)
			})
		}
	}
}

func runP2(t *testing.T, par int, p p2Params) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5e9))
	golden, glog := streamtest.NewTxSink[string](), &logBuf{}
	if err := seqJob(t, t.TempDir(), par, p, golden, nil, glog); err != nil {
		t.Fatal(err)
	}
	if !checkSeqRows(t, "fault-free run", golden.Rows(), par, p) {
		t.Fatalf("the fault-free run is wrong (%d commits)\n%sits engine log:\n%s", golden.Commits(), golden.Leftover(), glog)
	}
	total := int64(p.keys * p.perKey * par) // records of all splits
	f := &faults{}
	for range p.panics {
		at := 1 + rng.Int64N(total)
		if rng.IntN(2) == 0 {
			f.mapAt = append(f.mapAt, at)
		} else {
			f.checkAt = append(f.checkAt, at)
		}
	}
	slices.Sort(f.mapAt)
	f.mapAt = slices.Compact(f.mapAt)
	slices.Sort(f.checkAt)
	f.checkAt = slices.Compact(f.checkAt)
	t.Logf("panics: map at records %v, keyed check at %v (of %d records)", f.mapAt, f.checkAt, total)
	sink, log := streamtest.NewTxSink[string](), &logBuf{}
	if err := seqJob(t, t.TempDir(), par, p, sink, f, log); err != nil {
		t.Fatalf("job failed: %v\n%s", err, log)
	}
	if want := int64(len(f.mapAt) + len(f.checkAt)); f.count.Load() != want {
		t.Fatalf("%d panics injected, want %d", f.count.Load(), want)
	}
	want, got := golden.Rows(), sink.Rows()
	if !checkSeqRows(t, "run with panics", got, par, p) {
		t.Logf("%sengine log of the run with panics:\n%s", sink.Leftover(), log)
	}
	if lost, extra := diffMultiset(got, want); len(lost)+len(extra) > 0 {
		sort.Strings(lost)
		sort.Strings(extra)
		t.Errorf("committed output differs from the fault-free run: %d rows, want %d; %d lost, %d duplicated\nlost: %.5q\nextra: %.5q",
			len(got), len(want), len(lost), len(extra), lost, extra)
	}
	t.Logf("%d panics, %d commits, %d rows", f.count.Load(), sink.Commits(), len(got))
}

// checkSeqRows checks the committed rows of one run: no alert, every key
// reached last == n once, and one SUM per key and 1 s window.
func checkSeqRows(t *testing.T, what string, rows []string, par int, p p2Params) bool {
	t.Helper()
	ok := true
	done := map[string]int{}
	sums := map[string]int{}
	for _, r := range rows {
		f := strings.Fields(r)
		switch f[0] {
		case "ALERT":
			t.Errorf("%s: sequence alert: %s", what, r)
			ok = false
		case "DONE":
			done[f[1]]++
			if f[2] != fmt.Sprint(p.perKey) {
				t.Errorf("%s: key ended below n: %s", what, r)
				ok = false
			}
		case "SUM":
			sums[f[1]]++
		}
	}
	// Record i of a split has time 1_000_000 + 5i: the windows of a key
	// are the seconds its records span.
	windows := int((1_000_000+5*int64(p.keys*p.perKey-1))/1000 - 1_000_000/1000 + 1)
	for s := range par {
		for k := range p.keys {
			key := fmt.Sprintf("s%d-k%03d", s, k)
			if done[key] != 1 || sums[key] != windows {
				t.Errorf("%s: key %s: %d DONE rows (want 1), %d window sums (want %d)", what, key, done[key], sums[key], windows)
				ok = false
			}
		}
	}
	return ok
}

// logBuf collects the engine's checkpoint log lines of one job.
type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return tail([]byte(l.b.String()), 4000)
}
