package operator

// BatchCollector is an optional capability of a Collector: it takes a run of
// records at once, so chained operators pay one interface call per batch
// instead of one per record. ts and vs are valid only during the call; the
// receiver copies what it keeps.
type BatchCollector[T any] interface {
	CollectBatch(ts []int64, vs []T)
}

// batchOut is an operator output that uses CollectBatch when the next
// collector has it.
type batchOut[T any] struct {
	one  Collector[T]
	many BatchCollector[T]
}

func newBatchOut[T any](c Collector[T]) batchOut[T] {
	b, _ := c.(BatchCollector[T])
	return batchOut[T]{one: c, many: b}
}

func (o *batchOut[T]) emit(ts []int64, vs []T) {
	if o.many != nil {
		o.many.CollectBatch(ts, vs)
		return
	}
	for i := range vs {
		o.one.Collect(ts[i], vs[i])
	}
}

// CollectBatch maps a run of records into a reused buffer and passes it on.
func (o *Map[I, O]) CollectBatch(ts []int64, vs []I) {
	o.Enter()
	o.M.In += int64(len(vs))
	if cap(o.buf) < len(vs) {
		o.buf = make([]O, len(vs))
	}
	buf := o.buf[:len(vs)]
	for i := range vs {
		buf[i] = o.Fn(vs[i])
	}
	o.out.emit(ts, buf)
	clear(buf)
}

// CollectBatch keeps the matching records of a run and passes them on.
func (o *Filter[T]) CollectBatch(ts []int64, vs []T) {
	o.Enter()
	o.M.In += int64(len(vs))
	if cap(o.buf) < len(vs) {
		o.buf = make([]T, len(vs))
		o.tsb = make([]int64, len(vs))
	}
	k := 0
	for i := range vs {
		if o.Fn(vs[i]) {
			o.buf[k] = vs[i]
			o.tsb[k] = ts[i]
			k++
		}
	}
	if k > 0 {
		o.out.emit(o.tsb[:k], o.buf[:k])
	}
	clear(o.buf[:k])
}

// CollectBatch forwards a run unchanged.
func (o *Passthrough[T]) CollectBatch(ts []int64, vs []T) {
	o.M.In += int64(len(vs))
	o.out.emit(ts, vs)
}

// CollectBatch writes a run of records.
func (o *Sink[T]) CollectBatch(ts []int64, vs []T) {
	o.Enter()
	o.M.In += int64(len(vs))
	for i := range vs {
		if err := o.w.Write(vs[i], ts[i]); err != nil {
			o.Fail(err)
		}
	}
}

// CollectBatch hands a run to every output.
func (f fanout[T]) CollectBatch(ts []int64, vs []T) {
	for _, c := range f {
		if b, ok := c.(BatchCollector[T]); ok {
			b.CollectBatch(ts, vs)
			continue
		}
		for i := range vs {
			c.Collect(ts[i], vs[i])
		}
	}
}

// CollectBatch partitions a run of records.
func (w *Writer[T]) CollectBatch(ts []int64, vs []T) {
	for i := range vs {
		w.Collect(ts[i], vs[i])
	}
}
