package format

import (
	"math"
	"reflect"
	"testing"

	"pgregory.net/rapid"
)

func genTrade(t *rapid.T) trade {
	finite := rapid.Float64().Filter(func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) })
	v := trade{
		Sym:   rapid.String().Draw(t, "sym"),
		Qty:   rapid.Int32().Draw(t, "qty"),
		Price: finite.Draw(t, "price"),
		Buy:   rapid.Bool().Draw(t, "buy"),
		Note:  rapid.Ptr(rapid.String(), true).Draw(t, "note"),
		Tags:  rapid.SliceOf(rapid.String()).Draw(t, "tags"),
		Attrs: rapid.MapOf(rapid.String(), rapid.String()).Draw(t, "attrs"),
	}
	return v
}

// emptyNil makes empty slices and maps nil, as JSON's omitempty reads them.
func emptyNil(v trade) trade {
	if len(v.Tags) == 0 {
		v.Tags = nil
	}
	if len(v.Attrs) == 0 {
		v.Attrs = nil
	}
	return v
}

func TestPropertyJSON(t *testing.T) {
	f := JSON[trade]()
	rapid.Check(t, func(t *rapid.T) {
		v := genTrade(t)
		b, err := f.Encode(v, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(got, emptyNil(v)) {
			t.Fatalf("got %#v, want %#v (%s)", got, v, b)
		}
	})
}

func TestPropertyAvro(t *testing.T) {
	plain, err := Avro[trade](tradeSchema)
	if err != nil {
		t.Fatal(err)
	}
	_, cl := newRegistry(t)
	reg, err := AvroRegistry[trade](cl, "p-value", AvroOptions{Schema: tradeSchema})
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		v := genTrade(t)
		for _, f := range []Format[trade]{plain, reg} {
			b, err := f.Encode(v, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.Decode(b)
			if err != nil {
				t.Fatalf("%x: %v", b, err)
			}
			if !reflect.DeepEqual(norm(got), norm(v)) {
				t.Fatalf("got %#v, want %#v", got, v)
			}
			// Every strict prefix of the record is truncated input (the
			// encoding of a trade ends with the end of its map).
			cut := rapid.IntRange(0, len(b)-1).Draw(t, "cut")
			if _, err := f.Decode(b[:cut]); err == nil || Class(err) == ClassOther {
				t.Fatalf("prefix %x of %x: %v", b[:cut], b, err)
			}
		}
	})
}
