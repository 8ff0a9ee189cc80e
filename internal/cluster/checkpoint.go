package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/failpoint"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/plan"
	"github.com/stromio/strom/internal/task"
	"github.com/stromio/strom/internal/vfs"
)

// CheckpointOptions turn on periodic checkpoints of a job.
type CheckpointOptions struct {
	// Dir is the local checkpoint directory (used when Storage is nil).
	Dir string
	// Storage keeps the checkpoints (default: a local directory at Dir).
	Storage checkpoint.Storage
	// Resume restores the job from the latest valid checkpoint in Storage
	// when there is one (Restore, when set, wins).
	Resume bool
	// AllowEmptyState lets a job with Resume start from empty state when
	// Storage holds checkpoints but none of them is valid.
	AllowEmptyState bool
	// Interval between two checkpoint triggers (default 1 s).
	Interval time.Duration
	// Timeout after which a pending checkpoint is abandoned (default 10 min).
	Timeout time.Duration
	// MinPause is the least time between the completion of a checkpoint
	// and the trigger of the next periodic one (default 0): a trigger due
	// earlier waits until the pause is over, and the interval counts from
	// it (Flink's execution.checkpointing.min-pause). Savepoints do not
	// wait for it.
	MinPause time.Duration
	// MaxConcurrent checkpoints pending at once (default 1): a periodic
	// trigger due while that many are pending is skipped; a savepoint
	// waits for a free slot.
	MaxConcurrent int
	// Retained complete checkpoints kept in Storage (default 2); older ones
	// are subsumed (Storage.Retain).
	Retained int
	// Restore is the checkpoint to start from (nil: a fresh start), read
	// from RestoreStorage (default: Storage).
	Restore        *checkpoint.Metadata
	RestoreStorage checkpoint.Storage
	// FromSavepoint is a savepoint directory to start from (Restore, when
	// set, wins). A job whose Storage holds checkpoints of a run started
	// from this savepoint resumes from them instead (a restart after a
	// crash); checkpoints of any other run make the start fail.
	FromSavepoint string
	// SavepointStorage opens FromSavepoint (default: a local directory).
	SavepointStorage checkpoint.Storage
	// AllowNonRestoredState lets a job start although the checkpoint has
	// state of operators (by uid) the job no longer has; that state is dropped.
	AllowNonRestoredState bool
	// Logf reports checkpoint failures and restores (default: discard).
	Logf func(format string, args ...any)
	// DisableIncremental makes every checkpoint write the whole keyed state.
	// By default a checkpoint writes, per keyed operator and subtask, only
	// the entries written and removed since the previous completed
	// checkpoint (a delta file) and references the older files of the
	// chain (docs/format/checkpoint.md §2.2), with a full base again after
	// MaxDeltas deltas, once the chain's files add up to more than twice
	// the state (the backend's size estimate, at least the base), or
	// when the previous checkpoint of the subtask did not complete.
	DisableIncremental bool
	// MaxDeltas bounds the deltas of a chain (default 64: with 1 s
	// checkpoints a state that only grows, as q9's, was rewritten in full
	// every 17 checkpoints at 16; the restore still reads at most about
	// twice the state, by the size rule).
	MaxDeltas int
	// BufferedStateWrites writes the state files of a local Dir through
	// the page cache (checkpoint.Local.SetBufferedWrites); by default they
	// go past it where the filesystem can (O_DIRECT).
	BufferedStateWrites bool
}

