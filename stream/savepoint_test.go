package stream_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

const spKeys, spPerKey, spSplits = 24, 300, 4

// spTotal is the number of records of the job (Count is per split).
const spTotal = spKeys * spPerKey * spSplits

// savepointJob builds the sequence-check + window-sum job of checkpointJob
// over a fixed number of generator splits (so that its source state does
// not depend on the parallelism). seen counts records through the map;
// slow slows it down (countSlow).
func savepointJob(dir, from string, par int, sink *streamtest.TxSink[string], seen *atomic.Int64, slow bool, logf func(string, ...any)) *stream.Environment {
	env := stream.NewEnvironment(stream.Options{Parallelism: par,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 20 * time.Millisecond, FromSavepoint: from, Logf: logf}})
	gen := stream.GeneratorSource[seqEvent]{NumSplits: spSplits, Count: spKeys * spPerKey, Fn: func(split int, i int64) seqEvent {
		return seqEvent{Key: fmt.Sprintf("s%d-k%02d", split, i%spKeys), Seq: i/spKeys + 1, TS: 1_000_000 + i*5}
	}}
	src := stream.FromSource[seqEvent](env, gen, stream.WatermarkStrategy[seqEvent]{Enabled: true, Timestamp: func(e seqEvent) int64 { return e.TS }}, "gen")
	mapped := stream.Map(src, func(e seqEvent) seqEvent {
		countSlow(seen, e, slow)
		return e
	}).UID("slow-map")
	seqCheckAndSums(mapped, sink)
	return env
}

// countSlow counts a record in seen; slow makes every 50th record sleep a
// millisecond, and every record of the second half of its split (Seq past
// spPerKey/2): a stop (with a savepoint, or a cancel) requested after a
// third of the records then lands in the middle of the input however late
// a loaded machine runs the test's goroutine, and so does one requested
// early in a job restored from such a stop (the tail is a place in the
// input, not a count of one run). A test that runs a slow job to its end
// stops it once half the records went through.
func countSlow(seen *atomic.Int64, e seqEvent, slow bool) {
	if n := seen.Add(1); slow && (n%50 == 0 || e.Seq > spPerKey/2) {
		time.Sleep(time.Millisecond)
	}
}

func sortedRows(rows []string) []string {
	out := slices.Clone(rows)
	sort.Strings(out)
	return out
}

// stopWithSavepoint runs the job at parallelism par until it processed
// some records and committed a checkpoint, then stops it with a savepoint
// into the returned directory.
func stopWithSavepoint(t *testing.T, par int, sink *streamtest.TxSink[string]) string {
	t.Helper()
	var seen atomic.Int64
	env := savepointJob(t.TempDir(), "", par, sink, &seen, true, t.Logf)
	done := make(chan error, 1)
	go func() { done <- env.Execute(context.Background()) }()
	deadline := time.Now().Add(30 * time.Second)
	for seen.Load() < spTotal/3 || sink.Commits() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no progress: %d records, %d commits", seen.Load(), sink.Commits())
		}
		time.Sleep(5 * time.Millisecond)
	}
	spDir := filepath.Join(t.TempDir(), "sp")
	res, err := env.Savepoint(context.Background(), spDir, true)
	if err != nil {
		t.Fatalf("savepoint: %v", err)
	}
	if err := <-done; !errors.Is(err, stream.ErrStopped) {
		t.Fatalf("Execute after stop-with-savepoint: %v, want ErrStopped", err)
	}
	if res.Dir != spDir || res.CheckpointID < 1 {
		t.Fatalf("savepoint result %+v", res)
	}
	if n := seen.Load(); n >= spTotal {
		t.Fatalf("the job read all %d records before the savepoint: the test does not stop it in the middle", n)
	}
	return spDir
}

// TestSavepointRescale: stop with a savepoint at parallelism 2, restore it
// at 1, 2 and 4 (key groups reassigned); the committed output before the
// stop plus the output after the restore equals the fault-free run, and
// no sequence alert fires.
func TestSavepointRescale(t *testing.T) {
	golden := streamtest.NewTxSink[string]()
	var n atomic.Int64
	if err := savepointJob(t.TempDir(), "", 2, golden, &n, false, t.Logf).Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := sortedRows(golden.Rows())
	if len(want) < spKeys*spSplits {
		t.Fatalf("golden run has only %d rows", len(want))
	}
	before := streamtest.NewTxSink[string]()
	spDir := stopWithSavepoint(t, 2, before)
	for _, par := range []int{1, 2, 4} {
		t.Run(fmt.Sprint("p=", par), func(t *testing.T) {
			sink := before.Clone()
			var seen atomic.Int64
			if err := savepointJob(t.TempDir(), spDir, par, sink, &seen, false, t.Logf).Execute(context.Background()); err != nil {
				t.Fatal(err)
			}
			if seen.Load() >= spTotal {
				t.Fatalf("the restored job read %d records: it started from the beginning, not from the savepoint", seen.Load())
			}
			got := sortedRows(sink.Rows())
			if !slices.Equal(got, want) {
				t.Fatalf("output after restoring at parallelism %d differs: %d rows, want %d", par, len(got), len(want))
			}
			for _, r := range got {
				if strings.HasPrefix(r, "ALERT") {
					t.Fatalf("sequence alert: %s", r)
				}
			}
		})
	}
}

