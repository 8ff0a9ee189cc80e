package task

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/failpoint"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/state"
)

// Checkpointing connects a subtask to the checkpoint coordinator.
type Checkpointing struct {
	// Snapshot receives the subtask's snapshot of a checkpoint, on the
	// subtask's goroutine, after the synchronous part (keyed state captured
	// copy-on-write, timers and operator state encoded). It must hand it
	// over and return: serialising the keyed state (Materialize), writing
	// to storage and acknowledging happen elsewhere, while the subtask goes
	// on. The receiver must Materialize or Release every snapshot.
	Snapshot func(SubtaskSnapshot)
	// Restore returns what operator uid restores for the key groups kgs, or
	// nil when it has nothing in the checkpoint (nil func: a fresh start).
	// groups are the keyed chunks (KeyedChunk) by key group: per key group
	// the chunks of its chain's links in order, the base first, then the
	// deltas (nil: the link has nothing for the key group). The state is
	// the base with every delta applied; the timers are those of the last
	// link (each link carries all of them).
	Restore func(uid string, kgs base.KeyGroupRange) (r *operator.Restored, groups map[int][][]byte, err error)
	// Incremental: keyed state is captured with its changes since the
	// previous snapshot (state.CaptureIncremental), so that the uploader
	// may write a delta (OperatorSnapshot.EachDelta).
	Incremental bool
	// FinalID returns the id of the end-of-input checkpoint (reserved by
	// the coordinator when the first subtask asks).
	FinalID func() int64
	// Logf reports errors of checkpoint-complete notices (nil: dropped).
	Logf func(format string, args ...any)
	// CommitOnly: the job takes no checkpoints; only the end-of-input
	// snapshot is taken, and of it only the committables of the sinks that
	// commit through checkpoints (plan.Node.Committer), which the engine
	// commits once every subtask ended cleanly. No state is captured.
	CommitOnly bool
}

// SubtaskSnapshot is one subtask's part of a checkpoint.
type SubtaskSnapshot struct {
	CheckpointID int64
	// Final: taken when the subtask's input ended (the end-of-input
	// checkpoint, whose id Checkpointing.FinalID reserved).
	Final     bool
	Vertex    int
	Subtask   int
	Operators []OperatorSnapshot
	// Alignment is the time from the checkpoint's first barrier on one of
	// the subtask's inputs to the last one on all of them (0: a source or
	// a single input).
	Alignment time.Duration
}

// OperatorSnapshot is the state of one operator of the chain.
type OperatorSnapshot struct {
	UID string
	// Keyed operators: their key groups and a chunk per non-empty group.
	Keyed     bool
	KeyGroups base.KeyGroupRange
	// Groups is nil until Materialize when the snapshot is deferred.
	Groups map[int][]byte
	// State is the operator's non-keyed state (Snapshotter), nil if none.
	State []byte
	// deferred is the keyed state captured at the snapshot, not serialised
	// yet (nil: Groups is complete).
	deferred *deferredGroups
	// keep: the capture is a finished subtask's last one (its backend is
	// written no more), serialised for every later checkpoint again and
	// never released (EachChunk and EachDelta leave it in place).
	keep bool
}

// deferredGroups is a keyed operator's snapshot before serialisation: the
// state backend's copy-on-write capture and the timers (small, encoded in
// the synchronous part).
type deferredGroups struct {
	state  state.GroupSnapshot
	timers map[int][]byte
	// releaseTimers gives the timers' buffer back to their operator
	// (operator.TimerRecycler; nil: none); release calls it.
	releaseTimers func()
}

// release ends the capture and gives the timers' buffer back: nothing
// reads either any more.
func (d *deferredGroups) release() {
	d.state.Release()
	if d.releaseTimers != nil {
		d.releaseTimers()
	}
}

// CapturedOperator is the snapshot of a keyed operator whose state was
// captured (state.Capture, state.CaptureIncremental) but not serialised,
// as Subtask.checkpoint makes it; keep as for a finished subtask's last
// snapshot (serialised again for every checkpoint, never released). For
// tests of the uploader.
func CapturedOperator(uid string, kgs base.KeyGroupRange, s state.GroupSnapshot, timers map[int][]byte, keep bool) OperatorSnapshot {
	return OperatorSnapshot{UID: uid, Keyed: true, KeyGroups: kgs, deferred: &deferredGroups{state: s, timers: timers}, keep: keep}
}

