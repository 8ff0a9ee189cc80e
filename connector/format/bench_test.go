package format

import "testing"

var benchTrade = trade{Sym: "ACME", Qty: 100, Price: 12.5, Buy: true, Note: ptr("limit order"),
	Tags: []string{"eu", "cash"}, Attrs: map[string]string{"venue": "XAMS"}}

func benchDecode[T any](b *testing.B, f Format[T], v T) {
	rec, err := f.Encode(v, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Decode(rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONDecode(b *testing.B) { benchDecode(b, JSON[trade](), benchTrade) }

func BenchmarkJSONMapDecode(b *testing.B) {
	m, _ := JSONMap().Decode(mustEncode(b, JSON[trade](), benchTrade))
	benchDecode(b, JSONMap(), m)
}

func BenchmarkCSVDecode(b *testing.B) {
	f, _ := CSV[trade](CSVOptions{})
	benchDecode(b, Format[trade](f), trade{Sym: "ACME", Qty: 100, Price: 12.5, Buy: true, Note: ptr("limit order")})
}

func BenchmarkAvroDecode(b *testing.B) {
	f, err := Avro[trade](tradeSchema)
	if err != nil {
		b.Fatal(err)
	}
	benchDecode(b, f, benchTrade)
}

func BenchmarkAvroRegistryDecode(b *testing.B) {
	_, cl := newRegistry(b)
	f, err := AvroRegistry[trade](cl, "b-value", AvroOptions{Schema: tradeSchema})
	if err != nil {
		b.Fatal(err)
	}
	benchDecode(b, Format[trade](f), benchTrade)
}

func BenchmarkJSONEncode(b *testing.B) {
	f, dst := JSON[trade](), make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = f.Encode(benchTrade, dst[:0])
	}
}

func BenchmarkAvroEncode(b *testing.B) {
	f, _ := Avro[trade](tradeSchema)
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = f.Encode(benchTrade, dst[:0])
	}
}

func mustEncode[T any](b *testing.B, f Format[T], v T) []byte {
	rec, err := f.Encode(v, nil)
	if err != nil {
		b.Fatal(err)
	}
	return rec
}