// TestSavepointRestartResumesFromCheckpoints: a job started from a savepoint
// that fails resumes from its own checkpoints (not the savepoint again), and
// a checkpoint directory of another run is refused.
func TestSavepointLineage(t *testing.T) {
	before := streamtest.NewTxSink[string]()
	spDir := stopWithSavepoint(t, 2, before)

	// A run from the savepoint that is stopped again leaves checkpoints in
	// dir; started again with the same arguments, it resumes from them.
	dir := t.TempDir()
	sink := before.Clone()
	var seen atomic.Int64
	env := savepointJob(dir, spDir, 2, sink, &seen, true, t.Logf)
	done := make(chan error, 1)
	go func() { done <- env.Execute(context.Background()) }()
	for sink.Commits() == before.Commits() {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := env.Savepoint(context.Background(), filepath.Join(t.TempDir(), "sp2"), true); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, stream.ErrStopped) {
		t.Fatal(err)
	}
	var logs []string
	logf := func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }
	var seen2 atomic.Int64
	if err := savepointJob(dir, spDir, 2, sink, &seen2, false, logf).Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(logs, func(l string) bool { return strings.Contains(l, "resumes") }) {
		t.Fatalf("the second start did not resume from its own checkpoints; log: %q", logs)
	}
	golden := streamtest.NewTxSink[string]()
	var n atomic.Int64
	if err := savepointJob(t.TempDir(), "", 2, golden, &n, false, t.Logf).Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := sortedRows(sink.Rows()), sortedRows(golden.Rows()); !slices.Equal(got, want) {
		t.Fatalf("output differs: %d rows, want %d", len(got), len(want))
	}

	// A checkpoint directory that holds checkpoints of another run.
	other := t.TempDir()
	var n3 atomic.Int64
	if err := savepointJob(other, "", 2, streamtest.NewTxSink[string](), &n3, false, t.Logf).Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := savepointJob(other, spDir, 2, streamtest.NewTxSink[string](), &n3, false, t.Logf).Execute(context.Background())
	if err == nil || !strings.Contains(err.Error(), "another run") {
		t.Fatalf("start from a savepoint into a directory of another run: %v", err)
	}
}

// TestSavepointRemovedOperator: state of an operator the job no longer has
// needs AllowNonRestoredState.
func TestSavepointRemovedOperator(t *testing.T) {
	spDir := stopWithSavepoint(t, 1, streamtest.NewTxSink[string]())
	build := func(allow bool) error {
		env := stream.NewEnvironment(stream.Options{Parallelism: 1,
			Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), FromSavepoint: spDir, AllowNonRestoredState: allow, Logf: t.Logf}})
		gen := stream.GeneratorSource[seqEvent]{NumSplits: spSplits, Count: spKeys * spPerKey, Fn: func(split int, i int64) seqEvent {
			return seqEvent{Key: fmt.Sprintf("s%d-k%02d", split, i%spKeys), Seq: i/spKeys + 1, TS: 1_000_000 + i*5}
		}}
		src := stream.FromSource[seqEvent](env, gen, stream.WatermarkStrategy[seqEvent]{}, "gen")
		// Only the sequence check is kept; the window and its state are gone.
		keyed := stream.KeyBy(src, func(e seqEvent) string { return e.Key })
		alerts := stream.KeyedProcess(keyed, func() stream.KeyedProcessFunction[string, seqEvent, string] { return &seqCheck{} }).UID("seq-check")
		sink := streamtest.NewTxSink[string]()
		stream.SinkTo[string](alerts, sink, "tx-sink")
		err := env.Execute(context.Background())
		if err == nil && len(sink.Rows()) != 0 {
			return fmt.Errorf("alerts after restore: %q", sink.Rows()[:min(3, len(sink.Rows()))])
		}
		return err
	}
	err := build(false)
	if err == nil || !strings.Contains(err.Error(), "window-sum") || !strings.Contains(err.Error(), "allow-non-restored-state") {
		t.Fatalf("restore without the window operator: %v", err)
	}
	if err := build(true); err != nil {
		t.Fatalf("with AllowNonRestoredState: %v", err)
	}
}

