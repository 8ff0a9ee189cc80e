package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/vfs"
)

// ErrStopped is what Wait returns after a stop-with-savepoint: the
// savepoint completed and the job was then stopped on purpose.
var ErrStopped = errors.New("cluster: job stopped with a savepoint")

// SavepointResult describes a completed savepoint.
type SavepointResult struct {
	// Dir is the savepoint directory (a self-contained checkpoint storage
	// holding one checkpoint of kind savepoint).
	Dir string
	// CheckpointID is the id of the checkpoint the savepoint copies; it is
	// also a complete checkpoint of the job's checkpoint storage.
	CheckpointID int64
	// Bytes is the size of the state written.
	Bytes int64
}

// spRequest is a savepoint asked of the coordinator loop.
type spRequest struct {
	dir   string
	stop  bool
	reply chan spReply // buffered (1): the loop never blocks on it
}

type spReply struct {
	res SavepointResult
	err error
}

// Savepoint takes a savepoint of the running job into dir, an empty or
// missing directory: a checkpoint is triggered at once (through the same
// barriers as periodic ones, so its sink transactions are committed), and
// when it completed its metadata and state files are copied into dir as a
// savepoint. With stop, the job is stopped right after the savepoint
// completed and Wait returns ErrStopped. It needs checkpoints to be on.
func (j *Job) Savepoint(ctx context.Context, dir string, stop bool) (SavepointResult, error) {
	if j.coord == nil {
		return SavepointResult{}, errors.New("savepoints need checkpoints: run the job with a checkpoint directory")
	}
	if dir == "" {
		return SavepointResult{}, errors.New("savepoint: no target directory given")
	}
	target, err := checkpoint.Open(vfs.OS{}, dir)
	if err != nil {
		return SavepointResult{}, fmt.Errorf("savepoint: %w", err)
	}
	if ids, err := target.List(ctx); err != nil {
		return SavepointResult{}, fmt.Errorf("savepoint: %w", err)
	} else if len(ids) > 0 {
		return SavepointResult{}, fmt.Errorf("savepoint: %s already holds a checkpoint (chk-%d); give an empty or new directory", dir, ids[0])
	}
	req := &spRequest{dir: dir, stop: stop, reply: make(chan spReply, 1)}
	select {
	case j.coord.spReqs <- req:
	case <-j.done:
		return SavepointResult{}, errors.New("savepoint: the job has ended")
	case <-ctx.Done():
		return SavepointResult{}, ctx.Err()
	}
	select {
	case r := <-req.reply:
		return r.res, r.err
	case <-ctx.Done():
		// The savepoint may still complete; its directory is then valid.
		return SavepointResult{}, ctx.Err()
	}
}

// stopped marks the job as stopped with a savepoint and tears it down.
func (j *Job) stopWithSavepoint() {
	j.mu.Lock()
	if j.err == nil {
		j.err = ErrStopped
	}
	j.mu.Unlock()
	j.Cancel()
}

// writeSavepoint copies complete checkpoint m of the job's storage into a
// savepoint directory: state files first (every link of an incremental
// chain, wherever it lives), metadata (kind savepoint) last, self-contained.
func (c *coordinator) writeSavepoint(ctx context.Context, m *checkpoint.Metadata, bytes int64, dir string) (SavepointResult, error) {
	sp, err := checkpoint.OpenLogf(vfs.OS{}, dir, c.warnf)
	if err != nil {
		return SavepointResult{}, fmt.Errorf("savepoint: %w", err)
	}
	mm := *m
	mm.Kind = checkpoint.Savepoint
	mm.Operators = slices.Clone(m.Operators)
	for i := range mm.Operators {
		op := &mm.Operators[i]
		op.Keyed = slices.Clone(op.Keyed)
		for j := range op.Keyed {
			// Every link of an incremental chain is copied into the
			// savepoint's own directory (names are unique across a
			// checkpoint's chains: the base names its operator and subtask,
			// a delta also its checkpoint), so the savepoint references
			// nothing outside itself.
			f := &op.Keyed[j]
			for _, l := range f.Links(m.ID) {
				sum := l.Sum()
				data, err := c.opts.Storage.ReadFile(ctx, l.Dir, l.Name, &sum)
				if err != nil {
					return SavepointResult{}, fmt.Errorf("savepoint: read back chk-%d/%s for checkpoint %d: %w", l.Dir, l.Name, m.ID, err)
				}
				if _, err := sp.WriteFile(ctx, m.ID, l.Name, data); err != nil {
					return SavepointResult{}, fmt.Errorf("savepoint: %w", err)
				}
			}
			f.Dir = 0
			f.Deltas = slices.Clone(f.Deltas)
			for k := range f.Deltas {
				f.Deltas[k].Dir = 0
			}
		}
	}
	if err := sp.CommitMetadata(ctx, &mm); err != nil {
		return SavepointResult{}, fmt.Errorf("savepoint: %w", err)
	}
	return SavepointResult{Dir: dir, CheckpointID: m.ID, Bytes: bytes}, nil
}

