package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/stromio/strom/internal/failpoint"
	"github.com/stromio/strom/internal/vfs"
)

// Local is a Storage in a directory of a vfs.FS:
//
//	DIR/chk-<id>/<name>       state files
//	DIR/chk-<id>/_metadata    written last; its presence marks completion
//
// Every file is written as <name>.tmp, synced, renamed and the directory
// synced; CommitMetadata finally syncs DIR (and, once, DIR's ancestors). A
// savepoint is a Local rooted at the savepoint's own directory: all names
// are relative to chk-<id>, so the directory can be moved or copied.
type Local struct {
	fs         vfs.FS
	dir        string
	rootSynced atomic.Bool // DIR's ancestors were synced
	buffered   atomic.Bool // CreateFile writes through the page cache
}

var _ Storage = (*Local)(nil)

// NewLocal returns the storage in dir of fsys. It does no I/O: dir is
// created by the first write.
func NewLocal(fsys vfs.FS, dir string) *Local {
	return &Local{fs: fsys, dir: filepath.Clean(dir)}
}

// SetBufferedWrites chooses how CreateFile (the streamed state files)
// writes: through the operating system's page cache (true), or past it
// where the filesystem can (false, the default: vfs.CreateDirect, O_DIRECT
// on Linux). Direct writes save the kernel's copy of every byte of a
// checkpoint into fresh cache pages (a third to two thirds of the
// uploader's CPU for q9, BENCHMARKS.md), and that copy's memory traffic,
// which slows the job's own threads; a restore then reads the files from the device
// rather than from memory. The bytes written are the same either way.
func (l *Local) SetBufferedWrites(on bool) { l.buffered.Store(on) }

// BufferedWrites reports the choice of SetBufferedWrites.
func (l *Local) BufferedWrites() bool { return l.buffered.Load() }

// Dir returns the root directory.
func (l *Local) Dir() string { return l.dir }

func (l *Local) String() string { return l.dir }

const chkPrefix = "chk-"

// ChkDirName returns the name of the directory of checkpoint id.
func ChkDirName(id int64) string { return chkPrefix + strconv.FormatInt(id, 10) }

