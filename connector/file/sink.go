package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	json "github.com/goccy/go-json"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
)

// Sink writes records of type T to files. It is at-least-once and not
// synchronised with checkpoints (see the package comment). Create it with
// NewSink, JSONLinesSink or CSVSink.
type Sink[T any] struct {
	opts SinkOptions
	err  error
	csv  *format.CSVFormat[T]
}

var _ connector.Sink[int] = (*Sink[int])(nil)

// NewSink returns a sink with opts, or an error if the options are invalid
// or T does not fit the format.
func NewSink[T any](opts SinkOptions) (*Sink[T], error) {
	s := newSink[T](opts)
	return s, s.err
}

func newSink[T any](opts SinkOptions) *Sink[T] {
	s := &Sink[T]{}
	if s.err = opts.Validate(); s.err != nil {
		return s
	}
	s.opts = opts.withDefaults()
	t := reflect.TypeFor[T]()
	switch s.opts.Format {
	case FormatCSV:
		s.csv, s.err = newCSVFormat[T](s.opts.CSV)
	case FormatLines:
		if !isLinesType(t) {
			s.err = fmt.Errorf("strom: file: the lines format needs a string type or []byte, not %v", t)
		}
	}
	return s
}

// JSONLinesSink writes JSON lines into part files in dir; an invalid
// argument is reported when the job starts (by Open).
func JSONLinesSink[T any](dir string) *Sink[T] {
	return newSink[T](SinkOptions{Dir: dir, Format: FormatJSONLines})
}

// CSVSink writes CSV with a header row into part files in dir.
func CSVSink[T any](dir string) *Sink[T] {
	return newSink[T](SinkOptions{Dir: dir, Format: FormatCSV})
}

// Options returns the options with defaults filled in.
func (s *Sink[T]) Options() SinkOptions { return s.opts }

// PartFile is the name of the part file of subtask in a sink directory.
func PartFile(subtask int, format Format) string {
	return fmt.Sprintf("part-%d-0.%s", subtask, extOf(format))
}

// Open opens the writer of one subtask: its part file in Dir, or File.
func (s *Sink[T]) Open(_ context.Context, info connector.SinkInfo) (connector.Writer[T], error) {
	if s.err != nil {
		return nil, s.err
	}
	path := s.opts.File
	if s.opts.Dir != "" {
		if err := os.MkdirAll(s.opts.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("strom: file sink: %w", err)
		}
		path = filepath.Join(s.opts.Dir, PartFile(info.Subtask, s.opts.Format))
	} else if info.Parallelism > 1 {
		return nil, fmt.Errorf("strom: file sink: File %q takes one writer, but the sink has parallelism %d; set Dir instead or the sink's parallelism to 1",
			s.opts.File, info.Parallelism)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if s.opts.Truncate {
		flags |= os.O_TRUNC
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("strom: file sink: %w", err)
	}
	w := &writer[T]{f: f, path: path, limit: s.opts.BufferBytes, created: errors.Is(statErr, os.ErrNotExist)}
	switch s.opts.Format {
	case FormatCSV:
		w.enc = csvAppender(s.csv)
		fi, err := f.Stat()
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("strom: file sink: %w", err)
		}
		if fi.Size() == 0 && !s.opts.CSV.NoHeader && s.csv.Columns() != nil {
			w.buf = append(s.csv.AppendHeader(w.buf), '\n')
		}
	case FormatLines:
		w.enc = appendLine[T]
	default:
		w.enc = appendJSONLine[T]
	}
	return w, nil
}

func appendJSONLine[T any](dst []byte, v T) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	dst = append(dst, b...)
	return append(dst, '\n'), nil
}

func appendLine[T any](dst []byte, v T) ([]byte, error) {
	n := len(dst)
	switch x := any(v).(type) {
	case string:
		dst = append(dst, x...)
	case []byte:
		dst = append(dst, x...)
	default:
		dst = append(dst, reflect.ValueOf(v).String()...)
	}
	if line := dst[n:]; bytes.IndexByte(line, '\n') >= 0 || bytes.HasSuffix(line, []byte("\r")) {
		return dst[:n], errors.New(`record contains "\n" or ends in "\r", which the lines format cannot represent`)
	}
	return append(dst, '\n'), nil
}

// writer writes one part file; the engine calls it from one goroutine.
type writer[T any] struct {
	f        *os.File
	path     string
	enc      func([]byte, T) ([]byte, error)
	buf      []byte
	limit    int
	bytes    int64 // connector.BytesWriter
	created  bool  // the file did not exist: its directory entry needs an fsync
	err      error
	closed   bool
	closeErr error
}

func (w *writer[T]) Write(v T, _ int64) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("strom: file sink %s: write after Close", w.path)
	}
	n := len(w.buf)
	buf, err := w.enc(w.buf, v)
	if err != nil {
		w.buf = buf[:n]
		return fmt.Errorf("strom: file sink %s: cannot encode %T: %w", w.path, v, err)
	}
	w.buf = buf
	w.bytes += int64(len(buf) - n)
	if len(w.buf) >= w.limit {
		return w.flush()
	}
	return nil
}

// BytesWritten implements connector.BytesWriter.
func (w *writer[T]) BytesWritten() int64 { return w.bytes }

// Flush writes the buffered records to the file (without fsync).
func (w *writer[T]) Flush(context.Context) error {
	if w.closed {
		return w.closeErr
	}
	return w.flush()
}

func (w *writer[T]) flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.f.Write(w.buf); err != nil {
		// Part of the buffer may be in the file: the writer cannot go on.
		w.err = fmt.Errorf("strom: file sink %s: %w", w.path, err)
		return w.err
	}
	w.buf = w.buf[:0]
	return nil
}

// Close writes the buffer, fsyncs and closes the file (and fsyncs the
// directory of a file it created). It is idempotent.
func (w *writer[T]) Close() error {
	if w.closed {
		return w.closeErr
	}
	w.closed = true
	err := w.flush()
	if err == nil {
		if serr := w.f.Sync(); serr != nil {
			err = fmt.Errorf("strom: file sink %s: fsync: %w", w.path, serr)
		}
	}
	if cerr := w.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("strom: file sink %s: %w", w.path, cerr)
	}
	if err == nil && w.created {
		err = syncDir(filepath.Dir(w.path))
	}
	w.closeErr = err
	w.buf = nil
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("strom: file sink: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("strom: file sink: fsync %s: %w", dir, err)
	}
	return nil
}
