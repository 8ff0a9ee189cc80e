package streamsql

import (
	"testing"
	"time"

	"github.com/stromio/strom/stream"
)

// jobTiming gives the sinks the interval stream will use and the longest
// delay stream's restart loop waits before a restart.
func TestJobTiming(t *testing.T) {
	for _, tc := range []struct {
		ck                *stream.CheckpointOptions
		rs                *stream.RestartStrategy
		interval, restart time.Duration
	}{
		{nil, nil, 0, 0},
		{&stream.CheckpointOptions{Dir: "x"}, nil, time.Second, 0},
		{&stream.CheckpointOptions{Dir: "x", Interval: time.Minute}, &stream.RestartStrategy{MaxAttempts: 0, Delay: time.Hour}, time.Minute, 0},
		{&stream.CheckpointOptions{Dir: "x"}, &stream.RestartStrategy{MaxAttempts: 5, Delay: 10 * time.Second, Backoff: 1}, time.Second, 10 * time.Second},
		{&stream.CheckpointOptions{Dir: "x"}, &stream.RestartStrategy{MaxAttempts: 4, Delay: time.Second, Backoff: 3}, time.Second, 27 * time.Second},
		{&stream.CheckpointOptions{Dir: "x"}, &stream.RestartStrategy{MaxAttempts: 10, Delay: time.Second, Backoff: 2, MaxDelay: time.Minute}, time.Second, time.Minute},
		{&stream.CheckpointOptions{Dir: "x"}, &stream.RestartStrategy{MaxAttempts: 2, Delay: 2 * time.Minute, MaxDelay: time.Minute}, time.Second, time.Minute},
	} {
		s := NewSession(Options{Checkpoints: tc.ck, Restart: tc.rs})
		if i, r, err := s.jobTiming(); err != nil || i != tc.interval || r != tc.restart {
			t.Errorf("%+v %+v: got %v + %v, want %v + %v", tc.ck, tc.rs, i, r, tc.interval, tc.restart)
		}
	}
}
