package cep

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"

	"github.com/stromio/strom/codec"
)

// The keyed state of a pattern (per key):
//
//   - table "cep-buffer": MapState[int64, []byte], event time -> the events
//     of that time not yet processed, each as uvarint length + the event
//     codec's bytes, in arrival order;
//   - table "cep-nfa": ValueState[[]byte], the partial matches in the layout
//     below.
//
// Layout of "cep-nfa", version 1 (all varints are encoding/binary's):
//
//	byte     version (1)
//	uint64   pattern fingerprint, big-endian (state of another pattern is refused)
//	uvarint  next event sequence number
//	uvarint  n events; per event: uvarint seq, varint time, uvarint length, bytes
//	uvarint  n runs; per run: uvarint stage, uvarint count, byte flags
//	         (bit 0 fresh), uvarint greedyFrom+1, uvarint n steps; per step:
//	         uvarint stage, uvarint index into the events
//	uint32   CRC-32C of every byte before it, big-endian
//
// An event shared by several partial matches is written once.
const stateVersion = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errState is the class of every decoding error of the NFA state.
var errState = errors.New("cep: corrupt pattern state")

func appendState[T any](dst []byte, c *compiled[T], ev codec.Codec[T], st *nfaState[T], index map[uint64]uint64) []byte {
	start := len(dst)
	dst = append(dst, stateVersion)
	dst = binary.BigEndian.AppendUint64(dst, c.fingerpr)
	dst = binary.AppendUvarint(dst, st.nextSeq)
	// The events table: each event once. Few events (the common case) are
	// found by a linear scan, more through the index map.
	clear(index)
	var small [16]*step[T]
	events := small[:0]
	find := func(seq uint64) (uint64, bool) {
		if len(index) > 0 {
			k, ok := index[seq]
			return k, ok
		}
		for k, e := range events {
			if e.seq == seq {
				return uint64(k), true
			}
		}
		return 0, false
	}
	for i := range st.runs {
		for j := range st.runs[i].steps {
			s := &st.runs[i].steps[j]
			if _, ok := find(s.seq); ok {
				continue
			}
			if len(events) == len(small) && len(index) == 0 {
				for k, e := range events {
					index[e.seq] = uint64(k)
				}
			}
			if len(index) > 0 {
				index[s.seq] = uint64(len(events))
			}
			events = append(events, s)
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(events)))
	for _, s := range events {
		dst = binary.AppendUvarint(dst, s.seq)
		dst = binary.AppendVarint(dst, s.ts)
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0, 0) // room for the length
		body := len(dst)
		dst = ev.Append(dst, s.v)
		n := len(dst) - body
		var lb [binary.MaxVarintLen64]byte
		k := binary.PutUvarint(lb[:], uint64(n))
		copy(dst[at:], lb[:k])
		dst = append(dst[:at+k], dst[body:]...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(st.runs)))
	for _, r := range st.runs {
		dst = binary.AppendUvarint(dst, uint64(r.stage))
		dst = binary.AppendUvarint(dst, uint64(r.count))
		var flags byte
		if r.fresh {
			flags |= 1
		}
		dst = append(dst, flags)
		dst = binary.AppendUvarint(dst, uint64(r.greedyFrom+1))
		dst = binary.AppendUvarint(dst, uint64(len(r.steps)))
		for _, s := range r.steps {
			dst = binary.AppendUvarint(dst, uint64(s.stage))
			k, _ := find(s.seq)
			dst = binary.AppendUvarint(dst, k)
		}
	}
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: bad %s", errState, what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: bad %s", errState, what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// small reads a count that must be at most max.
func (r *reader) small(what string, max uint64) int {
	v := r.uvarint(what)
	if r.err == nil && v > max {
		r.err = fmt.Errorf("%w: %s %d out of range (at most %d)", errState, what, v, max)
		return 0
	}
	return int(v)
}

func decodeState[T any](b []byte, c *compiled[T], ev codec.Codec[T]) (*nfaState[T], error) {
	st := &nfaState[T]{}
	if err := decodeStateInto(st, b, c, ev, nil, nil); err != nil {
		return nil, err
	}
	return st, nil
}

// decEvent is an entry of the events table of a state being decoded.
type decEvent[T any] struct {
	seq uint64
	ts  int64
	v   T
}

// decodeStateInto decodes b into st, reusing st's runs slice and *events
// (nil: fresh ones); the steps are cut from m's arena (nil m: allocated).
func decodeStateInto[T any](st *nfaState[T], b []byte, c *compiled[T], ev codec.Codec[T], events *[]decEvent[T], m *machine[T]) error {
	if _, err := decodeStateBody(st, b, c, ev, events, m); err != nil {
		clear(st.runs)
		st.runs = st.runs[:0]
		return err
	}
	return nil
}

