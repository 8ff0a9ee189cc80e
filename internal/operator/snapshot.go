package operator

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/failpoint"
)

// FinalCheckpointID is the checkpoint id a subtask snapshots with when its
// input ended (the end-of-input checkpoint; the coordinator records it under
// the next id). Sinks see it in PreCommit.
const FinalCheckpointID = math.MaxInt64

// Restored is what an operator restores from (Runtime.Restored; nil on a
// fresh start). Operators read it in Open.
type Restored struct {
	CheckpointID int64
	// Subtasks are the operator-state blobs of every subtask of the run
	// that took the checkpoint (index: its subtask; nil: none), whatever the
	// parallelism now: each operator picks what is its own (a source the
	// positions of its splits, broadcast state any one copy).
	Subtasks [][]byte
	// Timers are the timer snapshots of the key groups of this subtask.
	Timers map[int][]byte
}

// Snapshotter is implemented by operators with non-keyed state (source
// positions, broadcast state, sink transactions). SnapshotState is called
// when the checkpoint barrier passes the operator: after every record
// before the barrier, before any after it.
type Snapshotter interface {
	SnapshotState(checkpointID int64) ([]byte, error)
}

// TimerSnapshotter is implemented by keyed operators: their timers, encoded
// per key group (Restored.Timers gives them back).
type TimerSnapshotter interface {
	SnapshotTimers() map[int][]byte
}

// TimerRecycler is implemented by keyed operators whose timer snapshots
// can reuse the buffer of an earlier one: SnapshotTimersRecycled is
// SnapshotTimers that also returns release, which gives the timers' buffer
// back to the operator once nothing reads the timers any more (call it at
// most once, on any goroutine; never calling it is fine). A snapshot whose
// predecessor was released encodes into that buffer instead of a fresh one
// (no allocation and no first touch of new pages on the subtask).
type TimerRecycler interface {
	SnapshotTimersRecycled() (timers map[int][]byte, release func())
}

// timerBufs holds the buffer of a released timer snapshot for the next one
// (keyedCore.SnapshotTimersRecycled); released on the uploader's goroutine.
type timerBufs struct {
	mu   sync.Mutex
	free []byte
}

func (b *timerBufs) get() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.free
	b.free = nil
	return f
}

func (b *timerBufs) put(buf []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cap(buf) > cap(b.free) {
		b.free = buf[:0]
	}
}

// The versions of a key group's timer snapshot: 1 lists every timer with
// its domain and time; 2 (what SnapshotTimers writes since branch
// `ckcost`) groups the timers of one domain and time under one header, as
// the queues hold them, so a window operator's many timers of a few window
// ends carry their time once per group. restoreTimers reads both.
const (
	timerSnapshotV1      = 1
	timerSnapshotVersion = 2
)

// SnapshotTimers encodes the pending timers of both domains by key group
// (docs/format/checkpoint.md §3.1, "timers part"), each key group in
// version 2 or, when that is smaller, version 1:
//
//	version byte (2), uvarint groups (padded to 5 bytes), per group:
//	  domain byte (0 event, 1 processing), varint time,
//	  uvarint count (padded to 5 bytes), per timer:
//	  uvarint len, key, uvarint len, namespace
//
// Groups come in the order of the queues (event time first, then
// processing time; times ascending), the timers of a group in the queue's
// order. Version 1, still read, was: version byte (1), uvarint count
// (padded to 5 bytes), per timer: domain byte, varint time, uvarint len,
// key, uvarint len, namespace.
//
// It runs in a checkpoint's synchronous part, on the subtask, and a window
// operator may hold a timer per key (q5: a million), so it is two passes
// over the queues without a map operation per timer (encodeTimers).
func (k *keyedCore[K, O]) SnapshotTimers() map[int][]byte {
	var kgs base.KeyGroupRange
	if k.RT != nil {
		kgs = k.RT.KeyGroups
	}
	out, _ := encodeTimersInto(nil, kgs, &k.event, &k.proc)
	return out
}

// SnapshotTimersRecycled implements TimerRecycler: SnapshotTimers into
// the buffer of the latest released snapshot when it is large enough.
func (k *keyedCore[K, O]) SnapshotTimersRecycled() (map[int][]byte, func()) {
	var kgs base.KeyGroupRange
	if k.RT != nil {
		kgs = k.RT.KeyGroups
	}
	if k.tbufs == nil {
		k.tbufs = &timerBufs{}
	}
	out, buf := encodeTimersInto(k.tbufs.get(), kgs, &k.event, &k.proc)
	if buf == nil {
		return out, func() {}
	}
	bufs := k.tbufs
	var once sync.Once
	return out, func() { once.Do(func() { bufs.put(buf) }) }
}

