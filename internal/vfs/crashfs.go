package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// CrashFS is an in-memory FS that simulates what a power loss does to a
// filesystem, in the style of LazyFS. It exists for tests but lives in a
// non-test file so that the tests of every package can use it.
//
// The model:
//   - Each file has the contents a reader sees and the contents that would
//     survive a crash. Write and WriteAt change the first; File.Sync (and
//     Datasync) copies it to the second.
//   - Each directory has the entries a reader sees and the entries that
//     would survive a crash. Create, Rename, Remove, RemoveAll and MkdirAll
//     change the first; SyncDir copies it to the second. Nothing else makes
//     a name durable: not even syncing the file.
//   - Crash replaces what readers see with what survives: every directory
//     reachable from the root through durable entries gets its durable
//     entries back, every file its synced contents. With SetTear(b), a file
//     with unsynced appended data keeps a random prefix of it instead, cut
//     at a multiple of b bytes (or all or none of it): a torn write. Unsynced
//     overwrites of synced bytes (WriteAt inside the synced contents) are
//     written back block by block in any order: with SetTear(b) each block
//     of b bytes they touched survives with its new or its old contents, at
//     random; without tearing all keep the old ones.
//   - A failed File.Sync (injected) behaves like Linux after an fsync error
//     (the PostgreSQL "fsyncgate" lesson): readers still see the data, but
//     the pages that failed are never written back; a later Sync succeeds
//     and makes the file durable with those bytes as zeros (appended
//     bytes) or as their old contents (overwritten synced bytes, until
//     they are written again).
//
// Faults: Inject makes the N-th matching operation fail with a chosen error
// (syscall.EIO, syscall.ENOSPC ...), a write optionally writing part of its
// buffer first (a short write). HaltAfter stops the simulated process after
// a number of mutating operations: every later call fails with ErrHalted
// until Crash, so a test can crash "between any two steps".
//
// The names of the root are relative ("a/b"); a leading "/" is ignored and
// a name that climbs above the root with ".." is refused. Every random
// choice comes from the seed, so a single-goroutine workload replays
// exactly. CrashFS is safe for concurrent use.
type CrashFS struct {
	mu     sync.Mutex
	rng    *rand.Rand
	root   *node
	gen    uint64 // bumped by Crash: handles of an older generation are stale
	tear   int
	ops    int
	haltAt int // -1: never
	halted bool
	faults []*Fault
}

var _ FS = (*CrashFS)(nil)

// ErrHalted is returned by every operation of a CrashFS after HaltAfter
// stopped it, until Crash.
var ErrHalted = errors.New("vfs: crashfs halted (simulated process death)")

// ErrStale is returned by a File opened before the last Crash.
var ErrStale = errors.New("vfs: file handle opened before a simulated crash")

// Op is a kind of mutating operation of CrashFS, for faults and step counts.
type Op uint8

const (
	OpCreate   Op = iota + 1 // FS.Create
	OpWrite                  // File.Write and WFile.WriteAt
	OpSync                   // File.Sync and WFile.Datasync
	OpSyncDir                // FS.SyncDir
	OpRename                 // FS.Rename
	OpRemove                 // FS.Remove and FS.RemoveAll
	OpMkdir                  // FS.MkdirAll
	OpTruncate               // FS.Truncate (OpenAppend and OpenWrite of a missing name count as OpCreate)
	// OpRead (File.Read) can carry a fault, but reads are not mutating
	// operations: Ops and HaltAfter do not count them.
	OpRead
)

