package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/stromio/strom/internal/failpoint"
)

// FileSum is the size and CRC-32C of a stored file.
type FileSum struct {
	Size int64
	CRC  uint32
}

// SumWriter is implemented by a Storage that can take a file's size and CRC
// from its writer, which computed them while encoding it (KeyedWriter.Sum),
// instead of making another pass over the bytes (Local).
type SumWriter interface {
	// WriteFileSum is WriteFile of data whose size and CRC-32C are sum.
	WriteFileSum(ctx context.Context, id int64, name string, data []byte, sum FileSum) error
}

// StreamWriter is implemented by a Storage that can store a file written
// piece by piece (Local), so that a large file need not be held in memory
// whole: CreateFile starts file name of checkpoint id, and the FileWriter
// stores it as WriteFile would (durably, all or nothing) on Commit.
type StreamWriter interface {
	CreateFile(ctx context.Context, id int64, name string) (FileWriter, error)
}

// FileWriter is a file being written (StreamWriter). Exactly one of Commit
// and Abort must be called; Abort leaves no file.
type FileWriter interface {
	io.Writer
	// Commit stores the bytes written, whose size and CRC-32C the caller
	// computed as sum (as WriteFileSum: the size is checked, the CRC is
	// taken as it is).
	Commit(sum FileSum) error
	Abort()
}

// WriteSummed writes data, whose size and CRC-32C the caller computed as
// sum, through st: without another CRC pass when st is a SumWriter, else
// with WriteFile, whose sum must then agree. It returns the file's sum.
func WriteSummed(ctx context.Context, st Storage, id int64, name string, data []byte, sum FileSum) (FileSum, error) {
	if sw, ok := st.(SumWriter); ok {
		if err := sw.WriteFileSum(ctx, id, name, data, sum); err != nil {
			return FileSum{}, err
		}
		return sum, nil
	}
	got, err := st.WriteFile(ctx, id, name, data)
	if err != nil {
		return FileSum{}, err
	}
	if got != sum {
		return FileSum{}, fmt.Errorf("checkpoint: chk-%d/%s was written with size %d and CRC-32C %#08x, its writer computed %d and %#08x", id, name, got.Size, got.CRC, sum.Size, sum.CRC)
	}
	return got, nil
}

// ErrNoCheckpoint is returned by LoadLatest when there is no checkpoint to
// restore. When complete checkpoints exist but all are corrupt, the error
// also wraps ErrCorrupt (errors.Is(err, ErrCorrupt) tells "empty" from "all
// corrupt"), and its message names the newest one and why it failed.
var ErrNoCheckpoint = errors.New("checkpoint: no valid checkpoint")

// ErrExists is returned when writing into a checkpoint that is complete
// already: a complete checkpoint is never modified, only deleted.
var ErrExists = errors.New("checkpoint: checkpoint is already complete")

