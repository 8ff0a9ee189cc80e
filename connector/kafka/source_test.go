package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// fakeCluster starts an in-process kfake broker with the topics seeded.
func fakeCluster(t testing.TB, partitions int32, topics ...string) Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return Cluster{Brokers: c.ListenAddrs()}
}

func client(t testing.TB, c Cluster, extra ...kgo.Opt) *kgo.Client {
	t.Helper()
	o, err := c.opts(extra...)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(o...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produce writes values to topic/partition synchronously, with timestamps
// 1000*i ms.
func produce(t testing.TB, cl *kgo.Client, topic string, part int32, vals ...string) {
	t.Helper()
	var recs []*kgo.Record
	for _, v := range vals {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: part, Value: []byte(v), Key: []byte("k" + v),
			Headers: []kgo.RecordHeader{{Key: "h", Value: []byte(v)}}, Timestamp: time.UnixMilli(tsOf(v))})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// tsOf derives a record timestamp from a value "x<digits>".
func tsOf(v string) int64 {
	n, _ := strconv.ParseInt(strings.ReplaceAll(strings.TrimLeft(v, "abcdefghijklmnopqrstuvwxyz"), "-", ""), 10, 64)
	return 1000 * n
}

func manualPartitioner() kgo.Opt { return kgo.RecordPartitioner(kgo.ManualPartitioner()) }

var stringValues Deserializer[string] = func(r *Record) (string, error) {
	if strings.HasPrefix(string(r.Value), "bad") {
		return "", fmt.Errorf("value %q is bad", r.Value)
	}
	return string(r.Value), nil
}

// readN reads from r until it has n values or the reader ends; it fails
// the test after 20 s without progress (a hang, not a speed check).
func readN(t *testing.T, r connector.Reader[string], n int) ([]string, []int64, error) {
	t.Helper()
	var out []string
	var tss []int64
	buf := make([]string, 7)
	ts := make([]int64, 7)
	deadline := time.After(20 * time.Second)
	for len(out) < n {
		m := min(len(buf), n-len(out))
		k, err := r.(connector.Timestamped[string]).ReadTimestamped(context.Background(), buf[:m], ts[:m])
		out = append(out, buf[:k]...)
		tss = append(tss, ts[:k]...)
		if err != nil {
			return out, tss, err
		}
		if k == 0 {
			select {
			case <-r.(connector.Notifier).Ready():
			case <-time.After(5 * time.Millisecond):
			case <-deadline:
				t.Fatalf("read %d of %d records, then nothing for 20 s", len(out), n)
			}
		}
	}
	return out, tss, nil
}

func open(t *testing.T, s *Source[string], sp connector.Split, pos []byte) connector.Reader[string] {
	t.Helper()
	r, err := s.Open(context.Background(), sp, pos)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func TestSourceSplitsAndPositions(t *testing.T) {
	c := fakeCluster(t, 3, "orders", "orders-2")
	cl := client(t, c, manualPartitioner())
	for p := range int32(3) {
		produce(t, cl, "orders", p, fmt.Sprintf("p%d-1", p), fmt.Sprintf("p%d-2", p), fmt.Sprintf("p%d-3", p))
	}
	s, err := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"orders"}, Deserializer: stringValues})
	if err != nil {
		t.Fatal(err)
	}
	splits, err := s.Splits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sp := range splits {
		ids = append(ids, sp.ID)
	}
	if got := strings.Join(ids, ","); got != "orders-0,orders-1,orders-2" {
		t.Fatalf("splits %s", got)
	}
	r := open(t, s, splits[1], nil)
	got, ts, err := readN(t, r, 2)
	if err != nil || strings.Join(got, ",") != "p1-1,p1-2" || ts[1] != tsOf("p1-2") {
		t.Fatalf("read %v %v %v", got, ts, err)
	}
	pos := r.Position()
	if next, _ := decodePos(pos); next != 2 {
		t.Fatalf("position %d, want 2", next)
	}
	_ = r.Close()
	// Reopening at the position continues right after the last record.
	r = open(t, s, splits[1], pos)
	produce(t, cl, "orders", 1, "p1-4")
	got, _, err = readN(t, r, 2)
	if err != nil || strings.Join(got, ",") != "p1-3,p1-4" {
		t.Fatalf("after reopen %v %v", got, err)
	}
	// A bounded source ends at the end offset seen when the split opened.
	b, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"orders"}, Deserializer: stringValues, Bounded: true})
	r = open(t, b, splits[2], nil)
	got, _, err = readN(t, r, 10)
	if !errors.Is(err, io.EOF) || len(got) != 3 {
		t.Fatalf("bounded read %v %v", got, err)
	}
	// connector.BytesReader: key "k"+v, value v, header "h": v per record.
	var wantBytes int64
	for _, v := range got {
		wantBytes += int64(1+len(v)) + int64(len(v)) + int64(1+len(v))
	}
	if n := r.(connector.BytesReader).BytesRead(); n != wantBytes {
		t.Fatalf("BytesRead %d, want %d", n, wantBytes)
	}
	// Topic patterns match whole names.
	pt, _ := NewSource(SourceOptions[string]{Cluster: c, TopicPattern: "orders-.*", Deserializer: stringValues})
	if sp, err := pt.Splits(context.Background()); err != nil || len(sp) != 3 || sp[0].ID != "orders-2-0" {
		t.Fatalf("pattern splits %v %v", sp, err)
	}
	// A topic that does not exist is an error naming it.
	nt, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"nope"}, Deserializer: stringValues})
	if _, err := nt.Splits(context.Background()); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("missing topic: %v", err)
	}
}

