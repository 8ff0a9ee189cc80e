package file

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
)

// TransactionalSinkOptions configure a TransactionalSink. The zero value of
// every field but Dir is its default.
type TransactionalSinkOptions[T any] struct {
	// Dir is the output directory (created if missing). It belongs to this
	// sink: AbortExcept deletes the staged files of Prefix found in it.
	Dir string
	// Format is the record format (default FormatJSONLines).
	Format Format
	// CSV configures FormatCSV. Every part file starts with a header row
	// unless NoHeader is set (or Encoder is set: no header then).
	CSV CSVOptions
	// Encoder, if set, encodes every record instead of the mapping of
	// Format onto T, and the sink adds the '\n' after it; Format then only
	// names the extension of the part files. SQL tables (table.Row) write
	// files this way. An encoding must not contain a line break outside
	// CSV quotes. An Encoder that is a format.PerWriterEncoder gives every
	// writer an encoder of its own (NewEncoder).
	Encoder format.Encoder[T]
	// Prefix starts the name of every part file (default "part"): final
	// files are <Prefix>-<subtask>-<checkpoint>-<n>.<ext>, staged ones
	// .<Prefix>-<subtask>-<token>-<seq>.inprogress. It may not contain
	// separators or start with '.' or '_'. A new Prefix gives a job that was
	// restored from an older checkpoint names that cannot collide with the
	// files of the abandoned run.
	Prefix string
	// Partition, if set, returns the directory of a record relative to Dir,
	// '/'-separated, such as "dt=2024-05-01/hm=13:05" ("" is Dir itself).
	// It may not be absolute, contain "." or ".." elements, empty elements,
	// elements starting with '.', backslashes or NUL; Write returns an error
	// for such a record. A part file per partition is opened when the first
	// record for it arrives.
	Partition func(T) string
	// NewPartition, if set, is called once per writer for the Partition
	// function of that writer (which may then keep state, such as the
	// previous record's partition); it takes precedence over Partition.
	// The functions it returns obey Partition's rules.
	NewPartition func() func(T) string
	// RollSize closes a part file once it holds at least this many bytes
	// (default 128 MiB); the next record opens a new one. A file exceeds
	// RollSize by at most one record.
	RollSize int64
	// RollInterval closes a part file that has been open for this long of
	// processing time (default 0: never). Every PreCommit closes all part
	// files anyway, so this matters only when checkpoints are far apart.
	RollInterval time.Duration
	// InactivityInterval closes a part file that received no record for this
	// long of processing time (default 0: never); with Partition it keeps
	// the number of open files down when old partitions stop receiving
	// records.
	InactivityInterval time.Duration
	// BufferBytes is how much a part file buffers before it writes to the
	// file (default DefaultBufferBytes, 64 KiB). While a writer has more
	// than 4 part files open (partitions), each buffers at most
	// DefaultBufferBytes, so that many open partitions do not each hold a
	// large buffer.
	BufferBytes int
	// KeepsNoRecords says that the Encoder and the partition function
	// (Partition or NewPartition's) keep no reference to a record once they
	// return (values copied out of it may be kept): every writer then
	// reports so (connector.RecordReleaser), and a source chained before
	// the sink may build its next records in the memory of the last ones.
	// Off by default (the sink cannot know what an Encoder or partition
	// function keeps; the built-in mappings of Format keep nothing).
	KeepsNoRecords bool
	// Now is the processing-time clock for RollInterval and
	// InactivityInterval (default time.Now). A writer reads it when it opens
	// a part file, on Flush and once every 1024 records, not per record, so
	// time-based rolling happens at that granularity.
	Now func() time.Time
}

// DefaultRollSize is the default TransactionalSinkOptions.RollSize.
const DefaultRollSize = 128 << 20

// DefaultBufferBytes is the default TransactionalSinkOptions.BufferBytes,
// and the most a part file buffers while a writer has more than 4 open.
const DefaultBufferBytes = 64 << 10

