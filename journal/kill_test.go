package journal

// RELIABILITY.md §6.1 L6 (kill -9 during appends) and L9 (retention and
// roll under kill -9) with a real child process: the test binary, re-executed
// with killChildEnv set, appends with concurrent producers in durable mode
// and prints every acked record to a pipe; the parent SIGKILLs it at a
// seeded random moment, restarts it, and finally opens the journal itself and
// checks it against what was acked (Jepsen's queue checker: lost, duplicated,
// inconsistent offsets).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

const (
	killChildEnv  = "STROM_JOURNAL_KILL_CHILD"  // the journal directory
	killRunEnv    = "STROM_JOURNAL_KILL_RUN"    // the run number, part of every value
	killRetainEnv = "STROM_JOURNAL_KILL_RETAIN" // "1": L9, retention runs too
	killParts     = 2
	killProducers = 3
)

// killOpts are the child's and the parent's options: small segments so
// rolls happen often; with retain, a size limit that retention meets.
func killOpts(retain bool) Options {
	o := Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SegmentBytes: 64 << 10, RetentionCheck: -1}
	if retain {
		o.SegmentBytes = 16 << 10
		o.RetentionBytes = 48 << 10
	}
	return o
}

// killValue is a record's value: unique across runs, producers and
// records, padded so that segments fill.
func killValue(run, prod, n int) string {
	return fmt.Sprintf("r%d-p%d-%d-%s", run, prod, n, strings.Repeat("x", 40))
}

// killChild opens the journal, reports how long Open took (O) and the log
// starts (S), then appends with killProducers goroutines until it is
// killed, printing "A partition offset value" for every acked record right
// after Append returns. With retain, a goroutine runs EnforceRetention and
// reports the log starts after each run.
func killChild(dir string) {
	run, _ := strconv.Atoi(os.Getenv(killRunEnv))
	retain := os.Getenv(killRetainEnv) == "1"
	die := func(err error) {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	t0 := time.Now()
	j, err := Open(dir, killOpts(retain))
	if err != nil {
		die(err)
	}
	fmt.Printf("O %d\n", time.Since(t0).Nanoseconds())
	if err := j.CreateTopic("t", killParts); err != nil && !strings.Contains(err.Error(), "exists") {
		die(err)
	}
	starts := func() {
		b := []byte("S")
		for p := range killParts {
			s, _, err := j.Bounds("t", p)
			if err != nil {
				die(err)
			}
			b = fmt.Appendf(b, " %d", s)
		}
		os.Stdout.Write(append(b, '\n'))
	}
	starts()
	ctx := context.Background()
	if retain {
		go func() {
			for {
				time.Sleep(2 * time.Millisecond)
				if err := j.EnforceRetention(ctx); err != nil {
					die(err)
				}
				starts()
			}
		}()
	}
	for prod := range killProducers {
		go func() {
			var line []byte
			for n := 0; ; {
				part := (prod + n) % killParts
				k := 1 + n%3 // batches of 1 to 3 records
				recs := make([]Record, k)
				for i := range recs {
					recs[i] = Record{Value: []byte(killValue(run, prod, n+i))}
				}
				off, err := j.Append(ctx, "t", part, recs...)
				if err != nil {
					die(err)
				}
				// One write per batch (< PIPE_BUF): whole lines only.
				line = line[:0]
				for i, r := range recs {
					line = fmt.Appendf(line, "A %d %d %s\n", off.Partition, off.First+int64(i), r.Value)
				}
				if _, err := os.Stdout.Write(line); err != nil {
					die(err)
				}
				n += k
			}
		}()
	}
	select {}
}

// parseKillValue is the inverse of killValue.
func parseKillValue(t *testing.T, v string) (run, prod, n int) {
	t.Helper()
	if _, err := fmt.Sscanf(v, "r%d-p%d-%d-", &run, &prod, &n); err != nil || v != killValue(run, prod, n) {
		t.Fatalf("value %q was not written by the child (%v)", v, err)
	}
	return run, prod, n
}

// killAck is an acked record.
type killAck struct {
	part  int
	off   int64
	value string
}

// killRound is what the parent saw of one child.
type killRound struct {
	acks     []killAck
	starts   [][]int64 // the log starts the child reported, in order
	openTime time.Duration
	ready    time.Duration // from the child's start to its O line; 0: killed before
}

// runKillChild starts the child for run, kills it after delay and returns
// what it printed. It fails t when the child ends by itself.
func runKillChild(t *testing.T, name, dir string, run int, retain bool, delay time.Duration) killRound {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir, killRunEnv+"="+strconv.Itoa(run), killRetainEnv+"="+map[bool]string{true: "1"}[retain])
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var r killRound
	var mu sync.Mutex
	var parseErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		br := bufio.NewReader(out)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return // EOF; a line without its newline is not whole
			}
			f := strings.Fields(line)
			mu.Lock()
			switch {
			case len(f) == 4 && f[0] == "A":
				p, err1 := strconv.Atoi(f[1])
				o, err2 := strconv.ParseInt(f[2], 10, 64)
				if err1 != nil || err2 != nil {
					parseErr = fmt.Errorf("bad line %q", line)
				}
				r.acks = append(r.acks, killAck{p, o, f[3]})
			case len(f) == 2 && f[0] == "O":
				ns, _ := strconv.ParseInt(f[1], 10, 64)
				r.openTime, r.ready = time.Duration(ns), time.Since(start)
			case len(f) == 1+killParts && f[0] == "S":
				var s []int64
				for _, x := range f[1:] {
					v, _ := strconv.ParseInt(x, 10, 64)
					s = append(s, v)
				}
				r.starts = append(r.starts, s)
			default:
				parseErr = fmt.Errorf("bad line %q", line)
			}
			mu.Unlock()
		}
	}()
	select {
	case <-done: // the child ended by itself: Wait reports it
	case <-time.After(delay):
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("run %d: the child was not ended by SIGKILL after %v (err %v); stderr:\n%s", run, delay, err, stderr.String())
	}
	if parseErr != nil {
		t.Fatalf("run %d: %v", run, parseErr)
	}
	return r
}