func (o *CheckpointOptions) defaults() {
	if o.MaxDeltas <= 0 {
		o.MaxDeltas = 64
	}
	o.MaxDeltas = min(o.MaxDeltas, checkpoint.MaxDeltas)
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 1
	}
	if o.Retained <= 0 {
		o.Retained = 2
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// CheckpointStats are the checkpoint figures of a running job.
type CheckpointStats struct {
	Completed, Failed int64
	// Last* describe the latest completed checkpoint.
	LastID       int64
	LastDuration time.Duration
	LastBytes    int64
	// Periodic is the number of completed periodic checkpoints (Completed
	// less the end-of-input one); TotalDuration and MaxDuration are the sum
	// and the maximum of their durations, trigger to completion. The
	// end-of-input checkpoint is left out of them: its "duration" is mostly
	// the time the job needs to finish its work after the sources ended.
	Periodic      int64
	TotalDuration time.Duration
	MaxDuration   time.Duration
	// MaxBytes is the size of the largest completed checkpoint (the
	// end-of-input one included).
	MaxBytes int64
	// UploadCPU is the CPU time the upload goroutine spent on snapshots
	// (serialising the captured keyed state, checksums, writing files,
	// and the GC assists its allocations caused), whether or not their
	// checkpoints completed. The goroutine is locked to an OS thread and
	// reads that thread's CPU clock around each snapshot: Linux only (0
	// elsewhere). The part of a checkpoint's cost that runs beside the
	// subtasks; the copy-on-write on the subtasks and the extra GC are
	// not in it.
	UploadCPU time.Duration
	// LastFailure is the reason of the latest failed checkpoint.
	LastFailure string
	// Restored is the id of the checkpoint the job started from (0: none).
	Restored int64
}

// ack is one subtask's snapshot, written to storage.
type ack struct {
	id      int64
	vertex  int
	subtask int
	ops     []ackOp
	bytes   int64
	align   time.Duration // the subtask's barrier alignment
	err     error
	// finished is the snapshot a subtask took when its input ended (not
	// written: it is copied into every later checkpoint).
	finished *task.SubtaskSnapshot
	marker   bool // the uploader passed a marker: every earlier upload is acked
}

// upload is one item of the uploader's queue.
type upload struct {
	snap   task.SubtaskSnapshot
	raw    bool // a subtask's end-of-input snapshot: passed on, not written
	marker bool
}

// subKey names one subtask.
type subKey struct{ vertex, subtask int }

type ackOp struct {
	uid   string
	keyed *checkpoint.KeyedFile
	state []byte
	// timers: the last link of keyed (the only one restore reads timers
	// from) holds timer snapshots of version 2: the metadata is then
	// written as version 4.
	timers bool
}

type pending struct {
	id      int64
	started time.Time
	acks    int
	bytes   int64
	ops     map[string]*checkpoint.OperatorState
	// timersV2: the last link of a keyed file holds timers of version 2
	// (an ackOp's timers): Metadata.TimersV2.
	timersV2 bool
	sp       *spRequest // a savepoint waits for this checkpoint (nil: none)
	final    bool       // the end-of-input checkpoint
	acked    map[subKey]bool
}

// coordinator triggers checkpoints, collects the subtasks' acknowledgements,
// completes checkpoints (metadata last) and commits the sinks. Its loop runs
// on one goroutine owned by the Job; subtasks reach it through snapshot
// (their goroutine) and the uploader.
type coordinator struct {
	j     *Job
	opts  CheckpointOptions
	clock base.Clock
	total int // subtasks that acknowledge every checkpoint
	// warnf takes the warnings of storages the coordinator opens itself
	// (a savepoint's target: an S3 multipart upload whose abort failed):
	// the job's Logf, or nil (standard error) when it has none, as for
	// its checkpoint storage.
	warnf func(format string, args ...any)
	// completedAt is the clock at the latest completion (the history's
	// Ended of it), where the min pause counts from; the loop's goroutine
	// only.
	completedAt time.Time

	sources  []*task.Subtask
	parallel map[string]int // uid -> parallelism
	// sigs: the operators' state signatures (plan.Node.StateSignature) by
	// uid, recorded in every checkpoint and checked on restore.
	sigs       map[string]string
	committers []committer

	uploads chan upload
	acks    chan ack
	upWG    sync.WaitGroup

	restoreFrom checkpoint.Storage // where the restored checkpoint's files are
	fingerprint string             // the run's lineage (savepoint.go)
	spReqs      chan *spRequest

	mu       sync.Mutex
	nextID   int64
	stats    CheckpointStats
	restored *checkpoint.Metadata
	files    map[string]*decodedFile // restore: keyed files by chk-<dir>/<name>
	chains   map[chainKey]*chain
}

// chainKey names the keyed state of one operator in one subtask (its key
// groups start at start).
type chainKey struct {
	uid   string
	start int
}

// chain is what the uploader and the coordinator know of the incremental
// checkpoints of one chainKey (guarded by coordinator.mu). A delta is
// written only over the chain of a completed checkpoint whose tip is the
// backend's previous snapshot (doneSeq = seq - 1); else the snapshot is
// written in full (after a failed checkpoint its delta would lack the
// failed one's changes). A snapshot that a completed chain holds already
// (a finished subtask's last one, in every later checkpoint) references
// that chain as it is.
type chain struct {
	done    *checkpoint.KeyedFile // the chain of the newest completed checkpoint, directories absolute (nil: none, or its state was empty)
	doneSeq uint64                // state.HeapSnapshot.Seq of its tip
	// doneTimers: the last link of done holds timers. Restore takes the
	// timers from the last link only, so a snapshot without changes may
	// reuse done as it is only when neither it nor done's last link has
	// any (else timers that fired or were deleted since would come back).
	doneTimers bool
	// doneTimersV2: done's last link holds timer snapshots of version 2
	// (Metadata.TimersV2).
	doneTimersV2 bool
	doneID       int64              // the checkpoint of done
	pend         map[int64]chainTip // chains uploaded for pending checkpoints
}

type chainTip struct {
	f        *checkpoint.KeyedFile // absolute directories
	seq      uint64
	timers   bool // the last link of f holds timers
	timersV2 bool // ... of which some of version 2 (Metadata.TimersV2)
	// base is the completed checkpoint whose chain f extends or reuses (0:
	// none, f is a full file). Its files may live in the directories of
	// checkpoints subsumed since, which count as used only as long as a
	// complete checkpoint's chains use them: retention keeps base listed
	// while f is in flight (inFlight), so that f can still commit.
	base int64
}

type committer struct {
	uid string
	c   connector.Committer
}

type decodedFile struct {
	once   sync.Once
	chunks map[int][]byte
	err    error
}

func newCoordinator(j *Job, jg *plan.JobGraph, opts CheckpointOptions, clock base.Clock) (*coordinator, error) {
	warnf := opts.Logf // the storage's warnings (nil: standard error, not dropped)
	opts.defaults()
	if opts.Storage == nil {
		if opts.Dir == "" {
			return nil, errors.New("cluster: checkpoints need a directory or a storage")
		}
		st, err := openLocalStorage(opts.Dir, warnf, opts.BufferedStateWrites)
		if err != nil {
			return nil, err
		}
		opts.Storage = st
	}
	restoreFrom, fingerprint := opts.RestoreStorage, ""
	if opts.Restore == nil && opts.FromSavepoint != "" {
		st, fp, err := resolveFromSavepoint(&opts)
		if err != nil {
			return nil, err
		}
		restoreFrom, fingerprint = st, fp
	} else if opts.Restore == nil && opts.Resume {
		m, err := loadLatest(opts.Storage, opts.Logf)
		switch {
		case err == nil:
			opts.Restore = m
			fingerprint = m.JobFingerprint
		case errors.Is(err, checkpoint.ErrNoCheckpoint) && (isEmpty(err) || opts.AllowEmptyState):
			if !isEmpty(err) {
				opts.Logf("WARNING: no valid checkpoint (%v); starting from EMPTY state as --allow-empty-state says", err)
			}
		case errors.Is(err, checkpoint.ErrNoCheckpoint):
			return nil, fmt.Errorf("%w; refusing to start from empty state (pass --allow-empty-state to do so)", err)
		default:
			return nil, fmt.Errorf("reading the checkpoints: %w", err)
		}
	}
	if restoreFrom == nil {
		restoreFrom = opts.Storage
	}
	if fingerprint == "" {
		fingerprint = newRunID()
	}
	c := &coordinator{j: j, opts: opts, clock: clock, warnf: warnf, parallel: map[string]int{}, sigs: map[string]string{}, nextID: 1,
		uploads: make(chan upload, 256), acks: make(chan ack, 256), files: map[string]*decodedFile{}, chains: map[chainKey]*chain{},
		restoreFrom: restoreFrom, fingerprint: fingerprint, spReqs: make(chan *spRequest)}
	for _, v := range jg.Vertices {
		c.total += v.Parallelism
		for _, n := range v.Chain {
			c.parallel[n.UID] = v.Parallelism
			if n.StateSignature != "" {
				c.sigs[n.UID] = n.StateSignature
			}
			if n.Committer != nil {
				c.committers = append(c.committers, committer{uid: n.UID, c: n.Committer})
			}
		}
	}
	if r := opts.Restore; r != nil {
		j.restored = fmt.Sprintf("checkpoint %d", r.ID)
		if restoreFrom != opts.Storage && opts.FromSavepoint != "" {
			j.restored = fmt.Sprintf("savepoint %s (checkpoint %d)", opts.FromSavepoint, r.ID)
		}
		if r.MaxParallelism != jg.MaxParallelism {
			return nil, fmt.Errorf("checkpoint %d was taken with max parallelism %d, the job has %d: key groups would not match; "+
				"run with the same max parallelism", r.ID, r.MaxParallelism, jg.MaxParallelism)
		}
		// An operator the job no longer has is refused only when the
		// checkpoint holds state of it: a stateless one (a Calc a newer
		// planner fuses away) has none to lose, as in Flink ("Skipping
		// empty savepoint state for operator").
		var unknown []string
		for _, op := range r.Operators {
			if _, ok := c.parallel[op.UID]; !ok && hasState(op) {
				unknown = append(unknown, op.UID)
			}
		}
		if len(unknown) > 0 && !opts.AllowNonRestoredState {
			return nil, fmt.Errorf("checkpoint %d has state of operators the job does not have (uids %v); "+
				"give the operators their old uids, or drop that state with --allow-non-restored-state", r.ID, unknown)
		}
		if err := checkSignatures(r, c.sigs, j.restored); err != nil {
			return nil, err
		}
		c.restored = r
		c.nextID = r.ID + 1
		c.stats.Restored = r.ID
	}
	// Never reuse the id of a complete checkpoint, even a corrupt one that
	// was skipped: its sink transactions may be committed under that id.
	if ids, err := opts.Storage.List(context.Background()); err == nil && len(ids) > 0 {
		c.nextID = max(c.nextID, ids[len(ids)-1]+1)
	}
	return c, nil
}

// prepareSinks commits the restored checkpoint's transactions again (they
// may or may not have been committed before the crash) and aborts every
// other staged transaction, before any writer opens.
func (c *coordinator) prepareSinks(ctx context.Context) error {
	for _, cm := range c.committers {
		var keep [][]byte
		if c.restored != nil {
			keep = c.committablesOf(c.restored, cm.uid)
			if rw, ok := cm.c.(connector.Rewinder); ok {
				if err := rw.RewindTo(ctx, c.restored.ID, keep); err != nil {
					return base.Wrapf(err, "sink %q: rewind the output to restored checkpoint %d", cm.uid, c.restored.ID)
				}
				failpoint.Hit("restore-rewound")
			}
			if len(keep) > 0 {
				if err := cm.c.Commit(ctx, keep); err != nil {
					return base.Wrapf(err, "sink %q: commit the transactions of restored checkpoint %d", cm.uid, c.restored.ID)
				}
				failpoint.Hit("restore-recommitted")
			}
		}
		if err := cm.c.AbortExcept(ctx, keep); err != nil {
			return base.Wrapf(err, "sink %q: abort stale transactions", cm.uid)
		}
		failpoint.Hit("restore-aborted")
	}
	return nil
}

func (c *coordinator) committablesOf(m *checkpoint.Metadata, uid string) [][]byte {
	var out [][]byte
	for _, op := range m.Operators {
		if op.UID != uid {
			continue
		}
		for _, b := range op.Subtasks {
			if b != nil {
				out = append(out, b)
			}
		}
	}
	return out
}

// restore implements task.Checkpointing.Restore.
func (c *coordinator) restore(uid string, kgs base.KeyGroupRange) (*operator.Restored, map[int][][]byte, error) {
	m := c.restored
	if m == nil {
		return nil, nil, nil
	}
	for _, op := range m.Operators {
		if op.UID != uid {
			continue
		}
		r := &operator.Restored{CheckpointID: m.ID, Subtasks: op.Subtasks}
		groups := map[int][][]byte{}
		for _, kf := range op.Keyed {
			if kf.End <= kgs.Start || kf.Start >= kgs.End {
				continue
			}
			links := kf.Links(m.ID)
			for i, l := range links {
				chunks, err := c.keyedFile(l)
				if err != nil {
					return nil, nil, err
				}
				for kg, b := range chunks {
					if !kgs.Contains(kg) {
						continue
					}
					if groups[kg] == nil {
						groups[kg] = make([][]byte, len(links))
					}
					groups[kg][i] = b
				}
			}
		}
		return r, groups, nil
	}
	return nil, nil, nil
}

// keyedFile reads and decodes a keyed state file (a base or a delta) once
// for all subtasks.
func (c *coordinator) keyedFile(l checkpoint.FileRef) (map[int][]byte, error) {
	at := fmt.Sprintf("chk-%d/%s", l.Dir, l.Name)
	c.mu.Lock()
	df := c.files[at]
	if df == nil {
		df = &decodedFile{}
		c.files[at] = df
	}
	c.mu.Unlock()
	df.once.Do(func() {
		sum := l.Sum()
		data, err := c.restoreFrom.ReadFile(context.Background(), l.Dir, l.Name, &sum)
		if err != nil {
			df.err = err
			return
		}
		_, _, df.chunks, df.err = checkpoint.DecodeKeyed(data)
	})
	return df.chunks, df.err
}

// snapshot implements task.Checkpointing.Snapshot: it queues the snapshot
// for the uploader (blocking when the uploader is behind: backpressure).
func (c *coordinator) snapshot(s task.SubtaskSnapshot) {
	c.uploads <- upload{snap: s, raw: s.Final}
}

// reserveFinal implements task.Checkpointing.FinalID: a subtask whose input
// ended snapshots with an id of its own (so a sink names its last
// transaction uniquely); that snapshot then stands for the subtask in every
// later checkpoint, while the other subtasks go on taking checkpoints.
func (c *coordinator) reserveFinal() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextID
	c.nextID++
	return id
}

