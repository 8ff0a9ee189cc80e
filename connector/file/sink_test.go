package file

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/stromio/strom/connector"
)

func openWriter[T any](t testing.TB, s *Sink[T], subtask, parallelism int) connector.Writer[T] {
	t.Helper()
	w, err := s.Open(context.Background(), connector.SinkInfo{Subtask: subtask, Parallelism: parallelism})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// writeAll writes recs round-robin over parallelism writers and closes them.
func writeAll[T any](t testing.TB, s *Sink[T], parallelism int, recs []T) {
	t.Helper()
	ws := make([]connector.Writer[T], parallelism)
	for i := range ws {
		ws[i] = openWriter(t, s, i, parallelism)
	}
	for i, r := range recs {
		if err := ws[i%parallelism].Write(r, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range ws {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// readDir reads every split of src in order.
func readSplits[T any](t testing.TB, src *Source[T]) []T {
	t.Helper()
	splits, err := src.Splits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	for _, sp := range splits {
		got, err := readAll(t, src, sp.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got...)
	}
	return out
}

// roundRobinOrder is the order readSplits returns records written by
// writeAll with p writers (p <= 10, so part files sort by subtask).
func roundRobinOrder[T any](recs []T, p int) []T {
	var out []T
	for i := range p {
		for j := i; j < len(recs); j += p {
			out = append(out, recs[j])
		}
	}
	return out
}

type rich struct {
	ID    int64      `json:"id" csv:"id"`
	Name  string     `json:"name" csv:"name"`
	Score float64    `json:"score" csv:"score"`
	OK    bool       `json:"ok" csv:"ok"`
	At    time.Time  `json:"at" csv:"at"`
	Ref   *int16     `json:"ref" csv:"ref"`
	Addr  netip.Addr `json:"addr" csv:"addr"`
	Tags  []string   `json:"tags,omitempty" csv:"-"`
}

func genRich(t *rapid.T) rich {
	r := rich{
		ID:    rapid.Int64().Draw(t, "id"),
		Name:  rapid.String().Draw(t, "name"),
		Score: rapid.Float64().Draw(t, "score"),
		OK:    rapid.Bool().Draw(t, "ok"),
		At:    time.UnixMilli(rapid.Int64Range(-62135596800000, 253402300799999).Draw(t, "at")).UTC(),
		Addr:  netip.AddrFrom4([4]byte{10, 0, 0, rapid.Byte().Draw(t, "addr")}),
	}
	if rapid.Bool().Draw(t, "has ref") {
		v := rapid.Int16().Draw(t, "ref")
		r.Ref = &v
	}
	return r
}

func TestRoundTripJSONLines(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		dir := t.TempDir()
		recs := rapid.SliceOf(rapid.Custom(genRich)).Draw(rt, "recs")
		for i := range recs {
			recs[i].Tags = rapid.SliceOfN(rapid.String(), 0, 2).Draw(rt, "tags")
			if len(recs[i].Tags) == 0 {
				recs[i].Tags = nil
			}
		}
		p := rapid.IntRange(1, 3).Draw(rt, "parallelism")
		writeAll(t, JSONLinesSink[rich](dir), p, recs)
		got := readSplits(t, JSONLines[rich](dir))
		if want := roundRobinOrder(recs, p); !reflect.DeepEqual(nilIfEmpty(got), nilIfEmpty(want)) {
			rt.Fatalf("got  %+v\nwant %+v", got, want)
		}
	})
}

func TestRoundTripCSV(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		dir := t.TempDir()
		recs := rapid.SliceOf(rapid.Custom(genRich)).Draw(rt, "recs")
		comma := rapid.SampledFrom([]rune{',', ';', '\t', '|', '→'}).Draw(rt, "comma")
		noHeader := rapid.Bool().Draw(rt, "no header")
		csvo := CSVOptions{Comma: comma, NoHeader: noHeader}
		p := rapid.IntRange(1, 3).Draw(rt, "parallelism")
		sink, err := NewSink[rich](SinkOptions{Dir: dir, Format: FormatCSV, CSV: csvo})
		if err != nil {
			rt.Fatal(err)
		}
		writeAll(t, sink, p, recs)
		src := mustSource[rich](t, SourceOptions{Paths: []string{dir}, Format: FormatCSV, CSV: csvo})
		got := readSplits(t, src)
		want := roundRobinOrder(recs, p)
		for i := range want {
			// As with encoding/csv, "\r\n" inside a field reads back as "\n".
			want[i].Name = strings.ReplaceAll(want[i].Name, "\r\n", "\n")
		}
		if !reflect.DeepEqual(nilIfEmpty(got), nilIfEmpty(want)) {
			rt.Fatalf("got  %+v\nwant %+v", got, want)
		}
	})
}

func TestRoundTripRawCSV(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		dir := t.TempDir()
		field := rapid.OneOf(rapid.String(), rapid.SampledFrom([]string{"", "\"", ",", "\n", " x", "\"\"", "a\"b"}))
		recs := rapid.SliceOf(rapid.SliceOfN(field, 1, 4)).Draw(rt, "recs")
		sink, err := NewSink[[]string](SinkOptions{File: filepath.Join(dir, "out.csv"), Format: FormatCSV})
		if err != nil {
			rt.Fatal(err)
		}
		writeAll(t, sink, 1, recs)
		src := mustSource[[]string](t, SourceOptions{Paths: []string{dir}, Format: FormatCSV, CSV: CSVOptions{NoHeader: true}})
		got := readSplits(t, src)
		for _, r := range recs {
			for i := range r {
				r[i] = strings.ReplaceAll(r[i], "\r\n", "\n")
			}
		}
		if !reflect.DeepEqual(nilIfEmpty(got), nilIfEmpty(recs)) {
			rt.Fatalf("got  %q\nwant %q", got, recs)
		}
	})
}

