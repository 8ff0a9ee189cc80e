package format

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

// Every decoder is fuzzed: it must not panic on any input, its errors must
// be classified, and what it accepts must survive an encode/decode round
// trip.

func checkClass(t *testing.T, err error, classes ...string) {
	t.Helper()
	for _, c := range classes {
		if Class(err) == c {
			return
		}
	}
	t.Fatalf("error of class %q, want one of %q: %v", Class(err), classes, err)
}

func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"sym":"a","qty":1,"price":1.5,"buy":true,"note":null,"tags":["x"],"attrs":{"k":"v"}}`,
		`{"sym":1}`, `{"qty":1e400}`, `[`, `{"sym":"\ud800"}`, "{\"sym\":\"\xff\"}", `null`, `{"a":{"b":[[[[]]]]}}`} {
		f.Add([]byte(s))
	}
	j, m := JSON[trade](), JSONMap()
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := j.Decode(b)
		if err != nil {
			checkClass(t, err, ClassJSON)
		} else {
			enc, err := j.Encode(v, nil)
			if err != nil {
				t.Fatalf("%+v: %v", v, err)
			}
			v2, err := j.Decode(enc)
			if err != nil || !reflect.DeepEqual(emptyNil(v), emptyNil(v2)) {
				t.Fatalf("round trip of %s: %+v %v, want %+v", enc, v2, err, v)
			}
		}
		if mv, err := m.Decode(b); err != nil {
			checkClass(t, err, ClassJSON)
		} else if _, err := m.Encode(mv, nil); err != nil {
			t.Fatalf("%v: %v", mv, err)
		}
	})
}

func FuzzCSVDecode(f *testing.F) {
	for _, s := range []string{"a,1,1.5,true,", `"a""b",2,0,false,note`, "\"x\r\ny\",1,1,1,", `a,"b`, "a,b\"", ",,,,", "", "\xef\xbb\xbfa", "a\r,1,1,t,\r\n"} {
		f.Add([]byte(s), byte(','))
	}
	f.Add([]byte("a;1;2;true;"), byte(';'))
	f.Fuzz(func(t *testing.T, b []byte, comma byte) {
		if comma == '"' || comma == '\r' || comma == '\n' || comma >= 0x80 || comma == 0 {
			comma = ','
		}
		o := CSVOptions{Comma: rune(comma)}
		typed, err := CSV[trade](o)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := CSV[[]string](o)
		if v, err := typed.Decode(b); err != nil {
			checkClass(t, err, ClassCSV)
		} else {
			enc, err := typed.Encode(v, nil)
			if err != nil {
				t.Fatal(err)
			}
			if v2, err := typed.Decode(enc); err != nil || !reflect.DeepEqual(v, v2) && v.Price == v.Price {
				t.Fatalf("round trip of %q: %+v %v, want %+v", enc, v2, err, v)
			}
		}
		fields, err := raw.Decode(b)
		if err != nil {
			checkClass(t, err, ClassCSV)
			return
		}
		enc, err := raw.Encode(fields, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := raw.Decode(enc); err != nil || !reflect.DeepEqual(got, fields) {
			t.Fatalf("round trip of %q via %q: %q %v", fields, enc, got, err)
		}
	})
}

func FuzzAvroDecode(f *testing.F) {
	plain, err := Avro[trade](tradeSchema)
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range avroTrades {
		b, _ := plain.Encode(v, nil)
		f.Add(b)
	}
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x40})
	f.Add([]byte{2, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := plain.Decode(b)
		if err != nil {
			checkClass(t, err, ClassAvro)
			return
		}
		// Compare encodings: a decoded double may be NaN.
		enc, err := plain.Encode(v, nil)
		if err != nil {
			t.Fatalf("%+v: %v", v, err)
		}
		v2, err := plain.Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		enc2, _ := plain.Encode(v2, nil)
		if len(v.Attrs) <= 1 && !bytes.Equal(enc, enc2) { // map order is random
			t.Fatalf("round trip: %x != %x", enc, enc2)
		}
	})
}

func FuzzWireFormat(f *testing.F) {
	reg, cl := newRegistry(f)
	reg.SeedSchema("j-value", 1, 3, sr.Schema{Schema: `{"type":"object"}`, Type: sr.TypeJSON})
	w, _ := AvroRegistry[tradeV1](cl, "w-value", AvroOptions{Schema: tradeV1Schema})
	r, err := AvroRegistry[trade](cl, "w-value", AvroOptions{Schema: tradeSchema})
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range avroTrades {
		b, err := r.Encode(v, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	old, _ := w.Encode(tradeV1{Sym: "v1", Tags: []string{"t"}}, nil)
	f.Add(old)
	f.Add([]byte{0, 0, 0, 0, 3, 0})
	f.Add([]byte{0, 0, 0, 1})
	f.Add([]byte{1, 0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := r.Decode(b)
		if err != nil {
			checkClass(t, err, ClassWireFormat, ClassSchemaRegistry, ClassAvro)
			return
		}
		if _, err := r.Encode(v, nil); err != nil {
			t.Fatalf("%+v: %v", v, err)
		}
	})
}