// upload writes snapshots to storage and acknowledges them.
func (c *coordinator) upload(ctx context.Context) {
	defer c.upWG.Done()
	// One thread for the goroutine, so that its thread's CPU clock
	// measures the uploads (CheckpointStats.UploadCPU).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var file bytes.Buffer // a keyed state file, reused
	var scratch []byte    // a key group's chunk, reused (EachChunkScratch)
	for u := range c.uploads {
		s := u.snap
		cpu0, cpuOK := threadCPU()
		if u.marker || u.raw {
			a := ack{marker: u.marker, vertex: s.Vertex, subtask: s.Subtask}
			if u.raw {
				a.finished = &s
			}
			c.acks <- a
			continue
		}
		a := ack{id: s.CheckpointID, vertex: s.Vertex, subtask: s.Subtask, align: s.Alignment}
		for i := range s.Operators {
			os := &s.Operators[i]
			ao := ackOp{uid: os.UID, state: os.State}
			a.bytes += int64(len(os.State))
			if os.Keyed {
				kf, written, timers, err := c.uploadKeyed(ctx, &file, &scratch, s, os)
				if err != nil {
					a.err = err
					break
				}
				ao.keyed, ao.timers = kf, timers
				a.bytes += written
			}
			a.ops = append(a.ops, ao)
		}
		s.Release() // what a failed write left unserialised
		if cpu1, ok := threadCPU(); ok && cpuOK && cpu1 > cpu0 {
			c.mu.Lock()
			c.stats.UploadCPU += cpu1 - cpu0
			c.mu.Unlock()
		}
		c.acks <- a
	}
}

