package vfs

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// CreateDirect implements DirectCreator: the file is opened with O_DIRECT,
// so its data goes from a reused, aligned buffer to the device without a
// copy into the page cache; see DirectCreator. A filesystem that refuses
// O_DIRECT (EINVAL at the open, or at the first write before any byte went
// out: tmpfs before Linux 6.6, some FUSE and network filesystems) gets
// ordinary buffered writes.
func (OS) CreateDirect(name string) (File, error) {
	f, err := directOpen(name)
	if err == nil {
		return &directFile{f: f, buf: getDirectBuf(), direct: true}, nil
	}
	if !errors.Is(err, syscall.EINVAL) {
		return nil, err
	}
	return OS{}.Create(name)
}

// directFile is a file opened with O_DIRECT: Write gathers the data in an
// aligned buffer of directBufSize bytes and writes it whole; at Sync or
// Close what is left goes out too, its whole blocks directly and the rest
// (under directAlign bytes) after O_DIRECT is turned off, so the file has
// exactly the bytes written (no padding, no truncate).
type directFile struct {
	f      *os.File
	buf    []byte // aligned, directBufSize bytes; nil once closed
	n      int    // bytes in buf
	direct bool   // the descriptor still has O_DIRECT
	wrote  bool   // a direct write succeeded
	err    error  // the first write error: every later Write, Sync and Close fails with it
}

// Write implements File.
func (d *directFile) Write(b []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.buf == nil {
		return 0, os.ErrClosed
	}
	written := 0
	for len(b) > 0 {
		c := copy(d.buf[d.n:], b)
		d.n += c
		written += c
		b = b[c:]
		if d.n == len(d.buf) {
			if err := d.flush(); err != nil {
				// The earlier rounds' bytes went out; this round's c
				// bytes did not (nor what earlier Writes left in buf).
				return written - c, err
			}
		}
	}
	return written, nil
}

// flush writes the buffer's d.n bytes: while O_DIRECT is on, its whole
// blocks directly (all of a full buffer), then the rest after O_DIRECT is
// turned off.
func (d *directFile) flush() error {
	if d.err != nil || d.n == 0 {
		return d.err
	}
	off := 0
	if d.direct {
		if k := d.n &^ (directAlign - 1); k > 0 {
			w, err := directWrite(d.f, d.buf[:k])
			switch {
			case err == nil:
				d.wrote, off = true, k
			case w == 0 && !d.wrote && errors.Is(err, syscall.EINVAL):
				// Opened with O_DIRECT but refused at the first write
				// before any byte went out: buffered writes from here
				// on, of the whole buffer.
			default:
				d.err = err
				return err
			}
		}
		if off < d.n {
			if err := d.buffered(); err != nil {
				d.err = err
				return err
			}
		}
	}
	if off < d.n {
		if _, err := directWrite(d.f, d.buf[off:d.n]); err != nil {
			d.err = err
			return err
		}
	}
	d.n = 0
	return nil
}

// directOpen and directWrite are the system calls of a direct file (tests
// replace them to make a filesystem refuse O_DIRECT).
var (
	directOpen = func(name string) (*os.File, error) {
		return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_DIRECT, 0o644)
	}
	directWrite = func(f *os.File, b []byte) (int, error) { return f.Write(b) }
)

// buffered turns O_DIRECT off on the descriptor (fcntl F_SETFL).
func (d *directFile) buffered() error {
	rc, err := d.f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		var fl uintptr
		var e syscall.Errno
		fl, _, e = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		if e == 0 {
			_, _, e = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, fl&^syscall.O_DIRECT)
		}
		if e != 0 {
			serr = e
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fcntl", Path: d.f.Name(), Err: serr}
	}
	d.direct = false
	return nil
}

// Sync implements File: what the buffer holds is written, then fsync.
func (d *directFile) Sync() error {
	if d.buf == nil {
		return os.ErrClosed
	}
	if err := d.flush(); err != nil {
		return err
	}
	return d.f.Sync()
}

// Close implements File: what the buffer holds is written first.
func (d *directFile) Close() error {
	if d.buf == nil {
		return os.ErrClosed
	}
	err := d.flush()
	putDirectBuf(d.buf)
	d.buf = nil
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// discard closes the file without writing what the buffer holds (an
// aborted AtomicFile: the file is removed next).
func (d *directFile) discard() error {
	d.n = 0
	return d.Close()
}

// Read implements File: a direct file is write-only.
func (d *directFile) Read([]byte) (int, error) {
	return 0, fmt.Errorf("vfs: read of %s, opened for writing only", d.f.Name())
}

// ReadAt implements File: a direct file is write-only.
func (d *directFile) ReadAt([]byte, int64) (int, error) {
	return 0, fmt.Errorf("vfs: read of %s, opened for writing only", d.f.Name())
}

// The buffer of a direct file: the data goes to the device in writes of
// directBufSize bytes from an address aligned to directAlign (O_DIRECT
// needs the address, the length and the file offset aligned to the
// device's logical block size, at most 4096).
const (
	directBufSize = 1 << 20
	directAlign   = 4096
)

// directBufs are the buffers of closed direct files, for the next ones.
var directBufs sync.Pool

func getDirectBuf() []byte {
	if p, ok := directBufs.Get().(*[]byte); ok {
		return *p
	}
	raw := make([]byte, directBufSize+directAlign)
	off := 0
	if r := uintptr(unsafe.Pointer(&raw[0])) & (directAlign - 1); r != 0 {
		off = directAlign - int(r)
	}
	return raw[off : off+directBufSize : off+directBufSize]
}

func putDirectBuf(b []byte) { directBufs.Put(&b) }