// manyParts is the number of open part files past which each buffers at
// most DefaultBufferBytes.
const manyParts = 4

const (
	defaultPrefix = "part"
	stagedSuffix  = ".inprogress"
	// clockEvery is how many records a writer takes between clock reads.
	clockEvery = 1024
)

// Validate reports the first invalid option.
func (o TransactionalSinkOptions[T]) Validate() error {
	if o.Dir == "" {
		return errors.New("strom: file sink: Dir is required")
	}
	if err := validFormat(o.Format); err != nil {
		return err
	}
	if o.Prefix != "" && (!validBase(o.Prefix) || hiddenName(o.Prefix) || len(o.Prefix) > 64) {
		return fmt.Errorf("strom: file sink: Prefix %q must be a file name of at most 64 bytes that does not start with '.' or '_'", o.Prefix)
	}
	if o.RollSize < 0 || o.RollInterval < 0 || o.InactivityInterval < 0 || o.BufferBytes < 0 {
		return fmt.Errorf("strom: file sink: RollSize (%d), RollInterval (%v), InactivityInterval (%v) and BufferBytes (%d) must not be negative",
			o.RollSize, o.RollInterval, o.InactivityInterval, o.BufferBytes)
	}
	return o.CSV.validate()
}

func (o TransactionalSinkOptions[T]) withDefaults() TransactionalSinkOptions[T] {
	if o.Format == "" {
		o.Format = FormatJSONLines
	}
	if o.Prefix == "" {
		o.Prefix = defaultPrefix
	}
	if o.RollSize == 0 {
		o.RollSize = DefaultRollSize
	}
	if o.BufferBytes == 0 {
		o.BufferBytes = DefaultBufferBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.CSV.Comma = o.CSV.comma()
	return o
}

// TransactionalSink writes records of type T into part files in a
// directory, exactly-once through two-phase commit: writers stage hidden
// part files, PreCommit closes and fsyncs them at a checkpoint barrier, and
// Commit renames them to their final, visible names once the checkpoint
// completed. See docs/format/file-sink.md for the names, the committable
// layout and the recovery argument.
//
// It implements connector.Sink and connector.Committer; its writers
// implement connector.TransactionalWriter. It is safe for concurrent use.
type TransactionalSink[T any] struct {
	opts TransactionalSinkOptions[T]
	dir  string // opts.Dir, cleaned
	ext  string
	csv  *format.CSVFormat[T]
}

var (
	_ connector.Sink[int]                = (*TransactionalSink[int])(nil)
	_ connector.Committer                = (*TransactionalSink[int])(nil)
	_ connector.Rewinder                 = (*TransactionalSink[int])(nil)
	_ connector.TransactionalWriter[int] = (*txWriter[int])(nil)
)

// NewTransactionalSink returns a sink with opts, or an error if the options
// are invalid or T does not fit the format.
func NewTransactionalSink[T any](opts TransactionalSinkOptions[T]) (*TransactionalSink[T], error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &TransactionalSink[T]{opts: opts.withDefaults()}
	s.dir = filepath.Clean(s.opts.Dir)
	s.ext = extOf(s.opts.Format)
	t := reflect.TypeFor[T]()
	switch {
	case s.opts.Encoder != nil:
	case s.opts.Format == FormatCSV:
		var err error
		if s.csv, err = newCSVFormat[T](s.opts.CSV); err != nil {
			return nil, err
		}
	case s.opts.Format == FormatLines:
		if !isLinesType(t) {
			return nil, fmt.Errorf("strom: file: the lines format needs a string type or []byte, not %v", t)
		}
	}
	return s, nil
}

// Options returns the options with defaults filled in.
func (s *TransactionalSink[T]) Options() TransactionalSinkOptions[T] { return s.opts }

func (s *TransactionalSink[T]) ready() error {
	if s == nil || s.dir == "" {
		return errors.New("strom: file sink: use NewTransactionalSink to create a TransactionalSink")
	}
	return nil
}

func extOf(f Format) string {
	switch f {
	case FormatCSV:
		return "csv"
	case FormatLines:
		return "txt"
	}
	return "jsonl"
}

// FinalName is the visible name of the n-th part file (counting from 0)
// that subtask staged for checkpoint, in its partition directory.
func (s *TransactionalSink[T]) FinalName(subtask int, checkpoint int64, n int) string {
	return s.opts.Prefix + "-" + strconv.Itoa(subtask) + "-" + strconv.FormatInt(checkpoint, 10) + "-" + strconv.Itoa(n) + "." + s.ext
}

func (s *TransactionalSink[T]) stagedName(subtask int, token string, seq uint64) string {
	return "." + s.opts.Prefix + "-" + strconv.Itoa(subtask) + "-" + token + "-" + strconv.FormatUint(seq, 10) + stagedSuffix
}

// isStaged reports whether name is a staged file of this sink:
// .<Prefix>-<decimal>-<16 lower-case hex digits>-<decimal>.inprogress.
func (s *TransactionalSink[T]) isStaged(name string) bool {
	rest, ok := strings.CutPrefix(name, "."+s.opts.Prefix+"-")
	if !ok {
		return false
	}
	if rest, ok = strings.CutSuffix(rest, stagedSuffix); !ok {
		return false
	}
	f := strings.Split(rest, "-")
	return len(f) == 3 && isDecimal(f[0]) && len(f[1]) == 16 && isLowerHex(f[1]) && isDecimal(f[2])
}

func isDecimal(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}

// absDir is the sink's directory as an absolute path (the directory of a
// committable, version 2), or "" when it cannot be made absolute (the
// committable is then of version 1, resolved against the committing
// sink's directory).
func (s *TransactionalSink[T]) absDir() string {
	if a, err := filepath.Abs(s.dir); err == nil {
		return a
	}
	return ""
}

func (s *TransactionalSink[T]) partitionDir(partition string) string {
	if partition == "" {
		return s.dir
	}
	return filepath.Join(s.dir, filepath.FromSlash(partition))
}

// Open opens the writer of one subtask. It creates Dir if needed; part
// files are opened when records arrive.
func (s *TransactionalSink[T]) Open(_ context.Context, info connector.SinkInfo) (connector.Writer[T], error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if info.Subtask < 0 {
		return nil, fmt.Errorf("strom: file sink: negative subtask %d", info.Subtask)
	}
	var tok [8]byte
	_, _ = rand.Read(tok[:]) // never fails (crypto/rand)
	w := &txWriter[T]{
		s:       s,
		subtask: info.Subtask,
		token:   hex.EncodeToString(tok[:]),
		part:    s.opts.Partition,
		now:     s.opts.Now,
		timed:   s.opts.RollInterval > 0 || s.opts.InactivityInterval > 0,
		byPart:  make(map[string]*txPart),
		dirty:   make(map[string]struct{}),
		known:   make(map[string]bool),
	}
	if err := mkdirDurable(s.dir, w.dirty); err != nil {
		return nil, err
	}
	w.known[""] = true
	if s.opts.NewPartition != nil {
		w.part = s.opts.NewPartition()
	}
	switch enc := s.opts.Encoder; {
	case enc != nil:
		if pw, ok := enc.(format.PerWriterEncoder[T]); ok {
			enc = pw.NewEncoder()
		}
		w.enc = func(dst []byte, v T) ([]byte, error) {
			dst, err := enc.Encode(v, dst)
			if err != nil {
				return dst, err
			}
			return append(dst, '\n'), nil
		}
	case s.opts.Format == FormatCSV:
		w.enc = csvAppender(s.csv)
		if !s.opts.CSV.NoHeader && s.csv.Columns() != nil {
			w.header = append(s.csv.AppendHeader(nil), '\n')
		}
	case s.opts.Format == FormatLines:
		w.enc = appendLine[T]
	default:
		w.enc = appendJSONLine[T]
	}
	return w, nil
}

// txWriter is the writer of one subtask. It is called from one goroutine;
// Commit and AbortExcept touch only files it has handed over in a
// committable (or, before it opens, files of earlier runs).
type txWriter[T any] struct {
	s       *TransactionalSink[T]
	subtask int
	token   string // unique per writer: staged names never collide
	bytes   int64  // connector.BytesWriter
	enc     func([]byte, T) ([]byte, error)
	header  []byte // starts every part file (CSV)
	part    func(T) string
	now     func() time.Time
	timed   bool // RollInterval or InactivityInterval set

	seq     uint64              // number of the next staged file
	parts   []*txPart           // open part files, in opening order
	byPart  map[string]*txPart  // open part file by partition
	last    *txPart             // the part file of the previous record
	pending []staged            // closed and fsynced, not yet in a committable
	handed  []StagedFile        // in a committable, not yet seen committed
	dirty   map[string]struct{} // directories whose entries changed since the last PreCommit
	known   map[string]bool     // partitions whose directory exists
	writes  int                 // records since the last clock read
	spare   []byte              // the buffer of the last closed part file

	err      error // sticky: an I/O error left a part file in an unknown state
	closed   bool
	closeErr error
}

// txPart is an open staged part file.
type txPart struct {
	partition string
	dir       string
	name      string
	seq       uint64
	f         *os.File
	buf       []byte
	size      int64 // bytes written plus buffered
	records   int64
	opened    time.Time // for RollInterval
	seen      time.Time // last clock read after a record, for InactivityInterval
	active    bool      // records arrived since the last clock read
}

// staged is a closed, fsynced part file waiting for PreCommit.
type staged struct {
	partition, name string
	seq             uint64
	size            int64
}

// BytesWritten implements connector.BytesWriter.
func (w *txWriter[T]) BytesWritten() int64 { return w.bytes }

// ReleasesRecords: Write encodes the record into the part file's buffer at
// once and keeps nothing of it, when the sink's Encoder and partition
// function keep nothing either (KeepsNoRecords; connector.RecordReleaser).
func (w *txWriter[T]) ReleasesRecords() bool { return w.s.opts.KeepsNoRecords }

func (w *txWriter[T]) Write(v T, _ int64) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("strom: file sink %s: write after Close", w.s.dir)
	}
	p := w.last
	if w.part != nil {
		if key := w.part(v); p == nil || p.partition != key {
			if p = w.byPart[key]; p == nil {
				var err error
				if p, err = w.openPart(key); err != nil {
					return err
				}
			}
			w.last = p
		}
	} else if p == nil {
		var err error
		if p, err = w.openPart(""); err != nil {
			return err
		}
		w.last = p
	}
	n := len(p.buf)
	buf, err := w.enc(p.buf, v)
	if err != nil {
		p.buf = buf[:n]
		return fmt.Errorf("strom: file sink %s: cannot encode %T: %w", filepath.Join(p.dir, p.name), v, err)
	}
	p.buf = buf
	p.size += int64(len(buf) - n)
	w.bytes += int64(len(buf) - n)
	p.records++
	p.active = true
	if len(p.buf) >= w.s.opts.BufferBytes || len(p.buf) >= DefaultBufferBytes && len(w.parts) > manyParts {
		if err := w.writeBuf(p); err != nil {
			return err
		}
	}
	if p.size >= w.s.opts.RollSize {
		if err := w.closePart(p); err != nil {
			return err
		}
	}
	if w.timed {
		if w.writes++; w.writes >= clockEvery {
			return w.checkClock()
		}
	}
	return nil
}

