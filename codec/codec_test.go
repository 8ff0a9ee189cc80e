package codec

import (
	"bytes"
	stdjson "encoding/json"
	"math"
	"reflect"
	"strconv"
	"testing"
)

type label string

type point struct {
	X, Y int
	Tags map[string]int `json:"tags,omitempty"`
	Next *point         `json:"next,omitempty"`
}

// roundTrip checks decode(encode(v)) == v for each value, with eq as the
// equality (nil: reflect.DeepEqual).
func roundTrip[T any](t *testing.T, eq func(a, b T) bool, vals ...T) {
	t.Helper()
	c := For[T]()
	if eq == nil {
		eq = func(a, b T) bool { return reflect.DeepEqual(a, b) }
	}
	for _, v := range vals {
		b := c.Append(nil, v)
		got, err := c.Decode(b)
		if err != nil {
			t.Errorf("%T %v: decode: %v", v, v, err)
			continue
		}
		if !eq(got, v) {
			t.Errorf("%T: round trip of %v gave %v", v, v, got)
		}
		// Append appends: a prefix is kept.
		pre := c.Append([]byte("pre"), v)
		if !bytes.Equal(pre[:3], []byte("pre")) || !bytes.Equal(pre[3:], b) {
			t.Errorf("%T %v: Append does not append", v, v)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	roundTrip(t, nil, int64(0), 1, -1, math.MinInt64, math.MaxInt64)
	roundTrip(t, nil, 0, 42, -42, math.MinInt, math.MaxInt)
	roundTrip(t, nil, int32(0), -1, math.MinInt32, math.MaxInt32)
	roundTrip(t, nil, uint64(0), 1, math.MaxUint64)
	roundTrip(t, nil, uint32(0), 1, math.MaxUint32)
	sameBits := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	roundTrip(t, sameBits, 0, math.Copysign(0, -1), 1.5, -1e308, math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1), math.NaN())
	roundTrip(t, nil, false, true)
	roundTrip(t, nil, "", "a", "héllo", "\xff\x00 not UTF-8")
	roundTrip(t, bytes.Equal, []byte{}, []byte{0}, []byte("bytes\xff"))
	roundTrip(t, nil, label(""), label("x y"))
	roundTrip(t, nil, point{}, point{X: 1, Y: -2, Tags: map[string]int{"b": 2, "a": 1}, Next: &point{X: 3}})
	roundTrip(t, nil, map[string]any{"s": "x", "n": 1.5, "l": []any{true, nil}}, map[string]any{})
	roundTrip(t, nil, []string{"a", ""}, []string(nil))
	roundTrip(t, nil, &point{X: 9})
}

func TestForPicksTheBinaryCodecs(t *testing.T) {
	for _, c := range []struct {
		got, want any
	}{
		{For[int64](), Int64{}},
		{For[int](), Int{}},
		{For[float64](), Float64{}},
		{For[bool](), Bool{}},
		{For[string](), String{}},
		{For[[]byte](), Bytes{}},
		{For[point](), JSON[point]{}},
	} {
		if reflect.TypeOf(c.got) != reflect.TypeOf(c.want) {
			t.Errorf("got %T, want %T", c.got, c.want)
		}
	}
	// Fixed-width layouts are big-endian, 8 bytes.
	if got := For[int32]().Append(nil, -2); !bytes.Equal(got, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}) {
		t.Errorf("int32 -2 = %x", got)
	}
	if got := For[int64]().Append(nil, 258); !bytes.Equal(got, []byte{0, 0, 0, 0, 0, 0, 1, 2}) {
		t.Errorf("int64 258 = %x", got)
	}
}

func TestBigEndianOrderForNonNegative(t *testing.T) {
	c := For[int64]()
	prev := c.Append(nil, 0)
	for _, v := range []int64{1, 255, 256, 1 << 40, math.MaxInt64} {
		b := c.Append(nil, v)
		if bytes.Compare(prev, b) >= 0 {
			t.Fatalf("%d does not sort after its predecessor", v)
		}
		prev = b
	}
}

