package vfs

import (
	"sync"
	"unsafe"
)

// DirectCreator is an FS that can create a file whose writes bypass the
// operating system's page cache (O_DIRECT on Linux). For data written once
// and read rarely (checkpoint state files) that saves the kernel's copy of
// every byte into freshly allocated cache pages, and the memory bandwidth
// and cache lines that copy takes from everything else running; a later
// read of the file comes from the device instead of memory. The file is
// otherwise a File of Create: the same bytes, the same durability rules
// (Sync). Where direct writes are not possible (another system, a
// filesystem that refuses them) CreateDirect is Create.
type DirectCreator interface {
	CreateDirect(name string) (File, error)
}

// CreateDirect is fsys.CreateDirect when fsys is a DirectCreator, else
// fsys.Create.
func CreateDirect(fsys FS, name string) (File, error) {
	if d, ok := fsys.(DirectCreator); ok {
		return d.CreateDirect(name)
	}
	return fsys.Create(name)
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