func TestSourceStartOffsets(t *testing.T) {
	c := fakeCluster(t, 1, "t")
	cl := client(t, c, manualPartitioner())
	produce(t, cl, "t", 0, "v1", "v2", "v3", "v4")
	sp := partitionSplit("t", 0)
	adm := kadm.NewClient(cl)
	var os kadm.Offsets
	os.AddOffset("t", 0, 3, -1)
	if _, err := adm.CommitOffsets(context.Background(), "g", os); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		start string
		want  string
	}{
		{"earliest", "v1"},
		{"timestamp:2500", "v3"},
		{"committed", "v4"},
		{"offsets:t/0=1", "v2"},
	} {
		st, err := ParseStart(tc.start)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, Start: st, Group: "g"})
		if err != nil {
			t.Fatal(err)
		}
		got, _, _ := readN(t, open(t, s, sp, nil), 1)
		if got[0] != tc.want {
			t.Errorf("start %s: first %s, want %s", tc.start, got[0], tc.want)
		}
	}
	s, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, Start: Start{Kind: StartLatest}})
	r := open(t, s, sp, nil)
	produce(t, cl, "t", 0, "v5")
	if got, _, _ := readN(t, r, 1); got[0] != "v5" {
		t.Errorf("latest: %v", got)
	}
	// A partition new since the job started is read from its beginning.
	nr, err := s.OpenNew(context.Background(), sp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nr.Close() })
	if got, _, _ := readN(t, nr, 1); got[0] != "v1" {
		t.Errorf("OpenNew with start latest: first %v, want v1", got)
	}
	for _, bad := range []string{"newest", "timestamp:x", "offsets:t=1", "offsets:t/0"} {
		if _, err := ParseStart(bad); err == nil {
			t.Errorf("ParseStart(%q) accepted", bad)
		}
	}
	if _, err := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, Start: Start{Kind: StartCommitted}}); err == nil {
		t.Error("committed start without group accepted")
	}
}

func TestSourceReadCommitted(t *testing.T) {
	c := fakeCluster(t, 1, "t")
	plain := client(t, c, manualPartitioner())
	produce(t, plain, "t", 0, "a1")
	txn := func(commit bool, vals ...string) {
		cl := client(t, c, manualPartitioner(), kgo.TransactionalID("tx"))
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		produce(t, cl, "t", 0, vals...)
		if err := cl.EndTransaction(context.Background(), kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
		cl.Close()
	}
	txn(false, "x1", "x2")
	txn(true, "c1", "c2")
	produce(t, plain, "t", 0, "a2")
	s, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues})
	r := open(t, s, partitionSplit("t", 0), nil)
	got, _, err := readN(t, r, 4)
	if err != nil || strings.Join(got, ",") != "a1,c1,c2,a2" {
		t.Fatalf("read_committed got %v %v", got, err)
	}
	// Offsets: a1=0, x1..x2=1..2, abort marker 3, c1..c2=4..5, commit marker 6, a2=7.
	if next, _ := decodePos(r.Position()); next != 8 {
		t.Fatalf("position %d, want 8", next)
	}
	// "latest" under read_committed is the last stable offset: a
	// transaction open at that moment is read once it commits.
	open1 := client(t, c, manualPartitioner(), kgo.TransactionalID("tx2"))
	if err := open1.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	produce(t, open1, "t", 0, "o1", "o2")
	l, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, Start: Start{Kind: StartLatest}})
	lr := open(t, l, partitionSplit("t", 0), nil)
	if err := open1.EndTransaction(context.Background(), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	if got, _, err := readN(t, lr, 2); err != nil || strings.Join(got, ",") != "o1,o2" {
		t.Fatalf("latest with an open transaction: %v %v", got, err)
	}
	u, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, ReadUncommitted: true})
	got, _, _ = readN(t, open(t, u, partitionSplit("t", 0), nil), 6)
	if strings.Join(got, ",") != "a1,x1,x2,c1,c2,a2" {
		t.Fatalf("read_uncommitted got %v", got)
	}
}

