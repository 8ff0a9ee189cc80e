package file

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

type row struct {
	ID   int64  `json:"id" csv:"id"`
	Name string `json:"name" csv:"name"`
}

// genFile draws records and a file holding them in format, with random line
// endings, blank lines and an optional final newline.
func genFile(t *rapid.T, format Format) (content string, want []row) {
	n := rapid.IntRange(0, 25).Draw(t, "n")
	crlf := rapid.Bool().Draw(t, "crlf")
	eol := "\n"
	if crlf {
		eol = "\r\n"
	}
	var b bytes.Buffer
	if format == FormatCSV {
		b.WriteString("id,name" + eol)
	}
	for i := range n {
		r := row{ID: rapid.Int64().Draw(t, "id")}
		switch format {
		case FormatLines:
			// A line: no '\n', not ending in '\r', not empty.
			r.Name = strings.ReplaceAll(rapid.String().Draw(t, "name"), "\n", " ") + "."
		default:
			r.Name = rapid.String().Draw(t, "name")
		}
		want = append(want, r)
		if rapid.IntRange(0, 5).Draw(t, "blank") == 0 {
			b.WriteString(eol)
		}
		switch format {
		case FormatJSONLines:
			line, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(line)
		case FormatCSV:
			// encoding/csv is the independent oracle for the CSV layout.
			var cb bytes.Buffer
			w := csv.NewWriter(&cb)
			w.UseCRLF = crlf
			_ = w.Write([]string{fmt.Sprint(r.ID), r.Name})
			w.Flush()
			b.WriteString(strings.TrimSuffix(cb.String(), eol))
		case FormatLines:
			b.WriteString(r.Name)
		}
		if i < n-1 || rapid.Bool().Draw(t, "final newline") {
			b.WriteString(eol)
		}
	}
	if format == FormatCSV {
		// encoding/csv's reader is the oracle for what the file holds (its
		// writer drops a lone '\r' in CRLF mode, for one).
		recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want = want[:0]
		for _, rec := range recs[1:] {
			id, err := strconv.ParseInt(rec[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, row{ID: id, Name: rec[1]})
		}
	}
	return b.String(), want
}

// TestResumeFromEveryPosition reads a random file in random batches and
// checks that reopening at each position seen gives exactly the records
// after it.
func TestResumeFromEveryPosition(t *testing.T) {
	for _, format := range []Format{FormatJSONLines, FormatCSV, FormatLines} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			rapid.Check(t, func(rt *rapid.T) {
				content, want := genFile(rt, format)
				p := writeFile(t, dir, "f", content)
				smallBuffer(rt)
				if format == FormatLines {
					checkResume(rt, t, mustSource[string](t, SourceOptions{Paths: []string{p}, Format: format}), p, names(want))
				} else {
					checkResume(rt, t, mustSource[row](t, SourceOptions{Paths: []string{p}, Format: format}), p, want)
				}
			})
		})
	}
}

// smallBuffer makes readers start with a tiny buffer, so that records
// straddle buffer refills.
func smallBuffer(rt *rapid.T) {
	old := initialBuffer
	initialBuffer = rapid.SampledFrom([]int{1, 2, 3, 7, 16, 64 << 10}).Draw(rt, "buffer")
	rt.Cleanup(func() { initialBuffer = old })
}

func names(rows []row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Name
	}
	return out
}

func checkResume[T any](rt *rapid.T, t *testing.T, src *Source[T], p string, want []T) {
	bs := rapid.IntRange(1, 7).Draw(rt, "batch")
	r := openReader(t, src, p, nil)
	got, steps, err := drain[T](r, bs)
	if err != nil {
		rt.Fatalf("read: %v", err)
	}
	if !reflect.DeepEqual(nilIfEmpty(got), nilIfEmpty(want)) {
		rt.Fatalf("got %+v\nwant %+v", got, want)
	}
	for _, s := range steps {
		rest, err := readAll(t, src, p, s.pos)
		if err != nil {
			rt.Fatalf("resume after %d records: %v", s.seen, err)
		}
		if !reflect.DeepEqual(nilIfEmpty(rest), nilIfEmpty(want[s.seen:])) {
			rt.Fatalf("resume after %d records: got %+v, want %+v", s.seen, rest, want[s.seen:])
		}
	}
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestMonitorAppendsInChunks appends a file in random chunks and reads after
// each append: the records come out once, in order, and only complete lines
// are consumed.
func TestMonitorAppendsInChunks(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []Format{FormatJSONLines, FormatCSV} {
		t.Run(string(format), func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				content, want := genFile(rt, format)
				content = strings.TrimSuffix(content, "\r\n")
				content = strings.TrimSuffix(content, "\n") + "\n"
				p := writeFile(t, dir, "m", "")
				smallBuffer(rt)
				src := mustSource[row](t, SourceOptions{Paths: []string{p}, Format: format, Monitor: true})
				r := openReader(t, src, p, nil)
				buf := make([]row, rapid.IntRange(1, 5).Draw(rt, "batch"))
				var got []row
				for len(content) > 0 {
					k := rapid.IntRange(1, len(content)).Draw(rt, "chunk")
					appendFile(t, p, content[:k])
					content = content[k:]
					for {
						n, err := r.Read(context.Background(), buf)
						if err != nil {
							rt.Fatal(err)
						}
						if n == 0 {
							break
						}
						got = append(got, buf[:n]...)
					}
					// Resuming at the position gives the same future.
					if len(content) == 0 {
						rest, err := readAll(t, mustSource[row](t, SourceOptions{Paths: []string{p}, Format: format}), p, r.Position())
						if err != nil || len(rest) != 0 {
							rt.Fatalf("resume at the end: %v %v", rest, err)
						}
					}
				}
				if !reflect.DeepEqual(nilIfEmpty(got), nilIfEmpty(want)) {
					rt.Fatalf("got %+v\nwant %+v", got, want)
				}
			})
		})
	}
}
