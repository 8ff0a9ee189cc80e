package stream_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
)

// errConn is the error of a connector, prefixed as strom's connectors
// prefix theirs.
var errConn = errors.New("strom: test connector: boom")

// failingSource fails at one step: "splits", "open" or "read".
type failingSource struct{ at string }

func (s failingSource) Splits(context.Context) ([]connector.Split, error) {
	if s.at == "splits" {
		return nil, errConn
	}
	return []connector.Split{{ID: "only"}}, nil
}

func (s failingSource) Open(context.Context, connector.Split, []byte) (connector.Reader[int], error) {
	if s.at == "open" {
		return nil, errConn
	}
	return &failingReader{at: s.at}, nil
}

func (failingSource) Bounded() bool { return true }

type failingReader struct {
	at   string
	done bool
}

func (r *failingReader) Read(_ context.Context, buf []int) (int, error) {
	if r.at == "read" {
		return 0, errConn
	}
	if r.done {
		return 0, io.EOF
	}
	r.done = true
	buf[0] = 1
	return 1, nil
}
func (r *failingReader) Position() []byte { return nil }
func (r *failingReader) Close() error     { return nil }

// failingSink fails at "sink-open", "write" or "flush".
type failingSink struct{ at string }

func (s failingSink) Open(context.Context, connector.SinkInfo) (connector.Writer[int], error) {
	if s.at == "sink-open" {
		return nil, errConn
	}
	return failingWriter(s), nil
}

type failingWriter struct{ at string }

func (w failingWriter) Write(int, int64) error {
	if w.at == "write" {
		return errConn
	}
	return nil
}
func (w failingWriter) Flush(context.Context) error {
	if w.at == "flush" {
		return errConn
	}
	return nil
}
func (failingWriter) Close() error { return nil }

// TestConnectorErrorPrefixOnce: a connector's error, wrapped by the
// runtime at whichever step it fails (listing or opening splits, reading,
// opening or writing the sink), reads with strom's "strom: " prefix at
// most once, at the start (the command line adds it when it is not
// there), and is still the connector's error for errors.Is.
func TestConnectorErrorPrefixOnce(t *testing.T) {
	for _, at := range []string{"splits", "open", "read", "sink-open", "write", "flush"} {
		t.Run(at, func(t *testing.T) {
			env := stream.NewEnvironment(stream.Options{Parallelism: 1})
			stream.SinkTo(stream.FromSource[int](env, failingSource{at: at}, stream.WatermarkStrategy[int]{}, "src"), failingSink{at: at}, "out")
			err := env.Execute(context.Background())
			if err == nil {
				t.Fatal("the job did not fail")
			}
			if !errors.Is(err, errConn) {
				t.Errorf("errors.Is(err, the connector's error) is false: %v", err)
			}
			msg := err.Error()
			if i := strings.Index(msg, "strom: "); i > 0 {
				t.Errorf("%q has \"strom: \" inside (at %d), not only at the start", msg, i)
			}
			if !strings.Contains(msg, "test connector: boom") {
				t.Errorf("%q does not carry the connector's message", msg)
			}
			t.Log(msg)
		})
	}
}
