package format

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

const tradeSchema = `{"type":"record","name":"trade","fields":[
	{"name":"sym","type":"string"},
	{"name":"qty","type":"int"},
	{"name":"price","type":"double"},
	{"name":"buy","type":"boolean"},
	{"name":"note","type":["null","string"],"default":null},
	{"name":"tags","type":{"type":"array","items":"string"}},
	{"name":"attrs","type":{"type":"map","values":"string"}}]}`

// tradeV1 is an older writer schema: no note, tags or attrs, qty as int.
const tradeV1Schema = `{"type":"record","name":"trade","fields":[
	{"name":"sym","type":"string"},
	{"name":"qty","type":"int"},
	{"name":"price","type":"double"},
	{"name":"buy","type":"boolean"},
	{"name":"tags","type":{"type":"array","items":"string"},"default":[]},
	{"name":"attrs","type":{"type":"map","values":"string"},"default":{}}]}`

type tradeV1 struct {
	Sym   string            `avro:"sym"`
	Qty   int32             `avro:"qty"`
	Price float64           `avro:"price"`
	Buy   bool              `avro:"buy"`
	Tags  []string          `avro:"tags"`
	Attrs map[string]string `avro:"attrs"`
}

// newRegistry starts franz-go's in-process fake schema registry and a
// client of it.
func newRegistry(t testing.TB) (*srfake.Registry, *sr.Client) {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return reg, cl
}

func norm(v trade) trade {
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if v.Attrs == nil {
		v.Attrs = map[string]string{}
	}
	return v
}

var avroTrades = []trade{
	{},
	{Sym: "ACME", Qty: -3, Price: 1.5, Buy: true, Note: ptr("n"), Tags: []string{"a", ""}, Attrs: map[string]string{"k": "v", "": ""}},
	{Sym: strings.Repeat("x", 1000), Qty: 1 << 30, Note: ptr("")},
}