// openPart opens a new staged part file in partition.
func (w *txWriter[T]) openPart(partition string) (*txPart, error) {
	if err := validPartition(partition); err != nil {
		return nil, fmt.Errorf("strom: file sink %s: Partition returned %q for a record: %v", w.s.dir, partition, err)
	}
	dir := w.s.partitionDir(partition)
	if !w.known[partition] {
		if err := mkdirDurable(dir, w.dirty); err != nil {
			return nil, err
		}
		w.known[partition] = true
	}
	name := w.s.stagedName(w.subtask, w.token, w.seq)
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("strom: file sink: %w", err)
	}
	p := &txPart{partition: partition, dir: dir, name: name, seq: w.seq, f: f, buf: w.spare[:0]}
	w.spare = nil
	w.seq++
	w.dirty[dir] = struct{}{}
	p.buf = append(p.buf, w.header...)
	p.size = int64(len(w.header))
	if w.timed {
		p.opened = w.now()
		p.seen = p.opened
	}
	w.parts = append(w.parts, p)
	w.byPart[partition] = p
	return p, nil
}

// mkdirDurable creates dir and its missing parents and adds the
// directories whose entries it changed to dirty: they must be fsynced
// before files in the new directories are committed.
func mkdirDurable(dir string, dirty map[string]struct{}) error {
	var missing []string
	for d := dir; ; {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("strom: file sink: %w", err)
		}
		missing = append(missing, d)
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	if len(missing) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("strom: file sink: %w", err)
	}
	for _, d := range missing {
		dirty[filepath.Dir(d)] = struct{}{}
	}
	return nil
}

