package kafka

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kversion"
)

func TestSinkValidation(t *testing.T) {
	c := Cluster{Brokers: []string{"localhost:1"}}
	ok := eoOptions(c, "t", "p")
	for _, tc := range []struct {
		name string
		edit func(o *SinkOptions[string])
		want string
	}{
		{"no brokers", func(o *SinkOptions[string]) { o.Cluster = Cluster{} }, "kafka sink: kafka: no brokers configured"},
		{"no serializer", func(o *SinkOptions[string]) { o.Serializer = nil }, "kafka sink: no Serializer"},
		{"no prefix", func(o *SinkOptions[string]) { o.TransactionalIDPrefix = "" }, "kafka sink: exactly-once needs a TransactionalIDPrefix"},
		{"small pool", func(o *SinkOptions[string]) { o.PoolSize = 2 }, "kafka sink: PoolSize 2 is below 3"},
		{"bad guarantee", func(o *SinkOptions[string]) { o.Guarantee = 7 }, "kafka sink: unknown guarantee 7"},
		{"timeout vs interval", func(o *SinkOptions[string]) {
			o.TransactionTimeout, o.CheckpointInterval, o.RestartTime = time.Minute, 50*time.Second, 30*time.Second
		}, "kafka sink: transaction timeout 1m0s is not larger than checkpoint interval 50s + restart time 30s: " +
			"the broker would abort transactions before they commit; raise TransactionTimeout (broker max transaction.max.timeout.ms) or shorten the interval"},
		{"timeout range", func(o *SinkOptions[string]) { o.TransactionTimeout = time.Microsecond }, "kafka sink: transaction timeout 1µs is out of range"},
	} {
		o := ok
		tc.edit(&o)
		_, err := NewSink(o)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// At-least-once needs no prefix; the defaults are filled in.
	o := ok
	o.Guarantee, o.TransactionalIDPrefix, o.PoolSize = AtLeastOnce, "", 0
	s, err := NewSink(o)
	if err != nil {
		t.Fatal(err)
	}
	if s.o.TransactionTimeout != DefaultTransactionTimeout || s.o.PoolSize != DefaultPoolSize {
		t.Fatalf("defaults: %+v", s.o)
	}
	if g, err := ParseGuarantee("exactly-once"); err != nil || g != ExactlyOnce || g.String() != "exactly-once" {
		t.Fatalf("ParseGuarantee: %v %v", g, err)
	}
	if _, err := ParseGuarantee("twice"); err == nil {
		t.Fatal("ParseGuarantee accepts twice")
	}
}

// TestSinkAtLeastOnce: everything written is acknowledged at Flush and
// readable; keys pick partitions like the Java client (murmur2), an
// explicit partition wins, key, headers and timestamp are kept.
func TestSinkAtLeastOnce(t *testing.T) {
	c := newKfake(t, 4, []string{"t", "u"})
	s := mustSink(t, SinkOptions[string]{Cluster: c, Topic: "t", Serializer: func(v string, ts int64) (*Record, error) {
		r := &Record{Partition: -1, Key: []byte(v), Value: []byte(v), Headers: []connector.Header{{Key: "h", Value: []byte("x" + v)}}}
		if strings.HasPrefix(v, "p2-") {
			r.Partition, r.Topic = 2, "u"
		}
		return r, nil
	}})
	w, err := s.Open(context.Background(), connector.SinkInfo{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	var want, want2 []string
	for i := range 500 {
		want = append(want, fmt.Sprintf("k%04d", i))
		want2 = append(want2, fmt.Sprintf("p2-%04d", i))
	}
	writeAll(t, w, want...)
	writeAll(t, w, want2...)
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// connector.BytesWriter: key and value v, header "h": "x"+v.
	var wantBytes int64
	for _, v := range append(slices.Clone(want), want2...) {
		wantBytes += int64(2*len(v)) + int64(1+1+len(v))
	}
	if n := w.(connector.BytesWriter).BytesWritten(); n != wantBytes {
		t.Fatalf("BytesWritten %d, want %d", n, wantBytes)
	}
	if err := w.(connector.TransactionalWriter[string]).Close(); err != nil {
		t.Fatal(err)
	}
	rs := readTopic(t, c, "t", false)
	if got := values(rs); !equalSorted(got, want) {
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	hash := kgo.KafkaHasher(murmur2)
	for _, r := range rs {
		if int(r.Partition) != hash(r.Key, 4) {
			t.Fatalf("key %q in partition %d, murmur2 says %d", r.Key, r.Partition, hash(r.Key, 4))
		}
		if len(r.Headers) != 1 || string(r.Headers[0].Value) != "x"+string(r.Value) || r.Timestamp.UnixMilli() != 1_700_000_000_000 {
			t.Fatalf("record %q: headers %v timestamp %v", r.Value, r.Headers, r.Timestamp)
		}
	}
	rs = readTopic(t, c, "u", false)
	if got := values(rs); !equalSorted(got, want2) {
		t.Fatalf("topic u: read %d records, want %d", len(got), len(want2))
	}
	for _, r := range rs {
		if r.Partition != 2 {
			t.Fatalf("record %q in partition %d, want 2", r.Value, r.Partition)
		}
	}
}

// murmur2 is Kafka's hash (Utils.murmur2), to check the partitions
// independently of the client's partitioner.
func murmur2(b []byte) uint32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	h := seed ^ uint32(len(b))
	for len(b) >= 4 {
		k := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
		b = b[4:]
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	switch len(b) {
	case 3:
		h ^= uint32(b[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(b[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(b[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

// TestSinkProduceErrorSurfaces: a record the broker rejects (partition
// out of range) fails the next Flush, and every call after it.
func TestSinkProduceErrorSurfaces(t *testing.T) {
	c := newKfake(t, 1, []string{"t"})
	s := mustSink(t, SinkOptions[string]{Cluster: c, Topic: "t", Serializer: func(v string, _ int64) (*Record, error) {
		return &Record{Partition: 5, Value: []byte(v)}, nil
	}})
	w, _ := s.Open(context.Background(), connector.SinkInfo{Parallelism: 1})
	writeAll(t, w, "a")
	err := w.Flush(context.Background())
	if err == nil || !strings.Contains(err.Error(), "kafka sink: produce to topic \"t\"") {
		t.Fatalf("Flush after a bad record: %v", err)
	}
	if err2 := w.Write("b", 0); err2 == nil {
		t.Fatal("Write after a produce error succeeds")
	}
	_ = w.Close()
}

// TestSinkExactlyOnce: read_committed readers see nothing before Commit
// and everything after it; Commit twice, and again from a new Sink (the
// raw EndTxn path), is a no-op; transactional ids are reused across many
// committed checkpoints; Close aborts the open transaction.
func TestSinkExactlyOnce(t *testing.T) {
	ctx := context.Background()
	c := newKfake(t, 3, []string{"t"})
	o := eoOptions(c, "t", "eo")
	s := mustSink(t, o)
	w := openTx(t, s, 0, 1)
	var want []string
	for ck := int64(1); ck <= 8; ck++ {
		var batch []string
		for i := range 20 {
			batch = append(batch, fmt.Sprintf("c%02d-%02d", ck, i))
		}
		writeAll(t, w, batch...)
		cm, err := w.PreCommit(ctx, ck)
		if err != nil {
			t.Fatalf("checkpoint %d: %v", ck, err)
		}
		if ck == 1 {
			if got := readTopic(t, c, "t", true); len(got) != 0 {
				t.Fatalf("read_committed sees %d records before Commit", len(got))
			}
			if got := readTopic(t, c, "t", false); len(got) != 20 {
				t.Fatalf("read_uncommitted sees %d records of the open transaction, want 20", len(got))
			}
		}
		want = append(want, batch...)
		if err := s.Commit(ctx, [][]byte{cm}); err != nil {
			t.Fatal(err)
		}
		if ck == 1 {
			if got := values(readTopic(t, c, "t", true)); !equalSorted(got, want) {
				t.Fatalf("read_committed after Commit: %d records, want %d", len(got), len(want))
			}
		}
		if err := s.Commit(ctx, [][]byte{cm}); err != nil {
			t.Fatalf("second commit: %v", err)
		}
		s2 := mustSink(t, o)
		if err := s2.Commit(ctx, [][]byte{cm}); err != nil {
			t.Fatalf("commit by a new sink (after a restore): %v", err)
		}
	}
	writeAll(t, w, "aborted")
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := values(readTopic(t, c, "t", true)); !equalSorted(got, want) {
		t.Fatalf("read_committed: %d records, want %d", len(got), len(want))
	}
	noOpenTransaction(t, c, "t")
	if got := values(readTopic(t, c, "t", false)); !slices.Contains(got, "aborted") {
		t.Fatal("read_uncommitted does not see the aborted record")
	}
}

// TestSinkRestart: a writer pre-commits checkpoint 1, writes on in a new
// transaction and the process dies. A new Sink commits checkpoint 1 by
// raw EndTxn, AbortExcept aborts the open transaction, whose records no
// read_committed reader ever sees, and does not block later commits.
func TestSinkRestart(t *testing.T) {
	ctx := context.Background()
	c := newKfake(t, 2, []string{"t"})
	o := eoOptions(c, "t", "rs")
	s := mustSink(t, o)
	w := openTx(t, s, 0, 2)
	w1 := openTx(t, s, 1, 2)
	writeAll(t, w, "one", "two")
	c1, err := w.PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	c1b, err := w1.PreCommit(ctx, 1) // nothing written: no transaction
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, w, "open")
	writeAll(t, w1, "open1")
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w1.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	crash(w)
	crash(w1)

	s2 := mustSink(t, o)
	keep := [][]byte{c1, c1b}
	if err := s2.Commit(ctx, keep); err != nil {
		t.Fatalf("commit of the restored checkpoint: %v", err)
	}
	if err := s2.AbortExcept(ctx, keep); err != nil {
		t.Fatal(err)
	}
	w2 := openTx(t, s2, 0, 2)
	writeAll(t, w2, "three")
	c2, err := w2.PreCommit(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Commit(ctx, [][]byte{c2}); err != nil {
		t.Fatal(err)
	}
	_ = w2.Close()
	noOpenTransaction(t, c, "t")
	if got := values(readTopic(t, c, "t", true)); !slices.Equal(got, []string{"one", "three", "two"}) {
		t.Fatalf("read_committed after the restore: %q", got)
	}
	if got := values(readTopic(t, c, "t", false)); !slices.Contains(got, "open") || !slices.Contains(got, "open1") {
		t.Fatalf("read_uncommitted: %q, want the aborted records too", got)
	}
	// Committing checkpoint 1 once more (a second crash before checkpoint 2
	// was known committed) still succeeds: its id was not reused.
	if err := mustSink(t, o).Commit(ctx, keep); err != nil {
		t.Fatalf("second restore of checkpoint 1: %v", err)
	}
}

// TestSinkAbortedIsLost: a pre-committed transaction that the broker
// aborted, by its timeout or by a fence, makes Commit fail with
// ErrDataLost, in process and after a restart.
func TestSinkAbortedIsLost(t *testing.T) {
	ctx := context.Background()
	c := newKfake(t, 1, []string{"t"})
	t.Run("expired", func(t *testing.T) {
		o := eoOptions(c, "t", "exp")
		o.TransactionTimeout = 100 * time.Millisecond
		s := mustSink(t, o)
		w := openTx(t, s, 0, 1)
		writeAll(t, w, "lost")
		cm, err := w.PreCommit(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		// Wait until the broker aborted it (the transaction state of kfake).
		for i := 0; ; i++ {
			time.Sleep(50 * time.Millisecond)
			if txnState(t, c, s.TransactionalID(0, 0)) != "Ongoing" {
				break
			}
			if i > 100 {
				t.Fatal("the transaction does not expire")
			}
		}
		err = mustSink(t, o).Commit(ctx, [][]byte{cm})
		if !errors.Is(err, ErrDataLost) || !strings.Contains(err.Error(), "expired after the transaction timeout 100ms") {
			t.Fatalf("commit after a restart: %v", err)
		}
		err = s.Commit(ctx, [][]byte{cm})
		if !errors.Is(err, ErrDataLost) {
			t.Fatalf("commit in process: %v", err)
		}
		t.Log(err)
		_ = w.Close()
	})
	t.Run("fenced", func(t *testing.T) {
		o := eoOptions(c, "t", "fen")
		s := mustSink(t, o)
		w := openTx(t, s, 0, 1)
		writeAll(t, w, "lost")
		cm, err := w.PreCommit(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.fence(ctx, s.TransactionalID(0, 0)); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, [][]byte{cm}); !errors.Is(err, ErrDataLost) {
			t.Fatalf("commit of a fenced transaction: %v", err)
		}
		// Initialised once more: the epoch moved on by two.
		if err := s.fence(ctx, s.TransactionalID(0, 0)); err != nil {
			t.Fatal(err)
		}
		err = mustSink(t, o).Commit(ctx, [][]byte{cm})
		if !errors.Is(err, ErrDataLost) || !strings.Contains(err.Error(), "newer epoch") {
			t.Fatalf("commit of a fenced transaction after a restart: %v", err)
		}
		_ = w.Close()
		if got := readTopic(t, c, "t", true); len(got) != 0 {
			t.Fatalf("read_committed sees %d records", len(got))
		}
	})
}

// txnState is the state DescribeTransactions reports for id.
func txnState(t *testing.T, c Cluster, id string) string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	d, err := kadm.NewClient(cl).DescribeTransactions(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d[id].State
}

// TestSinkTimeoutAboveBrokerMax: the broker's transaction.max.timeout.ms
// below TransactionTimeout fails the first Write clearly.
func TestSinkTimeoutAboveBrokerMax(t *testing.T) {
	c := newKfake(t, 1, []string{"t"}, kfake.BrokerConfigs(map[string]string{"transaction.max.timeout.ms": "60000"}))
	o := eoOptions(c, "t", "tmo")
	o.TransactionTimeout = 2 * time.Minute
	s := mustSink(t, o)
	_, err := s.Open(context.Background(), connector.SinkInfo{Parallelism: 1})
	if err == nil || !strings.Contains(err.Error(), "the broker rejected transaction timeout 2m0s: it is above the broker's transaction.max.timeout.ms") {
		t.Fatalf("Open: %v", err)
	}
}

// TestSinkPoolExhausted: with PoolSize 3, the third checkpoint that is
// not committed leaves no free id: the next transaction fails loudly.
func TestSinkPoolExhausted(t *testing.T) {
	ctx := context.Background()
	c := newKfake(t, 1, []string{"t"})
	s := mustSink(t, eoOptions(c, "t", "px"))
	w := openTx(t, s, 0, 1)
	defer w.Close()
	for ck := int64(1); ck <= 3; ck++ {
		writeAll(t, w, "r")
		if _, err := w.PreCommit(ctx, ck); err != nil {
			t.Fatalf("checkpoint %d: %v", ck, err)
		}
	}
	if err := w.Write("r", 0); !errors.Is(err, ErrPoolExhausted) {
		t.Fatalf("Write with the pool exhausted: %v", err)
	}
}

// TestDeadLetterSerializer: the original bytes and the strom.dlq.* headers.
func TestDeadLetterSerializer(t *testing.T) {
	c := newKfake(t, 2, []string{"dlq"})
	s := mustSink(t, SinkOptions[connector.DeadLetter]{Cluster: c, Serializer: DeadLetterSerializer("dlq")})
	w, err := s.Open(context.Background(), connector.SinkInfo{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	d := connector.DeadLetter{Key: []byte("k"), Value: []byte("{bad"), Headers: []connector.Header{{Key: "a", Value: []byte("b")}},
		Timestamp: 1_600_000_000_123, Source: "in", Split: "in-1", Partition: 1, Offset: 42, Operator: "kafka-source",
		Stage: "deserialize", ErrorClass: "json", Message: "unexpected end"}
	if err := w.Write(d, math.MinInt64); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rs := readTopic(t, c, "dlq", false)
	if len(rs) != 1 {
		t.Fatalf("%d records", len(rs))
	}
	r := rs[0]
	var hs []string
	for _, h := range r.Headers {
		hs = append(hs, h.Key+"="+string(h.Value))
	}
	want := []string{"a=b", "strom.dlq.source.topic=in", "strom.dlq.source.partition=1", "strom.dlq.source.offset=42",
		"strom.dlq.operator=kafka-source", "strom.dlq.stage=deserialize", "strom.dlq.error.class=json", "strom.dlq.error.message=unexpected end"}
	if string(r.Key) != "k" || string(r.Value) != "{bad" || r.Timestamp.UnixMilli() != 1_600_000_000_123 || !slices.Equal(hs, want) {
		t.Fatalf("dead letter record: key %q value %q ts %v headers %q", r.Key, r.Value, r.Timestamp, hs)
	}
}

func sinkJob(t *testing.T, c Cluster, topic string, par int, failAt int64, failed *atomic.Bool) error {
	const n = 3000
	s := mustSink(t, SinkOptions[string]{Cluster: c, Topic: topic, Serializer: strSerializer, Guarantee: ExactlyOnce,
		TransactionalIDPrefix: "job-" + topic, TransactionTimeout: time.Minute, CheckpointInterval: 30 * time.Millisecond, RestartTime: time.Second})
	env := stream.NewEnvironment(stream.Options{Parallelism: par,
		Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), Interval: 30 * time.Millisecond},
		Restart:     &stream.RestartStrategy{MaxAttempts: 3}})
	src := stream.FromGenerator(env, n, func(split int, i int64) string { return fmt.Sprintf("s%d-%05d", split, i) },
		stream.WatermarkStrategy[string]{})
	var seen atomic.Int64
	out := stream.Map(src, func(s string) string {
		k := seen.Add(1)
		if k%50 == 0 {
			time.Sleep(time.Millisecond)
		}
		if failAt > 0 && k == failAt && failed.CompareAndSwap(false, true) {
			panic("injected failure")
		}
		return s
	})
	stream.SinkTo[string](out, s, "kafka-sink")
	return env.Execute(context.Background())
}

// TestSinkJobExactlyOnce: a job failing once writes, as read_committed
// readers see it, exactly the output of a fault-free run.
func TestSinkJobExactlyOnce(t *testing.T) {
	c := newKfake(t, 3, []string{"gold", "out"})
	const par = 2
	var f0, failed atomic.Bool
	if err := sinkJob(t, c, "gold", par, 0, &f0); err != nil {
		t.Fatal(err)
	}
	if err := sinkJob(t, c, "out", par, 2000, &failed); err != nil {
		t.Fatal(err)
	}
	if !failed.Load() {
		t.Fatal("the failure was never injected")
	}
	noOpenTransaction(t, c, "gold")
	noOpenTransaction(t, c, "out")
	want := values(readTopic(t, c, "gold", true))
	got := values(readTopic(t, c, "out", true))
	if len(want) != 3000*par || !slices.Equal(got, want) {
		t.Fatalf("read_committed: %d records, want %d (fault-free %d)", len(got), 3000*par, len(want))
	}
	all := values(readTopic(t, c, "out", false))
	if !slices.Equal(slices.Compact(slices.Clone(all)), got) {
		t.Fatalf("read_uncommitted sees %d records (read_committed %d), not the same set", len(all), len(got))
	}
	t.Logf("aborted records in the log: %d", len(all)-len(got))
}

func BenchmarkSink(b *testing.B) {
	for _, g := range []Guarantee{AtLeastOnce, ExactlyOnce} {
		b.Run(g.String(), func(b *testing.B) {
			c := newKfake(b, 4, []string{"t"})
			o := eoOptions(c, "t", "bench")
			o.Guarantee = g
			o.Serializer = func(v string, _ int64) (*Record, error) { return &Record{Partition: -1, Value: []byte(v)}, nil }
			s := mustSink(b, o)
			w := openTx(b, s, 0, 1)
			ctx := context.Background()
			const perCheckpoint = 10_000
			v := strings.Repeat("x", 100)
			b.ResetTimer()
			for i := range b.N {
				if err := w.Write(v, 0); err != nil {
					b.Fatal(err)
				}
				if (i+1)%perCheckpoint == 0 || i == b.N-1 {
					cm, err := w.PreCommit(ctx, int64(i))
					if err != nil {
						b.Fatal(err)
					}
					if err := s.Commit(ctx, [][]byte{cm}); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			_ = w.Close()
		})
	}
}

// TestSinkPreKIP890: against a broker with Kafka 3.9's request versions
// (EndTxn v4: no epoch bump per transaction) a second commit at the same
// epoch is still a no-op, and an expired transaction (the timeout bumps
// the epoch) is still ErrDataLost.
func TestSinkPreKIP890(t *testing.T) {
	ctx := context.Background()
	c := newKfake(t, 2, []string{"t"}, kfake.MaxVersions(kversion.V3_9_0()))
	o := eoOptions(c, "t", "old")
	s := mustSink(t, o)
	w := openTx(t, s, 0, 1)
	writeAll(t, w, "a", "b")
	cm, err := w.PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := mustSink(t, o).Commit(ctx, [][]byte{cm}); err != nil {
			t.Fatalf("commit %d by a new sink: %v", i, err)
		}
	}
	if err := s.Commit(ctx, [][]byte{cm}); err != nil {
		t.Fatalf("commit in process after the resumed one: %v", err)
	}
	_ = w.Close()
	if got := values(readTopic(t, c, "t", true)); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("read_committed: %q", got)
	}

	o.TransactionalIDPrefix, o.TransactionTimeout = "old-exp", 100*time.Millisecond
	s = mustSink(t, o)
	w = openTx(t, s, 0, 1)
	writeAll(t, w, "lost")
	if cm, err = w.PreCommit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for i := 0; txnState(t, c, s.TransactionalID(0, 0)) == "Ongoing"; i++ {
		if i > 100 {
			t.Fatal("the transaction does not expire")
		}
		time.Sleep(50 * time.Millisecond)
	}
	err = mustSink(t, o).Commit(ctx, [][]byte{cm})
	if !errors.Is(err, ErrDataLost) || !strings.Contains(err.Error(), "newer epoch") {
		t.Fatalf("commit of an expired transaction: %v", err)
	}
	_ = w.Close()
}

// TestSinkCloseAfterCancelUnreachable: an at-least-once writer whose
// broker cannot be reached holds its records in Close's flush until the
// job is cancelled (Open's context), then returns: a cancelled job stops
// (streamsql's TestKafkaAtLeastOnceNoWarning hung in this flush).
func TestSinkCloseAfterCancelUnreachable(t *testing.T) {
	s := mustSink(t, SinkOptions[string]{Cluster: Cluster{Brokers: []string{"127.0.0.1:1"}}, Topic: "t", Serializer: strSerializer})
	ctx, cancel := context.WithCancel(context.Background())
	w, err := s.Open(ctx, connector.SinkInfo{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, w, "a")
	cancel()
	done := make(chan error, 1)
	go func() { done <- w.Close() }()
	select {
	case err := <-done:
		if err == nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("Close after a cancel with an unacknowledged record: %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute): // a deadlock, not a time limit: Close returns at once
		t.Fatal("Close did not return after the context was cancelled")
	}
}