func TestSourceOnError(t *testing.T) {
	c := fakeCluster(t, 1, "t")
	cl := client(t, c, manualPartitioner())
	produce(t, cl, "t", 0, "v1", "bad2", "v3", "bad4", "v5")
	sp := partitionSplit("t", 0)

	s, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues})
	r := open(t, s, sp, nil)
	got, _, err := readN(t, r, 5)
	if err == nil || strings.Join(got, ",") != "v1" {
		t.Fatalf("fail: got %v %v", got, err)
	}
	for _, want := range []string{`topic "t"`, "partition 0", "offset 1", `value "bad2" is bad`, "on-error=fail"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if next, _ := decodePos(r.Position()); next != 1 {
		t.Errorf("fail: position %d, want 1 (at the bad record)", next)
	}
	if _, err2 := r.Read(context.Background(), make([]string, 4)); err2 == nil {
		t.Error("a failed reader read on")
	}

	s, _ = NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, OnError: connector.Skip})
	got, _, _ = readN(t, open(t, s, sp, nil), 3)
	if strings.Join(got, ",") != "v1,v3,v5" || s.Skipped() != 2 {
		t.Fatalf("skip: got %v, skipped %d", got, s.Skipped())
	}

	s, _ = NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, OnError: connector.DeadLetterQueue})
	r = open(t, s, sp, nil)
	got, _, _ = readN(t, r, 3)
	dl := r.(connector.DeadLetterReader).TakeDeadLetters(nil)
	if strings.Join(got, ",") != "v1,v3,v5" || len(dl) != 2 {
		t.Fatalf("dlq: got %v, %d dead letters", got, len(dl))
	}
	d := dl[1]
	if string(d.Value) != "bad4" || string(d.Key) != "kbad4" || d.Offset != 3 || d.Source != "t" || d.Split != "t-0" ||
		d.Timestamp != 4000 || d.Stage != "deserialize" || d.ErrorClass != "deserialize" || len(d.Headers) != 1 {
		t.Fatalf("dead letter %+v", d)
	}
	if len(r.(connector.DeadLetterReader).TakeDeadLetters(nil)) != 0 {
		t.Fatal("dead letters handed out twice")
	}
}

func TestSourceDiscoveryAndCommit(t *testing.T) {
	c := fakeCluster(t, 1, "t")
	cl := client(t, c, manualPartitioner())
	s, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, Group: "lag", CommitOffsets: true})
	if s.DiscoveryInterval() != DefaultDiscoveryInterval {
		t.Fatal("discovery interval default")
	}
	adm := kadm.NewClient(cl)
	if _, err := adm.CreatePartitions(context.Background(), 2, "t"); err != nil {
		t.Fatal(err)
	}
	splits, err := s.Discover(context.Background())
	if err != nil || len(splits) != 3 || splits[2].ID != "t-2" {
		t.Fatalf("discover %v %v", splits, err)
	}
	produce(t, cl, "t", 2, "v1", "v2")
	r := open(t, s, splits[2], nil)
	readN(t, r, 2)
	if err := r.(connector.CheckpointListener).CheckpointComplete(context.Background(), 7, r.Position()); err != nil {
		t.Fatal(err)
	}
	or, err := adm.FetchOffsets(context.Background(), "lag")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := or.Lookup("t", 2); !ok || o.At != 2 {
		t.Fatalf("committed offset %+v %v", o, ok)
	}
}

