package nexmark

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/connector/nexmark"
)

func TestBench(t *testing.T) {
	q, err := Lookup("q2")
	if err != nil {
		t.Fatal(err)
	}
	var calls, last atomic.Int64
	res, err := Bench(t.Context(), q, BenchOptions{
		Generator:        nexmark.GeneratorConfig{Events: 300_000, Splits: 2},
		Parallelism:      2,
		Progress:         func(n int64) { calls.Add(1); last.Store(n) },
		ProgressInterval: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Query != "q2" || res.Mode != "engine" || res.Events != 300_000 || res.WallSeconds <= 0 {
		t.Errorf("result %+v", res)
	}
	if res.P99LatencyMs < res.P50LatencyMs || res.P50LatencyMs < 0 {
		t.Errorf("latency p50 %v p99 %v", res.P50LatencyMs, res.P99LatencyMs)
	}
	// Progress is sampled on a timer: it may or may not have been called,
	// but never with more events than there are.
	if last.Load() > 300_000 || last.Load() < 0 {
		t.Errorf("progress reported %d events", last.Load())
	}
}

func TestBenchSideInputAndErrors(t *testing.T) {
	// q13 without a side input gets a generated one, removed afterwards.
	q, err := Lookup("q13")
	if err != nil {
		t.Skip("q13 is not registered yet")
	}
	cfg, cleanup, err := benchQueryConfig(q, Config{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(cfg.SideInput)
	if err != nil || len(data) == 0 {
		t.Fatalf("side input %q: %v", cfg.SideInput, err)
	}
	cleanup()
	if _, err := os.Stat(cfg.SideInput); !os.IsNotExist(err) {
		t.Errorf("side input not removed: %v", err)
	}
	if _, err := Bench(t.Context(), q, BenchOptions{Generator: nexmark.GeneratorConfig{Events: 10_000}}); err != nil {
		t.Errorf("q13 with a generated side input: %v", err)
	}
	if _, err := Bench(t.Context(), q, BenchOptions{}); err == nil {
		t.Error("unbounded generator: no error")
	}
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Bench(canceled, q, BenchOptions{Generator: nexmark.GeneratorConfig{Events: 1 << 40}}); err == nil {
		t.Error("canceled: no error")
	}
}

func TestBenchBaseline(t *testing.T) {
	var calls atomic.Int64
	res, err := BenchBaseline(t.Context(), "q5", BenchOptions{
		Generator:        nexmark.GeneratorConfig{Events: 100_000, Rate: 10_000},
		Progress:         func(int64) { calls.Add(1) },
		ProgressInterval: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := RunBaseline(t.Context(), "q5", nexmark.GeneratorConfig{Events: 100_000, Rate: 10_000}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "baseline" || res.Events != 100_000 || res.Rows != want.Rows || res.Checksum != want.Checksum || res.Rows == 0 {
		t.Errorf("result %+v, want rows %d checksum %x", res, want.Rows, want.Checksum)
	}
}
