package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
)

func benchFile(b *testing.B, format Format) (string, int) {
	var sb strings.Builder
	if format == FormatCSV {
		sb.WriteString("id,name\n")
	}
	const n = 10000
	for i := range n {
		if format == FormatCSV {
			fmt.Fprintf(&sb, "%d,name %d\n", i, i)
		} else {
			fmt.Fprintf(&sb, "{\"id\":%d,\"name\":\"name %d\"}\n", i, i)
		}
	}
	return writeFile(b, b.TempDir(), "bench."+string(format), sb.String()), sb.Len()
}

func benchRead(b *testing.B, format Format) {
	p, size := benchFile(b, format)
	src := mustSource[event](b, SourceOptions{Paths: []string{filepath.Dir(p)}, Format: format})
	buf := make([]event, 512)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		r, err := src.Open(context.Background(), connectorSplit(p), nil)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Read(context.Background(), buf)
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
}

func BenchmarkReadJSONLines(b *testing.B) { benchRead(b, FormatJSONLines) }
func BenchmarkReadCSV(b *testing.B)       { benchRead(b, FormatCSV) }

func BenchmarkWriteJSONLines(b *testing.B) {
	w := openWriter(b, JSONLinesSink[event](b.TempDir()), 0, 1)
	defer w.Close()
	e := event{ID: 12345, Name: "some name"}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(e, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTxWriteJSONLines writes through a transactional writer with
// time-based rolling on (one clock read per 1024 records) and a partition
// function. It leaves PreCommit (fsync) out: that measures the disk.
func BenchmarkTxWriteJSONLines(b *testing.B) {
	sink, err := NewTransactionalSink(TransactionalSinkOptions[event]{Dir: b.TempDir(), RollInterval: time.Hour,
		Partition: func(e event) string { return "p" }})
	if err != nil {
		b.Fatal(err)
	}
	w, err := sink.Open(context.Background(), connector.SinkInfo{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	tw := w.(connector.TransactionalWriter[event])
	e := event{ID: 12345, Name: "some name"}
	b.ReportAllocs()
	for b.Loop() {
		if err := tw.Write(e, 0); err != nil {
			b.Fatal(err)
		}
	}
}
