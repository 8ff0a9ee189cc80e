package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/internal/task"
)

// BenchmarkUploadS3 measures the uploader (uploadKeyed) streaming full
// keyed files into S3 (a fake: gofakes3 on memory, behind an httptest
// server on the loopback interface) with 5 MiB parts: one op is one
// checkpoint of 32 keyed subtasks, 30 of about 256 KiB of state (one put
// each) and 2 of about 12 MiB (a multipart upload of 3 parts each). Its
// B/op is what a checkpoint allocates: the uploader's and minio-go's
// buffers, and also what the fake store allocates to receive and keep the
// objects (the same with any client). The checkpoint is deleted after each
// op, untimed.
func BenchmarkUploadS3(b *testing.B) {
	ctx := context.Background()
	backend := s3mem.New()
	if err := backend.CreateBucket("bench"); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	st, err := checkpoint.NewS3(checkpoint.S3Options{Endpoint: srv.URL, Bucket: "bench", Prefix: "ckpt", Region: "us-east-1",
		AccessKey: "k", SecretKey: "s", PartSize: 5 << 20})
	if err != nil {
		b.Fatal(err)
	}
	c := uploadCoordinator(CheckpointOptions{Storage: st, DisableIncremental: true})
	const small, large = 30, 2
	type sub struct {
		kgs base.KeyGroupRange
		h   *state.Heap
	}
	var subs []sub
	value := bytes.Repeat([]byte("v"), 100)
	key := make([]byte, 8)
	for i := range small + large {
		kgs := base.KeyGroupRange{Start: 4 * i, End: 4*i + 4}
		h := state.NewHeap(kgs)
		tb := h.Table("t")
		entries := 2_000 // about 256 KiB
		if i >= small {
			entries = 100_000 // about 12 MiB
		}
		for n := range entries {
			binary.BigEndian.PutUint64(key, uint64(n))
			tb.Put(kgs.Start+n%kgs.Len(), key, nil, value)
		}
		subs = append(subs, sub{kgs, h})
	}
	var file bytes.Buffer
	var written int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := int64(i + 1)
		for k, s := range subs {
			op := task.CapturedOperator(fmt.Sprintf("op%d", k), s.kgs, state.Capture(s.h), nil, false)
			_, n, _, err := c.uploadKeyed(ctx, &file, nil, task.SubtaskSnapshot{CheckpointID: id, Subtask: k}, &op)
			if err != nil {
				b.Fatal(err)
			}
			written += n
		}
		b.StopTimer()
		if err := st.Delete(ctx, id); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.SetBytes(written / int64(b.N))
}
