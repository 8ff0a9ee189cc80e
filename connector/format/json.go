package format

import (
	"errors"
	"fmt"

	json "github.com/goccy/go-json"
)

// JSON is one JSON value per record, decoded into T and encoded from it with
// the rules (and struct tags) of encoding/json, through goccy/go-json:
// unknown object keys are ignored, a missing key leaves its field zero, data
// after the value is an error. Invalid UTF-8 inside strings is not an error:
// as encoding/json does, it becomes U+FFFD (on decode and on encode); wrap
// the decoder to check utf8.Valid first if that matters.
//
// Errors are *Error of class "json" saying where the input went wrong: a
// syntax error with the number of bytes read before it (as the Offset of
// encoding/json's errors), or the field (a path such as "items.price")
// whose JSON value does not fit its Go type.
func JSON[T any]() Format[T] { return jsonFormat[T]{} }

// JSONMap is JSON for rows whose columns are known only at run time (SQL):
// a JSON object decodes into a map (numbers are float64, nested objects
// map[string]any, arrays []any); anything but an object is an error.
func JSONMap() Format[map[string]any] { return jsonMapFormat{} }

type jsonFormat[T any] struct{}

func (jsonFormat[T]) Decode(b []byte) (v T, err error) {
	defer func() {
		if p := recover(); p != nil { // a decoder bug must not take the process down
			var zero T
			v, err = zero, &Error{Class: ClassJSON, Reason: fmt.Sprintf("decoder panic: %v", p)}
		}
	}()
	if err := json.Unmarshal(b, &v); err != nil {
		var zero T
		return zero, jsonError(err, v)
	}
	return v, nil
}

func (jsonFormat[T]) Encode(v T, dst []byte) ([]byte, error) { return encodeJSON(v, dst) }

type jsonMapFormat struct{}

func (jsonMapFormat) Decode(b []byte) (map[string]any, error) {
	m, err := jsonFormat[map[string]any]{}.Decode(b)
	if err == nil && m == nil {
		return nil, &Error{Class: ClassJSON, Reason: "null is not a JSON object"}
	}
	return m, err
}

func (jsonMapFormat) Encode(v map[string]any, dst []byte) ([]byte, error) {
	return encodeJSON(v, dst)
}

func encodeJSON(v any, dst []byte) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return dst, newError(ClassJSON, err, "cannot encode %T: %v", v, err)
	}
	if len(dst) == 0 {
		return b, nil
	}
	return append(dst, b...), nil
}

// jsonError turns an error of go-json into an *Error whose reason says
// where the input went wrong. v is the decode target, for its type.
func jsonError(err error, v any) *Error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return newError(ClassJSON, err, "syntax error after %d bytes: %v", se.Offset, err)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field != "" {
			return newError(ClassJSON, err, "wrong type for field %s of %T: JSON %s does not fit %v (after %d bytes)",
				te.Field, v, te.Value, te.Type, te.Offset)
		}
		return newError(ClassJSON, err, "wrong type: JSON %s does not fit %v (after %d bytes)", te.Value, te.Type, te.Offset)
	}
	return newError(ClassJSON, err, "%v", err)
}
