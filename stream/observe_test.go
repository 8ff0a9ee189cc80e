package stream_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

// observedJob is the keyed exactly-once job of checkpointJob at
// parallelism 2 (so the keyed subtasks align barriers from two inputs),
// with the given checkpoint options and restart strategy; fail (may be
// nil) is called with each record's number in the map "boom".
func observedJob(t *testing.T, ck stream.CheckpointOptions, rs *stream.RestartStrategy, fail func(n int64)) *stream.Environment {
	const keys, perKey = 20, 200
	ck.Logf = t.Logf
	env := stream.NewEnvironment(stream.Options{Parallelism: 2, Checkpoints: &ck, Restart: rs, Name: "observed"})
	src := stream.FromGenerator(env, keys*perKey, func(split int, i int64) seqEvent {
		return seqEvent{Key: fmt.Sprintf("s%d-k%02d", split, i%keys), Seq: i/keys + 1, TS: 1_000_000 + i*5}
	}, stream.WatermarkStrategy[seqEvent]{Enabled: true, Timestamp: func(e seqEvent) int64 { return e.TS }})
	var seen atomic.Int64
	slow := stream.Map(src, func(e seqEvent) seqEvent {
		n := seen.Add(1)
		if n%40 == 0 {
			time.Sleep(time.Millisecond) // give checkpoints time to happen
		}
		if fail != nil {
			fail(n)
		}
		return e
	}).Name("boom").UID("boom-uid")
	seqCheckAndSums(slow, streamtest.NewTxSink[string]())
	return env
}

func checkRecord(t *testing.T, r stream.CheckpointRecord) {
	t.Helper()
	if r.ID <= 0 || r.Triggered.IsZero() || r.Subtasks <= 0 {
		t.Fatalf("checkpoint record %+v: id, trigger time or subtasks missing", r)
	}
	if r.Status == "in_progress" {
		t.Fatalf("checkpoint %d still in progress after the job ended", r.ID)
	}
	if r.Ended.Before(r.Triggered) || r.Duration != r.Ended.Sub(r.Triggered) {
		t.Fatalf("checkpoint %d: triggered %v, ended %v, duration %v", r.ID, r.Triggered, r.Ended, r.Duration)
	}
	if r.Alignment < 0 || (r.Status == "completed" && r.Alignment > r.Duration) {
		t.Fatalf("checkpoint %d: alignment %v of duration %v", r.ID, r.Alignment, r.Duration)
	}
}

// TestCheckpointHistory: completed checkpoints are in the history with
// their figures (all subtasks acknowledged, bytes, duration, alignment),
// the last one is the end-of-input checkpoint, and the counts agree with
// Checkpoints().
func TestCheckpointHistory(t *testing.T) {
	env := observedJob(t, stream.CheckpointOptions{Dir: t.TempDir(), Interval: 10 * time.Millisecond}, nil, nil)
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	hist := job.CheckpointHistory()
	stats := job.Checkpoints()
	var completed int64
	aligned := false
	for i, r := range hist {
		checkRecord(t, r)
		if i > 0 && r.ID <= hist[i-1].ID {
			t.Fatalf("history out of order: %d after %d", r.ID, hist[i-1].ID)
		}
		if r.Status != "completed" {
			continue
		}
		completed++
		if r.Acknowledged != r.Subtasks || r.Bytes <= 0 {
			t.Fatalf("completed checkpoint %+v: acknowledgements or bytes missing", r)
		}
		aligned = aligned || r.Alignment > 0
	}
	if completed < 2 || completed > stats.Completed || (len(hist) < 64 && completed != stats.Completed) {
		t.Fatalf("%d completed checkpoints in the history, stats say %d", completed, stats.Completed)
	}
	last := hist[len(hist)-1]
	if last.Kind != "end-of-input" || last.Status != "completed" || last.ID != stats.LastID || last.Bytes != stats.LastBytes {
		t.Fatalf("last record %+v, stats %+v: want the completed end-of-input checkpoint", last, stats)
	}
	if hist[0].Kind != "periodic" {
		t.Fatalf("first record %+v: want a periodic checkpoint", hist[0])
	}
	if !aligned {
		t.Fatal("no checkpoint reports a barrier alignment time, though the keyed subtasks have two inputs")
	}
	if len(job.Exceptions()) != 0 {
		t.Fatalf("exceptions of a job that did not fail: %+v", job.Exceptions())
	}
}

