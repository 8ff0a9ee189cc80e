package format

import (
	"fmt"
	"strings"
)

// Decoder turns the bytes of one record into a T. b belongs to the caller:
// a Decoder never keeps it (nor returns a T that aliases it).
type Decoder[T any] interface {
	Decode(b []byte) (T, error)
}

// Encoder appends the bytes of v to dst and returns the extended slice.
type Encoder[T any] interface {
	Encode(v T, dst []byte) ([]byte, error)
}

// Format is both directions of one record format.
type Format[T any] interface {
	Decoder[T]
	Encoder[T]
}

// Raw is the bytes themselves: Decode returns a copy of its input (so the
// caller may reuse its buffer), Encode appends v.
func Raw() Format[[]byte] { return rawFormat{} }

type rawFormat struct{}

func (rawFormat) Decode(b []byte) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	return append(make([]byte, 0, len(b)), b...), nil
}

func (rawFormat) Encode(v []byte, dst []byte) ([]byte, error) { return append(dst, v...), nil }

// String is the bytes as a Go string, not checked for valid UTF-8.
func String() Format[string] { return stringFormat{} }

type stringFormat struct{}

func (stringFormat) Decode(b []byte) (string, error)             { return string(b), nil }
func (stringFormat) Encode(v string, dst []byte) ([]byte, error) { return append(dst, v...), nil }

// Limit returns a Decoder that rejects inputs longer than n bytes with an
// *Error of class "too-large" (wrapping ErrTooLarge) before d sees them.
func Limit[T any](d Decoder[T], n int) Decoder[T] { return limitDecoder[T]{d: d, n: n} }

type limitDecoder[T any] struct {
	d Decoder[T]
	n int
}

func (l limitDecoder[T]) Decode(b []byte) (T, error) {
	if len(b) > l.n {
		var zero T
		e := newError(ClassTooLarge, nil, "record of %d bytes is over the limit of %d bytes", len(b), l.n)
		e.kind = ErrTooLarge
		return zero, e
	}
	return l.d.Decode(b)
}

// Name names a format for the command line and SQL (WITH format = 'json').
type Name string

// The format names ParseName accepts. NameAvro means Avro in the Confluent
// wire format: it needs a schema registry URL and a subject, given apart.
const (
	NameJSON Name = "json"
	NameRaw  Name = "raw"
	NameCSV  Name = "csv"
	NameAvro Name = "avro"
)

// Names lists the format names, for help texts.
func Names() []Name { return []Name{NameJSON, NameRaw, NameCSV, NameAvro} }

// ParseName parses a format name, ignoring case and surrounding spaces.
func ParseName(s string) (Name, error) {
	n := Name(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Names() {
		if n == k {
			return n, nil
		}
	}
	return "", fmt.Errorf("strom: format: unknown format %q (want json, raw, csv or avro)", s)
}