// TestSavepointErrors: a savepoint needs a running job with checkpoints and
// an empty target directory.
func TestSavepointErrors(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{})
	if _, err := env.Savepoint(context.Background(), t.TempDir(), false); err == nil {
		t.Fatal("savepoint of a job that does not run")
	}
	spDir := stopWithSavepoint(t, 1, streamtest.NewTxSink[string]())
	var seen atomic.Int64
	env = savepointJob(t.TempDir(), "", 1, streamtest.NewTxSink[string](), &seen, true, t.Logf)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- env.Execute(ctx) }()
	for seen.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	_, err := env.Savepoint(context.Background(), spDir, false)
	if err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Fatalf("savepoint into a used directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(spDir, "chk-1")); err == nil {
		t.Log("(the used directory was left as it was)")
	}
	// The refused savepoint left the job running; it is not needed to the
	// end (a slow job's second half sleeps a millisecond a record).
	cancel()
	if err := <-done; err != nil && !errors.Is(err, stream.ErrCanceled) {
		t.Fatal(err)
	}
}

// TestCheckpointsAfterSubtaskFinished: a source subtask without a split
// finishes at once; the other subtasks go on taking checkpoints (its last
// snapshot stands for it), and the output stays exactly-once across a
// restart from one of those checkpoints.
func TestCheckpointsAfterSubtaskFinished(t *testing.T) {
	run := func(dir string, sink *streamtest.TxSink[string], failAt int64) error {
		env := stream.NewEnvironment(stream.Options{Parallelism: 2,
			Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 10 * time.Millisecond, Logf: t.Logf},
			Restart:     &stream.RestartStrategy{MaxAttempts: 1}})
		gen := stream.GeneratorSource[seqEvent]{NumSplits: 1, Count: 6000, Fn: func(_ int, i int64) seqEvent {
			return seqEvent{Key: fmt.Sprintf("k%02d", i%20), Seq: i/20 + 1, TS: 1_000_000 + i*5}
		}}
		src := stream.FromSource[seqEvent](env, gen, stream.WatermarkStrategy[seqEvent]{Enabled: true, Timestamp: func(e seqEvent) int64 { return e.TS }}, "gen")
		var seen atomic.Int64
		var failed atomic.Bool
		slow := stream.Map(src, func(e seqEvent) seqEvent {
			n := seen.Add(1)
			if n%20 == 0 {
				time.Sleep(time.Millisecond)
			}
			if failAt > 0 && n == failAt && failed.CompareAndSwap(false, true) {
				panic("injected failure")
			}
			return e
		})
		seqCheckAndSums(slow, sink)
		return env.Execute(context.Background())
	}
	golden := streamtest.NewTxSink[string]()
	if err := run(t.TempDir(), golden, 0); err != nil {
		t.Fatal(err)
	}
	if golden.Commits() < 3 {
		t.Fatalf("%d commits: checkpoints stopped when the idle source subtask finished", golden.Commits())
	}
	sink := streamtest.NewTxSink[string]()
	if err := run(t.TempDir(), sink, 4000); err != nil {
		t.Fatal(err)
	}
	if got, want := sortedRows(sink.Rows()), sortedRows(golden.Rows()); !slices.Equal(got, want) {
		t.Fatalf("output after a restart differs: %d rows, want %d", len(got), len(want))
	}
}

// Counter state before and after a compatible schema change (a field
// added): the JSON codec of struct state reads the old bytes.
type countV1 struct{ N int64 }
type countV2 struct {
	N     int64
	Label string
}

type schemaCount[S any] struct {
	st   *stream.ValueState[S]
	get  func(S) int64
	make func(int64) S
}

func (f *schemaCount[S]) Open(ctx *stream.OpenContext) error {
	f.st = stream.NewValueState[S](ctx, "count")
	return nil
}

func (f *schemaCount[S]) ProcessElement(ctx *stream.KeyedContext[string], e seqEvent, out stream.Emitter[string]) error {
	s, _ := f.st.Get()
	n := f.get(s) + 1
	f.st.Set(f.make(n))
	if n != e.Seq {
		out.Emit(fmt.Sprintf("ALERT %s: count %d at seq %d", e.Key, n, e.Seq))
	}
	return nil
}

func (f *schemaCount[S]) OnTimer(*stream.KeyedContext[string], int64, stream.Emitter[string]) error {
	return nil
}