// TestCheckpointHistoryFailed: checkpoints that time out are failed in the
// history with the reason, counted in Checkpoints().Failed; the job still
// ends with its end-of-input checkpoint.
func TestCheckpointHistoryFailed(t *testing.T) {
	env := observedJob(t, stream.CheckpointOptions{Dir: t.TempDir(), Interval: 10 * time.Millisecond, Timeout: time.Nanosecond}, nil, nil)
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	var failed int64
	for _, r := range job.CheckpointHistory() {
		checkRecord(t, r)
		if r.Status == "failed" {
			failed++
			if !strings.Contains(r.Failure, "timed out") {
				t.Fatalf("failed checkpoint %+v: want the timeout as the reason", r)
			}
		} else if r.Failure != "" {
			t.Fatalf("checkpoint %+v: a failure reason on a %s checkpoint", r, r.Status)
		}
	}
	st := job.Checkpoints()
	if n := len(job.CheckpointHistory()); failed == 0 || failed > st.Failed || (n < 64 && failed != st.Failed) || !strings.Contains(st.LastFailure, "timed out") {
		t.Fatalf("%d failed checkpoints in the history, stats %+v", failed, st)
	}
	if hist := job.CheckpointHistory(); hist[len(hist)-1].Kind != "end-of-input" || hist[len(hist)-1].Status != "completed" {
		t.Fatalf("last record %+v: want the completed end-of-input checkpoint", hist[len(hist)-1])
	}
}

// TestExceptionsAcrossRestarts: an operator that fails in two attempts is
// recorded each time (operator name and uid, vertex, subtask, message,
// cause chain, attempt, restarting); the third attempt completes, and the
// one Job spans the attempts.
func TestExceptionsAcrossRestarts(t *testing.T) {
	var failures atomic.Int64
	env := observedJob(t, stream.CheckpointOptions{Dir: t.TempDir(), Interval: 10 * time.Millisecond},
		&stream.RestartStrategy{MaxAttempts: 3}, func(n int64) {
			if n%1500 == 0 && failures.Add(1) <= 2 {
				panic(fmt.Errorf("record %d: %w", n, errInjected))
			}
		})
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	if job.Attempt() != 2 || job.Restarting() {
		t.Fatalf("attempt %d (restarting %v), want the job done in attempt 2", job.Attempt(), job.Restarting())
	}
	exc := job.Exceptions()
	if len(exc) != 2 || job.ExceptionCount() != 2 {
		t.Fatalf("%d exceptions (count %d), want 2: %+v", len(exc), job.ExceptionCount(), exc)
	}
	for i, e := range exc {
		if e.Attempt != i || !e.Restarting || e.Operator != "boom" || e.UID != "boom-uid" || e.Vertex < 0 ||
			e.Subtask < 0 || e.Subtask > 1 || !e.Panic || e.Time.IsZero() || e.Stack == "" {
			t.Fatalf("exception %d: %+v", i, e)
		}
		if !strings.Contains(e.Message, "injected") || len(e.Causes) < 2 || e.Causes[len(e.Causes)-1] != errInjected.Error() {
			t.Fatalf("exception %d: message %q, causes %q", i, e.Message, e.Causes)
		}
	}
	attempts := map[int]bool{}
	for _, r := range job.CheckpointHistory() {
		attempts[r.Attempt] = true
	}
	if !attempts[2] {
		t.Fatalf("no checkpoint of the last attempt in the history: %+v", job.CheckpointHistory())
	}
}

// TestExceptionsRestartsExhausted: when the strategy gives up, the last
// failure is recorded without the restarting flag and Wait returns it.
func TestExceptionsRestartsExhausted(t *testing.T) {
	env := observedJob(t, stream.CheckpointOptions{Dir: t.TempDir(), Interval: 10 * time.Millisecond},
		&stream.RestartStrategy{MaxAttempts: 1}, func(n int64) {
			if n%700 == 0 {
				panic(errInjected)
			}
		})
	err := env.Execute(context.Background())
	if err == nil || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("Execute: %v, want the injected failure", err)
	}
	job, err := env.Start(context.Background()) // a new job has a new log
	if err != nil {
		t.Fatal(err)
	}
	werr := job.Wait()
	exc := job.Exceptions()
	if werr == nil || len(exc) != 2 || !exc[0].Restarting || exc[1].Restarting || exc[1].Attempt != 1 {
		t.Fatalf("Wait: %v; exceptions %+v: want 2, the first restarting", werr, exc)
	}
}

var errInjected = fmt.Errorf("injected failure")