// Storage is where checkpoints (or savepoints) live. The local
// implementation is Local; the interface uses only what an object store
// offers as well (put and get of whole objects, list, delete), so an S3
// implementation fits it: files are objects under a "chk-<id>/" prefix and
// the _metadata object, put last, marks the checkpoint complete.
//
// Every method is safe for concurrent use. Errors about a file that does
// not exist satisfy errors.Is(err, fs.ErrNotExist); errors about bytes that
// fail validation wrap ErrCorrupt.
type Storage interface {
	// WriteFile durably stores the file name (see ValidName) of checkpoint
	// id, all or nothing, and returns its size and CRC for the metadata.
	// Writing a name again replaces it. It fails with ErrExists once the
	// checkpoint is complete. It keeps no reference to data after it
	// returns (the caller reuses the buffer).
	WriteFile(ctx context.Context, id int64, name string, data []byte) (FileSum, error)
	// ReadFile reads the file name of checkpoint id. With want, the file's
	// size and CRC must match it (a metadata entry: KeyedFile.Sum).
	ReadFile(ctx context.Context, id int64, name string, want *FileSum) ([]byte, error)
	// CommitMetadata validates m, checks that the files it references were
	// written with their sizes (and, outside its own directory, lie in a
	// complete checkpoint's directory or are links of a complete
	// checkpoint's chains: checkReferences), and stores it last: when it
	// returns nil, checkpoint m.ID is complete and durable. It fails with
	// ErrExists when the checkpoint is complete already.
	CommitMetadata(ctx context.Context, m *Metadata) error
	// List returns the ids of the complete checkpoints, ascending. Their
	// files are not read.
	List(ctx context.Context) ([]int64, error)
	// Load reads, decodes and validates the metadata of checkpoint id (not
	// the files it references: see Verify).
	Load(ctx context.Context, id int64) (*Metadata, error)
	// LoadLatest returns the newest complete checkpoint whose metadata and
	// referenced files all validate (every file is read in full and its CRC
	// checked). A newer checkpoint that is corrupt or has a missing file is
	// skipped with a log line through logf (nil: no logging) naming it and
	// the reason. Other errors (I/O, canceled context) are returned as they
	// are, without falling back: the checkpoint may be fine. So is a
	// checkpoint of a newer build (ErrNewerVersion: never a fallback, never
	// ErrNoCheckpoint). With no valid checkpoint it returns an error
	// wrapping ErrNoCheckpoint.
	LoadLatest(ctx context.Context, logf func(format string, args ...any)) (*Metadata, error)
	// Delete removes checkpoint id, complete or not, with all its files
	// (whether or not newer checkpoints reference them: retention is what
	// respects references); it is not an error when it does not exist.
	// The checkpoint stops being complete before any of its files is
	// removed.
	Delete(ctx context.Context, id int64) error
	// Retain subsumes all but the newest n (at least 1) complete
	// checkpoints: their metadata is removed first, so they are no longer
	// checkpoints (never listed, restored from or reported as corrupt),
	// then their files, except those that the chains of the checkpoints
	// still complete reference, which stay in their directory until no
	// chain does. Directories without metadata older than the newest
	// complete checkpoint (attempts that failed or crashed, and subsumed
	// checkpoints) are pruned the same way. Nothing in keep is touched:
	// the checkpoints in flight (complete or not yet) and those their files
	// reference, which a newer checkpoint completing first need not
	// reference (MaxConcurrent > 1); a complete one in keep stays complete.
	// A checkpoint of a newer build (ErrNewerVersion in its metadata),
	// kept or to be subsumed, stops it before anything is removed.
	Retain(ctx context.Context, n int, keep ...int64) error
}

// Verify loads the metadata of checkpoint id and checks every file it
// references (the links of incremental chains too, in the directories of
// older checkpoints): present, of the recorded size and CRC, and a keyed state file
// of the recorded key-group range. It reads each file in full, one at a
// time.
func Verify(ctx context.Context, s Storage, id int64) (*Metadata, error) {
	m, err := s.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, op := range m.Operators {
		for _, f := range op.Keyed {
			for _, l := range f.Links(id) {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				sum := l.Sum()
				data, err := s.ReadFile(ctx, l.Dir, l.Name, &sum)
				if err != nil {
					return nil, fmt.Errorf("operator %q: %w", op.UID, err)
				}
				start, end, _, err := DecodeKeyed(data)
				if err != nil {
					return nil, fmt.Errorf("operator %q: file chk-%d/%s: %w", op.UID, l.Dir, l.Name, err)
				}
				if start != f.Start || end != f.End {
					return nil, corruptf("operator %q: file chk-%d/%s holds key groups [%d,%d), the metadata says [%d,%d)", op.UID, l.Dir, l.Name, start, end, f.Start, f.End)
				}
			}
		}
	}
	return m, nil
}

// loadLatest implements Storage.LoadLatest on top of List and Verify.
// where names the storage in messages; emptyNote is appended to the
// message of an empty storage.
func loadLatest(ctx context.Context, s Storage, where, emptyNote string, logf func(string, ...any)) (*Metadata, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ids, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w in %s: there is no complete checkpoint%s", ErrNoCheckpoint, where, emptyNote)
	}
	var newest error
	for i := len(ids) - 1; i >= 0; i-- {
		id := ids[i]
		m, err := Verify(ctx, s, id)
		if err == nil {
			if newest != nil {
				logf("checkpoint: restoring from chk-%d in %s after skipping %d newer corrupt checkpoint(s)", id, where, len(ids)-1-i)
			}
			return m, nil
		}
		if errors.Is(err, ErrNewerVersion) {
			return nil, newerRefusal(id, where, err)
		}
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("checkpoint: loading chk-%d in %s: %w", id, where, err)
		}
		logf("checkpoint: CORRUPT checkpoint chk-%d in %s, skipping it and falling back to an older one: %v", id, where, err)
		if newest == nil {
			newest = fmt.Errorf("chk-%d: %w", id, err)
		}
	}
	return nil, fmt.Errorf("%w in %s: all %d complete checkpoints are corrupt; the newest, %w", ErrNoCheckpoint, where, len(ids), newest)
}

