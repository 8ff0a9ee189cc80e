package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
)

type event struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func TestJSONLinesBasic(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "events.jsonl",
		"{\"id\":1,\"name\":\"a\"}\n"+
			"\n"+ // blank lines are skipped
			"   \t\n"+
			"{\"name\":\"b\",\"extra\":[1,2],\"id\":2}\n"+ // any order, unknown fields
			"{\"id\":3}") // final line without newline
	src := JSONLines[event](p)
	got, err := readAll(t, src, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []event{{1, "a"}, {2, "b"}, {3, ""}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if !src.Bounded() {
		t.Fatal("JSONLines must be bounded")
	}
}

func TestCRLF(t *testing.T) {
	dir := t.TempDir()
	t.Run("json", func(t *testing.T) {
		p := writeFile(t, dir, "a.jsonl", "{\"id\":1}\r\n\r\n{\"id\":2,\"name\":\"x\"}\r\n")
		got, err := readAll(t, JSONLines[event](p), p, nil)
		if err != nil || !reflect.DeepEqual(got, []event{{1, ""}, {2, "x"}}) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("lines", func(t *testing.T) {
		p := writeFile(t, dir, "a.txt", "one\r\n\r\ntwo\rx\r\nthree\r")
		got, err := readAll(t, Lines[string](p), p, nil)
		if err != nil || !slices.Equal(got, []string{"one", "two\rx", "three"}) {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("csv", func(t *testing.T) {
		p := writeFile(t, dir, "a.csv", "id,name\r\n1,\"a\r\nb\"\r\n2,c\r\n")
		got, err := readAll(t, CSV[event](p), p, nil)
		if err != nil || !reflect.DeepEqual(got, []event{{1, "a\nb"}, {2, "c"}}) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
}

func TestLinesTypes(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "l.txt", "a\n\nb c\n")
	type name string
	if got, err := readAll(t, Lines[name](p), p, nil); err != nil || !slices.Equal(got, []name{"a", "b c"}) {
		t.Fatalf("named string: %q %v", got, err)
	}
	got, err := readAll(t, Lines[[]byte](p), p, nil)
	if err != nil || len(got) != 2 || string(got[0]) != "a" || string(got[1]) != "b c" {
		t.Fatalf("[]byte: %q %v", got, err)
	}
	if _, err := NewSource[int](SourceOptions{Paths: []string{p}, Format: FormatLines}); err == nil {
		t.Fatal("lines format with T=int must fail")
	}
	// The invalid type is reported when the job starts.
	if _, err := Lines[int](p).Splits(context.Background()); err == nil {
		t.Fatal("Splits must report the invalid type")
	}
}

func TestBadLineErrors(t *testing.T) {
	type rec struct {
		A int    `json:"a" csv:"a"`
		B string `json:"b" csv:"b"`
	}
	cases := []struct {
		name, format, content, want string
	}{
		{"syntax", "jsonl", "{\"a\":1}\n\n{\"a\":\n",
			`strom: file %s line 3 (offset 9): invalid JSON: unexpected end of JSON input; fix the line or set OnError=skip`},
		{"trailing", "jsonl", "{\"a\":1} {\"a\":2}\n",
			`strom: file %s line 1 (offset 0): invalid JSON: invalid character '{' after top-level value; fix the line or set OnError=skip`},
		{"type", "jsonl", "{\"a\":1}\r\n{\"a\":\"x\"}\r\n",
			`strom: file %s line 2 (offset 9): JSON does not fit file.rec: json: cannot unmarshal string into Go struct field rec.a of type int; fix the line or set OnError=skip`},
		{"utf8", "jsonl", "{\"b\":\"\xff\"}\n",
			`strom: file %s line 1 (offset 0): invalid UTF-8 at byte 7 of the line; fix the line or set OnError=skip`},
		{"csv-type", "csv", "a,b\n1,x\nfoo,y\n",
			`strom: file %s line 3 (offset 8): column 1 (a): "foo" is not a valid int; fix the line or set OnError=skip`},
		{"csv-range", "csv", "b,a\nx,99999999999999999999\n",
			`strom: file %s line 2 (offset 4): column 2 (a): "99999999999999999999" is out of range for int; fix the line or set OnError=skip`},
		{"csv-empty", "csv", "a,b\n,x\n",
			`strom: file %s line 2 (offset 4): column 1 (a): empty value for int (use a pointer field for optional values); fix the line or set OnError=skip`},
		{"csv-count", "csv", "a,b\n1,x\n2,\"y\nz\"\n3\n",
			`strom: file %s line 5 (offset 16): record has 1 fields, the header has 2; fix the line or set OnError=skip`},
		{"csv-bare-quote", "csv", "a,b\n1,x\"y\n",
			`strom: file %s line 2 (offset 4): bare " in non-quoted field in column 2; fix the line or set OnError=skip`},
		{"csv-extraneous-quote", "csv", "a,b\n1,\"x\"y\n",
			`strom: file %s line 2 (offset 4): extraneous or missing " in quoted field in column 2; fix the line or set OnError=skip`},
		{"csv-unterminated", "csv", "a,b\n1,x\n2,\"y\n",
			`strom: file %s line 3 (offset 8): unterminated quoted field at the end of the file; fix the line or set OnError=skip`},
		{"csv-header", "csv", "x,y\n1,2\n",
			`strom: file %s line 1 (offset 0): CSV header ["x" "y"] matches no field; check the Comma option and the csv tags of the fields, or set NoHeader`},
		{"csv-header-dup", "csv", "a,A\n1,2\n",
			`strom: file %s line 1 (offset 0): bad CSV header: columns "a" and "A" both map to field a; rename a column, or set NoHeader`},
		{"csv-header-utf8", "csv", "a,\xffb\n1,2\n",
			`strom: file %s line 1 (offset 0): invalid UTF-8 at byte 3 of the line; fix the header (a bad header is never skipped)`},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, dir, c.name+"."+c.format, c.content)
			src := mustSource[rec](t, SourceOptions{Paths: []string{p}, Format: Format(c.format)})
			r := openReader(t, src, p, nil)
			_, steps, err := drain[rec](r, 1)
			want := strings.ReplaceAll(c.want, "%s", p)
			if err == nil || err.Error() != want {
				t.Fatalf("error\n got: %v\nwant: %s", err, want)
			}
			if !IsBadInput(err) {
				t.Fatalf("IsBadInput(%v) = false", err)
			}
			// The error is sticky and the position stays before the bad
			// line, so reopening fails the same way (no half-skipping).
			if _, err2 := r.Read(context.Background(), make([]rec, 4)); err2 == nil || err2.Error() != want {
				t.Fatalf("second Read: %v", err2)
			}
			pos := steps[len(steps)-1].pos
			_, err3 := readAll(t, src, p, pos)
			if err3 == nil || err3.Error() != want {
				t.Fatalf("after reopen: %v", err3)
			}
		})
	}
}

func TestRecordsBeforeErrorAreReturnedFirst(t *testing.T) {
	p := writeFile(t, t.TempDir(), "e.jsonl", "{\"id\":1}\n{\"id\":2}\nnope\n{\"id\":4}\n")
	r := openReader(t, JSONLines[event](p), p, nil)
	buf := make([]event, 10)
	n, err := r.Read(context.Background(), buf)
	if n != 2 || err != nil {
		t.Fatalf("first Read = %d, %v; want 2 records and no error", n, err)
	}
	n, err = r.Read(context.Background(), buf)
	var le *LineError
	if n != 0 || !errors.As(err, &le) || le.Line != 3 || le.Offset != 18 || le.Path != p {
		t.Fatalf("second Read = %d, %#v", n, err)
	}
	off, lines, _ := decodePosition(r.Position())
	if off != 18 || lines != 2 {
		t.Fatalf("position = %d/%d, want 18/2", off, lines)
	}
}

func TestSkipMode(t *testing.T) {
	dir := t.TempDir()
	p1 := writeFile(t, dir, "a.jsonl", "{\"id\":1}\nbad\n{\"id\":\"x\"}\n{\"id\":2}\n\xff\n{\"id\":3}\n")
	p2 := writeFile(t, dir, "b.jsonl", "{\"id\":4}\n{\n")
	src := mustSource[event](t, SourceOptions{Paths: []string{p1, p2}, OnError: OnErrorSkip})
	r1 := openReader(t, src, p1, nil)
	got, _, err := drain[event](r1, 2)
	if err != nil || !reflect.DeepEqual(got, []event{{1, ""}, {2, ""}, {3, ""}}) {
		t.Fatalf("got %+v %v", got, err)
	}
	if r1.Skipped() != 3 {
		t.Fatalf("reader skipped %d, want 3", r1.Skipped())
	}
	got, err = readAll(t, src, p2, nil)
	if err != nil || !reflect.DeepEqual(got, []event{{4, ""}}) {
		t.Fatalf("got %+v %v", got, err)
	}
	if src.Skipped() != 4 {
		t.Fatalf("source skipped %d, want 4", src.Skipped())
	}
	// A skipped line is consumed: resuming after it does not count it again.
	r := openReader(t, src, p1, nil)
	if n, err := r.Read(context.Background(), make([]event, 2)); n != 2 || err != nil {
		t.Fatal(n, err)
	}
	off, lines, _ := decodePosition(r.Position())
	if off != 33 || lines != 4 {
		t.Fatalf("position after 2 records = %d/%d, want 33/4", off, lines)
	}
}

func TestMaxLineBytes(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("x", 10<<20)                                     // 10 MiB
	content := "{\"id\":1}\n\"" + long + "\"\n{\"id\":2}\n\"" + long + "\"" // the last one has no newline
	p := writeFile(t, dir, "long.jsonl", content)

	t.Run("fail", func(t *testing.T) {
		src := mustSource[event](t, SourceOptions{Paths: []string{p}, MaxLineBytes: 1024})
		r := openReader(t, src, p, nil)
		got, _, err := drain[event](r, 10)
		want := "strom: file " + p + " line 2 (offset 9): line longer than MaxLineBytes (1024 bytes); fix the line, raise MaxLineBytes or set OnError=skip"
		if err == nil || err.Error() != want || len(got) != 1 {
			t.Fatalf("got %v, %v\nwant %s", got, err, want)
		}
		if cap(r.buf) > 1024+2 {
			t.Fatalf("buffer grew to %d bytes", cap(r.buf))
		}
	})
	t.Run("skip", func(t *testing.T) {
		src := mustSource[event](t, SourceOptions{Paths: []string{p}, MaxLineBytes: 1024, OnError: OnErrorSkip})
		r := openReader(t, src, p, nil)
		got, _, err := drain[event](r, 10)
		if err != nil || !reflect.DeepEqual(got, []event{{1, ""}, {2, ""}}) {
			t.Fatalf("got %v, %v", got, err)
		}
		if r.Skipped() != 2 || cap(r.buf) > 1024+2 {
			t.Fatalf("skipped %d, buffer %d", r.Skipped(), cap(r.buf))
		}
		off, lines, _ := decodePosition(r.Position())
		if off != int64(len(content)) || lines != 4 {
			t.Fatalf("final position %d/%d", off, lines)
		}
		// Every byte of the file was consumed, the skipped long lines too
		// (connector.BytesReader).
		if r.BytesRead() != int64(len(content)) {
			t.Fatalf("BytesRead %d, want the file's %d", r.BytesRead(), len(content))
		}
		// A reader opened at a position counts from there.
		first := make([]event, 1)
		r0 := openReader(t, src, p, nil)
		if n, err := r0.Read(context.Background(), first); n != 1 || err != nil {
			t.Fatal(n, err)
		}
		r2 := openReader(t, src, p, r0.Position())
		if _, _, err := drain[event](r2, 10); err != nil || r0.BytesRead()+r2.BytesRead() != int64(len(content)) {
			t.Fatalf("a resumed reader read %d bytes after %d: %v; want %d together", r2.BytesRead(), r0.BytesRead(), err, len(content))
		}
	})
	t.Run("exact", func(t *testing.T) {
		// A line of exactly MaxLineBytes (plus "\r\n") is fine.
		line := "\"" + strings.Repeat("y", 98) + "\""
		p := writeFile(t, dir, "exact.txt", line+"\r\n"+line+"x\n")
		src := mustSource[string](t, SourceOptions{Paths: []string{p}, MaxLineBytes: 100, Format: FormatLines})
		got, err := readAll(t, src, p, nil)
		if len(got) != 1 || got[0] != line || err == nil || !strings.Contains(err.Error(), "line 2 (offset 102): line longer") {
			t.Fatalf("got %d records, %v", len(got), err)
		}
	})
}

func TestMonitor(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "tail.jsonl", "{\"id\":1}\n{\"id\":2")
	src := mustSource[event](t, SourceOptions{Paths: []string{p}, Monitor: true})
	if src.Bounded() {
		t.Fatal("monitor mode must be unbounded")
	}
	r := openReader(t, src, p, nil)
	buf := make([]event, 10)
	read := func(want ...event) {
		t.Helper()
		n, err := r.Read(context.Background(), buf)
		if err != nil || !reflect.DeepEqual(buf[:n], want) && !(n == 0 && len(want) == 0) {
			t.Fatalf("Read = %+v, %v; want %+v", buf[:n], err, want)
		}
	}
	read(event{ID: 1})
	read() // the incomplete line is not consumed
	read()
	pos1 := r.Position()
	appendFile(t, p, "}\n{\"id\":3}\n\n")
	read(event{ID: 2}, event{ID: 3})
	read()
	appendFile(t, p, "{\"id\":4}\r")
	read()
	appendFile(t, p, "\n")
	read(event{ID: 4})

	// Resuming in monitor mode from a position taken before the append.
	r2 := openReader(t, src, p, pos1)
	if n, err := r2.Read(context.Background(), buf); n != 3 || err != nil || buf[2].ID != 4 {
		t.Fatalf("resume: %d %v", n, err)
	}

	// Truncating a tailed file is an error.
	if err := os.Truncate(p, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(context.Background(), buf); err == nil || !strings.Contains(err.Error(), "was truncated to 5 bytes") {
		t.Fatalf("after truncation: %v", err)
	}
}

func TestMonitorCSVHeaderArrivesLater(t *testing.T) {
	p := writeFile(t, t.TempDir(), "t.csv", "")
	src := mustSource[event](t, SourceOptions{Paths: []string{p}, Format: FormatCSV, Monitor: true})
	r := openReader(t, src, p, nil)
	buf := make([]event, 4)
	if n, err := r.Read(context.Background(), buf); n != 0 || err != nil {
		t.Fatal(n, err)
	}
	appendFile(t, p, "name,i")
	if n, err := r.Read(context.Background(), buf); n != 0 || err != nil {
		t.Fatal(n, err)
	}
	appendFile(t, p, "d\nx,1\n")
	if n, err := r.Read(context.Background(), buf); n != 1 || err != nil || buf[0] != (event{1, "x"}) {
		t.Fatal(n, err, buf[0])
	}
}

func TestPositionChecks(t *testing.T) {
	p := writeFile(t, t.TempDir(), "p.jsonl", "{\"id\":1}\n{\"id\":2}\n")
	src := JSONLines[event](p)
	open := func(pos []byte) error {
		r, err := src.Open(context.Background(), connector.Split{ID: p, Data: []byte(p)}, pos)
		if err == nil {
			r.Close()
		}
		return err
	}
	good := encodePosition(9, 1)
	if err := open(good); err != nil {
		t.Fatal(err)
	}
	if err := open(encodePosition(18, 2)); err != nil {
		t.Fatal(err)
	}
	flipped := slices.Clone(good)
	flipped[1] ^= 1
	for name, pos := range map[string][]byte{
		"empty":       {},
		"version":     append([]byte{2}, good[1:]...),
		"checksum":    flipped,
		"truncated":   good[:len(good)-1],
		"trailing":    append(slices.Clone(good), 0),
		"mid-line":    encodePosition(4, 0),
		"beyond-end":  encodePosition(19, 2),
		"lines>bytes": encodePosition(2, 3),
	} {
		if err := open(pos); !errors.Is(err, ErrCorruptPosition) {
			t.Errorf("%s: err = %v, want ErrCorruptPosition", name, err)
		}
	}
}

func TestSplits(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "d")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"b.jsonl", "a.jsonl", ".hidden", "_tmp", "c.txt"} {
		writeFile(t, sub, n, "")
	}
	ids := func(paths ...string) ([]string, error) {
		sp, err := JSONLines[event](paths...).Splits(context.Background())
		var out []string
		for _, s := range sp {
			if s.ID != string(s.Data) {
				t.Fatalf("split %q has data %q", s.ID, s.Data)
			}
			out = append(out, s.ID)
		}
		return out, err
	}
	j := func(n string) string { return filepath.Join(sub, n) }
	got, err := ids(sub)
	if err != nil || !slices.Equal(got, []string{j("a.jsonl"), j("b.jsonl"), j("c.txt")}) {
		t.Fatalf("dir: %q %v", got, err)
	}
	got, err = ids(filepath.Join(sub, "*.jsonl"), j("a.jsonl"))
	if err != nil || !slices.Equal(got, []string{j("a.jsonl"), j("b.jsonl")}) {
		t.Fatalf("glob: %q %v", got, err)
	}
	if _, err := ids(filepath.Join(sub, "*.csv")); err == nil || !strings.Contains(err.Error(), "no files match") {
		t.Fatalf("no match: %v", err)
	}
	if _, err := ids(filepath.Join(dir, "missing.jsonl")); err == nil {
		t.Fatal("missing file must be an error")
	}
}

func TestOptionsValidate(t *testing.T) {
	bad := []SourceOptions{
		{},
		{Paths: []string{""}},
		{Paths: []string{"x"}, Format: "xml"},
		{Paths: []string{"x"}, OnError: "ignore"},
		{Paths: []string{"x"}, MaxLineBytes: -1},
		{Paths: []string{"x"}, MaxLineBytes: 2 << 30},
		{Paths: []string{"x"}, CSV: CSVOptions{Comma: '"'}},
	}
	for _, o := range bad {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	o := mustSource[event](t, SourceOptions{Paths: []string{"x"}}).Options()
	if o.Format != FormatJSONLines || o.OnError != OnErrorFail || o.MaxLineBytes != DefaultMaxLineBytes || o.CSV.Comma != ',' {
		t.Fatalf("defaults: %+v", o)
	}
}

func TestReadAfterCloseAndEOF(t *testing.T) {
	p := writeFile(t, t.TempDir(), "x.jsonl", "{\"id\":1}\n")
	r := openReader(t, JSONLines[event](p), p, nil)
	buf := make([]event, 4)
	if n, err := r.Read(context.Background(), buf); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	for range 2 {
		if n, err := r.Read(context.Background(), buf); n != 0 || !errors.Is(err, io.EOF) {
			t.Fatal(n, err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := r.Read(context.Background(), buf); err == nil {
		t.Fatal("Read after Close must fail")
	}
}

// TestConcurrentReaders opens the splits of one source from several
// goroutines, as the engine's subtasks do (run with -race).
func TestConcurrentReaders(t *testing.T) {
	dir := t.TempDir()
	for i := range 4 {
		writeFile(t, dir, fmt.Sprintf("f%d.jsonl", i), "{\"id\":1}\nbad\n{\"id\":2}\n")
	}
	src := mustSource[event](t, SourceOptions{Paths: []string{dir}, OnError: OnErrorSkip})
	splits, err := src.Splits(context.Background())
	if err != nil || len(splits) != 4 {
		t.Fatal(splits, err)
	}
	var wg sync.WaitGroup
	counts := make([]int, len(splits))
	for i, sp := range splits {
		wg.Go(func() {
			r, err := src.Open(context.Background(), sp, nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer r.Close()
			got, _, err := drain(r, 1)
			if err != nil {
				t.Error(err)
			}
			counts[i] = len(got)
		})
	}
	wg.Wait()
	if src.Skipped() != 4 || !slices.Equal(counts, []int{2, 2, 2, 2}) {
		t.Fatalf("skipped %d, counts %v", src.Skipped(), counts)
	}
}

// TestMissingPathSaysWhatToDo: a path that does not exist (a file, or
// the root of a partitioned table) is an error naming it once, saying what
// to do, with strom's prefix once and fs.ErrNotExist underneath.
func TestMissingPathSaysWhatToDo(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope", "zz")
	src, err := NewSource[table.Row](SourceOptions{Paths: []string{missing}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Splits(context.Background())
	ps := &partSource{inner: src, root: missing, keys: []string{"dt"}}
	_, perr := ps.Splits(context.Background())
	for _, err := range []error{err, perr} {
		if err == nil {
			t.Fatal("no error for a missing path")
		}
		msg := err.Error()
		if !errors.Is(err, fs.ErrNotExist) || strings.Count(msg, "strom: ") != 1 || strings.Count(msg, missing) != 1 ||
			!strings.Contains(msg, "does not exist") || !strings.Contains(msg, "'path'") {
			t.Errorf("error %q: want fs.ErrNotExist, the prefix and the path once, and what to do", msg)
		}
	}
}