// Materialize serialises the keyed state captured at the snapshot into
// Groups (a KeyedChunk per non-empty key group) and releases the capture,
// so that the backend writes in place again. A no-op when there is nothing
// deferred. (The uploader uses EachChunk instead: no chunk copies.)
func (o *OperatorSnapshot) Materialize() {
	if o.deferred == nil {
		return
	}
	groups := map[int][]byte{}
	_ = o.EachChunk(func(kg int, chunk []byte) error {
		groups[kg] = append([]byte(nil), chunk...)
		return nil
	})
	o.Groups = groups
}

// EachChunk calls fn with the KeyedChunk of every non-empty key group in
// ascending order, until fn fails. A deferred snapshot is serialised here
// (off the subtask's goroutine: at most one goroutine per snapshot) into a
// buffer reused across key groups, so chunk is valid only during the call;
// the capture is released at the end, whatever happened. It returns fn's
// error.
func (o *OperatorSnapshot) EachChunk(fn func(kg int, chunk []byte) error) error {
	return o.eachChunk(nil, false, fn)
}

// EachChunkScratch is EachChunk (delta false) or EachDelta (delta true)
// serialising into *scratch, which it grows as needed and leaves in place
// for the next call: an uploader that passes the same scratch to every
// snapshot grows it once, not once per snapshot. chunk aliases *scratch.
func (o *OperatorSnapshot) EachChunkScratch(scratch *[]byte, delta bool, fn func(kg int, chunk []byte) error) error {
	return o.eachChunk(scratch, delta, fn)
}

// HasTimers reports whether a deferred keyed snapshot holds any timer
// (false when nothing is deferred).
func (o *OperatorSnapshot) HasTimers() bool {
	if o.deferred == nil {
		return false
	}
	for _, t := range o.deferred.timers {
		if len(t) > 0 {
			return true
		}
	}
	return false
}

// Delta reports whether EachDelta can serialise the changes since the
// previous snapshot of the same state backend, the snapshot's number among
// the backend's snapshots (state.HeapSnapshot.Seq) and the backend's
// estimate of the state's size then.
func (o *OperatorSnapshot) Delta() (seq uint64, size int64, ok bool) {
	if o.deferred == nil {
		return 0, 0, false
	}
	ds, isDelta := o.deferred.state.(state.DeltaSnapshot)
	if !isDelta {
		return 0, 0, false
	}
	return ds.Seq(), ds.SizeBytes(), ds.HasDelta()
}

// EachDelta is EachChunk for a delta (Delta must report ok): the chunk of a
// key group holds the state's changes since the previous snapshot
// (state.HeapSnapshot.AppendDelta) and all its timers; key groups with
// neither are left out. It releases the capture like EachChunk.
func (o *OperatorSnapshot) EachDelta(fn func(kg int, chunk []byte) error) error {
	return o.eachChunk(nil, true, fn)
}

func (o *OperatorSnapshot) eachChunk(scratch *[]byte, delta bool, fn func(kg int, chunk []byte) error) error {
	d := o.deferred
	if d == nil {
		kgs := make([]int, 0, len(o.Groups))
		for kg, c := range o.Groups {
			if len(c) > 0 {
				kgs = append(kgs, kg)
			}
		}
		slices.Sort(kgs)
		for _, kg := range kgs {
			if err := fn(kg, o.Groups[kg]); err != nil {
				return err
			}
		}
		return nil
	}
	if !o.keep {
		o.deferred = nil
		defer d.release()
	}
	const pad = binary.MaxVarintLen64 // room for the chunk's length prefix
	var buf []byte
	if scratch != nil {
		buf = *scratch
		defer func() { *scratch = buf[:0] }()
	}
	var zero [pad]byte
	var ds state.DeltaSnapshot
	if delta {
		ds = d.state.(state.DeltaSnapshot)
		if !o.keep {
			// Released after this delta, never serialised in full:
			// the backend need not copy its lists for it any more.
			ds.DropLists()
		}
	}
	for kg := o.KeyGroups.Start; kg < o.KeyGroups.End; kg++ {
		if ds != nil {
			buf = ds.AppendDelta(append(buf[:0], zero[:]...), kg)
		} else {
			buf = d.state.AppendGroup(append(buf[:0], zero[:]...), kg)
		}
		n := len(buf) - pad
		if n <= 6 && d.timers[kg] == nil {
			continue // no table (no change) and no timer in this group
		}
		// KeyedChunk's layout in place: the length prefix goes right
		// before the state bytes.
		var l [binary.MaxVarintLen64]byte
		k := binary.PutUvarint(l[:], uint64(n))
		copy(buf[pad-k:pad], l[:k])
		buf = append(buf, d.timers[kg]...)
		if err := fn(kg, buf[pad-k:]); err != nil {
			return err
		}
	}
	return nil
}

