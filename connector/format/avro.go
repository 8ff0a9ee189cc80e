package format

import (
	"fmt"

	"github.com/hamba/avro/v2"
)

// Default bounds of Avro decoding (AvroOptions).
const (
	DefaultAvroMaxBytes = 1 << 20
	DefaultAvroMaxItems = 1 << 20
)

// AvroOptions configure AvroRegistry (and bound Avro decoding).
type AvroOptions struct {
	// Schema is the Avro schema of T as JSON text (required): what Encode
	// writes (and registers) and what Decode reads into. hamba/avro maps
	// the schema's fields onto T by the `avro:"name"` struct tags.
	Schema string
	// MaxBytes bounds one bytes or string value that Decode creates
	// (default DefaultAvroMaxBytes).
	MaxBytes int
	// MaxItems bounds the items of one array (default DefaultAvroMaxItems):
	// items of type null take no input bytes, so without it a few bytes
	// could ask for a huge slice.
	MaxItems int
}

func (o AvroOptions) api() avro.API {
	return avro.Config{
		MaxByteSliceSize:  cmpOr(o.MaxBytes, DefaultAvroMaxBytes),
		MaxSliceAllocSize: cmpOr(o.MaxItems, DefaultAvroMaxItems),
		// Strict: a union value that fits no branch is an error, not nil.
		UnionResolutionError: true,
	}.Freeze()
}

func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Avro is Avro binary encoding (no header: the schema is known to both
// sides) of T with the given schema, decoded with the default bounds of
// AvroOptions. Bytes after the encoded value are ignored.
func Avro[T any](schema string) (Format[T], error) {
	return newAvroFormat[T](AvroOptions{Schema: schema})
}

func newAvroFormat[T any](o AvroOptions) (*avroFormat[T], error) {
	s, err := avro.Parse(o.Schema)
	if err != nil {
		return nil, fmt.Errorf("strom: format: invalid Avro schema: %w", err)
	}
	return &avroFormat[T]{schema: s, api: o.api()}, nil
}

type avroFormat[T any] struct {
	schema avro.Schema
	api    avro.API
}

func (f *avroFormat[T]) Decode(b []byte) (T, error) { return decodeAvro[T](f.api, f.schema, b) }

func (f *avroFormat[T]) Encode(v T, dst []byte) ([]byte, error) {
	b, err := f.api.Marshal(f.schema, v)
	if err != nil {
		return dst, newError(ClassAvro, err, "cannot encode %T: %v", v, err)
	}
	if len(dst) == 0 {
		return b, nil
	}
	return append(dst, b...), nil
}

func decodeAvro[T any](api avro.API, s avro.Schema, b []byte) (v T, err error) {
	defer func() {
		if p := recover(); p != nil { // a decoder bug must not take the process down
			var zero T
			v, err = zero, &Error{Class: ClassAvro, Reason: fmt.Sprintf("decoder panic: %v", p)}
		}
	}()
	if err := api.Unmarshal(s, b, &v); err != nil {
		var zero T
		return zero, newError(ClassAvro, err, "cannot decode %T from %d bytes: %v", v, len(b), err)
	}
	return v, nil
}
