package codec

import (
	"bytes"
	"math"
	"reflect"
	"testing"
)

// checkDecode decodes data with T's codec; whatever it accepts must encode
// and decode again to the same value. canonical codecs must also give back
// exactly data (one encoding per value, so corruption cannot pass as a
// different value).
func checkDecode[T any](t *testing.T, data []byte, canonical bool, eq func(a, b T) bool) {
	c := For[T]()
	v, err := c.Decode(data)
	if err != nil {
		return
	}
	enc := c.Append(nil, v)
	if canonical && !bytes.Equal(enc, data) {
		t.Fatalf("%T: %x decodes to %v, which encodes as %x", v, data, v, enc)
	}
	v2, err := c.Decode(enc)
	if err != nil {
		t.Fatalf("%T: re-encoding %x of %v does not decode: %v", v, enc, v, err)
	}
	if eq == nil {
		eq = func(a, b T) bool { return reflect.DeepEqual(a, b) }
	}
	if !eq(v, v2) {
		t.Fatalf("%T: %v re-decodes as %v", v, v, v2)
	}
	if enc2 := c.Append(nil, v2); !bytes.Equal(enc, enc2) {
		t.Fatalf("%T: encoding is not stable: %x then %x", v, enc, enc2)
	}
}

// sameEncoding compares JSON values by their encoding: JSON does not keep
// every distinction of Go values (an empty map under omitempty comes back
// nil).
func sameEncoding[T any](a, b T) bool {
	c := For[T]()
	return bytes.Equal(c.Append(nil, a), c.Append(nil, b))
}

func FuzzCodecDecode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 42})
	f.Add([]byte{0x7f, 0xf8, 0, 0, 0, 0, 0, 1})
	f.Add([]byte(`{"X":1,"Y":2,"tags":{"b":1,"a":2},"next":{"X":3}}`))
	f.Add([]byte(`{"a":[1,"x",null,{"b":true}],"c":1e400}`))
	f.Add([]byte("\"\xff\""))
	f.Add([]byte(`{"0":0,"0":0,"tAgs":{}}`)) // an empty map re-encodes as omitted
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode[int64](t, data, true, nil)
		checkDecode[int](t, data, true, nil)
		checkDecode[uint64](t, data, true, nil)
		// int32 and uint32 are not canonical yet (see
		// TestNarrowIntegersAcceptNonCanonicalInput).
		checkDecode[int32](t, data, false, nil)
		checkDecode[uint32](t, data, false, nil)
		checkDecode[float64](t, data, true, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) })
		checkDecode[bool](t, data, true, nil)
		checkDecode[string](t, data, true, nil)
		checkDecode[[]byte](t, data, true, bytes.Equal)
		checkDecode[label](t, data, true, nil)
		// JSON is not canonical (whitespace, key order, escapes); decoding
		// must still never panic and re-encoding must be a fixed point.
		checkDecode[point](t, data, false, sameEncoding[point])
		checkDecode[map[string]any](t, data, false, sameEncoding[map[string]any])
		checkDecode[[]int](t, data, false, sameEncoding[[]int])
	})
}
