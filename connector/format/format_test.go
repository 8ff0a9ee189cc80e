package format

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

type trade struct {
	Sym   string            `json:"sym" csv:"sym" avro:"sym"`
	Qty   int32             `json:"qty" csv:"qty" avro:"qty"`
	Price float64           `json:"price" csv:"price" avro:"price"`
	Buy   bool              `json:"buy" csv:"buy" avro:"buy"`
	Note  *string           `json:"note,omitempty" csv:"note" avro:"note"`
	Tags  []string          `json:"tags,omitempty" csv:"-" avro:"tags"`
	Attrs map[string]string `json:"attrs,omitempty" csv:"-" avro:"attrs"`
}

func ptr[T any](v T) *T { return &v }

func roundTrip[T any](t *testing.T, f Format[T], v T) T {
	t.Helper()
	prefix := []byte("prefix")
	b, err := f.Encode(v, bytes.Clone(prefix))
	if err != nil {
		t.Fatalf("encode %+v: %v", v, err)
	}
	if !bytes.HasPrefix(b, prefix) {
		t.Fatalf("encode did not append: %q", b)
	}
	got, err := f.Decode(b[len(prefix):])
	if err != nil {
		t.Fatalf("decode %q: %v", b[len(prefix):], err)
	}
	return got
}

func TestRoundTrips(t *testing.T) {
	trades := []trade{
		{},
		{Sym: "ACME", Qty: -3, Price: 1.5, Buy: true, Note: ptr("a, \"quoted\"\nnote")},
		{Sym: "ü€", Qty: 1 << 30, Price: -0.001, Note: ptr(""), Tags: []string{"x", ""}, Attrs: map[string]string{"k": "v"}},
	}
	csvF, err := CSV[trade](CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	csvSemi, err := CSV[trade](CSVOptions{Comma: ';', Header: []string{"price", "SYM", "unused", "qty", "buy", "note"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range trades {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if got := roundTrip(t, JSON[trade](), v); !reflect.DeepEqual(got, v) {
				t.Errorf("JSON: got %+v, want %+v", got, v)
			}
			want := v
			want.Tags, want.Attrs = nil, nil
			if v.Note != nil && *v.Note == "" {
				want.Note = nil // CSV: an empty field is a nil pointer
			}
			if got := roundTrip(t, Format[trade](csvF), want); !reflect.DeepEqual(got, want) {
				t.Errorf("CSV: got %+v, want %+v", got, want)
			}
			// By header: encode in field order, decode with the columns renamed and moved.
			b, err := csvSemi.Encode(want, nil)
			if err != nil {
				t.Fatal(err)
			}
			byPos, _ := CSV[[]string](CSVOptions{Comma: ';'})
			fields, err := byPos.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			rec, _ := byPos.Encode([]string{fields[2], fields[0], "zzz", fields[1], fields[3], fields[4]}, nil)
			if got, err := csvSemi.Decode(rec); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("CSV by header: got %+v %v, want %+v", got, err, want)
			}
		})
	}
	if got := roundTrip(t, Raw(), []byte{0, 1, 0xff}); !bytes.Equal(got, []byte{0, 1, 0xff}) {
		t.Errorf("Raw: %q", got)
	}
	if got := roundTrip(t, String(), "x\xffy"); got != "x\xffy" {
		t.Errorf("String: %q", got)
	}
	m := map[string]any{"a": 1.5, "b": []any{"x", true, nil}, "c": map[string]any{"d": "e"}}
	if got := roundTrip(t, JSONMap(), m); !reflect.DeepEqual(got, m) {
		t.Errorf("JSONMap: %v", got)
	}
	rows := [][]string{{""}, {"", ""}, {"a", "b,c", "\"", " lead", "\xef\xbb\xbfbom"}}
	raw, _ := CSV[[]string](CSVOptions{})
	for _, r := range rows {
		if got := roundTrip(t, Format[[]string](raw), r); !reflect.DeepEqual(got, r) {
			t.Errorf("CSV []string: got %q, want %q", got, r)
		}
	}
}

func TestRawCopies(t *testing.T) {
	in := []byte("abc")
	out, _ := Raw().Decode(in)
	in[0] = 'X'
	if string(out) != "abc" {
		t.Fatalf("Raw aliases its input: %q", out)
	}
}

type typed struct {
	When time.Time       `csv:"when"`
	Addr netip.Addr      `csv:"addr"`
	N    *uint8          `csv:"n"`
	In   struct{ X int } `json:"in" csv:"-"`
}

// TestErrors checks the exact messages and classes of bad input.
func TestErrors(t *testing.T) {
	j := JSON[trade]()
	c, _ := CSV[trade](CSVOptions{})
	ch, _ := CSV[trade](CSVOptions{Header: []string{"sym", "qty"}})
	ct, _ := CSV[typed](CSVOptions{})
	decJSON := func(s string) error { _, err := j.Decode([]byte(s)); return err }
	decCSV := func(s string) error { _, err := c.Decode([]byte(s)); return err }
	cases := []struct {
		err   error
		class string
		want  string
	}{
		{decJSON(`{"sym":1}`), "json", `strom: format: json: wrong type for field sym of format.trade: JSON number does not fit string (after 8 bytes)`},
		{decJSON(`{"sym":"a",}`), "json", `strom: format: json: syntax error after 12 bytes: invalid character '}' looking for beginning of object key string`},
		{decJSON(`{"sym":"a"`), "json", `strom: format: json: syntax error after 10 bytes: unexpected end of JSON input`},
		{decJSON(`{} {}`), "json", `strom: format: json: syntax error after 4 bytes: invalid character '{' after top-level value`},
		{decJSON(`[1]`), "json", `strom: format: json: wrong type: JSON array does not fit format.trade (after 1 bytes)`},
		{func() error { _, err := JSON[typed]().Decode([]byte(`{"in":{"X":"1"}}`)); return err }(), "json",
			`strom: format: json: wrong type for field in.X of format.typed: JSON string does not fit int (after 14 bytes)`},
		{func() error { _, err := JSONMap().Decode([]byte(`null`)); return err }(), "json", `strom: format: json: null is not a JSON object`},
		{decCSV(`A,x,1,true,`), "csv", `strom: format: csv: column 2 (qty): "x" is not a valid int32`},
		{decCSV(`A,3000000000,1,true,`), "csv", `strom: format: csv: column 2 (qty): "3000000000" is out of range for int32`},
		{decCSV(`A,1,,true,`), "csv", `strom: format: csv: column 3 (price): empty value for float64 (use a pointer field for optional values)`},
		{decCSV(`A,1`), "csv", `strom: format: csv: record has 2 fields, format.trade has 5`},
		{decCSV(`"A,1`), "csv", `strom: format: csv: unterminated quoted field in column 1`},
		{decCSV("A\xff,1"), "csv", `strom: format: csv: invalid UTF-8 at byte 2`},
		{func() error { _, err := ch.Decode([]byte(`A`)); return err }(), "csv", `strom: format: csv: record has 1 fields, the header has 2`},
		{func() error { _, err := ct.Decode([]byte(`x,1.2.3,`)); return err }(), "csv", `strom: format: csv: column 1 (when): "x" is not a valid time (epoch milliseconds)`},
		{func() error { _, err := ct.Decode([]byte(`1,1.2.3,`)); return err }(), "csv", `strom: format: csv: column 2 (addr): "1.2.3": ParseAddr("1.2.3"): IPv4 address too short`},
		{func() error { _, err := ct.Decode([]byte(`1,::1,256`)); return err }(), "csv", `strom: format: csv: column 3 (n): "256" is out of range for *uint8`},
		{func() error { _, err := c.WithHeader([]string{"x", "y"}); return err }(), "csv", `strom: format: csv: CSV header ["x" "y"] matches no field`},
		{func() error { _, err := c.WithHeader([]string{"sym", "SYM"}); return err }(), "csv", `strom: format: csv: bad CSV header: columns "sym" and "SYM" both map to field sym`},
		{func() error { _, err := c.WithHeaderRecord([]byte(`sym,"qty`)); return err }(), "csv", `strom: format: csv: bad CSV header: unterminated quoted field in column 2`},
		{func() error { _, err := Limit(Raw(), 3).Decode([]byte("abcd")); return err }(), "too-large", `strom: format: too-large: record of 4 bytes is over the limit of 3 bytes`},
		{errors.New("x"), "other", "x"},
	}
	for i, c := range cases {
		if c.err == nil {
			t.Errorf("%d: no error, want %s", i, c.want)
			continue
		}
		if c.err.Error() != c.want {
			t.Errorf("%d: got  %s\nwant %s", i, c.err, c.want)
		}
		if got := Class(c.err); got != c.class {
			t.Errorf("%d: class %q, want %q", i, got, c.class)
		}
		if got := Class(fmt.Errorf("wrapped: %w", c.err)); got != c.class {
			t.Errorf("%d: class of wrapped %q, want %q", i, got, c.class)
		}
	}
	if Class(nil) != "other" {
		t.Error("Class(nil)")
	}
	_, err := Limit(Raw(), 3).Decode([]byte("abcd"))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Limit error does not wrap ErrTooLarge: %v", err)
	}
	if v, err := Limit(Raw(), 3).Decode([]byte("abc")); err != nil || string(v) != "abc" {
		t.Errorf("Limit at n: %q %v", v, err)
	}
}

func TestCSVConfigErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{func() error { _, err := CSV[int](CSVOptions{}); return err }(), "needs a struct type or []string"},
		{func() error { _, err := CSV[trade](CSVOptions{Comma: '"'}); return err }(), `invalid CSV Comma '"'`},
		{func() error { _, err := CSV[struct{ C chan int }](CSVOptions{}); return err }(), "is not supported"},
		{func() error { _, err := CSV[struct{ x int }](CSVOptions{}); return err }(), "has no exported fields"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("got %v, want %s", c.err, c.want)
		}
	}
}

func TestCSVLineEnds(t *testing.T) {
	c, _ := CSV[[]string](CSVOptions{})
	for in, want := range map[string][]string{"a,b\n": {"a", "b"}, "a,b\r\n": {"a", "b"}, "a,b\r": {"a", "b\r"}, "\"a\nb\"": {"a\nb"}} {
		if got, err := c.Decode([]byte(in)); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %q %v, want %q", in, got, err, want)
		}
	}
}

func TestParseName(t *testing.T) {
	for in, want := range map[string]Name{"json": NameJSON, " CSV ": NameCSV, "raw": NameRaw, "Avro": NameAvro} {
		if got, err := ParseName(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := ParseName("xml"); err == nil || err.Error() != `strom: format: unknown format "xml" (want json, raw, csv or avro)` {
		t.Errorf("xml: %v", err)
	}
}