// parseChkDir returns the id of a checkpoint directory name.
func parseChkDir(name string) (int64, bool) {
	s, ok := strings.CutPrefix(name, chkPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != s {
		return 0, false
	}
	return id, true
}

func (l *Local) chkDir(id int64) string { return filepath.Join(l.dir, ChkDirName(id)) }

func checkID(id int64) error {
	if id < 1 {
		return fmt.Errorf("checkpoint: checkpoint id %d (want at least 1)", id)
	}
	return nil
}

// complete reports whether checkpoint id has its metadata file.
func (l *Local) complete(id int64) (bool, error) {
	info, err := l.fs.Stat(filepath.Join(l.chkDir(id), MetadataFile))
	if vfs.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !info.IsDir, nil
}

// WriteFile implements Storage.
func (l *Local) WriteFile(ctx context.Context, id int64, name string, data []byte) (FileSum, error) {
	if err := l.writeFile(ctx, id, name, data); err != nil {
		return FileSum{}, err
	}
	return FileSum{Size: int64(len(data)), CRC: CRC(data)}, nil
}

// WriteFileSum implements SumWriter: WriteFile without a pass over data
// for its CRC.
func (l *Local) WriteFileSum(ctx context.Context, id int64, name string, data []byte, sum FileSum) error {
	if sum.Size != int64(len(data)) {
		return fmt.Errorf("checkpoint: writing chk-%d/%s in %s: %d bytes, the sum says %d", id, name, l.dir, len(data), sum.Size)
	}
	return l.writeFile(ctx, id, name, data)
}

// CreateFile implements StreamWriter: the file is written to a temporary
// name and renamed on Commit (vfs.CreateAtomicDirect; vfs.CreateAtomic
// after SetBufferedWrites(true)).
func (l *Local) CreateFile(ctx context.Context, id int64, name string) (FileWriter, error) {
	dir, err := l.fileDir(ctx, id, name)
	if err != nil {
		return nil, err
	}
	create := vfs.CreateAtomicDirect
	if l.buffered.Load() {
		create = vfs.CreateAtomic
	}
	a, err := create(l.fs, filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: writing chk-%d/%s in %s: %w", id, name, l.dir, err)
	}
	return &localFile{l: l, id: id, name: name, a: a}, nil
}

// localFile is a FileWriter of Local.
type localFile struct {
	l    *Local
	id   int64
	name string
	a    *vfs.AtomicFile
}

func (f *localFile) Write(b []byte) (int, error) { return f.a.Write(b) }

func (f *localFile) Abort() { f.a.Abort() }

func (f *localFile) Commit(sum FileSum) error {
	if n := f.a.Size(); sum.Size != n {
		f.a.Abort()
		return fmt.Errorf("checkpoint: writing chk-%d/%s in %s: %d bytes, the sum says %d", f.id, f.name, f.l.dir, n, sum.Size)
	}
	// The checkpoint may have completed while the file was written.
	if done, err := f.l.complete(f.id); err != nil || done {
		f.a.Abort()
		if err == nil {
			return fmt.Errorf("%w: chk-%d in %s; not writing %s", ErrExists, f.id, f.l.dir, f.name)
		}
		return fmt.Errorf("checkpoint: writing chk-%d/%s in %s: %w", f.id, f.name, f.l.dir, err)
	}
	if err := f.a.Commit(); err != nil {
		return fmt.Errorf("checkpoint: writing chk-%d/%s in %s: %w", f.id, f.name, f.l.dir, err)
	}
	return nil
}

// fileDir checks a write of file name of checkpoint id and creates the
// checkpoint's directory, which it returns.
func (l *Local) fileDir(ctx context.Context, id int64, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := checkID(id); err != nil {
		return "", err
	}
	if err := ValidName(name); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	if done, err := l.complete(id); err != nil {
		return "", fmt.Errorf("checkpoint: writing chk-%d/%s in %s: %w", id, name, l.dir, err)
	} else if done {
		return "", fmt.Errorf("%w: chk-%d in %s; not writing %s", ErrExists, id, l.dir, name)
	}
	dir := l.chkDir(id)
	if err := l.fs.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	return dir, nil
}

func (l *Local) writeFile(ctx context.Context, id int64, name string, data []byte) error {
	dir, err := l.fileDir(ctx, id, name)
	if err != nil {
		return err
	}
	if err := vfs.WriteFileAtomic(l.fs, filepath.Join(dir, name), data); err != nil {
		return fmt.Errorf("checkpoint: writing chk-%d/%s in %s: %w", id, name, l.dir, err)
	}
	return nil
}

// ReadFile implements Storage.
func (l *Local) ReadFile(ctx context.Context, id int64, name string, want *FileSum) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := ValidName(name); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	label := fmt.Sprintf("chk-%d/%s in %s", id, name, l.dir)
	size := int64(-1)
	if want != nil {
		size = want.Size
	}
	data, err := l.read(filepath.Join(l.chkDir(id), name), label, size, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	if want != nil {
		if got := CRC(data); got != want.CRC {
			return nil, corruptf("%s: CRC-32C is %#08x, the metadata says %#08x", label, got, want.CRC)
		}
	}
	return data, nil
}

// read reads a whole file that must have wantSize bytes (when not -1) and
// at most limit bytes; sizes are checked before anything is allocated.
func (l *Local) read(path, label string, wantSize, limit int64) ([]byte, error) {
	info, err := l.fs.Stat(path)
	if vfs.IsNotExist(err) {
		return nil, fmt.Errorf("checkpoint: %s is missing: %w", label, err)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", label, err)
	}
	switch {
	case info.IsDir:
		return nil, corruptf("%s is a directory", label)
	case wantSize >= 0 && info.Size != wantSize:
		return nil, corruptf("%s is %d bytes, the metadata says %d (truncated, or trailing junk)", label, info.Size, wantSize)
	case info.Size > limit:
		return nil, corruptf("%s is %d bytes, more than the %d allowed", label, info.Size, limit)
	}
	f, err := l.fs.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", label, err)
	}
	defer f.Close()
	data := make([]byte, info.Size)
	if _, err := io.ReadFull(f, data); errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, corruptf("%s shrank while it was read", label)
	} else if err != nil {
		return nil, fmt.Errorf("checkpoint: reading %s: %w", label, err)
	}
	var one [1]byte
	if n, _ := f.Read(one[:]); n > 0 {
		return nil, corruptf("%s grew while it was read", label)
	}
	return data, nil
}

