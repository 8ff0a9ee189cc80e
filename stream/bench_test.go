package stream_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
)

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportPerCore adds records/s per CPU-second, the figure BENCHMARKS.md uses.
func reportPerCore(b *testing.B, records int64, cpu time.Duration) {
	b.ReportMetric(float64(records)/cpu.Seconds(), "rec/cpu-s")
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "rec/s")
}

type event struct {
	Key   int64
	Value int64
	TS    int64
}

func genEvent(_ int, i int64) event { return event{Key: i % 100000, Value: i, TS: i} }

// BenchmarkChainedMapFilter: generator -> map -> filter -> map -> discard,
// all chained in one subtask.
func BenchmarkChainedMapFilter(b *testing.B) {
	b.ReportAllocs()
	env := stream.NewEnvironment(stream.Options{Parallelism: 1})
	s := stream.FromGenerator(env, int64(b.N), genEvent, stream.WatermarkStrategy[event]{})
	m := stream.Map(s, func(e event) event { e.Value *= 3; return e })
	f := m.Filter(func(e event) bool { return e.Value%2 == 0 })
	stream.Discard(stream.Map(f, func(e event) int64 { return e.Value + e.Key }))
	c0 := cpuTime()
	b.ResetTimer()
	if err := env.Execute(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportPerCore(b, int64(b.N), cpuTime()-c0)
}

var sink int64

// BenchmarkHandLoopMapFilter is the same work as a plain Go loop.
func BenchmarkHandLoopMapFilter(b *testing.B) {
	b.ReportAllocs()
	c0 := cpuTime()
	var acc int64
	for i := range int64(b.N) {
		e := genEvent(0, i)
		e.Value *= 3
		if e.Value%2 == 0 {
			acc += e.Value + e.Key
		}
	}
	sink = acc
	reportPerCore(b, int64(b.N), cpuTime()-c0)
}

// handPipeline holds the user functions of BenchmarkChainedMapFilter as
// function values, the way a hand-written program that takes its steps as
// parameters would call them.
type handPipeline struct {
	gen func(int, int64) event
	m1  func(event) event
	f   func(event) bool
	m2  func(event) int64
}

//go:noinline
func newHandPipeline() *handPipeline {
	return &handPipeline{
		gen: genEvent,
		m1:  func(e event) event { e.Value *= 3; return e },
		f:   func(e event) bool { return e.Value%2 == 0 },
		m2:  func(e event) int64 { return e.Value + e.Key },
	}
}

// BenchmarkHandFuncLoopMapFilter is the hand-written single-goroutine loop
// calling the same user functions through function values: the baseline the
// engine at parallelism 1 is compared with.
func BenchmarkHandFuncLoopMapFilter(b *testing.B) {
	b.ReportAllocs()
	p := newHandPipeline()
	c0 := cpuTime()
	var acc int64
	for i := range int64(b.N) {
		e := p.m1(p.gen(0, i))
		if p.f(e) {
			acc += p.m2(e)
		}
	}
	sink = acc
	reportPerCore(b, int64(b.N), cpuTime()-c0)
}
