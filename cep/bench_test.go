package cep_test

import (
	"context"
	"encoding/binary"
	"errors"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stromio/strom/cep"
	"github.com/stromio/strom/stream"
)

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type benchEvent struct {
	Key  int64
	Kind uint8 // 0 a, 1 b, 2 c
}

// benchCodec is a fixed 9-byte layout (the default for structs is JSON).
type benchCodec struct{}

func (benchCodec) Append(dst []byte, e benchEvent) []byte {
	return append(binary.BigEndian.AppendUint64(dst, uint64(e.Key)), e.Kind)
}

func (benchCodec) Decode(b []byte) (benchEvent, error) {
	if len(b) != 9 {
		return benchEvent{}, errors.New("bench event: bad length")
	}
	return benchEvent{Key: int64(binary.BigEndian.Uint64(b)), Kind: b[8]}, nil
}

// benchTimed is a generated event with its event time.
type benchTimed struct {
	E  benchEvent
	TS int64
}

var benchMatches atomic.Int64

// BenchmarkPatternABPlusC: one generator split of b.N events over 10,000
// keys (each key sees a b b c a b b c ...; 10 events per millisecond of
// event time) -> keyBy -> the pattern a b+ c (strict contiguity,
// SKIP_PAST_LAST_EVENT) -> a count of the matches. Reports events per CPU
// second of the whole process (rec/cpu-s, as BENCHMARKS.md) and checks the
// number of matches.
func BenchmarkPatternABPlusC(b *testing.B) {
	const keys = 10_000
	b.ReportAllocs()
	n := max(int64(b.N), 4*keys)
	env := stream.NewEnvironment(stream.Options{Parallelism: 1})
	src := stream.FromSource[benchTimed](env, stream.GeneratorSource[benchTimed]{NumSplits: 1, Count: n,
		Fn: func(_ int, i int64) benchTimed {
			return benchTimed{E: benchEvent{Key: i % keys, Kind: [4]uint8{0, 1, 1, 2}[(i/keys)%4]}, TS: i / 10}
		}}, stream.WatermarkStrategy[benchTimed]{Enabled: true, Timestamp: func(e benchTimed) int64 { return e.TS }}, "gen")
	events := stream.Map(src, func(e benchTimed) benchEvent { return e.E })
	p := cep.BeginWithSkip[benchEvent]("a", cep.SkipPastLastEventStrategy()).Where(func(e benchEvent) bool { return e.Kind == 0 }).
		Next("b").Where(func(e benchEvent) bool { return e.Kind == 1 }).OneOrMore().Consecutive().
		Next("c").Where(func(e benchEvent) bool { return e.Kind == 2 })
	ps, err := cep.Detect(stream.KeyBy(events, func(e benchEvent) int64 { return e.Key }), p, cep.WithCodec[benchEvent](benchCodec{}))
	if err != nil {
		b.Fatal(err)
	}
	out := cep.Select(ps, func(m cep.Match[benchEvent]) int { return len(m.Events) })
	stream.Discard(stream.Map(out, func(n int) int { benchMatches.Add(1); return n }))
	benchMatches.Store(0)
	b.ResetTimer()
	c0 := cpuTime()
	if err := env.Execute(context.Background()); err != nil {
		b.Fatal(err)
	}
	cpu := cpuTime() - c0
	if want := n / (4 * keys) * keys; benchMatches.Load() != want {
		b.Fatalf("%d matches, want %d", benchMatches.Load(), want)
	}
	b.ReportMetric(float64(n)/cpu.Seconds(), "rec/cpu-s")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rec/s")
}
