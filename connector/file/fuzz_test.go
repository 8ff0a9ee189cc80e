package file

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// checkFile reads data as one file in fail mode, in skip mode, from every
// position seen, and tailing it in two appends, and checks that they agree.
// fmt's %+v compares records (NaN-safe, T has no pointers).
func checkFile[T any](t *testing.T, dir string, data []byte, opts SourceOptions, bs, cut int) {
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Paths = []string{p}
	opts.OnError = OnErrorFail
	failRecs, _, failErr := drain[T](openReader(t, mustSource[T](t, opts), p, nil), bs)

	opts.OnError = OnErrorSkip
	src := mustSource[T](t, opts)
	r := openReader(t, src, p, nil)
	recs, steps, err := drain[T](r, bs)
	if cap(r.buf) > opts.MaxLineBytes+2 {
		t.Fatalf("buffer grew to %d bytes (MaxLineBytes %d)", cap(r.buf), opts.MaxLineBytes)
	}
	if err != nil {
		// In skip mode only a bad CSV header stops the reader.
		var le *LineError
		if !errors.As(err, &le) || opts.Format != FormatCSV || le.Line < 1 || !errors.Is(failErr, err) && failErr.Error() != err.Error() {
			t.Fatalf("skip mode: %v (fail mode: %v)", err, failErr)
		}
		return
	}
	if failErr == nil {
		if r.Skipped() != 0 || show(recs) != show(failRecs) {
			t.Fatalf("no bad line but skip mode differs: skipped %d\n%s\n%s", r.Skipped(), show(recs), show(failRecs))
		}
	} else {
		var le *LineError
		if !errors.As(failErr, &le) {
			t.Fatalf("fail mode: not a LineError: %v", failErr)
		}
		if le.Line < 1 || le.Offset < 0 || le.Offset > int64(len(data)) || le.Path != p {
			t.Fatalf("bad error location: %+v", le)
		}
		if r.Skipped() == 0 || len(failRecs) > len(recs) || show(recs[:len(failRecs)]) != show(failRecs) {
			t.Fatalf("fail mode is not a prefix of skip mode (skipped %d)", r.Skipped())
		}
	}
	for _, s := range steps {
		rest, err := readAll(t, src, p, s.pos)
		if err != nil || show(rest) != show(recs[s.seen:]) {
			t.Fatalf("resume after %d records: %v\n got %s\nwant %s", s.seen, err, show(rest), show(recs[s.seen:]))
		}
	}
	// Tailing: only complete lines are read, so compare when data ends with
	// a newline.
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return
	}
	cut = min(cut, len(data))
	if err := os.WriteFile(p, data[:cut], 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Monitor = true
	tr := openReader(t, mustSource[T](t, opts), p, nil)
	buf := make([]T, bs)
	var tailed []T
	readNow := func() {
		for {
			n, err := tr.Read(context.Background(), buf)
			if err != nil {
				t.Fatalf("tail: %v", err)
			}
			if n == 0 {
				return
			}
			tailed = append(tailed, buf[:n]...)
		}
	}
	readNow()
	appendFile(t, p, string(data[cut:]))
	readNow()
	if show(tailed) != show(recs) {
		t.Fatalf("tailing differs:\n got %s\nwant %s", show(tailed), show(recs))
	}
}

func show[T any](v []T) string { return fmt.Sprintf("%d:%+v", len(v), v) }

type fuzzJSON struct {
	A int            `json:"a"`
	B string         `json:"b"`
	C []float64      `json:"c"`
	D map[string]any `json:"d"`
	E bool           `json:"e"`
}

func FuzzJSONLines(f *testing.F) {
	f.Add([]byte("{\"a\":1,\"b\":\"x\"}\n{\"c\":[1.5,2],\"d\":{\"k\":[null,true]}}\r\n\n{\"e\":true}"), uint8(2), uint8(10))
	f.Add([]byte("{\"a\":\"wrong\"}\nnot json\n{\"a\":1} {\"a\":2}\n\xff\n"), uint8(1), uint8(3))
	f.Add([]byte("\xef\xbb\xbf{\"b\":\"\\u00e9\\n\"}\n  \n{\"b\":\""+string(bytes.Repeat([]byte("x"), 100))+"\"}\n"), uint8(3), uint8(40))
	f.Add([]byte("{\"a\":1e99}\n{\"d\":{\"a\":{\"b\":{\"c\":[[[[]]]]}}}}\n[]\nnull\n\"s\"\n"), uint8(4), uint8(0))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, bs, cut uint8) {
		checkFile[fuzzJSON](t, dir, data, SourceOptions{MaxLineBytes: 64}, int(bs%8)+1, int(cut))
	})
}