func TestAvroRoundTrip(t *testing.T) {
	f, err := Avro[trade](tradeSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range avroTrades {
		if got := roundTrip(t, f, v); !reflect.DeepEqual(norm(got), norm(v)) {
			t.Errorf("got %+v, want %+v", got, v)
		}
	}
}

func TestAvroRegistryRoundTrip(t *testing.T) {
	_, cl := newRegistry(t)
	f, err := AvroRegistry[trade](cl, "trades-value", AvroOptions{Schema: tradeSchema})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range avroTrades {
		if got := roundTrip(t, Format[trade](f), v); !reflect.DeepEqual(norm(got), norm(v)) {
			t.Errorf("got %+v, want %+v", got, v)
		}
	}
	b, _ := f.Encode(trade{Sym: "x"}, nil)
	id, _, err := SplitWireFormat(b)
	if err != nil || b[0] != 0 {
		t.Fatalf("%x %v", b, err)
	}
	// A second format of the same schema gets the same id and decodes the
	// first one's records through the registry.
	g, _ := AvroRegistry[trade](cl, "trades-value", AvroOptions{Schema: tradeSchema})
	if id2, err := g.Register(context.Background()); err != nil || id2 != id {
		t.Fatalf("id %d, want %d (%v)", id2, id, err)
	}
	g2, _ := AvroRegistry[trade](cl, "trades-value", AvroOptions{Schema: tradeSchema})
	if got, err := g2.Decode(b); err != nil || got.Sym != "x" {
		t.Fatalf("%+v %v", got, err)
	}
}

// TestAvroRegistryEvolution reads records of an older writer schema with
// a newer reader schema (hamba's schema resolution).
func TestAvroRegistryEvolution(t *testing.T) {
	_, cl := newRegistry(t)
	w, err := AvroRegistry[tradeV1](cl, "t-value", AvroOptions{Schema: tradeV1Schema})
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.Encode(tradeV1{Sym: "old", Qty: 7, Price: 2, Buy: true, Tags: []string{"t"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := AvroRegistry[trade](cl, "t-value", AvroOptions{Schema: tradeSchema})
	got, err := r.Decode(b)
	want := trade{Sym: "old", Qty: 7, Price: 2, Buy: true, Tags: []string{"t"}, Attrs: map[string]string{}}
	if err != nil || !reflect.DeepEqual(norm(got), want) {
		t.Fatalf("got %+v %v, want %+v", got, err, want)
	}
}

// TestAvroRegistryErrors checks the messages and classes of bad records
// and registry failures.
func TestAvroRegistryErrors(t *testing.T) {
	reg, cl := newRegistry(t)
	f, _ := AvroRegistry[trade](cl, "e-value", AvroOptions{Schema: tradeSchema})
	good, err := f.Encode(trade{Sym: "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg.SeedSchema("j-value", 1, 900, sr.Schema{Schema: `{"type":"object"}`, Type: sr.TypeJSON})
	reg.SeedSchema("i-value", 1, 901, sr.Schema{Schema: `{"type":"record","name":"trade","fields":[{"name":"sym","type":"long"}]}`, Type: sr.TypeAvro})
	withID := func(id byte, body []byte) []byte { return append([]byte{0, 0, 0, 3, id}, body...) }
	cases := []struct {
		in      []byte
		class   string
		want    string
		isWire  bool
		isUnkwn bool
	}{
		{nil, "wire-format", "strom: format: wire-format: record of 0 bytes is shorter than the 5-byte header of the Confluent wire format", true, false},
		{good[:4], "wire-format", "strom: format: wire-format: record of 4 bytes is shorter than the 5-byte header of the Confluent wire format", true, false},
		{append([]byte{1}, good[1:]...), "wire-format", "strom: format: wire-format: magic byte is 0x01, not 0x00: not the Confluent wire format", true, false},
		{[]byte{0, 0, 0, 0, 99, 2, 'x'}, "schema-registry", "strom: format: schema-registry: schema id 99 is unknown to the registry", false, true},
		{withID(0x84, nil), "schema-registry", "strom: format: schema-registry: schema id 900 is a JSON schema, not Avro", false, false},
		{withID(0x85, nil), "avro", "strom: format: avro: records of schema id 901 cannot be read as the schema of format.trade: ", false, false},
		{good[:6], "avro", "strom: format: avro: cannot decode format.trade: the input ends inside the value (1 bytes)", false, false},
		{good[:5], "avro", "strom: format: avro: cannot decode format.trade: the input ends inside the value (0 bytes)", false, false},
		{append(good[:5:5], 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), "avro", "strom: format: avro: cannot decode format.trade from 10 bytes: ", false, false},
	}
	for i, c := range cases {
		for range 2 { // the second time from the caches
			_, err := f.Decode(c.in)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) || Class(err) != c.class ||
				errors.Is(err, ErrBadWireFormat) != c.isWire || errors.Is(err, ErrUnknownSchema) != c.isUnkwn {
				t.Errorf("%d: got %v (class %q), want %s (class %q)", i, err, Class(err), c.want, c.class)
			}
		}
	}
	// The registry down: decoding a new id and registering fail with class schema-registry.
	reg.Close()
	if _, err := f.Decode([]byte{0, 0, 0, 0, 77}); Class(err) != "schema-registry" || !strings.Contains(err.Error(), "fetching schema id 77: ") {
		t.Errorf("registry down: %v", err)
	}
	g, _ := AvroRegistry[trade](cl, "e-value", AvroOptions{Schema: tradeSchema})
	if _, err := g.Encode(trade{}, nil); Class(err) != "schema-registry" || !strings.Contains(err.Error(), `registering the schema under subject "e-value": `) {
		t.Errorf("registry down: %v", err)
	}
	// Known ids still decode from the cache.
	if got, err := f.Decode(good); err != nil || got.Sym != "x" {
		t.Errorf("cached: %+v %v", got, err)
	}
}

func TestAvroConfigErrors(t *testing.T) {
	_, cl := newRegistry(t)
	if _, err := Avro[trade](`{"type":"nope"}`); err == nil || !strings.HasPrefix(err.Error(), "strom: format: invalid Avro schema: ") {
		t.Errorf("%v", err)
	}
	if _, err := AvroRegistry[trade](nil, "s", AvroOptions{Schema: tradeSchema}); err == nil {
		t.Error("nil client")
	}
	if _, err := AvroRegistry[trade](cl, "", AvroOptions{Schema: tradeSchema}); err == nil {
		t.Error("no subject")
	}
	f, _ := Avro[trade](`{"type":"enum","name":"e","symbols":["A"]}`)
	if _, err := f.Encode(trade{}, nil); Class(err) != "avro" {
		t.Errorf("encode into a wrong schema: %v", err)
	}
}

// TestAvroBounds: lengths and counts beyond the bounds fail without
// allocating them.
func TestAvroBounds(t *testing.T) {
	s, _ := Avro[string](`"string"`)
	// length 2^40 as a zig-zag varint
	huge := []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x40}
	if _, err := s.Decode(huge); Class(err) != "avro" {
		t.Errorf("huge string: %v", err)
	}
	nulls, _ := Avro[[]*int](`{"type":"array","items":"null"}`)
	// a block of 2^40 nulls takes no bytes per item
	if _, err := nulls.Decode(append(huge[:6:6], 0)); Class(err) != "avro" {
		t.Errorf("huge array: %v", err)
	}
	allocs := testing.AllocsPerRun(10, func() { _, _ = nulls.Decode(append(huge[:6:6], 0)) })
	if allocs > 50 {
		t.Errorf("%v allocations", allocs)
	}
}

func TestAvroRegistryNoRegister(t *testing.T) {
	_, cl := newRegistry(t)
	f, _ := AvroRegistry[trade](cl, "n-value", AvroOptions{Schema: tradeSchema, NoRegister: true})
	if _, err := f.Encode(trade{}, nil); Class(err) != "schema-registry" ||
		!strings.HasPrefix(err.Error(), `strom: format: schema-registry: looking up the schema under subject "n-value": `) {
		t.Fatalf("not registered: %v", err)
	}
	g, _ := AvroRegistry[trade](cl, "n-value", AvroOptions{Schema: tradeSchema})
	id, err := g.Register(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Encode(trade{Sym: "s"}, nil)
	if got, _, _ := SplitWireFormat(b); err != nil || got != id {
		t.Fatalf("id %d, want %d (%v)", got, id, err)
	}
}

// TestConcurrentUse runs decoders with shared state (CSV's splitter pool,
// the registry's schema cache) from several goroutines, for the race
// detector.
func TestConcurrentUse(t *testing.T) {
	_, cl := newRegistry(t)
	reg, _ := AvroRegistry[trade](cl, "c-value", AvroOptions{Schema: tradeSchema})
	old, _ := AvroRegistry[tradeV1](cl, "c-value", AvroOptions{Schema: tradeV1Schema})
	c, _ := CSV[trade](CSVOptions{Header: []string{"qty", "sym"}})
	recOld, err := old.Encode(tradeV1{Sym: "o"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				v := trade{Sym: fmt.Sprint(i, j), Qty: int32(j)}
				b, err := reg.Encode(v, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := reg.Decode(b); err != nil || got.Sym != v.Sym {
					t.Error(got, err)
				}
				if got, err := reg.Decode(recOld); err != nil || got.Sym != "o" {
					t.Error(got, err)
				}
				if got, err := c.Decode(fmt.Appendf(nil, "%d,%s", j, v.Sym)); err != nil || got.Sym != v.Sym || got.Qty != v.Qty {
					t.Error(got, err)
				}
			}
		})
	}
	wg.Wait()
}

// TestAvroTruncated: hamba's Unmarshal takes the end of the input for the
// end of the value; Decode does not.
func TestAvroTruncated(t *testing.T) {
	f, _ := Avro[trade](tradeSchema)
	for _, in := range [][]byte{nil, {0xff}, {2}, {2, 'a', 0x80}} {
		_, err := f.Decode(in)
		want := fmt.Sprintf("strom: format: avro: cannot decode format.trade: the input ends inside the value (%d bytes)", len(in))
		if err == nil || err.Error() != want {
			t.Errorf("%x: got %v, want %s", in, err, want)
		}
	}
}