// uploadKeyed writes the keyed state of one operator of snapshot s: a delta
// file when the previous snapshot of the same state backend is the tip of
// the chain of the newest completed checkpoint (and the chain is short and
// small enough), a full file otherwise. It returns the file reference for
// the metadata (nil: no keyed state), the bytes written and whether the
// chain's last link (the only one restore reads timers from) holds timer
// snapshots of version 2: Metadata.TimersV2.
//
// The keyed state captured copy-on-write is serialised here, chunk by
// chunk (the layout of checkpoint.EncodeKeyed), straight into the storage
// when it is a checkpoint.StreamWriter, else into file, which is reused
// across uploads (Storage.WriteFile keeps no reference to data).
func (c *coordinator) uploadKeyed(ctx context.Context, file *bytes.Buffer, scratch *[]byte, s task.SubtaskSnapshot, os *task.OperatorSnapshot) (*checkpoint.KeyedFile, int64, bool, error) {
	id := s.CheckpointID
	key := chainKey{os.UID, os.KeyGroups.Start}
	seq, size, hasDelta := os.Delta()
	var prev *checkpoint.KeyedFile
	var base int64 // the completed checkpoint whose chain prev or same is
	c.mu.Lock()
	ch := c.chains[key]
	if ch == nil && seq > 0 {
		ch = &chain{pend: map[int64]chainTip{}}
		c.chains[key] = ch
	}
	var same *checkpoint.KeyedFile
	var sameTimers, sameV2, prevTimers, prevV2 bool
	switch {
	case c.opts.DisableIncremental || seq == 0 || ch.done == nil:
	case ch.doneSeq == seq:
		same, sameTimers, sameV2 = ch.done, ch.doneTimers, ch.doneTimersV2
	case hasDelta && ch.doneSeq == seq-1 && len(ch.done.Deltas) < c.opts.MaxDeltas && ch.done.Size+deltaBytes(ch.done) <= 2*max(size, ch.done.Size):
		prev, prevTimers, prevV2 = ch.done, ch.doneTimers, ch.doneTimersV2
	}
	switch {
	case same != nil:
		// This very snapshot is what the completed chain holds.
		base = ch.doneID
		ch.pend[id] = chainTip{same, seq, sameTimers, sameV2, base}
	case prev != nil:
		// The delta is written over prev: until it is, prev stands for
		// this checkpoint's chain, so that inFlight protects the files
		// prev uses while the upload runs (a newer checkpoint may
		// complete meanwhile without them, and retention would subsume
		// the checkpoints that hold them). Replaced below, or removed if
		// the upload fails.
		base = ch.doneID
		ch.pend[id] = chainTip{prev, seq, prevTimers, prevV2, base}
	}
	c.mu.Unlock()
	if same != nil {
		return relative(same, id), 0, sameV2, nil
	}

	timers := os.HasTimers() // before EachChunk/EachDelta release the capture
	name := fmt.Sprintf("%s-%d.state", os.UID, s.Subtask)
	if prev != nil {
		name = fmt.Sprintf("%s-%d-d%d.state", os.UID, s.Subtask, id)
	}
	// The file is written as it is serialised when the storage can
	// (StreamWriter: chunks through a small reused buffer, no copy of the
	// whole file in memory), else into file and then written whole. Either
	// way it is started at the first chunk, or at the end when a file
	// without chunks must be written.
	sw, stream := c.opts.Storage.(checkpoint.StreamWriter)
	var w *checkpoint.KeyedWriter
	var fw checkpoint.FileWriter
	var bw *bufio.Writer
	defer func() {
		if fw != nil { // not committed
			fw.Abort()
		}
		if bw != nil {
			bw.Reset(nil)
			streamBufs.Put(bw)
		}
	}()
	begin := func() error {
		var dst io.Writer = file
		if stream {
			f, err := sw.CreateFile(ctx, id, name)
			if err != nil {
				return err
			}
			fw = f
			bw = streamBufs.Get().(*bufio.Writer)
			bw.Reset(fw)
			dst = bw
		} else {
			file.Reset()
			// Room for the file at once (one allocation, not a doubling
			// ramp with a copy per step, on a buffer that is reused
			// anyway): about the size of the chain's last file for a
			// delta, the backend's estimate of the state for a full file.
			if hint := sizeHint(prev, size); hint > int64(file.Cap()) && hint < 1<<40 {
				file.Grow(int(hint))
			}
		}
		var err error
		w, err = checkpoint.NewKeyedWriter(dst, os.KeyGroups.Start, os.KeyGroups.End)
		return err
	}
	chunks := 0
	// wroteV2: a chunk has a timers part of a version after 1 (its first
	// byte; this build writes 1 or 2), which builds before metadata
	// version 4 do not read. Timers that all encode as version 1 leave
	// it false: such a checkpoint stays readable by them.
	wroteV2 := false
	err := os.EachChunkScratch(scratch, prev != nil, func(kg int, chunk []byte) error {
		if w == nil {
			if err := begin(); err != nil {
				return err
			}
		}
		chunks++
		if !wroteV2 {
			n, k := binary.Uvarint(chunk) // KeyedChunk: the state's length
			wroteV2 = k > 0 && n < uint64(len(chunk)-k) && chunk[k+int(n)] > 1
		}
		return w.WriteChunk(kg, chunk)
	})
	// A delta without chunks over a last link with timers is written too,
	// empty: it is the last link, and says there are none.
	if err == nil && w == nil && prev != nil && prevTimers {
		err = begin()
	}
	if err == nil && w != nil {
		err = w.Close()
	}
	if err == nil && bw != nil {
		err = bw.Flush()
	}
	if err != nil {
		c.dropTip(ch, id, prev)
		return nil, 0, false, fmt.Errorf("encode %s: %w", name, err)
	}
	var abs *checkpoint.KeyedFile // the chain of this checkpoint, directories absolute
	var written int64
	switch {
	case w == nil && prev != nil:
		// Nothing changed and no timers, now or in the completed chain's
		// last link: that chain as it is.
		abs = prev
	case w != nil:
		sum := w.Sum()
		var err error
		if stream {
			err, fw = fw.Commit(sum), nil
		} else {
			sum, err = checkpoint.WriteSummed(ctx, c.opts.Storage, id, name, file.Bytes(), sum)
		}
		if err != nil {
			c.dropTip(ch, id, prev)
			return nil, 0, false, fmt.Errorf("write %s: %w", name, err)
		}
		failpoint.Hit("snapshot-written")
		written = sum.Size
		if prev != nil {
			n := *prev
			n.Deltas = append(slices.Clone(prev.Deltas), checkpoint.FileRef{Dir: id, Name: name, Size: sum.Size, CRC: sum.CRC})
			abs = &n
		} else {
			abs = &checkpoint.KeyedFile{Name: name, Start: os.KeyGroups.Start, End: os.KeyGroups.End, Size: sum.Size, CRC: sum.CRC, Dir: id}
		}
	}
	if ch != nil && seq > 0 { // seq 0: not a snapshot a delta can follow
		// abs nil: the state is empty, no file. That ends the chain too:
		// a later snapshot of the same backend must not be written as a
		// delta over the chain before (no checkpoint from this one on
		// uses its files, so retention removes them).
		c.mu.Lock()
		ch.pend[id] = chainTip{abs, seq, timers, wroteV2, base}
		c.mu.Unlock()
	}
	if abs == nil {
		return nil, 0, false, nil
	}
	return relative(abs, id), written, wroteV2, nil
}

