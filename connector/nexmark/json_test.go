package nexmark

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	gojson "github.com/goccy/go-json"

	"github.com/stromio/strom/connector/file"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.jsonl")

// stdJSON is encoding/json's encoding of ev without HTML escaping, the
// reference of AppendJSON.
func stdJSON(t testing.TB, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	evs := Generate(GeneratorConfig{Events: 2000, Seed: 5})
	evs = append(evs,
		Event{Type: TypeBid, Bid: &Bid{Auction: -1, Extra: "x"}}, // no channel/url: omitted
		Event{Type: 7},
		Event{Type: TypePerson, Person: &Person{}, Bid: &Bid{Channel: "c"}},
	)
	for _, ev := range evs {
		if got, want := string(AppendJSON(nil, ev)), stdJSON(t, ev); got != want {
			t.Fatalf("AppendJSON:\n got %s\nwant %s", got, want)
		}
	}
}

var trickyStrings = []string{
	"", "plain", `quote " backslash \ slash /`, "\x00\x01\x1f\x7f", "\b\f\n\r\t", "<&>",
	"héllo wörld", "\u2028\u2029", "bad \xff utf8 \xc3", "emoji 😀", "\ufffd", "a\u0000b",
}

func TestAppendStringEscapes(t *testing.T) {
	for _, s := range trickyStrings {
		if got, want := string(appendString(nil, s)), stdJSON(t, s); got != want {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendString(nil, s)), stdJSON(t, s); got != want {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestJSONRoundTrip(t *testing.T) {
	evs := Generate(GeneratorConfig{Events: 3000, Seed: 9, Splits: 2})
	var buf bytes.Buffer
	n, err := WriteJSONLines(&buf, slices.Values(evs))
	if err != nil || n != int64(buf.Len()) {
		t.Fatal(n, err)
	}
	data := buf.Bytes()
	back, err := ReadJSONLines(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, evs) {
		t.Fatal("ReadJSONLines(WriteJSONLines(events)) differs")
	}
	// Plain json.Unmarshal (both libraries) decodes every line too.
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		var a, b Event
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatal(err)
		}
		if err := gojson.Unmarshal(line, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, evs[i]) || !reflect.DeepEqual(b, evs[i]) {
			t.Fatalf("line %d: json.Unmarshal gives another event", i+1)
		}
	}
}

func TestFileConnectorReadsJSONLines(t *testing.T) {
	evs := Generate(GeneratorConfig{Events: 1000})
	p := filepath.Join(t.TempDir(), "events.jsonl")
	var buf bytes.Buffer
	if _, err := WriteJSONLines(&buf, slices.Values(evs)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	src := file.JSONLines[Event](p)
	ctx := context.Background()
	splits, err := src.Splits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Open(ctx, splits[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []Event
	b := make([]Event, 100)
	for {
		n, err := r.Read(ctx, b)
		got = append(got, b[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(got, evs) {
		t.Fatal("the file connector reads other events")
	}
}

// TestGolden pins the generated data: a change of the generator that
// changes the events must be deliberate (go test -run Golden -update).
func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	cfg := GeneratorConfig{Events: 150, Seed: 1, Splits: 2, Rate: 1000}
	if _, err := WriteJSONLines(&buf, slices.Values(Generate(cfg))); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("testdata", "golden.jsonl")
	if *update {
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		got := strings.Split(buf.String(), "\n")
		for i, w := range strings.Split(string(want), "\n") {
			if i >= len(got) || got[i] != w {
				t.Fatalf("line %d differs from %s (rerun with -update if intended):\n got %s\nwant %s", i+1, p, got[min(i, len(got)-1)], w)
			}
		}
		t.Fatalf("output differs from %s", p)
	}
}

func TestForeignFile(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "foreign.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadJSONLines(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Type: TypePerson, Person: &Person{ID: 1000, Name: "Kate Smith", EmailAddress: "a@b.com", CreditCard: "1234 5678 9012 3456",
			City: "Bend", State: "OR", DateTime: 1767225600000}},
		{Type: TypeAuction, Auction: &Auction{ID: 1000, ItemName: "lamp", Description: "an old lamp", InitialBid: 100, Reserve: 250,
			DateTime: 1767225600001, Expires: 1767225600900, Seller: 1000, Category: 10}},
		{Type: TypeBid, Bid: &Bid{Auction: 1000, Bidder: 1001, Price: 123, DateTime: 1767225600002}},
		{Type: TypeBid, Bid: &Bid{Auction: 1000, Bidder: 1001, Price: 123, URL: "https://www.nexmark.com/a/b/c/item.htm?query=1&channel_id=7",
			DateTime: 1767225600003, Extra: "café 😀"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("foreign file:\n got %s\nwant %s", toJSON(got), toJSON(want))
	}
}

func TestParseErrors(t *testing.T) {
	bid := `"bid":{"auction":1,"bidder":2,"price":3,"dateTime":4}`
	for _, c := range []struct{ line, reason string }{
		{``, "expected a JSON object, found end of line"},
		{`[]`, "expected a JSON object"},
		{`not json`, "expected a JSON object, found 'n'"},
		{`{}`, "missing event_type and no person, auction or bid object"},
		{`{"event_type":2}`, `event_type 2 needs a "bid" object`},
		{`{"event_type":0,` + bid + `}`, `event_type 0 needs a "person" object`},
		{`{"event_type":3,` + bid + `}`, "event_type must be 0 (person), 1 (auction) or 2 (bid), got 3"},
		{`{"event_type":"2",` + bid + `}`, "event_type must be an integer, found '\"'"},
		{`{"event_type":2,` + bid + `,"person":{"id":1,"name":"a","emailAddress":"b","creditCard":"c","city":"d","state":"e","dateTime":1}}`,
			"more than one of person, auction and bid is set"},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"dateTime":4}}`, `bid: missing field "price"`},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":null,"dateTime":4}}`, "bid.price must be an integer, not null"},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":1.5,"dateTime":4}}`, "bid.price must be an integer, got 1.5"},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":99999999999999999999,"dateTime":4}}`, "does not fit in a 64-bit integer"},
		{`{"event_type":2,"bid":{"auction":01,"bidder":2,"price":3,"dateTime":4}}`, "leading zero"},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"dateTime":"yesterday"}}`, `bid.dateTime: "yesterday" is neither epoch milliseconds nor a timestamp`},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"dateTime":4,"channel":5}}`, "bid.channel must be a string, found '5'"},
		{`{"event_type":0,"person":{"id":1,"name":null}}`, "person.name must be a string, not null"},
		{`{"event_type":1,"auction":{"id":1}}`, `auction: missing field "itemName"`},
		{`{"event_type":2,` + bid + `} extra`, "unexpected 'e' after the event object"},
		{`{"event_type":2,` + bid, "expected ',' or '}' after a member, found end of line"},
		{`{"event_type":2,` + bid + `,}`, "expected a member name in quotes"},
		{`{"event_type" 2}`, "expected ':' after member name"},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"dateTime":4,"extra":"a` + "\x01" + `"}}`, "control character"},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"dateTime":4,"extra":"a` + "\xff" + `"}}`, "invalid UTF-8 in string"},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"dateTime":4,"extra":"é` + "\x01" + `"}}`, "control character"},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"dateTime":4,"extra":"\né` + "\x01" + `"}}`, "control character"},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"dateTime":4,"extra":"\n` + "\xff" + `"}}`, "invalid UTF-8 in string"},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"dateTime":4,"extra":"\q"}}`, `invalid escape \q`},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"dateTime":4,"extra":"\u12"}}`, `invalid \u escape`},
		{`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"dateTime":4,"extra":"abc`, "unterminated string"},
		{`{"event_type":2,"x":tru,` + bid + `}`, "expected a JSON value"},
		{`{"event_type":2,"x":[1,2` + bid + `}`, "expected ',' or ']' in array"},
		{`{"event_type":2,"x":1.,` + bid + `}`, "no digits after '.'"},
		{`{"event_type":2,"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,` + bid + `}`, "nested deeper than 64"},
	} {
		_, err := ParseString(c.line)
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(pe.Reason, c.reason) {
			t.Errorf("ParseString(%q): error %v, want reason %q", c.line, err, c.reason)
		}
	}
	// The decoder names the line.
	d := NewDecoder(strings.NewReader("\n" + `{"event_type":2,` + bid + "}\n\n{\n"))
	if _, err := d.Decode(); err != nil {
		t.Fatal(err)
	}
	_, err := d.Decode()
	if err == nil || err.Error() != "nexmark: line 4, column 2: expected a member name in quotes, found end of line" {
		t.Errorf("decoder error %v", err)
	}
	// A BOM on the first line is accepted.
	if _, err := ReadJSONLines(strings.NewReader("\xef\xbb\xbf{" + bid + "}")); err != nil {
		t.Errorf("BOM: %v", err)
	}
}