// encodeTimers is SnapshotTimers over the queues of the domains (index:
// the domain byte) for the key groups kgs. The first pass counts the
// groups, timers and bytes of each key group, the second writes them into
// one buffer sized exactly, each key group's bytes a slice of it (capacity
// capped at its length), patching each group's count when the key group's
// next group starts (and at the end). A key group whose timers take fewer
// bytes in version 1 (mostly one timer per time: a group header costs
// four bytes more than a timer's domain and time) is written in version 1.
// A timer outside kgs (none in a running operator) falls back to
// encodeTimersMap (version 1). The timers
// decoded are those of encodeTimersMap, in the same order per key group
// (TestEncodeTimersSameTimers).
func encodeTimers(kgs base.KeyGroupRange, qs ...*TimerQueue) map[int][]byte {
	out, _ := encodeTimersInto(nil, kgs, qs...)
	return out
}

// encodeTimersInto is encodeTimers writing into spare when its capacity
// holds the timers (its old bytes are all overwritten: the first pass
// sizes each key group exactly), else into a fresh buffer with an eighth
// more room for the next snapshot's growth. It returns the buffer the
// timers' bytes are slices of (nil: none, or the map encoder's).
func encodeTimersInto(spare []byte, kgs base.KeyGroupRange, qs ...*TimerQueue) (map[int][]byte, []byte) {
	n := kgs.Len()
	if n <= 0 {
		return encodeTimersMap(qs...), nil
	}
	type group struct {
		count  uint64 // timers (first pass)
		groups uint64 // groups (first pass)
		// size1 and size are the bytes after the head in version 1
		// and 2; size is the chosen one's after the first pass.
		size1, size int
		v1          bool   // written in version 1 (smaller)
		stamp       int    // the bucket whose group is open
		pos         int    // write position (second pass)
		countAt     int    // where the open group's count goes (second pass)
		n           uint64 // timers of the open group (second pass)
	}
	groups := make([]group, n)
	inRange := true
	const countLen = 5 // a group's count: a uvarint padded to 5 bytes
	stamp := 0
	for _, q := range qs {
		q.eachBucket(func(t int64, timers []Timer) {
			stamp++
			hl := 1 + varintLen(t) + countLen // domain byte, time, count
			for i := range timers {
				tm := &timers[i]
				if tm.dead {
					continue
				}
				g := uint(tm.KG - kgs.Start)
				if g >= uint(n) {
					inRange = false
					continue
				}
				gr := &groups[g]
				if gr.stamp != stamp {
					gr.stamp = stamp
					gr.groups++
					gr.size += hl
				}
				gr.count++
				kn := uvarintLen(uint64(len(tm.Key))) + len(tm.Key) + uvarintLen(uint64(len(tm.NS))) + len(tm.NS)
				gr.size += kn
				gr.size1 += hl - countLen + kn
			}
		})
	}
	if !inRange {
		return encodeTimersMap(qs...), nil
	}
	const head = 6 // version byte, groups as a uvarint padded to 5 bytes
	total, nonEmpty := 0, 0
	for i := range groups {
		if g := &groups[i]; g.count > 0 {
			// Version 1 when grouping does not pay (most timers
			// of the key group alone at their time).
			if g.size1 < g.size {
				g.v1, g.size = true, g.size1
			}
			total += head + g.size
			nonEmpty++
		}
	}
	out := make(map[int][]byte, nonEmpty)
	if nonEmpty == 0 {
		return out, nil
	}
	var buf []byte
	if cap(spare) >= total {
		buf = spare[:total]
	} else {
		buf = make([]byte, total, total+total/8)
	}
	off := 0
	for i := range groups {
		g := &groups[i]
		g.stamp = 0
		if g.count == 0 {
			continue
		}
		end := off + head + g.size
		b := buf[off:end:end]
		if g.v1 {
			b[0] = timerSnapshotV1
			put5(b[1:head], g.count)
		} else {
			b[0] = timerSnapshotVersion
			put5(b[1:head], g.groups)
		}
		out[kgs.Start+i] = b
		g.pos = off + head
		off = end
	}
	var hb [1 + binary.MaxVarintLen64 + countLen]byte
	stamp = 0
	for d, q := range qs {
		hb[0] = byte(d)
		q.eachBucket(func(t int64, timers []Timer) {
			stamp++
			hl := 1 + binary.PutVarint(hb[1:], t)
			for i := range timers {
				tm := &timers[i]
				if tm.dead {
					continue
				}
				g := &groups[tm.KG-kgs.Start]
				if g.v1 {
					g.pos += copy(buf[g.pos:], hb[:hl])
				} else if g.stamp != stamp {
					if g.stamp != 0 {
						put5(buf[g.countAt:], g.n)
					}
					g.stamp = stamp
					copy(buf[g.pos:], hb[:hl])
					g.countAt = g.pos + hl
					g.pos += hl + countLen
					g.n = 0
				}
				g.n++ // (unused in version 1)
				w := buf[g.pos:]
				p := 0
				if l := len(tm.Key); l < 0x80 && len(w) > l {
					w[0] = byte(l) // the usual one-byte length, inline
					p = 1
					for j := range l {
						w[p+j] = tm.Key[j]
					}
					p += l
				} else {
					p += binary.PutUvarint(w, uint64(l))
					p += copy(w[p:], tm.Key)
				}
				p += binary.PutUvarint(w[p:], uint64(len(tm.NS)))
				p += copy(w[p:], tm.NS)
				g.pos += p
			}
		})
	}
	for i := range groups {
		if g := &groups[i]; g.stamp != 0 && !g.v1 {
			put5(buf[g.countAt:], g.n)
		}
	}
	return out, buf
}

