package format

import (
	"errors"
	"fmt"
)

// Error classes, the values Class returns. They are stable: dead-letter
// headers and metrics carry them.
const (
	ClassJSON           = "json"
	ClassCSV            = "csv"
	ClassAvro           = "avro"
	ClassSchemaRegistry = "schema-registry"
	ClassWireFormat     = "wire-format"
	ClassTooLarge       = "too-large"
	ClassOther          = "other"
)

// Sentinels that errors of this package wrap, for errors.Is.
var (
	// ErrBadWireFormat: the bytes are not in the Confluent wire format (no
	// magic byte 0, or shorter than its 5-byte header). Class "wire-format".
	ErrBadWireFormat = errors.New("bad wire format")
	// ErrUnknownSchema: the schema registry does not know the schema id
	// of a record. Class "schema-registry".
	ErrUnknownSchema = errors.New("unknown schema id")
	// ErrTooLarge: the input is longer than a Limit. Class "too-large".
	ErrTooLarge = errors.New("input too large")
)

// Error is the error of every Decoder and Encoder of this package: a record
// that does not fit its format, or a failure of the schema registry.
type Error struct {
	// Class is one of the Class* constants ("json", "csv", ...).
	Class string
	// Reason says what is wrong, without the "strom: format: <class>: "
	// prefix of Error().
	Reason string
	// Hint, when set, says what to do (not part of Error()).
	Hint string
	// Err is the underlying error (of the JSON, CSV, Avro or registry
	// code), if any.
	Err error

	kind error // a sentinel of this package, if any
}

func (e *Error) Error() string { return "strom: format: " + e.Class + ": " + e.Reason }

// Unwrap returns the sentinel of the error (ErrBadWireFormat,
// ErrUnknownSchema, ErrTooLarge) and the underlying error.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.kind != nil {
		errs = append(errs, e.kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

func newError(class string, err error, format string, args ...any) *Error {
	return &Error{Class: class, Reason: fmt.Sprintf(format, args...), Err: err}
}

// Class returns the class of err: the Class of the first *Error it wraps,
// else "too-large", "wire-format" or "schema-registry" when it wraps the
// matching sentinel, else "other" (also for nil). The classes are short and
// stable, for dead-letter headers.
func Class(err error) string {
	if err == nil {
		return ClassOther
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Class
	}
	switch {
	case errors.Is(err, ErrTooLarge):
		return ClassTooLarge
	case errors.Is(err, ErrBadWireFormat):
		return ClassWireFormat
	case errors.Is(err, ErrUnknownSchema):
		return ClassSchemaRegistry
	}
	return ClassOther
}

// ClassOr is Class(err), or def when err has no class of this package (a
// dead letter's error class when the deserializer is not one of ours).
func ClassOr(err error, def string) string {
	if c := Class(err); c != ClassOther {
		return c
	}
	return def
}
