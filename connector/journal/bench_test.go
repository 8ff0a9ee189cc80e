package journal_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	jconn "github.com/stromio/strom/connector/journal"
	jl "github.com/stromio/strom/journal"
	"github.com/stromio/strom/stream"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSourceJob: a bounded job reading a journal topic of 200,000
// records (one partition) into a discarding sink, per op; the source
// publishes its metrics (bytes read, live lag) every 16 reads.
func BenchmarkSourceJob(b *testing.B) {
	const n = 200_000
	j, err := jl.Open(b.TempDir(), jl.Options{Durability: jl.Relaxed})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	if err := j.CreateTopic("in", 1); err != nil {
		b.Fatal(err)
	}
	recs := make([]jl.Record, 0, 1000)
	for i := range n {
		recs = append(recs, jl.Record{Value: fmt.Appendf(nil, "value-%06d", i)})
		if len(recs) == cap(recs) {
			if _, err := j.Append(context.Background(), "in", 0, recs...); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	b.ReportAllocs()
	c0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		src, err := jconn.NewSource(j, jconn.SourceOptions[string]{Topic: "in", Codec: codec.String{}, Bounded: true})
		if err != nil {
			b.Fatal(err)
		}
		env := stream.NewEnvironment(stream.Options{Parallelism: 1})
		stream.Discard(stream.FromSource[string](env, src, stream.WatermarkStrategy[string]{}, "journal"))
		if err := env.Execute(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n*b.N)/(cpuTime()-c0).Seconds(), "rec/cpu-s")
}
