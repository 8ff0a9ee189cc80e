package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/internal/task"
	"github.com/stromio/strom/internal/vfs"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

// p3Params size the state-machine canary of a tier: keys per split,
// events per key, phases (each ends in a stop-with-savepoint but the last,
// which reads the input to its end) and injected panics per phase.
type p3Params struct{ keys, perKey, phases, panics int }

// The DFA of the canary (Flink's StateMachineExample in spirit): a session
// starts in dfaInitial (no state), moves by symbols, and ends in
// dfaTerminal, where its key's state is cleared (a new session may start).
const (
	dfaInitial = iota
	dfaW
	dfaX
	dfaY
	dfaZ
	dfaTerminal
)

// dfa[state][symbol] is the next state (0: no transition, an invalid
// event).
var dfa = [dfaTerminal][6]int{
	dfaInitial: {'a' - 'a': dfaW, 'c' - 'a': dfaX},
	dfaW:       {'b' - 'a': dfaY, 'c' - 'a': dfaX},
	dfaX:       {'a' - 'a': dfaY, 'b' - 'a': dfaZ},
	dfaY:       {'b' - 'a': dfaZ, 'e' - 'a': dfaTerminal},
	dfaZ:       {'a' - 'a': dfaW, 'd' - 'a': dfaTerminal, 'e' - 'a': dfaTerminal},
}

// walk is the symbols of one key's events: valid sessions one after the
// other from a seeded random walk (error rate 0), the last one possibly
// unfinished. live reports whether it is.
func walk(seed uint64, split, key, n int) (syms []byte, live bool) {
	rng := rand.New(rand.NewPCG(seed, uint64(split)<<32|uint64(key)))
	s := dfaInitial
	for range n {
		var out []int
		for sym, next := range dfa[s] {
			if next != 0 {
				out = append(out, sym)
			}
		}
		sym := out[rng.IntN(len(out))]
		syms = append(syms, byte('a'+sym))
		if s = dfa[s][sym]; s == dfaTerminal {
			s = dfaInitial
		}
	}
	return syms, s != dfaInitial
}

type dfaEvent struct {
	Key string
	Seq int64 // the event's number among its key's (from 1)
	Sym byte
	TS  int64
}

// dfaCheck keeps each key's DFA state; an event without a transition from
// it is an ALERT; the terminal state clears the key and writes END.
type dfaCheck struct {
	f     *faults
	state *stream.ValueState[int]
}

func (c *dfaCheck) Open(ctx *stream.OpenContext) error {
	c.state = stream.NewValueState[int](ctx, "dfa")
	return nil
}

func (c *dfaCheck) ProcessElement(ctx *stream.KeyedContext[string], e dfaEvent, out stream.Emitter[string]) error {
	if c.f != nil {
		c.f.hit("check", c.f.checkN.Add(1), c.f.checkAt)
	}
	s, _ := c.state.Get()
	next := 0
	if sym := int(e.Sym) - 'a'; sym >= 0 && sym < len(dfa[s]) {
		next = dfa[s][sym]
	}
	switch next {
	case 0:
		out.Emit(fmt.Sprintf("ALERT %s #%d: %c in state %d", e.Key, e.Seq, e.Sym, s))
	case dfaTerminal:
		c.state.Clear()
		out.Emit(fmt.Sprintf("END %s %d", e.Key, e.Seq))
	default:
		c.state.Set(next)
	}
	return nil
}

func (c *dfaCheck) OnTimer(*stream.KeyedContext[string], int64, stream.Emitter[string]) error {
	return nil
}

const p3Splits = 4