func decodeStateBody[T any](st *nfaState[T], b []byte, c *compiled[T], ev codec.Codec[T], evs *[]decEvent[T], m *machine[T]) (*nfaState[T], error) {
	if len(b) < 1+8+4 {
		return nil, fmt.Errorf("%w: %d bytes", errState, len(b))
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", errState)
	}
	if body[0] != stateVersion {
		return nil, fmt.Errorf("%w: unknown version %d", errState, body[0])
	}
	if fp := binary.BigEndian.Uint64(body[1:9]); fp != c.fingerpr {
		return nil, fmt.Errorf("cep: the pattern state was written by another pattern (fingerprint %016x, this pattern %016x)", fp, c.fingerpr)
	}
	r := &reader{b: body[9:]}
	st.nextSeq = r.uvarint("sequence number")
	// Every element takes at least one byte: counts above the bytes left
	// are corrupt (and bound the allocations).
	nev := r.small("event count", uint64(len(r.b)))
	var events []decEvent[T]
	if evs != nil && cap(*evs) >= nev {
		events = (*evs)[:nev]
	} else {
		events = make([]decEvent[T], nev)
		if evs != nil {
			*evs = events
		}
	}
	if evs != nil {
		defer clear(events)
	}
	for i := range events {
		events[i].seq = r.uvarint("event sequence number")
		events[i].ts = r.varint("event time")
		n := r.small("event length", uint64(len(r.b)))
		if r.err != nil {
			return nil, r.err
		}
		if n > len(r.b) {
			return nil, fmt.Errorf("%w: event length %d beyond the state", errState, n)
		}
		if events[i].seq >= st.nextSeq {
			return nil, fmt.Errorf("%w: event sequence number %d not below the next one %d", errState, events[i].seq, st.nextSeq)
		}
		v, err := ev.Decode(r.b[:n])
		if err != nil {
			return nil, fmt.Errorf("%w: event: %v", errState, err)
		}
		events[i].v = v
		r.b = r.b[n:]
	}
	nst := len(c.stages)
	nrun := r.small("run count", uint64(len(r.b)))
	if r.err != nil {
		return nil, r.err
	}
	clear(st.runs)
	st.runs = slices.Grow(st.runs[:0], nrun)[:nrun]
	for i := range st.runs {
		ru := &st.runs[i]
		ru.stage = r.small("run stage", uint64(nst))
		ru.count = r.small("run count of events", uint64(len(r.b)))
		if r.err != nil {
			return nil, r.err
		}
		if len(r.b) == 0 {
			return nil, fmt.Errorf("%w: truncated run", errState)
		}
		flags := r.b[0]
		r.b = r.b[1:]
		if flags&^1 != 0 {
			return nil, fmt.Errorf("%w: run flags %#x", errState, flags)
		}
		ru.fresh = flags&1 != 0
		ru.greedyFrom = r.small("run greedy stage", uint64(nst)) - 1
		nsteps := r.small("step count", uint64(len(r.b)))
		if r.err != nil {
			return nil, r.err
		}
		if nsteps == 0 {
			return nil, fmt.Errorf("%w: run without events", errState)
		}
		if m != nil {
			ru.steps = m.alloc(nsteps)
		} else {
			ru.steps = make([]step[T], nsteps)
		}
		for j := range ru.steps {
			s := r.small("step stage", uint64(nst-1))
			k := r.small("step event", uint64(nev)-1)
			if r.err != nil {
				return nil, r.err
			}
			if nev == 0 {
				return nil, fmt.Errorf("%w: step without events", errState)
			}
			e := events[k]
			ru.steps[j] = step[T]{stage: s, seq: e.seq, ts: e.ts, v: e.v}
		}
		if ru.stage < nst && ru.count > 0 && ru.steps[nsteps-1].stage != ru.stage {
			return nil, fmt.Errorf("%w: run in stage %d whose last event is not", errState, ru.stage)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the runs", errState, len(r.b))
	}
	return st, nil
}

// A buffer bucket (the "cep-buffer" value of one time), version 1:
//
//	byte    version (1)
//	...     per event: uvarint length, the event codec's bytes
//	uint32  CRC-32C of every byte before it, big-endian

// appendEvent appends one event to a bucket (nil: a new one).
func appendEvent[T any](bucket []byte, ev codec.Codec[T], v T) []byte {
	if len(bucket) < 5 {
		bucket = append(bucket[:0], stateVersion)
	} else {
		bucket = bucket[:len(bucket)-4]
	}
	at := len(bucket)
	bucket = append(bucket, 0, 0, 0, 0, 0)
	body := len(bucket)
	bucket = ev.Append(bucket, v)
	var lb [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(lb[:], uint64(len(bucket)-body))
	copy(bucket[at:], lb[:k])
	bucket = append(bucket[:at+k], bucket[body:]...)
	return binary.BigEndian.AppendUint32(bucket, crc32.Checksum(bucket, castagnoli))
}

// eachEvent decodes the events of a bucket in order.
func eachEvent[T any](b []byte, ev codec.Codec[T], fn func(T) error) error {
	if len(b) < 5 {
		return fmt.Errorf("%w: event buffer of %d bytes", errState, len(b))
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return fmt.Errorf("%w: event buffer checksum mismatch", errState)
	}
	if body[0] != stateVersion {
		return fmt.Errorf("%w: event buffer version %d", errState, body[0])
	}
	b = body[1:]
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return fmt.Errorf("%w: event buffer entry", errState)
		}
		v, err := ev.Decode(b[k : k+int(n)])
		if err != nil {
			return fmt.Errorf("%w: buffered event: %v", errState, err)
		}
		b = b[k+int(n):]
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}
