package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// cpuSeconds is the user+system CPU time of this process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkKafkaPipe measures `strom kafka pipe` (bounded) over an
// in-process kfake broker: pass-through and a keyed 1 s window, each
// exactly-once and at-least-once, with 200-byte JSON values in 4 partitions
// at parallelism 2. records/s is wall time; records/cpu-s divides by the
// CPU time of the whole process, which includes the kfake broker.
//
//	go test -run '^$' -bench KafkaPipe -benchtime 1x -count 3 ./internal/cli
func BenchmarkKafkaPipe(b *testing.B) {
	const n = 200_000
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "in"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	pad := bytes.Repeat([]byte("x"), 140)
	for i := 0; i < n; i += 5000 {
		var recs []*kgo.Record
		for j := i; j < i+5000; j++ {
			v := fmt.Sprintf(`{"user":"u%04d","seq":%d,"pad":"%s"}`, j%1000, 10_000_000+j, pad)
			recs = append(recs, &kgo.Record{Topic: "in", Key: []byte(fmt.Sprint(j % 1000)), Value: []byte(v),
				Timestamp: time.UnixMilli(int64(j))})
		}
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			b.Fatal(err)
		}
	}
	for _, mode := range []struct {
		name   string
		window time.Duration
	}{{"passthrough", 0}, {"window", time.Second}} {
		for _, g := range []string{"exactly-once", "at-least-once"} {
			b.Run(mode.name+"/"+g, func(b *testing.B) {
				for i := range b.N {
					out := fmt.Sprintf("out-%s-%s-%d-%d", mode.name, g, i, time.Now().UnixNano())
					cfg := pipeConfig{Brokers: c.ListenAddrs(), From: "in", To: out, Format: "json", Guarantee: g,
						Start: "earliest", OnError: "fail", Parallelism: 2, Bounded: true, TxnTimeout: time.Minute,
						RestartGuess: time.Second, Discovery: -1, Window: mode.window}
					if mode.window > 0 {
						cfg.KeyField = "user"
					}
					cfg.Checkpoint = checkpointFlags{Dir: filepath.Join(b.TempDir(), "ck"), Interval: time.Second,
						Timeout: time.Minute, Retained: 2}
					adm, _ := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
					createTopic(b, adm, out, 4)
					adm.Close()
					var log bytes.Buffer
					cpu0, t0 := cpuSeconds(), time.Now()
					if err := runKafkaPipe(context.Background(), &log, cfg); err != nil {
						b.Fatalf("%v\n%s", err, log.String())
					}
					wall, cpu := time.Since(t0).Seconds(), cpuSeconds()-cpu0
					if !strings.Contains(log.String(), fmt.Sprintf("done: %d records read", n)) {
						b.Fatalf("not all %d records read: %s", n, log.String())
					}
					b.ReportMetric(n/wall, "records/s")
					b.ReportMetric(n/cpu, "records/cpu-s")
				}
			})
		}
	}
}
