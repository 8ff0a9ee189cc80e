package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaParams size the Kafka kill test of a tier.
type kafkaParams struct {
	kills              int
	minDelay, maxDelay time.Duration
	rate               int // input records per second while the kills run
	keys               int
	badEvery           int // every n-th record is malformed JSON (dead letter)
}

// TestKillKafkaPipe (RELIABILITY P1 + P5 + D2 for Kafka): an in-process
// kfake broker; a producer appends keyed records with per-key sequence
// numbers (and some malformed ones) to "in" while the strom binary runs
// `strom kafka pipe` exactly-once into "out" with dead letters into "dlq",
// and is SIGKILLed N times at random. A read_committed reader tails "out"
// and "dlq" all along: it must never see a record twice (an aborted or
// replayed transaction would show as a duplicate) and, per key, sequence
// numbers must rise by exactly one (no loss, no reordering). At the end
// every input record is in "out" or "dlq" exactly once.
func TestKillKafkaPipe(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 tests of the strom binary: not with -short")
	}
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprintf("p=%d", par), func(t *testing.T) {
			t.Parallel()
			runKafkaKill(t, par, kafkaTier)
		})
	}
}

// kafkaValue is the JSON of an input record.
type kafkaValue struct {
	K   string `json:"k"`
	Seq int    `json:"seq"`
	N   int    `json:"n"` // global record number
}

func runKafkaKill(t *testing.T, par int, tier kafkaParams) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6b61))
	delays := uniformDelays(rng, tier.kills, tier.minDelay, tier.maxDelay)
	keyRng := rand.New(rand.NewPCG(uint64(seed), 0x6b6579)) // the producer's own
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "in", "out", "dlq"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := strings.Join(c.ListenAddrs(), ",")
	dir := t.TempDir()
	args := []string{"kafka", "pipe", "--brokers", brokers, "--from", "in", "--to", "out",
		"--on-error", "dlq", "--dlq-topic", "dlq", "--parallelism", strconv.Itoa(par),
		"--checkpoint-dir", filepath.Join(dir, "ck"), "--checkpoint-interval", "200ms",
		"--transaction-timeout", "2m", "--discovery-interval", "-1s"}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	// The producer: tier.rate records/s until stop, in batches every 10 ms.
	var produced, bad int
	var prodErr error
	stop := make(chan struct{})
	prodDone := make(chan struct{})
	seqs := make([]int, tier.keys)
	go func() {
		defer close(prodDone)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		per := max(tier.rate/100, 1)
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			var recs []*kgo.Record
			for range per {
				n := produced
				produced++
				k := keyRng.IntN(tier.keys)
				key := "k" + strconv.Itoa(k)
				var v []byte
				if tier.badEvery > 0 && n%tier.badEvery == tier.badEvery-1 {
					v = []byte(fmt.Sprintf(`{"k":"%s","n":%d,`, key, n)) // truncated JSON
					bad++
				} else {
					seqs[k]++
					v, _ = json.Marshal(kafkaValue{K: key, Seq: seqs[k], N: n})
				}
				recs = append(recs, &kgo.Record{Topic: "in", Key: []byte(key), Value: v})
			}
			if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				prodErr = err
				return
			}
		}
	}()

	rd := startKafkaReader(t, c.ListenAddrs())
	defer rd.close()

	var logs []string
	var procs []procStats
	for i, d := range delays {
		a := &attempt{}
		cmd, err := startChild(ctx, args, a)
		if err != nil {
			t.Fatal(err)
		}
		sampler := startProcSampler(cmd.Process.Pid, 20*time.Millisecond, false)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			t.Fatalf("attempt %d ended by itself (%v) before its kill at %v:\n%s", i, err, d, tail(a.stderr.Bytes(), 2000))
		case <-time.After(d):
		}
		procs = append(procs, sampler.snapshot())
		sampler.stop()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		logs = append(logs, tail(a.stderr.Bytes(), 600))
		t.Logf("kill %d/%d after %v (%v)", i+1, len(delays), d.Round(time.Millisecond), procs[i])
		if err := rd.failure(); err != nil {
			t.Fatalf("after kill %d: %v", i+1, err)
		}
	}
	close(stop)
	<-prodDone
	if prodErr != nil {
		t.Fatalf("producer: %v", prodErr)
	}
	good := produced - bad
	t.Logf("produced %d records (%d malformed) over %d kills", produced, bad, len(delays))

	// The final run: no kill; it must deliver the rest.
	a := &attempt{}
	fctx, fcancel := context.WithCancel(ctx)
	defer fcancel()
	cmd, err := startChild(fctx, args, a)
	if err != nil {
		t.Fatal(err)
	}
	sampler := startProcSampler(cmd.Process.Pid, 20*time.Millisecond, false)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(90 * time.Second)
	for {
		o, d := rd.counts()
		if o == good && d == bad {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("final run ended (%v) with %d/%d outputs and %d/%d dead letters:\n%s", err, o, good, d, bad, tail(a.stderr.Bytes(), 3000))
		case <-deadline:
			fcancel()
			<-done
			t.Fatalf("final run: %d/%d outputs and %d/%d dead letters after 90 s\n%s\nearlier runs:\n%s",
				o, good, d, bad, tail(a.stderr.Bytes(), 3000), strings.Join(logs, "\n---\n"))
		case <-time.After(20 * time.Millisecond):
		}
		if err := rd.failure(); err != nil {
			t.Fatal(err)
		}
	}
	procs = append(procs, sampler.snapshot())
	sampler.stop()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	<-done
	// Every child's memory and fds: its Kafka clients' connections make
	// the fd count vary by timing (33-41 in the short tier), so the bounds
	// are twice the file-sink tests'.
	checkProc(t, procs, procLimits{RSS: 512 << 20, FDs: 2 * p1FDs, FDGrowth: 2 * p1FDGrowth})
	// Anything more after a grace period would be a duplicate.
	time.Sleep(500 * time.Millisecond)
	if err := rd.failure(); err != nil {
		t.Fatal(err)
	}
	if o, d := rd.counts(); o != good || d != bad {
		t.Fatalf("after stopping: %d outputs (want %d), %d dead letters (want %d)", o, good, d, bad)
	}
	for k, s := range seqs {
		if got := rd.lastSeq("k" + strconv.Itoa(k)); got != s {
			t.Errorf("key k%d: last sequence %d, want %d", k, got, s)
		}
	}
}

