package format

import (
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

// wireHeader is the length of the Confluent wire-format header: magic byte
// 0 and the 4-byte big-endian schema id.
const wireHeader = 5

// maxBadIDs bounds the cache of schema ids that are unknown or unusable.
const maxBadIDs = 1024

// AvroRegistryFormat is Avro in the Confluent wire format with the schemas
// in a schema registry: magic byte 0, the 4-byte big-endian schema id, then
// the Avro binary encoding. It is safe for concurrent use.
//
// Encode registers o.Schema under the subject at its first call (the
// registry returns the existing id when the schema is there already; with
// o.NoRegister it only looks it up; call Register to do it up front) and
// writes that id. A failed registration is retried at the next Encode.
//
// Decode reads the id, fetches the writer schema by id from the registry
// (once per id: ids are immutable, so schemas are cached for good; an
// unknown or unusable id is remembered too) and decodes with hamba/avro's schema
// resolution from the writer schema to o.Schema (Avro's rules: fields
// matched by name, defaults for fields the writer lacks, promotions such
// as int to long). Schema references are not supported.
//
// The registry is called with context.Background(): the sr.Client's own
// HTTP timeout bounds a call.
type AvroRegistryFormat[T any] struct {
	client  *sr.Client
	subject string
	opts    AvroOptions
	reader  avro.Schema
	codec   *avroCodec

	regMu sync.Mutex   // held while registering
	id    atomic.Int64 // the id of the reader schema under subject, once registered

	mu   sync.RWMutex
	byID map[int]avro.Schema // writer id -> schema to decode with
	bad  map[int]error       // ids whose schema is unknown or unusable
}

// AvroRegistry returns the Avro format of T in the Confluent wire format
// for subject (such as "<topic>-value"); o.Schema is required.
func AvroRegistry[T any](client *sr.Client, subject string, o AvroOptions) (*AvroRegistryFormat[T], error) {
	if client == nil {
		return nil, errors.New("strom: format: AvroRegistry needs a schema registry client")
	}
	if subject == "" {
		return nil, errors.New("strom: format: AvroRegistry needs a subject")
	}
	af, err := newAvroFormat[T](o)
	if err != nil {
		return nil, err
	}
	return &AvroRegistryFormat[T]{client: client, subject: subject, opts: o, reader: af.schema, codec: af.codec,
		byID: map[int]avro.Schema{}, bad: map[int]error{}}, nil
}

// Register registers the schema under the subject (if it is not there yet;
// with AvroOptions.NoRegister it looks it up) and returns its id, which
// Encode writes from then on.
func (f *AvroRegistryFormat[T]) Register(ctx context.Context) (int, error) {
	f.regMu.Lock()
	defer f.regMu.Unlock()
	if id := f.id.Load(); id != 0 {
		return int(id), nil
	}
	schema, what := sr.Schema{Schema: f.opts.Schema, Type: sr.TypeAvro}, "registering"
	var ss sr.SubjectSchema
	var err error
	if f.opts.NoRegister {
		what = "looking up"
		ss, err = f.client.LookupSchema(ctx, f.subject, schema)
	} else {
		ss, err = f.client.CreateSchema(ctx, f.subject, schema)
	}
	if err != nil {
		return 0, newError(ClassSchemaRegistry, err, "%s the schema under subject %q: %v", what, f.subject, err)
	}
	if ss.ID <= 0 {
		return 0, newError(ClassSchemaRegistry, nil, "%s the schema under subject %q: the registry returned id %d", what, f.subject, ss.ID)
	}
	f.mu.Lock()
	f.byID[ss.ID] = f.reader
	f.mu.Unlock()
	f.id.Store(int64(ss.ID))
	return ss.ID, nil
}

// Encode appends the wire-format header and the Avro encoding of v.
func (f *AvroRegistryFormat[T]) Encode(v T, dst []byte) ([]byte, error) {
	id := int(f.id.Load())
	if id == 0 {
		var err error
		if id, err = f.Register(context.Background()); err != nil {
			return dst, err
		}
	}
	b, err := f.codec.api.Marshal(f.reader, v)
	if err != nil {
		return dst, newError(ClassAvro, err, "cannot encode %T: %v", v, err)
	}
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(id))
	return append(dst, b...), nil
}