func countJob[S any](dir, from string, sink *streamtest.TxSink[string], seen *atomic.Int64, slow bool, fn func() stream.KeyedProcessFunction[string, seqEvent, string]) *stream.Environment {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 20 * time.Millisecond, FromSavepoint: from}})
	gen := stream.GeneratorSource[seqEvent]{NumSplits: spSplits, Count: spKeys * spPerKey, Fn: func(split int, i int64) seqEvent {
		return seqEvent{Key: fmt.Sprintf("s%d-k%02d", split, i%spKeys), Seq: i/spKeys + 1, TS: 1_000_000 + i*5}
	}}
	src := stream.FromSource[seqEvent](env, gen, stream.WatermarkStrategy[seqEvent]{}, "gen")
	mapped := stream.Map(src, func(e seqEvent) seqEvent {
		countSlow(seen, e, slow)
		return e
	}).UID("slow-map")
	alerts := stream.KeyedProcess(stream.KeyBy(mapped, func(e seqEvent) string { return e.Key }), fn).UID("count")
	stream.SinkTo[string](alerts, sink, "tx-sink")
	return env
}

// TestSavepointSchemaChange (RELIABILITY P8, upgrade): a savepoint of a
// job whose state is countV1 restores into the job with countV2; every
// count goes on from where it was (no alert).
func TestSavepointSchemaChange(t *testing.T) {
	v1 := func() stream.KeyedProcessFunction[string, seqEvent, string] {
		return &schemaCount[countV1]{get: func(s countV1) int64 { return s.N }, make: func(n int64) countV1 { return countV1{n} }}
	}
	v2 := func() stream.KeyedProcessFunction[string, seqEvent, string] {
		return &schemaCount[countV2]{get: func(s countV2) int64 { return s.N }, make: func(n int64) countV2 { return countV2{n, "v2"} }}
	}
	sink := streamtest.NewTxSink[string]()
	var seen atomic.Int64
	env := countJob[countV1](t.TempDir(), "", sink, &seen, true, v1)
	done := make(chan error, 1)
	go func() { done <- env.Execute(context.Background()) }()
	for seen.Load() < spTotal/3 {
		time.Sleep(5 * time.Millisecond)
	}
	sp := filepath.Join(t.TempDir(), "sp")
	if _, err := env.Savepoint(context.Background(), sp, true); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, stream.ErrStopped) {
		t.Fatal(err)
	}
	var seen2 atomic.Int64
	if err := countJob[countV2](t.TempDir(), sp, sink, &seen2, false, v2).Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	if seen2.Load() >= spTotal {
		t.Fatalf("the upgraded job read all %d records: it did not start from the savepoint", seen2.Load())
	}
	if len(sink.Rows()) != 0 {
		t.Fatalf("%d alerts, first: %s", len(sink.Rows()), sink.Rows()[0])
	}
}

// TestSavepointRemovedStatelessOperator: an operator the job no longer has
// but whose savepoint entry holds no state (the stateless "slow-map", its
// place taken by a map of another UID) is no reason to refuse the restore,
// without AllowNonRestoredState; the stateful operators restore (every
// sequence continues: no alert).
func TestSavepointRemovedStatelessOperator(t *testing.T) {
	sink := streamtest.NewTxSink[string]()
	spDir := stopWithSavepoint(t, 1, sink)
	env := stream.NewEnvironment(stream.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), FromSavepoint: spDir, Logf: t.Logf}})
	gen := stream.GeneratorSource[seqEvent]{NumSplits: spSplits, Count: spKeys * spPerKey, Fn: func(split int, i int64) seqEvent {
		return seqEvent{Key: fmt.Sprintf("s%d-k%02d", split, i%spKeys), Seq: i/spKeys + 1, TS: 1_000_000 + i*5}
	}}
	src := stream.FromSource[seqEvent](env, gen, stream.WatermarkStrategy[seqEvent]{Enabled: true, Timestamp: func(e seqEvent) int64 { return e.TS }}, "gen")
	// savepointJob with its map under another UID (the same number of
	// operators: the sink's generated UID stays).
	mapped := stream.Map(src, func(e seqEvent) seqEvent { return e }).UID("other-map")
	seqCheckAndSums(mapped, sink)
	if err := env.Execute(context.Background()); err != nil {
		t.Fatalf("restore without the stateless map: %v", err)
	}
	for _, r := range sink.Rows() {
		if strings.HasPrefix(r, "ALERT") {
			t.Fatalf("sequence alert after restore: %q", r)
		}
	}
}