// kafkaReader tails out and dlq read_committed and checks every record as
// it arrives.
type kafkaReader struct {
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	seq  map[string]int
	seen map[int]bool // global numbers of outputs and dead letters
	out  int
	dlq  int
	err  error
}

func startKafkaReader(t *testing.T, brokers []string) *kafkaReader {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("out", "dlq"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &kafkaReader{cl: cl, cancel: cancel, done: make(chan struct{}), seq: map[string]int{}, seen: map[int]bool{}}
	go r.loop(ctx)
	return r
}

func (r *kafkaReader) loop(ctx context.Context) {
	defer close(r.done)
	for {
		fs := r.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		fs.EachError(func(tp string, p int32, err error) {
			if r.err == nil {
				r.err = fmt.Errorf("reader: %s/%d: %w", tp, p, err)
			}
		})
		fs.EachRecord(func(rec *kgo.Record) {
			if r.err != nil {
				return
			}
			r.err = r.check(rec)
		})
		r.mu.Unlock()
	}
}

func (r *kafkaReader) check(rec *kgo.Record) error {
	if rec.Topic == "dlq" {
		hdr := map[string]string{}
		for _, h := range rec.Headers {
			hdr[h.Key] = string(h.Value)
		}
		if hdr["strom.dlq.source.topic"] != "in" || hdr["strom.dlq.error.class"] == "" || hdr["strom.dlq.source.offset"] == "" {
			return fmt.Errorf("dead letter without its headers: %q %v", rec.Value, hdr)
		}
		s := string(rec.Value)
		i := strings.Index(s, `"n":`)
		if i < 0 {
			return fmt.Errorf("dead letter %q is not an input record", s)
		}
		n, err := strconv.Atoi(strings.TrimSuffix(s[i+4:], ","))
		if err != nil {
			return fmt.Errorf("dead letter %q is not an input record", s)
		}
		if r.seen[n] {
			return fmt.Errorf("dead letter of record %d seen twice (dlq offset %d)", n, rec.Offset)
		}
		r.seen[n] = true
		r.dlq++
		return nil
	}
	var v kafkaValue
	if err := json.Unmarshal(rec.Value, &v); err != nil {
		return fmt.Errorf("output %q at offset %d: %v", rec.Value, rec.Offset, err)
	}
	if r.seen[v.N] {
		return fmt.Errorf("record %d (key %s seq %d) seen twice in out (partition %d offset %d): a duplicate or an aborted transaction was read", v.N, v.K, v.Seq, rec.Partition, rec.Offset)
	}
	if want := r.seq[v.K] + 1; v.Seq != want {
		return fmt.Errorf("key %s: sequence %d after %d (partition %d offset %d): lost or reordered", v.K, v.Seq, want-1, rec.Partition, rec.Offset)
	}
	r.seen[v.N] = true
	r.seq[v.K] = v.Seq
	r.out++
	return nil
}

func (r *kafkaReader) counts() (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out, r.dlq
}

func (r *kafkaReader) lastSeq(k string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq[k]
}

func (r *kafkaReader) failure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *kafkaReader) close() {
	r.cancel()
	r.cl.Close()
	<-r.done
}