// TestMetricsPublishedWhenIdle: once an unbounded source has nothing more
// to read, the view shows every record and the last watermark of every
// operator (subtasks publish their metrics when they go idle, not only
// every few busy turns), so a reader computing rates from totals sees the
// job settle.
func TestMetricsPublishedWhenIdle(t *testing.T) {
	const perSplit = 1000
	src := newSPISource(2, 2)
	src.PerSplit = perSplit
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	in := stream.FromSource[spiRec](env, src, stream.WatermarkStrategy[spiRec]{Enabled: true,
		Timestamp: func(r spiRec) int64 { return 1_000_000 + r.Seq }}, "spi")
	keyed := stream.KeyBy(in, func(r spiRec) int64 { return r.Seq % 5 })
	stream.Discard(keyed.Reduce(func(a, b spiRec) spiRec { return b }))
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		job.Cancel()
		_ = job.Wait()
	}()
	const wantWM = 1_000_000 + perSplit - 1 - 1 // the last timestamp, less the watermark's 1 ms
	settled := func() (bool, string) {
		var desc []string
		ok := true
		for _, v := range job.View() {
			for _, op := range v.Operators {
				var in, out int64
				for _, s := range op.Subtasks {
					in, out = in+s.RecordsIn, out+s.RecordsOut
					if s.Watermark < wantWM {
						ok = false
					}
					desc = append(desc, fmt.Sprintf("%s[wm %d]", op.Name, s.Watermark))
				}
				if v.Operators[0].Name == "spi" && op.Name == "spi" && out != 2*perSplit {
					ok = false
				} else if op.Name != "spi" && in != 2*perSplit {
					ok = false
				}
				desc = append(desc, fmt.Sprintf("%s in %d out %d", op.Name, in, out))
			}
		}
		return ok, strings.Join(desc, ", ")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, desc := settled()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the view of the idle job never showed all records and the last watermark: %s", desc)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCheckpointHistorySavepointAndAborted: a savepoint is a completed
// checkpoint of kind savepoint in the history; a checkpoint still in
// progress when the job is canceled ends aborted.
func TestCheckpointHistorySavepointAndAborted(t *testing.T) {
	src := newSPISource(1, 1)
	src.PerSplit = 1 << 40
	env := stream.NewEnvironment(stream.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), Interval: 20 * time.Millisecond, Logf: t.Logf}})
	in := stream.FromSource[spiRec](env, src, stream.WatermarkStrategy[spiRec]{}, "spi")
	var block atomic.Bool
	blocked, release := make(chan struct{}), make(chan struct{})
	stream.Discard(stream.Map(in, func(r spiRec) spiRec {
		if block.Load() {
			select {
			case <-blocked:
			default:
				close(blocked)
			}
			<-release
		}
		return r
	}))
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := job.Savepoint(context.Background(), t.TempDir()+"/sp", false)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range job.CheckpointHistory() {
		if r.ID == res.CheckpointID {
			found = true
			if r.Kind != "savepoint" || r.Status != "completed" || r.Bytes != res.Bytes {
				t.Fatalf("savepoint record %+v, result %+v", r, res)
			}
		}
	}
	if !found {
		t.Fatalf("savepoint %d not in the history %+v", res.CheckpointID, job.CheckpointHistory())
	}
	// Block the subtask: the next checkpoint cannot complete.
	block.Store(true)
	<-blocked
	// A snapshot taken before the subtask blocked may still be uploaded;
	// after that, a checkpoint in progress stays so.
	time.Sleep(100 * time.Millisecond)
	deadline := time.Now().Add(20 * time.Second)
	var stuck int64
	for stuck == 0 {
		h := job.CheckpointHistory()
		if last := h[len(h)-1]; last.Status == "in_progress" && last.Acknowledged == 0 {
			stuck = last.ID
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint triggered while the subtask was blocked: %+v", h)
		}
		time.Sleep(5 * time.Millisecond)
	}
	job.Cancel()
	close(release)
	if err := job.Wait(); !errors.Is(err, stream.ErrCanceled) {
		t.Fatalf("Wait: %v, want ErrCanceled", err)
	}
	for _, r := range job.CheckpointHistory() {
		checkRecord(t, r)
		if r.ID == stuck && (r.Status != "aborted" || r.Failure == "") {
			t.Fatalf("checkpoint %+v: want aborted with a reason", r)
		}
	}
	if n := len(job.Exceptions()); n != 0 {
		t.Fatalf("a canceled job has %d exceptions: %+v", n, job.Exceptions())
	}
}

// TestRestartResetAfter: with ResetAfter, an attempt that ran long enough
// starts the count afresh, so failures spread over time do not exhaust
// MaxAttempts; without it the same failures end the job.
func TestRestartResetAfter(t *testing.T) {
	for _, reset := range []time.Duration{0, time.Nanosecond} {
		var failures atomic.Int64
		env := observedJob(t, stream.CheckpointOptions{Dir: t.TempDir(), Interval: 10 * time.Millisecond},
			&stream.RestartStrategy{MaxAttempts: 1, ResetAfter: reset}, func(n int64) {
				if n%1500 == 0 && failures.Add(1) <= 2 {
					panic(fmt.Errorf("record %d: %w", n, errInjected))
				}
			})
		err := env.Execute(context.Background())
		if reset == 0 && (err == nil || !strings.Contains(err.Error(), "injected")) {
			t.Fatalf("no reset: Execute = %v, want the second failure (one restart allowed in all)", err)
		}
		if reset > 0 && err != nil {
			t.Fatalf("reset after %v: Execute = %v, want two restarts, each a new series", reset, err)
		}
	}
}
