// Package builtin holds the SQL table connectors that need no external
// system: 'print' (rows as text lines, Flink's print connector) and
// 'blackhole' (discards rows, counting them). Both are sinks only and
// accept updating queries.
//
// Other connectors' factories live in their own packages (file.TableFactory,
// kafka.TableFactory, journal.TableFactory(j), nexmark.TableFactory); this
// package may not import them (DESIGN.md §2), so the binary assembles the
// list.
package builtin

import (
	"context"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
)

// The option keys of the 'print' connector.
const (
	OptPrintIdentifier = "print-identifier"
	OptStandardError   = "standard-error"
)

// PrintConnector is the 'print' sink of SQL tables: every row becomes one
// line "<kind>[f1, f2, ...]" such as "+I[1, abc, NULL]" (fields as CAST to
// STRING writes them), prefixed like Flink's print connector: with
// 'print-identifier' = 'id' by "id> " (one subtask) or "id:<subtask>> ",
// without it by "<subtask>> " when the sink runs with parallelism above 1.
// Lines of one row are written whole (one Write call under a lock).
type PrintConnector struct {
	out, errOut io.Writer
	mu          sync.Mutex // one line at a time across writers
}

// PrintFactory returns the 'print' connector writing to out (os.Stdout when
// nil); 'standard-error' = 'true' writes to os.Stderr instead.
func PrintFactory(out io.Writer) *PrintConnector {
	if out == nil {
		out = os.Stdout
	}
	return &PrintConnector{out: out, errOut: os.Stderr}
}

// TableFactory returns the 'print' connector writing to os.Stdout.
func TableFactory() *PrintConnector { return PrintFactory(nil) }

var _ connector.TableSinkFactory = (*PrintConnector)(nil)

// Name returns "print".
func (*PrintConnector) Name() string { return "print" }

// Options lists the option keys of the connector.
func (*PrintConnector) Options() []connector.TableOption {
	return []connector.TableOption{
		{Key: OptPrintIdentifier, Description: "a prefix of every line, to tell the output of several print tables apart"},
		{Key: OptStandardError, Default: "false", Description: "'true' prints to standard error instead of standard output"},
		connector.SinkParallelismOption(),
	}
}

// TableSink returns the print sink; it accepts updates.
func (c *PrintConnector) TableSink(_ context.Context, t connector.TableContext, _ bool) (connector.Sink[table.Row], error) {
	o, err := connector.CheckTableOptions(c, t)
	if err != nil {
		return nil, err
	}
	if _, err := connector.SinkParallelism(t.Options); err != nil {
		return nil, o.Errorf("%v", err)
	}
	stderr, err := o.Enum(OptStandardError, "true", "false")
	if err != nil {
		return nil, err
	}
	out := c.out
	if stderr == "true" {
		out = c.errOut
	}
	return &printSink{c: c, out: out, id: o.Get(OptPrintIdentifier), schema: t.Schema}, nil
}

type printSink struct {
	c      *PrintConnector
	out    io.Writer
	id     string
	schema table.Schema
}

func (s *printSink) Open(_ context.Context, info connector.SinkInfo) (connector.Writer[table.Row], error) {
	var prefix string
	switch {
	case s.id != "" && info.Parallelism > 1:
		prefix = s.id + ":" + strconv.Itoa(info.Subtask) + "> "
	case s.id != "":
		prefix = s.id + "> "
	case info.Parallelism > 1:
		prefix = strconv.Itoa(info.Subtask) + "> "
	}
	return &printWriter{s: s, prefix: prefix}, nil
}

type printWriter struct {
	s      *printSink
	prefix string
	buf    []byte
}

// AppendRow appends the print form of r ("+I[1, abc]") to dst: each field
// as CAST to STRING writes it (table.AppendTypedText with the column's type
// from s: a TIMESTAMP(3) keeps ".000"), a TIMESTAMP_LTZ as its instant in
// UTC. A nil s or a field beyond its columns is written untyped.
func AppendRow(dst []byte, r table.Row, s *table.Schema) []byte {
	dst = append(dst, r.Kind.String()...)
	dst = append(dst, '[')
	for i, v := range r.Fields {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		var t table.Type
		if s != nil && i < len(s.Columns) {
			t = s.Columns[i].Type
		}
		dst = table.AppendTypedText(dst, v, t, nil)
	}
	return append(dst, ']')
}

func (w *printWriter) Write(r table.Row, _ int64) error {
	w.buf = append(w.buf[:0], w.prefix...)
	w.buf = append(AppendRow(w.buf, r, &w.s.schema), '\n')
	w.s.c.mu.Lock()
	defer w.s.c.mu.Unlock()
	_, err := w.s.out.Write(w.buf)
	return err
}

func (w *printWriter) Flush(context.Context) error { return nil }
func (w *printWriter) Close() error                { return nil }

// BlackholeConnector is the 'blackhole' sink of SQL tables: it discards
// every row (of any kind) and counts them, for benchmarks.
type BlackholeConnector struct{ n atomic.Int64 }

// BlackholeFactory returns the 'blackhole' connector.
func BlackholeFactory() *BlackholeConnector { return &BlackholeConnector{} }

var _ connector.TableSinkFactory = (*BlackholeConnector)(nil)

// Name returns "blackhole".
func (*BlackholeConnector) Name() string { return "blackhole" }

// Options returns 'sink.parallelism' only.
func (*BlackholeConnector) Options() []connector.TableOption {
	return []connector.TableOption{connector.SinkParallelismOption()}
}

// Count returns the number of rows the sinks of this factory discarded.
func (c *BlackholeConnector) Count() int64 { return c.n.Load() }

// TableSink returns the blackhole sink; it accepts updates.
func (c *BlackholeConnector) TableSink(_ context.Context, t connector.TableContext, _ bool) (connector.Sink[table.Row], error) {
	o, err := connector.CheckTableOptions(c, t)
	if err != nil {
		return nil, err
	}
	if _, err := connector.SinkParallelism(t.Options); err != nil {
		return nil, o.Errorf("%v", err)
	}
	return blackhole{c}, nil
}

type blackhole struct{ c *BlackholeConnector }

func (b blackhole) Open(context.Context, connector.SinkInfo) (connector.Writer[table.Row], error) {
	return &blackholeWriter{c: b.c}, nil
}

type blackholeWriter struct {
	c *BlackholeConnector
	n int64 // rows since the last Flush
}

func (w *blackholeWriter) Write(table.Row, int64) error {
	if w.n++; w.n >= 1024 {
		w.c.n.Add(w.n)
		w.n = 0
	}
	return nil
}

// ReleasesRecords is true: Write keeps nothing (connector.RecordReleaser).
func (w *blackholeWriter) ReleasesRecords() bool { return true }

func (w *blackholeWriter) Flush(context.Context) error {
	w.c.n.Add(w.n)
	w.n = 0
	return nil
}

func (w *blackholeWriter) Close() error { return w.Flush(context.Background()) }