// writeBuf writes p's buffer to its file (no fsync).
func (w *txWriter[T]) writeBuf(p *txPart) error {
	if len(p.buf) == 0 {
		return nil
	}
	if _, err := p.f.Write(p.buf); err != nil {
		// Part of the buffer may be in the file: the writer cannot go on.
		w.err = fmt.Errorf("strom: file sink %s: %w", filepath.Join(p.dir, p.name), err)
		return w.err
	}
	p.buf = p.buf[:0]
	return nil
}

// closePart writes, fsyncs and closes p and moves it to pending. A part
// file without records (its first record did not encode) is removed.
func (w *txWriter[T]) closePart(p *txPart) error {
	if i := slices.Index(w.parts, p); i >= 0 {
		w.parts = slices.Delete(w.parts, i, i+1)
	}
	delete(w.byPart, p.partition)
	if w.last == p {
		w.last = nil
	}
	path := filepath.Join(p.dir, p.name)
	if p.records == 0 {
		_ = p.f.Close()
		if err := os.Remove(path); err != nil {
			w.err = fmt.Errorf("strom: file sink: %w", err)
		}
		return w.err
	}
	err := w.writeBuf(p)
	if err == nil {
		if serr := p.f.Sync(); serr != nil {
			err = fmt.Errorf("strom: file sink %s: fsync: %w", path, serr)
		}
	}
	if cerr := p.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("strom: file sink %s: %w", path, cerr)
	}
	if err != nil {
		w.err = err
		return err
	}
	w.spare = p.buf[:0]
	w.pending = append(w.pending, staged{partition: p.partition, name: p.name, seq: p.seq, size: p.size})
	return nil
}

