package stream

import "github.com/stromio/strom/internal/operator"

// ProcessEach is Process with a function of its own per subtask: newFn is
// called once for each subtask when the job starts, so the function may
// keep scratch state (buffers reused from record to record) without locks.
func ProcessEach[I, O any](s Stream[I], newFn func() ProcessFunc[I, O]) Stream[O] {
	return processEach(s, newFn, false)
}

// ProcessEachReleasing is ProcessEach for a function that never reads an
// input record itself (for a table.Row: its Fields slice; values copied
// out of it are the function's) after it returns. What it emits is
// judged by the operators downstream.
// When every operator a source's records reach on the same goroutine says
// so (operator.Releaser: this function's operator, and a sink whose writer
// keeps nothing), the source's reader may build each batch of records in
// the memory of the batch before (connector.RecordReuser). A function that
// breaks the promise would see its kept records change under it.
func ProcessEachReleasing[I, O any](s Stream[I], newFn func() ProcessFunc[I, O]) Stream[O] {
	return processEach(s, newFn, true)
}

// ProcessEachCopying is ProcessEachReleasing for a function that also
// never emits an input record (to its output or a side output): what it
// emits it builds itself (a copy of the fields, for a table.Row). Its
// operator is then done with every input record whatever the operators
// after it keep (a fan-out, a channel to another subtask), so a source
// before it may reuse record memory (connector.RecordReuser). A function
// that emits an input record breaks the promise: what it emitted would
// change under whoever keeps it.
func ProcessEachCopying[I, O any](s Stream[I], newFn func() ProcessFunc[I, O]) Stream[O] {
	return add(s, "process", false, func(out operator.Collector[O]) (operator.Operator, operator.Collector[I]) {
		op := &operator.Process[I, O]{Fn: newFn(), Out: out, Releases: true, Fresh: true}
		return op, op
	})
}

func processEach[I, O any](s Stream[I], newFn func() ProcessFunc[I, O], releases bool) Stream[O] {
	return add(s, "process", false, func(out operator.Collector[O]) (operator.Operator, operator.Collector[I]) {
		op := &operator.Process[I, O]{Fn: newFn(), Out: out, Releases: releases}
		return op, op
	})
}

// EmitterReleases reports whether everything out passes records to is
// done with each record by the time Emit returns: the emitting function
// may then build its next record in the memory of the last one. Ask it
// once the operators are open (in ProcessElement, not in Open).
func EmitterReleases[T any](out Emitter[T]) bool {
	return operator.EmitterReleases(out)
}
