package journal_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	jconn "github.com/stromio/strom/connector/journal"
	jl "github.com/stromio/strom/journal"
	"github.com/stromio/strom/stream"
)

// A job without checkpoints: the journal sink's chain ends cleanly and
// pre-commits (end-of-input commit), another chain then fails. Nothing is
// committed (right), but is the pre-committed transaction aborted, or left
// open, holding ReadCommitted readers of the topic?
func TestEndCommitFailedJobAbortsTxn(t *testing.T) {
	j := openJournal(t)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	sink, err := jconn.NewSink(j, jconn.SinkOptions[string]{Topic: "t", Codec: codec.String{}, Prefix: "rv",
		Key: func(s string) []byte { return []byte(s) }, BatchRecords: 8})
	if err != nil {
		t.Fatal(err)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: 1})
	a := stream.FromGenerator(env, 10, func(_ int, i int64) string { return fmt.Sprintf("a%d", i) }, stream.WatermarkStrategy[string]{})
	stream.SinkTo[string](a, sink, "journal")
	b := stream.FromGenerator(env, 1<<40, func(_ int, i int64) int64 { return i }, stream.WatermarkStrategy[int64]{})
	m := stream.Map(b, func(i int64) int64 {
		if i == 200000 {
			time.Sleep(200 * time.Millisecond)
			panic("fails after the journal sink ended")
		}
		return i
	})
	stream.Discard(m)
	if err := env.Execute(context.Background()); err == nil {
		t.Fatal("the job did not fail")
	}
	_, end, _ := j.Bounds("t", 0)
	lso, err := j.LastStableOffset("t", 0)
	if err != nil {
		t.Fatal(err)
	}
	// A record appended after the failed job.
	if _, err := j.Append(context.Background(), "t", 0, jl.Record{Value: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, j, "t", jl.ReadCommitted)
	t.Logf("end %d, LSO %d, committed read: %v", end, lso, got)
	if lso < end || len(got) == 0 {
		t.Errorf("the failed job left its pre-committed transaction open: LSO %d < end %d; ReadCommitted readers see %v (not even the later record)", lso, end, got)
	}
}