// checkClock reads the clock once and closes the part files that are due
// by RollInterval or InactivityInterval.
func (w *txWriter[T]) checkClock() error {
	w.writes = 0
	now := w.now()
	roll, idle := w.s.opts.RollInterval, w.s.opts.InactivityInterval
	for i := 0; i < len(w.parts); {
		p := w.parts[i]
		if p.active {
			p.seen, p.active = now, false
		}
		if roll > 0 && now.Sub(p.opened) >= roll || idle > 0 && now.Sub(p.seen) >= idle {
			if err := w.closePart(p); err != nil {
				return err
			}
			continue // closePart removed parts[i]
		}
		i++
	}
	return nil
}

// Flush writes the buffered records to their staged part files without
// fsync and closes part files due by time. Nothing becomes visible: only
// Commit does that.
func (w *txWriter[T]) Flush(context.Context) error {
	if w.closed {
		return w.closeErr
	}
	if w.err != nil {
		return w.err
	}
	for _, p := range w.parts {
		if err := w.writeBuf(p); err != nil {
			return err
		}
	}
	if w.timed {
		return w.checkClock()
	}
	return nil
}

// PreCommit closes and fsyncs every open part file, fsyncs the directories
// whose entries changed, and returns the committable of the part files
// closed since the previous PreCommit (nil if there are none). It also
// lists again the files of earlier committables that are still staged, so
// that the output of a checkpoint that failed after this writer's
// PreCommit is committed with the next checkpoint that completes.
func (w *txWriter[T]) PreCommit(_ context.Context, checkpointID int64) ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.closed {
		return nil, fmt.Errorf("strom: file sink %s: PreCommit after Close", w.s.dir)
	}
	if checkpointID < 0 {
		return nil, fmt.Errorf("strom: file sink %s: negative checkpoint id %d", w.s.dir, checkpointID)
	}
	for len(w.parts) > 0 {
		if err := w.closePart(w.parts[0]); err != nil {
			return nil, err
		}
	}
	dirs := make([]string, 0, len(w.dirty))
	for d := range w.dirty {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			w.err = err
			return nil, err
		}
	}
	clear(w.dirty)
	clear(w.known)
	w.known[""] = true
	// Files handed over by an earlier PreCommit that are still staged: their
	// checkpoint failed (and nothing else would ever commit them) or its
	// Commit has not run yet. Listing them again is safe, Commit being
	// idempotent per file; once a file is seen renamed it is dropped.
	carried := w.handed[:0]
	for _, f := range w.handed {
		_, err := os.Lstat(filepath.Join(w.s.partitionDir(f.Partition), f.Staged))
		if err == nil {
			carried = append(carried, f)
		} else if !errors.Is(err, fs.ErrNotExist) {
			w.err = fmt.Errorf("strom: file sink: %w", err)
			return nil, w.err
		}
	}
	w.handed = carried
	if len(w.pending) == 0 && len(w.handed) == 0 {
		return nil, nil
	}
	slices.SortFunc(w.pending, func(a, b staged) int { return cmp.Compare(a.seq, b.seq) })
	c := Committable{Dir: w.s.absDir(), Subtask: w.subtask, Checkpoint: checkpointID, Files: slices.Clone(w.handed)}
	for i, sp := range w.pending {
		final := w.s.FinalName(w.subtask, checkpointID, i)
		// Commit never overwrites a file; finding one now (a run restored
		// from an older checkpoint into a used directory) fails the
		// checkpoint instead of every restore from it. The files stay
		// pending: a later PreCommit tries again under its own id.
		if _, err := os.Lstat(filepath.Join(w.s.partitionDir(sp.partition), final)); !errors.Is(err, fs.ErrNotExist) {
			if err == nil {
				err = collisionError(filepath.Join(w.s.partitionDir(sp.partition), final))
			}
			return nil, fmt.Errorf("strom: file sink: checkpoint %d: %w", checkpointID, err)
		}
		c.Files = append(c.Files, StagedFile{Partition: sp.partition, Staged: sp.name, Final: final, Size: sp.size})
	}
	w.pending = w.pending[:0]
	w.handed = append(w.handed[:0], c.Files...)
	return c.appendBinary(nil), nil
}

