package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/internal/task"
	"github.com/stromio/strom/internal/vfs"
)

// BenchmarkUploadGrowing measures the uploader alone (uploadKeyed: the
// serialisation of the capture, the keyed file's buffer, its CRCs, the
// write and fsync into Local) for a state that only grows, as q9's: one op
// is one job of 8 checkpoints, each adding 100,000 entries of about 120
// bytes (a delta of about 12 MB; the first checkpoint is the base), with a
// fresh upload buffer as a job starts with. Writing into the heap is not
// timed.
func BenchmarkUploadGrowing(b *testing.B) {
	ctx := context.Background()
	kgs := base.KeyGroupRange{Start: 0, End: 128}
	const perCheckpoint, checkpoints = 100_000, 8
	value := bytes.Repeat([]byte("v"), 100)
	var bytesOut int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		c := uploadCoordinator(CheckpointOptions{Storage: checkpoint.NewLocal(vfs.OS{}, filepath.Join(dir, "ckpt"))})
		h := state.NewHeap(kgs)
		tb := h.Table("bids")
		var file bytes.Buffer
		var scratch []byte
		key := make([]byte, 8)
		n := 0
		for id := int64(1); id <= checkpoints; id++ {
			b.StopTimer()
			for range perCheckpoint {
				binary.BigEndian.PutUint64(key, uint64(n))
				tb.Put(n%kgs.Len(), key, nil, value)
				n++
			}
			op := task.CapturedOperator("q9", kgs, state.CaptureIncremental(h), nil, false)
			b.StartTimer()
			_, written, _, err := c.uploadKeyed(ctx, &file, &scratch, task.SubtaskSnapshot{CheckpointID: id, Subtask: 0}, &op)
			if err != nil {
				b.Fatal(err)
			}
			bytesOut += written
			c.chainsCompleted(id)
		}
		b.StopTimer()
		_ = os.RemoveAll(dir)
		b.StartTimer()
	}
	b.SetBytes(bytesOut / int64(b.N))
}
