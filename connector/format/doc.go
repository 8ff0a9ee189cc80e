// Package format holds the record formats that strom's connectors (Kafka,
// the journal, files) and, later, the SQL layer share: byte-level decoders
// and encoders of one record, independent of where the bytes come from.
//
//	type Decoder[T any] interface{ Decode(b []byte) (T, error) }
//	type Encoder[T any] interface{ Encode(v T, dst []byte) ([]byte, error) } // appends
//
// The formats:
//
//   - JSON[T]: one JSON value, encoding/json rules and struct tags, through
//     goccy/go-json (the hot path). JSONMap for rows known only at run time.
//     Invalid UTF-8 in strings becomes U+FFFD, as in encoding/json.
//   - Raw (a copy of the bytes) and String.
//   - CSV[T]: one RFC 4180 record mapped onto the fields of a struct by
//     position or by the column names of a header; connector/file reads and
//     writes CSV files with it.
//   - Avro[T]: Avro binary with a fixed schema (hamba/avro).
//   - AvroRegistry[T]: Avro in the Confluent wire format (magic byte 0,
//     4-byte big-endian schema id, Avro binary), the schema registered for
//     a subject when encoding and fetched by id (and cached) when decoding,
//     through franz-go's sr.Client.
//   - Row formats of SQL tables (table.Row for a table.Schema): RowJSON
//     (with the changelog "op" of updating results), RowCSV, RowRaw,
//     RowAvro and RowAvroRegistry (the schema derived by AvroSchemaOf);
//     NewRowFormat builds one from a table's WITH options.
//
// Every Decoder and Encoder of the package is safe for concurrent use, and
// no Decoder keeps or aliases its input. Decoders never panic on arbitrary
// bytes (they are fuzzed) and bound what they allocate: Avro through
// hamba's MaxByteSliceSize and MaxSliceAllocSize; Limit puts a bound on the
// input itself.
//
// Errors are *Error: a Class ("json", "csv", "avro", "schema-registry",
// "wire-format", "too-large"), a Reason saying what is wrong and where, and
// the underlying error. Class(err) gives the class of any error ("other"
// when it is not one of this package's), for dead-letter headers; the
// sentinels ErrBadWireFormat, ErrUnknownSchema and ErrTooLarge work with
// errors.Is.
//
// ParseName maps the names the command line and SQL use ("json", "raw",
// "csv", "avro") to a Name; building the format from it (for "avro": with a
// registry URL and a subject) is the caller's.
package format