func collisionError(final string) error {
	return fmt.Errorf("final file %s exists already and will not be overwritten; "+
		"was the job restored from a checkpoint older than the last completed one into the same directory, "+
		"or run again into it (a job without checkpoints, or with a new checkpoint directory, numbers its transactions from 1 again)? "+
		"Use a new Prefix (SQL: 'sink.part-prefix') or an empty Dir", final)
}

// Close writes the buffered records to their staged part files and closes
// them without fsync. Staged files not in a committable stay behind as
// hidden *.inprogress files until AbortExcept removes them at the next job
// start. Close is idempotent.
func (w *txWriter[T]) Close() error {
	if w.closed {
		return w.closeErr
	}
	w.closed = true
	err := w.err
	for _, p := range w.parts {
		if err == nil {
			err = w.writeBuf(p)
		}
		if cerr := p.f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("strom: file sink %s: %w", filepath.Join(p.dir, p.name), cerr)
		}
	}
	w.parts, w.byPart, w.last, w.pending, w.handed, w.spare = nil, nil, nil, nil, nil, nil
	w.closeErr = err
	return err
}

// Commit renames the staged part files of committables to their final
// names, in order, and fsyncs their directories. A file whose final name
// exists and whose staged name is gone was committed before (no-op); one
// where neither exists is an error wrapping ErrDataLost; one where both
// exist is an error (Commit never overwrites). All committables are decoded
// before anything is renamed.
func (s *TransactionalSink[T]) Commit(ctx context.Context, committables [][]byte) error {
	if err := s.ready(); err != nil {
		return err
	}
	cs, err := decodeAll(committables)
	if err != nil {
		return err
	}
	var dirs []string
	own := s.absDir()
	for _, c := range cs {
		for _, f := range c.Files {
			if err := ctx.Err(); err != nil {
				return err
			}
			dir, done := s.partitionDir(f.Partition), false
			if c.Dir != "" && c.Dir != own {
				// Staged by this sink when its directory was c.Dir (a
				// restore into a table whose 'path' changed): the files
				// are committed, or found committed, where they were
				// written. When neither is there (the output directory
				// was moved or renamed, mounted elsewhere, or a relative
				// path read from another working directory), they are
				// looked for in the sink's own directory, as a version 1
				// committable's are.
				old := filepath.Join(c.Dir, filepath.FromSlash(f.Partition))
				switch err := commitFile(c, f, old); {
				case err == nil:
					dir, done = old, true
				case !errors.Is(err, ErrDataLost):
					return err
				}
			}
			if !done {
				if err := commitFile(c, f, dir); err != nil {
					return err
				}
			}
			if !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
		}
	}
	// Also after a no-op: the rename of an earlier attempt may not be
	// durable yet.
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

func commitFile(c Committable, f StagedFile, dir string) error {
	staged, final := filepath.Join(dir, f.Staged), filepath.Join(dir, f.Final)
	where := fmt.Sprintf("checkpoint %d, subtask %d", c.Checkpoint, c.Subtask)
	fi, serr := os.Lstat(staged)
	_, ferr := os.Lstat(final)
	switch {
	case serr == nil:
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("strom: file sink: commit %s: staged file %s is not a regular file", where, staged)
		}
		if fi.Size() != f.Size {
			return fmt.Errorf("strom: file sink: commit %s: staged file %s has %d bytes, PreCommit wrote %d: it was modified or truncated; not committing it",
				where, staged, fi.Size(), f.Size)
		}
		if ferr == nil {
			return fmt.Errorf("strom: file sink: commit %s: %w", where, collisionError(final))
		}
		if !errors.Is(ferr, fs.ErrNotExist) {
			return fmt.Errorf("strom: file sink: commit %s: %w", where, ferr)
		}
		if err := os.Rename(staged, final); err != nil {
			return fmt.Errorf("strom: file sink: commit %s: %w", where, err)
		}
		return nil
	case !errors.Is(serr, fs.ErrNotExist):
		return fmt.Errorf("strom: file sink: commit %s: %w", where, serr)
	case ferr == nil:
		return nil // committed before
	case errors.Is(ferr, fs.ErrNotExist):
		return fmt.Errorf("%w: commit %s: neither the staged file %s nor the final file %s exists (%d bytes of output of a completed checkpoint are gone)",
			ErrDataLost, where, staged, final, f.Size)
	default:
		return fmt.Errorf("strom: file sink: commit %s: %w", where, ferr)
	}
}