func TestSourceBadRatioGuard(t *testing.T) {
	c := fakeCluster(t, 1, "t")
	cl := client(t, c, manualPartitioner())
	var vals []string
	for i := range 60 {
		if i%2 == 1 {
			vals = append(vals, fmt.Sprintf("bad%d", i))
		} else {
			vals = append(vals, fmt.Sprintf("v%d", i))
		}
	}
	produce(t, cl, "t", 0, vals...)
	if _, err := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, MaxBadRatio: 2}); err == nil {
		t.Fatal("MaxBadRatio 2 accepted")
	}
	s, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, OnError: connector.Skip, MaxBadRatio: 0.2})
	got, _, err := readN(t, open(t, s, partitionSplit("t", 0), nil), 30)
	if err == nil || !strings.Contains(err.Error(), "11 of 22 records read since the partition opened were bad (50.0%), over MaxBadRatio 20.0% (on-error=skip)") {
		t.Fatalf("guard: %d read, err %v", len(got), err)
	}
	if len(got) != 11 {
		t.Fatalf("read %d good records before the guard tripped, want 11", len(got))
	}
	s, _ = NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, OnError: connector.Skip, MaxBadRatio: 0.6})
	if got, _, err := readN(t, open(t, s, partitionSplit("t", 0), nil), 30); err != nil || len(got) != 30 {
		t.Fatalf("under the guard: %d read, err %v", len(got), err)
	}
}

// TestSourceOffsetOutOfRange: a checkpointed offset whose records retention
// deleted fails loudly with what happened and what to do, never skips.
func TestSourceOffsetOutOfRange(t *testing.T) {
	c := fakeCluster(t, 1, "t")
	cl := client(t, c, manualPartitioner())
	produce(t, cl, "t", 0, "v1", "v2", "v3", "v4")
	var os kadm.Offsets
	os.AddOffset("t", 0, 3, -1)
	if _, err := kadm.NewClient(cl).DeleteRecords(context.Background(), os); err != nil {
		t.Fatal(err)
	}
	s, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues})
	r := open(t, s, partitionSplit("t", 0), encodePos(1))
	_, _, err := readN(t, r, 1)
	if err == nil || !strings.Contains(err.Error(), "offset 1 is out of range: the records from there are gone") {
		t.Fatalf("err %v", err)
	}
}

// TestSourceLiveLag: connector.LagReader reports the reader's position and
// the end its fetches carried (no request of its own): 15 pending after 5 of
// 20 records, 0 once caught up, also after more records came; a bounded
// split knows its end before its first fetch.
func TestSourceLiveLag(t *testing.T) {
	c := fakeCluster(t, 1, "t")
	cl := client(t, c, manualPartitioner())
	var vals []string
	for i := range 20 {
		vals = append(vals, fmt.Sprintf("v%d", i+1))
	}
	produce(t, cl, "t", 0, vals...)
	s, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues})
	r := open(t, s, partitionSplit("t", 0), nil)
	lag := func(want connector.SplitLag) {
		t.Helper()
		got, ok := r.(connector.LagReader).SplitLag()
		if !ok || got != want {
			t.Fatalf("SplitLag %+v %v, want %+v", got, ok, want)
		}
	}
	if _, _, err := readN(t, r, 5); err != nil {
		t.Fatal(err)
	}
	lag(connector.SplitLag{Connector: "kafka", Topic: "t", Partition: 0, Position: 5, End: 20})
	if l, _ := r.(connector.LagReader).SplitLag(); l.Pending() != 15 {
		t.Fatalf("pending %d, want 15", l.Pending())
	}
	if _, _, err := readN(t, r, 15); err != nil {
		t.Fatal(err)
	}
	lag(connector.SplitLag{Connector: "kafka", Topic: "t", Partition: 0, Position: 20, End: 20})
	produce(t, cl, "t", 0, "v21", "v22", "v23")
	if _, _, err := readN(t, r, 3); err != nil {
		t.Fatal(err)
	}
	lag(connector.SplitLag{Connector: "kafka", Topic: "t", Partition: 0, Position: 23, End: 23})

	// A partition with nothing to read gets no fetch response with records:
	// the end listed at the open says it is not behind.
	l, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, Start: Start{Kind: StartLatest}})
	if got, ok := open(t, l, partitionSplit("t", 0), nil).(connector.LagReader).SplitLag(); !ok || got.Position != 23 || got.End != 23 {
		t.Fatalf("at the end: SplitLag %+v %v", got, ok)
	}

	b, _ := NewSource(SourceOptions[string]{Cluster: c, Topics: []string{"t"}, Deserializer: stringValues, Bounded: true, ReadUncommitted: true})
	br := open(t, b, partitionSplit("t", 0), nil)
	if l, ok := br.(connector.LagReader).SplitLag(); !ok || l.Position != 0 || l.End != 23 || l.Pending() != 23 {
		t.Fatalf("bounded SplitLag %+v %v", l, ok)
	}
}
