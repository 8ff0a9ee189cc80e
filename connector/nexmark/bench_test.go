package nexmark

import (
	"context"
	"io"
	"runtime"
	"testing"
)

// BenchmarkGenerator reads the default generator through its Reader in
// batches of 256, as the engine does, and reports ns/event, allocs/event
// (1: the event's member struct) and events/s.
func BenchmarkGenerator(b *testing.B) {
	src := NewSource(GeneratorConfig{})
	splits, err := src.Splits(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	r, err := src.Open(context.Background(), splits[0], nil)
	if err != nil {
		b.Fatal(err)
	}
	tr := r.(*Reader)
	const batch = 256
	buf := make([]Event, batch)
	ts := make([]int64, batch)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		k, err := tr.ReadTimestamped(context.Background(), buf, ts)
		if err != nil {
			b.Fatal(err)
		}
		n += k
	}
	runtime.ReadMemStats(&after)
	el := b.Elapsed()
	b.ReportMetric(float64(el.Nanoseconds())/float64(n), "ns/event")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(n), "allocs/event")
	b.ReportMetric(float64(n)/el.Seconds(), "events/s")
}

// BenchmarkGenerateJSONLines is the `strom nexmark gen` path: generate and
// encode on all cores.
func BenchmarkGenerateJSONLines(b *testing.B) {
	cfg := GeneratorConfig{Events: 1_000_000}
	b.ReportAllocs()
	var bytes int64
	for b.Loop() {
		st, err := GenerateJSONLines(context.Background(), io.Discard, cfg)
		if err != nil {
			b.Fatal(err)
		}
		bytes = st.Bytes
	}
	b.SetBytes(bytes)
	b.ReportMetric(float64(cfg.Events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkEncode(b *testing.B) {
	evs := Generate(GeneratorConfig{Events: 10_000})
	var buf []byte
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = append(AppendJSON(buf[:0], evs[i%len(evs)]), '\n')
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/event")
}

func BenchmarkParseLine(b *testing.B) {
	evs := Generate(GeneratorConfig{Events: 10_000})
	lines := make([][]byte, len(evs))
	for i, ev := range evs {
		lines[i] = AppendJSON(nil, ev)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := ParseLine(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/event")
}