func decodeAll(committables [][]byte) ([]Committable, error) {
	cs := make([]Committable, 0, len(committables))
	for i, b := range committables {
		if len(b) == 0 {
			continue // a writer with nothing to commit
		}
		c, err := DecodeCommittable(b)
		if err != nil {
			return nil, fmt.Errorf("committable %d: %w", i, err)
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// finalCheckpoint returns the checkpoint id in a final part file name of
// this sink (<Prefix>-<subtask>-<checkpoint>-<n>.<ext>).
func (s *TransactionalSink[T]) finalCheckpoint(name string) (int64, bool) {
	rest, ok := strings.CutPrefix(name, s.opts.Prefix+"-")
	if !ok {
		return 0, false
	}
	if rest, ok = strings.CutSuffix(rest, "."+s.ext); !ok {
		return 0, false
	}
	f := strings.Split(rest, "-")
	if len(f) != 3 || !isDecimal(f[0]) || !isDecimal(f[1]) || !isDecimal(f[2]) {
		return 0, false
	}
	id, err := strconv.ParseInt(f[1], 10, 64)
	return id, err == nil
}

// keptPaths decodes committables and returns the paths (name picks the
// staged or the final name) of the files they list.
func (s *TransactionalSink[T]) keptPaths(keep [][]byte, name func(StagedFile) string) (map[string]bool, error) {
	cs, err := decodeAll(keep)
	if err != nil {
		return nil, err
	}
	kept := make(map[string]bool)
	for _, c := range cs {
		for _, f := range c.Files {
			kept[filepath.Join(s.partitionDir(f.Partition), name(f))] = true
		}
	}
	return kept, nil
}

// RewindTo implements connector.Rewinder: it deletes the visible part files
// of checkpoints after checkpointID (by the checkpoint id in their names)
// that no committable in keep lists, in Dir and its subdirectories, so the
// replay from checkpointID writes them again exactly once. Like
// AbortExcept it runs before any writer opens.
func (s *TransactionalSink[T]) RewindTo(ctx context.Context, checkpointID int64, keep [][]byte) error {
	if err := s.ready(); err != nil {
		return err
	}
	kept, err := s.keptPaths(keep, func(f StagedFile) string { return f.Final })
	if err != nil {
		return err
	}
	var dirs []string
	err = s.walk(ctx, func(path string, name string) error {
		id, ok := s.finalCheckpoint(name)
		if !ok || id <= checkpointID || kept[path] {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if d := filepath.Dir(path); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
		return nil
	})
	if err == nil {
		for _, d := range dirs {
			if err = syncDir(d); err != nil {
				break
			}
		}
	}
	if err != nil {
		return fmt.Errorf("strom: file sink: rewind to checkpoint %d: %w", checkpointID, err)
	}
	return nil
}

// walk calls fn for every regular file in Dir and its subdirectories, not
// entering directories whose names start with '.' and not following
// symbolic links. A missing Dir has no files.
func (s *TransactionalSink[T]) walk(ctx context.Context, fn func(path, name string) error) error {
	return filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == s.dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll // nothing was ever written
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if path != s.dir && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return fn(path, d.Name())
	})
}

// AbortExcept deletes the staged part files of this sink (names of the
// staging pattern with this Prefix) in Dir and its subdirectories that no
// committable in keep lists. Directories starting with '.' are not entered,
// symbolic links not followed. It must run before any writer of the sink
// opens: it cannot tell an open part file from a stale one.
func (s *TransactionalSink[T]) AbortExcept(ctx context.Context, keep [][]byte) error {
	if err := s.ready(); err != nil {
		return err
	}
	kept, err := s.keptPaths(keep, func(f StagedFile) string { return f.Staged })
	if err != nil {
		return err
	}
	err = s.walk(ctx, func(path, name string) error {
		if !s.isStaged(name) || kept[path] {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("strom: file sink: abort: %w", err)
	}
	return nil
}