// killSegBases lists the segment base offsets of a partition directory and
// fails t on a name that is neither a segment file nor known metadata.
func killSegBases(t *testing.T, pdir string) []int64 {
	t.Helper()
	ents, err := os.ReadDir(pdir)
	if err != nil {
		t.Fatal(err)
	}
	var bases []int64
	for _, e := range ents {
		if base, ext, ok := parseSegName(e.Name()); ok && ext == ".log" {
			bases = append(bases, base)
		}
	}
	slices.Sort(bases)
	return bases
}

func TestL6KillDuringAppends(t *testing.T) { testKill(t, false) }

func TestL9KillDuringRetention(t *testing.T) { testKill(t, true) }

func testKill(t *testing.T, retain bool) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		killChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("child process")
	}
	// RELIABILITY.md L6: N = 50 kills for a PR, 1000 nightly. The kills
	// run in killLanes independent lanes at once, each its own journal
	// directory killed and restarted n/killLanes times in a row: the
	// children mostly wait for fsync, so two lanes take about half the wall
	// time of one on 2 cores, and every lane still sees consecutive crashes
	// of the same journal (the restarts recover what the last kill left).
	s := seed(t)
	n := iterations(50, 1000)
	name := t.Name()
	for lane := range killLanes {
		t.Run(fmt.Sprintf("lane%d", lane), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(s, 6+uint64(lane)))
			killLane(t, name, rng, n/killLanes, retain)
		})
	}
}

// killLanes is how many kill loops run at once, each on its own journal.
const killLanes = 2

