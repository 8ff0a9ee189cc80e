package stream_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
)

// timerClock is a manual clock that records every timer asked for (its
// duration and channel), so that a test can tell what the job waits for.
type timerClock struct {
	*stream.ManualClock
	mu     sync.Mutex
	timers []recordedTimer
}

type recordedTimer struct {
	d  time.Duration
	ch <-chan struct{}
}

func (c *timerClock) After(d time.Duration) (<-chan struct{}, func()) {
	ch, stop := c.ManualClock.After(d)
	c.mu.Lock()
	c.timers = append(c.timers, recordedTimer{d, ch})
	c.mu.Unlock()
	return ch, stop
}

// waitTimer waits for a timer of duration d asked for after the first
// `from` ones and returns its index and channel (no time limit of its
// own: the test's timeout is the limit).
func (c *timerClock) waitTimer(d time.Duration, from int) (int, <-chan struct{}) {
	for {
		c.mu.Lock()
		for i := from; i < len(c.timers); i++ {
			if c.timers[i].d == d {
				t := c.timers[i]
				c.mu.Unlock()
				return i, t.ch
			}
		}
		c.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestRestartSchedule: a job that fails in every attempt is restarted
// after the strategy's delays, on the job's clock (a manual one: no wall
// time involved): exponential from Delay by Backoff, capped at MaxDelay
// (1s 2s 4s 5s 5s), or fixed (Backoff 1: 3s 3s 3s), at most MaxAttempts
// times; then the job ends with the failure. Each restart waits exactly its
// delay: a millisecond less and the next attempt has not started.
func TestRestartSchedule(t *testing.T) {
	for _, c := range []struct {
		name  string
		rs    stream.RestartStrategy
		delay []time.Duration
	}{
		{"exponential", stream.RestartStrategy{MaxAttempts: 5, Delay: time.Second, Backoff: 2, MaxDelay: 5 * time.Second},
			[]time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}},
		{"fixed", stream.RestartStrategy{MaxAttempts: 3, Delay: 3 * time.Second, Backoff: 1},
			[]time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second}},
	} {
		t.Run(c.name, func(t *testing.T) {
			clock := &timerClock{ManualClock: stream.NewManualClock(time.Unix(1_700_000_000, 0))}
			logs := make(chan string, 64)
			rs := c.rs
			// Checkpoints an hour apart: none is taken, and the
			// coordinator's hour-long timers are not restart delays.
			env := stream.NewEnvironment(stream.Options{Clock: clock, Restart: &rs,
				Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), Interval: time.Hour,
					Logf: func(format string, args ...any) { logs <- fmt.Sprintf(format, args...) }}})
			stream.Discard(stream.Map(stream.FromSlice(env, []int{1}), func(int) int { panic(errInjected) }))
			job, err := env.Start(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			from := 0
			for i, d := range c.delay {
				want := fmt.Sprintf("job failed (restart %d of %d), restarting from the latest checkpoint in %v:", i+1, rs.MaxAttempts, d)
				for line := <-logs; !strings.HasPrefix(line, want); line = <-logs {
					if strings.HasPrefix(line, "job failed") {
						t.Fatalf("restart %d: %q, want %q", i+1, line, want)
					}
				}
				idx, timer := clock.waitTimer(d, from)
				from = idx + 1
				clock.Advance(d - time.Millisecond)
				if closed(timer) || job.Attempt() != i || !job.Restarting() {
					t.Fatalf("restart %d: %v after the failure (of %v) the wait is over (%v) or attempt %d started (restarting %v)",
						i+1, d-time.Millisecond, d, closed(timer), job.Attempt(), job.Restarting())
				}
				clock.Advance(time.Millisecond)
				if !closed(timer) {
					t.Fatalf("restart %d: the wait of %v is not over after %v", i+1, d, d)
				}
			}
			if err := job.Wait(); !errors.Is(err, errInjected) {
				t.Fatalf("the job ended with %v, want the injected failure after %d restarts", err, len(c.delay))
			}
			if job.Attempt() != len(c.delay) {
				t.Fatalf("the job ended in attempt %d, want %d", job.Attempt(), len(c.delay))
			}
			for len(logs) > 0 {
				if line := <-logs; strings.HasPrefix(line, "job failed") {
					t.Fatalf("a restart beyond MaxAttempts %d: %q", rs.MaxAttempts, line)
				}
			}
		})
	}
}