// dropTip removes the provisional tip uploadKeyed registered for checkpoint
// id over prev when its upload failed (the checkpoint fails: nothing is to
// be protected for it).
func (c *coordinator) dropTip(ch *chain, id int64, prev *checkpoint.KeyedFile) {
	if ch == nil || prev == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if tip, ok := ch.pend[id]; ok && tip.f == prev {
		delete(ch.pend, id)
	}
}

// streamBufs are the buffers between a KeyedWriter and a streamed file:
// the small writes (header, index, footer, small chunks) go out together,
// a large chunk goes through unbuffered.
var streamBufs = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 256<<10) }}

// sizeHint is the expected size of the keyed file uploadKeyed writes: a
// delta over prev about as large as prev's last link (plus an eighth), a
// full file the backend's estimate of the state (size; 0 for a backend
// without one).
func sizeHint(prev *checkpoint.KeyedFile, size int64) int64 {
	switch {
	case prev != nil && len(prev.Deltas) > 0:
		n := prev.Deltas[len(prev.Deltas)-1].Size
		return n + n/8
	case prev != nil:
		return prev.Size + prev.Size/8
	}
	return size
}

// deltaBytes is the size of the deltas of a chain.
func deltaBytes(f *checkpoint.KeyedFile) int64 {
	var n int64
	for _, d := range f.Deltas {
		n += d.Size
	}
	return n
}

// relative returns the chain f (directories absolute) as the metadata of
// checkpoint id names it: its own files with directory 0.
func relative(f *checkpoint.KeyedFile, id int64) *checkpoint.KeyedFile {
	n := *f
	if n.Dir == id {
		n.Dir = 0
	}
	n.Deltas = slices.Clone(f.Deltas)
	for i := range n.Deltas {
		if n.Deltas[i].Dir == id {
			n.Deltas[i].Dir = 0
		}
	}
	return &n
}

// chainsCompleted records that checkpoint id completed: the chains its
// subtasks uploaded are what the next deltas build on, unless a newer
// checkpoint completed first. The chains of older checkpoints are dropped,
// but not those of the ones still in flight (flying; completing out of
// order): inFlight protects what they reference.
func (c *coordinator) chainsCompleted(id int64, flying ...int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.chains {
		if tip, ok := ch.pend[id]; ok && id > ch.doneID {
			ch.done, ch.doneSeq, ch.doneTimers, ch.doneTimersV2, ch.doneID = tip.f, tip.seq, tip.timers, tip.timersV2, id
		}
		for pid := range ch.pend {
			if pid <= id && !slices.Contains(flying, pid) {
				delete(ch.pend, pid)
			}
		}
	}
}