// Lineage. Every checkpoint records in Metadata.JobFingerprint the run it
// belongs to: "<run id>" for a job started fresh, "<run id> from <origin run
// id>#<savepoint id>" for a job started from a savepoint. A restart after a
// crash continues the run of the checkpoint it restores (same fingerprint).
// With FromSavepoint, the checkpoint directory's own latest checkpoint is
// resumed only if it descends from that very savepoint; so a job started
// again with the same --from-savepoint after a crash resumes from its
// checkpoints, and a savepoint is never mixed up with checkpoints of
// another run.

func newRunID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

// runOf returns the run id of a fingerprint (its first word).
func runOf(fingerprint string) string {
	run, _, _ := strings.Cut(fingerprint, " ")
	return run
}

func descendant(origin *checkpoint.Metadata) string {
	return newRunID() + " from " + runOf(origin.JobFingerprint) + "#" + strconv.FormatInt(origin.ID, 10)
}

// descendsFrom reports whether a checkpoint with fingerprint fp belongs to a
// run started from savepoint sp.
func descendsFrom(fp string, sp *checkpoint.Metadata) bool {
	_, from, ok := strings.Cut(fp, " from ")
	return ok && from == runOf(sp.JobFingerprint)+"#"+strconv.FormatInt(sp.ID, 10)
}

// resolveFromSavepoint decides what a job started with FromSavepoint
// restores: the savepoint, or (after a crash of a run started from it) the
// latest checkpoint of the job's own storage. It sets opts.Restore and
// returns the storage to read the restored state from and the run's
// fingerprint.
func resolveFromSavepoint(opts *CheckpointOptions) (checkpoint.Storage, string, error) {
	ctx := context.Background()
	sp := opts.SavepointStorage
	if sp == nil {
		var err error
		if sp, err = checkpoint.Open(vfs.OS{}, opts.FromSavepoint); err != nil {
			return nil, "", fmt.Errorf("savepoint %s: %w", opts.FromSavepoint, err)
		}
	}
	spm, err := sp.LoadLatest(ctx, opts.Logf)
	var newer *checkpoint.NewerError
	if errors.As(err, &newer) {
		// Not the advice for a checkpoint directory (move it away): a
		// savepoint is restored by the strom that wrote it, or not at all.
		return nil, "", fmt.Errorf("savepoint %s (chk-%d) was written by a newer version of strom than this one (%w); "+
			"refusing to restore from it, which would lose or repeat output: restore it with the strom version that wrote it "+
			"(or a newer one), or start the job without --from-savepoint", opts.FromSavepoint, newer.ID, newer.Err)
	}
	if err != nil {
		return nil, "", fmt.Errorf("savepoint %s: %w", opts.FromSavepoint, err)
	}
	ids, err := opts.Storage.List(ctx)
	if err != nil {
		return nil, "", err
	}
	if len(ids) > 0 {
		m, err := opts.Storage.LoadLatest(ctx, opts.Logf)
		if err != nil {
			// Falling back to the savepoint could replay output that
			// checkpoints of this directory committed already.
			return nil, "", fmt.Errorf("%w; not falling back to savepoint %s, whose restore could duplicate committed output", err, opts.FromSavepoint)
		}
		if descendsFrom(m.JobFingerprint, spm) {
			opts.Logf("restoring from checkpoint %d (the run started from savepoint %s resumes)", m.ID, opts.FromSavepoint)
			opts.Restore = m
			return opts.Storage, m.JobFingerprint, nil
		}
		// The savepoint may be a checkpoint of this very directory (a
		// stop-with-savepoint): then the directory's checkpoints up to it
		// are its past; newer ones belong to a run that went on.
		if m.ID > spm.ID || runOf(m.JobFingerprint) != runOf(spm.JobFingerprint) {
			return nil, "", fmt.Errorf("the checkpoint directory already holds checkpoint %d of another run (not started from savepoint %s); "+
				"start from a savepoint with a new or empty checkpoint directory", m.ID, opts.FromSavepoint)
		}
	}
	opts.Logf("restoring from savepoint %s (checkpoint %d)", opts.FromSavepoint, spm.ID)
	opts.Restore = spm
	return sp, descendant(spm), nil
}