// TestAppendDeterministic: equal values give equal bytes, whatever the map
// iteration or insertion order.
func TestAppendDeterministic(t *testing.T) {
	build := func(reverse bool) map[string]any {
		m := map[string]any{}
		for i := range 50 {
			k := i
			if reverse {
				k = 49 - i
			}
			m["k"+strconv.Itoa(k)] = map[string]int{"z" + strconv.Itoa(k): k, "a": -k}
		}
		return m
	}
	c := For[map[string]any]()
	want := c.Append(nil, build(false))
	for i := range 30 {
		if got := c.Append(nil, build(i%2 == 1)); !bytes.Equal(got, want) {
			t.Fatalf("run %d: map encoding differs:\n%s\n%s", i, got, want)
		}
	}
	ci := For[map[int]string]()
	mi := map[int]string{}
	for i := range 40 {
		mi[i*7919%1000-500] = strconv.Itoa(i)
	}
	wanti := ci.Append(nil, mi)
	for range 30 {
		if got := ci.Append(nil, mi); !bytes.Equal(got, wanti) {
			t.Fatal("map[int]string encoding differs between runs")
		}
	}
	cp := For[point]()
	p1 := point{X: 1, Tags: map[string]int{"x": 1, "y": 2, "w": 3}}
	p2 := point{X: 1, Tags: map[string]int{"w": 3, "y": 2, "x": 1}}
	if !bytes.Equal(cp.Append(nil, p1), cp.Append(nil, p2)) {
		t.Fatal("equal structs with maps encode differently")
	}
}

// TestJSONMatchesEncodingJSON: the JSON codec writes what encoding/json
// writes (sorted map keys, the same escaping), as its doc comment says.
func TestJSONMatchesEncodingJSON(t *testing.T) {
	for _, v := range []any{
		map[string]any{"b": 1, "a": []any{"<&>", 2.5, nil}, "é": "\u2028"},
		map[int]string{10: "x", 9: "y", -1: "z"},
		point{X: 1, Tags: map[string]int{"q": 1}},
	} {
		want, err := stdjson.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		switch x := v.(type) {
		case map[string]any:
			got = For[map[string]any]().Append(nil, x)
		case map[int]string:
			got = For[map[int]string]().Append(nil, x)
		case point:
			got = For[point]().Append(nil, x)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

func TestDecodeWrongLength(t *testing.T) {
	for n := range 17 {
		if n == 8 {
			continue
		}
		b := make([]byte, n)
		for name, dec := range map[string]func([]byte) error{
			"int64":   func(b []byte) error { _, err := For[int64]().Decode(b); return err },
			"int":     func(b []byte) error { _, err := For[int]().Decode(b); return err },
			"int32":   func(b []byte) error { _, err := For[int32]().Decode(b); return err },
			"uint64":  func(b []byte) error { _, err := For[uint64]().Decode(b); return err },
			"uint32":  func(b []byte) error { _, err := For[uint32]().Decode(b); return err },
			"float64": func(b []byte) error { _, err := For[float64]().Decode(b); return err },
		} {
			if err := dec(b); err == nil {
				t.Errorf("%s: %d bytes decoded without error", name, n)
			}
		}
	}
	for _, b := range [][]byte{nil, {}, {2}, {0xff}, {0, 0}, {1, 1}} {
		if _, err := For[bool]().Decode(b); err == nil {
			t.Errorf("bool %x decoded without error", b)
		}
	}
	for _, b := range []string{"", "{", `{"X":"s"}`, `[1]`, `{"X":1} x`} {
		if _, err := For[point]().Decode([]byte(b)); err == nil {
			t.Errorf("JSON %q decoded without error", b)
		}
	}
}

func TestDecodeDoesNotRetainInput(t *testing.T) {
	src := []byte("abc")
	b, _ := For[[]byte]().Decode(src)
	s, _ := For[string]().Decode(src)
	l, _ := For[label]().Decode(src)
	var m map[string]string
	js := []byte(`{"k":"value"}`)
	m, _ = For[map[string]string]().Decode(js)
	copy(src, "xyz")
	copy(js, `{"k":"XXXXX"}`)
	if string(b) != "abc" || s != "abc" || l != "abc" || m["k"] != "value" {
		t.Fatalf("decoded values changed with their input: %q %q %q %q", b, s, l, m)
	}
}

// TestNarrowIntegersRejectNonCanonicalInput: the int32 and uint32 codecs
// decode 8 bytes; an input no Append produces (a corrupted one) is rejected,
// never read as a different value (RELIABILITY.md D1).
func TestNarrowIntegersRejectNonCanonicalInput(t *testing.T) {
	bad := []byte{0, 0, 0, 1, 0, 0, 0, 0}
	_, err32 := For[int32]().Decode(bad)
	_, erru32 := For[uint32]().Decode(bad)
	if err32 == nil || erru32 == nil {
		t.Fatalf("int32/uint32 Decode accepted out-of-range input: %v %v", err32, erru32)
	}
	for _, v := range []int32{-1, 0, 1, -1 << 31, 1<<31 - 1} {
		got, err := For[int32]().Decode(For[int32]().Append(nil, v))
		if err != nil || got != v {
			t.Fatalf("int32 %d round trip: %d %v", v, got, err)
		}
	}
}
