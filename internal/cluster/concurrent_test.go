package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/plan"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/internal/task"
	"github.com/stromio/strom/internal/vfs"
)

// failingStorage is a Storage whose WriteFile fails while failNext is set
// (once) and which records the order of the CommitMetadata calls that
// succeeded. It embeds the interface, not *Local, so that the uploader goes
// through WriteFile (no SumWriter).
type failingStorage struct {
	checkpoint.Storage
	mu        sync.Mutex
	failNext  bool
	committed []int64
	hook      func(id int64, name string) // called before every write (nil: none)
}

var errInjected = errors.New("injected write failure")

func (s *failingStorage) WriteFile(ctx context.Context, id int64, name string, data []byte) (checkpoint.FileSum, error) {
	s.mu.Lock()
	fail, hook := s.failNext, s.hook
	s.failNext = false
	s.mu.Unlock()
	if hook != nil {
		hook(id, name)
	}
	if fail {
		return checkpoint.FileSum{}, fmt.Errorf("chk-%d/%s: %w", id, name, errInjected)
	}
	return s.Storage.WriteFile(ctx, id, name, data)
}

func (s *failingStorage) CommitMetadata(ctx context.Context, m *checkpoint.Metadata) error {
	if err := s.Storage.CommitMetadata(ctx, m); err != nil {
		return err
	}
	s.mu.Lock()
	s.committed = append(s.committed, m.ID)
	s.mu.Unlock()
	return nil
}

// TestIncrementalConcurrentChains drives the uploader's chains (uploadKeyed,
// chainsCompleted) and the storage's retention through random schedules
// of up to MaxConcurrent (2, 3) checkpoints in flight at once, as the
// coordinator can produce them: two subtasks each capture their state for
// every checkpoint and upload their captures in order (one FIFO), the
// subtasks' uploads interleave, the state keeps changing while captures
// are pending; an upload fails (the checkpoint is declined), a pending
// checkpoint times out (its late uploads still run) or completes before an
// older pending one (out of order), and after every completion the
// storage keeps the newest 1 or 2 (and what the checkpoints in flight use:
// coordinator.inFlight), so every commit succeeds, also one out of order.
// A subtask may finish: its last capture then stands for it in every later
// checkpoint. At the end every checkpoint the storage lists must be one
// that completed, validate (Verify) and restore to exactly the state of
// both subtasks at their capture, computed from the backends themselves at
// that moment (no delta logic involved): the newest 1 or 2, and those the
// checkpoints in flight kept; a subsumed checkpoint is not listed. Then a
// retention with nothing in flight lists only the newest 1 or 2, and the
// directories of subsumed checkpoints hold exactly the files their chains
// use.
func TestIncrementalConcurrentChains(t *testing.T) {
	deltas, oooCompleted, declined, timedOut, finished, keptInFlight, usedDirs, midUpload := 0, 0, 0, 0, 0, 0, 0, 0
	for _, maxConc := range []int{2, 3} {
		for _, retained := range []int{1, 2} {
			for seed := range uint64(8) {
				name := fmt.Sprintf("concurrent=%d/retained=%d/seed=%d", maxConc, retained, seed)
				r := runConcurrentChains(t, name, seed, maxConc, retained)
				deltas += r.deltas
				oooCompleted += r.ooo
				declined += r.declined
				timedOut += r.timedOut
				finished += r.finished
				keptInFlight += r.keptInFlight
				usedDirs += r.usedDirs
				midUpload += r.midUpload
			}
		}
	}
	// The schedules must have exercised what they are about.
	t.Logf("%d delta links in restored chains, %d out-of-order completions, %d declined, %d timed out, %d subtasks finished; "+
		"%d checkpoints listed beyond the retained ones (in flight's use), %d directories of subsumed checkpoints holding used files, %d completions while a delta was written",
		deltas, oooCompleted, declined, timedOut, finished, keptInFlight, usedDirs, midUpload)
	if deltas == 0 || oooCompleted == 0 || declined == 0 || timedOut == 0 || finished == 0 || usedDirs == 0 || midUpload == 0 {
		t.Fatalf("the schedules did not exercise every case: %d delta links restored, %d out-of-order completions, %d declined, %d timed out, %d finished, %d used directories, %d completions while a delta was written",
			deltas, oooCompleted, declined, timedOut, finished, usedDirs, midUpload)
	}
}

type concurrentResult struct {
	deltas, ooo, declined, timedOut, finished, keptInFlight, usedDirs int
	midUpload                                                         int // completions while a delta was being written
}