// CommitMetadata implements Storage.
func (l *Local) CommitMetadata(ctx context.Context, m *Metadata) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := EncodeMetadata(m)
	if err != nil {
		return err
	}
	if done, err := l.complete(m.ID); err != nil {
		return fmt.Errorf("checkpoint: committing chk-%d in %s: %w", m.ID, l.dir, err)
	} else if done {
		return fmt.Errorf("%w: chk-%d in %s", ErrExists, m.ID, l.dir)
	}
	dir := l.chkDir(m.ID)
	if err := checkReferences(ctx, l, m, l.dir, l.complete); err != nil {
		return err
	}
	for _, op := range m.Operators {
		for _, f := range op.Keyed {
			for _, lk := range f.Links(m.ID) {
				info, err := l.fs.Stat(filepath.Join(l.chkDir(lk.Dir), lk.Name))
				if err != nil {
					return fmt.Errorf("checkpoint: refusing to commit chk-%d in %s: operator %q: %w", m.ID, l.dir, op.UID, err)
				}
				if info.IsDir || info.Size != lk.Size {
					return fmt.Errorf("checkpoint: refusing to commit chk-%d in %s: operator %q: file chk-%d/%s is %d bytes, the metadata says %d",
						m.ID, l.dir, op.UID, lk.Dir, lk.Name, info.Size, lk.Size)
				}
			}
		}
	}
	if err := l.fs.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := vfs.WriteFileAtomic(l.fs, filepath.Join(dir, MetadataFile), data); err != nil {
		return fmt.Errorf("checkpoint: committing chk-%d in %s: %w", m.ID, l.dir, err)
	}
	// The checkpoint directory's entry in DIR, and DIR's in its parent.
	if err := l.fs.SyncDir(l.dir); err != nil {
		return fmt.Errorf("checkpoint: committing chk-%d in %s: syncing the directory: %w", m.ID, l.dir, err)
	}
	if !l.rootSynced.Load() {
		if err := l.syncAncestors(); err != nil {
			return fmt.Errorf("checkpoint: committing chk-%d in %s: %w", m.ID, l.dir, err)
		}
		l.rootSynced.Store(true)
	}
	return nil
}

// syncAncestors syncs every directory above DIR, so that DIR itself is
// durable however many of its ancestors the first MkdirAll created (or a
// previous process created and died before syncing). A directory that
// cannot be opened for lack of permission was not created by us and is
// skipped.
func (l *Local) syncAncestors() error {
	for d := l.dir; ; {
		parent := filepath.Dir(d)
		if parent == d {
			return nil
		}
		if err := l.fs.SyncDir(parent); err != nil && !errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("syncing %s: %w", parent, err)
		}
		d = parent
	}
}

// scan returns the ids of the complete checkpoints and of the other
// checkpoint directories, ascending. A missing DIR is empty.
func (l *Local) scan(ctx context.Context) (complete, incomplete []int64, err error) {
	names, err := l.fs.ReadDir(l.dir)
	if vfs.IsNotExist(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: listing %s: %w", l.dir, err)
	}
	var ids []int64
	for _, name := range names {
		if id, ok := parseChkDir(name); ok {
			ids = append(ids, id)
		}
	}
	// Names sort as strings (chk-10 < chk-9); ids sort as numbers.
	slices.Sort(ids)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		done, err := l.complete(id)
		if err != nil {
			return nil, nil, fmt.Errorf("checkpoint: listing %s: %w", l.dir, err)
		}
		if done {
			complete = append(complete, id)
		} else {
			incomplete = append(incomplete, id)
		}
	}
	return complete, incomplete, nil
}

