package stream_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
)

// TestCheckpointOptionsValidate: a negative min pause or max concurrent
// checkpoints is refused (0 is the default: no pause, 1 concurrent).
func TestCheckpointOptionsValidate(t *testing.T) {
	for _, c := range []struct {
		ck   stream.CheckpointOptions
		want string
	}{
		{stream.CheckpointOptions{Dir: "x", MinPause: -time.Second}, "pause must not be negative"},
		{stream.CheckpointOptions{Dir: "x", MaxConcurrent: -1}, "Checkpoints.MaxConcurrent must not be negative"},
		{stream.CheckpointOptions{Dir: "x", MinPause: time.Second, MaxConcurrent: 3}, ""},
		{stream.CheckpointOptions{Dir: "x"}, ""},
	} {
		err := stream.Options{Checkpoints: &c.ck}.Validate()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.ck, err, c.want)
		}
	}
}
