package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
	// written with their sizes, and stores it last: when it returns nil,
	// checkpoint m.ID is complete and durable. It fails with ErrExists when
	// the checkpoint is complete already.
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
	// are, without falling back: the checkpoint may be fine. With no valid
	// checkpoint it returns an error wrapping ErrNoCheckpoint.
	LoadLatest(ctx context.Context, logf func(format string, args ...any)) (*Metadata, error)
	// Delete removes checkpoint id, complete or not; it is not an error when
	// it does not exist. The checkpoint stops being complete before any of
	// its files is removed.
	Delete(ctx context.Context, id int64) error
	// Retain deletes all but the newest n (at least 1) complete checkpoints,
	// and the incomplete ones older than the newest complete one (attempts
	// that failed or crashed), but none that a kept complete checkpoint
	// references and none in keep: the checkpoints in flight (complete or
	// not yet) and those their files reference, which a newer checkpoint
	// completing first need not reference (MaxConcurrent > 1).
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

// protectReferenced removes from drop the checkpoints that a kept complete
// checkpoint references (the base and delta files of its chains live in
// their directories). complete are the ids of the complete checkpoints,
// ascending; also are checkpoints the caller keeps (Retain's keep). A kept
// checkpoint whose metadata is corrupt or missing cannot
// be restored, so what it references needs no protection; any other error
// is returned and nothing may be deleted.
func protectReferenced(ctx context.Context, s Storage, complete, drop, also []int64) ([]int64, error) {
	if len(drop) == 0 {
		return nil, nil
	}
	dropped := map[int64]bool{}
	for _, id := range drop {
		dropped[id] = true
	}
	keep := map[int64]bool{}
	for _, id := range also {
		keep[id] = true
	}
	for _, id := range complete {
		if dropped[id] {
			continue
		}
		m, err := s.Load(ctx, id)
		if err != nil {
			if errors.Is(err, ErrCorrupt) || errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("checkpoint: retention: reading chk-%d for the files it references: %w", id, err)
		}
		for _, r := range m.Referenced() {
			keep[r] = true
		}
	}
	out := drop[:0:0]
	for _, id := range drop {
		if !keep[id] {
			out = append(out, id)
		}
	}
	return out, nil
}