func (o Op) String() string {
	switch o {
	case OpCreate:
		return "create"
	case OpWrite:
		return "write"
	case OpSync:
		return "sync"
	case OpSyncDir:
		return "syncdir"
	case OpRename:
		return "rename"
	case OpRemove:
		return "remove"
	case OpMkdir:
		return "mkdir"
	case OpTruncate:
		return "truncate"
	case OpRead:
		return "read"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Fault makes one future operation of a CrashFS fail.
type Fault struct {
	Op Op
	// N counts matching operations from the time of Inject: the N-th one
	// fails (1 = the next one).
	N int
	// Path, when not empty, restricts the matching operations to those
	// whose name contains it (for Rename, either name).
	Path string
	// Err is the error the operation returns inside an *fs.PathError, e.g.
	// syscall.EIO or syscall.ENOSPC. Nil means syscall.EIO, or
	// io.ErrShortWrite for a short write.
	Err error
	// Short, for OpWrite, writes a random prefix of the buffer (shorter than
	// the buffer) before failing.
	Short bool
}

type span struct{ from, to int }

// lostSpan: overwritten synced bytes whose write-back failed; the disk
// keeps old.
type lostSpan struct {
	from int
	old  []byte
}

type node struct {
	dir bool
	// directory
	entries map[string]*node // what readers see
	durable map[string]*node // what survives a crash
	// file
	data      []byte // what readers see
	synced    []byte // what survives a crash
	truncated bool   // data does not extend synced: Create truncated a synced file
	holes     []span // ranges of data whose write-back failed (fsyncgate)
	shrunk    bool   // Truncate cut synced data at shrinkTo, not yet synced
	shrinkTo  int
	over      []span     // synced bytes overwritten since the last sync (not with truncated)
	lost      []lostSpan // overwrites whose write-back failed (fsyncgate)
}

func newDir() *node {
	return &node{dir: true, entries: map[string]*node{}, durable: map[string]*node{}}
}

// NewCrashFS returns an empty CrashFS whose random choices derive from seed.
// Tearing is off: Crash drops all unsynced data.
func NewCrashFS(seed uint64) *CrashFS {
	return &CrashFS{
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		root:   newDir(),
		haltAt: -1,
	}
}

// SetTear sets how Crash treats unsynced data appended to a file: 0 drops
// it; a block size b > 0 (512, 4096) keeps a random prefix of it that ends
// at a multiple of b, at the end of the synced data, or at the end of the
// written data.
func (c *CrashFS) SetTear(block int) {
	if block < 0 {
		panic("vfs: negative tear block size")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tear = block
}

// Inject arms a fault. Several faults may be armed at once.
func (c *CrashFS) Inject(f Fault) {
	if f.N < 1 {
		panic("vfs: Fault.N must be at least 1")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = append(c.faults, &f)
}

// Pending returns the number of armed faults that have not fired yet.
func (c *CrashFS) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.faults)
}

// Ops returns the number of mutating operations (see Op) attempted so far,
// including those that failed.
func (c *CrashFS) Ops() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops
}

// HaltAfter lets the next n mutating operations proceed and then stops the
// simulated process: the following mutating operation and every later
// operation of any kind (reads too) fail with ErrHalted, until Crash.
func (c *CrashFS) HaltAfter(n int) {
	if n < 0 {
		panic("vfs: negative HaltAfter")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.haltAt = c.ops + n
}

// Crash simulates a power loss and the reboot after it (see the type's
// documentation). Files opened before are stale, a halt ends, and armed
// faults are disarmed.
func (c *CrashFS) Crash() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.halted = false
	c.haltAt = -1
	c.faults = nil
	seen := map[*node]bool{c.root: true}
	var walk func(d *node)
	walk = func(d *node) {
		d.entries = maps.Clone(d.durable)
		if d.entries == nil {
			d.entries = map[string]*node{}
		}
		for _, name := range slices.Sorted(maps.Keys(d.entries)) {
			ch := d.entries[name]
			if seen[ch] {
				continue
			}
			seen[ch] = true
			if ch.dir {
				walk(ch)
			} else {
				c.crashFile(ch)
			}
		}
	}
	walk(c.root)
}

// crashFile sets what survives of a file. c.mu is held.
func (c *CrashFS) crashFile(n *node) {
	content := slices.Clone(n.synced)
	if c.tear > 0 {
		overs := true
		switch {
		case n.shrunk:
			if c.rng.IntN(2) == 1 { // the shrink reached the disk
				content = content[:n.shrinkTo]
			}
		case !n.truncated && len(n.data) > len(n.synced):
			// A prefix of the appended bytes; the synced part below keeps
			// its old contents except for the overwritten blocks.
			cut := c.pickCut(len(n.synced), len(n.data))
			content = append(content, n.withHoles(n.data[:cut])[len(n.synced):]...)
		case n.truncated && c.rng.IntN(2) == 1:
			// The truncation reached the disk, and part of the new data.
			content = n.withHoles(n.data[:c.pickCut(0, len(n.data))])
			overs = false
		}
		if overs {
			c.writeBackSome(n, content)
		}
	}
	n.data = slices.Clone(content)
	n.synced = slices.Clone(content)
	n.truncated = false
	n.holes = nil
	n.shrunk = false
	n.over = nil
	n.lost = nil
}

// writeBackSome copies into content, from what readers see, each tear
// block touched by an unsynced overwrite with probability 1/2, blocks in
// ascending order (so a seed replays). c.mu is held.
func (c *CrashFS) writeBackSome(n *node, content []byte) {
	if len(n.over) == 0 {
		return
	}
	b := c.tear
	blocks := map[int]bool{}
	for _, s := range n.over {
		for k := s.from / b; k <= (s.to-1)/b; k++ {
			blocks[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(blocks)) {
		if c.rng.IntN(2) == 0 {
			continue
		}
		lo, hi := k*b, min((k+1)*b, len(content), len(n.data))
		if lo < hi {
			copy(content[lo:hi], n.data[lo:hi])
		}
	}
}

// writeAt writes p at off into what readers see (zeros fill a gap beyond
// the end) and notes the synced bytes it overwrote. c.mu is held.
func (n *node) writeAt(p []byte, off int) {
	end := off + len(p)
	if end > len(n.data) {
		n.data = append(n.data, make([]byte, end-len(n.data))...)
	}
	copy(n.data[off:end], p)
	if n.truncated {
		return // nothing of synced is under data
	}
	if hi := min(end, len(n.synced)); off < hi {
		n.over = append(n.over, span{off, hi})
	}
	// Written again: those bytes are dirty pages once more, no longer lost.
	var keep []lostSpan
	for _, l := range n.lost {
		lend := l.from + len(l.old)
		if lend <= off || l.from >= end {
			keep = append(keep, l)
			continue
		}
		if l.from < off {
			keep = append(keep, lostSpan{l.from, l.old[:off-l.from]})
		}
		if lend > end {
			keep = append(keep, lostSpan{end, l.old[end-l.from:]})
		}
	}
	n.lost = keep
}

// pickCut chooses a length in [lo, hi]: lo, hi, or a multiple of the tear
// block between them, uniformly.
func (c *CrashFS) pickCut(lo, hi int) int {
	if lo >= hi {
		return lo
	}
	b := c.tear
	first, last := lo/b+1, (hi-1)/b
	between := max(0, last-first+1)
	switch i := c.rng.IntN(between + 2); i {
	case 0:
		return lo
	case between + 1:
		return hi
	default:
		return (first + i - 1) * b
	}
}

// clipSpans returns the parts of spans below size.
func clipSpans(spans []span, size int) []span {
	var out []span
	for _, s := range spans {
		if s.from < size {
			out = append(out, span{s.from, min(s.to, size)})
		}
	}
	return out
}

// withHoles returns a copy of b with the failed write-back ranges zeroed.
func (n *node) withHoles(b []byte) []byte {
	out := slices.Clone(b)
	for _, h := range n.holes {
		for i := h.from; i < h.to && i < len(out); i++ {
			out[i] = 0
		}
	}
	return out
}

// Tree describes the visible contents, one line per name with its size
// ("a/", "a/b 12"), for test failure messages.
func (c *CrashFS) Tree() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sb strings.Builder
	var walk func(prefix string, d *node)
	walk = func(prefix string, d *node) {
		for _, name := range slices.Sorted(maps.Keys(d.entries)) {
			ch := d.entries[name]
			if ch.dir {
				fmt.Fprintf(&sb, "%s%s/\n", prefix, name)
				walk(prefix+name+"/", ch)
			} else {
				fmt.Fprintf(&sb, "%s%s %d\n", prefix, name, len(ch.data))
			}
		}
	}
	walk("", c.root)
	return sb.String()
}

// --- internals; c.mu is held by the callers ---

func perr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// split cleans name into its components; the root has none.
func split(name string) ([]string, error) {
	p := path.Clean(filepath.ToSlash(name))
	if p == ".." || strings.HasPrefix(p, "../") {
		return nil, fs.ErrInvalid
	}
	p = strings.TrimLeft(p, "/")
	if p == "" || p == "." {
		return nil, nil
	}
	return strings.Split(p, "/"), nil
}

// step accounts for a mutating operation and returns the fault it hits.
func (c *CrashFS) step(op Op, name string) (*Fault, error) {
	if c.halted {
		return nil, ErrHalted
	}
	if c.haltAt >= 0 && c.ops >= c.haltAt {
		c.halted = true
		return nil, ErrHalted
	}
	c.ops++
	return c.fault(op, name), nil
}

// fault returns the armed fault that op on name hits, if any.
func (c *CrashFS) fault(op Op, name string) *Fault {
	var hit *Fault
	for i := 0; i < len(c.faults); i++ {
		f := c.faults[i]
		if f.Op != op || (f.Path != "" && !strings.Contains(name, f.Path)) {
			continue
		}
		f.N--
		if f.N <= 0 && hit == nil {
			hit = f
			c.faults = slices.Delete(c.faults, i, i+1)
			i--
		}
	}
	return hit
}

func (c *CrashFS) checkRead() error {
	if c.halted {
		return ErrHalted
	}
	return nil
}

func faultErr(f *Fault) error {
	if f.Err != nil {
		return f.Err
	}
	if f.Short {
		return io.ErrShortWrite
	}
	return syscall.EIO
}

func (c *CrashFS) lookup(parts []string) (*node, error) {
	n := c.root
	for _, p := range parts {
		if !n.dir {
			return nil, syscall.ENOTDIR
		}
		ch, ok := n.entries[p]
		if !ok {
			return nil, fs.ErrNotExist
		}
		n = ch
	}
	return n, nil
}

// parent returns the directory that holds the last component of parts.
func (c *CrashFS) parent(parts []string) (*node, string, error) {
	if len(parts) == 0 {
		return nil, "", fs.ErrInvalid // the root itself
	}
	d, err := c.lookup(parts[:len(parts)-1])
	if err != nil {
		return nil, "", err
	}
	if !d.dir {
		return nil, "", syscall.ENOTDIR
	}
	return d, parts[len(parts)-1], nil
}

// --- FS ---

// Create implements FS.
func (c *CrashFS) Create(name string) (File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	parts, err := split(name)
	if err != nil {
		return nil, perr("create", name, err)
	}
	f, err := c.step(OpCreate, name)
	if err != nil {
		return nil, perr("create", name, err)
	}
	if f != nil {
		return nil, perr("create", name, faultErr(f))
	}
	d, base, err := c.parent(parts)
	if err != nil {
		return nil, perr("create", name, err)
	}
	n := d.entries[base]
	switch {
	case n == nil:
		n = &node{}
		d.entries[base] = n
	case n.dir:
		return nil, perr("create", name, syscall.EISDIR)
	default:
		n.truncated = n.truncated || len(n.synced) > 0
		n.data = nil
		n.holes = nil
		n.shrunk = false
		n.over = nil
		n.lost = nil
	}
	return &crashFile{c: c, n: n, name: name, gen: c.gen, writable: true}, nil
}

// Open implements FS.
func (c *CrashFS) Open(name string) (File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkRead(); err != nil {
		return nil, perr("open", name, err)
	}
	parts, err := split(name)
	if err != nil {
		return nil, perr("open", name, err)
	}
	n, err := c.lookup(parts)
	if err != nil {
		return nil, perr("open", name, err)
	}
	if n.dir {
		return nil, perr("open", name, syscall.EISDIR)
	}
	return &crashFile{c: c, n: n, name: name, gen: c.gen}, nil
}

// OpenAppend implements FS. Opening an existing file is not a mutating
// operation; creating a missing one is an OpCreate.
func (c *CrashFS) OpenAppend(name string) (File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkRead(); err != nil {
		return nil, perr("open", name, err)
	}
	parts, err := split(name)
	if err != nil {
		return nil, perr("open", name, err)
	}
	n, err := c.lookup(parts)
	if errors.Is(err, fs.ErrNotExist) {
		f, err := c.step(OpCreate, name)
		if err != nil {
			return nil, perr("open", name, err)
		}
		if f != nil {
			return nil, perr("open", name, faultErr(f))
		}
		d, base, err := c.parent(parts)
		if err != nil {
			return nil, perr("open", name, err)
		}
		n = &node{}
		d.entries[base] = n
	} else if err != nil {
		return nil, perr("open", name, err)
	}
	if n.dir {
		return nil, perr("open", name, syscall.EISDIR)
	}
	return &crashFile{c: c, n: n, name: name, gen: c.gen, writable: true}, nil
}

// OpenWrite implements FS. Opening an existing file is not a mutating
// operation; creating a missing one is an OpCreate.
func (c *CrashFS) OpenWrite(name string) (WFile, error) {
	f, err := c.OpenAppend(name)
	if err != nil {
		return nil, err
	}
	cf := f.(*crashFile)
	cf.random = true
	return cf, nil
}

// Truncate implements FS. The new size reaches the durable contents with
// the next File.Sync of the file; a crash before it keeps the synced
// contents (and, with tearing, possibly some of the unsynced data written
// after the truncation, as a disk may write back pages in any order).
func (c *CrashFS) Truncate(name string, size int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	parts, err := split(name)
	if err != nil {
		return perr("truncate", name, err)
	}
	if size < 0 {
		return perr("truncate", name, syscall.EINVAL)
	}
	f, err := c.step(OpTruncate, name)
	if err != nil {
		return perr("truncate", name, err)
	}
	if f != nil {
		return perr("truncate", name, faultErr(f))
	}
	n, err := c.lookup(parts)
	if err != nil {
		return perr("truncate", name, err)
	}
	if n.dir {
		return perr("truncate", name, syscall.EISDIR)
	}
	if int(size) <= len(n.data) {
		n.data = slices.Clone(n.data[:size])
	} else {
		n.data = append(n.data, make([]byte, int(size)-len(n.data))...)
	}
	// The pages cut off leave the cache, failed write-back or not: bytes
	// written there again are dirty pages like any others.
	n.holes = clipSpans(n.holes, int(size))
	var lost []lostSpan
	for _, l := range n.lost {
		if l.from < int(size) {
			lost = append(lost, lostSpan{l.from, l.old[:min(len(l.old), int(size)-l.from)]})
		}
	}
	n.lost = lost
	if int(size) < len(n.synced) && !n.truncated && (!n.shrunk || int(size) < n.shrinkTo) {
		// The shrink is not durable before a Sync: a crash keeps the synced
		// contents, or (with tearing) the synced contents cut at size.
		n.shrunk, n.shrinkTo = true, int(size)
	}
	return nil
}

// Rename implements FS. A directory cannot replace an existing name, and
// nothing can replace a directory.
func (c *CrashFS) Rename(oldname, newname string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	op := func(err error) error {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	op1, err := split(oldname)
	if err != nil {
		return op(err)
	}
	op2, err := split(newname)
	if err != nil {
		return op(err)
	}
	f, err := c.step(OpRename, oldname+" -> "+newname)
	if err != nil {
		return op(err)
	}
	if f != nil {
		return op(faultErr(f))
	}
	sd, sb, err := c.parent(op1)
	if err != nil {
		return op(err)
	}
	src := sd.entries[sb]
	if src == nil {
		return op(fs.ErrNotExist)
	}
	dd, db, err := c.parent(op2)
	if err != nil {
		return op(err)
	}
	dst := dd.entries[db]
	switch {
	case dst == src:
		return nil
	case dst != nil && dst.dir:
		return op(syscall.EEXIST)
	case dst != nil && src.dir:
		return op(syscall.ENOTDIR)
	}
	if src.dir { // refuse to move a directory below itself
		n := c.root
		for _, p := range op2[:len(op2)-1] {
			n = n.entries[p]
			if n == src {
				return op(syscall.EINVAL)
			}
		}
	}
	delete(sd.entries, sb)
	dd.entries[db] = src
	return nil
}

// Remove implements FS.
func (c *CrashFS) Remove(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	parts, err := split(name)
	if err != nil {
		return perr("remove", name, err)
	}
	f, err := c.step(OpRemove, name)
	if err != nil {
		return perr("remove", name, err)
	}
	if f != nil {
		return perr("remove", name, faultErr(f))
	}
	d, base, err := c.parent(parts)
	if err != nil {
		return perr("remove", name, err)
	}
	n := d.entries[base]
	switch {
	case n == nil:
		return perr("remove", name, fs.ErrNotExist)
	case n.dir && len(n.entries) > 0:
		return perr("remove", name, syscall.ENOTEMPTY)
	}
	delete(d.entries, base)
	return nil
}

// RemoveAll implements FS.
func (c *CrashFS) RemoveAll(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	parts, err := split(name)
	if err == nil && len(parts) == 0 {
		err = fs.ErrInvalid
	}
	if err != nil {
		return perr("removeall", name, err)
	}
	f, err := c.step(OpRemove, name)
	if err != nil {
		return perr("removeall", name, err)
	}
	if f != nil {
		return perr("removeall", name, faultErr(f))
	}
	d, base, err := c.parent(parts)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return perr("removeall", name, err)
	}
	delete(d.entries, base)
	return nil
}

// MkdirAll implements FS; perm is ignored.
func (c *CrashFS) MkdirAll(dir string, perm os.FileMode) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	parts, err := split(dir)
	if err != nil {
		return perr("mkdir", dir, err)
	}
	f, err := c.step(OpMkdir, dir)
	if err != nil {
		return perr("mkdir", dir, err)
	}
	if f != nil {
		return perr("mkdir", dir, faultErr(f))
	}
	n := c.root
	for _, p := range parts {
		ch := n.entries[p]
		if ch == nil {
			ch = newDir()
			n.entries[p] = ch
		} else if !ch.dir {
			return perr("mkdir", dir, syscall.ENOTDIR)
		}
		n = ch
	}
	return nil
}

// ReadDir implements FS.
func (c *CrashFS) ReadDir(dir string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkRead(); err != nil {
		return nil, perr("readdir", dir, err)
	}
	parts, err := split(dir)
	if err != nil {
		return nil, perr("readdir", dir, err)
	}
	n, err := c.lookup(parts)
	if err != nil {
		return nil, perr("readdir", dir, err)
	}
	if !n.dir {
		return nil, perr("readdir", dir, syscall.ENOTDIR)
	}
	return slices.Sorted(maps.Keys(n.entries)), nil
}

// Stat implements FS.
func (c *CrashFS) Stat(name string) (Info, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkRead(); err != nil {
		return Info{}, perr("stat", name, err)
	}
	parts, err := split(name)
	if err != nil {
		return Info{}, perr("stat", name, err)
	}
	n, err := c.lookup(parts)
	if err != nil {
		return Info{}, perr("stat", name, err)
	}
	if n.dir {
		return Info{IsDir: true}, nil
	}
	return Info{Size: int64(len(n.data))}, nil
}

// SyncDir implements FS.
func (c *CrashFS) SyncDir(dir string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	parts, err := split(dir)
	if err != nil {
		return perr("syncdir", dir, err)
	}
	f, err := c.step(OpSyncDir, dir)
	if err != nil {
		return perr("syncdir", dir, err)
	}
	n, err := c.lookup(parts)
	if err != nil {
		return perr("syncdir", dir, err)
	}
	if !n.dir {
		return perr("syncdir", dir, syscall.ENOTDIR)
	}
	if f != nil {
		return perr("syncdir", dir, faultErr(f))
	}
	n.durable = maps.Clone(n.entries)
	return nil
}

// --- File ---

type crashFile struct {
	c        *CrashFS
	n        *node
	name     string
	gen      uint64
	writable bool
	random   bool // OpenWrite: Write writes at wpos, WriteAt anywhere
	wpos     int
	off      int // read position
	closed   bool
}

// usable checks the handle; c.mu is held.
func (f *crashFile) usable(op string) error {
	switch {
	case f.closed:
		return perr(op, f.name, fs.ErrClosed)
	case f.gen != f.c.gen:
		return perr(op, f.name, ErrStale)
	case f.c.halted:
		return perr(op, f.name, ErrHalted)
	}
	return nil
}

func (f *crashFile) Read(p []byte) (int, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.usable("read"); err != nil {
		return 0, err
	}
	if f.writable {
		return 0, perr("read", f.name, syscall.EBADF)
	}
	if fault := f.c.fault(OpRead, f.name); fault != nil {
		return 0, perr("read", f.name, faultErr(fault))
	}
	if f.off >= len(f.n.data) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, f.n.data[f.off:])
	f.off += n
	return n, nil
}