// newerRefusal is the error of LoadLatest about checkpoint id, which a
// newer build wrote (err wraps ErrNewerVersion, never ErrNoCheckpoint).
func newerRefusal(id int64, where string, err error) error {
	return &NewerError{ID: id, Where: where, Err: err}
}

// NewerError is LoadLatest's refusal of checkpoint ID in the storage
// Where, which a newer build of strom wrote: Err (the cause) wraps
// ErrNewerVersion. Its message tells what to do about a checkpoint
// directory; a savepoint's refusal words its own advice from ID and Err.
type NewerError struct {
	ID    int64
	Where string
	Err   error
}

func (e *NewerError) Error() string {
	return fmt.Sprintf("checkpoint: chk-%d in %s was written by a newer version of strom than this one (%v); "+
		"refusing to restore from it, to fall back to an older checkpoint or to start from empty state, "+
		"which would lose or repeat output: run the strom that wrote it (or a newer one), "+
		"or move %s away to start this job afresh", e.ID, e.Where, e.Err, e.Where)
}

func (e *NewerError) Unwrap() error { return e.Err }

// retainer is what retain needs of a storage: its directories, and the two
// steps of pruning them.
type retainer interface {
	Storage
	// scan returns the ids of the complete checkpoints and of the other
	// chk-<id> directories (incomplete attempts, and directories of
	// subsumed checkpoints kept for files newer ones reference), ascending.
	scan(ctx context.Context) (complete, incomplete []int64, err error)
	// subsume durably removes the metadata of checkpoint id (absent: no
	// error): it is no longer a checkpoint; its files stay.
	subsume(ctx context.Context, id int64) error
	// collect removes the files of directory chk-<id> whose names are not
	// in keep, and the directory itself when keep is empty.
	collect(ctx context.Context, id int64, keep map[string]bool) error
}

// retain implements Storage.Retain, as Flink treats subsumed checkpoints:
// a complete checkpoint beyond the newest n (and not in keep) is subsumed,
// its metadata removed first, so it is never listed, restored from or
// reported as corrupt; then every directory without metadata older than the
// newest complete checkpoint (subsumed now or before, or an attempt that
// failed or crashed) loses the files that no listed checkpoint's chains
// reference, and goes when none is referenced. Directories in keep (the
// checkpoints in flight and every directory their chains use) are not
// touched, and a complete checkpoint in keep stays a checkpoint (so that
// what it references stays protected until a later round).
//
// The references are read before anything is removed: a checkpoint that
// stays listed has all its files (its own directory is not touched, the
// links into other directories are in refs), whatever step a crash stops
// at. A listed checkpoint whose metadata is corrupt or missing cannot be
// restored, so what it references needs no protection; any other error
// reading one stops retention before anything is removed.
func retain(ctx context.Context, s retainer, n int, keep []int64) error {
	if n < 1 {
		return fmt.Errorf("checkpoint: Retain(%d): at least one checkpoint must be kept", n)
	}
	complete, incomplete, err := s.scan(ctx)
	if err != nil || len(complete) == 0 {
		return err
	}
	kept := map[int64]bool{}
	for _, id := range keep {
		kept[id] = true
	}
	var subsumed, listed []int64
	for i, id := range complete {
		if i < len(complete)-n && !kept[id] {
			subsumed = append(subsumed, id)
		} else {
			listed = append(listed, id)
		}
	}
	refs := map[int64]map[string]bool{} // directory -> names the listed checkpoints' chains use
	// A checkpoint of a newer build (its metadata's version) stops
	// retention before anything is removed: what it references cannot be
	// read here, and it is not this build's to subsume.
	for _, id := range subsumed {
		if _, err := s.Load(ctx, id); errors.Is(err, ErrNewerVersion) {
			return retainRefusal(id, err)
		}
	}
	for _, id := range listed {
		m, err := s.Load(ctx, id)
		if err != nil {
			if errors.Is(err, ErrNewerVersion) {
				return retainRefusal(id, err)
			}
			if errors.Is(err, ErrCorrupt) || errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return fmt.Errorf("checkpoint: retention: reading chk-%d for the files it references: %w", id, err)
		}
		for _, op := range m.Operators {
			for _, f := range op.Keyed {
				for _, l := range f.Links(id) {
					if l.Dir == id {
						continue
					}
					if refs[l.Dir] == nil {
						refs[l.Dir] = map[string]bool{}
					}
					refs[l.Dir][l.Name] = true
				}
			}
		}
	}
	for _, id := range subsumed {
		if err := s.subsume(ctx, id); err != nil {
			return err
		}
	}
	if len(subsumed) > 0 {
		failpoint.Hit("checkpoint-delete")
	}
	newest := complete[len(complete)-1]
	garbage := subsumed
	for _, id := range incomplete {
		if id < newest && !kept[id] {
			garbage = append(garbage, id)
		}
	}
	slices.Sort(garbage)
	for _, id := range garbage {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.collect(ctx, id, refs[id]); err != nil {
			return err
		}
	}
	return nil
}

