// Package codec turns values into bytes and back. State backends, keys,
// checkpoints and connectors all use it.
//
//	c := codec.For[int64]()
//	b := c.Append(nil, 42)
//	v, err := c.Decode(b)
//
// Codecs are stateless and safe for concurrent use. Append must be
// deterministic: equal values give equal bytes (keys are hashed from them).
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"

	json "github.com/goccy/go-json"
)

// Codec encodes and decodes values of type T.
type Codec[T any] interface {
	// Append appends the encoding of v to dst and returns the extended slice.
	Append(dst []byte, v T) []byte
	// Decode decodes a value from exactly src. It must not retain src.
	Decode(src []byte) (T, error)
}

// ErrShort is returned when the input is too short for the value. It
// reports itself as a decode failure (DecodeFailure), which the runtime
// reads to explain a failure on restored state.
var ErrShort error = decodeError("codec: input too short")

// decodeError is a sentinel error of a codec: bytes that do not decode as
// the value's layout says.
type decodeError string

func (e decodeError) Error() string { return string(e) }

// DecodeFailure marks the error as bytes that do not decode as expected.
func (decodeError) DecodeFailure() bool { return true }

// For returns a codec for T: a fixed binary layout for the basic kinds
// (integers, floats, bool, string, []byte) and JSON for everything else.
func For[T any]() Codec[T] {
	var zero T
	var c any
	switch any(zero).(type) {
	case int64:
		c = Int64{}
	case int:
		c = Int{}
	case int32:
		c = intCodec[int32]{}
	case uint64:
		c = intCodec[uint64]{}
	case uint32:
		c = intCodec[uint32]{}
	case float64:
		c = Float64{}
	case bool:
		c = Bool{}
	case string:
		c = String{}
	case []byte:
		c = Bytes{}
	default:
		if reflect.TypeFor[T]().Kind() == reflect.String {
			return stringKind[T]{}
		}
		return JSON[T]{}
	}
	return c.(Codec[T])
}

// Int64 is the 8-byte big-endian codec (big-endian keeps byte order = numeric
// order for non-negative values, which range scans use).
type Int64 struct{}

func (Int64) Append(dst []byte, v int64) []byte { return binary.BigEndian.AppendUint64(dst, uint64(v)) }
func (Int64) Decode(src []byte) (int64, error) {
	if len(src) != 8 {
		return 0, fmt.Errorf("codec: int64 needs 8 bytes, got %d", len(src))
	}
	return int64(binary.BigEndian.Uint64(src)), nil
}

// Int is Int64 for int.
type Int struct{}

func (Int) Append(dst []byte, v int) []byte { return binary.BigEndian.AppendUint64(dst, uint64(v)) }
func (Int) Decode(src []byte) (int, error) {
	v, err := Int64{}.Decode(src)
	return int(v), err
}

type integer interface{ ~int32 | ~uint32 | ~uint64 }

type intCodec[T integer] struct{}

func (intCodec[T]) Append(dst []byte, v T) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(v))
}
func (intCodec[T]) Decode(src []byte) (T, error) {
	if len(src) != 8 {
		return 0, fmt.Errorf("codec: integer needs 8 bytes, got %d", len(src))
	}
	x := binary.BigEndian.Uint64(src)
	v := T(x)
	if uint64(v) != x {
		return 0, fmt.Errorf("codec: %d does not fit the integer type (non-canonical encoding)", x)
	}
	return v, nil
}

// Float64 is the 8-byte IEEE codec.
type Float64 struct{}

func (Float64) Append(dst []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(v))
}
func (Float64) Decode(src []byte) (float64, error) {
	if len(src) != 8 {
		return 0, fmt.Errorf("codec: float64 needs 8 bytes, got %d", len(src))
	}
	return math.Float64frombits(binary.BigEndian.Uint64(src)), nil
}

// Bool is a one-byte codec.
type Bool struct{}

func (Bool) Append(dst []byte, v bool) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}
func (Bool) Decode(src []byte) (bool, error) {
	if len(src) != 1 || src[0] > 1 {
		return false, errors.New("codec: bool needs one byte 0 or 1")
	}
	return src[0] == 1, nil
}

// String stores the bytes of the string.
type String struct{}

func (String) Append(dst []byte, v string) []byte { return append(dst, v...) }
func (String) Decode(src []byte) (string, error)  { return string(src), nil }

type stringKind[T any] struct{}

func (stringKind[T]) Append(dst []byte, v T) []byte {
	return append(dst, reflect.ValueOf(v).String()...)
}
func (stringKind[T]) Decode(src []byte) (T, error) {
	var v T
	reflect.ValueOf(&v).Elem().SetString(string(src))
	return v, nil
}

// Bytes copies the bytes.
type Bytes struct{}

func (Bytes) Append(dst []byte, v []byte) []byte { return append(dst, v...) }
func (Bytes) Decode(src []byte) ([]byte, error)  { return append([]byte(nil), src...), nil }

// JSON encodes with encoding/json semantics (goccy/go-json on the hot path).
// Map keys are sorted, so equal values give equal bytes.
type JSON[T any] struct{}

func (JSON[T]) Append(dst []byte, v T) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Errorf("codec: cannot encode %T as JSON: %w", v, err))
	}
	return append(dst, b...)
}
func (JSON[T]) Decode(src []byte) (T, error) {
	var v T
	if err := json.Unmarshal(src, &v); err != nil {
		return v, fmt.Errorf("codec: JSON: %w", err)
	}
	return v, nil
}