// encodeTimersMap is encodeTimers without a key-group range, in version 1:
// a map lookup per timer and a buffer per key group grown by append (the
// encoder before encodeTimers; kept for a timer outside the range, as the
// reference of TestEncodeTimersSameTimers and as the writer of version 1
// for the tests that old checkpoints still restore).
func encodeTimersMap(qs ...*TimerQueue) map[int][]byte {
	out := map[int][]byte{}
	count := map[int]uint64{}
	for d, q := range qs {
		q.Each(func(tm *Timer) {
			b := out[tm.KG]
			if b == nil {
				b = []byte{timerSnapshotV1, 0, 0, 0, 0, 0} // count patched below
			}
			b = append(b, byte(d))
			b = binary.AppendVarint(b, tm.Time)
			b = binary.AppendUvarint(b, uint64(len(tm.Key)))
			b = append(b, tm.Key...)
			b = binary.AppendUvarint(b, uint64(len(tm.NS)))
			b = append(b, tm.NS...)
			out[tm.KG] = b
			count[tm.KG]++
		})
	}
	for kg, b := range out {
		put5(b[1:6], count[kg]) // a uvarint padded to 5 bytes
	}
	return out
}

// uvarintLen is len(binary.AppendUvarint(nil, v)).
func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// varintLen is len(binary.AppendVarint(nil, v)).
func varintLen(v int64) int {
	ux := uint64(v) << 1
	if v < 0 {
		ux = ^ux
	}
	return uvarintLen(ux)
}

// restoreTimers registers the timers of rt.Restored (called by openKeyed).
func (k *keyedCore[K, O]) restoreTimers(rt *Runtime) error {
	if rt.Restored == nil {
		return nil
	}
	kgs := make([]int, 0, len(rt.Restored.Timers))
	for kg := range rt.Restored.Timers {
		kgs = append(kgs, kg)
	}
	slices.Sort(kgs)
	for _, kg := range kgs {
		if !rt.KeyGroups.Contains(kg) {
			return fmt.Errorf("operator %q: restored timers of key group %d outside %s", rt.Name, kg, rt.KeyGroups)
		}
		err := decodeTimers(rt.Restored.Timers[kg], func(d byte, t int64, key, ns []byte) {
			if d == 0 {
				k.event.Register(kg, key, ns, t)
			} else {
				k.proc.Register(kg, key, ns, t)
			}
		})
		var nv *newerTimersError
		switch {
		case errors.As(err, &nv):
			return fmt.Errorf("operator %q: timer snapshot of key group %d has version %d, this build reads %d (%w): a newer strom wrote it; restore it with that version or a newer one", rt.Name, kg, nv.v, timerSnapshotVersion, base.ErrNewerVersion)
		case err != nil:
			return fmt.Errorf("operator %q: timer snapshot of key group %d is corrupt: %w", rt.Name, kg, err)
		}
	}
	return nil
}

