package file

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stromio/strom/connector"
)

// writeFile writes content to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func appendFile(t testing.TB, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func mustSource[T any](t testing.TB, opts SourceOptions) *Source[T] {
	t.Helper()
	s, err := NewSource[T](opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func openReader[T any](t testing.TB, s *Source[T], path string, pos []byte) *Reader[T] {
	t.Helper()
	r, err := s.Open(context.Background(), connector.Split{ID: path, Data: []byte(path)}, pos)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r.(*Reader[T])
}

// drain reads r with batches of size bs until io.EOF or an error (returned
// with the records read so far). It also records the position after every
// Read and the number of records read before it.
type step struct {
	pos  []byte
	seen int
}

func drain[T any](r connector.Reader[T], bs int) (out []T, steps []step, err error) {
	buf := make([]T, bs)
	steps = append(steps, step{pos: r.Position()})
	for i := 0; ; i++ {
		if i > 1<<20 {
			return out, steps, errors.New("drain: no progress")
		}
		n, err := r.Read(context.Background(), buf)
		out = append(out, buf[:n]...)
		steps = append(steps, step{pos: r.Position(), seen: len(out)})
		if errors.Is(err, io.EOF) {
			return out, steps, nil
		}
		if err != nil {
			return out, steps, err
		}
	}
}

// readAll opens path at pos and drains it.
func readAll[T any](t testing.TB, s *Source[T], path string, pos []byte) ([]T, error) {
	t.Helper()
	r := openReader(t, s, path, pos)
	out, _, err := drain[T](r, 3)
	return out, err
}

func connectorSplit(path string) connector.Split {
	return connector.Split{ID: path, Data: []byte(path)}
}
