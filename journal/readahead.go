package journal

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/stromio/strom/internal/vfs"
)

// Recovery reads a whole segment front to back (segment.scan). Reading it
// one chunk at a time and checking each chunk before asking for the next
// leaves the disk idle while the CPU checks and the CPU idle while the
// disk reads, with one request in the disk's queue. readAhead keeps up to
// scanDepth reads of scanChunk bytes in flight ahead of the checking
// (concurrent preads, which ReadAt allows), and tells the kernel the file
// is read sequentially (adviseSequential: a larger kernel read-ahead window
// on Linux).
const (
	scanChunk = 4 << 20
	scanDepth = 4
)

// readAhead hands out the bytes of a file of known size in order, by
// (position, length) requests whose positions never go back except to
// repeat the start of the previous request (a header, then its batch).
type readAhead struct {
	f     vfs.File
	size  int64
	chunk int64
	n     int64 // chunks in the file
	slots []aheadSlot
	wg    sync.WaitGroup

	idx  int64  // chunk in cur, -1 before the first
	cur  []byte // the bytes of chunk idx
	cpos int64  // file position of cur[0]

	// A request that spans chunks is copied into carry, which holds the
	// file's bytes from carryPos up to cpos+took (took bytes of cur).
	carry    []byte
	carryPos int64
	carryOn  bool
	took     int
}

// aheadSlot is one buffer of the ring: slot i%len(slots) holds chunk i.
type aheadSlot struct {
	buf  []byte
	n    int
	err  error
	done chan struct{}
}

// newReadAhead starts reading f (size bytes) in chunks of chunk bytes, up
// to depth of them at once.
func newReadAhead(f vfs.File, size, chunk int64, depth int) *readAhead {
	r := &readAhead{f: f, size: size, chunk: min(chunk, max(size, 1)), idx: -1}
	r.n = (size + r.chunk - 1) / r.chunk
	adviseSequential(f)
	r.slots = make([]aheadSlot, min(int64(depth), r.n))
	for i := range r.slots {
		r.slots[i].buf = make([]byte, r.chunk)
		r.issue(int64(i))
	}
	return r
}

// issue starts reading chunk i into its slot.
func (r *readAhead) issue(i int64) {
	s := &r.slots[i%int64(len(r.slots))]
	s.done = make(chan struct{})
	off := i * r.chunk
	buf := s.buf[:min(r.chunk, r.size-off)]
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		n, err := r.f.ReadAt(buf, off)
		if err != nil && errors.Is(err, io.EOF) {
			if n < len(buf) {
				err = fmt.Errorf("%w: file shorter than its size (%d bytes at %d, wanted %d)", ErrCorrupt, n, off, len(buf))
			} else {
				err = nil
			}
		}
		s.n, s.err = n, err
		close(s.done)
	}()
}

// advance moves to the next chunk, reusing the current chunk's buffer to
// read the chunk len(r.slots) ahead.
func (r *readAhead) advance() error {
	if r.idx >= 0 && r.idx+int64(len(r.slots)) < r.n {
		r.issue(r.idx + int64(len(r.slots)))
	}
	r.idx++
	r.cur, r.cpos, r.took = nil, r.idx*r.chunk, 0
	if r.idx >= r.n {
		return fmt.Errorf("%w: read past the end of the file (%d bytes)", ErrCorrupt, r.size)
	}
	s := &r.slots[r.idx%int64(len(r.slots))]
	<-s.done
	if s.err != nil {
		return s.err
	}
	r.cur = s.buf[:s.n]
	return nil
}

// get returns the n bytes at pos; pos+n must be at most the size. The
// bytes are valid until the next call.
func (r *readAhead) get(pos, n int64) ([]byte, error) {
	end := r.cpos + int64(len(r.cur))
	if pos == end && !(r.carryOn && r.carryPos == pos) {
		if err := r.advance(); err != nil {
			return nil, err
		}
		end = r.cpos + int64(len(r.cur))
	}
	if pos >= r.cpos && pos+n <= end {
		r.carryOn = false
		return r.cur[pos-r.cpos : pos-r.cpos+n], nil
	}
	if !r.carryOn || r.carryPos != pos {
		if pos < r.cpos || pos > end {
			return nil, fmt.Errorf("journal: read-ahead asked for byte %d, holding [%d, %d)", pos, r.cpos, end)
		}
		r.carry = append(r.carry[:0], r.cur[pos-r.cpos:]...)
		r.carryPos, r.carryOn, r.took = pos, true, len(r.cur)
	}
	for int64(len(r.carry)) < n {
		if r.took == len(r.cur) {
			if err := r.advance(); err != nil {
				return nil, err
			}
		}
		k := min(int(n)-len(r.carry), len(r.cur)-r.took)
		r.carry = append(r.carry, r.cur[r.took:r.took+k]...)
		r.took += k
	}
	return r.carry[:n], nil
}

// close waits for the reads in flight; the file may be truncated or
// closed after it.
func (r *readAhead) close() { r.wg.Wait() }