func runConcurrentChains(t *testing.T, name string, seed uint64, maxConc, retained int) concurrentResult {
	t.Helper()
	ctx := context.Background()
	var res concurrentResult
	st := &failingStorage{Storage: checkpoint.NewLocal(vfs.OS{}, filepath.Join(t.TempDir(), "ckpt"))}
	c := uploadCoordinator(CheckpointOptions{Storage: st, MaxDeltas: 4, Retained: retained})
	rng := rand.New(rand.NewPCG(seed, uint64(maxConc*10+retained)))
	ranges := []base.KeyGroupRange{{Start: 0, End: 8}, {Start: 8, End: 16}}
	heaps := []*state.Heap{state.NewHeap(ranges[0]), state.NewHeap(ranges[1])}
	mutate := func(n int) {
		for range n {
			s := rng.IntN(2)
			h, kgs := heaps[s], ranges[s]
			tb := h.Table([]string{"a", "b"}[rng.IntN(2)])
			kg := kgs.Start + rng.IntN(kgs.Len())
			key := fmt.Appendf(nil, "k%d", rng.IntN(40))
			sub := fmt.Appendf(nil, "s%d", rng.IntN(6))
			switch rng.IntN(7) {
			case 0:
				tb.DeleteKey(kg, key)
			case 1:
				tb.Delete(kg, key, sub)
			case 2:
				tb.Append(kg, key, sub, []byte("+"))
			default:
				tb.Put(kg, key, sub, fmt.Appendf(nil, "v%d", rng.IntN(1000)))
			}
		}
	}
	type upl struct {
		id   int64
		snap task.OperatorSnapshot
	}
	type ckpt struct {
		id       int64
		want     [2]map[string]string // each subtask's state at its capture
		kf       [2]*checkpoint.KeyedFile
		uploaded int
		declined bool
		abandon  bool // timed out: it never completes, its uploads still run
	}
	var (
		queue  [2][]upl // per subtask, in capture order
		pend   []*ckpt  // in flight (the coordinator's pend)
		byID   = map[int64]*ckpt{}
		done   = map[int64]*ckpt{} // completed
		nextID = int64(1)
		file   bytes.Buffer
		newest int64
	)
	// A finished subtask's last capture (kept: never released) and its
	// state then; every later checkpoint gets a copy of it, as the
	// coordinator queues them (in id order).
	var final [2]*task.OperatorSnapshot
	var finalWant [2]map[string]string
	finish := func(s int) {
		os := task.CapturedOperator("agg", ranges[s], state.CaptureIncremental(heaps[s]), nil, true)
		final[s], finalWant[s] = &os, dumpHeap(heaps[s])
		nextID++ // the id the subtask's last snapshot reserved
		res.finished++
	}
	capture := func() {
		ck := &ckpt{id: nextID}
		nextID++
		for s := range 2 {
			if final[s] != nil {
				ck.want[s] = finalWant[s]
				queue[s] = append(queue[s], upl{ck.id, *final[s]})
				continue
			}
			ck.want[s] = dumpHeap(heaps[s])
			queue[s] = append(queue[s], upl{ck.id, task.CapturedOperator("agg", ranges[s], state.CaptureIncremental(heaps[s]), nil, false)})
		}
		pend = append(pend, ck)
		byID[ck.id] = ck
	}
	drop := func(ck *ckpt) {
		pend = slices.DeleteFunc(pend, func(p *ckpt) bool { return p == ck })
	}
	upload := func(s int) {
		u := queue[s][0]
		queue[s] = queue[s][1:]
		ck := byID[u.id]
		if !ck.declined && !ck.abandon && rng.IntN(12) == 0 {
			st.mu.Lock()
			st.failNext = true
			st.mu.Unlock()
		}
		snap := task.SubtaskSnapshot{CheckpointID: u.id, Subtask: s, Operators: []task.OperatorSnapshot{u.snap}}
		kf, _, _, err := c.uploadKeyed(ctx, &file, nil, snap, &snap.Operators[0])
		snap.Release()
		st.mu.Lock()
		st.failNext = false
		st.mu.Unlock()
		switch {
		case err != nil && !errors.Is(err, errInjected):
			t.Fatalf("%s: upload chk-%d subtask %d: %v", name, u.id, s, err)
		case err != nil:
			if !ck.declined && !ck.abandon {
				ck.declined = true
				res.declined++
				drop(ck)
			}
		default:
			ck.kf[s] = kf
			ck.uploaded++
		}
	}
	complete := func(ck *ckpt) {
		drop(ck)
		m := &checkpoint.Metadata{ID: ck.id, JobFingerprint: "j", MaxParallelism: 16,
			Operators: []checkpoint.OperatorState{{UID: "agg", Parallelism: 2, Subtasks: make([][]byte, 2)}}}
		for _, kf := range ck.kf {
			if kf != nil {
				m.Operators[0].Keyed = append(m.Operators[0].Keyed, *kf)
			}
		}
		var flying []int64
		for _, p := range pend {
			flying = append(flying, p.id)
		}
		if err := st.CommitMetadata(ctx, m); err != nil {
			// Retention spared what the checkpoints in flight use, also
			// below a newer complete one.
			t.Fatalf("%s: commit chk-%d (newest complete %d): %v", name, ck.id, newest, err)
		}
		if ck.id < newest {
			res.ooo++
		}
		newest = max(newest, ck.id)
		// As coordinator.complete does.
		c.chainsCompleted(ck.id, flying...)
		done[ck.id] = ck
		if err := st.Retain(ctx, retained, c.inFlight(flying)...); err != nil {
			t.Fatalf("%s: retain after chk-%d: %v", name, ck.id, err)
		}
	}
	ready := func() []*ckpt {
		var out []*ckpt
		for _, ck := range pend {
			if !ck.abandon && ck.uploaded == 2 {
				out = append(out, ck)
			}
		}
		return out
	}
	// The coordinator completes checkpoints while the uploader writes
	// (its acks are queued): sometimes one completes in the middle of an
	// upload, and retention runs while a delta is written over a chain
	// that the completed checkpoint does not use.
	st.hook = func(id int64, name string) {
		delta := strings.Contains(name, "-d")
		if r := ready(); len(r) > 0 && (delta || rng.IntN(3) == 0) {
			if delta {
				res.midUpload++
			}
			complete(r[rng.IntN(len(r))])
		}
	}
	for step := 0; step < 150 || len(pend) > 0 || len(queue[0])+len(queue[1]) > 0; step++ {
		end := step >= 150
		switch k := rng.IntN(10); {
		case k < 2 && !end:
			mutate(1 + rng.IntN(40))
		case k < 4 && !end && len(pend) < maxConc:
			capture()
		case k < 7:
			if s := rng.IntN(2); len(queue[s]) > 0 {
				upload(s)
			} else if len(queue[1-s]) > 0 {
				upload(1 - s)
			}
		case k < 9:
			if r := ready(); len(r) > 0 {
				complete(r[rng.IntN(len(r))]) // any of them: also out of order
			}
		case !end && step > 20 && rng.IntN(40) == 0:
			if s := rng.IntN(2); final[s] == nil {
				finish(s)
			}
		default:
			if len(pend) > 0 && rng.IntN(4) == 0 {
				ck := pend[rng.IntN(len(pend))]
				ck.abandon = true
				res.timedOut++
				drop(ck)
			}
		}
		if end {
			// Drain: every upload runs, the rest completes in a random order.
			if r := ready(); len(queue[0])+len(queue[1]) == 0 && len(r) > 0 {
				complete(r[rng.IntN(len(r))])
			}
			for _, ck := range pend {
				if ck.uploaded < 2 && len(queue[0])+len(queue[1]) == 0 {
					drop(ck) // declined by one subtask, the other's upload done
				}
			}
		}
	}
	ids, err := st.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) > 0 && (len(ids) == 0 || ids[len(ids)-1] != newest) {
		t.Fatalf("%s: the storage lists %v, the newest complete checkpoint is %d", name, ids, newest)
	}
	// Every listed checkpoint is a restore point: the newest `retained`
	// and those the last retention kept for the checkpoints in flight then.
	// A subsumed one is not listed, whatever files of it newer chains use.
	verifyAll := func(when string, ids []int64) {
		for _, id := range ids {
			ck := done[id]
			if ck == nil {
				t.Fatalf("%s: %s: the storage lists chk-%d, which did not complete", name, when, id)
			}
			m, err := checkpoint.Verify(ctx, st, id)
			if err != nil {
				t.Fatalf("%s: %s: chk-%d (one of %v): %v", name, when, id, ids, err)
			}
			for s, kgs := range ranges {
				got, _ := restoreChain(t, st, m, "agg", kgs)
				if !maps.Equal(got, ck.want[s]) {
					t.Fatalf("%s: %s: chk-%d (one of %v) restores subtask %d to %d entries, its capture had %d\n got %v\nwant %v\nchain %+v",
						name, when, id, ids, s, len(got), len(ck.want[s]), got, ck.want[s], m.Operators[0].Keyed)
				}
			}
			for _, f := range m.Operators[0].Keyed {
				res.deltas += len(f.Deltas)
			}
			if !slices.Contains(ids[max(0, len(ids)-retained):], id) {
				res.keptInFlight++
			}
		}
	}
	verifyAll("after the run", ids)
	// Nothing in flight any more: a retention keeps the newest `retained`
	// and, of the others, exactly the files their chains use.
	if err := st.Retain(ctx, retained); err != nil {
		t.Fatal(err)
	}
	if ids, err = st.List(ctx); err != nil {
		t.Fatal(err)
	}
	if want := min(len(done), retained); len(ids) != want {
		t.Fatalf("%s: a retention with nothing in flight left %v", name, ids)
	}
	verifyAll("after the last retention", ids)
	used := map[string][]string{} // chk-<id> -> names the listed chains use there
	for _, id := range ids {
		m, err := st.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m.Operators[0].Keyed {
			for _, l := range f.Links(id) {
				if l.Dir != id {
					d := checkpoint.ChkDirName(l.Dir)
					used[d] = append(used[d], l.Name)
				}
			}
		}
	}
	dirs, err := vfs.OS{}.ReadDir(st.Storage.(*checkpoint.Local).Dir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		var id int64
		if _, err := fmt.Sscanf(d, "chk-%d", &id); err != nil || id >= newest || slices.Contains(ids, id) {
			continue // newer: an abandoned attempt, left alone; or a checkpoint
		}
		got, err := vfs.OS{}.ReadDir(filepath.Join(st.Storage.(*checkpoint.Local).Dir(), d))
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Sorted(slices.Values(slices.Compact(slices.Sorted(slices.Values(used[d])))))
		if !slices.Equal(got, want) {
			t.Fatalf("%s: %s holds %q, the chains of %v use %q there", name, d, got, ids, want)
		}
		res.usedDirs++
	}
	if len(done) > 0 {
		if m, err := st.LoadLatest(ctx, nil); err != nil || m.ID != newest {
			t.Fatalf("%s: LoadLatest: %v, want chk-%d", name, err, newest)
		}
	}
	return res
}

