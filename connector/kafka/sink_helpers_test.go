package kafka

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// newKfake starts an in-process cluster of one broker with topics of
// partitions partitions each.
func newKfake(t testing.TB, partitions int32, topics []string, opts ...kfake.Opt) Cluster {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return Cluster{Brokers: c.ListenAddrs()}
}

// readTopic reads topic from its beginning until no record arrives for a
// while, as a read_committed consumer when committed.
func readTopic(t testing.TB, c Cluster, topic string, committed bool) []*kgo.Record {
	t.Helper()
	iso := kgo.ReadUncommitted()
	if committed {
		iso = kgo.ReadCommitted()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(iso))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		for _, e := range fs.Errors() {
			if !errors.Is(e.Err, context.DeadlineExceeded) {
				t.Fatalf("fetch %s/%d: %v", e.Topic, e.Partition, e.Err)
			}
		}
		n := 0
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r); n++ })
		if n == 0 {
			return out
		}
	}
}

// values returns the sorted values of rs.
func values(rs []*kgo.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r.Value)
	}
	sort.Strings(out)
	return out
}

// strSerializer writes s as value and key (so partitions follow the key).
func strSerializer(s string, _ int64) (*Record, error) {
	return &Record{Partition: -1, Key: []byte(s), Value: []byte(s)}, nil
}

func eoOptions(c Cluster, topic, prefix string) SinkOptions[string] {
	return SinkOptions[string]{Cluster: c, Topic: topic, Serializer: strSerializer, Guarantee: ExactlyOnce,
		TransactionalIDPrefix: prefix, PoolSize: 3}
}

func mustSink[T any](t testing.TB, o SinkOptions[T]) *Sink[T] {
	t.Helper()
	s, err := NewSink(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func openTx(t testing.TB, s *Sink[string], subtask, par int) *writer[string] {
	t.Helper()
	w, err := s.Open(context.Background(), connector.SinkInfo{Subtask: subtask, Parallelism: par, UID: "sink"})
	if err != nil {
		t.Fatal(err)
	}
	return w.(*writer[string])
}

func writeAll(t testing.TB, w connector.Writer[string], vs ...string) {
	t.Helper()
	for _, v := range vs {
		if err := w.Write(v, 1_700_000_000_000); err != nil {
			t.Fatal(err)
		}
	}
}

// crash drops w as a dying process would: its producers' connections go
// away, nothing is ended.
func crash(w *writer[string]) {
	if w.cl != nil {
		w.cl.Close()
		w.cl = nil
	}
	w.s.mu.Lock()
	for t, l := range w.s.live {
		l.cl.Close()
		delete(w.s.live, t)
	}
	w.s.mu.Unlock()
	w.closed = true
}

func equalSorted(got, want []string) bool {
	got, want = slices.Clone(got), slices.Clone(want)
	sort.Strings(got)
	sort.Strings(want)
	return slices.Equal(got, want)
}
