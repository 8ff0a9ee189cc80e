package cli

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kcat runs the kcat binary (Debian package kcat; scripts/test.sh installs
// it) with args and stdin, and returns its stdout.
func kcat(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat is not installed: scripts/test.sh installs it (apt-get install kcat): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// TestKafkaPipeKcat is the interoperability test: kcat (librdkafka, an
// independent client) produces into a kfake broker on a loopback port,
// `strom kafka pipe` copies exactly-once, and kcat reads the output back
// read_committed: the same keys and values, each once.
func TestKafkaPipeKcat(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "in", "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	var in []string
	for i := range 300 {
		in = append(in, fmt.Sprintf(`user%d:{"user":"user%d","n":%d}`, i%7, i%7, i))
	}
	kcat(t, strings.Join(in, "\n")+"\n", "-P", "-b", addr, "-t", "in", "-K", ":")

	cfg := pipeConfig{Brokers: []string{addr}, From: "in", To: "out", Format: "json", Guarantee: "exactly-once",
		Start: "earliest", OnError: "fail", Parallelism: 2, Bounded: true, TxnTimeout: time.Minute, RestartGuess: time.Second,
		Discovery: -1}
	cfg.Checkpoint = checkpointFlags{Dir: filepath.Join(t.TempDir(), "ck"), Interval: 50 * time.Millisecond,
		Timeout: time.Minute, Retained: 2}
	var log bytes.Buffer
	if err := runKafkaPipe(context.Background(), &log, cfg); err != nil {
		t.Fatalf("pipe: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "done: 300 records read, 300 written, 0 bad") {
		t.Errorf("summary: %s", log.String())
	}
	got := strings.Split(strings.TrimSpace(kcat(t, "", "-C", "-b", addr, "-t", "out", "-o", "beginning", "-e", "-q",
		"-X", "isolation.level=read_committed", "-f", "%k:%s\n")), "\n")
	slices.Sort(got)
	slices.Sort(in)
	if !slices.Equal(got, in) {
		t.Fatalf("kcat read %d records back, want %d:\n got %q\nwant %q", len(got), len(in), got[:min(5, len(got))], in[:5])
	}
}

// TestKafkaPipeWindow counts per key in event-time windows and checks the
// exact result, with a bad record sent to the dead-letter topic.
func TestKafkaPipeWindow(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "clicks", "counts", "dlq"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := range 40 {
		v := fmt.Sprintf(`{"user":"u%d","i":%d}`, i%3, i)
		if i == 17 {
			v = `{"no_user":true}`
		}
		recs = append(recs, &kgo.Record{Topic: "clicks", Key: []byte(fmt.Sprint(i % 3)), Value: []byte(v),
			Timestamp: time.UnixMilli(int64(i) * 250)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cfg := pipeConfig{Brokers: c.ListenAddrs(), From: "clicks", To: "counts", Format: "json", Guarantee: "exactly-once",
		Start: "earliest", OnError: "dlq", DLQTopic: "dlq", Parallelism: 2, Bounded: true, TxnTimeout: time.Minute,
		RestartGuess: time.Second, Window: 5 * time.Second, KeyField: "user", Discovery: -1}
	cfg.Checkpoint = checkpointFlags{Dir: filepath.Join(t.TempDir(), "ck"), Interval: 50 * time.Millisecond,
		Timeout: time.Minute, Retained: 2}
	var log bytes.Buffer
	if err := runKafkaPipe(context.Background(), &log, cfg); err != nil {
		t.Fatalf("pipe: %v\n%s", err, log.String())
	}
	rd, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("counts", "dlq"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var got []string
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	collect := func(r *kgo.Record) {
		if r.Topic == "dlq" {
			h := map[string]string{}
			for _, x := range r.Headers {
				h[x.Key] = string(x.Value)
			}
			got = append(got, fmt.Sprintf("dlq %s %s@%t %s", r.Value, h["strom.dlq.source.topic"], h["strom.dlq.source.offset"] != "", h["strom.dlq.error.message"]))
			return
		}
		got = append(got, string(r.Value))
	}
	for len(got) < 7 && ctx.Err() == nil {
		rd.PollFetches(ctx).EachRecord(collect)
	}
	drain(rd, collect)
	slices.Sort(got)
	// 40 records at 250 ms: windows [0,5s) with i 0..19 and [5s,10s) with
	// 20..39; record 17 (user u2) is bad.
	want := []string{
		`dlq {"no_user":true} clicks@true value has no field "user" to count by`,
		`{"key":"u0","window_start":0,"window_end":5000,"count":7}`,
		`{"key":"u0","window_start":5000,"window_end":10000,"count":7}`,
		`{"key":"u1","window_start":0,"window_end":5000,"count":7}`,
		`{"key":"u1","window_start":5000,"window_end":10000,"count":6}`,
		`{"key":"u2","window_start":0,"window_end":5000,"count":5}`,
		`{"key":"u2","window_start":5000,"window_end":10000,"count":7}`,
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// createTopic creates topic name with parts partitions.
func createTopic(t testing.TB, cl *kgo.Client, name string, parts int32) {
	t.Helper()
	resp, err := kadm.NewClient(cl).CreateTopic(context.Background(), parts, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
}

// TestKafkaPipeBrokerRestart: the broker (kfake persisting to a directory)
// stops and starts again on the same port while `strom kafka pipe` copies
// exactly-once and a producer keeps writing. The job rides it out (client
// retries, or a restart from its checkpoint) and a read_committed reader
// of the output gets every input record exactly once.
func TestKafkaPipeBrokerRestart(t *testing.T) {
	data := t.TempDir()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DataDir(data), kfake.SeedTopics(2, "in", "out"))
	if err != nil {
		t.Fatal(err)
	}
	addr := c.ListenAddrs()[0]
	_, portStr, _ := strings.Cut(addr, ":")
	var port int
	if _, err := fmt.Sscan(portStr, &port); err != nil || port == 0 {
		t.Fatalf("kfake address %q: no port", addr)
	}
	defer func() { c.Close() }()

	prod, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordDeliveryTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	sent := 0
	produceN := func(n int) {
		var recs []*kgo.Record
		for range n {
			recs = append(recs, &kgo.Record{Topic: "in", Key: []byte(fmt.Sprint(sent % 10)), Value: []byte(fmt.Sprintf(`{"n":%d}`, sent))})
			sent++
		}
		if err := prod.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produceN(500)

	cfg := pipeConfig{Brokers: []string{addr}, From: "in", To: "out", Format: "json", Guarantee: "exactly-once",
		Start: "earliest", OnError: "fail", Parallelism: 2, TxnTimeout: time.Minute, RestartGuess: time.Second, Discovery: -1}
	cfg.Checkpoint = checkpointFlags{Dir: filepath.Join(t.TempDir(), "ck"), Interval: 100 * time.Millisecond,
		Timeout: time.Minute, Retained: 2, RestartAttempts: 30, RestartDelay: 200 * time.Millisecond, RestartBackoff: 1}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log syncBuffer
	done := make(chan error, 1)
	go func() { done <- runKafkaPipe(ctx, &log, cfg) }()

	seen := map[string]int{}
	rd, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("out"), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	readUntil := func(n int) {
		rctx, rcancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer rcancel()
		for len(seen) < n && rctx.Err() == nil {
			rd.PollFetches(rctx).EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++ })
		}
		if len(seen) < n {
			t.Fatalf("read %d distinct outputs, want %d; job log:\n%s", len(seen), n, log.String())
		}
	}
	readUntil(500)
	c.Close()
	time.Sleep(300 * time.Millisecond) // the broker is down for a moment
	c, err = kfake.NewCluster(kfake.NumBrokers(1), kfake.DataDir(data), kfake.Ports(port))
	if err != nil {
		t.Fatal(err)
	}
	produceN(500)
	readUntil(1000)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("pipe: %v\n%s", err, log.String())
	}
	drain(rd, func(r *kgo.Record) { seen[string(r.Value)]++ })
	for v, n := range seen {
		if n != 1 {
			t.Errorf("output %s read %d times", v, n)
		}
	}
	if len(seen) != sent {
		t.Errorf("%d distinct outputs, %d sent", len(seen), sent)
	}
}

// TestKafkaPipePoisonPill (RELIABILITY D3): a malformed record sits after
// checkpointed progress. With on-error fail the job stops at it, and a
// restart from the checkpoint stops at it again with the same error (it
// never half-skips); switched to dlq, the restarted job gets past it: the
// record lands in the dead-letter topic once and everything else in the
// output once.
func TestKafkaPipePoisonPill(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "in", "out", "dlq"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	produceRange := func(from, to int) {
		var recs []*kgo.Record
		for i := from; i < to; i++ {
			v := fmt.Sprintf(`{"n":%d}`, i)
			if i == 150 {
				v = `{"n":150` // truncated
			}
			recs = append(recs, &kgo.Record{Topic: "in", Value: []byte(v)})
		}
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	ck := filepath.Join(t.TempDir(), "ck")
	cfg := pipeConfig{Brokers: c.ListenAddrs(), From: "in", To: "out", Format: "json", Guarantee: "exactly-once",
		Start: "earliest", OnError: "fail", Parallelism: 1, TxnTimeout: time.Minute, RestartGuess: time.Second, Discovery: -1,
		Bounded: true, Checkpoint: checkpointFlags{Dir: ck, Interval: 20 * time.Millisecond, Timeout: time.Minute, Retained: 2}}
	// The first 150 records, then the job ends with a checkpoint at offset 150.
	produceRange(0, 150)
	var first bytes.Buffer
	if err := runKafkaPipe(context.Background(), &first, cfg); err != nil {
		t.Fatalf("first run: %v\n%s", err, first.String())
	}
	produceRange(150, 200)
	var errs []string
	for range 2 {
		var log bytes.Buffer
		err := runKafkaPipe(context.Background(), &log, cfg)
		if err == nil {
			t.Fatalf("on-error fail went past the bad record:\n%s", log.String())
		}
		if !strings.Contains(log.String(), "restoring from checkpoint") {
			t.Fatalf("the run did not restore the first run's checkpoint:\n%s", log.String())
		}
		errs = append(errs, err.Error())
	}
	if errs[0] != errs[1] || !strings.Contains(errs[0], `topic "in" partition 0 offset 150: bad record`) {
		t.Fatalf("errors of the two runs:\n%s\n%s", errs[0], errs[1])
	}
	cfg.OnError, cfg.DLQTopic = "dlq", "dlq"
	var log bytes.Buffer
	if err := runKafkaPipe(context.Background(), &log, cfg); err != nil {
		t.Fatalf("dlq run: %v\n%s", err, log.String())
	}
	rd, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("out", "dlq"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	seen := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for len(seen) < 200 && ctx.Err() == nil {
		rd.PollFetches(ctx).EachRecord(func(r *kgo.Record) { seen[r.Topic+" "+string(r.Value)]++ })
	}
	drain(rd, func(r *kgo.Record) { seen[r.Topic+" "+string(r.Value)]++ })
	if len(seen) != 200 || seen[`dlq {"n":150`] != 1 {
		t.Fatalf("%d distinct records in out and dlq, dead letter seen %d times", len(seen), seen[`dlq {"n":150`])
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", k, n)
		}
	}
}

// drain polls cl until a poll brings nothing for a second, calling fn for
// every record: what a test reads after its expected count, to see
// duplicates that arrive later.
func drain(cl *kgo.Client, fn func(*kgo.Record)) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		if fs.NumRecords() == 0 {
			return
		}
		fs.EachRecord(fn)
	}
}