// dfaJob is the canary at parallelism par: 4 generator splits (so any
// parallelism reads them), a map that panics at f's points, the keyed DFA
// check (uid "dfa") into an exactly-once sink; incremental checkpoints
// every 10 ms, 2 in flight, restarts from the latest on a panic.
func dfaJob(dir, from string, par int, p p3Params, walks [][]byte, sink *streamtest.TxSink[string], f *faults, seen *atomic.Int64, log *logBuf) *stream.Environment {
	env := stream.NewEnvironment(stream.Options{Parallelism: par,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, FromSavepoint: from, Interval: 10 * time.Millisecond, MaxConcurrent: 2, Logf: log.logf},
		Restart:     &stream.RestartStrategy{MaxAttempts: p.panics + 1, Delay: time.Millisecond, MaxDelay: time.Millisecond}})
	keys := int64(p.keys)
	gen := stream.GeneratorSource[dfaEvent]{NumSplits: p3Splits, Count: keys * int64(p.perKey), Fn: func(split int, i int64) dfaEvent {
		k, j := int(i%keys), i/keys
		return dfaEvent{Key: fmt.Sprintf("s%d-k%03d", split, k), Seq: j + 1, Sym: walks[split*p.keys+k][j], TS: 1_000_000 + i}
	}}
	src := stream.FromSource[dfaEvent](env, gen, stream.WatermarkStrategy[dfaEvent]{}, "gen")
	slow := stream.Map(src, func(e dfaEvent) dfaEvent {
		n := f.mapN.Add(1)
		seen.Add(1)
		if n%64 == 0 {
			time.Sleep(time.Millisecond) // let checkpoints happen during the run
		}
		f.hit("map", n, f.mapAt)
		return e
	}).UID("slow")
	keyed := stream.KeyBy(slow, func(e dfaEvent) string { return e.Key })
	checks := stream.KeyedProcess(keyed, func() stream.KeyedProcessFunction[string, dfaEvent, string] { return &dfaCheck{f: f} }).UID("dfa")
	stream.SinkTo[string](checks, sink, "tx-sink")
	return env
}

// TestStateMachineCanary (RELIABILITY P3, in-process): per key a DFA over
// valid random sessions (error rate 0). The job runs in phases at
// parallelism 2, 3, 1, 2, ...: each phase gets injected panics (each a
// restart from the latest checkpoint, with 2 checkpoints in flight) and
// ends with a stop-with-savepoint the next phase starts from at its
// parallelism (a rescale); the last one reads the input to its end. There
// must be 0 alerts, every finished session's END exactly once, and the
// final state (the end-of-input checkpoint, read back) must hold exactly
// the keys of the sessions still live: terminal states clear their keys.
func TestStateMachineCanary(t *testing.T) {
	p := p3Tier
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 0xdfa))
	walks := make([][]byte, p3Splits*p.keys)
	wantEnd := map[string]bool{}
	live := 0
	for s := range p3Splits {
		for k := range p.keys {
			syms, isLive := walk(uint64(seed), s, k, p.perKey)
			walks[s*p.keys+k] = syms
			if isLive {
				live++
			}
			st := dfaInitial
			for j, sym := range syms {
				if st = dfa[st][sym-'a']; st == dfaTerminal {
					wantEnd[fmt.Sprintf("END s%d-k%03d %d", s, k, j+1)] = true
					st = dfaInitial
				}
			}
		}
	}
	total := int64(p3Splits * p.keys * p.perKey)
	sink := streamtest.NewTxSink[string]()
	f := &faults{}
	var seen atomic.Int64
	pars := []int{2, 3, 1}
	from := ""
	var dir string
	for phase := range p.phases {
		par := pars[phase%len(pars)]
		last := phase == p.phases-1
		// This phase's panics, at records still to come (the map's count
		// goes on across phases and replays).
		var at []int64
		for range p.panics {
			at = append(at, f.mapN.Load()+1+rng.Int64N(total/int64(2*p.phases)))
		}
		f.mapAt = append(f.mapAt, at...)
		slices.Sort(f.mapAt)
		dir = filepath.Join(t.TempDir(), "ckpt")
		log := &logBuf{}
		env := dfaJob(dir, from, par, p, walks, sink, f, &seen, log)
		job, err := env.Start(context.Background())
		if err != nil {
			t.Fatalf("phase %d (p=%d): %v", phase, par, err)
		}
		ended := make(chan struct{})
		go func() { job.Wait(); close(ended) }()
		if last {
			if err := job.Wait(); err != nil {
				t.Fatalf("phase %d (p=%d): %v\n%s", phase, par, err, log)
			}
		} else {
			until := seen.Load() + total/int64(p.phases+1)
			for running := true; running && seen.Load() < until; {
				select {
				case <-ended:
					running = false // the savepoint below says why
				case <-time.After(time.Millisecond):
				}
			}
			from = filepath.Join(t.TempDir(), fmt.Sprint("sp-", phase))
			if _, err := job.Savepoint(context.Background(), from, true); err != nil {
				t.Fatalf("phase %d (p=%d): savepoint: %v\n%s", phase, par, err, log)
			}
			if err := job.Wait(); !errors.Is(err, stream.ErrStopped) {
				t.Fatalf("phase %d (p=%d): after stop-with-savepoint: %v\n%s", phase, par, err, log)
			}
		}
		t.Logf("phase %d at p=%d: %d records read so far, %d panics so far, %d commits", phase, par, seen.Load(), f.count.Load(), sink.Commits())
	}
	got := map[string]int{}
	for _, r := range sink.Rows() {
		if strings.HasPrefix(r, "ALERT") {
			t.Errorf("alert: %s", r)
		}
		got[r]++
	}
	var lost, dup []string
	for r := range wantEnd {
		if got[r] == 0 {
			lost = append(lost, r)
		}
	}
	for r, n := range got {
		if n > 1 || (!wantEnd[r] && !strings.HasPrefix(r, "ALERT")) {
			dup = append(dup, fmt.Sprintf("%s (x%d)", r, n))
		}
	}
	sort.Strings(lost)
	sort.Strings(dup)
	if len(lost)+len(dup) > 0 {
		t.Fatalf("%d sessions ended, want %d: %d END rows lost, %d extra or duplicated\nlost: %.5q\nextra: %.5q", len(got), len(wantEnd), len(lost), len(dup), lost, dup)
	}
	keys := stateKeys(t, dir, "dfa")
	if keys != live {
		t.Fatalf("the final state holds %d keys, %d sessions are live (terminal states must clear their keys)", keys, live)
	}
	t.Logf("%d sessions ended, %d live = the keys of the final state; %d panics injected", len(wantEnd), live, f.count.Load())
}