// run is the coordinator loop; it returns when the job's subtasks are done
// (then completes the end-of-input checkpoint if every subtask finished).
//
// A subtask whose input ended exits after a last snapshot (task: Finish);
// the loop keeps that snapshot and writes a copy of it into every later
// checkpoint in the subtask's place, so the others go on checkpointing
// (FLIP-147's "checkpoints after tasks finished"). The copy is consistent:
// the subtask's output is complete downstream before its channels end, and
// an ended input counts as aligned.
func (c *coordinator) run(ctx context.Context, subtasksDone <-chan struct{}) {
	pend := map[int64]*pending{}
	finished := map[subKey]task.SubtaskSnapshot{}
	finishedSources := 0
	var upq []upload // copies of finished snapshots for the uploader
	var lastEnd time.Time
	failed := false
	canceled := ctx.Done()
	next := c.clock.Now().Add(c.opts.Interval)
	var spQueue []*spRequest // savepoints waiting for a free checkpoint slot
	copyOf := func(s task.SubtaskSnapshot, id int64) upload {
		s.CheckpointID, s.Final = id, false
		return upload{snap: s}
	}
	open := func(id int64, now time.Time, sp *spRequest, final bool) {
		pend[id] = &pending{id: id, started: now, ops: map[string]*checkpoint.OperatorState{}, sp: sp, final: final, acked: map[subKey]bool{}}
		kind := KindPeriodic
		switch {
		case final:
			kind = KindEndOfInput
		case sp != nil:
			kind = KindSavepoint
		}
		c.j.log.checkpointStarted(id, kind, now, c.total)
		for _, s := range finished {
			upq = append(upq, copyOf(s, id))
		}
	}
	trigger := func(now time.Time, sp *spRequest) {
		c.mu.Lock()
		id := c.nextID
		c.nextID++
		c.mu.Unlock()
		open(id, now, sp, false)
		for _, st := range c.sources {
			st.Trigger(id)
		}
	}
	// receive handles one ack; it reports a returned marker.
	receive := func(a ack) bool {
		switch {
		case a.marker:
			return true
		case a.finished != nil:
			k := subKey{a.vertex, a.subtask}
			finished[k] = *a.finished
			if c.isSource(a.vertex) {
				finishedSources++
			}
			// Oldest first: every subtask acknowledges the checkpoints
			// in id order, so they complete in id order (map order
			// would let a newer one complete first).
			var ids []int64
			for id, p := range pend {
				if !p.acked[k] {
					ids = append(ids, id)
				}
			}
			slices.Sort(ids)
			for _, id := range ids {
				upq = append(upq, copyOf(*a.finished, id))
			}
		case c.handleAck(ctx, pend, a):
			lastEnd = c.completedAt
		}
		return false
	}
	// flush waits until everything queued so far was uploaded and acked.
	flush := func() {
		upq = append(upq, upload{marker: true})
		for {
			var upCh chan upload
			var head upload
			if len(upq) > 0 {
				upCh, head = c.uploads, upq[0]
			}
			select {
			case upCh <- head:
				upq = upq[1:]
			case a := <-c.acks:
				if receive(a) {
					return
				}
			}
		}
	}
	inputEnded := func() bool { return finishedSources == len(c.sources) }
	for {
		if len(spQueue) > 0 && !failed && len(pend) < c.opts.MaxConcurrent {
			if inputEnded() {
				spQueue[0].reply <- spReply{err: errors.New("savepoint: the job's input has ended; nothing is left to save")}
			} else {
				trigger(c.clock.Now(), spQueue[0])
			}
			spQueue = spQueue[1:]
		}
		d := next.Sub(c.clock.Now())
		for _, p := range pend {
			if left := p.started.Add(c.opts.Timeout).Sub(c.clock.Now()); left < d {
				d = left
			}
		}
		tick, stop := c.clock.After(max(d, 0))
		var upCh chan upload
		var head upload
		if len(upq) > 0 {
			upCh, head = c.uploads, upq[0]
		}
		select {
		case <-tick:
			stop()
			now := c.clock.Now()
			for id, p := range pend {
				if now.Sub(p.started) >= c.opts.Timeout {
					c.failPending(p, fmt.Sprintf("checkpoint %d timed out after %v (%d of %d subtasks acknowledged)", id, c.opts.Timeout, p.acks, c.total))
					delete(pend, id)
				}
			}
			if !now.Before(next) {
				next = now.Add(c.opts.Interval)
				if !inputEnded() && !failed && len(pend) < c.opts.MaxConcurrent {
					if resume := lastEnd.Add(c.opts.MinPause); now.Before(resume) {
						// Too soon after the latest completion: the
						// trigger waits for the end of the pause and
						// the interval counts from there (Flink's
						// CheckpointRequestDecider reschedules so).
						next = resume
					} else {
						trigger(now, nil)
					}
				}
			}
		case upCh <- head:
			stop()
			upq = upq[1:]
		case req := <-c.spReqs:
			stop()
			if failed {
				req.reply <- spReply{err: errors.New("savepoint: the job is stopping")}
			} else {
				spQueue = append(spQueue, req)
			}
		case a := <-c.acks:
			stop()
			receive(a)
		case <-subtasksDone:
			stop()
			// Every subtask exited, its snapshots are queued: take them in.
			flush()
			if !failed && len(finished) == c.total {
				// The end-of-input checkpoint: every subtask's last snapshot.
				c.mu.Lock()
				id := c.nextID
				c.nextID++
				c.mu.Unlock()
				open(id, c.clock.Now(), nil, true)
				flush()
			}
			close(c.uploads)
			go func() { c.upWG.Wait(); close(c.acks) }()
			for a := range c.acks {
				receive(a)
			}
			for _, p := range pend {
				c.j.log.checkpointEnded(p.id, StatusAborted, c.clock.Now(), "the job ended before the checkpoint completed")
				if p.sp != nil {
					p.sp.reply <- spReply{err: fmt.Errorf("savepoint: the job ended before checkpoint %d completed", p.id)}
				}
			}
			for _, req := range spQueue {
				req.reply <- spReply{err: errors.New("savepoint: the job ended")}
			}
			return
		case <-canceled:
			stop()
			failed, canceled = true, nil // no more triggers; wait for the subtasks to exit
		}
	}
}

