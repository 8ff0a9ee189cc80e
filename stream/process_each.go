package stream

import "github.com/stromio/strom/internal/operator"

// ProcessEach is Process with a function of its own per subtask: newFn is
// called once for each subtask when the job starts, so the function may
// keep scratch state (buffers reused from record to record) without locks.
func ProcessEach[I, O any](s Stream[I], newFn func() ProcessFunc[I, O]) Stream[O] {
	return add(s, "process", false, func(out operator.Collector[O]) (operator.Operator, operator.Collector[I]) {
		op := &operator.Process[I, O]{Fn: newFn(), Out: out}
		return op, op
	})
}