// idleSource is a SourceDriver that is never run: the coordinator only
// triggers and notifies its subtask.
type idleSource struct{}

func (idleSource) Open(*operator.Runtime) error { return nil }
func (idleSource) Watermark(int64)              {}
func (idleSource) Finish() error                { return nil }
func (idleSource) Close() error                 { return nil }
func (idleSource) Poll(context.Context) (operator.SourcePoll, error) {
	return operator.SourcePoll{}, nil
}
func (idleSource) Ready() <-chan struct{} { return nil }

// loopHarness runs a coordinator's loop and uploader over a job graph of
// two source vertices of parallelism 1 (uids "a" and "b", keyed), whose
// subtasks are built but never run: the test hands their snapshots to the
// coordinator itself, as task.Subtask.checkpoint would.
type loopHarness struct {
	t       *testing.T
	c       *coordinator
	clock   *base.ManualClock
	st      *failingStorage
	heaps   map[string]*state.Heap
	kgs     base.KeyGroupRange
	done    chan struct{}
	stopped chan struct{}
}

func newLoopHarness(t *testing.T, opts CheckpointOptions) *loopHarness {
	t.Helper()
	return newLoopHarnessClock(t, opts, nil)
}

// newLoopHarnessClock is newLoopHarness whose job and coordinator read
// wrap(the manual clock) (nil: the manual clock itself).
func newLoopHarnessClock(t *testing.T, opts CheckpointOptions, wrap func(*base.ManualClock) base.Clock) *loopHarness {
	t.Helper()
	clock := base.NewManualClock(time.Unix(1_000_000, 0))
	var jc base.Clock = clock
	if wrap != nil {
		jc = wrap(clock)
	}
	jg := &plan.JobGraph{MaxParallelism: 8, VertexOf: map[int]*plan.Vertex{}}
	h := &loopHarness{t: t, clock: clock, heaps: map[string]*state.Heap{}, kgs: base.KeyGroupRange{Start: 0, End: 8},
		done: make(chan struct{}), stopped: make(chan struct{})}
	for i, uid := range []string{"a", "b"} {
		n := &plan.Node{ID: i, Name: uid, UID: uid, Parallelism: 1, Keyed: true, Out: operator.TypeOf[int](),
			Source: &plan.SourceSpec{Bounded: true},
			Build:  func(plan.Outputs, []connector.Split) (plan.Built, error) { return plan.Built{Op: idleSource{}}, nil }}
		v := &plan.Vertex{ID: i, Chain: []*plan.Node{n}, Parallelism: 1}
		jg.Vertices = append(jg.Vertices, v)
		jg.VertexOf[i] = v
		h.heaps[uid] = state.NewHeap(h.kgs)
	}
	j := &Job{jg: jg, clock: jc, log: NewJobLog(), done: make(chan struct{}), cancel: func() {}}
	c, err := newCoordinator(j, jg, opts, jc)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range jg.Vertices {
		st, err := task.New(task.Config{Vertex: v, MaxParallelism: 8, Clock: clock, Inbox: task.NewInbox(), BatchSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		c.sources = append(c.sources, st)
	}
	h.c, h.st = c, opts.Storage.(*failingStorage)
	c.upWG.Add(1)
	go c.upload(context.Background())
	go func() { c.run(context.Background(), h.done); close(h.stopped) }()
	return h
}

// waitStatus waits until the history has checkpoint id in one of the
// statuses (no time limit of its own: the test's timeout is the limit).
func (h *loopHarness) waitStatus(id int64, ok ...CheckpointStatus) CheckpointRecord {
	for {
		for _, r := range h.c.j.log.Checkpoints() {
			if r.ID == id && slices.Contains(ok, r.Status) {
				return r
			}
		}
		time.Sleep(time.Millisecond)
	}
}

// trigger advances the clock by the interval and waits for checkpoint id.
// The loop's first trigger is due an interval after the loop started,
// which may be after the first advance: then the clock is advanced once
// more (after a second without a trigger, so that a loop that is merely
// slow is not triggered twice).
func (h *loopHarness) trigger(id int64) {
	h.clock.Advance(h.c.opts.Interval)
	for i := 0; ; i++ {
		for _, r := range h.c.j.log.Checkpoints() {
			if r.ID == id {
				return
			}
		}
		if id == 1 && i == 1000 {
			h.clock.Advance(h.c.opts.Interval)
		}
		time.Sleep(time.Millisecond)
	}
}

// snapshot hands over operator uid's snapshot of checkpoint id (final: its
// last one, whose id the coordinator reserves) after a change of its state.
func (h *loopHarness) snapshot(uid string, id int64, final bool) {
	hp := h.heaps[uid]
	hp.Table("t").Put(int(id)%h.kgs.Len(), fmt.Appendf(nil, "k%d", id), nil, []byte(uid))
	vertex := 0
	if uid == "b" {
		vertex = 1
	}
	if final {
		id = h.c.reserveFinal()
	}
	h.c.snapshot(task.SubtaskSnapshot{CheckpointID: id, Final: final, Vertex: vertex,
		Operators: []task.OperatorSnapshot{task.CapturedOperator(uid, h.kgs, state.CaptureIncremental(hp), nil, final)}})
}

func (h *loopHarness) stop() {
	close(h.done)
	<-h.stopped
}

// TestFinishedCopiesCompleteInOrder: a subtask that finished while three
// checkpoints were in flight (MaxConcurrent 3) stands in each of them with
// a copy of its last snapshot. The checkpoints must still complete in the
// order of their ids: one completing before an older pending one makes
// retention delete the older one's files as a stale attempt, so it then
// fails (a savepoint among them would fail the same way). The uploader is
// held on a write so that the finished snapshot arrives while all three
// are pending; the copies must be queued oldest first.
func TestFinishedCopiesCompleteInOrder(t *testing.T) {
	for round := range 6 {
		st := &failingStorage{Storage: checkpoint.NewLocal(vfs.OS{}, filepath.Join(t.TempDir(), "ckpt"))}
		hold, held := make(chan struct{}), make(chan struct{})
		var once sync.Once
		st.hook = func(id int64, name string) {
			once.Do(func() { close(held); <-hold })
		}
		h := newLoopHarness(t, CheckpointOptions{Storage: st, Interval: time.Second, MaxConcurrent: 3, Retained: 1})
		h.trigger(1)
		h.snapshot("b", 1, false) // the uploader writes it and waits
		<-held
		h.trigger(2)
		h.trigger(3)
		h.snapshot("b", 2, false)
		h.snapshot("b", 3, false)
		h.snapshot("a", 0, true) // "a" finished before its barrier 1
		close(hold)
		for id := int64(1); id <= 3; id++ {
			if r := h.waitStatus(id, StatusCompleted, StatusFailed); r.Status != StatusCompleted {
				t.Errorf("round %d: checkpoint %d %s: %s", round, id, r.Status, r.Failure)
			}
		}
		h.stop()
		st.mu.Lock()
		committed := slices.Clone(st.committed)
		st.mu.Unlock()
		if !slices.IsSorted(committed) || len(committed) != 3 {
			t.Fatalf("round %d: checkpoints committed in the order %v, want [1 2 3]", round, committed)
		}
	}
}

// uploadCoordinator is a coordinator of opts (defaults applied) for driving
// uploadKeyed, chainsCompleted and inFlight without a job.
func uploadCoordinator(opts CheckpointOptions) *coordinator {
	opts.defaults()
	return &coordinator{opts: opts, chains: map[chainKey]*chain{}, files: map[string]*decodedFile{}}
}

// chainSteps drives one subtask's chain by hand, as the uploader and the
// coordinator do: upload a capture for a checkpoint, complete a checkpoint
// (commit its metadata, chainsCompleted, retention keeping 1 and what the
// checkpoints in flight use).
type chainSteps struct {
	t    *testing.T
	ctx  context.Context
	st   *failingStorage
	c    *coordinator
	kgs  base.KeyGroupRange
	h    *state.Heap
	file bytes.Buffer
	kfs  map[int64]*checkpoint.KeyedFile
}

func newChainSteps(t *testing.T) *chainSteps {
	st := &failingStorage{Storage: checkpoint.NewLocal(vfs.OS{}, filepath.Join(t.TempDir(), "ckpt"))}
	kgs := base.KeyGroupRange{Start: 0, End: 8}
	return &chainSteps{t: t, ctx: context.Background(), st: st, kgs: kgs, h: state.NewHeap(kgs), kfs: map[int64]*checkpoint.KeyedFile{},
		c: uploadCoordinator(CheckpointOptions{Storage: st, Retained: 1})}
}

// capture takes a snapshot of the heap (keep: a finished subtask's last
// one, uploaded into several checkpoints).
func (cs *chainSteps) capture(keep bool) task.OperatorSnapshot {
	return task.CapturedOperator("agg", cs.kgs, state.CaptureIncremental(cs.h), nil, keep)
}

func (cs *chainSteps) upload(id int64, os task.OperatorSnapshot) {
	cs.t.Helper()
	snap := task.SubtaskSnapshot{CheckpointID: id, Operators: []task.OperatorSnapshot{os}}
	kf, _, _, err := cs.c.uploadKeyed(cs.ctx, &cs.file, nil, snap, &snap.Operators[0])
	snap.Release()
	if err != nil {
		cs.t.Fatalf("upload chk-%d: %v", id, err)
	}
	cs.kfs[id] = kf
}

func (cs *chainSteps) complete(id int64, flying ...int64) {
	cs.t.Helper()
	m := &checkpoint.Metadata{ID: id, JobFingerprint: "j", MaxParallelism: 8,
		Operators: []checkpoint.OperatorState{{UID: "agg", Parallelism: 1, Subtasks: make([][]byte, 1)}}}
	if kf := cs.kfs[id]; kf != nil {
		m.Operators[0].Keyed = []checkpoint.KeyedFile{*kf}
	}
	if err := cs.st.CommitMetadata(cs.ctx, m); err != nil {
		cs.t.Fatalf("commit chk-%d: %v", id, err)
	}
	cs.c.chainsCompleted(id, flying...)
	if err := cs.st.Retain(cs.ctx, 1, cs.c.inFlight(flying)...); err != nil {
		cs.t.Fatalf("retain after chk-%d: %v", id, err)
	}
	ids, err := cs.st.List(cs.ctx)
	if err != nil {
		cs.t.Fatal(err)
	}
	for _, id := range ids { // every listed checkpoint restores
		if _, err := checkpoint.Verify(cs.ctx, cs.st, id); err != nil {
			cs.t.Fatal(err)
		}
	}
}

// TestDeltaOverSubsumedBase is the schedule that made the end-of-input
// checkpoint of a job with MaxConcurrent > 1 and Retained 1 refuse to
// commit: a subtask takes chk-2's snapshot (a delta over chk-1), then
// finishes; the copy of its last snapshot goes in full into chk-3 (chk-2
// had not completed) and as a delta over chk-2's chain into chk-4 (chk-2
// completed meanwhile). chk-3 completes while chk-4's delta is being
// written: its chain does not use chk-1 and chk-2, so a retention that did
// not count chk-4's chain until its upload ended subsumed chk-2 and
// removed the files chk-4 builds on. chk-4 must commit, restore to the
// last snapshot, and keep chk-4 alone listed once nothing is in flight.
func TestDeltaOverSubsumedBase(t *testing.T) {
	cs := newChainSteps(t)
	put := func(k, v string) { cs.h.Table("a").Put(1, []byte(k), []byte("s"), []byte(v)) }
	for i := range 50 { // a base much larger than the deltas
		put(fmt.Sprintf("k%d", i), "v0")
	}
	cs.upload(1, cs.capture(false))
	cs.complete(1)
	put("k1", "v2")
	cs.upload(2, cs.capture(false))
	put("k2", "v3")
	last := cs.capture(true) // the subtask finished
	want := dumpHeap(cs.h)
	cs.upload(3, last)
	if kf2, kf3 := cs.kfs[2], cs.kfs[3]; kf2 == nil || len(kf2.Deltas) != 1 || kf3 == nil || len(kf3.Deltas) != 0 {
		t.Fatalf("chk-2 should be a delta over chk-1 and chk-3 a full file: %+v, %+v", kf2, kf3)
	}
	cs.complete(2, 3)
	cs.st.hook = func(id int64, name string) {
		if id == 4 {
			cs.st.hook = nil
			cs.complete(3, 4) // while chk-4's delta is written
		}
	}
	cs.upload(4, last)
	if kf := cs.kfs[4]; len(kf.Deltas) != 2 || kf.Dir != 1 {
		t.Fatalf("chk-4 should be a delta over chk-2's chain: %+v", kf)
	}
	cs.complete(4)
	m, err := cs.st.Load(cs.ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := restoreChain(t, cs.st, m, "agg", cs.kgs); !maps.Equal(got, want) {
		t.Fatalf("chk-4 restores %v, the last snapshot had %v", got, want)
	}
	if ids, err := cs.st.List(cs.ctx); err != nil || !slices.Equal(ids, []int64{4}) {
		t.Fatalf("listed after chk-4: %v, %v (want [4])", ids, err)
	}
}

// TestEmptySnapshotEndsChain: a snapshot whose keyed state is empty has no
// file, and a later copy of it (a finished subtask's last snapshot) must
// not be written as a delta over the chain before it: the checkpoint of
// the empty snapshot does not use that chain, so retention removed its
// files when it completed (the end-of-input checkpoint of a window job
// whose windows had all fired refused to commit).
func TestEmptySnapshotEndsChain(t *testing.T) {
	cs := newChainSteps(t)
	put := func(from, to int) {
		for i := from; i < to; i++ {
			cs.h.Table("a").Put(1, fmt.Appendf(nil, "k%d", i), []byte("s"), []byte("v"))
		}
	}
	put(0, 20)
	cs.upload(1, cs.capture(false))
	cs.complete(1)
	put(20, 25)
	two := cs.capture(false)
	for i := range 25 {
		cs.h.Table("a").DeleteKey(1, fmt.Appendf(nil, "k%d", i))
	}
	last := cs.capture(true) // empty; the subtask finished
	cs.upload(2, two)        // a delta over chk-1
	cs.upload(3, last)       // in full (chk-2 has not completed): no file
	if kf2, kf3 := cs.kfs[2], cs.kfs[3]; kf2 == nil || len(kf2.Deltas) != 1 || kf3 != nil {
		t.Fatalf("chk-2 should be a delta over chk-1 and chk-3 without a file: %+v, %+v", kf2, kf3)
	}
	cs.complete(2, 3)
	cs.complete(3) // retention removes chk-1 and chk-2: chk-3 uses neither
	cs.upload(4, last)
	cs.complete(4)
	m, err := cs.st.Load(cs.ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Operators[0].Keyed) > 0 {
		if got, _ := restoreChain(t, cs.st, m, "agg", cs.kgs); len(got) != 0 {
			t.Fatalf("chk-4 restores %v, the state was empty", got)
		}
	}
}

// TestInFlightKeepsBaseListed: a chain in flight that reuses, unchanged, the
// chain of a completed checkpoint whose own directory holds none of its
// files (chk-2 reused chk-1's file; chk-3 reuses chk-2's chain) keeps that
// checkpoint listed when a newer one completes first (chk-5, a full file):
// the file in chk-1's directory is accepted only while a complete
// checkpoint's chains use it, and chk-5's do not.
func TestInFlightKeepsBaseListed(t *testing.T) {
	cs := newChainSteps(t)
	for i := range 20 {
		cs.h.Table("a").Put(1, fmt.Appendf(nil, "k%d", i), []byte("s"), []byte("v"))
	}
	cs.upload(1, cs.capture(false))
	cs.complete(1)
	cs.upload(2, cs.capture(false)) // nothing changed: chk-1's chain as it is
	if kf := cs.kfs[2]; kf == nil || kf.Dir != 1 || len(kf.Deltas) != 0 {
		t.Fatalf("chk-2 should reuse chk-1's file: %+v", kf)
	}
	cs.complete(2)                  // chk-1 is subsumed, its file kept for chk-2
	cs.upload(3, cs.capture(false)) // chk-2's chain as it is, files in chk-1's directory only
	cs.h.Table("a").Put(1, []byte("k0"), []byte("s"), []byte("w"))
	lost := task.SubtaskSnapshot{Operators: []task.OperatorSnapshot{cs.capture(false)}} // a checkpoint that failed
	lost.Release()
	cs.upload(5, cs.capture(false)) // not the next of chk-2's: a full file
	if kf := cs.kfs[5]; kf == nil || kf.Dir != 0 || len(kf.Deltas) != 0 {
		t.Fatalf("chk-5 should be a full file of its own: %+v", kf)
	}
	cs.complete(5, 3) // before chk-3
	if ids, _ := cs.st.List(cs.ctx); !slices.Equal(ids, []int64{2, 5}) {
		t.Fatalf("listed with chk-3 in flight: %v, want [2 5] (chk-2: chk-3's base)", ids)
	}
	cs.complete(3) // commits; then subsumed by chk-5 with chk-2
	if ids, _ := cs.st.List(cs.ctx); !slices.Equal(ids, []int64{5}) {
		t.Fatalf("listed at the end: %v, want [5]", ids)
	}
}

// streamFailing is Local whose streamed files of checkpoint failID fail to
// commit.
type streamFailing struct {
	*checkpoint.Local
	failID int64
}

type failCommit struct{ checkpoint.FileWriter }

func (f failCommit) Commit(checkpoint.FileSum) error {
	f.FileWriter.Abort()
	return errInjected
}

func (s streamFailing) CreateFile(ctx context.Context, id int64, name string) (checkpoint.FileWriter, error) {
	w, err := s.Local.CreateFile(ctx, id, name)
	if err != nil || id != s.failID {
		return w, err
	}
	return failCommit{w}, nil
}

// TestFailedDeltaUploadDropsItsChain: a delta whose upload fails (through a
// StreamWriter, as Local and S3 are) leaves nothing in flight: the chain it
// was written over stood for it only while it was written (dropTip), so
// retention is free to subsume that chain's checkpoint again.
func TestFailedDeltaUploadDropsItsChain(t *testing.T) {
	ctx := context.Background()
	st := streamFailing{Local: checkpoint.NewLocal(vfs.OS{}, filepath.Join(t.TempDir(), "ckpt")), failID: 2}
	c := uploadCoordinator(CheckpointOptions{Storage: st, Retained: 1})
	kgs := base.KeyGroupRange{Start: 0, End: 8}
	h := state.NewHeap(kgs)
	var file bytes.Buffer
	upload := func(id int64) (*checkpoint.KeyedFile, error) {
		snap := task.SubtaskSnapshot{CheckpointID: id, Operators: []task.OperatorSnapshot{
			task.CapturedOperator("agg", kgs, state.CaptureIncremental(h), nil, false)}}
		defer snap.Release()
		kf, _, _, err := c.uploadKeyed(ctx, &file, nil, snap, &snap.Operators[0])
		return kf, err
	}
	for i := range 20 {
		h.Table("a").Put(1, fmt.Appendf(nil, "k%d", i), []byte("s"), []byte("v"))
	}
	kf, err := upload(1)
	if err != nil || kf == nil {
		t.Fatalf("chk-1: %+v, %v", kf, err)
	}
	if err := st.CommitMetadata(ctx, &checkpoint.Metadata{ID: 1, JobFingerprint: "j", MaxParallelism: 8,
		Operators: []checkpoint.OperatorState{{UID: "agg", Parallelism: 1, Subtasks: make([][]byte, 1), Keyed: []checkpoint.KeyedFile{*kf}}}}); err != nil {
		t.Fatal(err)
	}
	c.chainsCompleted(1)
	h.Table("a").Put(1, []byte("k1"), []byte("s"), []byte("w"))
	if _, err := upload(2); !errors.Is(err, errInjected) {
		t.Fatalf("chk-2's delta: %v, want the injected commit failure", err)
	}
	if keep := c.inFlight(nil); len(keep) != 0 {
		t.Fatalf("after chk-2's failed upload retention must keep %v; want nothing", keep)
	}
}
