package stream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/stromio/strom/connector"
)

// PrintSink writes each record as a line to W (default os.Stdout) with
// fmt's %v; with parallelism > 1 each line is prefixed "N> " with the
// subtask number (as Flink's print sink).
type PrintSink[T any] struct {
	W      io.Writer
	Format func(T) string
}

// printMu serialises the flushes of every print sink, so lines of different
// subtasks (which share W) never interleave and W needs no lock of its own.
var printMu sync.Mutex

func (p PrintSink[T]) Open(_ context.Context, info connector.SinkInfo) (connector.Writer[T], error) {
	w := p.W
	if w == nil {
		w = os.Stdout
	}
	prefix := ""
	if info.Parallelism > 1 {
		prefix = fmt.Sprintf("%d> ", info.Subtask+1)
	}
	return &printWriter[T]{w: w, prefix: prefix, format: p.Format}, nil
}

type printWriter[T any] struct {
	w      io.Writer
	buf    bytes.Buffer
	prefix string
	format func(T) string
}

func (w *printWriter[T]) Write(v T, _ int64) error {
	w.buf.WriteString(w.prefix)
	if w.format != nil {
		w.buf.WriteString(w.format(v))
	} else {
		fmt.Fprint(&w.buf, v)
	}
	w.buf.WriteByte('\n')
	if w.buf.Len() >= 64<<10 {
		return w.Flush(context.Background())
	}
	return nil
}

// Flush writes whole lines under a lock shared by the sink's subtasks, so
// lines of different subtasks never interleave.
func (w *printWriter[T]) Flush(context.Context) error {
	if w.buf.Len() == 0 {
		return nil
	}
	printMu.Lock()
	defer printMu.Unlock()
	_, err := w.w.Write(w.buf.Bytes())
	w.buf.Reset()
	return err
}

func (w *printWriter[T]) Close() error { return w.Flush(context.Background()) }

// Print writes the stream to standard output, one record a line.
func Print[T any](s Stream[T]) Stream[T] {
	return SinkTo[T](s, PrintSink[T]{}, "print")
}

// PrintTo writes the stream to w with format (nil: %v).
func PrintTo[T any](s Stream[T], w io.Writer, format func(T) string) Stream[T] {
	return SinkTo[T](s, PrintSink[T]{W: w, Format: format}, "print")
}

// Record is a collected record with its event timestamp.
type Record[T any] struct {
	TS    int64
	Value T
}

// Collected receives the records of a Collect sink; read it after the job.
type Collected[T any] struct {
	mu   sync.Mutex
	recs []Record[T]
}

// Values returns the collected values in arrival order (per subtask order
// is preserved; across subtasks it is not).
func (c *Collected[T]) Values() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]T, len(c.recs))
	for i, r := range c.recs {
		out[i] = r.Value
	}
	return out
}

// Records returns the collected records with timestamps.
func (c *Collected[T]) Records() []Record[T] {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Record[T](nil), c.recs...)
}

func (c *Collected[T]) Open(context.Context, connector.SinkInfo) (connector.Writer[T], error) {
	return &collectWriter[T]{c: c}, nil
}

type collectWriter[T any] struct {
	c   *Collected[T]
	buf []Record[T]
}

func (w *collectWriter[T]) Write(v T, ts int64) error {
	w.buf = append(w.buf, Record[T]{TS: ts, Value: v})
	if len(w.buf) >= 1024 {
		return w.Flush(context.Background())
	}
	return nil
}

func (w *collectWriter[T]) Flush(context.Context) error {
	if len(w.buf) == 0 {
		return nil
	}
	w.c.mu.Lock()
	w.c.recs = append(w.c.recs, w.buf...)
	w.c.mu.Unlock()
	w.buf = w.buf[:0]
	return nil
}

func (w *collectWriter[T]) Close() error { return w.Flush(context.Background()) }

// Collect gathers the stream in memory (for tests and small results).
func Collect[T any](s Stream[T]) *Collected[T] {
	c := &Collected[T]{}
	SinkTo[T](s, c, "collect")
	return c
}

// Discard consumes the stream and drops it (benchmarks).
func Discard[T any](s Stream[T]) Stream[T] {
	return SinkTo[T](s, discardSink[T]{}, "discard")
}

type discardSink[T any] struct{}

func (discardSink[T]) Open(context.Context, connector.SinkInfo) (connector.Writer[T], error) {
	return discardWriter[T]{}, nil
}

type discardWriter[T any] struct{}

func (discardWriter[T]) Write(T, int64) error        { return nil }
func (discardWriter[T]) Flush(context.Context) error { return nil }
func (discardWriter[T]) Close() error                { return nil }