// Release drops the captures of a snapshot that will not be materialized
// (a failed upload). Idempotent.
func (s *SubtaskSnapshot) Release() {
	for i := range s.Operators {
		if d := s.Operators[i].deferred; d != nil && !s.Operators[i].keep {
			s.Operators[i].deferred = nil
			d.release()
		}
	}
}

// KeyedChunk is the layout of one key group of a keyed operator:
//
//	uvarint len, state (state.AppendGroup), timers (the rest; may be empty)
func KeyedChunk(stateBytes, timers []byte) []byte {
	b := binary.AppendUvarint(make([]byte, 0, len(stateBytes)+len(timers)+5), uint64(len(stateBytes)))
	b = append(b, stateBytes...)
	return append(b, timers...)
}

// SplitKeyedChunk undoes KeyedChunk.
func SplitKeyedChunk(b []byte) (stateBytes, timers []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, fmt.Errorf("keyed chunk: bad state length")
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}

// Trigger asks a source subtask to take checkpoint id: it snapshots at the
// next batch boundary and sends the barrier downstream. It never blocks; a
// trigger that does not fit is dropped (the checkpoint then times out).
func (st *Subtask) Trigger(id int64) {
	select {
	case st.ctrl <- id:
		st.inbox.notify()
	default:
	}
}

// NotifyCheckpointComplete tells a source subtask that checkpoint id
// completed. It never blocks: only the newest id is kept, and the subtask
// passes it to its operators (operator.CheckpointNotified) on its own
// goroutine at the next turn of its loop; older notices may be skipped.
func (st *Subtask) NotifyCheckpointComplete(id int64) {
	for {
		cur := st.completed.Load()
		if id <= cur {
			return
		}
		if st.completed.CompareAndSwap(cur, id) {
			st.inbox.notify()
			return
		}
	}
}

// pollCompleted delivers the newest checkpoint-complete notice, if new.
// Errors are logged: the checkpoint is complete whatever a reader says.
func (st *Subtask) pollCompleted() {
	id := st.completed.Load()
	if id <= st.noticed {
		return
	}
	st.noticed = id
	for _, cn := range st.notified {
		if err := cn.NotifyCheckpointComplete(id); err != nil && st.ckpt != nil && st.ckpt.Logf != nil {
			st.ckpt.Logf("subtask %d of %q: checkpoint %d complete notice: %v", st.Index, st.Name, id, err)
		}
	}
}

// pollTrigger takes a pending trigger of a source subtask.
func (st *Subtask) pollTrigger() {
	for {
		select {
		case id := <-st.ctrl:
			failpoint.Hit("source-barrier")
			st.checkpoint(id, false, 0)
		default:
			return
		}
	}
}

// restore gives each operator what it restores, before it opens.
func (st *Subtask) restore() error {
	if st.ckpt == nil || st.ckpt.Restore == nil {
		return nil
	}
	for i, rt := range st.rts {
		r, groups, err := st.ckpt.Restore(rt.UID, rt.KeyGroups)
		if err != nil {
			return &base.OperatorError{Operator: rt.Name, Subtask: st.Index, Cause: fmt.Errorf("restore: %w", err)}
		}
		if r == nil {
			continue
		}
		if len(groups) > 0 {
			if rt.State == nil {
				return &base.OperatorError{Operator: rt.Name, Subtask: st.Index,
					Cause: fmt.Errorf("restore: the checkpoint has keyed state for operator uid %q, which is not keyed now", rt.UID)}
			}
			r.Timers = map[int][]byte{}
			var links [][]byte
			for kg, chain := range groups {
				links = links[:0]
				for i, chunk := range chain {
					var sb []byte
					if chunk != nil {
						var timers []byte
						var err error
						if sb, timers, err = SplitKeyedChunk(chunk); err != nil {
							return &base.OperatorError{Operator: rt.Name, Subtask: st.Index, Cause: fmt.Errorf("restore key group %d (link %d of its chain): %w", kg, i, err)}
						}
						if i == len(chain)-1 && len(timers) > 0 {
							r.Timers[kg] = timers
						}
					}
					links = append(links, sb)
				}
				// Newest link first, each key written once (state.RestoreChain).
				if err := state.RestoreChain(rt.State, kg, links); err != nil {
					return &base.OperatorError{Operator: rt.Name, Subtask: st.Index, Cause: fmt.Errorf("restore key group %d: %w", kg, err)}
				}
			}
		}
		st.rts[i].Restored = r
	}
	return nil
}