// ReadAt implements io.ReaderAt; it is safe for concurrent use.
func (f *crashFile) ReadAt(p []byte, off int64) (int, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.usable("read"); err != nil {
		return 0, err
	}
	if f.writable {
		return 0, perr("read", f.name, syscall.EBADF)
	}
	if off < 0 {
		return 0, perr("read", f.name, syscall.EINVAL)
	}
	if fault := f.c.fault(OpRead, f.name); fault != nil {
		return 0, perr("read", f.name, faultErr(fault))
	}
	if off >= int64(len(f.n.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *crashFile) Write(p []byte) (int, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.random {
		n, err := f.writeAt(p, int64(f.wpos))
		f.wpos += n
		return n, err
	}
	if err := f.usable("write"); err != nil {
		return 0, err
	}
	if !f.writable {
		return 0, perr("write", f.name, syscall.EBADF)
	}
	fault, err := f.c.step(OpWrite, f.name)
	if err != nil {
		return 0, perr("write", f.name, err)
	}
	if fault != nil {
		n := 0
		if fault.Short && len(p) > 0 {
			n = f.c.rng.IntN(len(p))
			f.n.data = append(f.n.data, p[:n]...)
		}
		return n, perr("write", f.name, faultErr(fault))
	}
	f.n.data = append(f.n.data, p...)
	return len(p), nil
}

// WriteAt implements io.WriterAt for a file opened by OpenWrite.
func (f *crashFile) WriteAt(p []byte, off int64) (int, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	return f.writeAt(p, off)
}

// writeAt: c.mu is held.
func (f *crashFile) writeAt(p []byte, off int64) (int, error) {
	if err := f.usable("write"); err != nil {
		return 0, err
	}
	if !f.writable || !f.random {
		return 0, perr("write", f.name, syscall.EBADF)
	}
	if off < 0 {
		return 0, perr("write", f.name, syscall.EINVAL)
	}
	fault, err := f.c.step(OpWrite, f.name)
	if err != nil {
		return 0, perr("write", f.name, err)
	}
	if fault != nil {
		n := 0
		if fault.Short && len(p) > 0 {
			n = f.c.rng.IntN(len(p))
			f.n.writeAt(p[:n], int(off))
		}
		return n, perr("write", f.name, faultErr(fault))
	}
	f.n.writeAt(p, int(off))
	return len(p), nil
}

// Datasync implements WFile: for a crash it is Sync.
func (f *crashFile) Datasync() error { return f.Sync() }

func (f *crashFile) Sync() error {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.usable("sync"); err != nil {
		return err
	}
	fault, err := f.c.step(OpSync, f.name)
	if err != nil {
		return perr("sync", f.name, err)
	}
	n := f.n
	if fault != nil {
		// The pages that were dirty are marked clean without reaching the
		// disk: they are lost for good, whatever a later Sync says.
		from := len(n.synced)
		if n.truncated {
			from = 0
		}
		if from < len(n.data) {
			n.holes = append(n.holes, span{from, len(n.data)})
		}
		// Overwritten synced bytes keep their old contents on the disk.
		for _, s := range n.over {
			if hi := min(s.to, len(n.synced)); s.from < hi {
				n.lost = append(n.lost, lostSpan{s.from, slices.Clone(n.synced[s.from:hi])})
			}
		}
		n.over = nil
		return perr("sync", f.name, faultErr(fault))
	}
	synced := n.withHoles(n.data)
	for _, l := range n.lost {
		if l.from < len(synced) {
			copy(synced[l.from:], l.old)
		}
	}
	n.synced = synced
	n.truncated = false
	n.shrunk = false
	n.over = nil
	return nil
}

func (f *crashFile) Close() error {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.closed {
		return perr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	if f.c.halted && f.gen == f.c.gen {
		return perr("close", f.name, ErrHalted)
	}
	return nil
}