func TestRoundTripLines(t *testing.T) {
	dir := t.TempDir()
	recs := []string{"a", "b c", "\tx\r y", "ünï"}
	sink, err := NewSink[string](SinkOptions{Dir: dir, Format: FormatLines})
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, sink, 1, recs)
	if _, err := os.Stat(filepath.Join(dir, "part-0-0.txt")); err != nil {
		t.Fatal(err)
	}
	if got := readSplits(t, Lines[string](dir)); !slices.Equal(got, recs) {
		t.Fatalf("got %q", got)
	}
	w := openWriter(t, sink, 0, 1)
	defer w.Close()
	for _, bad := range []string{"a\nb", "a\r"} {
		if err := w.Write(bad, 0); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestSinkPartFilesAndSingleFile(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, JSONLinesSink[event](dir), 3, []event{{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}})
	for i, want := range []string{"{\"id\":1,\"name\":\"a\"}\n{\"id\":4,\"name\":\"d\"}\n", "{\"id\":2,\"name\":\"b\"}\n", "{\"id\":3,\"name\":\"c\"}\n"} {
		b, err := os.ReadFile(filepath.Join(dir, PartFile(i, FormatJSONLines)))
		if err != nil || string(b) != want {
			t.Fatalf("part %d: %q %v", i, b, err)
		}
	}
	single, err := NewSink[event](SinkOptions{File: filepath.Join(dir, "all.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := single.Open(context.Background(), connector.SinkInfo{Subtask: 0, Parallelism: 2}); err == nil || !strings.Contains(err.Error(), "parallelism 2") {
		t.Fatalf("File with parallelism 2: %v", err)
	}
	writeAll(t, single, 1, []event{{7, "x"}})
	if b, _ := os.ReadFile(filepath.Join(dir, "all.jsonl")); string(b) != "{\"id\":7,\"name\":\"x\"}\n" {
		t.Fatalf("single file: %q", b)
	}
	if _, err := NewSink[event](SinkOptions{}); err == nil {
		t.Fatal("neither Dir nor File: no error")
	}
	if _, err := NewSink[event](SinkOptions{Dir: "a", File: "b"}); err == nil {
		t.Fatal("Dir and File: no error")
	}
}

func TestSinkAppendAndTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.csv")
	app, _ := NewSink[event](SinkOptions{File: path, Format: FormatCSV})
	writeAll(t, app, 1, []event{{1, "a"}})
	writeAll(t, app, 1, []event{{2, "b"}}) // appends, no second header
	if b, _ := os.ReadFile(path); string(b) != "ID,Name\n1,a\n2,b\n" {
		t.Fatalf("append: %q", b)
	}
	tr, _ := NewSink[event](SinkOptions{File: path, Format: FormatCSV, Truncate: true})
	writeAll(t, tr, 1, []event{{3, "c"}})
	if b, _ := os.ReadFile(path); string(b) != "ID,Name\n3,c\n" {
		t.Fatalf("truncate: %q", b)
	}
}

func TestWriterFlushAndClose(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, JSONLinesSink[event](dir), 0, 1)
	path := filepath.Join(dir, "part-0-0.jsonl")
	if err := w.Write(event{1, "a"}, 0); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Fatalf("written before Flush: %q", b)
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{\"id\":1,\"name\":\"a\"}\n" {
		t.Fatalf("after Flush: %q", b)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if err := w.Write(event{2, "b"}, 0); err == nil {
		t.Fatal("Write after Close: no error")
	}
}

func TestWriterBuffersUpToLimit(t *testing.T) {
	dir := t.TempDir()
	s, _ := NewSink[string](SinkOptions{Dir: dir, Format: FormatLines, BufferBytes: 10})
	w := openWriter(t, s, 0, 1)
	defer w.Close()
	_ = w.Write("12345", 0)
	_ = w.Write("1234", 0) // 11 bytes buffered: written through
	if b, _ := os.ReadFile(filepath.Join(dir, "part-0-0.txt")); string(b) != "12345\n1234\n" {
		t.Fatalf("%q", b)
	}
}

func TestWriterEncodeError(t *testing.T) {
	type withChan struct{ C chan int }
	w := openWriter(t, JSONLinesSink[withChan](t.TempDir()), 0, 1)
	defer w.Close()
	if err := w.Write(withChan{C: make(chan int)}, 0); err == nil || !strings.Contains(err.Error(), "cannot encode") {
		t.Fatalf("err = %v", err)
	}
	if err := w.Write(withChan{}, 0); err == nil {
		t.Fatal("a nil chan does not encode either")
	}
	csvw := openWriter(t, CSVSink[[]string](t.TempDir()), 0, 1)
	defer csvw.Close()
	if err := csvw.Write(nil, 0); err == nil {
		t.Fatal("empty CSV record: no error")
	}
	if err := csvw.Write([]string{""}, 0); err != nil {
		t.Fatal(err)
	}
}