// checkpoint snapshots every operator of the chain (all records before the
// barrier are processed, none after it), hands the snapshot over, and sends
// the barrier downstream.
func (st *Subtask) checkpoint(id int64, final bool, align time.Duration) {
	if st.ckpt == nil || st.ckpt.Snapshot == nil {
		return
	}
	if final && st.ckpt.FinalID != nil {
		id = st.ckpt.FinalID()
	}
	snap := SubtaskSnapshot{CheckpointID: id, Final: final, Vertex: st.vertex, Subtask: st.Index, Alignment: align}
	if st.ckpt.CommitOnly {
		if !final {
			return
		}
		st.preCommitSinks(&snap)
		st.ckpt.Snapshot(snap)
		return
	}
	for i, op := range st.ops {
		rt := st.rts[i]
		st.tracker.Op = i
		os := OperatorSnapshot{UID: rt.UID}
		if s, ok := op.(operator.Snapshotter); ok {
			b, err := s.SnapshotState(id)
			if err != nil {
				panic(&base.OperatorError{Operator: rt.Name, Subtask: st.Index, Cause: fmt.Errorf("checkpoint %d: %w", id, err)})
			}
			os.State = b
		}
		if rt.State != nil {
			os.Keyed, os.KeyGroups = true, rt.KeyGroups
			var timers map[int][]byte
			var releaseTimers func()
			if tr, ok := op.(operator.TimerRecycler); ok && !final {
				// The buffer comes back when the uploader is done
				// with it (deferredGroups.release), for a later
				// snapshot. (A subtask's last snapshot may be kept
				// and read again for later checkpoints.)
				timers, releaseTimers = tr.SnapshotTimersRecycled()
			} else if ts, ok := op.(operator.TimerSnapshotter); ok {
				timers = ts.SnapshotTimers()
			}
			// The synchronous part: a copy-on-write capture of the state
			// (heap backend: O(tables x key groups)); the uploader
			// serialises it (EachChunk, EachDelta). A subtask's last
			// snapshot is kept captured with incremental checkpoints
			// (its backend is done: copy-on-write costs nothing) and
			// serialised at once without: it is copied into later
			// checkpoints.
			capture := state.Capture
			if st.ckpt.Incremental {
				capture = state.CaptureIncremental
			}
			os.deferred = &deferredGroups{state: capture(rt.State), timers: timers, releaseTimers: releaseTimers}
			switch {
			case final && st.ckpt.Incremental:
				// Kept as captured: the uploader writes it as a delta
				// over the subtask's completed chain, and later
				// checkpoints reference what it wrote.
				os.keep = true
			case final:
				os.Materialize()
			}
		}
		snap.Operators = append(snap.Operators, os)
	}
	st.ckpt.Snapshot(snap)
	failpoint.Hit("snapshot-handed-over")
	if !final {
		st.emit(operator.Event{Kind: operator.EventBarrier, Time: id})
	}
}

// preCommitSinks adds to snap the committables of the chain's sinks that
// commit through checkpoints (Checkpointing.CommitOnly's end of input).
func (st *Subtask) preCommitSinks(snap *SubtaskSnapshot) {
	for i, op := range st.ops {
		if !st.commits[i] {
			continue
		}
		s, ok := op.(operator.Snapshotter)
		if !ok {
			continue
		}
		rt := st.rts[i]
		st.tracker.Op = i
		b, err := s.SnapshotState(snap.CheckpointID)
		if err != nil {
			panic(&base.OperatorError{Operator: rt.Name, Subtask: st.Index, Cause: fmt.Errorf("end-of-input commit: %w", err)})
		}
		snap.Operators = append(snap.Operators, OperatorSnapshot{UID: rt.UID, State: b})
	}
}

// onBarrier handles a barrier from one input: the input is blocked until
// the barrier of the same checkpoint arrived on every live input
// (alignment); then the subtask snapshots and forwards the barrier.
// The alignment's start is read from the clock at the first barrier when
// the subtask has more than one live input.
func (st *Subtask) onBarrier(in *input, id int64) {
	if !st.aligning && st.liveInputs() > 1 {
		st.aligning, st.alignStart = true, st.clock.Now()
	}
	in.barrier = id
	st.checkAligned()
}

func (st *Subtask) liveInputs() int {
	n := 0
	for _, in := range st.inputs {
		if !in.ended {
			n++
		}
	}
	return n
}

// checkAligned completes an alignment once every live input delivered the
// barrier (an input that ended counts as aligned).
func (st *Subtask) checkAligned() {
	id := int64(0)
	for _, in := range st.inputs {
		if in.ended {
			continue
		}
		if in.barrier == 0 {
			return
		}
		id = in.barrier
	}
	if id == 0 {
		return
	}
	for _, in := range st.inputs {
		in.barrier = 0
	}
	var align time.Duration
	if st.aligning {
		st.aligning = false
		align = st.clock.Now().Sub(st.alignStart)
	}
	st.checkpoint(id, false, align)
}
