package file

import (
	"errors"
	"unicode/utf8"

	"github.com/stromio/strom/connector/format"
)

// CSV records are connector/format's CSVFormat (the mapping onto T, field
// splitting, quoting); this file adapts it to files: a header line read per
// file, line errors, records ended by '\n'.

func newCSVFormat[T any](o CSVOptions) (*format.CSVFormat[T], error) {
	return format.CSV[T](format.CSVOptions{Comma: o.Comma})
}

// csvDecoder turns records into T for one reader (it holds the column map
// read from the file's header).
type csvDecoder[T any] struct {
	f          *format.CSVFormat[T] // by position until the header is read; nil with dec
	dec        format.Decoder[T]    // a source's own decoder (the header is skipped)
	needHeader bool
	comma      []byte
}

func newCSVDecoder[T any](f *format.CSVFormat[T], o CSVOptions) *csvDecoder[T] {
	return &csvDecoder[T]{f: f, needHeader: !o.NoHeader, comma: utf8.AppendRune(nil, o.Comma)}
}

// readHeader takes the header record and maps its columns to fields.
func (d *csvDecoder[T]) readHeader(rec []byte) *LineError {
	if d.dec != nil {
		return nil
	}
	f, err := d.f.WithHeaderRecord(rec)
	if err != nil {
		le := lineErrorOf(err)
		if le.hint != "" {
			le.hint += ", or set NoHeader"
		}
		return le
	}
	d.f = f
	return nil
}

func (d *csvDecoder[T]) decode(rec []byte) (T, *LineError) {
	v, err := d.f.Decode(rec)
	if err != nil {
		return v, lineErrorOf(err)
	}
	return v, nil
}

// lineErrorOf turns an error of connector/format into a LineError.
func lineErrorOf(err error) *LineError {
	fe, ok := errors.AsType[*format.Error](err)
	if !ok {
		return &LineError{Reason: err.Error(), Err: err}
	}
	return &LineError{Reason: fe.Reason, Err: fe.Err, hint: fe.Hint}
}

// csvAppender returns the encoder of a sink: one record and its '\n'.
func csvAppender[T any](f *format.CSVFormat[T]) func([]byte, T) ([]byte, error) {
	return func(dst []byte, v T) ([]byte, error) {
		dst, err := f.Encode(v, dst)
		if err != nil {
			return dst, err
		}
		return append(dst, '\n'), nil
	}
}
