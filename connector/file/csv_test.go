package file

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

type trade struct {
	Symbol string    `csv:"sym"`
	Price  float64   `csv:"price"`
	Qty    int32     `csv:"qty"`
	Buy    bool      `csv:"buy"`
	At     time.Time `csv:"ts"`
	Note   *string   `csv:"note"`
	Venue  netip.Addr
	Count  *uint8
	Hidden string `csv:"-"`
	local  int
}

func TestCSVHeaderMapping(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "t.csv",
		"\xef\xbb\xbfQTY,extra,sym,price,buy,ts,note,venue,count\n"+ // BOM, any order, case-insensitive, extra column
			"3,zz,ABC,1.5,true,1700000000123,,10.0.0.1,\n"+
			"-7,,\"X,Y\",-2e3,0,0,\"a \"\"quoted\"\" note\",::1,255\n")
	got, err := readAll(t, CSV[trade](p), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	note, cnt := `a "quoted" note`, uint8(255)
	want := []trade{
		{Symbol: "ABC", Price: 1.5, Qty: 3, Buy: true, At: time.UnixMilli(1700000000123).UTC(), Venue: netip.MustParseAddr("10.0.0.1")},
		{Symbol: "X,Y", Price: -2000, Qty: -7, Buy: false, At: time.UnixMilli(0).UTC(), Note: &note, Venue: netip.MustParseAddr("::1"), Count: &cnt},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestCSVMissingColumnsStayZero(t *testing.T) {
	p := writeFile(t, t.TempDir(), "t.csv", "sym\nA\n")
	got, err := readAll(t, CSV[trade](p), p, nil)
	if err != nil || len(got) != 1 || got[0].Symbol != "A" || got[0].Price != 0 {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestCSVNoHeaderAndComma(t *testing.T) {
	type pt struct {
		X, Y  int
		Label string
	}
	dir := t.TempDir()
	p := writeFile(t, dir, "p.csv", "1;2;a\n3;4;\"b;c\"\n")
	src := mustSource[pt](t, SourceOptions{Paths: []string{p}, Format: FormatCSV, CSV: CSVOptions{Comma: ';', NoHeader: true}})
	got, err := readAll(t, src, p, nil)
	if err != nil || !reflect.DeepEqual(got, []pt{{1, 2, "a"}, {3, 4, "b;c"}}) {
		t.Fatalf("%+v %v", got, err)
	}
	p = writeFile(t, dir, "q.csv", "1→2→\"x→\"\"y\"\n")
	src = mustSource[pt](t, SourceOptions{Paths: []string{p}, Format: FormatCSV, CSV: CSVOptions{Comma: '→', NoHeader: true}})
	got, err = readAll(t, src, p, nil)
	if err != nil || !reflect.DeepEqual(got, []pt{{1, 2, `x→"y`}}) {
		t.Fatalf("multi-byte comma: %+v %v", got, err)
	}
	p = writeFile(t, dir, "r.csv", "1,2\n")
	src = mustSource[pt](t, SourceOptions{Paths: []string{p}, Format: FormatCSV, CSV: CSVOptions{NoHeader: true}})
	if _, err := readAll(t, src, p, nil); err == nil || !strings.Contains(err.Error(), "line 1 (offset 0): record has 2 fields, file.pt has 3") {
		t.Fatalf("field count: %v", err)
	}
}

func TestCSVRawRecords(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "raw.csv", "a,b\n1,\"two\nlines\"\n\n3,\n")
	got, err := readAll(t, CSV[[]string](p), p, nil)
	if err != nil || !reflect.DeepEqual(got, [][]string{{"1", "two\nlines"}, {"3", ""}}) {
		t.Fatalf("%q %v", got, err)
	}
	src := mustSource[[]string](t, SourceOptions{Paths: []string{p}, Format: FormatCSV, CSV: CSVOptions{NoHeader: true}})
	got, err = readAll(t, src, p, nil)
	if err != nil || len(got) != 3 || got[0][0] != "a" {
		t.Fatalf("%q %v", got, err)
	}
}

func TestCSVLineNumbersAfterMultilineRecords(t *testing.T) {
	p := writeFile(t, t.TempDir(), "m.csv", "sym,qty\n\"a\nb\nc\",1\n\nx,y\n")
	_, err := readAll(t, CSV[trade](p), p, nil)
	want := `strom: file ` + p + ` line 6 (offset 19): column 2 (qty): "y" is not a valid int32; fix the line or set OnError=skip`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

func TestCSVTypeErrors(t *testing.T) {
	cases := map[string]string{
		"sym,buy\nA,maybe\n":      `column 2 (buy): "maybe" is not a valid bool`,
		"sym,qty\nA,3000000000\n": `column 2 (qty): "3000000000" is out of range for int32`,
		"sym,ts\nA,yesterday\n":   `column 2 (ts): "yesterday" is not a valid time (epoch milliseconds)`,
		"sym,count\nA,256\n":      `column 2 (Count): "256" is out of range for *uint8`,
		"sym,Venue\nA,1.2.3\n":    `column 2 (Venue): "1.2.3": ParseAddr("1.2.3"): IPv4 address too short`,
		"sym,price\nA, 1\n":       `column 2 (price): " 1" is not a valid float64`,
	}
	dir := t.TempDir()
	for content, want := range cases {
		p := writeFile(t, dir, "e.csv", content)
		_, err := readAll(t, CSV[trade](p), p, nil)
		if err == nil || !strings.Contains(err.Error(), "line 2 (offset ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %s", content, err, want)
		}
	}
}

func TestCSVUnsupportedTypes(t *testing.T) {
	type bad struct{ M map[string]int }
	for name, err := range map[string]error{
		"map field": func() error {
			_, err := NewSource[bad](SourceOptions{Paths: []string{"x"}, Format: FormatCSV})
			return err
		}(),
		"not a struct": func() error {
			_, err := NewSource[int](SourceOptions{Paths: []string{"x"}, Format: FormatCSV})
			return err
		}(),
		"no fields": func() error {
			_, err := NewSource[struct{ x int }](SourceOptions{Paths: []string{"x"}, Format: FormatCSV})
			return err
		}(),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

type Base struct {
	ID int `csv:"id"`
}

type extra struct {
	Note string `csv:"note"`
}

type ptrBase struct{ P int }

func TestCSVEmbeddedStructs(t *testing.T) {
	type rec struct {
		Base
		extra
		*ptrBase        // not mapped: the pointer may be nil
		Name     string `csv:"name"`
	}
	p := writeFile(t, t.TempDir(), "e.csv", "name,id,note,P\nx,7,hi,3\n")
	got, err := readAll(t, CSV[rec](p), p, nil)
	if err != nil || len(got) != 1 || got[0].ID != 7 || got[0].Note != "hi" || got[0].Name != "x" || got[0].ptrBase != nil {
		t.Fatalf("%+v %v", got, err)
	}
}
