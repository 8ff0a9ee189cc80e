package cluster

import (
	"testing"

	"github.com/stromio/strom/internal/checkpoint"
)

// sizeHint sizes the upload buffer for a delta after the chain's last file,
// for a full file after the backend's estimate of the state.
func TestSizeHint(t *testing.T) {
	base := &checkpoint.KeyedFile{Size: 800}
	withDelta := &checkpoint.KeyedFile{Size: 800, Deltas: []checkpoint.FileRef{{Size: 80}, {Size: 160}}}
	for _, c := range []struct {
		name string
		prev *checkpoint.KeyedFile
		size int64
		want int64
	}{
		{"delta over a chain with deltas", withDelta, 5000, 180},
		{"delta over a base", base, 5000, 900},
		{"full file", nil, 5000, 5000},
	} {
		if got := sizeHint(c.prev, c.size); got != c.want {
			t.Errorf("%s: sizeHint = %d, want %d", c.name, got, c.want)
		}
	}
}