// Decode decodes one record in the wire format. Errors: class
// "wire-format" (ErrBadWireFormat) for a missing magic byte or a short
// header, "schema-registry" for an id the registry does not know
// (ErrUnknownSchema), a registry failure or a writer schema that is not
// Avro, "avro" for a writer schema that cannot be read as o.Schema or a
// body that does not decode.
func (f *AvroRegistryFormat[T]) Decode(b []byte) (T, error) {
	var zero T
	id, body, err := SplitWireFormat(b)
	if err != nil {
		return zero, err
	}
	s, err := f.schema(id)
	if err != nil {
		return zero, err
	}
	return decodeAvro[T](f.codec, s, body)
}

// SplitWireFormat splits a record in the Confluent wire format into its
// schema id and the encoded value. Its error is an *Error of class
// "wire-format" wrapping ErrBadWireFormat.
func SplitWireFormat(b []byte) (id int, body []byte, err error) {
	if len(b) < wireHeader {
		e := newError(ClassWireFormat, nil, "record of %d bytes is shorter than the %d-byte header of the Confluent wire format", len(b), wireHeader)
		e.kind = ErrBadWireFormat
		return 0, nil, e
	}
	if b[0] != 0 {
		e := newError(ClassWireFormat, nil, "magic byte is 0x%02x, not 0x00: not the Confluent wire format", b[0])
		e.kind = ErrBadWireFormat
		return 0, nil, e
	}
	return int(binary.BigEndian.Uint32(b[1:wireHeader])), b[wireHeader:], nil
}

// schema returns the schema to decode records written with schema id.
func (f *AvroRegistryFormat[T]) schema(id int) (avro.Schema, error) {
	f.mu.RLock()
	s, ok := f.byID[id]
	uerr := f.bad[id]
	f.mu.RUnlock()
	if ok {
		return s, nil
	}
	if uerr != nil {
		return nil, uerr
	}
	w, err := f.client.SchemaByID(context.Background(), id)
	if err != nil {
		if re, ok := errors.AsType[*sr.ResponseError](err); ok &&
			(re.ErrorCode == sr.ErrSchemaNotFound.Code || re.StatusCode == http.StatusNotFound) {
			e := newError(ClassSchemaRegistry, err, "schema id %d is unknown to the registry", id)
			e.kind = ErrUnknownSchema
			return nil, f.remember(id, e)
		}
		return nil, newError(ClassSchemaRegistry, err, "fetching schema id %d: %v", id, err)
	}
	if w.Type != sr.TypeAvro {
		return nil, f.remember(id, newError(ClassSchemaRegistry, nil, "schema id %d is a %v schema, not Avro", id, w.Type))
	}
	ws, err := avro.Parse(w.Schema)
	if err != nil {
		return nil, f.remember(id, newError(ClassSchemaRegistry, err, "schema id %d is not a valid Avro schema: %v", id, err))
	}
	s = f.reader
	if ws.Fingerprint() != f.reader.Fingerprint() {
		if s, err = avro.NewSchemaCompatibility().Resolve(f.reader, ws); err != nil {
			return nil, f.remember(id, newError(ClassAvro, err, "records of schema id %d cannot be read as the schema of %T: %v", id, *new(T), err))
		}
	}
	f.mu.Lock()
	f.byID[id] = s
	f.mu.Unlock()
	return s, nil
}

// remember caches the error of a schema id that will not change (the id is
// unknown, or its schema cannot be used), so that a stream of such records
// does not call the registry once each. Failures to reach the registry are
// not remembered.
func (f *AvroRegistryFormat[T]) remember(id int, e *Error) *Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bad) >= maxBadIDs {
		clear(f.bad)
	}
	f.bad[id] = e
	return e
}
