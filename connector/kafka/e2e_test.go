package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector/kafka"
	"github.com/stromio/strom/stream"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ev is a test record: key and event time.
type ev struct {
	K  string
	TS int64
}

func evDecoder(r *kafka.Record) (ev, error) { return ev{K: string(r.Key), TS: r.Timestamp}, nil }

func newCluster(t *testing.T, parts int32, topics ...string) (*kfake.Cluster, *kgo.Client) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(parts, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return c, cl
}

func send(t *testing.T, cl *kgo.Client, topic string, part int32, key string, tss ...int64) {
	t.Helper()
	var recs []*kgo.Record
	for _, ts := range tss {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: part, Key: []byte(key), Timestamp: time.UnixMilli(ts)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// runUntil runs env in the background until cond holds (checked every
// 10 ms), then cancels it. It fails t after 30 s without cond (a hang).
var debugState = func() string { return "" }

func runUntil(t *testing.T, env *stream.Environment, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.Execute(ctx) }()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("job ended before the condition held: %v", err)
		case <-deadline:
			cancel()
			<-done
			t.Fatalf("condition not reached within 30 s (%s)", debugState())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, stream.ErrCanceled) {
		t.Fatal(err)
	}
}

// windowCounts counts events per key in 2 s tumbling windows as
// "key@start=count".
func windowCounts(in stream.Stream[ev]) *stream.Collected[string] {
	ws := stream.KeyBy(in, func(e ev) string { return e.K }).Window(stream.TumblingEventTimeWindows(2 * time.Second))
	out := stream.WindowAggregateWithWindow(ws, stream.AggregatorFuncs[ev, int64, int64]{
		CreateFn: func() int64 { return 0 },
		AddFn:    func(_ ev, n int64) int64 { return n + 1 },
		MergeFn:  func(a, b int64) int64 { return a + b },
		ResultFn: func(n int64) int64 { return n },
	})
	return stream.Collect(stream.Map(out, func(r stream.WindowResult[string, int64]) string {
		return fmt.Sprintf("%s@%d=%d", r.Key, r.Window.Start, r.Value)
	}))
}

func has(c *stream.Collected[string], want ...string) func() bool {
	return func() bool {
		got := c.Values()
		for _, w := range want {
			if !slices.Contains(got, w) {
				return false
			}
		}
		return true
	}
}

// TestIdlePartition (RELIABILITY B2): of 4 partitions one stays empty; with
// idleness it does not hold back event time, so windows fire from the
// other three. When it resumes, its records count in their windows (none
// lost).
func TestIdlePartition(t *testing.T) {
	c, cl := newCluster(t, 4, "in")
	for p := range int32(3) {
		send(t, cl, "in", p, fmt.Sprintf("k%d", p), 100, 1100, 2100, 3100, 4100)
	}
	src, err := kafka.NewSource(kafka.SourceOptions[ev]{Cluster: kafka.Cluster{Brokers: c.ListenAddrs()}, Topics: []string{"in"},
		Deserializer: evDecoder, DiscoveryInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	// Idleness must outlast a partition's first fetch (client start-up):
	// a partition with data that is idle before its first records arrive
	// lets event time pass them, and they are late (as in Flink).
	in := stream.FromSource[ev](env, src, stream.WatermarkStrategy[ev]{Enabled: true, Idleness: time.Second}, "kafka")
	got := windowCounts(in)
	raw := stream.Collect(stream.Map(in, func(e ev) string { return fmt.Sprintf("%s@%d", e.K, e.TS) }))
	resumed, advanced := false, false
	debugState = func() string { return fmt.Sprint(resumed, advanced, got.Values()) }
	runUntil(t, env, func() bool {
		if !resumed && has(got, "k0@0=2", "k1@2000=2", "k2@2000=2")() {
			// The idle partition resumes, in order, at the current event time.
			send(t, cl, "in", 3, "k3", 4500, 4600, 6100)
			resumed = true
		}
		if resumed && !advanced && has(raw, "k3@6100")() {
			// Only then do the others move event time past its window
			// (else the race of any idleness: they could pass it first).
			for p := range int32(3) {
				send(t, cl, "in", p, fmt.Sprintf("k%d", p), 6200)
			}
			advanced = true
		}
		return advanced && has(got, "k3@4000=2", "k0@4000=1")()
	})
	for _, w := range got.Values() {
		if strings.HasPrefix(w, "k3@") && w != "k3@4000=2" {
			t.Errorf("unexpected window %s", w)
		}
	}
}

// TestPartitionDiscovery: partitions added to the topic while the job runs
// are found and read from their beginning, each record once.
func TestPartitionDiscovery(t *testing.T) {
	c, cl := newCluster(t, 1, "in")
	send(t, cl, "in", 0, "a", 1, 2, 3)
	src, err := kafka.NewSource(kafka.SourceOptions[ev]{Cluster: kafka.Cluster{Brokers: c.ListenAddrs()}, Topics: []string{"in"},
		Deserializer: evDecoder, DiscoveryInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	got := stream.Collect(stream.Map(stream.FromSource[ev](env, src, stream.WatermarkStrategy[ev]{}, "kafka"),
		func(e ev) string { return fmt.Sprintf("%s%d", e.K, e.TS) }))
	added := false
	want := []string{"a1", "a2", "a3", "b1", "b2", "c1", "c2", "c3"}
	runUntil(t, env, func() bool {
		if !added && len(got.Values()) == 3 {
			if _, err := kadm.NewClient(cl).CreatePartitions(context.Background(), 2, "in"); err != nil {
				t.Error(err)
			}
			// A new client: the old one has the one-partition metadata cached.
			cl2, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
			if err != nil {
				t.Fatal(err)
			}
			defer cl2.Close()
			send(t, cl2, "in", 1, "b", 1, 2)
			send(t, cl2, "in", 2, "c", 1, 2, 3)
			added = true
		}
		return len(got.Values()) >= len(want)
	})
	v := got.Values()
	slices.Sort(v)
	if !slices.Equal(v, want) {
		t.Fatalf("got %v, want %v", v, want)
	}
}

func kgoRecord(topic string, part int32, v string) *kgo.Record {
	return &kgo.Record{Topic: topic, Partition: part, Value: []byte(v)}
}
