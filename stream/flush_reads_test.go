package stream_test

import (
	"context"
	"io"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
)

// readsSource has one split of reads records per Read, n records in all.
type readsSource struct{ n, per int64 }

func (s readsSource) Splits(context.Context) ([]connector.Split, error) {
	return []connector.Split{{ID: "0"}}, nil
}
func (s readsSource) Bounded() bool { return true }
func (s readsSource) Open(context.Context, connector.Split, []byte) (connector.Reader[int64], error) {
	return &readsReader{s: s}, nil
}

type readsReader struct {
	s    readsSource
	next int64
}

func (r *readsReader) Read(_ context.Context, buf []int64) (int, error) {
	k := int(min(int64(len(buf)), r.s.per, r.s.n-r.next))
	if k == 0 {
		return 0, io.EOF
	}
	for i := range k {
		buf[i] = r.next
		r.next++
	}
	return k, nil
}
func (r *readsReader) Position() []byte { return nil }
func (r *readsReader) Close() error     { return nil }

// TestSourceFlushesHeldBatches: what a source's read emits leaves its
// subtask within a few reads, also on an output that receives few records
// (a selective filter chained to the source, before a channel): one record
// of every read of 64 passes, and they go out in batches of at most 4 (a
// batch held across 4 reads is pushed unfilled: task's sourceFlushReads),
// not held until 512 of them filled a batch (a join of two such outputs of
// one source would otherwise see one side many reads late).
func TestSourceFlushesHeldBatches(t *testing.T) {
	const reads, per = 40, 64
	env := stream.NewEnvironment(stream.Options{Parallelism: 1})
	s := stream.FromSource[int64](env, readsSource{n: reads * per, per: per}, stream.WatermarkStrategy[int64]{}, "reads")
	f := s.Filter(func(v int64) bool { return v%per == 0 }).Name("selective")
	out := stream.Collect(stream.Map(f, func(v int64) int64 { return v }).DisableChaining())
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	if n := len(out.Values()); n != reads {
		t.Fatalf("%d records out, want %d", n, reads)
	}
	var batches int64
	for _, v := range job.View() {
		for _, o := range v.Operators {
			if o.Name == "selective" {
				for _, st := range o.Subtasks {
					batches += st.BatchesOut
				}
			}
		}
	}
	if batches < reads/4 {
		t.Errorf("the filter sent %d batches, want one per 4 reads at least (%d)", batches, reads/4)
	}
}

// TestSourceFullBatchesOnHashEdge: a source at parallelism 1 that reads
// 512 records at a time, keyed to an operator at parallelism P, sends full
// batches at P = 16 and 64, though each channel gets only 512/P records
// per read: a batch on a hash edge is held across 4 × P reads (Writer.
// FlushHeld), not 4, where it would go out with 2048/P records.
func TestSourceFullBatchesOnHashEdge(t *testing.T) {
	const reads, per = 512, 512
	for _, p := range []int{16, 64} {
		env := stream.NewEnvironment(stream.Options{Parallelism: 1})
		s := stream.FromSource[int64](env, readsSource{n: reads * per, per: per}, stream.WatermarkStrategy[int64]{}, "reads")
		stream.KeyBy(s, func(v int64) int64 { return v % 1000 }).Reduce(func(a, b int64) int64 { return a + b }).SetParallelism(p)
		job, err := env.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := job.Wait(); err != nil {
			t.Fatal(err)
		}
		var batches, records int64
		for _, v := range job.View() {
			for _, o := range v.Operators {
				if o.Name == "reads" {
					for _, st := range o.Subtasks {
						batches, records = batches+st.BatchesOut, records+st.RecordsOut
					}
				}
			}
		}
		// Full batches, but for the last of each channel.
		full := int64(reads * per / 512)
		if records != reads*per || batches > full*11/10+int64(p) {
			t.Errorf("P=%d: the source sent %d records in %d batches, want %d in about %d", p, records, batches, reads*per, full)
		}
		t.Logf("P=%d: %d records in %d batches", p, records, batches)
	}
}
