package kafka

import (
	"context"
	"maps"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/twmb/franz-go/pkg/kadm"
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

// readTopic reads topic from its beginning up to its end offsets, as a
// read_committed consumer when committed (up to the last stable offsets:
// an open transaction hides its records and everything after them).
func readTopic(t testing.TB, c Cluster, topic string, committed bool) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ends := endOffsets(t, c, topic, committed)
	iso := kgo.ReadUncommitted()
	if committed {
		iso = kgo.ReadCommitted()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(iso), kgo.KeepControlRecords())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	next := map[int32]int64{}
	reached := func() bool {
		for p, end := range ends {
			if next[p] < end {
				return false
			}
		}
		return true
	}
	var out []*kgo.Record
	for !reached() {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %s: at %v of %v: %v", topic, next, ends, ctx.Err())
		}
		for _, e := range fs.Errors() {
			t.Fatalf("fetch %s/%d: %v", e.Topic, e.Partition, e.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			next[r.Partition] = r.Offset + 1
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
		})
	}
	return out
}

// endOffsets are the high watermarks of topic's partitions, or their last
// stable offsets when committed.
func endOffsets(t testing.TB, c Cluster, topic string, committed bool) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var lo kadm.ListedOffsets
	if committed {
		lo, err = adm.ListCommittedOffsets(context.Background(), topic)
	} else {
		lo, err = adm.ListEndOffsets(context.Background(), topic)
	}
	if err == nil {
		err = lo.Error()
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	lo.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

// noOpenTransaction fails unless every partition of topic has its last
// stable offset at its end (no transaction left open).
func noOpenTransaction(t testing.TB, c Cluster, topic string) {
	t.Helper()
	if lso, hwm := endOffsets(t, c, topic, true), endOffsets(t, c, topic, false); !maps.Equal(lso, hwm) {
		t.Fatalf("topic %s: a transaction is left open: last stable offsets %v, ends %v", topic, lso, hwm)
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