// newerTimersError: a timer snapshot of a version newer than this build's.
type newerTimersError struct{ v byte }

func (e *newerTimersError) Error() string {
	return fmt.Sprintf("version %d, this build reads %d", e.v, timerSnapshotVersion)
}

// decodeTimers calls fn with every timer of a key group's timer snapshot
// (version 1 or 2; SnapshotTimers), in the snapshot's order: domain (0
// event, 1 processing), time, key and namespace (slices of b). It stops at
// the first error: a version it does not know (*newerTimersError when
// newer), a truncated or malformed snapshot, an unknown domain, or bytes
// after the last timer. fn may have been called for the timers before it.
func decodeTimers(b []byte, fn func(d byte, t int64, key, ns []byte)) error {
	r := snapReader{b: b}
	v := r.byte()
	switch {
	case r.err != nil:
	case v > timerSnapshotVersion:
		return &newerTimersError{v}
	case v == timerSnapshotV1:
		n := r.uvarint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			d, t, key, ns := r.byte(), r.varint(), r.bytes(), r.bytes()
			if r.err != nil {
				break
			}
			if d > 1 {
				r.err = fmt.Errorf("unknown time domain %d", d)
				break
			}
			fn(d, t, key, ns)
		}
	case v == timerSnapshotVersion:
		groups := r.uvarint()
		for i := uint64(0); i < groups && r.err == nil; i++ {
			d, t, n := r.byte(), r.varint(), r.uvarint()
			if r.err == nil && d > 1 {
				r.err = fmt.Errorf("unknown time domain %d", d)
			}
			for j := uint64(0); j < n && r.err == nil; j++ {
				key, ns := r.bytes(), r.bytes()
				if r.err == nil {
					fn(d, t, key, ns)
				}
			}
		}
	default:
		r.err = fmt.Errorf("version %d, this build reads %d", v, timerSnapshotVersion)
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes of junk", len(r.b))
	}
	return r.err
}

const sourceSnapshotVersion = 1

// SnapshotState of a source: the position and watermark state of every
// split it reads, sorted by split id:
//
//	version byte (1), uvarint splits, per split: uvarint len, id,
//	uvarint len, position, varint max timestamp, varint watermark, done byte
func (s *Source[T]) SnapshotState(id int64) ([]byte, error) {
	var remember map[string][]byte // positions for checkpoint-complete notices
	rs := slices.Clone(s.readers)
	sort.Slice(rs, func(i, j int) bool { return rs[i].split.ID < rs[j].split.ID })
	b := []byte{sourceSnapshotVersion}
	b = binary.AppendUvarint(b, uint64(len(rs)))
	for _, sr := range rs {
		b = binary.AppendUvarint(b, uint64(len(sr.split.ID)))
		b = append(b, sr.split.ID...)
		pos := sr.r.Position()
		if sr.cl != nil {
			if remember == nil {
				remember = map[string][]byte{}
			}
			remember[sr.split.ID] = slices.Clone(pos)
		}
		b = binary.AppendUvarint(b, uint64(len(pos)))
		b = append(b, pos...)
		b = binary.AppendVarint(b, sr.maxTS)
		b = binary.AppendVarint(b, sr.wm)
		done := byte(0)
		if sr.done {
			done = 1
		}
		b = append(b, done)
	}
	s.rememberPositions(id, remember)
	return b, nil
}

// rememberPositions keeps the positions of the splits whose readers listen
// for checkpoint-complete notices, for NotifyCheckpointComplete(id).
func (s *Source[T]) rememberPositions(id int64, pos map[string][]byte) {
	if pos == nil {
		return
	}
	if len(s.pendingPos) >= maxPendingPositions {
		s.pendingPos = slices.Delete(s.pendingPos, 0, 1)
	}
	s.pendingPos = append(s.pendingPos, checkpointPositions{id: id, pos: pos})
}