// retainRefusal is the error of a retention that met checkpoint id of a
// newer build (err wraps ErrNewerVersion).
func retainRefusal(id int64, err error) error {
	return fmt.Errorf("checkpoint: retention: chk-%d was written by a newer version of strom (%w); nothing removed", id, err)
}

// checkReferences is CommitMetadata's check of what m references outside
// its own directory: a file in the directory of a complete checkpoint, or a
// link of the chains of a complete checkpoint (one whose chains m extends
// or reuses, whose older links may live in directories of checkpoints
// subsumed since: retention keeps the files that a complete checkpoint's
// chains use). So a chain never builds on files of an attempt that did not
// complete, nor on files retention may remove. complete reports whether a
// checkpoint is complete.
func checkReferences(ctx context.Context, s Storage, m *Metadata, where string, complete func(int64) (bool, error)) error {
	var done, other []int64
	for _, ref := range m.Referenced() {
		ok, err := complete(ref)
		if err != nil {
			return fmt.Errorf("checkpoint: committing chk-%d in %s: %w", m.ID, where, err)
		}
		if ok {
			done = append(done, ref)
		} else {
			other = append(other, ref)
		}
	}
	if len(other) == 0 {
		return nil
	}
	var need []FileRef // links into directories without metadata
	for _, op := range m.Operators {
		for _, f := range op.Keyed {
			for _, l := range f.Links(m.ID) {
				if slices.Contains(other, l.Dir) {
					need = append(need, l)
				}
			}
		}
	}
	// The complete checkpoints m references first (the chains m extends
	// hold the links in the common case), then every other one.
	used := map[FileRef]bool{}
	covered := func() bool {
		return !slices.ContainsFunc(need, func(l FileRef) bool { return !used[l] })
	}
	add := func(id int64) error {
		cm, err := s.Load(ctx, id)
		if errors.Is(err, ErrCorrupt) || errors.Is(err, fs.ErrNotExist) {
			return nil // not a restore point: what it uses is not protected
		}
		if err != nil {
			return fmt.Errorf("checkpoint: committing chk-%d in %s: reading chk-%d for the files its chains use: %w", m.ID, where, id, err)
		}
		for _, op := range cm.Operators {
			for _, f := range op.Keyed {
				for _, l := range f.Links(id) {
					used[l] = true
				}
			}
		}
		return nil
	}
	for _, id := range done {
		if err := add(id); err != nil {
			return err
		}
	}
	if !covered() {
		ids, err := s.List(ctx)
		if err != nil {
			return fmt.Errorf("checkpoint: committing chk-%d in %s: %w", m.ID, where, err)
		}
		for _, id := range ids {
			if id == m.ID || slices.Contains(done, id) {
				continue
			}
			if err := add(id); err != nil {
				return err
			}
		}
	}
	for _, l := range need {
		if !used[l] {
			return fmt.Errorf("checkpoint: refusing to commit chk-%d in %s: it references chk-%d/%s, but chk-%d is not a complete checkpoint and no complete checkpoint's chains use the file",
				m.ID, where, l.Dir, l.Name, l.Dir)
		}
	}
	return nil
}

// noMetadataNote is LoadLatest's note on n chk-<id> directories without
// metadata.
func noMetadataNote(n int) string {
	return fmt.Sprintf(" (%d incomplete attempt(s) or subsumed checkpoint(s) without %s ignored)", n, MetadataFile)
}