// isSource reports whether vertex id is a source vertex.
func (c *coordinator) isSource(vertex int) bool {
	for _, v := range c.j.jg.Vertices {
		if v.ID == vertex {
			return v.Chain[0].Source != nil
		}
	}
	return false
}

// handleAck records one acknowledgement; it completes the checkpoint when it
// was the last one and reports whether it did.
func (c *coordinator) handleAck(ctx context.Context, pend map[int64]*pending, a ack) bool {
	p := pend[a.id]
	if p == nil {
		return false // late ack of an abandoned checkpoint
	}
	k := subKey{a.vertex, a.subtask}
	if p.acked[k] { // a broken invariant: never complete such a checkpoint
		c.failPending(p, fmt.Sprintf("internal error: checkpoint %d acknowledged twice by subtask %d of vertex %d", a.id, a.subtask, a.vertex))
		delete(pend, a.id)
		return false
	}
	p.acked[k] = true
	if a.err != nil {
		c.failPending(p, fmt.Sprintf("checkpoint %d: subtask %d of vertex %d: %v", a.id, a.subtask, a.vertex, a.err))
		delete(pend, a.id)
		return false
	}
	p.acks++
	p.bytes += a.bytes
	c.j.log.checkpointUpdate(p.id, func(r *CheckpointRecord) {
		r.Acknowledged, r.Bytes, r.Alignment = p.acks, p.bytes, max(r.Alignment, a.align)
	})
	for _, ao := range a.ops {
		os := p.ops[ao.uid]
		if os == nil {
			os = &checkpoint.OperatorState{UID: ao.uid, Signature: c.sigs[ao.uid], Parallelism: c.parallel[ao.uid], Subtasks: make([][]byte, c.parallel[ao.uid])}
			p.ops[ao.uid] = os
		}
		if a.subtask < len(os.Subtasks) {
			os.Subtasks[a.subtask] = ao.state
		}
		if ao.keyed != nil {
			os.Keyed = append(os.Keyed, *ao.keyed)
		}
		p.timersV2 = p.timersV2 || ao.timers
	}
	if p.acks < c.total {
		return false
	}
	delete(pend, a.id)
	flying := make([]int64, 0, len(pend))
	for id := range pend {
		flying = append(flying, id)
	}
	if err := c.complete(ctx, p, p.final, flying); err != nil {
		c.failPending(p, err.Error())
		if p.final {
			c.j.fail(fmt.Errorf("end-of-input checkpoint: %w", err))
		}
		return false
	}
	return true
}

// commitTimeout bounds the commits of a complete checkpoint from the moment
// the job is canceled (before that they are not bounded: a transaction
// coordinator may take a while to fail over).
const commitTimeout = 30 * time.Second

// inFlight returns the checkpoints that retention must keep besides the
// newest complete ones: flying (the checkpoints in flight: their files are
// being written) and every checkpoint that a chain uploaded for a
// checkpoint that has not completed references (timed-out ones included:
// their tips go when a newer checkpoint completes). With MaxConcurrent > 1
// such a chain may build on a completed checkpoint that the next one to
// complete does not reference (a finished subtask's copy written in full
// into the one, as a delta or unchanged over an older chain into the
// other), so the complete checkpoints' references alone would let
// retention delete it. Besides the directories of such a chain, the
// completed checkpoint it extends or reuses (chainTip.base) is kept listed:
// the chain's older links may live in directories of checkpoints subsumed
// before, which CommitMetadata accepts only while a complete checkpoint's
// chains use them. A delta counts from the moment its upload starts
// (uploadKeyed registers prev as its chain until the delta is written).
func (c *coordinator) inFlight(flying []int64) []int64 {
	keep := slices.Clone(flying)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.chains {
		for id, tip := range ch.pend {
			if tip.f != nil {
				for _, l := range tip.f.Links(id) {
					keep = append(keep, l.Dir)
				}
			}
			if tip.base > 0 {
				keep = append(keep, tip.base)
			}
		}
	}
	slices.Sort(keep)
	return slices.Compact(keep)
}

// complete writes the metadata (the checkpoint exists from then on), then
// commits the sinks' transactions of this checkpoint and prunes old ones
// (subsumes all but the newest Retained, keeping the files their chains
// use, sparing what the checkpoints in flight, flying, use: inFlight).
func (c *coordinator) complete(ctx context.Context, p *pending, final bool, flying []int64) error {
	m := &checkpoint.Metadata{ID: p.id, Kind: checkpoint.Checkpoint, TimestampMs: p.started.UnixMilli(),
		JobFingerprint: c.fingerprint, MaxParallelism: c.j.jg.MaxParallelism, Final: final, TimersV2: p.timersV2}
	uids := make([]string, 0, len(p.ops))
	for uid := range p.ops {
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	for _, uid := range uids {
		os := p.ops[uid]
		slices.SortFunc(os.Keyed, func(a, b checkpoint.KeyedFile) int { return a.Start - b.Start })
		m.Operators = append(m.Operators, *os)
	}
	if err := c.opts.Storage.CommitMetadata(ctx, m); err != nil {
		return fmt.Errorf("checkpoint %d: write metadata: %w", p.id, err)
	}
	failpoint.Hit("metadata-committed")
	c.chainsCompleted(p.id, flying...)
	keep := c.inFlight(flying)
	// The checkpoint is complete: commit its transactions even when the
	// job is being canceled meanwhile (Ctrl-C), so that they do not wait
	// for the next start, where they might have timed out in the broker.
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(commitTimeout, cancel) })
	defer stop()
	for _, cm := range c.committers {
		if cs := c.committablesOf(m, cm.uid); len(cs) > 0 {
			failpoint.Hit("sink-commit-before")
			if err := cm.c.Commit(cctx, cs); err != nil {
				if ctx.Err() != nil && p.sp == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
					// Canceled anyway: the next start commits them again.
					c.opts.Logf("checkpoint %d: sink %q did not commit before the job stopped (the next start commits it): %v", p.id, cm.uid, err)
					c.j.log.checkpointEnded(p.id, StatusCompleted, c.clock.Now(), fmt.Sprintf("sink %q commits at the next start: %v", cm.uid, err))
					return nil
				}
				// Its transactions are committed again on restore. Fail
				// the job so that happens now.
				c.j.log.checkpointEnded(p.id, StatusCompleted, c.clock.Now(), fmt.Sprintf("sink %q failed to commit (committed again on restore): %v", cm.uid, err))
				c.j.fail(base.Wrapf(err, "sink %q: commit checkpoint %d", cm.uid, p.id))
				if p.sp != nil {
					p.sp.reply <- spReply{err: base.Wrapf(err, "savepoint: sink %q failed to commit checkpoint %d", cm.uid, p.id)}
				}
				return nil
			}
			failpoint.Hit("sink-commit-after")
		}
	}
	c.mu.Lock()
	c.stats.Completed++
	c.stats.LastID = p.id
	end := c.clock.Now()
	c.completedAt = end
	c.stats.LastDuration = end.Sub(p.started)
	c.stats.LastBytes = p.bytes
	c.stats.MaxBytes = max(c.stats.MaxBytes, p.bytes)
	if !final {
		c.stats.Periodic++
		c.stats.TotalDuration += c.stats.LastDuration
		c.stats.MaxDuration = max(c.stats.MaxDuration, c.stats.LastDuration)
	}
	c.mu.Unlock()
	c.j.log.checkpointEnded(p.id, StatusCompleted, end, "")
	// The source subtasks pass the notice on to their readers
	// (connector.CheckpointListener), each on its own goroutine.
	for _, st := range c.sources {
		st.NotifyCheckpointComplete(p.id)
	}
	var spErr error
	if p.sp != nil { // copied before pruning, which may delete checkpoint p.id
		var res SavepointResult
		res, spErr = c.writeSavepoint(ctx, m, p.bytes, p.sp.dir)
		p.sp.reply <- spReply{res: res, err: spErr}
	}
	failpoint.Hit("retain-before")
	if err := c.opts.Storage.Retain(ctx, c.opts.Retained, keep...); err != nil {
		c.opts.Logf("checkpoint %d: pruning old checkpoints: %v", p.id, err)
	}
	failpoint.Hit("retain-after")
	if p.sp != nil && p.sp.stop && spErr == nil {
		c.j.stopWithSavepoint()
	}
	return nil
}