// killLane kills and restarts a child n times on a fresh journal directory
// and then checks the journal against what the children acked.
func killLane(t *testing.T, name string, rng *rand.Rand, n int, retain bool) {
	dir := t.TempDir()
	var acks []killAck
	var maxOpen, maxReady time.Duration
	beforeReady, totalAcked := 0, 0
	lastStart := make([]int64, killParts)
	deleted := make([]map[int64]bool, killParts) // segments seen and later gone
	seen := make([]map[int64]bool, killParts)
	for p := range killParts {
		deleted[p], seen[p] = map[int64]bool{}, map[int64]bool{}
	}
	t0 := time.Now()
	checkDir := func(when string) {
		for p := range killParts {
			pdir := filepath.Join(dir, "topics", "t", strconv.Itoa(p))
			if _, err := os.Stat(pdir); err != nil {
				continue // killed before the topic was created
			}
			now := map[int64]bool{}
			for _, b := range killSegBases(t, pdir) {
				if deleted[p][b] {
					t.Fatalf("%s: partition %d: deleted segment %d came back", when, p, b)
				}
				now[b] = true
			}
			for b := range seen[p] {
				if !now[b] {
					deleted[p][b] = true
				}
			}
			seen[p] = now
		}
	}
	for run := range n {
		delay := time.Duration(10+rng.IntN(491)) * time.Millisecond
		r := runKillChild(t, name, dir, run, retain, delay)
		for _, s := range r.starts {
			for p, v := range s {
				if v < lastStart[p] {
					t.Fatalf("run %d: partition %d: the log start went back from %d to %d", run, p, lastStart[p], v)
				}
				lastStart[p] = v
			}
		}
		if r.ready == 0 {
			beforeReady++
		}
		maxOpen, maxReady = max(maxOpen, r.openTime), max(maxReady, r.ready)
		acks = append(acks, r.acks...)
		totalAcked += len(r.acks)
		if testing.Verbose() && (n <= 50 || run%50 == 0) {
			t.Logf("run %d: killed after %v, Open took %v, %d acked", run, delay, r.openTime.Round(time.Microsecond), len(r.acks))
		}
		checkDir(fmt.Sprintf("after kill %d", run))
	}
	loop := time.Since(t0)

	// The parent recovers the journal and reads everything.
	o := killOpts(retain)
	t1 := time.Now()
	j := mustOpen(t, dir, o)
	parentOpen := time.Since(t1)
	defer j.Close()
	ctx := context.Background()
	type at struct {
		part int
		off  int64
	}
	present := map[at]string{}
	where := map[string]at{}
	var dupValues, holes int
	starts := make([]int64, killParts)
	for p := range killParts {
		start, end, err := j.Bounds("t", p)
		if err != nil {
			t.Fatal(err)
		}
		if start < lastStart[p] {
			t.Fatalf("partition %d: the log start went back from %d to %d", p, lastStart[p], start)
		}
		starts[p] = start
		for off := start; off < end; {
			ms, err := j.Read(ctx, "t", p, off, ReadOptions{MaxBytes: 256 << 10})
			if err != nil {
				t.Fatalf("partition %d: read at %d: %v", p, off, err)
			}
			if len(ms) == 0 {
				t.Fatalf("partition %d: read at %d below the end %d returned nothing", p, off, end)
			}
			for _, m := range ms {
				if m.Offset != off {
					holes++
					t.Errorf("partition %d: offset %d where %d was expected (a hole or a repeat)", p, m.Offset, off)
				}
				v := string(m.Value)
				if w, ok := where[v]; ok {
					dupValues++
					t.Errorf("value %s at %d/%d and at %d/%d", v, w.part, w.off, p, m.Offset)
				}
				where[v] = at{p, m.Offset}
				present[at{p, m.Offset}] = v
				off = m.Offset + 1
			}
		}
	}
	var lost, inconsistent, dupOffsets, retained int
	ackedAt := map[at]string{}
	for _, a := range acks {
		k := at{a.part, a.off}
		if prev, ok := ackedAt[k]; ok {
			dupOffsets++
			t.Errorf("offset %d/%d acked twice: %s and %s", a.part, a.off, prev, a.value)
		}
		ackedAt[k] = a.value
		if a.off < starts[a.part] {
			if !retain {
				lost++
				t.Errorf("acked %s at %d/%d is below the log start %d", a.value, a.part, a.off, starts[a.part])
			}
			retained++ // deleted by retention: not checkable
			continue
		}
		switch v, ok := present[k]; {
		case !ok:
			lost++
			if lost <= 10 {
				t.Errorf("acked %s at %d/%d is lost", a.value, a.part, a.off)
			}
		case v != a.value:
			inconsistent++
			if inconsistent <= 10 {
				t.Errorf("acked %s at %d/%d, but the offset holds %s", a.value, a.part, a.off, v)
			}
		}
	}
	// A present value nobody acked is from a batch in flight at a kill:
	// the batch after its producer's last acked one in that run, and whole
	// (a batch is atomic, and retention deletes whole segments).
	type runProd struct{ run, prod int }
	nextN := map[runProd]int{} // the first record of the batch after the last acked one
	for _, a := range acks {
		run, prod, n := parseKillValue(t, a.value)
		nextN[runProd{run, prod}] = max(nextN[runProd{run, prod}], n+1)
	}
	unackedOf := map[runProd][]int{}
	unacked := 0
	for k, v := range present {
		if _, ok := ackedAt[k]; !ok {
			unacked++
			run, prod, n := parseKillValue(t, v)
			unackedOf[runProd{run, prod}] = append(unackedOf[runProd{run, prod}], n)
		}
	}
	for rp, ns := range unackedOf {
		slices.Sort(ns)
		first := nextN[rp]
		var want []int
		for i := range 1 + first%3 {
			want = append(want, first+i)
		}
		if !slices.Equal(ns, want) {
			t.Errorf("run %d, producer %d: present but unacked records %v, want none or the batch in flight %v", rp.run, rp.prod, ns, want)
		}
	}
	// No orphan files after the parent's recovery; no deleted segment back.
	checkDir("after the final Open")
	for p := range killParts {
		pdir := filepath.Join(dir, "topics", "t", strconv.Itoa(p))
		ents, err := os.ReadDir(pdir)
		if err != nil {
			t.Fatal(err)
		}
		logs := map[int64]bool{}
		for _, e := range ents {
			if base, ext, ok := parseSegName(e.Name()); ok && ext == ".log" {
				logs[base] = true
			}
		}
		for _, e := range ents {
			nm := e.Name()
			base, ext, ok := parseSegName(nm)
			if (ok && ext != ".log" && !logs[base]) || strings.HasSuffix(nm, vfs.TempSuffix) || (!ok && nm != startFile && nm != snapshotFile) {
				t.Errorf("partition %d: orphan file %s after recovery", p, nm)
			}
		}
		if bases := killSegBases(t, pdir); len(bases) > 1 && bases[1] <= starts[p] {
			t.Errorf("partition %d: segment %d is wholly below the log start %d", p, bases[0], starts[p])
		}
	}
	t.Logf("%d kills in %v (%d before the child was ready); Open after a kill: max %v, child start to ready max %v; parent Open %v",
		n, loop.Round(time.Millisecond), beforeReady, maxOpen.Round(time.Microsecond), maxReady.Round(time.Millisecond), parentOpen.Round(time.Microsecond))
	t.Logf("acked %d, present %d, present but unacked %d (in flight at a kill), lost %d, inconsistent %d, duplicated values %d, duplicate acked offsets %d, holes %d, log starts %v (acked below them: %d)",
		totalAcked, len(present), unacked, lost, inconsistent, dupValues, dupOffsets, holes, starts, retained)
	if totalAcked == 0 {
		t.Fatal("no record was acked: the kills came too early")
	}
	if retain && slices.Max(starts) == 0 {
		t.Error("retention never moved a log start")
	}
}