// stateKeys counts the keys in the keyed state of operator uid in the
// newest checkpoint of dir, read back as a restore would (every link of
// every chain applied in order).
func stateKeys(t *testing.T, dir, uid string) int {
	t.Helper()
	ctx := context.Background()
	st := checkpoint.NewLocal(vfs.OS{}, dir)
	m, err := st.LoadLatest(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Final {
		t.Fatalf("the newest checkpoint, chk-%d, is not the end-of-input one", m.ID)
	}
	h := state.NewHeap(base.KeyGroupRange{Start: 0, End: m.MaxParallelism})
	found := false
	for _, op := range m.Operators {
		if op.UID != uid {
			continue
		}
		found = true
		for _, kf := range op.Keyed {
			for _, l := range kf.Links(m.ID) {
				sum := l.Sum()
				data, err := st.ReadFile(ctx, l.Dir, l.Name, &sum)
				if err != nil {
					t.Fatal(err)
				}
				_, _, chunks, err := checkpoint.DecodeKeyed(data)
				if err != nil {
					t.Fatal(err)
				}
				for kg, chunk := range chunks {
					sb, _, err := task.SplitKeyedChunk(chunk)
					if err == nil {
						err = state.RestoreGroup(h, kg, sb)
					}
					if err != nil {
						t.Fatalf("chk-%d/%s key group %d: %v", l.Dir, l.Name, kg, err)
					}
				}
			}
		}
	}
	if !found {
		t.Fatalf("chk-%d has no state of operator %q", m.ID, uid)
	}
	keys := map[string]bool{}
	for _, name := range h.TableNames() {
		for kg := range m.MaxParallelism {
			h.Table(name).ScanGroup(kg, func(key, _, _ []byte) bool {
				keys[string(key)] = true
				return true
			})
		}
	}
	return len(keys)
}
