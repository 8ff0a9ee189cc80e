// Package vfs is strom's storage-fault seam: every checkpoint and journal
// file operation (and every other durable file operation that wants to be
// tested against power loss) goes through the small FS interface defined
// here, so that a test can replace the operating system with CrashFS, an
// in-memory filesystem that loses unsynced data on a simulated crash and
// injects I/O errors (RELIABILITY.md, "A storage-fault seam").
//
// Durability rules the interface makes explicit, the same for OS and
// CrashFS:
//   - data written to a File survives a crash only after File.Sync (or,
//     for a WFile, Datasync) returned nil;
//   - a create, rename or remove survives a crash only after SyncDir of the
//     directory that holds the name returned nil;
//   - so a file is replaced atomically by writing a temporary file, syncing
//     it, renaming it over the old name and syncing the directory
//     (WriteFileAtomic).
//
// Names are slash- or OS-separated paths; "." and ".." are cleaned, and
// CrashFS refuses a name that climbs above its root.
//
// The package imports nothing of the module.
package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File is an open file: a reader (Open) or a writer (Create, OpenAppend,
// OpenWrite).
// ReadAt works only on a reader and, unlike Read, may be called by several
// goroutines at once.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Closer
	// Sync makes the data written so far durable (fsync).
	Sync() error
}

// WFile is a file opened by OpenWrite: it writes at the offsets it is
// given (WriteAt), inside the file (an overwrite) or beyond its end (the
// file grows; a gap reads as zeros), and Write writes at the handle's own
// position, which starts at 0. It cannot read.
type WFile interface {
	File
	io.WriterAt
	// Datasync makes the data written so far durable, and the metadata
	// needed to read it back (the file size), but not the rest (the
	// modification time): fdatasync(2), or Sync where the system has no
	// such call. Overwrites of written blocks that did not change the
	// size then need no filesystem journal commit. For a crash it is
	// the same as Sync.
	Datasync() error
}

// Info describes a name.
type Info struct {
	Size  int64 // bytes, for a file
	IsDir bool
}

// FS is a filesystem. Errors for a name that does not exist satisfy
// errors.Is(err, fs.ErrNotExist). Implementations are safe for concurrent
// use by several goroutines (a File is used by one goroutine at a time).
type FS interface {
	// Create creates name, or truncates it when it exists, and opens it for
	// writing only.
	Create(name string) (File, error)
	// Open opens name for reading only.
	Open(name string) (File, error)
	// OpenAppend opens name for writing only, every write going to the end
	// of the file; it creates name (empty) when it does not exist.
	OpenAppend(name string) (File, error)
	// OpenWrite opens name for writing only, at chosen offsets (WFile),
	// without truncating it; it creates name (empty) when it does not
	// exist.
	OpenWrite(name string) (WFile, error)
	// Truncate changes the size of the file name (a shrink, or zeros
	// appended). Like a write, the new size is durable only after a Sync
	// of a handle of the file: a crash before it may bring back the old
	// contents.
	Truncate(name string, size int64) error
	// Rename renames oldname to newname, replacing a file at newname.
	Rename(oldname, newname string) error
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// RemoveAll removes name and everything below it; it returns nil when
	// name does not exist.
	RemoveAll(name string) error
	// MkdirAll creates dir and the missing directories above it.
	MkdirAll(dir string, perm os.FileMode) error
	// ReadDir returns the names of the entries of dir, sorted.
	ReadDir(dir string) ([]string, error)
	// Stat describes name.
	Stat(name string) (Info, error)
	// SyncDir makes the creates, renames and removes of names inside dir
	// durable (fsync of the directory).
	SyncDir(dir string) error
}

// ReadFile reads the whole file name.
func ReadFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return data, nil
}

// TempSuffix is appended to a name to form the temporary name that
// WriteFileAtomic writes before renaming.
const TempSuffix = ".tmp"

// WriteFileAtomic replaces name with data so that after a crash name holds
// either its old contents (or does not exist) or exactly data: it writes
// name+TempSuffix, syncs it, renames it to name and syncs the directory.
// When it fails it removes the temporary file (best effort) and name is
// unchanged unless the final SyncDir failed, in which case it is unknown
// whether the rename is durable.
func WriteFileAtomic(fsys FS, name string, data []byte) error {
	a, err := CreateAtomic(fsys, name)
	if err != nil {
		return err
	}
	if _, err := a.Write(data); err != nil {
		a.Abort()
		return err
	}
	return a.Commit()
}

// AtomicFile is WriteFileAtomic in steps, for data written piece by piece:
// the Writes go to name+TempSuffix, Commit syncs it, renames it to name and
// syncs the directory, Abort removes it. Exactly one of Commit and Abort
// must be called.
type AtomicFile struct {
	fsys      FS
	name, tmp string
	f         File
	n         int64 // bytes written
	err       error // the first write error
}

// CreateAtomic starts replacing name (see AtomicFile).
func CreateAtomic(fsys FS, name string) (*AtomicFile, error) {
	return createAtomic(fsys, name, fsys.Create)
}

// CreateAtomicDirect is CreateAtomic with the temporary file created by
// CreateDirect: its data bypasses the page cache where fsys can.
func CreateAtomicDirect(fsys FS, name string) (*AtomicFile, error) {
	return createAtomic(fsys, name, func(tmp string) (File, error) { return CreateDirect(fsys, tmp) })
}

// createAtomic starts replacing name, its temporary file made by create.
func createAtomic(fsys FS, name string, create func(string) (File, error)) (*AtomicFile, error) {
	tmp := name + TempSuffix
	f, err := create(tmp)
	if err != nil {
		return nil, err
	}
	return &AtomicFile{fsys: fsys, name: name, tmp: tmp, f: f}, nil
}

// Write appends b to the temporary file. After an error every Write and
// Commit fails with it.
func (a *AtomicFile) Write(b []byte) (int, error) {
	if a.err != nil {
		return 0, a.err
	}
	n, err := a.f.Write(b)
	a.n += int64(n)
	if err == nil && n != len(b) {
		err = fmt.Errorf("vfs: short write to %s: %d of %d bytes: %w", a.tmp, n, len(b), io.ErrShortWrite)
	}
	a.err = err
	return n, err
}

// Size is the number of bytes written.
func (a *AtomicFile) Size() int64 { return a.n }

// Commit makes the bytes written the contents of name (see WriteFileAtomic
// for what a failure leaves).
func (a *AtomicFile) Commit() error {
	err := a.err
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = a.fsys.Rename(a.tmp, a.name)
	}
	if err != nil {
		_ = a.fsys.Remove(a.tmp)
		return err
	}
	if err := a.fsys.SyncDir(filepath.Dir(a.name)); err != nil {
		return fmt.Errorf("vfs: %s was renamed but the directory sync failed, its durability is unknown: %w", a.name, err)
	}
	return nil
}

// Abort closes and removes the temporary file (best effort); name is
// unchanged.
func (a *AtomicFile) Abort() {
	if d, ok := a.f.(interface{ discard() error }); ok {
		_ = d.discard() // nothing more to write into a file removed next
	} else {
		_ = a.f.Close()
	}
	_ = a.fsys.Remove(a.tmp)
}

// IsNotExist reports whether err says that a name does not exist.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