type fuzzCSV struct {
	S  string    `csv:"s"`
	I  int64     `csv:"i"`
	F  float64   `csv:"f"`
	B  bool      `csv:"b"`
	U  uint8     `csv:"u"`
	Ts time.Time `csv:"ts"`
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("s,i,f,b,u,ts\nx,1,1.5,true,7,1700000000000\n\"a,\"\"b\"\"\nc\",-2,NaN,0,255,-1\r\n\n"), uint8(2), uint8(12), false)
	f.Add([]byte("i,s\n1,\"unterminated\n2,x\n"), uint8(1), uint8(5), false)
	f.Add([]byte("a,b\n1,x\"y\n\"q\"z,2\n,\n"), uint8(3), uint8(8), true)
	f.Add([]byte("\xef\xbb\xbf\"s\",i\n\"\xef\xbb\xbf\",1\n"), uint8(1), uint8(2), false)
	f.Add([]byte("s\n"+string(bytes.Repeat([]byte("y"), 80))+"\nok\n"), uint8(2), uint8(90), true)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, bs, cut uint8, raw bool) {
		opts := SourceOptions{Format: FormatCSV, MaxLineBytes: 64}
		if raw {
			opts.CSV.NoHeader = true
			checkFile[[]string](t, dir, data, opts, int(bs%8)+1, int(cut))
			diffEncodingCSV(t, dir, data)
			return
		}
		checkFile[fuzzCSV](t, dir, data, opts, int(bs%8)+1, int(cut))
	})
}

// diffEncodingCSV compares raw records with encoding/csv's where both accept
// the input. Inputs where the two differ by design are left out: invalid
// UTF-8 and a BOM (rejected or stripped here), over-long records.
func diffEncodingCSV(t *testing.T, dir string, data []byte) {
	if bytes.HasPrefix(data, []byte(bom)) {
		return
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	want, werr := cr.ReadAll()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, mustSource[[]string](t, SourceOptions{Paths: []string{p}, Format: FormatCSV, CSV: CSVOptions{NoHeader: true}}), p, nil)
	if err != nil || werr != nil {
		return
	}
	if show(got) != show(want) {
		t.Fatalf("encoding/csv reads\n%s\nthis reader\n%s", show(want), show(got))
	}
}

func FuzzPosition(f *testing.F) {
	content := "{\"a\":1}\n\n{\"a\":2}\r\n{\"a\":3}\n\n\n{\"a\":4}"
	dir := f.TempDir()
	p := filepath.Join(dir, "f.jsonl")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		f.Fatal(err)
	}
	src := JSONLines[fuzzJSON](p)
	for off, lines := 0, 0; off <= len(content); off++ {
		if off == 0 || off == len(content) || content[off-1] == '\n' {
			f.Add(encodePosition(int64(off), int64(lines)))
		}
		if off < len(content) && content[off] == '\n' {
			lines++
		}
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, pos []byte) {
		off, lines, derr := decodePosition(pos)
		if derr == nil && !bytes.Equal(encodePosition(off, lines), pos) {
			t.Fatalf("position %x decodes to %d/%d, which encodes differently", pos, off, lines)
		}
		r, err := src.Open(context.Background(), connectorSplit(p), pos)
		if err != nil {
			if pos != nil && !errors.Is(err, ErrCorruptPosition) {
				t.Fatalf("error does not wrap ErrCorruptPosition: %v", err)
			}
			return
		}
		defer r.Close()
		if pos == nil {
			return
		}
		// Accepted: it must fit the file exactly.
		if derr != nil || off > int64(len(content)) || (off > 0 && off < int64(len(content)) && content[off-1] != '\n') {
			t.Fatalf("accepted position %d/%d (%v) does not fit the file", off, lines, derr)
		}
		if _, _, err := drain(r, 2); err != nil {
			t.Fatalf("read after %d: %v", off, err)
		}
		if want := int64(bytes.Count([]byte(content[:off]), []byte("\n"))); lines != want {
			t.Fatalf("accepted position %d claims %d lines, the file has %d before it", off, lines, want)
		}
	})
}
