package journal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// L11 (RELIABILITY.md): a Jepsen-style queue test of the journal's HTTP
// API. A child process (this test binary re-executed) serves a durable
// journal; 4 producers append unique values, 4 consumers each read one
// partition by offset, and a nemesis SIGKILLs the child, pauses it
// (SIGSTOP/SIGCONT) or restarts it cleanly (SIGTERM). After the load the
// consumers catch up, a drain reads every partition from the start and
// checkQueue looks for lost writes, duplicates, inconsistent offsets,
// non-monotonic polls, poll skips and unseen values. Alongside, the child
// commits and aborts transactions on a second topic that consumers read
// read_committed: checkTxn looks for aborted reads (G1a), lost committed
// writes, duplicates and inconsistent offsets there.
//
// Normal tier: 20 s of load, pauses of 0.1-1 s. Long tier (-long or
// JOURNAL_L11_LONG=1): 5 min, pauses of 0.1-5 s.
// -seed replays the nemesis schedule (the interleaving of the clients is
// not deterministic).

const (
	l11ChildEnv    = "STROM_JOURNAL_L11_CHILD"
	l11Topic       = "q"
	l11Partitions  = 4
	l11Producers   = 4
	l11AddrPrefix  = "L11ADDR "
	l11ReqTimeout  = 2 * time.Second
	l11StartupWait = 30 * time.Second

	// The transactional part (G1a): the child runs transactions on their
	// own topic, commits two of three and aborts the third, and prints
	// each committed value after Commit returned; the parent reads the
	// topic read_committed. A value names its transaction's fate: "txc-"
	// committed (when Commit returns), "txa-" aborted, so reading a "txa-"
	// value is an aborted read whatever the child managed to print.
	l11TxnTopic      = "qt"
	l11TxnPartitions = 2
	l11TxnPrefix     = "L11TXC "
	l11TxnStopLine   = "L11TXSTOP"
)

// produce outcomes
const (
	opAcked = iota
	opFailed
	opIndeterminate
)

type l11Op struct {
	value  string
	status int
	part   int
	offset int64
}

type l11Obs struct {
	offset int64
	value  string
}

// l11Server is the current child: its base URL changes on every restart.
type l11Server struct {
	url atomic.Pointer[string]
}

func (s *l11Server) base() string { return *s.url.Load() }

