package cluster

import (
	"testing"

	"github.com/stromio/strom/internal/checkpoint"
)

// sizeHint sizes the upload buffer after the chain's last file, its base or
// the backend's estimate, in that order.
func TestSizeHint(t *testing.T) {
	base := &checkpoint.KeyedFile{Size: 800}
	withDelta := &checkpoint.KeyedFile{Size: 800, Deltas: []checkpoint.FileRef{{Size: 80}, {Size: 160}}}
	for _, c := range []struct {
		name string
		prev *checkpoint.KeyedFile
		ch   *chain
		size int64
		want int64
	}{
		{"delta over a chain with deltas", withDelta, &chain{done: withDelta}, 5000, 180},
		{"delta over a base", base, &chain{done: base}, 5000, 900},
		{"full file after a chain", nil, &chain{done: withDelta}, 5000, 900},
		{"first file", nil, &chain{}, 5000, 5000},
		{"no chain", nil, nil, 7, 7},
	} {
		if got := sizeHint(c.prev, c.ch, c.size); got != c.want {
			t.Errorf("%s: sizeHint = %d, want %d", c.name, got, c.want)
		}
	}
}
