package streamtest_test

import (
	"context"
	"fmt"

	"github.com/stromio/strom/connector"
)

type funcSink[T any] func(T)

func (f funcSink[T]) Open(context.Context, connector.SinkInfo) (connector.Writer[T], error) {
	return f, nil
}
func (f funcSink[T]) Write(v T, _ int64) error    { f(v); return nil }
func (f funcSink[T]) Flush(context.Context) error { return nil }
func (f funcSink[T]) Close() error                { return nil }

func stringsItoa(i int) string { return fmt.Sprint(i) }
