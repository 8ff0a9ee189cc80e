package journal

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// bytesFile is a vfs.File reader over b whose ReadAt fails with failErr
// for a read that covers byte failAt (when failErr is set).
type bytesFile struct {
	vfs.File
	b       []byte
	failAt  int64
	failErr error
}

func (f *bytesFile) ReadAt(p []byte, off int64) (int, error) {
	if f.failErr != nil && off <= f.failAt && f.failAt < off+int64(len(p)) {
		return 0, f.failErr
	}
	return bytes.NewReader(f.b).ReadAt(p, off)
}

// TestReadAheadRequests asks for header-then-batch requests of random
// sizes over small chunks (so requests start, end and span across chunk
// boundaries, and span several chunks) and checks every answer against
// the file's bytes.
func TestReadAheadRequests(t *testing.T) {
	rng := rand.New(rand.NewPCG(seed(t), 1))
	for iter := range 200 {
		data := make([]byte, 1+rng.IntN(3000))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		chunk := int64(1 + rng.IntN(64))
		depth := 1 + rng.IntN(5)
		r := newReadAhead(&bytesFile{b: data}, int64(len(data)), chunk, depth)
		pos := int64(0)
		for pos < int64(len(data)) {
			left := int64(len(data)) - pos
			hdr := min(left, int64(1+rng.IntN(8)))
			n := min(left, hdr+int64(rng.IntN(200)))
			for _, want := range []int64{hdr, n} {
				got, err := r.get(pos, want)
				if err != nil {
					t.Fatalf("iter %d chunk %d depth %d: get(%d, %d): %v", iter, chunk, depth, pos, want, err)
				}
				if !bytes.Equal(got, data[pos:pos+want]) {
					t.Fatalf("iter %d chunk %d depth %d: get(%d, %d) returned other bytes", iter, chunk, depth, pos, want)
				}
			}
			pos += n
		}
		if _, err := r.get(pos, 1); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("iter %d: a read past the end gave %v, want ErrCorrupt", iter, err)
		}
		r.close()
	}
}

// TestReadAheadError: a failed read surfaces at the first request that
// needs its chunk, not before, and close waits for the reads in flight.
func TestReadAheadError(t *testing.T) {
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i)
	}
	boom := errors.New("boom")
	r := newReadAhead(&bytesFile{b: data, failAt: 500, failErr: boom}, int64(len(data)), 100, 3)
	defer r.close()
	pos := int64(0)
	for ; pos < 500; pos += 50 {
		got, err := r.get(pos, 50)
		if err != nil {
			t.Fatalf("get(%d, 50) before the failed chunk: %v", pos, err)
		}
		if !bytes.Equal(got, data[pos:pos+50]) {
			t.Fatalf("get(%d, 50) returned other bytes", pos)
		}
	}
	if _, err := r.get(pos, 50); !errors.Is(err, boom) {
		t.Fatalf("get(%d, 50) in the failed chunk: %v, want boom", pos, err)
	}
}
