package base

import (
	"errors"
	"fmt"
)

// ErrCanceled is returned by blocking calls of the runtime after the job was
// canceled.
var ErrCanceled = errors.New("strom: job canceled")

// ErrNewerVersion is checkpoint.ErrNewerVersion (a persisted layout only a
// newer build writes), here so that the state and operator layers, which
// must not import internal/checkpoint, can wrap it in their snapshots'
// version errors.
var ErrNewerVersion = errors.New("checkpoint: format of a newer strom")

// OperatorError is the failure of one operator: the operator's name, the
// subtask and the cause (an error or a recovered panic).
type OperatorError struct {
	Operator string
	Subtask  int
	Cause    error
	Panic    bool
	Stack    []byte
}

func (e *OperatorError) Error() string {
	kind := "failed"
	if e.Panic {
		kind = "panicked"
	}
	return fmt.Sprintf("operator %q (subtask %d) %s: %v", e.Operator, e.Subtask, kind, e.Cause)
}

func (e *OperatorError) Unwrap() error { return e.Cause }

// PanicError wraps a recovered panic value as an error.
func PanicError(v any) error {
	if err, ok := v.(error); ok {
		return err
	}
	return fmt.Errorf("panic: %v", v)
}
