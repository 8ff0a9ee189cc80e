package base

import (
	"errors"
	"fmt"
	"strings"
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
	return fmt.Sprintf("operator %q (subtask %d) %s: %s", e.Operator, e.Subtask, kind, TrimPrefix(e.Cause.Error()))
}

// Prefix is what strom's errors start with when they stand alone ("strom:
// file source: ..."): a connector's, and the command line's message.
const Prefix = "strom: "

// TrimPrefix returns msg without a leading Prefix.
func TrimPrefix(msg string) string {
	return strings.TrimPrefix(msg, Prefix)
}

// Wrapf returns cause with context: it reads "<context>: <cause>" with the
// cause's leading "strom: " left out, so that a connector's error wrapped
// by the runtime (and prefixed again where it is printed) carries the
// prefix once; errors.Is and errors.As see cause.
func Wrapf(cause error, format string, args ...any) error {
	return &wrapped{msg: fmt.Sprintf(format, args...), cause: cause}
}

type wrapped struct {
	msg   string
	cause error
}

func (w *wrapped) Error() string { return w.msg + ": " + TrimPrefix(w.cause.Error()) }
func (w *wrapped) Unwrap() error { return w.cause }

func (e *OperatorError) Unwrap() error { return e.Cause }

// PanicError wraps a recovered panic value as an error.
func PanicError(v any) error {
	if err, ok := v.(error); ok {
		return err
	}
	return fmt.Errorf("panic: %v", v)
}

// IsDecodeFailure reports whether err wraps a decoder's error for bytes
// that do not decode as expected: an error with a DecodeFailure method
// returning true (table.ErrCorrupt, codec.ErrShort).
func IsDecodeFailure(err error) bool {
	var d interface{ DecodeFailure() bool }
	return errors.As(err, &d) && d.DecodeFailure()
}

// RestoredStateError is the failure of a job that restored state and then
// could not decode state bytes: checkpoint and savepoint files are
// checksummed, so such bytes were almost always written by a different
// job (a changed query, or strom's plan of it) under the same operator UID.
type RestoredStateError struct {
	From  string // what the job restored: "savepoint DIR (checkpoint N)" or "checkpoint N"
	Cause error
}

func (e *RestoredStateError) Error() string {
	return fmt.Sprintf("%s\n  the job restored its state from %s, and its files are checksummed: state that does not decode was written by a different job "+
		"under the same operator UID (a changed query or program, or strom's plan of it); restore it with the job that wrote it, "+
		"or start this job without that state (without --from-savepoint, or with a new --checkpoint-dir: the state is then lost)",
		TrimPrefix(e.Cause.Error()), e.From)
}

func (e *RestoredStateError) Unwrap() error { return e.Cause }
