package format

import (
	"errors"
	"fmt"
	"io"
	"sync"

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
	// NoRegister makes AvroRegistry's Encode look the schema up under the
	// subject instead of registering it, for registries that forbid
	// registration by clients (a schema not there is an error).
	NoRegister bool
	// MaxBytes bounds one bytes or string value that Decode creates
	// (default DefaultAvroMaxBytes).
	MaxBytes int
	// MaxItems bounds the items of one array (default DefaultAvroMaxItems):
	// items of type null take no input bytes, so without it a few bytes
	// could ask for a huge slice.
	MaxItems int
}

// avroCodec is a configuration of hamba/avro and a pool of its readers.
type avroCodec struct {
	api     avro.API
	readers sync.Pool
}

func (o AvroOptions) codec() *avroCodec {
	return &avroCodec{api: avro.Config{
		MaxByteSliceSize:  cmpOr(o.MaxBytes, DefaultAvroMaxBytes),
		MaxSliceAllocSize: cmpOr(o.MaxItems, DefaultAvroMaxItems),
		// Strict: a union value that fits no branch is an error, not nil.
		UnionResolutionError: true,
	}.Freeze()}
}

func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Avro is Avro binary encoding (no header: the schema is known to both
// sides) of T with the given schema, decoded with the default bounds of
// AvroOptions. Input that ends inside the value is an error; bytes after
// the value are ignored.
func Avro[T any](schema string) (Format[T], error) {
	return newAvroFormat[T](AvroOptions{Schema: schema})
}

func newAvroFormat[T any](o AvroOptions) (*avroFormat[T], error) {
	s, err := avro.Parse(o.Schema)
	if err != nil {
		return nil, fmt.Errorf("strom: format: invalid Avro schema: %w", err)
	}
	return &avroFormat[T]{schema: s, codec: o.codec()}, nil
}

type avroFormat[T any] struct {
	schema avro.Schema
	codec  *avroCodec
}

func (f *avroFormat[T]) Decode(b []byte) (T, error) { return decodeAvro[T](f.codec, f.schema, b) }

func (f *avroFormat[T]) Encode(v T, dst []byte) ([]byte, error) {
	b, err := f.codec.api.Marshal(f.schema, v)
	if err != nil {
		return dst, newError(ClassAvro, err, "cannot encode %T: %v", v, err)
	}
	if len(dst) == 0 {
		return b, nil
	}
	return append(dst, b...), nil
}

// decodeAvro decodes b with schema s. Unlike hamba's Unmarshal, which takes
// running out of input for the end of the value, input that ends inside the
// value is an error.
func decodeAvro[T any](c *avroCodec, s avro.Schema, b []byte) (v T, err error) {
	r, _ := c.readers.Get().(*avro.Reader)
	if r == nil {
		r = avro.NewReader(nil, 0, avro.WithReaderConfig(c.api))
	}
	defer func() {
		if p := recover(); p != nil { // a decoder bug must not take the process down
			var zero T
			v, err = zero, &Error{Class: ClassAvro, Reason: fmt.Sprintf("decoder panic: %v", p)}
			return // the reader may be in any state: not pooled
		}
		r.Error = nil
		r.Reset(nil) // do not keep the caller's bytes
		c.readers.Put(r)
	}()
	r.Reset(b)
	r.ReadVal(s, &v)
	if err := r.Error; err != nil {
		var zero T
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return zero, newError(ClassAvro, err, "cannot decode %T: the input ends inside the value (%d bytes)", v, len(b))
		}
		return zero, newError(ClassAvro, err, "cannot decode %T from %d bytes: %v", v, len(b), err)
	}
	return v, nil
}