// List implements Storage.
func (l *Local) List(ctx context.Context) ([]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	complete, _, err := l.scan(ctx)
	return complete, err
}

// Load implements Storage.
func (l *Local) Load(ctx context.Context, id int64) (*Metadata, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	label := fmt.Sprintf("chk-%d/%s in %s", id, MetadataFile, l.dir)
	data, err := l.read(filepath.Join(l.chkDir(id), MetadataFile), label, -1, MaxMetadataSize)
	if err != nil {
		return nil, err
	}
	m, err := DecodeMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	if m.ID != id {
		return nil, corruptf("%s holds checkpoint %d (copied into the wrong directory?)", label, m.ID)
	}
	return m, nil
}

// LoadLatest implements Storage.
func (l *Local) LoadLatest(ctx context.Context, logf func(format string, args ...any)) (*Metadata, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	_, incomplete, err := l.scan(ctx)
	if err != nil {
		return nil, err
	}
	note := ""
	if len(incomplete) > 0 {
		note = noMetadataNote(len(incomplete))
	}
	return loadLatest(ctx, l, l.dir, note, logf)
}

// Delete implements Storage: it removes _metadata first and syncs, so that
// a crash in the middle never leaves a complete-looking checkpoint with
// missing files.
func (l *Local) Delete(ctx context.Context, id int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkID(id); err != nil {
		return err
	}
	dir := l.chkDir(id)
	if _, err := l.fs.Stat(dir); vfs.IsNotExist(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("checkpoint: deleting chk-%d in %s: %w", id, l.dir, err)
	}
	err := l.fs.Remove(filepath.Join(dir, MetadataFile))
	switch {
	case err == nil:
		if err := l.fs.SyncDir(dir); err != nil {
			return fmt.Errorf("checkpoint: deleting chk-%d in %s: %w", id, l.dir, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("checkpoint: deleting chk-%d in %s: %w", id, l.dir, err)
	}
	failpoint.Hit("checkpoint-delete")
	if err := l.fs.RemoveAll(dir); err != nil {
		return fmt.Errorf("checkpoint: deleting chk-%d in %s: %w", id, l.dir, err)
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return fmt.Errorf("checkpoint: deleting chk-%d in %s: %w", id, l.dir, err)
	}
	return nil
}

// Retain implements Storage.
func (l *Local) Retain(ctx context.Context, n int, keep ...int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return retain(ctx, l, n, keep)
}

// subsume implements retainer: _metadata is removed and chk-<id> synced.
func (l *Local) subsume(ctx context.Context, id int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := l.chkDir(id)
	if err := l.fs.Remove(filepath.Join(dir, MetadataFile)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("checkpoint: subsuming chk-%d in %s: %w", id, l.dir, err)
	}
	if err := l.fs.SyncDir(dir); err != nil {
		return fmt.Errorf("checkpoint: subsuming chk-%d in %s: %w", id, l.dir, err)
	}
	return nil
}

// collect implements retainer.
func (l *Local) collect(ctx context.Context, id int64, keep map[string]bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := l.chkDir(id)
	if len(keep) == 0 {
		if err := l.fs.RemoveAll(dir); err != nil {
			return fmt.Errorf("checkpoint: removing chk-%d in %s: %w", id, l.dir, err)
		}
		if err := l.fs.SyncDir(l.dir); err != nil {
			return fmt.Errorf("checkpoint: removing chk-%d in %s: %w", id, l.dir, err)
		}
		return nil
	}
	names, err := l.fs.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("checkpoint: pruning chk-%d in %s: %w", id, l.dir, err)
	}
	removed := false
	for _, name := range names {
		if keep[name] {
			continue
		}
		if err := l.fs.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("checkpoint: pruning chk-%d in %s: %w", id, l.dir, err)
		}
		removed = true
	}
	if removed {
		if err := l.fs.SyncDir(dir); err != nil {
			return fmt.Errorf("checkpoint: pruning chk-%d in %s: %w", id, l.dir, err)
		}
	}
	return nil
}
