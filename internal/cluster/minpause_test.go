package cluster

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/vfs"
)

// deadlineClock is a manual clock that reports the deadline of every timer
// asked for. The coordinator's loop asks for one each time round, for its
// next trigger (or an earlier checkpoint timeout), so the first deadline
// reported after an event is when the loop plans to trigger next.
type deadlineClock struct {
	*base.ManualClock
	deadlines chan time.Time
}

func (c *deadlineClock) After(d time.Duration) (<-chan struct{}, func()) {
	at := c.Now().Add(d)
	ch, stop := c.ManualClock.After(d)
	select {
	case c.deadlines <- at:
	default: // never block the loop (the buffer is far larger than the test needs)
	}
	return ch, stop
}

// nextDeadlineAfter returns the first deadline reported that is later than t.
func (c *deadlineClock) nextDeadlineAfter(t time.Time) time.Time {
	for {
		if d := <-c.deadlines; d.After(t) {
			return d
		}
	}
}

// TestMinPauseBetweenCheckpoints: with a 1 s interval and a 500 ms min
// pause, a checkpoint that completed 300 ms before the next periodic
// trigger was due holds that trigger back until 500 ms after the
// completion (not skipped to the interval after), and the interval counts
// from the postponed trigger (Flink's execution.checkpointing.min-pause).
// All times are on a manual clock.
func TestMinPauseBetweenCheckpoints(t *testing.T) {
	const interval, pause = time.Second, 500 * time.Millisecond
	st := &failingStorage{Storage: checkpoint.NewLocal(vfs.OS{}, filepath.Join(t.TempDir(), "ckpt"))}
	var dc *deadlineClock
	h := newLoopHarnessClock(t, CheckpointOptions{Storage: st, Interval: interval, MinPause: pause, Retained: 1},
		func(m *base.ManualClock) base.Clock {
			dc = &deadlineClock{ManualClock: m, deadlines: make(chan time.Time, 1<<16)}
			return dc
		})
	defer h.stop()
	complete := func(id int64) CheckpointRecord {
		h.snapshot("a", id, false)
		h.snapshot("b", id, false)
		r := h.waitStatus(id, StatusCompleted, StatusFailed)
		if r.Status != StatusCompleted {
			t.Fatalf("checkpoint %d %s: %s", id, r.Status, r.Failure)
		}
		return r
	}
	record := func(id int64) (CheckpointRecord, bool) {
		for _, r := range h.c.j.log.Checkpoints() {
			if r.ID == id {
				return r, true
			}
		}
		return CheckpointRecord{}, false
	}

	h.trigger(1)
	r1, _ := record(1)
	t1 := r1.Triggered
	// Checkpoint 1 takes 700 ms: it completes 300 ms before checkpoint 2
	// is due (t1 + 1 s).
	h.clock.Advance(700 * time.Millisecond)
	if r := complete(1); !r.Ended.Equal(t1.Add(700 * time.Millisecond)) {
		t.Fatalf("checkpoint 1 ended at t1%+v, want t1+700ms", r.Ended.Sub(t1))
	}
	h.clock.Advance(300 * time.Millisecond) // t1 + 1 s: due, but within the pause
	if at := dc.nextDeadlineAfter(t1.Add(interval)); !at.Equal(t1.Add(1200 * time.Millisecond)) {
		t.Fatalf("after the trigger due at t1+1s (300ms after checkpoint 1 completed) the next is planned at t1+%v, want t1+1.2s (the min pause after the completion)",
			at.Sub(t1))
	}
	if r, ok := record(2); ok {
		t.Fatalf("checkpoint 2 triggered at t1+%v, within the min pause after checkpoint 1 (completed at t1+700ms)", r.Triggered.Sub(t1))
	}
	h.clock.Advance(200 * time.Millisecond) // t1 + 1.2 s: the pause is over
	r2 := h.waitStatus(2, StatusInProgress, StatusCompleted, StatusFailed)
	if !r2.Triggered.Equal(t1.Add(1200 * time.Millisecond)) {
		t.Fatalf("checkpoint 2 triggered at t1+%v, want t1+1.2s", r2.Triggered.Sub(t1))
	}
	// Completed at once, the next one is due an interval after the
	// postponed trigger.
	complete(2)
	if at := dc.nextDeadlineAfter(t1.Add(1200 * time.Millisecond)); !at.Equal(t1.Add(2200 * time.Millisecond)) {
		t.Fatalf("after checkpoint 2 (triggered at t1+1.2s) the next is planned at t1+%v, want t1+2.2s", at.Sub(t1))
	}
	h.clock.Advance(interval)
	if r3 := h.waitStatus(3, StatusInProgress, StatusCompleted, StatusFailed); !r3.Triggered.Equal(t1.Add(2200 * time.Millisecond)) {
		t.Fatalf("checkpoint 3 triggered at t1+%v, want t1+2.2s", r3.Triggered.Sub(t1))
	}
}