// NotifyCheckpointComplete tells every listening reader (connector.
// CheckpointListener) the position its split has in checkpoint id, and
// forgets the positions of id and older checkpoints. A notice of a
// checkpoint this subtask holds no positions of (taken before a reader was
// opened, or already superseded) is a no-op. Errors are returned, joined,
// for the caller to log.
func (s *Source[T]) NotifyCheckpointComplete(id int64) error {
	var cp *checkpointPositions
	k := 0
	for i := range s.pendingPos {
		if s.pendingPos[i].id == id {
			cp = &checkpointPositions{id: id, pos: s.pendingPos[i].pos}
		}
		if s.pendingPos[i].id <= id {
			k = i + 1
		}
	}
	s.pendingPos = slices.Delete(s.pendingPos, 0, k)
	if cp == nil {
		return nil
	}
	s.Enter()
	var errs []error
	for _, sr := range s.readers {
		pos, ok := cp.pos[sr.split.ID]
		if sr.cl == nil || !ok || sr.done {
			continue
		}
		if err := sr.cl.CheckpointComplete(s.RT.Ctx, id, pos); err != nil {
			errs = append(errs, base.Wrapf(err, "split %q", sr.split.ID))
		}
	}
	return errors.Join(errs...)
}

type splitState struct {
	pos       []byte
	maxTS, wm int64
	done      bool
}

// restoredSplits merges the source snapshots of every old subtask.
func restoredSplits(name string, blobs [][]byte) (map[string]splitState, error) {
	out := map[string]splitState{}
	for i, blob := range blobs {
		if blob == nil {
			continue
		}
		r := snapReader{b: blob}
		if v := r.byte(); v > sourceSnapshotVersion && r.err == nil {
			return nil, fmt.Errorf("source %q: snapshot of subtask %d has version %d, this build reads %d (%w): a newer strom wrote it; restore it with that version or a newer one", name, i, v, sourceSnapshotVersion, base.ErrNewerVersion)
		} else if v != sourceSnapshotVersion && r.err == nil {
			return nil, fmt.Errorf("source %q: snapshot of subtask %d has version %d, this build reads %d", name, i, v, sourceSnapshotVersion)
		}
		n := r.uvarint()
		for j := uint64(0); j < n && r.err == nil; j++ {
			id := string(r.bytes())
			ss := splitState{pos: slices.Clone(r.bytes()), maxTS: r.varint(), wm: r.varint(), done: r.byte() == 1}
			if _, dup := out[id]; dup && r.err == nil {
				return nil, fmt.Errorf("source %q: split %q appears in two subtask snapshots", name, id)
			}
			out[id] = ss
		}
		if r.err != nil {
			return nil, fmt.Errorf("source %q: snapshot of subtask %d is corrupt: %w", name, i, r.err)
		}
	}
	return out, nil
}

// SnapshotState of a sink: the committable of everything written since the
// previous checkpoint when the writer is transactional (nil otherwise; a
// plain writer is flushed, which is all it offers).
func (o *Sink[T]) SnapshotState(id int64) ([]byte, error) {
	o.Enter()
	if tw, ok := o.w.(connector.TransactionalWriter[T]); ok {
		c, err := tw.PreCommit(o.RT.Ctx, id)
		if err != nil {
			return nil, base.Wrapf(err, "sink %q: pre-commit of checkpoint %d", o.RT.Name, id)
		}
		failpoint.Hit("sink-precommit")
		return c, nil
	}
	return nil, o.w.Flush(o.RT.Ctx)
}

// SnapshotState of a keyed broadcast operator: its broadcast state (the same
// on every subtask).
func (o *KeyedBroadcastProcess[K, A, B, O]) SnapshotState(int64) ([]byte, error) {
	return o.reg.snapshot(), nil
}

// restoreBroadcast restores broadcast state from any one old subtask's copy.
func restoreBroadcast(rt *Runtime, reg *broadcastRegistry) error {
	if rt.Restored == nil {
		return nil
	}
	for _, b := range rt.Restored.Subtasks {
		if b != nil {
			return reg.restore(b)
		}
	}
	return nil
}

var errSnapShort = errors.New("truncated")

// snapReader decodes snapshot bytes; the first error sticks.
type snapReader struct {
	b   []byte
	err error
}

func (r *snapReader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		if r.err == nil {
			r.err = errSnapShort
		}
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *snapReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *snapReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errors.New("bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *snapReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("length %d beyond the %d bytes left", n, len(r.b))
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func put5(dst []byte, v uint64) {
	for i := range 4 {
		dst[i] = byte(v) | 0x80
		v >>= 7
	}
	dst[4] = byte(v)
}