func TestSideInput(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSideInput(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != SideInputRows {
		t.Fatalf("%d rows", len(lines))
	}
	for i, l := range lines {
		if want := strconv.Itoa(i) + "," + strconv.Itoa(i); l != want {
			t.Fatalf("row %d = %q, want %q", i, l, want)
		}
	}
}

func TestGenerateJSONLines(t *testing.T) {
	cfg := GeneratorConfig{Events: 3*bulkChunk + 17, Splits: 3, Seed: 4}
	var want bytes.Buffer
	evs := Generate(cfg)
	if _, err := WriteJSONLines(&want, slices.Values(evs)); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	st, err := GenerateJSONLines(context.Background(), &got, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatal("GenerateJSONLines differs from WriteJSONLines(Generate)")
	}
	var p, a, b int64
	for _, ev := range evs {
		switch ev.Type {
		case TypePerson:
			p++
		case TypeAuction:
			a++
		default:
			b++
		}
	}
	wantStats := GenerateStats{Events: cfg.Events, Persons: p, Auctions: a, Bids: b,
		MinTime: DefaultBaseTime, MaxTime: evs[len(evs)-1].Time(), Bytes: int64(want.Len())}
	if st != wantStats {
		t.Fatalf("stats %+v, want %+v", st, wantStats)
	}
	// Write errors and cancellation stop it.
	boom := errors.New("disk full")
	if _, err := GenerateJSONLines(context.Background(), failWriter{boom}, cfg); !errors.Is(err, boom) {
		t.Errorf("write error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := GenerateJSONLines(ctx, io.Discard, cfg); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if _, err := GenerateJSONLines(context.Background(), io.Discard, GeneratorConfig{}); err == nil {
		t.Error("unbounded config accepted")
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// FuzzParseLine: no panic; whatever is accepted is valid JSON and survives
// a round trip through the encoder.
func FuzzParseLine(f *testing.F) {
	for _, ev := range Generate(GeneratorConfig{Events: 60}) {
		f.Add(string(AppendJSON(nil, ev)))
	}
	raw, _ := os.ReadFile(filepath.Join("testdata", "foreign.jsonl"))
	for l := range strings.SplitSeq(string(raw), "\n") {
		f.Add(l)
	}
	f.Add(`{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"dateTime":4,"x":[{"y":null}]}}`)
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, line string) {
		ev, err := ParseString(line)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Column < 1 || pe.Column > len(line)+1 {
				t.Fatalf("error %v is not a ParseError with a column in the line", err)
			}
			return
		}
		if !json.Valid([]byte(line)) {
			t.Fatalf("accepted invalid JSON %q", line)
		}
		if !memberMatches(ev) {
			t.Fatalf("accepted %q as %+v", line, ev)
		}
		enc := AppendJSON(nil, ev)
		back, err := ParseLine(enc)
		if err != nil || !reflect.DeepEqual(back, ev) {
			t.Fatalf("round trip of %q: %s -> %+v, %v", line, enc, back, err)
		}
	})
}
