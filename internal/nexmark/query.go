// Package nexmark holds the Nexmark queries as DataStream jobs, an oracle
// for each (a plain Go function over the event list, written separately from
// the job, used by the golden tests), and the runner behind `strom nexmark
// run` and `strom nexmark bench`. ../shared/nexmark/SPEC.md is the
// specification; its section 3 fixes the output conventions.
//
// Concurrency: queries are built on one goroutine; their user functions
// follow the stream package's rules (state per subtask through factories).
package nexmark

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Config carries what some queries need besides the events.
type Config struct {
	// SideInput is the q13 side-input CSV file (key,value rows).
	SideInput string
	// OutDir is where q10 writes its partitioned CSV files.
	OutDir string
}

// Query is one Nexmark query.
type Query struct {
	// Name is "q0".."q22".
	Name string
	// Columns are the result columns in order (SPEC.md §3.4).
	Columns []string
	// Updating queries write a changelog: every row carries "op".
	Updating bool
	// Build adds the query to the event stream and returns its result.
	Build func(events stream.Stream[nexmark.Event], cfg Config) Output
	// Oracle computes the final result (a changelog applied, for updating
	// queries) directly from the events, independently of the engine. Rows
	// are values of the same type the job emits, without "op".
	Oracle func(events []nexmark.Event, cfg Config) ([]any, error)
}

var registry = map[string]*Query{}

// Register adds a query; it panics on a duplicate name (a programming error).
func Register(q *Query) {
	if _, dup := registry[q.Name]; dup {
		panic("nexmark: query " + q.Name + " registered twice")
	}
	registry[q.Name] = q
}

// Lookup returns the named query.
func Lookup(name string) (*Query, error) {
	q, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("nexmark: unknown query %q (known: %v)", name, Names())
	}
	return q, nil
}

// Names lists the registered queries in numeric order.
func Names() []string {
	var out []string
	for n := range registry {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		var a, b int
		fmt.Sscanf(out[i], "q%d", &a)
		fmt.Sscanf(out[j], "q%d", &b)
		return a < b
	})
	return out
}

// Output is a query's result stream with its type erased, so that the CLI,
// the benchmark and the tests can consume any query alike.
type Output interface {
	// Discard consumes the result (benchmarks).
	Discard()
	// WriteJSON writes the result as JSON lines to one file (a sink of
	// parallelism 1).
	WriteJSON(path string) error
	// Collect gathers the result; call the returned function after the job.
	Collect() func() []any
	// SinkTo consumes the result with a sink of encoded JSON lines.
	SinkTo(s connector.Sink[[]byte])
}

// Out wraps a typed result stream. T must encode to JSON with the query's
// columns in order (struct fields with json tags); for updating queries T
// has an Op field tagged `json:"op"` first.
func Out[T any](s stream.Stream[T]) Output { return output[T]{s} }

type output[T any] struct{ s stream.Stream[T] }

func (o output[T]) Discard() { stream.Discard(o.s) }

func (o output[T]) WriteJSON(path string) error {
	sink, err := file.NewSink[T](file.SinkOptions{File: path, Truncate: true})
	if err != nil {
		return err
	}
	stream.SinkTo[T](o.s.Rebalance(), sink, "result").SetParallelism(1)
	return nil
}

func (o output[T]) Collect() func() []any {
	c := stream.Collect(o.s)
	return func() []any {
		vs := c.Values()
		out := make([]any, len(vs))
		for i, v := range vs {
			out[i] = v
		}
		return out
	}
}

func (o output[T]) SinkTo(s connector.Sink[[]byte]) {
	enc := stream.Map(o.s, func(v T) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			panic(fmt.Errorf("nexmark: encode result row: %w", err))
		}
		return b
	})
	stream.SinkTo(enc, s, "result")
}

// Run builds q over events on env, executes it and returns its rows.
func Run(ctx context.Context, env *stream.Environment, events stream.Stream[nexmark.Event], q *Query, cfg Config) ([]any, error) {
	rows := q.Build(events, cfg).Collect()
	if err := env.Execute(ctx); err != nil {
		return nil, err
	}
	return rows(), nil
}
