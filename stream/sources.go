package stream

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/stromio/strom/connector"
)

// SliceSource is a source over a slice, in one split. It is bounded unless
// Unbounded is set, in which case it stays open (producing nothing) after the
// last item, like a topic nobody writes to any more.
type SliceSource[T any] struct {
	Items     []T
	Unbounded bool
}

func (s SliceSource[T]) Splits(context.Context) ([]connector.Split, error) {
	return []connector.Split{{ID: "slice"}}, nil
}
func (s SliceSource[T]) Bounded() bool { return !s.Unbounded }
func (s SliceSource[T]) Open(_ context.Context, _ connector.Split, pos []byte) (connector.Reader[T], error) {
	r := &indexReader[T]{n: int64(len(s.Items)), at: func(i int64) T { return s.Items[i] }, open: s.Unbounded}
	return r, r.seek(pos)
}

// GeneratorSource produces Count records per split (Count < 0: unbounded)
// from a function of the split index and the record's sequence number. It is
// replayable: the position is the next sequence number.
type GeneratorSource[T any] struct {
	NumSplits int
	Count     int64
	Fn        func(split int, seq int64) T
}

func (g GeneratorSource[T]) Splits(context.Context) ([]connector.Split, error) {
	n := max(g.NumSplits, 1)
	out := make([]connector.Split, n)
	for i := range out {
		out[i] = connector.Split{ID: "gen-" + strconv.Itoa(i), Data: binary.AppendUvarint(nil, uint64(i))}
	}
	return out, nil
}
func (g GeneratorSource[T]) Bounded() bool { return g.Count >= 0 }
func (g GeneratorSource[T]) Open(_ context.Context, sp connector.Split, pos []byte) (connector.Reader[T], error) {
	idx, n := binary.Uvarint(sp.Data)
	if n <= 0 {
		return nil, fmt.Errorf("generator: bad split %q", sp.ID)
	}
	r := &genReader[T]{indexReader: indexReader[T]{n: g.Count}, fn: g.Fn, split: int(idx)}
	return r, r.seek(pos)
}

// genReader calls the generator function directly (one indirect call per
// record, since the generator is part of every benchmark).
type genReader[T any] struct {
	indexReader[T]
	fn    func(int, int64) T
	split int
}

func (r *genReader[T]) Read(_ context.Context, buf []T) (int, error) {
	k := len(buf)
	if r.n >= 0 {
		k = int(min(int64(k), r.n-r.next))
		if k == 0 {
			return 0, io.EOF
		}
	}
	for i := range buf[:k] {
		buf[i] = r.fn(r.split, r.next+int64(i))
	}
	r.next += int64(k)
	return k, nil
}

type indexReader[T any] struct {
	n    int64 // < 0: unbounded
	next int64
	at   func(int64) T
	open bool // after n records, stay open instead of ending
}

func (r *indexReader[T]) seek(pos []byte) error {
	if pos == nil {
		return nil
	}
	v, n := binary.Uvarint(pos)
	if n <= 0 || (r.n >= 0 && int64(v) > r.n) {
		return errors.New("stream: corrupt source position")
	}
	r.next = int64(v)
	return nil
}

func (r *indexReader[T]) Read(_ context.Context, buf []T) (int, error) {
	k := 0
	for k < len(buf) && (r.n < 0 || r.next < r.n) {
		buf[k] = r.at(r.next)
		r.next++
		k++
	}
	if k == 0 && r.n >= 0 && r.next >= r.n && !r.open {
		return 0, io.EOF
	}
	return k, nil
}

func (r *indexReader[T]) Position() []byte { return binary.AppendUvarint(nil, uint64(r.next)) }
func (r *indexReader[T]) Close() error     { return nil }

// FromSlice is a bounded stream of items (one split, read by one subtask).
func FromSlice[T any](env *Environment, items []T) Stream[T] {
	return FromSource[T](env, SliceSource[T]{Items: items}, WatermarkStrategy[T]{}, "slice-source")
}

// FromSliceWithTimestamps is FromSlice with event time taken from ts and
// watermarks with the given bounded out-of-orderness.
func FromSliceWithTimestamps[T any](env *Environment, items []T, wm WatermarkStrategy[T]) Stream[T] {
	wm.Enabled = true
	return FromSource[T](env, SliceSource[T]{Items: items}, wm, "slice-source")
}

// FromGenerator is a stream of count records per split made by fn
// (count < 0: unbounded), with one split per subtask of the environment's
// parallelism.
func FromGenerator[T any](env *Environment, count int64, fn func(split int, seq int64) T, wm WatermarkStrategy[T]) Stream[T] {
	return FromSource[T](env, GeneratorSource[T]{NumSplits: env.opts.Parallelism, Count: count, Fn: fn}, wm, "generator")
}