// failPending reports a failed checkpoint and fails the savepoint waiting
// for it.
func (c *coordinator) failPending(p *pending, reason string) {
	c.j.log.checkpointEnded(p.id, StatusFailed, c.clock.Now(), reason)
	c.fail(p.id, reason)
	if p.sp != nil {
		p.sp.reply <- spReply{err: errors.New("savepoint failed: " + reason)}
	}
}

func (c *coordinator) fail(id int64, reason string) {
	c.mu.Lock()
	c.stats.Failed++
	c.stats.LastFailure = reason
	c.mu.Unlock()
	c.opts.Logf("checkpoint failed: %s", reason)
}

// Stats returns the checkpoint figures.
func (c *coordinator) Stats() CheckpointStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

func openLocalStorage(dir string, warnf func(format string, args ...any), buffered bool) (checkpoint.Storage, error) {
	st, err := checkpoint.OpenLogf(vfs.OS{}, dir, warnf) // a directory, or s3://bucket/prefix
	if l, ok := st.(*checkpoint.Local); ok {
		l.SetBufferedWrites(buffered)
	}
	return st, err
}

func loadLatest(st checkpoint.Storage, logf func(string, ...any)) (*checkpoint.Metadata, error) {
	m, err := st.LoadLatest(context.Background(), logf)
	if err == nil {
		logf("restoring from checkpoint %d", m.ID)
	}
	return m, err
}

// isEmpty: the storage has no complete checkpoint at all (as opposed to
// only corrupt ones).
func isEmpty(err error) bool { return !errors.Is(err, checkpoint.ErrCorrupt) }

// SignatureError is the refusal to restore state that an operator of the
// same UID but another state signature wrote: the state would be read as
// something it is not (one aggregate's accumulators as another's).
type SignatureError struct {
	From       string // what the job restores: "savepoint DIR (checkpoint N)" or "checkpoint N"
	Mismatches []SignatureMismatch
}

// SignatureMismatch is one operator whose signature differs.
type SignatureMismatch struct {
	UID      string
	Old, New string // the signature in the checkpoint, the job's
}

func (e *SignatureError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "refusing to restore %s: the state of %d operator(s) was written by a different operator under the same UID "+
		"(the query or program changed, or strom's plan of it), and would be read as what it is not:", e.From, len(e.Mismatches))
	for _, m := range e.Mismatches {
		fmt.Fprintf(&b, "\n  operator %s: its state in the checkpoint is %s; the job's operator keeps %s", m.UID, m.Old, m.New)
	}
	b.WriteString("\nrestore it with the query or program that wrote it, or start this job without that state " +
		"(without --from-savepoint, or with a new --checkpoint-dir: the state is then lost); " +
		"--allow-non-restored-state does not apply: it drops the state of operators the job no longer has, never state that another operator would misread")
	return b.String()
}

// checkSignatures compares the state signatures recorded in r with the
// job's (sigs, by UID): an operator of the job whose UID holds state in r
// recorded with another signature is refused. Either side without a
// signature (a checkpoint of a build before metadata version 3, a
// DataStream operator) is not checked, nor is an operator without state in
// r (there is nothing to misread).
func checkSignatures(r *checkpoint.Metadata, sigs map[string]string, from string) error {
	var bad []SignatureMismatch
	for _, op := range r.Operators {
		sig, ok := sigs[op.UID]
		if !ok || op.Signature == "" || op.Signature == sig || !hasState(op) {
			continue
		}
		bad = append(bad, SignatureMismatch{UID: op.UID, Old: op.Signature, New: sig})
	}
	if len(bad) == 0 {
		return nil
	}
	return &SignatureError{From: from, Mismatches: bad}
}

// hasState reports whether op holds any state: a keyed file or a non-empty
// blob of a subtask.
func hasState(op checkpoint.OperatorState) bool {
	if len(op.Keyed) > 0 {
		return true
	}
	for _, b := range op.Subtasks {
		if len(b) > 0 {
			return true
		}
	}
	return false
}
