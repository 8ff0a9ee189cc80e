package operator

import (
	"encoding/binary"
	"fmt"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
)

// Stamped is a value with its event timestamp (buffered records).
type Stamped[T any] struct {
	TS int64
	V  T
}

// StampedCodec encodes a Stamped[T] as 8 big-endian bytes of timestamp
// followed by the value's encoding with C.
type StampedCodec[T any] struct{ C codec.Codec[T] }

func (c StampedCodec[T]) Append(dst []byte, v Stamped[T]) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(v.TS))
	return c.C.Append(dst, v.V)
}

func (c StampedCodec[T]) Decode(src []byte) (Stamped[T], error) {
	if len(src) < 8 {
		return Stamped[T]{}, fmt.Errorf("operator: stamped value needs at least 8 bytes, got %d", len(src))
	}
	v, err := c.C.Decode(src[8:])
	return Stamped[T]{TS: int64(binary.BigEndian.Uint64(src)), V: v}, err
}

// Enrich joins a keyed stream of records (input 1) with a keyed changelog
// of a table (input 2): each record is emitted as Fn(record, row) with the
// key's current row. A record whose key has no row yet waits in keyed state
// and is emitted, in arrival order and with its own timestamp, when the row
// arrives (or, with MaxWait, is given up once the watermark passed
// ts+MaxWait: sent to UnmatchedTag when set, else dropped).
//
// The table keeps the latest row per key by event time: a row older than the
// key's current one (an out-of-order update) is ignored; a row for which
// IsDelete is true removes the key's row but remembers its time, so an older
// update arriving after the delete does not bring the row back. Rows without
// a timestamp always apply (arrival order).
type Enrich[K, A, R, O any] struct {
	keyedCore[K, O]
	Key1     func(A) K
	Key2     func(R) K
	KeyCodec codec.Codec[K]
	// CodecA and CodecR serialize buffered records and rows (default codec.For).
	CodecA codec.Codec[A]
	CodecR codec.Codec[R]
	Fn     func(A, R) O
	// IsDelete marks changelog rows that delete the key's row (nil: none do).
	IsDelete func(R) bool
	// MaxWait is how long, in event time, a record waits for its row; 0
	// waits forever.
	MaxWait int64
	// UnmatchedTag names a side output of type A for records given up.
	UnmatchedTag string
	Out          Collector[O]

	row     *ValueState[R]
	rowTS   *ValueState[int64]
	pending *ListState[Stamped[A]]
	onTimer func(tm *Timer)
}

func (o *Enrich[K, A, R, O]) Open(rt *Runtime) error {
	if err := o.openKeyed(rt, o.Out, o.KeyCodec); err != nil {
		return err
	}
	if o.MaxWait < 0 {
		return fmt.Errorf("enrich: MaxWait must not be negative, got %dms", o.MaxWait)
	}
	if o.CodecA == nil {
		o.CodecA = codec.For[A]()
	}
	if o.CodecR == nil {
		o.CodecR = codec.For[R]()
	}
	o.row = NewValueState(&o.kc, "enrich-row", o.CodecR, TTL{})
	o.rowTS = NewValueState(&o.kc, "enrich-row-ts", codec.Codec[int64](codec.Int64{}), TTL{})
	o.pending = NewListState(&o.kc, "enrich-pending", codec.Codec[Stamped[A]](StampedCodec[A]{C: o.CodecA}), TTL{})
	o.onTimer = o.expire
	return nil
}

// Input1 is the collector of the records to enrich.
func (o *Enrich[K, A, R, O]) Input1() Collector[A] { return enrichRecords[K, A, R, O]{o} }

// Input2 is the collector of the table's changelog.
func (o *Enrich[K, A, R, O]) Input2() Collector[R] { return enrichRows[K, A, R, O]{o} }

type enrichRecords[K, A, R, O any] struct{ o *Enrich[K, A, R, O] }

func (c enrichRecords[K, A, R, O]) Collect(ts int64, v A) {
	o := c.o
	o.Enter()
	o.M.In++
	o.setKey(o.Key1(v), ts)
	if r, ok := o.row.Get(); ok {
		o.em.Emit(o.Fn(v, r))
		return
	}
	o.pending.Add(Stamped[A]{TS: ts, V: v})
	if o.MaxWait > 0 && ts != base.MinTime {
		o.event.Register(o.kc.KG, o.kc.Key, nil, addSat(ts, o.MaxWait))
	}
}

type enrichRows[K, A, R, O any] struct{ o *Enrich[K, A, R, O] }

func (c enrichRows[K, A, R, O]) Collect(ts int64, r R) {
	o := c.o
	o.Enter()
	o.M.In++
	o.setKey(o.Key2(r), ts)
	if prev, ok := o.rowTS.Get(); ok && ts != base.MinTime && ts < prev {
		return // an update older than the current row: out of order, ignored
	}
	if ts != base.MinTime {
		o.rowTS.Set(ts)
	}
	if o.IsDelete != nil && o.IsDelete(r) {
		o.row.Clear()
		return
	}
	o.row.Set(r)
	// Flush the records that waited for this row, each with its own time.
	o.pending.Range(func(p Stamped[A]) bool {
		o.em.TS = p.TS
		o.em.Emit(o.Fn(p.V, r))
		return true
	})
	o.pending.Clear()
}

// expire gives up the records of the timer's key that waited MaxWait.
func (o *Enrich[K, A, R, O]) expire(tm *Timer) {
	ps := o.pending.Get()
	n := 0
	for _, p := range ps {
		if addSat(p.TS, o.MaxWait) <= tm.Time {
			if o.UnmatchedTag != "" {
				o.ctx.ts = p.TS
				Output(&o.ctx.Context, o.UnmatchedTag, p.V)
			}
			continue
		}
		ps[n] = p
		n++
	}
	o.pending.Update(ps[:n])
}

func (o *Enrich[K, A, R, O]) Watermark(wm int64) {
	o.Enter()
	o.Base.Watermark(wm)
	o.fire(&o.event, wm, EventTime, o.onTimer)
}

// PendingTimers is the number of registered expiry timers (tests, metrics).
func (o *Enrich[K, A, R, O]) PendingTimers() int { return o.event.Len() + o.proc.Len() }