func TestL11Queue(t *testing.T) {
	if dir := os.Getenv(l11ChildEnv); dir != "" {
		l11Child(dir)
		return
	}
	if testing.Short() {
		t.Skip("child process")
	}
	sd := seed(t)
	load, maxPause := 20*time.Second, time.Second
	if *longFlag || os.Getenv("JOURNAL_L11_LONG") == "1" {
		load, maxPause = 5*time.Minute, 5*time.Second // pauses longer than a request's timeout
	}
	rng := rand.New(rand.NewPCG(sd, 11))
	dir := t.TempDir()

	// ---- the child
	var srv l11Server
	var cmd *exec.Cmd
	// The transactions' values the children reported committed, and a
	// signal when one saw the stop file.
	var txnMu sync.Mutex
	var committed []string
	txnStopped := make(chan struct{})
	var txnStopOnce sync.Once
	var waitc chan error
	stderr := &logBuf{}
	start := func() {
		t.Helper()
		cmd = exec.Command(os.Args[0], "-test.run=^TestL11Queue$")
		cmd.Env = append(os.Environ(), l11ChildEnv+"="+dir)
		cmd.Stderr = stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		addr := make(chan string, 1)
		// Wait only after the output is read to its end (os/exec: Wait
		// closes the pipe, and a last line still unread would be lost, a
		// committed transaction taken for a lost write).
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if a, ok := strings.CutPrefix(sc.Text(), l11AddrPrefix); ok {
					addr <- a
					break
				}
			}
			close(addr)
			for sc.Scan() {
				line := sc.Text()
				if v, ok := strings.CutPrefix(line, l11TxnPrefix); ok {
					txnMu.Lock()
					committed = append(committed, v)
					txnMu.Unlock()
				} else if line == l11TxnStopLine {
					txnStopOnce.Do(func() { close(txnStopped) })
				}
			}
			_, _ = io.Copy(io.Discard, out)
		}()
		waitc = make(chan error, 1)
		c := cmd
		go func() { <-readDone; waitc <- c.Wait() }()
		select {
		case a, ok := <-addr:
			if !ok {
				t.Fatalf("the child exited before serving: %v\n%s", <-waitc, tail11(stderr.String()))
			}
			u := "http://" + a
			srv.url.Store(&u)
		case <-time.After(l11StartupWait):
			_ = cmd.Process.Kill()
			t.Fatalf("the child did not serve within %v\n%s", l11StartupWait, tail11(stderr.String()))
		}
	}
	wait := func(what string) {
		t.Helper()
		select {
		case <-waitc:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-waitc
			t.Fatalf("the child did not exit within 20s after %s\n%s", what, tail11(stderr.String()))
		}
	}
	start()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGCONT)
			_ = cmd.Process.Kill()
			<-waitc
		}
	}()

	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	client := &http.Client{Transport: tr, Timeout: l11ReqTimeout}
	defer tr.CloseIdleConnections()

	// ---- producers
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	ops := make([][]l11Op, l11Producers)
	for i := range l11Producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stopLoad:
					return
				default:
				}
				op := l11Produce(client, srv.base(), fmt.Sprintf("p%d-%d", i, n))
				ops[i] = append(ops[i], op)
				if op.status == opAcked {
					time.Sleep(time.Millisecond)
				} else {
					time.Sleep(10 * time.Millisecond) // the child is down or paused
				}
			}
		}()
	}

	// ---- consumers: each owns one partition (assign) and polls by offset
	// from the next offset of its last poll.
	obs := make([][]l11Obs, l11Partitions)
	next := make([]int64, l11Partitions)
	var out416 atomic.Int64
	var catchUp atomic.Pointer[[]int64] // the end offsets to reach once the load is over
	consumersDone := make(chan struct{})
	var cwg sync.WaitGroup
	for p := range l11Partitions {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			for {
				if ends := catchUp.Load(); ends != nil && next[p] >= (*ends)[p] {
					return
				}
				select {
				case <-consumersDone:
					return
				default:
				}
				recs, nxt, status := l11Fetch(client, srv.base(), p, next[p])
				switch {
				case status == http.StatusRequestedRangeNotSatisfiable:
					out416.Add(1)
					time.Sleep(50 * time.Millisecond)
					continue
				case status != http.StatusOK:
					time.Sleep(20 * time.Millisecond)
					continue
				}
				obs[p] = append(obs[p], recs...)
				next[p] = nxt
				if len(recs) == 0 {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}

	// ---- transaction consumers: read_committed, one per partition of
	// the transactional topic, until they reach txnEnds.
	txObs := make([][]l11Obs, l11TxnPartitions)
	txNext := make([]int64, l11TxnPartitions)
	var txnEnds atomic.Pointer[[]int64]
	txnConsumersDone := make(chan struct{})
	var twg sync.WaitGroup
	for p := range l11TxnPartitions {
		twg.Add(1)
		go func() {
			defer twg.Done()
			for {
				if ends := txnEnds.Load(); ends != nil && txNext[p] >= (*ends)[p] {
					return
				}
				select {
				case <-txnConsumersDone:
					return
				default:
				}
				recs, nxt, status := l11FetchFrom(client, srv.base(), l11TxnTopic, "read_committed", p, txNext[p])
				if status != http.StatusOK {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				txObs[p] = append(txObs[p], recs...)
				txNext[p] = nxt
				if len(recs) == 0 {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}

	// ---- nemesis
	counts := map[string]int{}
	// The schedule's time excludes the restarts, so that -seed replays the
	// same faults however long the child takes to start.
	var sched time.Duration
	for {
		d := time.Duration(rng.ExpFloat64() * float64(2*time.Second))
		d = min(max(d, 200*time.Millisecond), 8*time.Second)
		if sched+d > load {
			time.Sleep(load - sched)
			break
		}
		sched += d
		time.Sleep(d)
		switch k := rng.IntN(3); k {
		case 0:
			_ = cmd.Process.Kill()
			wait("SIGKILL")
			start()
			counts["kill"]++
		case 1:
			pause := 100*time.Millisecond + time.Duration(rng.Int64N(int64(maxPause-100*time.Millisecond)))
			_ = cmd.Process.Signal(syscall.SIGSTOP)
			time.Sleep(pause)
			sched += pause
			_ = cmd.Process.Signal(syscall.SIGCONT)
			counts["pause"]++
		case 2:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			wait("SIGTERM")
			if st := cmd.ProcessState; !st.Success() {
				t.Errorf("clean restart: the child exited with %v\n%s", st, tail11(stderr.String()))
			}
			start()
			counts["restart"]++
		}
	}
	close(stopLoad)
	wg.Wait()
	// The child's transactions stop at a transaction's end.
	if err := os.WriteFile(dir+".txnstop", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case <-txnStopped:
	case <-time.After(30 * time.Second):
		t.Fatalf("the child's transactions did not stop within 30s\n%s", tail11(stderr.String()))
	}

	// ---- the consumers catch up with the final end offsets, then the drain.
	ends := make([]int64, l11Partitions)
	for p := range l11Partitions {
		ends[p] = l11End(t, client, srv.base(), p)
	}
	catchUp.Store(&ends)
	caught := make(chan struct{})
	go func() { cwg.Wait(); close(caught) }()
	select {
	case <-caught:
	case <-time.After(30 * time.Second):
		close(consumersDone)
		<-caught
		t.Errorf("the consumers did not reach the end offsets %v within 30s: at %v", ends, next)
	}
	final := make([][]l11Obs, l11Partitions)
	for p := range l11Partitions {
		for off := int64(0); off < ends[p]; {
			recs, nxt, status := l11Fetch(client, srv.base(), p, off)
			if status != http.StatusOK || nxt <= off {
				t.Fatalf("drain of partition %d at offset %d: status %d, next %d", p, off, status, nxt)
			}
			final[p] = append(final[p], recs...)
			off = nxt
		}
	}
	// The same for the transactional topic, read_committed: no transaction
	// is open now, so the consumers and the drain reach the end offsets.
	tends := make([]int64, l11TxnPartitions)
	for p := range l11TxnPartitions {
		tends[p] = l11EndOf(t, client, srv.base(), l11TxnTopic, p)
	}
	txnEnds.Store(&tends)
	tcaught := make(chan struct{})
	go func() { twg.Wait(); close(tcaught) }()
	select {
	case <-tcaught:
	case <-time.After(30 * time.Second):
		close(txnConsumersDone)
		<-tcaught
		t.Errorf("the transaction consumers did not reach the end offsets %v within 30s: at %v", tends, txNext)
	}
	txFinal := make([][]l11Obs, l11TxnPartitions)
	for p := range l11TxnPartitions {
		for off := int64(0); off < tends[p]; {
			recs, nxt, status := l11FetchFrom(client, srv.base(), l11TxnTopic, "read_committed", p, off)
			if status != http.StatusOK || nxt <= off {
				t.Fatalf("read_committed drain of %s partition %d at offset %d: status %d, next %d", l11TxnTopic, p, off, status, nxt)
			}
			txFinal[p] = append(txFinal[p], recs...)
			off = nxt
		}
	}
	var all []l11Op
	for _, o := range ops {
		all = append(all, o...)
	}
	r := checkQueue(all, obs, final)
	r.out416 = int(out416.Load())
	txnMu.Lock()
	checkTxn(r, slices.Clone(committed), txObs, txFinal)
	txnMu.Unlock()
	t.Logf("L11: seed %d, load %v, nemesis %v; %s", sd, load, counts, r)
	if r.failures() {
		t.Errorf("L11 checker found anomalies (replay: -seed %d):\n%s", sd, strings.Join(r.examples, "\n"))
	}
	if r.acked == 0 {
		t.Errorf("no write was acked")
	}
	if r.txnCommitted == 0 || r.txnObserved == 0 {
		t.Errorf("no transaction was reported committed (%d) or read (%d)", r.txnCommitted, r.txnObserved)
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	wait("the final SIGTERM")
}

func tail11(s string) string {
	if len(s) > 3000 {
		s = s[len(s)-3000:]
	}
	return s
}

// l11Produce POSTs one value (no key, no partition: round robin) and
// classifies the reply: acked on 200 with an offset; failed when the
// request certainly did nothing (connection refused, a 4xx); else
// indeterminate (a timeout, a cut connection, a 5xx: the journal says a
// failed Append may or may not be stored).
func l11Produce(c *http.Client, base, v string) l11Op {
	op := l11Op{value: v, status: opIndeterminate, part: -1, offset: -1}
	body, _ := json.Marshal(map[string]any{"records": []map[string]any{{"value": v}}})
	resp, err := c.Post(base+"/topics/"+l11Topic+"/records", "application/json", bytes.NewReader(body))
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			op.status = opFailed
		}
		return op
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode == http.StatusOK && err == nil:
		var out struct {
			Offsets []httpOffsets `json:"offsets"`
		}
		if json.Unmarshal(b, &out) == nil && len(out.Offsets) == 1 && out.Offsets[0].First == out.Offsets[0].Last {
			op.status, op.part, op.offset = opAcked, out.Offsets[0].Partition, out.Offsets[0].First
		}
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		op.status = opFailed
	}
	return op
}

// l11Fetch GETs the records of partition p from offset; status 0 is a
// transport error.
func l11Fetch(c *http.Client, base string, p int, offset int64) ([]l11Obs, int64, int) {
	return l11FetchFrom(c, base, l11Topic, "read_uncommitted", p, offset)
}

// l11FetchFrom is l11Fetch of any topic with an isolation level.
func l11FetchFrom(c *http.Client, base, topic, isolation string, p int, offset int64) ([]l11Obs, int64, int) {
	resp, err := c.Get(base + "/topics/" + topic + "/partitions/" + strconv.Itoa(p) + "/records?max=200&isolation=" + isolation + "&offset=" + strconv.FormatInt(offset, 10))
	if err != nil {
		return nil, 0, 0
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, 0
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, resp.StatusCode
	}
	var out struct {
		Records []struct {
			Partition int             `json:"partition"`
			Offset    int64           `json:"offset"`
			Value     json.RawMessage `json:"value"`
		} `json:"records"`
		NextOffset int64 `json:"next_offset"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, 0, 0
	}
	recs := make([]l11Obs, 0, len(out.Records))
	for _, r := range out.Records {
		var v string
		if json.Unmarshal(r.Value, &v) != nil || r.Partition != p {
			v = fmt.Sprintf("?bad(partition %d, value %s)", r.Partition, r.Value)
		}
		recs = append(recs, l11Obs{r.Offset, v})
	}
	return recs, out.NextOffset, http.StatusOK
}

// l11End is the end offset of partition p (GET /topics), retried while
// the child comes up.
func l11End(t *testing.T, c *http.Client, base string, p int) int64 {
	t.Helper()
	return l11EndOf(t, c, base, l11Topic, p)
}

// l11EndOf is l11End of any topic.
func l11EndOf(t *testing.T, c *http.Client, base, topic string, p int) int64 {
	t.Helper()
	for range 100 {
		resp, err := c.Get(base + "/topics")
		if err == nil {
			var out struct {
				Topics []httpTopicInfo `json:"topics"`
			}
			err = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if err == nil {
				for _, ti := range out.Topics {
					if ti.Name == topic && p < len(ti.Partitions) {
						return ti.Partitions[p].EndOffset
					}
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no end offset of partition %d", p)
	return 0
}

// l11Result counts the checker's findings.
type l11Result struct {
	acked, failed, indeterminate, indeterminateStored int
	finalRecords, observed                            int
	lost, duplicate, inconsistent, nonmonotonic       int
	pollSkip, unseen, failedStored, unknown, holes    int
	out416                                            int
	txnCommitted, txnObserved                         int
	g1a, txnLost, txnDuplicate, txnInconsistent       int
	txnNonmonotonic, txnPollSkip, txnUnseen           int
	examples                                          []string
}

func (r *l11Result) String() string {
	return fmt.Sprintf("acked %d, failed %d, indeterminate %d (%d stored); final log %d records, consumers observed %d; "+
		"lost-write %d, duplicate %d, inconsistent-offsets %d, nonmonotonic-poll %d, poll-skip %d, unseen %d, "+
		"failed-but-stored %d, unknown-value %d, holes %d, consumer-416 %d; "+
		"transactions: %d committed values reported, %d read_committed reads, G1a %d, lost-write %d, duplicate %d, inconsistent-offsets %d, nonmonotonic-poll %d, poll-skip %d, unseen %d",
		r.acked, r.failed, r.indeterminate, r.indeterminateStored, r.finalRecords, r.observed,
		r.lost, r.duplicate, r.inconsistent, r.nonmonotonic, r.pollSkip, r.unseen,
		r.failedStored, r.unknown, r.holes, r.out416,
		r.txnCommitted, r.txnObserved, r.g1a, r.txnLost, r.txnDuplicate, r.txnInconsistent, r.txnNonmonotonic, r.txnPollSkip, r.txnUnseen)
}

func (r *l11Result) failures() bool {
	return r.lost+r.duplicate+r.inconsistent+r.nonmonotonic+r.pollSkip+r.unseen+r.failedStored+r.unknown+r.holes+r.out416+
		r.g1a+r.txnLost+r.txnDuplicate+r.txnInconsistent+r.txnNonmonotonic+r.txnPollSkip+r.txnUnseen > 0
}

func (r *l11Result) example(format string, args ...any) {
	if len(r.examples) < 20 {
		r.examples = append(r.examples, fmt.Sprintf(format, args...))
	}
}

type l11Pos struct {
	part   int
	offset int64
}

// checkQueue is the queue checker (after Jepsen's Kafka workload):
//   - lost-write: an acked value missing from the final log;
//   - duplicate: a value at two offsets (in the final log or across all
//     reads); producers do not retry, so any value is written at most once;
//   - inconsistent-offsets: an acked offset holding another value, or one
//     offset read with two values (a consumer's read, the drain), or an
//     offset a consumer read that the final log does not have;
//   - nonmonotonic-poll: a consumer's offsets not strictly increasing (no
//     consumer is ever reassigned or restarted);
//   - poll-skip: a consumer moving past offsets that the final log has;
//   - unseen: an acked value no consumer observed (the consumers read up to
//     the final end offsets before the drain);
//   - failed-but-stored: a value whose produce certainly failed, in the log;
//   - unknown-value: a value no producer sent; holes: missing offsets in a
//     partition of the final log.
func checkQueue(ops []l11Op, obs, final [][]l11Obs) *l11Result {
	r := &l11Result{}
	finalAt := map[l11Pos]string{}
	finalPos := map[string][]l11Pos{}
	for p, recs := range final {
		for i, o := range recs {
			if o.offset != int64(i) {
				r.holes++
				r.example("hole: partition %d has offset %d at index %d", p, o.offset, i)
			}
			pos := l11Pos{p, o.offset}
			finalAt[pos] = o.value
			finalPos[o.value] = append(finalPos[o.value], pos)
			r.finalRecords++
		}
	}
	sent := map[string]l11Op{}
	for _, op := range ops {
		sent[op.value] = op
		switch op.status {
		case opAcked:
			r.acked++
		case opFailed:
			r.failed++
		case opIndeterminate:
			r.indeterminate++
		}
	}
	for v, pos := range finalPos {
		if len(pos) > 1 {
			r.duplicate++
			r.example("duplicate: %s at %v", v, pos)
		}
		op, ok := sent[v]
		switch {
		case !ok:
			r.unknown++
			r.example("unknown value %q at %v", v, pos)
		case op.status == opFailed:
			r.failedStored++
			r.example("failed-but-stored: %s at %v", v, pos)
		case op.status == opIndeterminate:
			r.indeterminateStored++
		}
	}
	// every read of each offset, and where each value was read
	seenAt := map[l11Pos]string{}
	seenPos := map[string]l11Pos{}
	observed := map[string]bool{}
	for p, recs := range obs {
		prev := int64(-1)
		for _, o := range recs {
			r.observed++
			observed[o.value] = true
			pos := l11Pos{p, o.offset}
			if v, ok := seenAt[pos]; ok && v != o.value {
				r.inconsistent++
				r.example("inconsistent: partition %d offset %d read as %s and %s", p, o.offset, v, o.value)
			}
			seenAt[pos] = o.value
			if q, ok := seenPos[o.value]; ok && q != pos {
				r.duplicate++
				r.example("duplicate: %s read at %v and %v", o.value, q, pos)
			}
			seenPos[o.value] = pos
			if fv, ok := finalAt[pos]; !ok {
				r.inconsistent++
				r.example("inconsistent: partition %d offset %d (%s) was read but is not in the final log", p, o.offset, o.value)
			} else if fv != o.value {
				r.inconsistent++
				r.example("inconsistent: partition %d offset %d read as %s, final log has %s", p, o.offset, o.value, fv)
			}
			if o.offset <= prev {
				r.nonmonotonic++
				r.example("nonmonotonic-poll: partition %d offset %d after %d", p, o.offset, prev)
			} else if o.offset > prev+1 {
				skipped := 0
				for off := prev + 1; off < o.offset; off++ {
					if _, ok := finalAt[l11Pos{p, off}]; ok {
						skipped++
					}
				}
				if skipped > 0 {
					r.pollSkip++
					r.example("poll-skip: partition %d from %d to %d skips %d offsets of the final log", p, prev, o.offset, skipped)
				}
			}
			prev = max(prev, o.offset)
		}
	}
	for _, op := range ops {
		if op.status != opAcked {
			continue
		}
		pos := l11Pos{op.part, op.offset}
		if _, ok := finalPos[op.value]; !ok {
			r.lost++
			r.example("lost-write: %s acked at %v", op.value, pos)
		} else if fv := finalAt[pos]; fv != op.value {
			r.inconsistent++
			r.example("inconsistent: %s acked at %v, which holds %q", op.value, pos, fv)
		}
		if !observed[op.value] {
			r.unseen++
			r.example("unseen: %s acked at %v", op.value, pos)
		}
	}
	slices.Sort(r.examples)
	return r
}

// l11Child serves a durable journal on a loopback port until SIGTERM
// (a clean Close) or SIGKILL.
func l11Child(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "l11 child:", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	j, err := Open(dir, Options{Logger: logger, SegmentBytes: 64 << 10})
	if err != nil {
		fail(err)
	}
	if err := j.CreateTopic(l11Topic, l11Partitions); err != nil && !errors.Is(err, ErrTopicExists) {
		fail(err)
	}
	if err := j.CreateTopic(l11TxnTopic, l11TxnPartitions); err != nil && !errors.Is(err, ErrTopicExists) {
		fail(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hs := &http.Server{Handler: NewHandler(j, HandlerOptions{Context: ctx, Logger: logger}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	fmt.Printf("%s%s\n", l11AddrPrefix, ln.Addr())
	txnDone := make(chan struct{})
	go func() {
		defer close(txnDone)
		l11Transactions(ctx, j, dir+".txnstop")
	}()
	<-sig
	cancel()
	<-txnDone
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := hs.Shutdown(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "l11 child: shutdown:", err)
	}
	if err := j.Close(); err != nil {
		fail(err)
	}
	os.Exit(0)
}

// l11Transactions runs transactions on l11TxnTopic until ctx ends or the
// file stop exists: transaction n writes 1 to 3 values over the
// partitions and commits them ("txc-...", printed after Commit returned)
// or, every third, aborts them ("txa-..."). It prints l11TxnStopLine when
// it stops for the file. The producer's name is the same in every child,
// so a child's new epoch aborts a transaction a killed one left open.
func l11Transactions(ctx context.Context, j *Journal, stop string) {
	var pr *Producer
	for n := 0; ctx.Err() == nil; n++ {
		if pr == nil {
			var err error
			if pr, err = j.NewTransactionalProducer(ctx, "l11-txn"); err != nil {
				pr = nil
				time.Sleep(10 * time.Millisecond)
				continue
			}
		}
		if _, err := os.Stat(stop); err == nil {
			fmt.Println(l11TxnStopLine)
			return
		}
		fate := "txc"
		if n%3 == 0 {
			fate = "txa"
		}
		var vals []string
		err := pr.Begin()
		for i := 0; err == nil && i <= n%3; i++ {
			v := fmt.Sprintf("%s-%d-%d-%d", fate, os.Getpid(), n, i)
			b, _ := json.Marshal(v)
			_, err = pr.Append(ctx, l11TxnTopic, (n+i)%l11TxnPartitions, Record{Value: b})
			vals = append(vals, v)
		}
		switch {
		case err != nil:
			_ = pr.Abort(ctx)
			pr = nil // a fresh epoch, whatever state the failure left
		case fate == "txa":
			if pr.Abort(ctx) != nil {
				pr = nil
			}
		default:
			if pr.Commit(ctx) != nil {
				pr = nil
				break
			}
			for _, v := range vals {
				fmt.Println(l11TxnPrefix + v)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkTxn checks the transactional topic: committed lists the values
// whose Commit returned (some may be missing from it: printed lines a kill
// cut off); obs the consumers' read_committed reads per partition, final
// the read_committed drain.
//   - G1a (aborted read): a "txa-" value read, or in the drain;
//   - lost-write: a committed value missing from the drain;
//   - duplicate: a value at two offsets;
//   - inconsistent-offsets: an offset read with another value than the
//     drain has there, or one the drain does not have (a read of records
//     that were aborted later);
//   - nonmonotonic-poll and poll-skip of a consumer: its offsets not
//     strictly increasing, or moving past an offset the drain has;
//   - unseen: a committed value no consumer read.
func checkTxn(r *l11Result, committed []string, obs, final [][]l11Obs) {
	finalAt := map[l11Pos]string{}
	finalPos := map[string]l11Pos{}
	aborted := func(v string) bool { return strings.HasPrefix(v, "txa-") }
	for p, recs := range final {
		for _, o := range recs {
			pos := l11Pos{p, o.offset}
			finalAt[pos] = o.value
			if q, ok := finalPos[o.value]; ok {
				r.txnDuplicate++
				r.example("txn duplicate: %s at %v and %v", o.value, q, pos)
			}
			finalPos[o.value] = pos
			if aborted(o.value) {
				r.g1a++
				r.example("G1a: aborted %s in the read_committed drain at %v", o.value, pos)
			}
		}
	}
	seen := map[string]bool{}
	for p, recs := range obs {
		prev := int64(-1)
		for _, o := range recs {
			r.txnObserved++
			seen[o.value] = true
			pos := l11Pos{p, o.offset}
			if o.offset <= prev {
				r.txnNonmonotonic++
				r.example("txn nonmonotonic-poll: partition %d offset %d after %d", p, o.offset, prev)
			} else {
				for off := prev + 1; off < o.offset; off++ {
					if v, ok := finalAt[l11Pos{p, off}]; ok {
						r.txnPollSkip++
						r.example("txn poll-skip: partition %d from %d to %d skips offset %d (%s)", p, prev, o.offset, off, v)
						break
					}
				}
			}
			prev = max(prev, o.offset)
			if aborted(o.value) {
				r.g1a++
				r.example("G1a: aborted %s read at %v", o.value, pos)
			}
			if fv, ok := finalAt[pos]; !ok || fv != o.value {
				r.txnInconsistent++
				r.example("txn inconsistent: %v read as %s, the drain has %q", pos, o.value, fv)
			}
		}
	}
	for _, v := range committed {
		r.txnCommitted++
		if _, ok := finalPos[v]; !ok {
			r.txnLost++
			r.example("txn lost-write: %s committed, not in the drain", v)
		}
		if !seen[v] {
			r.txnUnseen++
			r.example("txn unseen: %s committed, read by no consumer", v)
		}
	}
}

// The checker finds each anomaly in a made-up history.
func TestL11Checker(t *testing.T) {
	acked := func(v string, p int, off int64) l11Op { return l11Op{v, opAcked, p, off} }
	ok := []l11Op{acked("a", 0, 0), acked("b", 0, 1), acked("c", 1, 0)}
	log := [][]l11Obs{{{0, "a"}, {1, "b"}}, {{0, "c"}}}
	if r := checkQueue(ok, log, log); r.failures() || r.acked != 3 {
		t.Fatalf("a clean history: %s %v", r, r.examples)
	}
	for _, tc := range []struct {
		name       string
		ops        []l11Op
		obs, final [][]l11Obs
		count      func(r *l11Result) int
	}{
		{"lost-write", ok, log, [][]l11Obs{{{0, "a"}}, {{0, "c"}}}, func(r *l11Result) int { return r.lost }},
		{"duplicate", ok, log, [][]l11Obs{{{0, "a"}, {1, "b"}, {2, "a"}}, {{0, "c"}}}, func(r *l11Result) int { return r.duplicate }},
		{"inconsistent acked offset", []l11Op{acked("a", 0, 1), acked("b", 0, 0), acked("c", 1, 0)}, log, log, func(r *l11Result) int { return r.inconsistent }},
		{"inconsistent reads", ok, [][]l11Obs{{{0, "a"}, {1, "c"}}, {{0, "c"}}}, log, func(r *l11Result) int { return r.inconsistent }},
		{"nonmonotonic-poll", ok, [][]l11Obs{{{1, "b"}, {0, "a"}}, {{0, "c"}}}, log, func(r *l11Result) int { return r.nonmonotonic }},
		{"poll-skip", ok, [][]l11Obs{{{1, "b"}}, {{0, "c"}}}, log, func(r *l11Result) int { return r.pollSkip }},
		{"unseen", ok, [][]l11Obs{{{0, "a"}, {1, "b"}}, {}}, log, func(r *l11Result) int { return r.unseen }},
		{"failed-but-stored", []l11Op{acked("a", 0, 0), {"b", opFailed, -1, -1}, acked("c", 1, 0)}, log, log, func(r *l11Result) int { return r.failedStored }},
		{"unknown-value", ok[:2], [][]l11Obs{{{0, "a"}, {1, "b"}}, {}}, log, func(r *l11Result) int { return r.unknown }},
		{"hole", ok, [][]l11Obs{{{0, "a"}, {2, "b"}}, {{0, "c"}}}, [][]l11Obs{{{0, "a"}, {2, "b"}}, {{0, "c"}}}, func(r *l11Result) int { return r.holes }},
	} {
		r := checkQueue(tc.ops, tc.obs, tc.final)
		if tc.count(r) == 0 || !r.failures() {
			t.Errorf("%s: not found: %s", tc.name, r)
		}
	}
	// The transactional checks.
	txLog := [][]l11Obs{{{1, "txc-1-1-0"}, {4, "txc-1-2-0"}}, {{2, "txc-1-1-1"}}}
	clean := &l11Result{}
	checkTxn(clean, []string{"txc-1-1-0", "txc-1-1-1", "txc-1-2-0"}, txLog, txLog)
	if clean.failures() {
		t.Fatalf("a clean transactional history: %s %v", clean, clean.examples)
	}
	for _, tc := range []struct {
		name       string
		committed  []string
		obs, final [][]l11Obs
		count      func(r *l11Result) int
	}{
		{"G1a read", nil, [][]l11Obs{{{1, "txa-1-0-0"}}, {}}, [][]l11Obs{{{1, "txa-1-0-0"}}, {}}, func(r *l11Result) int { return r.g1a }},
		{"G1a drain", nil, [][]l11Obs{{}, {}}, [][]l11Obs{{}, {{0, "txa-1-0-0"}}}, func(r *l11Result) int { return r.g1a }},
		{"txn lost-write", []string{"txc-1-1-0", "txc-1-9-0"}, txLog, txLog, func(r *l11Result) int { return r.txnLost }},
		{"txn duplicate", nil, [][]l11Obs{{}, {}}, [][]l11Obs{{{1, "txc-1-1-0"}}, {{2, "txc-1-1-0"}}}, func(r *l11Result) int { return r.txnDuplicate }},
		{"txn inconsistent", nil, [][]l11Obs{{{1, "txc-1-1-0"}, {3, "txc-1-3-0"}}, {}}, txLog, func(r *l11Result) int { return r.txnInconsistent }},
		{"txn nonmonotonic-poll", nil, [][]l11Obs{{{4, "txc-1-2-0"}, {1, "txc-1-1-0"}}, {}}, txLog, func(r *l11Result) int { return r.txnNonmonotonic }},
		{"txn unseen", []string{"txc-1-1-0"}, [][]l11Obs{{}, {}}, [][]l11Obs{{{1, "txc-1-1-0"}}, {}}, func(r *l11Result) int { return r.txnUnseen }},
		{"txn poll-skip", nil, [][]l11Obs{{{4, "txc-1-2-0"}}, {}}, txLog, func(r *l11Result) int { return r.txnPollSkip }},
	} {
		r := &l11Result{}
		checkTxn(r, tc.committed, tc.obs, tc.final)
		if tc.count(r) == 0 || !r.failures() {
			t.Errorf("%s: not found: %s", tc.name, r)
		}
	}
	// An indeterminate write may be stored once, or not at all.
	ind := append(slices.Clone(ok), l11Op{"d", opIndeterminate, -1, -1}, l11Op{"e", opIndeterminate, -1, -1})
	withD := [][]l11Obs{{{0, "a"}, {1, "b"}, {2, "d"}}, {{0, "c"}}}
	if r := checkQueue(ind, withD, withD); r.failures() || r.indeterminateStored != 1 {
		t.Fatalf("indeterminate writes: %s %v", r, r.examples)
	}
}
